/* IsBadReadPtr, IsBadWritePtr, IsBadCodePtr and IsBadStringPtrA (issue
 * 15, item 5) from ring 3, on a reservation whose pages have every state
 * the VM layer knows: the documented results (non-zero when any byte is
 * inaccessible, 0 for a size of 0, non-zero for NULL), partial ranges,
 * probing a guard page consuming the guard, and a vectored handler seeing
 * the probe's exception first, as on Windows. */
#include "utest.h"

#define PAGE 0x1000u

enum {
    PG_RW,          /* PAGE_READWRITE, touched */
    PG_RO,          /* PAGE_READONLY */
    PG_NOACCESS,    /* PAGE_NOACCESS */
    PG_RESERVED,    /* reserved, not committed */
    PG_GUARD1,      /* PAGE_READWRITE | PAGE_GUARD */
    PG_GUARD2,      /* PAGE_READWRITE | PAGE_GUARD */
    PG_EXEC,        /* PAGE_EXECUTE_READ */
    PG_DEMAND,      /* PAGE_READWRITE, never touched (demand-zero) */
    PG_STR,         /* PAGE_READWRITE, a string at its end */
    PG_AFTER,       /* reserved */
    PG_COUNT
};

static char *region;

#define AT(pg) (region + (pg) * PAGE)

static void commit(unsigned pg, DWORD protect)
{
    VirtualAlloc(AT(pg), PAGE, MEM_COMMIT, protect);
}

static int fixture_init(void)
{
    region = VirtualAlloc(NULL, PG_COUNT * PAGE, MEM_RESERVE, PAGE_READWRITE);
    if (region == NULL)
        return 1;
    commit(PG_RW, PAGE_READWRITE);
    memset(AT(PG_RW), 0x5A, PAGE);
    commit(PG_RO, PAGE_READONLY);
    commit(PG_NOACCESS, PAGE_NOACCESS);
    commit(PG_EXEC, PAGE_EXECUTE_READ);
    commit(PG_DEMAND, PAGE_READWRITE);
    commit(PG_STR, PAGE_READWRITE);
    return 0;
}

static DWORD protection(unsigned pg)
{
    MEMORY_BASIC_INFORMATION mbi;

    return VirtualQuery(AT(pg), &mbi, sizeof(mbi)) == sizeof(mbi) ? mbi.Protect : 0xFFFFFFFFu;
}

/* ---- IsBadReadPtr / IsBadWritePtr ------------------------------------------- */

static void zero_size_and_null(struct utest *t)
{
    EXPECT_FALSE(t, IsBadReadPtr(NULL, 0));             /* [doc] nothing to check */
    EXPECT_FALSE(t, IsBadReadPtr(AT(PG_RESERVED), 0));
    EXPECT_FALSE(t, IsBadWritePtr(AT(PG_RO), 0));
    EXPECT_FALSE(t, IsBadWritePtr((LPVOID)0x80100000u, 0));
    EXPECT_TRUE(t, IsBadReadPtr(NULL, 1));
    EXPECT_TRUE(t, IsBadWritePtr(NULL, 4));
}

static void read_probe_by_page_state(struct utest *t)
{
    char on_stack[64];
    char *heap = HeapAlloc(GetProcessHeap(), 0, 100);

    ASSERT_PTR_NE(t, heap, NULL);
    EXPECT_FALSE(t, IsBadReadPtr(on_stack, sizeof(on_stack)));
    EXPECT_FALSE(t, IsBadReadPtr(heap, 100));
    EXPECT_FALSE(t, IsBadReadPtr(AT(PG_RW), PAGE));
    EXPECT_FALSE(t, IsBadReadPtr(AT(PG_RO), PAGE));
    EXPECT_FALSE(t, IsBadReadPtr(AT(PG_EXEC), 16));     /* x86: execute implies read */
    EXPECT_FALSE(t, IsBadReadPtr(AT(PG_DEMAND) + 100, 8));   /* demand-zero: faults in */
    EXPECT_TRUE(t, IsBadReadPtr(AT(PG_NOACCESS), 1));
    EXPECT_TRUE(t, IsBadReadPtr(AT(PG_RESERVED) + 5, 1));
    EXPECT_TRUE(t, IsBadReadPtr((const void *)0x1000, 4));            /* below 64 KiB: never mapped */
    EXPECT_TRUE(t, IsBadReadPtr((const void *)0x80100000u, 4));       /* the kernel */
    EXPECT_TRUE(t, IsBadReadPtr((const void *)0xFFFFF000u, 16));
    HeapFree(GetProcessHeap(), 0, heap);
}

/* [doc] "If the calling process has read access to some, but not all, of
 * the bytes in the specified memory range, the return value is nonzero." */
static void partial_ranges(struct utest *t)
{
    EXPECT_FALSE(t, IsBadReadPtr(AT(PG_RW), 2 * PAGE));             /* RW then RO */
    EXPECT_TRUE(t, IsBadReadPtr(AT(PG_RW), 3 * PAGE));              /* ... then NOACCESS */
    EXPECT_TRUE(t, IsBadReadPtr(AT(PG_RO) + PAGE - 1, 2));          /* the last byte is bad */
    EXPECT_FALSE(t, IsBadReadPtr(AT(PG_RO) + PAGE - 1, 1));
    EXPECT_TRUE(t, IsBadReadPtr(AT(PG_RW), 8 * PAGE));              /* a bad page in the middle */
    EXPECT_TRUE(t, IsBadWritePtr(AT(PG_RW), PAGE + 1));             /* into the read-only page */
    EXPECT_FALSE(t, IsBadWritePtr(AT(PG_RW), PAGE));
    EXPECT_TRUE(t, IsBadReadPtr((const void *)0x7FFF0000u, 0x90000000u));   /* wraps around */
}

static void write_probe_leaves_the_data(struct utest *t)
{
    unsigned bad = 0;

    EXPECT_FALSE(t, IsBadWritePtr(AT(PG_RW), PAGE));
    for (unsigned i = 0; i < PAGE; i++)
        bad += (unsigned char)AT(PG_RW)[i] != 0x5A;
    EXPECT_EQ(t, bad, 0);                               /* read and written back */
    EXPECT_TRUE(t, IsBadWritePtr(AT(PG_RO), 1));
    EXPECT_TRUE(t, IsBadWritePtr(AT(PG_EXEC), 1));
    EXPECT_TRUE(t, IsBadWritePtr(AT(PG_NOACCESS), 1));
    EXPECT_TRUE(t, IsBadWritePtr(AT(PG_RESERVED), 1));
    EXPECT_TRUE(t, IsBadWritePtr((LPVOID)0x80100000u, 1));
    EXPECT_FALSE(t, IsBadHugeWritePtr(AT(PG_DEMAND), PAGE));
    EXPECT_TRUE(t, IsBadHugeReadPtr(AT(PG_NOACCESS), PAGE));
}

/* Probing is an access: a guard page raises STATUS_GUARD_PAGE_VIOLATION,
 * which the probe reports as bad, and the guard is gone afterwards (the
 * documented way these functions break a stack's growth).  Only the page
 * touched loses its guard. */
static void probing_a_guard_page_consumes_the_guard(struct utest *t)
{
    commit(PG_GUARD1, PAGE_READWRITE | PAGE_GUARD);
    commit(PG_GUARD2, PAGE_READWRITE | PAGE_GUARD);
    EXPECT_EQ(t, protection(PG_GUARD1), PAGE_READWRITE | PAGE_GUARD);
    EXPECT_TRUE(t, IsBadReadPtr(AT(PG_GUARD1), 2 * PAGE));
    EXPECT_EQ(t, protection(PG_GUARD1), PAGE_READWRITE);            /* consumed */
    EXPECT_EQ(t, protection(PG_GUARD2), PAGE_READWRITE | PAGE_GUARD);   /* never reached */
    EXPECT_FALSE(t, IsBadReadPtr(AT(PG_GUARD1), PAGE));             /* an ordinary page now */
    EXPECT_TRUE(t, IsBadWritePtr(AT(PG_GUARD2) + 8, 4));
    EXPECT_EQ(t, protection(PG_GUARD2), PAGE_READWRITE);
    EXPECT_FALSE(t, IsBadWritePtr(AT(PG_GUARD2), PAGE));
    /* Re-armed, the string and code probes consume it too. */
    commit(PG_GUARD1, PAGE_READWRITE | PAGE_GUARD);
    EXPECT_TRUE(t, IsBadStringPtrA(AT(PG_GUARD1), 10));
    EXPECT_EQ(t, protection(PG_GUARD1), PAGE_READWRITE);
    commit(PG_GUARD1, PAGE_READWRITE | PAGE_GUARD);
    EXPECT_TRUE(t, IsBadCodePtr((FARPROC)AT(PG_GUARD1)));
    EXPECT_EQ(t, protection(PG_GUARD1), PAGE_READWRITE);
    VirtualFree(AT(PG_GUARD1), 2 * PAGE, MEM_DECOMMIT);
}

/* ---- IsBadCodePtr / IsBadStringPtrA ------------------------------------------ */

static INT_PTR WINAPI some_code(void)
{
    return 1;
}

static void code_pointer(struct utest *t)
{
    EXPECT_FALSE(t, IsBadCodePtr((FARPROC)some_code));
    EXPECT_FALSE(t, IsBadCodePtr((FARPROC)AT(PG_EXEC)));
    EXPECT_TRUE(t, IsBadCodePtr(NULL));
    EXPECT_TRUE(t, IsBadCodePtr((FARPROC)AT(PG_RESERVED)));
    EXPECT_TRUE(t, IsBadCodePtr((FARPROC)0x80100000u));
}

/* [doc] Read access "up to and including the terminating null character",
 * or ucchMax bytes when none comes first. */
static void string_pointer(struct utest *t)
{
    char *end = AT(PG_AFTER);                           /* the reserved page after PG_STR */

    memcpy(end - 4, "abc", 4);                          /* "abc\0": the page's last 4 bytes */
    EXPECT_FALSE(t, IsBadStringPtrA(end - 4, 100));     /* stops at the NUL */
    EXPECT_FALSE(t, IsBadStringPtrA(end - 4, 4));
    memcpy(end - 4, "abcd", 4);                         /* no NUL before the page ends */
    EXPECT_FALSE(t, IsBadStringPtrA(end - 4, 4));       /* ucchMax bytes are all there */
    EXPECT_TRUE(t, IsBadStringPtrA(end - 4, 5));        /* the 5th is in the reserved page */
    EXPECT_FALSE(t, IsBadStringPtrA("literal", 0x7FFFFFFF));
    EXPECT_FALSE(t, IsBadStringPtrA(NULL, 0));
    EXPECT_TRUE(t, IsBadStringPtrA(NULL, 1));
    EXPECT_TRUE(t, IsBadStringPtrA(AT(PG_NOACCESS), 1));
    EXPECT_TRUE(t, IsBadStringPtrA((LPCSTR)0x80100000u, 1));
}

/* ---- the order of handling ------------------------------------------------------ */

static int veh_calls;
static ULONG_PTR veh_address;
static bool veh_fixes;

/* Sees the probe's access violation before the probe's own handling
 * (vectored handlers come first); may commit the page and continue. */
static LONG CALLBACK watching_handler(PEXCEPTION_POINTERS ep)
{
    const EXCEPTION_RECORD *r = ep->ExceptionRecord;

    if (r->ExceptionCode != EXCEPTION_ACCESS_VIOLATION)
        return EXCEPTION_CONTINUE_SEARCH;
    veh_calls++;
    veh_address = r->ExceptionInformation[1];
    if (veh_fixes && VirtualAlloc((LPVOID)veh_address, 1, MEM_COMMIT, PAGE_READWRITE) != NULL)
        return EXCEPTION_CONTINUE_EXECUTION;
    return EXCEPTION_CONTINUE_SEARCH;
}

static void vectored_handlers_see_the_probe_first(struct utest *t)
{
    PVOID h = AddVectoredExceptionHandler(1, watching_handler);

    ASSERT_PTR_NE(t, h, NULL);
    veh_calls = 0;
    veh_fixes = false;
    EXPECT_TRUE(t, IsBadReadPtr(AT(PG_RESERVED) + 12, 1));
    EXPECT_EQ(t, veh_calls, 1);
    EXPECT_EQ(t, veh_address, (ULONG_PTR)(AT(PG_RESERVED) + 12));
    veh_fixes = true;                                   /* commit-on-demand, as in MSDN's sample */
    EXPECT_FALSE(t, IsBadWritePtr(AT(PG_RESERVED), 16));
    EXPECT_EQ(t, veh_calls, 2);
    EXPECT_EQ(t, protection(PG_RESERVED), PAGE_READWRITE);
    RemoveVectoredExceptionHandler(h);
    VirtualFree(AT(PG_RESERVED), PAGE, MEM_DECOMMIT);
}

static DWORD filter_code;

static LONG WINAPI recording_filter(PEXCEPTION_POINTERS ep)
{
    filter_code = ep->ExceptionRecord->ExceptionCode;
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* A probe leaves nothing behind: a later exception no vectored handler
 * takes still reaches the unhandled-exception filter. */
static void probes_leave_no_handler_behind(struct utest *t)
{
    for (int i = 0; i < 50; i++) {
        IsBadReadPtr(AT(PG_RW), 4);
        IsBadReadPtr(AT(PG_NOACCESS), 4);
        IsBadStringPtrA(AT(PG_NOACCESS), 4);
    }
    filter_code = 0;
    LPTOP_LEVEL_EXCEPTION_FILTER old = SetUnhandledExceptionFilter(recording_filter);
    RaiseException(0xE0000005u, 0, 0, NULL);            /* continuable: the filter continues it */
    SetUnhandledExceptionFilter(old);
    EXPECT_EQ(t, filter_code, 0xE0000005u);
}

static const struct utest_case probe_cases[] = {
    UTEST_CASE(zero_size_and_null),
    UTEST_CASE(read_probe_by_page_state),
    UTEST_CASE(partial_ranges),
    UTEST_CASE(write_probe_leaves_the_data),
    UTEST_CASE(probing_a_guard_page_consumes_the_guard),
    UTEST_CASE(code_pointer),
    UTEST_CASE(string_pointer),
    UTEST_CASE(vectored_handlers_see_the_probe_first),
    UTEST_CASE(probes_leave_no_handler_behind),
    UTEST_END,
};

static const struct utest_suite probe_suite = { .name = "pointer_probes", .cases = probe_cases };

static const struct utest_suite *const suites[] = { &probe_suite, NULL };

/* The region is made before the suite's counters are read and stays to
 * the end (the kernel's check after the program sees it go). */
int main(void)
{
    if (fixture_init() != 0)
        return 2;
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    return utest_main(suites);
}
