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
 * The modified-page writer thread (kernel/mpw.c) calls pager_work() in a
 * loop when woken; a fault that finds no frame does the same work itself,
 * synchronously (the disk is polled), so no fault ever waits for the
 * thread.  Everything here runs under the VM lock.  User spaces only:
 * the kernel's own virtual memory (heap, stacks) never leaves memory.
 *
 * Thresholds, in frames.  available = free + zeroed + buddy frames (what
 * a fault takes at once); ready = available + standby (what it can have
 * without disk I/O).
 *   - A fault asks for the writer (a kick) when ready < PAGER_HIGH, or
 *     when PAGER_WRITE_BATCH pages wait on the modified list (one full
 *     cluster: a disk command carries that many for about the price of one).
 *   - The writer then trims (the clock) until ready + modified reaches
 *     PAGER_HIGH, and writes clusters while a full one waits or ready is
 *     below PAGER_HIGH; it repurposes standby only to keep PAGER_LOW free.
 *   - The kick is a flag, turned into a wake-up by the kernel's next timer
 *     tick (pager_writer_wanted): the VM lock ranks below the dispatcher
 *     lock, so a fault cannot wake a thread itself.  The writer may thus
 *     start up to a tick (1 ms) late; PAGER_HIGH - PAGER_LOW (1.75 MiB) is
 *     the headroom for the faults meanwhile -- some hundreds at the rate a
 *     ring-3 loop touches fresh pages under TCG.
 *   - A fault with available <= PAGER_LOW repurposes a standby frame (no
 *     I/O), keeping PAGER_LOW frames for the kernel (page tables, heap).
 *   - Only with available <= PAGER_CRITICAL and no standby frame left does
 *     a fault trim and write by itself (counted as sync_written): the
 *     writer is behind.  It never waits for the writer: no deadlock. */
#ifndef MM_PAGER_H
#define MM_PAGER_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/mmu.h"

struct vm_space;

#define PAGER_CRITICAL 16u      /* available at most this, no standby: the fault writes */
#define PAGER_LOW 64u           /* available at most this: faults repurpose standby */
#define PAGER_HIGH 512u         /* ready below this: the writer trims and writes */
#define PAGER_WRITE_BATCH 16u   /* modified pages that make a cluster worth a write */
/* A hard fault reads up to this many pages in one command: its own and
 * the next ones, when they sit in the next slots (the writer's clusters
 * keep address order); the others wait on standby for their soft fault.
 * Under TCG a disk command costs tens of microseconds of emulated I/O
 * whatever its size, and a program that reads its memory in order needs
 * the neighbours next (the 96 MiB pressure test: 8x fewer reads). */
#define PAGER_READ_CLUSTER 8u
#define PAGER_TRIM_BATCH 32u    /* pages trimmed per call */
#define PAGER_SLOT_RESERVE 16u  /* page-file slots kept out of the commit limit */

struct pager_stats {
    uint32_t aged;              /* accessed bits cleared by the clock */
    uint32_t trimmed;           /* pages taken out of working sets */
    uint32_t written;           /* modified pages written to the page file (page-outs) */
    uint32_t write_batches;     /* ... in this many disk writes (clusters of slots) */
    uint32_t sync_written;      /* ... of them by a fault, the writer being behind */
    uint32_t kicks;             /* times a fault asked for the writer thread */
    uint32_t write_failures;    /* no slot, or a disk error: the page stayed modified */
    uint32_t repurposed;        /* standby frames given to other pages */
    uint32_t soft_faults;       /* transition faults: back from standby or modified */
    uint32_t soft_from_modified;
    uint32_t hard_faults;       /* page-file faults: read back from a slot */
    uint32_t read_ahead;        /* ... and pages read with them, to standby */
    uint32_t in_page_errors;    /* ... whose read failed (STATUS_IN_PAGE_ERROR) */
    uint32_t no_frame;          /* frame requests nothing could serve */
};

/* Puts the pager under the VM layer's faults (mm/vm_private.h's hooks).
 * Once, after vm_init and pagefile_init, before user spaces exist. */
void pager_init(void);
/* The writer thread's unit of work (bounded: one trim batch, one
 * cluster): trims and writes as the thresholds above say.  Returns how
 * many pages it moved (0: nothing to do, the thread may sleep). */
uint32_t pager_work(void);
/* True once after a fault asked for the writer (clears the request):
 * polled by the kernel's timer tick, which then wakes the writer. */
bool pager_writer_wanted(void);
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
/* Tests: the next hard fault of `as` (and only of it) reads its page with
 * an injected disk error (drivers/ata.h), so the access ends in
 * STATUS_IN_PAGE_ERROR; forgotten when the space goes. */
struct vm_space;
void pager_inject_read_error(struct vm_space *as);
void pager_print_report(void);

#endif
