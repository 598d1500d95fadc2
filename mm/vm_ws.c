/* Working sets: locked pages, the limits, the figures (mm/vm_ws.h). */
#include "mm/vm_ws.h"
#include "mm/vm.h"
#include "mm/vm_private.h"
#include "mm/vm_pte.h"
#include "mm/pager.h"
#include "mm/pfn.h"
#include "mm/paging.h"
#include "mm/memlayout.h"
#include "kernel/base/panic.h"

/* The frame of a page in the working set (present, or kept while made
 * NOACCESS after it was locked), else PMM_NONE. */
static paddr_t resident_frame(pte_t e)
{
    return entry_frame(e);
}

static bool page_locked(pte_t e)
{
    paddr_t f = resident_frame(e);
    return f != PMM_NONE && pfn_frame_locked(f);
}

/* Locked pages of the attached space: a walk over its entries (the count
 * is not kept, because a decommit unlocks in pfn_release, below the VM
 * layer's bookkeeping).  Under the lock. */
static uint32_t count_locked(uint32_t start, uint32_t end)
{
    uint32_t n = 0;
    for (uint32_t va = paging_next_entry(start, end); va < end;
         va = paging_next_entry(va + PGSIZE, end))
        n += page_locked(paging_entry(va));
    return n;
}

/* Brings a committed, accessible, not-present page in, as a fault would
 * (mm/vm.c vm_page_fault): a transition or page-file page through the
 * pager, a demand-zero one with a zeroed frame.  Under the lock. */
static NTSTATUS make_resident(struct vm_space *as, uint32_t va, pte_t e)
{
    paddr_t frame = PMM_NONE;
    NTSTATUS st = STATUS_SUCCESS;
    const struct vm_pager_ops *pager = as->pager_ops;

    if (entry_transition(e) || entry_in_pagefile(e))
        st = pager->fault(va, e, &frame);
    else if ((frame = pager != NULL ? pager->take_frame() : pfn_take_zeroed()) == PMM_NONE)
        st = STATUS_NO_MEMORY;
    if (!NT_SUCCESS(st))
        return st;
    vm_resident_add(as, 1);
    paging_set_pte(va, present_entry(frame, entry_protect(e), true, vm_space_nx(as)) |
                       (entry_dirty(e) ? PTE_D : 0));
    return STATUS_SUCCESS;
}

/* Every page of [start, end) committed and lockable?  A guard page loses
 * its guard (the one change a failed VirtualLock makes, spec item 60).
 * *fresh gets the pages not locked yet. */
static NTSTATUS check_lockable(uint32_t start, uint32_t end, uint32_t *fresh)
{
    *fresh = 0;
    for (uint32_t va = start; va < end; va += PGSIZE) {
        pte_t e = paging_query(va);
        if (!entry_committed(e))
            return STATUS_ACCESS_VIOLATION;
        uint32_t protect = entry_protect(e);
        if (protect & PAGE_GUARD) {
            paging_set_pte(va, e & ~SOFT_GUARD);
            return STATUS_GUARD_PAGE_VIOLATION;
        }
        if (!protect_accessible(protect))
            return STATUS_ACCESS_VIOLATION;     /* NOACCESS "cannot be locked" */
        *fresh += !page_locked(e);
    }
    return STATUS_SUCCESS;
}

static void unlock_range(uint32_t start, uint32_t end)
{
    for (uint32_t va = start; va < end; va += PGSIZE) {
        paddr_t f = resident_frame(paging_query(va));
        if (f != PMM_NONE)
            pfn_unlock_frame(f);
    }
}

/* Why STATUS_ACCESS_VIOLATION (ERROR_NOACCESS, 998) for a page that is
 * not committed: the documentation says only "All pages in the specified
 * region must be committed" and names no error.  NT locks a page by
 * making it valid the way an access would, so a reserved or free page
 * fails as the access does, and Windows reports 998 for it: the
 * observed-behaviour note this brief gives (not checked on a
 * Windows machine here).  PAGE_NOACCESS ("cannot be locked") fails the
 * same way; a guard page as the guard fault does (spec item 60). */
static NTSTATUS do_lock(struct vm_space *as, uint32_t start, uint32_t end)
{
    uint32_t fresh;
    NTSTATUS st = check_lockable(start, end, &fresh);
    if (!NT_SUCCESS(st))
        return st;
    uint32_t limit = vm_ws_min(as) - VM_WS_LOCK_OVERHEAD;
    if (fresh > 0 && count_locked(USER_MIN, USER_END) + fresh > limit)
        return STATUS_WORKING_SET_QUOTA;
    /* Each page is locked as soon as it is resident, so bringing the next
     * one in (which may trim) cannot take an earlier one out again. */
    for (uint32_t va = start; va < end; va += PGSIZE) {
        pte_t e = paging_query(va);
        if (!(e & PTE_P) && entry_frame(e) == PMM_NONE)
            st = make_resident(as, va, e);
        if (!NT_SUCCESS(st)) {
            unlock_range(start, va);            /* as it was: they stay resident, unlocked */
            return st;
        }
        pte_t now = paging_query(va);
        ASSERTF(resident_frame(now) != PMM_NONE, "lock of %08x: entry %016llx has no frame", va, now);
        pfn_lock_frame(resident_frame(now));
    }
    return STATUS_SUCCESS;
}

static NTSTATUS do_unlock(struct vm_space *as, uint32_t start, uint32_t end)
{
    bool all = true;
    for (uint32_t va = start; va < end && all; va += PGSIZE)
        all = page_locked(paging_query(va));
    if (all) {
        unlock_range(start, end);
        return STATUS_SUCCESS;
    }
    /* "VirtualUnlock removes such pages from the working set". */
    for (uint32_t va = paging_next_entry(start, end); va < end;
         va = paging_next_entry(va + PGSIZE, end)) {
        pte_t e = paging_entry(va);
        if ((e & PTE_P) && !page_locked(e))
            pager_trim_page(as, va, e);
    }
    return STATUS_NOT_LOCKED;
}

/* VirtualLock and VirtualUnlock share their checks, the space switch and
 * the rounded range handed back on success. */
static NTSTATUS range_op(struct vm_space *as, uint32_t *base, uint32_t *size,
                         NTSTATUS (*op)(struct vm_space *, uint32_t, uint32_t))
{
    uint32_t start, end;
    struct vm_space *prev;

    if (!as->user || *size == 0 || !vm_page_range(as, *base, *size, &start, &end))
        return STATUS_INVALID_PARAMETER;
    uint32_t flags = vm_enter(as, &prev);
    NTSTATUS st = op(as, start, end);
    vm_leave(flags, prev);
    if (NT_SUCCESS(st)) {
        *base = start;
        *size = end - start;
    }
    return st;
}

NTSTATUS vm_lock_pages(struct vm_space *as, uint32_t *base, uint32_t *size)
{
    return range_op(as, base, size, do_lock);
}

NTSTATUS vm_unlock_pages(struct vm_space *as, uint32_t *base, uint32_t *size)
{
    return range_op(as, base, size, do_unlock);
}

/* ---- limits ---- */

static uint32_t empty_attached(struct vm_space *as)
{
    uint32_t n = 0;
    for (uint32_t va = paging_next_entry(USER_MIN, USER_END); va < USER_END && as->resident > 0;
         va = paging_next_entry(va + PGSIZE, USER_END)) {
        pte_t e = paging_entry(va);
        if ((e & PTE_P) && !page_locked(e)) {
            pager_trim_page(as, va, e);
            n++;
        }
    }
    return n;
}

uint32_t vm_ws_empty(struct vm_space *as)
{
    struct vm_space *prev;
    uint32_t flags = vm_enter(as, &prev);
    uint32_t n = as->user ? empty_attached(as) : 0;
    vm_leave(flags, prev);
    return n;
}

static bool flags_valid(uint32_t f)
{
    const uint32_t all = VM_WS_HARD_MIN_ENABLE | VM_WS_HARD_MIN_DISABLE | VM_WS_HARD_MAX_ENABLE |
                         VM_WS_HARD_MAX_DISABLE;
    if (f & ~all)
        return false;
    if ((f & VM_WS_HARD_MIN_ENABLE) && (f & VM_WS_HARD_MIN_DISABLE))
        return false;
    return !((f & VM_WS_HARD_MAX_ENABLE) && (f & VM_WS_HARD_MAX_DISABLE));
}

/* The largest maximum working set: "the system-wide maximum (number of
 * available pages minus 512 pages)"; available = RAM's part of the
 * commit limit (what user pages can have). */
static uint32_t max_limit(void)
{
    struct vm_stats s;
    vm_get_stats(&s);
    uint32_t ram = s.commit_limit - s.commit_limit_pagefile;
    return ram > VM_WS_MAX_HEADROOM ? ram - VM_WS_MAX_HEADROOM : VM_WS_MAX_FLOOR;
}

NTSTATUS vm_ws_set_limits(struct vm_space *as, uint32_t min_bytes, uint32_t max_bytes,
                          uint32_t flags)
{
    if (min_bytes == UINT32_MAX && max_bytes == UINT32_MAX) {
        vm_ws_empty(as);
        return STATUS_SUCCESS;
    }
    if (!as->user || !flags_valid(flags) || min_bytes == 0 || max_bytes == 0 ||
        min_bytes > max_bytes)
        return STATUS_INVALID_PARAMETER;
    uint32_t min = min_bytes / PGSIZE, max = max_bytes / PGSIZE;
    if (max < VM_WS_MAX_FLOOR || max >= max_limit())
        return STATUS_INVALID_PARAMETER;
    if (min < VM_WS_MIN_FLOOR)
        min = VM_WS_MIN_FLOOR;                  /* "the minimum value is set to 20 pages" */
    if (min > max)
        max = min;                              /* a 13..19-page maximum below the raised minimum */
    struct vm_space *prev;
    uint32_t lock = vm_enter(as, &prev);
    NTSTATUS st = STATUS_SUCCESS;
    if (count_locked(USER_MIN, USER_END) + VM_WS_LOCK_OVERHEAD > min) {
        st = STATUS_BAD_WORKING_SET_LIMIT;      /* the locked pages must stay within it */
    } else {
        as->ws_min = min;
        as->ws_max = max;
        if (flags & (VM_WS_HARD_MIN_ENABLE | VM_WS_HARD_MIN_DISABLE))
            as->ws_flags = (as->ws_flags & ~VM_WS_HARD_MIN_ENABLE) | (flags & VM_WS_HARD_MIN_ENABLE);
        if (flags & (VM_WS_HARD_MAX_ENABLE | VM_WS_HARD_MAX_DISABLE))
            as->ws_flags = (as->ws_flags & ~VM_WS_HARD_MAX_ENABLE) | (flags & VM_WS_HARD_MAX_ENABLE);
    }
    vm_leave(lock, prev);
    return st;
}

void vm_ws_get(struct vm_space *as, struct vm_ws_info *out)
{
    struct vm_space *prev;
    uint32_t flags = vm_enter(as, &prev);
    out->resident = as->resident;
    out->peak_resident = as->peak_resident;
    out->faults = as->faults;
    out->locked = as->user ? count_locked(USER_MIN, USER_END) : 0;
    out->min = vm_ws_min(as);
    out->max = vm_ws_max(as);
    out->flags = (as->ws_flags & VM_WS_HARD_MIN_ENABLE ? VM_WS_HARD_MIN_ENABLE : VM_WS_HARD_MIN_DISABLE) |
                 (as->ws_flags & VM_WS_HARD_MAX_ENABLE ? VM_WS_HARD_MAX_ENABLE : VM_WS_HARD_MAX_DISABLE);
    vm_leave(flags, prev);
}

uint32_t vm_ws_list(struct vm_space *as, uint32_t from, uint32_t *vas, bool *locked, uint32_t max)
{
    struct vm_space *prev;
    uint32_t n = 0, flags = vm_enter(as, &prev);
    if (as->user && from < USER_END)
        for (uint32_t va = paging_next_entry(PGROUNDDOWN(from), USER_END); va < USER_END && n < max;
             va = paging_next_entry(va + PGSIZE, USER_END)) {
            pte_t e = paging_entry(va);
            if (!(e & PTE_P))
                continue;
            vas[n] = va;
            locked[n++] = page_locked(e);
        }
    vm_leave(flags, prev);
    return n;
}

/* ---- per-space figures (mm/vm.h) ---- */

void vm_space_pages(const struct vm_space *as, uint32_t *committed, uint32_t *resident)
{
    *committed = as->committed;
    *resident = as->resident;
}

uint32_t vm_space_allocations(const struct vm_space *as)
{
    return as->vads.count;
}
