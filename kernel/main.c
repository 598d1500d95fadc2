/* kmain: bring the machine up in dependency order, then run the job the
 * command line asks for (test suites, or the interactive console). */
#include "kernel/bootinfo.h"
#include "kernel/cmdline.h"
#include "kernel/base/kprintf.h"
#include "kernel/arch/gdt.h"
#include "kernel/arch/trap.h"
#include "kernel/arch/pic.h"
#include "kernel/arch/timer.h"
#include "kernel/base/panic.h"
#include "kernel/base/qemu.h"
#include "kernel/console/shell.h"
#include "kernel/base/serial.h"
#include "kernel/process.h"
#include "kernel/usercopy.h"
#include "kernel/thread.h"
#include "kernel/syscall.h"
#include "kernel/programs.h"
#include "kernel/smp.h"
#include "kernel/mpw.h"
#include "kernel/base/percpu.h"
#include <stddef.h>
#include <string.h>
#include "kernel/base/x86.h"
#include "kernel/base/layout.h"
#include "mm/pmm.h"
#include "mm/paging.h"
#include "mm/vm.h"
#include "mm/pagefile.h"
#include "mm/pager.h"
#include "mm/kpool.h"
#include "mm/kheap.h"
#include "mm/heap/heap.h"
#include "tests/ktest.h"
#include "tests/bench/kbench.h"

#define KERNEL_NAME "winmm-x86"
#define KERNEL_VERSION "0.1"


static void print_banner(void)
{
    kprintf("\n%s %s: a 32-bit x86 kernel with the Windows memory API layering\n",
            KERNEL_NAME, KERNEL_VERSION);
    kprintf("cmdline: '%s'\n", bootinfo()->cmdline);
}

/* Chooses the page-table format (paging=legacy asks for the classic
 * one), hands the memory map to the frame allocator below the format's
 * physical limit (available RAM less the kernel image and whatever the
 * boot path still uses), then builds the page tables. */
static void memory_init(void)
{
    const struct boot_info *bi = bootinfo();
    struct pmm_range avail[BOOT_MMAP_MAX], busy[BOOT_RESERVED_MAX + 2];
    int na = 0, nb = 0;

    for (int i = 0; i < bi->mmap_count; i++)
        if (bi->mmap[i].type == BOOT_MEM_AVAILABLE)
            avail[na++] = (struct pmm_range){ bi->mmap[i].base,
                                              bi->mmap[i].base + bi->mmap[i].length, "ram" };
    busy[nb++] = (struct pmm_range){ (uint32_t)__kernel_start - KERNEL_VBASE,
                                     (uint32_t)__kernel_end - KERNEL_VBASE, "kernel image" };
    /* The application processors' start-up page (kernel/smp.c). */
    busy[nb++] = (struct pmm_range){ 0x7000, 0x8000, "AP start-up page" };
    for (int i = 0; i < bi->reserved_count; i++)
        busy[nb++] = (struct pmm_range){ bi->reserved[i].start, bi->reserved[i].end,
                                         bi->reserved[i].what };
    const char *format = cmdline_get("paging");
    if (format != NULL && strcmp(format, "legacy") != 0 && strcmp(format, "pae") != 0)
        kprintf("paging=%s is not a format (legacy, pae): the default\n", format);
    uint64_t limit = paging_select(format != NULL && strcmp(format, "legacy") == 0);
    pmm_init(avail, na, busy, nb, limit);
    paging_init();
    vm_init();
    pagefile_init();
    pager_init();
    vm_dep_init(cmdline_get("nx"));
    kheap_init();
    pmm_print_report();
}

/* The leak check's counters (mm/vm.h explains why kernel-space pages count
 * as available). */
static uint64_t counter_free_frames(void)
{
    struct vm_leak_counters c;
    vm_get_leak_counters(&c);
    return c.available_frames;
}

static uint64_t counter_page_tables(void)
{
    struct vm_leak_counters c;
    vm_get_leak_counters(&c);
    return c.page_tables;
}

static uint64_t counter_commit_charge(void)
{
    struct vm_leak_counters c;
    vm_get_leak_counters(&c);
    return c.user_commit_charge;
}

/* Kernel virtual memory reservations other than the kernel heap's own
 * segments: a kernel stack or buffer not given back shows here. */
static uint64_t counter_kernel_vm(void)
{
    struct heap_stats s;
    heap_get_stats(kheap(), &s);
    return vm_space_allocations(vm_kernel_space()) - s.segments - s.large_blocks;
}

static uint64_t counter_kernel_heap(void)
{
    return kheap_in_use();
}

void kmain(uint32_t magic, uint32_t mbi_phys)
{
    gdt_init();                 /* first: per-CPU data (and the spinlocks' checks) need it */
    serial_init();
    bootinfo_init(magic, mbi_phys);
    trap_init();
    pic_init(T_IRQ0);
    usercopy_init();
    timer_init();
    print_banner();
    bootinfo_print();
    int unknown = cmdline_init(bootinfo()->cmdline); /* (before the kernel heap: heap=nolfh) */
    const char *acpi = cmdline_get("acpi");
    smp_discover(acpi != NULL && strcmp(acpi, "off") == 0);
    memory_init();
    process_init();
    thread_init();
    syscall_init();
    sti();
    mpw_init();                 /* the page file counts in the commit limit from here */
    const char *max_cpus = cmdline_get("cpus");
    uint32_t limit = 0;
    for (const char *p = max_cpus; p != NULL && *p >= '0' && *p <= '9'; p++)
        limit = limit * 10 + (uint32_t)(*p - '0');
    smp_start(limit);
    smp_print_cpus();

    const char *tests = cmdline_get("test");
    if (tests != NULL) {
        ktest_register_counter("free frames", counter_free_frames);
        ktest_register_counter("page-table pages", counter_page_tables);
        ktest_register_counter("commit charge", counter_commit_charge);
        ktest_register_counter("kernel heap bytes in use", counter_kernel_heap);
        ktest_register_counter("kernel VM reservations", counter_kernel_vm);
        bool ok = ktest_run(tests) && unknown == 0;
        qemu_exit(ok ? QEMU_EXIT_PASS : QEMU_EXIT_FAIL);
    }
    const char *programs = cmdline_get("run");
    if (programs != NULL) {
        bool ok = programs_run(programs) && unknown == 0;
        qemu_exit(ok ? QEMU_EXIT_PASS : QEMU_EXIT_FAIL);
    }
    const char *benches = cmdline_get("bench");
    if (benches != NULL) {
        kbench_run(benches);
        qemu_exit(unknown == 0 ? QEMU_EXIT_PASS : QEMU_EXIT_FAIL);
    }
    /* Every boot's log is one KTAP document (prove -e cat accepts it);
     * the console's reports no tests of its own. */
    kprintf("KTAP version 1\n1..0 # SKIP no test=, run= or bench= job: the console\n");
    shell_run();
}
