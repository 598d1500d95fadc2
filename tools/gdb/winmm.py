# gdb helpers for winmm-x86, in gdb's Python (make debug loads this file):
#
#   pte ADDR                 CR3 -> [PDPTE ->] PDE -> PTE for ADDR, every entry decoded
#                            bit by bit, and the VM layer's state for a not-present entry
#   vmmap [kernel|scratch|EXPR]
#                            the reservations (VADs) of an address space and the state
#                            of their pages, read from the kernel's own structures
#   heapwalk [HANDLE]        the blocks of a heap (default: the kernel heap)
#
# Both page-table formats (mm/paging.h): legacy 32-bit paging, and PAE
# (CR4.PAE set) with 8-byte entries, the directories at 0xC0600000 and the
# PDPT in the kernel image.  They read the kernel's variables by name
# ('vm.c'::kernel_space, 'kernel/console/util.c'::scratch,
# 'kheap.c'::kernel_heap) and its page tables: through the self-map
# (0xC0000000) when the address space is the one in CR3, otherwise from
# physical memory through QEMU's monitor (`monitor xp`).  The not-present
# entry format is read from the kernel's own table, vm_soft_format
# (mm/vm_check.c).  The heap block header layout is the one in
# mm/heap/heap_private.h (gdb cannot read C macros; the numbers are
# repeated here).
import re

import gdb

PAGE = 4096
PT_WINDOW = 0xC0000000
LEGACY_PD_WINDOW = 0xC0300000
PAE_PD_WINDOW = 0xC0600000
KERNEL_VBASE = 0x80000000
USER_END = 0x80000000
CR4_PAE = 0x20
FRAME = 0x000FFFFFFFFFF000

PTE_BITS = [(0, "P"), (1, "RW"), (2, "US"), (3, "PWT"), (4, "PCD"), (5, "A"), (6, "D"),
            (7, "PS"), (8, "G")]

PROTECTIONS = {0x01: "NOACCESS", 0x02: "READONLY", 0x04: "READWRITE", 0x08: "WRITECOPY",
               0x10: "EXECUTE", 0x20: "EXECUTE_READ", 0x40: "EXECUTE_READWRITE",
               0x80: "EXECUTE_WRITECOPY"}
BASE_BY_INDEX = [0, 0x01, 0x02, 0x04, 0x10, 0x20, 0x40]   # mm/vm_pte.h vm_base_by_index

# mm/heap/heap_private.h: block header w0 / w1, granule 8 bytes on x86.
HG_SHIFT = 3
HHDR = 8
W0_SIZE = 0x003FFFFF
W0_BUSY = 1 << 22
W0_LAST = 1 << 23
W0_DECOMMIT = 1 << 24
W0_UNUSED_SHIFT = 25
W0_UNUSED_MASK = 0x3F
W1_QUICK = 1 << 23
W1_SUBSEG = 1 << 22
HLARGE = 32
# The low-fragmentation front end's blocks inside a subsegment (a busy
# W1_SUBSEG block; its 64 KiB-aligned payload C is the chunk): headers
# from C + LFH_FIRST on, w0 = unused | class << 16 | BUSY (bit 24) | tag.
LFH_CHUNK_SHIFT = 16
LFH_FIRST = 0
LW0_BUSY = 1 << 24


def u32(addr):
    data = gdb.selected_inferior().read_memory(addr, 4)
    return int.from_bytes(bytes(data), "little")


def u64(addr):
    data = gdb.selected_inferior().read_memory(addr, 8)
    return int.from_bytes(bytes(data), "little")


def phys_words(paddr, count, giant):
    """Words (4 bytes, or 8 when giant) of physical memory through QEMU's monitor."""
    out = gdb.execute("monitor xp /%d%sx 0x%x" % (count, "g" if giant else "w", paddr), to_string=True)
    words = []
    for line in out.splitlines():
        if ":" in line:
            words += [int(w, 16) for w in line.split(":", 1)[1].split()]
    return words[:count]


def pae():
    return bool(int(gdb.parse_and_eval("$cr4")) & CR4_PAE)


def cr3():
    v = int(gdb.parse_and_eval("$cr3"))
    return v & ~0x1F if pae() else v & 0xFFFFF000


def prot_name(p):
    if p == 0:
        return "-"
    names = [PROTECTIONS.get(p & 0xFF, "0x%x" % (p & 0xFF))]
    for bit, name in ((0x100, "GUARD"), (0x200, "NOCACHE"), (0x400, "WRITECOMBINE")):
        if p & bit:
            names.append(name)
    return "|".join(names)


def hw_bits(e, pde):
    parts = []
    for bit, name in PTE_BITS:
        if bit == 7 and not pde:
            name = "PAT"
        parts.append("%s=%d" % (name, (e >> bit) & 1))
    text = " ".join(parts) + " avail=%d" % ((e >> 9) & 7)
    return text + (" NX=%d" % (e >> 63) if pae() else "")


def soft_format():
    """(mask, name) rows of the kernel's vm_soft_format table (64-bit masks)."""
    rows = []
    table = gdb.parse_and_eval("vm_soft_format")
    i = 0
    while True:
        row = table[i]
        mask = int(row["mask"]) & 0xFFFFFFFFFFFFFFFF
        if mask == 0:
            return rows
        if not pae():
            mask &= 0xFFFFFFFF
        rows.append((mask, row["name"].string()))
        i += 1


def soft_protect(e):
    """PAGE_* of a not-present committed entry (mm/vm_pte.h entry_protect)."""
    fields = {name: (e & mask) >> ((mask & -mask).bit_length() - 1) for mask, name in soft_format()}
    p = BASE_BY_INDEX[fields.get("protection index", 0)] if fields.get("protection index", 0) < 7 else 0
    if fields.get("guard"):
        p |= 0x100
    if fields.get("nocache"):
        p |= 0x200
    if fields.get("writecombine"):
        p |= 0x400
    return p


def describe(e):
    """The VM layer's reading of an entry of VM-managed memory."""
    if e == 0:
        return "not committed (reserved or free)"
    if e & 1:
        return "committed, resident, %s" % prot_name(BASE_BY_INDEX[(e >> 9) & 7] if (e >> 9) & 7 < 7 else 0)
    p = soft_protect(e)
    held = e & 0x800
    return "committed, %s, %s" % ("inaccessible, frame kept" if held else "demand-zero", prot_name(p))


class PageTables:
    """Reads one address space's entries: through the self-map when it is
    loaded, else from physical memory (legacy: the directory at cr3_value;
    PAE: the PDPT at cr3_value, in the kernel image)."""

    def __init__(self, cr3_value=None):
        self.pae = pae()
        self.size = 8 if self.pae else 4
        self.shift = 21 if self.pae else 22
        self.top = cr3_value if cr3_value is not None else cr3()
        self.current = self.top == cr3()
        self.tables = {}

    def read(self, addr):
        return u64(addr) if self.pae else u32(addr)

    def pde(self, va):
        """The PDE of va (0 when its directory is not present)."""
        if self.current or va >= USER_END:          # the kernel half is the same everywhere
            window = PAE_PD_WINDOW if self.pae else LEGACY_PD_WINDOW
            return self.read(window + (va >> self.shift) * self.size)
        if not self.pae:
            return phys_words(self.top + (va >> 22) * 4, 1, False)[0]
        pdpte = u64(KERNEL_VBASE + self.top + (va >> 30) * 8)
        if not pdpte & 1:
            return 0
        return phys_words((pdpte & FRAME) + ((va >> 21) & 0x1FF) * 8, 1, True)[0]

    def pte(self, va):
        pde = self.pde(va)
        if not pde & 1:
            return 0
        if self.current or va >= USER_END:
            return self.read(PT_WINDOW + (va >> 12) * self.size)
        key = va >> self.shift
        if key not in self.tables:
            self.tables[key] = phys_words(pde & FRAME, 512 if self.pae else 1024, self.pae)
        return self.tables[key][(va >> 12) & (0x1FF if self.pae else 0x3FF)]


class PteCommand(gdb.Command):
    """pte ADDR: walk CR3 -> [PDPTE ->] PDE -> PTE for ADDR and decode every entry."""

    def __init__(self):
        super().__init__("pte", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        va = int(gdb.parse_and_eval("(unsigned long)(%s)" % arg)) & 0xFFFFFFFF
        base = cr3()
        t = PageTables()
        if t.pae:
            i, pdx, ptx, digits = va >> 30, (va >> 21) & 0x1FF, (va >> 12) & 0x1FF, 16
            print("VA 0x%08x = PDPT index %d | PD index 0x%03x | PT index 0x%03x | offset 0x%03x (PAE)"
                  % (va, i, pdx, ptx, va & 0xFFF))
            print("CR3 0x%08x (the PDPT)" % base)
            pdpte = u64(KERNEL_VBASE + base + i * 8)
            print("PDPTE %d at 0x%08x (PA 0x%08x) = 0x%016x" % (i, KERNEL_VBASE + base + i * 8,
                                                           base + i * 8, pdpte))
            if not pdpte & 1:
                print("    P=0: no page directory")
                return
            pd_pa = (pdpte & FRAME) + pdx * 8
            pde_va = PAE_PD_WINDOW + (va >> 21) * 8
        else:
            pdx, ptx, digits = va >> 22, (va >> 12) & 0x3FF, 8
            print("VA 0x%08x = PD index 0x%03x | PT index 0x%03x | offset 0x%03x" % (va, pdx, ptx, va & 0xFFF))
            print("CR3 0x%08x" % base)
            pd_pa = base + pdx * 4
            pde_va = LEGACY_PD_WINDOW + pdx * 4
        pde = t.read(pde_va)
        print("PDE 0x%03x at 0x%08x (PA 0x%08x) = 0x%0*x" % (pdx, pde_va, pd_pa, digits, pde))
        if not pde & 1:
            print("    P=0: no page table")
            return
        print("    " + hw_bits(pde, True))
        if pde & 0x80:
            span = 1 << t.shift
            print("    %d MiB page -> PA 0x%08x" % (span >> 20, (pde & FRAME & ~(span - 1)) | (va & (span - 1))))
            return
        pte_va = PT_WINDOW + (va >> 12) * t.size
        pte = t.read(pte_va)
        print("PTE 0x%03x at 0x%08x (PA 0x%08x) = 0x%0*x" % (ptx, pte_va, (pde & FRAME) + ptx * t.size,
                                                            digits, pte))
        if pte & 1:
            print("    " + hw_bits(pte, False))
            print("    -> PA 0x%08x" % ((pte & FRAME) | (va & 0xFFF)))
        elif pte:
            fields = []
            for mask, name in soft_format():
                lo = (mask & -mask).bit_length() - 1
                fields.append("%s=0x%x" % (name, (pte & mask) >> lo))
            print("    P=0 (soft): " + " ".join(fields))
        else:
            print("    0: nothing here")
        managed = 0x10000 <= va < 0x7FFF0000 or 0xC4800000 <= va < 0xFFC00000
        print("VM state: %s" % (describe(pte) if managed else "not VM-managed (mapped at boot)"))


def vad_inorder(node):
    """The VAD tree (mm/vad.h) in address order, without recursion."""
    stack, out = [], []
    while stack or int(node) != 0:
        while int(node) != 0:
            stack.append(node)
            node = node["left"]
        node = stack.pop()
        out.append(node)
        node = node["right"]
    return out


class VmmapCommand(gdb.Command):
    """vmmap [kernel|scratch|EXPR]: reservations and page states of an address space."""

    def __init__(self):
        super().__init__("vmmap", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        arg = arg.strip() or "scratch"
        if arg == "kernel":
            space = gdb.parse_and_eval("'vm.c'::kernel_space")
        elif arg == "scratch":
            space = gdb.parse_and_eval("'kernel/console/util.c'::scratch")
            if int(space) == 0:
                print("no scratch process yet (the console has not started): vmmap kernel")
                return
        else:
            space = gdb.parse_and_eval("(struct vm_space *)(%s)" % arg)
        pd_frame = int(space["pgdir"]["cr3"])
        tables = PageTables(pd_frame)
        vads = space["vads"]
        how = (" (the kernel half: shared by every directory)" if arg == "kernel" else
               " (loaded in CR3)" if tables.current else " (not loaded: read through monitor xp)")
        print("%s space %s, %s 0x%08x%s, %d reservations in [0x%08x, 0x%08x)" % (
            arg, space, "PDPT" if tables.pae else "page directory", pd_frame, how,
            int(vads["count"]), int(vads["min"]) & 0xFFFFFFFF, int(vads["max"]) & 0xFFFFFFFF))
        print("%-10s %-10s %-20s %9s   runs of pages" % ("start", "end", "alloc protect", "committed"))
        for v in vad_inorder(vads["root"]):
            start, end = int(v["start"]) & 0xFFFFFFFF, int(v["end"]) & 0xFFFFFFFF
            print("0x%08x 0x%08x %-20s %9d" % (start, end, prot_name(int(v["alloc_protect"])),
                                              int(v["committed"])))
            run_start, run_desc = start, None
            for va in range(start, end + PAGE, PAGE):
                desc = describe(tables.pte(va)) if va < end else None
                if desc != run_desc:
                    if run_desc is not None:
                        print("      0x%08x-0x%08x %s" % (run_start, va - 1, run_desc))
                    run_start, run_desc = va, desc


def lfh_subsegment(h, chunk):
    """A subsegment at chunk: (busy blocks, their requested bytes, a
    one-line description), from its record in the heap's table."""
    sub = h["lfh_tab"][(chunk >> LFH_CHUNK_SHIFT) & int(h["lfh_mask"])]
    if int(sub["chunk"]) != chunk:
        return 0, 0, "LFH subsegment (not in the table: see the segments' records)"
    bsize, carved = int(sub["bsize"]), int(sub["ncarved"])
    nbusy = req = 0
    for i in range(carved):
        w0 = u32(chunk + LFH_FIRST + i * bsize)
        if w0 & LW0_BUSY:
            nbusy += 1
            req += bsize - HHDR - (w0 & 0xFFFF)
    return nbusy, req, "LFH subsegment, class %d: %d-byte blocks, %d of %d carved, %d busy (%d bytes requested)" % (
        int(sub["cls"]), bsize, carved, int(sub["nmax"]), nbusy, req)


class HeapwalkCommand(gdb.Command):
    """heapwalk [HANDLE]: the blocks of a heap, from its segments and large blocks."""

    def __init__(self):
        super().__init__("heapwalk", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        if arg.strip():
            h = gdb.parse_and_eval("(struct heap *)(%s)" % arg)
        else:
            h = gdb.parse_and_eval("'kheap.c'::kernel_heap")
        print("heap 0x%08x: %d segment(s), committed %d, reserved %d" % (
            int(h), int(h["nsegs"]), int(h["committed"]), int(h["reserved"])))
        busy = free = quick = 0
        busy_bytes = free_bytes = 0
        segs = []
        node = h["segs"]                    # newest first; the first segment last
        while int(node) != 0:
            segs.insert(0, node.dereference())
            node = node["next"]
        for i, s in enumerate(segs):
            base, lo, length = int(s["base"]), int(s["lo"]), int(s["len"])
            cmap = int(s["cmap"])
            print("segment %d: reservation 0x%08x + 0x%x, blocks 0x%08x-0x%08x, committed 0x%x" % (
                i, base, int(s["span"]), lo, lo + length, int(s["committed"])))
            a = lo
            while a < lo + length:
                page = (a - base) >> 12
                if not (u32(cmap + (page >> 5) * 4) >> (page & 31)) & 1:
                    print("  0x%08x: page not committed: the walk cannot go on" % a)
                    break
                w0, w1 = u32(a), u32(a + 4)
                g = w0 & W0_SIZE
                if g < 2:
                    print("  0x%08x: bad header w0=0x%08x w1=0x%08x" % (a, w0, w1))
                    break
                size = g << HG_SHIFT
                if w0 & W0_BUSY and w1 & W1_SUBSEG:
                    sb, sf, line = lfh_subsegment(h, a + HHDR)
                    busy += sb
                    busy_bytes += sf
                    print("  0x%08x  %8d bytes  %s" % (a + HHDR, size, line))
                    a += size
                    continue
                if w0 & W0_BUSY and not w1 & W1_QUICK:
                    state, req = "busy", size - HHDR - ((w0 >> W0_UNUSED_SHIFT) & W0_UNUSED_MASK)
                    busy += 1
                    busy_bytes += req
                elif w0 & W0_BUSY:
                    state, req = "quick (free, parked)", 0
                    quick += 1
                    free_bytes += size
                else:
                    state, req = "free" + (" (pages decommitted)" if w0 & W0_DECOMMIT else ""), 0
                    free += 1
                    free_bytes += size
                line = "  0x%08x  %8d bytes  %s" % (a + HHDR, size, state)
                if req:
                    line += ", %d requested" % req
                print(line)
                a += size
        large = []                          # a treap by address: in order
        stack, node = [], h["large"]
        while stack or int(node) != 0:
            while int(node) != 0:
                stack.append(node)
                node = node["left"]
            node = stack.pop()
            large.append(node)
            node = node["right"]
        for node in large:
            print("  0x%08x  large block, %d bytes requested, %d committed" % (
                int(node) + HLARGE, int(node["size"]), int(node["commit"])))
            busy += 1
            busy_bytes += int(node["size"])
        print("%d busy (%d bytes requested), %d free, %d parked on quick lists (%d free bytes)" % (
            busy, busy_bytes, free, quick, free_bytes))


PteCommand()
VmmapCommand()
HeapwalkCommand()
print("winmm gdb helpers: pte ADDR, vmmap [kernel|scratch], heapwalk [HANDLE]")
