/* Host heap tests of the low-fragmentation front end (issue 14): the
 * Windows controls (HeapQueryInformation / HeapSetInformation), when a
 * class turns on, the classes' waste bound, HeapReAlloc, HeapWalk and
 * HeapCompact on front-end blocks, HeapDestroy, and two threads (blocks
 * freed by the other thread, HeapLock against a thread with a warm
 * cache).  The corruption tests are in test_heap_host_inject.c.  These
 * cases need the front end: the run with it forced off
 * (HEAP_HOST_NO_LFH=1) skips them (lfh_* names). */
#include "test_heap_host.h"
#include <sys/wait.h>

static ULONG compat(HANDLE h)
{
    ULONG v = 77;
    SIZE_T ret = 0;
    if (!HeapQueryInformation(h, HeapCompatibilityInformation, &v, sizeof v, &ret) || ret != sizeof v)
        return 99;
    return v;
}

DWORD lfh_free_raises(HANDLE h, DWORD fl, void *p);

/* Allocate and free enough blocks of n bytes that its class is on. */
void lfh_warm(HANDLE h, SIZE_T n)
{
    void *p[40];
    for (int i = 0; i < 40; i++)
        p[i] = HeapAlloc(h, 0, n);
    for (int i = 0; i < 40; i++)
        HeapFree(h, 0, p[i]);
}

void lfh_compat_information(void)
{
    HANDLE g = HeapCreate(0, 0, 0), n = HeapCreate(HEAP_NO_SERIALIZE, 0, 0), f = HeapCreate(0, 0, 0x100000);
    ASSERT(g && n && f);
    EXPECT_EQ(compat(GetProcessHeap()), 2);
    EXPECT_EQ(compat(g), 2);
    EXPECT_EQ(compat(n), 0);
    EXPECT_EQ(compat(f), 0);
    ULONG two = 2, zero = 0, one = 1, v = 0;
    SIZE_T ret = 0;
    /* HEAP_NO_SERIALIZE and fixed-size heaps cannot have it. */
    SetLastError(0);
    EXPECT(!HeapSetInformation(n, HeapCompatibilityInformation, &two, sizeof two));
    EXPECT_EQ(GetLastError(), ERROR_GEN_FAILURE);
    SetLastError(0);
    EXPECT(!HeapSetInformation(f, HeapCompatibilityInformation, &two, sizeof two));
    EXPECT_EQ(GetLastError(), ERROR_GEN_FAILURE);
    EXPECT_EQ(compat(n), 0);
    /* Where it is on: asking again succeeds, turning it off does not. */
    EXPECT(HeapSetInformation(g, HeapCompatibilityInformation, &two, sizeof two));
    SetLastError(0);
    EXPECT(!HeapSetInformation(g, HeapCompatibilityInformation, &zero, sizeof zero));
    EXPECT_EQ(GetLastError(), ERROR_GEN_FAILURE);
    SetLastError(0);
    EXPECT(!HeapSetInformation(g, HeapCompatibilityInformation, &one, sizeof one));
    EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0);
    EXPECT(!HeapSetInformation(g, HeapCompatibilityInformation, &two, 2));
    EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT_EQ(compat(g), 2);
    /* A short buffer: the length it needs. */
    SetLastError(0);
    EXPECT(!HeapQueryInformation(g, HeapCompatibilityInformation, &v, 2, &ret));
    EXPECT_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    EXPECT_EQ(ret, sizeof(ULONG));
    SetLastError(0);
    EXPECT(!HeapQueryInformation(g, HeapEnableTerminationOnCorruption, &v, sizeof v, &ret));
    EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT(!HeapQueryInformation((HANDLE)&v, HeapCompatibilityInformation, &v, sizeof v, &ret));
    EXPECT(HeapDestroy(g) && HeapDestroy(n) && HeapDestroy(f));
}

/* HeapEnableTerminationOnCorruption is for good and for the whole
 * process: checked in a child. */
void lfh_termination_on_corruption(void)
{
    fflush(stdout);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        HANDLE before = HeapCreate(0, 0, 0);
        EXPECT(HeapSetInformation(NULL, HeapEnableTerminationOnCorruption, NULL, 0));
        HANDLE after = HeapCreate(0, 0, 0), hs[] = { before, after, GetProcessHeap() };
        for (int i = 0; i < 3; i++) {
            lfh_warm(hs[i], 48);
            char *a = HeapAlloc(hs[i], 0, 48), *b = HeapAlloc(hs[i], 0, 0x1000);
            EXPECT_EQ(heap_host_block_info(hs[i], a, NULL), 1);
            EXPECT(HeapFree(hs[i], 0, a) && HeapFree(hs[i], 0, b));
            EXPECT_EQ(lfh_free_raises(hs[i], 0, a), STATUS_HEAP_CORRUPTION); /* front end */
            EXPECT_EQ(lfh_free_raises(hs[i], 0, b), STATUS_HEAP_CORRUPTION); /* back end */
        }
        fflush(stdout);
        _exit(case_failed);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The heap's 16th small back-end allocation sets up the front end; from
 * then on a class turns on at its 17th: so in a new heap the 32nd block
 * of one size is the first front-end one, and a second size needs 17.
 * A class never turns off; a HEAP_NO_SERIALIZE heap never has one. */
void lfh_activation(void)
{
    HANDLE h = HeapCreate(0, 0, 0), n = HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    ASSERT(h && n);
    void *p[64], *q[64];
    for (int i = 0; i < 40; i++) {
        p[i] = HeapAlloc(h, 0, 48);
        EXPECT_EQ(heap_host_block_info(h, p[i], NULL), i < 31 ? 0 : 1);
    }
    for (int i = 0; i < 20; i++) {
        q[i] = HeapAlloc(h, 0, 600);
        EXPECT_EQ(heap_host_block_info(h, q[i], NULL), i < 16 ? 0 : 1);
    }
    for (int i = 0; i < 40; i++)
        EXPECT(HeapFree(h, 0, p[i]));
    for (int i = 0; i < 20; i++)
        EXPECT(HeapFree(h, 0, q[i]));
    void *again = HeapAlloc(h, 0, 48);
    EXPECT_EQ(heap_host_block_info(h, again, NULL), 1);
    SIZE_T busy, free_blocks, subs;
    heap_host_front_end_stats(h, &busy, &free_blocks, &subs);
    EXPECT_EQ(busy, 1);
    EXPECT(subs >= 2 && free_blocks > 0);
    HeapFree(h, 0, again);
    for (int i = 0; i < 64; i++)
        EXPECT_EQ(heap_host_block_info(n, p[i] = HeapAlloc(n, 0, 48), NULL), 0);
    for (int i = 0; i < 64; i++)
        HeapFree(n, 0, p[i]);
    EXPECT_HEAP_OK(h);
    EXPECT(HeapDestroy(h) && HeapDestroy(n));
}

/* Every request from 0 bytes to 16 KiB gets a front-end block that holds
 * it: up to 128-byte blocks the request plus the 8-byte header rounded
 * up to a granule (the smallest block is two), above that wasting less
 * than 12.5% of the request (x86-64: its 16-byte granules rule below 120
 * bytes; x86's 8-byte ones hold the bound from 64 bytes, checked in the
 * kernel's heap suite); 16 KiB + 1 goes to the back end. */
void lfh_class_waste_bound(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    for (SIZE_T n = 1; n <= 16384; n += 8) /* every class: on */
        lfh_warm(h, n);
    int bad = 0, not_lfh = 0;
    for (SIZE_T n = 0; n <= 16384; n++) {
        void *p = HeapAlloc(h, 0, n);
        SIZE_T block = 0;
        if (heap_host_block_info(h, p, &block) != 1) {
            not_lfh++;
        } else {
            SIZE_T waste = block - 8 - n, g = MEMORY_ALLOCATION_ALIGNMENT;
            SIZE_T lin = (n + 8 + g - 1) / g * g < 2 * g ? 2 * g : (n + 8 + g - 1) / g * g;
            if (block < n + 8 || (n + 8 <= 128 ? block != lin : waste * 8 >= n)) {
                if (bad++ < 5)
                    printf("    request %zu: block %zu, waste %zu\n", n, block, waste);
            }
        }
        HeapFree(h, 0, p);
    }
    EXPECT_EQ(bad, 0);
    EXPECT_EQ(not_lfh, 0);
    void *big = HeapAlloc(h, 0, 16385);
    EXPECT_EQ(heap_host_block_info(h, big, NULL), 0);
    HeapFree(h, 0, big);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* HeapReAlloc of a front-end block: in place while its class holds the
 * size (IN_PLACE_ONLY growth beyond fails and keeps it), moved beyond,
 * HEAP_ZERO_MEMORY zeroes only what was added, a much smaller size moves
 * unless IN_PLACE_ONLY. */
void lfh_realloc(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    lfh_warm(h, 100);
    SIZE_T block;
    unsigned char *p = HeapAlloc(h, 0, 100);
    ASSERT(heap_host_block_info(h, p, &block) == 1);
    SIZE_T cap = block - 8;
    memset(p, 0x5A, 100);
    unsigned char *q = HeapReAlloc(h, HEAP_ZERO_MEMORY, p, cap);
    EXPECT(q == p);
    EXPECT_EQ(HeapSize(h, 0, q), cap);
    int ok = q[99] == 0x5A;
    for (SIZE_T i = 100; i < cap; i++)
        ok &= q[i] == 0;
    EXPECT(ok);
    SetLastError(0);
    EXPECT(HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, q, cap + 1) == NULL);
    EXPECT_EQ(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_EQ(HeapSize(h, 0, q), cap);
    EXPECT(HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, q, 10) == q); /* shrink: in place */
    EXPECT_EQ(HeapSize(h, 0, q), 10);
    unsigned char *r = HeapReAlloc(h, 0, q, 5000);
    EXPECT(r != NULL && r[0] == 0x5A && r[9] == 0x5A);
    EXPECT_EQ(HeapSize(h, 0, r), 5000);
    unsigned char *s = HeapReAlloc(h, 0, r, 8); /* much smaller: moves to its class */
    EXPECT(s != NULL && s[7] == 0x5A);
    EXPECT(heap_host_block_info(h, s, &block) >= 0 && block < 64);
    EXPECT(HeapFree(h, 0, s));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* The resizes HeapReAlloc settles on its fast path (no flags, or
 * HEAP_NO_SERIALIZE): a front-end block growing and shrinking within its
 * class stays, with its exact size and its bytes; one much smaller still
 * moves to a smaller class; a large block growing within its committed
 * page or past it (its region has room) stays.  The heap validates after
 * each, and a freed block is still refused by the fast path. */
void lfh_realloc_fast(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    lfh_warm(h, 1000);
    SIZE_T block;
    unsigned char *p = HeapAlloc(h, 0, 1000);
    ASSERT(p && heap_host_block_info(h, p, &block) == 1);
    memset(p, 0x3C, 1000);
    for (SIZE_T n = 1000; n <= block - 8; n += 16) {
        DWORD f = (n & 16) ? HEAP_NO_SERIALIZE : 0;
        EXPECT(HeapReAlloc(h, f, p, n) == p);
        EXPECT_EQ(HeapSize(h, 0, p), n);
    }
    EXPECT(HeapReAlloc(h, 0, p, block / 2) == p); /* over half the block: stays */
    EXPECT(p[0] == 0x3C && p[999] == 0x3C);
    EXPECT_HEAP_OK(h);
    unsigned char *q = HeapReAlloc(h, 0, p, 16); /* much smaller: moves */
    ASSERT(q);
    EXPECT(q != p && q[15] == 0x3C);
    EXPECT(!HeapReAlloc(h, 0, p, 1000)); /* the old block is free now */
    unsigned char *big = HeapAlloc(h, 0, 0x100000);
    ASSERT(big);
    big[0] = 0x11;
    EXPECT(HeapReAlloc(h, HEAP_NO_SERIALIZE, big, 0x100000 + 16) == big);
    EXPECT_EQ(HeapSize(h, 0, big), 0x100000 + 16);
    unsigned char *r = HeapReAlloc(h, 0, big, 0x100000 + 0x3000); /* past its pages */
    ASSERT(r);
    EXPECT_EQ(HeapSize(h, 0, r), 0x100000 + 0x3000);
    EXPECT(r[0] == 0x11);
    r[0x100000 + 0x2FFF] = 1;
    EXPECT(HeapReAlloc(h, 0, r, 0x100000 + 0x3000 - 1) == r); /* same pages: stays */
    EXPECT_EQ(HeapSize(h, 0, r), 0x100000 + 0x3000 - 1);
    EXPECT_HEAP_OK(h);
    EXPECT(HeapFree(h, 0, q) && HeapFree(h, 0, r));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* HeapWalk of a heap full of front-end blocks: each live block once,
 * busy, with its requested size; entries tile the regions (the entries
 * with no data carry the subsegments' headers and long unused tails in
 * cbOverhead); the free blocks are the rest. */
void lfh_walk(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    enum { N = 3000 };
    static void *p[N];
    static SIZE_T n[N];
    for (int i = 0; i < N; i++) {
        n[i] = (SIZE_T)(i % 3 ? (i * 37) % 700 : 2049 + (i * 13) % 14000);
        p[i] = HeapAlloc(h, 0, n[i]);
    }
    for (int i = 0; i < N; i += 4) {
        HeapFree(h, 0, p[i]);
        p[i] = NULL;
    }
    PROCESS_HEAP_ENTRY e;
    e.lpData = NULL;
    static int seen[N];
    int bad = 0, nodata = 0, lfh = 0;
    char *expect_next = NULL;
    memset(seen, 0, sizeof seen);
    while (HeapWalk(h, &e)) {
        if (e.wFlags & PROCESS_HEAP_REGION) {
            expect_next = (char *)e.lpData + e.cbData;
            continue;
        }
        if (e.wFlags & PROCESS_HEAP_ENTRY_BUSY) {
            int k = 0;
            while (k < N && p[k] != e.lpData)
                k++;
            if (k == N || n[k] != e.cbData)
                bad++;
            else
                seen[k]++;
            lfh += heap_host_block_info(h, e.lpData, NULL) == 1;
            if ((char *)e.lpData - 8 != expect_next)
                bad++;
            expect_next = (char *)e.lpData - 8 + e.cbOverhead + e.cbData;
            continue;
        }
        if (e.wFlags == 0 && e.cbData == 0)
            nodata++;
        if ((char *)e.lpData - e.cbOverhead != expect_next && (char *)e.lpData != expect_next)
            bad++;
        expect_next = (char *)e.lpData + e.cbData;
    }
    EXPECT_EQ(GetLastError(), ERROR_NO_MORE_ITEMS);
    EXPECT_EQ(bad, 0);
    int once = 1;
    for (int i = 0; i < N; i++)
        once &= seen[i] == (p[i] != NULL);
    EXPECT(once);
    EXPECT(lfh > N / 2);
    EXPECT(nodata > 0);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* An emptied heap comes back, after HeapCompact, to what a new heap
 * commits; HeapDestroy with front-end blocks live gives back every page. */
void lfh_compact_and_destroy(void)
{
    SIZE_T c0 = heap_host_committed_bytes(), r0 = heap_host_reserved_bytes();
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    SIZE_T fresh = heap_host_committed_bytes() - c0;
    enum { N = 20000 };
    static void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = HeapAlloc(h, 0, (SIZE_T)(i % 5 ? (i * 31) % 2000 : 9000 + i % 30000));
    EXPECT(heap_host_committed_bytes() - c0 > 10 * fresh);
    for (int i = 0; i < N; i++)
        HeapFree(h, 0, p[i]);
    EXPECT(HeapCompact(h, 0) > 0);
    EXPECT_EQ(heap_host_committed_bytes() - c0, fresh);
    EXPECT_HEAP_OK(h);
    for (int i = 0; i < N; i++)
        p[i] = HeapAlloc(h, 0, (SIZE_T)(i * 31) % 3000);
    EXPECT(HeapDestroy(h));
    EXPECT_EQ(heap_host_committed_bytes(), c0);
    EXPECT_EQ(heap_host_reserved_bytes(), r0);
}

/* Emptied subsegments wait in the front end's reserve: a batch freed and
 * allocated again commits nothing more; back-end traffic that does not
 * draw on the reserve empties it down to LFH_KEEP_EMPTY (2) subsegments,
 * without HeapCompact. */
void lfh_reserve_decays(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    SIZE_T c0 = heap_host_committed_bytes(), busy, nfree, subs;
    enum { N = 50000 };
    static void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = HeapAlloc(h, 0, 100);
    SIZE_T high = heap_host_committed_bytes() - c0;
    EXPECT(high > 5000000);
    for (int r = 0; r < 3; r++) {
        for (int i = 0; i < N; i++)
            HeapFree(h, 0, p[i]);
        heap_host_front_end_stats(h, &busy, &nfree, &subs);
        EXPECT_EQ(busy, 0);
        EXPECT(subs > 50); /* kept, not given back */
        for (int i = 0; i < N; i++)
            p[i] = HeapAlloc(h, 0, 100);
        EXPECT(heap_host_committed_bytes() - c0 <= high + 65536); /* (+ the class table's page) */
    }
    for (int i = 0; i < N; i++)
        HeapFree(h, 0, p[i]);
    EXPECT_HEAP_OK(h);
    for (int i = 0; i < 400; i++)
        HeapFree(h, 0, HeapAlloc(h, 0, 20000));
    heap_host_front_end_stats(h, &busy, &nfree, &subs);
    EXPECT(subs <= 2 + 4); /* the reserve's 2, and those the thread's cache keeps partly busy */
    EXPECT(heap_host_committed_bytes() - c0 < high / 4);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}


/* A regression: the reserve gave a subsegment back (merging it with its
 * free neighbour) after the back end had picked that neighbour for the
 * allocation under way, which then found the block's header gone.  Built
 * on purpose: subsegments S1..S5 of one class side by side, a free
 * back-end block B right behind S5, S5 emptied first (the reserve's
 * oldest) and two more after it; then allocations that B fits, during
 * which the idle reserve gives S5 back into B.  (HEAP_NO_SERIALIZE calls:
 * no thread cache holds freed blocks back from their subsegments.) */
void lfh_reserve_gives_back_next_to_the_pick(void)
{
    const DWORD ns = HEAP_NO_SERIALIZE;
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    enum { MAX = 20000 };
    static void *p[MAX];
    uintptr_t chunk[8];
    int n = 0, nchunks = 0;
    void *b = NULL, *c = NULL;
    while (n < MAX && nchunks < 7) { /* S1..S5, B and its fence C, then S6 */
        p[n] = HeapAlloc(h, ns, 100);
        ASSERT(p[n]);
        uintptr_t ch = (uintptr_t)p[n] & ~(uintptr_t)0xFFFF;
        if (heap_host_block_info(h, p[n], NULL) == 1 && (!nchunks || chunk[nchunks - 1] != ch)) {
            chunk[nchunks++] = ch;
            if (nchunks == 5) { /* S5 just began: B and C go right behind it */
                b = HeapAlloc(h, ns, 65000);
                c = HeapAlloc(h, ns, 65000);
                ASSERT(b && c);
                EXPECT(HeapFree(h, ns, b));
            }
        }
        n++;
    }
    ASSERT(nchunks == 7 || nchunks == 6);
    EXPECT((uintptr_t)b > chunk[4] && (uintptr_t)b < chunk[4] + 0x20000); /* (the layout it needs) */
    for (int s = 4; s >= 2; s--) /* S5, S4, S3 empty into the reserve, S5 first */
        for (int i = 0; i < n; i++)
            if (p[i] && ((uintptr_t)p[i] & ~(uintptr_t)0xFFFF) == chunk[s]) {
                EXPECT(HeapFree(h, ns, p[i]));
                p[i] = NULL;
            }
    int fails = 0;
    for (int i = 0; i < 100; i++) { /* back-end traffic: the reserve decays into B */
        void *q = HeapAlloc(h, ns, 65000);
        fails += !q || !HeapFree(h, ns, q);
    }
    EXPECT_EQ(fails, 0);
    EXPECT_HEAP_OK(h);
    for (int i = 0; i < n; i++)
        if (p[i])
            HeapFree(h, ns, p[i]);
    HeapFree(h, ns, c);
    HeapDestroy(h);
}
