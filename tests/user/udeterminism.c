/* A multi-threaded program whose result depends on exactly how its
 * threads were interleaved: 4 threads do seeded amounts of work and log
 * their id under a critical section, preempted by the timer and blocking
 * on each other.  It prints a digest of the log's order.
 *
 * In `make test` it runs once among the other programs (where the digest
 * differs from boot to boot: the tick follows the host's clock), and
 * twice more in boots of its own under -icount (tests/thread_checks.py),
 * where the same seed must give the same digest both times: the timer
 * then ticks at the same instruction counts, so the schedule repeats.
 * That check also requires the threads to have interleaved (owner changes
 * and a contended lock), so that an equal digest means something; here
 * it is only logged, since without -icount a host that runs QEMU in long
 * bursts may leave the threads nearly in turn. */
#include "uthreads.h"
#include <stdio.h>

#define THREADS 4
#define APPENDS 1500
#define LOG_SIZE (THREADS * APPENDS)

static CRITICAL_SECTION log_lock;
static uint8_t log_ids[LOG_SIZE];
static volatile LONG log_len;

static uint32_t xorshift(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static DWORD WINAPI logger(LPVOID arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    uint32_t rng = utest_seed() * (id + 1) + 0x1234567u;
    volatile uint32_t sink = 0;

    for (int i = 0; i < APPENDS; i++) {
        uint32_t work = 100 + xorshift(&rng) % 1500;
        for (uint32_t k = 0; k < work; k++)
            sink += k ^ rng;
        EnterCriticalSection(&log_lock);
        log_ids[log_len] = (uint8_t)id;
        for (uint32_t k = 0; k < work / 8; k++)
            sink += k;                      /* time inside, so threads meet here */
        log_len = log_len + 1;
        LeaveCriticalSection(&log_lock);
    }
    return sink & 0;
}

static void interleaving_digest(struct utest *t)
{
    HANDLE h[THREADS];
    InitializeCriticalSection(&log_lock);
    log_len = 0;
    for (int i = 0; i < THREADS; i++)
        h[i] = start_thread(logger, (LPVOID)(uintptr_t)i);
    for (int i = 0; i < THREADS; i++)
        EXPECT_EQ(t, join_thread(h[i]), 0);
    ASSERT_EQ(t, log_len, LOG_SIZE);
    uint32_t digest = 2166136261u, changes = 0;     /* FNV-1a over the order */
    for (int i = 0; i < LOG_SIZE; i++) {
        digest = (digest ^ log_ids[i]) * 16777619u;
        changes += i > 0 && log_ids[i] != log_ids[i - 1];
    }
    bool met = log_lock.LockSemaphore != NULL;
    DeleteCriticalSection(&log_lock);
    utest_log("determinism: seed=%lu digest=%08lx owner changes=%lu contended=%s", (unsigned long)utest_seed(),
              (unsigned long)digest, (unsigned long)changes, met ? "yes" : "no");
}

static const struct utest_case cases[] = {
    UTEST_CASE(interleaving_digest),
    UTEST_END,
};
static const struct utest_suite suite = { .name = "determinism", .cases = cases };
static const struct utest_suite *const suites[] = { &suite, NULL };

int main(void)
{
    utest_set_seed(13013);
    utest_register_counter("handles", counter_handles);
    return utest_main(suites);
}
