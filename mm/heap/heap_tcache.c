/* Per-thread caches of the low-fragmentation front end: its "affinity",
 * for platforms with several CPUs (heap_os_thread_slot() >= 0; one CPU
 * takes the heap lock instead, heap_front.c).
 *
 * Each thread (slot) keeps, per class, a short list of free blocks.  A
 * serialized HeapAlloc / HeapFree of a front-end block pops or pushes it
 * with no atomic instruction: the thread marks its cache busy, checks
 * that nobody holds the heap exclusively, works, and clears the mark.
 * Refilling an empty list (half a list's worth from the class) and
 * flushing a full one (half of it back to the blocks' subsegments) take
 * the heap lock, so the lock's cost is shared by many calls.
 *
 * Whoever needs every cache quiet (HeapLock, HeapWalk, HeapValidate of
 * the whole heap, HeapCompact, the statistics, HeapDestroy) takes the
 * lock, raises h->lfh_excl, has every thread pass a memory barrier
 * (heap_os_barrier: the fast paths' store of their busy word and load of
 * lfh_excl need no fence of their own) and waits until no cache is busy;
 * from then on the fast paths see lfh_excl and go the slow way, which
 * waits for the lock (spec item 91: HeapLock blocks the other threads).
 *
 * Caches are made in the front end's memory on a thread's first slow
 * path and outlive threads: a slot's next thread inherits the blocks. */
#include "heap_private.h"

/* Blocks a thread keeps per class: about 8 KiB worth, 4 to 128.  Two
 * threads on two CPUs take the heap lock for every refill and flush, so
 * the batch size is their speed: 2 KiB caches ran mt_independent at 13 ns
 * a call, 4 KiB at 7.7, 8 KiB at 5.1 (a quiet machine, one run), for
 * 0.04 more committed / live on small blocks. */
static uint32_t tc_max(uint32_t cls)
{
    uint32_t n = 8192 / lfh_class_bytes[cls];
    return n < 4 ? 4 : n > 128 ? 128 : n;
}

/* The cache of slot `slot`, made if need be; NULL when the meta area is
 * used up.  Lock held, front end set up. */
static struct ltc *tc_get(struct heap *h, int slot)
{
    struct hlfh *l = h->lfh;
    struct ltc *tc = l->tc[slot];
    if (tc)
        return tc;
    tc = hlfh_meta_alloc(h, sizeof *tc, 64);
    if (!tc)
        return NULL;
    memset(tc, 0, sizeof *tc);
    tc->slot = (uint32_t)slot;
    for (uint32_t c = 0; c < LFH_NCLASS; c++) {
        tc->c[c].max = tc_max(c);
        tc->c[c].hdr = l->b[c].hdr;
    }
    l->tc[slot] = tc;
    l->ntc++;
    return tc;
}

/* The fast path found slot's list of class cls empty (or no cache yet):
 * refill it from the class (half a list) and hand out one block for
 * `size` bytes.  NULL when no cache applies (the class is off, the heap
 * is held exclusively, no memory): the caller takes the common path.
 * Lock held. */
void *htc_alloc(struct heap *h, int slot, uint32_t cls, size_t size)
{
    struct hlfh *l = h->lfh;
    if (!l || h->lfh_excl || (!l->b[cls].active && !l->b[cls].partial))
        return NULL;
    struct ltc *tc = tc_get(h, slot);
    if (!tc)
        return NULL;
    struct ltc_list *c = &tc->c[cls];
    struct lbucket *b = &h->lfh_b[cls];
    while (c->n <= c->max / 2) {
        struct lblk *blk = b->free;         /* (the class's list, as hlfh_take) */
        if (blk)
            b->free = blk->next;
        else if (!(blk = hlfh_take(h, cls)))
            break;
        blk->next = c->free;
        c->free = blk;
        c->n++;
    }
    struct lblk *blk = c->free;
    if (!blk)
        return NULL;
    c->free = blk->next;
    c->n--;
    uint32_t w0 = c->hdr - (uint32_t)size;
    blk->h.w0 = w0;
    blk->h.w1 = w0 ^ lfh_key(h, blk);
    return blk_data(&blk->h);
}

/* Give back half of list c (to the blocks' subsegments).  Lock held. */
static void tc_flush(struct heap *h, struct ltc_list *c, uint32_t n)
{
    int in;
    while (n-- && c->free) {
        struct lblk *blk = c->free;
        c->free = blk->next;
        c->n--;
        struct lsub *sub = lfh_tab_sub(h, blk); /* (checked when it came in) */
        if (!sub)
            sub = hlfh_sub_of(h, blk, &in);
        if (sub)
            hlfh_put(h, sub, blk);
        else
            heap_corrupt(h);
    }
}

/* The fast path found the list of the busy block blk (of sub, checked)
 * full (or no cache yet): flush half of it, then keep blk.  0 when no
 * cache applies (the caller frees blk the common way).  Lock held. */
int htc_free(struct heap *h, int slot, struct lsub *sub, struct lblk *blk)
{
    if (!h->lfh || h->lfh_excl)
        return 0;
    struct ltc *tc = tc_get(h, slot);
    if (!tc)
        return 0;
    struct ltc_list *c = &tc->c[sub->cls];
    if (c->n >= c->max)
        tc_flush(h, c, c->max / 2 + 1);
    blk->h.w0 ^= LW0_BUSY;
    blk->h.w1 ^= LW0_BUSY;
    blk->next = c->free;
    c->free = blk;
    c->n++;
    return 1;
}

/* Hold the heap exclusively (lock held by the caller): no thread cache
 * is in use when this returns, none will be until htc_exclusive_end.
 * Nests. */
void htc_exclusive_begin(struct heap *h)
{
    if (h->lfh_excl++ || !h->lfh || !h->lfh->ntc)
        return;
    heap_os_barrier();
    for (int i = 0; i < HEAP_OS_THREAD_SLOTS; i++) {
        struct ltc *tc = h->lfh->tc[i];
        while (tc && tc->busy)
            heap_os_yield();
    }
}

void htc_exclusive_end(struct heap *h)
{
    h->lfh_excl--;
}

/* Every cached block back to its subsegment (HeapCompact).  Exclusive. */
void htc_flush_all(struct heap *h)
{
    for (int i = 0; h->lfh && i < HEAP_OS_THREAD_SLOTS; i++) {
        struct ltc *tc = h->lfh->tc[i];
        for (uint32_t c = 0; tc && c < LFH_NCLASS; c++)
            tc_flush(h, &tc->c[c], tc->c[c].n);
    }
}

/* How many of sub's blocks the caches hold (the validator).  Exclusive. */
size_t htc_count(struct heap *h, struct lsub *sub)
{
    size_t n = 0;
    for (int i = 0; h->lfh && i < HEAP_OS_THREAD_SLOTS; i++) {
        struct ltc *tc = h->lfh->tc[i];
        uint32_t guard = 0;
        for (struct lblk *b = tc ? tc->c[sub->cls].free : NULL; b && guard++ <= tc->c[sub->cls].n;
             b = b->next)
            n += ((uintptr_t)b & ~(uintptr_t)(LFH_CHUNK - 1)) == sub->chunk;
    }
    return n;
}

/* ---- for the platform: a slot whose thread has ended ---- */

/* heap_flush_thread_cache (heap.h): slot's thread will not call again
 * and the platform gives the slot to no one until this returns, so the
 * lock alone keeps the cache still (the exclusive paths hold it too). */
void heap_flush_thread_cache(struct heap *h, int slot)
{
    if (!h->lfh_tcs || slot < 0 || slot >= HEAP_OS_THREAD_SLOTS)
        return;
    hlock_acquire(&h->lock);
    struct ltc *tc = h->lfh ? h->lfh->tc[slot] : NULL;
    for (uint32_t c = 0; tc && c < LFH_NCLASS; c++)
        tc_flush(h, &tc->c[c], tc->c[c].n);
    hlock_release(&h->lock);
}
