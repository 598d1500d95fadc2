/* Issue 19: two pressure workers at once (tests/user/upressure.c's
 * "work" mode), PAIR_MIB each: 2 x 40 = 80 MiB on a 32 MiB machine, so
 * the two processes' working sets push each other out all along (one
 * pass each: the single-process boot makes the repeated passes; this one
 * stays near 5 s under TCG).  Each
 * checks its own pattern and says how many pages were wrong in its exit
 * code; the paging counters show the traffic.  Skips elsewhere. */
#include "utest.h"
#include "upressure.h"
#include <stdio.h>

#define PAIR_MIB 40u
#define PAIR_PASSES 1u

static void two_workers_at_once(struct utest *t)
{
    PROCESS_INFORMATION a, b;
    char args[48];
    if (!up_small_machine())
        utest_skip(t, "a machine of more than 40 MiB or a small page file (pressure-pair@32M runs it)");
    SYSTEM_PERFORMANCE_INFORMATION p0 = up_perf();
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
    /* Together they wrote 2 x 40 MiB per pass into 32 MiB of RAM: at
     * least the 48 MiB beyond it went out and came back, each pass. */
    EXPECT_GE(t, written, PAIR_PASSES * 48u * 256u);
    EXPECT_GE(t, read, PAIR_PASSES * 48u * 256u);
    utest_log("two workers of %u MiB x %u passes: %u pages written in %lu writes, %u read, "
              "%lu soft faults", PAIR_MIB, PAIR_PASSES, written,
              p1.DirtyWriteIoCount - p0.DirtyWriteIoCount, read,
              p1.TransitionCount - p0.TransitionCount);
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
