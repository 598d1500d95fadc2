/* Host heap tests, spec sections K (HeapReAlloc), L (fixed-size heaps,
 * large blocks) and M (lock, walk, compact). */
#include "test_heap_host.h"

/* ================= K. HeapReAlloc ================= */

void k79_realloc_keeps_bytes(void)
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

void k80_realloc_zero_added(void)
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

void k81_in_place_only(void)
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

void k82_failure_keeps_block(void)
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

void k83_realloc_to_zero(void)
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

void k84_realloc_null(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    SetLastError(99);
    EXPECT(HeapReAlloc(h, 0, NULL, 10) == NULL);
    EXPECT_EQ(GetLastError(), NO_ERROR);
    HeapDestroy(h);
}

void k85_in_place_growth_raises(void)
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

void l86_fixed_block_limit(void)
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

void l87_fixed_stops_at_max(void)
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
void l87_fixed_max_not_granularity_multiple(void)
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
void l87_emptied_fixed_heap_takes_big_block(void)
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

void l88_large_block_own_region(void)
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

void m91_lock_recursive_and_blocks_others(void)
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

void m92_walk(void)
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

void m93_compact(void)
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
