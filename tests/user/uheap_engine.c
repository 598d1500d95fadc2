/* The heap engine's own requirements (issue "The heap engine", section
 * Engine) as far as ring 3 can see them, through the SDK's Heap* API:
 * per-block overhead, giving pages back, robustness against double frees,
 * foreign and interior pointers and damaged headers (FALSE with
 * ERROR_INVALID_PARAMETER and an intact heap, or STATUS_HEAP_CORRUPTION on
 * a heap created with HEAP_X_TERMINATE_ON_CORRUPTION), the checking
 * options finding a one-byte overrun and a write after free, the process
 * default heap, and seeded random operations against a shadow model.
 * The spec items themselves (62-93) are in uheap.c. */
#include "uheap.h"

/* ---- the process default heap --------------------------------------------------------- */

static HANDLE ph_at_start;
static uint32_t ph_committed_at_start, ph_reserved_at_start;

HEAP_TEST(proc_heap_1mib_reserved_committed_on_demand)
{
    HANDLE ph = GetProcessHeap();

    /* It existed before main, as one reservation of 1 MiB based at the
     * handle, of which little was committed. */
    EXPECT_PTR_NE(t, ph_at_start, NULL);
    EXPECT_PTR_EQ(t, ph_at_start, ph);
    EXPECT_EQ(t, ph_reserved_at_start, 0x100000);
    EXPECT_LE(t, ph_committed_at_start, 0x10000);
    MEMORY_BASIC_INFORMATION m = vquery(ph);
    EXPECT_PTR_EQ(t, m.AllocationBase, ph);
    EXPECT_EQ(t, m.AllocationProtect, PAGE_READWRITE);
    EXPECT_EQ(t, m.Type, MEM_PRIVATE);
    uint32_t c0, total;
    alloc_extent(ph, &c0, &total);
    EXPECT_EQ(t, total, 0x100000);

    /* Committed on demand: 300 KB of blocks commit at least that much of
     * the reservation, without a new one. */
    uint32_t allocs = allocation_count();
    enum { N = 20 };
    void *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = ALLOC(t, ph, 0, 15000);
        memset(p[i], 0x5A, 15000);
        EXPECT_PTR_EQ(t, vquery(p[i]).AllocationBase, ph);
    }
    uint32_t c1;
    alloc_extent(ph, &c1, &total);
    EXPECT_GE(t, c1, c0 + N * 15000 - 0x10000);
    EXPECT_GE(t, c1, N * 15000);
    EXPECT_EQ(t, total, 0x100000);
    EXPECT_EQ(t, allocation_count(), allocs);
    for (int i = 0; i < N; i++)
        FREE(t, ph, p[i]);
    EXPECT_HEAP_OK(t, ph);

    /* It cannot be destroyed. */
    EXPECT_FALSE(t, HeapDestroy(ph));
    EXPECT_PTR_EQ(t, GetProcessHeap(), ph);
    EXPECT_EQ(t, vquery(ph).State, MEM_COMMIT);
    void *q = ALLOC(t, ph, 0, 10);
    FREE(t, ph, q);
}

/* ---- overhead, giving back ------------------------------------------------------------ */

HEAP_TEST(eng_small_block_overhead_8_bytes)
{
    /* A fixed heap filled with blocks of one size: each costs the size
     * (rounded to 8) plus at most 8 bytes. */
    static const uint32_t sizes[] = { 8, 16, 24, 40, 64, 100, 256, 1000 };
    static void *b[20000];
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        uint32_t cap = 0x40000, n = 0, s = sizes[i], cost = ((s + 7) & ~7u) + 8;
        HANDLE f = CREATE(t, 0, 0, cap);
        while (n < ARRAY_SIZE(b) && (b[n] = HeapAlloc(f, 0, s)) != NULL)
            n++;
        EXPECT_LT(t, n, ARRAY_SIZE(b));
        if (n * cost + 0x2000 < cap)
            utest_fail_msg(t, __FILE__, __LINE__, "%lu blocks of %lu bytes in a %lx-byte heap: "
                           "more than 8 bytes of overhead a block", (unsigned long)n,
                           (unsigned long)s, (unsigned long)cap);
        DESTROY(t, f);
    }
}

HEAP_TEST(eng_shrunk_heap_gives_pages_back)
{
    HANDLE h = CREATE(t, 0, 0, 0);
    enum { N = 160 };
    static void *p[N];
    void *regions[16];
    uint32_t committed = 0, c;

    for (int i = 0; i < N; i++) {
        p[i] = ALLOC(t, h, 0, 20000 + (SIZE_T)(i % 7) * 5000);     /* ~5 MB */
        memset(p[i], 0x11, 20000);
    }
    int nr = walk_region_bases(h, regions, 16);
    for (int i = 0; i < nr; i++) {
        alloc_extent(regions[i], &c, NULL);
        committed += c;
    }
    EXPECT_GE(t, committed, N * 20000);
    for (int i = 0; i < N; i++)
        FREE(t, h, p[i]);
    /* Without HeapCompact: all but a bounded reserve went back. */
    uint32_t after = 0;
    nr = walk_region_bases(h, regions, 16);
    for (int i = 0; i < nr; i++) {
        alloc_extent(regions[i], &c, NULL);
        after += c;
    }
    if (after > 0x100000)
        utest_fail_msg(t, __FILE__, __LINE__, "an emptied heap keeps %lx bytes committed (of %lx)",
                       (unsigned long)after, (unsigned long)committed);
    EXPECT_HEAP_OK(t, h);
    /* ... and it is as usable as before. */
    for (int i = 0; i < N; i += 4)
        p[i] = ALLOC(t, h, 0, 30000);
    for (int i = 0; i < N; i += 4)
        FREE(t, h, p[i]);
    DESTROY(t, h);
}

/* ---- robustness ------------------------------------------------------------------------ */

HEAP_TEST(rob_double_free_many)
{
    HANDLE h = CREATE(t, 0, 0, 0);
    enum { N = 300 };
    static void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = ALLOC(t, h, 0, (SIZE_T)(i * 97) % 9000);
    void *keep = ALLOC(t, h, 0, 333);
    pattern_fill(keep, 333, 9);
    for (int i = 0; i < N; i++)
        FREE(t, h, p[i]);
    int wrong = 0;
    for (int i = 0; i < N; i++) {
        SetLastError(BAD_ERROR);
        wrong += HeapFree(h, 0, p[i]) != FALSE || GetLastError() != ERROR_INVALID_PARAMETER;
    }
    EXPECT_EQ(t, wrong, 0);
    /* Reallocating a freed block is refused the same way. */
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, HeapReAlloc(h, 0, p[5], 100), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT_HEAP_OK(t, h);
    EXPECT_EQ(t, pattern_check(keep, 333, 9), 333);
    for (int i = 0; i < N; i++)
        p[i] = ALLOC(t, h, 0, (SIZE_T)(i * 31) % 3000);
    for (int i = 0; i < N; i++)
        FREE(t, h, p[i]);
    FREE(t, h, keep);
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);
}

/* Fills n bytes with data of kind k: zeros, ones, a byte pattern,
 * random words, small integers, pointers into the heap. */
static void fill_kind(uint32_t *w, uint32_t words, int k, uint32_t heap_base)
{
    for (uint32_t i = 0; i < words; i++) {
        switch (k) {
        case 0: w[i] = 0; break;
        case 1: w[i] = 0xFFFFFFFFu; break;
        case 2: w[i] = 0x5A5A5A5Au; break;
        case 3: w[i] = utest_random(); break;
        case 4: w[i] = i; break;
        default: w[i] = heap_base + (utest_random() & 0xFFFF8u); break;
        }
    }
}

HEAP_TEST(rob_interior_pointers_refused)
{
    HANDLE h = CREATE(t, 0, 0, 0);
    static const uint32_t sizes[] = { 16, 64, 256, 1000, 1024, 4000, 20000, 40000 };
    int accepted = 0, wrong_error = 0, tries = 0;

    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        for (int kind = 0; kind < 6; kind++) {
            uint32_t n = sizes[i];
            void *before = ALLOC(t, h, 0, 24);
            uint8_t *p = ALLOC(t, h, 0, n);
            void *after = ALLOC(t, h, 0, 24);
            fill_kind((uint32_t *)p, n / 4, kind, U32(h));
            uint32_t limit = n < 2048 ? n : 2048;
            for (uint32_t off = 1; off < limit; off += off < 64 ? 1 : 8) {
                tries++;
                SetLastError(BAD_ERROR);
                if (HeapFree(h, 0, p + off)) {
                    accepted++;
                    utest_log("HeapFree accepted %p, %lu bytes into a %lu-byte block (data kind %d)",
                              p + off, (unsigned long)off, (unsigned long)n, kind);
                    break;              /* the heap is no longer trustworthy */
                }
                wrong_error += GetLastError() != ERROR_INVALID_PARAMETER;
                if (HeapSize(h, 0, p + off) != (SIZE_T)-1 || HeapValidate(h, 0, p + off))
                    accepted++;
            }
            EXPECT_TRUE(t, HeapValidate(h, 0, p));
            EXPECT_EQ(t, HeapSize(h, 0, p), n);
            FREE(t, h, p);
            FREE(t, h, before);
            FREE(t, h, after);
        }
    }
    EXPECT_EQ(t, accepted, 0);
    EXPECT_EQ(t, wrong_error, 0);
    EXPECT_GT(t, tries, 8000);
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);
}

/* The three neighbours a, p, c of one size in a fresh heap. */
struct trio {
    uint8_t *a, *p, *c;
};

static struct trio trio_alloc(struct utest *t, HANDLE h, uint32_t n)
{
    struct trio r;
    r.a = ALLOC(t, h, 0, n);
    r.p = ALLOC(t, h, 0, n);
    r.c = ALLOC(t, h, 0, n);
    pattern_fill(r.a, n, 1);
    pattern_fill(r.p, n, 2);
    pattern_fill(r.c, n, 3);
    return r;
}

HEAP_TEST(rob_corrupted_header_detected)
{
    static const uint32_t sizes[] = { 100, 2000, 40000 };
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        uint32_t n = sizes[i];
        HANDLE h = CREATE(t, 0, 0, 0);
        struct trio r = trio_alloc(t, h, n);
        uint8_t save[8];
        memcpy(save, r.p - 8, 8);
        int missed = 0, wrong = 0;
        /* Every single bit of the 8 bytes before the block flipped. */
        for (int bit = 0; bit < 64; bit++) {
            r.p[-8 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
            SetLastError(BAD_ERROR);
            if (HeapFree(h, 0, r.p)) {
                utest_log("HeapFree took a %lu-byte block whose header bit %d was flipped",
                          (unsigned long)n, bit);
                missed++;
                memcpy(r.p - 8, save, 8);
                break;
            }
            wrong += GetLastError() != ERROR_INVALID_PARAMETER;
            missed += HeapValidate(h, 0, r.p) != FALSE;
            missed += HeapValidate(h, 0, NULL) != FALSE;      /* the whole-heap check sees it */
            missed += HeapSize(h, 0, r.p) != (SIZE_T)-1;
            memcpy(r.p - 8, save, 8);
        }
        EXPECT_EQ(t, missed, 0);
        EXPECT_EQ(t, wrong, 0);
        /* Zeroed and 0xFF headers. */
        memset(r.p - 8, 0, 8);
        EXPECT_FREE_FAILS(t, h, r.p, ERROR_INVALID_PARAMETER);
        memset(r.p - 8, 0xFF, 8);
        EXPECT_FREE_FAILS(t, h, r.p, ERROR_INVALID_PARAMETER);
        memcpy(r.p - 8, save, 8);
        /* Nothing else was touched: the heap is intact once repaired. */
        EXPECT_HEAP_OK(t, h);
        EXPECT_EQ(t, pattern_check(r.a, n, 1), n);
        EXPECT_EQ(t, pattern_check(r.p, n, 2), n);
        EXPECT_EQ(t, pattern_check(r.c, n, 3), n);
        void *x = ALLOC(t, h, 0, n);
        FREE(t, h, x);
        FREE(t, h, r.a);
        FREE(t, h, r.p);
        FREE(t, h, r.c);
        EXPECT_HEAP_OK(t, h);
        DESTROY(t, h);
    }
}

HEAP_TEST(rob_overrun_into_next_header_detected)
{
    /* a's payload overrun into p's header, then a freed: the damaged
     * neighbour is noticed, a stays allocated, nothing merges into it. */
    static const uint32_t sizes[] = { 2000, 40000 };
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        uint32_t n = sizes[i];
        HANDLE h = CREATE(t, 0, 0, 0);
        struct trio r = trio_alloc(t, h, n);
        uint8_t save[8];
        memcpy(save, r.p - 8, 8);
        memset(r.p - 8, 0x41, 8);               /* as memset(a, 0x41, n + 8 + slack) would */
        SetLastError(BAD_ERROR);
        BOOL freed = HeapFree(h, 0, r.a);
        if (freed) {
            /* Taken: then the damage must be on record. */
            EXPECT_FALSE(t, HeapValidate(h, 0, NULL));
        } else {
            EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
            EXPECT_FALSE(t, HeapValidate(h, 0, r.a));
        }
        EXPECT_FALSE(t, HeapValidate(h, 0, NULL));
        EXPECT_FREE_FAILS(t, h, r.p, ERROR_INVALID_PARAMETER);
        memcpy(r.p - 8, save, 8);
        /* Repaired: everything can be freed and the heap is usable. */
        if (!freed)
            FREE(t, h, r.a);
        FREE(t, h, r.p);
        EXPECT_EQ(t, pattern_check(r.c, n, 3), n);
        FREE(t, h, r.c);
        void *x = ALLOC(t, h, 0, n);
        FREE(t, h, x);
        if (!HeapValidate(h, 0, NULL))
            utest_log("%lu: after the repair HeapValidate(h, 0, NULL) still reports the earlier "
                      "damage", (unsigned long)n);
        DESTROY(t, h);
    }
}

HEAP_TEST(rob_terminate_on_corruption_raises)
{
    HANDLE h = CREATE(t, HEAP_X_TERMINATE_ON_CORRUPTION, 0, 0);
    HANDLE other = CREATE(t, 0, 0, 0);
    volatile BOOL ok = TRUE;
    void *volatile r = NULL;
    static const uint32_t sizes[] = { 40, 2000, 40000, LARGE_MIN + 8 };

    void *keep = ALLOC(t, h, 0, 77);
    pattern_fill(keep, 77, 7);
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        uint32_t n = sizes[i];
        uint8_t *p = ALLOC(t, h, 0, n);
        memset(p, 0, n);
        /* A pointer into the middle of it, and one byte off. */
        EXPECT_HEAP_CORRUPTION(t, ok = HeapFree(h, 0, p + 16));
        EXPECT_HEAP_CORRUPTION(t, ok = HeapFree(h, 0, p + 1));
        EXPECT_HEAP_CORRUPTION(t, r = HeapReAlloc(h, 0, p + 16, 10));
        EXPECT_TRUE(t, HeapValidate(h, 0, p));
        FREE(t, h, p);
        /* A double free. */
        EXPECT_HEAP_CORRUPTION(t, ok = HeapFree(h, 0, p));
        EXPECT_HEAP_CORRUPTION(t, r = HeapReAlloc(h, 0, p, 10));
        EXPECT_HEAP_OK(t, h);
    }
    /* A foreign pointer: another heap's block, the stack. */
    int local;
    void *theirs = ALLOC(t, other, 0, 50);
    EXPECT_HEAP_CORRUPTION(t, ok = HeapFree(h, 0, theirs));
    EXPECT_HEAP_CORRUPTION(t, ok = HeapFree(h, 0, &local));
    EXPECT_TRUE(t, HeapValidate(other, 0, theirs));
    FREE(t, other, theirs);
    /* A damaged header. */
    uint8_t *d = ALLOC(t, h, 0, 500);
    uint8_t save[8];
    memcpy(save, d - 8, 8);
    d[-7] ^= 0x04;
    EXPECT_HEAP_CORRUPTION(t, ok = HeapFree(h, 0, d));
    memcpy(d - 8, save, 8);
    /* Queries and ordinary failures raise nothing; the heap is intact. */
    EXPECT_NO_EXCEPTION(t, ok = HeapFree(h, 0, NULL));
    EXPECT_TRUE(t, ok);
    EXPECT_NO_EXCEPTION(t, ok = HeapValidate(h, 0, d + 8));
    EXPECT_FALSE(t, ok);
    volatile SIZE_T sz = 0;
    EXPECT_NO_EXCEPTION(t, sz = HeapSize(h, 0, d + 8));
    EXPECT_EQ(t, sz, (SIZE_T)-1);
    SetLastError(BAD_ERROR);
    EXPECT_NO_EXCEPTION(t, r = HeapAlloc(h, 0, 0x80000000u));
    EXPECT_PTR_EQ(t, r, NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_HEAP_OK(t, h);
    EXPECT_EQ(t, pattern_check(keep, 77, 7), 77);
    FREE(t, h, d);
    FREE(t, h, keep);
    void *x = ALLOC(t, h, 0, 100);
    FREE(t, h, x);
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);
    DESTROY(t, other);
}

/* ---- the checking options -------------------------------------------------------------- */

static const DWORD tail_options[] = { HEAP_TAIL_CHECKING_ENABLED, HEAP_CHECKING_OPTIONS };
static const DWORD free_options[] = { HEAP_FREE_CHECKING_ENABLED, HEAP_CHECKING_OPTIONS };

HEAP_TEST(chk_one_byte_overrun_found)
{
    static const uint32_t sizes[] = { 0, 1, 7, 8, 9, 15, 16, 17, 24, 100, 1000, 1024, 4096, 40000,
                                      LARGE_MIN + 1 };
    for (unsigned o = 0; o < ARRAY_SIZE(tail_options); o++) {
        HANDLE h = CREATE(t, tail_options[o], 0, 0);
        for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
            uint32_t n = sizes[i];
            void *wall = ALLOC(t, h, 0, 16);
            uint8_t *p = ALLOC(t, h, 0, n);
            void *wall2 = ALLOC(t, h, 0, 16);
            memset(p, 0x33, n);
            EXPECT_TRUE(t, HeapValidate(h, 0, p));
            EXPECT_HEAP_OK(t, h);
            static const uint8_t values[] = { 0x00, 0x33, 0xFF };
            for (unsigned v = 0; v < ARRAY_SIZE(values); v++) {
                uint8_t save = p[n];
                if (save == values[v])
                    continue;
                p[n] = values[v];               /* one byte past the end */
                if (HeapValidate(h, 0, p))
                    utest_fail_msg(t, __FILE__, __LINE__, "options %lx: HeapValidate(block of %lu) "
                                   "misses a byte written past its end", tail_options[o],
                                   (unsigned long)n);
                if (HeapValidate(h, 0, NULL))
                    utest_fail_msg(t, __FILE__, __LINE__, "options %lx: HeapValidate(heap) misses "
                                   "a byte written past a %lu-byte block", tail_options[o],
                                   (unsigned long)n);
                p[n] = save;
            }
            EXPECT_HEAP_OK(t, h);
            /* Freed with the overrun in place: refused, or found later. */
            uint8_t save = p[n];
            p[n] = (uint8_t)~save;
            SetLastError(BAD_ERROR);
            if (HeapFree(h, 0, p)) {
                if (HeapValidate(h, 0, NULL))
                    utest_fail_msg(t, __FILE__, __LINE__, "options %lx: a %lu-byte block freed "
                                   "with a byte written past its end: nothing noticed",
                                   tail_options[o], (unsigned long)n);
            } else {
                EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
                p[n] = save;
                FREE(t, h, p);
            }
            FREE(t, h, wall);
            FREE(t, h, wall2);
        }
        DESTROY(t, h);
    }
}

HEAP_TEST(chk_write_after_free_found)
{
    static const uint32_t sizes[] = { 1, 16, 40, 100, 1000, 3000, 20000, 60000 };
    for (unsigned o = 0; o < ARRAY_SIZE(free_options); o++) {
        HANDLE h = CREATE(t, free_options[o], 0, 0);
        for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
            uint32_t n = sizes[i];
            uint32_t offs[4] = { 0, n / 2, n - 1, 8 < n ? 8 : 0 };
            for (int k = 0; k < 4; k++) {
                void *wall = ALLOC(t, h, 0, 16);
                uint8_t *p = ALLOC(t, h, 0, n);
                void *wall2 = ALLOC(t, h, 0, 16);
                memset(p, 0x77, n);
                FREE(t, h, p);
                EXPECT_HEAP_OK(t, h);
                uint8_t save = p[offs[k]];
                p[offs[k]] = (uint8_t)(save ^ 0x21);      /* write after free */
                if (HeapValidate(h, 0, NULL))
                    utest_fail_msg(t, __FILE__, __LINE__, "options %lx: HeapValidate misses a "
                                   "write %lu bytes into a freed %lu-byte block", free_options[o],
                                   (unsigned long)offs[k], (unsigned long)n);
                p[offs[k]] = save;
                EXPECT_HEAP_OK(t, h);
                FREE(t, h, wall);
                FREE(t, h, wall2);
            }
        }
        EXPECT_HEAP_OK(t, h);
        DESTROY(t, h);
    }
    /* The written block handed out again: the write is on record. */
    static const uint32_t reuse[] = { 100, 3000 };
    for (unsigned i = 0; i < ARRAY_SIZE(reuse); i++) {
        HANDLE h = CREATE(t, HEAP_CHECKING_OPTIONS, 0, 0);
        uint32_t n = reuse[i];
        void *wall = ALLOC(t, h, 0, 16);
        uint8_t *p = ALLOC(t, h, 0, n);
        void *wall2 = ALLOC(t, h, 0, 16);
        FREE(t, h, p);
        p[n / 2] ^= 0x5A;
        uint8_t *q = ALLOC(t, h, 0, n);
        if (HeapValidate(h, 0, NULL))
            utest_fail_msg(t, __FILE__, __LINE__, "a freed %lu-byte block written to (and handed "
                           "out again: %s): nothing noticed", (unsigned long)n, q == p ? "yes" : "no");
        FREE(t, h, q);
        FREE(t, h, wall);
        FREE(t, h, wall2);
        DESTROY(t, h);
    }
}

/* ---- random operations against a shadow model -------------------------------------------- */

#define SLOTS 512

struct slot {
    uint8_t *p;
    uint32_t size;
    uint32_t seed;
};

static struct slot slots[SLOTS];
static struct walk_expect expect[SLOTS];

static uint32_t rng;

static uint32_t rnd(void)
{
    uint32_t x = rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng = x;
}

/* Mostly small, some up to 64 KiB, a few large ones. */
static uint32_t rnd_size(bool fixed)
{
    uint32_t r = rnd() % 1000;
    if (r < 600)
        return rnd() % 257;
    if (r < 850)
        return 257 + rnd() % (4096 - 257);
    if (r < 995 || fixed)
        return 4097 + rnd() % (65536 - 4097);
    return LARGE_MIN + rnd() % 0x40000;
}

struct rnd_result {
    long allocs, frees, reallocs, failures, validations;
};

/* ops random operations on h; checks every block's contents on free and
 * reallocation, HeapSize, HeapValidate(h, 0, NULL) every 1000 operations
 * and a full HeapWalk at the end.  A fixed heap may run out: NULL with
 * ERROR_NOT_ENOUGH_MEMORY, and the model is unchanged. */
static struct rnd_result random_ops(struct utest *t, HANDLE h, long ops, DWORD call_flags, bool fixed,
                                    int large_max)
{
    struct rnd_result res = { 0 };
    int large = 0;

    memset(slots, 0, sizeof(slots));
    for (long op = 0; op < ops && t->failures == 0; op++) {
        struct slot *s = &slots[rnd() % SLOTS];
        uint32_t r = rnd() % 100;
        if (s->p == NULL) {
            uint32_t n = rnd_size(fixed);
            if (n >= LARGE_MIN && large >= large_max)
                n %= 65536;
            DWORD flags = call_flags | (r < 20 ? HEAP_ZERO_MEMORY : 0);
            SetLastError(BAD_ERROR);
            uint8_t *p = HeapAlloc(h, flags, n);
            if (p == NULL) {
                if (!fixed || GetLastError() != ERROR_NOT_ENOUGH_MEMORY)
                    utest_fail_msg(t, __FILE__, __LINE__, "op %ld: HeapAlloc(%lu) failed, error %lu",
                                   op, (unsigned long)n, GetLastError());
                res.failures++;
                continue;
            }
            if ((U32(p) & 7) != 0)
                utest_fail_msg(t, __FILE__, __LINE__, "op %ld: %p misaligned", op, p);
            if ((flags & HEAP_ZERO_MEMORY) && bytes_check(p, 0, n, 0) != n)
                utest_fail_msg(t, __FILE__, __LINE__, "op %ld: HEAP_ZERO_MEMORY block not zero", op);
            s->p = p;
            s->size = n;
            s->seed = rnd();
            pattern_fill(p, n, s->seed);
            large += n >= LARGE_MIN;
            res.allocs++;
        } else if (r < 50) {
            uint32_t bad = pattern_check(s->p, s->size, s->seed);
            if (bad != s->size)
                utest_fail_msg(t, __FILE__, __LINE__, "op %ld: block %p (%lu bytes) byte %lu changed",
                               op, s->p, (unsigned long)s->size, (unsigned long)bad);
            SetLastError(BAD_ERROR);
            if (!HeapFree(h, call_flags, s->p))
                utest_fail_msg(t, __FILE__, __LINE__, "op %ld: HeapFree(%p) failed, error %lu", op,
                               s->p, GetLastError());
            large -= s->size >= LARGE_MIN;
            s->p = NULL;
            res.frees++;
        } else if (r < 90) {
            uint32_t n = r < 60 ? s->size + rnd() % 512 : r < 70 ? rnd() % (s->size + 1) : rnd_size(fixed);
            if (n >= LARGE_MIN && s->size < LARGE_MIN && large >= large_max)
                n %= 65536;
            DWORD flags = call_flags | (r % 4 == 0 ? HEAP_ZERO_MEMORY : 0) |
                          (r % 10 == 1 ? HEAP_REALLOC_IN_PLACE_ONLY : 0);
            uint32_t keep = n < s->size ? n : s->size;
            SetLastError(BAD_ERROR);
            uint8_t *q = HeapReAlloc(h, flags, s->p, n);
            if (q == NULL) {
                if ((!fixed && !(flags & HEAP_REALLOC_IN_PLACE_ONLY)) ||
                    GetLastError() != ERROR_NOT_ENOUGH_MEMORY)
                    utest_fail_msg(t, __FILE__, __LINE__, "op %ld: HeapReAlloc(%lu -> %lu, %lx) "
                                   "failed, error %lu", op, (unsigned long)s->size,
                                   (unsigned long)n, flags, GetLastError());
                keep = s->size;         /* untouched */
                n = s->size;
                q = s->p;
                res.failures++;
            } else {
                if ((flags & HEAP_REALLOC_IN_PLACE_ONLY) && q != s->p)
                    utest_fail_msg(t, __FILE__, __LINE__, "op %ld: HEAP_REALLOC_IN_PLACE_ONLY moved "
                                   "the block", op);
                if ((flags & HEAP_ZERO_MEMORY) && n > s->size && bytes_check(q, s->size, n, 0) != n)
                    utest_fail_msg(t, __FILE__, __LINE__, "op %ld: grown bytes not zero", op);
                large += (n >= LARGE_MIN) - (s->size >= LARGE_MIN);
                res.reallocs++;
            }
            uint32_t bad = pattern_check(q, keep, s->seed);
            if (bad != keep)
                utest_fail_msg(t, __FILE__, __LINE__, "op %ld: realloc %lu -> %lu lost byte %lu", op,
                               (unsigned long)s->size, (unsigned long)n, (unsigned long)bad);
            s->p = q;
            s->size = n;
            pattern_fill(q, n, s->seed);
        } else {
            if (HeapSize(h, call_flags, s->p) != s->size)
                utest_fail_msg(t, __FILE__, __LINE__, "op %ld: HeapSize(%p) %ld, expected %lu", op,
                               s->p, (long)HeapSize(h, call_flags, s->p), (unsigned long)s->size);
            if (!HeapValidate(h, call_flags, s->p))
                utest_fail_msg(t, __FILE__, __LINE__, "op %ld: HeapValidate(%p) FALSE", op, s->p);
        }
        if (op % 1000 == 999) {
            res.validations++;
            if (!HeapValidate(h, 0, NULL))
                utest_fail_msg(t, __FILE__, __LINE__, "op %ld: HeapValidate(heap) FALSE", op);
        }
    }
    /* The walk agrees with the model. */
    int live = 0;
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].p != NULL) {
            expect[live].p = slots[i].p;
            expect[live].size = slots[i].size;
            live++;
        }
    struct walk_stats ws = WALK_VERIFY(t, h, expect, live);
    EXPECT_EQ(t, ws.unexpected_busy, 0);
    EXPECT_EQ(t, ws.busy, live);
    /* Everything back. */
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].p != NULL) {
            if (pattern_check(slots[i].p, slots[i].size, slots[i].seed) != slots[i].size)
                utest_fail_msg(t, __FILE__, __LINE__, "slot %d: contents changed", i);
            FREE(t, h, slots[i].p);
            slots[i].p = NULL;
        }
    EXPECT_HEAP_OK(t, h);
    ws = WALK_VERIFY(t, h, NULL, 0);
    EXPECT_EQ(t, ws.busy, 0);
    utest_log("%ld ops: %ld allocations, %ld frees, %ld reallocations, %ld refused, %ld heap "
              "validations", ops, res.allocs, res.frees, res.reallocs, res.failures, res.validations);
    return res;
}

static void rnd_seed(uint32_t salt)
{
    rng = utest_seed() * 2654435761u + salt;
    if (rng == 0)
        rng = 1;
}

HEAP_TEST(rnd_50k_ops_growable)
{
    rnd_seed(1);
    HANDLE h = CREATE(t, 0, 0, 0);
    struct rnd_result r = random_ops(t, h, 50000, 0, false, 4);
    EXPECT_GT(t, r.allocs, 10000);
    EXPECT_GT(t, r.frees, 8000);
    EXPECT_GT(t, r.reallocs, 8000);
    EXPECT_EQ(t, r.validations, 50);
    DESTROY(t, h);
}

HEAP_TEST(rnd_20k_ops_no_serialize_per_call)
{
    rnd_seed(2);
    HANDLE h = CREATE(t, 0, 0, 0);
    struct rnd_result r = random_ops(t, h, 20000, HEAP_NO_SERIALIZE, false, 2);
    EXPECT_GT(t, r.allocs, 4000);
    DESTROY(t, h);
}

HEAP_TEST(rnd_10k_ops_checking)
{
    rnd_seed(3);
    HANDLE h = CREATE(t, HEAP_CHECKING_OPTIONS, 0, 0);
    struct rnd_result r = random_ops(t, h, 10000, 0, false, 2);
    EXPECT_GT(t, r.allocs, 2000);
    DESTROY(t, h);
}

HEAP_TEST(rnd_20k_ops_fixed)
{
    rnd_seed(4);
    HANDLE h = CREATE(t, HEAP_NO_SERIALIZE, 0, 0x100000);
    struct rnd_result r = random_ops(t, h, 20000, 0, true, 0);
    EXPECT_GT(t, r.allocs, 4000);
    EXPECT_GT(t, r.failures, 0);                /* it did run full */
    DESTROY(t, h);
}

/* ---- the program ------------------------------------------------------------------------- */

static const struct utest_case engine_cases[] = {
    UTEST_CASE(proc_heap_1mib_reserved_committed_on_demand),
    UTEST_CASE(eng_small_block_overhead_8_bytes),
    UTEST_CASE(eng_shrunk_heap_gives_pages_back),
    UTEST_END,
};

static const struct utest_case rob_cases[] = {
    UTEST_CASE(rob_double_free_many),
    UTEST_CASE(rob_interior_pointers_refused),
    UTEST_CASE(rob_corrupted_header_detected),
    UTEST_CASE(rob_overrun_into_next_header_detected),
    UTEST_CASE(rob_terminate_on_corruption_raises),
    UTEST_CASE(chk_one_byte_overrun_found),
    UTEST_CASE(chk_write_after_free_found),
    UTEST_END,
};

static const struct utest_case rnd_cases[] = {
    UTEST_CASE(rnd_50k_ops_growable),
    UTEST_CASE(rnd_20k_ops_no_serialize_per_call),
    UTEST_CASE(rnd_10k_ops_checking),
    UTEST_CASE(rnd_20k_ops_fixed),
    UTEST_END,
};

static const struct utest_suite engine_suite = { .name = "uheap_engine", .cases = engine_cases,
                                                 .exit = fixture_suite_exit };
static const struct utest_suite rob_suite = { .name = "uheap_robustness", .cases = rob_cases,
                                              .exit = fixture_suite_exit };
static const struct utest_suite rnd_suite = { .name = "uheap_random", .cases = rnd_cases,
                                              .exit = fixture_suite_exit };

static const struct utest_suite *const suites[] = { &engine_suite, &rob_suite, &rnd_suite, NULL };

int main(void)
{
    ph_at_start = GetProcessHeap();
    alloc_extent(ph_at_start, &ph_committed_at_start, &ph_reserved_at_start);
    uheap_main_prepare();
    return utest_main(suites);
}
