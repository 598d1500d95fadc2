/* uheap, spec section J: HeapAlloc, HeapSize, HeapFree, HeapValidate (items 67-78). */
#define UHEAP_PART
#include "uheap.h"

static int misaligned(void *const *p, int n)
{
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += (U32(p[i]) & (MEMORY_ALLOCATION_ALIGNMENT - 1)) != 0;
    return bad;
}

HEAP_TEST(j67_alignment_8)
{
    static void *p[600];
    _Static_assert(MEMORY_ALLOCATION_ALIGNMENT == 8, "x86 MEMORY_ALLOCATION_ALIGNMENT");
    HANDLE heaps[5] = {
        GetProcessHeap(), CREATE(t, 0, 0, 0), CREATE(t, 0, 0, 0x100000),
        CREATE(t, HEAP_NO_SERIALIZE, 0, 0), CREATE(t, HEAP_CHECKING_OPTIONS, 0, 0),
    };
    for (int k = 0; k < 5; k++) {
        HANDLE h = heaps[k];
        /* Every size 0..299, then growing sizes, interleaved frees. */
        for (int i = 0; i < 300; i++)
            p[i] = ALLOC(t, h, i & 1 ? HEAP_ZERO_MEMORY : 0, (SIZE_T)i);
        for (int i = 0; i < 300; i += 3)
            FREE(t, h, p[i]);
        for (int i = 0; i < 300; i += 3)
            p[i] = ALLOC(t, h, 0, (SIZE_T)(i * 7 + 1));
        for (int i = 300; i < 340; i++)
            p[i] = ALLOC(t, h, 0, (SIZE_T)(1000 + (i - 300) * 531));
        EXPECT_EQ(t, misaligned(p, 340), 0);
        /* Reallocated blocks too. */
        for (int i = 0; i < 340; i += 5) {
            void *q = HeapReAlloc(h, 0, p[i], (SIZE_T)(i * 13 % 5000));
            ASSERT_PTR_NE(t, q, NULL);
            p[i] = q;
        }
        EXPECT_EQ(t, misaligned(p, 340), 0);
        for (int i = 0; i < 340; i++)
            FREE(t, h, p[i]);
        EXPECT_HEAP_OK(t, h);
    }
    for (int k = 1; k < 5; k++)
        DESTROY(t, heaps[k]);
    /* Large blocks (growable heaps) and big blocks of a fixed heap. */
    HANDLE g = CREATE(t, 0, 0, 0), fx = CREATE(t, 0, 0, 0x100000);
    void *l = ALLOC(t, g, 0, LARGE_MIN + 1);
    void *f = ALLOC(t, fx, 0, FIXED_LIMIT - 1);
    EXPECT_EQ(t, U32(l) & 7, 0);
    EXPECT_EQ(t, U32(f) & 7, 0);
    FREE(t, g, l);
    FREE(t, fx, f);
    DESTROY(t, g);
    DESTROY(t, fx);
}

HEAP_TEST(j68_zero_size_alloc)
{
    HANDLE heaps[3] = { GetProcessHeap(), CREATE(t, 0, 0, 0), CREATE(t, 0, 0, 0x10000) };
    enum { N = 32 };
    void *p[N];

    for (int k = 0; k < 3; k++) {
        HANDLE h = heaps[k];
        for (int i = 0; i < N; i++) {
            p[i] = ALLOC(t, h, 0, 0);
            EXPECT_EQ(t, HeapSize(h, 0, p[i]), 0);
            EXPECT_TRUE(t, HeapValidate(h, 0, p[i]));
            for (int j = 0; j < i; j++)
                if (p[j] == p[i])
                    utest_fail_msg(t, __FILE__, __LINE__, "HeapAlloc(0) returned %p twice", p[i]);
        }
        DWORD cb = BAD_ERROR;
        EXPECT_EQ(t, walk_count_busy(h, p[N / 2], &cb), 1);   /* a live block */
        EXPECT_EQ(t, cb, 0);
        void *z = ALLOC(t, h, HEAP_ZERO_MEMORY, 0);
        EXPECT_EQ(t, HeapSize(h, 0, z), 0);
        FREE(t, h, z);
        for (int i = 0; i < N; i++)
            FREE(t, h, p[i]);
        EXPECT_HEAP_OK(t, h);
    }
    DESTROY(t, heaps[1]);
    DESTROY(t, heaps[2]);
}

HEAP_TEST(j69_heapsize_exact)
{
    HANDLE h = CREATE(t, 0, 0, 0), f = CREATE(t, 0, 0, 0x100000);
    HANDLE ph = GetProcessHeap();
    static const SIZE_T sizes[] = {
        1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 63, 64, 65, 100, 255, 256, 257, 1000, 1015, 1016,
        1017, 1023, 1024, 1025, 4095, 4096, 4097, 65535, 65536, 65537, 300001, LARGE_MIN - 1,
    };
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        HANDLE hs[3] = { h, f, ph };
        for (int k = 0; k < 3; k++) {
            void *p = ALLOC(t, hs[k], 0, sizes[i]);
            EXPECT_EQ(t, HeapSize(hs[k], 0, p), sizes[i]);
            EXPECT_EQ(t, HeapSize(hs[k], HEAP_NO_SERIALIZE, p), sizes[i]);
            FREE(t, hs[k], p);
        }
    }
    /* Every size up to 1100, all live at once (quick-list sizes and up). */
    static void *p[1101];
    int bad = 0;
    for (int n = 0; n <= 1100; n++)
        p[n] = ALLOC(t, h, 0, (SIZE_T)n);
    for (int n = 0; n <= 1100; n++)
        bad += HeapSize(h, 0, p[n]) != (SIZE_T)n;
    EXPECT_EQ(t, bad, 0);
    for (int n = 0; n <= 1100; n++)
        FREE(t, h, p[n]);
    /* Large blocks, and 17 -> 17 after a reuse of a bigger freed block. */
    void *l = ALLOC(t, h, 0, LARGE_MIN + 17);
    EXPECT_EQ(t, HeapSize(h, 0, l), LARGE_MIN + 17);
    FREE(t, h, l);
    void *a = ALLOC(t, h, 0, 24);
    FREE(t, h, a);
    void *b = ALLOC(t, h, 0, 17);
    EXPECT_EQ(t, HeapSize(h, 0, b), 17);
    FREE(t, h, b);
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);
    DESTROY(t, f);
}

/* Allocates n bytes, dirties them, frees them, and allocates n bytes
 * with HEAP_ZERO_MEMORY: all zero (returns whether the block was reused). */
static bool zero_after_dirty(struct utest *t, HANDLE h, SIZE_T n)
{
    uint8_t *a = ALLOC(t, h, 0, n);
    memset(a, 0xCC, n);
    FREE(t, h, a);
    uint8_t *b = ALLOC(t, h, HEAP_ZERO_MEMORY, n);
    uint32_t bad = bytes_check(b, 0, (uint32_t)n, 0);
    if (bad != n)
        utest_fail_msg(t, __FILE__, __LINE__, "HEAP_ZERO_MEMORY block of %lu: byte %lu is %02x",
                       (unsigned long)n, (unsigned long)bad, b[bad]);
    FREE(t, h, b);
    return a == b;
}

HEAP_TEST(j70_zero_memory_on_dirty_reuse)
{
    HANDLE heaps[4] = {
        CREATE(t, 0, 0, 0), CREATE(t, 0, 0, 0x100000), GetProcessHeap(),
        CREATE(t, HEAP_CHECKING_OPTIONS, 0, 0),
    };
    static const SIZE_T sizes[] = { 1, 8, 17, 24, 100, 1000, 1024, 1500, 5000, 40000, 100000 };
    for (int k = 0; k < 4; k++) {
        int reused = 0;
        for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)
            reused += zero_after_dirty(t, heaps[k], sizes[i]);
        EXPECT_GT(t, reused, 0);        /* the case did test reuse of dirty memory */
    }
    /* A big dirty free block carved into zeroed smaller ones. */
    HANDLE h = heaps[0];
    uint8_t *big = ALLOC(t, h, 0, 60000);
    memset(big, 0xEE, 60000);
    FREE(t, h, big);
    uint8_t *parts[50];
    int bad = 0, inside = 0;
    for (int i = 0; i < 50; i++) {
        parts[i] = ALLOC(t, h, HEAP_ZERO_MEMORY, 1000 + (SIZE_T)i);
        bad += bytes_check(parts[i], 0, 1000 + (uint32_t)i, 0) != 1000u + (uint32_t)i;
        inside += parts[i] >= big && parts[i] < big + 60000;
    }
    EXPECT_EQ(t, bad, 0);
    EXPECT_GT(t, inside, 0);
    for (int i = 0; i < 50; i++)
        FREE(t, h, parts[i]);
    /* Large blocks. */
    zero_after_dirty(t, h, LARGE_MIN + 100);
    DESTROY(t, heaps[0]);
    DESTROY(t, heaps[1]);
    DESTROY(t, heaps[3]);
}

HEAP_TEST(j71_failure_null_not_enough_memory)
{
    /* A fixed-size heap that is full. */
    HANDLE f = CREATE(t, 0, 0, 0x10000);
    void *blocks[80];
    int n = 0;
    while (n < 80 && (blocks[n] = HeapAlloc(f, 0, 1000)) != NULL)
        n++;
    ASSERT_LT(t, n, 80);
    for (int i = 0; i < 3; i++) {
        SetLastError(BAD_ERROR);
        EXPECT_PTR_EQ(t, HeapAlloc(f, 0, 1000), NULL);
        EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
        SetLastError(BAD_ERROR);
        EXPECT_PTR_EQ(t, HeapAlloc(f, HEAP_ZERO_MEMORY, 30000), NULL);
        EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    }
    EXPECT_HEAP_OK(t, f);
    for (int i = 0; i < n; i++)
        FREE(t, f, blocks[i]);
    DESTROY(t, f);

    /* Growable heaps: more address space than there is, more commit than
     * the system has.  Nothing is left reserved or committed. */
    HANDLE g = CREATE(t, 0, 0, 0);
    HANDLE hs[2] = { g, GetProcessHeap() };
    static const SIZE_T huge[] = { 0x7FFF0000, 0x7FFFFFFF, 0x60000000, 0x30000000, 0x10000000 };
    for (int k = 0; k < 2; k++) {
        for (unsigned i = 0; i < ARRAY_SIZE(huge); i++) {
            uint32_t allocs = allocations_outside_process_heap(), charge = charge_outside_process_heap();
            SetLastError(BAD_ERROR);
            EXPECT_PTR_EQ(t, HeapAlloc(hs[k], 0, huge[i]), NULL);
            EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
            EXPECT_EQ(t, allocations_outside_process_heap(), allocs);
            EXPECT_EQ(t, charge_outside_process_heap(), charge);
        }
        EXPECT_HEAP_OK(t, hs[k]);
        void *p = ALLOC(t, hs[k], 0, 100);
        FREE(t, hs[k], p);
    }
    DESTROY(t, g);
}

HEAP_TEST(j72_requests_from_2gib_fail_at_once)
{
    HANDLE hs[3] = { CREATE(t, 0, 0, 0), CREATE(t, 0, 0, 0x100000), GetProcessHeap() };
    static const SIZE_T sizes[] = { 0x80000000u, 0x80000001u, 0xC0000000u, 0xFFFFFFF0u,
                                    0xFFFFFFF8u, 0xFFFFFFFFu };
    for (int k = 0; k < 3; k++) {
        void *keep = ALLOC(t, hs[k], 0, 64);
        pattern_fill(keep, 64, 0x1234);
        for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
            static const DWORD flags[] = { 0, HEAP_ZERO_MEMORY, HEAP_NO_SERIALIZE };
            for (unsigned f = 0; f < ARRAY_SIZE(flags); f++) {
                uint32_t allocs = allocations_outside_process_heap(), charge = charge_outside_process_heap();
                SetLastError(BAD_ERROR);
                EXPECT_PTR_EQ(t, HeapAlloc(hs[k], flags[f], sizes[i]), NULL);
                EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
                EXPECT_EQ(t, allocations_outside_process_heap(), allocs);   /* nothing was tried */
                EXPECT_EQ(t, charge_outside_process_heap(), charge);
            }
            /* HeapReAlloc too, and the block stays. */
            SetLastError(BAD_ERROR);
            EXPECT_PTR_EQ(t, HeapReAlloc(hs[k], 0, keep, sizes[i]), NULL);
            EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
            EXPECT_EQ(t, HeapSize(hs[k], 0, keep), 64);
        }
        EXPECT_EQ(t, pattern_check(keep, 64, 0x1234), 64);
        EXPECT_HEAP_OK(t, hs[k]);
        FREE(t, hs[k], keep);
    }
    DESTROY(t, hs[0]);
    DESTROY(t, hs[1]);
}

HEAP_TEST(j73_generate_exceptions_raise_no_memory)
{
    struct utest_exception x;
    void *volatile r;

    /* Per call. */
    HANDLE g = CREATE(t, 0, 0, 0);
    r = (void *)1;
    EXPECT_EXCEPTION(t, &x, r = HeapAlloc(g, HEAP_GENERATE_EXCEPTIONS, 0x80000000u));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    EXPECT_PTR_EQ(t, r, 1);                         /* the call did not return */
    EXPECT_EXCEPTION(t, &x, r = HeapAlloc(g, HEAP_GENERATE_EXCEPTIONS | HEAP_ZERO_MEMORY, 0x7FFF0000u));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    /* Address space there, commit not: still STATUS_NO_MEMORY. */
    EXPECT_EXCEPTION(t, &x, r = HeapAlloc(g, HEAP_GENERATE_EXCEPTIONS, 0x30000000u));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    /* Success raises nothing; without the flag, NULL and no exception. */
    void *volatile p = NULL;
    EXPECT_NO_EXCEPTION(t, p = HeapAlloc(g, HEAP_GENERATE_EXCEPTIONS, 100));
    EXPECT_PTR_NE(t, p, NULL);
    EXPECT_NO_EXCEPTION(t, r = HeapAlloc(g, 0, 0x80000000u));
    EXPECT_PTR_EQ(t, r, NULL);
    /* HeapReAlloc failing with the flag: STATUS_NO_MEMORY, block intact. */
    memset(p, 0x42, 100);
    EXPECT_EXCEPTION(t, &x, r = HeapReAlloc(g, HEAP_GENERATE_EXCEPTIONS, p, 0x80000000u));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    EXPECT_EQ(t, HeapSize(g, 0, p), 100);
    EXPECT_EQ(t, bytes_check(p, 0, 100, 0x42), 100);
    /* ... and STATUS_ACCESS_VIOLATION for a pointer that is no block. */
    EXPECT_EXCEPTION(t, &x, r = HeapReAlloc(g, HEAP_GENERATE_EXCEPTIONS, (char *)p + 8, 200));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_ACCESS_VIOLATION);
    EXPECT_TRUE(t, HeapValidate(g, 0, p));
    FREE(t, g, p);
    EXPECT_HEAP_OK(t, g);
    DESTROY(t, g);

    /* At creation: every call on the heap raises. */
    HANDLE f = CREATE(t, HEAP_GENERATE_EXCEPTIONS, 0, 0x10000);
    EXPECT_EXCEPTION(t, &x, r = HeapAlloc(f, 0, 0x20000));        /* more than the heap */
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    EXPECT_EXCEPTION(t, &x, r = HeapAlloc(f, 0, FIXED_LIMIT));    /* above the block limit */
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    EXPECT_EXCEPTION(t, &x, r = HeapAlloc(f, HEAP_ZERO_MEMORY, 0x80000000u));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    /* Filling it up: the first failure raises. */
    void *volatile blocks[80];
    volatile int n = 0;
    UTEST_CATCH(&x, while (n < 80) { blocks[n] = HeapAlloc(f, 0, 1000); n++; });
    EXPECT_TRUE(t, x.caught);
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    EXPECT_LT(t, n, 80);
    EXPECT_HEAP_OK(t, f);
    for (int i = 0; i < n; i++)
        FREE(t, f, blocks[i]);
    p = ALLOC(t, f, 0, 100);
    EXPECT_EXCEPTION(t, &x, r = HeapReAlloc(f, 0, p, 0x20000));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    EXPECT_EQ(t, HeapSize(f, 0, p), 100);
    FREE(t, f, p);
    EXPECT_HEAP_OK(t, f);
    DESTROY(t, f);

    HANDLE gg = CREATE(t, HEAP_GENERATE_EXCEPTIONS, 0, 0);
    EXPECT_EXCEPTION(t, &x, r = HeapAlloc(gg, 0, 0x7FFF0000u));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    EXPECT_EXCEPTION(t, &x, r = HeapAlloc(gg, 0, 0x30000000u));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    p = ALLOC(t, gg, 0, 3000);
    EXPECT_EXCEPTION(t, &x, r = HeapReAlloc(gg, 0, p, 0x30000000u));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_NO_MEMORY);
    EXPECT_EQ(t, HeapSize(gg, 0, p), 3000);
    FREE(t, gg, p);
    DESTROY(t, gg);
}

HEAP_TEST(j74_free_null_true)
{
    HANDLE hs[5] = {
        GetProcessHeap(), CREATE(t, 0, 0, 0), CREATE(t, 0, 0, 0x10000),
        CREATE(t, HEAP_GENERATE_EXCEPTIONS, 0, 0), CREATE(t, HEAP_X_TERMINATE_ON_CORRUPTION, 0, 0),
    };
    for (int k = 0; k < 5; k++) {
        volatile BOOL ok = FALSE;
        EXPECT_NO_EXCEPTION(t, ok = HeapFree(hs[k], 0, NULL));
        EXPECT_TRUE(t, ok);
        EXPECT_TRUE(t, HeapFree(hs[k], HEAP_NO_SERIALIZE, NULL));
        EXPECT_HEAP_OK(t, hs[k]);
    }
    for (int k = 1; k < 5; k++)
        DESTROY(t, hs[k]);
}

HEAP_TEST(j75_bad_free_false_invalid_parameter)
{
    HANDLE h = CREATE(t, 0, 0, 0), other = CREATE(t, 0, 0, 0);
    HANDLE ph = GetProcessHeap();
    static const SIZE_T sizes[] = { 0, 16, 100, 1000, 1500, 5000, 70000, LARGE_MIN + 10 };
    void *keep = ALLOC(t, h, 0, 50);
    pattern_fill(keep, 50, 75);

    /* Double free: small (quick-list), back-end and large blocks. */
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        void *wall = ALLOC(t, h, 0, 8);
        void *p = ALLOC(t, h, 0, sizes[i]);
        FREE(t, h, p);
        EXPECT_FREE_FAILS(t, h, p, ERROR_INVALID_PARAMETER);
        EXPECT_FREE_FAILS(t, h, p, ERROR_INVALID_PARAMETER);
        EXPECT_HEAP_OK(t, h);
        FREE(t, h, wall);
    }
    /* Foreign pointers: a block of another heap, of the process heap, the
     * stack, the image, a page of VirtualAlloc, the heap's own header. */
    static char image_data[64];
    int local;
    void *theirs = ALLOC(t, other, 0, 100), *their_large = ALLOC(t, other, 0, LARGE_MIN);
    void *ph_block = ALLOC(t, ph, 0, 100);
    uint8_t *va = VirtualAlloc(NULL, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ASSERT_PTR_NE(t, va, NULL);
    memset(va, 0, 0x10000);
    void *reserved_only = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    ASSERT_PTR_NE(t, reserved_only, NULL);
    void *foreign[] = {
        theirs, their_large, ph_block, &local, image_data, va + 8, va + 32, va + 0x1000,
        (char *)reserved_only + 8, (char *)reserved_only + 32, (char *)h + 8, (char *)h + 0x1000,
        (void *)(uintptr_t)8, (void *)(uintptr_t)0x7FFE0000, (void *)(uintptr_t)0xC0000000,
        (void *)(uintptr_t)0xFFFFFFF8,
    };
    for (unsigned i = 0; i < ARRAY_SIZE(foreign); i++) {
        SetLastError(BAD_ERROR);
        if (HeapFree(h, 0, foreign[i]))
            utest_fail_msg(t, __FILE__, __LINE__, "HeapFree accepted foreign pointer %p", foreign[i]);
        else if (GetLastError() != ERROR_INVALID_PARAMETER)
            utest_fail_msg(t, __FILE__, __LINE__, "HeapFree(foreign %p): error %lu", foreign[i],
                           GetLastError());
    }
    EXPECT_TRUE(t, HeapValidate(other, 0, theirs));    /* their owners still have them */
    EXPECT_TRUE(t, HeapValidate(other, 0, their_large));
    EXPECT_TRUE(t, HeapValidate(ph, 0, ph_block));
    FREE(t, other, theirs);
    FREE(t, other, their_large);
    FREE(t, ph, ph_block);
    EXPECT_TRUE(t, VirtualFree(va, 0, MEM_RELEASE));
    EXPECT_TRUE(t, VirtualFree(reserved_only, 0, MEM_RELEASE));

    /* Pointers into the middle of live blocks, aligned or not. */
    for (unsigned i = 1; i < ARRAY_SIZE(sizes); i++) {
        uint8_t *p = ALLOC(t, h, 0, sizes[i]);
        memset(p, 0, sizes[i]);
        static const uint32_t offs[] = { 1, 4, 8, 16, 24, 32, 64, 4096 };
        for (unsigned o = 0; o < ARRAY_SIZE(offs); o++) {
            if (offs[o] >= sizes[i])
                continue;
            EXPECT_FREE_FAILS(t, h, p + offs[o], ERROR_INVALID_PARAMETER);
        }
        EXPECT_FREE_FAILS(t, h, p - 8, ERROR_INVALID_PARAMETER);
        EXPECT_FREE_FAILS(t, h, p - 1, ERROR_INVALID_PARAMETER);
        EXPECT_TRUE(t, HeapValidate(h, 0, p));
        EXPECT_EQ(t, HeapSize(h, 0, p), sizes[i]);
        FREE(t, h, p);
    }

    /* The heap is intact: the kept block, validation, new blocks. */
    EXPECT_EQ(t, pattern_check(keep, 50, 75), 50);
    EXPECT_EQ(t, HeapSize(h, 0, keep), 50);
    EXPECT_HEAP_OK(t, h);
    EXPECT_HEAP_OK(t, other);
    void *q = ALLOC(t, h, 0, 50);
    FREE(t, h, q);
    FREE(t, h, keep);
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);
    DESTROY(t, other);
}

HEAP_TEST(j76_heapsize_of_freed_block)
{
    HANDLE h = CREATE(t, 0, 0, 0), f = CREATE(t, 0, 0, 0x100000);
    static const SIZE_T sizes[] = { 0, 10, 100, 1000, 2000, 30000, 100000, LARGE_MIN + 5 };
    HANDLE hs[2] = { h, f };
    for (int k = 0; k < 2; k++) {
        for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
            if (k == 1 && sizes[i] >= FIXED_LIMIT)
                continue;
            void *wall = ALLOC(t, hs[k], 0, 8);
            void *p = ALLOC(t, hs[k], 0, sizes[i]);
            void *wall2 = ALLOC(t, hs[k], 0, 8);
            FREE(t, hs[k], p);
            SetLastError(BAD_ERROR);
            EXPECT_EQ(t, HeapSize(hs[k], 0, p), (SIZE_T)-1);
            EXPECT_EQ(t, GetLastError(), BAD_ERROR);        /* does not set the last error */
            FREE(t, hs[k], wall);
            FREE(t, hs[k], wall2);
            SetLastError(BAD_ERROR);
            EXPECT_EQ(t, HeapSize(hs[k], 0, p), (SIZE_T)-1);  /* also once merged */
            EXPECT_EQ(t, GetLastError(), BAD_ERROR);
        }
        EXPECT_HEAP_OK(t, hs[k]);
    }
    DESTROY(t, h);
    DESTROY(t, f);
}

HEAP_TEST(j77_heapvalidate)
{
    HANDLE h = CREATE(t, 0, 0, 0), other = CREATE(t, 0, 0, 0);
    static const SIZE_T sizes[] = { 0, 10, 100, 1000, 2000, 30000, 100000, LARGE_MIN + 5 };
    void *p[ARRAY_SIZE(sizes)];

    SetLastError(BAD_ERROR);
    EXPECT_TRUE(t, HeapValidate(h, 0, NULL));       /* a healthy heap, empty */
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)
        p[i] = ALLOC(t, h, 0, sizes[i]);
    SetLastError(BAD_ERROR);
    EXPECT_TRUE(t, HeapValidate(h, 0, NULL));
    EXPECT_TRUE(t, HeapValidate(h, HEAP_NO_SERIALIZE, NULL));
    EXPECT_TRUE(t, HeapValidate(GetProcessHeap(), 0, NULL));
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)
        EXPECT_TRUE(t, HeapValidate(h, 0, p[i]));  /* live blocks */
    EXPECT_EQ(t, GetLastError(), BAD_ERROR);

    /* Non-heap pointers: FALSE, last error untouched. */
    int local;
    void *theirs = ALLOC(t, other, 0, 100);
    void *nonheap[] = { &local, theirs, (char *)p[2] + 8, (char *)p[2] + 1, (char *)p[7] + 0x1000,
                        (char *)h + 16, (void *)(uintptr_t)0x7FFE0000 };
    for (unsigned i = 0; i < ARRAY_SIZE(nonheap); i++) {
        SetLastError(BAD_ERROR);
        if (HeapValidate(h, 0, nonheap[i]))
            utest_fail_msg(t, __FILE__, __LINE__, "HeapValidate accepted %p", nonheap[i]);
        EXPECT_EQ(t, GetLastError(), BAD_ERROR);
    }
    FREE(t, other, theirs);

    /* Freed blocks: FALSE, last error untouched; the heap stays healthy. */
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i += 2) {
        FREE(t, h, p[i]);
        SetLastError(BAD_ERROR);
        EXPECT_FALSE(t, HeapValidate(h, 0, p[i]));
        EXPECT_EQ(t, GetLastError(), BAD_ERROR);
    }
    EXPECT_HEAP_OK(t, h);
    for (unsigned i = 1; i < ARRAY_SIZE(sizes); i += 2) {
        EXPECT_TRUE(t, HeapValidate(h, 0, p[i]));
        FREE(t, h, p[i]);
        EXPECT_FALSE(t, HeapValidate(h, 0, p[i]));
    }
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);
    DESTROY(t, other);
}

HEAP_TEST(j78_no_serialize_accepted)
{
    /* Per call on a serialized heap. */
    HANDLE h = CREATE(t, 0, 0, 0);
    void *p = ALLOC(t, h, HEAP_NO_SERIALIZE, 100);
    EXPECT_EQ(t, HeapSize(h, HEAP_NO_SERIALIZE, p), 100);
    void *q = HeapReAlloc(h, HEAP_NO_SERIALIZE, p, 3000);
    ASSERT_PTR_NE(t, q, NULL);
    EXPECT_TRUE(t, HeapValidate(h, HEAP_NO_SERIALIZE, q));
    EXPECT_TRUE(t, HeapFree(h, HEAP_NO_SERIALIZE, q));
    EXPECT_EQ(t, HeapCompact(h, HEAP_NO_SERIALIZE) > 0, 1);
    DESTROY(t, h);

    /* At creation; HeapLock/HeapUnlock still work on such a heap. */
    HANDLE n = CREATE(t, HEAP_NO_SERIALIZE, 0, 0);
    EXPECT_TRUE(t, HeapLock(n));
    void *a = ALLOC(t, n, 0, 100);
    void *b = ALLOC(t, n, HEAP_NO_SERIALIZE, 5000);
    EXPECT_TRUE(t, HeapUnlock(n));
    EXPECT_EQ(t, HeapSize(n, 0, a), 100);
    EXPECT_EQ(t, HeapSize(n, 0, b), 5000);
    FREE(t, n, a);
    FREE(t, n, b);
    EXPECT_TRUE(t, HeapLock(n));
    EXPECT_TRUE(t, HeapLock(n));
    EXPECT_TRUE(t, HeapUnlock(n));
    EXPECT_TRUE(t, HeapUnlock(n));
    EXPECT_HEAP_OK(t, n);
    DESTROY(t, n);

    HANDLE nf = CREATE(t, HEAP_NO_SERIALIZE, 0x1000, 0x20000);
    a = ALLOC(t, nf, 0, 1000);
    FREE(t, nf, a);
    DESTROY(t, nf);
}

static const struct utest_case j_cases[] = {
    UTEST_CASE(j67_alignment_8),
    UTEST_CASE(j68_zero_size_alloc),
    UTEST_CASE(j69_heapsize_exact),
    UTEST_CASE(j70_zero_memory_on_dirty_reuse),
    UTEST_CASE(j71_failure_null_not_enough_memory),
    UTEST_CASE(j72_requests_from_2gib_fail_at_once),
    UTEST_CASE(j73_generate_exceptions_raise_no_memory),
    UTEST_CASE(j74_free_null_true),
    UTEST_CASE(j75_bad_free_false_invalid_parameter),
    UTEST_CASE(j76_heapsize_of_freed_block),
    UTEST_CASE(j77_heapvalidate),
    UTEST_CASE(j78_no_serialize_accepted),
    UTEST_END,
};

const struct utest_suite uheap_j_suite = {
    .name = "uheap_j_alloc", .cases = j_cases, .exit = fixture_suite_exit,
};
