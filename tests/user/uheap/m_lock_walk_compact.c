/* uheap, spec section M: HeapLock, HeapWalk, HeapCompact (items 91-93). */
#define UHEAP_PART
#include "uheap.h"

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

static const struct utest_case m_cases[] = {
    UTEST_CASE(m91_lock_recursive_owner_allocates),
    UTEST_CASE(m92_heapwalk_every_block),
    UTEST_CASE(m93_heapcompact_largest_free_block),
    UTEST_END,
};

const struct utest_suite uheap_m_suite = {
    .name = "uheap_m_lock_walk_compact", .cases = m_cases, .exit = fixture_suite_exit,
};
