/* "Reserve, then commit on demand from the exception handler" (issue 5):
 * a 1 MiB reservation whose 256 pages are touched in random order, each
 * first touch an access violation that a vectored handler resolves by
 * committing the page and continuing (spec items 51, 52).  The handler
 * counts its calls (256 exactly: one per page, never two) and checks
 * every record it gets: the read/write flag and the exact address of the
 * touch that faulted; the contents are checked afterwards.
 *
 * The other half of the item, "an unhandled fault ends only that
 * program", needs a program that dies on purpose: that is the harness's
 * expected-exit-status mechanism (tests/harness.py EXPECTED_EXIT), not
 * this program. */
#include "utest.h"
#include "uspace.h"
#include <stdio.h>

#define REGION_SIZE (1u << 20)
#define PAGES (REGION_SIZE / PAGE)

static uint32_t region;
static int handler_calls, bad_records, commit_failures;
static uint8_t faults_per_page[PAGES];

/* What the test expects the next fault to be. */
static volatile uint32_t expect_addr;
static volatile ULONG_PTR expect_kind;

static LONG CALLBACK commit_on_demand(PEXCEPTION_POINTERS ep)
{
    const EXCEPTION_RECORD *rec = ep->ExceptionRecord;

    if (rec->ExceptionCode != EXCEPTION_ACCESS_VIOLATION || rec->NumberParameters != 2)
        return EXCEPTION_CONTINUE_SEARCH;
    uint32_t addr = rec->ExceptionInformation[1];
    if (addr < region || addr >= region + REGION_SIZE)
        return EXCEPTION_CONTINUE_SEARCH;
    handler_calls++;
    if (addr != expect_addr || rec->ExceptionInformation[0] != expect_kind)
        bad_records++;
    faults_per_page[(addr - region) / PAGE]++;
    if (VirtualAlloc(VA(addr & ~(PAGE - 1)), PAGE, MEM_COMMIT, PAGE_READWRITE) == NULL) {
        commit_failures++;
        return EXCEPTION_CONTINUE_SEARCH;
    }
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* A random permutation of the page numbers (Fisher-Yates). */
static void shuffle(uint16_t *order, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        order[i] = (uint16_t)i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = utest_random() % (i + 1);
        uint16_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
}

static uint32_t offset_in_page(uint32_t page)
{
    return (page * 0x9E5u + 0x10u) & (PAGE - 4);
}

static uint32_t value_for(uint32_t page)
{
    return 0xF00D0000u | page;
}

static void touch_all_pages_in_random_order(struct utest *t, int round)
{
    uint16_t order[PAGES];
    uint32_t reads_zero = 0;

    shuffle(order, PAGES);
    handler_calls = bad_records = commit_failures = 0;
    memset(faults_per_page, 0, sizeof(faults_per_page));
    PVOID h = AddVectoredExceptionHandler(1, commit_on_demand);
    ASSERT_PTR_NE(t, h, NULL);
    for (uint32_t i = 0; i < PAGES; i++) {
        uint32_t page = order[i];
        uint32_t addr = region + page * PAGE + offset_in_page(page);
        expect_addr = addr;
        if ((page + round) % 2 == 0) {
            /* First touch a read: the committed page reads zero. */
            expect_kind = EXCEPTION_READ_FAULT;
            reads_zero += *(volatile uint32_t *)addr == 0;
            *(volatile uint32_t *)addr = value_for(page);
        } else {
            expect_kind = EXCEPTION_WRITE_FAULT;
            *(volatile uint32_t *)addr = value_for(page);
        }
    }
    RemoveVectoredExceptionHandler(h);

    EXPECT_EQ(t, handler_calls, PAGES);
    EXPECT_EQ(t, bad_records, 0);
    EXPECT_EQ(t, commit_failures, 0);
    EXPECT_EQ(t, reads_zero, PAGES / 2);
    uint32_t once = 0;
    for (uint32_t p = 0; p < PAGES; p++)
        once += faults_per_page[p] == 1;
    EXPECT_EQ(t, once, PAGES);
    /* Contents, and every page committed now (no handler installed). */
    uint32_t wrong = 0;
    for (uint32_t p = 0; p < PAGES; p++)
        wrong += *(volatile uint32_t *)(region + p * PAGE + offset_in_page(p)) != value_for(p);
    EXPECT_EQ(t, wrong, 0);
    MEMORY_BASIC_INFORMATION m;
    EXPECT_EQ(t, VirtualQuery(VA(region), &m, sizeof(m)), sizeof(m));
    EXPECT_EQ(t, m.State, MEM_COMMIT);
    EXPECT_EQ(t, m.RegionSize, REGION_SIZE);
    EXPECT_EQ(t, m.Protect, PAGE_READWRITE);
}

static void commit_on_demand_1mib(struct utest *t)
{
    region = U32(VirtualAlloc(NULL, REGION_SIZE, MEM_RESERVE, PAGE_READWRITE));
    ASSERT_NE(t, region, 0);
    touch_all_pages_in_random_order(t, 0);
    /* Decommit everything and do it again: the same 256 faults, and the
     * pages read zero again. */
    EXPECT_TRUE(t, VirtualFree(VA(region), REGION_SIZE, MEM_DECOMMIT));
    touch_all_pages_in_random_order(t, 1);
    EXPECT_TRUE(t, VirtualFree(VA(region), 0, MEM_RELEASE));
    region = 0;
}

/* Touches beyond the reservation are not the handler's business: they
 * reach the next handler (here UTEST_CATCH's, installed in front, sees it
 * first, so install ours first and check it declines). */
static void handler_declines_outside_addresses(struct utest *t)
{
    struct utest_exception x;

    region = U32(VirtualAlloc(NULL, REGION_SIZE, MEM_RESERVE, PAGE_READWRITE));
    ASSERT_NE(t, region, 0);
    handler_calls = 0;
    PVOID h = AddVectoredExceptionHandler(1, commit_on_demand);
    /* UTEST_CATCH's handler goes in front; it takes the exception. */
    EXPECT_EXCEPTION(t, &x, *(volatile uint32_t *)(region + REGION_SIZE + 0x10) = 1);
    EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, x.info[0], EXCEPTION_WRITE_FAULT);
    EXPECT_EQ(t, x.info[1], region + REGION_SIZE + 0x10);
    RemoveVectoredExceptionHandler(h);
    EXPECT_EQ(t, handler_calls, 0);
    MEMORY_BASIC_INFORMATION m;
    EXPECT_EQ(t, VirtualQuery(VA(region), &m, sizeof(m)), sizeof(m));
    EXPECT_EQ(t, m.State, MEM_RESERVE);
    EXPECT_EQ(t, m.RegionSize, REGION_SIZE);
    EXPECT_TRUE(t, VirtualFree(VA(region), 0, MEM_RELEASE));
    region = 0;
}

static void release_leftovers(void)
{
    if (region != 0)
        VirtualFree(VA(region), 0, MEM_RELEASE);
    region = 0;
}

static const struct utest_case fault_cases[] = {
    UTEST_CASE(commit_on_demand_1mib),
    UTEST_CASE(handler_declines_outside_addresses),
    UTEST_END,
};
static const struct utest_suite fault_suite = {
    .name = "ufault", .cases = fault_cases, .exit = release_leftovers,
};
static const struct utest_suite *const suites[] = { &fault_suite, NULL };

int main(void)
{
    stack_pregrow(64 * 1024);
    utest_set_seed(0x0FA017u);
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    return utest_main(suites);
}
