/* The front end: the HeapAlloc / HeapFree entry points and the quick
 * lists behind them, and how a failed call is reported.
 *
 * Blocks up to HEAP_QUICK_BLOCK bytes are freed onto per-size quick lists
 * (LIFO, exact granule classes, still busy for coalescing) and allocated
 * from them in O(1): no search, split or merge.  Parking is bounded by a
 * budget (the heap's live bytes seen at back-end allocations); a window
 * of HEAP_QUICK_WINDOW pushes in which parked blocks were hardly reused
 * lowers it to today's use, and whenever the back end would have to
 * commit more it first drains a bounded batch (so one call never drains
 * them all, the 18 ms glibc consolidation).
 *
 * What the quick lists cannot serve goes to the back end (heap_bins.c)
 * or, for large blocks, to regions of their own (heap_large.c). */
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

/* ---- quick lists: giving parked blocks back ---- */

/* Move parked quick blocks into the back end (coalescing them): up to n
 * blocks, stopping once `bytes` bytes moved.  Returns how many moved. */
uint32_t hquick_flush(struct heap *h, uint32_t n, size_t bytes)
{
    uint32_t done = 0, c = h->flush_cls, empty = 0;
    size_t moved = 0;
    if (c < HMIN_G || c > HQUICK_MAX_G)
        c = HMIN_G;
    while (done < n && moved < bytes && h->quick_bytes && empty <= HQUICK_MAX_G) {
        struct qblk *q = h->quick[c];
        struct hseg *s = q ? hseg_find(h, (uintptr_t)q) : NULL;
        if (!q || !s || !hdr_ok(h, q->h.w0, q->h.w1) || !(q->h.w1 & W1_QUICK) ||
            (q->h.w0 & (W0_SIZE | W0_BUSY)) != (c | W0_BUSY)) {
            if (q) { /* a broken list: drop it rather than trust it */
                h->quick[c] = NULL;
                heap_corrupt(h);
            }
            c = c >= HQUICK_MAX_G ? HMIN_G : c + 1;
            empty++;
            continue;
        }
        empty = 0;
        h->quick[c] = q->next;
        h->quick_bytes -= (size_t)c << HG_SHIFT;
        q->h.w1 &= ~W1_QUICK;
        if (hblock_free(h, s, &q->h))
            heap_corrupt(h);
        done++;
        moved += (size_t)c << HG_SHIFT;
    }
    h->flush_cls = c;
    return done;
}

/* Move every parked block into the back end (coalescing them). */
void hquick_drain(struct heap *h)
{
    while (h->quick_bytes && hquick_flush(h, ~0u, ~(size_t)0))
        ;
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

/* O(1) allocation from quick list g for `size` bytes; NULL when the list
 * is empty. */
static inline void *quick_pop_class(struct heap *h, uint32_t g, size_t size)
{
    struct qblk *q = h->quick[g];
    if (!q)
        return NULL;
    uint32_t w0 = q->h.w0, w1 = q->h.w1;
    if (__builtin_expect(!hdr_ok(h, w0, w1) || (w0 & (W0_SIZE | W0_BUSY)) != (g | W0_BUSY) ||
                             !(w1 & W1_QUICK), 0)) {
        h->quick[g] = NULL; /* a broken list: drop it rather than trust it */
        heap_corrupt(h);
        return NULL;
    }
    h->quick[g] = q->next;
    h->quick_bytes -= (size_t)g << HG_SHIFT;
    h->quick_pops++;
    uint32_t unused = (g << HG_SHIFT) - HHDR - (uint32_t)size;
    hdr_set(h, &q->h, (w0 & (W0_SIZE | W0_BUSY | W0_LAST)) | (unused << W0_UNUSED_SHIFT),
            w1 & ~W1_QUICK);
    return blk_data(&q->h);
}
static inline void *quick_pop(struct heap *h, size_t size)
{
    uint32_t g = bytes_to_g(size);
    return size <= HQUICK_MAX_REQ && g <= h->quick_max_g ? quick_pop_class(h, g, size) : NULL;
}

/* Allocation beyond the quick lists (lock held). */
static void *alloc_slow(struct heap *h, uint32_t flags, size_t size, int32_t *st)
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
            void *p = quick_pop_class(h, k, size);
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

/* Any allocation, lock held (or not needed): a quick list, else the back
 * end or a large block.  NULL with *st when it cannot be had. */
void *hfront_alloc(struct heap *h, uint32_t flags, size_t size, int32_t *st)
{
    void *p = quick_pop(h, size);
    if (p) {
        if (flags & HEAP_ZERO_MEMORY)
            memset(p, 0, size);
        return p;
    }
    return alloc_slow(h, flags, size, st);
}

/* What the fast path could not serve: the whole allocation under the
 * lock (unless HEAP_NO_SERIALIZE); a failure is reported after the
 * lock is dropped, since it may raise. */
__attribute__((noinline, cold)) static void *alloc_rest(struct heap *h, uint32_t flags, size_t size,
                                                  int32_t *status)
{
    int32_t st = HST_NO_MEMORY;
    int locked = !(flags & HEAP_NO_SERIALIZE);
    if (locked)
        hlock_acquire(&h->lock);
    void *p = hfront_alloc(h, flags, size, &st);
    if (locked)
        hlock_release(&h->lock);
    if (!p)
        hcall_fail(flags, st, status);
    return p;
}

/* Serialized heaps: the quick path under the lock. */
__attribute__((noinline, cold)) static void *alloc_serialized(struct heap *h, uint32_t flags, size_t size,
                                                        int32_t *status)
{
    if (!(flags & (HEAP_ZERO_MEMORY | HEAP_NO_SERIALIZE))) {
        hlock_acquire(&h->lock);
        void *p = quick_pop(h, size);
        hlock_release(&h->lock);
        if (__builtin_expect(p != NULL, 1))
            return p;
    }
    return alloc_rest(h, flags, size, status);
}

/* The fast path makes no call but tail calls, so it saves no registers. */
void *heap_alloc(struct heap *h, uint32_t flags, size_t size, int32_t *status)
{
    flags |= h->flags;
    if (__builtin_expect((flags & (HEAP_NO_SERIALIZE | HEAP_ZERO_MEMORY)) != HEAP_NO_SERIALIZE, 0))
        return alloc_serialized(h, flags, size, status);
    void *p = quick_pop(h, size);
    if (__builtin_expect(p != NULL, 1))
        return p;
    return alloc_rest(h, flags, size, status);
}

/* ---- free ---- */

/* The end of a budget window (HEAP_QUICK_WINDOW pushes): when parked
 * blocks were hardly reused in it, the budget drops to today's use and
 * the excess drains. */
__attribute__((noinline)) static void quick_window(struct heap *h)
{
    if (h->quick_pops < HEAP_QUICK_WINDOW / 4) {
        size_t live = heap_live(h);
        h->quick_budget = live > HEAP_QUICK_MIN ? live : HEAP_QUICK_MIN;
        if (h->quick_bytes > h->quick_budget)
            hquick_flush(h, HEAP_QUICK_FLUSH, h->quick_bytes - h->quick_budget);
    }
    h->quick_pops = 0;
}

/* Park the busy block b on its quick list if it is small and the budget
 * allows: 0 not parked, 1 parked, 2 parked and a budget window ended
 * (the caller runs quick_window). */
static inline int quick_park(struct heap *h, struct hblk *b)
{
    uint32_t g = b->w0 & W0_SIZE;
    size_t bytes = (size_t)g << HG_SHIFT;
    if (g > h->quick_max_g || h->quick_bytes + bytes > h->quick_budget)
        return 0;
    struct qblk *q = (struct qblk *)b;
    q->next = h->quick[g];
    h->quick[g] = q;
    h->quick_bytes += bytes;
    b->w1 |= W1_QUICK;
    return (++h->quick_tick & (HEAP_QUICK_WINDOW - 1)) ? 1 : 2;
}

__attribute__((noinline, cold)) static int quick_window_done(struct heap *h)
{
    quick_window(h);
    return 1;
}

/* Free p, lock held (or not needed): park, back end, or large block.
 * With tail checking (such heaps park nothing), a block written past its
 * end is refused with STATUS_HEAP_CORRUPTION and stays busy, the damage
 * in place for the caller to see; the heap itself is intact. */
int32_t hfront_free(struct heap *h, void *p)
{
    struct hseg *s = NULL;
    struct hblk *b = blk_lookup(h, p, &s);
    if (b) {
        int parked = quick_park(h, b);
        if (parked == 2)
            quick_window(h);
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
    struct hlarge *l = hlarge_find(h, p);
    if (!l)
        return HST_INVALID_PARAMETER;
    if (!hlarge_ok(h, l))
        return HST_HEAP_CORRUPTION;
    hlarge_free(h, l, 1);
    return 0;
}

/* What the fast path could not park: the whole free under the lock
 * (unless HEAP_NO_SERIALIZE).  1 freed; 0 refused, reported after the
 * lock is dropped. */
__attribute__((noinline, cold)) static int free_rest(struct heap *h, uint32_t flags, void *p,
                                               int32_t *status)
{
    int locked = !(flags & HEAP_NO_SERIALIZE);
    if (locked)
        hlock_acquire(&h->lock);
    int32_t st = hfront_free(h, p);
    if (locked)
        hlock_release(&h->lock);
    if (st) {
        hcall_fail(flags, st, status);
        return 0;
    }
    return 1;
}

/* Serialized heaps: the quick path under the lock. */
__attribute__((noinline, cold)) static int free_serialized(struct heap *h, uint32_t flags, void *p,
                                                     int32_t *status)
{
    struct hseg *s = NULL;
    hlock_acquire(&h->lock);
    struct hblk *b = blk_lookup(h, p, &s);
    int parked = b ? quick_park(h, b) : 0;
    if (parked == 2)
        quick_window(h);
    hlock_release(&h->lock);
    if (__builtin_expect(parked != 0, 1))
        return 1;
    return free_rest(h, flags, p, status);
}

/* The fast path makes no call but tail calls, so it saves no registers. */
int heap_free(struct heap *h, uint32_t flags, void *p, int32_t *status)
{
    struct hseg *s = NULL;
    flags |= h->flags;
    if (__builtin_expect(p == NULL, 0))
        return 1;
    if (__builtin_expect(!(flags & HEAP_NO_SERIALIZE), 0))
        return free_serialized(h, flags, p, status);
    struct hblk *b = blk_lookup_fast(h, p, &s);
    int parked = b ? quick_park(h, b) : 0;
    if (__builtin_expect(parked == 1, 1))
        return 1;
    if (parked == 2)
        return quick_window_done(h);
    return free_rest(h, flags, p, status);
}
