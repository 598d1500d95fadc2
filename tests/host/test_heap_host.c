/* Host tests of the heap engine through the Win32 heap API (heapapi.h),
 * built with AddressSanitizer and UBSan.  One case per spec item of
 * sections I-M that makes sense on the host (named after the item),
 * robustness cases, a seeded random-operation test against a shadow
 * model, and a threaded test.  Every case checks the engine's validator
 * on the heaps it used.  Output: one line per case, then
 * "N passed, N failed"; with --results FILE that line and the failing
 * names also go to FILE.  Exit status 1 when anything failed. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "heapapi.h"

/* ---- KUnit-style checks: EXPECT carries on, ASSERT leaves the case ---- */
static int case_failed;
#define FAILED(...)                                                                                \
    do {                                                                                           \
        printf("    %s:%d: ", __FILE__, __LINE__);                                                 \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        case_failed = 1;                                                                           \
    } while (0)
#define EXPECT(c)                                                                                  \
    do {                                                                                           \
        if (!(c))                                                                                  \
            FAILED("EXPECT(%s)", #c);                                                              \
    } while (0)
#define EXPECT_EQ(a, b)                                                                            \
    do {                                                                                           \
        unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b);             \
        if (_a != _b)                                                                              \
            FAILED("%s == %s: 0x%llx vs 0x%llx", #a, #b, _a, _b);                                  \
    } while (0)
#define ASSERT(c)                                                                                  \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            FAILED("ASSERT(%s)", #c);                                                              \
            return;                                                                                \
        }                                                                                          \
    } while (0)
#define EXPECT_HEAP_OK(h) EXPECT_EQ(heap_host_check(h), 0)

/* ---- exceptions: the raise hook longjmps back into the case ---- */
static jmp_buf *raise_jb;
static DWORD raised;
static void raise_hook(DWORD code)
{
    raised = code;
    if (raise_jb)
        longjmp(*raise_jb, 1);
}
#define EXPECT_RAISES(code, stmt)                                                                  \
    do {                                                                                           \
        jmp_buf _jb;                                                                               \
        raised = 0;                                                                                \
        raise_jb = &_jb;                                                                           \
        if (!setjmp(_jb)) {                                                                        \
            stmt;                                                                                  \
        }                                                                                          \
        raise_jb = NULL;                                                                           \
        EXPECT_EQ(raised, code);                                                                   \
    } while (0)

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Busy entries of a walk: counts and looks for p with size n. */
static int walk_find(HANDLE h, const void *p, SIZE_T n, int *busy)
{
    PROCESS_HEAP_ENTRY e;
    int found = 0;
    e.lpData = NULL;
    *busy = 0;
    while (HeapWalk(h, &e)) {
        if (e.wFlags & PROCESS_HEAP_ENTRY_BUSY) {
            (*busy)++;
            if (e.lpData == p && e.cbData == n)
                found++;
        }
    }
    return found;
}

/* ================= I. creation, handles, enumeration ================= */

static void i62_getprocessheap_same(void)
{
    HANDLE a = GetProcessHeap(), b = GetProcessHeap();
    EXPECT(a != NULL);
    EXPECT(a == b);
    void *p = HeapAlloc(a, 0, 100);
    EXPECT(p != NULL);
    EXPECT(HeapFree(a, 0, p));
    EXPECT_HEAP_OK(a);
}

static void i63_getprocessheaps(void)
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

static void i64_heapcreate_options(void)
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
    EXPECT(HeapAlloc(f, 0, 0x21000 - 0x2000) == NULL);
    EXPECT(HeapAlloc(f, 0, 0x1C000) != NULL); /* 0x21000 less the host heap's ~12 KiB */
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

static void i65_handle_is_region_base(void)
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

static void i66_destroy_releases_all(void)
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

static void j67_alignment(void)
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

static void j68_zero_size_alloc(void)
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

static void j69_heapsize_exact(void)
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

static void j70_zero_memory_reuses_dirty(void)
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

static void j71_failure_sets_not_enough_memory(void)
{
    HANDLE h = HeapCreate(0, 0, 0x10000);
    ASSERT(h);
    SetLastError(0);
    EXPECT(HeapAlloc(h, 0, 0x20000) == NULL);
    EXPECT_EQ(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void j72_huge_request_fails(void)
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

static void j73_generate_exceptions(void)
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
static void j73_commit_limit_raises_no_memory(void)
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

static void j74_free_null_true(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    EXPECT(HeapFree(h, 0, NULL));
    EXPECT(HeapFree(GetProcessHeap(), 0, NULL));
    HeapDestroy(h);
}

static void j75_bad_free_false_87(void)
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

static void j76_heapsize_freed_minus1(void)
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

static void j77_heapvalidate(void)
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

static void j78_no_serialize(void)
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

/* ================= K. HeapReAlloc ================= */

static void k79_realloc_keeps_bytes(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    unsigned char *p = HeapAlloc(h, 0, 50);
    for (int i = 0; i < 50; i++)
        p[i] = (unsigned char)i;
    void *block = HeapAlloc(h, 0, 50); /* so growth has to move */
    for (SIZE_T n = 100; n < 0x300000; n = n * 3 + 1) {
        p = HeapReAlloc(h, 0, p, n);
        ASSERT(p);
        EXPECT_EQ(HeapSize(h, 0, p), n);
        int same = 1;
        for (int i = 0; i < 50; i++)
            same &= p[i] == i;
        EXPECT(same);
    }
    HeapFree(h, 0, block);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void k80_realloc_zero_added(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    unsigned char *p = HeapAlloc(h, 0, 100);
    memset(p, 0xAA, 100);
    p = HeapReAlloc(h, 0, p, 90); /* dirty slack after byte 90 */
    p = HeapReAlloc(h, HEAP_ZERO_MEMORY, p, 2000);
    ASSERT(p);
    int ok = 1;
    for (int i = 0; i < 90; i++)
        ok &= p[i] == 0xAA;
    for (int i = 90; i < 2000; i++)
        ok &= p[i] == 0;
    EXPECT(ok);
    /* large blocks too */
    unsigned char *l = HeapAlloc(h, 0, 0x80000);
    memset(l, 0x55, 0x80000);
    l = HeapReAlloc(h, 0, l, 0x7F800);
    l = HeapReAlloc(h, HEAP_ZERO_MEMORY, l, 0x100000);
    ok = 1;
    for (int i = 0; i < 0x7F800; i++)
        ok &= l[i] == 0x55;
    for (int i = 0x7F800; i < 0x100000; i++)
        ok &= l[i] == 0;
    EXPECT(ok);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void k81_in_place_only(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    char *p = HeapAlloc(h, 0, 1000);
    char *wall = HeapAlloc(h, 0, 3000); /* busy neighbour: growth cannot be in place */
    memset(p, 7, 1000);
    EXPECT(HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 500) == p); /* shrink in place */
    EXPECT_EQ(HeapSize(h, 0, p), 500);
    SetLastError(0);
    EXPECT(HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 5000) == NULL);
    EXPECT_EQ(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_EQ(HeapSize(h, 0, p), 500);
    EXPECT(p[0] == 7 && p[499] == 7);
    HeapFree(h, 0, wall); /* now the neighbour is free: in place works */
    EXPECT(HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 1500) == p);
    EXPECT_EQ(HeapSize(h, 0, p), 1500);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void k82_failure_keeps_block(void)
{
    HANDLE h = HeapCreate(0, 0, 0x20000);
    ASSERT(h);
    char *p = HeapAlloc(h, 0, 100);
    memset(p, 3, 100);
    EXPECT(HeapReAlloc(h, 0, p, 0x40000) == NULL);
    EXPECT(HeapValidate(h, 0, p));
    EXPECT_EQ(HeapSize(h, 0, p), 100);
    EXPECT(p[0] == 3 && p[99] == 3);
    EXPECT(HeapFree(h, 0, p));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void k83_realloc_to_zero(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    void *p = HeapAlloc(h, 0, 100);
    void *q = HeapReAlloc(h, 0, p, 0);
    EXPECT(q != NULL);
    EXPECT_EQ(HeapSize(h, 0, q), 0);
    EXPECT(HeapValidate(h, 0, q));
    EXPECT(HeapFree(h, 0, q));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void k84_realloc_null(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    SetLastError(99);
    EXPECT(HeapReAlloc(h, 0, NULL, 10) == NULL);
    EXPECT_EQ(GetLastError(), NO_ERROR);
    HeapDestroy(h);
}

static void k85_in_place_growth_raises(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    char *p = HeapAlloc(h, 0, 100);
    char *wall = HeapAlloc(h, 0, 100);
    EXPECT_RAISES(STATUS_NO_MEMORY,
                  HeapReAlloc(h, HEAP_GENERATE_EXCEPTIONS | HEAP_REALLOC_IN_PLACE_ONLY, p, 4000));
    EXPECT_EQ(HeapSize(h, 0, p), 100);
    HeapFree(h, 0, wall);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* ================= L. fixed-size heaps, large blocks ================= */

static void l86_fixed_block_limit(void)
{
    HANDLE h = HeapCreate(0, 0, 0x400000);
    ASSERT(h);
    SetLastError(0);
    EXPECT(HeapAlloc(h, 0, 0x7FFF8) == NULL);
    EXPECT_EQ(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT(HeapAlloc(h, 0, 0x100000) == NULL);
    void *p = HeapAlloc(h, 0, 0x7FFF0);
    EXPECT(p != NULL);
    EXPECT_EQ(HeapSize(h, 0, p), 0x7FFF0);
    void *q = HeapAlloc(h, 0, 10);
    EXPECT(HeapReAlloc(h, 0, q, 0x7FFF8) == NULL);
    EXPECT(HeapValidate(h, 0, q));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void l87_fixed_stops_at_max(void)
{
    HANDLE h = HeapCreate(0, 0, 0x10000);
    ASSERT(h);
    void *blocks[128];
    int n = 0;
    while (n < 128 && (blocks[n] = HeapAlloc(h, 0, 1000)) != NULL)
        n++;
    EXPECT(n < 128);
    EXPECT(n * 1000 >= 0x10000 - 16384); /* the heap's own overhead is small (host: 11 KiB) */
    EXPECT_EQ(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT(HeapFree(h, 0, blocks[n / 2]));
    EXPECT(HeapAlloc(h, 0, 1000) != NULL); /* freeing makes room again */
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* Item 87 with a maximum that is no multiple of 64 KiB: the blocks stop
 * at the page-rounded maximum, although the reservation is 64K-rounded. */
static void l87_fixed_max_not_granularity_multiple(void)
{
    static const SIZE_T maxima[] = { 0x11000, 0x18001, 0x2F000, 0x41001 };
    for (unsigned i = 0; i < sizeof maxima / sizeof *maxima; i++) {
        SIZE_T max = maxima[i], rounded = (max + 4095) & ~(SIZE_T)4095;
        SIZE_T r0 = heap_host_reserved_bytes();
        HANDLE h = HeapCreate(0, 0, max);
        ASSERT(h);
        EXPECT_EQ(heap_host_reserved_bytes() - r0, (rounded + 0xFFFF) & ~(SIZE_T)0xFFFF);
        void *b[512];
        SIZE_T n = 0, used = 0;
        while (n < 512 && (b[n] = HeapAlloc(h, 0, 1000)) != NULL)
            n++;
        EXPECT(n < 512);
        used = n * 1008; /* 1000 bytes + the 8-byte header, in 16-byte granules */
        while (n < 511 && (b[n] = HeapAlloc(h, 0, 1)) != NULL) /* the crumbs too */
            n++, used += 32; /* the smallest block: header + free-list links */
        if (used > rounded)
            FAILED("max 0x%zx: 0x%zx bytes handed out with their headers", max, used);
        EXPECT(used + 0x4000 >= rounded); /* the host heap's own ~12 KiB */
        PROCESS_HEAP_ENTRY e = { 0 };
        EXPECT(HeapWalk(h, &e));
        EXPECT_EQ(e.Region.dwCommittedSize + e.Region.dwUnCommittedSize, rounded);
        EXPECT_EQ(heap_host_check(h), 0);
        for (SIZE_T k = 0; k < n; k++)
            EXPECT(HeapFree(h, 0, b[k]));
        EXPECT(HeapDestroy(h));
    }
}

/* Item 87: freeing makes room again, also when the freed blocks are
 * parked on the quick lists: an emptied fixed heap takes one block of
 * nearly all of it without HeapCompact. */
static void l87_emptied_fixed_heap_takes_big_block(void)
{
    static const SIZE_T maxima[] = { 0x10000, 0x30000, 0x7F000 };
    static const SIZE_T sizes[] = { 24, 200, 1000 };
    for (unsigned i = 0; i < sizeof maxima / sizeof *maxima; i++)
        for (unsigned j = 0; j < sizeof sizes / sizeof *sizes; j++) {
            HANDLE h = HeapCreate(0, 0, maxima[i]);
            ASSERT(h);
            static void *b[40000];
            SIZE_T n = 0;
            while (n < 40000 && (b[n] = HeapAlloc(h, 0, sizes[j])) != NULL)
                n++;
            EXPECT(n < 40000);
            for (SIZE_T k = 0; k < n; k += 2) /* every other first: nothing merges at once */
                EXPECT(HeapFree(h, 0, b[k]));
            for (SIZE_T k = 1; k < n; k += 2)
                EXPECT(HeapFree(h, 0, b[k]));
            SIZE_T one = n * sizes[j];
            if (one >= 0x7FFF8)
                one = 0x7FFF0;
            SetLastError(0);
            void *p = HeapAlloc(h, 0, one);
            if (!p)
                FAILED("emptied fixed heap of max 0x%zx (%zu blocks of %zu) refuses 0x%zx, error %u",
                       maxima[i], n, sizes[j], one, (unsigned)GetLastError());
            EXPECT(HeapFree(h, 0, p));
            /* the same through HeapReAlloc of a small block */
            void *q = HeapAlloc(h, 0, 16);
            n = 0;
            while (n < 40000 && (b[n] = HeapAlloc(h, 0, sizes[j])) != NULL)
                n++;
            for (SIZE_T k = 0; k < n; k++)
                EXPECT(HeapFree(h, 0, b[k]));
            EXPECT((q = HeapReAlloc(h, 0, q, one - 0x1000)) != NULL);
            EXPECT(HeapFree(h, 0, q));
            EXPECT_HEAP_OK(h);
            EXPECT(HeapDestroy(h));
        }
}

static int in_regions(HANDLE h, const void *p)
{
    PROCESS_HEAP_ENTRY e;
    e.lpData = NULL;
    while (HeapWalk(h, &e))
        if ((e.wFlags & PROCESS_HEAP_REGION) && (const char *)p >= (char *)e.lpData &&
            (const char *)p < (char *)e.Region.lpLastBlock)
            return 1;
    return 0;
}

static void l88_large_block_own_region(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    void *small = HeapAlloc(h, 0, 0x7EFF0);
    EXPECT(in_regions(h, small)); /* just below the threshold: in the heap */
    SIZE_T c0 = heap_host_committed_bytes(), r0 = heap_host_reserved_bytes();
    char *p = HeapAlloc(h, 0, 0x7F000);
    ASSERT(p);
    EXPECT(!in_regions(h, p));
    EXPECT(((uintptr_t)p & 0xFFFF) < 256); /* a small header after the region base */
    EXPECT(heap_host_committed_bytes() >= c0 + 0x7F000);
    EXPECT(heap_host_reserved_bytes() >= r0 + 0x7F000);
    int busy;
    EXPECT_EQ(walk_find(h, p, 0x7F000, &busy), 1); /* reported busy */
    memset(p, 1, 0x7F000);
    EXPECT(HeapFree(h, 0, p));
    EXPECT_EQ(heap_host_committed_bytes(), c0); /* released at once */
    EXPECT_EQ(heap_host_reserved_bytes(), r0);
    EXPECT(!HeapFree(h, 0, p)); /* double free of a released region: no fault */
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* ================= M. lock, walk, compact ================= */

struct lock_arg {
    HANDLE h;
    DWORD flags;
    volatile int done;
};
static void *lock_thread(void *a)
{
    struct lock_arg *la = a;
    void *p = HeapAlloc(la->h, la->flags, 64);
    HeapFree(la->h, la->flags, p);
    la->done = 1;
    return NULL;
}

static void m91_lock_recursive_and_blocks_others(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    EXPECT(HeapLock(h));
    EXPECT(HeapLock(h)); /* recursive */
    void *p = HeapAlloc(h, 0, 10); /* the owner can still allocate */
    EXPECT(p != NULL);
    struct lock_arg a = { h, 0, 0 };
    pthread_t t;
    pthread_create(&t, NULL, lock_thread, &a);
    usleep(50000);
    EXPECT(!a.done); /* the other thread blocks */
    EXPECT(HeapUnlock(h));
    usleep(20000);
    EXPECT(!a.done); /* still held once */
    EXPECT(HeapUnlock(h));
    pthread_join(t, NULL);
    EXPECT(a.done);
    /* HEAP_NO_SERIALIZE callers do not block */
    EXPECT(HeapLock(h));
    struct lock_arg b = { h, HEAP_NO_SERIALIZE, 0 };
    pthread_create(&t, NULL, lock_thread, &b);
    pthread_join(t, NULL);
    EXPECT(b.done);
    EXPECT(HeapUnlock(h));
    HeapFree(h, 0, p);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void m92_walk(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    enum { N = 300 };
    void *p[N];
    SIZE_T n[N];
    for (int i = 0; i < N; i++) {
        n[i] = (SIZE_T)(i * 131) % 3000;
        if (i % 50 == 7)
            n[i] = 0x80000 + (SIZE_T)i; /* large blocks too */
        p[i] = HeapAlloc(h, 0, n[i]);
    }
    for (int i = 0; i < N; i += 3) { /* free blocks: quick-parked and coalesced */
        HeapFree(h, 0, p[i]);
        p[i] = NULL;
    }
    HeapCompact(h, 0); /* decommitted ranges inside free blocks */
    PROCESS_HEAP_ENTRY e;
    e.lpData = NULL;
    int seen[N] = { 0 }, regions = 0, uncommitted = 0, frees = 0, bad = 0, first = 1;
    char *expect_next = NULL;
    while (HeapWalk(h, &e)) {
        if (first)
            EXPECT(e.wFlags & PROCESS_HEAP_REGION); /* the walk starts with a region */
        first = 0;
        if (e.wFlags & PROCESS_HEAP_REGION) {
            regions++;
            EXPECT(e.Region.lpFirstBlock != NULL && e.Region.lpLastBlock > e.Region.lpFirstBlock);
            EXPECT_EQ((e.Region.dwCommittedSize + e.Region.dwUnCommittedSize) % 4096, 0);
            expect_next = (char *)e.lpData + e.cbData;
            continue;
        }
        if (e.wFlags & PROCESS_HEAP_UNCOMMITTED_RANGE) {
            uncommitted++;
            EXPECT(((uintptr_t)e.lpData & 4095) == 0);
        } else if (!(e.wFlags & PROCESS_HEAP_ENTRY_BUSY)) {
            frees++;
            EXPECT(e.wFlags == 0);
        } else {
            int k;
            for (k = 0; k < N; k++)
                if (p[k] == e.lpData)
                    break;
            if (k == N || e.cbData != n[k])
                bad++;
            else
                seen[k]++;
            if (e.cbData >= 0x7F000)
                continue; /* large blocks sit outside the regions */
            /* header (8 bytes) + data + unused tail = cbOverhead + cbData */
            if (expect_next && (char *)e.lpData - 8 != expect_next)
                bad++;
            expect_next = (char *)e.lpData - 8 + e.cbOverhead + e.cbData;
            continue;
        }
        /* entries tile the region: each starts where the last ended */
        if (expect_next && (char *)e.lpData - e.cbOverhead != expect_next &&
            (char *)e.lpData != expect_next)
            bad++;
        expect_next = (char *)e.lpData + e.cbData;
    }
    EXPECT_EQ(GetLastError(), ERROR_NO_MORE_ITEMS);
    EXPECT_EQ(bad, 0);
    EXPECT(regions >= 1);
    EXPECT(uncommitted >= 1);
    EXPECT(frees >= 1);
    int once = 1;
    for (int i = 0; i < N; i++)
        once &= seen[i] == (p[i] != NULL);
    EXPECT(once); /* every live block once, with its requested size */
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void m93_compact(void)
{
    HANDLE h = HeapCreate(0, 0, 0x10000);
    ASSERT(h);
    void *b[128];
    int n = 0;
    while (n < 128 && (b[n] = HeapAlloc(h, 0, 500)) != NULL)
        n++;
    while (HeapAlloc(h, 0, 8) != NULL) /* fill every crumb */
        ;
    SetLastError(77);
    EXPECT_EQ(HeapCompact(h, 0), 0); /* no free block: 0 with NO_ERROR */
    EXPECT_EQ(GetLastError(), NO_ERROR);
    HeapFree(h, 0, b[10]);
    HeapFree(h, 0, b[11]);
    HeapFree(h, 0, b[12]);
    SIZE_T c = HeapCompact(h, 0);
    EXPECT(c >= 1500 && c < 1700); /* the three merged */
    EXPECT(HeapAlloc(h, 0, c) != NULL);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* ================= robustness ================= */

static void rob_interior_pointer(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    for (SIZE_T n = 64; n <= 16384; n *= 4) {
        char *p = HeapAlloc(h, 0, n);
        memset(p, 0, n);
        SetLastError(0);
        EXPECT(!HeapFree(h, 0, p + 16));
        EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
        memset(p, 0x5A, n);
        EXPECT(!HeapFree(h, 0, p + 32));
        EXPECT(!HeapFree(h, 0, p + 8)); /* misaligned too */
        EXPECT(HeapValidate(h, 0, p));
        EXPECT(HeapFree(h, 0, p));
    }
    char *l = HeapAlloc(h, 0, 0x100000);
    EXPECT(!HeapFree(h, 0, l + 4096));
    EXPECT(HeapFree(h, 0, l));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void rob_corrupted_header(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    char *a = HeapAlloc(h, 0, 100), *p = HeapAlloc(h, 0, 100), *c = HeapAlloc(h, 0, 100);
    unsigned char save[8];
    memcpy(save, p - 8, 8);
    p[-5] ^= 0x10; /* one flipped bit in the size/flags */
    SetLastError(0);
    EXPECT(!HeapFree(h, 0, p));
    EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT(!HeapValidate(h, 0, p));
    EXPECT(!HeapValidate(h, 0, NULL)); /* the whole-heap check sees it */
    EXPECT_EQ(HeapSize(h, 0, p), (SIZE_T)-1);
    memcpy(p - 8, save, 8);
    EXPECT(HeapValidate(h, 0, NULL)); /* nothing else was touched */
    memset(p - 8, 0, 8);
    EXPECT(!HeapFree(h, 0, p));
    memcpy(p - 8, save, 8);
    /* an overrun of a's payload into p's header */
    memset(a, 0x41, 100 + 16);
    EXPECT(!HeapFree(h, 0, p));
    EXPECT(!HeapValidate(h, 0, NULL));
    memcpy(p - 8, save, 8);
    EXPECT(HeapFree(h, 0, a));
    EXPECT(HeapFree(h, 0, p));
    EXPECT(HeapFree(h, 0, c));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void rob_terminate_on_corruption(void)
{
    HANDLE h = HeapCreate(HEAP_X_TERMINATE_ON_CORRUPTION, 0, 0);
    ASSERT(h);
    char *p = HeapAlloc(h, 0, 100);
    HeapFree(h, 0, p);
    EXPECT_RAISES(STATUS_HEAP_CORRUPTION, HeapFree(h, 0, p));
    EXPECT_RAISES(STATUS_HEAP_CORRUPTION, HeapFree(h, 0, p + 16));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void rob_tail_overrun_found(void)
{
    HANDLE h = HeapCreate(HEAP_TAIL_CHECKING_ENABLED, 0, 0);
    ASSERT(h);
    for (SIZE_T n = 1; n < 300; n += 13) {
        unsigned char *p = HeapAlloc(h, 0, n);
        memset(p, 1, n);
        EXPECT(HeapValidate(h, 0, p));
        unsigned char save = p[n];
        p[n] = 0; /* one byte past the end */
        EXPECT(!HeapValidate(h, 0, p));
        EXPECT(!HeapValidate(h, 0, NULL));
        p[n] = save;
        EXPECT(HeapValidate(h, 0, NULL));
        HeapFree(h, 0, p);
    }
    unsigned char *l = HeapAlloc(h, 0, 0x80001);
    l[0x80001] = 0;
    EXPECT(!HeapValidate(h, 0, NULL));
    l[0x80001] = 0xAB;
    EXPECT(HeapValidate(h, 0, NULL));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* A byte written past a block's end (tail checking) is caught when the
 * block is freed or reallocated: FALSE / NULL with ERROR_INVALID_PARAMETER,
 * the block left busy with the damage in place (STATUS_HEAP_CORRUPTION on
 * HEAP_X_TERMINATE_ON_CORRUPTION heaps); once repaired it frees normally
 * and the heap was never damaged.  HeapValidate of the block (large
 * blocks too) sees it. */
static DWORD raised_by(HANDLE h, void *p, SIZE_T n, int realloc)
{
    jmp_buf jb;
    raised = 0;
    raise_jb = &jb;
    if (!setjmp(jb)) {
        if (realloc)
            HeapReAlloc(h, 0, p, n);
        else
            HeapFree(h, 0, p);
    }
    raise_jb = NULL;
    return raised;
}

static void rob_tail_overrun_free_refused(void)
{
    static const DWORD opts[] = { HEAP_TAIL_CHECKING_ENABLED,
                                  HEAP_TAIL_CHECKING_ENABLED | HEAP_FREE_CHECKING_ENABLED,
                                  HEAP_TAIL_CHECKING_ENABLED | HEAP_X_TERMINATE_ON_CORRUPTION };
    static const SIZE_T sizes[] = { 0, 1, 8, 15, 16, 100, 1000, 4096, 40000, 0x7F001, 0x100000 };
    for (unsigned o = 0; o < sizeof opts / sizeof *opts; o++) {
        HANDLE h = HeapCreate(opts[o], 0, 0);
        ASSERT(h);
        int terminate = (opts[o] & HEAP_X_TERMINATE_ON_CORRUPTION) != 0;
        for (unsigned i = 0; i < sizeof sizes / sizeof *sizes; i++) {
            SIZE_T n = sizes[i];
            void *wall = HeapAlloc(h, 0, 16);
            unsigned char *p = HeapAlloc(h, 0, n);
            void *wall2 = HeapAlloc(h, 0, 16);
            ASSERT(p && wall && wall2);
            memset(p, 0x33, n);
            unsigned char save = p[n];
            p[n] = (unsigned char)~save;
            EXPECT(!HeapValidate(h, 0, p));
            EXPECT(!HeapValidate(h, 0, NULL));
            SetLastError(0);
            if (terminate) {
                EXPECT_EQ(raised_by(h, p, 0, 0), STATUS_HEAP_CORRUPTION);
                EXPECT_EQ(raised_by(h, p, n + 100, 1), STATUS_HEAP_CORRUPTION);
            } else {
                EXPECT(!HeapFree(h, 0, p));
                EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
                SetLastError(0);
                EXPECT(HeapReAlloc(h, 0, p, n + 100) == NULL);
                EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
                EXPECT(HeapReAlloc(h, 0, p, n / 2) == NULL);
            }
            EXPECT_EQ(HeapSize(h, 0, p), n); /* still busy, nothing moved */
            EXPECT(p[n] == (unsigned char)~save);
            p[n] = save;
            EXPECT(HeapValidate(h, 0, p));
            EXPECT_HEAP_OK(h);
            EXPECT(HeapFree(h, 0, p));
            EXPECT(HeapFree(h, 0, wall));
            EXPECT(HeapFree(h, 0, wall2));
            EXPECT_HEAP_OK(h);
        }
        EXPECT(HeapDestroy(h));
    }
}

static void rob_write_after_free_found(void)
{
    HANDLE h = HeapCreate(HEAP_FREE_CHECKING_ENABLED, 0, 0);
    ASSERT(h);
    for (SIZE_T n = 40; n < 20000; n *= 3) {
        void *wall0 = HeapAlloc(h, 0, 16);
        unsigned char *p = HeapAlloc(h, 0, n);
        void *wall1 = HeapAlloc(h, 0, 16);
        HeapFree(h, 0, p);
        EXPECT(HeapValidate(h, 0, NULL));
        unsigned char save = p[n - 1];
        p[n - 1] = 0x11; /* write after free */
        EXPECT(!HeapValidate(h, 0, NULL));
        p[n - 1] = save;
        EXPECT(HeapValidate(h, 0, NULL));
        HeapFree(h, 0, wall0);
        HeapFree(h, 0, wall1);
    }
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void rob_quick_list_corruption(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    char *live = HeapAlloc(h, 0, 64);
    char *a = HeapAlloc(h, 0, 64), *b = HeapAlloc(h, 0, 64);
    HeapFree(h, 0, a);
    HeapFree(h, 0, b); /* list: b -> a */
    memcpy(b, &live, sizeof live); /* write after free: b's link now names a live block */
    char *x = HeapAlloc(h, 0, 64); /* b */
    char *y = HeapAlloc(h, 0, 64); /* must not be `live` */
    EXPECT(x == b);
    EXPECT(y != live);
    EXPECT(y != NULL);
    EXPECT(HeapValidate(h, 0, live));
    EXPECT(!HeapValidate(h, 0, NULL)); /* the corruption is on record */
    HeapDestroy(h);
}

static void rob_double_free_many(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    void *p[200];
    for (int i = 0; i < 200; i++)
        p[i] = HeapAlloc(h, 0, (SIZE_T)(i * 97) % 9000);
    for (int i = 0; i < 200; i++)
        EXPECT(HeapFree(h, 0, p[i]));
    int falses = 0;
    for (int i = 0; i < 200; i++)
        falses += !HeapFree(h, 0, p[i]);
    EXPECT_EQ(falses, 200);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* ================= memory policy ================= */

static void pol_shrunk_heap_gives_back(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    SIZE_T c0 = heap_host_committed_bytes();
    enum { N = 2000 };
    static void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = HeapAlloc(h, 0, 16000); /* 32 MB */
    SIZE_T high = heap_host_committed_bytes() - c0;
    EXPECT(high >= 32000000);
    for (int i = 0; i < N; i++)
        HeapFree(h, 0, p[i]);
    SIZE_T low = heap_host_committed_bytes() - c0;
    EXPECT(low < high / 8); /* given back without HeapCompact */
    /* churn at a steady size does not keep paying page calls */
    for (int i = 0; i < 200; i++)
        p[i] = HeapAlloc(h, 0, 100000);
    unsigned long long calls = heap_host_os_calls();
    for (int k = 0; k < 10000; k++) {
        int i = k % 200;
        HeapFree(h, 0, p[i]);
        p[i] = HeapAlloc(h, 0, 100000);
    }
    EXPECT(heap_host_os_calls() - calls < 100);
    for (int i = 0; i < 200; i++)
        HeapFree(h, 0, p[i]);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void pol_quick_lists_drain(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    SIZE_T c0 = heap_host_committed_bytes();
    enum { N = 100000 };
    static void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = HeapAlloc(h, 0, 16 + (SIZE_T)(i % 200));
    for (int i = 0; i < N; i++)
        HeapFree(h, 0, p[i]);
    EXPECT_HEAP_OK(h);
    EXPECT(heap_host_committed_bytes() - c0 > 10000000); /* parked: kept for reuse */
    EXPECT(HeapCompact(h, 0) > 0); /* all of it merged back ... */
    EXPECT(heap_host_committed_bytes() - c0 < 1000000); /* ... and given back */
    /* a heap that needs other sizes drains the parked blocks first */
    for (int i = 0; i < N; i++)
        p[i] = HeapAlloc(h, 0, 40);
    for (int i = 0; i < N; i++)
        HeapFree(h, 0, p[i]);
    SIZE_T parked = heap_host_committed_bytes() - c0;
    for (int i = 0; i < 500; i++)
        p[i] = HeapAlloc(h, 0, 100000);
    /* a bounded batch drained per call: most of it reused by now */
    EXPECT(heap_host_committed_bytes() - c0 < 500 * 100000 + 1000000 + parked / 2);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void pol_realloc_regions(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    SIZE_T r0 = heap_host_reserved_bytes(), c0 = heap_host_committed_bytes();
    char *p = HeapAlloc(h, 0, 1000);
    memset(p, 9, 1000);
    p = HeapReAlloc(h, 0, p, 100000); /* grows into a region of its own */
    ASSERT(p);
    EXPECT(!in_regions(h, p));
    EXPECT(p[999] == 9);
    char *q = HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 150000); /* room to grow in place */
    EXPECT(q == p);
    EXPECT(HeapFree(h, 0, p));
    EXPECT_EQ(heap_host_reserved_bytes(), r0); /* the region went at once */
    /* with another region alive a freed one may be kept for reuse ... */
    void *keep = HeapAlloc(h, 0, 0x80000);
    p = HeapReAlloc(h, 0, HeapAlloc(h, 0, 10), 100000);
    EXPECT(HeapFree(h, 0, p));
    p = HeapReAlloc(h, HEAP_ZERO_MEMORY, HeapAlloc(h, 0, 10), 90000);
    int zero = 1;
    for (int i = 10; i < 90000; i++)
        zero &= p[i] == 0;
    EXPECT(zero); /* (a reused region is zeroed on request) */
    EXPECT(HeapFree(h, 0, p));
    EXPECT_HEAP_OK(h);
    HeapCompact(h, 0); /* ... and HeapCompact lets it go */
    EXPECT(HeapFree(h, 0, keep));
    EXPECT_EQ(heap_host_reserved_bytes(), r0);
    EXPECT(heap_host_committed_bytes() - c0 < 0x100000);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* ================= random operations against a shadow model ================= */

struct slot {
    unsigned char *p;
    SIZE_T n;
    uint32_t seed;
};

static unsigned char pat(uint32_t seed, SIZE_T i)
{
    return (unsigned char)((seed >> (i & 7)) ^ (i * 31) ^ (i >> 9));
}
/* Write / check the pattern on the first 64 bytes, every 512th byte and
 * the last 32 bytes (cheap enough for a million operations under ASan).
 * After a resize only the positions below the kept size that were
 * written before are checked (tails = 0). */
static void pat_fill(struct slot *s)
{
    for (SIZE_T i = 0; i < s->n && i < 64; i++)
        s->p[i] = pat(s->seed, i);
    for (SIZE_T i = 512; i < s->n; i += 512)
        s->p[i] = pat(s->seed, i);
    for (SIZE_T i = s->n > 32 ? s->n - 32 : 0; i < s->n; i++)
        s->p[i] = pat(s->seed, i);
}
static int pat_ok(const struct slot *s, SIZE_T upto, int tails)
{
    for (SIZE_T i = 0; i < upto && i < 64; i++)
        if (s->p[i] != pat(s->seed, i))
            return 0;
    for (SIZE_T i = 512; i < upto; i += 512)
        if (s->p[i] != pat(s->seed, i))
            return 0;
    for (SIZE_T i = s->n > 32 ? s->n - 32 : 0; tails && i < s->n; i++)
        if (s->p[i] != pat(s->seed, i))
            return 0;
    return 1;
}

static SIZE_T rand_size(void)
{
    uint64_t r = rnd();
    if (r % 1000 == 0)
        return 0x7F000 + (SIZE_T)(rnd() % 0x180000); /* large */
    if (r % 50 == 1)
        return (SIZE_T)(rnd() % 4); /* tiny, zero included */
    unsigned bits = 4 + (unsigned)(rnd() % 13); /* log-uniform 16 B .. 64 KiB */
    return (SIZE_T)(rnd() & ((1u << bits) - 1)) + ((SIZE_T)1 << (bits - 1));
}

static int random_ops(HANDLE h, long ops, int nslots, uint64_t seed, int check_every, int fixed)
{
    struct slot *s = calloc((size_t)nslots, sizeof *s);
    int bad = 0;
    rng_state = seed;
    for (long op = 0; op < ops && bad < 10; op++) {
        struct slot *x = &s[rnd() % (unsigned)nslots];
        unsigned what = (unsigned)(rnd() % 8);
        if (!x->p) {
            SIZE_T n = rand_size();
            DWORD fl = (rnd() % 16 == 0) ? HEAP_ZERO_MEMORY : 0;
            x->p = HeapAlloc(h, fl, n);
            if (!x->p) {
                if (!fixed) {
                    printf("    op %ld: HeapAlloc(%zu) failed\n", op, n);
                    bad++;
                }
                continue;
            }
            if (fl) {
                for (SIZE_T i = 0; i < n; i += (n > 4096 ? 61 : 1))
                    if (x->p[i]) {
                        printf("    op %ld: HEAP_ZERO_MEMORY block not zero\n", op);
                        bad++;
                        break;
                    }
            }
            x->n = n;
            x->seed = (uint32_t)rnd();
            pat_fill(x);
        } else if (what < 3) {
            SIZE_T n = rand_size();
            DWORD fl = (rnd() % 8 == 0) ? HEAP_REALLOC_IN_PLACE_ONLY : 0;
            unsigned char *q = HeapReAlloc(h, fl, x->p, n);
            if (!q) {
                if (!fl && !fixed) {
                    printf("    op %ld: HeapReAlloc(%zu) failed\n", op, n);
                    bad++;
                }
                if (!pat_ok(x, x->n, 1) || HeapSize(h, 0, x->p) != x->n) {
                    printf("    op %ld: failed realloc changed the block\n", op);
                    bad++;
                }
                continue;
            }
            if ((fl && q != x->p) || HeapSize(h, 0, q) != n) {
                printf("    op %ld: realloc result wrong\n", op);
                bad++;
            }
            x->p = q;
            if (!pat_ok(x, n < x->n ? n : x->n, n >= x->n)) {
                printf("    op %ld: realloc lost contents\n", op);
                bad++;
            }
            x->n = n;
            pat_fill(x);
        } else {
            if (!pat_ok(x, x->n, 1) || HeapSize(h, 0, x->p) != x->n) {
                printf("    op %ld: block %p (%zu) damaged\n", op, (void *)x->p, x->n);
                bad++;
            }
            if (!HeapFree(h, 0, x->p)) {
                printf("    op %ld: HeapFree failed\n", op);
                bad++;
            }
            x->p = NULL;
        }
        if (check_every && op % check_every == check_every - 1) {
            int c = heap_host_check(h);
            if (c) {
                printf("    op %ld: heap_check = %d\n", op, c);
                bad++;
            }
        }
    }
    /* the walk agrees with the model */
    int live = 0, busy = 0, matched = 0;
    for (int i = 0; i < nslots; i++) {
        if (!s[i].p)
            continue;
        live++;
        if (!pat_ok(&s[i], s[i].n, 1))
            bad++;
    }
    PROCESS_HEAP_ENTRY e;
    e.lpData = NULL;
    while (HeapWalk(h, &e)) {
        if (!(e.wFlags & PROCESS_HEAP_ENTRY_BUSY))
            continue;
        busy++;
        for (int i = 0; i < nslots; i++)
            if (s[i].p == e.lpData) {
                matched += s[i].n == e.cbData;
                break;
            }
    }
    if (busy != live || matched != live) {
        printf("    walk: %d busy, %d live, %d matched\n", busy, live, matched);
        bad++;
    }
    if (heap_host_check(h)) {
        printf("    final heap_check = %d\n", heap_host_check(h));
        bad++;
    }
    for (int i = 0; i < nslots; i++)
        if (s[i].p && !HeapFree(h, 0, s[i].p))
            bad++;
    free(s);
    return bad;
}

static uint64_t test_seed = 0x9E3779B97F4A7C15ull;

static void rnd_1m_ops_growable(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    printf("    seed 0x%llx\n", (unsigned long long)test_seed);
    EXPECT_EQ(random_ops(h, 1000000, 4096, test_seed, 50000, 0), 0);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void rnd_200k_ops_no_serialize_small_slots(void)
{
    HANDLE h = HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    ASSERT(h);
    EXPECT_EQ(random_ops(h, 200000, 64, test_seed + 1, 1000, 0), 0);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void rnd_200k_ops_checking(void)
{
    HANDLE h = HeapCreate(HEAP_TAIL_CHECKING_ENABLED | HEAP_FREE_CHECKING_ENABLED, 0, 0);
    ASSERT(h);
    EXPECT_EQ(random_ops(h, 200000, 1024, test_seed + 2, 20000, 0), 0);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

static void rnd_200k_ops_fixed(void)
{
    HANDLE h = HeapCreate(0, 0, 0x800000);
    ASSERT(h);
    EXPECT_EQ(random_ops(h, 200000, 512, test_seed + 3, 10000, 1), 0);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* 4 threads x 100,000 random operations on one serialized heap. */
struct thr_arg {
    HANDLE h;
    uint64_t seed;
    int bad;
};
static void *thr_main(void *a)
{
    struct thr_arg *t = a;
    enum { S = 256 };
    void *p[S] = { 0 };
    SIZE_T n[S] = { 0 };
    uint64_t r = t->seed;
    for (int op = 0; op < 100000; op++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        int i = (int)(r % S);
        if (p[i]) {
            if (HeapSize(t->h, 0, p[i]) != n[i] || ((unsigned char *)p[i])[0] != (unsigned char)i)
                t->bad++;
            if (!HeapFree(t->h, 0, p[i]))
                t->bad++;
            p[i] = NULL;
        } else {
            n[i] = 1 + (SIZE_T)((r >> 20) % ((r >> 40) % 8 == 0 ? 20000 : 300));
            p[i] = HeapAlloc(t->h, 0, n[i]);
            if (!p[i])
                t->bad++;
            else
                ((unsigned char *)p[i])[0] = (unsigned char)i;
        }
    }
    for (int i = 0; i < S; i++)
        if (p[i])
            HeapFree(t->h, 0, p[i]);
    return NULL;
}

static void thr_4x100k_serialized(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    pthread_t t[4];
    struct thr_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (struct thr_arg){ h, test_seed + 100 + (uint64_t)i, 0 };
        pthread_create(&t[i], NULL, thr_main, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        EXPECT_EQ(a[i].bad, 0);
    }
    EXPECT(HeapValidate(h, 0, NULL));
    int busy;
    walk_find(h, NULL, 0, &busy);
    EXPECT_EQ(busy, 0); /* every block accounted for */
    HeapDestroy(h);
}

/* ================= the table ================= */

struct test_case {
    const char *name;
    void (*fn)(void);
};
#define CASE(f) { #f, f }
static const struct test_case cases[] = {
    CASE(i62_getprocessheap_same),
    CASE(i63_getprocessheaps),
    CASE(i64_heapcreate_options),
    CASE(i65_handle_is_region_base),
    CASE(i66_destroy_releases_all),
    CASE(j67_alignment),
    CASE(j68_zero_size_alloc),
    CASE(j69_heapsize_exact),
    CASE(j70_zero_memory_reuses_dirty),
    CASE(j71_failure_sets_not_enough_memory),
    CASE(j72_huge_request_fails),
    CASE(j73_generate_exceptions),
    CASE(j73_commit_limit_raises_no_memory),
    CASE(j74_free_null_true),
    CASE(j75_bad_free_false_87),
    CASE(j76_heapsize_freed_minus1),
    CASE(j77_heapvalidate),
    CASE(j78_no_serialize),
    CASE(k79_realloc_keeps_bytes),
    CASE(k80_realloc_zero_added),
    CASE(k81_in_place_only),
    CASE(k82_failure_keeps_block),
    CASE(k83_realloc_to_zero),
    CASE(k84_realloc_null),
    CASE(k85_in_place_growth_raises),
    CASE(l86_fixed_block_limit),
    CASE(l87_fixed_stops_at_max),
    CASE(l87_fixed_max_not_granularity_multiple),
    CASE(l87_emptied_fixed_heap_takes_big_block),
    CASE(l88_large_block_own_region),
    CASE(m91_lock_recursive_and_blocks_others),
    CASE(m92_walk),
    CASE(m93_compact),
    CASE(rob_interior_pointer),
    CASE(rob_corrupted_header),
    CASE(rob_terminate_on_corruption),
    CASE(rob_tail_overrun_found),
    CASE(rob_tail_overrun_free_refused),
    CASE(rob_write_after_free_found),
    CASE(rob_quick_list_corruption),
    CASE(rob_double_free_many),
    CASE(pol_shrunk_heap_gives_back),
    CASE(pol_quick_lists_drain),
    CASE(pol_realloc_regions),
    CASE(rnd_1m_ops_growable),
    CASE(rnd_200k_ops_no_serialize_small_slots),
    CASE(rnd_200k_ops_checking),
    CASE(rnd_200k_ops_fixed),
    CASE(thr_4x100k_serialized),
    { NULL, NULL },
};

int main(int argc, char **argv)
{
    const char *results = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--results") && i + 1 < argc)
            results = argv[++i];
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            test_seed = strtoull(argv[++i], NULL, 0);
        else
            only = argv[i];
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    heap_host_set_raise_hook(raise_hook);
    int passed = 0, failed = 0;
    char failures[4096] = "";
    printf("heap host tests (engine under ASan/UBSan)\n");
    for (const struct test_case *c = cases; c->name; c++) {
        if (only && !strstr(c->name, only))
            continue;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        case_failed = 0;
        c->fn();
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        printf("%s %s (%.0f ms)\n", case_failed ? "not ok" : "ok", c->name, ms);
        if (case_failed) {
            failed++;
            if (strlen(failures) + strlen(c->name) + 2 < sizeof failures) {
                strcat(failures, c->name);
                strcat(failures, "\n");
            }
        } else {
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    if (results) {
        FILE *f = fopen(results, "w");
        if (f) {
            fprintf(f, "%d passed, %d failed\n%s", passed, failed, failures);
            fclose(f);
        }
    }
    return failed ? 1 : 0;
}
