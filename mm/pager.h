/* The pager (issue 19): pages leave working sets and come back.
 *
 *   trimmer   when free + zeroed + buddy frames fall below PAGER_LOW, a
 *             clock over the user address spaces (a ring, each with its
 *             own hand) looks at present pages: one with the accessed bit
 *             set gets it cleared (a second chance), one without it is
 *             trimmed: its PTE becomes a transition PTE and its frame goes
 *             to the modified list (mm/pfn.h)
 *   writer    writes the oldest modified page to a fresh page-file slot
 *             and moves its frame to the standby list
 *   repurpose takes the oldest standby frame: its PTE becomes a page-file
 *             PTE (the slot) and the frame goes to the free list
 *   faults    a transition PTE: the frame comes off its list (soft fault,
 *             no I/O); a page-file PTE: a frame is read from the slot
 *             (hard fault) and the slot freed.  A page brought back holds
 *             no slot, so the next trim writes it again.
 *
 * The kernel's modified-page writer thread (kernel/mpw.c) calls
 * pager_work() in a loop; a fault that finds no frame does the same work
 * itself, synchronously (the disk is polled), so no fault ever waits for
 * the thread.  Everything here runs under the VM lock.  User spaces only:
 * the kernel's own virtual memory (heap, stacks) never leaves memory. */
#ifndef MM_PAGER_H
#define MM_PAGER_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/mmu.h"

struct vm_space;

#define PAGER_LOW 64u           /* fewer free + zeroed + buddy frames than this: reclaim */
#define PAGER_HIGH 256u         /* the writer thread keeps this many when it can */
#define PAGER_TRIM_BATCH 32u    /* pages trimmed per call */
#define PAGER_SLOT_RESERVE 16u  /* page-file slots kept out of the commit limit */

struct pager_stats {
    uint32_t aged;              /* accessed bits cleared by the clock */
    uint32_t trimmed;           /* pages taken out of working sets */
    uint32_t written;           /* modified pages written to the page file (page-outs) */
    uint32_t write_failures;    /* no slot, or a disk error: the page stayed modified */
    uint32_t repurposed;        /* standby frames given to other pages */
    uint32_t soft_faults;       /* transition faults: back from standby or modified */
    uint32_t soft_from_modified;
    uint32_t hard_faults;       /* page-file faults: read back from a slot */
    uint32_t in_page_errors;    /* ... whose read failed (STATUS_IN_PAGE_ERROR) */
    uint32_t no_frame;          /* frame requests nothing could serve */
};

/* Puts the pager under the VM layer's faults (mm/vm_private.h's hooks).
 * Once, after vm_init and pagefile_init, before user spaces exist. */
void pager_init(void);
/* The writer thread's unit of work: writes modified pages, and under
 * pressure trims and repurposes.  Returns how many pages it moved (0:
 * nothing to do, the thread may sleep). */
uint32_t pager_work(void);
/* Pushes every page of every user working set out: trims all without a
 * second chance and writes all (standby), and with to_pagefile also
 * repurposes every standby frame (page-file PTEs).  The `pager` tests;
 * returns the pages trimmed. */
uint32_t pager_trim_all(bool to_pagefile);
/* Page-file slots the commit limit may count: all but a small reserve
 * (what vm_set_pagefile_commit is given at boot). */
uint32_t pager_commit_slots(void);
/* Takes one present page of `as` (attached, under the VM lock) out of its
 * working set now, as the clock would: SetProcessWorkingSetSize(-1, -1)
 * and VirtualUnlock of pages not locked (mm/vm_ws.c). */
void pager_trim_page(struct vm_space *as, uint32_t va, pte_t e);
void pager_get_stats(struct pager_stats *out);
void pager_print_report(void);

#endif
