"""The study console's tests, for tests/harness.py.

Each run boots the kernel with no command line (so the console is the
job), types a script into it over the serial line and checks every
command's output against the state the script set up; pte output is
compared with QEMU's own page walker over QMP (`info tlb`, `xp`,
`gva2gpa`), the gdb helpers with the console, and the SVG renderer is
checked on a fixed dump (tests/data/vmmap-fixed.txt) and on a live one.

How a command's output is delimited: the harness reads whole lines, and
the prompt ends without one.  So every command is typed followed by an
empty line; the console answers that with a bare prompt line, "winmm> ",
which closes the command's output.
"""
import importlib.util
import math
import os
import re
import shutil
import socket
import subprocess
import xml.etree.ElementTree as ET

PROMPT = "winmm> "
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class Problem(Exception):
    pass


def need(cond, what):
    if not cond:
        raise Problem(what)


def grab(out, regex, what=None):
    """The first match of regex in the output lines (groups), or a Problem."""
    text = "\n".join(out)
    m = re.search(regex, text, re.M)
    if m is None:
        raise Problem("%s: no match for /%s/ in:\n      %s" % (
            what or "output", regex, "\n      ".join(out[:40])))
    groups = m.groups()
    return groups[0] if len(groups) == 1 else groups if groups else m.group(0)


def has(out, *needles):
    text = "\n".join(out)
    for n in needles:
        need(n in text, "output lacks %r:\n      %s" % (n, "\n      ".join(out[:40])))


class Session:
    """A console script: steps of (keys, check).  keys are typed and then
    Enter and an empty line; check(session, out) gets the output lines
    (the echo line left out) and raises Problem or returns nothing."""

    def __init__(self, steps):
        self.steps = steps
        self.i = -1
        self.state = "boot"
        self.out = []
        self.problems = []
        self.vars = {}
        self.run = None
        self.echo = ""              # the step's first line: the prompt and the keys' echo

    def interact(self, run, line, send):
        self.run = run
        if self.state == "boot":
            if line.startswith("console ready"):
                self.next(send)
        elif self.state == "echo":
            if line.startswith(PROMPT) and line != PROMPT:
                self.state, self.out, self.echo = "collect", [], line
        elif self.state == "collect":
            if line == PROMPT:
                self.finish_step()
                self.next(send)
            else:
                self.out.append(line)

    def finish_step(self):
        keys, check = self.steps[self.i]
        if check is None:
            return
        try:
            check(self, self.out)
        except Problem as e:
            self.problems.append("step %d %r: %s" % (self.i + 1, printable(keys), e))
        except Exception as e:      # a broken check is a failure, not a crash
            self.problems.append("step %d %r: check raised %r" % (self.i + 1, printable(keys), e))

    def next(self, send):
        self.i += 1
        if self.i == len(self.steps):
            self.state = "done"
            send("halt\r")
            return
        self.state = "echo"
        send(self.steps[self.i][0] + "\r\r")

    def expect(self, run):
        problems = list(self.problems)
        if self.state != "done":
            problems.append("the script stopped at step %d of %d (%s)" % (
                self.i + 1, len(self.steps), run.verdict))
        if run.rc != 33:
            problems.append("QEMU ended with '%s' (rc %s), expected halt (33)" % (run.verdict, run.rc))
        return problems


def printable(keys):
    return keys.encode("unicode_escape").decode()


def session_run(Run, name, steps, extra_expect=None, **kw):
    s = Session(steps)

    def expect(run):
        problems = s.expect(run)
        if extra_expect:
            problems += extra_expect(s, run)
        return problems
    return Run(name, interact=s.interact, expect=expect, timeout=kw.pop("timeout", 90), **kw)


# ---- parsing the console's output ---------------------------------------------

def vmmap_rows(out):
    rows = []
    for line in out:
        if line.startswith("region "):
            f = dict(re.findall(r"(\w+)=(\S+)", line.split(" details=")[0]))
            f["details"] = line.split(" details=", 1)[1] if " details=" in line else ""
            rows.append(f)
    return rows


def heap_entries(out):
    return [dict(re.findall(r"(\w+)=(\S+)", l)) for l in out if l.startswith("entry ")]


def check_tiling(rows, lo, hi):
    """The regions cover [lo, hi] without gap or overlap."""
    at = lo
    for r in rows:
        need(int(r["base"], 16) == at, "region at %s, expected 0x%08x" % (r["base"], at))
        at += int(r["size"], 16)
    need(at == hi + 1, "regions end at 0x%x, expected 0x%x" % (at, hi + 1))


def expect_regions(rows, expected):
    """expected: (base, size, state, protect, allocbase, type, resident) per row."""
    got = [(int(r["base"], 16), int(r["size"], 16), r["state"], int(r["protect"], 16),
            int(r["allocbase"], 16), r["type"], int(r["resident"])) for r in rows]
    need(got == expected, "regions\n        %s\n      expected\n        %s" % (
        "\n        ".join(map(fmt_row, got)), "\n        ".join(map(fmt_row, expected))))


def fmt_row(r):
    return "%08x %8x %-7s %#5x %08x %-7s %d" % r


def charge(out):
    m = grab(out, r"commit charge (\d+) -> (\d+) pages")
    return int(m[0]), int(m[1])


def mem_charge(out):
    return int(grab(out, r"^  commit charge\s+([\d,]+) frames").replace(",", ""))


def query(out):
    f = {}
    for key in ("BaseAddress", "AllocationBase", "AllocationProtect", "RegionSize", "State",
                "Protect", "Type"):
        f[key] = int(grab(out, r"^  %s\s+0x([0-9a-f]{8})" % key, key), 16)
    return f


def expect_query(out, **want):
    got = query(out)
    for k, v in want.items():
        need(got[k] == v, "%s 0x%x, expected 0x%x" % (k, got[k], v))


def pte_values(out):
    """(PDE PA, PDE, PTE PA or None, PTE or None) from pte output (entries
    of 8 hex digits in the legacy format, 16 with PAE)."""
    pde_pa, pde = grab(out, r"^  PDE 0x[0-9a-f]+ at VA 0x[0-9a-f]+ \(PA 0x([0-9a-f]{8,})\) = 0x([0-9a-f]{8,16})$")
    m = re.search(r"^  PTE 0x[0-9a-f]+ at VA 0x[0-9a-f]+ \(PA 0x([0-9a-f]{8,})\) = 0x([0-9a-f]{8,16})$",
                  "\n".join(out), re.M)
    return (int(pde_pa, 16), int(pde, 16), int(m.group(1), 16) if m else None,
            int(m.group(2), 16) if m else None)


def is_pae(out):
    """The pte output names the PDPTE level only with PAE."""
    return any(l.startswith("  PDPTE ") for l in out)


FRAME = 0x000FFFFFFFFFF000
NX = 1 << 63


def tlb_flags(pte):
    """QEMU's `info tlb` flags for a 4 KiB entry: XGPDACTUW (P never here)."""
    return "%s%s-%s%s%s%s%s%s" % ("X" if pte & NX else "-", "G" if pte & 0x100 else "-",
                                   "D" if pte & 0x40 else "-",
                                  "A" if pte & 0x20 else "-", "C" if pte & 0x10 else "-",
                                  "T" if pte & 0x08 else "-", "U" if pte & 0x04 else "-",
                                  "W" if pte & 0x02 else "-")


def qemu_check_pte(session, out, va, qmp_human):
    """Our pte output for va against QEMU's page walker: `info tlb` (the
    PTE's frame and bits), `xp` (both raw entries at the physical
    addresses we printed) and `gva2gpa`."""
    pde_pa, pde, pte_pa, pte = pte_values(out)
    width = "g" if is_pae(out) else "w"
    tlb, xp_pde, xp_pte, gpa = qmp_human(session.run.qmp_socket, [
        "info tlb", "xp /1%sx 0x%x" % (width, pde_pa), "xp /1%sx 0x%x" % (width, pte_pa or pde_pa),
        "gva2gpa 0x%x" % va])
    page = va & ~0xFFF
    line = next((l.strip() for l in tlb.splitlines() if l.strip().startswith("%016x:" % page)), None)
    need(int(xp_pde.split(":")[1].split()[0], 16) == pde,
         "PDE: we printed 0x%08x, QEMU's xp at 0x%x says %s" % (pde, pde_pa, xp_pde.strip()))
    if pte is None:
        return
    need(int(xp_pte.split(":")[1].split()[0], 16) == pte,
         "PTE: we printed 0x%08x, QEMU's xp at 0x%x says %s" % (pte, pte_pa, xp_pte.strip()))
    if pte & 1:
        want = "%016x: %016x %s" % (page, pte & ~0xFFF, tlb_flags(pte))
        need(line == want, "info tlb: QEMU %r, from our PTE %r" % (line, want))
        need("gpa: 0x%x" % ((pte & FRAME) | (va & 0xFFF)) in gpa, "gva2gpa says %r" % gpa.strip())
        pa = int(grab(out, r"=> PA 0x([0-9a-f]{8,})"), 16)
        need(pa == (pte & FRAME) | (va & 0xFFF), "=> PA 0x%08x" % pa)
    else:
        need(line is None, "info tlb has %r for a page we say is not present" % line)
    session.vars.setdefault("qemu_checked", []).append(va)


# ---- the runs -------------------------------------------------------------------

ALL_COMMANDS = ["help", "mem", "memmap", "ticks", "run", "halt", "vmmap", "reserve", "commit",
                "decommit", "release", "protect", "query", "reset", "pte", "touch", "peek", "poke",
                "tlb", "stats", "heap", "heapcreate", "heapalloc", "heapfree", "heapdestroy", "demo",
                "ws", "lock", "unlock", "trim", "pageout"]


def editing_run(Run):
    """Line editing, history, completion, help, unknown commands."""
    def help_all(s, out):
        for c in ALL_COMMANDS:
            need(any(l.startswith("  %s " % c) for l in out), "help does not list %r" % c)

    def ran_mem(s, out):
        has(out, "physical memory (page frames of 4 KiB):", "commit charge")

    def unknown(s, out):
        has(out, "unknown command 'frob' (type 'help' for the list)")

    steps = [
        ("help", help_all),
        ("frob", unknown),
        ("mex\x7fm", ran_mem),                          # Delete erases the x
        ("\x1b[A", ran_mem),                            # Up: the last line again
        ("\x1b[A\x1b[A", unknown),                      # two back: frob
        ("\x1b[A\x1b[A\x1b[A\x1b[B", ran_mem),        # frob, mem, frob, then forward: mem
        ("\x1bOA", ran_mem),                            # Up as ESC O A
        ("ticks\x15help pte", lambda s, o: has(o, "pte ADDR", "walk CR3 -> PDE -> PTE")),
        ("ti\x08\x08help vmmap", lambda s, o: has(o, "vmmap [kernel] [-a] [-m]")),
        ("vmm\t-a", lambda s, o: has(o, "scratch process (CR3", "Free")),
        ("help nosuch", lambda s, o: has(o, "no command 'nosuch'")),
        ("reserve", lambda s, o: has(o, "usage: reserve SIZE [ADDR [PROT]]")),
        ("reserve 64K 90000000", lambda s, o: has(o, "is in the kernel half")),
        ("commit zz 4K", lambda s, o: has(o, "usage: commit ADDR SIZE [PROT]")),
        ("protect 10000 4K READWRITE|BOGUS", lambda s, o: has(o, "usage: protect ADDR SIZE PROT")),
        ("ticks", lambda s, o: grab(o, r"^\d+ timer ticks \(1000 Hz\)")),
        ("   ", None),                                  # blank: nothing
    ]
    return session_run(Run, "console-editing", steps)


def vm_run(Run):
    """reserve / commit / decommit / release / protect against query and vmmap."""
    v = {}
    FREE_ALL = [(0, 0x7FFF0000, "free", 1, 0, "free", 0)]

    def start(s, out):
        rows = vmmap_rows(out)
        check_tiling(rows, 0, 0x7FFEFFFF)
        expect_regions(rows, FREE_ALL)

    def mem0(s, out):
        v["charge0"] = mem_charge(out)

    def reserved(s, out):
        has(out, "STATUS_SUCCESS", "reserved 0x10000000-0x1000ffff (0x10000 bytes)")

    def committed(s, out):
        a, b = charge(out)
        need(b - a == 2, "commit charge %d -> %d: expected +2 (the page and its page table)" % (a, b))

    def final_map(s, out):
        rows = vmmap_rows(out)
        check_tiling(rows, 0, 0x7FFEFFFF)
        expect_regions(rows, [
            (0x00000000, 0x10000000, "free", 0x1, 0, "free", 0),
            (0x10000000, 0x1000, "commit", 0x4, 0x10000000, "private", 0),
            (0x10001000, 0x1000, "reserve", 0x0, 0x10000000, "private", 0),
            (0x10002000, 0x2000, "commit", 0x2, 0x10000000, "private", 0),
            (0x10004000, 0xC000, "reserve", 0x0, 0x10000000, "private", 0),
            (0x10010000, 0x6FFE0000, "free", 0x1, 0, "free", 0)])
        need(all(int(r["allocprotect"], 16) == 4 for r in rows if r["state"] != "free"),
             "allocation protection is not READWRITE everywhere")

    def text_map(s, out):
        grab(out, r"^10000000\s+4K\s+Commit\s+READWRITE\s+10000000\s+READWRITE\s+Private Data\s+0K")
        grab(out, r"^10002000\s+8K\s+Commit\s+READONLY\s+10000000\s+READWRITE\s+Private Data")
        grab(out, r"^10004000\s+48K\s+Reserve\s+-\s+10000000\s+READWRITE\s+Private Data")
        grab(out, r"^Private Data\s+64K\s+12K\s+0K\s+4$")
        has(out, "summary: 1 allocation, 4 regions in use, 2 free gaps")

    def decommitted(s, out):
        a, b = charge(out)
        need(b - a == -1, "decommit of one page: charge %d -> %d" % (a, b))

    def released(s, out):
        a, b = charge(out)
        need(b == v["charge0"], "charge after release %d, before the reserve %d" % (b, v["charge0"]))

    steps = [
        ("vmmap -m", start),
        ("mem", mem0),
        ("reserve 64K 10000000", reserved),
        ("reserve 4K 10008000", lambda s, o: has(o, "STATUS_CONFLICTING_ADDRESSES")),
        ("query 10000000", lambda s, o: expect_query(o, BaseAddress=0x10000000, AllocationBase=0x10000000,
                                                     AllocationProtect=4, RegionSize=0x10000,
                                                     State=0x2000, Protect=0, Type=0x20000)),
        ("commit 10000000 4K", committed),
        ("commit 10020000 4K", lambda s, o: has(o, "STATUS_CONFLICTING_ADDRESSES")),
        ("query 10000000", lambda s, o: expect_query(o, BaseAddress=0x10000000, RegionSize=0x1000,
                                                     State=0x1000, Protect=4, Type=0x20000)),
        ("query 10001234", lambda s, o: expect_query(o, BaseAddress=0x10001000, AllocationBase=0x10000000,
                                                     RegionSize=0xF000, State=0x2000, Protect=0)),
        ("commit 10002000 8K READONLY", lambda s, o: has(o, "STATUS_SUCCESS", "(2 pages)")),
        ("vmmap -m", final_map),
        ("vmmap", text_map),
        ("vmmap -a", lambda s, o: grab(o, r"^10010000\s+1,834,880K\s+Free")),
        ("protect 10002000 4K rw", lambda s, o: has(o, "old protection 0x2 READONLY")),
        ("query 10002000", lambda s, o: expect_query(o, RegionSize=0x1000, Protect=4)),
        ("protect 10001000 4K rw", lambda s, o: has(o, "STATUS_NOT_COMMITTED")),
        ("protect 10000000 4K 0x999", lambda s, o: has(o, "STATUS_INVALID_PAGE_PROTECTION")),
        ("decommit 10000000 4K", decommitted),
        ("query 10000000", lambda s, o: expect_query(o, RegionSize=0x2000, State=0x2000)),
        ("release 10001000", lambda s, o: has(o, "STATUS_FREE_VM_NOT_AT_BASE")),
        ("release 10000000", released),
        ("query 10000000", lambda s, o: expect_query(o, BaseAddress=0x10000000, AllocationBase=0,
                                                     State=0x10000, Protect=1, Type=0)),
        ("vmmap -m", start),
        ("mem", lambda s, o: need(mem_charge(o) == v["charge0"], "charge %d, started at %d"
                                  % (mem_charge(o), v["charge0"]))),
        ("reserve 1M", lambda s, o: has(o, "reserved 0x00010000-0x0010ffff")),
        ("reset", lambda s, o: has(o, "scratch process replaced")),
        ("vmmap -m", start),
    ]
    return session_run(Run, "console-vm", steps)


def pte_run(Run, qmp_human, pae=True):
    """pte and touch, with every walk compared with QEMU's own view; in
    the PAE format (the default), or with pae=False in the legacy one
    (booted with paging=legacy): entries 8 or 16 hex digits, NX on every
    present user entry that is not executable, the self-map at 0xC0600000
    or 0xC0300000."""
    v = {}
    nx = NX if pae else 0

    def entry(value):
        return "%0*x" % (16 if pae else 8, value)

    def pte_check(va, want=None):
        def check(s, out):
            _, _, _, pte = pte_values(out)
            if want is not None:
                w = want(v) if callable(want) else want
                need(pte == w, "PTE 0x%08x, expected 0x%08x" % (pte, w))
            qemu_check_pte(s, out, va, qmp_human)
        return check

    def stats0(s, out):
        v["dz"] = int(grab(out, r"demand-zero \(resolved: a zeroed frame mapped\)\s+(\d+)"))
        v["guard"] = int(grab(out, r"guard page \(STATUS_GUARD_PAGE_VIOLATION\)\s+(\d+)"))
        v["av"] = int(grab(out, r"access violation \(STATUS_ACCESS_VIOLATION\)\s+(\d+)"))

    def stats1(s, out):
        dz = int(grab(out, r"demand-zero \(resolved: a zeroed frame mapped\)\s+(\d+)"))
        guard = int(grab(out, r"guard page \(STATUS_GUARD_PAGE_VIOLATION\)\s+(\d+)"))
        av = int(grab(out, r"access violation \(STATUS_ACCESS_VIOLATION\)\s+(\d+)"))
        need((dz - v["dz"], guard - v["guard"], av - v["av"]) == (3, 1, 4),
             "faults by kind changed by %r, expected (3 demand-zero, 1 guard, 4 AV)"
             % ((dz - v["dz"], guard - v["guard"], av - v["av"]),))

    def soft(s, out):
        has(out, "protection index (bits 1-3)=3 READWRITE", "guard (bit 4)=0", "committed (bit 10)=1",
            "frame held (bit 11)=0", "VM state: committed, demand-zero, READWRITE")

    def first_touch(s, out):
        has(out, "entry before: 0x%s" % entry(0x406), "error 0x2 (P=0 not present, W/R=1 write, U/S=0 supervisor)")
        frame = int(grab(out, r"handled: demand-zero fault: frame 0x([0-9a-f]{8,})"), 16)
        after = int(grab(out, r"entry after:  0x([0-9a-f]+)"), 16)
        need(after == frame | 0x667 | nx, "entry after 0x%x, expected frame|0x667 (P RW US A D, index 3)%s"
             % (after, " | NX" if pae else ""))
        v["frame"] = frame

    def read_touch(s, out):
        has(out, "error 0x0 (P=0 not present, W/R=0 read")
        frame = int(grab(out, r"handled: demand-zero fault: frame 0x([0-9a-f]{8,})"), 16)
        after = int(grab(out, r"entry after:  0x([0-9a-f]+)"), 16)
        need(after == frame | 0x627 | nx, "entry after a read 0x%x, expected frame|0x627 (A, no D)" % after)
        v["frame2"] = frame

    def ro_violation(s, out):
        has(out, "error 0x3 (P=1 protection, W/R=1 write", "a write to a page that is not writable",
            "ExceptionCode 0xc0000005 STATUS_ACCESS_VIOLATION",
            "ExceptionInformation[0] = 1 (write), [1] = 0x10000000")

    def reserved_violation(s, out):
        has(out, "entry before: 0x%s  reserved, not committed" % entry(0),
            "not resolved: the page is reserved but not committed",
            "ExceptionInformation[0] = 0 (read), [1] = 0x10002000")

    def guard_hit(s, out):
        has(out, "entry before: 0x%s  committed, guard, demand-zero, READWRITE|GUARD" % entry(0x416),
            "not resolved: a guard page", "ExceptionCode 0x80000001 STATUS_GUARD_PAGE_VIOLATION",
            "entry after:  0x%s  committed, demand-zero, READWRITE" % entry(0x406))

    def tlb0(s, out):
        v["invlpg"] = int(grab(out, r"INVLPG \(one page\)\s+(\d+)"))

    def tlb1(s, out):
        n = int(grab(out, r"INVLPG \(one page\)\s+(\d+)"))
        need(n > v["invlpg"], "INVLPG count %d did not grow from %d after protect" % (n, v["invlpg"]))

    steps = [
        ("stats", stats0),
        ("reserve 64K 10000000", None),
        ("commit 10000000 8K", None),
        ("pte 10000000", lambda s, o: (soft(s, o), pte_check(0x10000000, 0x406)(s, o))),
        ("touch 10000000 w", first_touch),
        ("pte 10000000", pte_check(0x10000000, lambda v: v["frame"] | 0x667 | nx)),
        ("touch 10001000", read_touch),
        ("pte 10001000", pte_check(0x10001000, lambda v: v["frame2"] | 0x627 | nx)),
        ("tlb", tlb0),
        ("protect 10000000 4K READONLY", lambda s, o: has(o, "old protection 0x4 READWRITE")),
        ("tlb", tlb1),
        ("pte 10000000", pte_check(0x10000000)),
        ("touch 10000000 w", ro_violation),
        ("poke 10000000 1", lambda s, o: has(o, "nothing written", "STATUS_ACCESS_VIOLATION")),
        ("touch 10002000", reserved_violation),
        ("pte 10002000", pte_check(0x10002000, 0)),
        ("commit 10003000 4K rw|guard", None),
        ("pte 10003000", lambda s, o: (has(o, "guard (bit 4)=1"), pte_check(0x10003000, 0x416)(s, o))),
        ("touch 10003000 w", guard_hit),
        ("touch 10003000 w", lambda s, o: has(o, "handled: demand-zero fault")),
        ("touch 0", lambda s, o: has(o, "the NULL guard", "STATUS_ACCESS_VIOLATION")),
        ("poke 10001000 0x41424344", lambda s, o: has(o, "reads back 44 43 42 41")),
        ("peek 10001000 8", lambda s, o: grab(o, r"^  10001000  44 43 42 41 00 00 00 00\s+DCBA\.\.\.\.")),
        ("pte kmain", pte_check(0)),        # va filled in below
        ("pte c4800000", pte_check(0xC4800000)),
        ("pte c0600000" if pae else "pte c0300000",
         lambda s, o: (has(o, "the self-map", "PDPTE" if pae else "PDE"),
                       need(is_pae(o) == pae, "the pte output's format"),
                       pte_check(0xC0600000 if pae else 0xC0300000)(s, o))),
        ("stats", stats1),
    ]

    # `pte kmain`: the address comes from the output itself.
    def kmain_check(s, out):
        va = int(grab(out, r"^pte 0x([0-9a-f]{8}): the kernel image"), 16)
        _, _, _, pte = pte_values(out)
        need(pte & 0x103 == 0x101, "kmain's page 0x%08x: expected present, read-only, global" % pte)
        qemu_check_pte(s, out, va, qmp_human)
    steps = [(k, kmain_check) if k == "pte kmain" else (k, c) for k, c in steps]

    def extra(s, run):
        n = len(s.vars.get("qemu_checked", []))
        return [] if n == 9 else ["%d pte outputs were checked against QEMU, expected 9" % n]
    return session_run(Run, "console-pte-vs-qemu" + ("" if pae else "+legacy"), steps,
                       extra_expect=extra, qmp=True, append=None if pae else "paging=legacy")


def heap_run(Run):
    """heapcreate / heapalloc / heapfree / heap / heap -m / vmmap kernel."""
    v = {}

    def created(s, out):
        v["h"] = int(grab(out, r"HeapCreate\(0, 0x0, 0x0\) -> 0x([0-9a-f]{8}) \(private #1\)"), 16)

    def allocated(s, out):
        v["a"] = [int(x, 16) for x in re.findall(r"-> 0x([0-9a-f]{8})", "\n".join(out))]
        need(len(v["a"]) == 3 and v["a"] == sorted(v["a"]), "three increasing blocks, got %r" % v["a"])

    def walked(s, out):
        has(out, "2 busy blocks holding 200 bytes", "heap_check: 0 broken invariants")
        grab(out, r"^fragmentation: \d+\.\d%")

    def machine(s, out):
        e = heap_entries(out)
        need(e and e[0]["kind"] == "region" and int(e[0]["addr"], 16) == v["h"], "first entry %r" % e[:1])
        busy = [int(x["addr"], 16) for x in e if x["kind"] == "busy"]
        need(busy == [v["a"][0], v["a"][2]], "busy entries %r, expected %r" % (busy, [v["a"][0], v["a"][2]]))
        need(all(int(x["size"], 16) == 100 for x in e if x["kind"] == "busy"), "busy sizes %r" % e)
        need(any(x["kind"] == "free" and int(x["addr"], 16) == v["a"][1] for x in e),
             "no free entry at the freed block 0x%08x" % v["a"][1])
        need(grab(out, r"^heapmap-end entries=(\d+)") == str(len(e)), "entry count")

    def kernel_map(s, out):
        rows = vmmap_rows(out)
        check_tiling(rows, 0xC4800000, 0xFFBFFFFF)
        mine = [r for r in rows if int(r["allocbase"], 16) == v["h"]]
        need(mine and all(r["type"] == "heap" and r["details"] == "private #1, segment 0" for r in mine),
             "the private heap's rows: %r" % mine)
        need(any(r["details"] == "kernel heap (malloc), segment 0" for r in rows), "no kernel heap row")
        need(sum(int(r["size"], 16) for r in mine) == 0x100000, "private heap reserves 1 MiB")

    def listed(s, out):
        grab(out, r"^1  0x%08x  private #1\s+1,024K\s+\S+\s+200\s+2\s" % v["h"])

    def gone(s, out):
        rows = vmmap_rows(out)
        need(not any(int(r["allocbase"], 16) == v["h"] for r in rows), "the heap's reservation is still there")

    steps = [
        ("heap", lambda s, o: grab(o, r"^0  0x[0-9a-f]{8}  kernel heap \(malloc\)")),
        ("heapcreate", created),
        ("heapalloc #1 100 3", allocated),
        ("heapfree #1 $a2", lambda s, o: has(o, "-> TRUE")),
        ("heapfree #1 $a2", lambda s, o: has(o, "-> FALSE, 0xc000000d STATUS_INVALID_PARAMETER")),
        ("heap #1", walked),
        ("heap -m #1", machine),
        ("vmmap kernel -m", kernel_map),
        ("vmmap kernel", lambda s, o: has(o, "Heap", "private #1, segment 0")),
        ("heap", listed),
        ("heapfree k 12345678", lambda s, o: has(o, "is not a live block of the kernel heap")),
        ("heapalloc #7 8", lambda s, o: has(o, "no heap #7")),
        ("heapdestroy #1", lambda s, o: has(o, "HeapDestroy(0x")),
        ("heap", lambda s, o: need(not any("private #1" in l for l in o), "private #1 still listed")),
        ("vmmap kernel -m", gone),
    ]
    s = Session(steps)
    # $a2: the second block, known only once the script runs.
    orig = s.next

    def next_with_vars(send):
        if s.i + 1 < len(s.steps) and "$a2" in s.steps[s.i + 1][0]:
            k, c = s.steps[s.i + 1]
            s.steps[s.i + 1] = (k.replace("$a2", "%08x" % v["a"][1]), c)
        orig(send)
    s.next = next_with_vars
    return Run("console-heap", interact=s.interact, expect=s.expect, timeout=90)


def run_demo_run(Run, build):
    """run NAME with user programs as modules, and the whole demo."""
    user = os.path.join(build, "user")
    progs = [os.path.join(user, p + ".elf") for p in ("hello", "ucrash_av", "demo_new")
             if os.path.exists(os.path.join(user, p + ".elf"))]
    v = {}

    def demo(s, out):
        for n in range(1, 12):
            has(out, "== Step %d/11: " % n)
        # Step 6 (issue 19): trimmed -> transition -> soft fault; paged out
        # -> the slot pte names is the slot the hard fault reads; the bytes
        # written in step 3 come back.
        has(out, "committed, transition: frame 0x", "handled: soft fault: frame 0x")
        slot = grab(out, r"VM state: committed, in the page file: slot (\d+)")
        has(out, "handled: hard fault: page-file slot %s read into frame" % slot)
        grab(out, r"^  [0-9a-f]{8}  48 65 6c 6c 6f 20 66 72", "the bytes after the hard fault")
        has(out, "handled: demand-zero fault", "STATUS_GUARD_PAGE_VIOLATION",
            "not resolved: the page is reserved but not committed",
            "a write to a page that is not writable", "HeapCreate(0, 0, 0) -> 0x",
            "malloc(24) -> 0x", "_msize(p) = 24", "[8-byte heap header][03 00 00 00 = the cookie]",
            "HeapValidate(arr) = FALSE", "delete[] reads the cookie", "~Widget() #2",
            "caught: the heap checks the header", "HeapValidate(heap, 0, NULL) = TRUE",
            "demo complete.")
        grab(out, r"-> FALSE, 0xc000000d STATUS_INVALID_PARAMETER")
        grab(out, r"^  [0-9a-f]{8}  ([0-9a-f]{2} ){7}[0-9a-f]{2}-03 00 00 00")
        a, b = grab(out, r"^commit charge (\d+) pages \((\d+) before the demo\)")
        need(a == b, "commit charge %s after the demo, %s before" % (a, b))
        need(sum(1 for l in out if l.startswith("-- Enter: next step")) == 11, "11 pauses")

    steps = [
        ("run", lambda s, o: has(o, "loaded programs:", "  hello (")),
        ("run hello", lambda s, o: has(o, "hello from ring 3", "hello exited with 0x00000000 STATUS_SUCCESS")),
        ("run ucrash_av", lambda s, o: has(o, "exited with 0xc0000005 STATUS_ACCESS_VIOLATION")),
        ("run nope", lambda s, o: has(o, "no program named 'nope'")),
        ("mem", lambda s, o: v.setdefault("charge", mem_charge(o))),
        ("demo" + "\r" * 11, demo),
        ("mem", lambda s, o: need(mem_charge(o) == v["charge"], "commit charge %d after the demo, %d "
                                  "before" % (mem_charge(o), v["charge"]))),
        ("vmmap -m", lambda s, o: expect_regions(vmmap_rows(o), [(0, 0x7FFF0000, "free", 1, 0, "free", 0)])),
        ("heap", lambda s, o: need(not any("demo private heap" in l for l in o), "the demo's heap is left")),
        ("demo\r\rq", lambda s, o: has(o, "== Step 1/11", "demo stopped; cleaning up",
                                      "VirtualFree(base, 0, MEM_RELEASE) -> 0x00000000 STATUS_SUCCESS")),
        ("vmmap -m", lambda s, o: expect_regions(vmmap_rows(o), [(0, 0x7FFF0000, "free", 1, 0, "free", 0)])),
    ]
    return session_run(Run, "console-run-and-demo", steps, initrd=progs, timeout=120)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def gdb_run(Run, build):
    """The gdb helpers (tools/gdb/winmm.py) attached to the idle console
    agree with the console about a PTE, a reservation and a heap."""
    port = free_port()
    kernel = os.path.join(build, "kernel.elf")
    v = {}

    def gdb(s, out):
        cmd = ["gdb", "-q", "-nx", "-batch", "-ex", "set architecture i386",
               "-x", os.path.join(ROOT, "tools", "gdb", "winmm.py"),
               "-ex", "target remote 127.0.0.1:%d" % port,
               "-ex", "pte 0x10000000", "-ex", "vmmap", "-ex", "heapwalk 0x%08x" % v["h"], kernel]
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        text = res.stdout.decode("utf-8", "replace")
        with open(os.path.join(build, "logs", "console-gdb.gdb.log"), "w") as f:
            f.write(text)
        lines = text.splitlines()
        window, digits = (0xc0080000, 16) if v["pae"] else (0xc0040000, 8)
        has(lines, "PTE 0x000 at 0x%08x (PA 0x%08x) = 0x%0*x" % (window, v["pte_pa"], digits, v["pte"]),
            "VM state: committed, resident, READWRITE",
            "      0x10000000-0x10000fff committed, resident, READWRITE",
            "      0x10001000-0x10001fff committed, demand-zero, READWRITE",
            "      0x10002000-0x1000ffff not committed (reserved or free)",
            "42 busy (1800 bytes requested)")
        grab(lines, r"^0x10000000 0x10010000 READWRITE\s+2$")
        for a in v["blocks"]:
            has(lines, "  0x%08x       112 bytes  busy, 100 requested" % a)
        # the 40-byte blocks past the front end's activation, decoded from
        # their subsegment
        sub = grab(lines, r"LFH subsegment, class \d+: 48-byte blocks, \d+ of \d+ carved, (\d+) busy \((\d+) bytes")
        need(int(sub[0]) > 0 and int(sub[1]) == 40 * int(sub[0]), "subsegment line %r" % (sub,))

    def pte(s, out):
        _, _, v["pte_pa"], v["pte"] = pte_values(out)
        v["pae"] = is_pae(out)

    steps = [
        ("reserve 64K 10000000", None),
        ("commit 10000000 8K", None),
        ("touch 10000000 w", None),
        ("pte 10000000", pte),
        ("heapcreate", lambda s, o: v.setdefault("h", int(grab(o, r"-> 0x([0-9a-f]{8})"), 16))),
        ("heapalloc #1 100 2", lambda s, o: v.setdefault(
            "blocks", [int(x, 16) for x in re.findall(r"-> 0x([0-9a-f]{8})", "\n".join(o))])),
        ("heapalloc #1 40 40", None),
        ("ticks", gdb),
        ("ticks", lambda s, o: grab(o, r"timer ticks")),     # the kernel runs on after gdb left
    ]
    return session_run(Run, "console-gdb-helpers", steps,
                       extra=["-gdb", "tcp:127.0.0.1:%d" % port])


# ---- the SVG renderer -----------------------------------------------------------

def load_renderer():
    spec = importlib.util.spec_from_file_location("vmmap_svg", os.path.join(ROOT, "tools", "vmmap_svg.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SVG_NS = "{http://www.w3.org/2000/svg}"

# tests/data/vmmap-fixed.txt: the scratch process of tools/vmmap-scene.txt.
FIXED_SCRATCH = [
    (0x00000000, 0x10000000, "free"), (0x10000000, 0x4000, "commit"), (0x10004000, 0x1000, "guard"),
    (0x10005000, 0xEB000, "reserve"), (0x100F0000, 0x10000, "commit"), (0x10100000, 0xFF00000, "free"),
    (0x20000000, 0x3E000, "reserve"), (0x2003E000, 0x1000, "guard"), (0x2003F000, 0x1000, "commit"),
    (0x20040000, 0x5FFB0000, "free")]
FIXED_HEAP_KINDS = ["region", "busy", "free", "busy", "busy", "busy", "free", "busy", "free", "busy",
                    "busy", "free", "uncommitted", "large"]
STATE_FILL = {"free": "#d9d9d9", "reserve": "#f2c14e", "commit": "#4caf50", "guard": "#e53935"}
KIND_FILL = {"region": "#8d8d8d", "busy": "#1e88e5", "free": "#a5d6a7", "uncommitted": "#f4f4f4",
             "large": "#7e57c2"}


def svg_rects(svg_text, cls):
    root = ET.fromstring(svg_text)             # well-formed XML, or this raises
    need(root.tag == SVG_NS + "svg", "root element %r" % root.tag)
    return [r for r in root.iter(SVG_NS + "rect") if cls in r.get("class", "").split()]


def check_fixed_svg(mod):
    text = open(os.path.join(HERE, "data", "vmmap-fixed.txt")).read()
    svg = mod.render(text)
    regions = svg_rects(svg, "region")
    need(len(regions) == len(FIXED_SCRATCH) + 7, "%d region rectangles, expected %d (scratch) + 7 "
         "(kernel)" % (len(regions), len(FIXED_SCRATCH) + 7))
    got = [(int(r.get("data-base"), 16), int(r.get("data-size"), 16), r.get("data-state"))
           for r in regions[:len(FIXED_SCRATCH)]]
    need(got == FIXED_SCRATCH, "scratch rectangles %r" % got)
    for r in regions:
        state = r.get("data-state")
        need(r.get("fill") == STATE_FILL[state], "a %s rectangle filled %s" % (state, r.get("fill")))
        pages = int(r.get("data-size"), 16) // 4096
        h = float(r.get("height"))
        need(abs(h - (14 + 4.5 * math.log2(pages))) < 0.11, "height %.1f for %d pages: not the log "
             "axis" % (h, pages))
    need(len(set(STATE_FILL.values())) == 4, "the four states share a colour")
    ys = [float(r.get("y")) for r in regions[:len(FIXED_SCRATCH)]]
    need(ys == sorted(ys), "scratch regions not in address order top to bottom")
    resident = svg_rects(svg, "resident")
    need([int(r.get("data-pages")) for r in resident][:2] == [2, 1], "resident strips %r" %
         [(r.get("data-base"), r.get("data-pages")) for r in resident])
    blocks = svg_rects(svg, "block")
    kinds = [b.get("data-kind") for b in blocks]
    need(kinds == FIXED_HEAP_KINDS, "heap blocks %r" % kinds)
    for b in blocks:
        need(b.get("fill") == KIND_FILL[b.get("data-kind")], "a %s block filled %s" % (
            b.get("data-kind"), b.get("fill")))
    legend = {r.get("data-key") for r in svg_rects(svg, "legend")}
    need({"free", "reserve", "commit", "guard", "busy", "heapfree", "uncommitted"} <= legend, "legend %r" % legend)


def svg_run(Run, build):
    """The renderer on the fixed dump, and on a dump taken from a live console."""
    captured = []

    def keep(s, out):
        captured.extend(out)

    steps = [
        ("reserve 64K 10000000", None),
        ("commit 10000000 4K", None),
        ("commit 10001000 4K rw|guard", None),
        ("touch 10000000 w", None),
        ("vmmap -m", keep),
        ("heapcreate", None),
        ("heapalloc #1 64 2", None),
        ("heap -m #1", keep),
    ]

    def extra(s, run):
        problems = []
        try:
            mod = load_renderer()
        except Exception as e:
            return ["tools/vmmap_svg.py does not load: %r" % e]
        try:
            check_fixed_svg(mod)
        except (Problem, ET.ParseError, KeyError, ValueError) as e:
            problems.append("fixed dump: %s" % e)
        try:
            svg = mod.render("\n".join(captured))
            with open(os.path.join(build, "logs", "console-svg.svg"), "w") as f:
                f.write(svg)
            rows = vmmap_rows(captured)
            regions = svg_rects(svg, "region")
            need(len(regions) == len(rows) == 5, "%d rectangles for %d regions" % (len(regions), len(rows)))
            need([r.get("data-state") for r in regions] == ["free", "commit", "guard", "reserve", "free"],
                 "live states %r" % [r.get("data-state") for r in regions])
            need(len(svg_rects(svg, "block")) == len(heap_entries(captured)), "heap blocks")
        except (Problem, ET.ParseError, KeyError, ValueError) as e:
            problems.append("live dump: %s" % e)
        return problems
    return session_run(Run, "console-vmmap-svg", steps, extra_expect=extra)


def runs(build, Run, qmp_human):
    """Every console run (Run and qmp_human come from tests/harness.py)."""
    import console_line_edit
    import console_ws
    out = [editing_run(Run), console_line_edit.line_editor_run(Run), vm_run(Run), pte_run(Run, qmp_human), heap_run(Run),
           run_demo_run(Run, build), svg_run(Run, build), console_ws.ws_run(Run, qmp_human)]
    if shutil.which("gdb"):
        out.append(gdb_run(Run, build))
    else:
        print("harness: gdb not installed: the gdb helpers' check is left out (apt-get install gdb)")
    return out
