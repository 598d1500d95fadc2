"""The thread tests that need boots of their own, for tests/harness.py.

The console: `start demo_threads` runs tests/user/demo_threads.c in the
background and suspends it once all its threads wait; `threads` must list its four
threads (waiting, suspended, with their user stacks and TEBs), `vmmap
demo_threads -m` must show each stack as a region of type stack with its
guard page, and the TEB pages; resumed, the program must end with status
0 and leave the commit charge as it was.  (It drives the console with
tests/console_checks.py's Session.)

Determinism: tests/user/udeterminism.c logs the order in which 4 threads,
preempted by the timer and blocking on a critical section, get a lock,
and prints a digest of it.  Under -icount (shift=0, sleep=off) the timer
ticks at fixed guest instruction counts, so with the same seed the same
program must print the same digest in two boots; the program itself
checks that the threads really interleaved.  The check is one harness
run whose verdict boots the second QEMU and compares the two digests.
"""
import os
import re

ICOUNT = ["-icount", "shift=0,sleep=off"]
DIGEST_RE = re.compile(r"# determinism: seed=(\d+) digest=([0-9a-f]{8}) owner changes=(\d+) contended=(\w+)")
MIN_OWNER_CHANGES = 100                 # run in turn, the 4 threads would change owner 3 times


def digest_of(run):
    for line in run.lines:
        m = DIGEST_RE.search(line)
        if m:
            return m.groups()
    return None


def program_ok(run):
    """The program's own cases passed and it exited with status 0."""
    return (any(l.rstrip() == "ok 1 udeterminism" for l in run.lines)
            and not any(l.lstrip().startswith("not ok") for l in run.lines))


def determinism_run(build, Run, boot):
    elf = os.path.join(build, "user", "udeterminism.elf")

    def make(name, expect=None):
        return Run(name, "run=udeterminism mem_mb=128", initrd=[elf], extra=ICOUNT, timeout=120,
                   expect=expect)

    def expect(first):
        second = boot(make("determinism-icount-2"), build)
        problems = []
        digests = []
        for run in (first, second):
            d = digest_of(run)
            if run.rc != 33 or not program_ok(run):
                problems.append("%s: the program failed (%s, rc %s)" % (run.name, run.verdict, run.rc))
            if d is None:
                problems.append("%s printed no digest" % run.name)
            elif int(d[2]) < MIN_OWNER_CHANGES or d[3] != "yes":
                problems.append("%s: the threads hardly interleaved (%s owner changes, contended %s): "
                                "an equal digest would prove nothing" % (run.name, d[2], d[3]))
            digests.append(d)
        if not problems and digests[0] != digests[1]:
            problems.append("same seed under -icount, different results: %s vs %s (seed, digest, owner changes)"
                            % (digests[0], digests[1]))
        return problems

    return make("determinism-icount-1", expect)


KHEAP_COMMITTED_RE = re.compile(r"^\s*reserved [\d,]+ KiB, committed ([\d,]+) KiB, in use ([\d,]+) bytes")


def charge_outside_kernel_heap(out):
    """`mem`'s commit charge less the kernel heap's committed pages: the
    kernel heap keeps pages it grew by (its low-fragmentation front end
    keeps emptied subsegments for a while), which is no leak; its bytes in
    use must be back to what they were, and the rest of the charge too."""
    for line in out:
        m = KHEAP_COMMITTED_RE.match(line)
        if m:
            return cc_mem_charge(out) - int(m.group(1).replace(",", "")) // 4
    return cc_mem_charge(out)


def kernel_heap_in_use(out):
    for line in out:
        m = KHEAP_COMMITTED_RE.match(line)
        if m:
            return int(m.group(2).replace(",", ""))
    return None


def cc_mem_charge(out):
    import console_checks as cc
    return cc.mem_charge(out)


def console_threads_run(build, Run):
    import console_checks as cc
    user = os.path.join(build, "user")
    progs = [os.path.join(user, p + ".elf") for p in ("demo_threads", "hello")]
    v = {}

    def started(s, out):
        v["pid"] = cc.grab(out, r"demo_threads runs as process (\d+);")
        cc.has(out, "every thread of it is suspended")

    def threads(s, out):
        rows = [l.split() for l in out if re.match(r"^\s*\d+\s+%s\s+demo_threads\s" % v["pid"], l)]
        cc.need(len(rows) == 4, "%d threads of process %s listed, expected 4:\n      %s"
                % (len(rows), v["pid"], "\n      ".join(out)))
        for r in rows:
            cc.need(r[3:6] == ["Waiting", "Suspended", "1"], "thread %s: %r" % (r[0], r[3:6]))
            cc.need(re.match(r"^[0-9a-f]{8}$", r[-1]), "thread %s: TEB %r" % (r[0], r[-1]))
        v["tids"] = [r[0] for r in rows]
        cc.has(out, "(256K, 180K committed)", "(1024K, 100K committed)")

    def vmmap(s, out):
        rows = cc.vmmap_rows(out)
        for tid in v["tids"]:
            mine = [r for r in rows if r["details"] == "Thread %s stack" % tid]
            cc.need(mine and all(r["type"] == "stack" for r in mine), "no Stack regions for thread %s" % tid)
            cc.need(any(r["protect"] == "0x104" for r in mine), "thread %s: no guard page" % tid)
            cc.need(len({r["allocbase"] for r in mine}) == 1, "thread %s: one reservation" % tid)
        cc.need(any(r["details"].startswith("TEB of thread") for r in rows), "no TEB pages labelled")

    def ended(s, out):
        cc.need(not any(re.match(r"^\s*\d+\s+%s\s" % v["pid"], l) for l in out),
                "threads of process %s still listed" % v["pid"])

    def charge_kept(s, out):
        cc.need(kernel_heap_in_use(out) == v["kheap"], "kernel heap in use %r bytes after, %r before"
                % (kernel_heap_in_use(out), v["kheap"]))
        cc.need(charge_outside_kernel_heap(out) == v["charge"],
                "commit charge %d after, %d before (less the kernel heap's committed pages)"
                % (charge_outside_kernel_heap(out), v["charge"]))

    def extra(s, run):
        # The runner prints it once the process has ended: it may share
        # a line with the prompt that `wait` gave back meanwhile.
        if not any("process demo_threads: exit status 0x00000000" in l for l in run.lines):
            return ["demo_threads did not end with status 0"]
        return []

    steps = [
        ("mem", lambda s, o: (v.setdefault("charge", charge_outside_kernel_heap(o)),
                              v.setdefault("kheap", kernel_heap_in_use(o)))),
        ("start demo_threads", started),
        ("threads", threads),
        ("vmmap demo_threads -m", vmmap),
        ("resume %s" % "{pid}", None),
        ("wait %s" % "{pid}", lambda s, o: cc.has(o, "process %s ended" % v["pid"])),
        ("start hello 500", lambda s, o: cc.need(int(cc.grab(o, r"hello ended within (\d+) ms")) <= 500,
                                                  "start waited past its 500 ms")),
        ("threads", ended),
        ("mem", charge_kept),
    ]
    # The pid is known only once the program runs: the resume step's keys
    # are filled in when it is typed.
    session = cc.Session(steps)
    orig_next = session.next

    def next_step(send):
        if session.i + 1 < len(steps) and "{pid}" in steps[session.i + 1][0]:
            keys, check = steps[session.i + 1]
            steps[session.i + 1] = (keys.replace("{pid}", v.get("pid", "0")), check)
        orig_next(send)
    session.next = next_step

    def expect(run):
        return session.expect(run) + extra(session, run)
    return Run("console-threads", interact=session.interact, expect=expect, timeout=90, initrd=progs)


def runs(build, Run, boot):
    return [determinism_run(build, Run, boot), console_threads_run(build, Run)]
