/* Write watches (issue 15, item 4) from ring 3: VirtualAlloc with
 * MEM_WRITE_WATCH, GetWriteWatch (with and without
 * WRITE_WATCH_FLAG_RESET) and ResetWriteWatch, as Microsoft documents
 * them: the pages written since the region was reserved or last reset,
 * in address order, each exactly once; reads are not writes; a small
 * array gets the first pages and a reset with it resets only those; bad
 * regions and flags are ERROR_INVALID_PARAMETER and bad pointers change
 * nothing.  The kernel builds them on the PTE dirty bit (mm/vm_watch.c). */
#include "utest.h"

#define PAGE 0x1000u
#define PAGES 16u

static char *region;            /* PAGES pages, MEM_WRITE_WATCH, all committed */

#define AT(pg) (region + (pg) * PAGE)

static void write_page(unsigned pg)
{
    *(volatile char *)AT(pg) = (char)pg;
}

static char read_page(unsigned pg)
{
    return *(volatile char *)AT(pg);
}

/* GetWriteWatch over the whole region into addrs[max]; returns the count,
 * or -1 (the case fails) when the call fails. */
static int watched(struct utest *t, DWORD flags, PVOID *addrs, ULONG_PTR max)
{
    ULONG_PTR count = max;
    DWORD granularity = 0;
    UINT r = GetWriteWatch(flags, region, PAGES * PAGE, addrs, &count, &granularity);
    EXPECT_EQ(t, r, 0);
    if (r != 0)
        return -1;
    EXPECT_EQ(t, granularity, PAGE);
    return (int)count;
}

static int fixture_init(void)
{
    region = VirtualAlloc(NULL, PAGES * PAGE, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
    return region == NULL;
}

static void suite_init_reset(void)
{
    ResetWriteWatch(region, PAGES * PAGE);
}

/* ---- cases ------------------------------------------------------------------ */

static void watch_needs_reserve(struct utest *t)
{
    /* "If you specify this value, you must also specify MEM_RESERVE." */
    SetLastError(0);
    EXPECT_PTR_EQ(t, VirtualAlloc(NULL, PAGE, MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
}

static void fresh_region_reports_nothing(struct utest *t)
{
    PVOID addrs[PAGES];

    suite_init_reset();
    for (unsigned pg = 0; pg < PAGES; pg++)
        (void)read_page(pg);            /* reads (demand-zero faults too) are not writes */
    EXPECT_EQ(t, watched(t, 0, addrs, PAGES), 0);
}

static void written_pages_in_order(struct utest *t)
{
    PVOID addrs[PAGES];

    suite_init_reset();
    write_page(5);
    write_page(1);
    write_page(12);
    write_page(5);                      /* twice: still one page */
    int n = watched(t, 0, addrs, PAGES);
    ASSERT_EQ(t, n, 3);
    EXPECT_PTR_EQ(t, addrs[0], AT(1));
    EXPECT_PTR_EQ(t, addrs[1], AT(5));
    EXPECT_PTR_EQ(t, addrs[2], AT(12));
    /* Without the reset flag nothing is cleared. */
    EXPECT_EQ(t, watched(t, 0, addrs, PAGES), 3);
}

static void reset_flag_reports_each_write_once(struct utest *t)
{
    PVOID addrs[PAGES];

    suite_init_reset();
    write_page(3);
    ASSERT_EQ(t, watched(t, WRITE_WATCH_FLAG_RESET, addrs, PAGES), 1);
    EXPECT_PTR_EQ(t, addrs[0], AT(3));
    EXPECT_EQ(t, watched(t, WRITE_WATCH_FLAG_RESET, addrs, PAGES), 0);
    /* Written again after the reset: reported again, once. */
    write_page(3);
    write_page(3);
    ASSERT_EQ(t, watched(t, WRITE_WATCH_FLAG_RESET, addrs, PAGES), 1);
    EXPECT_PTR_EQ(t, addrs[0], AT(3));
    EXPECT_EQ(t, watched(t, 0, addrs, PAGES), 0);
}

static void reset_write_watch_clears(struct utest *t)
{
    PVOID addrs[PAGES];

    suite_init_reset();
    write_page(0);
    write_page(15);
    EXPECT_EQ(t, ResetWriteWatch(AT(0), PAGE), 0);      /* only the first page */
    ASSERT_EQ(t, watched(t, 0, addrs, PAGES), 1);
    EXPECT_PTR_EQ(t, addrs[0], AT(15));
    EXPECT_EQ(t, ResetWriteWatch(region, PAGES * PAGE), 0);
    EXPECT_EQ(t, watched(t, 0, addrs, PAGES), 0);
    write_page(7);
    ASSERT_EQ(t, watched(t, 0, addrs, PAGES), 1);
    EXPECT_PTR_EQ(t, addrs[0], AT(7));
}

static void small_array_gets_the_first_pages(struct utest *t)
{
    PVOID addrs[PAGES];

    suite_init_reset();
    write_page(2);
    write_page(4);
    write_page(9);
    /* Two slots: the first two written pages; the reset goes with them. */
    ASSERT_EQ(t, watched(t, WRITE_WATCH_FLAG_RESET, addrs, 2), 2);
    EXPECT_PTR_EQ(t, addrs[0], AT(2));
    EXPECT_PTR_EQ(t, addrs[1], AT(4));
    ASSERT_EQ(t, watched(t, 0, addrs, PAGES), 1);
    EXPECT_PTR_EQ(t, addrs[0], AT(9));
    /* A zero-sized array: nothing returned, nothing reset. */
    EXPECT_EQ(t, watched(t, WRITE_WATCH_FLAG_RESET, addrs, 0), 0);
    EXPECT_EQ(t, watched(t, 0, addrs, PAGES), 1);
}

static void part_of_the_region(struct utest *t)
{
    PVOID addrs[PAGES];
    ULONG_PTR count = PAGES;
    DWORD granularity;

    suite_init_reset();
    write_page(1);
    write_page(10);
    ASSERT_EQ(t, GetWriteWatch(0, AT(8), 4 * PAGE, addrs, &count, &granularity), 0);
    ASSERT_EQ(t, count, 1);
    EXPECT_PTR_EQ(t, addrs[0], AT(10));
}

static void dirty_survives_a_protection_round_trip(struct utest *t)
{
    PVOID addrs[PAGES];
    DWORD old;

    suite_init_reset();
    write_page(6);
    /* PAGE_NOACCESS takes the page out of the hardware's reach (its entry
     * is no longer present) and back; the write is still remembered. */
    ASSERT_TRUE(t, VirtualProtect(AT(6), PAGE, PAGE_NOACCESS, &old));
    ASSERT_TRUE(t, VirtualProtect(AT(6), PAGE, PAGE_READONLY, &old));
    ASSERT_TRUE(t, VirtualProtect(AT(6), PAGE, PAGE_READWRITE, &old));
    ASSERT_EQ(t, watched(t, 0, addrs, PAGES), 1);
    EXPECT_PTR_EQ(t, addrs[0], AT(6));
    /* A reset while not accessible clears it too. */
    ASSERT_TRUE(t, VirtualProtect(AT(6), PAGE, PAGE_NOACCESS, &old));
    EXPECT_EQ(t, ResetWriteWatch(AT(6), PAGE), 0);
    ASSERT_TRUE(t, VirtualProtect(AT(6), PAGE, PAGE_READWRITE, &old));
    EXPECT_EQ(t, watched(t, 0, addrs, PAGES), 0);
}

static void decommitted_page_starts_clean(struct utest *t)
{
    PVOID addrs[PAGES];

    suite_init_reset();
    write_page(8);
    ASSERT_TRUE(t, VirtualFree(AT(8), PAGE, MEM_DECOMMIT));
    ASSERT_PTR_NE(t, VirtualAlloc(AT(8), PAGE, MEM_COMMIT, PAGE_READWRITE), NULL);
    EXPECT_EQ(t, watched(t, 0, addrs, PAGES), 0);
    write_page(8);
    EXPECT_EQ(t, watched(t, WRITE_WATCH_FLAG_RESET, addrs, PAGES), 1);
}

/* A region spanning several page tables, most of it never touched. */
static void large_sparse_region(struct utest *t)
{
    const SIZE_T size = 12u << 20;
    char *big = VirtualAlloc(NULL, size, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_READWRITE);
    PVOID addrs[8];
    ULONG_PTR count = 8;
    DWORD granularity;

    ASSERT_PTR_NE(t, big, NULL);
    ASSERT_PTR_NE(t, VirtualAlloc(big, PAGE, MEM_COMMIT, PAGE_READWRITE), NULL);
    ASSERT_PTR_NE(t, VirtualAlloc(big + (9u << 20), PAGE, MEM_COMMIT, PAGE_READWRITE), NULL);
    big[0] = 1;
    big[9u << 20] = 1;
    EXPECT_EQ(t, GetWriteWatch(WRITE_WATCH_FLAG_RESET, big, size, addrs, &count, &granularity), 0);
    EXPECT_EQ(t, count, 2);
    EXPECT_PTR_EQ(t, addrs[0], big);
    EXPECT_PTR_EQ(t, addrs[1], big + (9u << 20));
    count = 8;
    EXPECT_EQ(t, GetWriteWatch(0, big, size, addrs, &count, &granularity), 0);
    EXPECT_EQ(t, count, 0);
    EXPECT_TRUE(t, VirtualFree(big, 0, MEM_RELEASE));
}

/* One failing call: non-zero, the error, and the written page still there. */
static void expect_watch_fails(struct utest *t, int line, DWORD flags, PVOID base, SIZE_T size,
                               PVOID *addrs, ULONG_PTR *count, DWORD *gran, DWORD error)
{
    PVOID seen[PAGES];

    SetLastError(0);
    if (GetWriteWatch(flags, base, size, addrs, count, gran) == 0)
        utest_fail_msg(t, __FILE__, line, "GetWriteWatch succeeded");
    else if (GetLastError() != error)
        utest_fail_msg(t, __FILE__, line, "error %lu, expected %lu", GetLastError(), error);
    if (watched(t, 0, seen, PAGES) != 1 || seen[0] != AT(11))
        utest_fail_msg(t, __FILE__, line, "the failed call changed the watch state");
}

static void bad_arguments_change_nothing(struct utest *t)
{
    PVOID addrs[PAGES];
    ULONG_PTR count = PAGES;
    DWORD gran;
    char *plain = VirtualAlloc(NULL, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);

    ASSERT_PTR_NE(t, plain, NULL);
    suite_init_reset();
    write_page(11);
    expect_watch_fails(t, __LINE__, 2, region, PAGES * PAGE, addrs, &count, &gran, ERROR_INVALID_PARAMETER);
    expect_watch_fails(t, __LINE__, 0, plain, PAGE, addrs, &count, &gran, ERROR_INVALID_PARAMETER);
    expect_watch_fails(t, __LINE__, 0, region, (PAGES + 1) * PAGE, addrs, &count, &gran,
                       ERROR_INVALID_PARAMETER);
    expect_watch_fails(t, __LINE__, 0, region, 0, addrs, &count, &gran, ERROR_INVALID_PARAMETER);
    expect_watch_fails(t, __LINE__, 0, (PVOID)0x50000000, PAGE, addrs, &count, &gran,
                       ERROR_INVALID_PARAMETER);
    /* Bad output pointers, with the reset flag: nothing is reset. */
    count = PAGES;
    expect_watch_fails(t, __LINE__, WRITE_WATCH_FLAG_RESET, region, PAGES * PAGE, NULL, &count, &gran,
                       ERROR_NOACCESS);
    expect_watch_fails(t, __LINE__, WRITE_WATCH_FLAG_RESET, region, PAGES * PAGE, (PVOID *)0x80100000,
                       &count, &gran, ERROR_NOACCESS);
    expect_watch_fails(t, __LINE__, WRITE_WATCH_FLAG_RESET, region, PAGES * PAGE, addrs, NULL, &gran,
                       ERROR_NOACCESS);
    expect_watch_fails(t, __LINE__, WRITE_WATCH_FLAG_RESET, region, PAGES * PAGE, addrs, &count,
                       (DWORD *)0xC0000000, ERROR_NOACCESS);
    /* The array runs into a read-only page: probed before the scan. */
    DWORD old;
    ASSERT_TRUE(t, VirtualProtect(plain, PAGE, PAGE_READONLY, &old));
    count = PAGES;
    expect_watch_fails(t, __LINE__, WRITE_WATCH_FLAG_RESET, region, PAGES * PAGE, (PVOID *)plain, &count,
                       &gran, ERROR_NOACCESS);
    SetLastError(0);
    EXPECT_NE(t, ResetWriteWatch(plain, PAGE), 0);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT_NE(t, ResetWriteWatch(region, 0), 0);
    EXPECT_TRUE(t, VirtualFree(plain, 0, MEM_RELEASE));
}

static const struct utest_case watch_cases[] = {
    UTEST_CASE(watch_needs_reserve),
    UTEST_CASE(fresh_region_reports_nothing),
    UTEST_CASE(written_pages_in_order),
    UTEST_CASE(reset_flag_reports_each_write_once),
    UTEST_CASE(reset_write_watch_clears),
    UTEST_CASE(small_array_gets_the_first_pages),
    UTEST_CASE(part_of_the_region),
    UTEST_CASE(dirty_survives_a_protection_round_trip),
    UTEST_CASE(decommitted_page_starts_clean),
    UTEST_CASE(large_sparse_region),
    UTEST_CASE(bad_arguments_change_nothing),
    UTEST_END,
};

static const struct utest_suite watch_suite = { .name = "write_watch", .cases = watch_cases };

static const struct utest_suite *const suites[] = { &watch_suite, NULL };

int main(void)
{
    if (fixture_init() != 0)
        return 2;
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    return utest_main(suites);
}
