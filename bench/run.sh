#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# numaguard overhead benchmark: set_mempolicy and getppid loops with no sensor, numaguard,
# auditd and bpftrace, interleaved; loss per tool; loss against call rate; replay throughput;
# BPF program run time and perf profiles.
#
#   sudo bench/run.sh [--quick] [--out FILE] [--only overhead,knee,replay,profile]
#
# A full run takes about 5 minutes on a quiet host and at most about 15; --quick about 2.
# Results: bench/results/<date>.json (every raw number) and .csv (one row per measured loop);
# bench/report.py renders them.
# Needs root (BPF, auditd). Installs the Debian packages auditd, bpftrace and strace when missing,
# and leaves the machine as it found it: audit rules, audit backlog and enable flag restored,
# daemons it started stopped, kernel.bpf_stats_enabled put back.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${NUMAGUARD_BENCH_BUILD:-$src/build-bench}
quick=()
only=()
out=""
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=(--quick) ;;
	--out) out=$2; shift ;;
	--only) only=(--only "$2"); shift ;;
	-h|--help) sed -n '4,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/run.sh: unknown option '$1' (see --help)" >&2; exit 1 ;;
	esac
	shift
done
if [ "$(id -u)" != 0 ]; then
	echo "bench/run.sh: needs root to load BPF programs and run auditd; run it with sudo" >&2
	exit 1
fi

missing=()
command -v auditctl >/dev/null && command -v auditd >/dev/null || missing+=(auditd)
command -v bpftrace >/dev/null || missing+=(bpftrace)
command -v strace >/dev/null || missing+=(strace)
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench/run.sh: installing ${missing[*]}" >&2
	apt-get update -qq
	# policy-rc.d keeps the package from starting the system auditd: the benchmark runs its own.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		echo "bench/run.sh: could not install ${missing[*]}; those tools will be reported as not measurable" >&2
fi

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$src" >&2
fi
ninja -C "$build" sensor/numaguard >&2
# The replay benchmark is built by the rules tests; without it the replay figure is skipped.
targets=$(ninja -C "$build" -t targets all 2>/dev/null)
if grep -q '^tests/rules/bench-replay:' <<<"$targets"; then
	ninja -C "$build" tests/rules/bench-replay >&2
fi

work=$(mktemp -d /tmp/numaguard-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cc -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -pthread "$here/loadgen.c" -o "$work/loadgen"

mkdir -p "$here/results"
[ -n "$out" ] || out="$here/results/$(date -u +%Y%m%dT%H%M%SZ)${quick:+-quick}.json"
python3 "$here/bench.py" "${quick[@]}" "${only[@]}" --out "$out" --srcdir "$src" \
	--numaguard "$build/sensor/numaguard" --loadgen "$work/loadgen" \
	--bench-replay "$build/tests/rules/bench-replay" --workdir "$work"
python3 "$here/report.py" "$out"
