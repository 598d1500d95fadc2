/* Helpers shared by the ring-3 heap tests (uheap.c with tests/user/uheap/:
 * spec items 62-93; uheap_engine.c: the engine requirements of the heap
 * issue and the random-operation test): a per-case fixture that gives
 * back leftover heaps and checks that the case gave back what it took,
 * content patterns, VirtualQuery extents, and a HeapWalk checker that
 * compares the walk with the address space and with a list of expected
 * blocks.
 *
 * Counting: the process default heap commits pages on demand, keeps some
 * of them after a free (its decommit hysteresis) and may grow a segment,
 * so the fixture's counters leave out the process heap's regions (found
 * with HeapWalk, their committed pages counted with VirtualQuery) and page
 * tables (a segment's table stays; the kernel's leak check at the end of
 * the program counts page tables).  Everything else - private heaps and
 * their large blocks, the process heap's large blocks - must come back to
 * the page and to the reservation.  (A block that grew through HeapReAlloc
 * into a region of its own may leave that region cached by its heap after
 * the free; on the process heap that would look like a leak, so the cases
 * keep process-heap reallocations small.) */
#ifndef TESTS_USER_UHEAP_H
#define TESTS_USER_UHEAP_H

#include "utest.h"
#include "uspace.h"
#include "mm/heap/heap.h"                    /* HEAP_X_TERMINATE_ON_CORRUPTION */
#include <stdio.h>

#define BAD_ERROR 0xDEADBEEFu
#define HEAP_CHECKING_OPTIONS (HEAP_TAIL_CHECKING_ENABLED | HEAP_FREE_CHECKING_ENABLED)
#define LARGE_MIN 0x7F000u              /* item 88: from about 508 KiB on x86 */
#define FIXED_LIMIT 0x7FFF8u            /* item 86 */
#define MAX_HEAPS 64

/* The fixture's state below is defined once per program: by the file
 * with main, which includes this header as it is.  The other files of a
 * program in several files (tests/user/uheap/) define UHEAP_PART first
 * and see declarations. */
#ifdef UHEAP_PART
#define UHEAP_STATE extern
#else
#define UHEAP_STATE
#endif

/* ---- memory outside the process heap -------------------------------------------- */

/* Bytes of [base's allocation] that are committed / reserved, walking
 * VirtualQuery from base while the AllocationBase stays base. */
static inline void alloc_extent(const void *base, uint32_t *committed, uint32_t *total)
{
    uint32_t a = U32(base), c = 0, n = 0;

    while (a < USER_TOP) {
        MEMORY_BASIC_INFORMATION m;
        if (VirtualQuery(VA(a), &m, sizeof(m)) != sizeof(m) || m.AllocationBase != base ||
            m.State == MEM_FREE || m.RegionSize == 0)
            break;
        if (m.State == MEM_COMMIT)
            c += m.RegionSize;
        n += m.RegionSize;
        a = U32(m.BaseAddress) + m.RegionSize;
    }
    if (committed != NULL)
        *committed = c;
    if (total != NULL)
        *total = n;
}

static inline MEMORY_BASIC_INFORMATION vquery(const void *p)
{
    MEMORY_BASIC_INFORMATION m;
    memset(&m, 0, sizeof(m));
    if (VirtualQuery(p, &m, sizeof(m)) != sizeof(m))
        m.State = 0;
    return m;
}

/* Is every page of [p, p + n) in the given state (MEM_COMMIT / MEM_RESERVE)? */
static inline bool range_state_is(const void *p, uint32_t n, DWORD state)
{
    uint32_t a = U32(p) & ~(PAGE - 1), end = U32(p) + (n ? n : 1);

    while (a < end) {
        MEMORY_BASIC_INFORMATION m = vquery(VA(a));
        if (m.State != state || m.RegionSize == 0)
            return false;
        a = U32(m.BaseAddress) + m.RegionSize;
    }
    return true;
}

UHEAP_STATE uint32_t page_tables_at_start;

/* The committed bytes of the process heap's regions (its segments), and
 * how many regions it has. */
static inline uint32_t process_heap_committed(uint32_t *regions)
{
    HANDLE ph = GetProcessHeap();
    PROCESS_HEAP_ENTRY e;
    uint32_t sum = 0, n = 0;
    int guard = 0;

    e.lpData = NULL;
    while (HeapWalk(ph, &e) && guard++ < 100000) {
        if (e.wFlags & PROCESS_HEAP_REGION) {
            uint32_t c;
            alloc_extent(e.lpData, &c, NULL);
            sum += c;
            n++;
        }
    }
    if (regions != NULL)
        *regions = n;
    return sum;
}

static inline bool walk_in_regions_of_process_heap(const void *base)
{
    PROCESS_HEAP_ENTRY e;
    int guard = 0;

    e.lpData = NULL;
    while (HeapWalk(GetProcessHeap(), &e) && guard++ < 100000)
        if ((e.wFlags & PROCESS_HEAP_REGION) && e.lpData == base)
            return true;
    return false;
}

/* The system commit charge in pages, without the pages committed in the
 * process heap's regions and without page tables (the process heap may
 * grow a segment, whose page table then stays; the kernel's leak check
 * at the program's end counts page tables). */
static inline uint32_t charge_outside_process_heap(void)
{
    SYSTEM_MEMORY_COUNTERS before, after;
    uint32_t ph;

    /* HeapWalk does not commit anything; read the counters twice around
     * it so a stack page grown in between would show up as a difference. */
    do {
        before = sys_counters();
        ph = process_heap_committed(NULL) / PAGE;
        after = sys_counters();
    } while (after.CommitCharge != before.CommitCharge ||
             after.PageTablePages != before.PageTablePages);
    return after.CommitCharge - (after.PageTablePages - page_tables_at_start) - ph;
}

/* The reservations of the address space, without the process heap's
 * regions (segments; its large blocks do count). */
static inline uint32_t allocations_outside_process_heap(void)
{
    uint32_t regions = 0;
    process_heap_committed(&regions);
    return allocation_count() - regions;
}

static inline uint64_t counter_charge_outside_process_heap(void)
{
    return charge_outside_process_heap();
}

static inline uint64_t counter_allocations_outside_process_heap(void)
{
    return allocations_outside_process_heap();
}

/* ---- the fixture ------------------------------------------------------------------ */

UHEAP_STATE HANDLE fixture_heaps[MAX_HEAPS];
UHEAP_STATE DWORD fixture_heap_count;
UHEAP_STATE uint32_t fixture_charge, fixture_allocations;
UHEAP_STATE struct alloc_set fixture_space;

/* In main, before utest_main: the heaps that exist for good. */
static inline void fixture_baseline(void)
{
    fixture_heap_count = GetProcessHeaps(MAX_HEAPS, fixture_heaps);
}

static inline bool fixture_is_baseline_heap(HANDLE h)
{
    for (DWORD i = 0; i < fixture_heap_count && i < MAX_HEAPS; i++)
        if (fixture_heaps[i] == h)
            return true;
    return false;
}

/* Destroys every heap an earlier (failed) case left behind. */
static inline int fixture_destroy_leftovers(void)
{
    HANDLE cur[MAX_HEAPS];
    DWORD n = GetProcessHeaps(MAX_HEAPS, cur);
    int destroyed = 0;

    for (DWORD i = 0; i < n && i < MAX_HEAPS; i++)
        if (!fixture_is_baseline_heap(cur[i]) && HeapDestroy(cur[i]))
            destroyed++;
    return destroyed;
}

static inline void fixture_enter(struct utest *t)
{
    (void)t;
    int n = fixture_destroy_leftovers();
    if (n != 0)
        utest_log("destroyed %d heap(s) an earlier case left behind", n);
    alloc_set_take(&fixture_space);
    fixture_allocations = allocations_outside_process_heap();
    fixture_charge = charge_outside_process_heap();
}

/* Logs the allocations that appeared since fixture_enter. */
static inline void fixture_log_new_allocations(void)
{
    struct alloc_set now;

    alloc_set_take(&now);
    for (int i = 0; i < now.count; i++) {
        if (alloc_set_has(&fixture_space, now.base[i]))
            continue;
        uint32_t committed, total;
        alloc_extent(VA(now.base[i]), &committed, &total);
        utest_log("new allocation at %08lx: %lx bytes, %lx committed%s", (unsigned long)now.base[i],
                  (unsigned long)total, (unsigned long)committed,
                  walk_in_regions_of_process_heap(VA(now.base[i])) ? " (a process heap region)" : "");
    }
}

static inline void fixture_leave(struct utest *t)
{
    int before = t->failures;
    EXPECT_EQ(t, GetProcessHeaps(0, NULL), fixture_heap_count);
    EXPECT_EQ(t, allocations_outside_process_heap(), fixture_allocations);
    EXPECT_EQ(t, charge_outside_process_heap(), fixture_charge);
    if (t->failures != before)
        fixture_log_new_allocations();
}

/* A case that must give back every heap, reservation and committed page. */
#define HEAP_TEST(name)                                                       \
    static void name##_body(struct utest *t);                                 \
    static void name(struct utest *t)                                         \
    {                                                                         \
        fixture_enter(t);                                                     \
        name##_body(t);                                                       \
        fixture_leave(t);                                                     \
    }                                                                         \
    static void name##_body(struct utest *t)

static inline void fixture_suite_exit(void)
{
    fixture_destroy_leftovers();
}

/* HeapCreate that must succeed (the case ends otherwise). */
static inline HANDLE create_checked(struct utest *t, int line, DWORD options, SIZE_T initial,
                                    SIZE_T maximum)
{
    SetLastError(BAD_ERROR);
    HANDLE h = HeapCreate(options, initial, maximum);
    if (h == NULL) {
        utest_fail_msg(t, __FILE__, line, "HeapCreate(%lx, %lx, %lx) failed, error %lu", options,
                       (unsigned long)initial, (unsigned long)maximum, GetLastError());
        utest_leave(t);
    }
    return h;
}
#define CREATE(t, options, initial, maximum) create_checked(t, __LINE__, options, initial, maximum)

static inline void destroy_checked(struct utest *t, int line, HANDLE h)
{
    if (!HeapDestroy(h))
        utest_fail_msg(t, __FILE__, line, "HeapDestroy(%p) failed, error %lu", h, GetLastError());
}
#define DESTROY(t, h) destroy_checked(t, __LINE__, h)

/* HeapAlloc that must succeed. */
static inline void *alloc_checked(struct utest *t, int line, HANDLE h, DWORD flags, SIZE_T n)
{
    SetLastError(BAD_ERROR);
    void *p = HeapAlloc(h, flags, n);
    if (p == NULL) {
        utest_fail_msg(t, __FILE__, line, "HeapAlloc(%p, %lx, %lu) failed, error %lu", h, flags,
                       (unsigned long)n, GetLastError());
        utest_leave(t);
    }
    return p;
}
#define ALLOC(t, h, flags, n) alloc_checked(t, __LINE__, h, flags, n)

static inline void free_checked(struct utest *t, int line, HANDLE h, void *p)
{
    SetLastError(BAD_ERROR);
    if (!HeapFree(h, 0, p))
        utest_fail_msg(t, __FILE__, line, "HeapFree(%p, 0, %p) failed, error %lu", h, p,
                       GetLastError());
}
#define FREE(t, h, p) free_checked(t, __LINE__, h, p)

/* HeapValidate(h, 0, NULL) must say the heap is healthy. */
#define EXPECT_HEAP_OK(t, h) EXPECT_TRUE(t, HeapValidate(h, 0, NULL))

/* A failing HeapFree: FALSE and the given last error. */
#define EXPECT_FREE_FAILS(t, h, p, err)                                       \
    do {                                                                      \
        SetLastError(BAD_ERROR);                                              \
        EXPECT_FALSE(t, HeapFree(h, 0, p));                                   \
        EXPECT_EQ(t, GetLastError(), err);                                    \
    } while (0)

/* ---- content patterns -------------------------------------------------------------- */

/* Byte i of pattern `seed`: byte (i & 3) of the word seed + (i / 4) * K,
 * so blocks can be filled and checked a word at a time. */
#define PATTERN_K 0x9E3779B1u

static inline uint8_t pattern_byte(uint32_t seed, uint32_t i)
{
    return (uint8_t)((seed + (i >> 2) * PATTERN_K) >> ((i & 3) * 8));
}

static inline void pattern_fill(void *p, uint32_t n, uint32_t seed)
{
    uint32_t *w = p, words = n / 4, v = seed;
    for (uint32_t k = 0; k < words; k++, v += PATTERN_K)
        w[k] = v;
    for (uint32_t i = words * 4; i < n; i++)
        ((uint8_t *)p)[i] = pattern_byte(seed, i);
}

/* The offset of the first byte in [from, n) that differs from the
 * pattern, or n when all match. */
static inline uint32_t pattern_check_from(const void *p, uint32_t from, uint32_t n, uint32_t seed)
{
    const uint8_t *b = p;
    uint32_t i = from;

    while (i < n && (i & 3))
        if (b[i] != pattern_byte(seed, i))
            return i;
        else
            i++;
    const uint32_t *w = p;
    uint32_t v = seed + (i >> 2) * PATTERN_K;
    for (; i + 4 <= n; i += 4, v += PATTERN_K)
        if (w[i >> 2] != v)
            break;
    for (; i < n; i++)
        if (b[i] != pattern_byte(seed, i))
            return i;
    return n;
}

static inline uint32_t pattern_check(const void *p, uint32_t n, uint32_t seed)
{
    return pattern_check_from(p, 0, n, seed);
}

/* The offset of the first byte of [from, n) that is not `value`, or n. */
static inline uint32_t bytes_check(const void *p, uint32_t from, uint32_t n, uint8_t value)
{
    const uint8_t *b = p;
    for (uint32_t i = from; i < n; i++)
        if (b[i] != value)
            return i;
    return n;
}

/* ---- HeapWalk ------------------------------------------------------------------------- */

/* The busy entries for p: how many, and cbData of the last one. */
static inline int walk_count_busy(HANDLE h, const void *p, DWORD *cb)
{
    PROCESS_HEAP_ENTRY e;
    int n = 0, guard = 0;

    e.lpData = NULL;
    while (HeapWalk(h, &e) && guard++ < 1000000)
        if ((e.wFlags & PROCESS_HEAP_ENTRY_BUSY) && e.lpData == p) {
            n++;
            if (cb != NULL)
                *cb = e.cbData;
        }
    return n;
}

/* Does p lie in one of h's regions (between a region's base and its
 * lpLastBlock)? */
static inline bool walk_in_regions(HANDLE h, const void *p)
{
    PROCESS_HEAP_ENTRY e;
    int guard = 0;

    e.lpData = NULL;
    while (HeapWalk(h, &e) && guard++ < 1000000)
        if ((e.wFlags & PROCESS_HEAP_REGION) && U32(p) >= U32(e.lpData) &&
            U32(p) < U32(e.Region.lpLastBlock))
            return true;
    return false;
}

/* The allocation bases of h's regions (at most max); returns the count. */
static inline int walk_region_bases(HANDLE h, void **bases, int max)
{
    PROCESS_HEAP_ENTRY e;
    int n = 0, guard = 0;

    e.lpData = NULL;
    while (HeapWalk(h, &e) && guard++ < 1000000)
        if ((e.wFlags & PROCESS_HEAP_REGION) && n < max)
            bases[n++] = e.lpData;
    return n;
}

struct walk_expect {
    const void *p;
    uint32_t size;
    int seen;
};

struct walk_stats {
    int entries, regions, busy, large, free, uncommitted, unexpected_busy;
    uint32_t largest_free;              /* largest cbData of a committed free entry */
};

/* Walks h and checks every entry against the address space:
 *   - the first entry is a region whose lpData is the handle;
 *   - region entries: wFlags exactly PROCESS_HEAP_REGION, lpData the base
 *     of an allocation, committed + uncommitted = its size, committed =
 *     what VirtualQuery says, first < last block inside it;
 *   - busy entries: wFlags exactly PROCESS_HEAP_ENTRY_BUSY, lpData 8-aligned
 *     and committed; inside the current region, or a large block in an
 *     allocation of its own starting a small header before lpData;
 *   - free entries: wFlags 0, committed; uncommitted ranges: wFlags
 *     exactly PROCESS_HEAP_UNCOMMITTED_RANGE, page-aligned, reserved;
 *   - entries of a region are in address order, do not overlap, and leave
 *     no gap larger than their overheads;
 *   - the walk ends with FALSE and ERROR_NO_MORE_ITEMS.
 * Each expected block (if any) must appear exactly once as a busy entry
 * with cbData = its size; a busy entry not in the list counts as
 * unexpected.  Failures are reported against `line`. */
static inline struct walk_stats walk_verify_at(struct utest *t, int line, HANDLE h,
                                               struct walk_expect *expect, int nexpect)
{
    struct walk_stats s;
    PROCESS_HEAP_ENTRY e;
    uint32_t reg_lo = 0, reg_hi = 0, prev_end = 0, prev_overhead = 0;
    int before = t->failures;
    bool more;

    memset(&s, 0, sizeof(s));
    for (int i = 0; i < nexpect; i++)
        expect[i].seen = 0;
    memset(&e, 0, sizeof(e));
    e.lpData = NULL;
    SetLastError(BAD_ERROR);
    while ((more = HeapWalk(h, &e)) != FALSE) {
        uint32_t a = U32(e.lpData), n = e.cbData;
        if (++s.entries > 2000000) {
            utest_fail_msg(t, __FILE__, line, "HeapWalk does not end");
            break;
        }
        if (s.entries == 1 && (e.wFlags != PROCESS_HEAP_REGION || e.lpData != h))
            utest_fail_msg(t, __FILE__, line, "first entry: flags %x at %08lx, not the region at %p",
                           e.wFlags, (unsigned long)a, h);
        switch (e.wFlags) {
        case PROCESS_HEAP_REGION: {
            uint32_t committed, total;
            MEMORY_BASIC_INFORMATION m = vquery(e.lpData);
            alloc_extent(e.lpData, &committed, &total);
            s.regions++;
            if (m.AllocationBase != e.lpData || m.State == MEM_FREE)
                utest_fail_msg(t, __FILE__, line, "region %08lx is not an allocation base",
                               (unsigned long)a);
            if (e.Region.dwCommittedSize + e.Region.dwUnCommittedSize != total ||
                e.Region.dwCommittedSize != committed)
                utest_fail_msg(t, __FILE__, line,
                               "region %08lx: committed %lx + uncommitted %lx, VirtualQuery %lx of %lx",
                               (unsigned long)a, e.Region.dwCommittedSize,
                               e.Region.dwUnCommittedSize, (unsigned long)committed,
                               (unsigned long)total);
            if (U32(e.Region.lpFirstBlock) < a || U32(e.Region.lpLastBlock) <= U32(e.Region.lpFirstBlock) ||
                U32(e.Region.lpLastBlock) > a + total)
                utest_fail_msg(t, __FILE__, line, "region %08lx: blocks %p..%p", (unsigned long)a,
                               e.Region.lpFirstBlock, e.Region.lpLastBlock);
            reg_lo = U32(e.Region.lpFirstBlock);
            reg_hi = U32(e.Region.lpLastBlock);
            prev_end = a + n;
            prev_overhead = 0;
            if (prev_end > reg_lo)
                utest_fail_msg(t, __FILE__, line, "region %08lx: header %lx past the first block",
                               (unsigned long)a, (unsigned long)n);
            continue;
        }
        case PROCESS_HEAP_ENTRY_BUSY: {
            int k;
            s.busy++;
            if (a & (MEMORY_ALLOCATION_ALIGNMENT - 1))
                utest_fail_msg(t, __FILE__, line, "busy block %08lx misaligned", (unsigned long)a);
            if (!range_state_is(e.lpData, n, MEM_COMMIT))
                utest_fail_msg(t, __FILE__, line, "busy block %08lx+%lx not committed",
                               (unsigned long)a, (unsigned long)n);
            for (k = 0; k < nexpect; k++)
                if (expect[k].p == e.lpData)
                    break;
            if (k == nexpect) {
                s.unexpected_busy++;
            } else {
                expect[k].seen++;
                if (expect[k].size != n)
                    utest_fail_msg(t, __FILE__, line, "busy block %08lx: cbData %lu, requested %lu",
                                   (unsigned long)a, (unsigned long)n, (unsigned long)expect[k].size);
            }
            if (reg_hi != 0 && a >= reg_lo && a < reg_hi)
                break;                  /* in the current region: order checked below */
            /* A large block: its own allocation, a small header before it. */
            s.large++;
            MEMORY_BASIC_INFORMATION m = vquery(e.lpData);
            if (m.State != MEM_COMMIT || U32(m.AllocationBase) > a || a - U32(m.AllocationBase) >= PAGE)
                utest_fail_msg(t, __FILE__, line, "busy entry %08lx outside the regions is not a "
                               "large block (allocation base %p)", (unsigned long)a, m.AllocationBase);
            reg_lo = reg_hi = 0;        /* large blocks come after the regions */
            continue;
        }
        case 0:
            s.free++;
            if (n > s.largest_free)
                s.largest_free = n;
            if (!range_state_is(e.lpData, n, MEM_COMMIT))
                utest_fail_msg(t, __FILE__, line, "free block %08lx+%lx not committed",
                               (unsigned long)a, (unsigned long)n);
            break;
        case PROCESS_HEAP_UNCOMMITTED_RANGE:
            s.uncommitted++;
            if ((a & (PAGE - 1)) || !range_state_is(e.lpData, n, MEM_RESERVE))
                utest_fail_msg(t, __FILE__, line, "uncommitted range %08lx+%lx is not reserved pages",
                               (unsigned long)a, (unsigned long)n);
            break;
        default:
            utest_fail_msg(t, __FILE__, line, "entry %08lx has flags %x", (unsigned long)a, e.wFlags);
            continue;
        }
        /* An element of the current region. */
        if (reg_hi == 0 || a < reg_lo || a + n > reg_hi) {
            utest_fail_msg(t, __FILE__, line, "entry %08lx+%lx (flags %x) outside its region",
                           (unsigned long)a, (unsigned long)n, e.wFlags);
        } else if (a < prev_end || a - prev_end > prev_overhead + e.cbOverhead) {
            utest_fail_msg(t, __FILE__, line,
                           "entry %08lx+%lx (flags %x, overhead %u) after one ending at %08lx "
                           "(overhead %lu)", (unsigned long)a, (unsigned long)n, e.wFlags,
                           e.cbOverhead, (unsigned long)prev_end, (unsigned long)prev_overhead);
        }
        prev_end = a + n;
        prev_overhead = e.wFlags == PROCESS_HEAP_ENTRY_BUSY ? e.cbOverhead : 0;
    }
    if (!more)
        EXPECT_EQ(t, GetLastError(), ERROR_NO_MORE_ITEMS);
    for (int k = 0; k < nexpect; k++)
        if (expect[k].seen != 1)
            utest_fail_msg(t, __FILE__, line, "block %p (%lu bytes) seen %d times", expect[k].p,
                           (unsigned long)expect[k].size, expect[k].seen);
    if (s.regions == 0)
        utest_fail_msg(t, __FILE__, line, "no region entry");
    if (t->failures != before)
        utest_log("walk of heap %p checked from line %d", h, line);
    return s;
}
#define WALK_VERIFY(t, h, expect, n) walk_verify_at(t, __LINE__, h, expect, n)

/* ---- exceptions ------------------------------------------------------------------- */

/* stmt must raise exactly `code`. */
#define EXPECT_RAISES(t, code_, stmt)                                         \
    do {                                                                      \
        struct utest_exception x_;                                            \
        EXPECT_EXCEPTION(t, &x_, stmt);                                       \
        if (x_.caught)                                                        \
            EXPECT_EQ(t, x_.code, (DWORD)(code_));                            \
    } while (0)

/* stmt must raise STATUS_HEAP_CORRUPTION, non-continuable. */
#define EXPECT_HEAP_CORRUPTION(t, stmt)                                       \
    do {                                                                      \
        struct utest_exception x_;                                            \
        EXPECT_EXCEPTION(t, &x_, stmt);                                       \
        if (x_.caught) {                                                      \
            EXPECT_EQ(t, x_.code, (DWORD)STATUS_HEAP_CORRUPTION);             \
            EXPECT_EQ(t, x_.flags & EXCEPTION_NONCONTINUABLE, EXCEPTION_NONCONTINUABLE); \
        }                                                                     \
    } while (0)

/* stmt must raise nothing. */
#define EXPECT_NO_EXCEPTION(t, stmt)                                          \
    do {                                                                      \
        struct utest_exception x_;                                            \
        UTEST_CATCH(&x_, stmt);                                               \
        if (x_.caught)                                                        \
            utest_fail_msg(t, __FILE__, __LINE__, "`%s` raised 0x%08lx", #stmt, x_.code); \
    } while (0)

/* ---- main ------------------------------------------------------------------------------ */

static inline void uheap_main_prepare(void)
{
    /* Grow the stack now, so exception frames pushed during the cases
     * never move its guard page (that would show as commit charge). */
    stack_pregrow(64 * 1024);
    page_tables_at_start = sys_counters().PageTablePages;
    fixture_baseline();
    utest_register_counter("allocations_outside_process_heap",
                           counter_allocations_outside_process_heap);
    utest_register_counter("commit_charge_outside_process_heap", counter_charge_outside_process_heap);
}

#endif
