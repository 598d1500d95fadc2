#!/usr/bin/env python3
"""Drive the study console: boot the kernel in QEMU (no command line, so
the console is the job), type commands one at a time after each prompt,
and print or save the transcript.  Stdlib only.

  tools/console_drive.py [--kernel build/kernel.elf] [--initrd a.elf,b.elf]
                         [--script FILE | -c 'cmd' -c 'cmd' ...] [--out FILE]
                         [--enter-for-demo]

Each command waits for the prompt ("winmm> ") before it is sent.  Every
"-> 0x12345678" a command prints is remembered: $1, $2, ... in a later
command stand for the first, second, ... such address.  Lines
the console reads itself (the demo's "Enter" pauses) are answered with an
empty line.  The transcript has the console's own line endings removed.
"""
import argparse
import os
import re
import subprocess
import sys
import time

PROMPT = b"winmm> "
PAUSE = b"-- Enter: next step, q: stop -- "
QEMU = ["qemu-system-i386", "-nodefaults", "-no-user-config", "-machine", "pc", "-accel", "tcg",
        "-cpu", "max", "-m", "128M", "-display", "none", "-no-reboot", "-serial", "stdio",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


class Console:
    """A QEMU boot whose serial line we read and write."""

    def __init__(self, kernel, initrd=None, iso=None, extra=()):
        cmd = list(QEMU)
        if iso:
            cmd += ["-cdrom", iso]
        else:
            cmd += ["-kernel", kernel]
            if initrd:
                cmd += ["-initrd", initrd]
        cmd += list(extra)
        self.start = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.buf = b""
        self.log = b""
        os.set_blocking(self.proc.stdout.fileno(), False)

    def _read_some(self, deadline):
        import select
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("console: no answer (last output %r)" % self.buf[-200:])
            r, _, _ = select.select([self.proc.stdout], [], [], min(left, 0.5))
            if r:
                data = self.proc.stdout.read(65536)
                if not data:
                    raise EOFError("console: QEMU exited (rc %s)" % self.proc.poll())
                self.buf += data
                self.log += data
                return

    def wait_for(self, marker, timeout=30.0, answer_pauses=True):
        """Reads until the output ends with marker (a prompt); answers the
        demo's pauses with Enter on the way.  Returns the text before."""
        deadline = time.monotonic() + timeout
        while True:
            if self.buf.endswith(marker):
                out, self.buf = self.buf[:-len(marker)], b""
                return out
            if answer_pauses and self.buf.endswith(PAUSE):
                self.buf = b""
                self.send("\r")
                continue
            self._read_some(deadline)

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def command(self, line, timeout=60.0):
        self.send(line + "\r")
        return self.wait_for(PROMPT, timeout)

    def close(self):
        try:
            self.send("halt\r")
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def clean(data):
    """Serial bytes -> text, as a terminal would show them: CR LF -> LF,
    and backspaces move the cursor left (the console erases with "\b \b")."""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "")
    lines, cur, pos = [], [], 0
    for ch in text:
        if ch == "\n":
            lines.append("".join(cur).rstrip())
            cur, pos = [], 0
        elif ch == "\b":
            pos = max(0, pos - 1)
        else:
            if pos < len(cur):
                cur[pos] = ch
            else:
                cur.append(ch)
            pos += 1
    lines.append("".join(cur))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", default="build/kernel.elf")
    ap.add_argument("--initrd", default=None)
    ap.add_argument("--iso", default=None)
    ap.add_argument("--script", default=None, help="file of commands, one a line (# comments)")
    ap.add_argument("-c", dest="commands", action="append", default=[])
    ap.add_argument("--out", default=None, help="write the transcript here (default stdout)")
    ap.add_argument("--from-prompt", action="store_true",
                    help="leave the boot messages out of the transcript")
    args = ap.parse_args()

    commands = list(args.commands)
    if args.script:
        for line in open(args.script):
            line = line.rstrip("\n")
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(line)
    con = Console(args.kernel, args.initrd, args.iso)
    try:
        con.wait_for(PROMPT, timeout=30)
        boot_end = len(con.log) - len(PROMPT)
        results = []
        for c in commands:
            c = re.sub(r"\$(\d+)", lambda m: results[int(m.group(1)) - 1], c)
            out = con.command(c).decode("utf-8", "replace")
            results += re.findall(r"-> (0x[0-9a-fA-F]{8})(?! STATUS_)", out)
    finally:
        con.close()
    data = con.log[boot_end:] if args.from_prompt else con.log
    text = clean(data)
    # The last prompt (after the final command) and "halt" are ours, not the script's.
    text = re.sub(r"winmm> halt\nhalting\n?$", "", text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
