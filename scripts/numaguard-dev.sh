#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Set up a Debian 12 machine for numaguard, build it, and run it or its tests.
#
#   scripts/numaguard-dev.sh run [RUN OPTIONS]   install deps, build, start `numaguard run`
#   scripts/numaguard-dev.sh test                install deps, build, run the whole test suite,
#                                                then again under ASan/UBSan/LSan, then fuzz
#                                                every parser for FUZZ_SECONDS (default 20) each
#   scripts/numaguard-dev.sh deps | build        just one step
#
# Run as root (installing packages and loading BPF need it). BUILD_DIR
# (default: build) picks the build directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$here/build}

# Build and test dependencies, all from Debian's archive.
packages=(
	meson ninja-build pkg-config gcc clang llvm python3
	libbpf-dev bpftool libelf-dev zlib1g-dev libyaml-dev libseccomp-dev libcmocka-dev
	numactl util-linux procps rsyslog runc busybox-static jq libclang-rt-14-dev
	qemu-system-x86 qemu-system-data cpio zstd file
)

die() {
	echo "numaguard-dev: $*" >&2
	exit 1
}

deps() {
	[ "$(id -u)" = 0 ] || die "installing packages needs root; run with sudo"
	local missing=()
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "numaguard-dev: installing ${missing[*]}"
		apt-get update -q
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
}

build() {
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$here"
	fi
	ninja -C "$build"
}

run_tests() {
	local rc=0
	meson test -C "$build" --print-errorlogs "$@" || rc=$?
	# One plain closing line, whatever meson printed above.
	python3 - "$build/meson-logs/testlog.json" <<'PY' || true
import json, sys
c = {"OK": 0, "FAIL": 0, "SKIP": 0, "TIMEOUT": 0, "ERROR": 0}
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    c[r] = c.get(r, 0) + 1
failed = c["FAIL"] + c["TIMEOUT"] + c["ERROR"] + c.get("UNEXPECTEDPASS", 0)
print(f"{c['OK'] + c.get('EXPECTEDFAIL', 0)} passed, {failed} failed, {c['SKIP']} skipped")
PY
	return $rc
}

cmd=${1:-}
shift || true
case "$cmd" in
deps) deps ;;
build) build ;;
run)
	deps
	build
	exec "$build/sensor/numaguard" run "$@"
	;;
test)
	deps
	build
	rc=0
	run_tests "$@" || rc=1
	echo "numaguard-dev: the whole suite again under ASan, UBSan and LSan"
	"$here/tests/fuzz/sanitize-suite.sh" "${SANITIZE_BUILD_DIR:-$here/build-sanitize}" || rc=1
	echo "numaguard-dev: fuzzing every parser and escaper"
	fuzz_build=${FUZZ_BUILD_DIR:-$here/build-fuzz}
	if [ ! -f "$fuzz_build/build.ninja" ]; then
		CC=clang meson setup "$fuzz_build" "$here" -Dfuzz=enabled -Dtests=disabled \
			-Db_sanitize=address,undefined -Db_lundef=false \
			-Dc_args='-fsanitize=fuzzer-no-link' || rc=1
	fi
	{ meson compile -C "$fuzz_build" &&
		"$here/tests/fuzz/run-fuzzers.sh" "$fuzz_build" "${FUZZ_SECONDS:-20}"; } || rc=1
	exit $rc
	;;
*)
	sed -n '4,12p' "$0" >&2
	exit 1
	;;
esac
