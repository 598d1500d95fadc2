/* GlobalMemoryStatusEx and GlobalMemoryStatus (issue 15, item 2) from
 * ring 3: the figures agree with the kernel's own counters
 * (NtQuerySystemCounters) and with GetSystemInfo, and they move by
 * exactly what the program does: reserving takes address space,
 * committing takes commit ("page file"), touching takes frames. */
#include "utest.h"
#include <ntdll.h>

#define PAGE 4096u

static MEMORYSTATUSEX status(struct utest *t)
{
    MEMORYSTATUSEX ms;

    memset(&ms, 0xCC, sizeof(ms));
    ms.dwLength = sizeof(ms);
    EXPECT_TRUE(t, GlobalMemoryStatusEx(&ms));
    return ms;
}

static SYSTEM_MEMORY_COUNTERS counters(void)
{
    SYSTEM_MEMORY_COUNTERS c;

    memset(&c, 0, sizeof(c));
    NtQuerySystemCounters(&c, sizeof(c));
    return c;
}

/* [doc] "You must set the dwLength member of this structure before
 * calling this function": a wrong length is ERROR_INVALID_PARAMETER. */
static void ex_needs_the_structure_length(struct utest *t)
{
    static const DWORD lengths[] = { 0, 1, sizeof(MEMORYSTATUS), sizeof(MEMORYSTATUSEX) - 1,
                                     sizeof(MEMORYSTATUSEX) + 1, 0xFFFFFFFFu };
    MEMORYSTATUSEX ms;

    for (unsigned i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        memset(&ms, 0xCC, sizeof(ms));
        ms.dwLength = lengths[i];
        SetLastError(0);
        EXPECT_FALSE(t, GlobalMemoryStatusEx(&ms));
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
        EXPECT_EQ(t, ms.ullTotalPhys, 0xCCCCCCCCCCCCCCCCull);   /* nothing written */
    }
}

static void figures_are_the_kernels(struct utest *t)
{
    SYSTEM_MEMORY_COUNTERS before = counters();
    MEMORYSTATUSEX ms = status(t);
    SYSTEM_MEMORY_COUNTERS after = counters();
    SYSTEM_INFO si;

    ASSERT_EQ(t, before.CommitCharge, after.CommitCharge);     /* nothing moved meanwhile */
    ASSERT_EQ(t, before.FreeFrames, after.FreeFrames);
    GetSystemInfo(&si);
    EXPECT_EQ(t, ms.dwLength, sizeof(MEMORYSTATUSEX));
    EXPECT_EQ(t, ms.ullTotalPhys, (DWORDLONG)after.PhysicalPages * PAGE);
    EXPECT_EQ(t, ms.ullAvailPhys, (DWORDLONG)after.FreeFrames * PAGE);
    EXPECT_EQ(t, ms.ullTotalPageFile, (DWORDLONG)after.CommitLimit * PAGE);
    EXPECT_EQ(t, ms.ullAvailPageFile, (DWORDLONG)(after.CommitLimit - after.CommitCharge) * PAGE);
    EXPECT_EQ(t, ms.ullTotalVirtual, 0x7FFE0000ull);           /* 2 GiB less 64 KiB at each end */
    EXPECT_EQ(t, ms.ullTotalVirtual,
              (uintptr_t)si.lpMaximumApplicationAddress + 1 - (uintptr_t)si.lpMinimumApplicationAddress);
    EXPECT_LT(t, ms.ullAvailVirtual, ms.ullTotalVirtual);       /* the program, stack, heap */
    EXPECT_GT(t, ms.ullAvailVirtual, 0x70000000ull);
    EXPECT_EQ(t, ms.ullAvailVirtual % 0x1000, 0);
    EXPECT_EQ(t, ms.ullAvailExtendedVirtual, 0);
    EXPECT_EQ(t, ms.dwMemoryLoad, (DWORD)((ms.ullTotalPhys - ms.ullAvailPhys) * 100 / ms.ullTotalPhys));
    EXPECT_LE(t, ms.dwMemoryLoad, 100);
    /* QEMU gives the machine 128 MiB: nearly all of it is RAM the kernel manages. */
    EXPECT_GT(t, ms.ullTotalPhys, 100ull << 20);
    EXPECT_LE(t, ms.ullTotalPhys, 128ull << 20);
    EXPECT_LE(t, ms.ullAvailPhys, ms.ullTotalPhys);
    EXPECT_LE(t, ms.ullAvailPageFile, ms.ullTotalPageFile);
    /* Issue 19: the harness gives every boot a page-file disk (64 MiB by
     * default, at least the 4 MiB minimum); nothing is paged out yet, and
     * its part of the commit limit is at most its size. */
    EXPECT_GE(t, after.PageFilePages, 1024);
    EXPECT_EQ(t, after.PageFileInUse, 0);
    EXPECT_LE(t, after.CommitLimitPageFile, after.PageFilePages);
    /* ... and the boot counted it (the modified-page writer runs): the
     * limit is RAM's part plus the page file's, beyond what RAM backs. */
    EXPECT_GT(t, after.CommitLimitPageFile, 0);
    EXPECT_LT(t, after.CommitLimit - after.CommitLimitPageFile, after.PhysicalPages);
    EXPECT_GT(t, ms.ullTotalPageFile, (DWORDLONG)(after.CommitLimit - after.CommitLimitPageFile) * PAGE);
}

/* The sum of VirtualQuery's free regions, walked here independently. */
static DWORDLONG free_by_query(void)
{
    MEMORY_BASIC_INFORMATION mbi;
    DWORDLONG free = 0;

    for (uintptr_t a = 0x10000; a < 0x7FFF0000u; a = (uintptr_t)mbi.BaseAddress + mbi.RegionSize) {
        if (VirtualQuery((LPCVOID)a, &mbi, sizeof(mbi)) != sizeof(mbi))
            break;
        if (mbi.State == MEM_FREE)
            free += mbi.RegionSize;
    }
    return free;
}

static void reserving_takes_address_space(struct utest *t)
{
    MEMORYSTATUSEX s0 = status(t);
    EXPECT_EQ(t, s0.ullAvailVirtual, free_by_query());
    void *p = VirtualAlloc(NULL, 0x100000, MEM_RESERVE, PAGE_READWRITE);
    ASSERT_PTR_NE(t, p, NULL);
    MEMORYSTATUSEX s1 = status(t);
    EXPECT_EQ(t, s0.ullAvailVirtual - s1.ullAvailVirtual, 0x100000);
    EXPECT_EQ(t, s1.ullAvailPageFile, s0.ullAvailPageFile);   /* a reservation costs no commit */
    void *q = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_READWRITE);   /* one page, one granule */
    ASSERT_PTR_NE(t, q, NULL);
    MEMORYSTATUSEX s2 = status(t);
    EXPECT_EQ(t, s1.ullAvailVirtual - s2.ullAvailVirtual, 0x1000);        /* its region only */
    EXPECT_TRUE(t, VirtualFree(q, 0, MEM_RELEASE));
    EXPECT_TRUE(t, VirtualFree(p, 0, MEM_RELEASE));
    EXPECT_EQ(t, status(t).ullAvailVirtual, s0.ullAvailVirtual);
}

/* Committing N pages in a reservation whose page table exists already
 * takes exactly N pages of commit. */
static void committing_takes_page_file(struct utest *t)
{
    char *p = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    ASSERT_PTR_NE(t, p, NULL);
    ASSERT_PTR_NE(t, VirtualAlloc(p, PAGE, MEM_COMMIT, PAGE_READWRITE), NULL);   /* + its page table */
    MEMORYSTATUSEX s0 = status(t);
    ASSERT_PTR_NE(t, VirtualAlloc(p + PAGE, 8 * PAGE, MEM_COMMIT, PAGE_READWRITE), NULL);
    MEMORYSTATUSEX s1 = status(t);
    EXPECT_EQ(t, s0.ullAvailPageFile - s1.ullAvailPageFile, 8 * PAGE);
    EXPECT_EQ(t, s1.ullTotalPageFile, s0.ullTotalPageFile);
    EXPECT_EQ(t, s1.ullAvailVirtual, s0.ullAvailVirtual);     /* the same reservation */
    EXPECT_TRUE(t, VirtualFree(p + PAGE, 8 * PAGE, MEM_DECOMMIT));
    EXPECT_EQ(t, status(t).ullAvailPageFile, s0.ullAvailPageFile);
    EXPECT_TRUE(t, VirtualFree(p, 0, MEM_RELEASE));
}

/* Committed pages get frames at the first touch. */
static void touching_takes_physical_memory(struct utest *t)
{
    volatile char *p = VirtualAlloc(NULL, 16 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ASSERT_PTR_NE(t, (void *)p, NULL);
    p[0] = 1;                                            /* the page table is in place */
    MEMORYSTATUSEX s0 = status(t);
    for (unsigned i = 1; i < 16; i++)
        p[i * PAGE] = 1;
    MEMORYSTATUSEX s1 = status(t);
    EXPECT_EQ(t, s0.ullAvailPhys - s1.ullAvailPhys, 15 * PAGE);
    EXPECT_EQ(t, s1.ullAvailPageFile, s0.ullAvailPageFile);   /* charged at commit already */
    EXPECT_TRUE(t, VirtualFree((void *)p, 0, MEM_RELEASE));
    /* The 16 frames come back, and the page table's if it held nothing else. */
    MEMORYSTATUSEX s2 = status(t);
    EXPECT_GE(t, s2.ullAvailPhys, s0.ullAvailPhys + PAGE);
    EXPECT_LE(t, s2.ullAvailPhys, s0.ullAvailPhys + 2 * PAGE);
}

/* [doc] GlobalMemoryStatus: the same figures in SIZE_T fields (all of
 * them fit on this machine); dwLength is set by the call. */
static void memorystatus_matches_the_ex_figures(struct utest *t)
{
    MEMORYSTATUS ms;

    memset(&ms, 0xCC, sizeof(ms));
    MEMORYSTATUSEX ex = status(t);
    GlobalMemoryStatus(&ms);
    EXPECT_EQ(t, ms.dwLength, sizeof(MEMORYSTATUS));
    EXPECT_EQ(t, ms.dwMemoryLoad, ex.dwMemoryLoad);
    EXPECT_EQ(t, ms.dwTotalPhys, ex.ullTotalPhys);
    EXPECT_EQ(t, ms.dwAvailPhys, ex.ullAvailPhys);
    EXPECT_EQ(t, ms.dwTotalPageFile, ex.ullTotalPageFile);
    EXPECT_EQ(t, ms.dwAvailPageFile, ex.ullAvailPageFile);
    EXPECT_EQ(t, ms.dwTotalVirtual, ex.ullTotalVirtual);
    EXPECT_EQ(t, ms.dwAvailVirtual, ex.ullAvailVirtual);
}

static const struct utest_case status_cases[] = {
    UTEST_CASE(ex_needs_the_structure_length),
    UTEST_CASE(figures_are_the_kernels),
    UTEST_CASE(reserving_takes_address_space),
    UTEST_CASE(committing_takes_page_file),
    UTEST_CASE(touching_takes_physical_memory),
    UTEST_CASE(memorystatus_matches_the_ex_figures),
    UTEST_END,
};

static const struct utest_suite status_suite = { .name = "memory_status", .cases = status_cases };

static const struct utest_suite *const suites[] = { &status_suite, NULL };

int main(void)
{
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    return utest_main(suites);
}
