#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What each capture path costs the syscalls it does not capture, on kernels
# this host cannot run natively (fentry, kprobes): a getppid loop with no
# sensor and under the fexit, kretprobe and tracepoint paths, five rounds
# interleaved, inside the qemu guest of tests/vm (TCG, so only the ratios
# within one run mean anything, and they are those of emulated instructions).
#
#   bench/vm-syscall-tax.sh [BUILD_DIR] [KERNEL_META]...
#   (default: build, linux-image-6.12-amd64)
#
# The report (every round, then medians and ratios per kernel) is printed and
# kept in bench/results/<UTC time>-vm-syscall-tax.txt.
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=$(cd "${1:-$src/build}" && pwd)
shift || true
[ $# -gt 0 ] || set -- linux-image-6.12-amd64
ninja -C "$builddir" tests/vm/ng-trigger-static tests/vm/ng-compat-call tests/vm/ng-bpf-verify \
	tests/vm/ng-loadgen-static >/dev/null
export NUMAGUARD_BUILDDIR=$builddir NG_VM_BENCH=1
out=$src/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-vm-syscall-tax.txt
{
	echo "numaguard $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?'), host $(uname -r), $(nproc) CPUs, qemu TCG"
	"$src/tests/vm/run-matrix.sh" "$@" 2>&1 | grep -E '^vm .*(bench [a-z]+ [0-9]|bench getppid|checks passed|failed)'
} | tee "$out"
echo "kept in $out"
