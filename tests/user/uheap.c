/* The Windows heap semantics of ../shared/spec/win-memory-semantics.md
 * sections I-M (items 62-93) from ring 3, through the SDK's Heap* API
 * (libc/user/heapapi.c over the heap engine, mm/heap/).  One case per
 * numbered item, named after it; the values and last-error codes are the
 * ones the spec gives for Windows.  The engine's own requirements (the
 * robustness, checking and random-operation tests) are in uheap_engine.c.
 *
 * Every case gives back what it takes: the fixture (uheap.h) destroys the
 * heaps a failed case left and compares the number of reservations and
 * the commit charge (outside the process heap's regions) around it. */
#include "uheap.h"

/* ---- I. Heaps: creation, handles, enumeration ----------------------------------------- */

HEAP_TEST(i62_process_heap_same_handle)
{
    HANDLE a = GetProcessHeap(), b = GetProcessHeap();

    ASSERT_PTR_NE(t, a, NULL);
    EXPECT_PTR_EQ(t, a, b);
    HANDLE h = CREATE(t, 0, 0, 0);
    EXPECT_PTR_EQ(t, GetProcessHeap(), a);      /* a new heap changes nothing */
    DESTROY(t, h);
    EXPECT_PTR_EQ(t, GetProcessHeap(), a);
    /* The handle is a working heap. */
    void *p = ALLOC(t, a, 0, 10);
    EXPECT_EQ(t, HeapSize(a, 0, p), 10);
    FREE(t, a, p);
}

HEAP_TEST(i63_get_process_heaps)
{
    HANDLE buf[MAX_HEAPS + 2];
    DWORD n0 = GetProcessHeaps(0, NULL);

    ASSERT_GE(t, n0, 1);
    ASSERT_LE(t, n0, MAX_HEAPS - 4);
    EXPECT_EQ(t, GetProcessHeaps(MAX_HEAPS, buf), n0);
    EXPECT_PTR_EQ(t, buf[0], GetProcessHeap());   /* the process heap comes first */

    HANDLE a = CREATE(t, 0, 0, 0);
    HANDLE b = CREATE(t, 0, 0, 0x10000);
    for (int i = 0; i < MAX_HEAPS + 2; i++)
        buf[i] = (HANDLE)(uintptr_t)0x5A5A5A5A;
    EXPECT_EQ(t, GetProcessHeaps(MAX_HEAPS, buf), n0 + 2);
    EXPECT_PTR_EQ(t, buf[0], GetProcessHeap());
    EXPECT_PTR_EQ(t, buf[n0], a);                 /* new heaps at the end, in order */
    EXPECT_PTR_EQ(t, buf[n0 + 1], b);
    EXPECT_PTR_EQ(t, buf[n0 + 2], 0x5A5A5A5A);    /* nothing past the count */

    /* A buffer too small: as many as fit, and the full count. */
    for (int i = 0; i < MAX_HEAPS + 2; i++)
        buf[i] = (HANDLE)(uintptr_t)0x5A5A5A5A;
    EXPECT_EQ(t, GetProcessHeaps(1, buf), n0 + 2);
    EXPECT_PTR_EQ(t, buf[0], GetProcessHeap());
    EXPECT_PTR_EQ(t, buf[1], 0x5A5A5A5A);
    for (int i = 0; i < MAX_HEAPS + 2; i++)
        buf[i] = (HANDLE)(uintptr_t)0x5A5A5A5A;
    EXPECT_EQ(t, GetProcessHeaps(n0 + 1, buf), n0 + 2);
    EXPECT_PTR_EQ(t, buf[n0], a);
    EXPECT_PTR_EQ(t, buf[n0 + 1], 0x5A5A5A5A);
    EXPECT_EQ(t, GetProcessHeaps(0, NULL), n0 + 2);

    /* A destroyed heap disappears; the others keep their order. */
    DESTROY(t, a);
    EXPECT_EQ(t, GetProcessHeaps(MAX_HEAPS, buf), n0 + 1);
    EXPECT_PTR_EQ(t, buf[0], GetProcessHeap());
    EXPECT_PTR_EQ(t, buf[n0], b);
    DESTROY(t, b);
    EXPECT_EQ(t, GetProcessHeaps(MAX_HEAPS, buf), n0);
    for (DWORD i = 0; i < n0; i++)
        EXPECT_PTR_NE(t, buf[i], b);
}

/* Code that returns 42: mov eax, 42; ret. */
static const uint8_t ret42[] = { 0xB8, 0x2A, 0x00, 0x00, 0x00, 0xC3 };

HEAP_TEST(i64_create_options_and_rounding)
{
    uint32_t committed, total;

    /* dwInitialSize rounded up to pages and committed; growable (max 0). */
    HANDLE g = CREATE(t, 0, 0x5001, 0);
    alloc_extent(g, &committed, &total);
    MEMORY_BASIC_INFORMATION m = vquery(g);
    EXPECT_EQ(t, m.State, MEM_COMMIT);
    EXPECT_EQ(t, m.RegionSize, 0x6000);            /* 0x5001 -> 0x6000 committed from the base */
    EXPECT_EQ(t, committed, 0x6000);
    EXPECT_EQ(t, m.Protect, PAGE_READWRITE);
    EXPECT_EQ(t, m.AllocationProtect, PAGE_READWRITE);
    void *big = ALLOC(t, g, 0, 0x300000);          /* growable: grows past any first reservation */
    EXPECT_TRUE(t, HeapValidate(g, 0, big));
    FREE(t, g, big);
    DESTROY(t, g);

    /* A fixed-size heap: max rounded up to pages and reserved up front;
     * initial committed. */
    uint32_t allocs = allocations_outside_process_heap();
    HANDLE f = CREATE(t, 0, 0x3001, 0x30001);
    EXPECT_EQ(t, allocations_outside_process_heap(), allocs + 1);
    alloc_extent(f, &committed, &total);
    EXPECT_EQ(t, committed, 0x4000);
    EXPECT_GE(t, total, 0x31000);                  /* the whole (rounded) maximum is reserved */
    EXPECT_LT(t, total, 0x31000 + GRAN);
    /* ... and it can be used: 0x30001 less the heap's overhead. */
    void *blocks[16];
    int n = 0;
    while (n < 16 && (blocks[n] = HeapAlloc(f, 0, 0x4000)) != NULL)
        n++;
    EXPECT_GE(t, n * 0x4000, 0x30000 - 0x4000 - 0x2000);
    EXPECT_EQ(t, allocations_outside_process_heap(), allocs + 1);  /* it never grows */
    for (int i = 0; i < n; i++)
        FREE(t, f, blocks[i]);
    DESTROY(t, f);

    /* HEAP_CREATE_ENABLE_EXECUTE: executable pages, blocks and large blocks. */
    HANDLE x = CREATE(t, HEAP_CREATE_ENABLE_EXECUTE, 0, 0);
    m = vquery(x);
    EXPECT_EQ(t, m.Protect, PAGE_EXECUTE_READWRITE);
    EXPECT_EQ(t, m.AllocationProtect, PAGE_EXECUTE_READWRITE);
    uint8_t *code = ALLOC(t, x, 0, sizeof(ret42));
    memcpy(code, ret42, sizeof(ret42));
    EXPECT_EQ(t, vquery(code).Protect, PAGE_EXECUTE_READWRITE);
    EXPECT_EQ(t, ((int (*)(void))(uintptr_t)code)(), 42);
    void *lx = ALLOC(t, x, 0, LARGE_MIN + 0x1000);
    EXPECT_EQ(t, vquery(lx).Protect, PAGE_EXECUTE_READWRITE);
    FREE(t, x, lx);
    FREE(t, x, code);
    DESTROY(t, x);
    /* Without it, plain read/write. */
    HANDLE rw = CREATE(t, 0, 0, 0);
    void *lrw = ALLOC(t, rw, 0, LARGE_MIN + 0x1000);
    EXPECT_EQ(t, vquery(lrw).Protect, PAGE_READWRITE);
    FREE(t, rw, lrw);
    DESTROY(t, rw);

    /* A heap that cannot be had: NULL, ERROR_NOT_ENOUGH_MEMORY (as
     * kernel32), nothing left reserved or committed. */
    static const SIZE_T impossible[][2] = {
        { 0x7FFF0000, 0 }, { 0x30000000, 0 }, { 0, 0x7FFF0000 }, { 0x30000000, 0x30000000 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(impossible); i++) {
        uint32_t a = allocations_outside_process_heap(), c = charge_outside_process_heap();
        SetLastError(BAD_ERROR);
        HANDLE none = HeapCreate(0, impossible[i][0], impossible[i][1]);
        EXPECT_PTR_EQ(t, none, NULL);
        if (none != NULL)
            HeapDestroy(none);
        else
            EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
        EXPECT_EQ(t, allocations_outside_process_heap(), a);
        EXPECT_EQ(t, charge_outside_process_heap(), c);
    }

    /* HEAP_GENERATE_EXCEPTIONS and HEAP_NO_SERIALIZE are accepted (items
     * 73 and 78 check what they do). */
    HANDLE ge = CREATE(t, HEAP_GENERATE_EXCEPTIONS | HEAP_NO_SERIALIZE, 0x1000, 0x20000);
    void *p = ALLOC(t, ge, 0, 100);
    FREE(t, ge, p);
    DESTROY(t, ge);
}

HEAP_TEST(i65_handle_is_first_region_base)
{
    HANDLE hs[4];
    hs[0] = GetProcessHeap();
    hs[1] = CREATE(t, 0, 0, 0);
    hs[2] = CREATE(t, 0, 0x10000, 0x100000);
    hs[3] = CREATE(t, HEAP_NO_SERIALIZE, 0x1000, 0);
    for (int i = 0; i < 4; i++) {
        MEMORY_BASIC_INFORMATION m = vquery(hs[i]);
        EXPECT_EQ(t, U32(hs[i]) & (GRAN - 1), 0);
        EXPECT_PTR_EQ(t, m.BaseAddress, hs[i]);
        EXPECT_PTR_EQ(t, m.AllocationBase, hs[i]);
        EXPECT_EQ(t, m.State, MEM_COMMIT);
        EXPECT_EQ(t, m.Type, MEM_PRIVATE);
        /* ... the first region HeapWalk reports. */
        PROCESS_HEAP_ENTRY e;
        e.lpData = NULL;
        EXPECT_TRUE(t, HeapWalk(hs[i], &e));
        EXPECT_EQ(t, e.wFlags, PROCESS_HEAP_REGION);
        EXPECT_PTR_EQ(t, e.lpData, hs[i]);
    }
    for (int i = 1; i < 4; i++)
        DESTROY(t, hs[i]);
}

HEAP_TEST(i66_destroy_releases_everything)
{
    uint32_t charge0 = charge_outside_process_heap(), allocs0 = allocations_outside_process_heap();
    uint32_t raw_charge0 = commit_charge(), raw_allocs0 = allocation_count();
    HANDLE h = CREATE(t, 0, 0, 0);
    static void *small[64];
    void *large[3];
    void *regions[16];

    /* Blocks left allocated: small ones, enough medium ones for a second
     * segment, and large blocks in regions of their own. */
    for (int i = 0; i < 64; i++) {
        small[i] = ALLOC(t, h, 0, (SIZE_T)(i * 37 % 2000));
        memset(small[i], 0x5A, (SIZE_T)(i * 37 % 2000));
    }
    for (int i = 0; i < 40; i++)
        memset(ALLOC(t, h, 0, 60000), 0x33, 60000);
    for (int i = 0; i < 3; i++)
        large[i] = ALLOC(t, h, HEAP_ZERO_MEMORY, LARGE_MIN + (SIZE_T)i * 0x10000);
    int nregions = walk_region_bases(h, regions, 16);
    EXPECT_GE(t, nregions, 2);
    EXPECT_GT(t, charge_outside_process_heap(), charge0 + (40 * 60000 + 3 * LARGE_MIN) / PAGE);
    for (int i = 0; i < 3; i++)
        EXPECT_EQ(t, vquery(large[i]).State, MEM_COMMIT);

    EXPECT_TRUE(t, HeapDestroy(h));
    for (int i = 0; i < nregions; i++) {
        MEMORY_BASIC_INFORMATION m = vquery(regions[i]);
        EXPECT_EQ(t, m.State, MEM_FREE);
        EXPECT_PTR_EQ(t, m.AllocationBase, NULL);
    }
    for (int i = 0; i < 3; i++)
        EXPECT_EQ(t, vquery(large[i]).State, MEM_FREE);
    EXPECT_EQ(t, vquery(small[0]).State, MEM_FREE);
    EXPECT_EQ(t, allocations_outside_process_heap(), allocs0);
    EXPECT_EQ(t, charge_outside_process_heap(), charge0);
    /* The system's own counters too (page tables included): nothing of
     * the heap is left. */
    EXPECT_EQ(t, commit_charge(), raw_charge0);
    EXPECT_EQ(t, allocation_count(), raw_allocs0);
    HANDLE buf[MAX_HEAPS];
    DWORD n = GetProcessHeaps(MAX_HEAPS, buf);
    for (DWORD i = 0; i < n && i < MAX_HEAPS; i++)
        EXPECT_PTR_NE(t, buf[i], h);

    /* A heap with nothing allocated goes too. */
    h = CREATE(t, 0, 0x40000, 0);
    EXPECT_TRUE(t, HeapDestroy(h));
    EXPECT_EQ(t, vquery(h).State, MEM_FREE);
    EXPECT_EQ(t, charge_outside_process_heap(), charge0);

    /* The process heap cannot be destroyed: refused, and it keeps working. */
    HANDLE ph = GetProcessHeap();
    void *keep = ALLOC(t, ph, 0, 100);
    memset(keep, 0x77, 100);
    EXPECT_FALSE(t, HeapDestroy(ph));
    EXPECT_PTR_EQ(t, GetProcessHeap(), ph);
    EXPECT_EQ(t, vquery(ph).State, MEM_COMMIT);
    EXPECT_EQ(t, GetProcessHeaps(MAX_HEAPS, buf), fixture_heap_count);
    EXPECT_PTR_EQ(t, buf[0], ph);
    EXPECT_TRUE(t, HeapValidate(ph, 0, keep));
    EXPECT_EQ(t, bytes_check(keep, 0, 100, 0x77), 100);
    EXPECT_HEAP_OK(t, ph);
    void *more = ALLOC(t, ph, 0, 200);
    FREE(t, ph, more);
    FREE(t, ph, keep);
}

/* ---- J. HeapAlloc / HeapSize / HeapFree / HeapValidate ---------------------------------- */

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

/* ---- K. HeapReAlloc --------------------------------------------------------------------- */

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
        { f, 100, FIXED_LIMIT }, { f, 100, 0x50000 }, { f, 5000, 0x3F000 }, { f, 100, 0x80000000u },
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

/* ---- L. Fixed-size heaps, large blocks ----------------------------------------------- */

HEAP_TEST(l86_fixed_heap_block_limit)
{
    HANDLE f = CREATE(t, 0, 0, 0x400000);
    static const SIZE_T too_big[] = { FIXED_LIMIT, FIXED_LIMIT + 1, 0x80000, 0x100000, 0x3F0000 };
    for (unsigned i = 0; i < ARRAY_SIZE(too_big); i++) {
        SetLastError(BAD_ERROR);
        EXPECT_PTR_EQ(t, HeapAlloc(f, 0, too_big[i]), NULL);
        EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    }
    /* Just below the limit: served, from inside the heap's reservation. */
    uint8_t *p = ALLOC(t, f, 0, FIXED_LIMIT - 8);
    EXPECT_EQ(t, HeapSize(f, 0, p), FIXED_LIMIT - 8);
    EXPECT_PTR_EQ(t, vquery(p).AllocationBase, f);
    memset(p, 0x86, FIXED_LIMIT - 8);
    uint8_t *p2 = ALLOC(t, f, 0, FIXED_LIMIT - 1);
    EXPECT_EQ(t, HeapSize(f, 0, p2), FIXED_LIMIT - 1);
    EXPECT_PTR_EQ(t, vquery(p2).AllocationBase, f);
    /* HeapReAlloc to the limit fails and keeps the block. */
    uint8_t *q = ALLOC(t, f, 0, 10);
    memset(q, 0x11, 10);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, HeapReAlloc(f, 0, q, FIXED_LIMIT), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_EQ(t, HeapSize(f, 0, q), 10);
    EXPECT_EQ(t, bytes_check(q, 0, 10, 0x11), 10);
    uint8_t *q2 = HeapReAlloc(f, 0, q, FIXED_LIMIT - 1);
    ASSERT_PTR_NE(t, q2, NULL);
    EXPECT_EQ(t, bytes_check(q2, 0, 10, 0x11), 10);
    /* Room for several such blocks: the limit is per block. */
    uint8_t *more[4];
    for (int i = 0; i < 4; i++)
        more[i] = ALLOC(t, f, 0, 0x70000);
    EXPECT_EQ(t, bytes_check(p, 0, FIXED_LIMIT - 8, 0x86), FIXED_LIMIT - 8);
    for (int i = 0; i < 4; i++)
        FREE(t, f, more[i]);
    FREE(t, f, p);
    FREE(t, f, p2);
    FREE(t, f, q2);
    EXPECT_HEAP_OK(t, f);
    DESTROY(t, f);

    /* A small fixed heap has the same limit and its own size as bounds. */
    HANDLE s = CREATE(t, 0, 0, 0x20000);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, HeapAlloc(s, 0, FIXED_LIMIT), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    DESTROY(t, s);
}

/* Fills a fixed heap with `size`-byte blocks, then with 8-byte ones;
 * returns the payload bytes it gave out and frees everything. */
static uint32_t fill_fixed(struct utest *t, HANDLE f, uint32_t size, uint32_t *nblocks)
{
    static void *b[4096];
    uint32_t n = 0, total = 0;
    uint32_t allocs = allocations_outside_process_heap();
    void *p;

    while (n < 4096 && (p = HeapAlloc(f, 0, size)) != NULL) {
        b[n++] = p;
        total += size;
    }
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    *nblocks = n;
    while (n < 4096 && (p = HeapAlloc(f, 0, 8)) != NULL) {
        b[n++] = p;
        total += 8;
    }
    EXPECT_LT(t, n, 4096);
    EXPECT_EQ(t, allocations_outside_process_heap(), allocs);     /* never grew */
    EXPECT_HEAP_OK(t, f);
    for (uint32_t i = 0; i < n; i++)
        FREE(t, f, b[i]);
    return total;
}

HEAP_TEST(l87_fixed_heap_stops_at_max)
{
    /* The heap gives out at most dwMaximumSize (rounded up to pages) and
     * at least that less its overhead: 8 bytes per block here, plus the
     * heap's own structures (the spec says roughly 1-2 KiB a region; the
     * bound below allows 8 KiB). */
    static const uint32_t maxima[] = { 0x10000, 0x11000, 0x18001, 0x30000 };
    for (unsigned i = 0; i < ARRAY_SIZE(maxima); i++) {
        uint32_t max = maxima[i], rounded = (max + PAGE - 1) & ~(PAGE - 1), n = 0;
        uint32_t allocs = allocations_outside_process_heap();
        HANDLE f = CREATE(t, 0, 0, max);
        EXPECT_EQ(t, allocations_outside_process_heap(), allocs + 1);
        uint32_t committed, total;
        alloc_extent(f, &committed, &total);
        EXPECT_GE(t, total, rounded);
        uint32_t given = fill_fixed(t, f, 1000, &n);
        uint32_t used = given + (n + (given - n * 1000) / 8) * 8;    /* with 8-byte headers */
        if (given > rounded || used > rounded)
            utest_fail_msg(t, __FILE__, __LINE__, "fixed heap of max %lx gave out %lx bytes in "
                           "blocks (%lx with their headers): more than its maximum",
                           (unsigned long)max, (unsigned long)given, (unsigned long)used);
        EXPECT_GE(t, used + 0x2000, rounded);
        /* Freeing makes room again (fill_fixed freed all): a second fill
         * gives out the same. */
        uint32_t n2 = 0;
        fill_fixed(t, f, 1000, &n2);
        EXPECT_EQ(t, n2, n);
        /* Full, then one block freed: exactly that room comes back. */
        void *b[256];
        uint32_t k = 0;
        while (k < 256 && (b[k] = HeapAlloc(f, 0, 1000)) != NULL)
            k++;
        SetLastError(BAD_ERROR);
        EXPECT_PTR_EQ(t, HeapAlloc(f, 0, 1000), NULL);
        EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
        if (k > 2) {
            FREE(t, f, b[k / 2]);
            b[k / 2] = HeapAlloc(f, 0, 1000);
            EXPECT_PTR_NE(t, b[k / 2], NULL);
        }
        for (uint32_t j = 0; j < k; j++)
            if (b[j] != NULL)
                FREE(t, f, b[j]);
        /* Everything freed: the heap is empty, and one block of nearly
         * all of it (below the block limit) fits again. */
        uint32_t one = (used < rounded ? used : rounded) - 0x100;
        if (one > FIXED_LIMIT - 8)
            one = FIXED_LIMIT - 8;
        SetLastError(BAD_ERROR);
        void *whole = HeapAlloc(f, 0, one);
        if (whole == NULL)
            utest_fail_msg(t, __FILE__, __LINE__, "emptied fixed heap of max %lx (%lx used when "
                           "full) refuses %lx bytes, error %lu", (unsigned long)max,
                           (unsigned long)used, (unsigned long)one, GetLastError());
        else
            FREE(t, f, whole);
        alloc_extent(f, &committed, &total);
        EXPECT_GE(t, total, rounded);
        DESTROY(t, f);
    }
}

HEAP_TEST(l88_large_block_own_region)
{
    HANDLE h = CREATE(t, 0, 0, 0);
    HANDLE hs[2] = { h, GetProcessHeap() };
    for (int k = 0; k < 2; k++) {
        HANDLE g = hs[k];
        /* Below the threshold: inside the heap's regions. */
        void *below = ALLOC(t, g, 0, 0x7E000);
        EXPECT_TRUE(t, walk_in_regions(g, below));
        FREE(t, g, below);
        static const SIZE_T sizes[] = { LARGE_MIN, LARGE_MIN + 1, 0x100000, 0x300001 };
        for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
            SIZE_T n = sizes[i];
            uint32_t allocs = allocations_outside_process_heap(), charge = charge_outside_process_heap();
            uint8_t *p = ALLOC(t, g, 0, n);
            MEMORY_BASIC_INFORMATION m = vquery(p);
            EXPECT_EQ(t, allocations_outside_process_heap(), allocs + 1);   /* a region of its own */
            EXPECT_FALSE(t, walk_in_regions(g, p));
            EXPECT_EQ(t, m.State, MEM_COMMIT);
            EXPECT_EQ(t, m.Type, MEM_PRIVATE);
            EXPECT_LT(t, U32(p) - U32(m.AllocationBase), 0x100);     /* a small header */
            EXPECT_EQ(t, U32(m.AllocationBase) & (GRAN - 1), 0);
            uint32_t committed, total;
            alloc_extent(m.AllocationBase, &committed, &total);
            EXPECT_GE(t, committed, n);
            EXPECT_LT(t, committed, n + 2 * PAGE);
            EXPECT_GE(t, charge_outside_process_heap(), charge + n / PAGE);
            memset(p, 0x88, n);
            DWORD cb = BAD_ERROR;
            EXPECT_EQ(t, walk_count_busy(g, p, &cb), 1);      /* HeapWalk reports it busy */
            EXPECT_EQ(t, cb, n);
            EXPECT_EQ(t, HeapSize(g, 0, p), n);
            EXPECT_TRUE(t, HeapValidate(g, 0, p));
            void *base = m.AllocationBase;
            FREE(t, g, p);
            /* Released at once. */
            EXPECT_EQ(t, vquery(p).State, MEM_FREE);
            EXPECT_EQ(t, vquery(base).State, MEM_FREE);
            EXPECT_EQ(t, allocations_outside_process_heap(), allocs);
            EXPECT_EQ(t, charge_outside_process_heap(), charge);
            EXPECT_EQ(t, walk_count_busy(g, p, NULL), 0);
            /* A stale pointer to the released region: no fault. */
            EXPECT_FREE_FAILS(t, g, p, ERROR_INVALID_PARAMETER);
            EXPECT_EQ(t, HeapSize(g, 0, p), (SIZE_T)-1);
            EXPECT_FALSE(t, HeapValidate(g, 0, p));
        }
        EXPECT_HEAP_OK(t, g);
    }
    DESTROY(t, h);
}

HEAP_TEST(l89_large_block_alignment)
{
    /* Windows aligns large blocks to 32 bytes on x86 [obs; not checked by
     * the spec]; MEMORY_ALLOCATION_ALIGNMENT (8) is required. */
    HANDLE h = CREATE(t, 0, 0, 0);
    void *p[4];
    int aligned32 = 0;
    for (int i = 0; i < 4; i++) {
        p[i] = ALLOC(t, h, 0, LARGE_MIN + (SIZE_T)i * 12345);
        EXPECT_EQ(t, U32(p[i]) & 7, 0);
        aligned32 += (U32(p[i]) & 31) == 0;
    }
    void *q = HeapReAlloc(h, 0, p[0], 0x200000);
    ASSERT_PTR_NE(t, q, NULL);
    p[0] = q;
    EXPECT_EQ(t, U32(q) & 7, 0);
    if (aligned32 != 4)
        utest_log("large blocks not 32-byte aligned as on Windows (%d of 4)", aligned32);
    for (int i = 0; i < 4; i++)
        FREE(t, h, p[i]);
    DESTROY(t, h);
}

HEAP_TEST(l90_same_size_run_keeps_api_results)
{
    /* Windows may switch to the LFH after ~17 same-size blocks; whatever
     * the engine does, the API results stay exact. */
    HANDLE h = CREATE(t, 0, 0, 0);
    enum { N = 200 };
    static struct walk_expect ex[N];
    static void *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = ALLOC(t, h, 0, 17);
        pattern_fill(p[i], 17, (uint32_t)i);
        ex[i].p = p[i];
        ex[i].size = 17;
    }
    for (int i = 0; i < N; i += 4) {
        FREE(t, h, p[i]);
        p[i] = ALLOC(t, h, 0, 17);
        pattern_fill(p[i], 17, (uint32_t)i);
        ex[i].p = p[i];
    }
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += HeapSize(h, 0, p[i]) != 17 || !HeapValidate(h, 0, p[i]) ||
               pattern_check(p[i], 17, (uint32_t)i) != 17;
    EXPECT_EQ(t, bad, 0);
    struct walk_stats s = WALK_VERIFY(t, h, ex, N);
    EXPECT_EQ(t, s.unexpected_busy, 0);
    for (int i = 0; i < N; i++)
        FREE(t, h, p[i]);
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);
}

/* ---- M. HeapLock / HeapWalk / HeapCompact -------------------------------------------- */

HEAP_TEST(m91_lock_recursive_owner_allocates)
{
    HANDLE hs[3] = { CREATE(t, 0, 0, 0), GetProcessHeap(), CREATE(t, HEAP_NO_SERIALIZE, 0, 0) };
    for (int k = 0; k < 3; k++) {
        HANDLE h = hs[k];
        SetLastError(BAD_ERROR);
        EXPECT_TRUE(t, HeapLock(h));
        EXPECT_TRUE(t, HeapLock(h));            /* recursive */
        EXPECT_TRUE(t, HeapLock(h));
        /* The owner can still use the heap, every call. */
        void *p = ALLOC(t, h, 0, 100);
        void *q = HeapReAlloc(h, 0, p, 5000);
        EXPECT_PTR_NE(t, q, NULL);
        if (q != NULL)
            p = q;
        EXPECT_EQ(t, HeapSize(h, 0, p), 5000);
        EXPECT_TRUE(t, HeapValidate(h, 0, NULL));
        PROCESS_HEAP_ENTRY e;
        e.lpData = NULL;
        EXPECT_TRUE(t, HeapWalk(h, &e));
        HeapCompact(h, 0);
        FREE(t, h, p);
        EXPECT_TRUE(t, HeapUnlock(h));
        EXPECT_TRUE(t, HeapUnlock(h));
        void *r = ALLOC(t, h, 0, 10);           /* still held once */
        EXPECT_TRUE(t, HeapUnlock(h));
        FREE(t, h, r);                          /* released: as before */
        EXPECT_HEAP_OK(t, h);
    }
    /* Another thread blocking on the lock cannot be shown here (ring-3
     * programs have one thread; the kernel's heap test covers it). */
    DESTROY(t, hs[0]);
    DESTROY(t, hs[2]);
}

HEAP_TEST(m92_heapwalk_every_block)
{
    HANDLE h = CREATE(t, 0, 0, 0);
    enum { N = 400 };
    static struct walk_expect ex[N];
    static void *p[N];
    static uint32_t n[N];
    int live = 0;

    /* Blocks of every kind: zero-size, small, big, enough for a second
     * segment, large blocks; then frees of all kinds (quick-list, merged,
     * decommitted after HeapCompact). */
    for (int i = 0; i < N; i++) {
        n[i] = (uint32_t)(i * 131) % 3000;
        if (i % 40 == 7)
            n[i] = LARGE_MIN + (uint32_t)i;
        else if (i % 10 == 3)
            n[i] = 20000 + (uint32_t)i * 7;
        p[i] = ALLOC(t, h, 0, n[i]);
    }
    for (int i = 0; i < N; i += 3) {
        FREE(t, h, p[i]);
        p[i] = NULL;
    }
    for (int i = 1; i < 60; i += 3) {          /* a run of neighbours: merged */
        FREE(t, h, p[i]);
        p[i] = NULL;
    }
    for (int i = 0; i < N; i++)
        if (p[i] != NULL) {
            ex[live].p = p[i];
            ex[live].size = n[i];
            live++;
        }
    struct walk_stats s = WALK_VERIFY(t, h, ex, live);
    EXPECT_EQ(t, s.unexpected_busy, 0);
    EXPECT_EQ(t, s.busy, live);
    EXPECT_GE(t, s.regions, 2);
    EXPECT_GE(t, s.free, 1);
    EXPECT_GE(t, s.uncommitted, 1);
    int nlarge = 0;
    for (int i = 0; i < N; i++)
        nlarge += p[i] != NULL && n[i] >= LARGE_MIN;
    EXPECT_GT(t, nlarge, 0);
    EXPECT_EQ(t, s.large, nlarge);

    /* After HeapCompact: decommitted ranges inside free blocks. */
    HeapCompact(h, 0);
    s = WALK_VERIFY(t, h, ex, live);
    EXPECT_EQ(t, s.unexpected_busy, 0);
    EXPECT_EQ(t, s.busy, live);

    /* Under HeapLock, as the docs recommend. */
    EXPECT_TRUE(t, HeapLock(h));
    s = WALK_VERIFY(t, h, ex, live);
    EXPECT_EQ(t, s.busy, live);
    EXPECT_TRUE(t, HeapUnlock(h));

    /* The end repeats; an empty heap is a region and free space. */
    for (int i = 0; i < N; i++)
        if (p[i] != NULL)
            FREE(t, h, p[i]);
    s = WALK_VERIFY(t, h, NULL, 0);
    EXPECT_EQ(t, s.busy, 0);
    EXPECT_EQ(t, s.large, 0);
    EXPECT_HEAP_OK(t, h);
    DESTROY(t, h);

    /* The process heap walks too, and a fixed heap. */
    void *pp = ALLOC(t, GetProcessHeap(), 0, 77);
    DWORD cb = 0;
    EXPECT_EQ(t, walk_count_busy(GetProcessHeap(), pp, &cb), 1);
    EXPECT_EQ(t, cb, 77);
    WALK_VERIFY(t, GetProcessHeap(), NULL, 0);
    FREE(t, GetProcessHeap(), pp);
    HANDLE f = CREATE(t, 0, 0x2000, 0x100000);
    struct walk_expect fe[2];
    fe[0].p = ALLOC(t, f, 0, 0);
    fe[0].size = 0;
    fe[1].p = ALLOC(t, f, 0, 0x7FFF0);
    fe[1].size = 0x7FFF0;
    s = WALK_VERIFY(t, f, fe, 2);
    EXPECT_EQ(t, s.regions, 1);
    EXPECT_EQ(t, s.unexpected_busy, 0);
    EXPECT_EQ(t, s.large, 0);
    DESTROY(t, f);
}

HEAP_TEST(m93_heapcompact_largest_free_block)
{
    /* No free block at all: 0 with NO_ERROR. */
    HANDLE f = CREATE(t, 0, 0, 0x10000);
    static void *b[4096];
    int n = 0, big = 0;
    while (n < 4096 && (b[n] = HeapAlloc(f, 0, 500)) != NULL)
        n++;
    big = n;
    while (n < 4096 && (b[n] = HeapAlloc(f, 0, 0)) != NULL)
        n++;
    ASSERT_LT(t, n, 4096);
    ASSERT_GE(t, big, 20);
    SetLastError(BAD_ERROR);
    EXPECT_EQ(t, HeapCompact(f, 0), 0);
    EXPECT_EQ(t, GetLastError(), ERROR_SUCCESS);
    struct walk_stats s = WALK_VERIFY(t, f, NULL, 0);
    EXPECT_EQ(t, s.free, 0);

    /* Three neighbours freed: the one merged block. */
    FREE(t, f, b[10]);
    FREE(t, f, b[11]);
    FREE(t, f, b[12]);
    FREE(t, f, b[15]);
    SetLastError(BAD_ERROR);
    SIZE_T c = HeapCompact(f, 0);
    EXPECT_GE(t, c, 3 * 500 + 2 * 8);
    EXPECT_LT(t, c, 3 * 520 + 2 * 8);
    s = WALK_VERIFY(t, f, NULL, 0);
    EXPECT_EQ(t, s.largest_free, c);            /* the largest committed free entry */
    uint32_t charge = charge_outside_process_heap();
    void *x = ALLOC(t, f, 0, c);                /* it is all usable, already committed */
    EXPECT_EQ(t, charge_outside_process_heap(), charge);
    c = HeapCompact(f, 0);                      /* now b[15]'s place */
    EXPECT_GE(t, c, 500);
    EXPECT_LT(t, c, 520);
    s = WALK_VERIFY(t, f, NULL, 0);
    EXPECT_EQ(t, s.largest_free, c);
    FREE(t, f, x);
    for (int i = 0; i < n; i++)
        if (i != 10 && i != 11 && i != 12 && i != 15)
            FREE(t, f, b[i]);
    EXPECT_HEAP_OK(t, f);
    DESTROY(t, f);

    /* A growable heap: the result matches the walk, and fits in what is
     * committed. */
    HANDLE g = CREATE(t, 0, 0, 0);
    void *a = ALLOC(t, g, 0, 30000), *a2 = ALLOC(t, g, 0, 100);
    FREE(t, g, a);
    c = HeapCompact(g, 0);
    EXPECT_GT(t, c, 0);
    s = WALK_VERIFY(t, g, NULL, 0);
    EXPECT_EQ(t, s.largest_free, c);
    x = ALLOC(t, g, 0, c);
    FREE(t, g, x);
    FREE(t, g, a2);
    DESTROY(t, g);
}

/* ---- the program ------------------------------------------------------------------------- */

static const struct utest_case i_cases[] = {
    UTEST_CASE(i62_process_heap_same_handle),
    UTEST_CASE(i63_get_process_heaps),
    UTEST_CASE(i64_create_options_and_rounding),
    UTEST_CASE(i65_handle_is_first_region_base),
    UTEST_CASE(i66_destroy_releases_everything),
    UTEST_END,
};

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

static const struct utest_case l_cases[] = {
    UTEST_CASE(l86_fixed_heap_block_limit),
    UTEST_CASE(l87_fixed_heap_stops_at_max),
    UTEST_CASE(l88_large_block_own_region),
    UTEST_CASE(l89_large_block_alignment),
    UTEST_CASE(l90_same_size_run_keeps_api_results),
    UTEST_END,
};

static const struct utest_case m_cases[] = {
    UTEST_CASE(m91_lock_recursive_owner_allocates),
    UTEST_CASE(m92_heapwalk_every_block),
    UTEST_CASE(m93_heapcompact_largest_free_block),
    UTEST_END,
};

static const struct utest_suite i_suite = { .name = "uheap_i_heaps", .cases = i_cases,
                                            .exit = fixture_suite_exit };
static const struct utest_suite j_suite = { .name = "uheap_j_alloc", .cases = j_cases,
                                            .exit = fixture_suite_exit };
static const struct utest_suite k_suite = { .name = "uheap_k_realloc", .cases = k_cases,
                                            .exit = fixture_suite_exit };
static const struct utest_suite l_suite = { .name = "uheap_l_fixed_large", .cases = l_cases,
                                            .exit = fixture_suite_exit };
static const struct utest_suite m_suite = { .name = "uheap_m_lock_walk_compact", .cases = m_cases,
                                            .exit = fixture_suite_exit };

static const struct utest_suite *const suites[] = {
    &i_suite, &j_suite, &k_suite, &l_suite, &m_suite, NULL,
};

int main(void)
{
    uheap_main_prepare();
    return utest_main(suites);
}
