#!/usr/bin/env python3
"""`make bench`: boots the benchmark kernel under -icount shift=0 (one TSC
tick per retired guest instruction, so every figure repeats exactly) and
prints a table for people and `bench NAME VALUE instructions` lines for
tools, with the goals from the issues and PERF-ANCHORS.md beside them."""
import argparse
import os
import re
import subprocess
import sys

# name -> (goal in instructions or None, what the goal is)
GOALS = {
    "paging.map_unmap.1page": (None, ""),
    "vm.reserve_commit_release.1page": (None, ""),
    "vm.reserve_commit_release.256pages": (None, ""),
    "vm.fault.demand_zero": (None, "Linux 6.1: 2,239 + clear"),
    "vm.fault.demand_zero.excl_zeroing": (400, "<= 400 (Linux 6.1: 2,239)"),
    "vm.query.10allocs": (None, ""),
    "vm.query.10000allocs": (None, "<= 2x vm.query.10allocs"),
    "vm.protect.1page": (None, "Linux 6.1 mprotect: 2,638"),
    "syscall.null": (80, "<= 80 (Linux 6.1: 323)"),
    "user.virtualalloc_commit.1page": (1500, "<= 1,500 (Linux 6.1 mmap+mprotect: ~11,260)"),
    "user.av_to_handler_and_continue": (1000, "<= 1,000 (Linux 6.1 signal round trip: 6,225)"),
    "user.exception_roundtrip": (None, "int3 -> handler -> NtContinue, nothing else"),
    "heap.kmalloc_kfree.32": (60, "<= 60 (issue 14; mimalloc's fast path: ~40)"),
    "heap.kmalloc.32": (None, ""),
    "heap.kfree.32": (None, ""),
    "user.heapalloc_heapfree.32": (60, "<= 60 (issue 14; process heap, from ring 3)"),
    "user.heapalloc.32": (None, ""),
    "user.heapfree.32": (None, ""),
}
LINE = re.compile(r"^bench (\S+) (\d+) instructions$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--logs", default="build/logs")
    ap.add_argument("--only", default="all")
    ap.add_argument("--user", help="the ring-3 benchmark program (ubench.elf)")
    args = ap.parse_args()
    os.makedirs(args.logs, exist_ok=True)
    figures = {}
    out = boot(args, "bench=paging,vm,heap", None, "bench.serial", figures)
    if out is None:
        return 1
    if args.user:
        out = boot(args, "run=ubench", args.user, "ubench.serial", figures)
        if out is None:
            return 1
    print_table(figures)
    # TLB range flushes: wall time (TSC without -icount, where a TLB refill
    # costs something), to choose the INVLPG / CR3-reload threshold.
    tlb = {}
    out = boot(args, "bench=tlb", None, "bench-tlb.serial", tlb, icount=False)
    if out is not None:
        print("\nTLB range invalidation + refill, TSC ticks (no -icount, medians of 15):")
        for line in out.splitlines():
            if line.startswith("tlb "):
                print("  " + line[4:])
    return 0


def boot(args, append, initrd, log, figures, icount=True):
    """One QEMU boot (under -icount shift=0 unless told otherwise); adds
    its `bench` lines to figures."""
    cmd = ["qemu-system-i386", "-nodefaults", "-no-user-config", "-machine", "pc",
           "-accel", "tcg", "-cpu", "max", "-m", "128M", "-display", "none", "-no-reboot",
           "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-kernel", args.kernel, "-append", append]
    if icount:
        cmd += ["-icount", "shift=0,sleep=off"]
    if initrd:
        cmd += ["-initrd", initrd]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    out = p.stdout.decode("utf-8", "replace").replace("\r", "")
    open(os.path.join(args.logs, log), "w").write(out)
    found = 0
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            figures[m.group(1)] = int(m.group(2))
            found += 1
    if p.returncode != 33 or (icount and not found):
        print(out[-3000:])
        print("bench: the benchmark boot '%s' failed (QEMU exit status %d)" % (append, p.returncode))
        return None
    return out


def print_table(figures):
    print("guest instructions (QEMU -icount shift=0, -cpu max, release build)")
    print("%-40s %12s   %s" % ("benchmark", "instructions", "goal / peer"))
    for name, value in figures.items():
        goal, text = GOALS.get(name, (None, ""))
        mark = ""
        if goal is not None:
            mark = "  (met)" if value <= goal else "  (MISSED by %d)" % (value - goal)
        print("%-40s %12d   %s%s" % (name, value, text, mark))
    q10, q10k = figures.get("vm.query.10allocs"), figures.get("vm.query.10000allocs")
    if q10 and q10k:
        print("%-40s %12.2fx  <= 2x" % ("vm.query 10000 / 10 allocations", q10k / q10))
    for name, value in figures.items():
        print("bench %s %d instructions" % (name, value))


if __name__ == "__main__":
    sys.exit(main())
