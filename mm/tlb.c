/* TLB invalidation for this CPU and the others (mm/tlb.h).
 *
 * The local half is INVLPG or a full flush; the other CPUs' half is one
 * shootdown request (mm/tlb_shootdown.c) per call or per batch, sent only
 * to the CPUs that may hold the entries: every online CPU for the shared
 * (global) kernel pages, else the CPUs in the current address space's
 * active set, which a CPU enters before it loads that space's CR3 and
 * leaves after loading another (tlb_load_cr3). */
#include "mm/tlb.h"
#include "mm/tlb_shootdown.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include "kernel/base/panic.h"
#include "kernel/base/percpu.h"
#include "kernel/base/x86.h"
#include <stddef.h>

static struct {
    uint32_t invlpg, flushes;
} counts;
static volatile uint32_t boot_active = 1;

/* The active set of the space in this CPU's CR3 (per CPU). */
static volatile uint32_t *current_active(void)
{
    volatile uint32_t *a = percpu_ready ? this_cpu()->space_cpus : NULL;
    return a != NULL ? a : &boot_active;
}

void tlb_space_switched(volatile uint32_t *active)
{
    this_cpu()->space_cpus = active;
}

void tlb_load_cr3(uint32_t cr3, volatile uint32_t *active, volatile uint32_t *old_active)
{
    uint32_t me = 1u << cpu_index();
    __atomic_or_fetch(active, me, __ATOMIC_SEQ_CST);
    this_cpu()->space_cpus = active;
    write_cr3(cr3);
    if (old_active != active)
        __atomic_and_fetch(old_active, ~me, __ATOMIC_SEQ_CST);
}

void tlb_get_counts(uint32_t *invlpg, uint32_t *flushes)
{
    *invlpg = counts.invlpg;
    *flushes = counts.flushes;
}


/* ---- the other CPUs' half (mm/tlb_shootdown.c) ---- */

/* Entries of the self-map window belong to the address space in CR3, like
 * user entries; every other kernel entry is shared (and global). */
static bool shared_kernel_va(uint32_t va)
{
    return va >= USER_END && !(va >= PT_WINDOW && va < PT_WINDOW_END);
}

/* The CPUs other than this one that may cache entries for va: every
 * online CPU for shared kernel pages, else those that have loaded the
 * current space's CR3 and not left it since (leaving reloads CR3, which
 * drops its non-global entries). */
static uint32_t tlb_targets(bool shared)
{
    if (cpus_online <= 1)
        return 0;
    uint32_t mask = shared ? cpus_online_mask : __atomic_load_n(current_active(), __ATOMIC_SEQ_CST);
    return mask & ~(1u << cpu_index());
}

static void tlb_remote(const uint32_t *va, uint32_t n, bool all, bool shared)
{
    uint32_t targets = tlb_targets(shared);
    if (targets == 0) {
        if (cpus_online > 1)
            tlb_shootdown_count_local_only();
        return;
    }
    tlb_shootdown(targets, va, n, all, shared);
}

/* This CPU only: for the temporary window, whose slots only the CPU that
 * mapped one uses, and which invalidates on every map. */
void tlb_invalidate_local(uint32_t va)
{
    invlpg(va);
    counts.invlpg++;
}

void tlb_invalidate(uint32_t va)
{
    tlb_invalidate_local(va);
    tlb_remote(&va, 1, false, shared_kernel_va(va));
}

/* Past this many pages one CR3 reload (and refilling the TLB) is cheaper
 * than a run of INVLPGs.  Measured with `make bench` (tlb.range_walltime,
 * TSC ticks without -icount, medians of 15, QEMU TCG on this project's
 * machines): 8 pages 7,402 vs 10,362; 16 pages 14,492 vs 12,864; so the
 * crossover lies between 8 and 16.  Kernel pages are global and survive a
 * CR3 load (SDM Vol.3 4.10.4.1), so a range that touches the kernel half
 * flushes everything by toggling CR4.PGE instead.  Local only: callers
 * send the other CPUs' half. */
#define TLB_RANGE_RELOAD_THRESHOLD 12

static void tlb_flush_all(bool kernel_too)
{
    if (kernel_too && (read_cr4() & CR4_PGE)) {
        uint32_t cr4 = read_cr4();
        write_cr4(cr4 & ~CR4_PGE);
        write_cr4(cr4);
    } else {
        write_cr3(read_cr3());
    }
    counts.flushes++;
}

/* One shootdown for the whole range: the pages listed when they fit in a
 * request, else a full flush. */
void tlb_invalidate_range(uint32_t va, uint32_t pages)
{
    bool kernel = va + pages * PGSIZE > USER_END || va + pages * PGSIZE < va;
    uint32_t list[TLB_SHOOT_PAGES];
    if (pages > TLB_RANGE_RELOAD_THRESHOLD) {
        tlb_flush_all(kernel);
    } else {
        for (uint32_t i = 0; i < pages; i++)
            tlb_invalidate_local(va + i * PGSIZE);
    }
    for (uint32_t i = 0; i < pages && i < TLB_SHOOT_PAGES; i++)
        list[i] = va + i * PGSIZE;
    tlb_remote(list, pages, pages > TLB_SHOOT_PAGES, kernel || shared_kernel_va(va));
}

/* Batched invalidation: while a batch is open, changed present entries
 * are remembered instead of flushed one by one; paging_batch_end flushes
 * them, or everything when there were more than the threshold.  The
 * caller must not touch the affected pages until the batch ends.  One
 * batch per CPU: a batch is opened and closed under the VM lock (a
 * spinlock), so the thread cannot move to another CPU inside it. */
static struct {
    int depth;
    uint32_t count;
    bool kernel;
    uint32_t va[TLB_RANGE_RELOAD_THRESHOLD];
} batches[MAX_CPUS];
#define batch (batches[cpu_index()])

void tlb_invalidate_changed(uint32_t va)
{
    if (batch.depth == 0) {
        tlb_invalidate(va);
        return;
    }
    if (batch.count < TLB_RANGE_RELOAD_THRESHOLD)
        batch.va[batch.count] = va;
    batch.count++;
    batch.kernel |= va >= USER_END;
}

void paging_batch_begin(void)
{
    uint32_t flags = irq_save();
    batch.depth++;
    irq_restore(flags);
}

void paging_batch_end(void)
{
    uint32_t flags = irq_save();
    ASSERT(batch.depth > 0);
    if (--batch.depth == 0) {
        bool all = batch.count > TLB_RANGE_RELOAD_THRESHOLD;
        if (all) {
            tlb_flush_all(batch.kernel);
        } else {
            for (uint32_t i = 0; i < batch.count; i++)
                tlb_invalidate_local(batch.va[i]);
        }
        if (batch.count != 0)
            tlb_remote(batch.va, batch.count, all, batch.kernel);   /* one IPI per CPU */
        batch.count = 0;
        batch.kernel = false;
    }
    irq_restore(flags);
}

