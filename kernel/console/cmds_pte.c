/* Console commands at the hardware level: pte (the CR3 -> PDE -> PTE walk
 * decoded bit by bit), touch / peek / poke (accesses whose page faults are
 * watched and caught), tlb and stats (counters).
 *
 * Watching a fault: for the length of one access the console puts its own
 * hook in front of the VM layer's page-fault handler (paging_set_fault_hook)
 * and records the first fault: CR2, the error code, the entry before, and
 * whether the VM layer resolved it.  A fault it did not resolve reaches the
 * console's fault catch (CATCH_FAULT) instead of a panic. */
#include "kernel/console/cmds.h"
#include "kernel/base/kprintf.h"
#include "kernel/arch/trap.h"
#include "kernel/base/layout.h"
#include "kernel/base/x86.h"
#include "libc/format.h"
#include "mm/vm.h"
#include "mm/paging.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include <string.h>

#define PEEK_DEFAULT 64
#define PEEK_MAX 4096

/* ---- watched accesses ---------------------------------------------------------- */

static page_fault_hook saved_hook;
static volatile struct {
    uint32_t count;
    uint32_t cr2, error, eip;
    pte_t pte_before;
    bool resolved;
} seen;
static volatile uint32_t access_done;

static bool watch_hook(struct trap_frame *tf, uint32_t cr2)
{
    pte_t before = paging_query(PGROUNDDOWN(cr2));
    bool ok = saved_hook(tf, cr2);

    if (seen.count++ == 0) {
        seen.cr2 = cr2;
        seen.error = tf->error;
        seen.eip = tf->eip;
        seen.pte_before = before;
        seen.resolved = ok;
    }
    return ok;
}

static void access_begin(void)
{
    memset((void *)&seen, 0, sizeof(seen));
    access_done = 0;
    saved_hook = paging_set_fault_hook(watch_hook);
}

static void access_end(const struct fault_record *rec, struct console_access *acc)
{
    paging_set_fault_hook(saved_hook);
    *acc = (struct console_access){
        .faulted = seen.count > 0 || rec->vector != FAULT_NONE,
        .resolved = seen.count > 0 && seen.resolved,
        .caught = rec->vector != FAULT_NONE,
        .vector = rec->vector != FAULT_NONE ? rec->vector : T_PF,
        .error = rec->vector != FAULT_NONE ? rec->error : seen.error,
        .cr2 = rec->vector != FAULT_NONE ? rec->cr2 : seen.cr2,
        .eip = rec->vector != FAULT_NONE ? rec->eip : seen.eip,
        .pte_before = seen.pte_before,
        .pte_after = paging_query(PGROUNDDOWN(seen.count ? seen.cr2 : rec->cr2)),
        .done = access_done,
    };
}

static void read_bytes(uint32_t addr, uint8_t *buf, uint32_t len)
{
    for (; access_done < len; access_done++)
        buf[access_done] = *(volatile uint8_t *)(addr + access_done);
}

static void write_value(uint32_t addr, uint32_t value, uint32_t len)
{
    if (len == 1)
        *(volatile uint8_t *)addr = (uint8_t)value;
    else if (len == 2)
        *(volatile uint16_t *)addr = (uint16_t)value;
    else
        *(volatile uint32_t *)addr = value;
    access_done = len;
}

void console_read(uint32_t addr, void *buf, uint32_t len, struct console_access *acc)
{
    struct fault_record rec = { 0 };

    access_begin();
    CATCH_FAULT(&rec, read_bytes(addr, buf, len));
    access_end(&rec, acc);
}

void console_write(uint32_t addr, uint32_t value, uint32_t len, struct console_access *acc)
{
    struct fault_record rec = { 0 };

    access_begin();
    CATCH_FAULT(&rec, write_value(addr, value, len));
    access_end(&rec, acc);
}

static bool vm_managed(uint32_t va)
{
    return (va >= USER_MIN && va <= USER_MAX) || (va >= KVM_BASE && va < KVM_END);
}

/* A store of the value the byte already holds, so the contents stay.  A
 * read-modify-write would do, but an emulator may fault it as a read
 * first; a plain store always faults as a write (W/R=1). */
static void touch_write(uint32_t addr, uint8_t value)
{
    *(volatile uint8_t *)addr = value;
    access_done = 1;
}

/* What a touch writes back: the byte as it is now, read without a fault
 * (through the entry when present, through the temporary window when the
 * page keeps a frame while not present; a demand-zero page holds 0). */
static __attribute__((noinline)) uint8_t current_byte(uint32_t addr, pte_t pte)
{
    struct vm_entry_info info;

    if (pte & PTE_P)
        return *(volatile uint8_t *)addr;
    if (!vm_managed(addr))
        return 0;
    vm_describe_entry(pte, &info);
    if (info.frame == PMM_NONE)
        return 0;
    uint8_t *p = paging_temp_map(info.frame);
    uint8_t v = p[addr & (PGSIZE - 1)];
    paging_temp_unmap(p);
    return v;
}

static void touch_read(uint32_t addr)
{
    (void)*(volatile uint8_t *)addr;
    access_done = 1;
}

/* ---- describing entries ------------------------------------------------------------ */

static const char *area_name(uint32_t va)
{
    uint32_t kstart = (uint32_t)__kernel_start, kend = (uint32_t)__kernel_end;

    if (va < USER_MIN)
        return "the NULL guard (never mapped)";
    if (va < USER_END)
        return va > USER_MAX ? "the guard between user and kernel (never mapped)"
                             : "user space (the scratch process)";
    if (va >= kstart && va < kend)
        return "the kernel image";
    if (va >= PT_WINDOW && va < PT_WINDOW_END)
        return paging_pae_on ? (va >= PAE_PD_WINDOW ? "the page directories, through the self-map "
                                                      "(PDEs 0x600-0x603)"
                                                    : "the page tables, through the self-map "
                                                      "(PDEs 0x600-0x603)")
               : va < PT_WINDOW + LEGACY_PDE_SPAN ? "the page tables, through the self-map (PDE 0x300)"
                                                  : "unused (the PAE self-map's second half)";
    if (va >= TEMPMAP_BASE && va < TEMPMAP_END)
        return "the temporary-mapping window";
    if (va >= POOL_BASE && va < POOL_END)
        return "the kernel object pool";
    if (va >= KVM_BASE && va < KVM_END)
        return "kernel virtual memory (managed by the VM layer)";
    return "the kernel half (frame allocator metadata or unused)";
}

void console_entry_str(uint32_t addr, pte_t pte, char *buf, size_t cap)
{
    struct vm_entry_info info;
    char prot[40];

    if (!vm_managed(addr)) {
        snprintf(buf, cap, (pte & PTE_P) ? "mapped at boot, not VM-managed" : "not mapped");
        return;
    }
    vm_describe_entry(pte, &info);
    if (!info.committed) {
        MEMORY_BASIC_INFORMATION m;
        bool reserved = NT_SUCCESS(vm_query(console_space_of(addr), addr, &m)) &&
                        m.State == MEM_RESERVE;
        snprintf(buf, cap, reserved ? "reserved, not committed" : "free (no allocation)");
        return;
    }
    console_prot_str(info.protect, prot, sizeof(prot));
    if (info.transition) {
        enum pfn_list l = pfn_list_of(info.frame);
        snprintf(buf, cap, "committed, transition: frame 0x%08llx on the %s list, %s", info.frame,
                 l == PFN_LIST_STANDBY ? "standby" : l == PFN_LIST_MODIFIED ? "modified" : "(no)",
                 prot);
        return;
    }
    if (info.in_pagefile) {
        snprintf(buf, cap, "committed, in the page file: slot %u, %s", info.slot, prot);
        return;
    }
    snprintf(buf, cap, "committed, %s, %s", info.present ? "resident" :
             info.frame_held ? "inaccessible, frame kept" :
             (info.protect & PAGE_GUARD) ? "guard, demand-zero" : "demand-zero", prot);
}

static unsigned low_bit(uint64_t mask)
{
    return (unsigned)__builtin_ctzll(mask);
}

static unsigned high_bit(uint64_t mask)
{
    return 63u - (unsigned)__builtin_clzll(mask);
}

/* Hex digits of an entry in the format in use: 8 (legacy) or 16 (PAE). */
static int entry_digits(void)
{
    return (int)paging_entry_size() * 2;
}

/* The hardware bits of a present entry, one by one (SDM Vol.3 tables 4-5,
 * 4-6; PAE 4-9 to 4-11, where bit 63 is NX). */
static void print_hw_bits(pte_t e, bool pde)
{
    kprintf("      P=%u RW=%u US=%u PWT=%u PCD=%u A=%u D=%u %s=%u G=%u avail=%u",
            (unsigned)(e & PTE_P), (unsigned)(e >> 1) & 1, (unsigned)(e >> 2) & 1,
            (unsigned)(e >> 3) & 1, (unsigned)(e >> 4) & 1, (unsigned)(e >> 5) & 1,
            (unsigned)(e >> 6) & 1, pde ? "PS" : "PAT", (unsigned)(e >> 7) & 1,
            (unsigned)(e >> 8) & 1, (unsigned)(e >> 9) & 7);
    if (paging_pae_on)
        kprintf(" NX=%u", (unsigned)(e >> 63));
    kprintf("\n");
}

/* A not-present PTE: the CPU ignores every bit but P; the VM layer's soft format. */
static void print_soft_bits(pte_t e)
{
    struct vm_entry_info info;
    char prot[40];
    int n = 0;

    vm_describe_entry(e, &info);
    console_prot_str(info.protect & 0xFF, prot, sizeof(prot));
    kprintf("      P=0: not present; the CPU ignores bits 1-%u and the VM layer keeps the page's "
            "state there:\n     ", paging_entry_size() * 8 - 1);
    for (const struct vm_soft_field *f = vm_soft_format; f->mask != 0; f++, n++) {
        uint64_t mask = f->mask & (paging_pae_on ? ~0ull : 0xFFFFFFFFull);
        unsigned lo = low_bit(mask), hi = high_bit(mask);
        uint64_t v = (e & mask) >> lo;
        if (n == 4)
            kprintf("\n     ");
        if (lo == hi)
            kprintf(" %s (bit %u)=%u", f->name, lo, (unsigned)v);
        else if (f->mask == PTE_FRAME && info.in_pagefile)
            kprintf(" slot (bits 12-31)=%u", info.slot);   /* a page-file entry's frame bits */
        else if (f->mask == PTE_FRAME)
            kprintf(" %s (bits %u-%u)=0x%05llx", f->name, lo, hi, v);
        else
            kprintf(" %s (bits %u-%u)=%u %s", f->name, lo, hi, (unsigned)v, prot);
    }
    kprintf("\n");
}

static void print_vm_state(uint32_t va, pte_t pte)
{
    struct vm_entry_info info;
    char state[80];

    console_entry_str(va, pte, state, sizeof(state));
    kprintf("  VM state: %s\n", state);
    if (!vm_managed(va))
        return;
    vm_describe_entry(pte, &info);
    if (!info.committed)
        kprintf("  (entry 0: an access raises STATUS_ACCESS_VIOLATION)\n");
    else if (info.transition)
        kprintf("  (trimmed from the working set: the next access takes a soft fault, no I/O)\n");
    else if (info.in_pagefile)
        kprintf("  (paged out: the next access takes a hard fault that reads slot %u)\n", info.slot);
    else if (!info.present && info.frame == PMM_NONE)
        kprintf("  (no frame yet: the first access takes a demand-zero fault)\n");
    else if (!info.present)
        kprintf("  (frame 0x%08llx is kept; the page is inaccessible until its protection "
                "changes)\n", info.frame);
}

static bool in_selfmap(uint32_t va)
{
    return paging_pae_on ? va >= PAE_PD_WINDOW && va < PT_WINDOW_END
                         : va >= LEGACY_PD_WINDOW && va < LEGACY_PD_WINDOW + LEGACY_PDE_SPAN;
}

/* A PDPTE (PAE): only P, PWT, PCD and the directory's address (SDM table 4-8). */
static void print_pdpte(pte_t e)
{
    kprintf("      P=%u PWT=%u PCD=%u (a PDPTE has no RW, US or NX: the levels below decide)\n",
            (unsigned)(e & PTE_P), (unsigned)(e >> 3) & 1, (unsigned)(e >> 4) & 1);
    if (e & PTE_A)
        kprintf("      (bit 5 set: QEMU marks PDPTEs accessed; the SDM reserves it, and a real CPU\n"
                "       loads the four PDPTEs into registers at CR3 loads and never writes them)\n");
    if (e & PTE_P)
        kprintf("      -> page directory at PA 0x%08llx\n", PTE_ADDR(e));
}

/* A PDE: its bits, and where it leads.  False when the walk ends here. */
static bool print_pde(uint32_t va, pte_t e)
{
    uint32_t span = paging_table_span();

    if (!(e & PTE_P)) {
        kprintf("      P=0: no page table; every page of 0x%08x-0x%08x reads as entry 0\n",
                va & ~(span - 1), (va & ~(span - 1)) + span - 1);
        return false;
    }
    print_hw_bits(e, true);
    if (e & PTE_PS) {
        kprintf("      PS=1: a %u MiB page at 0x%08llx\n  => PA 0x%08llx\n", span >> 20,
                PTE_ADDR(e) & ~(pte_t)(span - 1), (PTE_ADDR(e) & ~(pte_t)(span - 1)) | (va & (span - 1)));
        return false;
    }
    if (in_selfmap(va))
        kprintf("      (this PDE points at %s itself: the self-map)\n",
                paging_pae_on ? "one of the four page directories" : "the directory");
    else if (e & PTE_D)
        kprintf("      (D=1 in a PDE: the page table was written through the self-map, where this\n"
                "       entry serves as the PTE of the table's page, so the CPU marked it dirty)\n");
    kprintf("      -> page table at PA 0x%08llx\n", PTE_ADDR(e));
    return true;
}

static void print_pte_entry(uint32_t va, pte_t pte)
{
    if (pte & PTE_P) {
        print_hw_bits(pte, false);
        if (!paging_pae_on)
            kprintf("      (32-bit paging has no NX bit: a readable page is executable)\n");
        else if (!(pte & PTE_NX))
            kprintf("      NX=0: instructions may be fetched from this page\n");
        else
            kprintf("      NX=1: an instruction fetch here faults (I/D=1): DEP\n");
        kprintf("      -> frame 0x%08llx\n  => PA 0x%08llx\n", PTE_ADDR(pte), PTE_ADDR(pte) | (va & 0xFFF));
    } else if (pte != 0 && vm_managed(va)) {
        print_soft_bits(pte);
    } else {
        kprintf("      0: nothing here\n");
    }
}

void console_pte(uint32_t va)
{
    struct page_walk w;

    paging_walk(va, &w);
    kprintf("pte 0x%08x: %s%s\n", va, area_name(va),
            va < USER_END ? "" : ", shared by every address space");
    if (w.levels == 3)
        kprintf("  VA 0x%08x = PDPT index %u | PD index 0x%03x | PT index 0x%03x | offset 0x%03x "
                "(%s)\n", va, va >> 30, (va >> 21) & 0x1FF, (va >> 12) & 0x1FF, va & 0xFFF,
                paging_format_name());
    else
        kprintf("  VA 0x%08x = PD index 0x%03x | PT index 0x%03x | offset 0x%03x (%s)\n", va,
                va >> 22, (va >> 12) & 0x3FF, va & 0xFFF, paging_format_name());
    kprintf("  CR3 0x%08x: %s\n", w.cr3, w.levels == 3 ?
            "the page-directory-pointer table (4 entries, 32 bytes, below 4 GiB)" :
            "the page directory's frame");
    bool large = false;
    for (int l = 0; l < w.found; l++) {
        pte_t e = w.level[l].value;
        kprintf("  %s 0x%03x at VA 0x%08x (PA 0x%08llx) = 0x%0*llx\n", w.level[l].name,
                w.level[l].index, w.level[l].va, w.level[l].pa, entry_digits(), e);
        if (l == w.levels - 1)
            print_pte_entry(va, e);
        else if (l == w.levels - 3)
            print_pdpte(e);
        else if (!print_pde(va, e))
            large = (e & PTE_P) && (e & PTE_PS);
    }
    if (!large)
        print_vm_state(va, w.found == w.levels ? w.level[w.levels - 1].value : 0);
}

static void cmd_pte(int argc, char **argv)
{
    uint32_t va;

    if (argc != 2 || !console_parse_addr(argv[1], &va)) {
        kprintf("usage: pte ADDR\n");
        return;
    }
    console_pte(va);
}

/* ---- touch ----------------------------------------------------------------------------- */

static void print_error_code(uint32_t error)
{
    kprintf("error 0x%x (%s, %s, %s%s)", error, (error & PF_P) ? "P=1 protection" : "P=0 not present",
            (error & PF_W) ? "W/R=1 write" : "W/R=0 read", (error & PF_U) ? "U/S=1 user" : "U/S=0 supervisor",
            (error & PF_I) ? ", I/D=1 fetch" : "");
}

static void print_entry(const char *when, uint32_t va, pte_t pte)
{
    char state[80];

    console_entry_str(va, pte, state, sizeof(state));
    kprintf("  %s 0x%0*llx  %s", when, entry_digits(), pte, state);
    if (pte & PTE_P)
        kprintf(" [P%s%s%s%s%s%s] frame 0x%08llx", (pte & PTE_W) ? " RW" : " RO", (pte & PTE_U) ? " US" : "",
                (pte & PTE_A) ? " A" : "", (pte & PTE_D) ? " D" : "", (pte & PTE_G) ? " G" : "",
                (pte & PTE_NX) ? " NX" : "", PTE_ADDR(pte));
    kprintf("\n");
}

/* Why the VM layer refused: read from the entry as the fault found it. */
static const char *refusal_reason(uint32_t va, pte_t pte, bool write)
{
    struct vm_entry_info info;

    if (!vm_managed(va))
        return va < USER_END ? "the address is in a guard range that is never mapped"
                             : "kernel memory the VM layer does not manage";
    vm_describe_entry(pte, &info);
    if (!info.committed) {
        MEMORY_BASIC_INFORMATION m;
        if (NT_SUCCESS(vm_query(console_space_of(va), va, &m)) && m.State == MEM_RESERVE)
            return "the page is reserved but not committed";
        return "no allocation here (MEM_FREE)";
    }
    if ((info.protect & 0xFF) == PAGE_NOACCESS)
        return "the page is PAGE_NOACCESS";
    if (write && (pte & PTE_P) && !(pte & PTE_W))
        return "a write to a page that is not writable";
    return "the protection does not allow this access";
}

/* A trimmed page's entry (the pager's transition and page-file formats). */
static bool entry_is_transition(pte_t e)
{
    struct vm_entry_info info;
    vm_describe_entry(e, &info);
    return info.transition;
}

static bool entry_is_paged_out(pte_t e, uint32_t *slot)
{
    struct vm_entry_info info;
    vm_describe_entry(e, &info);
    *slot = info.slot;
    return info.in_pagefile;
}

void console_touch(uint32_t va, bool write)
{
    struct vm_stats before, after;
    struct console_access acc;
    struct fault_record rec = { 0 };
    uint32_t page = PGROUNDDOWN(va);
    pte_t entry_before = paging_query(page);

    kprintf("touch 0x%08x: a %s from ring 0, in %s\n", va,
            write ? "byte write (of the value it holds)" : "byte read", area_name(va));
    print_entry("entry before:", va, entry_before);
    vm_clear_last_exception();
    vm_get_stats(&before);
    access_begin();
    uint8_t keep = write ? current_byte(va, entry_before) : 0;
    if (write)
        CATCH_FAULT(&rec, touch_write(va, keep));
    else
        CATCH_FAULT(&rec, touch_read(va));
    access_end(&rec, &acc);
    vm_get_stats(&after);
    if (!acc.faulted) {
        kprintf("  no fault: the entry was present and allowed the access\n");
        print_entry("entry after: ", va, paging_query(page));
        return;
    }
    kprintf("  #PF  CR2 0x%08x  ", acc.cr2);
    print_error_code(acc.error);
    kprintf("  EIP 0x%08x\n", acc.eip);
    if (acc.resolved) {
        struct vm_entry_info info;
        uint32_t slot;
        vm_describe_entry(acc.pte_after, &info);
        if (after.faults_demand_zero > before.faults_demand_zero)
            kprintf("  handled: demand-zero fault: frame 0x%08llx %s, entry made present, the "
                    "instruction ran again\n", info.frame,
                    after.zeroed_frames < before.zeroed_frames ? "taken from the zeroed list"
                                                       : "taken and zeroed now");
        else if (entry_is_transition(acc.pte_before))
            kprintf("  handled: soft fault: frame 0x%08llx came back off its list (no I/O) and "
                    "became present again\n", info.frame);
        else if (entry_is_paged_out(acc.pte_before, &slot))
            kprintf("  handled: hard fault: page-file slot %u read into frame 0x%08llx, entry "
                    "made present\n", slot, info.frame);
        else
            kprintf("  handled: the page kept its frame 0x%08llx and became present again\n",
                    info.frame);
        kprintf("  demand-zero faults so far: %u -> %u\n", before.faults_demand_zero,
                after.faults_demand_zero);
    } else {
        const struct vm_exception *x = vm_last_exception();
        if (x->code == STATUS_GUARD_PAGE_VIOLATION)
            kprintf("  not resolved: a guard page.  The VM layer cleared PAGE_GUARD first (a "
                    "one-shot alarm),\n  so the next touch demand-zero faults the page in.\n");
        else
            kprintf("  not resolved: %s\n", refusal_reason(va, acc.pte_before, write));
        kprintf("  exception record: ExceptionCode ");
        console_print_status(x->code);
        kprintf("\n                    ExceptionAddress 0x%08x, ExceptionInformation[0] = %u (%s), "
                "[1] = 0x%08x\n", x->eip, x->access,
                x->access == EXCEPTION_WRITE_FAULT ? "write" :
                x->access == EXCEPTION_EXECUTE_FAULT ? "execute" : "read", x->address);
        kprintf("  (caught by the console's fault catch: vector %u, error 0x%x)\n", acc.vector,
                acc.error);
    }
    print_entry("entry after: ", va, paging_query(page));
}

static void cmd_touch(int argc, char **argv)
{
    uint32_t va;
    bool write = false;

    if (argc < 2 || argc > 3 || !console_parse_addr(argv[1], &va) ||
        (argc == 3 && strcmp(argv[2], "r") != 0 && strcmp(argv[2], "w") != 0)) {
        kprintf("usage: touch ADDR [r|w]\n");
        return;
    }
    write = argc == 3 && argv[2][0] == 'w';
    console_touch(va, write);
}

/* ---- peek, poke ------------------------------------------------------------------------- */

static void report_access(const struct console_access *acc)
{
    if (acc->caught) {
        const struct vm_exception *x = vm_last_exception();
        kprintf("  fault at 0x%08x (", acc->cr2);
        print_error_code(acc->error);
        kprintf(") not resolved: ");
        console_print_status(x->code);
        kprintf("\n");
    } else if (acc->faulted) {
        kprintf("  (the access took a page fault at 0x%08x that the VM layer resolved)\n", acc->cr2);
    }
}

static void cmd_peek(int argc, char **argv)
{
    static uint8_t buf[PEEK_MAX];
    uint32_t va, len = PEEK_DEFAULT;
    struct console_access acc;

    if (argc < 2 || argc > 3 || !console_parse_addr(argv[1], &va) ||
        (argc == 3 && !console_parse_size(argv[2], &len))) {
        kprintf("usage: peek ADDR [LEN]\n");
        return;
    }
    if (len > PEEK_MAX)
        len = PEEK_MAX;
    if ((uint64_t)va + len > 0x100000000ull)
        len = (uint32_t)(0x100000000ull - va);
    vm_clear_last_exception();
    console_read(va, buf, len, &acc);
    console_hexdump(va, buf, acc.done);
    report_access(&acc);
}

static void cmd_poke(int argc, char **argv)
{
    uint32_t va, value, len = 4;
    struct console_access acc;

    if (argc < 3 || argc > 4 || !console_parse_addr(argv[1], &va) ||
        !console_parse_uint(argv[2], &value) ||
        (argc == 4 && strcmp(argv[3], "b") != 0 && strcmp(argv[3], "w") != 0 &&
         strcmp(argv[3], "d") != 0)) {
        kprintf("usage: poke ADDR VALUE [b|w|d]   (byte, word, dword: default d)\n");
        return;
    }
    if (argc == 4)
        len = argv[3][0] == 'b' ? 1 : argv[3][0] == 'w' ? 2 : 4;
    vm_clear_last_exception();
    console_write(va, value, len, &acc);
    if (acc.caught) {
        kprintf("poke 0x%08x: nothing written\n", va);
        report_access(&acc);
        return;
    }
    uint8_t back[4] = { 0 };
    struct console_access racc;
    console_read(va, back, len, &racc);
    kprintf("poke 0x%08x: wrote 0x%x (%u byte%s); reads back", va, value, len, len == 1 ? "" : "s");
    for (uint32_t i = 0; i < racc.done; i++)
        kprintf(" %02x", back[i]);
    kprintf("\n");
    report_access(&acc);
}

/* ---- counters ----------------------------------------------------------------------------- */

static void cmd_tlb(int argc, char **argv)
{
    static struct paging_stats last;
    struct paging_stats s;

    (void)argc;
    (void)argv;
    paging_get_stats(&s);
    kprintf("TLB invalidations since boot:\n");
    kprintf("  INVLPG (one page)                      %8u  (+%u since the last 'tlb')\n", s.invlpg,
            s.invlpg - last.invlpg);
    kprintf("  full flushes (CR3 loads, CR4.PGE flips) %7u  (+%u)\n", s.cr3_reloads,
            s.cr3_reloads - last.cr3_reloads);
    kprintf("  global pages (CR4.PGE): %s\n", s.pge ? "on: kernel entries have G=1 and survive a CR3 load"
                                                     : "off: every CR3 load flushes the kernel's entries too");
    kprintf("  CR3 now 0x%08x (%s)\n", read_cr3(), console_space_name(console_scratch()));
    last = s;
}

static void cmd_stats(int argc, char **argv)
{
    struct vm_stats vs;
    struct paging_stats ps;
    const struct vm_exception *x = vm_last_exception();

    (void)argc;
    (void)argv;
    vm_get_stats(&vs);
    paging_get_stats(&ps);
    kprintf("page faults by kind (since boot):\n");
    kprintf("  demand-zero (resolved: a zeroed frame mapped)   %8u\n", vs.faults_demand_zero);
    kprintf("  resolved by the VM layer in all                 %8u\n", ps.faults_hooked);
    kprintf("  guard page (STATUS_GUARD_PAGE_VIOLATION)        %8u\n", vs.faults_guard);
    kprintf("  access violation (STATUS_ACCESS_VIOLATION)      %8u\n", vs.faults_access_violation);
    kprintf("  frames on the zeroed list                       %8u\n", vs.zeroed_frames);
    kprintf("  frames on the free list (to be zeroed)          %8u\n", vs.free_list_frames);
    if (x->code != 0) {
        kprintf("last unresolved fault: ");
        console_print_status(x->code);
        kprintf(" at 0x%08x (%s), EIP 0x%08x\n", x->address,
                x->access == EXCEPTION_WRITE_FAULT ? "write" :
                x->access == EXCEPTION_EXECUTE_FAULT ? "execute" : "read", x->eip);
    }
}

const struct console_cmd console_cmds_pte[] = {
    { "pte", "ADDR", "walk CR3 -> PDE -> PTE and decode both entries bit by bit", cmd_pte },
    { "touch", "ADDR [r|w]", "access one byte and show the page fault it takes", cmd_touch },
    { "peek", "ADDR [LEN]", "hex dump (faults caught and reported)", cmd_peek },
    { "poke", "ADDR VALUE [b|w|d]", "write a byte, word or dword", cmd_poke },
    { "tlb", "", "INVLPG and full-flush counts", cmd_tlb },
    { "stats", "", "page faults by kind", cmd_stats },
    { NULL, NULL, NULL, NULL },
};
