/* Issue 19: two pressure workers at once (tests/user/upressure.c's
 * "work" mode), PAIR_MIB each: 2 x 40 = 80 MiB on a 32 MiB machine, so
 * the two processes' working sets push each other out all along (one
 * pass each: the single-process boot makes the repeated passes).  Each
 * checks its own pattern and says how many pages were wrong in its exit
 * code; the paging counters show the traffic.
 *
 * And a third process, the locker (upressure.c's "lock" mode), started
 * the same way before them: LOCK_MIB written with a pattern and
 * VirtualLocked (its working-set minimum raised to hold it), then read
 * in full sweeps, over and over, until the workers are done.  Every
 * locked page stays resident: the process's PageFaultCount does not
 * move across any sweep, and the pattern holds; the page-out counters
 * show that the sweeps went on amid real paging (else the check could
 * not fail).  It says so in a mailbox page of its own (upressure.h),
 * which this process reads with ReadProcessMemory, and in its exit
 * status.  Skips elsewhere. */
#include "utest.h"
#include "upressure.h"
#include <stddef.h>
#include <stdio.h>

#define PAIR_MIB 40u
#define PAIR_PASSES 1u
#define LOCK_MIB 4u
/* Together the workers write 2 x 40 MiB per pass into 32 MiB of RAM: at
 * least the 48 MiB beyond it goes out and comes back, each pass. */
#define PAIR_MIN_PAGED (PAIR_PASSES * 48u * 256u)

static BOOL mailbox_read(PROCESS_INFORMATION *pi, struct up_mailbox *mb)
{
    SIZE_T n = 0;
    return ReadProcessMemory(pi->hProcess, (LPCVOID)UP_MAILBOX, mb, sizeof(*mb), &n) &&
           n == sizeof(*mb);
}

static BOOL mailbox_set(PROCESS_INFORMATION *pi, size_t offset)
{
    uint32_t one = 1;
    SIZE_T n = 0;
    return WriteProcessMemory(pi->hProcess, (LPVOID)(UP_MAILBOX + offset), &one, sizeof(one), &n) &&
           n == sizeof(one);
}

/* Polls the locker's mailbox until the word at `offset` is set (TRUE) or
 * the locker has ended (FALSE): no time limit but the harness's. */
static BOOL mailbox_wait(PROCESS_INFORMATION *pi, size_t offset, struct up_mailbox *mb)
{
    for (;;) {
        if (mailbox_read(pi, mb) && *(uint32_t *)((char *)mb + offset) != 0)
            return TRUE;
        if (WaitForSingleObject(pi->hProcess, 2) == WAIT_OBJECT_0)
            return FALSE;
    }
}

static void two_workers_at_once(struct utest *t)
{
    PROCESS_INFORMATION a, b, l;
    struct up_mailbox mb;
    char args[64];
    if (!up_small_machine())
        utest_skip(t, "a machine of more than 40 MiB or a small page file (pressure-pair@32M runs it)");
    SYSTEM_PERFORMANCE_INFORMATION p0 = up_perf();
    snprintf(args, sizeof(args), "lock %u 0x%x %u %u", LOCK_MIB, UP_MAILBOX, PAIR_MIN_PAGED, 0x10Cu);
    ASSERT_TRUE(t, up_start_worker(args, &l));
    /* The workers start once the locker's pages are locked. */
    BOOL ready = mailbox_wait(&l, offsetof(struct up_mailbox, ready), &mb);
    EXPECT_TRUE(t, ready);
    snprintf(args, sizeof(args), "work %u %u %u", PAIR_MIB, PAIR_PASSES, 0xA0u);
    ASSERT_TRUE(t, up_start_worker(args, &a));
    snprintf(args, sizeof(args), "work %u %u %u", PAIR_MIB, PAIR_PASSES, 0xB0u);
    ASSERT_TRUE(t, up_start_worker(args, &b));
    DWORD ca = up_wait_worker(&a), cb = up_wait_worker(&b);
    SYSTEM_PERFORMANCE_INFORMATION p1 = up_perf();
    EXPECT_EQ(t, ca, 0);                /* no wrong page, the commit succeeded */
    EXPECT_EQ(t, cb, 0);
    uint32_t written = p1.DirtyPagesWriteCount - p0.DirtyPagesWriteCount;
    uint32_t read = p1.PageReadCount - p0.PageReadCount;
    EXPECT_GE(t, written, PAIR_MIN_PAGED);
    EXPECT_GE(t, read, PAIR_MIN_PAGED);
    utest_log("two workers of %u MiB x %u passes: %u pages written in %lu writes, %u read, "
              "%lu soft faults", PAIR_MIB, PAIR_PASSES, written,
              p1.DirtyWriteIoCount - p0.DirtyWriteIoCount, read,
              p1.TransitionCount - p0.TransitionCount);

    /* The locker: one last sweep, its figures, then it unlocks and ends. */
    BOOL finished = FALSE;
    memset(&mb, 0, sizeof(mb));
    if (ready) {
        EXPECT_TRUE(t, mailbox_set(&l, offsetof(struct up_mailbox, stop)));
        finished = mailbox_wait(&l, offsetof(struct up_mailbox, finished), &mb);
        EXPECT_TRUE(t, finished);
        EXPECT_TRUE(t, mailbox_set(&l, offsetof(struct up_mailbox, may_exit)));
    }
    DWORD cl = up_wait_worker(&l);
    EXPECT_EQ(t, cl, 0);
    if (finished) {
        EXPECT_EQ(t, mb.faults, 0);                 /* not one locked page had left */
        EXPECT_EQ(t, mb.bad_pages, 0);
        EXPECT_GE(t, mb.sweeps_after_pageouts, 2);  /* it watched while they paged */
        EXPECT_GE(t, mb.written, PAIR_MIN_PAGED);
        EXPECT_GE(t, mb.read, PAIR_MIN_PAGED);
        EXPECT_GE(t, mb.min_ws_pages, mb.locked_pages);
        EXPECT_GT(t, mb.spill_faults, 0);           /* the trimmer did take its other pages */
        EXPECT_EQ(t, mb.failures, 0);
        utest_log("locker: %u MiB + %u pages of its own locked, %u sweeps (%u after page-outs), "
                  "%u faults, %u bad pages; %u faults on its unlocked pages; %u pages written and %u read "
                  "meanwhile",
                  LOCK_MIB, mb.locked_pages - LOCK_MIB * 256u, mb.sweeps,
                  mb.sweeps_after_pageouts, mb.faults, mb.bad_pages, mb.spill_faults, mb.written, mb.read);
    }
}

static const struct utest_case pair_cases[] = {
    UTEST_CASE(two_workers_at_once),
    UTEST_END,
};

static const struct utest_suite pair_suite = { .name = "pressure_pair", .cases = pair_cases };
static const struct utest_suite *const suites[] = { &pair_suite, NULL };

int main(void)
{
    return utest_main(suites);
}
