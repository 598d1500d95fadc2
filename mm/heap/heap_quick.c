/* The quick lists: the standard heap's front end (a look-aside, as
 * HeapCompatibilityInformation 0 means), on growable heaps without the
 * low-fragmentation front end and without checking (HEAP_NO_SERIALIZE
 * heaps, or every heap when the LFH is forced off).
 *
 * Blocks up to HEAP_QUICK_BLOCK bytes are freed onto per-size quick lists
 * (LIFO, exact granule classes, still busy for coalescing) and allocated
 * from them in O(1): no search, split or merge.  Parking is bounded by a
 * budget (the heap's live bytes seen at back-end allocations); a window
 * of HEAP_QUICK_WINDOW pushes in which parked blocks were hardly reused
 * lowers it to today's use, and whenever the back end would have to
 * commit more it first drains a bounded batch (so one call never drains
 * them all, the 18 ms glibc consolidation). */
#include "heap_private.h"

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

/* O(1) allocation from quick list g for `size` bytes; NULL when the list
 * is empty. */
void *hquick_pop_class(struct heap *h, uint32_t g, size_t size)
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
void *hquick_pop(struct heap *h, size_t size)
{
    uint32_t g = bytes_to_g(size);
    return size <= HQUICK_MAX_REQ && g <= h->quick_max_g ? hquick_pop_class(h, g, size) : NULL;
}

/* The end of a budget window (HEAP_QUICK_WINDOW pushes): when parked
 * blocks were hardly reused in it, the budget drops to today's use and
 * the excess drains. */
__attribute__((noinline)) void hquick_window(struct heap *h)
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
 * (the caller runs hquick_window). */
int hquick_park(struct heap *h, struct hblk *b)
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
