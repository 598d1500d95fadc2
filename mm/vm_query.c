/* VirtualQuery (mm/vm.h): the run of pages with the same state and
 * protection, read from the page-table entries (mm/vm_pte.h).  Moved out
 * of mm/vm.c to keep that file under the line limit. */
#include "mm/vm.h"
#include "mm/vad.h"
#include "mm/vm_pte.h"
#include "mm/vm_private.h"
#include "mm/paging.h"

/* ---- query ------------------------------------------------------------------ */

static void query_free(struct vm_space *as, uint32_t page, MEMORY_BASIC_INFORMATION *info)
{
    struct vad *next = vad_next_at_or_above(&as->vads, page);
    uint32_t limit = next ? next->start : as->vads.max;

    *info = (MEMORY_BASIC_INFORMATION){
        .BaseAddress = (PVOID)page,
        .AllocationBase = NULL,
        .AllocationProtect = 0,
        .RegionSize = limit - page,
        .State = MEM_FREE,
        .Protect = PAGE_NOACCESS,               /* item 49 */
        .Type = 0,
    };
}

/* Items 45-48: the run of pages from `page` with the same state and
 * protection, never past the allocation's end. */
static void query_allocated(struct vad *v, uint32_t page, MEMORY_BASIC_INFORMATION *info)
{
    pte_t first = paging_query(page);
    bool committed = entry_committed(first);
    uint32_t protect = committed ? entry_protect(first) : 0;
    uint32_t va = page + PGSIZE;

    /* Scan each page table directly through the self-map, a whole table
     * at a time (a missing table is 1024 pages of "reserved"). */
    uint32_t span = paging_table_span();
    while (va < v->end) {
        uint32_t span_end = (va & ~(span - 1)) + span;
        if (!paging_has_table(va)) {
            if (committed)
                break;
            va = span_end;
            continue;
        }
        for (; va < v->end && va < span_end; va += PGSIZE) {
            pte_t e = paging_entry(va);
            if (entry_committed(e) != committed || (committed && entry_protect(e) != protect))
                goto done;
        }
    }
done:
    if (va > v->end)
        va = v->end;
    *info = (MEMORY_BASIC_INFORMATION){
        .BaseAddress = (PVOID)page,
        .AllocationBase = (PVOID)v->start,
        .AllocationProtect = v->alloc_protect,
        .RegionSize = va - page,
        .State = committed ? MEM_COMMIT : MEM_RESERVE,
        .Protect = protect,
        .Type = MEM_PRIVATE,
    };
}

NTSTATUS vm_query(struct vm_space *as, uint32_t addr, MEMORY_BASIC_INFORMATION *info)
{
    uint32_t lowest = as->user ? 0 : as->vads.min;

    if (addr < lowest || addr >= as->vads.max)
        return STATUS_INVALID_PARAMETER;        /* item 44 */
    struct vm_space *prev;
    uint32_t flags = vm_enter(as, &prev);
    uint32_t page = PGROUNDDOWN(addr);
    struct vad *v = vad_find(&as->vads, page);
    if (v != NULL)
        query_allocated(v, page, info);
    else
        query_free(as, page, info);
    vm_leave(flags, prev);
    return STATUS_SUCCESS;
}
