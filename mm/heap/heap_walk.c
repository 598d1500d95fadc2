/* HeapWalk (spec item 92).  The walk is stateless: the caller hands back
 * the previous entry and the next one is found from it.  Entries tile each
 * segment: its REGION entry (the segment header), then busy blocks, free
 * runs and UNCOMMITTED_RANGE runs in address order; large blocks follow
 * the last segment as BUSY entries.  A free block with decommitted pages
 * is reported as alternating free and uncommitted runs; their entries
 * keep the free block's offset in block.reserved[] so the walk can go on
 * from inside it. */
#include "heap_private.h"

static void entry_clear(struct heap_walk_entry *e, uint32_t seg)
{
    memset(e, 0, sizeof *e);
    e->region_index = (uint8_t)seg;
}

static int walk_region(struct heap *h, struct heap_walk_entry *e, uint32_t i)
{
    struct hseg *s = hseg_nth(h, i);
    entry_clear(e, i);
    e->data = (void *)s->base;
    e->size = (uint32_t)(s->lo - s->base);
    e->flags = PROCESS_HEAP_REGION;
    e->u.region.committed = (uint32_t)s->committed;
    uintptr_t end = pg_up(s->lo + s->len); /* a fixed heap: its maximum, not the reservation */
    e->u.region.uncommitted = (uint32_t)(end - s->base - s->committed);
    e->u.region.first = (void *)s->lo;
    e->u.region.last = (void *)end;
    return 1;
}

static int walk_large(struct heap_walk_entry *e, struct hlarge *l)
{
    entry_clear(e, 0);
    e->data = hlarge_data(l);
    e->size = (uint32_t)l->size;
    e->overhead = (uint8_t)HLARGE;
    e->flags = PROCESS_HEAP_ENTRY_BUSY;
    return 1;
}

/* The run of free block f (in segment i) that starts at `at`. */
static int walk_run(struct heap *h, struct heap_walk_entry *e, uint32_t i, struct hblk *f,
                    uintptr_t at)
{
    struct hseg *s = hseg_nth(h, i);
    uintptr_t end = (uintptr_t)f + ((size_t)blk_g(f) << HG_SHIFT);
    uint32_t pi = (uint32_t)((at - s->base) >> HPAGE_SHIFT);
    uint32_t plast = (uint32_t)((end - 1 - s->base) >> HPAGE_SHIFT) + 1;
    int committed = seg_page_committed(s, at);
    uint32_t pj = bits_find(s->cmap, pi + 1, plast, !committed);
    uintptr_t stop = s->base + ((uintptr_t)pj << HPAGE_SHIFT);
    if (stop > end)
        stop = end;
    entry_clear(e, i);
    e->data = (void *)at;
    e->size = (uint32_t)(stop - at);
    e->overhead = at == (uintptr_t)f + HHDR ? (uint8_t)HHDR : 0;
    e->flags = committed ? 0 : PROCESS_HEAP_UNCOMMITTED_RANGE;
    uint32_t off = (uint32_t)((uintptr_t)f - s->lo);
    e->u.block.reserved[0] = off;
    e->u.block.reserved[1] = ~off ^ h->cookie;
    return 1;
}

/* The element at block address a of segment i (or what follows the
 * segment when a is its end). */
static int walk_at(struct heap *h, struct heap_walk_entry *e, uint32_t i, uintptr_t a, int32_t *st)
{
    struct hseg *s = hseg_nth(h, i);
    if (a == s->lo + s->len) {
        if (i + 1 < h->nsegs)
            return walk_region(h, e, i + 1);
        if (h->large)
            return walk_large(e, h->large);
        *st = HST_NO_MORE_ENTRIES;
        return 0;
    }
    struct hblk *b = blk_at(a);
    if (a < s->lo || a > s->lo + s->len || !seg_page_committed(s, a) || !hdr_ok(h, b->w0, b->w1) ||
        blk_g(b) < HMIN_G) {
        *st = HST_INVALID_PARAMETER;
        return 0;
    }
    if ((b->w0 & W0_BUSY) && !(b->w1 & W1_QUICK)) {
        entry_clear(e, i);
        e->data = blk_data(b);
        e->size = (uint32_t)blk_req(b);
        e->overhead = (uint8_t)(HHDR + ((b->w0 >> W0_UNUSED_SHIFT) & W0_UNUSED_MASK));
        e->flags = PROCESS_HEAP_ENTRY_BUSY;
        return 1;
    }
    return walk_run(h, e, i, b, a + HHDR);
}

int heap_walk(struct heap *h, struct heap_walk_entry *e, int32_t *status)
{
    int32_t st = HST_INVALID_PARAMETER;
    int ok = 0;
    uint32_t flags = h->flags;
    if (!(flags & HEAP_NO_SERIALIZE))
        hlock_acquire(&h->lock);
    uint32_t i = e->region_index;
    if (!e->data) {
        ok = walk_region(h, e, 0);
    } else if (e->flags & PROCESS_HEAP_REGION) {
        if (i < h->nsegs && e->data == (void *)hseg_nth(h, i)->base)
            ok = walk_at(h, e, i, hseg_nth(h, i)->lo, &st);
    } else if ((e->flags & PROCESS_HEAP_ENTRY_BUSY) && hlarge_find(h, e->data)) {
        struct hlarge *l = hlarge_find(h, e->data);
        if (l->next)
            ok = walk_large(e, l->next);
        else
            st = HST_NO_MORE_ENTRIES;
    } else if (i < h->nsegs) {
        struct hseg *s = hseg_nth(h, i);
        uintptr_t d = (uintptr_t)e->data;
        if (e->flags & PROCESS_HEAP_ENTRY_BUSY) {
            struct hblk *b = blk_at(d - HHDR);
            if (d - HHDR - s->lo < s->len && seg_page_committed(s, d - HHDR) &&
                hdr_ok(h, b->w0, b->w1) && (b->w0 & W0_BUSY) && !(b->w1 & W1_QUICK))
                ok = walk_at(h, e, i, (uintptr_t)blk_next(b), &st);
        } else {
            uint32_t off = e->u.block.reserved[0];
            struct hblk *f = blk_at(s->lo + off);
            uintptr_t at = d + e->size;
            if (e->u.block.reserved[1] == (~off ^ h->cookie) && off < s->len &&
                seg_page_committed(s, (uintptr_t)f) && hdr_ok(h, f->w0, f->w1) &&
                (!(f->w0 & W0_BUSY) || (f->w1 & W1_QUICK)) && d > (uintptr_t)f &&
                at <= (uintptr_t)blk_next(f)) {
                if (at < (uintptr_t)blk_next(f))
                    ok = walk_run(h, e, i, f, at);
                else
                    ok = walk_at(h, e, i, at, &st);
            }
        }
    }
    if (!(flags & HEAP_NO_SERIALIZE))
        hlock_release(&h->lock);
    if (!ok && status)
        *status = st;
    return ok;
}
