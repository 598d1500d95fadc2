/* uheap, spec section I: heaps - creation, handles, enumeration (items 62-66). */
#define UHEAP_PART
#include "uheap.h"

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

static const struct utest_case i_cases[] = {
    UTEST_CASE(i62_process_heap_same_handle),
    UTEST_CASE(i63_get_process_heaps),
    UTEST_CASE(i64_create_options_and_rounding),
    UTEST_CASE(i65_handle_is_first_region_base),
    UTEST_CASE(i66_destroy_releases_everything),
    UTEST_END,
};

const struct utest_suite uheap_i_suite = {
    .name = "uheap_i_heaps", .cases = i_cases, .exit = fixture_suite_exit,
};
