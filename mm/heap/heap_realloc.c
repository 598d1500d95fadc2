/* HeapReAlloc: in place when the block or its free neighbour allows,
 * else a new block and a copy.  Growable heaps move a block that grows
 * past HEAP_REALLOC_REGION into a region of its own (heap_large.c), where
 * it keeps growing in place. */
#include "heap_private.h"

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
        uint32_t got = hblock_carve(h, s, b, g, 0);
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
        if (hblock_free(h, s, r))
            heap_corrupt(h);
        gb = g;
        last = 0;
    }
    size_t unused = ((size_t)gb << HG_SHIFT) - HHDR - size;
    hdr_set(h, b, gb | W0_BUSY | last | (uint32_t)(unused << W0_UNUSED_SHIFT), b->w1);
    return 1;
}

/* The block moves: a new one (an own region for a growable heap's block
 * growing to HEAP_REALLOC_REGION or more), the old bytes copied, the old
 * block freed.  NULL with *st (p untouched) when no room. */
static void *realloc_move(struct heap *h, uint32_t flags, void *p, size_t old, size_t size, int32_t *st)
{
    int region = !h->maximum && size >= HEAP_REALLOC_REGION && size > old;
    void *q = region ? hlarge_alloc(h, flags & ~HEAP_ZERO_MEMORY, size, size, st)
                     : hfront_alloc(h, flags & ~HEAP_ZERO_MEMORY, size, st);
    if (!q)
        return NULL;
    memcpy(q, p, old < size ? old : size);
    if (hfront_free(h, p))
        heap_corrupt(h);
    return q;
}

/* The bytes a resize added: zeroes with HEAP_ZERO_MEMORY, else the busy
 * fill on free-checking heaps. */
static void realloc_fill(struct heap *h, uint32_t flags, char *q, size_t old, size_t size)
{
    if (size > old && (flags & HEAP_ZERO_MEMORY))
        memset(q + old, 0, size - old);
    else if (size > old && (h->flags & HEAP_FREE_CHECKING_ENABLED))
        memset(q + old, HFILL_BUSY, size - old);
}

/* HeapReAlloc of the LFH block blk (checked) of sub: in place while its
 * class holds the new size (and a much smaller request would not waste
 * more than half of it), else moved. */
static void *realloc_lfh(struct heap *h, uint32_t flags, struct lsub *sub, struct lblk *blk, size_t size,
                         int32_t *st)
{
    void *p = blk_data(&blk->h);
    size_t old = hlfh_size(sub, blk);
    if (hlfh_resize(h, sub, blk, size, !(flags & HEAP_REALLOC_IN_PLACE_ONLY))) {
        realloc_fill(h, flags, p, old, size);
        if (h->flags & HEAP_TAIL_CHECKING_ENABLED)
            memset((char *)p + size, HFILL_TAIL, sub->bsize - HHDR - size);
        return p;
    }
    if (flags & HEAP_REALLOC_IN_PLACE_ONLY) {
        *st = HST_NO_MEMORY;
        return NULL;
    }
    void *q = realloc_move(h, flags, p, old, size, st);
    if (q)
        realloc_fill(h, flags, q, old, size);
    return q;
}

/* HeapReAlloc with the lock held (or not needed).  p must be a live block
 * of h (else STATUS_INVALID_PARAMETER); with tail checking, one written
 * past its end is refused (STATUS_HEAP_CORRUPTION) and left as it is.
 * Returns the block's new address, or NULL with *st and p untouched. */
static void *realloc_locked(struct heap *h, uint32_t flags, void *p, size_t size, int32_t *st)
{
    int in = 0;
    struct lsub *sub = NULL;
    struct hseg *s = NULL;
    struct hblk *b = NULL;
    struct lblk *lb = NULL;
    struct hlarge *l = hlarge_find(h, p); /* (first: a test of p's alignment unless it may be one) */
    if (!l) {
        lb = hlfh_block(h, p, &sub, &in);
        b = in ? NULL : blk_lookup(h, p, &s);
    }
    if (!lb && !b && !l) {
        *st = HST_INVALID_PARAMETER;
        return NULL;
    }
    if ((h->flags & HEAP_TAIL_CHECKING_ENABLED) &&
        (lb ? !hlfh_tail_ok(sub, lb) : b ? !blk_tail_ok(b) : !hlarge_ok(h, l))) {
        *st = HST_HEAP_CORRUPTION; /* written past its end: left as it is, as HeapFree does */
        return NULL;
    }
    if (size > HEAP_MAX_REQUEST || (h->maximum && size >= HEAP_FIXED_LIMIT)) {
        *st = HST_NO_MEMORY;
        return NULL;
    }
    if (lb)
        return realloc_lfh(h, flags, sub, lb, size, st);
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
        q = realloc_move(h, flags, p, old, size, st);
        if (!q)
            return NULL;
        realloc_fill(h, flags, q, old, size);
        return q;
    }
    realloc_fill(h, flags, q, old, size);
    if (h->flags & HEAP_TAIL_CHECKING_ENABLED)
        blk_fill_tail(b);
    return q;
}

/* The common resize, found through the fast tables alone: a front-end
 * block whose class still holds `size` (and would not move to a class
 * wasting less: the block stays over half used, as hlfh_resize asks), or
 * a large block whose committed pages stay the same.  Then only the
 * header (the size) changes, as the slow path would change it.  1 if
 * done; 0 leaves everything to the slow path (lock held or not needed;
 * no checking options, no HEAP_ZERO_MEMORY: those need fills). */
static inline int realloc_in_place_fast(struct heap *h, void *p, size_t size)
{
    struct lsub *sub = lfh_tab_block(h, p);
    if (sub) {
        struct lblk *blk = (struct lblk *)((uintptr_t)p - HHDR);
        if (!lfh_busy_header_ok(h, p, blk->h.w0, blk->h.w1) || size > sub->bsize - HHDR ||
            size + HHDR < sub->bsize / 2)
            return 0;
        uint32_t w0 = (uint32_t)(sub->bsize - HHDR - size) | ((uint32_t)sub->cls << LW0_CLASS_SHIFT) |
                      LW0_BUSY | LW0_TAG;
        blk->h.w0 = w0;
        blk->h.w1 = w0 ^ lfh_key(h, blk);
        return 1;
    }
    struct hlarge *want = (struct hlarge *)((uintptr_t)p - HLARGE), *l = *hlarge_hint_slot(h, want);
    if (l != want || size > l->commit - HLARGE || pg_up(HLARGE + size) != l->commit)
        return 0;
    l->size = size;
    return 1;
}

/* HeapReAlloc (heap.h): p NULL is no allocation (item 84); a failure is
 * reported after the lock is dropped, since it may raise.  A resize in
 * place that the fast tables settle takes the lock with one atomic (none
 * with HEAP_NO_SERIALIZE); the rest runs under hcall_lock. */
void *heap_realloc(struct heap *h, uint32_t flags, void *p, size_t size, int32_t *status)
{
    int32_t st = HST_NO_MEMORY;
    flags |= h->flags;
    if (!p) { /* not malloc (item 84): NULL, and the last error is NO_ERROR */
        if (status)
            *status = HST_OK;
        return NULL;
    }
    if (!(flags & (HEAP_CHECKING | HEAP_ZERO_MEMORY))) {
        if (flags & HEAP_NO_SERIALIZE) {
            if (realloc_in_place_fast(h, p, size))
                return p;
        } else if (hlock_try(&h->lock)) {
            int done = realloc_in_place_fast(h, p, size);
            hlock_drop(&h->lock);
            if (done)
                return p;
        }
    }
    hcall_lock(h, flags);
    void *q = realloc_locked(h, flags, p, size, &st);
    hcall_unlock(h, flags);
    if (!q)
        hcall_fail(flags, st, status);
    return q;
}
