/* Process isolation, second half: runs right after uisolate_a (see there).
 * A's addresses are free in B's own address space and fault when read;
 * pages B commits there and elsewhere read zero everywhere, although the
 * frames were just released by A full of its pattern. */
#include "utest.h"
#include "uspace.h"
#include <stdio.h>

#define A_RELEASED 0x20000000u
#define A_KEPT 0x24000000u
#define A_SIZE (4u << 20)
#define PATTERN 0xA11CE5EDu

#define EXPECT_AV(t, stmt, kind, addr)                                        \
    do {                                                                      \
        struct utest_exception x_;                                            \
        EXPECT_EXCEPTION(t, &x_, stmt);                                       \
        if (x_.caught) {                                                      \
            EXPECT_EQ(t, x_.code, EXCEPTION_ACCESS_VIOLATION);                \
            EXPECT_EQ(t, x_.info[0], kind);                                   \
            EXPECT_EQ(t, x_.info[1], (uintptr_t)(addr));                      \
        }                                                                     \
    } while (0)

static void a_addresses_free_here(struct utest *t)
{
    MEMORY_BASIC_INFORMATION m;
    volatile uint32_t sink = 0;

    for (uint32_t a = A_RELEASED; a < A_KEPT + A_SIZE; a += A_SIZE / 4) {
        EXPECT_EQ(t, VirtualQuery(VA(a), &m, sizeof(m)), sizeof(m));
        EXPECT_EQ(t, m.State, MEM_FREE);
        EXPECT_EQ(t, U32(m.AllocationBase), 0);
    }
    EXPECT_AV(t, sink = *(volatile uint32_t *)A_RELEASED, EXCEPTION_READ_FAULT, A_RELEASED);
    EXPECT_AV(t, sink = *(volatile uint32_t *)(A_KEPT + 0x1234), EXCEPTION_READ_FAULT, A_KEPT + 0x1234);
    EXPECT_AV(t, *(volatile uint32_t *)(A_RELEASED + 0x10) = 1, EXCEPTION_WRITE_FAULT, A_RELEASED + 0x10);
    /* Reserved but not committed: still nothing to read. */
    LPVOID r = VirtualAlloc(VA(A_RELEASED), A_SIZE, MEM_RESERVE, PAGE_READWRITE);
    EXPECT_PTR_EQ(t, r, A_RELEASED);
    EXPECT_AV(t, sink = *(volatile uint32_t *)(A_RELEASED + 0x2000), EXCEPTION_READ_FAULT,
              A_RELEASED + 0x2000);
    if (r != NULL)
        EXPECT_TRUE(t, VirtualFree(r, 0, MEM_RELEASE));
    (void)sink;
}

/* Every word of every page: zero, and no trace of A's pattern. */
static void expect_all_zero(struct utest *t, uint32_t base, uint32_t size)
{
    volatile uint32_t *p = (volatile uint32_t *)base;
    uint32_t nonzero = 0, pattern = 0;

    for (uint32_t i = 0; i < size / 4; i++) {
        uint32_t v = p[i];
        nonzero += v != 0;
        pattern += (v & 0xFFF00000u) == (PATTERN & 0xFFF00000u);
    }
    EXPECT_EQ(t, nonzero, 0);
    EXPECT_EQ(t, pattern, 0);
    if (nonzero != 0)
        utest_log("%lu non-zero words in %08lx+%lx", (unsigned long)nonzero, (unsigned long)base,
                  (unsigned long)size);
}

static void fresh_pages_read_zero_at_a_addresses(struct utest *t)
{
    uint32_t p = U32(VirtualAlloc(VA(A_RELEASED), A_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));
    uint32_t q = U32(VirtualAlloc(VA(A_KEPT), A_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));

    ASSERT_EQ(t, p, A_RELEASED);
    ASSERT_EQ(t, q, A_KEPT);
    expect_all_zero(t, p, A_SIZE);
    expect_all_zero(t, q, A_SIZE);
    EXPECT_TRUE(t, VirtualFree(VA(p), 0, MEM_RELEASE));
    EXPECT_TRUE(t, VirtualFree(VA(q), 0, MEM_RELEASE));
}

static void fresh_pages_read_zero_elsewhere(struct utest *t)
{
    SYSTEM_MEMORY_COUNTERS c = sys_counters();
    uint32_t size = 8u << 20;

    if (c.CommitLimit - c.CommitCharge < size / PAGE + 64)
        utest_skip(t, "not enough commit left");
    uint32_t p = U32(VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));
    ASSERT_NE(t, p, 0);
    EXPECT_NE(t, p, A_RELEASED);
    expect_all_zero(t, p, size);
    /* Dirty them, decommit, commit again: zero again (frames reused). */
    for (uint32_t off = 0; off < size; off += PAGE)
        *(volatile uint32_t *)(p + off + 8) = PATTERN;
    EXPECT_TRUE(t, VirtualFree(VA(p), size, MEM_DECOMMIT));
    EXPECT_PTR_EQ(t, VirtualAlloc(VA(p), size, MEM_COMMIT, PAGE_READWRITE), p);
    expect_all_zero(t, p, size);
    EXPECT_TRUE(t, VirtualFree(VA(p), 0, MEM_RELEASE));
}

static const struct utest_case b_cases[] = {
    UTEST_CASE(a_addresses_free_here),
    UTEST_CASE(fresh_pages_read_zero_at_a_addresses),
    UTEST_CASE(fresh_pages_read_zero_elsewhere),
    UTEST_END,
};
static const struct utest_suite b_suite = { .name = "uisolate_b", .cases = b_cases };
static const struct utest_suite *const suites[] = { &b_suite, NULL };

int main(void)
{
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    return utest_main(suites);
}
