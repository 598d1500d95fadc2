"""The study console's working-set view (issue 19), for tests/harness.py
through tests/console_checks.py: lock, trim, pageout, ws, and pte on the
transition and page-file entries they make, each raw entry checked
against QEMU's own reading of guest memory."""
from console_checks import FRAME, grab, has, need, pte_values, qemu_check_pte, session_run

def ws_run(Run, qmp_human, pae=True):
    """Issue 19's study view: lock, trim, pageout, ws, and pte on the
    entries they make.  Three pages are written; the first is locked.
    After `trim` the other two are transition entries whose frame is the
    one `pte` showed while they were resident; after `pageout` they are
    page-file entries whose slot, as `pte` prints it, is the raw entry's
    bits 12-31 (and QEMU's `xp` reads the same raw entry), two different
    slots; the locked page keeps its present entry and frame throughout;
    a read brings a paged-out page back with its bytes."""
    v = {}
    A, B, C = 0x20000000, 0x20001000, 0x20002000

    def entry_of(out):
        return pte_values(out)[3]

    def resident(key, va):
        def check(s, out):
            e = entry_of(out)
            need(e & 1, "0x%08x: expected a present entry, got 0x%x" % (va, e))
            if key in v:
                need(e & FRAME == v[key], "0x%08x: frame 0x%x, it was 0x%x" % (va, e & FRAME, v[key]))
            v[key] = e & FRAME
            has(out, "VM state: committed, resident")
            qemu_check_pte(s, out, va, qmp_human)
        return check

    def transition(key, va):
        def check(s, out):
            e = entry_of(out)
            need(not e & 1 and e & 0x200, "0x%08x: expected a transition entry, got 0x%x" % (va, e))
            need(e & FRAME == v[key], "0x%08x: transition frame 0x%x, the page had 0x%x"
                 % (va, e & FRAME, v[key]))
            lst = grab(out, r"VM state: committed, transition: frame 0x([0-9a-f]+) on the (standby|modified) list")
            need(int(lst[0], 16) == v[key], "the printed frame 0x%s" % lst[0])
            has(out, "transition (bit 9)=1", "page file (bit 8)=0", "the next access takes a soft fault")
            qemu_check_pte(s, out, va, qmp_human)
        return check

    def paged_out(key, va):
        def check(s, out):
            e = entry_of(out)
            need(not e & 1 and e & 0x100 and not e & 0x200,
                 "0x%08x: expected a page-file entry, got 0x%x" % (va, e))
            slot = int(grab(out, r"VM state: committed, in the page file: slot (\d+)"))
            need(slot == (e >> 12) & 0xFFFFF, "slot %d, but the entry 0x%x holds %d in bits 12-31"
                 % (slot, e, (e >> 12) & 0xFFFFF))
            has(out, "slot (bits 12-31)=%d" % slot, "hard fault that reads slot %d" % slot)
            v[key + "slot"] = slot
            qemu_check_pte(s, out, va, qmp_human)
        return check

    def ws_before(s, out):
        has(out, "locked         1 pages", "frame lists: free ")
        res = int(grab(out, r"resident\s+(\d+) pages"))
        need(res >= 3, "resident %d, expected at least the 3 pages written" % res)
        grab(out, r"resident VPNs .* 20000 L 20001 20002", "the VPN list")
        v["faults"] = int(grab(out, r"faults\s+(\d+)"))
        v["in_use"] = int(grab(out, r"page file: (\d+) of"))

    def ws_after(s, out):
        has(out, "locked         0 pages")
        faults = int(grab(out, r"faults\s+(\d+)"))
        need(faults == v["faults"] + 1, "faults %d, expected %d + 1 (the read of 0x20001000)"
             % (faults, v["faults"]))
        # The failed unlocks took the pages they found unlocked out of the
        # working set ("VirtualUnlock removes such pages"): 0x20001000 by
        # the first, 0x20000000 (unlocked by then) by the last.
        vpns = grab(out, r"resident VPNs (.*)$", "the VPN list")
        need("20000" not in vpns and "20001" not in vpns, "VPN list after the unlocks: %r" % vpns)
        need(v["Bslot"] != v["Cslot"], "two pages in one slot %d" % v["Bslot"])

    def trimmed(s, out):
        n = int(grab(out, r"trimmed (\d+) pages"))
        need(n >= 2, "trimmed %d pages, expected at least the two unlocked ones" % n)

    steps = [
        ("reserve 64K 20000000", None),
        ("commit 20000000 12K", None),
        ("poke 20000000 0x11111111", None),
        ("poke 20001000 0x22222222", None),
        ("poke 20002000 0x33333333", None),
        ("pte 20000000", resident("A", A)),
        ("pte 20001000", resident("B", B)),
        ("pte 20002000", resident("C", C)),
        ("lock 20000000 4K", lambda s, o: has(o, "STATUS_SUCCESS", "locked 0x20000000-0x20000fff")),
        ("ws", ws_before),
        ("trim", trimmed),
        ("pte 20000000", resident("A", A)),
        ("pte 20001000", transition("B", B)),
        ("pte 20002000", transition("C", C)),
        ("pageout", lambda s, o: has(o, "every user working set out")),
        ("pte 20000000", resident("A", A)),
        ("pte 20001000", paged_out("B", B)),
        ("pte 20002000", paged_out("C", C)),
        ("ws", lambda s, o: need(int(grab(o, r"page file: (\d+) of")) >= v["in_use"] + 2,
                                 "page file slots in use did not grow by 2")),
        ("peek 20001000 4", lambda s, o: grab(o, r"^  20001000  22 22 22 22")),
        ("pte 20001000", lambda s, o: (need(entry_of(o) & 1, "0x20001000 not present after the read"),
                                       qemu_check_pte(s, o, B, qmp_human))),
        ("unlock 20000000 8K", lambda s, o: has(o, "STATUS_NOT_LOCKED")),
        ("unlock 20000000 4K", lambda s, o: has(o, "STATUS_SUCCESS")),
        ("unlock 20000000 4K", lambda s, o: has(o, "STATUS_NOT_LOCKED")),
        ("ws", ws_after),
        ("lock 20010000 4K", lambda s, o: has(o, "STATUS_ACCESS_VIOLATION")),
    ]

    def extra(s, run):
        n = len(s.vars.get("qemu_checked", []))
        return [] if n == 10 else ["%d pte outputs were checked against QEMU, expected 10" % n]
    return session_run(Run, "console-ws" + ("" if pae else "+legacy"), steps, extra_expect=extra,
                       qmp=True, append=None if pae else "paging=legacy")

