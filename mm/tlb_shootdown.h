/* TLB shootdown: the other CPUs' half of every TLB invalidation (Intel SDM
 * Vol.3 4.10.5: a CPU never sees another CPU's page-table change until it
 * invalidates the entry itself).  mm/paging.c's invalidation functions
 * call it after their local INVLPG or flush, with the CPUs that may hold
 * the entries; it returns once every one of them has invalidated. */
#ifndef MM_TLB_SHOOTDOWN_H
#define MM_TLB_SHOOTDOWN_H

#include <stdbool.h>
#include <stdint.h>

#define TLB_SHOOT_PAGES 16          /* pages one request lists; more: a full flush */

/* Registers the IPI handler and the spinlocks' wait hook (after the
 * local APIC is up). */
void tlb_shootdown_init(void);
/* Interrupts every CPU in targets (a mask of CPU indexes, never this CPU)
 * with one IPI carrying pages va[0..n) (n > TLB_SHOOT_PAGES, or all:
 * flush everything, global entries too when kernel), and waits until all
 * have done it.  Any context; interrupts may be off. */
void tlb_shootdown(uint32_t targets, const uint32_t *va, uint32_t n, bool all, bool kernel);
/* Serves a request pending for this CPU, if any: called by every busy
 * wait that may run with interrupts off (spinlocks, cross-CPU calls), so
 * two CPUs cannot wait for each other. */
void tlb_shootdown_poll(void);

/* Every other online CPU passes a full memory barrier (a locked
 * instruction, with the interrupt that brought it there) before this
 * returns: Windows' FlushProcessWriteBuffers, Linux's membarrier.  The
 * same request path as a shootdown with nothing to invalidate, so a CPU
 * spinning with interrupts off serves it too; counted apart (barriers).
 * Any context. */
void cpu_barrier_others(void);

struct tlb_shootdown_stats {
    uint32_t requests;              /* shootdowns sent */
    uint32_t ipis;                  /* IPIs sent (one per target CPU per request) */
    uint32_t cpus_interrupted;      /* target CPUs, summed over requests */
    uint32_t pages;                 /* pages listed, summed over requests */
    uint32_t full_flushes;          /* requests that flushed everything */
    uint32_t skipped_local_only;    /* invalidations no other CPU needed */
    uint32_t barriers;              /* cpu_barrier_others calls that interrupted a CPU */
};
void tlb_shootdown_get_stats(struct tlb_shootdown_stats *out);
/* Counted by mm/paging when no other CPU may hold the entries. */
void tlb_shootdown_count_local_only(void);

#endif
