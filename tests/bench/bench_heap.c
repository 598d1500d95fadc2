/* The kernel heap's fast paths, in guest instructions (see kbench.h):
 * kmalloc + kfree of 32 bytes once the size's class of the
 * low-fragmentation front end is on, and each half apart.  Interrupts are
 * off during a measurement; each figure is the smallest of a few runs (a
 * run that refills the class's list is not the fast path). */
#include "tests/bench/kbench.h"
#include "mm/kheap.h"

#define ROUNDS 8

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static void bench_kmalloc_kfree(void)
{
    void *warm[64];
    for (int i = 0; i < 64; i++) /* the class turns on, its list fills */
        warm[i] = kmalloc(32);
    for (int i = 0; i < 64; i++)
        kfree(warm[i]);
    uint32_t both = ~0u, alloc = ~0u, free = ~0u;
    for (int r = 0; r < ROUNDS; r++) {
        uint32_t t = kbench_begin();
        void *p = kmalloc(32);
        kfree(p);
        both = min_u32(both, kbench_end(t));
        t = kbench_begin();
        p = kmalloc(32);
        alloc = min_u32(alloc, kbench_end(t));
        t = kbench_begin();
        kfree(p);
        free = min_u32(free, kbench_end(t));
    }
    kbench_report("heap.kmalloc_kfree.32", both);
    kbench_report("heap.kmalloc.32", alloc);
    kbench_report("heap.kfree.32", free);
}
KBENCH(b_kmalloc_kfree, "heap.kmalloc_kfree.32", bench_kmalloc_kfree);
