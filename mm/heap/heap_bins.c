/* The back end: free blocks in TLSF-style two-level segregated bins with
 * bitmaps (O(1) good fit), split on allocation, coalesced with free
 * neighbours on free; and the decommit policy that gives free pages back.
 *
 * Free blocks live in two bin sets: fully committed ones, always used
 * first, and DECOMMIT ones, whose pages are committed on demand (64 KiB
 * ahead).  The heap keeps free committed memory up to max(a floor, half
 * its busy bytes) -- holes that come and go in steady churn cost no page
 * faults -- and past that gives back the oldest big free blocks (bin
 * tails) down to half the limit: a heap that shrank returns its pages.
 * HeapCompact drains the quick lists and gives back down to the same
 * mark over every segment. */
#include "heap_private.h"

/* A committed free block of at least g granules, or NULL: the head of
 * g's own bin if it fits, else the first block of the next non-empty bin,
 * which is certain to fit (TLSF good fit). */
static struct fblk *bins_find_committed(struct heap *h, uint32_t g)
{
    unsigned fl, sl;
    bin_index(g, &fl, &sl);
    if (fl >= h->nfl)
        return NULL;
    struct fblk *b = h->bins[fl][sl];
    if (b && blk_g(&b->h) >= g)
        return b;
    if (g >= SL_COUNT) {
        g += (1u << (fls32(g) - SL_LOG2)) - 1;
        bin_index(g, &fl, &sl);
        if (fl >= h->nfl)
            return NULL;
    } else if (++sl == SL_COUNT) {
        sl = 0;
        fl++;
    }
    uint32_t sm = fl < h->nfl ? h->sl_map[fl] & (~0u << sl) : 0;
    if (!sm) {
        uint32_t fm = fl + 1 < 32 ? h->fl_map[0] & (~0u << (fl + 1)) : 0;
        if (!fm)
            return NULL;
        fl = (unsigned)__builtin_ctz(fm);
        sm = h->sl_map[fl];
    }
    return h->bins[fl][__builtin_ctz(sm)];
}

/* A free block with decommitted pages of at least g granules, or NULL:
 * the first fit among the first few of g's first level, else the head of
 * the next non-empty first level (every block there is bigger). */
static struct fblk *bins_find_decommitted(struct heap *h, uint32_t g)
{
    unsigned fl, sl;
    bin_index(g, &fl, &sl);
    if (fl >= h->nfl)
        return NULL;
    struct fblk *head = h->dbins[fl], *b = head;
    for (int n = 0; b && n < 8; n++) {
        if (blk_g(&b->h) >= g)
            return b;
        b = b->next == head ? NULL : b->next;
    }
    uint32_t fm = fl + 1 < 32 ? h->fl_map[1] & (~0u << (fl + 1)) : 0;
    return fm ? h->dbins[__builtin_ctz(fm)] : NULL;
}

/* A free block of set k (0 committed, 1 DECOMMIT) of at least g granules. */
static struct fblk *bins_find(struct heap *h, unsigned k, uint32_t g)
{
    return k ? bins_find_decommitted(h, g) : bins_find_committed(h, g);
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
    struct fblk **slot = bin_slot(h, k, fl, sl);
    if (*slot == from)
        *slot = to;
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
uint32_t hblock_carve(struct heap *h, struct hseg *s, struct hblk *b, uint32_t g, int in_bins)
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

/* ---- giving pages back ---- */

/* Committed bytes not in busy blocks: what the decommit policy weighs.
 * A subsegment is one busy block whose pages are committed as it is
 * carved, so its uncommitted part is taken out of the busy bytes (else
 * busy could exceed committed and the difference wrap). */
static size_t heap_free_committed(const struct heap *h)
{
    size_t busy = h->busy_bytes - h->lfh_uncommitted;
    return h->committed > busy ? h->committed - busy : 0;
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
/* Where a free block's decommittable pages end: its end, or for the last
 * block of a segment the end of that page (nothing of the heap's lies
 * between the blocks' end and it). */
static uintptr_t decommit_end(const struct hblk *b, uintptr_t end)
{
    return (b->w0 & W0_LAST) ? pg_up(end) : end;
}

static void block_decommit(struct heap *h, struct hseg *s, struct fblk *b, int in_bins)
{
    uintptr_t a = (uintptr_t)b;
    if (in_bins)
        bin_unlink(h, b);
    hseg_decommit(h, s, a + HMETA, decommit_end(&b->h, a + ((size_t)blk_g(&b->h) << HG_SHIFT)));
    hdr_set(h, &b->h, b->h.w0 | W0_DECOMMIT, b->h.w1);
    if (in_bins)
        bin_insert(h, b);
}

/* Free committed memory went past the hysteresis: give back the oldest
 * (bin tails: lists are LIFO) of the largest committed free blocks of
 * HEAP_DECOMMIT_BLOCK and up, until it is down to `low`, looking at no
 * more than a handful.  The block just freed is the likeliest to be
 * reused, so it is the last one chosen.  Then the same in the DECOMMIT
 * set, one block per first level: a free block there may still hold
 * committed pages (a subsegment given back before the heap was over its
 * hysteresis keeps the pages its blocks had). */
static void decommit_trim(struct heap *h, size_t low)
{
    uint32_t fmap = h->fl_map[0];
    int budget = 8;
    for (; budget > 0 && fmap && heap_free_committed(h) > low; budget--) {
        unsigned fl = fls32(fmap);
        uint32_t smap = h->sl_map[fl];
        if (!smap) {
            fmap &= ~(1u << fl);
            continue;
        }
        struct fblk *head = h->bins[fl][fls32(smap)], *b = head->prev;
        struct hseg *s = hseg_find(h, (uintptr_t)b);
        if (((size_t)blk_g(&b->h) << HG_SHIFT) < HEAP_DECOMMIT_BLOCK || !s)
            break;
        block_decommit(h, s, b, 1);
    }
    fmap = h->fl_map[1];
    for (; budget > 0 && fmap && heap_free_committed(h) > low; budget--) {
        unsigned fl = fls32(fmap);
        struct fblk *b = h->dbins[fl]->prev;
        struct hseg *s = hseg_find(h, (uintptr_t)b);
        if (((size_t)blk_g(&b->h) << HG_SHIFT) < HEAP_DECOMMIT_BLOCK || !s)
            return;
        block_decommit(h, s, b, 1); /* (to the head of its list: the next is another) */
        fmap &= ~(1u << fl);
    }
}

/* ---- allocation and free in the bins ---- */

/* The last resort before an allocation fails for lack of space (the heap
 * cannot grow: a fixed-size heap at its maximum, or no address space or
 * commit left): blocks parked on the quick lists may add up, with their
 * free neighbours, to what is asked, so drain them all and look again.
 * O(parked blocks), once: afterwards nothing is parked. */
__attribute__((noinline)) static struct fblk *block_find_drained(struct heap *h, uint32_t g)
{
    hquick_drain(h);
    size_t live = heap_live(h);
    h->quick_budget = live > HEAP_QUICK_MIN ? live : HEAP_QUICK_MIN;
    struct fblk *f = bins_find(h, 0, g);
    return f ? f : bins_find(h, 1, g);
}

/* A busy back-end block of g granules for `size` requested bytes, or NULL
 * with *st.  Committed free blocks first (the front end's reserve of
 * empty subsegments given up for them if need be); then, after draining
 * a batch of parked blocks, decommitted ones; then a new segment; failing
 * that, all parked blocks drained. */
struct hblk *hblock_alloc(struct heap *h, size_t size, uint32_t g, int32_t *st)
{
    hlfh_reserve_tick(h); /* (first: what it gives back may merge with the block found) */
    struct fblk *f = bins_find(h, 0, g);
    if (!f && hlfh_reserve_give(h)) /* (the front end's kept subsegments, before new memory) */
        f = bins_find(h, 0, g);
    if (!f) {
        if (h->quick_bytes > HEAP_QUICK_MIN) {
            /* About to commit more while blocks sit parked: drain a
             * bounded batch and restart the parking budget from today. */
            hquick_flush(h, HEAP_QUICK_FLUSH_GROW, ((size_t)g << (HG_SHIFT + 1)) + 0x10000);
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
    uint32_t got = hblock_carve(h, s, &f->h, g, 1);
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

/* Cut the free block f (in the bins) of segment s in two at granule
 * offset g: f keeps the first g granules, the rest becomes a free block
 * of its own (its header and links committed), both in the bins.
 * Returns the second part, or NULL (nothing changed) when its header's
 * page cannot be committed. */
static struct fblk *block_split(struct heap *h, struct hseg *s, struct fblk *f, uint32_t g)
{
    uint32_t w0 = f->h.w0, gf = w0 & W0_SIZE;
    uintptr_t a = (uintptr_t)f, r = a + ((size_t)g << HG_SHIFT);
    if (!seg_range_committed(s, r, r + HMETA) && hseg_commit(h, s, r, r + HMETA))
        return NULL;
    bin_unlink(h, f);
    hdr_set(h, &f->h, g | (w0 & W0_DECOMMIT), f->h.w1);
    hdr_set(h, blk_at(r), (gf - g) | (w0 & (W0_LAST | W0_DECOMMIT)), g);
    if (!(w0 & W0_LAST))
        blk_set_prev(h, blk_at(a + ((size_t)gf << HG_SHIFT)), gf - g);
    bin_insert(h, f);
    bin_insert(h, (struct fblk *)r);
    return (struct fblk *)r;
}

/* A free block that holds a window of n granules whose payload starts on
 * an `align`-byte boundary (and leaves either nothing or a whole block in
 * front of it): committed free blocks first, then decommitted ones, then
 * a new segment.  NULL if none can be had. */
static struct fblk *bins_find_window(struct heap *h, uint32_t n, size_t align)
{
    uint32_t want = n + (uint32_t)(align >> HG_SHIFT) + HMIN_G;
    struct fblk *f = bins_find(h, 0, want);
    if (!f)
        f = bins_find(h, 1, want);
    if (!f && hseg_grow(h, want + HMIN_G))
        f = bins_find(h, 1, want);
    return f;
}

/* A run for an LFH subsegment (heap_lfh.c): a busy block of LFH_CHUNK
 * bytes (a sliver more when that is what was left behind it) whose
 * payload starts on an LFH_CHUNK boundary (so the block is the 8 bytes
 * before it and the payload up to 8 bytes short of the next boundary),
 * flagged W1_SUBSEG.  Only its header is committed: the front
 * end commits the rest as it carves.  Returns the payload (the boundary)
 * with its segment in *sp, or NULL with *st. */
void *hblock_alloc_chunk(struct heap *h, struct hseg **sp, int32_t *st)
{
    uint32_t g = LFH_CHUNK >> HG_SHIFT;
    struct fblk *f = bins_find_window(h, g, LFH_CHUNK);
    struct hseg *s = f ? hseg_find(h, (uintptr_t)f) : NULL;
    *st = HST_NO_MEMORY;
    if (!f)
        return NULL;
    if (!s || !hdr_ok(h, f->h.w0, f->h.w1) || (f->h.w0 & W0_BUSY) || !bin_unlink_ok(h, f)) {
        heap_corrupt(h);
        *st = HST_HEAP_CORRUPTION;
        return NULL;
    }
    uintptr_t a = (uintptr_t)f;
    uintptr_t c = (a + HHDR + LFH_CHUNK - 1) & ~(uintptr_t)(LFH_CHUNK - 1);
    if (c - HHDR != a && c - HHDR - a < (uintptr_t)HMIN_G << HG_SHIFT)
        c += LFH_CHUNK;                     /* no sliver in front */
    if (c - HHDR != a && !(f = block_split(h, s, f, (uint32_t)((c - HHDR - a) >> HG_SHIFT))))
        return NULL;
    uint32_t gf = blk_g(&f->h);
    if (gf - g >= HMIN_G && !block_split(h, s, f, g))
        return NULL;
    if (gf - g < HMIN_G)
        g = gf;                             /* a sliver behind it stays in the block, unused */
    uint32_t w0 = f->h.w0, w1 = f->h.w1;
    bin_unlink(h, f);
    hdr_set(h, &f->h, g | W0_BUSY | (w0 & W0_LAST), (w1 & W1_PREV) | W1_SUBSEG);
    h->busy_bytes += (size_t)g << HG_SHIFT;
    *sp = s;
    return (void *)c;
}

/* Free the physically busy block b (not parked) into the bins, merging
 * with free neighbours and giving pages back past the hysteresis.
 * Checks the neighbours before changing anything; returns 0 or
 * HST_HEAP_CORRUPTION (heap untouched). */
int32_t hblock_free(struct heap *h, struct hseg *s, struct hblk *b)
{
    uint32_t w0 = b->w0, g = w0 & W0_SIZE, w1 = b->w1 & W1_PREV;
    uint32_t pg = w1, flags = w0 & W0_LAST, dec = 0;
    uintptr_t a = (uintptr_t)b, end = a + ((size_t)g << HG_SHIFT);
    struct fblk *n = NULL, *p = NULL;

    /* A subsegment's pages are committed as its blocks were carved: the
     * free block it becomes may lack some. */
    if ((b->w1 & W1_SUBSEG) && !seg_range_committed(s, a, end))
        dec = W0_DECOMMIT;

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
        w1 = p->h.w1 & W1_PREV;
        b->w0 = b->w1 = 0;
        fill_lo = a;
        b = &p->h;
        a = (uintptr_t)b;
    }
    /* Past the hysteresis, a block that joins decommitted space gives its
     * pages back with it (it went to the DECOMMIT bins, where the trim
     * below does not look); otherwise the oldest big blocks go. */
    size_t high = decommit_high(h);
    int over = heap_free_committed(h) > high;
    if (dec && over)
        hseg_decommit(h, s, a + HMETA, flags ? pg_up(end) : end); /* (flags: W0_LAST) */
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

/* ---- HeapCompact ---- */

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

/* A segment other than the first whose blocks are all one free block
 * goes back to the page provider (HeapCompact). */
static void seg_release_if_empty(struct heap *h, struct hseg *s)
{
    struct hblk *b = blk_at(s->lo);
    if (s == &h->seg0 || (b->w0 & W0_BUSY) || ((size_t)blk_g(b) << HG_SHIFT) != s->len ||
        !hdr_ok(h, b->w0, b->w1) || !bin_unlink_ok(h, (struct fblk *)b))
        return;
    bin_unlink(h, (struct fblk *)b);
    struct hseg **pp = &h->segs;
    while (*pp != s)
        pp = &(*pp)->next;
    *pp = s->next;
    h->nsegs--;
    for (struct hseg *o = h->segs; o; o = o->next)   /* (indices stay in creation order) */
        if (o->index > s->index)
            o->index--;
    for (int i = 0; i < HSEG_CACHE; i++)
        for (int w = 0; w < 2; w++)
            if (h->seg_cache[i][w] == s)
                h->seg_cache[i][w] = NULL;
    h->reserved -= s->span;
    h->committed -= s->committed;
    heap_os_release((void *)s->base, s->span);
}

/* HeapCompact: drain the quick lists and the front end's unused
 * subsegments, give back the interior pages of every free block of
 * HEAP_DECOMMIT_BLOCK or more and every segment (but the first) left
 * empty, and report the largest committed free run (item 93).  An
 * emptied heap comes back to what a new one commits. */
size_t heap_compact(struct heap *h, uint32_t flags)
{
    size_t best = 0;
    flags |= h->flags;
    if (!(flags & HEAP_NO_SERIALIZE))
        hexcl_enter(h);
    htc_flush_all(h);
    hlfh_compact(h);
    hquick_drain(h);
    hlarge_drop_cache(h);
    size_t live = heap_live(h);
    h->quick_budget = live > HEAP_QUICK_MIN ? live : HEAP_QUICK_MIN;
    for (struct hseg *s = h->segs, *next; s; s = next) {
        next = s->next;
        seg_release_if_empty(h, s);
    }
    for (struct hseg *s = h->segs; s; s = s->next) {
        for (uintptr_t a = s->lo; a < s->lo + s->len; a += (size_t)blk_g(blk_at(a)) << HG_SHIFT) {
            struct hblk *b = blk_at(a);
            if (!hdr_ok(h, b->w0, b->w1) || blk_g(b) < HMIN_G)
                break; /* heap_check reports it */
            if (b->w0 & W0_BUSY)
                continue;
            size_t bytes = (size_t)blk_g(b) << HG_SHIFT;
            if (bytes >= HEAP_DECOMMIT_BLOCK)
                block_decommit(h, s, (struct fblk *)b, 1);
            size_t run = free_committed_run(s, b);
            if (run > best)
                best = run;
        }
    }
    if (!(flags & HEAP_NO_SERIALIZE))
        hexcl_leave(h);
    return best;
}
