#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Extract the uncompressed ELF kernel from an x86 bzImage.

    vmlinux.py BZIMAGE OUTPUT

qemu boots the ELF directly through its PVH entry, which spares the
emulated CPU the decompressor (seconds under TCG). The boot protocol header
gives the payload's place (Documentation/arch/x86/boot.rst: setup_sects at
0x1f1, payload_offset/payload_length at 0x248); xz is decompressed here,
zstd with the zstd tool because Python's standard library has no zstd.
"""
import lzma
import struct
import subprocess
import sys


def payload(image):
    if image[0x202:0x206] != b"HdrS":
        raise SystemExit("vmlinux.py: not a bzImage (no HdrS signature)")
    setup_sects = image[0x1F1] or 4
    off, length = struct.unpack_from("<II", image, 0x248)
    start = (setup_sects + 1) * 512 + off
    return image[start:start + length]


def decompress(data):
    if data.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(data)
    if data.startswith(b"\x28\xb5\x2f\xfd"):
        # The kernel build appends the uncompressed size (4 bytes) after the frame.
        return subprocess.run(["zstd", "-dc"], input=data[:-4], check=True,
                              capture_output=True).stdout
    raise SystemExit(f"vmlinux.py: unsupported kernel compression (magic {data[:4].hex()}); "
                     "only xz and zstd are handled")


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: vmlinux.py BZIMAGE OUTPUT")
    with open(sys.argv[1], "rb") as f:
        elf = decompress(payload(f.read()))
    if elf[:4] != b"\x7fELF":
        raise SystemExit("vmlinux.py: the decompressed payload is not an ELF kernel")
    with open(sys.argv[2], "wb") as f:
        f.write(elf)


if __name__ == "__main__":
    main()
