/* Heap segments: reservations holding blocks, committed page by page
 * through a bitmap (the engine never commits a page twice nor decommits
 * an uncommitted one, so the page provider's counters stay exact). */
#include "heap_private.h"

/* Segment number i (0: the first), or NULL. */
struct hseg *hseg_nth(struct heap *h, uint32_t i)
{
    struct hseg *s = h->segs;
    while (s && s->index != i)
        s = s->next;
    return s;
}

/* The segment holding block address a, or NULL, by the list (newest
 * first: segments double in size); fills the lookup cache. */
struct hseg *hseg_find_slow(struct heap *h, uintptr_t a)
{
    for (struct hseg *s = h->segs; s; s = s->next) {
        if (a - s->lo < s->len) {
            struct hseg **e = h->seg_cache[(a >> 20) & (HSEG_CACHE - 1)];
            e[1] = e[0];
            e[0] = s;
            return s;
        }
    }
    return NULL;
}

static void account(struct heap *h, struct hseg *s, long pages)
{
    size_t bytes = (size_t)(pages < 0 ? -pages : pages) << HPAGE_SHIFT;
    if (pages < 0) {
        s->committed -= bytes;
        h->committed -= bytes;
    } else {
        s->committed += bytes;
        h->committed += bytes;
        if (h->committed + h->large_committed > h->peak_committed)
            h->peak_committed = h->committed + h->large_committed;
    }
}

static void bits_set(uint32_t *m, uint32_t i, uint32_t end, int val)
{
    for (; i < end; i++) {
        if (val)
            m[i >> 5] |= 1u << (i & 31);
        else
            m[i >> 5] &= ~(1u << (i & 31));
    }
}

/* Commit every page overlapping [lo, hi) that is not committed yet.  With
 * free checking the new pages get the free fill (they are free space or
 * about to be handed out, which overwrites it).  Returns 0 or the
 * provider's status; pages committed before a failure stay committed and
 * counted. */
int32_t hseg_commit(struct heap *h, struct hseg *s, uintptr_t lo, uintptr_t hi)
{
    uint32_t end = (uint32_t)((hi - 1 - s->base) >> HPAGE_SHIFT) + 1;
    uint32_t i = (uint32_t)((lo - s->base) >> HPAGE_SHIFT);
    while ((i = bits_find(s->cmap, i, end, 0)) < end) {
        uint32_t j = bits_find(s->cmap, i, end, 1);
        void *a = (void *)(s->base + ((uintptr_t)i << HPAGE_SHIFT));
        size_t n = (size_t)(j - i) << HPAGE_SHIFT;
        int32_t st = heap_os_commit(a, n, h->os_flags);
        if (st)
            return st;
        bits_set(s->cmap, i, j, 1);
        account(h, s, (long)(j - i));
        if (h->flags & HEAP_FREE_CHECKING_ENABLED)
            memset(a, HFILL_FREE, n);
        i = j;
    }
    return 0;
}

/* Decommit the committed pages lying wholly inside [lo, hi). */
void hseg_decommit(struct heap *h, struct hseg *s, uintptr_t lo, uintptr_t hi)
{
    lo = pg_up(lo);
    hi = pg_down(hi);
    if (hi <= lo)
        return;
    uint32_t i = (uint32_t)((lo - s->base) >> HPAGE_SHIFT);
    uint32_t end = (uint32_t)((hi - s->base) >> HPAGE_SHIFT);
    while ((i = bits_find(s->cmap, i, end, 1)) < end) {
        uint32_t j = bits_find(s->cmap, i, end, 0);
        heap_os_decommit((void *)(s->base + ((uintptr_t)i << HPAGE_SHIFT)),
                         (size_t)(j - i) << HPAGE_SHIFT);
        bits_set(s->cmap, i, j, 0);
        account(h, s, -(long)(j - i));
        i = j;
    }
}

/* Fill the committed parts of [lo, hi) with the free pattern. */
void hseg_fill_free(struct heap *h, struct hseg *s, uintptr_t lo, uintptr_t hi)
{
    (void)h;
    while (lo < hi) {
        uintptr_t next = pg_down(lo) + HPAGE;
        if (next > hi)
            next = hi;
        if (seg_page_committed(s, lo))
            memset((void *)lo, HFILL_FREE, next - lo);
        lo = next;
    }
}

/* First byte in the committed parts of [lo, hi) that lost the free fill,
 * or 0. */
uintptr_t hseg_check_fill(struct heap *h, struct hseg *s, uintptr_t lo, uintptr_t hi)
{
    (void)h;
    while (lo < hi) {
        uintptr_t next = pg_down(lo) + HPAGE;
        if (next > hi)
            next = hi;
        if (seg_page_committed(s, lo)) {
            for (const uint8_t *p = (const uint8_t *)lo; p < (const uint8_t *)next; p++)
                if (*p != HFILL_FREE)
                    return (uintptr_t)p;
        }
        lo = next;
    }
    return 0;
}

/* Where the blocks of a segment start: after the structure at its base
 * (struct heap or struct hseg), the commit bitmap (a bit per page) and
 * the subsegment bitmap (a bit per 64 KiB), placed so that payloads are
 * granule-aligned. */
static size_t seg_map_words(size_t span)
{
    uint32_t npages = (uint32_t)(span >> HPAGE_SHIFT);
    uint32_t nchunks = (uint32_t)((span + LFH_CHUNK - 1) >> LFH_CHUNK_SHIFT);
    return (npages + 31) / 32 + (nchunks + 31) / 32;
}
static uintptr_t seg_first_block(uintptr_t base, size_t span, size_t struct_bytes)
{
    uintptr_t a = base + ((struct_bytes + 3) & ~(size_t)3) + seg_map_words(span) * 4;
    return ((a + HHDR + HG - 1) & ~(uintptr_t)(HG - 1)) - HHDR;
}

/* Bytes from the base the caller must commit before hseg_init: the
 * structure, the bitmaps and the first block's header and links. */
size_t hseg_header_commit(size_t span, size_t struct_bytes)
{
    return pg_up(seg_first_block(0, span, struct_bytes) + HMETA);
}

/* Size of the free block starting at c when the blocks end at end. */
static uint32_t chunk_g(uintptr_t c, uintptr_t end)
{
    size_t left = (end - c) >> HG_SHIFT;
    uint32_t g = left > HMAX_G ? HMAX_G : (uint32_t)left;
    if (left > g && left - g < HMIN_G) /* never leave a sliver */
        g -= HMIN_G;
    return g;
}

/* Lay out a segment of `span` reserved bytes whose first
 * hseg_header_commit() bytes are committed (and zero), struct_bytes of
 * them taken by the structure at its base: bitmap, then free blocks of at
 * most HMAX_G granules covering the rest up to base + usable (a fixed
 * heap's maximum; span otherwise), each with its header and links
 * committed.  Returns 0, or the commit failure with the segment's
 * accounting undone (the caller releases it). */
int32_t hseg_init(struct heap *h, struct hseg *s, uintptr_t base, size_t span, size_t usable,
                  size_t struct_bytes)
{
    size_t hc = hseg_header_commit(span, struct_bytes);
    s->base = base;
    s->span = span;
    s->npages = (uint32_t)(span >> HPAGE_SHIFT);
    s->cmap = (uint32_t *)(base + ((struct_bytes + 3) & ~(size_t)3));
    s->lfh_map = s->cmap + (s->npages + 31) / 32;
    s->subs = NULL;
    s->lo = seg_first_block(base, span, struct_bytes);
    s->len = ((base + usable - s->lo) >> HG_SHIFT) << HG_SHIFT;
    s->committed = 0;
    s->index = h->nsegs;
    bits_set(s->cmap, 0, (uint32_t)(hc >> HPAGE_SHIFT), 1);
    account(h, s, (long)(hc >> HPAGE_SHIFT));

    uintptr_t end = s->lo + s->len, c;
    for (c = s->lo; c < end; c += (size_t)chunk_g(c, end) << HG_SHIFT) {
        int32_t st = hseg_commit(h, s, c, c + HMETA);
        if (st) {
            hseg_decommit(h, s, base + hc, base + span);
            account(h, s, -(long)(hc >> HPAGE_SHIFT));
            return st;
        }
    }
    h->reserved += span;
    s->next = h->segs;
    h->segs = s;
    h->nsegs++;
    uint32_t prev = 0;
    for (c = s->lo; c < end;) {
        uint32_t g = chunk_g(c, end);
        uintptr_t next = c + ((size_t)g << HG_SHIFT);
        hdr_set(h, blk_at(c), g | W0_DECOMMIT | (next == end ? W0_LAST : 0), prev);
        if (h->flags & HEAP_FREE_CHECKING_ENABLED)
            hseg_fill_free(h, s, c + HMETA, next);
        bin_insert(h, (struct fblk *)c);
        prev = g;
        c = next;
    }
    return 0;
}

/* Add a segment big enough for a block of g granules (growable heaps).
 * Returns 1 on success, 0 when out of address space, commit or slots. */
int hseg_grow(struct heap *h, uint32_t g)
{
    if (h->maximum || h->nsegs >= HEAP_MAX_SEGS)
        return 0;
    size_t need = ((size_t)g << HG_SHIFT) + HMETA + sizeof(struct hseg) + 2 * HPAGE;
    need += need / (8 * HPAGE) / 8 + 64;  /* bitmaps */
    need += (need >> LFH_CHUNK_SHIFT) * LSUB_BYTES + 2 * LSUB_BYTES; /* subsegment records */
    size_t min = (need + HEAP_OS_GRANULARITY - 1) & ~(size_t)(HEAP_OS_GRANULARITY - 1);
    size_t span = h->seg_next > min ? h->seg_next : min;
    void *base = heap_os_reserve(span, h->os_flags);
    if (!base && span > min) {
        span = min;
        base = heap_os_reserve(span, h->os_flags);
    }
    if (!base)
        return 0;
    /* An LFH heap's segment keeps a subsegment record per 64 KiB after
     * its struct hseg (heap_lfh.c). */
    size_t recs = h->lfh_mode ? (span >> LFH_CHUNK_SHIFT) * LSUB_BYTES : 0;
    size_t hdr = recs ? ((sizeof(struct hseg) + LSUB_BYTES - 1) & ~(size_t)(LSUB_BYTES - 1)) + recs
                      : sizeof(struct hseg);
    size_t hc = hseg_header_commit(span, hdr);
    if (heap_os_commit(base, hc, h->os_flags)) {
        heap_os_release(base, span);
        return 0;
    }
    struct hseg *s = (struct hseg *)base;
    if (hseg_init(h, s, (uintptr_t)base, span, span, hdr)) {
        heap_os_release(base, span);
        return 0;
    }
    if (recs)
        s->subs = (struct lsub *)((uintptr_t)base + hdr - recs);
    size_t next = span * 2;
    h->seg_next = next > HEAP_SEG_MAX ? HEAP_SEG_MAX : next;
    return 1;
}
