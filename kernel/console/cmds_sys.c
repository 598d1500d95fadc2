/* Console commands about the machine as a whole: help, mem, memmap,
 * ticks, cpus, run, halt. */
#include "kernel/console/cmds.h"
#include "kernel/base/kprintf.h"
#include "libc/format.h"
#include "kernel/bootinfo.h"
#include "kernel/arch/timer.h"
#include "kernel/base/qemu.h"
#include "kernel/programs.h"
#include "kernel/smp.h"
#include "mm/pagefile.h"
#include "mm/pager.h"
#include "mm/pmm.h"
#include "mm/paging.h"
#include "mm/vm.h"
#include "mm/heap/heap.h"
#include "mm/kheap.h"
#include <string.h>

static void print_cmd_help(const struct console_cmd *c)
{
    char head[48];

    snprintf(head, sizeof(head), "%s %s", c->name, c->usage);
    kprintf("  %-31s %s\n", head, c->help);
}

static void cmd_help(int argc, char **argv)
{
    if (argc > 1) {
        const struct console_cmd *c = console_find(argv[1]);
        if (c == NULL) {
            kprintf("no command '%s'\n", argv[1]);
            return;
        }
        print_cmd_help(c);
        return;
    }
    for (const struct console_group *g = console_groups; g->title; g++) {
        kprintf("%s:\n", g->title);
        for (const struct console_cmd *c = g->cmds; c->name; c++)
            print_cmd_help(c);
    }
    kprintf("Addresses are hex (0x optional) or a kernel function name; sizes are decimal\n"
            "bytes, 0x hex, or 4K / 64K / 1M; PROT is READWRITE, READONLY|GUARD, rw, 0x104...\n"
            "User addresses are the scratch process's, 0x80000000 and up the kernel's.\n"
            "Keys: Up/Down history, Tab completes, Ctrl-U clears the line.\n");
}

/* Frames as "N frames (X KiB)". */
static void print_frames(const char *what, uint32_t frames)
{
    char n[24], k[24];

    console_num_str(frames, n, sizeof(n));
    console_num_str((uint64_t)frames * 4, k, sizeof(k));
    kprintf("  %-28s %10s frames %12s KiB\n", what, n, k);
}

static void cmd_mem(int argc, char **argv)
{
    struct pmm_stats ps;
    struct vm_stats vs;
    struct paging_stats gs;
    struct heap_stats hs;
    uint32_t committed, resident;

    (void)argc;
    (void)argv;
    pmm_get_stats(&ps);
    vm_get_stats(&vs);
    paging_get_stats(&gs);
    heap_get_stats(kheap(), &hs);
    kprintf("physical memory (page frames of 4 KiB):\n");
    print_frames("total", ps.total);
    struct pfn_stats fs;
    pfn_get_stats(&fs);
    print_frames("free in the buddy allocator", ps.free);
    print_frames("reserved (never handed out)", ps.reserved);
    print_frames("in use (page lists included)", ps.total - ps.free - ps.reserved);
    kprintf("page lists (mm/pfn.c, NT style):\n");
    print_frames("free list (old contents, to be zeroed)", fs.free);
    print_frames("zeroed list, waiting for faults", fs.zeroed);
    print_frames("being zeroed now", fs.zeroing);
    kprintf("  zero thread: %u pages cleared since boot; demand-zero faults served %u from the\n"
            "  zeroed list, %u cleared in the fault; %u frames taken back by the buddy allocator\n",
            fs.zeroed_by_thread, fs.taken_zeroed, fs.taken_cleared, fs.reclaimed);
    print_frames("above 4 GiB (of total)", ps.total_high);
    print_frames("above 4 GiB, free", ps.free_high);
    kprintf("  %s%s, physical limit %llu GiB; DEP policy %s\n", paging_format_name(),
            gs.nx ? " with NX" : " (no NX)", ps.limit >> 30,
            (const char *[]){ "AlwaysOff", "AlwaysOn", "OptIn", "OptOut" }[vm_dep_policy() & 3]);
    kprintf("commit (pages promised a frame or a page-file slot: committed pages + user page "
            "tables):\n");
    print_frames("commit charge", vs.commit_charge);
    print_frames("commit peak", vs.commit_peak);
    print_frames("commit limit", vs.commit_limit);
    print_frames("  of it from the page file", vs.commit_limit_pagefile);
    print_frames("committed pages", vs.committed_pages);
    print_frames("resident (have a frame)", vs.resident_pages);
    kprintf("page file (mm/pagefile.c, over drivers/ata.c):\n");
    pagefile_print_report();
    pager_print_report();
    kprintf("address space:\n");
    char r[24];
    console_num_str(vs.reserved_bytes / 1024, r, sizeof(r));
    kprintf("  %-28s %10u allocations, %s KiB reserved (all spaces)\n", "reservations",
            vs.allocations, r);
    vm_space_pages(console_scratch(), &committed, &resident);
    kprintf("  %-28s %10u committed pages, %u resident, %u allocations\n", "scratch process",
            committed, resident, vm_space_allocations(console_scratch()));
    kprintf("kernel heap (malloc, kmalloc):\n");
    char a[24], b[24], c[24];
    console_num_str(hs.reserved / 1024, a, sizeof(a));
    console_num_str(hs.committed / 1024, b, sizeof(b));
    console_num_str(hs.in_use, c, sizeof(c));
    kprintf("  reserved %s KiB, committed %s KiB, in use %s bytes in %u blocks\n", a, b, c,
            (unsigned)hs.busy_blocks);
    kprintf("page tables:\n");
    print_frames("page-table pages", gs.page_tables);
    kprintf("  %-28s %10u (this directory's user half)\n", "user page tables", paging_user_tables());
}

static void cmd_memmap(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    bootinfo_print();
}

static void cmd_ticks(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    kprintf("%llu timer ticks (%u Hz)\n", timer_ticks(), TIMER_HZ);
}

static void cmd_run(int argc, char **argv)
{
    unsigned long status = 0;

    if (argc < 2) {
        if (bootinfo()->module_count == 0) {
            kprintf("no programs loaded (boot with -initrd prog.elf, or the ISO of make run)\n");
            return;
        }
        kprintf("loaded programs:\n");
        programs_list();
        return;
    }
    /* The program gets its own address space; the scratch process waits. */
    vm_switch(vm_kernel_space());
    bool found = programs_run_one(argv[1], &status);
    vm_switch(console_scratch());
    if (!found) {
        kprintf("no program named '%s'; loaded:\n", argv[1]);
        programs_list();
        return;
    }
    kprintf("%s exited with 0x%08lx %s\n", argv[1], status,
            console_status_name((NTSTATUS)status));
}

static void cmd_halt(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    kprintf("halting\n");
    qemu_exit(QEMU_EXIT_PASS);
}

static void cmd_cpus(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    smp_print_cpus();
}

const struct console_cmd console_cmds_sys[] = {
    { "help", "[CMD]", "list the commands, or one command's arguments", cmd_help },
    { "mem", "", "frames, commit charge/peak/limit, kernel heap, page-table pages", cmd_mem },
    { "memmap", "", "the physical memory map the boot loader gave", cmd_memmap },
    { "ticks", "", "timer ticks since boot", cmd_ticks },
    { "cpus", "", "the CPUs: how they were found, APIC ids, IPIs, TLB shootdowns", cmd_cpus },
    { "run", "[NAME]", "run a loaded user program (no NAME: list them)", cmd_run },
    { "halt", "", "leave QEMU (exit status 33)", cmd_halt },
    { NULL, NULL, NULL, NULL },
};
