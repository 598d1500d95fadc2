/* TLB invalidation: every change to a present entry goes through here
 * (DESIGN.md section 9), for this CPU and, by IPI (mm/tlb_shootdown.c),
 * for every other CPU that may hold the entry, before the call returns. */
#ifndef MM_TLB_H
#define MM_TLB_H

#include <stdbool.h>
#include <stdint.h>

void tlb_invalidate(uint32_t va);
void tlb_invalidate_range(uint32_t va, uint32_t pages);
/* This CPU only (the temporary window: a slot is used only by the CPU
 * that mapped it, which invalidates on every map). */
void tlb_invalidate_local(uint32_t va);
/* Defers the invalidations of entry changes until the matching end (one
 * flush for a large range, one IPI per other CPU).  Nothing may access
 * the changed pages in between.  Nests. */
void paging_batch_begin(void);
void paging_batch_end(void);
/* mm/paging's entry writers: a present entry of va changed (batched when
 * a batch is open). */
void tlb_invalidate_changed(uint32_t va);
/* mm/paging's address-space switch: loads cr3 with this CPU in *active
 * (the new space's set of CPUs that may cache its entries) before, and
 * out of *old_active after (the load dropped the old space's non-global
 * entries).  tlb_space_switched only records the current set. */
void tlb_load_cr3(uint32_t cr3, volatile uint32_t *active, volatile uint32_t *old_active);
void tlb_space_switched(volatile uint32_t *active);
/* INVLPGs and full flushes done on this CPU's behalf (paging's stats). */
void tlb_get_counts(uint32_t *invlpg, uint32_t *flushes);

#endif
