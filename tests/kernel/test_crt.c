/* The C runtime allocators in the kernel (libc/crt_malloc.c on the kernel
 * heap): spec section N, items 94-100, and the aligned family.  Every case
 * gives back what it took (the kernel heap's in-use bytes and busy blocks
 * read the same after it) and leaves the heap without a broken invariant.
 * Bad pointers go only to _msize, which validates before it looks: free
 * or realloc of one panics (the kernel heap terminates on corruption). */
#include "tests/ktest.h"
#include "mm/heap/heap.h"
#include "mm/kheap.h"
#include <malloc.h>
#include <errno.h>
#include <string.h>

/* ---- fixture: the kernel heap's use before and after ---------------------- */

static struct heap_stats fixture_stats;

static void kheap_enter(void)
{
    heap_get_stats(kheap(), &fixture_stats);
}

static void kheap_leave(struct ktest *t)
{
    struct heap_stats s;

    heap_get_stats(kheap(), &s);
    EXPECT_EQ(t, heap_check(kheap()), 0);
    EXPECT_EQ(t, s.in_use, fixture_stats.in_use);
    EXPECT_EQ(t, s.busy_blocks + s.large_blocks, fixture_stats.busy_blocks + fixture_stats.large_blocks);
}

#define CRT_TEST(name)                                                        \
    static void name##_body(struct ktest *t);                                 \
    static void name(struct ktest *t)                                         \
    {                                                                         \
        kheap_enter();                                                        \
        name##_body(t);                                                       \
        kheap_leave(t);                                                       \
    }                                                                         \
    static void name##_body(struct ktest *t)

static bool all_are(const void *p, int c, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)c)
            return false;
    return true;
}

#define TOO_BIG ((size_t)0xF0000000u)

CRT_TEST(n94_malloc_zero_is_unique_with_msize_zero)
{
    void *a = malloc(0), *b = malloc(0);

    ASSERT_TRUE(t, a != NULL && b != NULL);
    EXPECT_NE(t, (uintptr_t)a, (uintptr_t)b);
    EXPECT_EQ(t, _msize(a), 0);
    EXPECT_EQ(t, _msize(b), 0);
    free(a);
    free(b);
}

CRT_TEST(n95_results_are_8_aligned)
{
    for (size_t n = 1; n < 100000; n = n * 3 + 1) {
        void *a = malloc(n), *c = calloc(1, n), *r = realloc(malloc(2), n);
        ASSERT_TRUE(t, a != NULL && c != NULL && r != NULL);
        EXPECT_EQ(t, (uintptr_t)a % 8, 0);
        EXPECT_EQ(t, (uintptr_t)c % 8, 0);
        EXPECT_EQ(t, (uintptr_t)r % 8, 0);
        free(a);
        free(c);
        free(r);
    }
}

CRT_TEST(n96_msize_is_the_requested_size)
{
    for (size_t n = 1; n < 700000; n = n * 5 + 3) {
        void *p = malloc(n);
        ASSERT_PTR_NE(t, p, NULL);
        EXPECT_EQ(t, _msize(p), n);
        EXPECT_EQ(t, _msize(p), heap_size(kheap(), 0, p));
        free(p);
    }
    errno = 0;
    EXPECT_EQ(t, _msize(NULL), (size_t)-1);
    EXPECT_EQ(t, errno, EINVAL);
}

CRT_TEST(n96_msize_of_an_interior_pointer_is_einval)
{
    char *p = malloc(64);

    ASSERT_PTR_NE(t, p, NULL);
    memset(p, 0x41, 64);
    errno = 0;
    EXPECT_EQ(t, _msize(p + 4), (size_t)-1);
    EXPECT_EQ(t, errno, EINVAL);
    errno = 0;
    EXPECT_EQ(t, _msize(p + 16), (size_t)-1);
    EXPECT_EQ(t, errno, EINVAL);
    free(p);
}

CRT_TEST(n97_free_null_does_nothing)
{
    errno = 0;
    free(NULL);
    EXPECT_EQ(t, errno, 0);
}

CRT_TEST(n98_calloc_zeroes_and_checks_overflow)
{
    unsigned char *d = malloc(4096);

    ASSERT_PTR_NE(t, d, NULL);
    memset(d, 0xA5, 4096);
    free(d);
    unsigned char *z = calloc(1024, 4);
    ASSERT_PTR_NE(t, z, NULL);
    EXPECT_TRUE(t, all_are(z, 0, 4096));
    free(z);
    errno = 0;
    EXPECT_PTR_EQ(t, calloc(0x10000, 0x10001), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    errno = 0;
    EXPECT_PTR_EQ(t, calloc(SIZE_MAX, SIZE_MAX), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
}

CRT_TEST(n99_malloc_above_heap_maxreq_is_enomem)
{
    errno = 0;
    EXPECT_PTR_EQ(t, malloc(_HEAP_MAXREQ + 1), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    errno = 0;
    EXPECT_PTR_EQ(t, malloc(TOO_BIG), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
}

CRT_TEST(n100_realloc_edge_cases)
{
    char *p = realloc(NULL, 100);                   /* malloc */

    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, _msize(p), 100);
    memset(p, 0x5A, 100);
    errno = 0;                                      /* failure leaves p */
    EXPECT_PTR_EQ(t, realloc(p, TOO_BIG), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    EXPECT_EQ(t, _msize(p), 100);
    EXPECT_TRUE(t, all_are(p, 0x5A, 100));
    p = realloc(p, 300000);                         /* into a region of its own */
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_TRUE(t, all_are(p, 0x5A, 100));
    p = realloc(p, 40);
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_TRUE(t, all_are(p, 0x5A, 40));
    struct heap_stats before, after;
    heap_get_stats(kheap(), &before);
    EXPECT_PTR_EQ(t, realloc(p, 0), NULL);          /* frees */
    heap_get_stats(kheap(), &after);
    EXPECT_EQ(t, after.in_use, before.in_use - 40);
}

CRT_TEST(expand_and_recalloc)
{
    unsigned char *p = malloc(2000);

    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_PTR_EQ(t, _expand(p, 500), p);
    EXPECT_EQ(t, _msize(p), 500);
    errno = 0;
    EXPECT_PTR_EQ(t, _expand(p, 0x200000), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    free(p);

    p = _recalloc(NULL, 8, 4);
    ASSERT_PTR_NE(t, p, NULL);
    memset(p, 0xEE, 32);
    p = _recalloc(p, 100, 4);
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_TRUE(t, all_are(p, 0xEE, 32));
    EXPECT_TRUE(t, all_are(p + 32, 0, 368));
    EXPECT_PTR_EQ(t, _recalloc(p, 0, 4), NULL);
}

CRT_TEST(n101_aligned_blocks_keep_their_alignment)
{
    for (size_t a = 1; a <= 8192; a *= 4) {
        size_t want = a > sizeof(void *) ? a : sizeof(void *), have = 24;
        unsigned char *p = _aligned_malloc(have, a);
        ASSERT_PTR_NE(t, p, NULL);
        EXPECT_EQ(t, (uintptr_t)p % want, 0);
        for (size_t i = 0; i < have; i++)
            p[i] = (unsigned char)(i + a);
        for (size_t n = 100; n < 400000; n *= 7) {
            void *fence = malloc(16);
            unsigned char *q = _aligned_realloc(p, n, a);
            ASSERT_PTR_NE(t, q, NULL);
            p = q;
            EXPECT_EQ(t, (uintptr_t)p % want, 0);
            EXPECT_EQ(t, _aligned_msize(p, a, 0), n);
            size_t bad = 0;
            for (size_t i = 0; i < have; i++)
                bad += p[i] != (unsigned char)(i + a);
            EXPECT_EQ(t, bad, 0);
            for (size_t i = have; i < n; i++)
                p[i] = (unsigned char)(i + a);
            have = n;
            free(fence);
        }
        _aligned_free(p);
    }
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_malloc(16, 48), NULL);
    EXPECT_EQ(t, errno, EINVAL);
    errno = 0;
    _aligned_free(NULL);
    EXPECT_EQ(t, errno, 0);
}

static const struct ktest_case crt_cases[] = {
    KTEST_CASE(n94_malloc_zero_is_unique_with_msize_zero),
    KTEST_CASE(n95_results_are_8_aligned),
    KTEST_CASE(n96_msize_is_the_requested_size),
    KTEST_CASE(n96_msize_of_an_interior_pointer_is_einval),
    KTEST_CASE(n97_free_null_does_nothing),
    KTEST_CASE(n98_calloc_zeroes_and_checks_overflow),
    KTEST_CASE(n99_malloc_above_heap_maxreq_is_enomem),
    KTEST_CASE(n100_realloc_edge_cases),
    KTEST_CASE(expand_and_recalloc),
    KTEST_CASE(n101_aligned_blocks_keep_their_alignment),
    KTEST_END,
};

static const struct ktest_suite crt_suite = {
    .name = "crt",
    .cases = crt_cases,
};
KTEST_SUITE(crt_suite);
