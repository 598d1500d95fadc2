/* Private to the heap engine (the .c files in mm/heap/): block layout,
 * segments, bins, and the entry points the engine's files share.
 *
 *   heap_create.c   HeapCreate, HeapDestroy
 *   heap_lock.c     the heap lock (one atomic uncontended), HeapLock/HeapUnlock
 *   heap_front.c    HeapAlloc, HeapFree and their fast paths, failure
 *                   reporting
 *   heap_lfh.c      the low-fragmentation front end: size classes,
 *                   subsegments, activation, the reserve of emptied
 *                   subsegments
 *   heap_quick.c    the quick lists (the standard heap's front end)
 *   heap_bins.c     the back end: TLSF bins, split and coalesce, giving
 *                   pages back; HeapCompact
 *   heap_realloc.c  HeapReAlloc
 *   heap_segment.c  segments and their commit bitmaps
 *   heap_large.c    large blocks and realloc regions (own reservations)
 *   heap_tcache.c   the front end's per-thread caches (SMP platforms)
 *   heap_info.c     HeapQueryInformation / HeapSetInformation
 *   heap_walk.c     HeapWalk
 *   heap_check.c    the validator, statistics, HeapValidate, HeapSize
 *   heap_lfh_check.c  the validator's view of the front end
 *
 * Names: what one file keeps is static with a noun prefix (quick_park,
 * bins_find); what the files share is h<noun>_<verb> (hseg_commit,
 * hblock_free, hquick_flush) or a static inline helper here.  Only this
 * header, heap.h and heap_os.h are included: nothing from kernel/ or
 * libc/user, so the same files build for the kernel, ring 3 and the host.
 *
 * A heap is a list of segments (reservations) plus a list of large blocks
 * (one reservation each).  The heap structure itself sits at the base of
 * the first segment, so the handle is that region's base (spec item 65).
 *
 *   segment: [struct hseg or struct heap][commit bitmap][blocks ... ]
 *   block:   [8-byte header][payload], payload 8-aligned on x86 and
 *            16-aligned on x86-64 (MEMORY_ALLOCATION_ALIGNMENT); sizes are
 *            counted in granules of that alignment.
 *
 * Header (two little-endian 32-bit words, the same on both builds):
 *   w0  [0,22) size in granules | BUSY | LAST | DECOMMIT | [25,31) unused bytes
 *   w1  [0,22) previous block's size in granules (0: first in segment) |
 *       QUICK (bit 23) | [24,32) check
 * "unused" is payload minus requested size, so HeapSize is exact; "check"
 * is a byte sum of the rest of the header (QUICK aside, so parking a
 * block is one bit flip) xor a per-heap cookie, so a foreign, interior or
 * corrupted header is caught before it is believed.
 *
 * Block states: busy (BUSY); parked on a quick list (BUSY + QUICK: free for
 * the caller, busy for coalescing: the O(1) front end); free (in a TLSF
 * bin, coalesced with its neighbours).  Free blocks live in two bin sets:
 * fully committed ones, used first, and DECOMMIT ones, some of whose
 * interior pages
 * may be decommitted (the per-segment commit bitmap says which).  Pages
 * holding a header, a free block's links or a busy block are committed. */
#ifndef MM_HEAP_PRIVATE_H
#define MM_HEAP_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "heap.h"
#include "heap_os.h"

/* Windows values (winnt.h), so the engine needs no Windows header. */
#ifndef HEAP_NO_SERIALIZE
#define HEAP_NO_SERIALIZE 0x00000001
#define HEAP_GROWABLE 0x00000002
#define HEAP_GENERATE_EXCEPTIONS 0x00000004
#define HEAP_ZERO_MEMORY 0x00000008
#define HEAP_REALLOC_IN_PLACE_ONLY 0x00000010
#define HEAP_TAIL_CHECKING_ENABLED 0x00000020
#define HEAP_FREE_CHECKING_ENABLED 0x00000040
#define HEAP_DISABLE_COALESCE_ON_FREE 0x00000080
#define HEAP_CREATE_ENABLE_EXECUTE 0x00040000
#endif
#ifndef PROCESS_HEAP_REGION
#define PROCESS_HEAP_REGION 0x0001
#define PROCESS_HEAP_UNCOMMITTED_RANGE 0x0002
#define PROCESS_HEAP_ENTRY_BUSY 0x0004
#endif

/* NTSTATUS values (ntstatus.h) the engine reports. */
#define HST_OK 0
#define HST_UNSUCCESSFUL ((int32_t)0xC0000001u)
#define HST_NO_MORE_ENTRIES ((int32_t)0x8000001Au)
#define HST_ACCESS_VIOLATION ((int32_t)0xC0000005u)
#define HST_INVALID_PARAMETER ((int32_t)0xC000000Du)
#define HST_NO_MEMORY ((int32_t)0xC0000017u)
#define HST_HEAP_CORRUPTION ((int32_t)0xC0000374u)

/* ---- geometry ---- */
#if __SIZEOF_POINTER__ == 8
#define HG_SHIFT 4
#else
#define HG_SHIFT 3
#endif
#define HG (1u << HG_SHIFT)                 /* granule = MEMORY_ALLOCATION_ALIGNMENT */
#define HHDR 8u                             /* block header */
#define HMETA (HHDR + 2 * sizeof(void *))   /* header + free-list links */
#define HMIN_G ((uint32_t)((HMETA + HG - 1) / HG))
#define HMAX_G 0x003FFFFFu                  /* largest block, in granules */
#define HPAGE HEAP_OS_PAGE
#define HPAGE_SHIFT 12

#define HEAP_LARGE_THRESHOLD 0x7F000u       /* growable: requests >= go to own region (item 88) */
#define HEAP_FIXED_LIMIT 0x7FFF8u           /* fixed-size heaps: requests must be below (item 86) */
#define HEAP_MAX_REQUEST 0x7FFFFFFFu        /* requests above fail at once (item 72) */
#define HEAP_DEFAULT_RESERVE 0x100000u      /* growable heaps reserve at least 1 MiB */
#if __SIZEOF_POINTER__ == 8
#define HEAP_SEG_MAX (64u << 20)            /* growth: segment sizes double up to this */
#else
#define HEAP_SEG_MAX (16u << 20)
#endif
#define HEAP_MAX_SEGS 64
#ifndef HEAP_COMMIT_AHEAD
#define HEAP_COMMIT_AHEAD 0x10000u          /* commit this much beyond a carve from fresh space */
#endif
#ifndef HEAP_DECOMMIT_BLOCK
#define HEAP_DECOMMIT_BLOCK 0x10000u        /* the trim gives back free blocks this big */
#endif
#ifndef HEAP_DECOMMIT_FREE_MIN              /* free committed memory a heap keeps: this much ... */
#define HEAP_DECOMMIT_FREE_MIN (__SIZEOF_POINTER__ == 8 ? 0x100000u : 0x40000u)
#endif
#ifndef HEAP_DECOMMIT_SHIFT
#define HEAP_DECOMMIT_SHIFT 1               /* ... or half its busy bytes, whichever is more */
#endif
#ifndef HEAP_QUICK_BLOCK
#define HEAP_QUICK_BLOCK 1024u              /* quick lists: blocks up to this size */
#endif
#define HQUICK_MAX_G (HEAP_QUICK_BLOCK >> HG_SHIFT)
#define HQUICK_MAX_REQ (HEAP_QUICK_BLOCK - HHDR)
#ifndef HQUICK_SPILL
#define HQUICK_SPILL (HG == 8 ? 4u : 2u) /* a miss may take a block this many granules bigger */
#endif

#define HEAP_QUICK_MIN 0x40000u             /* quick lists may always hold this much */
#define HEAP_QUICK_WINDOW 0x40000u          /* pushes per budget window (a power of 2) */
#define HEAP_QUICK_FLUSH 64u                /* quick blocks coalesced per step */
#define HEAP_QUICK_FLUSH_GROW 256u          /* ... before a heap commits more */
#ifndef HEAP_REALLOC_REGION
#define HEAP_REALLOC_REGION 0x8000u         /* realloc growth to this moves to an own region */
#endif

#define HEAP_CHECKING (HEAP_TAIL_CHECKING_ENABLED | HEAP_FREE_CHECKING_ENABLED)
#define HEAP_I_TCACHE 0x08000000u           /* internal, in h->flags: per-thread caches */
/* Flags (the call's or'ed with the heap's) that keep a call off the
 * lock's fast path (heap_front.c). */
#define HEAP_OFF_LOCK_FAST (HEAP_ZERO_MEMORY | HEAP_CHECKING | HEAP_NO_SERIALIZE | HEAP_I_TCACHE)
#ifndef HEAP_LFH_DEFAULT
#define HEAP_LFH_DEFAULT 1                  /* build-time: 0 creates every heap standard */
#endif
#define HFILL_FREE 0xFEu                    /* free payload (0xFEEEFEEE style) */
#define HFILL_TAIL 0xABu                    /* bytes past the requested size */
#define HFILL_BUSY 0xBAu                    /* fresh, not-zeroed allocations when checking */

/* w0 */
#define W0_SIZE 0x003FFFFFu
#define W0_BUSY (1u << 22)
#define W0_LAST (1u << 23)
#define W0_DECOMMIT (1u << 24)
#define W0_UNUSED_SHIFT 25
#define W0_UNUSED_MASK 0x3Fu
/* w1 */
#define W1_PREV 0x003FFFFFu
#define W1_SUBSEG (1u << 22)                /* busy block holding an LFH subsegment */
#define W1_QUICK (1u << 23)

_Static_assert(HMIN_G == 2, "minimum block is two granules");
_Static_assert(HG - 1 + HG * (HMIN_G - 1) + HG <= W0_UNUSED_MASK, "unused bytes fit in 6 bits");
_Static_assert(HG - 1 + HG * HQUICK_SPILL <= W0_UNUSED_MASK, "quick spill fits the unused bytes");

struct hblk {
    uint32_t w0, w1;
};
struct fblk {                               /* free block: in a bin */
    struct hblk h;
    struct fblk *next, *prev;
};
struct qblk {                               /* parked block: on a quick list */
    struct hblk h;
    struct qblk *next;
};
_Static_assert(sizeof(struct hblk) == HHDR, "8-byte block header");

/* A segment: one reservation holding blocks from `lo` to `lo + len`
 * (a fixed heap's blocks stop at its maximum, short of the reservation's
 * end, which is rounded to the granularity). */
struct hseg {
    uintptr_t base;                         /* reservation base */
    size_t span;                            /* reserved bytes */
    uintptr_t lo;                           /* first block header */
    size_t len;                             /* bytes of blocks */
    size_t committed;                       /* committed bytes (bits set in cmap) */
    uint32_t *cmap;                         /* one bit per page, 1 = committed */
    uint32_t *lfh_map;                      /* one bit per 64 KiB of span: an LFH subsegment's
                                               payload starts there (authoritative) */
    struct lsub *subs;                      /* their records, one slot per 64 KiB (LFH heaps) */
    uint32_t npages, index;                 /* index: 0 for the first segment, then in order */
    struct hseg *next;                      /* the heap's list, newest first */
};

/* A large block: its own reservation; the user pointer is base + HLARGE.
 * The heap's large blocks form a treap by address (heap_large.c), with
 * priorities hashed from the address: lookups in O(log n). */
struct hlarge {
    struct hlarge *left, *right;
    size_t reserve;                         /* reserved bytes */
    size_t commit;                          /* committed bytes from base */
    size_t size;                            /* requested size */
    uint32_t magic;
};
#define HLARGE (__SIZEOF_POINTER__ == 8 ? 64u : 32u)
_Static_assert(sizeof(struct hlarge) + HHDR <= HLARGE, "large header fits");

/* TLSF bins: first level by power of two, 16 linear second levels for
 * the committed set; the DECOMMIT set has one list per first level (its
 * blocks are few and big: the tails of segments, the trim's leftovers).
 * The tables follow struct heap in the first page, sized to the heap's
 * largest block (a 128 KiB fixed heap needs 10 first levels, not 19). */
#define SL_LOG2 4
#define SL_COUNT (1u << SL_LOG2)
#define FL_COUNT 19                         /* blocks up to HMAX_G granules */

/* The heap lock (heap_lock.c): word 0 free, 1 held, 2 held and waited
 * for; owner/depth for the holder that took it through hlock_acquire. */
struct hlock {
    volatile uint32_t word;
    uint32_t depth;
    volatile uintptr_t owner;
    uint32_t spin;                          /* polls of a held word before sleeping */
    heap_os_lock os;
};
#define HLOCK_SPIN 200u                     /* (several CPUs: a holder is about to let go) */

#define HRCACHE 4                           /* realloc regions kept after free */
#define HLARGE_HINTS 32                     /* large-block lookup hints (a power of 2) */
#define HSEG_CACHE 8                        /* segment lookup cache, by 1 MiB of address */

struct heap {
    /* hot: the fast paths touch only these */
    uint32_t flags;                         /* creation options */
    uint32_t cookie;                        /* header check key */
    uint32_t lfh_cookie;                    /* cookie ^ LFH_SALT: the LFH header key */
    struct lbucket *lfh_b;                  /* the size classes (a static, empty set until
                                               the front end has its memory) */
    struct lsub *const *lfh_tab;            /* subsegment table: records by address bits 16+ */
    uintptr_t lfh_mask;                     /* its index mask */
    struct ltc *const *lfh_tcs;             /* thread caches by slot (a static, empty set
                                               until the front end has its memory) */
    volatile uint32_t lfh_excl;             /* a thread holds the heap exclusively: the
                                               thread caches stay out (heap_tcache.c) */
    uint32_t quick_max_g;                   /* 0: no quick lists (checking, fixed, LFH heaps) */
    uint32_t quick_tick;                    /* pushes, for the budget windows */
    size_t quick_bytes;                     /* bytes parked on quick lists */
    size_t quick_budget;                    /* ... may not exceed this */
    size_t quick_pops;                      /* pops in the current window */
    struct qblk **quick;                    /* [quick_max_g + 1] heads, after the bins */
    struct hseg *seg_cache[HSEG_CACHE][2];  /* two ways: a MiB may hold two segments */
    /* back end */
    size_t busy_bytes;                      /* bytes of busy blocks, parked ones included */
    size_t lfh_uncommitted;                 /* ... of which subsegment pages not committed yet */
    uint32_t fl_map[2];                     /* [0] committed bins, [1] DECOMMIT bins */
    uint32_t nfl;                           /* first levels in the tables */
    uint16_t sl_map[FL_COUNT];              /* committed set only */
    struct fblk *(*bins)[SL_COUNT];         /* [nfl][SL_COUNT] committed free blocks */
    struct fblk **dbins;                    /* [nfl] free blocks with decommitted pages */
    /* cold */
    uint32_t magic;
    uint32_t os_flags;
    size_t maximum;                         /* fixed-size heap: usable bytes from the base
                                               (the page-rounded maximum); 0 growable */
    size_t committed, peak_committed, reserved;
    size_t large_committed;                 /* committed bytes of large blocks */
    size_t seg_next;                        /* span of the next segment */
    uint32_t nsegs;
    uint32_t corruptions;                   /* found outside heap_check (e.g. on reuse) */
    uint32_t flush_cls;                     /* quick list the next flush starts at */
    struct hseg *segs;                      /* newest first; seg0 last */
    struct hlarge *large;                   /* the treap's root */
    struct hlarge **large_hint;             /* [HLARGE_HINTS] live large blocks by address
                                               bits 16+, hlarge_find's first look (growable
                                               heaps; NULL: none) */
    size_t nlarge;
    struct hlarge *rcache[HRCACHE];         /* freed realloc regions kept for reuse */
    size_t rcache_commit;                   /* committed bytes held there */
    uint32_t lfh_mode;                      /* HeapCompatibilityInformation: 0 or 2 */
    uint32_t lfh_small;                     /* small back-end allocations before the meta */
    size_t lfh_meta;                        /* bytes at the end of seg0 for the front end */
    struct hlfh *lfh;                       /* NULL until the first class turns on */
    struct hlock lock;
    struct hseg seg0;
};


#define HEAP_MAGIC 0x48656170u              /* "Heap" */
#define HLARGE_MAGIC 0x4C617267u            /* "Larg" */

/* ---- headers ---- */
static inline uint32_t hdr_sum(const struct heap *h, uint32_t w0, uint32_t w1)
{
    uint32_t x = w0 ^ ((w1 << 8) & 0x7FFFFFFFu) ^ h->cookie; /* QUICK and check left out */
    return (x * 0x01010101u) >> 24;
}
static inline int hdr_ok(const struct heap *h, uint32_t w0, uint32_t w1)
{
    return hdr_sum(h, w0, w1) == (w1 >> 24);
}
static inline void hdr_set(const struct heap *h, struct hblk *b, uint32_t w0, uint32_t w1)
{
    b->w0 = w0;
    b->w1 = (w1 & 0x00FFFFFFu) | (hdr_sum(h, w0, w1) << 24);
}
static inline uint32_t blk_g(const struct hblk *b) { return b->w0 & W0_SIZE; }
static inline struct hblk *blk_at(uintptr_t a) { return (struct hblk *)a; }
static inline struct hblk *blk_next(const struct hblk *b)
{
    return blk_at((uintptr_t)b + ((size_t)blk_g(b) << HG_SHIFT));
}
static inline void *blk_data(struct hblk *b) { return (char *)b + HHDR; }
static inline size_t blk_req(const struct hblk *b)
{
    return ((size_t)blk_g(b) << HG_SHIFT) - HHDR - ((b->w0 >> W0_UNUSED_SHIFT) & W0_UNUSED_MASK);
}
static inline void blk_set_prev(const struct heap *h, struct hblk *n, uint32_t g)
{
    hdr_set(h, n, n->w0, (n->w1 & ~W1_PREV) | g);
}

/* Bytes -> granules for a block whose payload holds `n` bytes. */
static inline uint32_t bytes_to_g(size_t n)
{
    uint32_t g = (uint32_t)((n + HHDR + HG - 1) >> HG_SHIFT);
    return g < HMIN_G ? HMIN_G : g;
}

static inline uintptr_t pg_down(uintptr_t a) { return a & ~(uintptr_t)(HPAGE - 1); }
static inline uintptr_t pg_up(uintptr_t a) { return (a + HPAGE - 1) & ~(uintptr_t)(HPAGE - 1); }

/* ---- commit bitmap ---- */
static inline int seg_page_committed(const struct hseg *s, uintptr_t a)
{
    uint32_t i = (uint32_t)((a - s->base) >> HPAGE_SHIFT);
    return (s->cmap[i >> 5] >> (i & 31)) & 1;
}
/* First page index in [i, end) whose bit equals val; end if none. */
static inline uint32_t bits_find(const uint32_t *m, uint32_t i, uint32_t end, int val)
{
    while (i < end) {
        uint32_t w = val ? m[i >> 5] : ~m[i >> 5];
        w &= ~0u << (i & 31);
        if (w) {
            uint32_t r = (i & ~31u) + (uint32_t)__builtin_ctz(w);
            return r < end ? r : end;
        }
        i = (i & ~31u) + 32;
    }
    return end;
}
/* Are all pages overlapping [lo, hi) committed? */
static inline int seg_range_committed(const struct hseg *s, uintptr_t lo, uintptr_t hi)
{
    uint32_t p0 = (uint32_t)((lo - s->base) >> HPAGE_SHIFT);
    uint32_t p1 = (uint32_t)((hi - 1 - s->base) >> HPAGE_SHIFT) + 1;
    if (p1 - p0 <= 2) /* the common case: a block within a page or two */
        return ((s->cmap[p0 >> 5] >> (p0 & 31)) & (s->cmap[(p1 - 1) >> 5] >> ((p1 - 1) & 31)) & 1) != 0;
    return bits_find(s->cmap, p0, p1, 0) == p1;
}

/* ---- bins ---- */
static inline unsigned fls32(uint32_t x) { return 31u - (unsigned)__builtin_clz(x); }
static inline void bin_index(uint32_t g, unsigned *fl, unsigned *sl)
{
    if (g < SL_COUNT) {
        *fl = 0;
        *sl = g;
    } else {
        unsigned f = fls32(g);
        *fl = f - (SL_LOG2 - 1);
        *sl = (g >> (f - SL_LOG2)) ^ SL_COUNT;
    }
}

/* Bin set of a free block: committed ones are used first. */
static inline unsigned bin_set(const struct fblk *b) { return (b->h.w0 & W0_DECOMMIT) ? 1 : 0; }

/* The list head of bin (k, fl, sl): set 1 keeps one list per first level. */
static inline struct fblk **bin_slot(struct heap *h, unsigned k, unsigned fl, unsigned sl)
{
    return k ? &h->dbins[fl] : &h->bins[fl][sl];
}

/* Bin lists are circular and doubly linked: head->prev is the tail (the
 * oldest entry, since blocks go in at the head). */
static inline void bin_insert(struct heap *h, struct fblk *b)
{
    unsigned fl, sl, k = bin_set(b);
    bin_index(blk_g(&b->h), &fl, &sl);
    struct fblk **slot = bin_slot(h, k, fl, sl), *head = *slot;
    if (head) {
        b->next = head;
        b->prev = head->prev;
        head->prev->next = b;
        head->prev = b;
    } else {
        b->next = b->prev = b;
    }
    *slot = b;
    h->fl_map[k] |= 1u << fl;
    if (!k)
        h->sl_map[fl] |= (uint16_t)(1u << sl);
}
/* The links around b agree (checked before anything is changed). */
static inline int bin_unlink_ok(struct heap *h, const struct fblk *b)
{
    if (b->next != b)
        return b->next->prev == b && b->prev->next == b;
    unsigned fl, sl;
    bin_index(blk_g(&b->h), &fl, &sl);
    return b->prev == b && fl < h->nfl && *bin_slot(h, bin_set(b), fl, sl) == b;
}
static inline void bin_unlink(struct heap *h, struct fblk *b)
{
    unsigned fl, sl, k = bin_set(b);
    bin_index(blk_g(&b->h), &fl, &sl);
    struct fblk **slot = bin_slot(h, k, fl, sl);
    if (b->next == b) {
        *slot = NULL;
        if (k)
            h->fl_map[1] &= ~(1u << fl);
        else if (!(h->sl_map[fl] &= (uint16_t)~(1u << sl)))
            h->fl_map[0] &= ~(1u << fl);
    } else {
        b->prev->next = b->next;
        b->next->prev = b->prev;
        if (*slot == b)
            *slot = b->next;
    }
}

/* The segment holding block address a, or NULL: a two-way cache by MiB
 * of address, checked by range, then the list. */
struct hseg *hseg_find_slow(struct heap *h, uintptr_t a);
static inline struct hseg *hseg_cached(struct heap *h, uintptr_t a)
{
    struct hseg **e = h->seg_cache[(a >> 20) & (HSEG_CACHE - 1)];
    if (e[0] && a - e[0]->lo < e[0]->len)
        return e[0];
    if (e[1] && a - e[1]->lo < e[1]->len)
        return e[1];
    return NULL;
}
static inline struct hseg *hseg_find(struct heap *h, uintptr_t a)
{
    struct hseg *s = hseg_cached(h, a);
    return __builtin_expect(s != NULL, 1) ? s : hseg_find_slow(h, a);
}

/* ---- the low-fragmentation front end (heap_lfh.c) ----
 *
 * Size classes: a block (8-byte header + payload) of every granule size
 * up to 128 bytes, then 8 classes per power of two (2^e + k * 2^(e-3)):
 * a request above 64 bytes (x86; 120 on x86-64, where 16-byte alignment
 * rules below that) wastes less than 12.5% of itself.  The last class
 * holds 16 KiB requests (LFH_MAX_REQUEST).
 *
 * A subsegment is a busy back-end block (W1_SUBSEG) whose payload starts
 * on a 64 KiB boundary C and ends 8 bytes short of the next one (where
 * the next block's header sits), so subsegments can follow each other;
 * its blocks are carved from C + LFH_FIRST on, its pages committed as
 * they are carved, a stretch at a time:
 *
 *   C-8            C (+8 on x86-64)                       C+64K-8
 *   [back-end hdr] [hdr|payload][hdr|payload] ...         [next hdr]
 *
 * Its record (struct lsub) is not in it but in an array with one slot
 * per 64 KiB of its segment: the first segment's in the front end's
 * memory (the last bytes of its reservation), a later segment's after
 * its struct hseg.  A direct-mapped table (by address bits 16 and up)
 * gives a block's record in a few instructions; the per-segment lfh_map
 * says authoritatively which 64 KiB windows are subsegments.
 *
 * LFH block header (two 32-bit words):
 *   w0  [0,16) unused bytes | [16,24) class | bit 24 busy | [25,32) tag 0x2D
 *   w1  w0 ^ key(b), key(b) = heap cookie ^ salt ^ address of the header
 * so one compare checks the whole header against its place and heap.  A
 * free block has the busy bit clear in both words (still w1 = w0 ^ key)
 * and its payload starts with the link of the list it is on. */
#define LFH_CHUNK_SHIFT 16
#define LFH_CHUNK (1u << LFH_CHUNK_SHIFT)
#define LFH_FIRST (HG - HHDR)               /* C to the first block's header */
#define LFH_MAX_REQUEST 16384u
#define LFH_ACTIVATE 16u                    /* back-end allocations of a class before it turns on */
#define LFH_META_MIN (__SIZEOF_POINTER__ == 8 ? 0x20000u : 0x10000u) /* end of seg0, at least */
#define LFH_LIN_BYTES 128u                  /* granule classes up to this block size */
#define LFH_NLIN (LFH_LIN_BYTES / HG - HMIN_G + 1)
#define LFH_NCLASS (LFH_NLIN + 7 * 8 + 1)   /* ... then 8 a power of two up to 2^14 + 2^11 */
#define LFH_NG (18432u / HG + 1)            /* class table entries: block granules up to the last class */
#define LFH_TAB_MIN 512u                    /* subsegment table entries at first ... */
#define LFH_TAB_MAX 4096u                   /* ... doubled on a collision up to this */
#define LFH_COMMIT_MAX 0x4000u             /* a subsegment commits at most this much ahead */
#define LFH_KEEP_EMPTY 2u                   /* empty subsegments kept for good ... */
#define LFH_RESERVE_IDLE 64u                /* ... the rest until this many back-end
                                               allocations pass without one being reused */

#define LW0_UNUSED 0x0000FFFFu
#define LW0_CLASS_SHIFT 16
#define LW0_BUSY (1u << 24)
#define LW0_TAG (0x2Du << 25)
#define LW0_TAGMASK (0x7Fu << 25)
#define LFH_SALT 0x4C464821u                /* "LFH!" */

extern const uint8_t lfh_class_of_g[LFH_NG];    /* block granules -> class */
extern const uint32_t lfh_class_bytes[LFH_NCLASS]; /* class -> block bytes */

/* A block on a free list (a class's, a subsegment's). */
struct lblk {
    struct hblk h;
    struct lblk *next;
};

enum { LSUB_FREE = 0, LSUB_ACTIVE, LSUB_PARTIAL, LSUB_FULL, LSUB_EMPTY };

/* A subsegment's record, one cache line.  Carved blocks are busy, on
 * the class's list (the active subsegment's), or back on this
 * subsegment's own list (nfree of them): all are back when nfree ==
 * ncarved.  chunk is C while the record is in use, else 1. */
struct lsub {
    uintptr_t chunk;
    struct lblk *free;
    uint32_t nfree, ncarved;
    uint32_t nmax, bsize;                   /* blocks that fit, block bytes */
    uint16_t cls, state;
    uint32_t commit_end;                    /* offset from C committed so far */
    uint32_t rcp;                           /* ceil(2^32 / bsize): offset / bsize by a multiply */
    struct lsub *next, *prev;               /* the class's partial list / the empty list */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct lsub) == 64, "a subsegment record is one cache line");
#define LSUB_BYTES ((uint32_t)sizeof(struct lsub))

/* A size class (a power-of-two size: the fast paths index by shifting). */
struct lbucket {
    struct lblk *free;                      /* blocks of `active` ready to hand out */
    uint32_t hdr;                           /* busy header w0 for a request of 0 bytes */
    uint32_t allocs;                        /* back-end allocations while off */
    struct lsub *active;                    /* NULL: the class is off */
    struct lsub *partial;                   /* others with free blocks (circular) */
    uint32_t nsubs;                         /* subsegments of this class */
} __attribute__((aligned(__SIZEOF_POINTER__ == 8 ? 64 : 32)));

/* A thread's cache of one heap's front end (heap_tcache.c): a few free
 * blocks per class, taken from and given back to the classes under the
 * lock, handed out and taken back without it. */
struct ltc_list {
    struct lblk *free;
    uint32_t n, max;                        /* blocks on it; flushed beyond max */
    uint32_t hdr;                           /* the class's busy header for 0 bytes */
};
struct ltc {
    volatile uint32_t busy;                 /* 1 while its thread is in a fast path */
    uint32_t slot;
    struct ltc_list c[LFH_NCLASS];
};

/* The front end's own memory: the last bytes of the first segment's
 * reservation (h->lfh_meta of them), committed as it grows: this, the
 * first segment's subsegment records, the subsegment tables. */
struct hlfh {
    uint32_t magic;
    uint32_t tab_entries;
    size_t meta_used;                       /* bytes of the meta area handed out */
    uintptr_t meta_base;
    struct lsub *empty;                     /* the reserve: empty subsegments, newest first
                                               (circular; empty->prev is the oldest) */
    uint32_t nempty, nsubs;
    uint32_t tick, drawn;                   /* back-end allocations; tick of the reserve's
                                               last use */
    uint32_t collisions;                    /* subsegments the table could not hold */
    uint32_t ntc;                           /* thread caches made */
    struct lbucket b[LFH_NCLASS];
    struct ltc *tc[HEAP_OS_THREAD_SLOTS];   /* by heap_os_thread_slot() */
};
#define HLFH_MAGIC 0x4C464821u

extern struct lsub lfh_no_sub;              /* the empty table slots' record (chunk 1), never written */

/* The size class of a request of n bytes (n <= LFH_MAX_REQUEST). */
static inline uint32_t lfh_class(size_t n)
{
    return lfh_class_of_g[(n + HHDR + HG - 1) >> HG_SHIFT];
}
static inline uint32_t lfh_key(const struct heap *h, const void *b)
{
    return h->lfh_cookie ^ (uint32_t)(uintptr_t)b;
}
/* The record of the subsegment holding p by the fast table, or NULL (the
 * table may miss one: hlfh_sub_of asks the segments). */
static inline struct lsub *lfh_tab_sub(const struct heap *h, const void *p)
{
    uintptr_t a = (uintptr_t)p, m = __atomic_load_n(&h->lfh_mask, __ATOMIC_ACQUIRE); /* first: tab_rebuild */
    struct lsub *sub = h->lfh_tab[(a >> LFH_CHUNK_SHIFT) & m];
    return sub->chunk == (a & ~(uintptr_t)(LFH_CHUNK - 1)) ? sub : NULL;
}
/* The same for a pointer the caller hands in (HeapFree's fast path): the
 * record, only if p is granule-aligned and the header in front of it is
 * in the subsegment's committed part, so it can be read. */
static inline struct lsub *lfh_tab_block(const struct heap *h, const void *p)
{
    uintptr_t a = (uintptr_t)p, m = __atomic_load_n(&h->lfh_mask, __ATOMIC_ACQUIRE); /* first: tab_rebuild */
    struct lsub *sub = h->lfh_tab[(a >> LFH_CHUNK_SHIFT) & m];
    uintptr_t off = a - sub->chunk;
    return off < sub->commit_end && !(off & (HG - 1)) ? sub : NULL;
}

/* The header (w0, w1) of the LFH block whose payload is p is a busy
 * front-end header for its place and heap (the fast paths' check). */
static inline int lfh_busy_header_ok(const struct heap *h, const void *p, uint32_t w0, uint32_t w1)
{
    return (w0 ^ w1) == lfh_key(h, (const char *)p - HHDR) && (w0 >> 24) == ((LW0_BUSY | LW0_TAG) >> 24);
}

/* What the validator and the statistics count (heap_check.c). */
struct htally {
    size_t nbusy, in_use, busy_bytes, nquick, quick_bytes, nfree, free_bytes;
    size_t nlfh, lfh_free, nsubs;           /* busy / free front-end blocks, subsegments */
    size_t lfh_uncommitted;                 /* their bytes not committed yet */
};

/* ---- internal entry points shared by the engine files ---- */
/* heap_front.c */
void hcall_fail(uint32_t flags, int32_t st, int32_t *status); /* report st; raise if asked */
void *hfront_alloc(struct heap *h, uint32_t flags, size_t size, int32_t *st); /* lock held */
int32_t hfront_free(struct heap *h, void *p);                /* lock held */
/* heap_quick.c */
uint32_t hquick_flush(struct heap *h, uint32_t n, size_t bytes); /* parked -> back end */
void hquick_drain(struct heap *h);                           /* every parked block */
void *hquick_pop_class(struct heap *h, uint32_t g, size_t size);
void *hquick_pop(struct heap *h, size_t size);
int hquick_park(struct heap *h, struct hblk *b);             /* 0 no, 1 parked, 2 + window */
void hquick_window(struct heap *h);
/* heap_lfh.c */
void hlfh_init(struct heap *h, int enabled);
size_t hlfh_meta_bytes(size_t span);
void *hlfh_alloc(struct heap *h, uint32_t cls, size_t size); /* NULL: ask the back end */
void hlfh_free(struct heap *h, struct lsub *sub, struct lblk *blk);
void hlfh_free_transition(struct heap *h, struct lsub *sub);
struct lsub *hlfh_sub_of(struct heap *h, const void *p, int *in);
struct lblk *hlfh_block(struct heap *h, const void *p, struct lsub **subp, int *in);
size_t hlfh_size(const struct lsub *sub, const struct lblk *blk);
int hlfh_tail_ok(const struct lsub *sub, const struct lblk *blk);
int hlfh_resize(struct heap *h, struct lsub *sub, struct lblk *blk, size_t size, int may_move);
void hlfh_compact(struct heap *h);
void hlfh_reserve_tick(struct heap *h);                      /* a back-end allocation went by */
int hlfh_reserve_give(struct heap *h);                       /* the back end needs memory */
void *hlfh_meta_alloc(struct heap *h, size_t n, size_t align);
struct lblk *hlfh_take(struct heap *h, uint32_t cls);         /* a free block of an active class */
void hlfh_put(struct heap *h, struct lsub *sub, struct lblk *blk); /* a free-state block back */
/* heap_tcache.c */
void *htc_alloc(struct heap *h, int slot, uint32_t cls, size_t size); /* lock held */
int htc_free(struct heap *h, int slot, struct lsub *sub, struct lblk *blk); /* lock held */
void htc_exclusive_begin(struct heap *h);                    /* lock held */
void htc_exclusive_end(struct heap *h);
void htc_flush_all(struct heap *h);                          /* exclusive */
size_t htc_count(struct heap *h, struct lsub *sub);          /* exclusive: blocks of sub cached */
/* heap_lfh_check.c */
int hlfh_check_sub(struct heap *h, struct hseg *s, struct hblk *b, struct htally *t);
int hlfh_check(struct heap *h, const struct htally *t);
int hlfh_walk_sub(struct heap *h, struct heap_walk_entry *e, uint32_t i, struct hblk *b);
int hlfh_walk_next(struct heap *h, struct heap_walk_entry *e, uint32_t i, int32_t *st);
/* heap_bins.c */
uint32_t hblock_carve(struct heap *h, struct hseg *s, struct hblk *b, uint32_t g, int in_bins);
struct hblk *hblock_alloc(struct heap *h, size_t size, uint32_t g, int32_t *st);
int32_t hblock_free(struct heap *h, struct hseg *s, struct hblk *b);
void *hblock_alloc_chunk(struct heap *h, struct hseg **sp, int32_t *st);
/* heap_segment.c */
struct hseg *hseg_nth(struct heap *h, uint32_t i);
int32_t hseg_commit(struct heap *h, struct hseg *s, uintptr_t lo, uintptr_t hi);
void hseg_decommit(struct heap *h, struct hseg *s, uintptr_t lo, uintptr_t hi);
size_t hseg_header_commit(size_t span, size_t struct_bytes);
int32_t hseg_init(struct heap *h, struct hseg *s, uintptr_t base, size_t span, size_t usable,
                  size_t struct_bytes);
int hseg_grow(struct heap *h, uint32_t g);
void hseg_fill_free(struct heap *h, struct hseg *s, uintptr_t lo, uintptr_t hi);
uintptr_t hseg_check_fill(struct heap *h, struct hseg *s, uintptr_t lo, uintptr_t hi);
/* heap_large.c */
struct hlarge *hlarge_find(struct heap *h, const void *p);
struct hlarge *hlarge_first(struct heap *h);                 /* lowest address, or NULL */
struct hlarge *hlarge_next(struct heap *h, const struct hlarge *l); /* next address, or NULL */
int hlarge_ok(const struct heap *h, const struct hlarge *l);
void *hlarge_alloc(struct heap *h, uint32_t flags, size_t size, size_t reserve_extra, int32_t *st);
void hlarge_free(struct heap *h, struct hlarge *l, int may_cache);
void hlarge_drop_cache(struct heap *h);
void *hlarge_realloc(struct heap *h, uint32_t flags, struct hlarge *l, size_t size, int32_t *st);
static inline void *hlarge_data(struct hlarge *l) { return (char *)l + HLARGE; }
/* The lookup hint slot of the large block at l: reservations are
 * granularity aligned, so the bits above the granularity tell them apart. */
static inline struct hlarge **hlarge_hint_slot(struct heap *h, const struct hlarge *l)
{
    static struct hlarge *no_hint;          /* (fixed heaps have no large blocks) */
    if (!h->large_hint)
        return &no_hint;
    return &h->large_hint[((uintptr_t)l / HEAP_OS_GRANULARITY) & (HLARGE_HINTS - 1)];
}
static inline struct hblk *hlarge_hdr(struct hlarge *l)
{
    return (struct hblk *)((char *)l + HLARGE - HHDR);
}

/* Tail checking: HFILL_TAIL from the requested end to the block end. */
static inline void blk_fill_tail(struct hblk *b)
{
    size_t req = blk_req(b);
    memset((char *)blk_data(b) + req, HFILL_TAIL, (b->w0 >> W0_UNUSED_SHIFT) & W0_UNUSED_MASK);
}
int blk_tail_ok(const struct hblk *b);                       /* heap_check.c */

/* ---- per call: serialization (heap_lock.c) ---- */
void hlock_init(struct hlock *l);
void hlock_destroy(struct hlock *l);
void hlock_acquire(struct hlock *l);                         /* recursive */
void hlock_release(struct hlock *l);
int hlock_held(const struct hlock *l);                       /* by the caller, through hlock_acquire */
void hlock_wake(struct hlock *l);
void hexcl_enter(struct heap *h);                            /* lock + thread caches quiet */
void hexcl_leave(struct heap *h);

/* The fast paths' lock: one atomic compare-exchange, 1 if taken (no
 * owner recorded, so no recursion: on failure the caller goes the slow
 * way, hlock_acquire). */
static inline int hlock_try(struct hlock *l)
{
    uint32_t free_word = 0;
    return __atomic_compare_exchange_n(&l->word, &free_word, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}
/* Release what hlock_try took (or hlock_release's last level): one atomic
 * exchange, and a wake when someone marked the word waited for. */
static inline void hlock_drop(struct hlock *l)
{
    if (__builtin_expect(__atomic_exchange_n(&l->word, 0, __ATOMIC_RELEASE) == 2, 0))
        hlock_wake(l);
}

/* Take / drop the heap's lock unless the call or the heap says
 * HEAP_NO_SERIALIZE (flags: the call's flags or'ed with the heap's).
 * Whole-heap operations take it exclusively (hexcl_enter). */
static inline void hcall_lock(struct heap *h, uint32_t flags)
{
    if (!(flags & HEAP_NO_SERIALIZE))
        hlock_acquire(&h->lock);
}
static inline void hcall_unlock(struct heap *h, uint32_t flags)
{
    if (!(flags & HEAP_NO_SERIALIZE))
        hlock_release(&h->lock);
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
    if (!hdr_ok(h, w0, w1) || !(w0 & W0_BUSY) || (w1 & (W1_QUICK | W1_SUBSEG)) || g < HMIN_G ||
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

/* A corruption found outside heap_check (e.g. on reuse): heap_check
 * reports it with the damage it finds itself. */
static inline void heap_corrupt(struct heap *h)
{
    h->corruptions++;
}

/* Live bytes: busy blocks not parked. */
static inline size_t heap_live(const struct heap *h)
{
    return h->busy_bytes - h->quick_bytes;
}

#endif
