/* Issue 19's figures (tests/bench.py boots these at -m 32M with a page
 * file; without one they print a comment and no figure):
 *
 *   pager.fault.soft_standby    a fault on a trimmed page whose frame waits
 *                               on the standby list: no I/O (median of 16)
 *   pager.io.read_1page         one page read from the page file by DMA, as
 *                               the polling CPU sees it: under -icount the
 *                               instructions of the status loop stand for
 *                               QEMU's emulated I/O time, so this figure
 *                               follows the host, unlike the others
 *   pager.fault.hard            a fault that reads its page back (one page,
 *                               no read-ahead), I/O wait included
 *   pager.fault.hard.excl_io    the same less the median read: the kernel's
 *                               own instructions of a hard fault
 *   pager.fault.hard.read_ahead8  a hard fault that reads 8 pages (its own
 *                               and 7 following ones, to standby)
 *   pressure.writer.pages_per_s pages written to the page file per second
 *                               of host time while one address space writes
 *                               twice RAM (booted without -icount: the TSC
 *                               and the tick are host time then) */
#include "tests/bench/kbench.h"
#include "kernel/arch/timer.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/panic.h"
#include "kernel/mpw.h"
#include "mm/pagefile.h"
#include "mm/pager.h"
#include "mm/pmm.h"
#include "mm/vm.h"

#define SAMPLES 16u

static bool have_pagefile(const char *what)
{
    struct pagefile_stats s;
    pagefile_get_stats(&s);
    if (s.state != PAGEFILE_READY)
        kprintf("# bench %s: no page file, no figure\n", what);
    return s.state == PAGEFILE_READY;
}

/* A user space with `pages` committed and written (one word each), current. */
static struct vm_space *bp_space(uint32_t pages, uint32_t *base)
{
    struct vm_space *as = vm_space_create();
    ASSERT(as != NULL);
    uint32_t size = pages * PGSIZE;
    *base = 0;
    ASSERT(vm_allocate(as, base, &size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == STATUS_SUCCESS);
    vm_switch(as);
    for (uint32_t i = 0; i < pages; i++)
        *(volatile uint32_t *)(*base + i * PGSIZE) = i;
    return as;
}

static void bp_done(struct vm_space *as, uint32_t base)
{
    uint32_t size = 0;
    vm_switch(vm_kernel_space());
    ASSERT(vm_free(as, &base, &size, MEM_RELEASE) == STATUS_SUCCESS);
    vm_space_destroy(as);
}

static uint32_t median(uint32_t *v, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint32_t x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return v[n / 2];
}

/* Touches page `i` of base under measurement. */
static uint32_t timed_touch(uint32_t base, uint32_t i)
{
    uint32_t t = kbench_begin();
    (void)*(volatile uint32_t *)(base + i * PGSIZE);
    return kbench_end(t);
}

static void bench_soft(void)
{
    uint32_t base, v[SAMPLES];
    if (!have_pagefile("pager.fault.soft_standby"))
        return;
    struct vm_space *as = bp_space(SAMPLES, &base);
    vm_switch(vm_kernel_space());
    pager_trim_all(false);                  /* written, frames kept: standby */
    vm_switch(as);
    for (uint32_t i = 0; i < SAMPLES; i++)
        v[i] = timed_touch(base, i);
    kbench_report("pager.fault.soft_standby", median(v, SAMPLES));
    bp_done(as, base);
}
KBENCH(b_pager_soft, "pager.fault.soft_standby", bench_soft);

static uint32_t io_read_median(void)
{
    uint32_t v[SAMPLES];
    paddr_t f = pmm_alloc();
    uint32_t slot = pagefile_alloc_slot();
    ASSERT(f != PMM_NONE && slot != PAGEFILE_NO_SLOT);
    ASSERT(pagefile_write(slot, f) == STATUS_SUCCESS);
    for (uint32_t i = 0; i < SAMPLES; i++) {
        uint32_t t = kbench_begin();
        NTSTATUS st = pagefile_read(slot, f);
        v[i] = kbench_end(t);
        ASSERT(st == STATUS_SUCCESS);
    }
    pagefile_free_slot(slot);
    pmm_free(f);
    return median(v, SAMPLES);
}

static void bench_hard(void)
{
    uint32_t base, v[SAMPLES];
    if (!have_pagefile("pager.fault.hard"))
        return;
    uint32_t io = io_read_median();
    kbench_report("pager.io.read_1page", io);
    /* Descending: the page after each one is back already, so no fault
     * reads more than its own page. */
    struct vm_space *as = bp_space(SAMPLES, &base);
    vm_switch(vm_kernel_space());
    pager_trim_all(true);                   /* every page in its slot, no frame */
    vm_switch(as);
    for (uint32_t i = SAMPLES; i-- > 0;)
        v[i] = timed_touch(base, i);
    uint32_t hard = median(v, SAMPLES);
    kbench_report("pager.fault.hard", hard);
    kbench_report("pager.fault.hard.excl_io", hard > io ? hard - io : 0);
    bp_done(as, base);
    /* Ascending, every 8th page: each fault reads its own and 7 more. */
    as = bp_space(SAMPLES * 8, &base);
    vm_switch(vm_kernel_space());
    pager_trim_all(true);
    vm_switch(as);
    for (uint32_t i = 0; i < SAMPLES; i++)
        v[i] = timed_touch(base, i * 8);
    kbench_report("pager.fault.hard.read_ahead8", median(v, SAMPLES));
    bp_done(as, base);
}
KBENCH(b_pager_hard, "pager.fault.hard", bench_hard);

/* Host time: twice the RAM part of the commit limit written once, the
 * writer thread and the faults paging meanwhile (interrupts on). */
static void bench_writer_rate(void)
{
    struct vm_stats vs;
    struct pager_stats p0, p1;
    struct mpw_stats w0, w1;
    uint32_t base;
    if (!have_pagefile("pressure.writer.pages_per_s"))
        return;
    vm_get_stats(&vs);
    uint32_t pages = 2 * (vs.commit_limit - vs.commit_limit_pagefile);
    pager_get_stats(&p0);
    mpw_get_stats(&w0);
    uint64_t t0 = timer_ticks();
    struct vm_space *as = bp_space(pages, &base);
    uint64_t t1 = timer_ticks();
    pager_get_stats(&p1);
    mpw_get_stats(&w1);
    uint32_t written = p1.written - p0.written, ms = (uint32_t)(t1 - t0);
    kprintf("# pressure: %u pages written once in %u ms: %u pages to the page file in %u writes "
            "(%u by faults), writer woken %u times\n", pages, ms, written,
            p1.write_batches - p0.write_batches, p1.sync_written - p0.sync_written,
            w1.wakeups - w0.wakeups);
    kprintf("bench pressure.writer.pages_per_s %u pages/s\n", ms ? written * 1000u / ms : 0);
    bp_done(as, base);
}
KBENCH(b_pressure_writer, "pressure.writer.pages_per_s", bench_writer_rate);
