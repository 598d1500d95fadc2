/* Issue 19's pressure test, one process: on a machine of 32 MiB with a
 * 128 MiB page file (the harness's "pressure@32M" boot), commit and write
 * 96 MiB with a per-page pattern, read it all back, PRESSURE_PASSES
 * times; the paging counters (NtQuerySystemInformation's
 * SystemPerformanceInformation, as Windows has it) show page-outs in
 * clusters and hard faults; everything is released (the kernel's leak
 * check after the program).  Elsewhere the pressure case skips; the
 * counters' API and the commit limit are checked everywhere.
 *
 * It is also the worker the other pressure programs start, by command
 * line (then it prints nothing and says everything in its exit code):
 *   upressure work MIB PASSES SEED   the pressure loop: 0, or the wrong
 *                                    pages, or UP_EXIT_NO_COMMIT
 *   upressure inpage MIB             writes MIB, asks for an in-page error
 *                                    on its next hard fault, reads it back:
 *                                    dies of STATUS_IN_PAGE_ERROR, else
 *                                    exits UP_EXIT_SURVIVED */
#include "utest.h"
#include "upressure.h"

#define PRESSURE_MIB 96u
#define PRESSURE_PASSES 2u

static int worker(const char *a)
{
    if (strncmp(a, "work ", 5) == 0) {
        char *end;
        uint32_t mib = strtoul(a + 5, &end, 10);
        uint32_t passes = strtoul(end, &end, 10);
        uint32_t seed = strtoul(end, &end, 10);
        uint32_t bad = up_pressure(mib, passes, seed);
        return bad == UINT32_MAX ? (int)UP_EXIT_NO_COMMIT : (int)bad;
    }
    if (strncmp(a, "inpage ", 7) == 0) {
        uint32_t mib = strtoul(a + 7, NULL, 10), pages = mib * (UP_MIB / UP_PAGE), one = 1;
        volatile uint32_t *base = VirtualAlloc(NULL, mib * UP_MIB, MEM_RESERVE | MEM_COMMIT,
                                               PAGE_READWRITE);
        if (base == NULL)
            return (int)UP_EXIT_NO_COMMIT;
        up_write(base, pages, 0x1234);
        if (!NT_SUCCESS(NtSetInformationProcess(NtCurrentProcess(), ProcessInjectInPageError,
                                                &one, sizeof(one))))
            return 3;
        /* More than RAM was written: reading it back must hard-fault, and
         * the first hard fault's read fails.  Nobody handles the exception. */
        up_check(base, 0, pages, 0x1234);
        return (int)UP_EXIT_SURVIVED;
    }
    return 2;
}

/* The counters' API: NT's length rule and a bad buffer refused, the
 * figures consistent with the kernel's own (NtQuerySystemCounters). */
static void performance_information_is_consistent(struct utest *t)
{
    SYSTEM_PERFORMANCE_INFORMATION p;
    SYSTEM_MEMORY_COUNTERS c;
    ULONG len = 0;
    EXPECT_EQ(t, NtQuerySystemInformation(SystemPerformanceInformation, &p, sizeof(p) - 1, NULL),
              STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(t, NtQuerySystemInformation(SystemPerformanceInformation, (void *)0x80000000u,
                                          sizeof(p), NULL), STATUS_ACCESS_VIOLATION);
    ASSERT_EQ(t, NtQuerySystemInformation(SystemPerformanceInformation, &p, sizeof(p), &len),
              STATUS_SUCCESS);
    EXPECT_EQ(t, len, sizeof(p));
    NtQuerySystemCounters(&c, sizeof(c));
    EXPECT_EQ(t, p.CommitLimit, c.CommitLimit);
    EXPECT_GE(t, p.CommittedPages, 1);
    EXPECT_GE(t, p.PeakCommitment, p.CommittedPages);
    EXPECT_EQ(t, p.PageFaultCount, p.DemandZeroCount + p.TransitionCount + p.PageReadIoCount);
    EXPECT_LE(t, p.PageReadIoCount, p.PageReadCount);
    EXPECT_LE(t, p.DirtyWriteIoCount, p.DirtyPagesWriteCount);
    EXPECT_EQ(t, p.IoWriteTransferCount % UP_PAGE, 0);
    EXPECT_EQ(t, p.CopyOnWriteCount, 0);
    /* A page touched now is a demand-zero fault, counted. */
    volatile uint8_t *q = VirtualAlloc(NULL, UP_PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ASSERT_TRUE(t, q != NULL);
    *q = 1;
    SYSTEM_PERFORMANCE_INFORMATION p1 = up_perf();
    EXPECT_GE(t, p1.DemandZeroCount - p.DemandZeroCount, 1);
    EXPECT_TRUE(t, VirtualFree((void *)q, 0, MEM_RELEASE));
}

/* Issue 19 point 5: commit is all the guarantee.  Up to the limit (RAM +
 * page file here) a commit succeeds without touching a page; one page
 * more fails at commit time with ERROR_COMMITMENT_LIMIT (1455) and
 * changes nothing. */
static void commit_beyond_the_limit_fails_at_commit(struct utest *t)
{
    SYSTEM_MEMORY_COUNTERS c0, c1;
    NtQuerySystemCounters(&c0, sizeof(c0));
    EXPECT_GT(t, c0.CommitLimitPageFile, 0);       /* the boot counted the page file */
    uint32_t room = c0.CommitLimit - c0.CommitCharge;
    void *r = VirtualAlloc(NULL, (room + 64) * UP_PAGE, MEM_RESERVE, PAGE_READWRITE);
    ASSERT_TRUE(t, r != NULL);
    NtQuerySystemCounters(&c0, sizeof(c0));
    room = c0.CommitLimit - c0.CommitCharge;
    SetLastError(0);
    EXPECT_TRUE(t, VirtualAlloc(r, (room + 1) * UP_PAGE, MEM_COMMIT, PAGE_READWRITE) == NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_COMMITMENT_LIMIT);
    EXPECT_EQ(t, GetLastError(), 1455);
    NtQuerySystemCounters(&c1, sizeof(c1));
    EXPECT_EQ(t, c1.CommitCharge, c0.CommitCharge);
    /* Exactly the room is fine (page tables are charged too: leave them theirs). */
    uint32_t fit = room - (room / 512 + 2);
    EXPECT_TRUE(t, VirtualAlloc(r, fit * UP_PAGE, MEM_COMMIT, PAGE_READWRITE) != NULL);
    EXPECT_TRUE(t, VirtualFree(r, 0, MEM_RELEASE));
    NtQuerySystemCounters(&c1, sizeof(c1));
    EXPECT_EQ(t, c1.CommitCharge, c0.CommitCharge);
}

static void ninety_six_mib_on_a_32_mib_machine(struct utest *t)
{
    if (!up_small_machine())
        utest_skip(t, "a machine of more than 40 MiB or a small page file (pressure@32M runs it)");
    MEMORYSTATUSEX ms;
    ms.dwLength = sizeof(ms);
    ASSERT_TRUE(t, GlobalMemoryStatusEx(&ms));
    SYSTEM_PERFORMANCE_INFORMATION p0 = up_perf();
    DWORD t0 = GetTickCount();
    uint32_t bad = up_pressure(PRESSURE_MIB, PRESSURE_PASSES, 0xC0FFEEu);
    DWORD ms_taken = GetTickCount() - t0;
    SYSTEM_PERFORMANCE_INFORMATION p1 = up_perf();
    EXPECT_EQ(t, bad, 0);
    /* What did not fit in RAM went out and came back, each pass. */
    uint32_t excess = (uint32_t)((PRESSURE_MIB * (uint64_t)UP_MIB - ms.ullTotalPhys) / UP_PAGE);
    uint32_t written = p1.DirtyPagesWriteCount - p0.DirtyPagesWriteCount;
    uint32_t read = p1.PageReadCount - p0.PageReadCount;
    EXPECT_GE(t, written, PRESSURE_PASSES * excess);
    EXPECT_GE(t, read, PRESSURE_PASSES * excess);
    /* Written and read in clusters: fewer disk commands than pages. */
    EXPECT_LT(t, p1.PageReadIoCount - p0.PageReadIoCount, read / 2);
    EXPECT_LT(t, p1.DirtyWriteIoCount - p0.DirtyWriteIoCount, written / 2);
    EXPECT_GE(t, p1.DemandZeroCount - p0.DemandZeroCount, PRESSURE_MIB * (UP_MIB / UP_PAGE));
    utest_log("%u MiB x %u passes in %lu ms: %u pages written in %lu writes, %u read in %lu "
              "reads, %lu soft faults", PRESSURE_MIB, PRESSURE_PASSES, (unsigned long)ms_taken,
              written, p1.DirtyWriteIoCount - p0.DirtyWriteIoCount, read,
              p1.PageReadIoCount - p0.PageReadIoCount, p1.TransitionCount - p0.TransitionCount);
}

static const struct utest_case pressure_cases[] = {
    UTEST_CASE(performance_information_is_consistent),
    UTEST_CASE(commit_beyond_the_limit_fails_at_commit),
    UTEST_CASE(ninety_six_mib_on_a_32_mib_machine),
    UTEST_END,
};

static const struct utest_suite pressure_suite = { .name = "pressure", .cases = pressure_cases };
static const struct utest_suite *const suites[] = { &pressure_suite, NULL };

int main(void)
{
    const char *line = GetCommandLineA(), *sp = strchr(line, ' ');
    if (sp != NULL)
        return worker(sp + 1);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    return utest_main(suites);
}
