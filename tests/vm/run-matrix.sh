#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Kernel matrix: boot Debian's kernels under qemu (TCG, no KVM needed) with two
# NUMA nodes and check every capture path inside them.
#
#   tests/vm/run-matrix.sh [META-PACKAGE]...
#
# META-PACKAGE defaults to "linux-image-amd64 linux-image-6.12-amd64"; each is
# resolved at run time to the kernel package it depends on, because the ABI
# number in that name changes with every security update.
#
# Environment:
#   NG_VM_TRIGGER, NG_VM_COMPAT  static ng-trigger and ng-compat-call (meson sets them)
#   NG_VM_STATIC_BUILD   static numaguard build dir (default: <builddir>/vm-static)
#   NUMAGUARD_BUILDDIR   the meson build dir (default: ./build-vm)
#   NG_VM_CACHE          kernel cache (default: $XDG_CACHE_HOME/numaguard/vm)
#   NG_VM_KEEP=1         keep the work directory (serial logs, initramfs)
#   NG_VM_VERIFIER_STATS=1  report the verifier's cost per program even when all load
#   NG_VM_BENCH=1        also time a getppid loop under each path (bench/vm-syscall-tax.sh)
#   NUMAGUARD_REQUIRE_VM=1  a missing prerequisite fails instead of skipping
#
# Exit status: 0 all checks passed, 1 a check failed, 77 cannot run here.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
builddir=${NUMAGUARD_BUILDDIR:-$src/build-vm}
static_build=${NG_VM_STATIC_BUILD:-$builddir/vm-static}
cache=${NG_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/numaguard/vm}
metas=("$@")
[ ${#metas[@]} -gt 0 ] || metas=(linux-image-amd64 linux-image-6.12-amd64)

log() { echo "vm: $*" >&2; }
die() {
	echo "vm: FAIL: $*" >&2
	exit 1
}
skip() {
	if [ "${NUMAGUARD_REQUIRE_VM:-}" = 1 ]; then
		die "$* (NUMAGUARD_REQUIRE_VM=1)"
	fi
	echo "vm: SKIP: $*" >&2
	exit 77
}

for tool in qemu-system-x86_64 busybox cpio gzip apt-get apt-cache dpkg-deb file meson ninja; do
	command -v "$tool" >/dev/null ||
		skip "$tool is not installed; scripts/numaguard-dev.sh deps installs the VM test packages"
done
busybox=$(command -v busybox)
file -L "$busybox" | grep -q 'statically linked' ||
	skip "$busybox is not static; install busybox-static"
qboot=/usr/share/qemu/qboot.rom
[ -f "$qboot" ] || skip "$qboot is missing; install qemu-system-data"

trigger=${NG_VM_TRIGGER:-$builddir/tests/vm/ng-trigger-static}
compat=${NG_VM_COMPAT:-$builddir/tests/vm/ng-compat-call}
verify=${NG_VM_VERIFY:-$builddir/tests/vm/ng-bpf-verify}
loadgen=${NG_VM_LOADGEN:-$builddir/tests/vm/ng-loadgen-static}
for b in "$trigger" "$compat" "$verify"; do
	[ -x "$b" ] || die "$b is missing; build it first (ninja -C $builddir)"
done

# A static numaguard: the guest has no libc, libbpf or libelf.
mkdir -p "$static_build"
if [ ! -f "$static_build/build.ninja" ]; then
	log "configuring the static build in $static_build"
	meson setup "$static_build" "$src" -Dprefer_static=true -Dc_link_args=-static \
		-Dtests=disabled >"$static_build/vm-setup.log" 2>&1 ||
		die "meson setup of the static build failed; see $static_build/vm-setup.log"
fi
ninja -C "$static_build" sensor/numaguard bpf/numaguard.linked.bpf.o >"$static_build/vm-ninja.log" 2>&1 ||
	die "building the static numaguard failed; see $static_build/vm-ninja.log"
numaguard=$static_build/sensor/numaguard
for b in "$numaguard" "$trigger" "$compat" "$verify"; do
	file -L "$b" | grep -q 'statically linked' ||
		die "$b is not statically linked ($(file -L -b "$b"))"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ng-vm.XXXXXX")
if [ "${NG_VM_KEEP:-}" != 1 ]; then
	trap 'rm -rf "$work"' EXIT
fi

# Initramfs: busybox, the static binaries, the BPF object (for ng-bpf-verify),
# the deny-bind policy, our /init.
root=$work/root
mkdir -p "$root"/{bin,proc,sys,dev,tmp,etc/numaguard,lib/numaguard}
cp "$busybox" "$root/bin/busybox"
cp "$numaguard" "$root/bin/numaguard"
cp "$trigger" "$root/bin/ng-trigger"
cp "$compat" "$root/bin/ng-compat-call"
cp "$verify" "$root/bin/ng-bpf-verify"
[ ! -x "$loadgen" ] || cp "$loadgen" "$root/bin/ng-loadgen"
cp "$static_build/bpf/numaguard.linked.bpf.o" "$root/lib/numaguard/numaguard.bpf.o"
cp "$src/policies/deny-bind.yaml" "$root/etc/numaguard/"
cp "$src/tests/vm/guest-init.sh" "$root/init"
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz"

# Kernel package: resolve the meta-package, download once, keep only the kernel.
fetch_kernel() { # META -> prints the path of the uncompressed vmlinux
	local meta=$1 pkg dir deb
	pkg=$(apt-cache depends "$meta" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || skip "apt-cache cannot resolve $meta (apt-get update?)"
	dir=$cache/$pkg
	if [ ! -f "$dir/vmlinux" ]; then
		mkdir -p "$dir"
		log "downloading $pkg"
		(cd "$dir" && timeout 300 apt-get download -q "$pkg" >download.log 2>&1) ||
			skip "apt-get download $pkg failed: $(tail -n 1 "$dir/download.log")"
		deb=$(ls "$dir"/*.deb)
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --wildcards './boot/vmlinuz-*'
		python3 "$src/tests/vm/vmlinux.py" "$dir"/boot/vmlinuz-* "$dir/vmlinux.tmp" ||
			die "cannot extract an uncompressed kernel from $deb"
		mv "$dir/vmlinux.tmp" "$dir/vmlinux"
		rm -rf "$dir/boot" "$deb"
	fi
	echo "$dir/vmlinux"
}

cmdline_extra=
[ "${NG_VM_VERIFIER_STATS:-}" != 1 ] || cmdline_extra=" ng.verify"
[ "${NG_VM_BENCH:-}" != 1 ] || cmdline_extra="$cmdline_extra ng.bench"
rc=0
for meta in "${metas[@]}"; do
	vmlinux=$(fetch_kernel "$meta")
	name=$(basename "$(dirname "$vmlinux")")
	out=$work/$name
	mkdir -p "$out"
	log "booting $name"
	start=$(date +%s%N)
	# qboot and an uncompressed kernel (PVH entry) skip the BIOS and the
	# decompressor, the slow parts under TCG. Two nodes of 512 MiB; one vCPU,
	# on node 0 (node 1 is memory only, which is all the checks need): with two
	# emulated CPUs, enabling a tracepoint (text patching that stops every CPU)
	# could leave both vCPUs spinning on a busy host, a soft lockup the guest
	# never recovered from.
	status=0
	timeout 900 qemu-system-x86_64 -accel tcg -machine q35 -cpu max -smp 1 -m 1G \
		-bios "$qboot" -nodefaults -no-reboot -display none \
		-object memory-backend-ram,id=m0,size=512M -object memory-backend-ram,id=m1,size=512M \
		-numa node,nodeid=0,memdev=m0,cpus=0 -numa node,nodeid=1,memdev=m1 \
		-kernel "$vmlinux" -initrd "$work/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 loglevel=4$cmdline_extra" \
		-serial "file:$out/console.log" -serial "file:$out/data.log" \
		</dev/null >"$out/qemu.log" 2>&1 || status=$?
	end=$(date +%s%N)
	[ $status -ne 124 ] || log "$name: qemu killed after 900 s"
	python3 "$src/tests/vm/check_vm.py" --name "$name" --wall-ms $(((end - start) / 1000000)) \
		--console "$out/console.log" --data "$out/data.log" --qemu-log "$out/qemu.log" || rc=1
done
[ "${NG_VM_KEEP:-}" != 1 ] || log "work directory kept: $work"
exit $rc
