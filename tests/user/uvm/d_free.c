/* uvm, spec section D: VirtualFree (items 25-33). */
#include "uvm.h"

VM_TEST(d25_free_type_validated)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);

    EXPECT_FREE_FAILS(t, p, 0, 0, ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, p, 0x1000, 0, ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, p, 0, MEM_FREE, ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, p, 0x1000, MEM_FREE, ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, p, 0, MEM_DECOMMIT | MEM_RELEASE, ERROR_INVALID_PARAMETER);
    EXPECT_REGION(t, p, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    RELEASE(t, p);
    EXPECT_FREE(t, p);
}

VM_TEST(d26_release_needs_zero_size_and_base)
{
    uint32_t p = COMMIT_NEW(t, 0x3000, PAGE_READWRITE);

    EXPECT_FREE_FAILS(t, p, 0x1000, MEM_RELEASE, ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, p, 0x3000, MEM_RELEASE, ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, p + 0x1000, 0, MEM_RELEASE, ERROR_INVALID_ADDRESS);
    EXPECT_FREE_FAILS(t, p + 0x2FFF, 0, MEM_RELEASE, ERROR_INVALID_ADDRESS);
    uint32_t b = p + 0x1000, s = 0;
    EXPECT_EQ(t, nt_free(&b, &s, MEM_RELEASE), STATUS_FREE_VM_NOT_AT_BASE);
    EXPECT_EQ(t, b, p + 0x1000);
    EXPECT_EQ(t, s, 0);
    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    /* Page-rounded first: base + 0xFFF is still the base; the native call
     * reports the base and the size released. */
    b = p + 0xFFF;
    s = 0;
    EXPECT_EQ(t, nt_free(&b, &s, MEM_RELEASE), STATUS_SUCCESS);
    EXPECT_EQ(t, b, p);
    EXPECT_EQ(t, s, 0x3000);
    EXPECT_FREE(t, p);
}

VM_TEST(d27_release_frees_whole_reservation)
{
    uint32_t c0 = commit_charge();
    uint32_t p = RESERVE(t, BASE, GRAN);

    ALLOC(t, BASE + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    ALLOC(t, BASE + 0x3000, 0x2000, MEM_COMMIT, PAGE_READONLY);
    poke(BASE + 0x1000, 0x11);
    EXPECT_EQ(t, peek(BASE + 0x4000), 0);
    RELEASE(t, p);

    MEMORY_BASIC_INFORMATION m = QUERY(t, BASE);
    EXPECT_EQ(t, m.State, MEM_FREE);
    EXPECT_GE(t, m.RegionSize, GRAN);
    EXPECT_EQ(t, U32(m.AllocationBase), 0);
    EXPECT_EQ(t, commit_charge(), c0);
    /* The translations cached by the touches above must be gone. */
    EXPECT_AV(t, (void)peek(BASE + 0x1000), EXCEPTION_READ_FAULT, BASE + 0x1000);
    EXPECT_AV(t, poke(BASE + 0x4004, 1), EXCEPTION_WRITE_FAULT, BASE + 0x4004);
    EXPECT_EQ(t, RESERVE(t, BASE, GRAN), BASE);
    EXPECT_REGION(t, BASE, GRAN, MEM_RESERVE, 0);
    RELEASE(t, BASE);
}

VM_TEST(d28_release_twice_fails)
{
    uint32_t p = RESERVE(t, 0, 0x2000);

    RELEASE(t, p);
    EXPECT_FREE_FAILS(t, p, 0, MEM_RELEASE, ERROR_INVALID_ADDRESS);
    EXPECT_FREE_FAILS(t, BASE, 0, MEM_RELEASE, ERROR_INVALID_ADDRESS);
    uint32_t b = p, s = 0;
    EXPECT_EQ(t, nt_free(&b, &s, MEM_RELEASE), STATUS_MEMORY_NOT_ALLOCATED);
}

VM_TEST(d29_decommit_rounds_to_pages)
{
    uint32_t c0 = commit_charge();
    uint32_t p = RESERVE(t, BASE, GRAN);

    ALLOC(t, BASE, GRAN, MEM_COMMIT, PAGE_READWRITE);
    for (uint32_t i = 0; i < 4; i++)
        poke(BASE + i * PAGE, (uint8_t)(0x10 + i));
    uint32_t c16 = commit_charge();
    EXPECT_GE(t, c16, c0 + 16);
    DECOMMIT(t, BASE + 0x1FFF, 2);
    EXPECT_REGION(t, BASE, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, BASE + 0x1000, 0x2000, MEM_RESERVE, 0);
    EXPECT_REGION(t, BASE + 0x3000, GRAN - 0x3000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, commit_charge(), c16 - 2);
    EXPECT_EQ(t, peek(BASE), 0x10);
    EXPECT_EQ(t, peek(BASE + 0x3000), 0x13);
    EXPECT_AV(t, (void)peek(BASE + 0x2000), EXCEPTION_READ_FAULT, BASE + 0x2000);
    EXPECT_AV(t, poke(BASE + 0x1000, 1), EXCEPTION_WRITE_FAULT, BASE + 0x1000);
    DECOMMIT(t, BASE + 0x1000, 0x2000);
    DECOMMIT(t, BASE + 0x1800, 0x1000);
    EXPECT_EQ(t, commit_charge(), c16 - 2);

    uint32_t b = BASE + 0x5FFF, s = 2;
    EXPECT_EQ(t, nt_free(&b, &s, MEM_DECOMMIT), STATUS_SUCCESS);
    EXPECT_EQ(t, b, BASE + 0x5000);
    EXPECT_EQ(t, s, 0x2000);
    EXPECT_EQ(t, commit_charge(), c16 - 4);
    RELEASE(t, p);
    EXPECT_EQ(t, commit_charge(), c0);
}

VM_TEST(d30_decommit_size_zero_whole_allocation)
{
    /* A committed page in the same 4 MiB keeps the page table (and its
     * charge) in place, so the charge counts exactly the pages. */
    uint32_t anchor = ALLOC(t, BASE + GRAN, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    uint32_t c0 = commit_charge();
    uint32_t p = ALLOC(t, BASE, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    uint32_t c4 = commit_charge();

    EXPECT_EQ(t, c4, c0 + 4);
    EXPECT_FREE_FAILS(t, p + 0x1000, 0, MEM_DECOMMIT, ERROR_INVALID_ADDRESS);
    uint32_t b = p + 0x2000, s = 0;
    EXPECT_EQ(t, nt_free(&b, &s, MEM_DECOMMIT), STATUS_FREE_VM_NOT_AT_BASE);
    EXPECT_REGION(t, p, 0x4000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, commit_charge(), c4);
    poke(p + 0x3000, 1);
    SetLastError(BAD_ERROR);
    EXPECT_TRUE(t, VirtualFree(VA(p + 0x123), 0, MEM_DECOMMIT));
    EXPECT_REGION(t, p, 0x4000, MEM_RESERVE, 0);
    EXPECT_EQ(t, commit_charge(), c4 - 4);
    RELEASE(t, p);
    EXPECT_EQ(t, commit_charge(), c0);
    RELEASE(t, anchor);
}

VM_TEST(d31_decommit_leaving_allocation_fails_87)
{
    uint32_t p = COMMIT_NEW(t, 0x3000, PAGE_READWRITE);

    poke(p + 0x2000, 0x42);
    EXPECT_FREE_FAILS(t, p + 0x2000, 0x2000, MEM_DECOMMIT, ERROR_INVALID_PARAMETER);
    uint32_t b = p + 0x1000, s = 0x3000;
    EXPECT_EQ(t, nt_free(&b, &s, MEM_DECOMMIT), STATUS_UNABLE_TO_FREE_VM);
    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, peek(p + 0x2000), 0x42);

    uint32_t a1 = ALLOC(t, BASE, GRAN, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    uint32_t a2 = ALLOC(t, BASE + GRAN, GRAN, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    poke(BASE + 0xF000, 0xA1);
    poke(BASE + GRAN, 0xA2);
    EXPECT_FREE_FAILS(t, BASE + 0xF000, 0x2000, MEM_DECOMMIT, ERROR_INVALID_PARAMETER);
    EXPECT_REGION(t, BASE, GRAN, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, BASE + GRAN, GRAN, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, peek(BASE + 0xF000), 0xA1);
    EXPECT_EQ(t, peek(BASE + GRAN), 0xA2);
    RELEASE(t, p);
    RELEASE(t, a1);
    RELEASE(t, a2);
}

VM_TEST(d32_decommit_free_memory_fails)
{
    EXPECT_FREE_FAILS(t, BASE, 0x1000, MEM_DECOMMIT, ERROR_INVALID_ADDRESS);
    EXPECT_FREE_FAILS(t, BASE, 0, MEM_DECOMMIT, ERROR_INVALID_ADDRESS);
    uint32_t p = RESERVE(t, BASE2, 0x3000);
    EXPECT_FREE_FAILS(t, BASE2 + 0x5000, 0x1000, MEM_DECOMMIT, ERROR_INVALID_ADDRESS);
    EXPECT_FREE(t, BASE);
    RELEASE(t, p);
}

VM_TEST(d33_failed_free_changes_nothing)
{
    MEMORY_BASIC_INFORMATION before[4], after[4];
    uint32_t p = RESERVE(t, BASE, 0x4000);

    ALLOC(t, BASE, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    PROTECT(t, BASE + 0x1000, 0x1000, PAGE_READONLY);
    poke(BASE + 1, 0xB1);
    poke(BASE + 0x2001, 0xB2);
    uint32_t c = commit_charge();
    for (int i = 0; i < 4; i++)
        before[i] = QUERY(t, BASE + i * PAGE);

    EXPECT_FREE_FAILS(t, BASE, 0, 0, ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, BASE, 0x1000, MEM_RELEASE, ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, BASE + 0x1000, 0, MEM_RELEASE, ERROR_INVALID_ADDRESS);
    EXPECT_FREE_FAILS(t, BASE + 0x1000, 0, MEM_DECOMMIT, ERROR_INVALID_ADDRESS);
    EXPECT_FREE_FAILS(t, BASE + 0x2000, 0x3000, MEM_DECOMMIT, ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, BASE, 0x4000, MEM_DECOMMIT | MEM_RELEASE, ERROR_INVALID_PARAMETER);

    for (int i = 0; i < 4; i++) {
        after[i] = QUERY(t, BASE + i * PAGE);
        EXPECT_EQ(t, memcmp(&before[i], &after[i], sizeof(before[i])), 0);
    }
    EXPECT_EQ(t, commit_charge(), c);
    EXPECT_EQ(t, peek(BASE + 1), 0xB1);
    EXPECT_EQ(t, peek(BASE + 0x2001), 0xB2);
    RELEASE(t, p);
}

static const struct utest_case d_cases[] = {
    UTEST_CASE(d25_free_type_validated),
    UTEST_CASE(d26_release_needs_zero_size_and_base),
    UTEST_CASE(d27_release_frees_whole_reservation),
    UTEST_CASE(d28_release_twice_fails),
    UTEST_CASE(d29_decommit_rounds_to_pages),
    UTEST_CASE(d30_decommit_size_zero_whole_allocation),
    UTEST_CASE(d31_decommit_leaving_allocation_fails_87),
    UTEST_CASE(d32_decommit_free_memory_fails),
    UTEST_CASE(d33_failed_free_changes_nothing),
    UTEST_END,
};

const struct utest_suite uvm_d_suite = {
    .name = "uvm_d_free", .cases = d_cases, .exit = suite_exit,
};
