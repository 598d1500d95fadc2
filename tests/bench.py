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
}
LINE = re.compile(r"^bench (\S+) (\d+) instructions$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--logs", default="build/logs")
    ap.add_argument("--only", default="all")
    args = ap.parse_args()
    os.makedirs(args.logs, exist_ok=True)
    cmd = ["qemu-system-i386", "-nodefaults", "-no-user-config", "-machine", "pc",
           "-accel", "tcg", "-cpu", "max", "-m", "128M", "-display", "none", "-no-reboot",
           "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-icount", "shift=0,sleep=off", "-kernel", args.kernel,
           "-append", "bench=%s" % args.only]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    out = p.stdout.decode("utf-8", "replace").replace("\r", "")
    open(os.path.join(args.logs, "bench.serial"), "w").write(out)
    figures = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            figures[m.group(1)] = int(m.group(2))
    if p.returncode != 33 or not figures:
        print(out[-3000:])
        print("bench: the benchmark kernel failed (QEMU exit status %d)" % p.returncode)
        return 1
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
