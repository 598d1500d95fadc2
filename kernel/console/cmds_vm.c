/* Console commands on the scratch process, the Win32 VirtualAlloc family
 * one call at a time (vm_allocate / vm_free / vm_protect / vm_query), and
 * vmmap, which lays an address space out as Sysinternals VMMap does: the
 * VirtualQuery walk from the bottom of the space to the top, one row per
 * run of pages with the same state and protection. */
#include "kernel/console/cmds.h"
#include "kernel/base/kprintf.h"
#include "libc/format.h"
#include "kernel/base/x86.h"
#include "mm/vm.h"
#include "mm/paging.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include <string.h>

/* ---- vmmap ------------------------------------------------------------------ */

enum region_type { TYPE_PRIVATE, TYPE_HEAP, TYPE_STACK, TYPE_FREE, TYPE_COUNT };
static const char *const type_names[TYPE_COUNT] = { "Private Data", "Heap", "Stack", "Free" };
static const char *const type_keys[TYPE_COUNT] = { "private", "heap", "stack", "free" };

struct type_total {
    uint64_t size, committed, resident;
    uint32_t blocks;
};

/* Committed pages of [base, base + size) that have a frame (P = 1).  The
 * space must be the loaded one (the scratch process) or the kernel's. */
static uint32_t resident_pages(uint32_t base, uint32_t size)
{
    uint32_t n = 0;

    for (uint32_t va = base; va - base < size; va += PGSIZE)
        n += (paging_query(va) & PTE_P) != 0;
    return n;
}

static const char *state_key(uint32_t state)
{
    return state == MEM_COMMIT ? "commit" : state == MEM_RESERVE ? "reserve" : "free";
}

static enum region_type region_type(bool kernel, const MEMORY_BASIC_INFORMATION *m,
                                    char *details, size_t cap)
{
    uint32_t alloc = (uint32_t)m->AllocationBase;

    details[0] = '\0';
    if (m->State == MEM_FREE)
        return TYPE_FREE;
    if (kernel) {
        if (console_heap_owner(alloc, details, cap) != NULL)
            return TYPE_HEAP;
        return TYPE_PRIVATE;
    }
    const char *label = console_label(alloc);
    bool stack = false;
    if (label != NULL)
        snprintf(details, cap, "%s", label);
    else if (console_thread_label(alloc, (uint32_t)m->BaseAddress, m->RegionSize, details, cap, &stack) &&
             stack)
        return TYPE_STACK;
    return TYPE_PRIVATE;
}

static void print_row(const MEMORY_BASIC_INFORMATION *m, enum region_type type, uint32_t resident,
                      const char *details, bool machine)
{
    char size[20], prot[40], aprot[40], res[20];
    uint32_t base = (uint32_t)m->BaseAddress;

    if (machine) {
        kprintf("region base=0x%08x size=0x%08x state=%s protect=0x%x allocbase=0x%08x "
                "allocprotect=0x%x type=%s resident=%u details=%s\n",
                base, (uint32_t)m->RegionSize, state_key(m->State), (uint32_t)m->Protect,
                (uint32_t)m->AllocationBase, (uint32_t)m->AllocationProtect, type_keys[type],
                resident, details[0] ? details : "-");
        return;
    }
    console_size_str(m->RegionSize, size, sizeof(size));
    console_prot_str(m->State == MEM_COMMIT ? m->Protect : 0, prot, sizeof(prot));
    console_prot_str(m->AllocationProtect, aprot, sizeof(aprot));
    if (m->State == MEM_COMMIT)
        console_size_str(resident * PGSIZE, res, sizeof(res));
    else
        strcpy(res, "-");
    if (m->State == MEM_FREE)
        kprintf("%08x  %12s  %-7s  %-20s  %-8s  %-20s  %-12s  %8s\n", base, size, "Free", "-",
                "-", "-", type_names[type], res);
    else
        kprintf("%08x  %12s  %-7s  %-20s  %08x  %-20s  %-12s  %8s  %s\n", base, size,
                console_state_name(m->State), prot, (uint32_t)m->AllocationBase, aprot,
                type_names[type], res, details);
}

static void print_totals(const struct type_total *t, uint32_t allocations)
{
    struct type_total all = { 0 };
    char a[24], b[24], c[24];

    kprintf("Type          %14s  %14s  %14s  %6s\n", "Size", "Committed", "Resident", "Blocks");
    for (int i = 0; i <= TYPE_COUNT; i++) {
        const struct type_total *x = i < TYPE_COUNT ? &t[i] : &all;
        if (i < TYPE_COUNT) {
            all.size += x->size;
            all.committed += x->committed;
            all.resident += x->resident;
            all.blocks += x->blocks;
        }
        console_num_str(x->size / 1024, a, sizeof(a));
        console_num_str(x->committed / 1024, b, sizeof(b));
        console_num_str(x->resident / 1024, c, sizeof(c));
        kprintf("%-12s  %13sK  %13sK  %13sK  %6u\n", i < TYPE_COUNT ? type_names[i] : "Total",
                a, b, c, x->blocks);
    }
    kprintf("summary: %u allocation%s, %u region%s in use, %u free gap%s\n", allocations,
            allocations == 1 ? "" : "s", t[TYPE_PRIVATE].blocks + t[TYPE_HEAP].blocks + t[TYPE_STACK].blocks,
            t[TYPE_PRIVATE].blocks + t[TYPE_HEAP].blocks + t[TYPE_STACK].blocks == 1 ? "" : "s",
            t[TYPE_FREE].blocks,
            t[TYPE_FREE].blocks == 1 ? "" : "s");
}

void console_vmmap(struct vm_space *as, bool all, bool machine)
{
    bool kernel = as == vm_kernel_space();
    uint32_t lo = kernel ? KVM_BASE : 0;
    uint64_t hi = kernel ? KVM_END : (uint64_t)USER_MAX + 1;
    struct type_total totals[TYPE_COUNT] = { { 0 } };
    uint32_t regions = 0;

    if (machine)
        kprintf("vmmap-begin space=%s cr3=0x%08x lo=0x%08x hi=0x%08x\n",
                kernel ? "kernel" : as == console_scratch() ? "scratch" : "process", read_cr3(), lo,
                (uint32_t)(hi - 1));
    else
        kprintf("%s (CR3 0x%08x), 0x%08x-0x%08x%s\n"
                "Address           Size  State    Protection            Alloc     "
                "Alloc protection      Type          Resident  Details\n",
                console_space_name(as), read_cr3(), lo, (uint32_t)(hi - 1),
                all ? "" : " (free gaps left out: vmmap -a shows them)");
    for (uint64_t a = lo; a < hi;) {
        MEMORY_BASIC_INFORMATION m;
        char details[48];
        if (!NT_SUCCESS(vm_query(as, (uint32_t)a, &m)) || m.RegionSize == 0)
            break;
        enum region_type type = region_type(kernel, &m, details, sizeof(details));
        uint32_t resident = m.State == MEM_COMMIT ? resident_pages((uint32_t)m.BaseAddress,
                                                                   m.RegionSize) : 0;
        struct type_total *t = &totals[type];
        t->size += m.RegionSize;
        t->blocks++;
        if (m.State == MEM_COMMIT) {
            t->committed += m.RegionSize;
            t->resident += (uint64_t)resident * PGSIZE;
        }
        if (all || machine || m.State != MEM_FREE)
            print_row(&m, type, resident, details, machine);
        regions++;
        a = (uint64_t)(uint32_t)m.BaseAddress + m.RegionSize;
    }
    if (machine)
        kprintf("vmmap-end regions=%u\n", regions);
    else
        print_totals(totals, vm_space_allocations(as));
}

static void cmd_vmmap(int argc, char **argv)
{
    struct vm_space *as = console_scratch();
    bool all = false, machine = false;
    uint32_t pid = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-a") == 0)
            all = true;
        else if (strcmp(argv[i], "-m") == 0)
            machine = true;
        else if (strcmp(argv[i], "kernel") == 0)
            as = vm_kernel_space();
        else if (strcmp(argv[i], "scratch") == 0 || strcmp(argv[i], "0") == 0)
            as = console_scratch();
        else if ((!console_parse_uint(argv[i], &pid) || pid == 0) &&
                 (pid = console_process_pid(argv[i])) == 0) {
            kprintf("usage: vmmap [scratch|kernel|PID|NAME] [-a] [-m]\n");
            return;
        }
    }
    if (pid != 0) {
        if (!console_vmmap_process(pid, all, machine))
            kprintf("no process %u (threads lists them)\n", pid);
        return;
    }
    console_vmmap(as, all, machine);
}

/* ---- query -------------------------------------------------------------------- */

void console_query(uint32_t addr)
{
    struct vm_space *as = console_space_of(addr);
    MEMORY_BASIC_INFORMATION m;
    char prot[40], aprot[40], size[20];

    NTSTATUS st = vm_query(as, addr, &m);
    kprintf("VirtualQuery(0x%08x) in the %s -> ", addr, console_space_name(as));
    console_print_status(st);
    kprintf("\n");
    if (!NT_SUCCESS(st)) {
        if (addr >= USER_END)
            kprintf("  (only kernel virtual memory 0x%08x-0x%08x is managed by the VM layer; "
                    "try pte)\n", KVM_BASE, KVM_END - 1);
        return;
    }
    console_prot_str(m.Protect, prot, sizeof(prot));
    console_prot_str(m.AllocationProtect, aprot, sizeof(aprot));
    console_size_str(m.RegionSize, size, sizeof(size));
    kprintf("  BaseAddress       0x%08x\n", (uint32_t)m.BaseAddress);
    kprintf("  AllocationBase    0x%08x\n", (uint32_t)m.AllocationBase);
    kprintf("  AllocationProtect 0x%08x %s\n", (uint32_t)m.AllocationProtect,
            m.AllocationProtect ? aprot : "");
    kprintf("  RegionSize        0x%08x (%s)\n", (uint32_t)m.RegionSize, size);
    kprintf("  State             0x%08x MEM_%s\n", (uint32_t)m.State,
            m.State == MEM_COMMIT ? "COMMIT" : m.State == MEM_RESERVE ? "RESERVE" : "FREE");
    kprintf("  Protect           0x%08x %s\n", (uint32_t)m.Protect, m.Protect ? prot : "");
    kprintf("  Type              0x%08x %s\n", (uint32_t)m.Type,
            m.Type == MEM_PRIVATE ? "MEM_PRIVATE" : "");
}

static void cmd_query(int argc, char **argv)
{
    uint32_t addr;

    if (argc != 2 || !console_parse_addr(argv[1], &addr)) {
        kprintf("usage: query ADDR\n");
        return;
    }
    console_query(addr);
}

/* ---- reserve, commit, decommit, release, protect --------------------------------- */

static bool user_address(uint32_t addr)
{
    if (addr < USER_END)
        return true;
    kprintf("0x%08x is in the kernel half: these commands change the scratch process only "
            "(addresses below 0x%08x)\n", addr, USER_END);
    return false;
}

static void print_result(NTSTATUS st)
{
    kprintf(" -> ");
    console_print_status(st);
    kprintf("\n");
}

static void print_charge(uint32_t before)
{
    struct vm_stats vs;

    vm_get_stats(&vs);
    kprintf("  commit charge %u -> %u pages\n", before, vs.commit_charge);
}

static uint32_t charge_now(void)
{
    struct vm_stats vs;

    vm_get_stats(&vs);
    return vs.commit_charge;
}

static void cmd_reserve(int argc, char **argv)
{
    uint32_t size, base = 0, prot = PAGE_READWRITE;
    char p[40];

    if (argc < 2 || argc > 4 || !console_parse_size(argv[1], &size) ||
        (argc > 2 && !console_parse_addr(argv[2], &base)) ||
        (argc > 3 && !console_parse_prot(argv[3], &prot))) {
        kprintf("usage: reserve SIZE [ADDR [PROT]]\n");
        return;
    }
    if (!user_address(base))
        return;
    console_prot_str(prot, p, sizeof(p));
    kprintf("VirtualAlloc(0x%08x, 0x%x, MEM_RESERVE, %s)", base, size, p);
    NTSTATUS st = vm_allocate(console_scratch(), &base, &size, MEM_RESERVE, prot);
    print_result(st);
    if (NT_SUCCESS(st))
        kprintf("  reserved 0x%08x-0x%08x (0x%x bytes): address space only, no frame, no "
                "charge\n", base, base + size - 1, size);
}

static void cmd_commit(int argc, char **argv)
{
    uint32_t base, size, prot = PAGE_READWRITE;
    char p[40];

    if (argc < 3 || argc > 4 || !console_parse_addr(argv[1], &base) ||
        !console_parse_size(argv[2], &size) || (argc > 3 && !console_parse_prot(argv[3], &prot))) {
        kprintf("usage: commit ADDR SIZE [PROT]\n");
        return;
    }
    if (!user_address(base))
        return;
    uint32_t before = charge_now();
    console_prot_str(prot, p, sizeof(p));
    kprintf("VirtualAlloc(0x%08x, 0x%x, MEM_COMMIT, %s)", base, size, p);
    NTSTATUS st = vm_allocate(console_scratch(), &base, &size, MEM_COMMIT, prot);
    print_result(st);
    if (NT_SUCCESS(st)) {
        kprintf("  committed 0x%08x-0x%08x (%u page%s): charged now, frames at the first touch\n",
                base, base + size - 1, size / PGSIZE, size == PGSIZE ? "" : "s");
        print_charge(before);
    }
}

static void cmd_decommit(int argc, char **argv)
{
    uint32_t base, size;

    if (argc != 3 || !console_parse_addr(argv[1], &base) || !console_parse_size(argv[2], &size)) {
        kprintf("usage: decommit ADDR SIZE   (SIZE 0: the whole allocation from its base)\n");
        return;
    }
    if (!user_address(base))
        return;
    uint32_t before = charge_now();
    kprintf("VirtualFree(0x%08x, 0x%x, MEM_DECOMMIT)", base, size);
    NTSTATUS st = vm_free(console_scratch(), &base, &size, MEM_DECOMMIT);
    print_result(st);
    if (NT_SUCCESS(st)) {
        kprintf("  decommitted 0x%08x-0x%08x: frames freed, still reserved\n", base,
                base + size - 1);
        print_charge(before);
    }
}

static void cmd_release(int argc, char **argv)
{
    uint32_t base, size = 0;

    if (argc != 2 || !console_parse_addr(argv[1], &base)) {
        kprintf("usage: release ADDR   (the allocation base)\n");
        return;
    }
    if (!user_address(base))
        return;
    uint32_t before = charge_now();
    kprintf("VirtualFree(0x%08x, 0, MEM_RELEASE)", base);
    NTSTATUS st = vm_free(console_scratch(), &base, &size, MEM_RELEASE);
    print_result(st);
    if (NT_SUCCESS(st)) {
        console_label_clear(base);
        kprintf("  released 0x%08x-0x%08x: the range is free again\n", base, base + size - 1);
        print_charge(before);
    }
}

static void cmd_protect(int argc, char **argv)
{
    uint32_t base, size, prot, old = 0;
    char p[40], o[40];

    if (argc != 4 || !console_parse_addr(argv[1], &base) || !console_parse_size(argv[2], &size) ||
        !console_parse_prot(argv[3], &prot)) {
        kprintf("usage: protect ADDR SIZE PROT\n");
        return;
    }
    if (!user_address(base))
        return;
    console_prot_str(prot, p, sizeof(p));
    kprintf("VirtualProtect(0x%08x, 0x%x, %s, &old)", base, size, p);
    NTSTATUS st = vm_protect(console_scratch(), &base, &size, prot, &old);
    print_result(st);
    if (NT_SUCCESS(st)) {
        console_prot_str(old, o, sizeof(o));
        kprintf("  old protection 0x%x %s; 0x%08x-0x%08x is now %s\n", old, o, base,
                base + size - 1, p);
    }
}

static void cmd_reset(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    console_scratch_reset();
    kprintf("scratch process replaced by an empty one\n");
}

const struct console_cmd console_cmds_vm[] = {
    { "vmmap", "[kernel] [-a] [-m] [PID|NAME]",
      "regions as VMMap shows them (-a free gaps, -m machine-readable)",
      cmd_vmmap },
    { "reserve", "SIZE [ADDR [PROT]]", "VirtualAlloc MEM_RESERVE", cmd_reserve },
    { "commit", "ADDR SIZE [PROT]", "VirtualAlloc MEM_COMMIT (default READWRITE)", cmd_commit },
    { "decommit", "ADDR SIZE", "VirtualFree MEM_DECOMMIT", cmd_decommit },
    { "release", "ADDR", "VirtualFree MEM_RELEASE of a whole allocation", cmd_release },
    { "protect", "ADDR SIZE PROT", "VirtualProtect; prints the old protection", cmd_protect },
    { "query", "ADDR", "VirtualQuery: MEMORY_BASIC_INFORMATION", cmd_query },
    { "reset", "", "replace the scratch process by an empty one", cmd_reset },
    { NULL, NULL, NULL, NULL },
};
