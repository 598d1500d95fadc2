/* Issue 19: a page-file read error ends only the process whose page was
 * lost.  A worker (tests/user/upressure.c "inpage") writes more than RAM,
 * asks for an injected disk error on its next hard fault
 * (NtSetInformationProcess, ProcessInjectInPageError: that process's
 * read, no other's) and reads its memory back: it must die of the
 * unhandled STATUS_IN_PAGE_ERROR (0xC0000006) as its exit status.
 * Meanwhile this process runs its own pressure loop, whose pages go out
 * and come back too: they all read back right, and it carries on; the
 * kernel reports the error and goes on (the boot ends normally).  Skips
 * elsewhere than on the small machine. */
#include "utest.h"
#include "upressure.h"

#define VICTIM_MIB 40u
#define OWN_MIB 16u

static void in_page_error_kills_only_its_process(struct utest *t)
{
    PROCESS_INFORMATION v;
    if (!up_small_machine())
        utest_skip(t, "a machine of more than 40 MiB or a small page file (pressure-inpage@32M runs it)");
    SYSTEM_PERFORMANCE_INFORMATION p0 = up_perf();
    ASSERT_TRUE(t, up_start_worker("inpage 40", &v));
    /* Our own pressure while the victim runs, and once more after. */
    EXPECT_EQ(t, up_pressure(OWN_MIB, 2, 0x5EED), 0);
    DWORD code = up_wait_worker(&v);
    EXPECT_EQ(t, code, (DWORD)STATUS_IN_PAGE_ERROR);
    EXPECT_EQ(t, code, 0xC0000006u);
    EXPECT_EQ(t, up_pressure(OWN_MIB, 1, 0xF00D), 0);
    SYSTEM_PERFORMANCE_INFORMATION p1 = up_perf();
    EXPECT_GT(t, p1.PageReadCount - p0.PageReadCount, 0);
    EXPECT_GT(t, p1.DirtyPagesWriteCount - p0.DirtyPagesWriteCount, VICTIM_MIB * 64u);
}

static const struct utest_case inpage_cases[] = {
    UTEST_CASE(in_page_error_kills_only_its_process),
    UTEST_END,
};

static const struct utest_suite inpage_suite = { .name = "pressure_inpage", .cases = inpage_cases };
static const struct utest_suite *const suites[] = { &inpage_suite, NULL };

int main(void)
{
    return utest_main(suites);
}
