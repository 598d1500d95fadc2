/* Write watches (VirtualAlloc MEM_WRITE_WATCH, GetWriteWatch,
 * ResetWriteWatch), built on the page-table entries' dirty bit: the CPU
 * sets D in a present entry on the first write through it (Intel SDM
 * Vol.3 4.8), so the written pages of a region are those whose entry has
 * D set (or SOFT_DIRTY, where a written page was made inaccessible since,
 * mm/vm_pte.h).  A reset clears D and invalidates the entry's TLB copy:
 * a cached entry with D set would let later writes through without
 * setting D again (SDM Vol.3 4.10.4.3). */
#include "mm/vm.h"
#include "mm/vm_private.h"
#include "mm/vm_pte.h"
#include "mm/paging.h"
#include "mm/memlayout.h"

/* The write-watch region holding [addr, addr + size): validates the
 * arguments as NtGetWriteWatch does (a range outside one MEM_WRITE_WATCH
 * reservation is STATUS_INVALID_PARAMETER).  Under the lock. */
static NTSTATUS watched_range(struct vm_space *as, uint32_t addr, uint32_t size,
                              uint32_t *start, uint32_t *end)
{
    if (size == 0 || !vm_page_range(as, addr, size, start, end))
        return STATUS_INVALID_PARAMETER;
    struct vad *v = vm_vad_holding(as, *start, *end);
    if (v == NULL || !(v->flags & VAD_WRITE_WATCH))
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

NTSTATUS vm_get_write_watch(struct vm_space *as, uint32_t flags, uint32_t addr, uint32_t size,
                            uint32_t *cursor, uint32_t *pages, uint32_t max, uint32_t *found)
{
    uint32_t start, end, n = 0;
    struct vm_space *prev;

    *found = 0;
    if (flags & ~WRITE_WATCH_FLAG_RESET)
        return STATUS_INVALID_PARAMETER;
    uint32_t lock = vm_enter(as, &prev);
    NTSTATUS st = watched_range(as, addr, size, &start, &end);
    if (NT_SUCCESS(st)) {
        uint32_t va = *cursor > start ? *cursor : start;
        paging_batch_begin();
        for (; va < end && n < max; va += PGSIZE) {
            if (!paging_has_table(va)) {
                va = (va | (paging_table_span() - 1)) + 1 - PGSIZE;  /* no table: no page written */
                continue;
            }
            pte_t e = paging_query(va);
            if (!entry_committed(e) || !entry_dirty(e))
                continue;
            pages[n++] = va;
            if (flags & WRITE_WATCH_FLAG_RESET)
                paging_set_pte(va, entry_clean(e));
        }
        paging_batch_end();
        *cursor = va < end ? va : end;
        *found = n;
    }
    vm_leave(lock, prev);
    return st;
}

NTSTATUS vm_reset_write_watch(struct vm_space *as, uint32_t addr, uint32_t size)
{
    uint32_t start, end;
    struct vm_space *prev;

    uint32_t lock = vm_enter(as, &prev);
    NTSTATUS st = watched_range(as, addr, size, &start, &end);
    if (NT_SUCCESS(st)) {
        paging_batch_begin();
        for (uint32_t va = start; va < end; va += PGSIZE) {
            if (!paging_has_table(va)) {
                va = (va | (paging_table_span() - 1)) + 1 - PGSIZE;
                continue;
            }
            pte_t e = paging_query(va);
            if (entry_committed(e) && entry_dirty(e))
                paging_set_pte(va, entry_clean(e));
        }
        paging_batch_end();
    }
    vm_leave(lock, prev);
    return st;
}
