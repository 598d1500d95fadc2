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
 *                                    exits UP_EXIT_SURVIVED
 *   upressure lock MIB MAILBOX MIN_PAGED SEED
 *                                    the locker (upressure.h): MIB locked,
 *                                    read over and over until the parent
 *                                    says stop; 0 or UP_EXIT_LOCKER | bits */
#include "utest.h"
#include "upressure.h"

#define PRESSURE_MIB 96u
#define PRESSURE_PASSES 3u

#define LOCK_SPILL_PAGES 256u   /* the locker's unlocked pages: more than its maximum allows */
#define LOCK_GAP_MS 50u         /* between sweeps: time for the clock to age what was read */

extern char __image_base[], _end[];

/* The process's own fault count (PageFaultCount, as GetProcessMemoryInfo
 * returns it), by the native call it wraps: nothing but the image and
 * the stack is touched (psapi's copy goes through the TEB's exception
 * chain, a page that may be trimmed). */
static uint32_t lock_faults(SIZE_T *ws)
{
    VM_COUNTERS_EX vm;
    memset(&vm, 0, sizeof(vm));
    NtQueryInformationProcess(NtCurrentProcess(), ProcessVmCounters, &vm, sizeof(vm), NULL);
    *ws = vm.WorkingSetSize;
    return vm.PageFaultCount;
}

/* Commits the stack pages below the caller's frame that the sweeps' calls
 * will use, so that the stack lock covers them. */
__attribute__((noinline)) static void lock_stack_probe(void)
{
    volatile char deep[3 * UP_PAGE];
    for (uint32_t i = sizeof(deep); i > 0; i -= 256)     /* downwards, past the guard page */
        deep[i - 1] = (char)i;
}

/* The locker (upressure.h).  Faults are counted only across a sweep:
 * PageFaultCount before it and after it.  Everything such a sweep
 * touches is locked - the region, and the instruments: the program's
 * image (the sweep's code, the count's system-call stub) and the
 * committed stack around this frame - so any fault there is a locked
 * page that had left.  Between sweeps nothing touches the region (the
 * mailbox and the spill pages are pages of their own), so a locked page trimmed
 * at any time shows as a fault in the next sweep; the last sweep comes
 * after the parent says the workers are done. */
static int locker(uint32_t mib, uint32_t mailbox, uint32_t min_paged, uint32_t seed)
{
    uint32_t pages = mib * (UP_MIB / UP_PAGE);
    struct up_mailbox *mb = VirtualAlloc((void *)mailbox, UP_PAGE, MEM_RESERVE | MEM_COMMIT,
                                         PAGE_READWRITE);
    if (mb != (struct up_mailbox *)mailbox)      /* the parent reads it there */
        return (int)(UP_EXIT_LOCKER | UP_LOCK_SETUP);
    lock_stack_probe();
    /* The image and the committed part of the stack around this frame. */
    uint32_t image = (uint32_t)__image_base;
    uint32_t image_size = ((uint32_t)_end - image + UP_PAGE - 1) & ~(UP_PAGE - 1);
    MEMORY_BASIC_INFORMATION mbi;
    uint32_t here = (uint32_t)__builtin_frame_address(0) & ~(UP_PAGE - 1);
    if (VirtualQuery((void *)here, &mbi, sizeof(mbi)) != sizeof(mbi))
        return (int)(UP_EXIT_LOCKER | UP_LOCK_SETUP);
    uint32_t stack_lo = (uint32_t)mbi.BaseAddress, stack_hi = stack_lo + mbi.RegionSize;
    if (here >= stack_lo + 4 * UP_PAGE)
        stack_lo = here - 4 * UP_PAGE;
    if (stack_hi > here + 2 * UP_PAGE)
        stack_hi = here + 2 * UP_PAGE;
    uint32_t locked = pages + image_size / UP_PAGE + (stack_hi - stack_lo) / UP_PAGE;
    /* The quota is the minimum less 8 pages; a margin for the rest. */
    if (!SetProcessWorkingSetSize(GetCurrentProcess(), (locked + 64) * UP_PAGE,
                                  (locked + 128) * UP_PAGE))
        return (int)(UP_EXIT_LOCKER | UP_LOCK_SETUP);
    volatile uint32_t *base = VirtualAlloc(NULL, mib * UP_MIB, MEM_RESERVE | MEM_COMMIT,
                                           PAGE_READWRITE);
    if (base == NULL)
        return (int)(UP_EXIT_LOCKER | UP_LOCK_SETUP);
    /* Pages of its own that are not locked, more than its maximum
     * working set: written between sweeps, they keep the process above
     * its maximum, where the trimmer looks first (mm/pager.c trim), so
     * that its locked pages meet the trimmer too. */
    volatile uint32_t *spill = VirtualAlloc(NULL, LOCK_SPILL_PAGES * UP_PAGE, MEM_RESERVE | MEM_COMMIT,
                                            PAGE_READWRITE);
    if (spill == NULL)
        return (int)(UP_EXIT_LOCKER | UP_LOCK_SETUP);
    for (uint32_t i = 0; i < LOCK_SPILL_PAGES; i++)     /* demand-zero faults: not counted */
        spill[i * (UP_PAGE / 4)] = i;
    up_write(base, pages, seed);
    if (!VirtualLock((void *)base, mib * UP_MIB) || !VirtualLock((void *)image, image_size) ||
        !VirtualLock((void *)stack_lo, stack_hi - stack_lo))
        return (int)(UP_EXIT_LOCKER | UP_LOCK_SETUP);

    uint32_t sweeps = 0, amid = 0, faults = 0, bad = 0, min_ws = UINT32_MAX, last = 0;
    uint32_t spill_faults = 0;
    SYSTEM_PERFORMANCE_INFORMATION p0 = up_perf();
    last = p0.DirtyPagesWriteCount;
    mb->ready = 1;
    for (;;) {
        uint32_t stop = mb->stop;
        uint32_t written = up_perf().DirtyPagesWriteCount;
        amid += written != last;
        last = written;
        SIZE_T ws;
        uint32_t f0 = lock_faults(&ws);
        bad += up_check(base, 0, pages, seed);
        uint32_t f1 = lock_faults(&ws);
        faults += f1 - f0;
        sweeps++;
        if (ws / UP_PAGE < min_ws)
            min_ws = ws / UP_PAGE;
        if (stop)
            break;
        f0 = lock_faults(&ws);
        for (uint32_t i = 0; i < LOCK_SPILL_PAGES; i++)
            spill[i * (UP_PAGE / 4)] = i;
        spill_faults += lock_faults(&ws) - f0;
        Sleep(LOCK_GAP_MS);     /* a trimmed locked page waits for the next sweep */
    }
    SYSTEM_PERFORMANCE_INFORMATION p1 = up_perf();

    uint32_t failures = 0;
    mb->sweeps = sweeps;
    mb->sweeps_after_pageouts = amid;
    mb->faults = faults;
    mb->bad_pages = bad;
    mb->written = p1.DirtyPagesWriteCount - p0.DirtyPagesWriteCount;
    mb->read = p1.PageReadCount - p0.PageReadCount;
    mb->spill_faults = spill_faults;
    mb->min_ws_pages = min_ws;
    mb->locked_pages = locked;
    failures |= faults != 0 ? UP_LOCK_FAULTED : 0;
    failures |= bad != 0 ? UP_LOCK_PATTERN : 0;
    failures |= mb->written < min_paged || mb->read < min_paged ? UP_LOCK_NO_PAGING : 0;
    failures |= amid < 2 ? UP_LOCK_NOT_AMID : 0;
    failures |= min_ws < locked ? UP_LOCK_WS_SHRANK : 0;
    failures |= spill_faults == 0 ? UP_LOCK_NOT_TRIMMED : 0;
    if (!VirtualUnlock((void *)base, mib * UP_MIB))
        failures |= UP_LOCK_UNLOCK;
    mb->failures = failures;
    mb->finished = 1;
    while (!mb->may_exit)
        Sleep(1);
    VirtualUnlock((void *)image, image_size);
    VirtualUnlock((void *)stack_lo, stack_hi - stack_lo);
    VirtualFree((void *)base, 0, MEM_RELEASE);
    VirtualFree((void *)spill, 0, MEM_RELEASE);
    VirtualFree(mb, 0, MEM_RELEASE);
    return failures ? (int)(UP_EXIT_LOCKER | failures) : 0;
}

static int worker(const char *a)
{
    if (strncmp(a, "lock ", 5) == 0) {
        char *end;
        uint32_t mib = strtoul(a + 5, &end, 10);
        uint32_t mailbox = strtoul(end, &end, 0);
        uint32_t min_paged = strtoul(end, &end, 10);
        uint32_t seed = strtoul(end, &end, 10);
        return locker(mib, mailbox, min_paged, seed);
    }
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
