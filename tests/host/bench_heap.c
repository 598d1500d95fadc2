/* Host heap benchmark: the project's heap engine against glibc malloc,
 * jemalloc and mimalloc on the same deterministic traces.
 *
 * This source is built once per allocator (the driver is
 * bench_heap_driver.c):
 *   -DBENCH_IMPL=1  bench_heap_project   HeapAlloc & co. (libheap.a); the
 *                   variant "noserialize" calls a growable heap (which has
 *                   the low-fragmentation front end) with HEAP_NO_SERIALIZE,
 *                   "standard" a heap created with HEAP_NO_SERIALIZE (no
 *                   front end, as on Windows), otherwise the serialized
 *                   process heap (front end, thread caches)
 *   -DBENCH_IMPL=2  bench_heap_glibc     malloc/realloc/free of glibc
 *   -DBENCH_IMPL=3  bench_heap_jemalloc  the same names, linked to
 *                   libjemalloc (it replaces malloc in that process)
 *   -DBENCH_IMPL=4  bench_heap_mimalloc  mi_malloc/mi_realloc/mi_free
 *   -DBENCH_IMPL=5  bench_heap_project_crt  the project's C runtime
 *                   (libc/crt_malloc.c as crt_malloc/crt_realloc/crt_free
 *                   of libheap.a) on the serialized process heap
 * Each allocator runs in a process of its own, so none can disturb
 * another's state or resident-memory figures.
 *
 * Timing run ("time WORKLOAD"): ns per call (malloc, free or realloc),
 * the caller writing the first 8 bytes of each new block.  Two-thread
 * workloads (mt_*) are timing runs too: wall time over the calls of both
 * threads.  Memory/worst-call run ("mem WORKLOAD"): each call timed with
 * the TSC; every page of a new block (and of the grown part after a
 * realloc) written, so resident memory is what the blocks need; peak
 * memory is, for the project (and its CRT), the page provider's peak
 * committed bytes (heap_host_committed_peak, exact: what a
 * VirtualAlloc-backed heap holds committed), for the peers the peak
 * resident-set growth of the process (VmHWM after resetting it through
 * /proc/self/clear_refs, minus VmRSS before: the pages the allocator
 * really touched, its own metadata included).  The project's RSS growth
 * is printed too.  Peak live bytes are the sum of requested sizes at the
 * trace's peak.  Each call's time goes to a file for the driver; for the
 * project the time spent inside page-provider calls (mmap, mprotect,
 * madvise) is taken out, as the goal asks, but page faults on first touch
 * stay in. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <sched.h>

/* ------------------------------------------------------------------ */
/* Traces                                                              */
/* ------------------------------------------------------------------ */

enum { OP_ALLOC, OP_FREE, OP_REALLOC };
struct op {
    uint32_t kind : 2, slot : 30;
    uint32_t size;
};

struct trace {
    struct op *ops;
    size_t nops, cap, nslots;
    size_t live, peak_live;
    uint32_t *slot_size;
};

static uint64_t rs;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}
static uint32_t rnd_range(uint32_t lo, uint32_t hi) /* [lo, hi] */
{
    return lo + (uint32_t)(rnd() % (hi - lo + 1));
}
static uint32_t rnd_log(uint32_t lo, uint32_t hi) /* log-uniform in [lo, hi] */
{
    unsigned a = 31u - (unsigned)__builtin_clz(lo), b = 31u - (unsigned)__builtin_clz(hi);
    for (;;) {
        unsigned e = a + (unsigned)(rnd() % (b - a + 1));
        uint32_t v = (1u << e) + (uint32_t)(rnd() & ((1u << e) - 1));
        if (v >= lo && v <= hi)
            return v;
    }
}

static void *big_alloc(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    return p;
}

static void t_init(struct trace *t, size_t cap, size_t nslots)
{
    t->ops = big_alloc(cap * sizeof *t->ops);
    t->cap = cap;
    t->nops = 0;
    t->nslots = nslots;
    t->slot_size = big_alloc(nslots * sizeof *t->slot_size);
    t->live = t->peak_live = 0;
}
static void t_op(struct trace *t, unsigned kind, size_t slot, uint32_t size)
{
    if (t->nops == t->cap) {
        fprintf(stderr, "trace overflow\n");
        exit(2);
    }
    t->ops[t->nops++] = (struct op){ kind, (uint32_t)slot, size };
    if (kind == OP_ALLOC) {
        t->live += size;
        t->slot_size[slot] = size;
    } else if (kind == OP_FREE) {
        t->live -= t->slot_size[slot];
        t->slot_size[slot] = 0;
    } else {
        t->live += size;
        t->live -= t->slot_size[slot];
        t->slot_size[slot] = size;
    }
    if (t->live > t->peak_live)
        t->peak_live = t->live;
}

/* small churn: 10,000 slots of 16-256 B, random slot reuse */
static void w_small_churn(struct trace *t)
{
    const size_t S = 10000, steps = 1500000;
    t_init(t, S + 2 * steps + S, S);
    for (size_t i = 0; i < S; i++)
        t_op(t, OP_ALLOC, i, rnd_range(16, 256));
    for (size_t k = 0; k < steps; k++) {
        size_t i = rnd() % S;
        t_op(t, OP_FREE, i, 0);
        t_op(t, OP_ALLOC, i, rnd_range(16, 256));
    }
    for (size_t i = 0; i < S; i++)
        t_op(t, OP_FREE, i, 0);
}

/* mixed: 2,000 slots, log-uniform 16 B - 64 KiB, random slot reuse */
static void w_mixed(struct trace *t)
{
    const size_t S = 2000, steps = 300000;
    t_init(t, S + 2 * steps + S, S);
    for (size_t i = 0; i < S; i++)
        t_op(t, OP_ALLOC, i, rnd_log(16, 65536));
    for (size_t k = 0; k < steps; k++) {
        size_t i = rnd() % S;
        t_op(t, OP_FREE, i, 0);
        t_op(t, OP_ALLOC, i, rnd_log(16, 65536));
    }
    for (size_t i = 0; i < S; i++)
        t_op(t, OP_FREE, i, 0);
}

/* realloc growth: 64 blocks grow side by side, each from 16 B doubling
 * up to a log-uniform target of 256 B - 256 KiB, then 200 steps of +16 B,
 * then freed and started again. */
static void w_realloc(struct trace *t)
{
    const size_t S = 64, total = 700000;
    t_init(t, total + 2 * S + 64, S);
    uint32_t target[64], steps[64];
    for (size_t i = 0; i < S; i++) {
        t_op(t, OP_ALLOC, i, 16);
        target[i] = rnd_log(256, 262144);
        steps[i] = 0;
    }
    while (t->nops < total) {
        size_t i = rnd() % S;
        uint32_t n = t->slot_size[i];
        if (n < target[i]) {
            t_op(t, OP_REALLOC, i, n * 2 > target[i] ? target[i] : n * 2);
        } else if (steps[i] < 200) {
            t_op(t, OP_REALLOC, i, n + 16);
            steps[i]++;
        } else {
            t_op(t, OP_FREE, i, 0);
            t_op(t, OP_ALLOC, i, 16);
            target[i] = rnd_log(256, 262144);
            steps[i] = 0;
        }
    }
    for (size_t i = 0; i < S; i++)
        t_op(t, OP_FREE, i, 0);
}

/* LIFO / FIFO batches: 100,000 blocks of 16-256 B, then all freed in
 * reverse / allocation order; 5 batches. */
static void w_batch(struct trace *t, int fifo)
{
    const size_t N = 100000, R = 5;
    t_init(t, 2 * N * R, N);
    for (size_t r = 0; r < R; r++) {
        for (size_t i = 0; i < N; i++)
            t_op(t, OP_ALLOC, i, rnd_range(16, 256));
        for (size_t i = 0; i < N; i++)
            t_op(t, OP_FREE, fifo ? i : N - 1 - i, 0);
    }
}
static void w_lifo(struct trace *t) { w_batch(t, 0); }
static void w_fifo(struct trace *t) { w_batch(t, 1); }

/* fragmentation: 100,000 blocks of 16-64 B; then 6 rounds of: free every
 * other live block (in allocation order), then allocate blocks twice as
 * large as the round before until the live bytes are back where they
 * started.  Holes are too small for the newcomers unless neighbours
 * merge. */
static void w_frag(struct trace *t)
{
    const size_t N = 100000, ROUNDS = 6, S = 400000;
    t_init(t, 1200000, S);
    size_t *order = big_alloc(S * sizeof *order), nlive = 0, next = 0;
    for (size_t i = 0; i < N; i++) {
        t_op(t, OP_ALLOC, next, rnd_range(16, 64));
        order[nlive++] = next++;
    }
    size_t want = t->live;
    uint32_t lo = 32, hi = 128;
    for (size_t r = 0; r < ROUNDS; r++) {
        size_t keep = 0;
        for (size_t k = 0; k < nlive; k++) {
            if (k % 2 == 0)
                t_op(t, OP_FREE, order[k], 0);
            else
                order[keep++] = order[k];
        }
        nlive = keep;
        while (t->live < want && next < S) {
            t_op(t, OP_ALLOC, next, rnd_range(lo, hi));
            order[nlive++] = next++;
        }
        lo *= 2;
        hi *= 2;
    }
    for (size_t k = 0; k < nlive; k++)
        t_op(t, OP_FREE, order[k], 0);
    munmap(order, S * sizeof *order);
}

/* malloc + immediate free: 2,500,000 pairs of 16-256 B */
static void w_pairs(struct trace *t)
{
    const size_t P = 2500000;
    t_init(t, 2 * P, 1);
    for (size_t k = 0; k < P; k++) {
        t_op(t, OP_ALLOC, 0, rnd_range(16, 256));
        t_op(t, OP_FREE, 0, 0);
    }
}

struct workload {
    const char *name;
    void (*make)(struct trace *);
};
static const struct workload workloads[] = {
    { "small_churn", w_small_churn }, { "mixed", w_mixed }, { "realloc_growth", w_realloc },
    { "lifo_100k", w_lifo },          { "fifo_100k", w_fifo }, { "fragmentation", w_frag },
    { "malloc_free_pairs", w_pairs },
};
#define NWORK (sizeof workloads / sizeof *workloads)

/* ------------------------------------------------------------------ */
/* Allocators                                                          */
/* ------------------------------------------------------------------ */
#if BENCH_IMPL == 1
#include "heapapi.h"
static HANDLE heap;
static DWORD call_flags;
static const char *impl_name = "project";
static void a_init(const char *variant)
{
    if (variant && !strcmp(variant, "noserialize")) {
        heap = HeapCreate(0, 0, 0); /* the front end; every call without the lock */
        call_flags = HEAP_NO_SERIALIZE;
    } else if (variant && !strcmp(variant, "standard")) {
        heap = HeapCreate(HEAP_NO_SERIALIZE, 0, 0); /* no front end (Windows: none on such heaps) */
    } else {
        heap = GetProcessHeap();
    }
    if (!heap)
        exit(2);
}
static inline void *a_alloc(size_t n) { return HeapAlloc(heap, call_flags, n); }
static inline void *a_realloc(void *p, size_t n) { return HeapReAlloc(heap, call_flags, p, n); }
static inline void a_free(void *p) { HeapFree(heap, call_flags, p); }
static size_t a_committed_peak(void) { return heap_host_committed_peak(); }
static size_t a_committed_now(void) { return heap_host_committed_bytes(); }
static void a_reset_peak(void) { heap_host_reset_peak(); }
static unsigned long long a_os_ns(void) { return heap_host_os_ns(); }
#elif BENCH_IMPL == 5
#include "heapapi.h"
#include "crt_host.h"
static const char *impl_name = "project_crt";
static void a_init(const char *variant) { (void)variant; }
static inline void *a_alloc(size_t n) { return crt_malloc(n); }
static inline void *a_realloc(void *p, size_t n) { return crt_realloc(p, n); }
static inline void a_free(void *p) { crt_free(p); }
static size_t a_committed_peak(void) { return heap_host_committed_peak(); }
static size_t a_committed_now(void) { return heap_host_committed_bytes(); }
static void a_reset_peak(void) { heap_host_reset_peak(); }
static unsigned long long a_os_ns(void) { return heap_host_os_ns(); }
#elif BENCH_IMPL == 2 || BENCH_IMPL == 3
#if BENCH_IMPL == 3
#include <jemalloc/jemalloc.h>
static const char *impl_name = "jemalloc";
static void a_init(const char *variant)
{
    const char *v = NULL;
    size_t sz = sizeof v;
    (void)variant;
    if (mallctl("version", &v, &sz, NULL, 0) || !v) { /* proves malloc is jemalloc's */
        fprintf(stderr, "jemalloc not linked\n");
        exit(2);
    }
}
#else
static const char *impl_name = "glibc";
static void a_init(const char *variant) { (void)variant; }
#endif
static inline void *a_alloc(size_t n) { return malloc(n); }
static inline void *a_realloc(void *p, size_t n) { return realloc(p, n); }
static inline void a_free(void *p) { free(p); }
#elif BENCH_IMPL == 4
#include <mimalloc.h>
static const char *impl_name = "mimalloc";
static void a_init(const char *variant) { (void)variant; }
static inline void *a_alloc(size_t n) { return mi_malloc(n); }
static inline void *a_realloc(void *p, size_t n) { return mi_realloc(p, n); }
static inline void a_free(void *p) { mi_free(p); }
#else
#error "BENCH_IMPL"
#endif
#if BENCH_IMPL != 1 && BENCH_IMPL != 5
static size_t a_committed_peak(void) { return 0; }
static size_t a_committed_now(void) { return 0; }
static void a_reset_peak(void) {}
static unsigned long long a_os_ns(void) { return 0; }
#endif

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t v = 0, n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, n))
            v = strtoull(line + n, NULL, 10);
    if (f)
        fclose(f);
    return v * 1024;
}
static void reset_hwm(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static inline void touch_pages(unsigned char *p, size_t from, size_t to)
{
    for (size_t i = from; i < to; i += 4096)
        p[i] = 1;
    if (to > from)
        p[to - 1] = 1;
}

static double tsc_ns_per_tick;
static void tsc_calibrate(void)
{
    uint64_t t0 = now_ns(), c0 = __builtin_ia32_rdtsc();
    while (now_ns() - t0 < 20000000)
        ;
    tsc_ns_per_tick = (double)(now_ns() - t0) / (double)(__builtin_ia32_rdtsc() - c0);
}

static void run_time(const struct trace *t, void **slots)
{
    uint64_t t0 = now_ns();
    for (size_t k = 0; k < t->nops; k++) {
        const struct op *o = &t->ops[k];
        switch (o->kind) {
        case OP_ALLOC: {
            void *p = a_alloc(o->size);
            *(volatile uint64_t *)p = k;
            slots[o->slot] = p;
            break;
        }
        case OP_FREE:
            a_free(slots[o->slot]);
            break;
        default: {
            void *p = a_realloc(slots[o->slot], o->size);
            *(volatile uint64_t *)p = k;
            slots[o->slot] = p;
            break;
        }
        }
    }
    uint64_t dt = now_ns() - t0;
    printf("ns_per_op %.3f\n", (double)dt / (double)t->nops);
}

static void run_mem(const struct trace *t, void **slots, size_t *cur, const char *times_path)
{
    uint32_t *times = big_alloc(t->nops * sizeof *times);
    size_t rss0 = status_kb("VmRSS:"), c0 = a_committed_now();
    reset_hwm();
    a_reset_peak();
    uint64_t worst = 0, worst_excl = 0;
    for (size_t k = 0; k < t->nops; k++) {
        const struct op *o = &t->ops[k];
        unsigned long long os0 = a_os_ns();
        uint64_t c_0 = __builtin_ia32_rdtsc();
        void *p = NULL;
        switch (o->kind) {
        case OP_ALLOC:
            p = a_alloc(o->size);
            break;
        case OP_FREE:
            a_free(slots[o->slot]);
            break;
        default:
            p = a_realloc(slots[o->slot], o->size);
            break;
        }
        uint64_t dt = (uint64_t)((double)(__builtin_ia32_rdtsc() - c_0) * tsc_ns_per_tick);
        uint64_t os = a_os_ns() - os0;
        uint64_t dx = dt - (os < dt ? os : dt);
        if (dt > worst)
            worst = dt;
        if (dx > worst_excl)
            worst_excl = dx;
        times[k] = dx > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)dx;
        if (o->kind == OP_ALLOC) {
            touch_pages(p, 0, o->size);
            cur[o->slot] = o->size;
            slots[o->slot] = p;
        } else if (o->kind == OP_REALLOC) {
            touch_pages(p, cur[o->slot] < o->size ? cur[o->slot] : o->size, o->size);
            cur[o->slot] = o->size;
            slots[o->slot] = p;
        }
    }
    size_t hwm = status_kb("VmHWM:");
    size_t committed = a_committed_peak() > c0 ? a_committed_peak() - c0 : 0;
    if (times_path) {
        FILE *f = fopen(times_path, "wb");
        if (!f || fwrite(times, sizeof *times, t->nops, f) != t->nops)
            exit(2);
        fclose(f);
    }
    printf("worst_ns %llu worst_excl_ns %llu rss_delta %zu committed_delta %zu peak_live %zu nops %zu\n",
           (unsigned long long)worst, (unsigned long long)worst_excl, hwm > rss0 ? hwm - rss0 : 0,
           committed, t->peak_live, t->nops);
}

/* ------------------------------------------------------------------ */
/* Two threads                                                         */
/* ------------------------------------------------------------------ */

/* mt_independent: each of two threads runs a churn of its own (4,000
 * slots of 16-256 B, 1,000,000 free + allocate steps) at the same time.
 * mt_prodcons: a producer allocates 1,000,000 blocks of 16-256 B and
 * hands them through a ring to a consumer that writes and frees them:
 * every block freed by the other thread.  Both print ns per call, wall
 * time over the calls of both threads. */
#define MT_STEPS 1000000
#define MT_SLOTS 4000
#define MT_RING 4096

static uint64_t mt_rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void *mt_churn(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg;
    void **slot = big_alloc(MT_SLOTS * sizeof *slot);
    for (size_t i = 0; i < MT_SLOTS; i++) {
        slot[i] = a_alloc(16 + mt_rnd(&s) % 241);
        *(volatile uint64_t *)slot[i] = i;
    }
    for (size_t k = 0; k < MT_STEPS; k++) {
        size_t i = mt_rnd(&s) % MT_SLOTS;
        a_free(slot[i]);
        slot[i] = a_alloc(16 + mt_rnd(&s) % 241);
        *(volatile uint64_t *)slot[i] = k;
    }
    for (size_t i = 0; i < MT_SLOTS; i++)
        a_free(slot[i]);
    munmap(slot, MT_SLOTS * sizeof *slot);
    return NULL;
}

struct mt_ring {
    void *slot[MT_RING];
    volatile uint64_t head __attribute__((aligned(64))); /* the producer's */
    volatile uint64_t tail __attribute__((aligned(64))); /* the consumer's */
};

/* Wait a little for the other thread, then give up the CPU (the machine
 * may have fewer free CPUs than threads). */
static void mt_wait(unsigned *spins)
{
    if (++*spins < 64) {
        __builtin_ia32_pause();
    } else {
        *spins = 0;
        sched_yield();
    }
}

static void *mt_producer(void *arg)
{
    struct mt_ring *r = arg;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    unsigned spins = 0;
    for (uint64_t k = 0; k < MT_STEPS; k++) {
        while (k - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= MT_RING)
            mt_wait(&spins);
        void *p = a_alloc(16 + mt_rnd(&s) % 241);
        *(volatile uint64_t *)p = k;
        r->slot[k % MT_RING] = p;
        __atomic_store_n(&r->head, k + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void *mt_consumer(void *arg)
{
    struct mt_ring *r = arg;
    unsigned spins = 0;
    for (uint64_t k = 0; k < MT_STEPS; k++) {
        while (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) <= k)
            mt_wait(&spins);
        void *p = r->slot[k % MT_RING];
        *(volatile uint64_t *)p += 1;
        a_free(p);
        __atomic_store_n(&r->tail, k + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

/* Run two-thread workload `name`; 0 if there is none such. */
static int run_mt(const char *name)
{
    pthread_t a, b;
    static struct mt_ring ring;
    uint64_t t0 = now_ns(), calls;
    if (!strcmp(name, "mt_independent")) {
        pthread_create(&a, NULL, mt_churn, (void *)(uintptr_t)0x2545F4914F6CDD1Dull);
        pthread_create(&b, NULL, mt_churn, (void *)(uintptr_t)0x9E3779B97F4A7C15ull);
        calls = 2 * (2 * MT_STEPS + 2 * MT_SLOTS);
    } else if (!strcmp(name, "mt_prodcons")) {
        pthread_create(&a, NULL, mt_producer, &ring);
        pthread_create(&b, NULL, mt_consumer, &ring);
        calls = 2 * MT_STEPS;
    } else {
        return 0;
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("ns_per_op %.3f\n", (double)(now_ns() - t0) / (double)calls);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s time|mem WORKLOAD [VARIANT|-] [TIMES_FILE]\n", argv[0]);
        return 2;
    }
    if (!strncmp(argv[2], "mt_", 3)) {
        a_init(argc > 3 && strcmp(argv[3], "-") ? argv[3] : NULL);
        return run_mt(argv[2]) ? 0 : 2;
    }
    const struct workload *w = NULL;
    for (size_t i = 0; i < NWORK; i++)
        if (!strcmp(workloads[i].name, argv[2]))
            w = &workloads[i];
    if (!w)
        return 2;
    struct trace t;
    rs = 0x2545F4914F6CDD1Dull; /* the same trace for every allocator */
    w->make(&t);
    void **slots = big_alloc(t.nslots * sizeof *slots);
    size_t *cur = big_alloc(t.nslots * sizeof *cur);
    if (!strcmp(argv[1], "op") && argc > 3) { /* debugging: what op k of the trace is */
        size_t k = strtoull(argv[3], NULL, 0);
        if (k < t.nops)
            printf("op %zu: kind %u slot %u size %u\n", k, t.ops[k].kind, t.ops[k].slot, t.ops[k].size);
        return 0;
    }
    const char *variant = argc > 3 && strcmp(argv[3], "-") ? argv[3] : NULL;
    a_init(variant);
    (void)impl_name;
    if (!strcmp(argv[1], "time")) {
        run_time(&t, slots);
    } else {
        tsc_calibrate();
        run_mem(&t, slots, cur, argc > 4 ? argv[4] : NULL);
    }
    return 0;
}
