/* Host heap tests, spec sections I (creation, handles, enumeration) and
 * J (alloc, size, free, validate): one case per item, named after it. */
#include "test_heap_host.h"

/* ================= I. creation, handles, enumeration ================= */

void i62_getprocessheap_same(void)
{
    HANDLE a = GetProcessHeap(), b = GetProcessHeap();
    EXPECT(a != NULL);
    EXPECT(a == b);
    void *p = HeapAlloc(a, 0, 100);
    EXPECT(p != NULL);
    EXPECT(HeapFree(a, 0, p));
    EXPECT_HEAP_OK(a);
}

void i63_getprocessheaps(void)
{
    HANDLE buf[64];
    DWORD n0 = GetProcessHeaps(64, buf);
    EXPECT(n0 >= 1);
    EXPECT(buf[0] == GetProcessHeap());
    HANDLE h1 = HeapCreate(0, 0, 0), h2 = HeapCreate(0, 0, 0);
    DWORD n = GetProcessHeaps(64, buf);
    EXPECT_EQ(n, n0 + 2);
    EXPECT(buf[n - 2] == h1 && buf[n - 1] == h2); /* new heaps at the end, in order */
    HANDLE small[1] = { 0 };
    EXPECT_EQ(GetProcessHeaps(1, small), n); /* too small: count, and the first stored */
    EXPECT(small[0] == GetProcessHeap());
    EXPECT(HeapDestroy(h1));
    n = GetProcessHeaps(64, buf);
    EXPECT_EQ(n, n0 + 1);
    for (DWORD i = 0; i < n; i++)
        EXPECT(buf[i] != h1);
    EXPECT(buf[n - 1] == h2);
    EXPECT(HeapDestroy(h2));
    EXPECT_EQ(GetProcessHeaps(64, buf), n0);
}

void i64_heapcreate_options(void)
{
    /* growable */
    HANDLE g = HeapCreate(0, 1, 0);
    ASSERT(g);
    void *p = HeapAlloc(g, 0, 3 << 20); /* grows past any first region */
    EXPECT(p != NULL);
    void *q[64];
    for (int i = 0; i < 64; i++)
        EXPECT((q[i] = HeapAlloc(g, 0, 100000)) != NULL); /* 6.4 MB: new segments */
    EXPECT_HEAP_OK(g);
    EXPECT(HeapDestroy(g));
    /* fixed: max rounded up to pages, never grows */
    HANDLE f = HeapCreate(0, 1, 0x20001);
    ASSERT(f);
    PROCESS_HEAP_ENTRY e = { 0 };
    EXPECT(HeapWalk(f, &e));
    EXPECT(e.wFlags & PROCESS_HEAP_REGION);
    /* The region is the maximum rounded to pages (the reservation behind
     * it is 64K-rounded, the rest of it never used: item 87). */
    EXPECT_EQ(e.Region.dwCommittedSize + e.Region.dwUnCommittedSize, 0x21000);
    EXPECT((char *)e.Region.lpLastBlock == (char *)f + 0x21000);
    EXPECT(e.Region.dwCommittedSize % 4096 == 0);
    EXPECT(HeapAlloc(f, 0, 0x30000) == NULL);
    EXPECT(HeapAlloc(f, 0, 0x21000 - 0x10) == NULL);
    /* the heap's own header: about 1 KiB on x86, 2 KiB here (bins sized to the heap) */
    EXPECT(HeapAlloc(f, 0, 0x21000 - 0x900) != NULL);
    EXPECT_HEAP_OK(f);
    EXPECT(HeapDestroy(f));
    /* initial commit rounded up to pages */
    SIZE_T before = heap_host_committed_bytes();
    HANDLE c = HeapCreate(0, 100001, 0);
    ASSERT(c);
    SIZE_T grew = heap_host_committed_bytes() - before;
    EXPECT(grew >= 102400 && grew % 4096 == 0);
    EXPECT(HeapDestroy(c));
    /* the documented options are accepted */
    HANDLE o = HeapCreate(HEAP_CREATE_ENABLE_EXECUTE | HEAP_GENERATE_EXCEPTIONS | HEAP_NO_SERIALIZE, 0, 0);
    ASSERT(o);
    EXPECT((p = HeapAlloc(o, 0, 10)) != NULL);
    EXPECT(HeapFree(o, 0, p));
    EXPECT_HEAP_OK(o);
    EXPECT(HeapDestroy(o));
}

void i65_handle_is_region_base(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    EXPECT(((uintptr_t)h & 0xFFFF) == 0);
    PROCESS_HEAP_ENTRY e = { 0 };
    EXPECT(HeapWalk(h, &e));
    EXPECT(e.wFlags & PROCESS_HEAP_REGION);
    EXPECT(e.lpData == h);
    EXPECT(HeapDestroy(h));
}

/* Issue 14, point 5: an empty private heap commits one page of its own
 * (its header is under 1 KiB beyond that: it fits in the page), growable
 * or fixed, serialized or not; a fixed 128 KiB heap hands out one block
 * of 0x1F800 bytes (Windows does), takes it back and hands it out again. */
void i64_small_heaps(void)
{
    static const DWORD opts[] = { 0, HEAP_NO_SERIALIZE, HEAP_GENERATE_EXCEPTIONS };
    static const SIZE_T maxes[] = { 0, 0x10000, 0x20000, 0x100000 };
    for (unsigned o = 0; o < sizeof opts / sizeof *opts; o++)
        for (unsigned m = 0; m < sizeof maxes / sizeof *maxes; m++) {
            SIZE_T c0 = heap_host_committed_bytes();
            HANDLE h = HeapCreate(opts[o], 0, maxes[m]);
            ASSERT(h);
            EXPECT_EQ(heap_host_committed_bytes() - c0, 4096);
            EXPECT(HeapDestroy(h));
        }
    HANDLE f = HeapCreate(0, 0x20000, 0x20000);
    ASSERT(f);
    for (int round = 0; round < 2; round++) {
        unsigned char *p = HeapAlloc(f, 0, 0x1F800);
        ASSERT(p);
        p[0] = 1;
        p[0x1F7FF] = 2;
        EXPECT_EQ(HeapSize(f, 0, p), 0x1F800);
        EXPECT_HEAP_OK(f);
        EXPECT(HeapFree(f, 0, p));
    }
    EXPECT(HeapDestroy(f));
}

void i66_destroy_releases_all(void)
{
    SIZE_T c0 = heap_host_committed_bytes(), r0 = heap_host_reserved_bytes();
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    for (int i = 0; i < 1000; i++)
        HeapAlloc(h, 0, (SIZE_T)(i * 37) % 5000);
    EXPECT(HeapAlloc(h, 0, 0x100000) != NULL); /* a large block */
    EXPECT(HeapAlloc(h, 0, 0x200000) != NULL);
    EXPECT(heap_host_committed_bytes() > c0 + 0x300000);
    EXPECT(HeapDestroy(h)); /* blocks still allocated */
    EXPECT_EQ(heap_host_committed_bytes(), c0);
    EXPECT_EQ(heap_host_reserved_bytes(), r0);
    /* the process heap cannot be destroyed */
    EXPECT(!HeapDestroy(GetProcessHeap()));
    void *p = HeapAlloc(GetProcessHeap(), 0, 10);
    EXPECT(p != NULL);
    HeapFree(GetProcessHeap(), 0, p);
    EXPECT(!HeapDestroy(NULL));
}

/* ================= J. alloc / size / free / validate ================= */

void j67_alignment(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    for (SIZE_T n = 0; n < 3000; n += 7) {
        char *p = HeapAlloc(h, 0, n);
        EXPECT(((uintptr_t)p % MEMORY_ALLOCATION_ALIGNMENT) == 0);
    }
    char *big = HeapAlloc(h, 0, 0x90000);
    EXPECT(((uintptr_t)big % MEMORY_ALLOCATION_ALIGNMENT) == 0);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

void j68_zero_size_alloc(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    void *a = HeapAlloc(h, 0, 0), *b = HeapAlloc(h, 0, 0);
    EXPECT(a && b && a != b);
    EXPECT_EQ(HeapSize(h, 0, a), 0);
    EXPECT(HeapValidate(h, 0, a));
    EXPECT(HeapFree(h, 0, a));
    EXPECT(HeapFree(h, 0, b));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

void j69_heapsize_exact(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    void *p = HeapAlloc(h, 0, 17);
    EXPECT_EQ(HeapSize(h, 0, p), 17);
    static const SIZE_T sizes[] = { 1, 2, 7, 8, 9, 15, 16, 23, 24, 100, 1000, 1016, 1017, 4095,
                                    4096, 65535, 0x7EFFF, 0x7F000, 0x123456 };
    for (unsigned i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        void *q = HeapAlloc(h, 0, sizes[i]);
        EXPECT_EQ(HeapSize(h, 0, q), sizes[i]);
        q = HeapReAlloc(h, 0, q, sizes[i] + 3);
        EXPECT_EQ(HeapSize(h, 0, q), sizes[i] + 3);
    }
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

void j70_zero_memory_reuses_dirty(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    for (SIZE_T n = 8; n <= 8192; n *= 2) {
        unsigned char *p = HeapAlloc(h, 0, n);
        memset(p, 0xCC, n);
        HeapFree(h, 0, p);
        unsigned char *q = HeapAlloc(h, HEAP_ZERO_MEMORY, n);
        int zero = 1;
        for (SIZE_T i = 0; i < n; i++)
            zero &= q[i] == 0;
        EXPECT(zero);
        HeapFree(h, 0, q);
    }
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

void j71_failure_sets_not_enough_memory(void)
{
    HANDLE h = HeapCreate(0, 0, 0x10000);
    ASSERT(h);
    SetLastError(0);
    EXPECT(HeapAlloc(h, 0, 0x20000) == NULL);
    EXPECT_EQ(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

void j72_huge_request_fails(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    SIZE_T c0 = heap_host_committed_bytes();
    EXPECT(HeapAlloc(h, 0, 0x80000000u) == NULL);
    EXPECT(HeapAlloc(h, 0, (SIZE_T)-1) == NULL);
    EXPECT(HeapAlloc(h, 0, (SIZE_T)-16) == NULL);
    EXPECT_EQ(heap_host_committed_bytes(), c0);
    void *p = HeapAlloc(h, 0, 10);
    EXPECT(HeapReAlloc(h, 0, p, 0x80000000u) == NULL);
    EXPECT(HeapValidate(h, 0, p));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

void j73_generate_exceptions(void)
{
    HANDLE h = HeapCreate(0, 0, 0x10000);
    ASSERT(h);
    EXPECT_RAISES(STATUS_NO_MEMORY, HeapAlloc(h, HEAP_GENERATE_EXCEPTIONS, 0x20000));
    EXPECT(HeapAlloc(h, 0, 0x20000) == NULL); /* without the flag: NULL */
    void *p = HeapAlloc(h, 0, 64);
    EXPECT_RAISES(STATUS_NO_MEMORY, HeapReAlloc(h, HEAP_GENERATE_EXCEPTIONS, p, 0x20000));
    EXPECT(HeapValidate(h, 0, p));
    HeapFree(h, 0, p);
    EXPECT_RAISES(STATUS_ACCESS_VIOLATION, HeapFree(h, HEAP_GENERATE_EXCEPTIONS, p));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
    /* once at creation: every call on that heap */
    HANDLE g = HeapCreate(HEAP_GENERATE_EXCEPTIONS, 0, 0x10000);
    ASSERT(g);
    EXPECT_RAISES(STATUS_NO_MEMORY, HeapAlloc(g, 0, 0x20000));
    EXPECT_RAISES(0, HeapAlloc(g, 0, 0x100)); /* success raises nothing */
    EXPECT_HEAP_OK(g);
    HeapDestroy(g);
}

/* Item 73 when the commit runs out (the page provider says
 * STATUS_COMMITMENT_LIMIT): the exception is still STATUS_NO_MEMORY, and
 * without the flag the last error ERROR_NOT_ENOUGH_MEMORY. */
void j73_commit_limit_raises_no_memory(void)
{
    HANDLE g = HeapCreate(0, 0, 0), x = HeapCreate(HEAP_GENERATE_EXCEPTIONS, 0, 0);
    ASSERT(g && x);
    void *p = HeapAlloc(g, 0, 3000), *q = HeapAlloc(x, 0, 3000);
    ASSERT(p && q);
    heap_host_set_commit_limit(heap_host_committed_bytes() + 0x20000);
    /* large block (own region), a new segment, and pages inside a segment */
    static const SIZE_T sizes[] = { 0x400000, 0x7E000, 0x40000 };
    for (unsigned i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        EXPECT_RAISES(STATUS_NO_MEMORY, HeapAlloc(g, HEAP_GENERATE_EXCEPTIONS, sizes[i]));
        EXPECT_RAISES(STATUS_NO_MEMORY, HeapAlloc(g, HEAP_GENERATE_EXCEPTIONS | HEAP_ZERO_MEMORY, sizes[i]));
        EXPECT_RAISES(STATUS_NO_MEMORY, HeapAlloc(x, 0, sizes[i]));
        SetLastError(0);
        EXPECT_RAISES(0, EXPECT(HeapAlloc(g, 0, sizes[i]) == NULL));
        EXPECT_EQ(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
        EXPECT_RAISES(STATUS_NO_MEMORY, HeapReAlloc(g, HEAP_GENERATE_EXCEPTIONS, p, sizes[i]));
        EXPECT_RAISES(STATUS_NO_MEMORY, HeapReAlloc(x, 0, q, sizes[i]));
        SetLastError(0);
        EXPECT(HeapReAlloc(g, 0, p, sizes[i]) == NULL);
        EXPECT_EQ(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
        EXPECT_EQ(HeapSize(g, 0, p), 3000);
        EXPECT_EQ(HeapSize(x, 0, q), 3000);
    }
    heap_host_set_commit_limit(0);
    void *r = HeapAlloc(x, 0, 0x40000); /* room again */
    EXPECT(r != NULL);
    EXPECT(HeapFree(x, 0, r));
    EXPECT_HEAP_OK(g);
    EXPECT_HEAP_OK(x);
    EXPECT(HeapDestroy(g));
    EXPECT(HeapDestroy(x));
}

void j74_free_null_true(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    EXPECT(HeapFree(h, 0, NULL));
    EXPECT(HeapFree(GetProcessHeap(), 0, NULL));
    HeapDestroy(h);
}

void j75_bad_free_false_87(void)
{
    HANDLE h = HeapCreate(0, 0, 0), other = HeapCreate(0, 0, 0);
    ASSERT(h && other);
    void *keep = HeapAlloc(h, 0, 48);
    char *p = HeapAlloc(h, 0, 40);
    EXPECT(HeapFree(h, 0, p));
    SetLastError(0);
    EXPECT(!HeapFree(h, 0, p)); /* double free (block parked on a quick list) */
    EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    char *m = HeapAlloc(h, 0, 5000);
    EXPECT(HeapFree(h, 0, m));
    SetLastError(0);
    EXPECT(!HeapFree(h, 0, m)); /* double free (block coalesced in the back end) */
    EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    void *f = HeapAlloc(other, 0, 40);
    SetLastError(0);
    EXPECT(!HeapFree(h, 0, f)); /* another heap's block */
    EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    int local = 0;
    EXPECT(!HeapFree(h, 0, &local)); /* the stack */
    void *mal = malloc(64);
    EXPECT(!HeapFree(h, 0, mal)); /* the C library's heap */
    free(mal);
    EXPECT(!HeapFree(h, 0, (char *)h + 256)); /* inside the heap's own header */
    EXPECT(HeapValidate(h, 0, keep));
    EXPECT_HEAP_OK(h);
    EXPECT_HEAP_OK(other);
    HeapDestroy(h);
    HeapDestroy(other);
}

void j76_heapsize_freed_minus1(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    void *p = HeapAlloc(h, 0, 30), *q = HeapAlloc(h, 0, 3000), *l = HeapAlloc(h, 0, 0x90000);
    HeapFree(h, 0, p);
    HeapFree(h, 0, q);
    HeapFree(h, 0, l);
    SetLastError(1234);
    EXPECT_EQ(HeapSize(h, 0, p), (SIZE_T)-1);
    EXPECT_EQ(HeapSize(h, 0, q), (SIZE_T)-1);
    EXPECT_EQ(HeapSize(h, 0, l), (SIZE_T)-1);
    EXPECT_EQ(GetLastError(), 1234);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

void j77_heapvalidate(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    void *p = HeapAlloc(h, 0, 30), *q = HeapAlloc(h, 0, 30), *l = HeapAlloc(h, 0, 0x100000);
    SetLastError(4321);
    EXPECT(HeapValidate(h, 0, NULL));
    EXPECT(HeapValidate(h, 0, p));
    EXPECT(HeapValidate(h, 0, l));
    HeapFree(h, 0, q);
    EXPECT(!HeapValidate(h, 0, q));
    int x;
    EXPECT(!HeapValidate(h, 0, &x));
    EXPECT(!HeapValidate(h, 0, (char *)p + 16));
    EXPECT_EQ(GetLastError(), 4321);
    EXPECT(HeapValidate(h, 0, NULL));
    HeapDestroy(h);
}

void j78_no_serialize(void)
{
    HANDLE h = HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    ASSERT(h);
    void *p = HeapAlloc(h, HEAP_NO_SERIALIZE, 100);
    EXPECT(p != NULL);
    EXPECT(HeapLock(h));
    EXPECT(HeapUnlock(h));
    EXPECT(HeapFree(h, HEAP_NO_SERIALIZE, p));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
    HANDLE s = HeapCreate(0, 0, 0); /* per call on a serialized heap */
    p = HeapAlloc(s, HEAP_NO_SERIALIZE, 100);
    EXPECT(HeapSize(s, HEAP_NO_SERIALIZE, p) == 100);
    EXPECT(HeapFree(s, HEAP_NO_SERIALIZE, p));
    EXPECT_HEAP_OK(s);
    HeapDestroy(s);
}
