#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# run-fuzzers.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]
#
# Runs every libFuzzer target of a build configured with -Dfuzz=enabled
# (docs/hardening.md) for a bounded time over its seed corpus and its saved
# crashers. Builds nothing. Exits non-zero when any target crashes, leaks,
# hangs or breaks one of its invariants, and says where the input was saved.
# New inputs go to a scratch corpus (FUZZ_WORK, default BUILD_DIR/fuzz-work),
# kept across runs so a later run starts where an earlier one stopped; the
# seed corpus in the source tree is never written. FUZZ_JOBS=N runs N targets
# at once.
set -u

usage() {
	echo "usage: $0 BUILD_DIR SECONDS_PER_TARGET [TARGET...]" >&2
	exit 2
}
[ $# -ge 2 ] || usage
build=$1
secs=$2
shift 2
[[ $secs =~ ^[0-9]+$ ]] && [ "$secs" -gt 0 ] || usage

src=$(cd "$(dirname "$0")" && pwd)
bindir=$build/tests/fuzz
work=${FUZZ_WORK:-$build/fuzz-work}
jobs=${FUZZ_JOBS:-1}

# Largest input per target: enough for a real rule file, event line or record,
# small enough that each execution stays fast.
declare -A max_len=(
	[rules]=16384 [cond]=4096 [event-parse]=8192 [decode]=1400 [cgroup]=4096
	[json-escape]=4096 [syslog]=8192 [cef]=8192 [config]=8192 [policy]=8192
)
# Per-input time limit (wall clock, so it must allow for a loaded CI machine). The
# targets that build seccomp filters check each filter against up to 192 x 192
# probe calls per ABI and build attempt, which takes seconds under the sanitizers.
declare -A timeout=([cond]=60 [policy]=60)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(rules cond event-parse decode cgroup json-escape syslog cef
				     config policy)

# UBSan reports are failures, not warnings. Leaks are caught per input by libFuzzer
# (-detect_leaks, on by default with ASan) and by LeakSanitizer at exit.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

run_one() {
	local t=$1 bin=$bindir/fuzz-$1 log out
	out=$work/$t
	log=$work/$t.log
	mkdir -p "$out/corpus" "$out/artifacts"
	if [ ! -x "$bin" ]; then
		echo "$t: $bin is missing: build with -Dfuzz=enabled first" >"$log"
		return 1
	fi
	local dict=()
	[ -f "$src/dict/$t.dict" ] && dict=(-dict="$src/dict/$t.dict")
	local inputs=("$out/corpus") d
	for d in "$src/corpus/$t" "$src/regressions/$t"; do
		[ -d "$d" ] && inputs+=("$d")
	done
	local rc
	# bash's time keyword: wall, user and system seconds of the fuzzer process.
	local TIMEFORMAT='times: %R %U %S'
	{ time "$bin" -max_total_time="$secs" -max_len="${max_len[$t]:-4096}" -rss_limit_mb=2048 \
		-malloc_limit_mb=2048 -timeout="${timeout[$t]:-10}" -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/" "${dict[@]}" \
		"${inputs[@]}" >"$log" 2>&1; } 2>"$out/times"
	rc=$?
	cat "$out/times" >>"$log"
	echo $rc >"$work/$t.rc"
	return $rc
}

# One line per target: executions, time, coverage gained over the seeds.
report() {
	local t=$1 rc=$2 log=$work/$1.log
	local execs inited done wall cpu art
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	inited=$(grep -m1 -o 'INITED cov: [0-9]*' "$log" | grep -o '[0-9]*$')
	done=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
	read -r wall cpu < <(awk '/^times: /{ printf "%.1f %.1f\n", $2, $3 + $4 }' "$log")
	if [ "$rc" -eq 0 ]; then
		printf '%-12s ok  %10s execs  %6s s wall  %6s s CPU  cov %s -> %s (+%s)\n' "$t" \
			"${execs:-0}" "${wall:-?}" "${cpu:-?}" "${inited:-?}" "${done:-?}" \
			"$(( ${done:-0} - ${inited:-0} ))"
	else
		art=$(grep -o "Test unit written to .*" "$log" | tail -1)
		printf '%-12s FAILED (exit %s) after %s s; %s\n' "$t" "$rc" "${wall:-?}" \
			"${art:-see the log}"
		grep -E 'ERROR: |runtime error|fuzz invariant broken|SUMMARY' "$log" | head -5 |
			sed 's/^/    /'
		echo "    log: $log"
	fi
}

mkdir -p "$work"
running=0
for t in "${targets[@]}"; do
	rm -f "$work/$t.rc"
	if [ "$jobs" -le 1 ]; then
		run_one "$t"
		continue
	fi
	run_one "$t" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
status=0
for t in "${targets[@]}"; do
	rc=$(cat "$work/$t.rc" 2>/dev/null || echo 1)
	report "$t" "$rc"
	[ "$rc" -eq 0 ] || status=1
done
exit $status
