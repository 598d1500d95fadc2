#!/usr/bin/env python3
"""Boot the kernel with one user program and exit with its exit status.

    tests/run_user.py [--kernel K] [--timeout S] build/user/NAME.elf
    tests/run_user.py [--timeout S] path/to/NAME.c     (built first: make run-user-build)

`make run-user PROG=path/to/NAME.c` does the first form after building.
QEMU boots build/kernel.elf with the program as the only module and
`run=NAME` on the command line; the serial console is streamed to this
terminal as it arrives.  The kernel ends every program with exactly one
line

    process NAME: exit status 0xXXXXXXXX

(the NTSTATUS or exit code, 8 hex digits), inside the one KTAP document
the kernel makes of the boot: the program is its only subtest, with the
kernel's exit_status and leak_check cases (kernel/programs.c; a test
program's own KTAP sits under exit_status, tests/user/utest.h).  This
script's exit status:

    0..255   the program's exit status, when it is 0..255 (main's return
             value or ExitProcess / exit argument)
    255      any other value: an exception code that ended the program
             (e.g. 0xC0000005, an unhandled access violation) or an exit
             code above 255; the exact value is in the line above
    254      no status line: QEMU exited without it (kernel panic, triple
             fault, program not loadable...) or the timeout expired
    2        usage errors (no such file, a name the kernel cannot take)

QEMU's stdin is /dev/null, so the terminal is never switched to raw mode
and the script also works without a terminal (CI, pipes).
"""
import argparse
import os
import re
import select
import subprocess
import sys
import time

QEMU = "qemu-system-i386"
STATUS_EXCEPTION = 255
STATUS_NO_LINE = 254
NAME_RE = re.compile(r"^[A-Za-z0-9_.+-]{1,31}$")     # kernel: 31 characters, no ',' or space
GRACE_SECONDS = 3.0          # after the status line, for the kernel to leave QEMU itself


def program_name(path):
    base = os.path.basename(path)
    return base[:-4] if base.endswith(".elf") else os.path.splitext(base)[0]


def build(source, root):
    """Compiles a .c file through the Makefile; returns the ELF path."""
    name = program_name(source)
    r = subprocess.run(["make", "--no-print-directory", "-C", root, "run-user-build",
                        "PROG=" + os.path.abspath(source)])
    if r.returncode != 0:
        sys.exit(r.returncode if 0 < r.returncode < 254 else 2)
    return os.path.join(root, "build", "user", "run-user", name + ".elf")


def qemu_command(kernel, elf, name, memory):
    return [QEMU, "-nodefaults", "-no-user-config", "-machine", "pc", "-accel", "tcg",
            "-cpu", "max", "-m", memory, "-display", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-serial", "stdio",
            "-kernel", kernel, "-initrd", elf, "-append", "run=" + name]


def run(cmd, name, timeout):
    """Streams QEMU's serial output; returns (status or None, why)."""
    line_re = re.compile(r"^process %s: exit status 0x([0-9A-Fa-f]{8})\s*$" % re.escape(name))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    out = sys.stdout.buffer
    status, pending = None, b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return status, "timed out after %d s" % timeout
            ready, _, _ = select.select([proc.stdout], [], [], min(left, 0.5))
            if not ready:
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            out.write(chunk)
            out.flush()
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                m = line_re.match(raw.decode("utf-8", "replace").rstrip("\r"))
                if m and status is None:
                    status = int(m.group(1), 16)
                    deadline = min(deadline, time.monotonic() + GRACE_SECONDS)
        rc = proc.wait()
        return status, "QEMU exited with status %d" % rc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("program", help="an ELF built against the SDK, or a .c file to build first")
    ap.add_argument("--kernel", default=None, help="kernel ELF (default: build/kernel.elf)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds (default 120)")
    ap.add_argument("--memory", default="128M", help="QEMU -m (default 128M)")
    args = ap.parse_args()

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isfile(args.program):
        print("run_user: %s: no such file" % args.program, file=sys.stderr)
        return 2
    name = program_name(args.program)
    if not NAME_RE.match(name):
        print("run_user: program name %r: use at most 31 letters, digits, '_', '.', '+' or '-'"
              % name, file=sys.stderr)
        return 2
    elf = build(args.program, root) if args.program.endswith(".c") else args.program
    kernel = args.kernel or os.path.join(root, "build", "kernel.elf")

    status, why = run(qemu_command(kernel, elf, name, args.memory), name, args.timeout)
    if status is None:
        print("run_user: no 'process %s: exit status' line (%s)" % (name, why), file=sys.stderr)
        return STATUS_NO_LINE
    if status <= 255:
        print("run_user: %s exited with status %d" % (name, status), file=sys.stderr)
        return status
    print("run_user: %s ended with status 0x%08X (an exception code or an exit code above 255): "
          "exit status %d" % (name, status, STATUS_EXCEPTION), file=sys.stderr)
    return STATUS_EXCEPTION


if __name__ == "__main__":
    sys.exit(main())
