/* HeapWalk (spec item 92).  The walk is stateless: the caller hands back
 * the previous entry and the next one is found from it.  Entries tile each
 * segment: its REGION entry (the segment header), then busy blocks, free
 * runs and UNCOMMITTED_RANGE runs in address order; large blocks follow
 * the last segment as BUSY entries.  A free block with decommitted pages
 * is reported as alternating free and uncommitted runs; their entries
 * keep the free block's offset in block.reserved[] so the walk can go on
 * from inside it.
 *
 * A subsegment of the low-fragmentation front end is not one entry but
 * its blocks: first an entry with no data (wFlags 0, cbData 0) whose
 * cbOverhead covers the back-end block's header (and on x86-64 the 8
 * bytes that align the first payload), then each carved block, BUSY with its requested size or free
 * (wFlags 0, whether it waits on a list or not), then the part never
 * carved as free and uncommitted runs.  The free entries carry a mark in
 * block.reserved[2] so the walk knows they are the front end's.  The
 * first segment's REGION counts the front end's own memory (its last
 * LFH_META bytes, not walked) in its committed and uncommitted sizes. */
#include "heap_private.h"

static void entry_clear(struct heap_walk_entry *e, uint32_t seg)
{
    memset(e, 0, sizeof *e);
    e->region_index = (uint8_t)seg;
}

static int walk_at(struct heap *h, struct heap_walk_entry *e, uint32_t i, uintptr_t a, int32_t *st);

static int walk_region(struct heap *h, struct heap_walk_entry *e, uint32_t i)
{
    struct hseg *s = hseg_nth(h, i);
    entry_clear(e, i);
    e->data = (void *)s->base;
    e->size = (uint32_t)(s->lo - s->base);
    e->flags = PROCESS_HEAP_REGION;
    e->u.region.committed = (uint32_t)s->committed;
    uintptr_t end = pg_up(s->lo + s->len); /* a fixed heap: its maximum, not the reservation */
    uintptr_t reach = s == &h->seg0 && h->lfh_mode ? s->base + s->span : end; /* the meta */
    e->u.region.uncommitted = (uint32_t)(reach - s->base - s->committed);
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

/* ---- inside a subsegment ---- */

static uint32_t walk_mark(const struct heap *h)
{
    return h->cookie ^ 0x57616C6Bu; /* "Walk" */
}

#define WALK_HEAD 1u                        /* reserved[1] of the entry in front */
#define WALK_SLACK 2u                       /* ... of an entry carrying a busy block's tail */
#define WALK_TAIL_MAX (255u - HHDR)          /* unused bytes a busy entry's cbOverhead holds */

/* An entry with no data (wFlags 0, cbData 0) whose cbOverhead covers the
 * `over` bytes before `at`: the subsegment's back-end header, or the part of a
 * busy block's unused tail its own entry could not count (cbOverhead is
 * a byte). */
static int walk_sub_nodata(struct heap *h, struct heap_walk_entry *e, uint32_t i, uintptr_t at,
                           uint32_t over, uint32_t kind)
{
    entry_clear(e, i);
    e->data = (void *)at;
    e->overhead = (uint8_t)over;
    e->u.block.reserved[1] = kind;
    e->u.block.reserved[2] = walk_mark(h);
    return 1;
}

/* The element of subsegment sub (in segment i) whose header is at a: a
 * carved block, else the never-carved rest as free / uncommitted runs of
 * the back-end block b, else what follows b. */
static int walk_sub_at(struct heap *h, struct heap_walk_entry *e, uint32_t i, struct lsub *sub,
                       uintptr_t a, int32_t *st)
{
    struct hblk *b = (struct hblk *)(sub->chunk - HHDR);
    uintptr_t first = sub->chunk + LFH_FIRST, end = (uintptr_t)blk_next(b);
    if (a < first + (uintptr_t)sub->ncarved * sub->bsize) {
        struct lblk *blk = (struct lblk *)a;
        uint32_t w0 = blk->h.w0;
        if ((a - first) % sub->bsize || (w0 ^ blk->h.w1) != lfh_key(h, blk) ||
            (w0 & LW0_TAGMASK) != LW0_TAG) {
            *st = HST_INVALID_PARAMETER;
            return 0;
        }
        entry_clear(e, i);
        e->data = blk_data(&blk->h);
        if (w0 & LW0_BUSY) {
            uint32_t unused = w0 & LW0_UNUSED;
            e->size = (uint32_t)hlfh_size(sub, blk);
            e->overhead = (uint8_t)(HHDR + (unused < WALK_TAIL_MAX ? unused : WALK_TAIL_MAX));
            e->flags = PROCESS_HEAP_ENTRY_BUSY;
        } else {
            e->size = sub->bsize - HHDR;
            e->overhead = (uint8_t)HHDR;
            e->u.block.reserved[2] = walk_mark(h);
        }
        return 1;
    }
    if (a < end)
        return walk_run(h, e, i, b, a);
    return walk_at(h, e, i, end, st);
}

/* What follows `covered` inside the block that ends at `end`: the rest of
 * its tail in entries with no data, then the next element. */
static int walk_sub_tail(struct heap *h, struct heap_walk_entry *e, uint32_t i, struct lsub *sub,
                         uintptr_t covered, uintptr_t end, int32_t *st)
{
    if (covered < end) {
        uint32_t over = end - covered < 255 ? (uint32_t)(end - covered) : 255;
        return walk_sub_nodata(h, e, i, covered + over, over, WALK_SLACK);
    }
    return walk_sub_at(h, e, i, sub, end, st);
}

/* The element after e, which lies in a subsegment of segment i: a busy
 * block, a free one or an entry with no data (reserved[2] marked).  0
 * with *st when e is none of those. */
static int walk_sub_next(struct heap *h, struct heap_walk_entry *e, uint32_t i, int32_t *st)
{
    int in;
    uintptr_t d = (uintptr_t)e->data;
    struct lsub *sub = hlfh_sub_of(h, e->data, &in);
    if (!sub)
        return 0;
    uintptr_t first = sub->chunk + LFH_FIRST;
    if (e->flags & PROCESS_HEAP_ENTRY_BUSY) {
        struct lblk *blk;
        if (!(blk = hlfh_block(h, e->data, &sub, &in)))
            return 0;
        uint32_t unused = blk->h.w0 & LW0_UNUSED;
        uintptr_t covered = d + e->size + (unused < WALK_TAIL_MAX ? unused : WALK_TAIL_MAX);
        return walk_sub_tail(h, e, i, sub, covered, (uintptr_t)blk + sub->bsize, st);
    }
    if (e->u.block.reserved[1] == WALK_HEAD && d == first)
        return walk_sub_at(h, e, i, sub, first, st);
    if (d <= first)
        return 0;
    uintptr_t end = first + ((d - 1 - first) / sub->bsize + 1) * sub->bsize;
    if (e->u.block.reserved[1] == WALK_SLACK)
        return walk_sub_tail(h, e, i, sub, d, end, st);
    if ((d - HHDR - first) % sub->bsize)
        return 0;
    return walk_sub_at(h, e, i, sub, d - HHDR + sub->bsize, st);
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
            return walk_large(e, hlarge_first(h));
        *st = HST_NO_MORE_ENTRIES;
        return 0;
    }
    struct hblk *b = blk_at(a);
    if (a < s->lo || a > s->lo + s->len || !seg_page_committed(s, a) || !hdr_ok(h, b->w0, b->w1) ||
        blk_g(b) < HMIN_G) {
        *st = HST_INVALID_PARAMETER;
        return 0;
    }
    if ((b->w1 & W1_SUBSEG) && (b->w0 & W0_BUSY)) {
        int in;
        struct lsub *sub = hlfh_sub_of(h, blk_data(b), &in);
        if (!sub || sub->chunk != (uintptr_t)blk_data(b)) {
            *st = HST_INVALID_PARAMETER;
            return 0;
        }
        return walk_sub_nodata(h, e, i, sub->chunk + LFH_FIRST, HHDR + LFH_FIRST, WALK_HEAD);
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
        hexcl_enter(h);
    uint32_t i = e->region_index;
    if (!e->data) {
        ok = walk_region(h, e, 0);
    } else if (e->flags & PROCESS_HEAP_REGION) {
        if (i < h->nsegs && e->data == (void *)hseg_nth(h, i)->base)
            ok = walk_at(h, e, i, hseg_nth(h, i)->lo, &st);
    } else if ((e->flags & PROCESS_HEAP_ENTRY_BUSY) && hlarge_find(h, e->data)) {
        struct hlarge *l = hlarge_next(h, hlarge_find(h, e->data));
        if (l)
            ok = walk_large(e, l);
        else
            st = HST_NO_MORE_ENTRIES;
    } else if (i < h->nsegs) {
        struct hseg *s = hseg_nth(h, i);
        uintptr_t d = (uintptr_t)e->data;
        int in;
        if (((e->flags & PROCESS_HEAP_ENTRY_BUSY) || e->u.block.reserved[2] == walk_mark(h)) &&
            (hlfh_sub_of(h, e->data, &in), in)) {
            ok = walk_sub_next(h, e, i, &st);
        } else if (e->flags & PROCESS_HEAP_ENTRY_BUSY) {
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
                (!(f->w0 & W0_BUSY) || (f->w1 & (W1_QUICK | W1_SUBSEG))) && d > (uintptr_t)f &&
                at <= (uintptr_t)blk_next(f)) {
                if (at < (uintptr_t)blk_next(f))
                    ok = walk_run(h, e, i, f, at);
                else
                    ok = walk_at(h, e, i, at, &st);
            }
        }
    }
    if (!(flags & HEAP_NO_SERIALIZE))
        hexcl_leave(h);
    if (!ok && status)
        *status = st;
    return ok;
}
