/* NT's page lists over the frame allocator (DESIGN.md section 10).
 *
 * Frames that held user pages do not go straight back to the buddy
 * allocator: they go to the free list (their old contents poisoned in
 * test builds).  The zero thread (the kernel's idle thread, kernel/thread.c,
 * which runs only when no other thread is ready) clears them one at a time
 * and moves them to the zeroed list, topping that list up from the buddy
 * allocator when nothing is waiting.  Demand-zero faults take from the
 * zeroed list first and clear a frame themselves only when it is empty.
 * The buddy allocator stays underneath for kernel frames and contiguous
 * runs: when it runs dry it takes the listed frames back (pmm's reclaim
 * hook).
 *
 * Standby and modified (issue 19, mm/pager.c): a page the trimmer took out
 * of a working set keeps its frame on the modified list (its contents are
 * only there) until the modified-page writer puts them in a page-file slot,
 * then on the standby list (contents both in the frame and in the slot).
 * Its PTE is a transition PTE meanwhile, and a fault takes the frame back
 * off either list without I/O.  The pager repurposes standby frames,
 * oldest first, when free frames run short: the PTE becomes a page-file
 * PTE and the frame goes to the free list.  Both lists are FIFO. */
#ifndef MM_PFN_H
#define MM_PFN_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/pmm.h"

enum pfn_list {
    PFN_LIST_NONE = 0,      /* in use, or in the buddy allocator */
    PFN_LIST_FREE,          /* old contents (poisoned in test builds) */
    PFN_LIST_ZEROED,        /* every byte 0 */
    PFN_LIST_ZEROING,       /* taken by the zero thread, being cleared (on no list) */
    PFN_LIST_STANDBY,       /* a trimmed page, also in its page-file slot */
    PFN_LIST_MODIFIED,      /* a trimmed page not yet written to the page file */
    PFN_LIST_COUNT,
};

#define PFN_ZEROED_TARGET 64u   /* the zero thread tops the zeroed list up to this from the buddy */

struct pfn_stats {
    uint32_t free, zeroed, zeroing;         /* frames on each list now */
    uint32_t standby, modified;
    uint32_t zeroed_by_thread;              /* pages the zero thread cleared, since boot */
    uint32_t taken_zeroed;                  /* pfn_take_zeroed served from the zeroed list */
    uint32_t taken_cleared;                 /* ... that had to clear a frame itself */
    uint32_t released;                      /* frames put on the free list */
    uint32_t reclaimed;                     /* listed frames given back to the buddy allocator */
};

/* Registers the buddy allocator's reclaim hook.  Once, after pmm_init. */
void pfn_init(void);
/* A frame whose every byte is 0: from the zeroed list, else the free list
 * or the buddy allocator and cleared here.  PMM_NONE when no frame is left. */
paddr_t pfn_take_zeroed(void);
/* A frame whose contents the caller overwrites whole (a page read from
 * the page file): the free list first, uncleared, else the zeroed list,
 * else the buddy allocator.  PMM_NONE when no frame is left. */
paddr_t pfn_take_any(void);
/* Puts an allocated single frame, contents no longer wanted, on the free list. */
void pfn_release(paddr_t frame);
/* The zero thread's unit of work: clears one free-list frame (or one from
 * the buddy allocator while the zeroed list is below its target) with
 * interrupts enabled, so it can be preempted.  False when there was none. */
bool pfn_zero_step(void);
/* Runs zero steps until the zeroed list holds `zeroed` frames or there is
 * nothing left to clear (process start, the console, benchmarks). */
void pfn_zero_until(uint32_t zeroed);
/* Gives every free and zeroed frame back to the buddy allocator; returns how many. */
uint32_t pfn_flush(void);
/* ---- standby and modified (the pager, mm/pager.c; callers hold the VM lock) ---- */

/* A trimmed page's frame to the modified list's tail, with its owner. */
void pfn_put_modified(paddr_t frame, uint32_t owner, uint32_t va);
/* The oldest modified frame (PMM_NONE when none) and its owner. */
paddr_t pfn_take_modified(uint32_t *owner, uint32_t *va);
/* A written page's frame to the standby list's tail, with its slot. */
void pfn_put_standby(paddr_t frame, uint32_t owner, uint32_t va, uint32_t slot);
/* The oldest standby frame (PMM_NONE when none), its owner and slot. */
paddr_t pfn_take_standby(uint32_t *owner, uint32_t *va, uint32_t *slot);
/* Takes a transition page's frame off the standby or modified list (a
 * soft fault, or a decommit); ASSERTs it is on one of them and belongs to
 * (owner, va).  Returns its slot (standby) or PAGEFILE_NO_SLOT (modified). */
uint32_t pfn_unlist(paddr_t frame, uint32_t owner, uint32_t va);
/* ---- locked pages (VirtualLock, mm/vm_ws.c; callers hold the VM lock) ----
 * A mapped user frame marked locked stays in its working set: the trimmer
 * skips it.  pfn_release unmarks a frame it is given (decommit unlocks).
 * pfn_lock_frame / pfn_unlock_frame return false when the frame already
 * was / was not marked (nothing changes then). */
bool pfn_lock_frame(paddr_t frame);
bool pfn_unlock_frame(paddr_t frame);
bool pfn_frame_locked(paddr_t frame);
/* Frames marked locked, system-wide (0 once every locking process ended). */
uint32_t pfn_locked_frames(void);
/* The list a frame is on (PFN_LIST_NONE when in use): the study console. */
enum pfn_list pfn_list_of(paddr_t frame);

/* Free + zeroed frames (what the trimmer's threshold looks at). */
uint32_t pfn_free_zeroed(void);
/* Frames on one list now (a snapshot; the pager's thresholds). */
uint32_t pfn_count(enum pfn_list l);

/* Frames on the lists, standby and modified included (what a leak check
 * counts as available; NT counts standby as available too). */
uint32_t pfn_list_frames(void);
void pfn_get_stats(struct pfn_stats *out);
/* Walks every list: counts broken invariants (wrong list tag or state,
 * bad links, a locked frame on a list, a count that differs from the
 * walk).  0 when sound. */
uint32_t pfn_validate(void);
void pfn_print_report(void);

#endif
