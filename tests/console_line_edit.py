"""The console's line editor driven with raw keys, for tests/harness.py
(through tests/console_checks.py, whose Session types the keys).

Each step's keys are an edit; the check asserts what the edited line
ran (the command's output) and that the echo, replayed on a small model
of an ANSI terminal, leaves the row showing exactly the prompt and that
line, so a redraw that leaves stale characters or loses the cursor fails.
"""
import re

from console_checks import PROMPT, grab, has, need, session_run


def terminal_row(raw):
    """What an ANSI terminal shows on a row after the bytes raw (one line
    of output, its CRs already dropped): printable characters overwrite
    at the cursor, BS and CSI n D move left, CSI n C right, CSI K erases
    to the end of the row.  Any other control or sequence is a Problem:
    the line editor must not send what this does not model."""
    row, col, i = [], 0, 0
    while i < len(raw):
        c = raw[i]
        if c == "\x1b":
            m = re.match(r"\x1b\[(\d*)([CDK])", raw[i:])
            need(m is not None, "unexpected escape sequence %r" % raw[i:i + 8])
            n = int(m.group(1) or "1")
            need(m.group(1) != "0", "CSI 0 %s (terminals read it as 1)" % m.group(2))
            if m.group(2) == "D":
                need(n <= col, "cursor moved %d left from column %d" % (n, col))
                col -= n
            elif m.group(2) == "C":
                need(col + n <= len(row), "cursor moved past the end of the row")
                col += n
            else:
                del row[col:]
            i += len(m.group(0))
            continue
        if c == "\b":
            need(col > 0, "BS at column 0")
            col -= 1
        else:
            need(" " <= c <= "~", "unexpected byte %r on the row" % c)
            if col == len(row):
                row.append(c)
            else:
                row[col] = c
            col += 1
        i += 1
    return "".join(row)


def shows(expected, check=None):
    """A check that the echo of the step's keys leaves the terminal row
    showing PROMPT + expected (what was executed), then runs check."""
    def run(s, out):
        got = terminal_row(s.echo)
        need(got == PROMPT + expected, "the terminal shows %r, expected %r (echo %r)"
             % (got, PROMPT + expected, s.echo[:120]))
        if check:
            check(s, out)
    return run


def line_editor_run(Run):
    """The line editor driven with raw keys: each step's output shows what
    the edited line executed, and the echo must leave a terminal showing
    that line (terminal_row)."""
    LEFT, RIGHT, UP, DOWN = "\x1b[D", "\x1b[C", "\x1b[A", "\x1b[B"
    HOME, END, DEL = "\x1b[H", "\x1b[F", "\x1b[3~"
    CTRL_A, CTRL_E, CTRL_K, CTRL_U, CTRL_W = "\x01", "\x05", "\x0b", "\x15", "\x17"
    CTRL_P, CTRL_N, BS, DEL_KEY = "\x10", "\x0e", "\x08", "\x7f"

    def ran_mem(s, out):
        has(out, "physical memory (page frames of 4 KiB):", "commit charge")

    def unknown(name):
        return lambda s, out: has(out, "unknown command '%s' (type 'help' for the list)" % name)

    def no_listing(s, out):
        need(not any(l.startswith("heap  ") for l in out), "Tab listed candidates: %r" % out[:3])

    def heap_listed(s, out):
        # Tab on "heap" lists the five heap commands, then draws the line again.
        need(out and out[0].split() == ["heap", "heapcreate", "heapalloc", "heapfree", "heapdestroy"],
             "candidate line %r" % out[:1])
        need(len(out) > 1 and terminal_row(out[1]) == PROMPT + "heap #1",
             "the line drawn after the list shows %r" % (out[1:2],))
        has(out, "heap_check: 0 broken invariants")

    history = [("h%02d" % i, unknown("h%02d" % i)) for i in range(34)]
    steps = [
        ("reserv\t64K 20000000", shows("reserve 64K 20000000", lambda s, o: has(
            o, "reserved 0x20000000-0x2000ffff"))),                     # unique prefix
        ("hea\tcreate", shows("heapcreate", lambda s, o: (no_listing(s, o), has(
            o, "HeapCreate(0, 0x0, 0x0) -> 0x")))),                     # common prefix "heap"
        ("heap\t #1", heap_listed),                                     # ambiguous: a list
        ("xyz" + CTRL_U + "mem", shows("mem", ran_mem)),
        ("mm" + LEFT + "e", shows("mem", ran_mem)),
        ("mm\x1bODe", shows("mem", ran_mem)),                           # Left as ESC O D
        ("tcks" + LEFT * 3 + "i", shows("ticks", lambda s, o: grab(o, r"^\d+ timer ticks"))),
        ("mm" + CTRL_A + RIGHT + "e", shows("mem", ran_mem)),
        ("help" + CTRL_A + CTRL_E + " pte", shows("help pte", lambda s, o: has(o, "pte ADDR"))),
        ("e" + HOME + "m" + END + "m", shows("mem", ran_mem)),
        ("meem" + LEFT + DEL_KEY, shows("mem", ran_mem)),              # 0x7F in the middle
        ("mxem" + LEFT * 2 + BS, shows("mem", ran_mem)),               # 0x08 in the middle
        ("mxem" + CTRL_A + RIGHT + DEL, shows("mem", ran_mem)),        # Delete at the cursor
        ("xyzmem" + LEFT * 3 + CTRL_U, shows("mem", ran_mem)),         # kills only before the cursor
        ("memxyz" + LEFT * 3 + CTRL_K, shows("mem", ran_mem)),
        ("help vmmap" + CTRL_W + "pte", shows("help pte", lambda s, o: has(o, "pte ADDR"))),
        # the edges: Right at the end and Left at the start do nothing
        ("mem" + RIGHT * 2 + CTRL_E + LEFT * 5 + CTRL_A + "x" + DEL_KEY, shows("mem", ran_mem)),
    ] + history + [
        # 34 lines entered, 32 kept: the 32nd back is h02, and no further
        (UP * 32, shows("h02", unknown("h02"))),
        # h02 is now the newest, so the oldest kept is h03
        (UP * 40, shows("h03", unknown("h03"))),
        (UP + UP + DOWN, shows("h03", unknown("h03"))),
        (UP + UP + CTRL_A + RIGHT * 2 + "x", shows("h0x2", unknown("h0x2"))),
        # Down past the newest brings back the line being typed
        ("mem" + UP + UP + DOWN + DOWN, shows("mem", ran_mem)),
        (CTRL_P + CTRL_P + CTRL_N, shows("mem", ran_mem)),
        # an unfinished escape sequence does not swallow the keys after it
        ("mem\x1b", shows("mem", ran_mem)),
        ("mem\x1b[", shows("mem", ran_mem)),
    ]
    return session_run(Run, "console-line-editor", steps)
