/* Cases of the smp suite (tests/kernel/test_smp.c lists them) for what
 * threads on several CPUs share: the kernel heap with its per-thread
 * caches (kernel/thread_heap.h, mm/heap_kernel.c), and fault catches,
 * which are per thread (kernel/base/fault_catch.h).  On one CPU they skip. */
#include "tests/ktest.h"
#include "kernel/thread.h"
#include "kernel/thread_heap.h"
#include "kernel/wait.h"
#include "kernel/arch/trap.h"
#include "kernel/base/fault_catch.h"
#include "kernel/base/percpu.h"
#include "mm/kheap.h"
#include "mm/tlb_shootdown.h"
#include <ntstatus.h>

void smp_heap_threads_hammer(struct ktest *t);
void smp_fault_catch_per_thread(struct ktest *t);

/* ---- the kernel heap from every CPU ---------------------------------------- */

#define HAMMER_LIVE 48              /* blocks a worker holds at once */
#define HAMMER_OPS 6000             /* allocations or frees per worker */
#define HAMMER_MAX_THREADS (2 * MAX_CPUS)

struct hammer_block {
    uint32_t tag;                   /* who filled it, and its size */
    uint32_t size;
};

static volatile uint32_t hammer_bad, hammer_nulls, hammer_cpus, hammer_slots_max, hammer_running;
static void *volatile hammer_mailbox[4];   /* blocks handed to another thread to free */
static volatile uint32_t hammer_handed, hammer_taken;

static uint32_t hammer_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Fills every word of a block with its tag (so another thread's write
 * into it, or a block handed out twice, shows). */
static void *hammer_alloc(uint32_t tag, uint32_t size)
{
    uint32_t *p = kmalloc(size);
    if (p == NULL) {
        __atomic_add_fetch(&hammer_nulls, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    p[0] = size;
    for (uint32_t i = 1; i < size / 4; i++)
        p[i] = tag ^ i;
    return p;
}

static void hammer_check_free(uint32_t *p)
{
    uint32_t size = p[0];
    uint32_t tag = size / 4 > 1 ? p[1] ^ 1 : 0;
    if (size < 8 || size > 4096) {
        __atomic_add_fetch(&hammer_bad, 1, __ATOMIC_RELAXED);
        return;                     /* (not freed: its header may be anything) */
    }
    for (uint32_t i = 1; i < size / 4; i++)
        if (p[i] != (tag ^ i)) {
            __atomic_add_fetch(&hammer_bad, 1, __ATOMIC_RELAXED);
            break;
        }
    kfree(p);
}

/* One worker: random sizes (mostly front-end classes, some larger),
 * HAMMER_LIVE live at a time; now and then a block goes through the
 * mailbox to be freed by whichever worker takes it (a free into another
 * thread's cache). */
static void hammer_worker(void *arg)
{
    uint32_t id = (uint32_t)arg, seed = 0x9E3779B9u * (id + 1);
    uint32_t *live[HAMMER_LIVE] = { 0 };
    for (int op = 0; op < HAMMER_OPS; op++) {
        uint32_t r = hammer_rand(&seed), i = r % HAMMER_LIVE;
        if (live[i] != NULL) {
            uint32_t *give = live[i];
            live[i] = NULL;
            if ((r >> 8) % 16 == 0) {
                give = __atomic_exchange_n(&hammer_mailbox[(r >> 12) % 4], give, __ATOMIC_ACQ_REL);
                __atomic_add_fetch(&hammer_handed, 1, __ATOMIC_RELAXED);
            }
            if (give != NULL)
                hammer_check_free(give);
        } else {
            uint32_t size = (r >> 16) % 8 == 0 ? 256 + (r >> 20) % 3000 : 8 + (r >> 20) % 248;
            live[i] = hammer_alloc((id << 24) | (uint32_t)op, size & ~3u);
        }
        if (op % 1024 == 0) {
            __atomic_or_fetch(&hammer_cpus, 1u << cpu_index(), __ATOMIC_RELAXED);
            uint32_t used = thread_heap_slots_used();
            if (used > hammer_slots_max)
                hammer_slots_max = used;
        }
    }
    for (int i = 0; i < HAMMER_LIVE; i++)
        if (live[i] != NULL)
            hammer_check_free(live[i]);
    __atomic_sub_fetch(&hammer_running, 1, __ATOMIC_RELEASE);
}

/* 2N threads, two pinned to each CPU, allocate and free kernel-heap
 * blocks through their own caches (and free each other's), while this
 * thread validates the whole heap now and then (an exclusive hold: the
 * barrier IPI and the wait for every cache to be quiet).  No block is
 * lost, handed out twice or written by another thread, every validation
 * is clean, every slot is given back when the threads are reaped, and
 * the heap's bytes in use are back where they were. */
void smp_heap_threads_hammer(struct ktest *t)
{
    if (cpus_online < 2)
        ktest_skip(t, "fewer CPUs online than the case needs");
    struct tlb_shootdown_stats s0, s1;
    struct thread *th[HAMMER_MAX_THREADS];
    uint32_t n = 2 * cpus_online, validations = 0, invalid = 0;
    size_t in_use0 = kheap_in_use();
    uint32_t slots0 = thread_heap_slots_used();
    uint64_t t0 = sched_now();
    hammer_bad = hammer_nulls = hammer_cpus = hammer_slots_max = hammer_handed = 0;
    hammer_running = n;
    tlb_shootdown_get_stats(&s0);
    for (uint32_t i = 0; i < n; i++) {
        NTSTATUS st;
        ASSERT_TRUE(t, (th[i] = thread_alloc("hammer", hammer_worker, (void *)i, &st)) != NULL);
        thread_set_affinity(th[i], 1u << (i % cpus_online));
        thread_set_as_kernel(th[i]);
        thread_start(th[i]);
    }
    while (__atomic_load_n(&hammer_running, __ATOMIC_ACQUIRE) != 0) {
        wait_for_objects(NULL, 0, false, 4, WAIT_REASON_DELAY);
        if (!heap_validate(kheap(), 0, NULL)) {
            invalid++;
            ktest_log("validation %u failed; heap_check now: %d\n", validations, heap_check(kheap()));
        }
        validations++;
    }
    for (uint32_t i = 0; i < n; i++)
        thread_join(th[i]);
    for (int i = 0; i < 4; i++) {
        uint32_t *p = __atomic_exchange_n(&hammer_mailbox[i], NULL, __ATOMIC_ACQ_REL);
        if (p != NULL)
            hammer_check_free(p);
    }
    tlb_shootdown_get_stats(&s1);
    ktest_log("%u threads x %u operations, CPUs seen %x, %u blocks handed over, %u validations, "
              "%u barriers, %u slots at most, %u ms\n", n, HAMMER_OPS, hammer_cpus, hammer_handed,
              validations, s1.barriers - s0.barriers, hammer_slots_max, (uint32_t)(sched_now() - t0));
    EXPECT_EQ(t, hammer_bad, 0);
    EXPECT_EQ(t, hammer_nulls, 0);
    EXPECT_EQ(t, invalid, 0);
    EXPECT_EQ(t, hammer_cpus, cpus_online_mask);
    EXPECT_GE(t, hammer_slots_max, slots0 + 2);     /* the workers took slots: caches on */
    EXPECT_GT(t, hammer_handed, 0);
    EXPECT_TRUE(t, heap_validate(kheap(), 0, NULL));
    EXPECT_EQ(t, heap_check(kheap()), 0);
    EXPECT_EQ(t, thread_heap_slots_used(), slots0);
    EXPECT_EQ(t, kheap_in_use(), in_use0);
}

/* ---- fault catches on every CPU -------------------------------------------- */

static volatile uint32_t catch_caught, catch_wrong, catch_cpus;

/* A faulting read under a catch; the catch survives blocking (other
 * threads run meanwhile, some with catches of their own) and, the second
 * time, a move to CPU 0 with the catch held. */
static void catch_worker(void *arg)
{
    uint32_t round = (uint32_t)arg;
    volatile uint32_t *bad = (volatile uint32_t *)(0x00400000u + round * 0x1000u + 0x44u);
    for (int pass = 0; pass < 2; pass++) {
        struct fault_record rec;
        uint32_t v = 0;
        volatile uint32_t before = cpu_index();
        CATCH_FAULT(&rec, {
            wait_for_objects(NULL, 0, false, 1, WAIT_REASON_DELAY);
            if (pass == 1)
                thread_set_affinity(thread_current(), 1u);
            v = *bad;
        });
        (void)v;
        __atomic_or_fetch(&catch_cpus, (1u << before) | (1u << cpu_index()), __ATOMIC_RELAXED);
        if (rec.vector == T_PF && rec.cr2 == (uint32_t)bad && fault_catch_top() == NULL)
            __atomic_add_fetch(&catch_caught, 1, __ATOMIC_RELAXED);
        else
            __atomic_add_fetch(&catch_wrong, 1, __ATOMIC_RELAXED);
    }
}

/* Threads on the other CPUs fault under their own catches while this
 * thread holds one (the test runner's): each fault lands in the catch of
 * the thread that faulted, also after it blocked and after it moved to
 * another CPU holding the catch. */
void smp_fault_catch_per_thread(struct ktest *t)
{
    if (cpus_online < 2)
        ktest_skip(t, "fewer CPUs online than the case needs");
    struct fault_catch *mine = fault_catch_top();
    struct thread *th[HAMMER_MAX_THREADS];
    uint32_t n = 2 * (cpus_online - 1);
    catch_caught = catch_wrong = catch_cpus = 0;
    for (uint32_t i = 0; i < n; i++) {
        NTSTATUS st;
        ASSERT_TRUE(t, (th[i] = thread_alloc("catcher", catch_worker, (void *)i, &st)) != NULL);
        thread_set_affinity(th[i], 1u << (1 + i % (cpus_online - 1)));
        thread_set_as_kernel(th[i]);
        thread_start(th[i]);
    }
    for (uint32_t i = 0; i < n; i++)
        thread_join(th[i]);
    EXPECT_EQ(t, catch_caught, 2 * n);
    EXPECT_EQ(t, catch_wrong, 0);
    EXPECT_EQ(t, catch_cpus, cpus_online_mask);
    EXPECT_TRUE(t, fault_catch_top() == mine);      /* this thread's catch untouched */
}

/* ---- a deliberate failure, booted on its own by the harness -------------- */

/* Ends with a catch still pushed: its stack is about to go, so a fault
 * delivered there later would jump into freed memory. */
static void end_holding_catch(void *arg)
{
    static struct fault_catch left;
    (void)arg;
    if (kjmp_set(&left.jmp) == 0)
        fault_catch_push(&left);
}

/* A kernel thread that ends holding a fault catch panics (sched_exit_locked
 * asserts it), naming the thread and the catch. */
static void catch_left_at_thread_exit(struct ktest *t)
{
    struct thread *th = thread_create("leaves catch", end_holding_catch, NULL);
    ASSERT_TRUE(t, th != NULL);
    thread_join(th);
}

static const struct ktest_case catch_misuse_cases[] = {
    KTEST_CASE(catch_left_at_thread_exit),
    KTEST_END,
};

static const struct ktest_suite catch_misuse_suite = {
    .name = "catch_misuse",
    .cases = catch_misuse_cases,
    .explicit_only = true,
};
KTEST_SUITE(catch_misuse_suite);
