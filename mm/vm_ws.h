/* Working sets (issue 19, point 3): VirtualLock / VirtualUnlock, a
 * process's minimum and maximum working set (SetProcessWorkingSetSize),
 * and the figures GetProcessMemoryInfo and the console report.
 *
 * The working set of a space is its resident pages (no list is kept:
 * mm/pager.c's clock walks the page tables).  A locked page is a resident
 * page whose frame record carries FRAME_LOCKED (mm/pfn.h): the trimmer
 * passes it by, a decommit or release unlocks it (pfn_release clears the
 * mark), so nothing stays locked once a process has ended.
 *
 * Why the frame record and not a PTE bit: a present entry has three bits
 * for software (9-11, Intel SDM Vol.3 tables 4-6 and 4-11; PAE reserves
 * 52-62) and they already hold the base-protection index (mm/vm_pte.h);
 * the record's flags byte has room, the trimmer reads the frame anyway,
 * and locks do not nest (VirtualLock's documentation: "There is no lock
 * count for virtual pages"), so one bit per frame is the whole state. */
#ifndef MM_VM_WS_H
#define MM_VM_WS_H

#include <stdbool.h>
#include <stdint.h>
#include <ntstatus.h>
#include <windef.h>

struct vm_space;

/* Pages the minimum working set keeps for the process beyond what it may
 * lock: VirtualLock's documentation says a process may lock "the number
 * of pages in its minimum working set minus a small overhead" without
 * saying how small.  8 is NT's MM_FLUID_WORKING_SET as remembered from
 * the Windows Research Kernel (not checked here); the 1998 documentation
 * said instead "By default, a process can lock a maximum of 30 pages". */
#define VM_WS_LOCK_OVERHEAD 8u
/* SetProcessWorkingSetSize's documented bounds: a minimum below 20 pages
 * is raised to 20; the maximum must be at least 13 pages and less than
 * the available pages minus 512. */
#define VM_WS_MIN_FLOOR 20u
#define VM_WS_MAX_FLOOR 13u
#define VM_WS_MAX_HEADROOM 512u

/* QUOTA_LIMITS_HARDWS_* (SetProcessWorkingSetSizeEx). */
#define VM_WS_HARD_MIN_ENABLE 0x1u
#define VM_WS_HARD_MIN_DISABLE 0x2u
#define VM_WS_HARD_MAX_ENABLE 0x4u
#define VM_WS_HARD_MAX_DISABLE 0x8u

struct vm_ws_info {
    uint32_t resident;              /* pages in the working set */
    uint32_t peak_resident;
    uint32_t faults;                /* faults that brought a page in */
    uint32_t locked;                /* pages locked (VirtualLock) */
    uint32_t min, max;              /* the limits, in pages */
    uint32_t flags;                 /* one of each HARD_*_ENABLE/_DISABLE pair */
};

/* NtLockVirtualMemory (MAP_PROCESS): the pages holding [*base, *base +
 * *size) are made resident and locked.  Every page must be committed and
 * accessible: a page not committed, or NOACCESS, gives
 * STATUS_ACCESS_VIOLATION; a guard page loses its guard and gives
 * STATUS_GUARD_PAGE_VIOLATION (spec item 60); more locked pages than the
 * minimum working set less VM_WS_LOCK_OVERHEAD gives
 * STATUS_WORKING_SET_QUOTA; a size of 0 or a range outside user space
 * STATUS_INVALID_PARAMETER.  All of these change nothing else.  A page
 * that cannot be brought in (STATUS_NO_MEMORY, STATUS_IN_PAGE_ERROR)
 * leaves the pages this call locked unlocked again.  On success *base and
 * *size are the page range. */
NTSTATUS vm_lock_pages(struct vm_space *as, uint32_t *base, uint32_t *size);
/* NtUnlockVirtualMemory: unlocks every page of the range when all are
 * locked; otherwise STATUS_NOT_LOCKED, nothing unlocked, and the pages of
 * the range that are resident but not locked leave the working set
 * (VirtualUnlock's documentation says both). */
NTSTATUS vm_unlock_pages(struct vm_space *as, uint32_t *base, uint32_t *size);

/* SetProcessWorkingSetSizeEx, in bytes.  Both (SIZE_T)-1: empties the
 * working set (every resident page that is not locked is trimmed).
 * Otherwise STATUS_INVALID_PARAMETER for a zero, a minimum above the
 * maximum, a maximum outside the documented bounds or bad flags (a pair
 * both enabled and disabled, unknown bits), STATUS_BAD_WORKING_SET_LIMIT
 * when the minimum would no longer cover the pages locked; nothing
 * changes then.  The hard-limit flags are kept and reported, not enforced. */
NTSTATUS vm_ws_set_limits(struct vm_space *as, uint32_t min_bytes, uint32_t max_bytes,
                          uint32_t flags);
/* Trims every resident page of the space that is not locked; returns how
 * many left (EmptyWorkingSet). */
uint32_t vm_ws_empty(struct vm_space *as);
void vm_ws_get(struct vm_space *as, struct vm_ws_info *out);
/* The first `max` resident pages at or above `from` (their VAs, in
 * order), with locked[i] saying which are locked; returns how many.  The
 * console's view. */
uint32_t vm_ws_list(struct vm_space *as, uint32_t from, uint32_t *vas, bool *locked, uint32_t max);

#endif
