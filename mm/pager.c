/* The pager (mm/pager.h): trimming, the modified and standby lists'
 * traffic, and the faults that bring pages back.
 *
 * Why a clock and not aging: the accessed bit is the only usage hardware
 * gives, and one bit per page read once per revolution is what the clock
 * needs; aging would want a counter per page (the frame record is already
 * 24 bytes).  Each user space has its own hand, and the ring of spaces is
 * visited round-robin, so one process cannot keep the clock away from
 * the others.  The hand walks the page tables through the self-map
 * (paging_next_entry skips missing tables and empty entries), i.e. over
 * the committed pages: no working-set list is kept (slice 4's WSLE may
 * replace the walk).
 *
 * The charge guarantee.  The commit limit counts RAM (less the kernel's
 * reserve) and the page file less PAGER_SLOT_RESERVE slots.  A page holds
 * a frame (resident, modified or standby), a slot (paged out), or neither
 * (demand-zero) -- only standby pages hold both, and those can always give
 * their frame up.  So when no frame is free, user pages hold at least
 * RAM's part, and the committed pages beyond it fit the slots: a slot is
 * free for every modified page that has to go, and frames come back. */
#include "mm/pager.h"
#include "mm/pagefile.h"
#include "mm/pfn.h"
#include "mm/pfn_record.h"
#include "mm/pmm.h"
#include "mm/paging.h"
#include "mm/memlayout.h"
#include "mm/vm.h"
#include "mm/vm_pte.h"
#include "mm/vm_private.h"
#include "drivers/ata.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/panic.h"

static struct vm_space *ring;           /* user spaces; the clock's next visit */
static uint32_t ring_count;
static struct pager_stats stats;
static struct vm_space *inject_space;   /* its next hard fault's read fails (tests) */

/* ---- the ring ---- */

static void pager_space_add(struct vm_space *as)
{
    if (ring == NULL) {
        as->ring_next = as->ring_prev = as;
        ring = as;
    } else {
        as->ring_next = ring;
        as->ring_prev = ring->ring_prev;
        ring->ring_prev->ring_next = as;
        ring->ring_prev = as;
    }
    as->trim_hand = 0;
    ring_count++;
}

static void pager_space_remove(struct vm_space *as)
{
    ASSERTF(ring_count > 0 && as->ring_next != NULL, "space %p not in the pager's ring", as);
    ASSERTF(as->resident == 0, "space %p leaves the ring with %u resident pages", as, as->resident);
    if (inject_space == as)
        inject_space = NULL;
    if (as->ring_next == as) {
        ring = NULL;
    } else {
        as->ring_prev->ring_next = as->ring_next;
        as->ring_next->ring_prev = as->ring_prev;
        if (ring == as)
            ring = as->ring_next;
    }
    as->ring_next = as->ring_prev = NULL;
    ring_count--;
}

/* ---- trimming ---- */

static uint32_t available(void)
{
    return pfn_free_zeroed() + pmm_free_count();
}

/* A present page managed by the VM layer (the protection index is set),
 * not locked by VirtualLock (mm/vm_ws.c): locked pages never leave. */
static bool trimmable(pte_t e)
{
    return (e & PTE_P) && ((uint32_t)e >> HW_PROT_SHIFT & 7) != 0 && !pfn_frame_locked(PTE_ADDR(e));
}

void pager_trim_page(struct vm_space *as, uint32_t va, pte_t e)
{
    paging_set_pte(va, transition_entry(e));    /* every CPU's TLB forgets it first */
    pfn_put_modified(PTE_ADDR(e), (uint32_t)as, va);
    vm_resident_add(as, -1);
    stats.trimmed++;
}

/* The clock in one space, from its hand: up to `want` pages trimmed,
 * `scan` entries looked at; `all` trims without the second chance. */
static uint32_t trim_space(struct vm_space *as, uint32_t want, uint32_t scan, bool all)
{
    struct vm_space *prev = vm_attach(as);
    uint32_t n = 0, va = as->trim_hand, wraps = 0;

    while (n < want && scan > 0 && as->resident > 0) {
        va = paging_next_entry(va, USER_END);
        if (va >= USER_END) {
            va = 0;
            if (++wraps == 2)
                break;
            continue;
        }
        pte_t e = paging_entry(va);
        scan--;
        if (trimmable(e)) {
            if ((e & PTE_A) && !all) {
                paging_set_pte(va, e & ~PTE_A);
                stats.aged++;
            } else {
                pager_trim_page(as, va, e);
                n++;
            }
        }
        va += PGSIZE;
    }
    as->trim_hand = va < USER_END ? va : 0;
    vm_detach(prev);
    return n;
}

/* One turn of the ring: up to `want` pages from the spaces in order,
 * those above their maximum working set first (SetProcessWorkingSetSize:
 * the most a process keeps "whenever ... available memory is low"). */
static uint32_t trim(uint32_t want)
{
    uint32_t n = 0;
    for (int over = 1; over >= 0; over--)
        for (uint32_t i = 0; i < ring_count && n < want; i++) {
            struct vm_space *as = ring;
            ring = as->ring_next;
            if (over && as->resident <= vm_ws_max(as))
                continue;
            /* Twice the pages wanted plus the ones aged: one revolution's worth. */
            n += trim_space(as, want - n, 2 * (want - n) + 2 * as->resident, false);
        }
    return n;
}

/* ---- the lists ---- */

/* Frames a fault can have without disk I/O: available() and standby. */
static uint32_t ready(void)
{
    return available() + pfn_count(PFN_LIST_STANDBY);
}

/* Asks for the writer thread (see pager.h for the thresholds): a flag,
 * which the kernel's tick turns into a wake-up (pager_writer_wanted). */
static volatile uint32_t kick_pending;

static void kick_if_needed(void)
{
    if (ready() >= PAGER_HIGH && pfn_count(PFN_LIST_MODIFIED) < PAGER_WRITE_BATCH)
        return;
    if (!kick_pending) {
        __atomic_store_n(&kick_pending, 1, __ATOMIC_RELEASE);
        stats.kicks++;
    }
}

/* Up to `max` of the oldest modified pages to consecutive slots, in one
 * disk write, then to standby.  Returns how many (0: none waiting, no
 * slot, or the write failed: they stay modified). */
static uint32_t write_cluster(uint32_t max)
{
    paddr_t frames[PAGEFILE_CLUSTER_MAX];
    uint32_t owners[PAGEFILE_CLUSTER_MAX], vas[PAGEFILE_CLUSTER_MAX], first;
    uint32_t want = pfn_count(PFN_LIST_MODIFIED);
    if (want > max)
        want = max;
    if (want > PAGEFILE_CLUSTER_MAX)
        want = PAGEFILE_CLUSTER_MAX;
    if (want == 0)
        return 0;
    uint32_t n = pagefile_alloc_run(want, &first);
    if (n == 0) {
        stats.write_failures++;         /* the page file is full */
        return 0;
    }
    /* The modified list changes only under the VM lock, which is held. */
    for (uint32_t i = 0; i < n; i++) {
        frames[i] = pfn_take_modified(&owners[i], &vas[i]);
        ASSERTF(frames[i] != PMM_NONE, "modified list emptied under the VM lock (%u of %u)", i, n);
    }
    NTSTATUS st = pagefile_write_cluster(first, frames, n);
    for (uint32_t i = 0; i < n; i++) {
        if (NT_SUCCESS(st)) {
            pfn_put_standby(frames[i], owners[i], vas[i], first + i);
        } else {
            pagefile_free_slot(first + i);
            pfn_put_modified(frames[i], owners[i], vas[i]);
        }
    }
    if (!NT_SUCCESS(st)) {
        stats.write_failures++;
        return 0;
    }
    stats.written += n;
    stats.write_batches++;
    return n;
}

/* The oldest standby frame to the free list; its page is in its slot now. */
static bool repurpose_one(void)
{
    uint32_t owner, va, slot;
    paddr_t f = pfn_take_standby(&owner, &va, &slot);
    if (f == PMM_NONE)
        return false;
    struct vm_space *as = (struct vm_space *)owner;
    struct vm_space *prev = vm_attach(as);
    pte_t e = paging_query(va);
    ASSERTF(entry_transition(e) && PTE_ADDR(e) == f, "standby frame %08llx of %p:%08x: the "
            "entry is %016llx", f, as, va, e);
    paging_set_pte(va, pagefile_entry(e, slot));
    vm_detach(prev);
    pfn_release(f);
    stats.repurposed++;
    return true;
}

/* The fault path doing the writer's work itself (the writer is behind):
 * one step towards a free frame: repurpose, else write, else trim. */
static bool reclaim_now(void)
{
    if (repurpose_one())
        return true;
    uint32_t w = write_cluster(PAGEFILE_CLUSTER_MAX);
    if (w > 0) {
        stats.sync_written += w;
        return true;
    }
    if (pfn_count(PFN_LIST_MODIFIED) > 0)
        return false;                   /* the write failed: trimming more will not help */
    return trim(PAGER_TRIM_BATCH) > 0;
}

/* A frame for a fault, zeroed or (a page about to be read in) not.
 * Never waits for the writer thread: below PAGER_LOW it repurposes
 * standby (no I/O), and only below PAGER_CRITICAL with no standby left
 * does it trim and write by itself. */
static paddr_t take_frame(bool zeroed)
{
    kick_if_needed();
    for (uint32_t tries = 0; tries < 1024; tries++) {
        if (available() <= PAGER_LOW && repurpose_one())
            continue;                   /* leave the kernel its frames */
        if (available() <= PAGER_CRITICAL && reclaim_now())
            continue;
        /* Nothing to reclaim (no slot, a failing disk): the last
         * PAGER_CRITICAL frames stay the kernel's, and the access fails
         * (STATUS_NO_MEMORY to the thread) rather than the kernel later. */
        if (available() <= PAGER_CRITICAL)
            break;
        paddr_t f = zeroed ? pfn_take_zeroed() : pfn_take_any();
        if (f != PMM_NONE)
            return f;
        if (!reclaim_now())
            break;
    }
    stats.no_frame++;
    return PMM_NONE;
}

static paddr_t pager_take_frame(void)
{
    return take_frame(true);
}

/* ---- faults and decommit ---- */

/* The read cluster of a hard fault at va (slot): the following pages of
 * the same page table whose entries say they sit in the following slots
 * -- the writer wrote them together, in the clock's address order -- get
 * frames too, for one read (NT's in-page clustering), as long as frames
 * come without I/O (free ones, else standby ones repurposed).  frames[0]
 * is the faulting page's; returns how many, entries[] holding theirs. */
static uint32_t read_cluster(uint32_t va, uint32_t slot, paddr_t *frames, pte_t *entries)
{
    uint32_t n = 1;
    for (; n < PAGER_READ_CLUSTER; n++) {
        uint32_t v = va + n * PGSIZE;
        if (v >= USER_END || (v & (paging_table_span() - 1)) == 0)
            break;
        pte_t e = paging_query(v);
        if (!entry_in_pagefile(e) || entry_slot(e) != slot + n)
            break;
        if (available() <= PAGER_LOW && !repurpose_one())
            break;
        if ((frames[n] = pfn_take_any()) == PMM_NONE)
            break;
        entries[n] = e;
    }
    return n;
}

static NTSTATUS pager_fault(uint32_t va, pte_t e, paddr_t *frame)
{
    struct vm_space *as = vm_current();
    if (entry_transition(e)) {
        paddr_t f = PTE_ADDR(e);
        uint32_t slot = pfn_unlist(f, (uint32_t)as, va);
        if (slot != PAGEFILE_NO_SLOT)
            pagefile_free_slot(slot);   /* back in a working set: written again if trimmed */
        else
            stats.soft_from_modified++;
        stats.soft_faults++;
        *frame = f;
        return STATUS_SUCCESS;
    }
    ASSERTF(entry_in_pagefile(e), "pager fault at %08x on entry %016llx", va, e);
    paddr_t frames[PAGER_READ_CLUSTER];
    pte_t entries[PAGER_READ_CLUSTER];
    if ((frames[0] = take_frame(false)) == PMM_NONE)
        return STATUS_NO_MEMORY;
    /* e is still this page's entry: reclaiming changes only present and
     * transition entries (and those of other pages). */
    uint32_t slot = entry_slot(e), n = read_cluster(va, slot, frames, entries);
    if (inject_space == as) {
        inject_space = NULL;            /* this read, and no other: the VM lock is held */
        ata_fail_next_reads(1);
    }
    NTSTATUS st = pagefile_read_cluster(slot, frames, n);
    if (!NT_SUCCESS(st)) {
        for (uint32_t i = 0; i < n; i++)
            pfn_release(frames[i]);     /* the pages stay in their slots */
        stats.in_page_errors++;
        kprintf("pager: read of page %08x from slot %u failed (%08lx): STATUS_IN_PAGE_ERROR\n",
                va, slot, (unsigned long)st);
        return STATUS_IN_PAGE_ERROR;
    }
    pagefile_free_slot(slot);
    /* The pages read ahead wait on standby, their slots kept: a fault on
     * one is soft; unused, they are repurposed like any standby page. A
     * not-present entry changed needs no invalidation (SDM Vol.3 4.10.4.3). */
    for (uint32_t i = 1; i < n; i++) {
        paging_set_pte(va + i * PGSIZE, prefetched_entry(entries[i], frames[i]));
        pfn_put_standby(frames[i], (uint32_t)as, va + i * PGSIZE, slot + i);
    }
    stats.hard_faults++;
    stats.read_ahead += n - 1;
    *frame = frames[0];
    return STATUS_SUCCESS;
}

static void pager_discard(struct vm_space *as, uint32_t va, pte_t e)
{
    if (entry_transition(e)) {
        paddr_t f = PTE_ADDR(e);
        uint32_t slot = pfn_unlist(f, (uint32_t)as, va);
        if (slot != PAGEFILE_NO_SLOT)
            pagefile_free_slot(slot);
        pfn_release(f);
    } else {
        ASSERTF(entry_in_pagefile(e), "discard of %08x: entry %016llx", va, e);
        pagefile_free_slot(entry_slot(e));
    }
}

/* ---- the writer thread's work, and the tests' ---- */

bool pager_writer_wanted(void)
{
    return __atomic_exchange_n(&kick_pending, 0, __ATOMIC_ACQ_REL) != 0;
}

uint32_t pager_work(void)
{
    struct vm_space *prev;
    uint32_t flags = vm_enter(vm_kernel_space(), &prev);
    uint32_t n = 0, modified = pfn_count(PFN_LIST_MODIFIED);
    if (ready() + modified < PAGER_HIGH)
        n += trim(2 * PAGER_TRIM_BATCH);
    modified = pfn_count(PFN_LIST_MODIFIED);
    if (modified >= PAGER_WRITE_BATCH || (modified > 0 && ready() < PAGER_HIGH))
        n += write_cluster(PAGEFILE_CLUSTER_MAX);
    while (available() < PAGER_LOW && repurpose_one())
        n++;
    vm_leave(flags, prev);
    return n;
}

uint32_t pager_trim_all(bool to_pagefile)
{
    struct vm_space *prev;
    uint32_t flags = vm_enter(vm_kernel_space(), &prev);
    uint32_t n = 0;
    for (uint32_t i = 0; i < ring_count; i++) {
        struct vm_space *as = ring;
        ring = as->ring_next;
        as->trim_hand = 0;
        n += trim_space(as, UINT32_MAX, UINT32_MAX, true);
    }
    while (write_cluster(PAGEFILE_CLUSTER_MAX) > 0)
        ;
    while (to_pagefile && repurpose_one())
        ;
    vm_leave(flags, prev);
    return n;
}

static const struct vm_pager_ops ops = {
    .space_add = pager_space_add,
    .space_remove = pager_space_remove,
    .take_frame = pager_take_frame,
    .fault = pager_fault,
    .discard = pager_discard,
};

void pager_init(void)
{
    vm_set_pager(&ops);
}

void pager_inject_read_error(struct vm_space *as)
{
    struct vm_space *prev;
    uint32_t flags = vm_enter(vm_kernel_space(), &prev);
    inject_space = as;
    vm_leave(flags, prev);
}

uint32_t pager_commit_slots(void)
{
    struct pagefile_stats s;
    pagefile_get_stats(&s);
    return s.slots > PAGER_SLOT_RESERVE ? s.slots - PAGER_SLOT_RESERVE : 0;
}

void pager_get_stats(struct pager_stats *out)
{
    struct vm_space *prev;
    uint32_t flags = vm_enter(vm_kernel_space(), &prev);
    *out = stats;
    vm_leave(flags, prev);
}

void pager_print_report(void)
{
    struct pager_stats s;
    pager_get_stats(&s);
    kprintf("  %-28s %u trimmed (%u aged), %u written in %u batches (%u by faults), "
            "%u write failures, %u repurposed, %u writer kicks\n", "pager", s.trimmed, s.aged,
            s.written, s.write_batches, s.sync_written, s.write_failures, s.repurposed, s.kicks);
    kprintf("  %-28s %u soft (%u from modified), %u hard, %u in-page errors, %u unserved\n",
            "pager faults", s.soft_faults, s.soft_from_modified, s.hard_faults,
            s.in_page_errors, s.no_frame);
}
