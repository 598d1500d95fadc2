/* Kernel-heap throughput on several CPUs (issue 17 point 5): small-block
 * kmalloc / kfree by one thread on one CPU, then by two threads on two
 * CPUs at once, each pinned to its CPU.  Booted by `make bench` with
 * -smp 2 under multi-threaded TCG and no -icount (which would run the
 * CPUs in turn), so the TSC is host time: the figures are operations per
 * million TSC ticks on this machine, and the ratio of the two rates says
 * how much of a second CPU the heap lets a second thread use (2.00: no
 * contention at all; 1.00: the threads only take turns).  Booted twice:
 * with the per-thread caches (the default on two CPUs) and with heap=notc,
 * where every call takes the one heap lock.
 *
 * Named "smpheap" so that the one-CPU instruction boot (bench=...,heap)
 * does not run it. */
#include "tests/bench/kbench.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/percpu.h"
#include "kernel/base/x86.h"
#include "mm/kheap.h"
#include <stdbool.h>
#include <ntstatus.h>

#define BATCH 16                    /* blocks allocated, then freed, per round */
#define ROUNDS 6000                 /* per thread: 192,000 calls */
#define REPEATS 5                   /* median of */

struct run {
    bool no_heap;                   /* the ceiling: the same loop's shape, no heap call */
    volatile uint32_t go, done;
    uint64_t start[2], end[2];
};

static void worker(void *arg)
{
    struct run *r = arg;
    uint32_t me = cpu_index();
    void *blk[BATCH];
    while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
    r->start[me] = rdtsc();
    if (r->no_heap) {
        /* Private work only, about as many guest instructions as the
         * heap's rounds: what the machine lets two CPUs do at once. */
        volatile uint32_t sink = 0;
        for (int i = 0; i < ROUNDS * BATCH * 2; i++)
            for (int k = 0; k < 12; k++)
                sink = sink * 33u + (uint32_t)k;
        r->end[me] = rdtsc();
        __atomic_add_fetch(&r->done, 1, __ATOMIC_RELEASE);
        return;
    }
    for (int i = 0; i < ROUNDS; i++) {
        for (int k = 0; k < BATCH; k++) {
            blk[k] = kmalloc(16 + 16 * (uint32_t)(k % 8));
            if (blk[k] != NULL)
                *(volatile uint32_t *)blk[k] = (uint32_t)k;
        }
        for (int k = 0; k < BATCH; k++)
            kfree(blk[k]);
    }
    r->end[me] = rdtsc();
    __atomic_add_fetch(&r->done, 1, __ATOMIC_RELEASE);
}

/* n threads, thread i pinned to CPU (first + i); returns the TSC ticks
 * from the first start to the last end.  This thread sleeps meanwhile. */
static uint64_t timed_run(uint32_t n, uint32_t first, bool no_heap)
{
    struct run r = { .no_heap = no_heap };
    struct thread *th[2];
    for (uint32_t i = 0; i < n; i++) {
        NTSTATUS st;
        th[i] = thread_alloc("heapbench", worker, &r, &st);
        if (th[i] == NULL)
            return 0;
        thread_set_affinity(th[i], 1u << (first + i));
        thread_set_as_kernel(th[i]);
        thread_start(th[i]);
    }
    wait_for_objects(NULL, 0, false, 5, WAIT_REASON_DELAY);   /* both at their start line */
    __atomic_store_n(&r.go, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&r.done, __ATOMIC_ACQUIRE) != n)
        wait_for_objects(NULL, 0, false, 2, WAIT_REASON_DELAY);
    for (uint32_t i = 0; i < n; i++)
        thread_join(th[i]);
    uint64_t s = r.start[first], e = r.end[first];
    for (uint32_t i = 1; i < n; i++) {
        uint32_t c = first + i;
        s = r.start[c] < s ? r.start[c] : s;
        e = r.end[c] > e ? r.end[c] : e;
    }
    return e - s;
}

static uint64_t median3(uint64_t *v)
{
    for (int i = 1; i < REPEATS; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            uint64_t x = v[j]; v[j] = v[j - 1]; v[j - 1] = x;
        }
    return v[REPEATS / 2];
}

static void bench_heap_smp(void)
{
    if (cpus_online < 2) {
        kprintf("# smpheap: needs 2 CPUs online\n");
        return;
    }
    uint64_t one[REPEATS], two[REPEATS], c1[REPEATS], c2[REPEATS];
    for (int i = 0; i < REPEATS; i++) {
        one[i] = timed_run(1, 1, false);    /* CPU 1 alone (CPU 0: this thread, asleep) */
        two[i] = timed_run(2, 0, false);    /* CPUs 0 and 1 */
        c1[i] = timed_run(1, 1, true);
        c2[i] = timed_run(2, 0, true);
    }
    uint64_t t1 = median3(one), t2 = median3(two), u1 = median3(c1), u2 = median3(c2);
    uint32_t ceiling = (uint32_t)(200ull * u1 / (u2 ? u2 : 1));
    uint64_t calls = 2ull * BATCH * ROUNDS;     /* per thread */
    uint32_t rate1 = (uint32_t)(calls * 1000000ull / (t1 ? t1 : 1));
    uint32_t rate2 = (uint32_t)(2 * calls * 1000000ull / (t2 ? t2 : 1));
    uint32_t ratio = (uint32_t)(200ull * t1 / (t2 ? t2 : 1));  /* x100 */
    kprintf("bench smpheap.1thread_1cpu %u calls/Mtsc\n", rate1);
    kprintf("bench smpheap.2threads_2cpus %u calls/Mtsc\n", rate2);
    kprintf("bench smpheap.2cpus_vs_1cpu %u.%02u x\n", ratio / 100, ratio % 100);
    kprintf("bench smpheap.ceiling_2cpus_vs_1cpu %u.%02u x\n", ceiling / 100, ceiling % 100);
}
KBENCH(b_heap_smp, "smpheap.throughput", bench_heap_smp);
