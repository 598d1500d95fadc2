/* Run only when named (test=stackoverflow): recurses until the boot
 * stack runs into its unmapped guard page.  The #PF cannot push its frame
 * there, so the CPU raises #DF, which runs on its own TSS stack and
 * reports the overflow (the harness checks the report). */
#include "tests/ktest.h"

int stack_overflow_recurse(volatile char *prev, int depth);
int stack_overflow_recurse(volatile char *prev, int depth)
{
    volatile char frame[512];
    if (depth > (1 << 24))          /* never reached: the guard page is hit first */
        return 0;
    frame[0] = (char)depth;
    frame[511] = prev ? prev[0] : 0;
    return stack_overflow_recurse(frame, depth + 1) + frame[1];
}

static void stackoverflow_reported_by_double_fault(struct ktest *t)
{
    (void)t;
    stack_overflow_recurse(NULL, 0);
}

static const struct ktest_case stackoverflow_cases[] = {
    KTEST_CASE(stackoverflow_reported_by_double_fault),
    KTEST_END,
};

static const struct ktest_suite stackoverflow_suite = {
    .name = "stackoverflow",
    .cases = stackoverflow_cases,
    .explicit_only = true,
};
KTEST_SUITE(stackoverflow_suite);
