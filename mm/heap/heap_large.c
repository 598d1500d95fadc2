/* Large blocks: requests of HEAP_LARGE_THRESHOLD bytes and more on a
 * growable heap get a reservation of their own (spec item 88), committed
 * as far as the block reaches, released at once on free.  Blocks that
 * grew into this tier through HeapReAlloc keep spare address space so
 * they can keep growing in place by committing pages.  When such a block
 * is freed below the large-block size while the heap still has other
 * large blocks, its region may be kept (a few, a bounded number of
 * committed bytes) for the next one, so growth does not pay for fresh
 * pages each time; the cache empties with the heap's last large block,
 * on HeapCompact and on HeapDestroy.  Blocks of HEAP_LARGE_THRESHOLD
 * bytes and more always release their region at once (spec item 88). */
#include "heap_private.h"

/* In w1 of a large block's header (unused there otherwise): the block was
 * shrunk and gave back the pages past its end, so, as on Windows, it no
 * longer grows in place with HEAP_REALLOC_IN_PLACE_ONLY (item 81). */
#define HLARGE_SHRUNK 1u

static uint32_t large_magic(const struct heap *h, const struct hlarge *l)
{
    return HLARGE_MAGIC ^ h->cookie ^ (uint32_t)(uintptr_t)l;
}

static void large_account(struct heap *h, long delta)
{
    h->large_committed += (size_t)delta;
    if (h->committed + h->large_committed > h->peak_committed)
        h->peak_committed = h->committed + h->large_committed;
}

/* ---- the treap of large blocks, by address ---- */

static uint32_t treap_prio(const struct hlarge *l)
{
    uint32_t x = (uint32_t)((uintptr_t)l >> 16) * 0x9E3779B1u;
    return x ^ (x >> 15);
}

static void treap_insert(struct hlarge **root, struct hlarge *l)
{
    if (!*root) {
        l->left = l->right = NULL;
        *root = l;
        return;
    }
    struct hlarge *r = *root;
    if (l < r) {
        treap_insert(&r->left, l);
        if (treap_prio(r->left) > treap_prio(r)) { /* rotate right */
            struct hlarge *c = r->left;
            r->left = c->right;
            c->right = r;
            *root = c;
        }
    } else {
        treap_insert(&r->right, l);
        if (treap_prio(r->right) > treap_prio(r)) { /* rotate left */
            struct hlarge *c = r->right;
            r->right = c->left;
            c->left = r;
            *root = c;
        }
    }
}

static void treap_remove(struct hlarge **root, struct hlarge *l)
{
    while (*root && *root != l)
        root = l < *root ? &(*root)->left : &(*root)->right;
    while (*root) {                         /* rotate l down until it is a leaf */
        struct hlarge *r = *root;
        if (!r->left) {
            *root = r->right;
        } else if (!r->right) {
            *root = r->left;
        } else if (treap_prio(r->left) > treap_prio(r->right)) {
            struct hlarge *c = r->left;
            r->left = c->right;
            c->right = r;
            *root = c;
            root = &c->right;
            continue;
        } else {
            struct hlarge *c = r->right;
            r->right = c->left;
            c->left = r;
            *root = c;
            root = &c->left;
            continue;
        }
        return;
    }
}

/* The large block whose payload is p, or NULL.  Only the heap's own
 * hints and tree are read, so a stale or foreign pointer is never
 * dereferenced.  A hint holds only a live block (hlarge_free clears it),
 * so a match needs no walk: a realloc growing in place finds its block in
 * one compare instead of a walk through the headers of other regions. */
struct hlarge *hlarge_find(struct heap *h, const void *p)
{
    if (((uintptr_t)p & (HEAP_OS_GRANULARITY - 1)) != HLARGE)
        return NULL;
    struct hlarge *want = (struct hlarge *)((uintptr_t)p - HLARGE);
    struct hlarge **hint = hlarge_hint_slot(h, want);
    if (*hint == want)
        return want;
    for (struct hlarge *l = h->large; l; l = want < l ? l->left : l->right)
        if (l == want)
            return *hint = l;
    return NULL;
}

/* In address order, for HeapWalk and the validator. */
struct hlarge *hlarge_first(struct heap *h)
{
    struct hlarge *l = h->large;
    while (l && l->left)
        l = l->left;
    return l;
}

struct hlarge *hlarge_next(struct heap *h, const struct hlarge *after)
{
    struct hlarge *best = NULL;
    for (struct hlarge *l = h->large; l;) {
        if (l > after) {
            best = l;
            l = l->left;
        } else {
            l = l->right;
        }
    }
    return best;
}

/* The large block l (found by hlarge_find) is intact: its header, its
 * bounds and, with tail checking, the fill from its end to the end of
 * its committed pages (a write past the end). */
int hlarge_ok(const struct heap *h, const struct hlarge *l)
{
    const struct hblk *b = (const struct hblk *)((const char *)l + HLARGE - HHDR);
    if (l->magic != large_magic(h, l) || !hdr_ok(h, b->w0, b->w1) || l->commit > l->reserve ||
        HLARGE + l->size > l->commit)
        return 0;
    if (h->flags & HEAP_TAIL_CHECKING_ENABLED) {
        const uint8_t *t = (const uint8_t *)l + HLARGE + l->size;
        for (size_t k = 0; k < l->commit - HLARGE - l->size; k++)
            if (t[k] != HFILL_TAIL)
                return 0;
    }
    return 1;
}

/* A cached region that holds `commit` bytes, resized to them; NULL if
 * none (or its pages cannot be committed). */
static struct hlarge *rcache_take(struct heap *h, size_t commit)
{
    int best = -1;
    for (int i = 0; i < HRCACHE; i++) {
        struct hlarge *c = h->rcache[i];
        if (c && c->reserve >= commit && (best < 0 || c->reserve < h->rcache[best]->reserve))
            best = i;
    }
    if (best < 0)
        return NULL;
    struct hlarge *l = h->rcache[best];
    if (l->commit < commit) {
        if (heap_os_commit((char *)l + l->commit, commit - l->commit, h->os_flags))
            return NULL;
        large_account(h, (long)(commit - l->commit));
    } else if (l->commit > commit) {
        heap_os_decommit((char *)l + commit, l->commit - commit);
        large_account(h, -(long)(l->commit - commit));
    }
    h->rcache[best] = NULL;
    h->rcache_commit -= l->commit;
    l->commit = commit;
    return l;
}

/* Keep a freed realloc region for reuse if there is room; 1 if kept. */
static int rcache_put(struct heap *h, struct hlarge *l)
{
    size_t use = h->busy_bytes + h->large_committed - h->rcache_commit;
    size_t limit = use >> 4 > 0x40000 ? use >> 4 : 0x40000; /* 1/16 of the heap's use */
    if (l->size >= HEAP_LARGE_THRESHOLD || !h->large || h->rcache_commit + l->commit > limit)
        return 0;
    for (int i = 0; i < HRCACHE; i++) {
        if (!h->rcache[i]) {
            h->rcache[i] = l;
            h->rcache_commit += l->commit;
            return 1;
        }
    }
    return 0;
}

void hlarge_drop_cache(struct heap *h)
{
    for (int i = 0; i < HRCACHE; i++) {
        struct hlarge *l = h->rcache[i];
        if (l) {
            h->rcache[i] = NULL;
            h->rcache_commit -= l->commit;
            h->reserved -= l->reserve;
            large_account(h, -(long)l->commit);
            heap_os_release(l, l->reserve);
        }
    }
}

/* A new large block of `size` bytes with `extra` bytes of address space
 * to grow into (extra != 0: a realloc region, which may come from the
 * cache).  NULL with *st when out of address space or commit. */
void *hlarge_alloc(struct heap *h, uint32_t flags, size_t size, size_t extra, int32_t *st)
{
    size_t commit = pg_up(HLARGE + size);
    size_t reserve = (commit + extra + HEAP_OS_GRANULARITY - 1) & ~(size_t)(HEAP_OS_GRANULARITY - 1);
    if (reserve < commit)
        reserve = commit;
    struct hlarge *l = extra ? rcache_take(h, commit) : NULL;
    if (l) {
        l->size = size;
        goto linked;
    }
    l = heap_os_reserve(reserve, h->os_flags);
    if (!l && reserve > commit) {
        reserve = (commit + HEAP_OS_GRANULARITY - 1) & ~(size_t)(HEAP_OS_GRANULARITY - 1);
        l = heap_os_reserve(reserve, h->os_flags);
    }
    if (!l) {
        *st = HST_NO_MEMORY;
        return NULL;
    }
    int32_t cst = heap_os_commit(l, commit, h->os_flags);
    if (cst) {
        heap_os_release(l, reserve);
        *st = cst;
        return NULL;
    }
    l->reserve = reserve;
    l->commit = commit;
    l->size = size;
    l->magic = large_magic(h, l);
    h->reserved += reserve;
    large_account(h, (long)commit);
linked:
    hdr_set(h, hlarge_hdr(l), W0_BUSY, 0);
    treap_insert(&h->large, l);
    *hlarge_hint_slot(h, l) = l;
    h->nlarge++;
    char *p = hlarge_data(l);
    if (h->flags & HEAP_FREE_CHECKING_ENABLED && !(flags & HEAP_ZERO_MEMORY))
        memset(p, HFILL_BUSY, size);
    if (h->flags & HEAP_TAIL_CHECKING_ENABLED)
        memset(p + size, HFILL_TAIL, commit - HLARGE - size);
    if ((flags & HEAP_ZERO_MEMORY) && extra) /* a cached region is not fresh */
        memset(p, 0, size);
    return p; /* fresh pages are zero: HEAP_ZERO_MEMORY needs nothing else */
}

void hlarge_free(struct heap *h, struct hlarge *l, int may_cache)
{
    treap_remove(&h->large, l);
    if (*hlarge_hint_slot(h, l) == l)
        *hlarge_hint_slot(h, l) = NULL;
    h->nlarge--;
    if (may_cache && rcache_put(h, l))
        return;
    h->reserved -= l->reserve;
    large_account(h, -(long)l->commit);
    heap_os_release(l, l->reserve);
    if (!h->large)
        hlarge_drop_cache(h);
}

/* Resize in place when the reservation allows (committing or
 * decommitting pages), else move to a new large block with room to grow
 * (not with HEAP_REALLOC_IN_PLACE_ONLY).  NULL with *st and the block
 * untouched on failure. */
void *hlarge_realloc(struct heap *h, uint32_t flags, struct hlarge *l, size_t size, int32_t *st)
{
    size_t old = l->size;
    char *p = hlarge_data(l);
    if (HLARGE + size <= l->reserve && HLARGE + size >= HLARGE) {
        size_t commit = pg_up(HLARGE + size);
        if (commit > l->commit && (flags & HEAP_REALLOC_IN_PLACE_ONLY) &&
            (hlarge_hdr(l)->w1 & HLARGE_SHRUNK)) {
            *st = HST_NO_MEMORY;
            return NULL;
        }
        if (commit > l->commit) {
            int32_t cst = heap_os_commit((char *)l + l->commit, commit - l->commit, h->os_flags);
            if (cst) {
                *st = cst;
                return NULL;
            }
            large_account(h, (long)(commit - l->commit));
        } else if (commit < l->commit) {
            heap_os_decommit((char *)l + commit, l->commit - commit);
            large_account(h, -(long)(l->commit - commit));
            hdr_set(h, hlarge_hdr(l), W0_BUSY, HLARGE_SHRUNK);
        }
        size_t was = l->commit;
        l->commit = commit;
        l->size = size;
        if (size > old) {
            /* Bytes past the old size up to the old commit end may hold
             * the tail fill; pages committed now are zero. */
            size_t dirty_end = was - HLARGE < size ? was - HLARGE : size;
            if (flags & HEAP_ZERO_MEMORY)
                memset(p + old, 0, dirty_end - old);
            else if (h->flags & HEAP_FREE_CHECKING_ENABLED)
                memset(p + old, HFILL_BUSY, size - old);
        }
        if (h->flags & HEAP_TAIL_CHECKING_ENABLED)
            memset(p + size, HFILL_TAIL, commit - HLARGE - size);
        return p;
    }
    if (flags & HEAP_REALLOC_IN_PLACE_ONLY) {
        *st = HST_NO_MEMORY;
        return NULL;
    }
    char *q = hlarge_alloc(h, flags, size, size, st);
    if (!q)
        return NULL;
    memcpy(q, p, old < size ? old : size);
    hlarge_free(h, l, 1);
    return q;
}
