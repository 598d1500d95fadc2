/* The low-fragmentation front end (LFH): size classes of blocks carved
 * from 64 KiB subsegments that the back end lends (hblock_alloc_chunk)
 * and takes back when they empty.  Layout and header format are in
 * heap_private.h; the fast paths that pop and push a class's blocks are
 * in heap_front.c, the validator and the walk's view in heap_lfh_check.c.
 *
 * Activation, as Windows does it after repeated allocations of a size: a
 * heap starts with no front-end memory (an empty heap is one page).  Its
 * LFH_ACTIVATE-th small back-end allocation sets up the front end's
 * memory (struct hlfh and the subsegment table, in the last LFH_META
 * bytes of the first segment's reservation), and from then on a class
 * turns on at its LFH_ACTIVATE-th back-end allocation: later requests of
 * that class come from subsegments.  A class never turns off; HeapCompact
 * gives its empty subsegments back.
 *
 * A class (struct lbucket) hands out blocks from one active subsegment:
 * first a list of blocks taken from it at once (`free`), refilled from the
 * blocks freed back into that subsegment, else carved fresh from its
 * unused end (committing pages a stretch at a time).  A full subsegment
 * waits off every list until a block comes back; one with free blocks
 * that is not active waits on the class's partial list; one whose blocks
 * have all come back goes to the reserve, for any class.
 *
 * The reserve keeps emptied subsegments, their pages committed, for the
 * next ones the front end needs: a heap that frees a batch and allocates
 * it again pays neither a decommit nor a page fault (mimalloc keeps freed
 * pages for a while for the same reason; without a clock, "a while" here
 * is LFH_RESERVE_IDLE back-end allocations in which the reserve was not
 * drawn on).  It gives back its oldest subsegment to the back end once idle
 * that long (one a call; LFH_KEEP_EMPTY stay), all of them when the back
 * end needs memory it would otherwise commit (hblock_alloc) and on
 * HeapCompact.
 *
 * Everything here runs with the heap lock held (or on behalf of a
 * HEAP_NO_SERIALIZE call). */
#include "heap_private.h"

/* ---- the size classes (compile-time tables) ---- */

/* Block bytes of class c: granule steps up to LFH_LIN_BYTES, then
 * 2^e + k * 2^(e-3), k = 1..8, e = 7, 8, ... */
#define LCB(c)                                                                                     \
    ((c) < LFH_NLIN ? ((c) + HMIN_G) * HG                                                          \
                    : (128u << (((c) - LFH_NLIN) / 8)) + (((c) - LFH_NLIN) % 8 + 1) * (16u << (((c) - LFH_NLIN) / 8)))
/* The class of a block of G granules: the smallest that holds it. */
#define LCE(B) (31 - __builtin_clz((B) - 1))
#define LCG(G)                                                                                     \
    ((G) * HG <= LFH_LIN_BYTES                                                                     \
         ? ((G) < HMIN_G ? 0 : (G) - HMIN_G)                                                       \
         : LFH_NLIN + (LCE((G) * HG) - 7) * 8 +                                                    \
               (((G) * HG - (1u << LCE((G) * HG)) + (1u << (LCE((G) * HG) - 3)) - 1) >>              \
                (LCE((G) * HG) - 3)) - 1)

#define G1(g) LCG(g),
#define G4(g) G1(g) G1(g + 1) G1(g + 2) G1(g + 3)
#define G16(g) G4(g) G4(g + 4) G4(g + 8) G4(g + 12)
#define G64(g) G16(g) G16(g + 16) G16(g + 32) G16(g + 48)
#define G256(g) G64(g) G64(g + 64) G64(g + 128) G64(g + 192)
#define G1024(g) G256(g) G256(g + 256) G256(g + 512) G256(g + 768)
const uint8_t lfh_class_of_g[LFH_NG] = {
#if HG == 8
    G1024(0) G1024(1024) G256(2048) G1(2304)
#else
    G1024(0) G64(1024) G64(1088) G1(1152)
#endif
};
#define B1(c) LCB(c),
#define B8(c) B1(c) B1(c + 1) B1(c + 2) B1(c + 3) B1(c + 4) B1(c + 5) B1(c + 6) B1(c + 7)
const uint32_t lfh_class_bytes[LFH_NCLASS] = {
#if HG == 8
    B8(0) B8(8) B8(16) B8(24) B8(32) B8(40) B8(48) B8(56) B8(64)
#else
    B8(0) B8(8) B8(16) B8(24) B8(32) B8(40) B8(48) B8(56)
#endif
};
_Static_assert(LFH_NG == LCB(LFH_NCLASS - 1) / HG + 1, "class table covers the last class");
_Static_assert(LCB(LFH_NCLASS - 1) - HHDR >= LFH_MAX_REQUEST, "the last class holds the largest request");
_Static_assert((uint64_t)LCB(LFH_NCLASS - 1) * LFH_CHUNK < 0x100000000ull,
               "hlfh_block's reciprocal division is exact (offset * block bytes < 2^32)");
_Static_assert(LCB(LFH_NCLASS - 2) - HHDR < LFH_MAX_REQUEST, "no class beyond the largest request");
_Static_assert(LFH_NCLASS <= 256, "class fits a byte");

/* Until a heap's front end has memory, its classes are these (every list
 * empty: the fast paths fall through to the slow ones) and its
 * subsegment table is one slot naming no subsegment.  Never written. */
static struct lbucket lfh_off_buckets[LFH_NCLASS];
struct lsub lfh_no_sub = { .chunk = 1 };
static struct lsub *const lfh_off_tab[1] = { &lfh_no_sub };
static struct ltc *const lfh_off_tcs[HEAP_OS_THREAD_SLOTS];

/* Bytes at the end of the first segment's reservation (span bytes) for
 * the front end: struct hlfh, a record per 64 KiB of the segment, and
 * the subsegment tables up to LFH_TAB_MAX entries (each kept when
 * replaced); whole reservation granules. */
size_t hlfh_meta_bytes(size_t span)
{
    size_t n = sizeof(struct hlfh) + LSUB_BYTES + (span >> LFH_CHUNK_SHIFT) * LSUB_BYTES +
               (2 * LFH_TAB_MAX - LFH_TAB_MIN) * sizeof(struct lsub *);
    n = (n + HEAP_OS_GRANULARITY - 1) & ~(size_t)(HEAP_OS_GRANULARITY - 1);
    return n < LFH_META_MIN ? LFH_META_MIN : n;
}

/* HeapCreate: the front end is set up later (lfh_setup); `enabled` says
 * whether this heap may have one (HeapCompatibilityInformation 2). */
void hlfh_init(struct heap *h, int enabled)
{
    h->lfh_cookie = h->cookie ^ LFH_SALT;
    h->lfh_b = lfh_off_buckets;
    h->lfh_tab = lfh_off_tab;
    h->lfh_mask = 0;
    h->lfh_tcs = enabled && heap_os_thread_slot() >= 0 ? lfh_off_tcs : NULL;
    if (h->lfh_tcs)
        h->flags |= HEAP_I_TCACHE;
    h->lfh = NULL;
    h->lfh_mode = enabled ? 2 : 0;
}

/* ---- the front end's own memory: the end of the first segment ---- */

/* n bytes (aligned to `align`, a power of two) of the meta area,
 * committed; NULL when it is used up or the pages cannot be committed. */
void *hlfh_meta_alloc(struct heap *h, size_t n, size_t align)
{
    struct hlfh *l = h->lfh;
    uintptr_t a = (l->meta_base + l->meta_used + align - 1) & ~(uintptr_t)(align - 1);
    if (a + n > h->seg0.base + h->seg0.span)
        return NULL;
    if (hseg_commit(h, &h->seg0, a, a + n))
        return NULL;
    l->meta_used = a + n - l->meta_base;
    return (void *)a;
}

static struct lsub **tab_new(struct heap *h, uint32_t entries)
{
    struct lsub **t = hlfh_meta_alloc(h, entries * sizeof(struct lsub *), sizeof(struct lsub *));
    for (uint32_t i = 0; t && i < entries; i++)
        t[i] = &lfh_no_sub;
    return t;
}

/* Set up the front end's memory: struct hlfh, the first segment's
 * records and the first subsegment table.  0 on success (or when it
 * exists), else a status (nothing changed). */
static int32_t lfh_setup(struct heap *h)
{
    if (h->lfh)
        return 0;
    uintptr_t base = h->seg0.base + h->seg0.span - h->lfh_meta;
    size_t n = sizeof(struct hlfh);
    if (hseg_commit(h, &h->seg0, base, base + n))
        return HST_NO_MEMORY;
    struct hlfh *l = (struct hlfh *)base;
    memset(l, 0, sizeof *l); /* (pages from the provider are zero; a heap may be old) */
    l->magic = HLFH_MAGIC;
    l->meta_base = base;
    l->meta_used = n;
    h->lfh = l;
    struct lsub **t = NULL;
    struct lsub *subs = hlfh_meta_alloc(h, (h->seg0.span >> LFH_CHUNK_SHIFT) * LSUB_BYTES, LSUB_BYTES);
    if (!subs || !(t = tab_new(h, LFH_TAB_MIN))) {
        h->lfh = NULL; /* (the pages stay committed, counted; the next try reuses them) */
        return HST_NO_MEMORY;
    }
    for (uint32_t c = 0; c < LFH_NCLASS; c++)
        l->b[c].hdr = (lfh_class_bytes[c] - HHDR) | (c << LW0_CLASS_SHIFT) | LW0_BUSY | LW0_TAG;
    h->seg0.subs = subs;
    l->tab_entries = LFH_TAB_MIN;
    h->lfh_tab = t;
    h->lfh_mask = LFH_TAB_MIN - 1;
    if (h->lfh_tcs)
        h->lfh_tcs = l->tc;
    h->lfh_b = l->b;
    return 0;
}

/* ---- subsegment records, the map and the table ---- */

/* The record slot of the 64 KiB window c of segment s (which must have
 * records). */
static inline struct lsub *sub_slot(const struct hseg *s, uintptr_t c)
{
    return &s->subs[(c - s->base) >> LFH_CHUNK_SHIFT];
}

static struct lsub **tab_slot(struct heap *h, uintptr_t c)
{
    return (struct lsub **)&h->lfh_tab[(c >> LFH_CHUNK_SHIFT) & h->lfh_mask];
}

/* Rebuild the table with `entries` slots from the segments' lfh_maps.
 * The old table stays (a thread may still read it); returns 0, or -1 when
 * the meta area is used up (the old table stays in use).  Lock-free
 * readers (HeapFree through a thread cache) index the table with no lock,
 * so it is published filled, the table before its larger mask, and they
 * load the mask first (lfh_tab_sub): a new mask always comes with the new
 * table, an old mask indexes either table in bounds, and a slot that is
 * wrong for the address fails the chunk check (NULL: the slow path). */
static int tab_rebuild(struct heap *h, uint32_t entries)
{
    struct lsub **t = tab_new(h, entries);
    uint32_t collisions = 0;
    if (!t)
        return -1;
    for (struct hseg *s = h->segs; s; s = s->next) {
        uint32_t nchunks = (uint32_t)(s->span >> LFH_CHUNK_SHIFT);
        for (uint32_t i = 0; s->subs && i < nchunks; i++) {
            if (!((s->lfh_map[i >> 5] >> (i & 31)) & 1))
                continue;
            struct lsub **slot = &t[(s->subs[i].chunk >> LFH_CHUNK_SHIFT) & (entries - 1)];
            if (*slot != &lfh_no_sub)
                collisions++;
            else
                *slot = &s->subs[i];
        }
    }
    __atomic_store_n(&h->lfh_tab, t, __ATOMIC_RELEASE);
    __atomic_store_n(&h->lfh_mask, entries - 1, __ATOMIC_RELEASE);
    h->lfh->tab_entries = entries;
    h->lfh->collisions = collisions;
    return 0;
}

/* Enter sub; on a collision, double the table (up to LFH_TAB_MAX) until
 * it fits.  One that still collides is left out: its blocks are found
 * through lfh_map, on the slow paths. */
static void tab_insert(struct heap *h, struct lsub *sub)
{
    for (;;) {
        struct lsub **slot = tab_slot(h, sub->chunk);
        if (*slot == &lfh_no_sub) {
            *slot = sub;
            return;
        }
        if (*slot == sub)                   /* (a rebuild found it in the map) */
            return;
        if (h->lfh->tab_entries >= LFH_TAB_MAX || tab_rebuild(h, h->lfh->tab_entries * 2)) {
            h->lfh->collisions++;
            return;
        }
    }
}

static void tab_remove(struct heap *h, struct lsub *sub)
{
    struct lsub **slot = tab_slot(h, sub->chunk);
    if (*slot == sub)
        *slot = &lfh_no_sub;
    else if (h->lfh->collisions)
        h->lfh->collisions--;
}

static void map_set(struct hseg *s, uintptr_t c, int on)
{
    uint32_t i = (uint32_t)((c - s->base) >> LFH_CHUNK_SHIFT);
    if (on)
        s->lfh_map[i >> 5] |= 1u << (i & 31);
    else
        s->lfh_map[i >> 5] &= ~(1u << (i & 31));
}

/* ---- subsegments ---- */

/* The reserve's list (circular, newest at the head). */
static void reserve_push(struct hlfh *l, struct lsub *sub)
{
    if (l->empty) {
        sub->next = l->empty;
        sub->prev = l->empty->prev;
        sub->prev->next = sub;
        l->empty->prev = sub;
    } else {
        sub->next = sub->prev = sub;
    }
    l->empty = sub;
    l->nempty++;
    sub->state = LSUB_EMPTY;
}

static void reserve_unlink(struct hlfh *l, struct lsub *sub)
{
    if (sub->next == sub) {
        l->empty = NULL;
    } else {
        sub->prev->next = sub->next;
        sub->next->prev = sub->prev;
        if (l->empty == sub)
            l->empty = sub->next;
    }
    sub->next = sub->prev = NULL;
    l->nempty--;
}

/* (Re)start subsegment sub for class cls: nothing carved yet. */
static void sub_init(struct lsub *sub, uint32_t cls)
{
    uint32_t bsize = lfh_class_bytes[cls];
    sub->cls = (uint16_t)cls;
    sub->state = LSUB_ACTIVE;
    sub->bsize = bsize;
    sub->rcp = 0xFFFFFFFFu / bsize + 1;
    sub->nfree = sub->ncarved = 0;
    sub->nmax = (LFH_CHUNK - HHDR - LFH_FIRST) / bsize;
    sub->free = NULL;
    sub->next = sub->prev = NULL;
}

/* A subsegment for class cls: an empty one kept, else a new run from the
 * back end.  NULL when the back end has none. */
static struct lsub *sub_new(struct heap *h, uint32_t cls)
{
    struct hlfh *l = h->lfh;
    struct lsub *sub = l->empty;
    if (sub) {
        reserve_unlink(l, sub);
        l->drawn = l->tick;
    } else {
        struct hseg *s;
        int32_t st;
        uintptr_t c = (uintptr_t)hblock_alloc_chunk(h, &s, &st);
        if (!c)
            return NULL;
        /* The back end's free block may have left pages committed: the
         * committed prefix needs no commit (nor a count as uncommitted).
         * The first page is committed now if it is not: a subsegment's
         * first page always is (HeapWalk reports an entry there), even
         * one whose first carve finds no commit and waits on a list. */
        uint32_t p0 = (uint32_t)((c - s->base) >> HPAGE_SHIFT);
        uint32_t pe = bits_find(s->cmap, p0, p0 + (LFH_CHUNK >> HPAGE_SHIFT), 0);
        if (!s->subs || (pe == p0 && hseg_commit(h, s, c, c + HPAGE))) {
            /* (no records: a segment made before the front end) */
            if (hblock_free(h, s, (struct hblk *)(c - HHDR)))
                heap_corrupt(h);
            return NULL;
        }
        sub = sub_slot(s, c);
        sub->chunk = c;
        sub->commit_end = pe == p0 ? HPAGE : (pe - p0) << HPAGE_SHIFT;
        h->lfh_uncommitted += LFH_CHUNK - sub->commit_end;
        map_set(s, c, 1);
        tab_insert(h, sub);
        l->nsubs++;
    }
    sub_init(sub, cls);
    h->lfh_b[cls].nsubs++;
    return sub;
}

/* Return the empty subsegment sub (on no list) to the back end. */
static void sub_free(struct heap *h, struct lsub *sub)
{
    uintptr_t c = sub->chunk;
    struct hseg *s = hseg_find(h, c);
    map_set(s, c, 0);
    tab_remove(h, sub);
    sub->chunk = 0;
    sub->state = LSUB_FREE;
    h->lfh->nsubs--;
    h->lfh_uncommitted -= LFH_CHUNK - sub->commit_end;
    if (hblock_free(h, s, (struct hblk *)(c - HHDR)))
        heap_corrupt(h);
}

/* The empty subsegment sub (on no list) leaves its class: to the reserve,
 * or (keep = 0) back to the back end. */
static void sub_release(struct heap *h, struct lsub *sub, int keep)
{
    h->lfh_b[sub->cls].nsubs--;
    if (keep)
        reserve_push(h->lfh, sub);
    else
        sub_free(h, sub);
}

/* A back-end allocation went by (heap_bins.c): an idle reserve gives
 * back its oldest subsegment. */
void hlfh_reserve_tick(struct heap *h)
{
    struct hlfh *l = h->lfh;
    if (!l)
        return;
    l->tick++;
    if (l->nempty > LFH_KEEP_EMPTY && l->tick - l->drawn > LFH_RESERVE_IDLE) {
        struct lsub *old = l->empty->prev;
        reserve_unlink(l, old);
        sub_free(h, old);
    }
}

/* The back end is about to commit memory: it gets the reserve instead
 * (LFH_KEEP_EMPTY stay).  1 if anything was given. */
int hlfh_reserve_give(struct heap *h)
{
    struct hlfh *l = h->lfh;
    int given = 0;
    while (l && l->nempty > LFH_KEEP_EMPTY) {
        struct lsub *old = l->empty->prev;
        reserve_unlink(l, old);
        sub_free(h, old);
        given = 1;
    }
    return given;
}

static void partial_link(struct lbucket *b, struct lsub *sub)
{
    if (b->partial) {
        sub->next = b->partial;
        sub->prev = b->partial->prev;
        sub->prev->next = sub;
        b->partial->prev = sub;
    } else {
        sub->next = sub->prev = sub;
    }
    b->partial = sub;
    sub->state = LSUB_PARTIAL;
}

static void partial_unlink(struct lbucket *b, struct lsub *sub)
{
    if (sub->next == sub) {
        b->partial = NULL;
    } else {
        sub->prev->next = sub->next;
        sub->next->prev = sub->prev;
        if (b->partial == sub)
            b->partial = sub->next;
    }
    sub->next = sub->prev = NULL;
}

/* ---- carving ---- */

/* Header address of block i of sub. */
static inline uintptr_t sub_block(const struct lsub *sub, uint32_t i)
{
    return sub->chunk + LFH_FIRST + (uintptr_t)i * sub->bsize;
}

/* Write the free header of the block at b (class cls). */
static inline void blk_set_free(struct heap *h, struct lblk *b, uint32_t cls)
{
    uint32_t w0 = (cls << LW0_CLASS_SHIFT) | LW0_TAG;
    b->h.w0 = w0;
    b->h.w1 = w0 ^ lfh_key(h, b);
}

/* Carve up to a stretch of fresh blocks of sub onto the class's list:
 * at least one, as many as the committed pages hold (64 at most),
 * committing a stretch that doubles with what the subsegment already
 * uses up to LFH_COMMIT_MAX (so a lightly used class commits a page, a
 * busy one a few pages at a time: what is committed and not carved is
 * the class's last subsegment's slack, and every class has one).  Returns the number carved (0: none left, or no commit). */
static uint32_t sub_carve(struct heap *h, struct lbucket *b, struct lsub *sub)
{
    uint32_t left = sub->nmax - sub->ncarved;
    if (!left)
        return 0;
    uintptr_t c = sub->chunk, at = sub_block(sub, sub->ncarved);
    /* The first byte past the last carved block stays committed (so the
     * commit reaches beyond `need`): HeapWalk may report an entry there,
     * at the end of a busy block's unused tail. */
    uintptr_t need = at + sub->bsize;
    if (need >= c + sub->commit_end) {
        uintptr_t stretch = sub->commit_end < HPAGE ? HPAGE : sub->commit_end;
        if (stretch > LFH_COMMIT_MAX)
            stretch = LFH_COMMIT_MAX;
        uintptr_t hi = pg_up(need) + stretch;
        if (hi > c + LFH_CHUNK)
            hi = c + LFH_CHUNK;
        struct hseg *s = hseg_find(h, c);
        if (!s)
            return 0;
        if (hseg_commit(h, s, c + sub->commit_end, hi)) {
            hi = pg_up(need + 1);           /* short of commit: just this block */
            if (hseg_commit(h, s, c + sub->commit_end, hi))
                return 0;
        }
        h->lfh_uncommitted -= (uint32_t)(hi - c) - sub->commit_end;
        sub->commit_end = (uint32_t)(hi - c);
    }
    uint32_t n = (uint32_t)((c + sub->commit_end - at - 1) / sub->bsize);
    if (n > left)
        n = left;
    if (n > 64)
        n = 64;
    struct lblk *head = b->free;
    for (uint32_t i = n; i-- > 0;) {
        struct lblk *blk = (struct lblk *)(at + (uintptr_t)i * sub->bsize);
        blk_set_free(h, blk, sub->cls);
        blk->next = head;
        if (h->flags & HEAP_FREE_CHECKING_ENABLED)
            memset(blk + 1, HFILL_FREE, sub->bsize - sizeof *blk);
        head = blk;
    }
    b->free = head;
    sub->ncarved += n;
    return n;
}

/* Hand the class sub's own list (not empty). */
static void bucket_take_list(struct lbucket *b, struct lsub *sub)
{
    b->free = sub->free;
    sub->free = NULL;
    sub->nfree = 0;
}

/* The class's list is empty: refill it from its active subsegment's
 * freed blocks, else from the oldest partial subsegment, else with fresh
 * blocks carved from the active one (or a new one).  Blocks freed into
 * other subsegments go out before fresh ones are carved, so a class in
 * steady churn fills its holes instead of growing by whole subsegments
 * while its older ones sit nearly empty; the oldest partial (the list's
 * tail) has had the longest to collect freed blocks, so it refills the
 * list with the most.  An active subsegment left with room joins the
 * partial list at the head: carved once the holes are used.  0 when the
 * list has blocks again, else a status. */
static int32_t bucket_refill(struct heap *h, struct lbucket *b, uint32_t cls)
{
    struct lsub *sub = b->active;
    if (sub && sub->free) {
        bucket_take_list(b, sub);
        return 0;
    }
    for (;;) {
        if (b->partial) {
            struct lsub *p = b->partial->prev;
            partial_unlink(b, p);
            if (sub && sub->ncarved < sub->nmax)
                partial_link(b, sub);
            else if (sub)
                sub->state = LSUB_FULL;
            sub = p;
        } else if (!sub && !(sub = sub_new(h, cls))) {
            b->active = NULL;
            return HST_NO_MEMORY;
        }
        sub->state = LSUB_ACTIVE;
        b->active = sub;
        if (sub->free) {
            bucket_take_list(b, sub);
            return 0;
        }
        if (sub_carve(h, b, sub))
            return 0;
        if (sub->ncarved < sub->nmax)
            return HST_NO_MEMORY;           /* its pages cannot be committed */
        sub->state = LSUB_FULL;             /* (a partial with room only: carved to the end) */
        b->active = sub = NULL;
    }
}

/* ---- allocation and free (lock held) ---- */

/* Write the busy header of a block for `size` requested bytes. */
static inline void *blk_hand_out(struct heap *h, struct lblk *blk, uint32_t cls, size_t size)
{
    uint32_t w0 = (uint32_t)(lfh_class_bytes[cls] - HHDR - size) | (cls << LW0_CLASS_SHIFT) |
                  LW0_BUSY | LW0_TAG;
    blk->h.w0 = w0;
    blk->h.w1 = w0 ^ lfh_key(h, blk);
    return blk_data(&blk->h);
}

/* A free block of class cls off its class's list, refilled as needed
 * (which turns the class on if it was off); NULL when there is no
 * memory for it. */
struct lblk *hlfh_take(struct heap *h, uint32_t cls)
{
    struct lbucket *b = &h->lfh_b[cls];
    if (!b->free && bucket_refill(h, b, cls))
        return NULL;
    struct lblk *blk = b->free;
    b->free = blk->next;
    return blk;
}

/* A block of class cls for `size` bytes from the front end, or NULL when
 * the class is off (or cannot get memory): the caller asks the back end.
 * Counts the class's back-end allocations and turns it on at the
 * LFH_ACTIVATE-th.  Fills as the heap's checking options ask, not for
 * HEAP_ZERO_MEMORY (the caller's). */
void *hlfh_alloc(struct heap *h, uint32_t cls, size_t size)
{
    struct lbucket *b = &h->lfh_b[cls];
    if (!b->free && !b->active && !b->partial) {
        if (!h->lfh) {
            if (++h->lfh_small < LFH_ACTIVATE || lfh_setup(h))
                return NULL;
            b = &h->lfh_b[cls];
        }
        if (++b->allocs <= LFH_ACTIVATE)
            return NULL;
    }
    struct lblk *blk = hlfh_take(h, cls);
    if (!blk)
        return NULL;
    if (h->flags & HEAP_FREE_CHECKING_ENABLED) {
        const uint8_t *q = (const uint8_t *)(blk + 1), *e = (const uint8_t *)blk + lfh_class_bytes[cls];
        for (; q < e; q++)
            if (*q != HFILL_FREE) { /* written after free */
                heap_corrupt(h);
                break;
            }
    }
    void *p = blk_hand_out(h, blk, cls, size);
    if (h->flags & HEAP_FREE_CHECKING_ENABLED)
        memset(p, HFILL_BUSY, size);
    if (h->flags & HEAP_TAIL_CHECKING_ENABLED)
        memset((char *)p + size, HFILL_TAIL, lfh_class_bytes[cls] - HHDR - size);
    return p;
}

/* A block just went back onto sub's list and something changed: a full
 * subsegment becomes partial; one whose blocks are all back leaves its
 * class (unless it is the active one). */
void hlfh_free_transition(struct heap *h, struct lsub *sub)
{
    struct lbucket *b = &h->lfh_b[sub->cls];
    if (sub->state == LSUB_FULL)
        partial_link(b, sub);
    if (sub->nfree == sub->ncarved && sub->state == LSUB_PARTIAL) {
        partial_unlink(b, sub);
        sub_release(h, sub, 1);
    }
}

/* Put the free-state block blk back onto its subsegment sub's list. */
void hlfh_put(struct heap *h, struct lsub *sub, struct lblk *blk)
{
    blk->next = sub->free;
    sub->free = blk;
    if (++sub->nfree == sub->ncarved || sub->state == LSUB_FULL)
        hlfh_free_transition(h, sub);
}

/* Free the busy LFH block blk of sub (checked by the caller). */
void hlfh_free(struct heap *h, struct lsub *sub, struct lblk *blk)
{
    if (h->flags & HEAP_FREE_CHECKING_ENABLED)
        memset(blk + 1, HFILL_FREE, sub->bsize - sizeof *blk);
    blk->h.w0 ^= LW0_BUSY;                  /* (w1 = w0 ^ key holds on) */
    blk->h.w1 ^= LW0_BUSY;
    hlfh_put(h, sub, blk);
}

/* ---- finding a block from a pointer (the slow paths) ---- */

/* The record of the subsegment holding p, or NULL; *in says whether p
 * lies in a subsegment's window at all (then it is no back-end block,
 * valid or not).  Reads nothing before p is known to lie in a committed
 * page of one of h's subsegments. */
struct lsub *hlfh_sub_of(struct heap *h, const void *p, int *in)
{
    uintptr_t a = (uintptr_t)p, c = a & ~(uintptr_t)(LFH_CHUNK - 1);
    struct lsub *sub = lfh_tab_sub(h, p);
    *in = 0;
    if (!sub) {
        struct hseg *s = h->lfh ? hseg_find(h, a) : NULL;
        if (!s || !s->subs || c < s->base)
            return NULL;
        uint32_t i = (uint32_t)((c - s->base) >> LFH_CHUNK_SHIFT);
        if (!((s->lfh_map[i >> 5] >> (i & 31)) & 1))
            return NULL;
        sub = &s->subs[i];
    }
    *in = 1;
    if (sub->chunk != c || sub->cls >= LFH_NCLASS || sub->bsize != lfh_class_bytes[sub->cls] ||
        sub->commit_end > LFH_CHUNK || sub->state == LSUB_FREE)
        return NULL;
    return sub;
}

/* The busy LFH block whose payload is p, with its subsegment in *subp,
 * or NULL (*in as for hlfh_sub_of). */
struct lblk *hlfh_block(struct heap *h, const void *p, struct lsub **subp, int *in)
{
    struct lsub *sub = hlfh_sub_of(h, p, in);
    if (!sub)
        return NULL;
    uintptr_t a = (uintptr_t)p - HHDR, first = sub_block(sub, 0);
    if (a < first)
        return NULL;
    /* Block index by the reciprocal: exact for offsets below 64 KiB and
     * blocks below 32 KiB (offset * bsize < 2^32), two divisions saved
     * on every slow free and realloc. */
    uint32_t off = (uint32_t)(a - first), i = (uint32_t)(((uint64_t)off * sub->rcp) >> 32);
    if (off != i * sub->bsize || i >= sub->ncarved || a + sub->bsize > sub->chunk + sub->commit_end)
        return NULL;
    struct lblk *blk = (struct lblk *)a;
    uint32_t w0 = blk->h.w0;
    if ((w0 ^ blk->h.w1) != lfh_key(h, blk) || (w0 & (LW0_BUSY | LW0_TAGMASK)) != (LW0_BUSY | LW0_TAG) ||
        ((w0 >> LW0_CLASS_SHIFT) & 0xFF) != sub->cls || (w0 & LW0_UNUSED) > sub->bsize - HHDR)
        return NULL;
    *subp = sub;
    return blk;
}

/* Requested size of a busy LFH block (checked). */
size_t hlfh_size(const struct lsub *sub, const struct lblk *blk)
{
    return sub->bsize - HHDR - (blk->h.w0 & LW0_UNUSED);
}

/* With tail checking: the bytes from the requested end to the block's
 * end still hold HFILL_TAIL. */
int hlfh_tail_ok(const struct lsub *sub, const struct lblk *blk)
{
    const uint8_t *t = (const uint8_t *)blk + sub->bsize - (blk->h.w0 & LW0_UNUSED);
    for (uint32_t i = 0; i < (blk->h.w0 & LW0_UNUSED); i++)
        if (t[i] != HFILL_TAIL)
            return 0;
    return 1;
}

/* HeapReAlloc in place: the block keeps its class when `size` (plus the
 * tail check's granule) fits it; with `shrink_ok` only (no IN_PLACE_ONLY)
 * a request that a smaller class would hold moves instead.  1 if done. */
int hlfh_resize(struct heap *h, struct lsub *sub, struct lblk *blk, size_t size, int may_move)
{
    size_t need = size + ((h->flags & HEAP_TAIL_CHECKING_ENABLED) ? HG : 0);
    if (need > sub->bsize - HHDR)
        return 0;
    if (may_move && (need > LFH_MAX_REQUEST || lfh_class(need) < sub->cls) &&
        need + HHDR < sub->bsize / 2)
        return 0;                           /* (moves to where it wastes less) */
    blk_hand_out(h, blk, sub->cls, size);
    return 1;
}

/* ---- HeapCompact, statistics ---- */

/* The front end holds nothing (no subsegment; the thread caches were
 * flushed): give its memory back and start over, classes off, as in a
 * new heap.  The caller holds the heap exclusively. */
static void lfh_teardown(struct heap *h)
{
    struct hlfh *l = h->lfh;
    uintptr_t base = l->meta_base, end = base + l->meta_used;
    h->lfh = NULL;
    h->lfh_b = lfh_off_buckets;
    h->lfh_tab = lfh_off_tab;
    h->lfh_mask = 0;
    if (h->lfh_tcs)
        h->lfh_tcs = lfh_off_tcs;
    h->lfh_small = 0;
    h->seg0.subs = NULL;
    hseg_decommit(h, &h->seg0, base, pg_up(end));
}

/* Give back what the front end holds unused: each class's list goes back
 * to its subsegment, every subsegment whose blocks are all back and every
 * kept empty one returns to the back end; with none left, the front
 * end's own memory too.  Exclusive (thread caches flushed first). */
void hlfh_compact(struct heap *h)
{
    struct hlfh *l = h->lfh;
    if (!l)
        return;
    for (uint32_t cls = 0; cls < LFH_NCLASS; cls++) {
        struct lbucket *b = &l->b[cls];
        struct lsub *sub = b->active;
        if (!sub)
            continue;
        while (b->free) {
            struct lblk *blk = b->free;
            b->free = blk->next;
            blk->next = sub->free;
            sub->free = blk;
            sub->nfree++;
        }
        b->active = NULL;
        partial_link(b, sub);
        if (sub->nfree == sub->ncarved) {
            partial_unlink(b, sub);
            sub_release(h, sub, 0);
        }
    }
    while (l->empty) {
        struct lsub *sub = l->empty;
        reserve_unlink(l, sub);
        sub_free(h, sub);
    }
    if (!l->nsubs)
        lfh_teardown(h);
}
