/* A heap's life: HeapCreate lays out its first segment (the heap
 * structure sits at the base, so the handle is that region's base; spec
 * item 65) and HeapDestroy gives every page back. */
#include "heap_private.h"

static uint32_t heap_seq;

static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x;
}

static size_t round_gran(size_t n)
{
    return (n + HEAP_OS_GRANULARITY - 1) & ~(size_t)(HEAP_OS_GRANULARITY - 1);
}

/* First levels the bins need for blocks of up to g granules. */
static uint32_t layout_nfl(size_t g)
{
    unsigned fl, sl;
    bin_index(g > HMAX_G ? HMAX_G : (uint32_t)g, &fl, &sl);
    return fl + 1;
}

/* Bytes at the base of the first segment: struct heap, then the bin
 * tables sized to nfl first levels, then the quick list heads (if any),
 * then the large-block hints (growable heaps: only they have large
 * blocks), pointer-aligned. */
static size_t layout_bytes(uint32_t nfl, int quick, int growable)
{
    size_t n = sizeof(struct heap) + (size_t)nfl * (SL_COUNT + 1) * sizeof(struct fblk *);
    n += quick ? (HQUICK_MAX_G + 1) * sizeof(struct qblk *) : 0;
    return n + (growable ? HLARGE_HINTS * sizeof(struct hlarge *) : 0);
}

/* Point the heap at its tables (zeroed with the rest of the page). */
static void layout_tables(struct heap *h, uint32_t nfl, int quick, int growable)
{
    h->nfl = nfl;
    h->bins = (struct fblk *(*)[SL_COUNT])(h + 1);
    h->dbins = (struct fblk **)(h->bins + nfl);
    h->quick = quick ? (struct qblk **)(h->dbins + nfl) : NULL;
    h->quick_max_g = quick ? HQUICK_MAX_G : 0;
    h->large_hint = growable ? (struct hlarge **)(h->dbins + nfl) + (quick ? HQUICK_MAX_G + 1 : 0) : NULL;
}

/* HeapCreate (heap.h).  Reserves the whole first segment (a growable
 * heap at least HEAP_DEFAULT_RESERVE, a fixed one its maximum rounded to
 * the granularity), commits the heap structure, the bitmap and `initial`
 * bytes, and lays the rest out as free blocks.  On failure nothing is
 * left reserved or committed and NULL comes back (hcall_fail). */
struct heap *heap_create(uint32_t options, size_t initial, size_t maximum, int32_t *status)
{
    int32_t st = HST_NO_MEMORY;
    size_t init = pg_up(initial), max = maximum ? pg_up(maximum) : 0;
    if ((initial && !init) || (maximum && !max) || init > HEAP_MAX_REQUEST || max > HEAP_MAX_REQUEST)
        goto out;
    if (max && init > max)
        init = max;
    /* A fixed-size heap reserves its maximum rounded to the reservation
     * granularity, but its blocks stop at the maximum (page-rounded, and
     * at least one page past the heap's own structures): items 64, 87.
     * Quick lists only on growable heaps without checking: a fixed heap
     * keeps every free byte in the bins for its big last block. */
    size_t usable = max ? max : round_gran(init);
    if (!max && usable < HEAP_DEFAULT_RESERVE)
        usable = HEAP_DEFAULT_RESERVE;
    int hints = heap_os_default_checking();
    int checking = (options & HEAP_CHECKING) || HEAP_DEFAULT_CHECKING || (hints & HEAP_OS_OPT_CHECKING);
    /* The low-fragmentation front end, as on Windows, on growable heaps
     * that are serialized (HeapCompatibilityInformation 2); its memory is
     * the last LFH_META bytes of this reservation, kept out of the
     * blocks.  The quick lists serve the other growable heaps. */
    int lfh = !max && !(options & HEAP_NO_SERIALIZE) && !(hints & HEAP_OS_OPT_NO_LFH) &&
              HEAP_LFH_DEFAULT;
    int quick = !max && !checking && !lfh;
    /* The bins cover the largest block the first segment can hold; that
     * depends on the header, which depends on the bins: settle it. */
    uint32_t nfl = 1;
    size_t bytes, hc, span;
    for (;;) {
        bytes = layout_bytes(nfl, quick, !max);
        hc = hseg_header_commit(round_gran(usable), bytes);
        if (usable < hc + HPAGE)
            usable = pg_up(hc + HPAGE);
        span = round_gran(usable);
        hc = hseg_header_commit(span, bytes);
        if (usable < hc + HPAGE) /* (a bigger bitmap for a bigger span) */
            span = round_gran(usable = pg_up(hc + HPAGE));
        uint32_t need = layout_nfl(max ? (usable - bytes) >> HG_SHIFT : HMAX_G);
        if (need <= nfl)
            break;
        nfl = need;
    }
    size_t meta = lfh ? hlfh_meta_bytes(span) : 0;
    size_t blocks = lfh ? span - meta : usable;
    if (init > blocks)
        init = blocks;
    unsigned osf = (options & HEAP_CREATE_ENABLE_EXECUTE) ? HEAP_OS_EXECUTE : 0;
    void *base = heap_os_reserve(span, osf);
    if (!base)
        goto out;
    if ((st = heap_os_commit(base, hc, osf)) != 0) {
        heap_os_release(base, span);
        goto out;
    }
    struct heap *h = base;
    memset(h, 0, sizeof *h);
    h->flags = options & (HEAP_NO_SERIALIZE | HEAP_GENERATE_EXCEPTIONS | HEAP_CHECKING |
                          HEAP_X_TERMINATE_ON_CORRUPTION);
    if (checking)
        h->flags |= HEAP_CHECKING;
    h->os_flags = osf;
    h->cookie = mix32((uint32_t)(uintptr_t)base ^ (++heap_seq * 0x9E3779B9u)) | 0x01000000u;
    h->magic = HEAP_MAGIC;
    h->maximum = max ? usable : 0;
    layout_tables(h, nfl, quick, !max);
    hlfh_init(h, lfh);
    h->lfh_meta = meta;
    h->quick_budget = HEAP_QUICK_MIN;
    h->flush_cls = HMIN_G;
    h->seg_next = span * 2 > HEAP_SEG_MAX ? HEAP_SEG_MAX : span * 2;
    hlock_init(&h->lock);
    if ((st = hseg_init(h, &h->seg0, (uintptr_t)base, span, blocks, bytes)) != 0 ||
        (init > hc && (st = hseg_commit(h, &h->seg0, h->seg0.lo, (uintptr_t)base + init)) != 0)) {
        hlock_destroy(&h->lock);
        heap_os_release(base, span);
        goto out;
    }
    return h;
out:
    hcall_fail(0, st ? st : HST_NO_MEMORY, status);
    return NULL;
}

/* HeapDestroy (heap.h): large blocks and cached realloc regions first,
 * then the segments newest first, the first one (holding the heap
 * structure and its lock) last.  The handle is dead afterwards. */
void heap_destroy(struct heap *h)
{
    while (h->large)
        hlarge_free(h, h->large, 0);
    hlarge_drop_cache(h);
    for (struct hseg *s = h->segs, *next; s != &h->seg0; s = next) {
        next = s->next;
        heap_os_release((void *)s->base, s->span);
    }
    size_t span = h->seg0.span;
    h->magic = 0;
    hlock_destroy(&h->lock);
    heap_os_release(h, span);
}
