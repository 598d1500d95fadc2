/* Host heap tests beyond the spec items: robustness (bad pointers,
 * corrupted headers, overruns, writes after free) and memory policy
 * (giving pages back, quick lists, realloc regions). */
#include "test_heap_host.h"

/* ================= robustness ================= */

void rob_interior_pointer(void)
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

void rob_corrupted_header(void)
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

void rob_terminate_on_corruption(void)
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

void rob_tail_overrun_found(void)
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

void rob_tail_overrun_free_refused(void)
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

void rob_write_after_free_found(void)
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

/* The quick lists of a standard heap (HEAP_NO_SERIALIZE: no front end). */
void rob_quick_list_corruption(void)
{
    HANDLE h = HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
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

void rob_double_free_many(void)
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

void pol_shrunk_heap_gives_back(void)
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
    /* The front end keeps its emptied subsegments for what comes next (a
     * batch allocated again reuses them); the back end takes them before
     * it commits anything, and gives back what stays free. */
    for (int i = 0; i < 200; i++)
        p[i] = HeapAlloc(h, 0, 100000);
    for (int i = 0; i < 200; i++)
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

/* The quick lists of a standard heap (HEAP_NO_SERIALIZE: no front end). */
void pol_quick_lists_drain(void)
{
    HANDLE h = HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
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

void pol_realloc_regions(void)
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
