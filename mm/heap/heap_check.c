/* Checking and measuring: the validator (counts every broken invariant,
 * like tlsf_check) and the statistics, which walk the whole heap
 * (O(blocks)); HeapValidate of one block and HeapSize, which look at one
 * block and its neighbours. */
#include "heap_private.h"

/* Committed pages by the bitmap (no libgcc popcount helper on i686). */
static uint32_t popcount_pages(const struct hseg *s)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < (s->npages + 31) / 32; i++)
        for (uint32_t w = s->cmap[i]; w; w &= w - 1)
            n++;
    return n;
}

/* One segment's block chain.  Stops at the first unreadable header. */
static int check_segment(struct heap *h, struct hseg *s, uint32_t i, struct htally *t)
{
    int bad = 0;
    uintptr_t a = s->lo, end = s->lo + s->len;
    uint32_t prev = 0, prev_free = 0;
    if (s->index != i || s->lo < s->base || end > s->base + s->span)
        return 1;
    if ((size_t)popcount_pages(s) << HPAGE_SHIFT != s->committed)
        bad++;
    while (a < end) {
        struct hblk *b = blk_at(a);
        if (!seg_page_committed(s, a) || !hdr_ok(h, b->w0, b->w1))
            return bad + 1;
        uint32_t g = blk_g(b), w0 = b->w0;
        size_t bytes = (size_t)g << HG_SHIFT;
        if (g < HMIN_G || a + bytes > end)
            return bad + 1;
        if ((b->w1 & W1_PREV) != prev)
            bad++;
        if (!(w0 & W0_LAST) != (a + bytes != end))
            bad++;
        if ((w0 & W0_BUSY) && (b->w1 & W1_SUBSEG)) {
            uint32_t ci = (uint32_t)((a + HHDR - s->base) >> LFH_CHUNK_SHIFT);
            if (!((s->lfh_map[ci >> 5] >> (ci & 31)) & 1))
                bad++;
            t->busy_bytes += bytes;
            bad += hlfh_check_sub(h, s, b, t);
            prev_free = 0;
        } else if (w0 & W0_BUSY) {
            if (!seg_range_committed(s, a, a + bytes))
                bad++;
            t->busy_bytes += bytes;
            if (b->w1 & W1_QUICK) {
                t->nquick++;
                t->quick_bytes += bytes;
            } else {
                t->nbusy++;
                t->in_use += blk_req(b);
                if ((h->flags & HEAP_TAIL_CHECKING_ENABLED) && !blk_tail_ok(b))
                    bad++; /* written past its end */
            }
            prev_free = 0;
        } else {
            if (b->w0 >> 31)
                bad++;
            if (prev_free && prev + g <= HMAX_G)
                bad++; /* two free neighbours not merged */
            if (!seg_range_committed(s, a, a + HMETA))
                bad++;
            if (!(w0 & W0_DECOMMIT) && !seg_range_committed(s, a, a + bytes))
                bad++;
            if (((w0 >> W0_UNUSED_SHIFT) & W0_UNUSED_MASK) || (b->w1 & W1_QUICK))
                bad++;
            if ((h->flags & HEAP_FREE_CHECKING_ENABLED) && hseg_check_fill(h, s, a + HMETA, a + bytes))
                bad++; /* written after free */
            t->nfree++;
            t->free_bytes += bytes;
            prev_free = 1;
        }
        prev = g;
        a += bytes;
    }
    return bad;
}

/* Every bin list: linked both ways, each entry a free block of its class
 * and set in some segment, the bitmaps in step with the lists. */
static int check_bin_list(struct heap *h, unsigned k, unsigned fl, unsigned sl, size_t nfree,
                          size_t *seen)
{
    int bad = 0;
    struct fblk *head = *bin_slot(h, k, fl, sl), *f = head;
    while (f) {
        struct hseg *s = hseg_find(h, (uintptr_t)f);
        unsigned efl, esl;
        if (!s || !seg_page_committed(s, (uintptr_t)f) || !hdr_ok(h, f->h.w0, f->h.w1) ||
            (f->h.w0 & W0_BUSY) || f->next->prev != f || ++*seen > nfree)
            return bad + 1;
        bin_index(blk_g(&f->h), &efl, &esl);
        if (efl != fl || (!k && esl != sl) || bin_set(f) != k)
            bad++;
        f = f->next == head ? NULL : f->next;
    }
    return bad;
}

static int check_bins(struct heap *h, size_t nfree)
{
    int bad = 0;
    size_t seen = 0;
    if ((h->fl_map[0] | h->fl_map[1]) >> h->nfl)
        bad++;
    for (unsigned fl = 0; fl < h->nfl; fl++) {
        if (!!(h->fl_map[0] & (1u << fl)) != !!h->sl_map[fl])
            bad++;
        if (!!(h->fl_map[1] & (1u << fl)) != !!h->dbins[fl])
            bad++;
        for (unsigned sl = 0; sl < SL_COUNT; sl++) {
            if (!!h->bins[fl][sl] != !!(h->sl_map[fl] & (1u << sl)))
                bad++;
            bad += check_bin_list(h, 0, fl, sl, nfree, &seen);
        }
        bad += check_bin_list(h, 1, fl, 0, nfree, &seen);
    }
    return bad + (seen != nfree);
}

static int check_quick(struct heap *h, size_t nquick)
{
    int bad = 0;
    size_t seen = 0, bytes = 0;
    for (uint32_t c = 0; h->quick && c <= h->quick_max_g; c++) {
        for (struct qblk *q = h->quick[c]; q; q = q->next) {
            struct hseg *s = hseg_find(h, (uintptr_t)q);
            if (!s || !seg_page_committed(s, (uintptr_t)q) || !hdr_ok(h, q->h.w0, q->h.w1) ||
                (q->h.w0 & (W0_SIZE | W0_BUSY)) != (c | W0_BUSY) || !(q->h.w1 & W1_QUICK) ||
                ++seen > nquick)
                return bad + 1;
            bytes += (size_t)c << HG_SHIFT;
        }
    }
    return bad + (seen != nquick || bytes != h->quick_bytes);
}

static int check_large(struct heap *h, struct htally *t)
{
    int bad = 0;
    size_t n = 0, commit = 0;
    struct hlarge *prev = NULL;
    for (struct hlarge *l = hlarge_first(h); l; prev = l, l = hlarge_next(h, l)) {
        if (++n > h->nlarge)
            return bad + 1;
        if (l <= prev || !hlarge_ok(h, l) || hlarge_find(h, hlarge_data(l)) != l)
            bad++;
        commit += l->commit;
        t->nbusy++;
        t->in_use += l->size;
    }
    for (int i = 0; h->large_hint && i < HLARGE_HINTS; i++) { /* every hint: a live block, in its slot */
        struct hlarge *l = h->large_hint[i], *o = hlarge_first(h);
        while (l && o && o != l)
            o = hlarge_next(h, o);
        if (l && (o != l || hlarge_hint_slot(h, l) != &h->large_hint[i]))
            bad++;
    }
    size_t cached = 0;
    for (int i = 0; i < HRCACHE; i++)
        if (h->rcache[i])
            cached += h->rcache[i]->commit;
    return bad + (n != h->nlarge || commit + cached != h->large_committed ||
                  cached != h->rcache_commit);
}

static int check_locked(struct heap *h)
{
    struct htally t = { 0 };
    int bad = (int)h->corruptions;
    size_t committed = 0;
    uint32_t n = h->nsegs;
    if (h->magic != HEAP_MAGIC || !n || h->nfl > FL_COUNT)
        return bad + 1;
    for (struct hseg *s = h->segs; s; s = s->next) {
        if (!n--)
            return bad + 1;
        bad += check_segment(h, s, n, &t);
        committed += s->committed;
    }
    if (n || h->seg0.next)
        bad++;
    bad += check_bins(h, t.nfree);
    bad += check_quick(h, t.nquick);
    bad += check_large(h, &t);
    bad += hlfh_check(h, &t);
    if (committed != h->committed || t.busy_bytes != h->busy_bytes || t.quick_bytes != h->quick_bytes)
        bad++;
    return bad;
}

int heap_check(struct heap *h)
{
    int locked = !(h->flags & HEAP_NO_SERIALIZE);
    if (locked)
        hexcl_enter(h);
    int bad = check_locked(h);
    if (locked)
        hexcl_leave(h);
    return bad;
}

void heap_get_stats(struct heap *h, struct heap_stats *st)
{
    int locked = !(h->flags & HEAP_NO_SERIALIZE);
    struct htally t = { 0 };
    if (locked)
        hexcl_enter(h);
    memset(st, 0, sizeof *st);
    for (struct hseg *s = h->segs; s; s = s->next)
        check_segment(h, s, s->index, &t);
    for (struct hlarge *l = hlarge_first(h); l; l = hlarge_next(h, l)) {
        t.nbusy++;
        t.in_use += l->size;
    }
    st->reserved = h->reserved;
    st->committed = h->committed + h->large_committed;
    st->peak_committed = h->peak_committed;
    st->in_use = t.in_use;
    st->busy_blocks = t.nbusy;
    st->free_blocks = t.nfree;
    st->free_bytes = t.free_bytes;
    st->quick_blocks = t.nquick;
    st->quick_bytes = t.quick_bytes;
    st->large_blocks = h->nlarge;
    st->segments = h->nsegs;
    st->lfh_blocks = t.nlfh;
    st->lfh_free_blocks = t.lfh_free;
    st->subsegments = t.nsubs;
    if (locked)
        hexcl_leave(h);
}

/* ---- one block ---- */

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

/* With tail checking: the bytes between b's requested size and its end
 * still hold HFILL_TAIL (nothing was written past the end). */
int blk_tail_ok(const struct hblk *b)
{
    const uint8_t *t = (const uint8_t *)b + HHDR + blk_req(b);
    for (uint32_t i = 0; i < ((b->w0 >> W0_UNUSED_SHIFT) & W0_UNUSED_MASK); i++)
        if (t[i] != HFILL_TAIL)
            return 0;
    return 1;
}

/* HeapSize (heap.h): the requested size of a live block of h (busy, not
 * parked, or a large block), else (size_t)-1. */
size_t heap_size(struct heap *h, uint32_t flags, const void *p)
{
    struct hseg *s = NULL;
    struct hlarge *l;
    size_t n = (size_t)-1;
    int in;
    struct lsub *sub;
    flags |= h->flags;
    hcall_lock(h, flags);
    struct lblk *lb = hlfh_block(h, p, &sub, &in);
    struct hblk *b = in ? NULL : blk_lookup(h, p, &s);
    if (lb)
        n = hlfh_size(sub, lb);
    else if (b)
        n = blk_req(b);
    else if (!in && (l = hlarge_find(h, p)) != NULL)
        n = l->size;
    hcall_unlock(h, flags);
    return n;
}

/* The header of a busy block, decoded (heap.h), for the console's demo. */
int heap_block_info(struct heap *h, uint32_t flags, const void *p, struct heap_block_info *out)
{
    struct hseg *s = NULL;
    int in;
    struct lsub *sub;
    flags |= h->flags;
    hcall_lock(h, flags);
    struct lblk *lb = hlfh_block(h, p, &sub, &in);
    struct hblk *b = in ? NULL : blk_lookup(h, p, &s);
    if (lb) {
        memset(out, 0, sizeof *out);
        out->header = (uintptr_t)lb;
        out->w0 = lb->h.w0;
        out->w1 = lb->h.w1;
        out->block_bytes = sub->bsize;
        out->unused_bytes = lb->h.w0 & LW0_UNUSED;
        out->front_end = 1;
        out->size_class = sub->cls;
        out->subsegment = sub->chunk;
    } else if (b) {
        memset(out, 0, sizeof *out);
        out->header = (uintptr_t)b;
        out->w0 = b->w0;
        out->w1 = b->w1;
        out->block_bytes = (size_t)blk_g(b) << HG_SHIFT;
        out->unused_bytes = (b->w0 >> W0_UNUSED_SHIFT) & W0_UNUSED_MASK;
        out->prev_bytes = (size_t)(b->w1 & W1_PREV) << HG_SHIFT;
        out->check = (uint8_t)(b->w1 >> 24);
    }
    hcall_unlock(h, flags);
    return lb != NULL || b != NULL;
}

/* HeapValidate (heap.h): p NULL checks the whole heap; otherwise p must be
 * a live block whose neighbours agree with its header (and, with tail
 * checking, whose tail fill is intact). */
int heap_validate(struct heap *h, uint32_t flags, const void *p)
{
    struct hseg *s = NULL;
    struct hlarge *l;
    int ok;
    flags |= h->flags;
    hcall_lock(h, flags);
    if (!p) {
        ok = heap_check(h) == 0;
    } else {
        int in;
        struct lsub *sub;
        struct lblk *lb = hlfh_block(h, p, &sub, &in);
        struct hblk *b = in ? NULL : blk_lookup(h, p, &s);
        l = in || b ? NULL : hlarge_find(h, p);
        if (in)
            ok = lb && (!(h->flags & HEAP_TAIL_CHECKING_ENABLED) || hlfh_tail_ok(sub, lb));
        else
            ok = b ? blk_neighbours_ok(h, s, b) &&
                         (!(h->flags & HEAP_TAIL_CHECKING_ENABLED) || blk_tail_ok(b))
                   : l != NULL && hlarge_ok(h, l);
    }
    hcall_unlock(h, flags);
    return ok;
}
