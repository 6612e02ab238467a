#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# sanitize-suite.sh [BUILD_DIR]
#
# Builds the project with AddressSanitizer, UndefinedBehaviorSanitizer and
# LeakSanitizer (BUILD_DIR, default build-sanitize, created or reconfigured)
# and runs the whole `meson test` suite in it. Fails when a test fails or when
# any sanitized process, including ones a test starts and whose output it
# swallows, wrote a sanitizer report: every report goes to a file under
# BUILD_DIR/sanitizer-reports, which is checked after the run.
# Extra arguments for `meson test` can be given in MESON_TEST_ARGS.
set -u

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build-sanitize}
reports=$(realpath -m "$build")/sanitizer-reports

opts=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized)
if [ -f "$build/meson-private/coredata.dat" ]; then
	meson configure "$build" "${opts[@]}" || exit 1
else
	meson setup "$build" "$src" "${opts[@]}" || exit 1
fi
meson compile -C "$build" || exit 1

rm -rf "$reports"
mkdir -p "$reports"
# halt_on_error: undefined behaviour stops the process, so the test fails too.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
export ASAN_OPTIONS="detect_leaks=1:log_path=$reports/asan"

# Sanitized code is slower; a test that passes without sanitizers must not time out here.
# shellcheck disable=SC2086
meson test -C "$build" --print-errorlogs --timeout-multiplier 4 ${MESON_TEST_ARGS:-}
status=$?

nreports=0
while IFS= read -r -d '' f; do
	[ $nreports -eq 0 ] && printf '\nsanitizer reports:\n'
	nreports=$((nreports + 1))
	echo "==> $f"
	head -40 "$f"
done < <(find "$reports" -type f -size +0 -print0 | sort -z)
[ $nreports -eq 0 ] || status=1
# A report printed by a process that ignored log_path still shows in the test log.
if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error: |SUMMARY: UndefinedBehaviorSanitizer' \
	"$build/meson-logs/testlog.txt" 2>/dev/null; then
	echo "sanitizer output in $build/meson-logs/testlog.txt"
	status=1
fi
[ $status -eq 0 ] && echo "sanitizer suite: all tests passed, no sanitizer reports"
exit $status
