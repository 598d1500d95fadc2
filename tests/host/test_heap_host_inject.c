/* Host heap tests: corruption injected into blocks of the low-
 * fragmentation front end (issue 14, point 3) must be found as on
 * back-end blocks, with the same results: a double free, a foreign or
 * interior pointer, a smashed header (any byte, or an overrun of the
 * block before), and with checking a one-byte overrun and a write after
 * free.  Every detection is tried on the three front-end paths: the
 * thread caches (serialized calls here), the heap lock (a thread without
 * a cache) and HEAP_NO_SERIALIZE calls.  Then two threads: blocks freed
 * by the other thread, and HeapLock against a thread with a warm cache. */
#include "test_heap_host.h"

void lfh_warm(HANDLE h, SIZE_T n);

/* The exception HeapFree(h, fl, p) raises (0: none). */
DWORD lfh_free_raises(HANDLE h, DWORD fl, void *p)
{
    jmp_buf jb;
    raised = 0;
    raise_jb = &jb;
    if (!setjmp(jb))
        HeapFree(h, fl, p);
    raise_jb = NULL;
    return raised;
}

/* One path's run of the detections; `fl` is the calls' flags. */
static void inject_all(DWORD fl)
{
    HANDLE h = HeapCreate(0, 0, 0), other = HeapCreate(0, 0, 0);
    ASSERT(h && other);
    lfh_warm(h, 100);
    lfh_warm(other, 100);
    /* Two neighbours in a subsegment: a, then p right behind it. */
    char *q[64], *a = NULL, *p = NULL;
    SIZE_T blk = 0;
    for (int i = 0; i < 64; i++)
        q[i] = HeapAlloc(h, fl, 100);
    ASSERT(heap_host_block_info(h, q[0], &blk) == 1);
    for (int i = 0; i < 64 && !p; i++)
        for (int j = 0; j < 64 && !p; j++)
            if (q[i] + blk == q[j]) {
                a = q[i];
                p = q[j];
            }
    ASSERT(p != NULL);
    char *theirs = HeapAlloc(other, 0, 100);
    ASSERT(theirs && heap_host_block_info(other, theirs, NULL) == 1);
    memset(p, 0x33, 100);

    /* Foreign and interior pointers: refused, nothing changed. */
    int local;
    static char image[64];
    char *chunk = (char *)((uintptr_t)p & ~(uintptr_t)0xFFFF);
    void *bad[] = { theirs, &local, image, p + 8, p + 16, p + 1, p - 4, chunk, chunk + 8, chunk + 0xF000,
                    (void *)(uintptr_t)8 };
    for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++) {
        SetLastError(0);
        EXPECT(!HeapFree(h, fl, bad[i]));
        EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
        EXPECT(HeapReAlloc(h, fl, bad[i], 10) == NULL);
        EXPECT(!HeapValidate(h, fl, bad[i]));
        EXPECT_EQ(HeapSize(h, fl, bad[i]), (SIZE_T)-1);
    }
    EXPECT(HeapValidate(other, 0, theirs));
    EXPECT_HEAP_OK(h);

    /* A header smashed, any of its 8 bytes: refused, seen by HeapValidate
     * of the block and of the heap; repaired, all is well. */
    for (int k = 1; k <= 8; k++) {
        p[-k] ^= 0x04;
        SetLastError(0);
        EXPECT(!HeapFree(h, fl, p));
        EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
        EXPECT(!HeapValidate(h, fl, p));
        EXPECT(!HeapValidate(h, fl, NULL));
        EXPECT_EQ(HeapSize(h, fl, p), (SIZE_T)-1);
        p[-k] ^= 0x04;
        EXPECT(HeapValidate(h, fl, p));
    }
    /* ... and by an overrun of the block before it into p's header. */
    unsigned char save[8];
    memcpy(save, p - 8, 8);
    memset(a, 0x41, blk - 4);
    EXPECT(!HeapFree(h, fl, p));
    EXPECT(!HeapValidate(h, 0, NULL));
    memcpy(p - 8, save, 8);
    EXPECT_HEAP_OK(h);

    /* A double free: refused (the block is on a list, busy bit clear). */
    EXPECT(HeapFree(h, fl, p));
    SetLastError(0);
    EXPECT(!HeapFree(h, fl, p));
    EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT_EQ(HeapSize(h, fl, p), (SIZE_T)-1);
    EXPECT(!HeapValidate(h, fl, p));
    EXPECT_HEAP_OK(h);
    for (int i = 0; i < 64; i++)
        if (q[i] != p)
            EXPECT(HeapFree(h, fl, q[i]));
    EXPECT(HeapFree(other, 0, theirs));
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
    HeapDestroy(other);
}

/* The checking options on front-end blocks: a byte past the end found
 * by HeapValidate, refused by HeapFree / HeapReAlloc (ERROR_INVALID_
 * PARAMETER, block kept busy and untouched); a byte written after free
 * found by HeapValidate of the heap.  On a terminate-on-corruption heap
 * the same raise STATUS_HEAP_CORRUPTION. */
static void inject_checking(DWORD fl)
{
    HANDLE t = HeapCreate(HEAP_TAIL_CHECKING_ENABLED, 0, 0);
    HANDLE f = HeapCreate(HEAP_FREE_CHECKING_ENABLED, 0, 0);
    HANDLE x = HeapCreate(HEAP_TAIL_CHECKING_ENABLED | HEAP_X_TERMINATE_ON_CORRUPTION, 0, 0);
    ASSERT(t && f && x);
    for (SIZE_T n = 1; n < 3000; n = n * 3 + 7) {
        lfh_warm(t, n);
        unsigned char *p = HeapAlloc(t, fl, n);
        ASSERT(heap_host_block_info(t, p, NULL) == 1);
        EXPECT(HeapValidate(t, fl, p));
        p[n] ^= 0xFF;
        EXPECT(!HeapValidate(t, fl, p));
        EXPECT(!HeapValidate(t, fl, NULL));
        SetLastError(0);
        EXPECT(!HeapFree(t, fl, p));
        EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
        EXPECT(HeapReAlloc(t, fl, p, n + 1) == NULL);
        EXPECT_EQ(HeapSize(t, fl, p), n);
        p[n] ^= 0xFF;
        EXPECT(HeapValidate(t, fl, NULL));
        EXPECT(HeapFree(t, fl, p));

        lfh_warm(x, n);
        p = HeapAlloc(x, fl, n);
        ASSERT(heap_host_block_info(x, p, NULL) == 1);
        p[n] ^= 0xFF;
        EXPECT_EQ(lfh_free_raises(x, fl, p), STATUS_HEAP_CORRUPTION);
        p[n] ^= 0xFF;
        EXPECT(HeapFree(x, fl, p));
        EXPECT_EQ(lfh_free_raises(x, fl, p), STATUS_HEAP_CORRUPTION); /* double free */

        lfh_warm(f, n);
        p = HeapAlloc(f, fl, n);
        ASSERT(heap_host_block_info(f, p, NULL) == 1);
        EXPECT(HeapFree(f, fl, p));
        EXPECT(HeapValidate(f, fl, NULL));
        SIZE_T at = n - 1 < sizeof(void *) ? sizeof(void *) : n - 1; /* (past the list link) */
        unsigned char save = p[at];
        p[at] ^= 0x11; /* write after free */
        EXPECT(!HeapValidate(f, fl, NULL));
        p[at] = save;
        EXPECT(HeapValidate(f, fl, NULL));
    }
    EXPECT_HEAP_OK(t);
    EXPECT_HEAP_OK(f);
    EXPECT_HEAP_OK(x);
    HeapDestroy(t);
    HeapDestroy(f);
    HeapDestroy(x);
}

/* A thread without a cache: the heap lock's fast path. */
static void *no_cache_thread(void *arg)
{
    (void)arg;
    inject_all(0);
    inject_checking(0);
    return NULL;
}

void lfh_inject_thread_caches(void)
{
    inject_all(0);
    inject_checking(0);
}

void lfh_inject_lock_path(void)
{
    pthread_t t;
    heap_host_set_thread_caches(0);
    pthread_create(&t, NULL, no_cache_thread, NULL);
    pthread_join(t, NULL);
    heap_host_set_thread_caches(1);
}

void lfh_inject_no_serialize(void)
{
    inject_all(HEAP_NO_SERIALIZE);
    inject_checking(HEAP_NO_SERIALIZE);
}

/* ================= two threads ================= */

/* A producer allocates, a consumer checks and frees (every block freed by
 * the other thread), through a ring. */
#define RING 1024
struct ring {
    HANDLE h;
    void *slot[RING];
    SIZE_T size[RING];
    volatile unsigned long head, tail; /* producer writes head, consumer tail */
    int bad;
};

static void *producer(void *arg)
{
    struct ring *r = arg;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (unsigned long k = 0; k < 200000; k++) {
        while (r->head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) == RING)
            sched_yield();
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        SIZE_T n = 1 + (SIZE_T)(x % 600);
        unsigned char *p = HeapAlloc(r->h, 0, n);
        if (!p) {
            r->bad++;
            continue;
        }
        memset(p, (int)(k & 0xFF), n);
        r->slot[k % RING] = p;
        r->size[k % RING] = n;
        __atomic_store_n(&r->head, k + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct ring *r = arg;
    for (unsigned long k = 0; k < 200000; k++) {
        while (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == k)
            sched_yield();
        unsigned char *p = r->slot[k % RING];
        SIZE_T n = r->size[k % RING];
        if (HeapSize(r->h, 0, p) != n || p[0] != (unsigned char)k || p[n - 1] != (unsigned char)k)
            r->bad++;
        if (!HeapFree(r->h, 0, p))
            r->bad++;
        __atomic_store_n(&r->tail, k + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

void thr_producer_consumer(void)
{
    static struct ring r;
    memset(&r, 0, sizeof r);
    r.h = HeapCreate(0, 0, 0);
    ASSERT(r.h);
    pthread_t a, b;
    pthread_create(&a, NULL, producer, &r);
    pthread_create(&b, NULL, consumer, &r);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    EXPECT_EQ(r.bad, 0);
    EXPECT(HeapValidate(r.h, 0, NULL));
    int busy;
    walk_find(r.h, NULL, 0, &busy);
    EXPECT_EQ(busy, 0);
    EXPECT(HeapCompact(r.h, 0) > 0);
    EXPECT_HEAP_OK(r.h);
    HeapDestroy(r.h);
}

/* HeapLock stops a thread whose cache would have served it. */
struct warm_arg {
    HANDLE h;
    volatile int ready, go, done;
};

static void *warm_thread(void *arg)
{
    struct warm_arg *w = arg;
    lfh_warm(w->h, 64);
    lfh_warm(w->h, 64); /* its cache has blocks of the class now */
    w->ready = 1;
    while (!w->go)
        sched_yield();
    void *p = HeapAlloc(w->h, 0, 64);
    w->done = 1;
    HeapFree(w->h, 0, p);
    return NULL;
}

void thr_heaplock_stops_cached_thread(void)
{
    static struct warm_arg w;
    memset(&w, 0, sizeof w);
    w.h = HeapCreate(0, 0, 0);
    ASSERT(w.h);
    pthread_t t;
    pthread_create(&t, NULL, warm_thread, &w);
    while (!w.ready)
        sched_yield();
    EXPECT(HeapLock(w.h));
    w.go = 1;
    usleep(50000);
    EXPECT(!w.done); /* waits for the lock */
    void *mine = HeapAlloc(w.h, 0, 64); /* the owner still allocates */
    EXPECT(mine != NULL);
    EXPECT(HeapUnlock(w.h));
    pthread_join(t, NULL);
    EXPECT(w.done);
    HeapFree(w.h, 0, mine);
    EXPECT_HEAP_OK(w.h);
    HeapDestroy(w.h);
}
