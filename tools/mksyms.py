#!/usr/bin/env python3
"""Builds the kernel's symbol table blob (layout in kernel/base/ksyms.c) from
`nm -n` output and pads it to the fixed size of the .ksyms section.

usage: mksyms.py NM_OUTPUT SECTION_SIZE OUT.bin
"""
import struct
import sys

MAGIC = 0x4D59534B


def main():
    nm_path, size, out = sys.argv[1], int(sys.argv[2], 0), sys.argv[3]
    syms = {}
    for line in open(nm_path):
        parts = line.split()
        if len(parts) != 3 or parts[1] not in "tT":
            continue
        addr = int(parts[0], 16)
        name = parts[2]
        # Keep one name per address, preferring global ones.
        if addr not in syms or parts[1] == "T":
            syms[addr] = name
    entries = sorted(syms.items())
    header = 8 + 8 * len(entries)
    names = bytearray()
    table = bytearray(struct.pack("<II", MAGIC, len(entries)))
    for addr, name in entries:
        table += struct.pack("<II", addr, header + len(names))
        names += name.encode() + b"\0"
    blob = table + names
    if len(blob) > size:
        sys.exit(f"mksyms: symbol table needs {len(blob)} bytes, the .ksyms "
                 f"section has {size}: raise KSYMS_SIZE in kernel/base/ksyms.c and the Makefile")
    blob += bytes(size - len(blob))
    open(out, "wb").write(blob)


if __name__ == "__main__":
    main()
