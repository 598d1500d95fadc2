/* Working sets from ring 3 (issue 19, point 3): VirtualLock / VirtualUnlock,
 * Get/SetProcessWorkingSetSize[Ex], EmptyWorkingSet and the working-set
 * figures of GetProcessMemoryInfo, as Microsoft documents them:
 *
 * - limits: the defaults are 50 and 345 pages; a zero, a minimum above
 *   the maximum, a maximum below 13 pages or beyond the available pages
 *   less 512, and bad flags are ERROR_INVALID_PARAMETER and change
 *   nothing; a minimum below 20 pages becomes 20;
 * - VirtualLock: pages not committed (reserved or free) and NOACCESS
 *   pages are ERROR_NOACCESS; a guard page gives STATUS_GUARD_PAGE_VIOLATION
 *   and loses its guard (spec item 60); beyond the minimum working set
 *   less 8 pages, ERROR_WORKING_SET_QUOTA with nothing locked; locks do
 *   not nest; locking makes pages resident (touching them takes no fault);
 * - NtLockVirtualMemory: a map type other than MAP_PROCESS, a bad handle
 *   or a bad in/out pointer fails and locks nothing;
 * - VirtualUnlock: ERROR_NOT_LOCKED unless every page is locked, and the
 *   pages not locked leave the working set (the next touch faults);
 * - decommit unlocks; EmptyWorkingSet keeps exactly the locked pages;
 * - under pressure (more committed and written than RAM, when the page
 *   file counts in the commit limit) a locked 4 MiB region takes no fault:
 *   the kernel's PageFaultCount does not move while it is read.
 *
 * The fault counter is the process's own (PageFaultCount: faults that
 * brought a page in), so "no fault" is the kernel's word, not a timing.
 * The program leaves one page locked at exit (main): the kernel's leak
 * check (locked frames before and after, kernel/programs.c) proves the
 * exit unlocked it.  That page counts against the quota: the cases that
 * fill it lock one page fewer (LOCKABLE) than the default allows. */
#include "utest.h"
#include <psapi.h>
#include <winternl.h>
#include <ntdll.h>

#define PAGE 0x1000u
#define KIB(n) ((SIZE_T)(n) * 1024u)
#define PAGES(n) ((SIZE_T)(n) * PAGE)
#define DEFAULT_MIN PAGES(50)
#define DEFAULT_MAX PAGES(345)
#define LOCKABLE_BY_DEFAULT 42u        /* 50 pages less the 8 the minimum keeps */
#define LOCKABLE (LOCKABLE_BY_DEFAULT - 1)  /* main keeps one locked */

static PROCESS_MEMORY_COUNTERS counters(void)
{
    PROCESS_MEMORY_COUNTERS c = { 0 };
    GetProcessMemoryInfo(GetCurrentProcess(), &c, sizeof(c));
    return c;
}

static DWORD faults(void)
{
    return counters().PageFaultCount;
}

static void touch(char *p, SIZE_T pages)
{
    for (SIZE_T i = 0; i < pages; i++)
        (void)*(volatile char *)(p + i * PAGE);
}

/* Brings back the code and stack pages the next count and touch use, so
 * that a count around a touch sees only the touched pages' faults. */
static void warm_up(char *p)
{
    touch(p, 1);
    (void)faults();
    (void)faults();
}

static void write_pages(char *p, SIZE_T pages, DWORD seed)
{
    for (SIZE_T i = 0; i < pages; i++)
        *(volatile DWORD *)(p + i * PAGE) = seed ^ (DWORD)i;
}

static char *commit(SIZE_T pages)
{
    return VirtualAlloc(NULL, PAGES(pages), MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

static void release(char *p)
{
    VirtualFree(p, 0, MEM_RELEASE);
}

static void restore_defaults(void)
{
    SetProcessWorkingSetSizeEx(GetCurrentProcess(), DEFAULT_MIN, DEFAULT_MAX,
                               QUOTA_LIMITS_HARDWS_MIN_DISABLE | QUOTA_LIMITS_HARDWS_MAX_DISABLE);
}

static void expect_limits(struct utest *t, int line, SIZE_T min, SIZE_T max)
{
    SIZE_T lo = 0, hi = 0;
    if (!GetProcessWorkingSetSize(GetCurrentProcess(), &lo, &hi))
        utest_fail_msg(t, __FILE__, line, "GetProcessWorkingSetSize failed (%lu)",
                       (unsigned long)GetLastError());
    if (lo != min || hi != max)
        utest_fail_msg(t, __FILE__, line, "limits %lu..%lu, expected %lu..%lu", (unsigned long)lo,
                       (unsigned long)hi, (unsigned long)min, (unsigned long)max);
}

static void expect_set_fails(struct utest *t, int line, SIZE_T min, SIZE_T max, DWORD flags)
{
    SetLastError(0);
    BOOL ok = SetProcessWorkingSetSizeEx(GetCurrentProcess(), min, max, flags);
    if (ok || GetLastError() != ERROR_INVALID_PARAMETER)
        utest_fail_msg(t, __FILE__, line, "SetProcessWorkingSetSizeEx(%#lx, %#lx, %#lx): %d, error %lu",
                       (unsigned long)min, (unsigned long)max, (unsigned long)flags, ok,
                       (unsigned long)GetLastError());
    expect_limits(t, line, DEFAULT_MIN, DEFAULT_MAX);      /* nothing changed */
}

static void expect_lock_fails(struct utest *t, int line, void *p, SIZE_T size, DWORD error)
{
    SetLastError(0);
    BOOL ok = VirtualLock(p, size);
    if (ok || GetLastError() != error)
        utest_fail_msg(t, __FILE__, line, "VirtualLock(%p, %#lx): %d, error %lu, expected %lu", p,
                       (unsigned long)size, ok, (unsigned long)GetLastError(), (unsigned long)error);
}

static void expect_unlock_fails(struct utest *t, int line, void *p, SIZE_T size)
{
    SetLastError(0);
    BOOL ok = VirtualUnlock(p, size);
    if (ok || GetLastError() != ERROR_NOT_LOCKED)
        utest_fail_msg(t, __FILE__, line, "VirtualUnlock(%p, %#lx): %d, error %lu, expected 158", p,
                       (unsigned long)size, ok, (unsigned long)GetLastError());
}

/* ---- limits ------------------------------------------------------------------- */

static void defaults_are_documented(struct utest *t)
{
    SIZE_T lo = 0, hi = 0;
    DWORD flags = 0;
    expect_limits(t, __LINE__, DEFAULT_MIN, DEFAULT_MAX);
    ASSERT_TRUE(t, GetProcessWorkingSetSizeEx(GetCurrentProcess(), &lo, &hi, &flags));
    EXPECT_EQ(t, flags, QUOTA_LIMITS_HARDWS_MIN_DISABLE | QUOTA_LIMITS_HARDWS_MAX_DISABLE);
}

static void bad_limits_change_nothing(struct utest *t)
{
    expect_set_fails(t, __LINE__, 0, DEFAULT_MAX, 0);
    expect_set_fails(t, __LINE__, DEFAULT_MIN, 0, 0);
    expect_set_fails(t, __LINE__, PAGES(100), PAGES(99), 0);         /* min above max */
    expect_set_fails(t, __LINE__, PAGES(1), PAGES(12), 0);           /* max below 13 pages */
    expect_set_fails(t, __LINE__, PAGES(50), (SIZE_T)0x7FFF0000, 0); /* beyond the machine */
    expect_set_fails(t, __LINE__, DEFAULT_MIN, DEFAULT_MAX,
                     QUOTA_LIMITS_HARDWS_MIN_ENABLE | QUOTA_LIMITS_HARDWS_MIN_DISABLE);
    expect_set_fails(t, __LINE__, DEFAULT_MIN, DEFAULT_MAX,
                     QUOTA_LIMITS_HARDWS_MAX_ENABLE | QUOTA_LIMITS_HARDWS_MAX_DISABLE);
    expect_set_fails(t, __LINE__, DEFAULT_MIN, DEFAULT_MAX, 0x10);
    /* Not a process handle: ERROR_INVALID_HANDLE, for the set and the get. */
    SIZE_T lo, hi;
    SetLastError(0);
    EXPECT_FALSE(t, SetProcessWorkingSetSize((HANDLE)0x1234, DEFAULT_MIN, DEFAULT_MAX));
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0);
    EXPECT_FALSE(t, GetProcessWorkingSetSize((HANDLE)0x1234, &lo, &hi));
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    expect_limits(t, __LINE__, DEFAULT_MIN, DEFAULT_MAX);
}

static void small_minimum_becomes_20_pages(struct utest *t)
{
    SIZE_T lo, hi;
    DWORD flags;
    ASSERT_TRUE(t, SetProcessWorkingSetSize(GetCurrentProcess(), PAGES(4), PAGES(100)));
    expect_limits(t, __LINE__, PAGES(20), PAGES(100));
    ASSERT_TRUE(t, SetProcessWorkingSetSizeEx(GetCurrentProcess(), PAGES(64), PAGES(128),
                                              QUOTA_LIMITS_HARDWS_MAX_ENABLE));
    ASSERT_TRUE(t, GetProcessWorkingSetSizeEx(GetCurrentProcess(), &lo, &hi, &flags));
    EXPECT_EQ(t, lo, PAGES(64));
    EXPECT_EQ(t, hi, PAGES(128));
    EXPECT_EQ(t, flags, QUOTA_LIMITS_HARDWS_MIN_DISABLE | QUOTA_LIMITS_HARDWS_MAX_ENABLE);
    /* Flags 0 leave the hard-limit state as it was. */
    ASSERT_TRUE(t, SetProcessWorkingSetSize(GetCurrentProcess(), PAGES(64), PAGES(200)));
    ASSERT_TRUE(t, GetProcessWorkingSetSizeEx(GetCurrentProcess(), &lo, &hi, &flags));
    EXPECT_EQ(t, flags, QUOTA_LIMITS_HARDWS_MIN_DISABLE | QUOTA_LIMITS_HARDWS_MAX_ENABLE);
    restore_defaults();
    expect_limits(t, __LINE__, DEFAULT_MIN, DEFAULT_MAX);
}

/* ---- VirtualLock / VirtualUnlock errors ----------------------------------------- */

static void lock_needs_committed_accessible_pages(struct utest *t)
{
    char *r = VirtualAlloc(NULL, PAGES(4), MEM_RESERVE, PAGE_READWRITE);
    ASSERT_PTR_NE(t, r, NULL);
    ASSERT_PTR_NE(t, VirtualAlloc(r, PAGE, MEM_COMMIT, PAGE_READWRITE), NULL);
    expect_lock_fails(t, __LINE__, r + PAGE, PAGE, ERROR_NOACCESS);        /* reserved */
    expect_lock_fails(t, __LINE__, r, PAGES(2), ERROR_NOACCESS);           /* runs into it */
    expect_unlock_fails(t, __LINE__, r, PAGE);                             /* nothing locked */
    ASSERT_PTR_NE(t, VirtualAlloc(r + PAGE, PAGE, MEM_COMMIT, PAGE_NOACCESS), NULL);
    expect_lock_fails(t, __LINE__, r + PAGE, PAGE, ERROR_NOACCESS);        /* NOACCESS */
    release(r);
    expect_lock_fails(t, __LINE__, r, PAGE, ERROR_NOACCESS);               /* free */
    expect_lock_fails(t, __LINE__, (void *)0x80001000, PAGE, ERROR_INVALID_PARAMETER);
    char *p = commit(1);
    ASSERT_PTR_NE(t, p, NULL);
    expect_lock_fails(t, __LINE__, p, 0, ERROR_INVALID_PARAMETER);
    release(p);
}

/* The native service's own checks: the map type first, then the in/out
 * pointers, then the handle; none of them locks anything. */
static void native_lock_checks(struct utest *t)
{
    char *p = commit(1);
    ASSERT_PTR_NE(t, p, NULL);
    PVOID base = p;
    SIZE_T size = PAGE;
    EXPECT_EQ(t, NtLockVirtualMemory(NtCurrentProcess(), &base, &size, 0), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(t, NtLockVirtualMemory(NtCurrentProcess(), &base, &size, MAP_SYSTEM),
              STATUS_PRIVILEGE_NOT_HELD);
    EXPECT_EQ(t, NtLockVirtualMemory((HANDLE)0x1234, &base, &size, MAP_PROCESS), STATUS_INVALID_HANDLE);
    EXPECT_EQ(t, NtUnlockVirtualMemory((HANDLE)0x1234, &base, &size, MAP_PROCESS), STATUS_INVALID_HANDLE);
    EXPECT_EQ(t, NtLockVirtualMemory(NtCurrentProcess(), (PVOID *)0x80000000, &size, MAP_PROCESS),
              STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(t, NtLockVirtualMemory(NtCurrentProcess(), &base, (PSIZE_T)0, MAP_PROCESS),
              STATUS_ACCESS_VIOLATION);
    expect_unlock_fails(t, __LINE__, p, PAGE);          /* none of those locked it */
    /* The success path writes back the page range. */
    base = p + 5;
    size = 2;
    ASSERT_EQ(t, NtLockVirtualMemory(NtCurrentProcess(), &base, &size, MAP_PROCESS), STATUS_SUCCESS);
    EXPECT_PTR_EQ(t, base, p);
    EXPECT_EQ(t, size, PAGE);
    EXPECT_EQ(t, NtUnlockVirtualMemory(NtCurrentProcess(), &base, &size, MAP_PROCESS), STATUS_SUCCESS);
    release(p);
}

static void guard_page_loses_its_guard(struct utest *t)
{
    MEMORY_BASIC_INFORMATION mbi;
    char *p = VirtualAlloc(NULL, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    ASSERT_PTR_NE(t, p, NULL);
    expect_lock_fails(t, __LINE__, p, PAGE, (DWORD)STATUS_GUARD_PAGE_VIOLATION);
    ASSERT_EQ(t, VirtualQuery(p, &mbi, sizeof(mbi)), sizeof(mbi));
    EXPECT_EQ(t, mbi.Protect, PAGE_READWRITE);                             /* the guard went */
    EXPECT_TRUE(t, VirtualLock(p, PAGE));                                  /* and the second try works */
    EXPECT_TRUE(t, VirtualUnlock(p, PAGE));
    release(p);
}

static void quota_is_the_minimum_less_8(struct utest *t)
{
    char *p = commit(LOCKABLE + 1);
    ASSERT_PTR_NE(t, p, NULL);
    /* All at once: refused, nothing locked. */
    expect_lock_fails(t, __LINE__, p, PAGES(LOCKABLE + 1), ERROR_WORKING_SET_QUOTA);
    expect_unlock_fails(t, __LINE__, p, PAGE);
    EXPECT_TRUE(t, VirtualLock(p, PAGES(LOCKABLE)));
    expect_lock_fails(t, __LINE__, p + PAGES(LOCKABLE), PAGE, ERROR_WORKING_SET_QUOTA);
    /* Locking locked pages again takes no quota (locks do not nest). */
    EXPECT_TRUE(t, VirtualLock(p, PAGES(LOCKABLE)));
    /* The minimum cannot drop below what is locked; a larger one gives room. */
    expect_set_fails(t, __LINE__, PAGES(40), DEFAULT_MAX, 0);
    ASSERT_TRUE(t, SetProcessWorkingSetSize(GetCurrentProcess(), PAGES(51), DEFAULT_MAX));
    EXPECT_TRUE(t, VirtualLock(p + PAGES(LOCKABLE), PAGE));
    EXPECT_TRUE(t, VirtualUnlock(p, PAGES(LOCKABLE + 1)));
    restore_defaults();
    release(p);
}

static void unlock_is_all_or_not_locked(struct utest *t)
{
    char *p = commit(4);
    ASSERT_PTR_NE(t, p, NULL);
    ASSERT_TRUE(t, VirtualLock(p + 1, 2));          /* 2 bytes in page 0: one page */
    expect_unlock_fails(t, __LINE__, p, PAGES(2));  /* page 1 is not locked */
    /* Page 0 stayed locked: one unlock now works, the next finds nothing. */
    EXPECT_TRUE(t, VirtualUnlock(p, PAGE));
    expect_unlock_fails(t, __LINE__, p, PAGE);
    /* A 2-byte range straddling a boundary locks both pages. */
    ASSERT_TRUE(t, VirtualLock(p + PAGE - 1, 2));
    EXPECT_TRUE(t, VirtualUnlock(p, PAGES(2)));
    release(p);
}

/* ---- residency ------------------------------------------------------------------ */

static void lock_makes_pages_resident(struct utest *t)
{
    char *p = commit(32);
    ASSERT_PTR_NE(t, p, NULL);
    SIZE_T ws0 = counters().WorkingSetSize;
    DWORD f0 = faults();
    ASSERT_TRUE(t, VirtualLock(p, PAGES(32)));      /* demand-zero pages brought in */
    EXPECT_GE(t, counters().WorkingSetSize, ws0 + PAGES(32));
    DWORD f1 = faults();
    EXPECT_GE(t, f1 - f0, 32);                      /* the lock faulted them in */
    touch(p, 32);
    EXPECT_EQ(t, faults(), f1);                     /* touching them takes none */
    EXPECT_TRUE(t, VirtualUnlock(p, PAGES(32)));
    release(p);
}

static void not_locked_pages_leave_on_unlock(struct utest *t)
{
    char *p = commit(8);
    ASSERT_PTR_NE(t, p, NULL);
    write_pages(p, 8, 1);
    SIZE_T ws0 = counters().WorkingSetSize;
    expect_unlock_fails(t, __LINE__, p, PAGES(8));  /* "removes such pages from the working set" */
    EXPECT_LE(t, counters().WorkingSetSize + PAGES(8), ws0);
    DWORD f0 = faults();
    touch(p, 8);
    EXPECT_EQ(t, faults() - f0, 8);                 /* each comes back with a (soft) fault */
    EXPECT_EQ(t, *(DWORD *)(p + PAGES(5)), 1u ^ 5u);
    release(p);
}

static void decommit_unlocks(struct utest *t)
{
    char *p = commit(LOCKABLE);
    ASSERT_PTR_NE(t, p, NULL);
    ASSERT_TRUE(t, VirtualLock(p, PAGES(LOCKABLE)));
    ASSERT_TRUE(t, VirtualFree(p, PAGES(LOCKABLE), MEM_DECOMMIT));
    ASSERT_PTR_NE(t, VirtualAlloc(p, PAGES(LOCKABLE), MEM_COMMIT, PAGE_READWRITE), NULL);
    expect_unlock_fails(t, __LINE__, p, PAGE);
    /* The quota came back with them. */
    EXPECT_TRUE(t, VirtualLock(p, PAGES(LOCKABLE)));
    release(p);                                     /* the release unlocks too */
    char *q = commit(LOCKABLE);
    ASSERT_PTR_NE(t, q, NULL);
    EXPECT_TRUE(t, VirtualLock(q, PAGES(LOCKABLE)));
    release(q);
}

static void empty_working_set_keeps_locked_pages(struct utest *t)
{
    char *p = commit(64);
    ASSERT_PTR_NE(t, p, NULL);
    write_pages(p, 64, 7);
    ASSERT_TRUE(t, VirtualLock(p, PAGES(16)));
    ASSERT_TRUE(t, EmptyWorkingSet(GetCurrentProcess()));
    warm_up(p);
    PROCESS_MEMORY_COUNTERS c = counters();
    EXPECT_GE(t, c.WorkingSetSize, PAGES(16));
    EXPECT_GE(t, c.PeakWorkingSetSize, PAGES(64));
    DWORD f0 = faults();
    touch(p, 16);
    EXPECT_EQ(t, faults(), f0);                     /* locked: still there */
    touch(p + PAGES(16), 48);
    EXPECT_EQ(t, faults() - f0, 48);                /* the rest had left */
    for (int i = 0; i < 64; i++)
        EXPECT_EQ(t, *(DWORD *)(p + PAGES(i)), 7u ^ (DWORD)i);
    /* The documented way to trim: both (SIZE_T)-1. */
    ASSERT_TRUE(t, SetProcessWorkingSetSize(GetCurrentProcess(), (SIZE_T)-1, (SIZE_T)-1));
    warm_up(p);
    f0 = faults();
    touch(p, 16);
    EXPECT_EQ(t, faults(), f0);
    EXPECT_TRUE(t, VirtualUnlock(p, PAGES(16)));
    release(p);
}

/* 4 MiB locked, then RAM + 4 MiB committed and written, then every 16th
 * page read back: the locked pages take no fault after either sweep (the
 * kernel's counter) and keep their contents, while the page file holds
 * at least what cannot be in RAM.  Needs the page file in the commit
 * limit; skips without it, or on a machine too big to fill in a few
 * seconds (the uws@16M boot runs it). */
static void locked_region_survives_pressure(struct utest *t)
{
    SYSTEM_MEMORY_COUNTERS s;
    ASSERT_EQ(t, NtQuerySystemCounters(&s, sizeof(s)), STATUS_SUCCESS);
    if (s.CommitLimitPageFile == 0)
        utest_skip(t, "the page file is not in the commit limit");
    if (s.PhysicalPages > 48u * 256u)
        utest_skip(t, "more than 48 MiB of RAM (the uws@16M boot runs this)");
    const SIZE_T locked = 1024, more = s.PhysicalPages + 1024;
    if (more + locked + 1024 > s.CommitLimit - s.CommitCharge)
        utest_skip(t, "the commit limit is too small for RAM + 8 MiB");
    ASSERT_TRUE(t, SetProcessWorkingSetSize(GetCurrentProcess(), PAGES(locked + 64), PAGES(locked + 128)));
    char *l = commit(locked), *big = commit(more);
    ASSERT_PTR_NE(t, l, NULL);
    ASSERT_PTR_NE(t, big, NULL);
    write_pages(l, locked, 0xA5A5);
    ASSERT_TRUE(t, VirtualLock(l, PAGES(locked)));
    for (int phase = 0; phase < 2; phase++) {
        SIZE_T bad = 0;
        if (phase == 0)
            write_pages(big, more, 0x5A5A);
        else
            for (SIZE_T i = 0; i < more; i += 16)
                bad += *(volatile DWORD *)(big + PAGES(i)) != (0x5A5Au ^ (DWORD)i);
        EXPECT_EQ(t, bad, 0);
        warm_up(l);
        DWORD f1 = faults();
        touch(l, locked);
        EXPECT_EQ(t, faults(), f1);                 /* not one locked page had left */
        for (SIZE_T i = 0; i < locked; i += 97)
            EXPECT_EQ(t, *(DWORD *)(l + PAGES(i)), 0xA5A5u ^ (DWORD)i);
    }
    /* The pressure was real: what did not fit in RAM is in the page file. */
    ASSERT_EQ(t, NtQuerySystemCounters(&s, sizeof(s)), STATUS_SUCCESS);
    EXPECT_GE(t, s.PageFileInUse, more + locked - s.PhysicalPages);
    EXPECT_TRUE(t, VirtualUnlock(l, PAGES(locked)));
    release(big);
    release(l);
    restore_defaults();
}

static const struct utest_case limit_cases[] = {
    UTEST_CASE(defaults_are_documented),
    UTEST_CASE(bad_limits_change_nothing),
    UTEST_CASE(small_minimum_becomes_20_pages),
    UTEST_END,
};

static const struct utest_case lock_cases[] = {
    UTEST_CASE(lock_needs_committed_accessible_pages),
    UTEST_CASE(native_lock_checks),
    UTEST_CASE(guard_page_loses_its_guard),
    UTEST_CASE(quota_is_the_minimum_less_8),
    UTEST_CASE(unlock_is_all_or_not_locked),
    UTEST_CASE(lock_makes_pages_resident),
    UTEST_CASE(not_locked_pages_leave_on_unlock),
    UTEST_CASE(decommit_unlocks),
    UTEST_CASE(empty_working_set_keeps_locked_pages),
    UTEST_CASE(locked_region_survives_pressure),
    UTEST_END,
};

static const struct utest_suite limit_suite = { .name = "ws_limits", .cases = limit_cases };
static const struct utest_suite lock_suite = { .name = "virtual_lock", .cases = lock_cases };

static const struct utest_suite *const suites[] = { &limit_suite, &lock_suite, NULL };

int main(void)
{
    /* One page locked for the whole run and never unlocked or released:
     * the process's end does both, which the kernel's leak check (locked
     * frames before and after, kernel/programs.c) proves.  Outside the
     * suites, whose own leak checks compare commit and reservations. */
    char *left_locked = commit(1);
    if (left_locked == NULL || !VirtualLock(left_locked, PAGE))
        return 2;
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    return utest_main(suites);
}
