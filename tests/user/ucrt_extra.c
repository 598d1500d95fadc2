/* The Microsoft C runtime's heap extras (issue 15, item 6), from ring 3:
 * the aligned family with offsets and recalloc, _recalloc and _expand's
 * edges, _heapchk, _heapmin, _heapwalk, and the new handler (_set_new_
 * handler, _set_new_mode, _query_new_handler) as malloc and the array
 * runtime's new call it.  Each case checks the results and errno the
 * UCRT gives (heap/align.cpp, expand.cpp, heapwalk.cpp, new_handler.cpp,
 * new_mode.cpp, malloc_base.cpp) and gives back every block it took
 * (the process heap's busy blocks are counted before and after). */
#include "utest.h"
#include "heap_fixture.h"
#include <malloc.h>
#include <new.h>
#include <rtnew.h>
#include <errno.h>

#define TOO_BIG ((size_t)0xF0000000u)          /* more than the heap can ever give */
#define NO_SPACE ((size_t)0x7FFF0000u)         /* allowed, but no address range holds it */

#define CRT_TEST(name) HEAP_CLEAN_TEST(name)

static void pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 7 + seed);
}

static size_t pattern_bad(const unsigned char *p, size_t n, unsigned seed)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += p[i] != (unsigned char)(i * 7 + seed);
    return bad;
}

static bool zero_from(const unsigned char *p, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* ---- aligned blocks with an offset ----------------------------------------- */

CRT_TEST(aligned_offset_malloc_aligns_p_plus_offset)
{
    static const size_t aligns[] = { 0, 1, 4, 8, 16, 64, 4096 };
    static const size_t offsets[] = { 0, 1, 3, 4, 5, 15, 17, 99 };

    for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
        size_t a = aligns[i] > sizeof(void *) ? aligns[i] : sizeof(void *);
        for (size_t j = 0; j < sizeof(offsets) / sizeof(offsets[0]); j++) {
            size_t off = offsets[j], size = 100;
            errno = 0;
            unsigned char *p = _aligned_offset_malloc(size, aligns[i], off);
            ASSERT_PTR_NE(t, p, NULL);
            EXPECT_EQ(t, errno, 0);
            EXPECT_EQ(t, ((uintptr_t)p + off) % a, 0);
            EXPECT_EQ(t, _aligned_msize(p, aligns[i], off), size);
            pattern(p, size, (unsigned)(i + j));
            EXPECT_EQ(t, pattern_bad(p, size, (unsigned)(i + j)), 0);
            _aligned_free(p);
        }
    }
}

CRT_TEST(aligned_offset_malloc_argument_errors)
{
    errno = 0;                                          /* offset must be below size */
    EXPECT_PTR_EQ(t, _aligned_offset_malloc(16, 16, 16), NULL);
    EXPECT_EQ(t, errno, EINVAL);
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_offset_malloc(16, 16, 40), NULL);
    EXPECT_EQ(t, errno, EINVAL);
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_offset_malloc(16, 24, 4), NULL);    /* not a power of two */
    EXPECT_EQ(t, errno, EINVAL);
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_offset_malloc(TOO_BIG, 16, 4), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_offset_malloc(_HEAP_MAXREQ, 16, 0), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    void *z = _aligned_offset_malloc(0, 16, 0);        /* offset 0 with size 0 is fine */
    EXPECT_PTR_NE(t, z, NULL);
    _aligned_free(z);
}

/* Through sizes that move the block (a neighbour in the way, then a
 * region of its own): data, alignment and offset hold at every step. */
CRT_TEST(aligned_offset_realloc_keeps_offset_alignment)
{
    static const size_t sizes[] = { 40, 300, 5000, 100000, 700000, 64, 2000 };
    size_t have = 20;
    unsigned char *p = _aligned_offset_malloc(have, 32, 5);
    void *walls[sizeof(sizes) / sizeof(sizes[0])];

    ASSERT_PTR_NE(t, p, NULL);
    pattern(p, have, 3);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k], keep = have < n ? have : n;
        walls[k] = malloc(16);
        unsigned char *q = _aligned_offset_realloc(p, n, 32, 5);
        ASSERT_PTR_NE(t, q, NULL);
        p = q;
        EXPECT_EQ(t, ((uintptr_t)p + 5) % 32, 0);
        EXPECT_EQ(t, _aligned_msize(p, 32, 5), n);
        EXPECT_EQ(t, pattern_bad(p, keep, 3), 0);
        pattern(p, n, 3);
        have = n;
    }
    for (size_t k = 0; k < sizeof(walls) / sizeof(walls[0]); k++)
        free(walls[k]);
    _aligned_free(p);
}

CRT_TEST(aligned_offset_realloc_edges)
{
    unsigned char *p = _aligned_offset_realloc(NULL, 48, 16, 8);   /* NULL: allocates */

    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, ((uintptr_t)p + 8) % 16, 0);
    pattern(p, 48, 9);
    errno = 0;                                          /* failures leave p as it was */
    EXPECT_PTR_EQ(t, _aligned_offset_realloc(p, TOO_BIG, 16, 8), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_offset_realloc(p, 64, 12, 8), NULL);
    EXPECT_EQ(t, errno, EINVAL);
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_offset_realloc(p, 8, 16, 8), NULL);   /* offset not below size */
    EXPECT_EQ(t, errno, EINVAL);
    EXPECT_EQ(t, _aligned_msize(p, 16, 8), 48);
    EXPECT_EQ(t, pattern_bad(p, 48, 9), 0);
    char *plain = malloc(32);                           /* not an aligned block */
    ASSERT_PTR_NE(t, plain, NULL);
    memset(plain, 0, 32);
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_offset_realloc(plain, 64, 16, 0), NULL);
    EXPECT_EQ(t, errno, EINVAL);
    EXPECT_EQ(t, _msize(plain), 32);
    free(plain);
    EXPECT_PTR_EQ(t, _aligned_offset_realloc(p, 0, 16, 8), NULL);   /* size 0 frees */
}

/* ---- the recalloc family ---------------------------------------------------- */

CRT_TEST(aligned_recalloc_zeroes_what_it_adds)
{
    unsigned char *p = _aligned_recalloc(NULL, 10, 4, 64);

    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, (uintptr_t)p % 64, 0);
    EXPECT_TRUE(t, zero_from(p, 0, 40));
    pattern(p, 40, 1);
    p = _aligned_recalloc(p, 1000, 4, 64);
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, (uintptr_t)p % 64, 0);
    EXPECT_EQ(t, pattern_bad(p, 40, 1), 0);
    EXPECT_TRUE(t, zero_from(p, 40, 4000));
    EXPECT_EQ(t, _aligned_msize(p, 64, 0), 4000);
    errno = 0;                                          /* count * size overflows */
    EXPECT_PTR_EQ(t, _aligned_recalloc(p, 0x10000, 0x10001, 64), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    EXPECT_EQ(t, _aligned_msize(p, 64, 0), 4000);
    p = _aligned_recalloc(p, 2, 4, 64);                 /* shrink */
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, pattern_bad(p, 8, 1), 0);
    EXPECT_PTR_EQ(t, _aligned_recalloc(p, 0, 4, 64), NULL);          /* 0 bytes: freed */
}

CRT_TEST(aligned_offset_recalloc_keeps_the_offset)
{
    unsigned char *p = _aligned_offset_recalloc(NULL, 3, 10, 16, 2);

    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, ((uintptr_t)p + 2) % 16, 0);
    EXPECT_TRUE(t, zero_from(p, 0, 30));
    pattern(p, 30, 4);
    p = _aligned_offset_recalloc(p, 30, 10, 16, 2);
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, ((uintptr_t)p + 2) % 16, 0);
    EXPECT_EQ(t, pattern_bad(p, 30, 4), 0);
    EXPECT_TRUE(t, zero_from(p, 30, 300));
    char *plain = malloc(8);
    ASSERT_PTR_NE(t, plain, NULL);
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_offset_recalloc(plain, 2, 8, 16, 2), NULL);
    EXPECT_EQ(t, errno, EINVAL);
    free(plain);
    _aligned_free(p);
}

CRT_TEST(recalloc_and_expand_edges)
{
    unsigned char *p = _recalloc(NULL, 5, 5);

    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_TRUE(t, zero_from(p, 0, 25));
    errno = 0;
    EXPECT_PTR_EQ(t, _recalloc(p, SIZE_MAX / 2, 3), NULL);             /* overflow */
    EXPECT_EQ(t, errno, ENOMEM);
    EXPECT_EQ(t, _msize(p), 25);
    errno = 0;
    EXPECT_PTR_EQ(t, _expand(NULL, 8), NULL);
    EXPECT_EQ(t, errno, EINVAL);
    errno = 0;
    EXPECT_PTR_EQ(t, _expand(p, _HEAP_MAXREQ + 1), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    EXPECT_PTR_EQ(t, _expand(p, 0), p);                 /* the UCRT asks for 1 byte */
    EXPECT_EQ(t, _msize(p), 1);
    free(p);
}

/* ---- _heapchk, _heapmin, _heapwalk ------------------------------------------ */

CRT_TEST(heapchk_sees_a_damaged_header)
{
    uint32_t *p = malloc(24);

    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, _heapchk(), _HEAPOK);
    uint32_t saved = p[-1];
    p[-1] ^= 0x00FF0000u;                               /* the block header's second word */
    EXPECT_EQ(t, _heapchk(), _HEAPBADNODE);
    p[-1] = saved;
    EXPECT_EQ(t, _heapchk(), _HEAPOK);
    free(p);
}

CRT_TEST(heapmin_compacts_and_succeeds)
{
    void *blocks[16];

    for (int i = 0; i < 16; i++)
        blocks[i] = malloc(20000);
    for (int i = 0; i < 16; i++)
        free(blocks[i]);
    errno = 0;
    EXPECT_EQ(t, _heapmin(), 0);
    EXPECT_EQ(t, errno, 0);
    EXPECT_EQ(t, _heapchk(), _HEAPOK);
}

CRT_TEST(heapwalk_lists_every_block)
{
    unsigned char *mine = malloc(1234), *gone = malloc(77);
    _HEAPINFO hi = { NULL, 0, 0 };
    size_t used = 0, found = 0;
    int st;

    ASSERT_PTR_NE(t, mine, NULL);
    ASSERT_PTR_NE(t, gone, NULL);
    free(gone);
    while ((st = _heapwalk(&hi)) == _HEAPOK) {
        used += hi._useflag == _USEDENTRY;
        if ((unsigned char *)hi._pentry == mine) {
            found++;
            EXPECT_EQ(t, hi._size, 1234);
            EXPECT_EQ(t, hi._useflag, _USEDENTRY);
        }
        EXPECT_TRUE(t, hi._useflag == _USEDENTRY || hi._useflag == _FREEENTRY);
        if (used > 100000)
            break;
    }
    EXPECT_EQ(t, st, _HEAPEND);
    EXPECT_EQ(t, found, 1);
    EXPECT_EQ(t, used, heap_busy_blocks());
    free(mine);
}

CRT_TEST(heapwalk_resumes_from_an_older_entry)
{
    _HEAPINFO a = { NULL, 0, 0 }, b, c, again;
    /* At least three blocks to walk, whatever earlier cases left: after
     * _heapmin a heap may hold a single free block. */
    void *keep[3] = { malloc(100), malloc(200), malloc(300) };

    ASSERT_PTR_NE(t, keep[2], NULL);
    ASSERT_EQ(t, _heapwalk(&a), _HEAPOK);
    b = a;
    ASSERT_EQ(t, _heapwalk(&b), _HEAPOK);
    c = b;
    ASSERT_EQ(t, _heapwalk(&c), _HEAPOK);
    again = a;                                          /* not the last one returned */
    ASSERT_EQ(t, _heapwalk(&again), _HEAPOK);
    EXPECT_PTR_EQ(t, again._pentry, b._pentry);
    EXPECT_EQ(t, again._size, b._size);
    EXPECT_EQ(t, again._useflag, b._useflag);
    for (int i = 0; i < 3; i++)
        free(keep[i]);
}

CRT_TEST(heapwalk_bad_arguments)
{
    int *p = malloc(40);
    _HEAPINFO hi;

    errno = 0;
    EXPECT_EQ(t, _heapwalk(NULL), _HEAPBADPTR);
    EXPECT_EQ(t, errno, EINVAL);
    ASSERT_PTR_NE(t, p, NULL);
    free(p);
    hi = (_HEAPINFO){ p, 40, _USEDENTRY };              /* freed: not a live block */
    EXPECT_EQ(t, _heapwalk(&hi), _HEAPBADNODE);
    static int not_in_heap;
    hi = (_HEAPINFO){ &not_in_heap, 4, _FREEENTRY };
    EXPECT_EQ(t, _heapwalk(&hi), _HEAPBADPTR);
    EXPECT_PTR_EQ(t, hi._pentry, &not_in_heap);         /* untouched on failure */
}

/* ---- the new handler ---------------------------------------------------------- */

static int handler_calls, handler_gives;
static size_t handler_size;
static void *blockers[64];
static int nblockers;

/* Gives handler_gives successes, then fails; frees a blocker each time
 * if there is one. */
static int counting_handler(size_t size)
{
    handler_calls++;
    handler_size = size;
    if (nblockers > 0) {
        VirtualFree(blockers[--nblockers], 0, MEM_RELEASE);
        return 1;
    }
    return handler_gives-- > 0;
}

static void handler_reset(int gives)
{
    handler_calls = 0;
    handler_gives = gives;
    handler_size = 0;
}

/* Reserves the address space away, large ranges first, until a range of
 * 64 KiB no longer fits. */
static void take_address_space(void)
{
    for (SIZE_T size = 0x10000000u; size >= 0x10000u && nblockers < 64; size >>= 1) {
        void *p;
        while (nblockers < 64 && (p = VirtualAlloc(NULL, size, MEM_RESERVE, PAGE_NOACCESS)) != NULL)
            blockers[nblockers++] = p;
    }
}

static void give_address_space_back(void)
{
    while (nblockers > 0)
        VirtualFree(blockers[--nblockers], 0, MEM_RELEASE);
}

CRT_TEST(new_handler_and_mode_setters)
{
    EXPECT_PTR_EQ(t, _query_new_handler(), NULL);
    EXPECT_PTR_EQ(t, _set_new_handler(counting_handler), NULL);
    EXPECT_PTR_EQ(t, _query_new_handler(), counting_handler);
    EXPECT_PTR_EQ(t, _set_new_handler(NULL), counting_handler);
    EXPECT_EQ(t, _query_new_mode(), 0);
    EXPECT_EQ(t, _set_new_mode(1), 0);
    EXPECT_EQ(t, _query_new_mode(), 1);
    errno = 0;
    EXPECT_EQ(t, _set_new_mode(2), -1);                 /* only 0 and 1 */
    EXPECT_EQ(t, errno, EINVAL);
    EXPECT_EQ(t, _set_new_mode(-1), -1);
    EXPECT_EQ(t, _query_new_mode(), 1);
    EXPECT_EQ(t, _set_new_mode(0), 1);
    EXPECT_EQ(t, _callnewh(10), 0);                     /* no handler */
}

CRT_TEST(malloc_calls_the_new_handler_only_in_new_mode_1)
{
    _set_new_handler(counting_handler);
    handler_reset(0);
    errno = 0;
    EXPECT_PTR_EQ(t, malloc(NO_SPACE), NULL);           /* mode 0: no call */
    EXPECT_EQ(t, errno, ENOMEM);
    EXPECT_EQ(t, handler_calls, 0);
    _set_new_mode(1);
    handler_reset(2);                                   /* says yes twice, then no */
    errno = 0;
    EXPECT_PTR_EQ(t, malloc(NO_SPACE), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    EXPECT_EQ(t, handler_calls, 3);
    EXPECT_EQ(t, handler_size, NO_SPACE);
    handler_reset(0);
    EXPECT_PTR_EQ(t, calloc(NO_SPACE / 16, 16), NULL);
    EXPECT_EQ(t, handler_calls, 1);
    void *p = malloc(16);
    ASSERT_PTR_NE(t, p, NULL);
    handler_reset(0);
    errno = 0;
    EXPECT_PTR_EQ(t, realloc(p, NO_SPACE), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    EXPECT_EQ(t, handler_calls, 1);
    EXPECT_EQ(t, _msize(p), 16);                        /* p intact */
    handler_reset(0);
    EXPECT_PTR_EQ(t, malloc(_HEAP_MAXREQ + 1), NULL);   /* above _HEAP_MAXREQ: no call */
    EXPECT_EQ(t, handler_calls, 0);
    free(p);
    _set_new_mode(0);
    _set_new_handler(NULL);
}

/* A handler that makes room: the retry succeeds. */
CRT_TEST(new_handler_that_frees_memory_makes_malloc_succeed)
{
    _set_new_mode(1);
    _set_new_handler(counting_handler);
    take_address_space();
    ASSERT_GT(t, nblockers, 0);
    handler_reset(0);
    void *p = malloc(0x100000);                         /* a large block: a region of its own */
    EXPECT_PTR_NE(t, p, NULL);
    EXPECT_GE(t, handler_calls, 1);
    EXPECT_EQ(t, handler_size, 0x100000);
    give_address_space_back();
    free(p);
    _set_new_mode(0);
    _set_new_handler(NULL);
}

static const rt_class Big = { "Big", 0x40000, 0, NULL, NULL };

/* operator new calls the handler whatever the mode, and retries. */
CRT_TEST(array_new_calls_the_new_handler)
{
    _set_new_handler(counting_handler);
    handler_reset(1);
    errno = 0;
    EXPECT_PTR_EQ(t, rt_new_array(&Big, NO_SPACE / 0x40000), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    EXPECT_EQ(t, handler_calls, 2);                     /* yes once, then no */
    take_address_space();
    ASSERT_GT(t, nblockers, 0);
    handler_reset(0);
    void *arr = rt_new_array(&Big, 4);                  /* 1 MiB */
    EXPECT_PTR_NE(t, arr, NULL);
    EXPECT_GE(t, handler_calls, 1);
    give_address_space_back();
    rt_delete_array(&Big, arr);
    _set_new_handler(NULL);
    handler_reset(0);
    errno = 0;                                          /* no handler: plain failure */
    EXPECT_PTR_EQ(t, rt_new_array(&Big, NO_SPACE / 0x40000), NULL);
    EXPECT_EQ(t, errno, ENOMEM);
    EXPECT_EQ(t, handler_calls, 0);
}

static const struct utest_case aligned_cases[] = {
    UTEST_CASE(aligned_offset_malloc_aligns_p_plus_offset),
    UTEST_CASE(aligned_offset_malloc_argument_errors),
    UTEST_CASE(aligned_offset_realloc_keeps_offset_alignment),
    UTEST_CASE(aligned_offset_realloc_edges),
    UTEST_CASE(aligned_recalloc_zeroes_what_it_adds),
    UTEST_CASE(aligned_offset_recalloc_keeps_the_offset),
    UTEST_CASE(recalloc_and_expand_edges),
    UTEST_END,
};

static const struct utest_case heapinfo_cases[] = {
    UTEST_CASE(heapchk_sees_a_damaged_header),
    UTEST_CASE(heapmin_compacts_and_succeeds),
    UTEST_CASE(heapwalk_lists_every_block),
    UTEST_CASE(heapwalk_resumes_from_an_older_entry),
    UTEST_CASE(heapwalk_bad_arguments),
    UTEST_END,
};

static const struct utest_case newh_cases[] = {
    UTEST_CASE(new_handler_and_mode_setters),
    UTEST_CASE(malloc_calls_the_new_handler_only_in_new_mode_1),
    UTEST_CASE(new_handler_that_frees_memory_makes_malloc_succeed),
    UTEST_CASE(array_new_calls_the_new_handler),
    UTEST_END,
};

static const struct utest_suite aligned_suite = { .name = "crt_aligned_offset", .cases = aligned_cases };
static const struct utest_suite heapinfo_suite = { .name = "crt_heapinfo", .cases = heapinfo_cases };
static const struct utest_suite newh_suite = { .name = "crt_new_handler", .cases = newh_cases };

static const struct utest_suite *const suites[] = { &aligned_suite, &heapinfo_suite, &newh_suite, NULL };

int main(void)
{
    utest_register_counter("allocations", utest_counter_allocations);
    return utest_main(suites);
}
