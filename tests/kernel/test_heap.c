/* The heap engine inside the kernel: the kernel heap serves kernel
 * objects, and a serialized heap stays consistent while four preemptible
 * threads hammer it (HeapLock semantics with a real, contended lock).
 * The front end's cases are in test_heap_lfh.c. */
#include "tests/ktest.h"
#include "mm/heap/heap.h"
#include "mm/kheap.h"
#include "kernel/thread.h"
#include <winnt.h>
#include <string.h>

#define THREADS 4
#define OPS_PER_THREAD 100000
#define SLOTS 64

static void kheap_serves_kernel_objects(struct ktest *t)
{
    struct heap_stats before, during, after;

    heap_get_stats(kheap(), &before);
    uint8_t *p = kmalloc(100), *q = kzalloc(5000);
    ASSERT_TRUE(t, p != NULL && q != NULL);
    EXPECT_EQ(t, (uint32_t)p % 8, 0);
    EXPECT_EQ(t, heap_size(kheap(), 0, p), 100);
    for (int i = 0; i < 5000; i++)
        if (q[i] != 0)
            ktest_fail_msg(t, __FILE__, __LINE__, "kzalloc byte %d is %u", i, q[i]);
    memset(p, 0xAB, 100);
    heap_get_stats(kheap(), &during);
    EXPECT_EQ(t, during.in_use, before.in_use + 5100);
    kfree(p);
    kfree(q);
    kfree(NULL);
    heap_get_stats(kheap(), &after);
    EXPECT_EQ(t, after.in_use, before.in_use);
    EXPECT_EQ(t, heap_check(kheap()), 0);
}

struct worker {
    struct heap *heap;
    uint32_t seed;
    uint32_t ops, failures;
    void *slot[SLOTS];
    uint32_t size[SLOTS];
    uint8_t tag[SLOTS];
};

static uint32_t worker_random(struct worker *w)
{
    w->seed ^= w->seed << 13;
    w->seed ^= w->seed >> 17;
    w->seed ^= w->seed << 5;
    return w->seed;
}

/* Every block is filled with a tag byte; a block that does not hold its
 * tag when freed or resized means two threads got the same memory. */
static bool block_intact(const uint8_t *p, uint32_t n, uint8_t tag)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != tag)
            return false;
    return true;
}

static void heap_worker(void *arg)
{
    struct worker *w = arg;

    for (w->ops = 0; w->ops < OPS_PER_THREAD; w->ops++) {
        uint32_t r = worker_random(w), i = r % SLOTS;
        uint32_t n = 1 + (worker_random(w) % ((r & 0x100) ? 4000 : 200));
        if (w->slot[i] != NULL && !block_intact(w->slot[i], w->size[i] < 32 ? w->size[i] : 32, w->tag[i]))
            w->failures++;
        if (w->slot[i] == NULL) {
            w->slot[i] = heap_alloc(w->heap, 0, n, NULL);
            w->size[i] = n;
        } else if (r & 0x200) {
            void *q = heap_realloc(w->heap, 0, w->slot[i], n, NULL);
            if (q != NULL) {
                w->slot[i] = q;
                w->size[i] = n;
            }
        } else {
            w->failures += !heap_free(w->heap, 0, w->slot[i], NULL);
            w->slot[i] = NULL;
            continue;
        }
        if (w->slot[i] == NULL) {
            w->failures++;
            continue;
        }
        w->tag[i] = (uint8_t)(r >> 24);
        memset(w->slot[i], w->tag[i], w->size[i] < 32 ? w->size[i] : 32);
    }
}

static struct worker workers[THREADS];

static void heap_serialized_under_preemption(struct ktest *t)
{
    struct thread *th[THREADS];
    uint32_t preempt0 = thread_preemptions();
    struct heap *h = heap_create(0, 0, 0, NULL);
    ASSERT_TRUE(t, h != NULL);

    for (int i = 0; i < THREADS; i++) {
        memset(&workers[i], 0, sizeof(workers[i]));
        workers[i].heap = h;
        workers[i].seed = ktest_random() | 1;
        th[i] = thread_create("heap worker", heap_worker, &workers[i]);
        ASSERT_TRUE(t, th[i] != NULL);
    }
    for (int i = 0; i < THREADS; i++)
        thread_join(th[i]);
    ktest_log("%d threads x %d operations, %u preemptions", THREADS, OPS_PER_THREAD,
              thread_preemptions() - preempt0);
    EXPECT_GT(t, thread_preemptions(), preempt0);
    EXPECT_TRUE(t, heap_validate(h, 0, NULL));
    EXPECT_EQ(t, heap_check(h), 0);
    /* Every block is accounted for: the heap holds exactly the live ones. */
    struct heap_stats s;
    uint32_t live = 0, bytes = 0;
    for (int i = 0; i < THREADS; i++) {
        EXPECT_EQ(t, workers[i].failures, 0);
        for (int j = 0; j < SLOTS; j++)
            if (workers[i].slot[j] != NULL) {
                live++;
                bytes += workers[i].size[j];
                EXPECT_EQ(t, heap_size(h, 0, workers[i].slot[j]), workers[i].size[j]);
            }
    }
    heap_get_stats(h, &s);
    EXPECT_EQ(t, s.busy_blocks + s.large_blocks, live);
    EXPECT_EQ(t, s.in_use, bytes);
    heap_destroy(h);
}

static const struct ktest_case heap_cases[] = {
    KTEST_CASE(kheap_serves_kernel_objects),
    KTEST_CASE(heap_serialized_under_preemption),
    KTEST_END,
};

/* The front end's cases: tests/kernel/test_heap_lfh.c. */
extern const struct ktest_case test_heap_lfh_cases[];
static const struct ktest_case *const heap_parts[] = { heap_cases, test_heap_lfh_cases, NULL };

static const struct ktest_suite heap_suite = { .name = "heap", .parts = heap_parts };
KTEST_SUITE(heap_suite);
