/* The heap engine: creation, allocation, free, reallocation, size,
 * locking, compaction.  Layout and invariants: heap_private.h.
 *
 * Front end: blocks up to HEAP_QUICK_BLOCK bytes are freed onto per-size
 * quick lists (LIFO, exact granule classes, still busy for coalescing)
 * and allocated from them in O(1): no search, split or merge.  Parking is
 * bounded by a budget (the heap's live bytes seen at back-end
 * allocations); a window of HEAP_QUICK_WINDOW pushes in which parked
 * blocks were hardly reused lowers it to today's use, and whenever the
 * back end would have to commit more it first drains a bounded batch
 * (so one call never drains them all, the 18 ms glibc consolidation).
 *
 * Back end: TLSF-style two-level segregated bins with bitmaps (O(1) good
 * fit), split on allocation, coalesced with free neighbours on free.
 * Free blocks live in two bin sets: fully committed ones, always used
 * first, and DECOMMIT ones, whose pages are committed on demand (64 KiB
 * ahead).  The heap keeps free committed memory up to max(a floor, half
 * its busy bytes) -- holes that come and go in steady churn cost no page
 * faults -- and past that gives back the oldest big free blocks (bin
 * tails) down to half the limit: a heap that shrank returns its pages.
 *
 * Large blocks (HEAP_LARGE_THRESHOLD and up on growable heaps) and
 * blocks that grow by HeapReAlloc past HEAP_REALLOC_REGION live in
 * regions of their own (heap_large.c). */
#include "heap_private.h"

static uint32_t heap_seq;

static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x;
}

static size_t round_gran(size_t n)
{
    return (n + HEAP_OS_GRANULARITY - 1) & ~(size_t)(HEAP_OS_GRANULARITY - 1);
}

/* ---- failure reporting ---- */

/* Record st for the caller and raise where the heap or the call asks for
 * it.  Called without the heap lock.  Any shortage (no address space,
 * STATUS_COMMITMENT_LIMIT from the page provider, the heap's maximum) is
 * STATUS_NO_MEMORY, for the caller and for HEAP_GENERATE_EXCEPTIONS
 * (spec item 73; heap.h). */
static void fail(uint32_t flags, int32_t st, int32_t *status)
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

static inline void lock(struct heap *h, uint32_t flags)
{
    if (!(flags & HEAP_NO_SERIALIZE))
        heap_os_lock_acquire(&h->lock);
}
static inline void unlock(struct heap *h, uint32_t flags)
{
    if (!(flags & HEAP_NO_SERIALIZE))
        heap_os_lock_release(&h->lock);
}

/* ---- locating blocks ---- */

/* The busy (not parked) block whose payload is p, with its segment in
 * *sp, or NULL when p is no such block of this heap's segments (large
 * blocks are looked up by the caller).  Reads nothing before p is known
 * to lie in a committed page of one of the heap's segments. */
static inline struct hblk *blk_check(struct heap *h, const void *p, struct hseg *s, struct hseg **sp)
{
    struct hblk *b = (struct hblk *)((uintptr_t)p - HHDR);
    if (!s || ((uintptr_t)p & (HG - 1)) || !seg_page_committed(s, (uintptr_t)b))
        return NULL;
    uint32_t w0 = b->w0, w1 = b->w1, g = w0 & W0_SIZE;
    if (!hdr_ok(h, w0, w1) || !(w0 & W0_BUSY) || (w1 & W1_QUICK) || g < HMIN_G ||
        (uintptr_t)b - s->lo + ((size_t)g << HG_SHIFT) > s->len)
        return NULL;
    *sp = s;
    return b;
}
static inline struct hblk *blk_lookup(struct heap *h, const void *p, struct hseg **sp)
{
    return blk_check(h, p, hseg_find(h, (uintptr_t)p - HHDR), sp);
}
/* The same from the lookup cache alone (NULL on a cache miss). */
static inline struct hblk *blk_lookup_fast(struct heap *h, const void *p, struct hseg **sp)
{
    struct hseg *s = hseg_cached(h, (uintptr_t)p - HHDR);
    return s ? blk_check(h, p, s, sp) : NULL;
}

/* A busy block's neighbours agree with it (for the slower paths). */
static int blk_neighbours_ok(struct heap *h, struct hseg *s, struct hblk *b)
{
    uint32_t g = blk_g(b), pg = b->w1 & W1_PREV;
    if (!(b->w0 & W0_LAST)) {
        struct hblk *n = blk_next(b);
        if ((uintptr_t)n >= s->lo + s->len || !seg_page_committed(s, (uintptr_t)n) ||
            !hdr_ok(h, n->w0, n->w1) || (n->w1 & W1_PREV) != g)
            return 0;
    } else if ((uintptr_t)b + ((size_t)g << HG_SHIFT) != s->lo + s->len) {
        return 0;
    }
    if (pg) {
        uintptr_t pa = (uintptr_t)b - ((size_t)pg << HG_SHIFT);
        if (pa < s->lo || !seg_page_committed(s, pa) ||
            !hdr_ok(h, blk_at(pa)->w0, blk_at(pa)->w1) || blk_g(blk_at(pa)) != pg)
            return 0;
    } else if ((uintptr_t)b != s->lo) {
        return 0;
    }
    return 1;
}

int blk_tail_ok(const struct hblk *b)
{
    const uint8_t *t = (const uint8_t *)b + HHDR + blk_req(b);
    for (uint32_t i = 0; i < ((b->w0 >> W0_UNUSED_SHIFT) & W0_UNUSED_MASK); i++)
        if (t[i] != HFILL_TAIL)
            return 0;
    return 1;
}

static void heap_corrupt(struct heap *h)
{
    h->corruptions++;
}

/* ---- the back end ---- */

/* A free block of set k (0 committed, 1 DECOMMIT) of at least g granules,
 * or NULL: the head of g's own bin if it fits, else the first block of
 * the next non-empty bin, which is certain to fit (TLSF good fit). */
static struct fblk *bins_find(struct heap *h, unsigned k, uint32_t g)
{
    unsigned fl, sl;
    bin_index(g, &fl, &sl);
    struct fblk *b = h->bins[k][fl][sl];
    if (b && blk_g(&b->h) >= g)
        return b;
    if (g >= SL_COUNT) {
        g += (1u << (fls32(g) - SL_LOG2)) - 1;
        bin_index(g, &fl, &sl);
        if (fl >= FL_COUNT)
            return NULL;
    } else if (++sl == SL_COUNT) {
        sl = 0;
        fl++;
    }
    uint32_t sm = h->sl_map[k][fl] & (~0u << sl);
    if (!sm) {
        uint32_t fm = fl + 1 < 32 ? h->fl_map[k] & (~0u << (fl + 1)) : 0;
        if (!fm)
            return NULL;
        fl = (unsigned)__builtin_ctz(fm);
        sm = h->sl_map[k][fl];
    }
    return h->bins[k][fl][__builtin_ctz(sm)];
}

/* Put `to` where `from` is in its bin list (same bin). */
static void bin_replace(struct heap *h, struct fblk *from, struct fblk *to, unsigned k, unsigned fl,
                        unsigned sl)
{
    if (from->next == from) {
        to->next = to->prev = to;
    } else {
        to->next = from->next;
        to->prev = from->prev;
        from->prev->next = to;
        from->next->prev = to;
    }
    if (h->bins[k][fl][sl] == from)
        h->bins[k][fl][sl] = to;
}

/* Take g granules from the start of the free block b of segment s:
 * commit what the part and the remainder's header need (plus
 * HEAP_COMMIT_AHEAD when pages are missing) and leave the remainder as a
 * free block.  With in_bins, b is in the bins and leaves them (the
 * remainder simply takes its place when it stays in the same bin, as
 * when allocations nibble at a big block).  Returns the granules taken
 * (g, or all of b when the rest would be too small), or 0 with b and the
 * bins untouched when the pages cannot be committed.  The caller writes
 * b's busy header. */
static uint32_t carve(struct heap *h, struct hseg *s, struct hblk *b, uint32_t g, int in_bins)
{
    uint32_t w0 = b->w0, gb = w0 & W0_SIZE, rem = gb - g, dec = 0;
    uintptr_t a = (uintptr_t)b, end = a + ((size_t)gb << HG_SHIFT);
    if (rem < HMIN_G) {
        g = gb;
        rem = 0;
    }
    if (w0 & W0_DECOMMIT) {
        uintptr_t need = a + ((size_t)g << HG_SHIFT) + (rem ? HMETA : 0);
        dec = rem ? W0_DECOMMIT : 0;
        if (!seg_range_committed(s, a, need)) {
            uintptr_t hi = need + HEAP_COMMIT_AHEAD;
            if (hi > end)
                hi = end;
            if (hseg_commit(h, s, a, hi) && (hi == need || hseg_commit(h, s, a, need)))
                return 0;
            if (pg_up(hi) >= end)
                dec = 0;
        }
    }
    if (!rem) {
        if (in_bins)
            bin_unlink(h, (struct fblk *)b);
        return g;
    }
    struct hblk *r = blk_at(a + ((size_t)g << HG_SHIFT));
    hdr_set(h, r, rem | (w0 & W0_LAST) | dec, g);
    if (!(w0 & W0_LAST))
        blk_set_prev(h, blk_at(end), rem);
    if (in_bins) {
        unsigned fl, sl, rfl, rsl;
        bin_index(gb, &fl, &sl);
        bin_index(rem, &rfl, &rsl);
        if (fl == rfl && sl == rsl && !(w0 & W0_DECOMMIT) == !dec) {
            bin_replace(h, (struct fblk *)b, (struct fblk *)r, dec ? 1 : 0, fl, sl);
            return g;
        }
        bin_unlink(h, (struct fblk *)b);
    }
    bin_insert(h, (struct fblk *)r);
    return g;
}

static int32_t free_block(struct heap *h, struct hseg *s, struct hblk *b);

/* Move parked quick blocks into the back end (coalescing them): up to n
 * blocks, stopping once `bytes` bytes moved.  Returns how many moved. */
static uint32_t quick_flush(struct heap *h, uint32_t n, size_t bytes)
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
        if (free_block(h, s, &q->h))
            heap_corrupt(h);
        done++;
        moved += (size_t)c << HG_SHIFT;
    }
    h->flush_cls = c;
    return done;
}

/* Live bytes: busy blocks not parked. */
static inline size_t heap_live(const struct heap *h)
{
    return h->busy_bytes - h->quick_bytes;
}

/* How much free committed memory the heap keeps before it gives pages
 * back (the hysteresis): HEAP_DECOMMIT_FREE_MIN or half the busy bytes,
 * whichever is more.  Giving back goes down to half of that, so a heap
 * in steady churn (whose holes come and go) pays no page faults, and one
 * that shrank returns all but a bounded reserve. */
static size_t decommit_high(const struct heap *h)
{
    size_t high = h->busy_bytes >> HEAP_DECOMMIT_SHIFT;
    return high < HEAP_DECOMMIT_FREE_MIN ? HEAP_DECOMMIT_FREE_MIN : high;
}

/* Decommit the interior of the free block b (in the bins or not). */
static void block_decommit(struct heap *h, struct hseg *s, struct fblk *b, int in_bins)
{
    uintptr_t a = (uintptr_t)b;
    if (in_bins)
        bin_unlink(h, b);
    hseg_decommit(h, s, a + HMETA, a + ((size_t)blk_g(&b->h) << HG_SHIFT));
    hdr_set(h, &b->h, b->h.w0 | W0_DECOMMIT, b->h.w1);
    if (in_bins)
        bin_insert(h, b);
}

/* Free committed memory went past the hysteresis: give back the oldest
 * (bin tails: lists are LIFO) of the largest committed free blocks of
 * HEAP_DECOMMIT_BLOCK and up, until it is down to `low`, looking at no
 * more than a handful.  The block just freed is the likeliest to be
 * reused, so it is the last one chosen. */
static void decommit_trim(struct heap *h, size_t low)
{
    uint32_t fmap = h->fl_map[0];
    for (int budget = 8; budget > 0 && fmap && h->committed - h->busy_bytes > low; budget--) {
        unsigned fl = fls32(fmap);
        uint32_t smap = h->sl_map[0][fl];
        if (!smap) {
            fmap &= ~(1u << fl);
            continue;
        }
        struct fblk *head = h->bins[0][fl][fls32(smap)], *b = head->prev;
        if (((size_t)blk_g(&b->h) << HG_SHIFT) < HEAP_DECOMMIT_BLOCK)
            return;
        struct hseg *s = hseg_find(h, (uintptr_t)b);
        if (!s)
            return;
        block_decommit(h, s, b, 1);
    }
}

/* Move every parked block into the back end (coalescing them). */
static void quick_drain(struct heap *h)
{
    while (h->quick_bytes && quick_flush(h, ~0u, ~(size_t)0))
        ;
}

/* The last resort before an allocation fails for lack of space (the heap
 * cannot grow: a fixed-size heap at its maximum, or no address space or
 * commit left): blocks parked on the quick lists may add up, with their
 * free neighbours, to what is asked, so drain them all and look again.
 * O(parked blocks), once: afterwards nothing is parked. */
__attribute__((noinline)) static struct fblk *block_find_drained(struct heap *h, uint32_t g)
{
    quick_drain(h);
    size_t live = heap_live(h);
    h->quick_budget = live > HEAP_QUICK_MIN ? live : HEAP_QUICK_MIN;
    struct fblk *f = bins_find(h, 0, g);
    return f ? f : bins_find(h, 1, g);
}

/* A busy back-end block of g granules for `size` requested bytes, or NULL
 * with *st.  Committed free blocks first; then, after draining a batch of
 * parked blocks, decommitted ones; then a new segment; failing that, all
 * parked blocks drained. */
static struct hblk *block_alloc(struct heap *h, size_t size, uint32_t g, int32_t *st)
{
    struct fblk *f = bins_find(h, 0, g);
    if (!f) {
        if (h->quick_bytes > HEAP_QUICK_MIN) {
            /* About to commit more while blocks sit parked: drain a
             * bounded batch and restart the parking budget from today. */
            quick_flush(h, HEAP_QUICK_FLUSH_GROW, ((size_t)g << (HG_SHIFT + 1)) + 0x10000);
            size_t live = heap_live(h);
            h->quick_budget = live > HEAP_QUICK_MIN ? live : HEAP_QUICK_MIN;
            f = bins_find(h, 0, g);
        }
        if (!f)
            f = bins_find(h, 1, g);
        if (!f) {
            uint32_t gr = g >= SL_COUNT ? g + (1u << (fls32(g) - SL_LOG2)) : g;
            if (hseg_grow(h, gr))
                f = bins_find(h, 1, g);
            else if (h->quick_bytes)
                f = block_find_drained(h, g);
            if (!f) {
                *st = HST_NO_MEMORY;
                return NULL;
            }
        }
    }
    struct hseg *s = f ? hseg_find(h, (uintptr_t)f) : NULL;
    if (!s || !hdr_ok(h, f->h.w0, f->h.w1) || (f->h.w0 & W0_BUSY) || !bin_unlink_ok(h, f)) {
        heap_corrupt(h);
        *st = HST_HEAP_CORRUPTION;
        return NULL;
    }
    uint32_t w0 = f->h.w0, w1 = f->h.w1;
    if (h->flags & HEAP_FREE_CHECKING_ENABLED) {
        uintptr_t a = (uintptr_t)f, take = (uintptr_t)g << HG_SHIFT;
        if (hseg_check_fill(h, s, a + HMETA, a + take)) /* written after free */
            heap_corrupt(h);
    }
    uint32_t got = carve(h, s, &f->h, g, 1);
    if (!got) {
        *st = HST_NO_MEMORY;
        return NULL;
    }
    uint32_t last = got == (w0 & W0_SIZE) ? (w0 & W0_LAST) : 0;
    size_t unused = ((size_t)got << HG_SHIFT) - HHDR - size;
    hdr_set(h, &f->h, got | W0_BUSY | last | (uint32_t)(unused << W0_UNUSED_SHIFT), w1);
    h->busy_bytes += (size_t)got << HG_SHIFT;
    return &f->h;
}

/* Free the physically busy block b (not parked) into the bins, merging
 * with free neighbours and giving pages back past the hysteresis.
 * Checks the neighbours before changing anything; returns 0 or
 * HST_HEAP_CORRUPTION (heap untouched). */
static int32_t free_block(struct heap *h, struct hseg *s, struct hblk *b)
{
    uint32_t w0 = b->w0, g = w0 & W0_SIZE, w1 = b->w1;
    uint32_t pg = w1 & W1_PREV, flags = w0 & W0_LAST, dec = 0;
    uintptr_t a = (uintptr_t)b, end = a + ((size_t)g << HG_SHIFT);
    struct fblk *n = NULL, *p = NULL;

    if (!(w0 & W0_LAST)) {
        struct hblk *nb = blk_at(end);
        uint32_t nw0 = nb->w0;
        if (!hdr_ok(h, nw0, nb->w1) || (nb->w1 & W1_PREV) != g)
            return HST_HEAP_CORRUPTION;
        if (!(nw0 & W0_BUSY) && g + (nw0 & W0_SIZE) <= HMAX_G) {
            n = (struct fblk *)nb;
            if (!bin_unlink_ok(h, n))
                return HST_HEAP_CORRUPTION;
        }
    }
    if (pg) {
        struct hblk *pb = blk_at(a - ((size_t)pg << HG_SHIFT));
        if (!hdr_ok(h, pb->w0, pb->w1) || blk_g(pb) != pg)
            return HST_HEAP_CORRUPTION;
        if (!(pb->w0 & W0_BUSY) && pg + g + (n ? blk_g(&n->h) : 0) <= HMAX_G) {
            p = (struct fblk *)pb;
            if (!bin_unlink_ok(h, p))
                return HST_HEAP_CORRUPTION;
        }
    }
    h->busy_bytes -= (size_t)g << HG_SHIFT;
    uintptr_t fill_lo = a + HMETA, fill_hi = end;
    /* Absorbed headers are wiped, so that a stale pointer to them (a
     * double free) never finds a busy header. */
    if (n) {
        bin_unlink(h, n);
        g += blk_g(&n->h);
        flags = n->h.w0 & W0_LAST;
        dec |= n->h.w0 & W0_DECOMMIT;
        n->h.w0 = n->h.w1 = 0;
        fill_hi = end + HMETA;
        end = a + ((size_t)g << HG_SHIFT);
    }
    if (p) {
        bin_unlink(h, p);
        g += pg;
        dec |= p->h.w0 & W0_DECOMMIT;
        w1 = p->h.w1;
        b->w0 = b->w1 = 0;
        fill_lo = a;
        b = &p->h;
        a = (uintptr_t)b;
    }
    /* Past the hysteresis, a block that joins decommitted space gives its
     * pages back with it (it went to the DECOMMIT bins, where the trim
     * below does not look); otherwise the oldest big blocks go. */
    size_t high = decommit_high(h);
    int over = h->committed - h->busy_bytes > high;
    if (dec && over)
        hseg_decommit(h, s, a + HMETA, end);
    hdr_set(h, b, g | flags | dec, w1);
    if (!flags)
        blk_set_prev(h, blk_at(end), g);
    if (h->flags & HEAP_FREE_CHECKING_ENABLED)
        hseg_fill_free(h, s, fill_lo, fill_hi);
    bin_insert(h, (struct fblk *)b);
    if (over)
        decommit_trim(h, high / 2);
    return 0;
}

/* ---- allocation ---- */

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
    return size <= HQUICK_MAX_REQ ? quick_pop_class(h, bytes_to_g(size), size) : NULL;
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
    struct hblk *b = block_alloc(h, size, g, st);
    if (!b)
        return NULL;
    if (heap_live(h) > h->quick_budget) /* parking may hold as much as is in use */
        h->quick_budget = heap_live(h);
    blk_finish(h, flags, b, size);
    return blk_data(b);
}

/* Any allocation, lock held (or not needed). */
static void *alloc_any(struct heap *h, uint32_t flags, size_t size, int32_t *st)
{
    void *p = quick_pop(h, size);
    if (p) {
        if (flags & HEAP_ZERO_MEMORY)
            memset(p, 0, size);
        return p;
    }
    return alloc_slow(h, flags, size, st);
}

__attribute__((noinline, cold)) static void *alloc_rest(struct heap *h, uint32_t flags, size_t size,
                                                  int32_t *status)
{
    int32_t st = HST_NO_MEMORY;
    int locked = !(flags & HEAP_NO_SERIALIZE);
    if (locked)
        heap_os_lock_acquire(&h->lock);
    void *p = alloc_any(h, flags, size, &st);
    if (locked)
        heap_os_lock_release(&h->lock);
    if (!p)
        fail(flags, st, status);
    return p;
}

/* Serialized heaps: the quick path under the lock. */
__attribute__((noinline, cold)) static void *alloc_serialized(struct heap *h, uint32_t flags, size_t size,
                                                        int32_t *status)
{
    if (!(flags & (HEAP_ZERO_MEMORY | HEAP_NO_SERIALIZE))) {
        heap_os_lock_acquire(&h->lock);
        void *p = quick_pop(h, size);
        heap_os_lock_release(&h->lock);
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
            quick_flush(h, HEAP_QUICK_FLUSH, h->quick_bytes - h->quick_budget);
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
static int32_t free_any(struct heap *h, void *p)
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
        int32_t st = free_block(h, s, b);
        if (st)
            heap_corrupt(h);
        else if (h->quick_bytes > h->quick_budget) /* converge on a lowered budget */
            quick_flush(h, 8, ~(size_t)0);
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

__attribute__((noinline, cold)) static int free_rest(struct heap *h, uint32_t flags, void *p,
                                               int32_t *status)
{
    int locked = !(flags & HEAP_NO_SERIALIZE);
    if (locked)
        heap_os_lock_acquire(&h->lock);
    int32_t st = free_any(h, p);
    if (locked)
        heap_os_lock_release(&h->lock);
    if (st) {
        fail(flags, st, status);
        return 0;
    }
    return 1;
}

/* Serialized heaps: the quick path under the lock. */
__attribute__((noinline, cold)) static int free_serialized(struct heap *h, uint32_t flags, void *p,
                                                     int32_t *status)
{
    struct hseg *s = NULL;
    heap_os_lock_acquire(&h->lock);
    struct hblk *b = blk_lookup(h, p, &s);
    int parked = b ? quick_park(h, b) : 0;
    if (parked == 2)
        quick_window(h);
    heap_os_lock_release(&h->lock);
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

/* ---- reallocation ---- */

/* Resize b (busy, in s) in place to g granules for `size` bytes: shrink by
 * splitting off the tail, grow by absorbing a free next block.  Returns 1
 * on success, 0 (b untouched) when it cannot be done in place. */
static int resize_in_place(struct heap *h, struct hseg *s, struct hblk *b, uint32_t g, size_t size)
{
    uint32_t w0 = b->w0, gb = w0 & W0_SIZE, last = w0 & W0_LAST;
    uintptr_t a = (uintptr_t)b;
    if (g > gb) {
        if (last)
            return 0;
        struct fblk *n = (struct fblk *)blk_next(b);
        uint32_t nw0 = n->h.w0, gn = nw0 & W0_SIZE;
        if ((nw0 & W0_BUSY) || gb + gn < g || !hdr_ok(h, nw0, n->h.w1) || !bin_unlink_ok(h, n))
            return 0;
        bin_unlink(h, n);
        /* Present b and n as one free block and carve from it. */
        struct hblk save = *b;
        hdr_set(h, b, (gb + gn) | (nw0 & (W0_LAST | W0_DECOMMIT)), b->w1);
        uint32_t got = carve(h, s, b, g, 0);
        if (!got) {
            *b = save;
            bin_insert(h, n);
            return 0;
        }
        if (got < gb + gn)
            n->h.w0 = n->h.w1 = 0; /* (the carve wrote a new header past it) */
        last = got == gb + gn ? (nw0 & W0_LAST) : 0;
        if (got == gb + gn && !last)
            blk_set_prev(h, blk_at(a + ((size_t)got << HG_SHIFT)), got);
        h->busy_bytes += (size_t)(got - gb) << HG_SHIFT;
        gb = got;
    } else if (gb - g >= HMIN_G) {
        /* Split off the tail as a busy block and free it (it merges). */
        struct hblk *r = blk_at(a + ((size_t)g << HG_SHIFT));
        hdr_set(h, r, (gb - g) | W0_BUSY | last, g);
        if (!last)
            blk_set_prev(h, blk_at(a + ((size_t)gb << HG_SHIFT)), gb - g);
        hdr_set(h, b, g | W0_BUSY, b->w1);
        if (free_block(h, s, r))
            heap_corrupt(h);
        gb = g;
        last = 0;
    }
    size_t unused = ((size_t)gb << HG_SHIFT) - HHDR - size;
    hdr_set(h, b, gb | W0_BUSY | last | (uint32_t)(unused << W0_UNUSED_SHIFT), b->w1);
    return 1;
}

static void *realloc_locked(struct heap *h, uint32_t flags, void *p, size_t size, int32_t *st)
{
    struct hseg *s = NULL;
    struct hblk *b = blk_lookup(h, p, &s);
    struct hlarge *l = b ? NULL : hlarge_find(h, p);
    if (!b && !l) {
        *st = HST_INVALID_PARAMETER;
        return NULL;
    }
    if ((h->flags & HEAP_TAIL_CHECKING_ENABLED) && (b ? !blk_tail_ok(b) : !hlarge_ok(h, l))) {
        *st = HST_HEAP_CORRUPTION; /* written past its end: left as it is, as HeapFree does */
        return NULL;
    }
    if (size > HEAP_MAX_REQUEST || (h->maximum && size >= HEAP_FIXED_LIMIT)) {
        *st = HST_NO_MEMORY;
        return NULL;
    }
    if (l)
        return hlarge_realloc(h, flags, l, size, st);
    size_t old = blk_req(b);
    size_t need = size + ((h->flags & HEAP_TAIL_CHECKING_ENABLED) ? HG : 0);
    uint32_t g = bytes_to_g(need);
    void *q = p;
    /* Growable heaps move a block that grows to HEAP_REALLOC_REGION or
     * more into a region of its own with room to grow in place (what
     * mremap does for glibc): no copies, no holes left behind. */
    int region = !h->maximum && size >= HEAP_REALLOC_REGION && size > old;
    if ((region && !(flags & HEAP_REALLOC_IN_PLACE_ONLY)) || !resize_in_place(h, s, b, g, size)) {
        if (flags & HEAP_REALLOC_IN_PLACE_ONLY) {
            *st = HST_NO_MEMORY;
            return NULL;
        }
        if (region)
            q = hlarge_alloc(h, flags & ~HEAP_ZERO_MEMORY, size, size, st);
        else
            q = alloc_any(h, flags & ~HEAP_ZERO_MEMORY, size, st);
        if (!q)
            return NULL;
        memcpy(q, p, old < size ? old : size);
        if (free_any(h, p))
            heap_corrupt(h);
        b = region ? NULL : (struct hblk *)((char *)q - HHDR);
    }
    if (size > old && (flags & HEAP_ZERO_MEMORY))
        memset((char *)q + old, 0, size - old);
    else if (size > old && (h->flags & HEAP_FREE_CHECKING_ENABLED))
        memset((char *)q + old, HFILL_BUSY, size - old);
    if (b && (h->flags & HEAP_TAIL_CHECKING_ENABLED))
        blk_fill_tail(b);
    return q;
}

void *heap_realloc(struct heap *h, uint32_t flags, void *p, size_t size, int32_t *status)
{
    int32_t st = HST_NO_MEMORY;
    flags |= h->flags;
    if (!p) { /* not malloc (item 84): NULL, and the last error is NO_ERROR */
        if (status)
            *status = HST_OK;
        return NULL;
    }
    lock(h, flags);
    void *q = realloc_locked(h, flags, p, size, &st);
    unlock(h, flags);
    if (!q)
        fail(flags, st, status);
    return q;
}

/* ---- size, validate, lock, compact ---- */

size_t heap_size(struct heap *h, uint32_t flags, const void *p)
{
    struct hseg *s = NULL;
    struct hlarge *l;
    size_t n = (size_t)-1;
    flags |= h->flags;
    lock(h, flags);
    struct hblk *b = blk_lookup(h, p, &s);
    if (b)
        n = blk_req(b);
    else if ((l = hlarge_find(h, p)) != NULL)
        n = l->size;
    unlock(h, flags);
    return n;
}

int heap_validate(struct heap *h, uint32_t flags, const void *p)
{
    struct hseg *s = NULL;
    struct hlarge *l;
    int ok;
    flags |= h->flags;
    lock(h, flags);
    if (!p) {
        ok = heap_check(h) == 0;
    } else {
        struct hblk *b = blk_lookup(h, p, &s);
        l = b ? NULL : hlarge_find(h, p);
        ok = b ? blk_neighbours_ok(h, s, b) &&
                     (!(h->flags & HEAP_TAIL_CHECKING_ENABLED) || blk_tail_ok(b))
               : l != NULL && hlarge_ok(h, l);
    }
    unlock(h, flags);
    return ok;
}

void heap_lock(struct heap *h)
{
    heap_os_lock_acquire(&h->lock);
}

void heap_unlock(struct heap *h)
{
    heap_os_lock_release(&h->lock);
}

/* Largest free run from a free block's payload start that is committed. */
static size_t free_committed_run(struct hseg *s, struct hblk *b)
{
    uintptr_t a = (uintptr_t)b, end = a + ((size_t)blk_g(b) << HG_SHIFT);
    if (!(b->w0 & W0_DECOMMIT))
        return end - a - HHDR;
    uint32_t i = (uint32_t)((a - s->base) >> HPAGE_SHIFT);
    uint32_t last = (uint32_t)((end - 1 - s->base) >> HPAGE_SHIFT) + 1;
    uint32_t j = bits_find(s->cmap, i, last, 0);
    uintptr_t stop = s->base + ((uintptr_t)j << HPAGE_SHIFT);
    return (stop > end ? end : stop) - a - HHDR;
}

/* HeapCompact: drain the quick lists, give back the interior pages of
 * every free block of HEAP_DECOMMIT_BLOCK or more, and report the largest
 * committed free run (item 93). */
size_t heap_compact(struct heap *h, uint32_t flags)
{
    size_t best = 0;
    flags |= h->flags;
    lock(h, flags);
    quick_drain(h);
    hlarge_drop_cache(h);
    size_t live = heap_live(h);
    h->quick_budget = live > HEAP_QUICK_MIN ? live : HEAP_QUICK_MIN;
    size_t low = decommit_high(h) / 2;
    for (uint32_t i = 0; i < h->nsegs; i++) {
        struct hseg *s = h->segs[i];
        for (uintptr_t a = s->lo; a < s->lo + s->len; a += (size_t)blk_g(blk_at(a)) << HG_SHIFT) {
            struct hblk *b = blk_at(a);
            if (!hdr_ok(h, b->w0, b->w1) || blk_g(b) < HMIN_G)
                break; /* heap_check reports it */
            if (b->w0 & W0_BUSY)
                continue;
            size_t bytes = (size_t)blk_g(b) << HG_SHIFT;
            if (bytes >= HEAP_DECOMMIT_BLOCK && h->committed - h->busy_bytes > low)
                block_decommit(h, s, (struct fblk *)b, 1);
            size_t run = free_committed_run(s, b);
            if (run > best)
                best = run;
        }
    }
    unlock(h, flags);
    return best;
}

/* ---- creation and destruction ---- */

struct heap *heap_create(uint32_t options, size_t initial, size_t maximum, int32_t *status)
{
    int32_t st = HST_NO_MEMORY;
    size_t init = pg_up(initial), max = maximum ? pg_up(maximum) : 0;
    if ((initial && !init) || (maximum && !max) || init > HEAP_MAX_REQUEST || max > HEAP_MAX_REQUEST)
        goto out;
    if (max && init > max)
        init = max;
    /* A fixed-size heap reserves its maximum rounded to the reservation
     * granularity, but its blocks stop at the maximum (page-rounded, and
     * at least one page past the heap's own structures): items 64, 87. */
    size_t usable = max ? max : round_gran(init);
    if (!max && usable < HEAP_DEFAULT_RESERVE)
        usable = HEAP_DEFAULT_RESERVE;
    size_t hc = hseg_header_commit(round_gran(usable), sizeof(struct heap));
    if (usable < hc + HPAGE)
        usable = pg_up(hc + HPAGE);
    size_t span = round_gran(usable);
    hc = hseg_header_commit(span, sizeof(struct heap));
    if (usable < hc + HPAGE) /* (a bigger bitmap for a bigger span) */
        span = round_gran(usable = pg_up(hc + HPAGE));
    unsigned osf = (options & HEAP_CREATE_ENABLE_EXECUTE) ? HEAP_OS_EXECUTE : 0;
    void *base = heap_os_reserve(span, osf);
    if (!base)
        goto out;
    if ((st = heap_os_commit(base, hc, osf)) != 0) {
        heap_os_release(base, span);
        goto out;
    }
    struct heap *h = base;
    memset(h, 0, sizeof *h);
    h->flags = options & (HEAP_NO_SERIALIZE | HEAP_GENERATE_EXCEPTIONS | HEAP_CHECKING |
                          HEAP_X_TERMINATE_ON_CORRUPTION);
    if (HEAP_DEFAULT_CHECKING || heap_os_default_checking())
        h->flags |= HEAP_CHECKING;
    h->os_flags = osf;
    h->cookie = mix32((uint32_t)(uintptr_t)base ^ (++heap_seq * 0x9E3779B9u)) | 0x01000000u;
    h->magic = HEAP_MAGIC;
    h->maximum = max ? usable : 0;
    h->quick_max_g = (h->flags & HEAP_CHECKING) ? 0 : HQUICK_MAX_G;
    h->quick_budget = HEAP_QUICK_MIN;
    h->flush_cls = HMIN_G;
    h->seg_next = span * 2 > HEAP_SEG_MAX ? HEAP_SEG_MAX : span * 2;
    heap_os_lock_init(&h->lock);
    if ((st = hseg_init(h, &h->seg0, (uintptr_t)base, span, usable, sizeof(struct heap))) != 0 ||
        (init > hc && (st = hseg_commit(h, &h->seg0, h->seg0.lo, (uintptr_t)base + init)) != 0)) {
        heap_os_lock_destroy(&h->lock);
        heap_os_release(base, span);
        goto out;
    }
    return h;
out:
    fail(0, st ? st : HST_NO_MEMORY, status);
    return NULL;
}

void heap_destroy(struct heap *h)
{
    while (h->large)
        hlarge_free(h, h->large, 0);
    hlarge_drop_cache(h);
    for (uint32_t i = h->nsegs; i-- > 1;)
        heap_os_release((void *)h->segs[i]->base, h->segs[i]->span);
    size_t span = h->seg0.span;
    h->magic = 0;
    heap_os_lock_destroy(&h->lock);
    heap_os_release(h, span);
}
