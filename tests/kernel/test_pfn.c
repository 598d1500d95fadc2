/* The page lists of mm/pfn.c (issue 16, point 1): frames handed out from
 * the zeroed list and frames the demand-zero path clears itself are all
 * zero, word by word; a frame freed with data never reaches a new owner
 * with it; the lists stay consistent and give their frames back to the
 * buddy allocator; and the zero page thread (the idle thread) never gets
 * a turn while another thread is runnable, counted by the scheduler. */
#include "tests/ktest.h"
#include "mm/pfn.h"
#include "mm/pmm.h"
#include "mm/paging.h"
#include "mm/virtual.h"
#include "mm/memlayout.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
#include "kernel/arch/timer.h"
#include "kernel/base/panic.h"
#include "mm/pager.h"
#include "mm/vm_private.h"

/* The demand-zero fault takes a frame from the lists itself while more
 * than VM_FRAMES_PLENTY are free, without asking the pager: the same as
 * the pager's take_frame only if the pager never reclaims above that. */
_Static_assert(PAGER_LOW <= VM_FRAMES_PLENTY, "the fault's direct path must not skip a reclaim");

#define BATCH 32
#define JUNK 0xA5C3F00Du
#define SPIN_TICKS 20               /* the spinner's run: 20 timer ticks */
#define WAIT_TICKS 5000

/* Frames freshly allocated and filled with junk, as a process leaves them. */
static void take_junk(paddr_t *f, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        f[i] = pmm_alloc();
        ASSERT(f[i] != PMM_NONE);
        uint32_t *p = paging_temp_map(f[i]);
        for (uint32_t w = 0; w < PAGE_SIZE / 4; w++)
            p[w] = JUNK ^ w;
        paging_temp_unmap(p);
    }
}

/* Words of the frame that are not 0. */
static uint32_t nonzero_words(paddr_t f)
{
    const uint32_t *p = paging_temp_map(f);
    uint32_t n = 0;
    for (uint32_t w = 0; w < PAGE_SIZE / 4; w++)
        n += p[w] != 0;
    paging_temp_unmap((void *)p);
    return n;
}

static void pfn_zeroed_list_is_zero(struct ktest *t)
{
    paddr_t f[BATCH];
    struct pfn_stats before, after;

    take_junk(f, BATCH);
    for (uint32_t i = 0; i < BATCH; i++)
        pfn_release(f[i]);
    pfn_get_stats(&before);
    ASSERT_TRUE(t, before.free >= BATCH);
    /* The zero thread's work, run here: the junk frames move to the zeroed list. */
    for (uint32_t guard = 0; guard < before.free + PFN_ZEROED_TARGET && pfn_zero_step(); guard++)
        ;
    pfn_get_stats(&after);
    EXPECT_EQ(t, after.free, 0);
    EXPECT_GE(t, after.zeroed, BATCH);
    EXPECT_GE(t, after.zeroed_by_thread - before.zeroed_by_thread, BATCH);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < BATCH; i++) {
        f[i] = pfn_take_zeroed();
        ASSERT_TRUE(t, f[i] != PMM_NONE);
        bad += nonzero_words(f[i]);
    }
    EXPECT_EQ(t, bad, 0);
    pfn_get_stats(&after);
    EXPECT_EQ(t, after.taken_zeroed - before.taken_zeroed, BATCH);
    for (uint32_t i = 0; i < BATCH; i++)
        pfn_release(f[i]);
    EXPECT_EQ(t, pfn_validate(), 0);
}

/* Zeroed list empty, free list full of junk: the taker clears them itself. */
static void pfn_empty_list_clears_itself(struct ktest *t)
{
    paddr_t f[BATCH], g[BATCH];
    struct pfn_stats before, after;

    pfn_flush();
    take_junk(f, BATCH);
    for (uint32_t i = 0; i < BATCH; i++)
        pfn_release(f[i]);
    pfn_get_stats(&before);
    EXPECT_EQ(t, before.zeroed, 0);
    uint32_t bad = 0, reused = 0;
    for (uint32_t i = 0; i < BATCH; i++) {
        g[i] = pfn_take_zeroed();
        ASSERT_TRUE(t, g[i] != PMM_NONE);
        bad += nonzero_words(g[i]);
        for (uint32_t j = 0; j < BATCH; j++)
            reused += g[i] == f[j];
    }
    EXPECT_EQ(t, bad, 0);
    EXPECT_EQ(t, reused, BATCH);            /* the junk frames themselves, cleared */
    pfn_get_stats(&after);
    EXPECT_EQ(t, after.taken_cleared - before.taken_cleared, BATCH);
    EXPECT_EQ(t, after.taken_zeroed, before.taken_zeroed);
    for (uint32_t i = 0; i < BATCH; i++)
        pfn_release(g[i]);
    EXPECT_EQ(t, pfn_validate(), 0);
}

/* Through the VM layer: pages written, decommitted (their frames to the
 * free list) and committed again read as zero, with the zeroed list full
 * and with it empty (the fault path clearing the stale frame itself). */
static void pfn_fault_never_shows_stale_data(struct ktest *t)
{
    for (int empty = 0; empty < 2; empty++) {
        uint32_t *p = VirtualAlloc(NULL, BATCH * PGSIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        ASSERT_TRUE(t, p != NULL);
        for (uint32_t w = 0; w < BATCH * PGSIZE / 4; w++)
            p[w] = JUNK ^ w;
        if (empty)
            pfn_flush();
        ASSERT_TRUE(t, VirtualFree(p, BATCH * PGSIZE, MEM_DECOMMIT));
        if (!empty)
            pfn_zero_until(PFN_ZEROED_TARGET);
        struct pfn_stats before, after;
        pfn_get_stats(&before);
        ASSERT_TRUE(t, VirtualAlloc(p, BATCH * PGSIZE, MEM_COMMIT, PAGE_READWRITE) == p);
        uint32_t bad = 0;
        for (uint32_t w = 0; w < BATCH * PGSIZE / 4; w++)
            bad += p[w] != 0;
        pfn_get_stats(&after);
        EXPECT_EQ(t, bad, 0);
        if (empty)
            EXPECT_EQ(t, after.taken_cleared - before.taken_cleared, BATCH);
        else
            EXPECT_GE(t, after.taken_zeroed - before.taken_zeroed, BATCH / 2);
        ASSERT_TRUE(t, VirtualFree(p, 0, MEM_RELEASE));
    }
    EXPECT_EQ(t, pfn_validate(), 0);
}

/* The lists give everything back to the buddy allocator, and a frame on
 * a list is never also counted free there. */
static void pfn_flush_returns_frames(struct ktest *t)
{
    paddr_t f[BATCH];

    take_junk(f, BATCH);
    for (uint32_t i = 0; i < BATCH; i++)
        pfn_release(f[i]);
    pfn_zero_until(PFN_ZEROED_TARGET);
    uint32_t total = pmm_free_count() + pfn_list_frames();
    uint32_t listed = pfn_list_frames();
    ASSERT_TRUE(t, listed >= BATCH);
    EXPECT_EQ(t, pfn_flush(), listed);
    EXPECT_EQ(t, pfn_list_frames(), 0);
    EXPECT_EQ(t, pmm_free_count(), total);
    EXPECT_EQ(t, pfn_validate(), 0);
}

/* ---- the zero thread and the scheduler ---- */

static volatile uint32_t spin_idle_turns, spin_zeroed, spin_ticks;

static void cpu_bound(void *arg)
{
    (void)arg;
    struct pfn_stats s0, s1;
    uint32_t idle0 = thread_idle_turns();
    pfn_get_stats(&s0);
    uint64_t start = timer_ticks();
    while (timer_ticks() < start + SPIN_TICKS)
        ;                               /* runnable all along, preempted by every tick */
    pfn_get_stats(&s1);
    spin_idle_turns = thread_idle_turns() - idle0;
    spin_zeroed = s1.zeroed_by_thread - s0.zeroed_by_thread;
    spin_ticks = (uint32_t)(timer_ticks() - start);
}

static void pfn_zero_thread_never_delays_a_runnable_thread(struct ktest *t)
{
    paddr_t f[BATCH];

    /* Work for the zero thread: junk frames on the free list. */
    take_junk(f, BATCH);
    for (uint32_t i = 0; i < BATCH; i++)
        pfn_release(f[i]);
    spin_idle_turns = spin_zeroed = 0xFFFFFFFFu;
    struct thread *th = thread_create("cpu-bound", cpu_bound, NULL);
    ASSERT_TRUE(t, th != NULL);
    thread_join(th);                    /* this thread waits: only the spinner is ready */
    EXPECT_GE(t, spin_ticks, SPIN_TICKS);
    EXPECT_EQ(t, spin_idle_turns, 0);
    EXPECT_EQ(t, spin_zeroed, 0);
    /* The counters do move once nothing is runnable: this thread sleeps,
     * the idle thread gets its turn and clears the junk frames. */
    struct pfn_stats s0, s1;
    uint32_t idle0 = thread_idle_turns();
    pfn_get_stats(&s0);
    ASSERT_TRUE(t, s0.free >= BATCH);
    for (uint32_t i = 0; i < WAIT_TICKS; i++) {
        wait_for_objects(NULL, 0, false, 2, WAIT_REASON_DELAY);
        pfn_get_stats(&s1);
        if (s1.free == 0)
            break;
    }
    EXPECT_GT(t, thread_idle_turns(), idle0);
    EXPECT_GE(t, s1.zeroed_by_thread - s0.zeroed_by_thread, BATCH);
    EXPECT_EQ(t, s1.free, 0);
    ktest_log("spinner: %u ticks, %u idle turns, %u pages zeroed; asleep: %u idle turns, "
              "%u pages zeroed", spin_ticks, spin_idle_turns, spin_zeroed,
              thread_idle_turns() - idle0, s1.zeroed_by_thread - s0.zeroed_by_thread);
    EXPECT_EQ(t, pfn_validate(), 0);
}

static const struct ktest_case pfn_cases[] = {
    KTEST_CASE(pfn_zeroed_list_is_zero),
    KTEST_CASE(pfn_empty_list_clears_itself),
    KTEST_CASE(pfn_fault_never_shows_stale_data),
    KTEST_CASE(pfn_flush_returns_frames),
    KTEST_CASE(pfn_zero_thread_never_delays_a_runnable_thread),
    KTEST_END,
};

static const struct ktest_suite pfn_suite = { .name = "pfn", .cases = pfn_cases };
KTEST_SUITE(pfn_suite);
