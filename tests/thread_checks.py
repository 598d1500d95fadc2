"""The thread tests that need boots of their own, for tests/harness.py.

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
DIGEST_RE = re.compile(r"# determinism: seed=(\d+) digest=([0-9a-f]{8}) owner changes=(\d+)")


def digest_of(run):
    for line in run.lines:
        m = DIGEST_RE.search(line)
        if m:
            return m.groups()
    return None


def program_ok(run):
    """The program's own cases passed and it exited with status 0."""
    return (any(l.strip() == "ok 1 udeterminism.exit_status" for l in run.lines)
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
            digests.append(d)
        if not problems and digests[0] != digests[1]:
            problems.append("same seed under -icount, different results: %s vs %s (seed, digest, owner changes)"
                            % (digests[0], digests[1]))
        return problems

    return make("determinism-icount-1", expect)


def runs(build, Run, boot):
    return [determinism_run(build, Run, boot)]
