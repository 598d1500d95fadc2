#!/usr/bin/env python3
"""KTAP version 1 for the test harness: one parser for the serial logs
(the harness counts the leaf results it finds), the check that a log is
one well-formed document, and prove as the outside judge.

    python3 tests/ktap_check.py LOG...     prints "ok LOG" or LOG's problems;
                                           exit status 1 when any log has one

The rules (Documentation/dev-tools/ktap.rst): a document starts with
"KTAP version 1" and a plan "1..N", then N result lines "ok|not ok I name
[# directive]" numbered 1..N.  A subtest is the same, indented 4 spaces
deeper (its own "KTAP version 1", "# Subtest: name", plan and results),
and ends with its result line one level up.  "#" lines are diagnostics;
any other line (a boot banner, a program's printf) is allowed anywhere
and ignored, so is everything before the first "KTAP version 1".

prove -e cat judges the top level only: TAP::Parser takes indented lines
for unknown text.  Nested subtests are checked here, by the same rules
(sequential numbers, one plan right after the header, as many results as
planned, every subtest closed by its result line).
"""
import re
import shutil
import subprocess
import sys

VERSION_RE = re.compile(r"^KTAP version 1$")
PLAN_RE = re.compile(r"^1\.\.(\d+)(?:\s+#.*)?$")
RESULT_RE = re.compile(r"^(ok|not ok)\b(?: (\d+))?(.*)$")
SUBTEST_RE = re.compile(r"^# Subtest: (\S+)")


class Result:
    """One result line: depth 0 is the top level; suite is the name on the
    "# Subtest:" line of the subtest it is a result of (None at the top
    level and in a subtest without one); diags the "#" lines before it."""

    def __init__(self, depth, ok, number, text, suite, diags, lineno):
        self.depth, self.ok, self.number, self.text = depth, ok, number, text
        self.suite, self.diags, self.lineno = suite, diags, lineno


class Frame:
    def __init__(self, depth, lineno):
        self.depth, self.lineno = depth, lineno
        self.name = None
        self.plan = None
        self.count = 0          # results seen
        self.last = 0           # the last result's number


def parse(lines):
    """Returns (results, problems) for the lines of one log."""
    results, problems = [], []
    stack = []          # the open (sub)tests: stack[d] is at depth d
    diags = []

    def close(frame, why):
        what = "subtest %s" % (frame.name or "at line %d" % frame.lineno) if frame.depth else "the document"
        if why:
            problems.append("%s (depth %d) %s" % (what, frame.depth, why))
        elif frame.plan is not None and frame.count != frame.plan:
            problems.append("%s planned %d tests, ran %d" % (what, frame.plan, frame.count))
        elif frame.plan is None and frame.depth == 0:
            problems.append("the document has no plan")

    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip()
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        if body.startswith("#") and not SUBTEST_RE.match(body):
            diags.append(body)
            continue
        kind = ("version" if VERSION_RE.match(body) else "plan" if PLAN_RE.match(body)
                else "result" if RESULT_RE.match(body) else "subtest" if SUBTEST_RE.match(body)
                else None)
        if kind is None:
            continue
        if indent % 4:
            problems.append("line %d: indented %d spaces, not a multiple of 4: %s" % (lineno, indent, body))
            continue
        depth = indent // 4
        top = len(stack) - 1
        if kind == "version":
            if not stack and depth == 0:
                stack.append(Frame(0, lineno))
            elif not stack:
                problems.append("line %d: a subtest header before the document's" % lineno)
            elif depth == 0:
                problems.append("line %d: a second KTAP version line at the top level" % lineno)
            elif depth > top + 1:
                problems.append("line %d: a subtest header at depth %d inside depth %d"
                                % (lineno, depth, top))
            else:
                while len(stack) > depth:
                    close(stack.pop(), "has no result line")
                stack.append(Frame(depth, lineno))
            continue
        if kind == "subtest":
            if stack and depth == top and stack[-1].name is None:
                stack[-1].name = SUBTEST_RE.match(body).group(1)
            continue
        if kind == "plan":
            n = int(PLAN_RE.match(body).group(1))
            if not stack or depth != top:
                problems.append("line %d: a plan at depth %d, outside its header" % (lineno, depth))
            elif stack[-1].plan is not None:
                problems.append("line %d: a second plan" % lineno)
            elif stack[-1].count:
                problems.append("line %d: the plan after test results" % lineno)
            else:
                stack[-1].plan = n
            continue
        m = RESULT_RE.match(body)
        number = int(m.group(2)) if m.group(2) else None
        suite = None
        if number is None:
            problems.append("line %d: a result line without a test number: %s" % (lineno, body))
        if depth > top:
            problems.append("line %d: a result at depth %d outside any subtest: %s"
                            % (lineno, depth, body))
        else:
            while len(stack) > depth + 2:
                close(stack.pop(), "has no result line")
            if len(stack) == depth + 2:
                close(stack.pop(), None)
            frame = stack[depth]
            suite = frame.name
            frame.count += 1
            if number is not None:
                if number != frame.last + 1:
                    problems.append("line %d: test %d where %d was expected"
                                    % (lineno, number, frame.last + 1))
                frame.last = number
        results.append(Result(depth, m.group(1) == "ok", number, body, suite, diags, lineno))
        diags = []
    if not stack:
        problems.append("no KTAP version line")
    while stack:
        frame = stack.pop()
        close(frame, "has no result line (the log ends inside it)" if frame.depth else None)
    return results, problems


def prove_path():
    return shutil.which("prove")


def prove(path):
    """prove -e cat PATH: None when prove is not installed, else the list of
    its complaints (empty when it accepted the log)."""
    exe = prove_path()
    if exe is None:
        return None
    r = subprocess.run([exe, "-e", "cat", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True, errors="replace")
    if r.returncode == 0:
        return []
    noise = ("Files=", "Result:", "Test Summary Report", "-------------------", path + " ..")
    said = [l.strip() for l in r.stdout.splitlines()
            if l.strip() and not l.startswith(noise)]
    return ["prove: " + l for l in said[:8]] or ["prove exited with status %d" % r.returncode]


def check(path):
    """Everything wrong with the log at path as one KTAP document."""
    try:
        with open(path, "rb") as f:
            lines = [l.decode("utf-8", "replace").replace("\r", "").rstrip("\n") for l in f]
    except OSError as e:
        return ["cannot read %s: %s" % (path, e)]
    problems = parse(lines)[1]
    said = prove(path)
    return problems + (said or [])


def main(argv):
    if not argv:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    if prove_path() is None:
        print("ktap_check: prove is not installed (Debian: perl); nesting checked only")
    bad = 0
    for path in argv:
        problems = check(path)
        if problems:
            bad += 1
            print("not ok %s" % path)
            for p in problems:
                print("    " + p)
        else:
            print("ok %s" % path)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
