/* The validator's view of the low-fragmentation front end (heap_lfh.c):
 * every subsegment block by block (called from check_segment for each
 * W1_SUBSEG block), then the classes' lists and counters.  Like the rest
 * of heap_check.c, it counts broken invariants and reads nothing it has
 * not located first. */
#include "heap_private.h"

/* One subsegment: its header, its blocks' headers (busy or free, in
 * their places, with their tail and free fills when the heap checks), its
 * own list, and the map and table that point at it.  Counts its blocks
 * into t. */
int hlfh_check_sub(struct heap *h, struct hseg *s, struct hblk *b, struct htally *t)
{
    int bad = 0, in;
    uintptr_t c = (uintptr_t)b + HHDR;
    struct lsub *sub = hlfh_sub_of(h, (void *)c, &in);
    if (!h->lfh || !in || !sub || (c & (LFH_CHUNK - 1)) ||
        ((size_t)blk_g(b) << HG_SHIFT) < LFH_CHUNK || sub != &s->subs[(c - s->base) >> LFH_CHUNK_SHIFT])
        return 1;
    t->nsubs++;
    if (lfh_tab_sub(h, (void *)c) != sub && !h->lfh->collisions)
        bad++;
    if (sub->ncarved > sub->nmax || sub->nfree > sub->ncarved ||
        sub->nmax != (LFH_CHUNK - HHDR - LFH_FIRST) / sub->bsize || sub->commit_end > LFH_CHUNK ||
        sub->commit_end < HPAGE ||
        sub->rcp != 0xFFFFFFFFu / sub->bsize + 1 ||
        (sub->commit_end & (HPAGE - 1)) || (sub->commit_end && !seg_range_committed(s, c, c + sub->commit_end)))
        return bad + 1;
    t->lfh_uncommitted += LFH_CHUNK - sub->commit_end;
    uintptr_t first = c + LFH_FIRST;
    if (first + (uintptr_t)sub->ncarved * sub->bsize >= c + sub->commit_end)
        return bad + 1;
    uint32_t nbusy = 0;
    for (uint32_t k = 0; k < sub->ncarved; k++) {
        struct lblk *blk = (struct lblk *)(first + (uintptr_t)k * sub->bsize);
        uint32_t w0 = blk->h.w0;
        if ((w0 ^ blk->h.w1) != lfh_key(h, blk) || (w0 & LW0_TAGMASK) != LW0_TAG ||
            ((w0 >> LW0_CLASS_SHIFT) & 0xFF) != sub->cls) {
            bad++;
            continue;
        }
        if (w0 & LW0_BUSY) {
            if ((w0 & LW0_UNUSED) > sub->bsize - HHDR)
                bad++;
            else if ((h->flags & HEAP_TAIL_CHECKING_ENABLED) && !hlfh_tail_ok(sub, blk))
                bad++; /* written past its end */
            nbusy++;
            t->nbusy++;
            t->nlfh++;
            t->in_use += hlfh_size(sub, blk);
        } else {
            if (h->flags & HEAP_FREE_CHECKING_ENABLED) {
                const uint8_t *q = (const uint8_t *)(blk + 1), *e = (const uint8_t *)blk + sub->bsize;
                for (; q < e; q++)
                    if (*q != HFILL_FREE) {
                        bad++; /* written after free */
                        break;
                    }
            }
            t->lfh_free++;
        }
    }
    /* Its own list: free blocks of its own, as many as it says. */
    uint32_t n = 0;
    for (struct lblk *f = sub->free; f; f = f->next) {
        uintptr_t a = (uintptr_t)f;
        if (a < first || (a - first) % sub->bsize || (a - first) / sub->bsize >= sub->ncarved ||
            (f->h.w0 & LW0_BUSY) || ++n > sub->nfree)
            return bad + 1;
    }
    if (n != sub->nfree)
        bad++;
    /* Every carved block is busy, back here, or (the active one's) on the
     * class's list. */
    uint32_t listed = 0;
    struct lbucket *cb = &h->lfh->b[sub->cls];
    if (sub->state == LSUB_ACTIVE && cb->active == sub)
        for (struct lblk *f = cb->free; f && listed <= sub->ncarved; f = f->next)
            listed++;
    listed += (uint32_t)htc_count(h, sub);
    if (nbusy + sub->nfree + listed != sub->ncarved)
        bad++;
    if (sub->state == LSUB_EMPTY ? nbusy || n != sub->ncarved : sub->state < LSUB_ACTIVE || sub->state > LSUB_FULL)
        bad++;
    return bad;
}

/* A record on one of the front end's lists is a live subsegment's: 0 if
 * so (the segments say, not the record). */
static int lfh_sub_ok(struct heap *h, const struct lsub *sub)
{
    int in;
    return hlfh_sub_of(h, (void *)sub->chunk, &in) != sub;
}

/* One class: its list (blocks of the active subsegment, free), its
 * partial list (linked both ways, subsegments of this class with free
 * blocks or room), and that every carved block of the active one is busy,
 * on the class's list or on its own. */
static int check_bucket(struct heap *h, uint32_t cls, struct lbucket *b, uint32_t *nlisted)
{
    int bad = 0;
    struct lsub *act = b->active;
    if (act) {
        (*nlisted)++;
        if (lfh_sub_ok(h, act) || act->cls != cls || act->state != LSUB_ACTIVE)
            return 1;
    }
    uint32_t n = 0;
    for (struct lblk *f = b->free; f; f = f->next) {
        if (!act || ((uintptr_t)f & ~(uintptr_t)(LFH_CHUNK - 1)) != act->chunk ||
            (f->h.w0 & LW0_BUSY) || ++n > act->ncarved)
            return bad + 1;
    }
    if (b->partial) {
        struct lsub *p = b->partial;
        uint32_t guard = 0;
        do {
            if (lfh_sub_ok(h, p) || p->cls != cls || p->state != LSUB_PARTIAL || p->next->prev != p ||
                ++guard > b->nsubs)
                return bad + 1;
            (*nlisted)++;
            p = p->next;
        } while (p != b->partial);
    }
    return bad;
}

/* The thread caches: each list holds free blocks of its class in live
 * subsegments, as many as it says, no more than its maximum. */
static int check_caches(struct heap *h)
{
    int bad = 0, in;
    for (int i = 0; i < HEAP_OS_THREAD_SLOTS; i++) {
        struct ltc *tc = h->lfh->tc[i];
        for (uint32_t c = 0; tc && c < LFH_NCLASS; c++) {
            uint32_t n = 0;
            if (tc->busy || tc->c[c].n > tc->c[c].max || tc->c[c].hdr != h->lfh->b[c].hdr)
                bad++;
            for (struct lblk *f = tc->c[c].free; f; f = f->next) {
                struct lsub *sub = hlfh_sub_of(h, f, &in);
                if (!sub || sub->cls != c || (f->h.w0 & LW0_BUSY) || ++n > tc->c[c].n)
                    return bad + 1;
            }
            if (n != tc->c[c].n)
                bad++;
        }
    }
    return bad;
}

/* The front end as a whole, after check_segment counted its blocks: the
 * class lists, the subsegment counts, the kept empty ones, the caches. */
int hlfh_check(struct heap *h, const struct htally *t)
{
    struct hlfh *l = h->lfh;
    if (!l)
        return t->nsubs != 0 || h->lfh_b[0].free != NULL || h->lfh_uncommitted != 0;
    int bad = 0;
    if (l->magic != HLFH_MAGIC || h->lfh_b != l->b || h->lfh_mask + 1 != l->tab_entries ||
        l->meta_used > h->lfh_meta)
        return 1;
    uint32_t listed = 0, nsubs = 0;
    for (uint32_t cls = 0; cls < LFH_NCLASS; cls++) {
        bad += check_bucket(h, cls, &l->b[cls], &listed);
        nsubs += l->b[cls].nsubs;
    }
    uint32_t nempty = 0;
    for (struct lsub *e = l->empty; e; e = e->next == l->empty ? NULL : e->next) {
        if (lfh_sub_ok(h, e) || e->state != LSUB_EMPTY || e->next->prev != e || ++nempty > l->nempty)
            return bad + 1;
    }
    if (nempty != l->nempty || nsubs + nempty != l->nsubs || l->nsubs != t->nsubs || listed > nsubs)
        bad++;
    if (t->lfh_uncommitted != h->lfh_uncommitted) /* (the decommit policy's view of busy bytes) */
        bad++;
    return bad + check_caches(h);
}
