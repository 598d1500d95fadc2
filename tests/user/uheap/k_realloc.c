/* uheap, spec section K: HeapReAlloc (items 79-85). */
#define UHEAP_PART
#include "uheap.h"

HEAP_TEST(k79_grow_keeps_bytes)
{
    HANDLE hs[3] = { CREATE(t, 0, 0, 0), CREATE(t, 0, 0, 0x200000), GetProcessHeap() };
    static const SIZE_T chain[] = { 1, 7, 8, 9, 100, 1000, 1024, 1025, 5000, 65000, 70000,
                                    200000, 600000, 1200000, 1300000 };
    for (int k = 0; k < 3; k++) {
        HANDLE h = hs[k];
        SIZE_T n = chain[0];
        uint8_t *p = ALLOC(t, h, 0, n);
        void *wall = ALLOC(t, h, 0, 16);       /* first growths cannot be in place */
        pattern_fill(p, (uint32_t)n, 79);
        for (unsigned i = 1; i < ARRAY_SIZE(chain); i++) {
            SIZE_T m = chain[i];
            if (k == 1 && m >= FIXED_LIMIT)
                break;
            if (k == 2 && m > 20000)
                break;                  /* the process heap: blocks in its segments only (a
                                         * realloc region may be kept for reuse, which the
                                         * fixture could not tell from a leak) */
            SetLastError(BAD_ERROR);
            uint8_t *q = HeapReAlloc(h, 0, p, m);
            if (q == NULL) {
                utest_fail_msg(t, __FILE__, __LINE__, "HeapReAlloc(%lu -> %lu) failed, error %lu",
                               (unsigned long)n, (unsigned long)m, GetLastError());
                break;
            }
            EXPECT_EQ(t, HeapSize(h, 0, q), m);
            EXPECT_EQ(t, pattern_check(q, (uint32_t)n, 79), n);  /* the old bytes */
            if (q != p)
                EXPECT_FALSE(t, HeapValidate(h, 0, p));           /* moved: old one freed */
            pattern_fill(q, (uint32_t)m, 79);
            p = q;
            n = m;
        }
        /* Shrinking keeps the prefix. */
        uint8_t *s = HeapReAlloc(h, 0, p, 33);
        ASSERT_PTR_NE(t, s, NULL);
        EXPECT_EQ(t, HeapSize(h, 0, s), 33);
        EXPECT_EQ(t, pattern_check(s, 33, 79), 33);
        FREE(t, h, s);
        FREE(t, h, wall);
        EXPECT_HEAP_OK(t, h);
    }
    DESTROY(t, hs[0]);
    DESTROY(t, hs[1]);
}

/* Makes the next allocations of h come from dirty memory: one big block
 * filled with 0xCC and freed. */
static void dirty_heap(struct utest *t, HANDLE h, SIZE_T n)
{
    uint8_t *d = ALLOC(t, h, 0, n);
    memset(d, 0xCC, n);
    FREE(t, h, d);
}

static void check_zero_growth(struct utest *t, int line, uint8_t *q, uint32_t old, uint32_t n)
{
    uint32_t a = pattern_check(q, old, 80), b = bytes_check(q, old, n, 0);
    if (a != old)
        utest_fail_msg(t, __FILE__, line, "grown block: old byte %lu changed", (unsigned long)a);
    if (b != n)
        utest_fail_msg(t, __FILE__, line, "grown block %lu -> %lu: added byte %lu is %02x",
                       (unsigned long)old, (unsigned long)n, (unsigned long)b, q[b]);
}

HEAP_TEST(k80_zero_memory_on_growth)
{
    HANDLE h = CREATE(t, 0, 0, 0);
    static const uint32_t grow[][2] = {
        { 17, 24 }, { 17, 100 }, { 100, 1000 }, { 1000, 3000 }, { 1500, 40000 }, { 3000, 70000 },
        { 5000, 600000 }, { 600000, 700000 }, { 1, 0x100000 },
    };
    int in_place = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(grow); i++) {
        uint32_t old = grow[i][0], n = grow[i][1];
        /* In place where possible: dirty memory right after the block. */
        dirty_heap(t, h, 200000);
        uint8_t *p = ALLOC(t, h, 0, old);
        pattern_fill(p, old, 80);
        uint8_t *q = HeapReAlloc(h, HEAP_ZERO_MEMORY, p, n);
        ASSERT_PTR_NE(t, q, NULL);
        EXPECT_EQ(t, HeapSize(h, 0, q), n);
        check_zero_growth(t, __LINE__, q, old, n);
        in_place += q == p;
        /* Moved: a busy neighbour, the new block from dirty memory. */
        uint8_t *r = ALLOC(t, h, 0, old);
        void *wall = ALLOC(t, h, 0, 8);
        pattern_fill(r, old, 80);
        dirty_heap(t, h, n + 64);
        uint8_t *s = HeapReAlloc(h, HEAP_ZERO_MEMORY, r, n);
        ASSERT_PTR_NE(t, s, NULL);
        check_zero_growth(t, __LINE__, s, old, n);
        FREE(t, h, q);
        FREE(t, h, s);
        FREE(t, h, wall);
    }
    EXPECT_GT(t, in_place, 0);          /* some growths did go over dirty memory in place */
    /* The bytes past the requested size inside a block's granule: 17
     * bytes in a 24-byte slot that held something else before. */
    uint8_t *a = ALLOC(t, h, 0, 24);
    memset(a, 0xCC, 24);
    FREE(t, h, a);
    uint8_t *b = ALLOC(t, h, 0, 17);
    pattern_fill(b, 17, 80);
    uint8_t *c = HeapReAlloc(h, HEAP_ZERO_MEMORY, b, 24);
    ASSERT_PTR_NE(t, c, NULL);
    check_zero_growth(t, __LINE__, c, 17, 24);
    FREE(t, h, c);
    /* A large block shrunk, then grown back with HEAP_ZERO_MEMORY. */
    uint8_t *l = ALLOC(t, h, 0, 600000);
    pattern_fill(l, 600000, 80);
    uint8_t *l2 = HeapReAlloc(h, 0, l, 590001);
    ASSERT_PTR_NE(t, l2, NULL);
    uint8_t *l3 = HeapReAlloc(h, HEAP_ZERO_MEMORY, l2, 600000);
    ASSERT_PTR_NE(t, l3, NULL);
    check_zero_growth(t, __LINE__, l3, 590001, 600000);
    FREE(t, h, l3);
    /* Without the flag, growth keeps the old bytes (and nothing more is
     * promised); with it on a shrink, nothing changes. */
    uint8_t *d = ALLOC(t, h, 0, 100);
    pattern_fill(d, 100, 80);
    uint8_t *e = HeapReAlloc(h, HEAP_ZERO_MEMORY, d, 50);
    ASSERT_PTR_NE(t, e, NULL);
    EXPECT_EQ(t, pattern_check(e, 50, 80), 50);
    FREE(t, h, e);
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);
}

HEAP_TEST(k81_in_place_only)
{
    static const uint32_t sizes[] = { 100, 1000, 2000, 20000, 100000 };
    for (int k = 0; k < 2; k++) {
        for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
            /* A fresh heap each time, so the neighbours are known. */
            HANDLE h = CREATE(t, 0, 0, k == 0 ? 0 : 0x100000);
            uint32_t n = sizes[i];
            uint8_t *p = ALLOC(t, h, 0, n);
            void *wall = ALLOC(t, h, 0, 16);   /* the next block is busy */
            pattern_fill(p, n, 81);
            /* Shrinking succeeds in place. */
            SetLastError(BAD_ERROR);
            uint8_t *q = HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, n / 2);
            EXPECT_PTR_EQ(t, q, p);
            EXPECT_EQ(t, HeapSize(h, 0, p), n / 2);
            EXPECT_EQ(t, pattern_check(p, n / 2, 81), n / 2);
            /* Growth past the busy neighbour: NULL, 8, block untouched. */
            SetLastError(BAD_ERROR);
            EXPECT_PTR_EQ(t, HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, n * 4), NULL);
            EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
            EXPECT_EQ(t, HeapSize(h, 0, p), n / 2);
            EXPECT_EQ(t, pattern_check(p, n / 2, 81), n / 2);
            EXPECT_TRUE(t, HeapValidate(h, 0, p));
            /* Growth into the room the shrink left: in place. */
            uint8_t *r = HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, n);
            EXPECT_PTR_EQ(t, r, p);
            EXPECT_EQ(t, HeapSize(h, 0, p), n);
            EXPECT_EQ(t, pattern_check(p, n / 2, 81), n / 2);
            FREE(t, h, wall);
            FREE(t, h, p);
            EXPECT_HEAP_OK(t, h);
            DESTROY(t, h);
        }
    }
    HANDLE hs[1] = { CREATE(t, 0, 0, 0) };
    /* A large block: shrinking in place; growth past its region fails. */
    uint8_t *l = ALLOC(t, hs[0], 0, 600000);
    pattern_fill(l, 600000, 81);
    EXPECT_PTR_EQ(t, HeapReAlloc(hs[0], HEAP_REALLOC_IN_PLACE_ONLY, l, 550000), l);
    EXPECT_EQ(t, HeapSize(hs[0], 0, l), 550000);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, HeapReAlloc(hs[0], HEAP_REALLOC_IN_PLACE_ONLY, l, 0x400000), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_EQ(t, HeapSize(hs[0], 0, l), 550000);
    EXPECT_EQ(t, pattern_check(l, 550000, 81), 550000);
    FREE(t, hs[0], l);
    EXPECT_HEAP_OK(t, hs[0]);
    DESTROY(t, hs[0]);
}

HEAP_TEST(k82_failure_keeps_block)
{
    HANDLE g = CREATE(t, 0, 0, 0), f = CREATE(t, 0, 0, 0x40000);
    struct { HANDLE h; SIZE_T from, to; } fails[] = {
        { g, 100, 0x80000000u }, { g, 100, 0xFFFFFFFFu }, { g, 100, 0x7FFF0000u },
        { g, 3000, 0x60000000u }, { g, LARGE_MIN, 0x7FFF0000u },
        { f, 100, FIXED_LIMIT }, { f, 100, 0x50000 }, { f, 5000, 0x3FF00 }, { f, 100, 0x80000000u },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(fails); i++) {
        HANDLE h = fails[i].h;
        uint32_t n = (uint32_t)fails[i].from;
        uint8_t *p = ALLOC(t, h, 0, n);
        pattern_fill(p, n, 82 + i);
        uint32_t allocs = allocations_outside_process_heap(), charge = charge_outside_process_heap();
        SetLastError(BAD_ERROR);
        void *q = HeapReAlloc(h, 0, p, fails[i].to);
        if (q != NULL) {
            utest_fail_msg(t, __FILE__, __LINE__, "HeapReAlloc(%lu -> %lx) succeeded",
                           (unsigned long)n, (unsigned long)fails[i].to);
            p = q;
            n = (uint32_t)fails[i].to;
        } else {
            EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
            EXPECT_EQ(t, HeapSize(h, 0, p), n);
            EXPECT_EQ(t, pattern_check(p, n, 82 + i), n);
            EXPECT_TRUE(t, HeapValidate(h, 0, p));
            EXPECT_EQ(t, allocations_outside_process_heap(), allocs);
            EXPECT_EQ(t, charge_outside_process_heap(), charge);
            /* Still a block to grow and free. */
            uint8_t *r = HeapReAlloc(h, 0, p, n + 100);
            ASSERT_PTR_NE(t, r, NULL);
            EXPECT_EQ(t, pattern_check(r, n, 82 + i), n);
            p = r;
        }
        FREE(t, h, p);
        EXPECT_HEAP_OK(t, h);
    }
    DESTROY(t, g);
    DESTROY(t, f);
}

HEAP_TEST(k83_realloc_to_zero_keeps_block)
{
    HANDLE h = CREATE(t, 0, 0, 0);
    static const SIZE_T sizes[] = { 0, 1, 100, 2000, 70000, LARGE_MIN + 10 };
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        void *p = ALLOC(t, h, 0, sizes[i]);
        void *q = HeapReAlloc(h, 0, p, 0);
        ASSERT_PTR_NE(t, q, NULL);
        EXPECT_EQ(t, HeapSize(h, 0, q), 0);
        EXPECT_TRUE(t, HeapValidate(h, 0, q));      /* live, not freed */
        DWORD cb = BAD_ERROR;
        EXPECT_EQ(t, walk_count_busy(h, q, &cb), 1);
        EXPECT_EQ(t, cb, 0);
        void *r = HeapReAlloc(h, 0, q, 10);         /* and usable again */
        ASSERT_PTR_NE(t, r, NULL);
        EXPECT_EQ(t, HeapSize(h, 0, r), 10);
        FREE(t, h, r);
    }
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);
}

HEAP_TEST(k84_realloc_null_is_not_malloc)
{
    HANDLE hs[2] = { CREATE(t, 0, 0, 0), GetProcessHeap() };
    static const SIZE_T sizes[] = { 0, 10, 5000, LARGE_MIN };
    for (int k = 0; k < 2; k++) {
        for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
            uint32_t allocs = allocations_outside_process_heap();
            SetLastError(BAD_ERROR);
            EXPECT_PTR_EQ(t, HeapReAlloc(hs[k], 0, NULL, sizes[i]), NULL);
            EXPECT_EQ(t, GetLastError(), ERROR_SUCCESS);
            SetLastError(BAD_ERROR);
            EXPECT_PTR_EQ(t, HeapReAlloc(hs[k], HEAP_ZERO_MEMORY, NULL, sizes[i]), NULL);
            EXPECT_EQ(t, GetLastError(), ERROR_SUCCESS);
            EXPECT_EQ(t, allocations_outside_process_heap(), allocs);
        }
        EXPECT_HEAP_OK(t, hs[k]);
    }
    DESTROY(t, hs[0]);
}

HEAP_TEST(k85_generate_exceptions_in_place_growth)
{
    struct utest_exception x;
    void *volatile r = (void *)1;

    HANDLE h = CREATE(t, 0, 0, 0);
    uint8_t *p = ALLOC(t, h, 0, 1000);
    void *wall = ALLOC(t, h, 0, 16);
    pattern_fill(p, 1000, 85);
    EXPECT_EXCEPTION(t, &x, r = HeapReAlloc(h, HEAP_GENERATE_EXCEPTIONS | HEAP_REALLOC_IN_PLACE_ONLY, p, 5000));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    EXPECT_PTR_EQ(t, r, 1);
    EXPECT_EQ(t, HeapSize(h, 0, p), 1000);
    EXPECT_EQ(t, pattern_check(p, 1000, 85), 1000);
    EXPECT_TRUE(t, HeapValidate(h, 0, p));
    /* A shrink in place with the flag raises nothing. */
    EXPECT_NO_EXCEPTION(t, r = HeapReAlloc(h, HEAP_GENERATE_EXCEPTIONS | HEAP_REALLOC_IN_PLACE_ONLY, p, 500));
    EXPECT_PTR_EQ(t, r, p);
    FREE(t, h, wall);
    FREE(t, h, p);
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);

    /* The heap's own HEAP_GENERATE_EXCEPTIONS, a large block. */
    HANDLE g = CREATE(t, HEAP_GENERATE_EXCEPTIONS, 0, 0);
    uint8_t *l = ALLOC(t, g, 0, 600000);
    pattern_fill(l, 600000, 85);
    EXPECT_EXCEPTION(t, &x, r = HeapReAlloc(g, HEAP_REALLOC_IN_PLACE_ONLY, l, 0x400000));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    EXPECT_EQ(t, HeapSize(g, 0, l), 600000);
    EXPECT_EQ(t, pattern_check(l, 600000, 85), 600000);
    uint8_t *s = ALLOC(t, g, 0, 100);
    void *wall2 = ALLOC(t, g, 0, 16);
    EXPECT_EXCEPTION(t, &x, r = HeapReAlloc(g, HEAP_REALLOC_IN_PLACE_ONLY, s, 200));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    EXPECT_EQ(t, HeapSize(g, 0, s), 100);
    FREE(t, g, wall2);
    FREE(t, g, s);
    FREE(t, g, l);
    EXPECT_HEAP_OK(t, g);
    DESTROY(t, g);
}

static const struct utest_case k_cases[] = {
    UTEST_CASE(k79_grow_keeps_bytes),
    UTEST_CASE(k80_zero_memory_on_growth),
    UTEST_CASE(k81_in_place_only),
    UTEST_CASE(k82_failure_keeps_block),
    UTEST_CASE(k83_realloc_to_zero_keeps_block),
    UTEST_CASE(k84_realloc_null_is_not_malloc),
    UTEST_CASE(k85_generate_exceptions_in_place_growth),
    UTEST_END,
};

const struct utest_suite uheap_k_suite = {
    .name = "uheap_k_realloc", .cases = k_cases, .exit = fixture_suite_exit,
};
