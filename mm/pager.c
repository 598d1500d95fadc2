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
#include "kernel/base/kprintf.h"
#include "kernel/base/panic.h"

static struct vm_space *ring;           /* user spaces; the clock's next visit */
static uint32_t ring_count;
static struct pager_stats stats;

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

/* The oldest modified page to a slot, then to standby.  False when there
 * is none, or it could not be written (it stays modified). */
static bool write_one(void)
{
    uint32_t owner, va;
    paddr_t f = pfn_take_modified(&owner, &va);
    if (f == PMM_NONE)
        return false;
    uint32_t slot = pagefile_alloc_slot();
    NTSTATUS st = slot == PAGEFILE_NO_SLOT ? STATUS_NO_MEMORY : pagefile_write(slot, f);
    if (!NT_SUCCESS(st)) {
        if (slot != PAGEFILE_NO_SLOT)
            pagefile_free_slot(slot);
        pfn_put_modified(f, owner, va);
        stats.write_failures++;
        return false;
    }
    pfn_put_standby(f, owner, va, slot);
    stats.written++;
    return true;
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

/* One step towards a free frame: repurpose, else write, else trim. */
static bool reclaim_one(void)
{
    if (repurpose_one() || write_one())
        return true;
    struct pfn_stats ps;
    pfn_get_stats(&ps);
    if (ps.modified > 0)
        return false;                   /* the writer failed: trimming more will not help */
    return trim(PAGER_TRIM_BATCH) > 0;
}

static paddr_t pager_take_frame(void)
{
    for (uint32_t tries = 0; tries < 1024; tries++) {
        if (available() <= PAGER_LOW && reclaim_one())
            continue;                   /* leave the kernel its frames */
        paddr_t f = pfn_take_zeroed();
        if (f != PMM_NONE)
            return f;
        if (!reclaim_one())
            break;
    }
    stats.no_frame++;
    return PMM_NONE;
}

/* ---- faults and decommit ---- */

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
    paddr_t f = pager_take_frame();
    if (f == PMM_NONE)
        return STATUS_NO_MEMORY;
    /* e is still this page's entry: reclaiming changes only present and
     * transition entries (and those of other pages). */
    uint32_t slot = entry_slot(e);
    NTSTATUS st = pagefile_read(slot, f);
    if (!NT_SUCCESS(st)) {
        pfn_release(f);                 /* the page stays in its slot */
        stats.in_page_errors++;
        kprintf("pager: read of page %08x from slot %u failed (%08lx): STATUS_IN_PAGE_ERROR\n",
                va, slot, (unsigned long)st);
        return STATUS_IN_PAGE_ERROR;
    }
    pagefile_free_slot(slot);
    stats.hard_faults++;
    *frame = f;
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

uint32_t pager_work(void)
{
    struct vm_space *prev;
    uint32_t flags = vm_enter(vm_kernel_space(), &prev);
    uint32_t n = 0;
    while (n < 16 && write_one())
        n++;
    while (n < 32 && available() < PAGER_HIGH && repurpose_one())
        n++;
    if (available() < PAGER_LOW)
        n += trim(PAGER_TRIM_BATCH);
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
    while (write_one())
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
    kprintf("  %-28s %u trimmed (%u aged), %u written, %u write failures, %u repurposed\n",
            "pager", s.trimmed, s.aged, s.written, s.write_failures, s.repurposed);
    kprintf("  %-28s %u soft (%u from modified), %u hard, %u in-page errors, %u unserved\n",
            "pager faults", s.soft_faults, s.soft_from_modified, s.hard_faults,
            s.in_page_errors, s.no_frame);
}
