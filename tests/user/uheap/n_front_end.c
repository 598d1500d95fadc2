/* uheap, issue 14: the low-fragmentation front end from ring 3, through
 * the SDK: HeapQueryInformation / HeapSetInformation, a size's run turning
 * its class on, the waste bound of x86's classes, HeapWalk over front-end
 * blocks, and corruption of front-end blocks found as on back-end ones.
 * In uheap_nolfh (the program defines sdk_heap_options with
 * HEAP_OS_OPT_NO_LFH) every heap is standard, and these cases check that
 * instead. */
#define UHEAP_PART
#include "uheap.h"

static ULONG compat(HANDLE h)
{
    ULONG v = 77;
    SIZE_T ret = 0;
    if (!HeapQueryInformation(h, HeapCompatibilityInformation, &v, sizeof v, &ret) || ret != sizeof v)
        return 99;
    return v;
}

/* Is the front end on in this program (uheap) or off (uheap_nolfh)? */
static bool front_end_on(void)
{
    return compat(GetProcessHeap()) == 2;
}

static int block_kind(HANDLE h, const void *p, uint32_t *bytes)
{
    struct heap_block_info bi;
    if (!heap_block_info(h, 0, p, &bi))
        return -1;
    if (bytes)
        *bytes = bi.block_bytes;
    return bi.front_end;
}

static void warm(struct utest *t, HANDLE h, SIZE_T n)
{
    void *p[40];
    for (int i = 0; i < 40; i++)
        p[i] = ALLOC(t, h, 0, n);
    for (int i = 0; i < 40; i++)
        FREE(t, h, p[i]);
}

HEAP_TEST(n1_compatibility_information)
{
    HANDLE g = CREATE(t, 0, 0, 0), n = CREATE(t, HEAP_NO_SERIALIZE, 0, 0), f = CREATE(t, 0, 0, 0x40000);
    ULONG want = front_end_on() ? 2 : 0, two = 2, zero = 0, v = 0;
    SIZE_T ret = 0;
    EXPECT_EQ(t, compat(g), want);
    EXPECT_EQ(t, compat(n), 0);
    EXPECT_EQ(t, compat(f), 0);
    SetLastError(BAD_ERROR);
    EXPECT_FALSE(t, HeapSetInformation(n, HeapCompatibilityInformation, &two, sizeof two));
    EXPECT_EQ(t, GetLastError(), ERROR_GEN_FAILURE);
    SetLastError(BAD_ERROR);
    EXPECT_FALSE(t, HeapSetInformation(f, HeapCompatibilityInformation, &two, sizeof two));
    EXPECT_EQ(t, GetLastError(), ERROR_GEN_FAILURE);
    if (want) {
        EXPECT_TRUE(t, HeapSetInformation(g, HeapCompatibilityInformation, &two, sizeof two));
        SetLastError(BAD_ERROR);
        EXPECT_FALSE(t, HeapSetInformation(g, HeapCompatibilityInformation, &zero, sizeof zero));
        EXPECT_EQ(t, GetLastError(), ERROR_GEN_FAILURE);
    } else { /* forced off: as heap debugging does on Windows */
        SetLastError(BAD_ERROR);
        EXPECT_FALSE(t, HeapSetInformation(g, HeapCompatibilityInformation, &two, sizeof two));
        EXPECT_EQ(t, GetLastError(), ERROR_GEN_FAILURE);
    }
    SetLastError(BAD_ERROR);
    EXPECT_FALSE(t, HeapQueryInformation(g, HeapCompatibilityInformation, &v, 2, &ret));
    EXPECT_EQ(t, GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    EXPECT_EQ(t, ret, sizeof(ULONG));
    DESTROY(t, g);
    DESTROY(t, n);
    DESTROY(t, f);
}

/* In a new heap the 32nd block of one size is the first front-end one
 * (16 small allocations set the front end up, a class turns on at its
 * 17th after that); the API's results do not change (item 90). */
HEAP_TEST(n2_a_run_of_one_size_turns_its_class_on)
{
    HANDLE h = CREATE(t, 0, 0, 0);
    void *p[40];
    int on = front_end_on();
    for (int i = 0; i < 40; i++) {
        p[i] = ALLOC(t, h, 0, 24);
        EXPECT_EQ(t, block_kind(h, p[i], NULL), on && i >= 31 ? 1 : 0);
        EXPECT_EQ(t, HeapSize(h, 0, p[i]), 24);
        EXPECT_EQ(t, (uint32_t)p[i] % 8, 0);
    }
    for (int i = 0; i < 40; i++)
        FREE(t, h, p[i]);
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);
}

/* x86's classes: up to 128-byte blocks the request and its header
 * rounded to 8 bytes, above that less than 12.5% of a request above 64
 * bytes wasted; every request up to 16 KiB from the front end. */
HEAP_TEST(n3_classes_waste_under_an_eighth)
{
    HANDLE h = CREATE(t, 0, 0, 0);
    uint32_t bad = 0, lfh = 0;
    for (SIZE_T n = 1; n <= 16384; n += 8)
        warm(t, h, n);
    for (SIZE_T n = 0; n <= 16384; n++) {
        void *p = ALLOC(t, h, 0, n);
        uint32_t block = 0;
        if (block_kind(h, p, &block) == 1) {
            uint32_t lin = (n + 8 + 7) / 8 * 8 < 16 ? 16 : (n + 8 + 7) / 8 * 8;
            lfh++;
            if (block < n + 8 || (n + 8 <= 128 ? block != lin : n > 64 && (block - 8 - n) * 8 >= n))
                bad++;
        }
        FREE(t, h, p);
    }
    EXPECT_EQ(t, bad, 0);
    EXPECT_EQ(t, lfh, front_end_on() ? 16385u : 0u);
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);
}

/* HeapWalk over a heap of front-end blocks (and some back-end and large
 * ones): every live block once, busy, with its size; entries tile. */
HEAP_TEST(n4_heapwalk_over_front_end_blocks)
{
    enum { N = 600 };
    static struct walk_expect ex[N];
    HANDLE h = CREATE(t, 0, 0, 0);
    int k = 0;
    for (int i = 0; i < N; i++) {
        SIZE_T n = i % 50 == 3 ? LARGE_MIN + 17 : i % 3 ? (SIZE_T)(i * 29) % 500 : 2049 + (SIZE_T)(i * 7) % 9000;
        void *p = ALLOC(t, h, 0, n);
        if (i % 5 == 0) {
            FREE(t, h, p);
            continue;
        }
        ex[k].p = p;
        ex[k].size = n;
        ex[k].seen = 0;
        k++;
    }
    struct walk_stats s = WALK_VERIFY(t, h, ex, k);
    EXPECT_EQ(t, s.unexpected_busy, 0);
    for (int i = 0; i < k; i++)
        FREE(t, h, (void *)ex[i].p);
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);
}

/* Corruption of front-end blocks (issue 14, point 3): interior pointers,
 * any smashed header byte, a double free: FALSE with
 * ERROR_INVALID_PARAMETER, the heap intact; with tail checking a byte
 * past the end refused the same way and seen by HeapValidate; with free
 * checking a write after free seen by HeapValidate; on a
 * terminate-on-corruption heap STATUS_HEAP_CORRUPTION, not continuable. */
HEAP_TEST(n5_front_end_corruption_found)
{
    HANDLE h = CREATE(t, 0, 0, 0), tc = CREATE(t, HEAP_TAIL_CHECKING_ENABLED, 0, 0);
    HANDLE fc = CREATE(t, HEAP_FREE_CHECKING_ENABLED, 0, 0), x = CREATE(t, HEAP_X_TERMINATE_ON_CORRUPTION, 0, 0);
    int on = front_end_on();
    warm(t, h, 100);
    warm(t, tc, 100);
    warm(t, fc, 100);
    warm(t, x, 100);
    uint8_t *p = ALLOC(t, h, 0, 100), *q = ALLOC(t, tc, 0, 100), *r = ALLOC(t, fc, 0, 100);
    uint8_t *y = ALLOC(t, x, 0, 100);
    EXPECT_EQ(t, block_kind(h, p, NULL) + block_kind(tc, q, NULL) + block_kind(fc, r, NULL) +
                     block_kind(x, y, NULL), on ? 4 : 0);
    EXPECT_FREE_FAILS(t, h, p + 8, ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, h, p + 1, ERROR_INVALID_PARAMETER);
    for (int k = 1; k <= 8; k++) {
        p[-k] ^= 0x40;
        EXPECT_FREE_FAILS(t, h, p, ERROR_INVALID_PARAMETER);
        EXPECT_FALSE(t, HeapValidate(h, 0, p));
        EXPECT_FALSE(t, HeapValidate(h, 0, NULL));
        p[-k] ^= 0x40;
    }
    EXPECT_HEAP_OK(t, h);
    FREE(t, h, p);
    EXPECT_FREE_FAILS(t, h, p, ERROR_INVALID_PARAMETER);
    EXPECT_HEAP_OK(t, h);
    q[100] ^= 0xFF;
    EXPECT_FALSE(t, HeapValidate(tc, 0, q));
    EXPECT_FREE_FAILS(t, tc, q, ERROR_INVALID_PARAMETER);
    EXPECT_EQ(t, HeapSize(tc, 0, q), 100);
    q[100] ^= 0xFF;
    FREE(t, tc, q);
    FREE(t, fc, r);
    EXPECT_HEAP_OK(t, fc);
    r[50] ^= 0x11;
    EXPECT_FALSE(t, HeapValidate(fc, 0, NULL));
    r[50] ^= 0x11;
    EXPECT_HEAP_OK(t, fc);
    FREE(t, x, y);
    EXPECT_HEAP_CORRUPTION(t, HeapFree(x, 0, y));
    EXPECT_HEAP_OK(t, x);
    DESTROY(t, h);
    DESTROY(t, tc);
    DESTROY(t, fc);
    DESTROY(t, x);
}

static const struct utest_case n_cases[] = {
    UTEST_CASE(n1_compatibility_information),
    UTEST_CASE(n2_a_run_of_one_size_turns_its_class_on),
    UTEST_CASE(n3_classes_waste_under_an_eighth),
    UTEST_CASE(n4_heapwalk_over_front_end_blocks),
    UTEST_CASE(n5_front_end_corruption_found),
    UTEST_END,
};

const struct utest_suite uheap_n_suite = {
    .name = "uheap_n_front_end", .cases = n_cases, .exit = fixture_suite_exit,
};
