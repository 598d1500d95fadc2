/* The HeapAlloc / HeapFree entry points, their fast paths, and how a
 * failed call is reported.
 *
 * The fast paths serve one class of the low-fragmentation front end
 * (heap_lfh.c) with the heap lock taken by one atomic instruction and no
 * call: an allocation pops the class's list and writes the block's
 * header; a free checks the pointer against the subsegment table and
 * the header against its place, pushes the block onto its subsegment's
 * list and counts it.  Anything else (an empty list, a class that is
 * off, a contended lock, checking heaps, HEAP_ZERO_MEMORY, bad pointers)
 * takes the slow path: the whole call under hlock_acquire, through the
 * front end, the quick lists of standard heaps (heap_quick.c), the back
 * end (heap_bins.c) or a large block (heap_large.c). */
#include "heap_private.h"

/* ---- failure reporting ---- */

/* Record st for the caller and raise where the heap or the call asks for
 * it.  Called without the heap lock.  Any shortage (no address space,
 * STATUS_COMMITMENT_LIMIT from the page provider, the heap's maximum) is
 * STATUS_NO_MEMORY, for the caller and for HEAP_GENERATE_EXCEPTIONS
 * (spec item 73; heap.h). */
void hcall_fail(uint32_t flags, int32_t st, int32_t *status)
{
    int corrupt = st == HST_INVALID_PARAMETER || st == HST_HEAP_CORRUPTION;
    if (!corrupt)
        st = HST_NO_MEMORY;
    if (status)
        *status = st;
    if (corrupt && (flags & HEAP_X_TERMINATE_ON_CORRUPTION))
        heap_os_raise(HST_HEAP_CORRUPTION);
    else if (flags & HEAP_GENERATE_EXCEPTIONS)
        heap_os_raise(corrupt ? HST_ACCESS_VIOLATION : st);
}

/* ---- allocation ---- */

/* Fill a block fresh from the back end: zeroes with HEAP_ZERO_MEMORY,
 * else the busy fill on free-checking heaps; the tail fill with tail
 * checking. */
static void blk_finish(struct heap *h, uint32_t flags, struct hblk *b, size_t size)
{
    if (flags & HEAP_ZERO_MEMORY)
        memset(blk_data(b), 0, size);
    else if (h->flags & HEAP_FREE_CHECKING_ENABLED)
        memset(blk_data(b), HFILL_BUSY, size);
    if (h->flags & HEAP_TAIL_CHECKING_ENABLED)
        blk_fill_tail(b);
}

/* Allocation from the back end or a large block (lock held). */
static void *alloc_back(struct heap *h, uint32_t flags, size_t size, int32_t *st)
{
    if (size > HEAP_MAX_REQUEST || (h->maximum && size >= HEAP_FIXED_LIMIT)) {
        *st = HST_NO_MEMORY;
        return NULL;
    }
    if (!h->maximum && size >= HEAP_LARGE_THRESHOLD)
        return hlarge_alloc(h, flags, size, 0, st);
    size_t need = size + ((h->flags & HEAP_TAIL_CHECKING_ENABLED) ? HG : 0);
    uint32_t g = bytes_to_g(need);
    /* With plenty parked, a parked block a granule or two bigger beats
     * the back end (the unused bytes field holds the difference).  Not
     * with little parked: the block would come back to the bigger list
     * and the next request of this size would miss again. */
    for (uint32_t k = g + 1; h->quick_bytes > HEAP_QUICK_MIN && k <= g + HQUICK_SPILL &&
                             k <= h->quick_max_g; k++) {
        if (h->quick[k]) {
            void *p = hquick_pop_class(h, k, size);
            if (p) {
                if (flags & HEAP_ZERO_MEMORY)
                    memset(p, 0, size);
                return p;
            }
        }
    }
    struct hblk *b = hblock_alloc(h, size, g, st);
    if (!b)
        return NULL;
    if (heap_live(h) > h->quick_budget) /* parking may hold as much as is in use */
        h->quick_budget = heap_live(h);
    blk_finish(h, flags, b, size);
    return blk_data(b);
}

/* Any allocation, lock held (or not needed): the front end's class, else
 * a quick list, else the back end or a large block.  NULL with *st when
 * it cannot be had. */
void *hfront_alloc(struct heap *h, uint32_t flags, size_t size, int32_t *st)
{
    void *p = NULL;
    size_t need = size + ((h->flags & HEAP_TAIL_CHECKING_ENABLED) ? HG : 0);
    if (h->lfh_mode && need <= LFH_MAX_REQUEST)
        p = hlfh_alloc(h, lfh_class(need), size);
    else
        p = hquick_pop(h, size);
    if (p) {
        if (flags & HEAP_ZERO_MEMORY)
            memset(p, 0, size);
        return p;
    }
    return alloc_back(h, flags, size, st);
}

/* What the fast path could not serve: the whole allocation under the
 * lock (unless HEAP_NO_SERIALIZE); a failure is reported after the
 * lock is dropped, since it may raise (flags: the call's). */
__attribute__((noinline)) static void *alloc_slow(struct heap *h, uint32_t flags, size_t size,
                                                  int32_t *status)
{
    int32_t st = HST_NO_MEMORY;
    void *p = NULL;
    flags |= h->flags;
    hcall_lock(h, flags);
    if (h->lfh_tcs && !(flags & (HEAP_NO_SERIALIZE | HEAP_ZERO_MEMORY | HEAP_CHECKING)) &&
        size <= LFH_MAX_REQUEST) {
        int slot = heap_os_thread_slot();
        if (slot >= 0)
            p = htc_alloc(h, slot, lfh_class(size), size);
    }
    if (!p)
        p = hfront_alloc(h, flags, size, &st);
    hcall_unlock(h, flags);
    if (!p)
        hcall_fail(flags, st, status);
    return p;
}

/* A front-end block for `size` bytes: its busy header (the class's
 * header for 0 bytes less the size is the unused count). */
static inline void *lfh_hand_out(struct heap *h, uint32_t hdr, struct lblk *blk, size_t size)
{
    uint32_t w0 = hdr - (uint32_t)size;
    blk->h.w0 = w0;
    blk->h.w1 = w0 ^ lfh_key(h, blk);
    return blk_data(&blk->h);
}

/* The fast path released a lock someone waits for: wake one. */
__attribute__((noinline)) static void *alloc_wake(struct heap *h, void *p)
{
    hlock_wake(&h->lock);
    return p;
}

/* The locked fast path found its list empty: drop the lock, and the
 * slow path (apart: the drop may call). */
__attribute__((noinline)) static void *alloc_drop_slow(struct heap *h, uint32_t flags, size_t size,
                                                       int32_t *status)
{
    hlock_drop(&h->lock);
    return alloc_slow(h, flags, size, status);
}

/* The three fast paths of an allocation (flags: the call's; size <=
 * LFH_MAX_REQUEST, no HFAST_SLOW flag in the call's or the heap's), each ending
 * in the slow path, tail called, when it cannot serve it.  Locked: pop
 * the class's list under hlock_try.  No serialize: pop it with no lock.
 * Thread cache: pop this thread's cache for the class, its busy word
 * raised (heap_tcache.c: the barrier of a thread wanting the caches quiet
 * is the other side's fence); a thread with no slot takes the locked
 * path.  The last calls the platform (heap_os_thread_slot), so it is a
 * function of its own: the other two save no register. */
#define HFAST_SLOW (HEAP_ZERO_MEMORY | HEAP_CHECKING)

static inline void *alloc_locked(struct heap *h, uint32_t flags, size_t size, int32_t *status)
{
    struct lbucket *b = &h->lfh_b[lfh_class(size)];
    if (__builtin_expect(hlock_try(&h->lock), 1)) {
        struct lblk *blk = b->free;
        if (__builtin_expect(blk != NULL, 1)) {
            b->free = blk->next;
            void *p = lfh_hand_out(h, b->hdr, blk, size);
            if (__builtin_expect(__atomic_exchange_n(&h->lock.word, 0, __ATOMIC_RELEASE) == 2, 0))
                return alloc_wake(h, p);
            return p;
        }
        return alloc_drop_slow(h, flags, size, status);
    }
    return alloc_slow(h, flags, size, status);
}

static inline void *alloc_noser(struct heap *h, uint32_t flags, size_t size, int32_t *status)
{
    struct lbucket *b = &h->lfh_b[lfh_class(size)];
    struct lblk *blk = b->free;
    if (__builtin_expect(blk != NULL, 1)) {
        b->free = blk->next;
        return lfh_hand_out(h, b->hdr, blk, size);
    }
    return alloc_slow(h, flags, size, status);
}

__attribute__((noinline)) static void *alloc_tc(struct heap *h, uint32_t flags, size_t size, int32_t *status)
{
    int slot = heap_os_thread_slot();
    struct ltc *tc = slot >= 0 ? h->lfh_tcs[slot] : NULL;
    if (__builtin_expect(tc != NULL, 1)) {
        tc->busy = 1;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        struct ltc_list *c = &tc->c[lfh_class(size)];
        struct lblk *blk = c->free;
        if (__builtin_expect(blk != NULL && !h->lfh_excl, 1)) {
            c->free = blk->next;
            c->n--;
            void *p = lfh_hand_out(h, c->hdr, blk, size);
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
            tc->busy = 0;
            return p;
        }
        tc->busy = 0;
    } else if (slot < 0) {
        return alloc_locked(h, flags, size, status);
    }
    return alloc_slow(h, flags, size, status);
}

#if __SIZEOF_POINTER__ == 8
/* HeapAlloc (heap.h), on a 64-bit ABI: registers enough for the three
 * fast paths in one function that saves none (every call a tail call). */
HEAP_FASTCALL void *heap_alloc(struct heap *h, uint32_t flags, size_t size, int32_t *status)
{
    uint32_t f = flags | h->flags;
    if (__builtin_expect(size > LFH_MAX_REQUEST || (f & HFAST_SLOW), 0))
        return alloc_slow(h, flags, size, status);
    if (f & HEAP_NO_SERIALIZE)
        return alloc_noser(h, flags, size, status);
    if (f & HEAP_I_TCACHE)
        return alloc_tc(h, flags, size, status);
    return alloc_locked(h, flags, size, status);
}
#else
/* HEAP_NO_SERIALIZE and thread-cache calls of heap_alloc, apart so that
 * the lock's path (the one-CPU platforms') stays short: with six
 * registers to spare on i386, one function holding the three paths saves
 * and restores registers on every call. */
__attribute__((noinline)) static void *alloc_other(struct heap *h, uint32_t flags, size_t size, int32_t *status)
{
    uint32_t f = flags | h->flags;
    if (size > LFH_MAX_REQUEST || (f & HFAST_SLOW))
        return alloc_slow(h, flags, size, status);
    if (f & HEAP_NO_SERIALIZE)
        return alloc_noser(h, flags, size, status);
    if (f & HEAP_I_TCACHE)
        return alloc_tc(h, flags, size, status);
    return alloc_slow(h, flags, size, status);
}

/* HeapAlloc (heap.h), on i386: the locked fast path here, the others in
 * alloc_other; no call but tail calls, so no register saved. */
HEAP_FASTCALL void *heap_alloc(struct heap *h, uint32_t flags, size_t size, int32_t *status)
{
    if (__builtin_expect(!((flags | h->flags) & HEAP_OFF_LOCK_FAST) && size <= LFH_MAX_REQUEST, 1))
        return alloc_locked(h, flags, size, status);
    return alloc_other(h, flags, size, status);
}
#endif

/* ---- free ---- */

/* Free p, lock held (or not needed): the front end, a quick list, the
 * back end, or a large block.  With tail checking, a block written past
 * its end is refused with STATUS_HEAP_CORRUPTION and stays busy, the
 * damage in place for the caller to see; the heap itself is intact. */
int32_t hfront_free(struct heap *h, void *p)
{
    struct hlarge *l = hlarge_find(h, p); /* (first: a test of p's alignment unless it may be one) */
    if (l) {
        if (!hlarge_ok(h, l))
            return HST_HEAP_CORRUPTION;
        hlarge_free(h, l, 1);
        return 0;
    }
    int in;
    struct lsub *sub;
    struct lblk *blk = hlfh_block(h, p, &sub, &in);
    if (in) {
        if (!blk)
            return HST_INVALID_PARAMETER;
        if ((h->flags & HEAP_TAIL_CHECKING_ENABLED) && !hlfh_tail_ok(sub, blk))
            return HST_HEAP_CORRUPTION;
        hlfh_free(h, sub, blk);
        return 0;
    }
    struct hseg *s = NULL;
    struct hblk *b = blk_lookup(h, p, &s);
    if (b) {
        int parked = hquick_park(h, b);
        if (parked == 2)
            hquick_window(h);
        if (parked)
            return 0;
        if ((h->flags & HEAP_TAIL_CHECKING_ENABLED) && !blk_tail_ok(b))
            return HST_HEAP_CORRUPTION;
        int32_t st = hblock_free(h, s, b);
        if (st)
            heap_corrupt(h);
        else if (h->quick_bytes > h->quick_budget) /* converge on a lowered budget */
            hquick_flush(h, 8, ~(size_t)0);
        return st;
    }
    return HST_INVALID_PARAMETER;
}

/* What the fast path could not do: the whole free under the lock (unless
 * HEAP_NO_SERIALIZE).  1 freed; 0 refused, reported after the lock is
 * dropped (flags: the call's). */
__attribute__((noinline)) static int free_slow(struct heap *h, uint32_t flags, void *p,
                                               int32_t *status)
{
    int32_t st = 0;
    if (!p)
        return 1;
    flags |= h->flags;
    hcall_lock(h, flags);
    int slot = h->lfh_tcs && !(flags & (HEAP_NO_SERIALIZE | HEAP_CHECKING)) ? heap_os_thread_slot() : -1;
    int in;
    struct lsub *sub;
    struct lblk *blk = slot >= 0 ? hlfh_block(h, p, &sub, &in) : NULL;
    if (!blk || !htc_free(h, slot, sub, blk))
        st = hfront_free(h, p);
    hcall_unlock(h, flags);
    if (st) {
        hcall_fail(flags, st, status);
        return 0;
    }
    return 1;
}

/* The fast path's rare ends: a subsegment that may change state (its
 * list was empty: it may have been full; or all its blocks are back),
 * and a lock someone waits for.  The lock (if `locked`) is still held. */
__attribute__((noinline)) static int free_transition(struct heap *h, struct lsub *sub, int locked)
{
    hlfh_free_transition(h, sub);
    if (locked)
        hlock_drop(&h->lock);
    return 1;
}
__attribute__((noinline)) static int free_wake(struct heap *h)
{
    hlock_wake(&h->lock);
    return 1;
}

/* The three fast paths of a free of the front-end block at p, of
 * subsegment sub, its header (w0, w1) checked (flags: the call's).
 * Locked: onto its subsegment's list under hlock_try, else the slow
 * path.  No serialize: onto that list with no lock.  Thread cache: onto
 * this thread's cache for the class unless full (then the slow path,
 * which flushes it); a thread with no slot takes the locked path.  The
 * busy bit is cleared in both header words (w1 = w0 ^ key holds on). */
static inline int free_locked(struct heap *h, uint32_t flags, void *p, int32_t *status, struct lsub *sub)
{
    struct lblk *blk = (struct lblk *)((uintptr_t)p - HHDR);
    if (__builtin_expect(!hlock_try(&h->lock), 0))
        return free_slow(h, flags, p, status);
    struct lblk *old = sub->free;
    blk->h.w0 ^= LW0_BUSY;
    blk->h.w1 ^= LW0_BUSY;
    blk->next = old;
    sub->free = blk;
    if (__builtin_expect(++sub->nfree == sub->ncarved || !old, 0))
        return free_transition(h, sub, 1);
    if (__builtin_expect(__atomic_exchange_n(&h->lock.word, 0, __ATOMIC_RELEASE) == 2, 0))
        return free_wake(h);
    return 1;
}

static inline int free_noser(struct heap *h, void *p, struct lsub *sub, uint32_t w0, uint32_t w1)
{
    struct lblk *blk = (struct lblk *)((uintptr_t)p - HHDR);
    struct lblk *old = sub->free;
    blk->h.w0 = w0 ^ LW0_BUSY;
    blk->h.w1 = w1 ^ LW0_BUSY;
    blk->next = old;
    sub->free = blk;
    if (__builtin_expect(++sub->nfree == sub->ncarved || !old, 0))
        return free_transition(h, sub, 0);
    return 1;
}

__attribute__((noinline)) static int free_tc(struct heap *h, uint32_t flags, void *p, int32_t *status,
                                             struct lsub *sub, uint32_t w0)
{
    struct lblk *blk = (struct lblk *)((uintptr_t)p - HHDR);
    uint32_t w1 = w0 ^ lfh_key(h, blk);
    int slot = heap_os_thread_slot();
    struct ltc *tc = slot >= 0 ? h->lfh_tcs[slot] : NULL;
    if (__builtin_expect(tc != NULL, 1)) {
        tc->busy = 1;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        struct ltc_list *c = &tc->c[(w0 >> LW0_CLASS_SHIFT) & 0xFF];
        if (__builtin_expect(c->n < c->max && !h->lfh_excl, 1)) {
            blk->h.w0 = w0 ^ LW0_BUSY;
            blk->h.w1 = w1 ^ LW0_BUSY;
            blk->next = c->free;
            c->free = blk;
            c->n++;
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
            tc->busy = 0;
            return 1;
        }
        tc->busy = 0;
    } else if (slot < 0) {
        return free_locked(h, flags, p, status, sub);
    }
    return free_slow(h, flags, p, status);
}

#if __SIZEOF_POINTER__ == 8
/* HeapFree (heap.h), on a 64-bit ABI (as heap_alloc): a busy block of a
 * subsegment the table knows, whose header matches its place, goes back
 * by its fast path; anything else to free_slow. */
HEAP_FASTCALL int heap_free(struct heap *h, uint32_t flags, void *p, int32_t *status)
{
    struct lsub *sub = lfh_tab_block(h, p);
    uint32_t f = flags | h->flags;
    if (__builtin_expect(sub != NULL && !(f & HEAP_CHECKING), 1)) {
        uint32_t w0 = ((struct hblk *)p)[-1].w0, w1 = ((struct hblk *)p)[-1].w1;
        if (__builtin_expect(lfh_busy_header_ok(h, p, w0, w1), 1)) {
            if (f & HEAP_NO_SERIALIZE)
                return free_noser(h, p, sub, w0, w1);
            if (f & HEAP_I_TCACHE)
                return free_tc(h, flags, p, status, sub, w0);
            return free_locked(h, flags, p, status, sub);
        }
    }
    return free_slow(h, flags, p, status);
}
#else
/* HEAP_NO_SERIALIZE and thread-cache calls of heap_free, apart (as
 * alloc_other). */
__attribute__((noinline)) static int free_other(struct heap *h, uint32_t flags, void *p, int32_t *status)
{
    struct lsub *sub = lfh_tab_block(h, p);
    uint32_t f = flags | h->flags;
    if (sub && !(f & HEAP_CHECKING) && (f & (HEAP_NO_SERIALIZE | HEAP_I_TCACHE))) {
        uint32_t w0 = ((struct hblk *)p)[-1].w0, w1 = ((struct hblk *)p)[-1].w1;
        if (lfh_busy_header_ok(h, p, w0, w1)) {
            if (f & HEAP_NO_SERIALIZE)
                return free_noser(h, p, sub, w0, w1);
            return free_tc(h, flags, p, status, sub, w0);
        }
    }
    return free_slow(h, flags, p, status);
}

/* HeapFree (heap.h), on i386: the locked fast path here, the others in
 * free_other; no call but tail calls. */
HEAP_FASTCALL int heap_free(struct heap *h, uint32_t flags, void *p, int32_t *status)
{
    struct lsub *sub = lfh_tab_block(h, p);
    if (__builtin_expect(sub != NULL && !((flags | h->flags) & HEAP_OFF_LOCK_FAST), 1)) {
        uint32_t w0 = ((struct hblk *)p)[-1].w0, w1 = ((struct hblk *)p)[-1].w1;
        if (__builtin_expect(lfh_busy_header_ok(h, p, w0, w1), 1))
            return free_locked(h, flags, p, status, sub);
    }
    return free_other(h, flags, p, status);
}
#endif
