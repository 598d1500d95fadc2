/* Kernel threads: creation and join, preemption by the timer (a thread
 * that never yields still lets others run), and a mutex that keeps a
 * read-modify-write exact while threads are preempted inside it. */
#include "tests/ktest.h"
#include "kernel/thread.h"
#include "kernel/arch/timer.h"

#define WAIT_TICKS 5000             /* 5 s of timer ticks: a hang fails instead */

static volatile uint32_t ran[4];

static void mark_ran(void *arg)
{
    ran[(uint32_t)arg] = thread_id(thread_current());
}

static void threads_run_and_join(struct ktest *t)
{
    struct thread *th[3];

    for (uint32_t i = 0; i < 3; i++) {
        ran[i] = 0;
        th[i] = thread_create("marker", mark_ran, (void *)i);
        ASSERT_TRUE(t, th[i] != NULL);
    }
    for (uint32_t i = 0; i < 3; i++)
        thread_join(th[i]);
    for (uint32_t i = 0; i < 3; i++)
        EXPECT_NE(t, ran[i], 0);
    EXPECT_NE(t, ran[0], ran[1]);
}

static volatile bool spinner_stop;
static volatile uint32_t spinner_count;

static void spinner(void *arg)
{
    (void)arg;
    while (!spinner_stop)
        spinner_count++;
}

static void threads_timer_preempts(struct ktest *t)
{
    uint32_t before = thread_preemptions();
    spinner_stop = false;
    spinner_count = 0;
    struct thread *th = thread_create("spinner", spinner, NULL);
    ASSERT_TRUE(t, th != NULL);
    /* This thread never yields: only a timer preemption lets the spinner run. */
    uint64_t deadline = timer_ticks() + WAIT_TICKS;
    while (spinner_count < 1000 && timer_ticks() < deadline)
        ;
    spinner_stop = true;
    thread_join(th);
    EXPECT_GE(t, spinner_count, 1000);
    EXPECT_GT(t, thread_preemptions(), before);
}

static struct kmutex counter_lock = KMUTEX_INIT;
static volatile uint32_t shared_counter;
#define INCREMENTS 20000

static void incrementer(void *arg)
{
    (void)arg;
    for (int i = 0; i < INCREMENTS; i++) {
        kmutex_lock(&counter_lock);
        uint32_t v = shared_counter;
        for (volatile int d = 0; d < 20; d++)
            ;                       /* widen the window a preemption can hit */
        shared_counter = v + 1;
        kmutex_unlock(&counter_lock);
    }
}

static void threads_mutex_exact_under_preemption(struct ktest *t)
{
    struct thread *th[4];
    uint32_t switches = thread_switches();

    shared_counter = 0;
    counter_lock.contended = 0;
    for (int i = 0; i < 4; i++) {
        th[i] = thread_create("incrementer", incrementer, NULL);
        ASSERT_TRUE(t, th[i] != NULL);
    }
    for (int i = 0; i < 4; i++)
        thread_join(th[i]);
    EXPECT_EQ(t, shared_counter, 4 * INCREMENTS);
    ktest_log("%u context switches, mutex contended %u times",
              thread_switches() - switches, counter_lock.contended);
    /* Preemption did land inside the critical section at least once. */
    EXPECT_GT(t, counter_lock.contended, 0);
}

static const struct ktest_case thread_cases[] = {
    KTEST_CASE(threads_run_and_join),
    KTEST_CASE(threads_timer_preempts),
    KTEST_CASE(threads_mutex_exact_under_preemption),
    KTEST_END,
};

static const struct ktest_suite thread_suite = { .name = "threads", .cases = thread_cases };
KTEST_SUITE(thread_suite);
