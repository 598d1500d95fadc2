#!/usr/bin/env python3
"""Host test harness: boots the test kernels in QEMU, reads their KTAP
output over the serial port and prints one total, "N passed, N failed",
as its last line.  Exit status 0 only on a clean pass.

Each *run* is one QEMU boot.  A run passes only when QEMU exits with
status 33 (isa-debug-exit value 0x10) and the serial log ends with the
kernel's "N passed, 0 failed" line.  Anything else is classified:

  35            the guest reported failures (or panicked: "KERNEL PANIC")
  124, 137      hang (killed by the timeout)
  0             reset or triple fault (-no-reboot; see the QEMU log)
  1             QEMU error or an unloadable kernel

Logs stay in BUILD/logs/RUN.serial and RUN.qemu.log.  Each log is one
KTAP document (a boot that runs several suites or programs nests them as
subtests); after the boots every log but the deliberate failures is
checked to be well formed (tests/ktap_check.py: prove -e cat, and the
nesting), one case per log.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

import ktap_check

QEMU = "qemu-system-i386"
RC_PASS, RC_FAIL = 33, 35
# The page file's disk (issue 19): every boot gets a raw image of its own
# (QEMU locks an image against a second writer), this size unless the run
# says otherwise (--pagefile-mb; make test PAGEFILE_MB=N).
PAGEFILE_KB = 64 * 1024
# A test case: a result line of a named subtest ("# Subtest: NAME", a suite
# in KUnit's terms), at any depth.  The top level lists suites (or programs),
# and so does a program's own document, which has no name (utest.h).
CASE_RE = re.compile(r"^(ok|not ok) (\d+) (\S+)(?:\s+#\s*(SKIP)\b.*)?$")
SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")


class Run:
    """One QEMU boot and what came of it."""

    def __init__(self, name, append=None, mem="128M", timeout=120, iso=None,
                 interact=None, expect=None, qmp=False, extra=(), initrd=(), deliberate=False,
                 smp=None, disk_kb=None):
        self.name = name
        self.smp = smp                # "-smp" value: several CPUs under multi-threaded TCG
        self.disk_kb = disk_kb        # the page file's image; None: PAGEFILE_KB, 0: no disk
        self.append = append
        self.mem = mem
        self.timeout = timeout
        self.iso = iso
        self.interact = interact      # callable(run, line, send) for interactive runs
        self.expect = expect          # callable(run) -> list of problems, replaces the default verdict
        self.qmp = qmp
        self.extra = list(extra)
        self.initrd = list(initrd)     # user programs, as multiboot modules
        self.deliberate = deliberate  # fails or panics on purpose: its KTAP is cut short
        self.rc = None
        self.lines = []
        self.cases = []               # (suite, name, status, diagnostics)
        self.summary = None
        self.verdict = None
        self.problems = []
        self.seconds = 0.0
        self.first_ktap = None
        self.qmp_socket = None
        self.qmp_summary = None


def qemu_command(run, build):
    logs = os.path.join(build, "logs")
    # One CPU unless the run asks for more; several CPUs run in parallel
    # host threads (MTTCG), which -icount cannot (qemu-method.md 7).
    accel = ["-accel", "tcg,thread=multi", "-smp", run.smp] if run.smp else ["-accel", "tcg", "-smp", "1"]
    cmd = [QEMU, "-nodefaults", "-no-user-config", "-machine", "pc"] + accel + [
           "-cpu", "max", "-m", run.mem, "-display", "none", "-no-reboot",
           "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-d", "cpu_reset,guest_errors", "-D", os.path.join(logs, run.name + ".qemu.log")]
    if run.qmp:
        run.qmp_socket = os.path.join(logs, run.name + ".qmp")
        if os.path.exists(run.qmp_socket):
            os.unlink(run.qmp_socket)
        cmd += ["-qmp", "unix:%s,server=on,wait=off" % run.qmp_socket]
    disk_kb = PAGEFILE_KB if run.disk_kb is None else run.disk_kb
    if disk_kb:
        # Sparse, made afresh each boot; cache=unsafe: the guest's cache
        # flushes need not reach the host's disk (the Makefile says why).
        image = os.path.join(logs, run.name + ".pagefile.img")
        with open(image, "wb") as fh:
            fh.truncate(disk_kb * 1024)
        cmd += ["-drive", "file=%s,format=raw,if=ide,index=0,cache=unsafe,aio=io_uring" % image]
    if run.iso:
        cmd += ["-cdrom", run.iso]
    else:
        cmd += ["-kernel", os.path.join(build, "kernel.elf")]
        if run.append:
            cmd += ["-append", run.append]
        if run.initrd:
            cmd += ["-initrd", ",".join(run.initrd)]
    return cmd + run.extra


def boot(run, build):
    """Boots QEMU, streams the serial output into the log (and to the
    run's interaction hook), and waits for it to exit or time out."""
    logs = os.path.join(build, "logs")
    serial_path = os.path.join(logs, run.name + ".serial")
    start = time.monotonic()
    proc = subprocess.Popen(qemu_command(run, build), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def send(data):
        try:
            proc.stdin.write(data.encode())
            proc.stdin.flush()
        except OSError:
            pass

    def reader():
        with open(serial_path, "wb") as log:
            for raw in proc.stdout:
                log.write(raw)
                log.flush()
                line = raw.decode("utf-8", "replace").replace("\r", "").rstrip("\n")
                run.lines.append(line)
                if run.first_ktap is None and line.startswith("KTAP version 1"):
                    run.first_ktap = time.monotonic() - start
                if run.interact:
                    try:
                        run.interact(run, line, send)
                    except Exception as e:  # a broken check is a failure, not a crash
                        run.problems.append("interaction failed: %r" % (e,))
                        send_kill()

    def send_kill():
        try:
            proc.kill()
        except OSError:
            pass

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        run.rc = proc.wait(timeout=run.timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        run.rc = 124
    t.join(timeout=5)
    try:
        proc.stdin.close()
    except OSError:
        pass
    run.seconds = time.monotonic() - start
    parse_ktap(run)
    classify(run, build)
    return run


def parse_ktap(run):
    results, _ = ktap_check.parse(run.lines)
    for r in results:
        m = CASE_RE.match(r.text)
        if r.suite is not None and m:
            status = "skip" if m.group(4) else ("pass" if m.group(1) == "ok" else "fail")
            run.cases.append((r.suite, m.group(3), status, r.diags))
    for line in run.lines:
        m = SUMMARY_RE.match(line)
        if m:
            run.summary = tuple(int(g or 0) for g in m.groups())


def qemu_log_says_triple_fault(run, build):
    path = os.path.join(build, "logs", run.name + ".qemu.log")
    try:
        return "Triple fault" in open(path, errors="replace").read()
    except OSError:
        return False


def classify(run, build):
    panicked = any("KERNEL PANIC" in l for l in run.lines)
    if run.rc == RC_PASS:
        run.verdict = "pass"
    elif run.rc == RC_FAIL:
        run.verdict = "panic" if panicked else "guest failure"
    elif run.rc in (124, 137):
        run.verdict = "hang (timeout %ds)" % run.timeout
    elif run.rc == 0:
        run.verdict = ("triple fault" if qemu_log_says_triple_fault(run, build)
                       else "reset or unexpected exit")
    elif run.rc == 1:
        run.verdict = "QEMU error"
    else:
        run.verdict = "exit status %d" % run.rc
    if run.expect:
        run.problems += run.expect(run)
        return
    counted = count(run)
    if run.initrd:
        # The kernel prints no summary line for programs (it does not count
        # their cases), and each program's own is a diagnostic.
        if not run.cases and run.verdict == "pass":
            run.problems.append("no test ran")
        return
    if run.verdict == "pass":
        last = next((l for l in reversed(run.lines) if l.strip()), "")
        if not SUMMARY_RE.match(last):
            run.problems.append("exit status 33 but the log does not end with the summary line")
        elif run.summary[1] != 0:
            run.problems.append("exit status 33 but the kernel reported failures")
    if run.summary and (run.summary[0], run.summary[1]) != (counted[0], counted[1]):
        run.problems.append("kernel summary %r disagrees with the KTAP lines %r"
                            % (run.summary, counted))
    if not run.cases and run.verdict == "pass":
        run.problems.append("no test ran")


def count(run):
    p = sum(1 for c in run.cases if c[2] == "pass")
    f = sum(1 for c in run.cases if c[2] == "fail")
    s = sum(1 for c in run.cases if c[2] == "skip")
    return p, f, s


def run_totals(run):
    """What a run adds to the harness total: its cases, plus one failure
    when the run itself went wrong without a failing case to show it."""
    if run.expect:
        return (0, 1, 0) if run.problems else (1, 0, 0)
    p, f, s = count(run)
    failed_run = run.verdict != "pass" or run.problems
    if failed_run and f == 0:
        f += 1
    return p, f, s


def report(run):
    p, f, s = run_totals(run)
    ok = f == 0
    extra = " ktap@%.3fs" % run.first_ktap if run.first_ktap is not None else ""
    print("%s %-28s %-16s %3d passed %3d failed %3d skipped  %5.2fs%s"
          % ("PASS" if ok else "FAIL", run.name, run.verdict, p, f, s, run.seconds, extra))
    if ok:
        return
    for suite, name, status, diags in run.cases:
        if status == "fail":
            print("  not ok %s.%s" % (suite, name))
            for d in diags[-12:]:
                print("    " + d.strip())
    for problem in run.problems:
        print("  problem: " + problem)
    if run.verdict not in ("pass", "guest failure") or run.problems:
        print("  last 30 lines of the serial log:")
        for line in run.lines[-30:]:
            print("    | " + line)


# ---- the runs -------------------------------------------------------------

# Seconds a boot takes on a quiet 2-core machine, roughly; only the order
# of the boots depends on them.
EXPECTED_SECONDS = (("highmem", 15), ("pressure", 6), ("smp@2", 10), ("user-programs", 8), ("pager@", 6), ("uws@", 6),
                    ("smp@4", 5), ("user-smp", 4), ("user-heap-smp", 3), ("kernel@", 4), ("pmm+multiboot@3G", 4))


def expected_seconds(name):
    return next((s for prefix, s in EXPECTED_SECONDS if name.startswith(prefix)), 1)


def suite_runs(suites):
    """Kernel suite runs: everything at 128 MiB, and the memory-size
    sensitive suites again at 16 MiB and 3 GiB."""
    if suites is not None:
        # "user" names the user programs and "console" the console's runs,
        # not kernel suites.
        suites = ",".join(x for x in suites.split(",") if x not in ("user", "console")) or None
        if suites is None:
            return []
    sel = suites or "all"
    runs = [Run("kernel@128M", "test=%s mem_mb=128" % sel, mem="128M")]
    # Issue 19's pager: commits beyond RAM on a small machine (its cases
    # skip at 128 MiB), in both page-table formats.
    # The ws suite's pressure case (the trimmer and the maximum working
    # set) runs there too.
    small = [x for x in ("pager", "ws") if suites is None or x in suites.split(",")]
    if small:
        name = small[0]         # "pager@16M" whenever the pager suite is in it
        runs.append(Run("%s@16M" % name, "test=%s mem_mb=16" % ",".join(small), mem="16M"))
        runs.append(Run("%s@16M+legacy" % name, "test=%s mem_mb=16 paging=legacy"
                        % ",".join(small), mem="16M"))
    # The heap suites again with every heap standard (the kernel heap
    # included): the path without the low-fragmentation front end.
    heapish = [s for s in ("heap", "crt") if suites is None or s in suites.split(",")]
    if heapish:
        runs.append(Run("%s@nolfh" % "+".join(heapish),
                        "test=%s mem_mb=128 heap=nolfh" % ",".join(heapish), mem="128M"))
    sized = [s for s in ("pmm", "multiboot") if suites is None or s in suites.split(",")]
    if sized:
        for mb, mem in ((16, "16M"), (3072, "3G")):
            runs.append(Run("%s@%s" % ("+".join(sized), mem),
                            "test=%s mem_mb=%d" % (",".join(sized), mb), mem=mem))
    return runs


EXPECTED_EXIT = {
    "ucrash_av": "0xC0000005",          # STATUS_ACCESS_VIOLATION, no handler
    "ucrash_stack": "0xC00000FD",       # STATUS_STACK_OVERFLOW, no handler
    "ucrash_delete": "0xC0000374",      # STATUS_HEAP_CORRUPTION: delete of new[], no handler
    "ucrash_thread": "0xC0000005",      # an access violation in a second thread ends the process
}


def user_program_runs(build):
    """Every user program in BUILD/user (tests/user/*.c): each prints its
    own KTAP cases; the kernel adds an exit-status and a leak-check case
    per program.  Programs run in one boot, one after the other."""
    d = os.path.join(build, "user")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "user")
    # The sources say which programs exist (a stale .elf is not a test);
    # `make test` has built each of them (make user-programs).
    names = sorted(f[:-2] for f in os.listdir(src) if f.endswith(".c") and f != "utest.c")
    progs = [n + ".elf" for n in names]
    missing = [p for p in progs if not os.path.exists(os.path.join(d, p))]
    if missing:
        sys.exit("harness: user programs not built: %s (run make user-programs)" % " ".join(missing))
    if not progs:
        return []
    # Programs that must end by an unhandled exception, with its code as
    # their exit status; the programs after them must still run.
    names = ["%s:%s" % (n, EXPECTED_EXIT[n]) if n in EXPECTED_EXIT else n for n in names]
    # A 16 MiB page file: the programs that commit to the limit and touch
    # every page (ucommit) page out at most that much (the boot counts the
    # page file in the limit); the pressure boots below page for real.
    runs = [Run("user-programs", "run=%s mem_mb=128" % ",".join(names), timeout=300,
                initrd=[os.path.join(d, p) for p in progs], disk_kb=16 * 1024)]
    # Issue 19: uws again on a small machine, where its locked region
    # meets real pressure (RAM + 4 MiB committed and written): that case
    # must run and pass there (it skips on bigger machines).
    if "uws" in names:
        def uws_expect(run):
            problems = []
            if run.rc != RC_PASS:
                problems.append("boot ended with '%s' (rc %s)" % (run.verdict, run.rc))
            problems += ["%s.%s failed" % (c[0], c[1]) for c in run.cases if c[2] == "fail"]
            if not any(c[1] == "locked_region_survives_pressure" and c[2] == "pass" for c in run.cases):
                problems.append("locked_region_survives_pressure did not run and pass")
            return problems
        runs.append(Run("uws@16M", "run=uws mem_mb=16", mem="16M", timeout=120,
                        initrd=[os.path.join(d, "uws.elf")], expect=uws_expect))
    return runs


def pressure_runs(build):
    """Issue 19's pressure tests (tests/user/upressure*.c), on a 32 MiB
    machine with a 128 MiB page file: one process through 96 MiB three
    times, two processes of 40 MiB at once while a third keeps 4 MiB
    VirtualLocked and resident, and an injected in-page error that ends
    only its own process.  Each boot must run its pressure case, not skip
    it (elsewhere they skip)."""
    def must_run(case):
        def expect(run):
            problems = []
            if run.rc != RC_PASS:
                problems.append("boot ended with '%s' (rc %s)" % (run.verdict, run.rc))
            bad = [c for c in run.cases if c[2] == "fail"]
            problems += ["%s.%s failed" % (c[0], c[1]) for c in bad]
            if not any(c[1] == case and c[2] == "pass" for c in run.cases):
                problems.append("%s did not run and pass" % case)
            return problems
        return expect
    user = os.path.join(build, "user")
    worker = os.path.join(user, "upressure.elf")
    return [
        Run("pressure@32M", "run=upressure mem_mb=32", mem="32M", disk_kb=128 * 1024,
            timeout=120, initrd=[worker], expect=must_run("ninety_six_mib_on_a_32_mib_machine")),
        Run("pressure-pair@32M", "run=upressure_pair mem_mb=32", mem="32M", disk_kb=128 * 1024,
            timeout=120, initrd=[os.path.join(user, "upressure_pair.elf"), worker],
            expect=must_run("two_workers_at_once")),
        Run("pressure-inpage@32M", "run=upressure_inpage mem_mb=32", mem="32M",
            disk_kb=128 * 1024, timeout=120,
            initrd=[os.path.join(user, "upressure_inpage.elf"), worker],
            expect=must_run("in_page_error_kills_only_its_process")),
    ]


def selftest_check():
    """The harness must see exactly: 1 passed, 2 failed (the failing
    EXPECT and the panic), 1 skipped, and a failing exit; and
    tests/ktap_check.py must see that the panic cut the document short."""
    def expect(run):
        problems = []
        got = count(run)
        if got != (1, 2, 1):
            problems.append("selftest counted %d passed, %d failed, %d skipped; "
                            "expected 1, 2, 1" % got)
        if run.verdict != "panic":
            problems.append("selftest verdict '%s', expected 'panic'" % run.verdict)
        names = [c[1] for c in run.cases if c[2] == "fail"]
        if names != ["selftest_failing_expect", "selftest_panics"]:
            problems.append("failing cases %r" % names)
        if not any(l.startswith("backtrace:") for l in run.lines):
            problems.append("the panic printed no backtrace")
        if not ktap_check.parse(run.lines)[1]:
            problems.append("ktap_check found nothing wrong with the document the panic cut short")
        return problems
    return Run("harness-selftest", "test=selftest", expect=expect, deliberate=True)


def iso_smoke(build):
    """Boots the real ISO through GRUB, checks the banner and memory map,
    then types 'halt' at the console."""
    def interact(run, line, send):
        if "console ready" in line:
            send("help\r")
            send("halt\r")

    def expect(run):
        problems = []
        text = "\n".join(run.lines)
        if run.rc != RC_PASS:
            problems.append("ISO boot ended with '%s' (rc %s)" % (run.verdict, run.rc))
        for needle in ("winmm-x86", "memory map (multiboot):", "available:", "console ready",
                       "halting"):
            if needle not in text:
                problems.append("ISO boot log lacks %r" % needle)
        return problems
    return Run("iso-smoke", iso=os.path.join(build, "kernel.iso"), interact=interact,
               expect=expect, timeout=60)


def qmp_human(sock_path, commands, timeout=10.0):
    """Runs HMP commands through QMP's human-monitor-command; returns
    their text outputs (qemu-method.md section 5)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    f = s.makefile("rwb")

    def reply():
        while True:
            msg = json.loads(f.readline())
            if "event" in msg or "QMP" in msg:
                continue
            if "error" in msg:
                raise RuntimeError("QMP error: %r" % msg["error"])
            return msg["return"]

    def execute(cmd, args=None):
        req = {"execute": cmd}
        if args:
            req["arguments"] = args
        f.write((json.dumps(req) + "\n").encode())
        f.flush()
        return reply()

    execute("qmp_capabilities")
    out = [execute("human-monitor-command", {"command-line": c}) for c in commands]
    s.close()
    return out


def mask_tlb_line(line):
    """info tlb flags are XGPDACTUW; Accessed and Dirty change under us."""
    addr, flags = line.rsplit(" ", 1)
    return addr + " " + flags[:3] + "--" + flags[5:]


def compare_views(kind, ours, qemus):
    problems = []
    only_ours = [l for l in ours if l not in set(qemus)]
    only_qemu = [l for l in qemus if l not in set(ours)]
    if only_ours or only_qemu or len(ours) != len(qemus):
        problems.append("info %s differs: kernel %d lines, QEMU %d lines" % (kind, len(ours), len(qemus)))
        for l in only_ours[:10]:
            problems.append("  only in the kernel's view: " + l)
        for l in only_qemu[:10]:
            problems.append("  only in QEMU's view:       " + l)
    return problems


def qmp_page_table_check():
    """The kernel prints its tables as QEMU's `info mem` and `info tlb`
    would, stops at READY-FOR-MONITOR, and we compare with what QEMU's own
    page walker says, then answer '1' (same) or '0' over the serial line."""
    def interact(run, line, send):
        if line != "READY-FOR-MONITOR":
            return
        mem, tlb = qmp_human(run.qmp_socket, ["info mem", "info tlb"])
        ours_mem = [l[len("qmpcheck mem "):] for l in run.lines if l.startswith("qmpcheck mem ")]
        ours_tlb = [mask_tlb_line(l[len("qmpcheck tlb "):]) for l in run.lines
                    if l.startswith("qmpcheck tlb ")]
        qemu_mem = [l.strip() for l in mem.splitlines() if l.strip()]
        qemu_tlb = [mask_tlb_line(l.strip()) for l in tlb.splitlines() if l.strip()]
        problems = compare_views("mem", ours_mem, qemu_mem) + compare_views("tlb", ours_tlb, qemu_tlb)
        if not ours_mem or not ours_tlb:
            problems.append("the kernel printed no view of its tables")
        run.problems += problems
        run.qmp_summary = "%d info-mem ranges, %d info-tlb pages" % (len(qemu_mem), len(qemu_tlb))
        send("0" if problems else "1")
    return Run("paging-vs-qemu-monitor", "test=paging qmp_check mem_mb=128", qmp=True,
               interact=interact)


def smp_runs(build):
    """The SMP boots (tests/kernel/test_smp.c): the smp suite on 2 CPUs
    found through the ACPI MADT and on 4 found through the MP table
    (acpi=off; one socket per CPU, as SeaBIOS lists one MP entry per
    package); a panic on CPU 1 that must stop CPU 0 and exit; and the
    lock-order check catching a deliberate inversion."""
    def banner(n, source):
        def expect(run):
            problems = []
            want = "cpus: %d found (%s;" % (n, source)
            line = next((l for l in run.lines if l.startswith("cpus: ")), None)
            if line is None or not line.startswith(want) or (" %d online" % n) not in line:
                problems.append("banner %r, expected %r with %d online" % (line, want, n))
            got = count(run)
            if run.verdict != "pass" or got[0] == 0 or got[1] != 0 or got[2] != 0:
                problems.append("smp suite: verdict %s, %d passed, %d failed, %d skipped"
                                % ((run.verdict,) + got))
            return problems
        return expect

    def panic_on(needles):
        def expect(run):
            text = "\n".join(run.lines)
            problems = [] if run.verdict == "panic" else ["verdict '%s', expected 'panic'" % run.verdict]
            problems += ["the report lacks %r" % n for n in needles if n not in text]
            return problems
        return expect

    return [
        Run("smp@2", "test=smp", smp="2", timeout=60, expect=banner(2, "ACPI MADT")),
        Run("smp@4-mptable", "test=smp acpi=off", smp="4,sockets=4,cores=1", timeout=60,
            expect=banner(4, "MP table")),
        # Ring 3 on 4 CPUs: the affinity calls and the user-space shootdown
        # proofs (tests/user/usmp.c), nothing skipped.
        Run("user-smp@4", "run=usmp mem_mb=128", smp="4,sockets=4,cores=1", timeout=60,
            initrd=[os.path.join(build, "user", "usmp.elf")], expect=banner(4, "ACPI MADT")),
        # The ring-3 heap stress (tests/user/uheap_mt.c) with a thread per
        # CPU, each through its own heap caches (issue 17 point 5).
        Run("user-heap-smp@4", "run=uheap_mt mem_mb=128", smp="4,sockets=4,cores=1", timeout=60,
            initrd=[os.path.join(build, "user", "uheap_mt.elf")], expect=banner(4, "ACPI MADT")),
        Run("smp-panic-on-cpu1", "test=smp_panic", smp="2", timeout=60, deliberate=True,
            expect=panic_on(["(cpu 1): smp_panic: deliberate panic on cpu 1", "backtrace:",
                             "do_panic_here", "KERNEL PANIC: exiting with failure status"])),
        # A thread that ends holding a fault catch (kernel/base/fault_catch.h).
        Run("catch-left-at-exit", "test=catch_misuse", timeout=60, deliberate=True,
            expect=panic_on(["ends holding fault catch", "catch_left_at_thread_exit"])),
        Run("lock-order-check", "test=lockorder", timeout=60, deliberate=True,
            expect=panic_on(["lock order inversion", "'selftest order A' while holding "
                             "'selftest order B'", "lockorder_inversion_panics"])),
    ]


def pagefile_too_small_check():
    """Issue 19: a page-file image below the minimum (1 MiB of 4) is
    reported in one clear line at boot and not used; the pagefile suite
    passes (its cases that need a page file skip) and the boot ends well."""
    def expect(run):
        problems = []
        text = "\n".join(run.lines)
        if run.rc != RC_PASS:
            problems.append("boot ended with '%s' (rc %s)" % (run.verdict, run.rc))
        if "pagefile: ERROR: the disk holds 2048 sectors (1024 KiB), less than" not in text:
            problems.append("no report of the too-small page file")
        if not any(l.startswith("ok") and "pagefile_state_matches_disk" in l for l in
                   (x.strip() for x in run.lines)):
            problems.append("pagefile_state_matches_disk did not pass")
        last = next((l for l in reversed(run.lines) if l.strip()), "")
        if not SUMMARY_RE.match(last) or not last.split()[2] == "0":
            problems.append("the log does not end with 'N passed, 0 failed'")
        return problems
    return Run("pagefile-too-small", "test=pagefile mem_mb=128", disk_kb=1024, expect=expect)


def double_fault_check():
    """A kernel stack overflow must be reported by the #DF task, not end
    in a triple fault."""
    def expect(run):
        problems = []
        text = "\n".join(run.lines)
        if run.verdict != "panic":
            problems.append("stack overflow run ended with '%s', expected a panic report" % run.verdict)
        for needle in ("double fault", "kernel stack overflow", "backtrace:", "stack_overflow_recurse"):
            if needle not in text:
                problems.append("the #DF report lacks %r" % needle)
        return problems
    return Run("double-fault-report", "test=stackoverflow", expect=expect, deliberate=True)


def console_runs(build):
    """The study console's runs (tests/console_checks.py): scripts typed into
    the console, checked against the state they set up, QEMU's page walker,
    the gdb helpers and the SVG renderer."""
    import console_checks
    return console_checks.runs(build, Run, qmp_human)


def thread_runs(build):
    """Thread checks that need boots of their own (tests/thread_checks.py):
    the same seed under -icount gives the same interleaving twice."""
    import thread_checks
    return thread_checks.runs(build, Run, boot)


def host_test_totals(build):
    """The heap engine's host tests (make host-test, run before the boots),
    twice: with the low-fragmentation front end and with it forced off.
    Their result lines are in BUILD/host/test-results.txt and
    test-results-nolfh.txt, failing names after them.  A missing or
    unreadable file is one failure: the tests did not run."""
    totals = [0, 0, 0]
    for name, label in (("test-results.txt", "host-heap-tests"),
                        ("test-results-nolfh.txt", "host-heap-tests-nolfh")):
        path = os.path.join(build, "host", name)
        try:
            lines = [l.rstrip("\n") for l in open(path)]
        except OSError:
            lines = []
        m = next((SUMMARY_RE.match(l) for l in lines if SUMMARY_RE.match(l)), None)
        if m is None:
            print("FAIL %-29s no result in %s" % (label, path))
            totals[1] += 1
            continue
        p, f, s = (int(g or 0) for g in m.groups())
        print("%s %-29s %s %3d passed %3d failed %3d skipped"
              % ("PASS" if f == 0 else "FAIL", label, "asan+ubsan      ", p, f, s))
        for l in lines:
            if l.startswith("not ok") or l.startswith("FAIL"):
                print("  " + l)
        totals[0] += p
        totals[1] += f
        totals[2] += s
    return tuple(totals)


def paging_format_runs(build, suites):
    """Issue 18, both page-table formats: the selected kernel suites again
    with paging=legacy (the default boots use PAE with NX), the -m 6G boot
    whose suites use RAM above 4 GiB, and with the whole harness also the
    QEMU page-walker cross-check, the user programs (DEP's udep among
    them) and the console's pte, SVG and gdb runs in the legacy format."""
    legacy = "paging=legacy"
    kernel = [] if suites is None else [x for x in suites.split(",") if x not in ("user", "console")]
    runs = []
    if suites is None or "highmem" in kernel:
        runs.append(Run("highmem+pae@6G", "test=highmem,pae,paging,multiboot mem_mb=6144",
                        mem="6G", timeout=240))
    if suites is None or kernel:
        runs.append(Run("kernel@128M+legacy", "test=%s mem_mb=128 %s" % (",".join(kernel) or "all", legacy)))
    if suites is None:
        q = qmp_page_table_check()
        q.name, q.append = q.name + "+legacy", q.append + " " + legacy
        runs.append(q)
        for u in user_program_runs(build):      # DEP's udep among them, without NX
            u.name, u.append = u.name + "+legacy", u.append + " " + legacy
            runs.append(u)
        import console_checks
        runs.append(console_checks.pte_run(Run, qmp_human, pae=False))
        import console_ws
        runs.append(console_ws.ws_run(Run, qmp_human, pae=False))
        svg = console_checks.svg_run(Run, build)
        svg.name, svg.append = svg.name + "+legacy", legacy
        runs.append(svg)
        if shutil.which("gdb"):
            g = console_checks.gdb_run(Run, build)
            g.name, g.append = g.name + "+legacy", legacy
            runs.append(g)
    return runs


def ktap_document_totals(done, build):
    """One case per boot: its serial log is one well-formed KTAP document
    (tests/ktap_check.py: prove -e cat accepts it, when prove is installed,
    and its subtests nest as KTAP says).  The deliberate failures are left
    out: their panics cut the document short."""
    checked = [r for r in done if not r.deliberate]
    if not checked:
        return (0, 0, 0)
    paths = [os.path.join(build, "logs", r.name + ".serial") for r in checked]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(ktap_check.check, paths))
    bad = [(path, problems) for path, problems in zip(paths, found) if problems]
    how = "prove + nesting" if ktap_check.prove_path() else "nesting; no prove"
    print("%s %-28s %-16s %3d passed %3d failed %3d skipped"
          % ("FAIL" if bad else "PASS", "ktap-documents", how, len(checked) - len(bad), len(bad), 0))
    for path, problems in bad:
        print("  not ok %s" % path)
        for p in problems[:10]:
            print("    " + p)
    return (len(checked) - len(bad), len(bad), 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--suites", default=None,
                    help="comma-separated kernel suites, 'user' (the ring-3 programs), "
                         "'console' (the console's runs); default: all, plus the harness checks")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--pagefile-mb", type=int, default=64,
                    help="size of each boot's page-file disk image (default 64)")
    args = ap.parse_args()
    global PAGEFILE_KB
    PAGEFILE_KB = args.pagefile_mb * 1024
    os.makedirs(os.path.join(args.build, "logs"), exist_ok=True)

    if args.suites == "selftest":
        runs = [Run("selftest", "test=selftest", deliberate=True)]
    else:
        runs = paging_format_runs(args.build, args.suites) + suite_runs(args.suites)
        if args.suites is None:
            runs += [selftest_check(), iso_smoke(args.build), qmp_page_table_check(),
                     double_fault_check(), pagefile_too_small_check()] + smp_runs(args.build) + console_runs(args.build)
        if args.suites is None or "user" in args.suites.split(","):
            runs += user_program_runs(args.build) + thread_runs(args.build) + pressure_runs(args.build)
        if args.suites is not None and "console" in args.suites.split(","):
            runs += console_runs(args.build)
    start = time.monotonic()
    # Longest boots first (times measured on this project's 2-core
    # machines), so that no long one starts last and runs alone: the
    # results are reported in the usual order all the same.
    order = sorted(range(len(runs)), key=lambda i: -expected_seconds(runs[i].name))
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        by_start = list(pool.map(lambda i: boot(runs[i], args.build), order))
    done = [None] * len(runs)
    for i, run in zip(order, by_start):
        done[i] = run
    totals = [0, 0, 0]
    for run in done:
        report(run)
        for i, v in enumerate(run_totals(run)):
            totals[i] += v
    for i, v in enumerate(ktap_document_totals(done, args.build)):
        totals[i] += v
    if args.suites is None:
        for i, v in enumerate(host_test_totals(args.build)):
            totals[i] += v
    print("harness: %d QEMU boots in %.1fs, logs in %s/logs"
          % (len(done), time.monotonic() - start, args.build))
    line = "%d passed, %d failed" % (totals[0], totals[1])
    if totals[2]:
        line += ", %d skipped" % totals[2]
    print(line)
    return 0 if totals[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
