/* Process isolation, first half (uisolate_b runs right after it in the
 * same boot: the harness runs the programs sorted by name).
 *
 * A commits 4 MiB at 0x20000000 and fills every byte with a pattern,
 * releases it, and also leaves another 4 MiB at 0x24000000 full of the
 * pattern for the kernel to reclaim at exit.  Its frames go back to the
 * free lists dirty; B must never see the pattern: its freshly committed
 * pages read zero, and A's addresses are free (and fault) in B's address
 * space. */
#include "utest.h"
#include "uspace.h"
#include <stdio.h>

#define A_RELEASED 0x20000000u
#define A_KEPT 0x24000000u
#define A_SIZE (4u << 20)
#define PATTERN 0xA11CE5EDu

static void fill(uint32_t base)
{
    volatile uint32_t *p = (volatile uint32_t *)base;
    for (uint32_t i = 0; i < A_SIZE / 4; i++)
        p[i] = PATTERN ^ i;
}

static uint32_t mismatches(uint32_t base)
{
    volatile uint32_t *p = (volatile uint32_t *)base;
    uint32_t bad = 0;
    for (uint32_t i = 0; i < A_SIZE / 4; i++)
        bad += p[i] != (PATTERN ^ i);
    return bad;
}

static void fill_and_release(struct utest *t)
{
    uint32_t p = U32(VirtualAlloc(VA(A_RELEASED), A_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));

    ASSERT_EQ(t, p, A_RELEASED);
    fill(p);
    EXPECT_EQ(t, mismatches(p), 0);
    utest_log("filled %u KiB at %p with the pattern %08x ^ index, releasing it",
           A_SIZE / 1024, VA(p), PATTERN);
    EXPECT_TRUE(t, VirtualFree(VA(p), 0, MEM_RELEASE));
    MEMORY_BASIC_INFORMATION m;
    EXPECT_EQ(t, VirtualQuery(VA(p), &m, sizeof(m)), sizeof(m));
    EXPECT_EQ(t, m.State, MEM_FREE);
}

/* Left for the kernel to take back when the process ends. */
static void fill_and_keep(struct utest *t)
{
    uint32_t p = U32(VirtualAlloc(VA(A_KEPT), A_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));

    ASSERT_EQ(t, p, A_KEPT);
    fill(p);
    EXPECT_EQ(t, mismatches(p), 0);
    utest_log("filled %u KiB at %p, exiting without releasing it", A_SIZE / 1024, VA(p));
}

static const struct utest_case a_cases[] = {
    UTEST_CASE(fill_and_release),
    UTEST_CASE(fill_and_keep),
    UTEST_END,
};
static const struct utest_suite a_suite = { .name = "uisolate_a", .cases = a_cases };
static const struct utest_suite *const suites[] = { &a_suite, NULL };

int main(void)
{
    return utest_main(suites);
}
