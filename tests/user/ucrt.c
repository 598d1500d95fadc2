/* The C runtime allocators from ring 3 (libc/crt_malloc.c): spec section
 * N (items 94-101, the case names start with the item) and the MS CRT's
 * documented edge cases of realloc, _expand, _recalloc, _msize and the
 * aligned family.  Every case gives back every block it took (counted
 * with HeapWalk) and leaves the process heap valid (HeapValidate). */
#include "utest.h"
#include <malloc.h>
#include <stdlib.h>
#include <errno.h>
#include <stdint.h>

/* ---- fixture: the process heap's busy blocks before and after ----------- */

struct heap_use {
    size_t blocks, bytes;
};

static struct heap_use heap_use(void)
{
    struct heap_use u = { 0, 0 };
    PROCESS_HEAP_ENTRY e;

    e.lpData = NULL;
    while (HeapWalk(GetProcessHeap(), &e)) {
        if (e.wFlags & PROCESS_HEAP_ENTRY_BUSY) {
            u.blocks++;
            u.bytes += e.cbData;
        }
    }
    return u;
}

static struct heap_use fixture_use;

static void heap_enter(void)
{
    fixture_use = heap_use();
}

static void heap_leave(struct utest *t)
{
    struct heap_use now = heap_use();

    EXPECT_TRUE(t, HeapValidate(GetProcessHeap(), 0, NULL));
    EXPECT_EQ(t, now.blocks, fixture_use.blocks);
    EXPECT_EQ(t, now.bytes, fixture_use.bytes);
}

#define CRT_TEST(name)                                                        \
    static void name##_body(struct utest *t);                                 \
    static void name(struct utest *t)                                         \
    {                                                                         \
        heap_enter();                                                         \
        name##_body(t);                                                       \
        heap_leave(t);                                                        \
    }                                                                         \
    static void name##_body(struct utest *t)

static void fill(void *p, int c, size_t n)
{
    memset(p, c, n);
}

/* All n bytes at p are c. */
static bool all_are(const void *p, int c, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)c)
            return false;
    return true;
}

/* A block this heap is sure not to have: above any request it allows. */
#define TOO_BIG ((size_t)0xF0000000u)

/* ---- items 94-100 ---------------------------------------------------------- */

CRT_TEST(n94_malloc_zero_is_unique_with_msize_zero)
{
    char *a = malloc(0), *b = malloc(0);

    ASSERT_PTR_NE(t, a, NULL);
    ASSERT_PTR_NE(t, b, NULL);
    EXPECT_PTR_NE(t, a, b);
    EXPECT_EQ(t, _msize(a), 0);
    EXPECT_EQ(t, _msize(b), 0);
    free(a);
    free(b);
}

CRT_TEST(n95_results_are_8_aligned)
{
    static const size_t sizes[] = { 1, 3, 8, 13, 24, 100, 1000, 1023, 4096, 70000 };
    void *p[sizeof(sizes) / sizeof(sizes[0])][3];

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        p[i][0] = malloc(sizes[i]);
        p[i][1] = calloc(sizes[i], 1);
        p[i][2] = realloc(malloc(1), sizes[i]);
        for (int k = 0; k < 3; k++) {
            ASSERT_PTR_NE(t, p[i][k], NULL);
            EXPECT_EQ(t, (uintptr_t)p[i][k] % 8, 0);
        }
    }
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (int k = 0; k < 3; k++)
            free(p[i][k]);
}

CRT_TEST(n96_msize_is_the_requested_size)
{
    static const size_t sizes[] = { 1, 7, 13, 100, 1000, 5000, 600000 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        void *p = malloc(sizes[i]);
        ASSERT_PTR_NE(t, p, NULL);
        EXPECT_EQ(t, _msize(p), sizes[i]);
        EXPECT_EQ(t, _msize(p), HeapSize(GetProcessHeap(), 0, p));
        p = realloc(p, sizes[i] + 3);
        ASSERT_PTR_NE(t, p, NULL);
        EXPECT_EQ(t, _msize(p), sizes[i] + 3);
        free(p);
    }
}

CRT_TEST(n97_free_null_does_nothing)
{
    errno = 0;
    free(NULL);
    EXPECT_EQ(t, errno, 0);
}

CRT_TEST(n98_calloc_zeroes)
{
    /* Dirty a block, free it, and calloc the same size (it may well come back). */
    for (size_t n = 8; n <= 65536; n *= 4) {
        unsigned char *d = malloc(n);
        ASSERT_PTR_NE(t, d, NULL);
        fill(d, 0xA5, n);
        free(d);
        unsigned char *z = calloc(n / 4, 4);
        ASSERT_PTR_NE(t, z, NULL);
        EXPECT_TRUE(t, all_are(z, 0, n));
        EXPECT_EQ(t, _msize(z), n);
        free(z);
    }
    void *e = calloc(0, 16);
    ASSERT_PTR_NE(t, e, NULL);
    EXPECT_EQ(t, _msize(e), 0);
    free(e);
}

CRT_TEST(n98_calloc_overflow_is_enomem)
{
    errno = 0;
    EXPECT_PTR_EQ(t, calloc(0x10000, 0x10001), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    errno = 0;
    EXPECT_PTR_EQ(t, calloc(SIZE_MAX, 2), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    errno = 0;
    EXPECT_PTR_EQ(t, calloc(2, _HEAP_MAXREQ / 2 + 1), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
}

CRT_TEST(n99_malloc_above_heap_maxreq_is_enomem)
{
    EXPECT_EQ(t, _HEAP_MAXREQ, 0xFFFFFFE0u);
    errno = 0;
    EXPECT_PTR_EQ(t, malloc(_HEAP_MAXREQ + 1), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    errno = 0;
    EXPECT_PTR_EQ(t, malloc(SIZE_MAX), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    errno = 0;                          /* allowed, but no heap has it */
    EXPECT_PTR_EQ(t, malloc(TOO_BIG), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
}

CRT_TEST(n100_realloc_null_is_malloc)
{
    errno = 0;
    char *p = realloc(NULL, 40);
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, _msize(p), 40);
    EXPECT_TRUE(t, HeapValidate(GetProcessHeap(), 0, p));
    char *z = realloc(NULL, 0);         /* malloc(0) */
    ASSERT_PTR_NE(t, z, NULL);
    EXPECT_EQ(t, _msize(z), 0);
    EXPECT_EQ(t, errno, 0);
    free(z);
    free(p);
}

CRT_TEST(n100_realloc_to_zero_frees)
{
    struct heap_use before = heap_use();
    char *p = malloc(100);

    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, heap_use().blocks, before.blocks + 1);
    EXPECT_PTR_EQ(t, realloc(p, 0), NULL);
    EXPECT_EQ(t, heap_use().blocks, before.blocks);
    EXPECT_FALSE(t, HeapValidate(GetProcessHeap(), 0, p));    /* no block starts there now */
}

CRT_TEST(n100_failing_realloc_keeps_the_block)
{
    char *p = malloc(100);

    ASSERT_PTR_NE(t, p, NULL);
    fill(p, 0x5A, 100);
    errno = 0;
    EXPECT_PTR_EQ(t, realloc(p, TOO_BIG), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    errno = 0;
    EXPECT_PTR_EQ(t, realloc(p, _HEAP_MAXREQ + 1), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    EXPECT_EQ(t, _msize(p), 100);
    EXPECT_TRUE(t, all_are(p, 0x5A, 100));
    EXPECT_TRUE(t, HeapValidate(GetProcessHeap(), 0, p));
    free(p);
}

CRT_TEST(realloc_keeps_contents_growing_and_shrinking)
{
    static const size_t sizes[] = { 16, 300, 5000, 200000, 700000, 4000, 24 };
    size_t have = 8;
    unsigned char *p = malloc(have);

    ASSERT_PTR_NE(t, p, NULL);
    for (size_t i = 0; i < have; i++)
        p[i] = (unsigned char)(i * 31 + 7);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        unsigned char *q = realloc(p, n);
        ASSERT_PTR_NE(t, q, NULL);
        p = q;
        EXPECT_EQ(t, (uintptr_t)p % 8, 0);
        EXPECT_EQ(t, _msize(p), n);
        size_t keep = have < n ? have : n;
        size_t bad = 0;
        for (size_t i = 0; i < keep; i++)
            bad += p[i] != (unsigned char)(i * 31 + 7);
        EXPECT_EQ(t, bad, 0);
        for (size_t i = keep; i < n; i++)
            p[i] = (unsigned char)(i * 31 + 7);
        have = n;
    }
    free(p);
}

/* As the UCRT when HeapFree / HeapReAlloc fail: errno EINVAL, and the
 * real block is untouched. */
CRT_TEST(realloc_and_free_of_a_non_block_are_einval)
{
    char *p = malloc(32);

    ASSERT_PTR_NE(t, p, NULL);
    fill(p, 0x41, 32);
    errno = 0;
    EXPECT_PTR_EQ(t, realloc(p + 8, 64), NULL);
    EXPECT_EQ(t, errno, EINVAL);
    errno = 0;
    free(p + 8);
    EXPECT_EQ(t, errno, EINVAL);
    EXPECT_EQ(t, _msize(p), 32);
    EXPECT_TRUE(t, all_are(p, 0x41, 32));
    free(p);
}

/* ---- _msize, _expand, _recalloc --------------------------------------------- */

CRT_TEST(msize_of_a_non_block_pointer_is_einval)
{
    static char data[32];
    char local[16];
    char *p = malloc(64);

    ASSERT_PTR_NE(t, p, NULL);
    fill(p, 0x41, 64);
    const void *bad[] = { NULL, p + 4, p + 8, p + 16, p + 64, data, local, (const void *)heap_use };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        EXPECT_EQ(t, _msize((void *)bad[i]), (size_t)-1);
        EXPECT_EQ(t, errno, EINVAL);
    }
    EXPECT_EQ(t, _msize(p), 64);
    free(p);
}

CRT_TEST(expand_shrinks_in_place)
{
    char *p = malloc(2000);

    ASSERT_PTR_NE(t, p, NULL);
    fill(p, 0x33, 2000);
    EXPECT_PTR_EQ(t, _expand(p, 100), p);
    EXPECT_EQ(t, _msize(p), 100);
    EXPECT_TRUE(t, all_are(p, 0x33, 100));
    EXPECT_PTR_EQ(t, _expand(p, 100), p);
    free(p);
}

CRT_TEST(expand_grows_in_place_into_free_space)
{
    /* b is freed to the back end (too big for the quick lists) and merges
     * with the free space after it, so a can grow into it. */
    char *a = malloc(4000), *b = malloc(4000);

    ASSERT_PTR_NE(t, a, NULL);
    ASSERT_PTR_NE(t, b, NULL);
    fill(a, 0x77, 4000);
    free(b);
    EXPECT_PTR_EQ(t, _expand(a, 6000), a);
    EXPECT_EQ(t, _msize(a), 6000);
    EXPECT_TRUE(t, all_are(a, 0x77, 4000));
    free(a);
}

CRT_TEST(expand_that_cannot_grow_fails_and_keeps_the_block)
{
    char *p = malloc(64), *fence = malloc(64);

    ASSERT_PTR_NE(t, p, NULL);
    ASSERT_PTR_NE(t, fence, NULL);
    fill(p, 0x12, 64);
    errno = 0;
    EXPECT_PTR_EQ(t, _expand(p, 0x200000), NULL);  /* beyond the 1 MiB segment */
    EXPECT_EQ(t, errno, ENOMEM);
    errno = 0;
    EXPECT_PTR_EQ(t, _expand(p, _HEAP_MAXREQ + 1), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    errno = 0;
    EXPECT_PTR_EQ(t, _expand(NULL, 8), NULL);
    EXPECT_EQ(t, errno, EINVAL);
    EXPECT_EQ(t, _msize(p), 64);
    EXPECT_TRUE(t, all_are(p, 0x12, 64));
    free(fence);
    free(p);
}

CRT_TEST(recalloc_zeroes_the_growth)
{
    unsigned char *p = _recalloc(NULL, 4, 8);

    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, _msize(p), 32);
    EXPECT_TRUE(t, all_are(p, 0, 32));
    fill(p, 0xAA, 32);
    p = _recalloc(p, 1000, 8);
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, _msize(p), 8000);
    EXPECT_TRUE(t, all_are(p, 0xAA, 32));
    EXPECT_TRUE(t, all_are(p + 32, 0, 8000 - 32));
    p = _recalloc(p, 2, 8);
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, _msize(p), 16);
    EXPECT_TRUE(t, all_are(p, 0xAA, 16));

    errno = 0;
    EXPECT_PTR_EQ(t, _recalloc(p, 0x10000, 0x10001), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    EXPECT_EQ(t, _msize(p), 16);
    errno = 0;
    EXPECT_PTR_EQ(t, _recalloc(p + 8, 4, 4), NULL);
    EXPECT_EQ(t, errno, EINVAL);
    EXPECT_PTR_EQ(t, _recalloc(p, 0, 8), NULL);       /* realloc(p, 0): freed */
}

/* ---- item 101 and the aligned family ----------------------------------------- */

CRT_TEST(n101_aligned_malloc_is_aligned)
{
    static const size_t aligns[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 4096, 65536 };

    for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
        size_t a = aligns[i], want = a > sizeof(void *) ? a : sizeof(void *);
        for (size_t size = 0; size <= 300; size += 100) {
            char *p = _aligned_malloc(size, a);
            ASSERT_PTR_NE(t, p, NULL);
            EXPECT_EQ(t, (uintptr_t)p % want, 0);
            fill(p, 0x6C, size);
            EXPECT_EQ(t, _aligned_msize(p, a, 0), size);
            _aligned_free(p);
        }
    }
}

CRT_TEST(n101_aligned_malloc_needs_a_power_of_two)
{
    static const size_t bad[] = { 3, 12, 24, 100, 0x80000001u };  /* 0 is the minimum (issue 15) */

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        EXPECT_PTR_EQ(t, _aligned_malloc(16, bad[i]), NULL);
        EXPECT_EQ(t, errno, EINVAL);
    }
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_malloc(_HEAP_MAXREQ, 16), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_malloc(TOO_BIG, 16), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
}

CRT_TEST(n101_aligned_free_null_does_nothing)
{
    errno = 0;
    _aligned_free(NULL);
    EXPECT_EQ(t, errno, 0);
}

CRT_TEST(aligned_free_of_a_plain_block_is_einval)
{
    char *p = malloc(64);

    ASSERT_PTR_NE(t, p, NULL);
    fill(p, 0, 64);
    errno = 0;
    _aligned_free(p);                   /* not an aligned block: nothing freed */
    EXPECT_EQ(t, errno, EINVAL);
    EXPECT_TRUE(t, HeapValidate(GetProcessHeap(), 0, p));
    errno = 0;
    EXPECT_EQ(t, _aligned_msize(p, 16, 0), (size_t)-1);
    EXPECT_EQ(t, errno, EINVAL);
    errno = 0;
    EXPECT_EQ(t, _aligned_msize(NULL, 16, 0), (size_t)-1);
    EXPECT_EQ(t, errno, EINVAL);
    free(p);
}

/* Grows and shrinks a 64-aligned block through sizes that make the heap
 * move it (a neighbour is in the way) and into its own region; the
 * alignment, the contents and _aligned_msize hold at every step. */
CRT_TEST(aligned_realloc_keeps_the_alignment)
{
    static const size_t sizes[] = { 40, 200, 3000, 20000, 100000, 600000, 90, 5000 };
    size_t have = 10;
    int moves = 0;
    unsigned char *p = _aligned_malloc(have, 64);
    void *blockers[sizeof(sizes) / sizeof(sizes[0])];

    ASSERT_PTR_NE(t, p, NULL);
    for (size_t i = 0; i < have; i++)
        p[i] = (unsigned char)(i ^ 0x5C);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        blockers[k] = malloc(24);       /* lands after p: growth must move */
        unsigned char *q = _aligned_realloc(p, n, 64);
        ASSERT_PTR_NE(t, q, NULL);
        moves += q != p;
        p = q;
        EXPECT_EQ(t, (uintptr_t)p % 64, 0);
        EXPECT_EQ(t, _aligned_msize(p, 64, 0), n);
        size_t keep = have < n ? have : n, bad = 0;
        for (size_t i = 0; i < keep; i++)
            bad += p[i] != (unsigned char)(i ^ 0x5C);
        EXPECT_EQ(t, bad, 0);
        for (size_t i = keep; i < n; i++)
            p[i] = (unsigned char)(i ^ 0x5C);
        have = n;
    }
    EXPECT_GT(t, moves, 0);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
        free(blockers[k]);
    _aligned_free(p);
}

CRT_TEST(aligned_realloc_changes_alignment)
{
    unsigned char *p = _aligned_malloc(100, 16);

    ASSERT_PTR_NE(t, p, NULL);
    fill(p, 0x21, 100);
    p = _aligned_realloc(p, 300, 4096);
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, (uintptr_t)p % 4096, 0);
    EXPECT_EQ(t, _aligned_msize(p, 4096, 0), 300);
    EXPECT_TRUE(t, all_are(p, 0x21, 100));
    p = _aligned_realloc(p, 50, 8);
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, (uintptr_t)p % 8, 0);
    EXPECT_EQ(t, _aligned_msize(p, 8, 0), 50);
    EXPECT_TRUE(t, all_are(p, 0x21, 50));
    _aligned_free(p);
}

CRT_TEST(aligned_realloc_edge_cases)
{
    errno = 0;
    unsigned char *p = _aligned_realloc(NULL, 64, 32);   /* _aligned_malloc */
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, (uintptr_t)p % 32, 0);
    EXPECT_EQ(t, _aligned_msize(p, 32, 0), 64);
    fill(p, 0x3C, 64);

    errno = 0;                                          /* failure: p intact */
    EXPECT_PTR_EQ(t, _aligned_realloc(p, TOO_BIG, 32), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_realloc(p, 128, 48), NULL);
    EXPECT_EQ(t, errno, EINVAL);
    EXPECT_EQ(t, _aligned_msize(p, 32, 0), 64);
    EXPECT_TRUE(t, all_are(p, 0x3C, 64));

    char *plain = malloc(16);
    ASSERT_PTR_NE(t, plain, NULL);
    fill(plain, 0, 16);
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_realloc(plain, 32, 16), NULL);
    EXPECT_EQ(t, errno, EINVAL);
    EXPECT_EQ(t, _msize(plain), 16);
    free(plain);

    EXPECT_PTR_EQ(t, _aligned_realloc(p, 0, 32), NULL);   /* frees */
}

static const struct utest_case crt_cases[] = {
    UTEST_CASE(n94_malloc_zero_is_unique_with_msize_zero),
    UTEST_CASE(n95_results_are_8_aligned),
    UTEST_CASE(n96_msize_is_the_requested_size),
    UTEST_CASE(n97_free_null_does_nothing),
    UTEST_CASE(n98_calloc_zeroes),
    UTEST_CASE(n98_calloc_overflow_is_enomem),
    UTEST_CASE(n99_malloc_above_heap_maxreq_is_enomem),
    UTEST_CASE(n100_realloc_null_is_malloc),
    UTEST_CASE(n100_realloc_to_zero_frees),
    UTEST_CASE(n100_failing_realloc_keeps_the_block),
    UTEST_CASE(realloc_keeps_contents_growing_and_shrinking),
    UTEST_CASE(realloc_and_free_of_a_non_block_are_einval),
    UTEST_CASE(msize_of_a_non_block_pointer_is_einval),
    UTEST_CASE(expand_shrinks_in_place),
    UTEST_CASE(expand_grows_in_place_into_free_space),
    UTEST_CASE(expand_that_cannot_grow_fails_and_keeps_the_block),
    UTEST_CASE(recalloc_zeroes_the_growth),
    UTEST_CASE(n101_aligned_malloc_is_aligned),
    UTEST_CASE(n101_aligned_malloc_needs_a_power_of_two),
    UTEST_CASE(n101_aligned_free_null_does_nothing),
    UTEST_CASE(aligned_free_of_a_plain_block_is_einval),
    UTEST_CASE(aligned_realloc_keeps_the_alignment),
    UTEST_CASE(aligned_realloc_changes_alignment),
    UTEST_CASE(aligned_realloc_edge_cases),
    UTEST_END,
};

static const struct utest_suite crt_suite = { .name = "crt", .cases = crt_cases };

static const struct utest_suite *const suites[] = { &crt_suite, NULL };

int main(void)
{
    return utest_main(suites);
}
