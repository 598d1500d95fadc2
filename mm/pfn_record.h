/* The per-frame record (NT's PFN database entry), shared by the buddy
 * allocator (mm/pmm.c) and the page lists (mm/pfn.c).  Private to mm/.
 *
 * One record per frame of managed RAM, in pmm's metadata array.  The
 * buddy allocator uses the links of FRAME_FREE heads for its free lists;
 * a single allocated frame (FRAME_USED, order 0) that mm/pfn.c keeps on
 * one of its page lists (list != PFN_LIST_NONE) uses the same links for
 * that list.  The two uses never overlap: a listed frame is allocated as
 * far as the buddy allocator is concerned, and pmm_free ASSERTs that a
 * frame it is given is on no page list. */
#ifndef MM_PFN_RECORD_H
#define MM_PFN_RECORD_H

#include <stdint.h>
#include "kernel/base/panic.h"

enum frame_state {
    FRAME_ABSENT = 0,       /* not RAM: a hole in the memory map, or beyond it */
    FRAME_RESERVED,         /* RAM kept back at init (< 1 MiB, kernel, boot data, metadata) */
    FRAME_TAIL,             /* inside a block whose head is a lower frame (in pmm_init:
                               usable RAM not yet in a block) */
    FRAME_FREE,             /* head of a free block of 2^order frames, on free_lists[order] */
    FRAME_USED,             /* head of an allocated run of 2^order frames */
};

#define FRAME_POISONED 0x01     /* filled with the poison pattern when freed */
/* Issue 19, VirtualLock (mm/vm_ws.c): the user page this frame holds is
 * locked in its working set; the trimmer passes it by.  Set and cleared
 * under the VM lock while the frame is mapped; pfn_release clears it, so
 * a decommit (and so a process's end) unlocks, as Windows does. */
#define FRAME_LOCKED 0x02

struct frame {
    uint32_t next, prev;        /* list links (frame numbers): buddy free list (FRAME_FREE
                                   heads) or page list (list != 0) */
    uint8_t order;              /* FRAME_FREE and FRAME_USED heads */
    uint8_t state;              /* enum frame_state */
    uint8_t flags;              /* FRAME_POISONED, FRAME_LOCKED */
    uint8_t list;               /* enum pfn_list (mm/pfn.h); 0 when on none */
    /* The pager (issue 19), for a frame on the standby or modified list:
     * whose page it holds (the struct vm_space * and the page's VA: the
     * transition PTE is reached by attaching that space and reading the
     * self-map), and on standby the page-file slot holding the same bytes. */
    uint32_t owner;             /* struct vm_space *, as a number (pmm knows no VM) */
    uint32_t owner_va;
    uint32_t slot;              /* standby only; PAGEFILE_NO_SLOT elsewhere */
};
/* 24 MiB for 4 GiB of frames: the boot window (1 GiB) holds it for 40 GiB. */
_Static_assert(sizeof(struct frame) <= 24, "frame metadata must stay at most 24 bytes");

/* pmm's record array and its length, for the inline accessor below (the
 * page lists' fast path: a demand-zero fault pops the zeroed list). */
extern struct frame *pmm_frame_table;
extern uint32_t pmm_frame_table_count;

/* The record of frame number f, which must be managed RAM. */
static inline struct frame *pfn_rec(uint32_t f)
{
    ASSERTF(f < pmm_frame_table_count, "frame number %u beyond managed RAM (%u)", f,
            pmm_frame_table_count);
    return &pmm_frame_table[f];
}

/* Called (without pmm's lock) when the buddy lists cannot serve a
 * request; returns how many frames it gave back with pmm_free. */
void pmm_set_reclaim(uint32_t (*fn)(void));
/* Poisons one allocated frame (as pmm_free would) / checks and clears
 * its poison (as pmm_alloc would): a no-op without PMM_POISON or before
 * frames can be reached.  (uint64_t is paddr_t: this header stays below
 * mm/pmm.h, whose .c implements it.) */
void pmm_frame_poison(uint64_t frame);
void pmm_frame_unpoison(uint64_t frame);

#endif
