/* Commit until the system's commit limit, touch every committed page, and
 * exit WITHOUT freeing anything: the kernel must take it all back when the
 * process ends.  The kernel's own "ucommit.leak_check" case (free frames,
 * commit charge and page tables equal to their values before the program)
 * is the real check; the cases here check what the program can see:
 *
 * - the last commit fails with ERROR_COMMITMENT_LIMIT (1455) and then the
 *   charge is at the limit (NtQuerySystemCounters);
 * - a failed commit changes nothing; a reservation (which is not charged)
 *   still works at the limit, and decommitting makes room again;
 * - every committed page reads zero on first touch and keeps what is
 *   written to it (one byte per page, to stay fast under TCG); with a
 *   page file the limit is RAM + page file (issue 19), so the pages
 *   beyond RAM's part go out to it while the others come in.
 *
 * No counters are registered with the test framework: this program keeps
 * its memory on purpose. */
#include "utest.h"
#include "uspace.h"
#include <stdio.h>

#define CHUNK (4u << 20)                /* one page table's worth */

/* One big reservation committed in chunks, so page tables are created in
 * step and the last page committed leaves the charge at the limit. */
static uint32_t region, region_size, committed_bytes;
static SYSTEM_MEMORY_COUNTERS start;

static void commit_until_limit(struct utest *t)
{
    start = sys_counters();
    ASSERT_GT(t, start.CommitLimit, start.CommitCharge);
    utest_log("commit limit %lu pages, charge %lu, free frames %lu", start.CommitLimit,
              start.CommitCharge, start.FreeFrames);

    /* Room for every page still available, plus a chunk. */
    region_size = ((start.CommitLimit - start.CommitCharge) * PAGE + 2 * CHUNK) & ~(GRAN - 1);
    region = U32(VirtualAlloc(NULL, region_size, MEM_RESERVE, PAGE_READWRITE));
    ASSERT_NE(t, region, 0);

    uint32_t step = CHUNK;
    DWORD last_error = 0;
    committed_bytes = 0;
    while (committed_bytes < region_size) {
        if (step > region_size - committed_bytes)
            step = region_size - committed_bytes;
        SetLastError(0);
        if (VirtualAlloc(VA(region + committed_bytes), step, MEM_COMMIT, PAGE_READWRITE) != NULL) {
            committed_bytes += step;
            continue;
        }
        last_error = GetLastError();
        if (last_error != ERROR_COMMITMENT_LIMIT || step == PAGE)
            break;
        step = step / 2 < PAGE ? PAGE : step / 2;
    }
    SYSTEM_MEMORY_COUNTERS now = sys_counters();
    utest_log("committed %lu pages; charge %lu of %lu, peak %lu", (unsigned long)(committed_bytes / PAGE),
              now.CommitCharge, now.CommitLimit, now.CommitPeak);
    EXPECT_EQ(t, last_error, ERROR_COMMITMENT_LIMIT);
    EXPECT_LT(t, committed_bytes, region_size);
    /* Not even one more page fits (a new page table would need a second). */
    EXPECT_LE(t, now.CommitLimit - now.CommitCharge, 1);
    EXPECT_GE(t, now.CommitPeak, now.CommitCharge);
    EXPECT_EQ(t, now.CommitLimit, start.CommitLimit);
    EXPECT_GE(t, committed_bytes / PAGE, (start.CommitLimit - start.CommitCharge) * 9 / 10);
}

static void failed_commit_changes_nothing(struct utest *t)
{
    SYSTEM_MEMORY_COUNTERS before = sys_counters(), after;
    MEMORY_BASIC_INFORMATION m;

    ASSERT_NE(t, region, 0);
    SetLastError(0);
    EXPECT_PTR_EQ(t, VirtualAlloc(VA(region + committed_bytes), 2 * PAGE, MEM_COMMIT, PAGE_READWRITE), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_COMMITMENT_LIMIT);
    SetLastError(0);
    EXPECT_PTR_EQ(t, VirtualAlloc(NULL, 64 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_COMMITMENT_LIMIT);
    after = sys_counters();
    EXPECT_EQ(t, after.CommitCharge, before.CommitCharge);
    EXPECT_EQ(t, after.Allocations, before.Allocations);
    EXPECT_EQ(t, VirtualQuery(VA(region + committed_bytes), &m, sizeof(m)), sizeof(m));
    EXPECT_EQ(t, m.State, MEM_RESERVE);
    /* A reservation costs no commit: still possible at the limit. */
    LPVOID r = VirtualAlloc(NULL, 16 * GRAN, MEM_RESERVE, PAGE_READWRITE);
    EXPECT_PTR_NE(t, r, NULL);
    EXPECT_EQ(t, sys_counters().CommitCharge, before.CommitCharge);
    if (r != NULL)
        EXPECT_TRUE(t, VirtualFree(r, 0, MEM_RELEASE));
}

static void decommit_makes_room(struct utest *t)
{
    ASSERT_GT(t, committed_bytes, 8 * PAGE);
    uint32_t top = region + committed_bytes - 8 * PAGE;
    uint32_t charge = sys_counters().CommitCharge;

    EXPECT_TRUE(t, VirtualFree(VA(top), 8 * PAGE, MEM_DECOMMIT));
    EXPECT_EQ(t, sys_counters().CommitCharge, charge - 8);
    EXPECT_PTR_EQ(t, VirtualAlloc(VA(top), 8 * PAGE, MEM_COMMIT, PAGE_READWRITE), top);
    EXPECT_EQ(t, sys_counters().CommitCharge, charge);
}

/* The charge guarantees a frame for every committed page: touching all of
 * them must work, each reading zero first. */
static void touch_every_page(struct utest *t)
{
    uint32_t nonzero = 0, wrong = 0, pages = committed_bytes / PAGE;

    ASSERT_GT(t, pages, 0);
    for (uint32_t i = 0; i < pages; i++) {
        volatile uint8_t *p = (volatile uint8_t *)(region + i * PAGE + (i * 97) % PAGE);
        nonzero += *p != 0;
        *p = (uint8_t)(i * 7 + 1);
    }
    for (uint32_t i = 0; i < pages; i++) {
        volatile uint8_t *p = (volatile uint8_t *)(region + i * PAGE + (i * 97) % PAGE);
        wrong += *p != (uint8_t)(i * 7 + 1);
    }
    EXPECT_EQ(t, nonzero, 0);
    EXPECT_EQ(t, wrong, 0);
    SYSTEM_MEMORY_COUNTERS now = sys_counters();
    utest_log("touched %lu pages; free frames %lu -> %lu", (unsigned long)pages, start.FreeFrames,
              now.FreeFrames);
    /* Each touched page took a frame, except those the pager sent to the
     * page file meanwhile (at most its part of the limit: FreeFrames
     * counts standby and modified frames as available, as NT does). */
    EXPECT_LE(t, now.FreeFrames + pages, start.FreeFrames + 64 + now.CommitLimitPageFile);
    if (start.CommitLimitPageFile > 0)      /* the commit did go beyond RAM */
        EXPECT_GT(t, pages, start.CommitLimit - start.CommitLimitPageFile - start.CommitCharge);
}

static const struct utest_case commit_cases[] = {
    UTEST_CASE(commit_until_limit),
    UTEST_CASE(failed_commit_changes_nothing),
    UTEST_CASE(decommit_makes_room),
    UTEST_CASE(touch_every_page),
    UTEST_END,
};
static const struct utest_suite commit_suite = { .name = "ucommit", .cases = commit_cases };
static const struct utest_suite *const suites[] = { &commit_suite, NULL };

int main(void)
{
    /* The stack cannot grow once the commit is used up. */
    stack_pregrow(64 * 1024);
    int r = utest_main(suites);
    printf("# ucommit: exiting with %lu pages still committed\n", (unsigned long)(committed_bytes / PAGE));
    return r;
}
