/* The heaps under threads (issue 13, tests): threads doing random
 * HeapAlloc / HeapReAlloc / HeapFree / malloc / realloc / free on the
 * process heap and on a private serialized heap, under timer preemption,
 * with every block's contents checksummed and blocks handed from thread
 * to thread (so one thread frees what another allocated), while the main
 * thread validates both heaps every few milliseconds (each validation
 * holds the heap exclusively: the other threads' caches must be quiet,
 * FlushProcessWriteBuffers on several CPUs).  Afterwards HeapValidate,
 * and HeapWalk counts the busy blocks: none lost, none corrupted.  Then
 * the same on a HEAP_NO_SERIALIZE heap with HeapLock / HeapUnlock around
 * every call, which must make it pass too.
 *
 * One CPU: 8 threads (preemption is the only concurrency).  Several
 * CPUs (the user-heap-smp@4 boot, issue 17): a thread per CPU, so each
 * runs on its own CPU through its own heap caches; the operations are
 * the same in number, shared among fewer threads.
 *
 * Every block carries its own description in its first 12 bytes (size,
 * seed, origin) and a pattern made from the seed after that, so whoever
 * holds it can check it. */
#include "uthreads.h"
#include <stdlib.h>
#include <malloc.h>

#define THREADS_MAX 8
#define OPS_SERIALIZED 200000           /* in all, shared by the threads */
#define OPS_LOCKED 40000                /* in all, on the HEAP_NO_SERIALIZE heap */
#define VALIDATE_MS 25                  /* the main thread validates this often */
#define SLOTS 48
#define EXCHANGE 16
#define HEADER 12

enum origin { FROM_PROCESS_HEAP, FROM_PRIVATE_HEAP, FROM_MALLOC, FROM_UNSERIALIZED, ORIGINS };

struct stress {
    HANDLE heaps[ORIGINS];              /* [FROM_MALLOC] unused */
    int origins;                        /* origins in use: 3, or 1 (the unserialized heap) */
    int first_origin;
    int ops;
    bool lock_each_call;                /* HeapLock/HeapUnlock around every call */
    void *volatile exchange[EXCHANGE];  /* blocks in transit between threads */
    volatile LONG corrupted, failed, done_ops, allocs, frees, handed_over;
    volatile LONG cpus_seen;            /* bit n: a worker ran on CPU n */
};

struct worker {
    struct stress *s;
    uint32_t rng;
    void *slots[SLOTS];
};

static uint32_t next_random(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static uint8_t pattern(uint32_t seed, uint32_t i)
{
    return (uint8_t)((seed >> (i & 15)) ^ (i * 131u) ^ (seed & 0xFF));
}

static void heap_enter(struct stress *s, enum origin o)
{
    if (s->lock_each_call && o != FROM_MALLOC)
        HeapLock(s->heaps[o]);
}

static void heap_leave(struct stress *s, enum origin o)
{
    if (s->lock_each_call && o != FROM_MALLOC)
        HeapUnlock(s->heaps[o]);
}

static void stamp(uint8_t *p, uint32_t size, uint32_t seed, enum origin o)
{
    uint32_t *w = (uint32_t *)p;
    w[0] = size;
    w[1] = seed;
    w[2] = o;
    for (uint32_t i = HEADER; i < size; i++)
        p[i] = pattern(seed, i);
}

/* True when the block is intact (its size as the heap reports it too). */
static bool intact(struct stress *s, const uint8_t *p)
{
    const uint32_t *w = (const uint32_t *)p;
    uint32_t size = w[0], seed = w[1];
    enum origin o = (enum origin)w[2];

    if (o >= ORIGINS || size < HEADER || size > 0x10000)
        return false;
    heap_enter(s, o);
    SIZE_T reported = o == FROM_MALLOC ? _msize((void *)p) : HeapSize(s->heaps[o], 0, p);
    heap_leave(s, o);
    if (reported != size)
        return false;
    for (uint32_t i = HEADER; i < size; i++)
        if (p[i] != pattern(seed, i))
            return false;
    return true;
}

static uint32_t random_size(uint32_t *rng)
{
    uint32_t r = next_random(rng);
    if ((r & 31) == 0)
        return HEADER + (r >> 8) % 6000;        /* now and then a big one */
    return HEADER + (r >> 8) % 300;
}

static void *block_alloc(struct worker *w, enum origin o, uint32_t size)
{
    struct stress *s = w->s;
    heap_enter(s, o);
    uint8_t *p = o == FROM_MALLOC ? malloc(size) : HeapAlloc(s->heaps[o], 0, size);
    heap_leave(s, o);
    if (p == NULL) {
        InterlockedIncrement(&s->failed);
        return NULL;
    }
    InterlockedIncrement(&s->allocs);
    stamp(p, size, next_random(&w->rng), o);
    return p;
}

static void block_free(struct worker *w, uint8_t *p)
{
    struct stress *s = w->s;
    if (!intact(s, p))
        InterlockedIncrement(&s->corrupted);
    enum origin o = (enum origin)((uint32_t *)p)[2];
    if (o >= ORIGINS) {
        return;                                 /* counted as corrupted: leave it */
    }
    heap_enter(s, o);
    BOOL ok = TRUE;
    if (o == FROM_MALLOC)
        free(p);
    else
        ok = HeapFree(s->heaps[o], 0, p);
    heap_leave(s, o);
    if (!ok)
        InterlockedIncrement(&s->failed);
    InterlockedIncrement(&s->frees);
}

/* Grows or shrinks a block in place or by moving it; the old part of the
 * contents must survive. */
static void *block_realloc(struct worker *w, uint8_t *p)
{
    struct stress *s = w->s;
    if (!intact(s, p))
        InterlockedIncrement(&s->corrupted);
    uint32_t *hdr = (uint32_t *)p;
    enum origin o = (enum origin)hdr[2];
    uint32_t old = hdr[0], seed = hdr[1], size = random_size(&w->rng);
    if (o >= ORIGINS)
        return p;
    heap_enter(s, o);
    uint8_t *q = o == FROM_MALLOC ? realloc(p, size) : HeapReAlloc(s->heaps[o], 0, p, size);
    heap_leave(s, o);
    if (q == NULL) {
        InterlockedIncrement(&s->failed);
        return p;
    }
    uint32_t keep = old < size ? old : size;
    for (uint32_t i = HEADER; i < keep; i++)
        if (q[i] != pattern(seed, i)) {
            InterlockedIncrement(&s->corrupted);
            break;
        }
    stamp(q, size, seed, o);
    return q;
}

static DWORD WINAPI stress_worker(LPVOID arg)
{
    struct worker *w = arg;
    struct stress *s = w->s;

    for (int op = 0; op < s->ops; op++) {
        uint32_t r = next_random(&w->rng);
        int slot = (int)((r >> 4) % SLOTS);
        uint8_t *p = w->slots[slot];
        switch (r & 7) {
        case 0:
        case 1:
        case 2:                             /* allocate into the slot (freeing what was there) */
            if (p != NULL)
                block_free(w, p);
            w->slots[slot] = block_alloc(w, (enum origin)(s->first_origin + (int)((r >> 12) % s->origins)),
                                         random_size(&w->rng));
            break;
        case 3:
        case 4:
            if (p != NULL)
                w->slots[slot] = block_realloc(w, p);
            break;
        case 5:                             /* hand it to another thread, take what was there */
            if (p != NULL) {
                w->slots[slot] = InterlockedExchangePointer(&s->exchange[(r >> 20) % EXCHANGE], p);
                InterlockedIncrement(&s->handed_over);
            }
            break;
        default:
            if (p != NULL) {
                block_free(w, p);
                w->slots[slot] = NULL;
            }
            break;
        }
        InterlockedIncrement(&s->done_ops);
        if (op % 256 == 0)
            InterlockedOr(&s->cpus_seen, (LONG)(1u << GetCurrentProcessorNumber()));
    }
    for (int i = 0; i < SLOTS; i++)
        if (w->slots[i] != NULL)
            block_free(w, w->slots[i]);
    return 0;
}

/* Busy blocks HeapWalk finds in a heap. */
static int busy_blocks(HANDLE heap)
{
    PROCESS_HEAP_ENTRY e;
    int n = 0;
    e.lpData = NULL;
    HeapLock(heap);
    while (HeapWalk(heap, &e))
        n += (e.wFlags & PROCESS_HEAP_ENTRY_BUSY) != 0;
    HeapUnlock(heap);
    return n;
}

static struct stress stress;
static struct worker workers[THREADS_MAX];
static int threads;                     /* workers per run (main) */

/* Waits for every worker, validating the stress's serialized heaps each
 * VALIDATE_MS meanwhile; returns the validations that failed. */
static int wait_validating(HANDLE *h, int *validations)
{
    int bad = 0;
    while (WaitForMultipleObjects((DWORD)threads, h, TRUE, VALIDATE_MS) == WAIT_TIMEOUT) {
        for (int o = FROM_PROCESS_HEAP; o <= FROM_PRIVATE_HEAP && !stress.lock_each_call; o++)
            if (!HeapValidate(stress.heaps[o], 0, NULL))
                bad++;
        (*validations)++;
    }
    return bad;
}

static void run_stress(struct utest *t)
{
    HANDLE h[THREADS_MAX];
    int validations = 0;
    for (int i = 0; i < threads; i++) {
        memset(&workers[i], 0, sizeof(workers[i]));
        workers[i].s = &stress;
        workers[i].rng = utest_seed() ^ (0x9E3779B9u * (uint32_t)(i + 1));
        h[i] = start_thread(stress_worker, &workers[i]);
        ASSERT_PTR_NE(t, h[i], NULL);
    }
    EXPECT_EQ(t, wait_validating(h, &validations), 0);
    for (int i = 0; i < threads; i++)
        EXPECT_EQ(t, join_thread(h[i]), 0);
    struct worker last = { .s = &stress };
    for (int i = 0; i < EXCHANGE; i++)
        if (stress.exchange[i] != NULL)
            block_free(&last, stress.exchange[i]);
    utest_log("%ld operations by %d threads: %ld allocations, %ld frees, %ld blocks handed over, "
              "CPUs seen %lx, %d validations meanwhile",
              stress.done_ops, threads, stress.allocs, stress.frees, stress.handed_over,
              stress.cpus_seen, validations);
    EXPECT_EQ(t, stress.done_ops, threads * stress.ops);
    EXPECT_EQ(t, stress.corrupted, 0);
    EXPECT_EQ(t, stress.failed, 0);
    EXPECT_EQ(t, stress.allocs, stress.frees);          /* none lost */
    if (threads < THREADS_MAX)                          /* several CPUs: they all took part */
        EXPECT_EQ(t, __builtin_popcount((uint32_t)stress.cpus_seen), threads);
}

static void threads_on_serialized_heaps(struct utest *t)
{
    memset(&stress, 0, sizeof(stress));
    stress.heaps[FROM_PROCESS_HEAP] = GetProcessHeap();
    stress.heaps[FROM_PRIVATE_HEAP] = HeapCreate(0, 0, 0);
    ASSERT_PTR_NE(t, stress.heaps[FROM_PRIVATE_HEAP], NULL);
    stress.first_origin = FROM_PROCESS_HEAP;
    stress.origins = 3;
    stress.ops = OPS_SERIALIZED / threads;
    int busy_before = busy_blocks(GetProcessHeap());
    run_stress(t);
    EXPECT_GE(t, stress.done_ops, 200000);
    EXPECT_TRUE(t, HeapValidate(GetProcessHeap(), 0, NULL));
    EXPECT_TRUE(t, HeapValidate(stress.heaps[FROM_PRIVATE_HEAP], 0, NULL));
    EXPECT_EQ(t, busy_blocks(GetProcessHeap()), busy_before);
    EXPECT_EQ(t, busy_blocks(stress.heaps[FROM_PRIVATE_HEAP]), 0);
    EXPECT_TRUE(t, HeapDestroy(stress.heaps[FROM_PRIVATE_HEAP]));
}

static void unserialized_heap_with_heaplock_around_each_call(struct utest *t)
{
    memset(&stress, 0, sizeof(stress));
    stress.heaps[FROM_UNSERIALIZED] = HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    ASSERT_PTR_NE(t, stress.heaps[FROM_UNSERIALIZED], NULL);
    stress.first_origin = FROM_UNSERIALIZED;
    stress.origins = 1;
    stress.ops = OPS_LOCKED / threads;
    stress.lock_each_call = true;
    run_stress(t);
    EXPECT_TRUE(t, HeapValidate(stress.heaps[FROM_UNSERIALIZED], 0, NULL));
    EXPECT_EQ(t, busy_blocks(stress.heaps[FROM_UNSERIALIZED]), 0);
    EXPECT_TRUE(t, HeapDestroy(stress.heaps[FROM_UNSERIALIZED]));
}

static const struct utest_case stress_cases[] = {
    UTEST_CASE(threads_on_serialized_heaps),
    UTEST_CASE(unserialized_heap_with_heaplock_around_each_call),
    UTEST_END,
};

static const struct utest_suite stress_suite = { .name = "heap_threads", .cases = stress_cases };
static const struct utest_suite *const suites[] = { &stress_suite, NULL };

/* Reservations other than the process heap's own segments: the heap keeps
 * a segment it grew by (Windows does too), and with the low-fragmentation
 * front end eight threads make it grow; anything else left behind is a
 * leak. */
static uint64_t allocations_outside_process_heap(void)
{
    PROCESS_HEAP_ENTRY e = { .lpData = NULL };
    uint64_t segments = 0;

    HeapLock(GetProcessHeap());
    while (HeapWalk(GetProcessHeap(), &e))
        if (e.wFlags & PROCESS_HEAP_REGION)
            segments++;
    HeapUnlock(GetProcessHeap());
    return utest_counter_allocations() - segments;
}

int main(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    threads = si.dwNumberOfProcessors > 1 ? (int)si.dwNumberOfProcessors : THREADS_MAX;
    if (threads > THREADS_MAX)
        threads = THREADS_MAX;
    /* No commit-charge counter: the process heap keeps the pages it grew
     * by for its next blocks.  Lost blocks show in HeapWalk's count, and
     * the kernel checks everything after the program. */
    utest_register_counter("allocations outside the process heap", allocations_outside_process_heap);
    utest_register_counter("handles", counter_handles);
    return utest_main(suites);
}
