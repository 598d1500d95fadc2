/* uvm, spec section B: VirtualAlloc, reserve and commit (items 5-19). */
#include "uvm.h"

VM_TEST(b5_zero_size_fails)
{
    EXPECT_ALLOC_FAILS(t, 0, 0, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0, 0, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, BASE, 0, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    uint32_t p = RESERVE(t, BASE2, 0x2000);
    EXPECT_ALLOC_FAILS(t, p, 0, MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_REGION(t, p, 0x2000, MEM_RESERVE, 0);
    EXPECT_FREE(t, BASE);
    RELEASE(t, p);
}

VM_TEST(b6_allocation_type_required)
{
    const DWORD bad[] = { 0, MEM_TOP_DOWN, MEM_DECOMMIT, MEM_RELEASE };

    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        EXPECT_ALLOC_FAILS(t, 0, 0x1000, bad[i], PAGE_READWRITE, ERROR_INVALID_PARAMETER);
        EXPECT_ALLOC_FAILS(t, BASE, 0x1000, bad[i], PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    }
    EXPECT_FREE(t, BASE);
}

VM_TEST(b6_reset_and_reset_undo_alone)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);

    poke(p, 0x66);
    EXPECT_EQ(t, ALLOC(t, p, 0x1000, MEM_RESET, PAGE_READWRITE), p);
    EXPECT_EQ(t, ALLOC(t, p, 0x1000, MEM_RESET_UNDO, PAGE_READWRITE), p);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET_UNDO | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET | MEM_RESET_UNDO, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    poke(p, 0x67);
    RELEASE(t, p);
}

VM_TEST(b7_invalid_protections_rejected)
{
    uint32_t r = RESERVE(t, BASE2, 0x2000);

    for (unsigned i = 0; i < ARRAY_SIZE(invalid_protections); i++) {
        DWORD prot = invalid_protections[i];
        EXPECT_ALLOC_FAILS(t, 0, 0x1000, MEM_RESERVE, prot, ERROR_INVALID_PARAMETER);
        EXPECT_ALLOC_FAILS(t, BASE, 0x1000, MEM_RESERVE | MEM_COMMIT, prot, ERROR_INVALID_PARAMETER);
        EXPECT_ALLOC_FAILS(t, r, 0x1000, MEM_COMMIT, prot, ERROR_INVALID_PARAMETER);
    }
    uint32_t b = BASE, s = 0x1000;
    EXPECT_EQ(t, nt_alloc(&b, &s, MEM_RESERVE, PAGE_WRITECOPY), STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(t, b, BASE);
    EXPECT_EQ(t, s, 0x1000);
    EXPECT_FREE(t, BASE);
    EXPECT_REGION(t, r, 0x2000, MEM_RESERVE, 0);
    RELEASE(t, r);
}

VM_TEST(b7_valid_protections_accepted)
{
    const DWORD good[] = {
        PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE, PAGE_EXECUTE_READ,
        PAGE_EXECUTE_READWRITE, PAGE_READWRITE | PAGE_GUARD, PAGE_READONLY | PAGE_GUARD,
        PAGE_READWRITE | PAGE_NOCACHE, PAGE_READWRITE | PAGE_WRITECOMBINE,
        PAGE_EXECUTE_READ | PAGE_NOCACHE,
    };

    for (unsigned i = 0; i < ARRAY_SIZE(good); i++) {
        uint32_t p = COMMIT_NEW(t, 0x1000, good[i]);
        MEMORY_BASIC_INFORMATION m = QUERY(t, p);
        EXPECT_EQ(t, m.Protect, good[i]);
        EXPECT_EQ(t, m.AllocationProtect, good[i]);
        EXPECT_EQ(t, m.State, MEM_COMMIT);
        RELEASE(t, p);
    }
}

VM_TEST(b8_reserve_anywhere_rounds_size)
{
    uint32_t p = RESERVE(t, 0, 0xFFFC);
    uint32_t q = RESERVE(t, 0, 1);
    uint32_t r = RESERVE(t, 0, GRAN + 1);
    MEMORY_BASIC_INFORMATION m = QUERY(t, p);

    EXPECT_EQ(t, p % GRAN, 0);
    EXPECT_GE(t, p, USER_LOW);
    EXPECT_LE(t, p + GRAN - 1, USER_HIGH);
    EXPECT_EQ(t, U32(m.BaseAddress), p);
    EXPECT_EQ(t, m.RegionSize, 0x10000);
    EXPECT_EQ(t, m.State, MEM_RESERVE);
    EXPECT_EQ(t, m.Protect, 0);
    EXPECT_EQ(t, U32(m.AllocationBase), p);
    EXPECT_EQ(t, m.AllocationProtect, PAGE_READWRITE);
    EXPECT_EQ(t, m.Type, MEM_PRIVATE);
    EXPECT_EQ(t, q % GRAN, 0);
    EXPECT_REGION(t, q, 0x1000, MEM_RESERVE, 0);
    EXPECT_EQ(t, r % GRAN, 0);
    EXPECT_REGION(t, r, 0x11000, MEM_RESERVE, 0);
    EXPECT_TRUE(t, p != q && q != r && p != r);

    /* The native call reports the chosen base and the rounded size. */
    uint32_t b = 0, s = 0x1801;
    EXPECT_EQ(t, nt_alloc(&b, &s, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(t, b % GRAN, 0);
    EXPECT_NE(t, b, 0);
    EXPECT_EQ(t, s, 0x2000);
    RELEASE(t, p);
    RELEASE(t, q);
    RELEASE(t, r);
    RELEASE(t, b);
}

VM_TEST(b9_reserve_explicit_rounds_base)
{
    uint32_t p = RESERVE(t, BASE + 0x1234, 0x1000);
    MEMORY_BASIC_INFORMATION m = QUERY(t, BASE);

    EXPECT_EQ(t, p, BASE);
    EXPECT_EQ(t, m.RegionSize, 0x3000);
    EXPECT_EQ(t, m.State, MEM_RESERVE);
    EXPECT_EQ(t, U32(m.AllocationBase), BASE);
    m = QUERY(t, BASE + 0x3000);
    EXPECT_EQ(t, m.State, MEM_FREE);
    EXPECT_ALLOC_FAILS(t, BASE + 0x8000, 0x1000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_ADDRESS);

    uint32_t b = BASE2 + 0x1234, s = 0x1000;
    EXPECT_EQ(t, nt_alloc(&b, &s, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(t, b, BASE2);
    EXPECT_EQ(t, s, 0x3000);
    RELEASE(t, p);
    RELEASE(t, BASE2);
}

VM_TEST(b10_reserve_over_reservation_conflicts)
{
    uint32_t p = RESERVE(t, BASE, 2 * GRAN);

    EXPECT_ALLOC_FAILS(t, BASE, 0x1000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_ALLOC_FAILS(t, BASE + GRAN, GRAN, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_ALLOC_FAILS(t, BASE - GRAN, 2 * GRAN, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_ALLOC_FAILS(t, BASE - GRAN, 4 * GRAN, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_ALLOC_FAILS(t, BASE + 0x1000, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_ADDRESS);
    uint32_t b = BASE + GRAN, s = 0x1000;
    EXPECT_EQ(t, nt_alloc(&b, &s, MEM_RESERVE, PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
    EXPECT_EQ(t, b, BASE + GRAN);
    EXPECT_EQ(t, s, 0x1000);
    EXPECT_REGION(t, BASE, 2 * GRAN, MEM_RESERVE, 0);
    EXPECT_REGION(t, BASE - GRAN, GRAN, MEM_FREE, PAGE_NOACCESS);
    /* Reserving over the program's own image or stack conflicts too. */
    EXPECT_ALLOC_FAILS(t, 0x00400000, 0x1000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_ALLOC_FAILS(t, current_esp() & ~(GRAN - 1), 0x1000, MEM_RESERVE, PAGE_READWRITE,
                       ERROR_INVALID_ADDRESS);
    RELEASE(t, p);
}

VM_TEST(b11_commit_rounds_to_pages)
{
    uint32_t p = RESERVE(t, BASE, GRAN);

    EXPECT_EQ(t, ALLOC(t, BASE + 0x1FFF, 2, MEM_COMMIT, PAGE_READWRITE), BASE + 0x1000);
    EXPECT_REGION(t, BASE, 0x1000, MEM_RESERVE, 0);
    EXPECT_REGION(t, BASE + 0x1000, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, BASE + 0x3000, GRAN - 0x3000, MEM_RESERVE, 0);

    uint32_t b = BASE + 0x8FFF, s = 2;
    EXPECT_EQ(t, nt_alloc(&b, &s, MEM_COMMIT, PAGE_READONLY), STATUS_SUCCESS);
    EXPECT_EQ(t, b, BASE + 0x8000);
    EXPECT_EQ(t, s, 0x2000);
    EXPECT_REGION(t, BASE + 0x8000, 0x2000, MEM_COMMIT, PAGE_READONLY);
    poke(BASE + 0x1000, 1);
    poke(BASE + 0x2FFF, 2);
    EXPECT_EQ(t, peek(BASE + 0x9FFF), 0);
    RELEASE(t, p);
}

VM_TEST(b11_commit_charge_tracks_pages)
{
    uint32_t p = RESERVE(t, BASE, GRAN);
    uint32_t q0 = RESERVE(t, BASE + GRAN, GRAN);

    /* A committed page in the same 4 MiB: its page table exists from now on. */
    ALLOC(t, BASE + 0xF000, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    uint32_t c0 = commit_charge();
    ALLOC(t, BASE, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, commit_charge(), c0 + 3);
    ALLOC(t, BASE + 0x2000, 0x2000, MEM_COMMIT, PAGE_READONLY);
    EXPECT_EQ(t, commit_charge(), c0 + 4);
    poke(BASE, 1);                      /* touching charges nothing more */
    EXPECT_EQ(t, commit_charge(), c0 + 4);
    DECOMMIT(t, BASE + 0x1000, 0x2000);
    EXPECT_EQ(t, commit_charge(), c0 + 2);
    DECOMMIT(t, BASE + 0x1000, 0x2000);
    EXPECT_EQ(t, commit_charge(), c0 + 2);
    ALLOC(t, q0, 0x5000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, commit_charge(), c0 + 7);
    RELEASE(t, q0);
    EXPECT_EQ(t, commit_charge(), c0 + 2);
    DECOMMIT(t, BASE, 0x4000);
    EXPECT_EQ(t, commit_charge(), c0);
    RELEASE(t, p);
}

VM_TEST(b11_commit_beyond_limit_fails)
{
    SYSTEM_MEMORY_COUNTERS before = sys_counters(), after;
    uint32_t pages = before.CommitLimit + 1;

    if (pages > (USER_TOP - USER_LOW) / PAGE / 2)
        utest_skip(t, "commit limit larger than half the user space");
    uint32_t size = pages * PAGE;

    EXPECT_ALLOC_FAILS(t, 0, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, ERROR_COMMITMENT_LIMIT);
    after = sys_counters();
    EXPECT_EQ(t, after.CommitCharge, before.CommitCharge);
    EXPECT_EQ(t, after.Allocations, before.Allocations);

    uint32_t p = RESERVE(t, 0, size);
    EXPECT_ALLOC_FAILS(t, p, size, MEM_COMMIT, PAGE_READWRITE, ERROR_COMMITMENT_LIMIT);
    uint32_t b = p, s = size;
    EXPECT_EQ(t, nt_alloc(&b, &s, MEM_COMMIT, PAGE_READWRITE), STATUS_COMMITMENT_LIMIT);
    EXPECT_EQ(t, b, p);
    EXPECT_EQ(t, s, size);
    EXPECT_EQ(t, commit_charge(), before.CommitCharge);
    EXPECT_REGION(t, p, size, MEM_RESERVE, 0);
    RELEASE(t, p);
}

VM_TEST(b12_commit_outside_reservation_fails)
{
    uint32_t c0 = commit_charge();

    EXPECT_ALLOC_FAILS(t, BASE2, 0x1000, MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_FREE(t, BASE2);

    uint32_t r = RESERVE(t, BASE, 0x3000);
    EXPECT_ALLOC_FAILS(t, BASE + 0x2000, 0x2000, MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_REGION(t, BASE, 0x3000, MEM_RESERVE, 0);

    uint32_t a = RESERVE(t, BASE2, GRAN);
    uint32_t b = RESERVE(t, BASE2 + GRAN, GRAN);
    EXPECT_ALLOC_FAILS(t, BASE2 + 0xF000, 0x2000, MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_REGION(t, BASE2, GRAN, MEM_RESERVE, 0);
    EXPECT_REGION(t, BASE2 + GRAN, GRAN, MEM_RESERVE, 0);
    EXPECT_EQ(t, commit_charge(), c0);
    RELEASE(t, r);
    RELEASE(t, a);
    RELEASE(t, b);
}

VM_TEST(b13_commit_null_reserves_and_commits)
{
    uint32_t p = ALLOC(t, 0, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    uint32_t q = ALLOC(t, 0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READONLY);
    MEMORY_BASIC_INFORMATION m = QUERY(t, p);

    EXPECT_EQ(t, p % GRAN, 0);
    EXPECT_EQ(t, m.State, MEM_COMMIT);
    EXPECT_EQ(t, m.RegionSize, 0x2000);
    EXPECT_EQ(t, U32(m.AllocationBase), p);
    EXPECT_EQ(t, m.AllocationProtect, PAGE_READWRITE);
    m = QUERY(t, q);
    EXPECT_EQ(t, q % GRAN, 0);
    EXPECT_EQ(t, m.State, MEM_COMMIT);
    EXPECT_EQ(t, m.Protect, PAGE_READONLY);
    EXPECT_EQ(t, U32(m.AllocationBase), q);
    poke(p + 0x1FFF, 9);
    EXPECT_EQ(t, peek(p + 0x1FFF), 9);
    EXPECT_EQ(t, peek(q), 0);
    RELEASE(t, p);
    RELEASE(t, q);
}

VM_TEST(b14_recommit_keeps_contents_and_protection_changes)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);

    poke(p + 0x10, 0x11);
    poke(p + 0x1010, 0x22);
    uint32_t c = commit_charge();
    EXPECT_EQ(t, ALLOC(t, p, 0x2000, MEM_COMMIT, PAGE_READONLY), p);
    EXPECT_EQ(t, commit_charge(), c);
    EXPECT_EQ(t, peek(p + 0x10), 0x11);
    EXPECT_EQ(t, peek(p + 0x1010), 0x22);
    EXPECT_REGION(t, p, 0x2000, MEM_COMMIT, PAGE_READONLY);
    /* The writable translation was in the TLB: the new protection must win. */
    EXPECT_AV(t, poke(p + 0x10, 0x33), EXCEPTION_WRITE_FAULT, p + 0x10);
    EXPECT_EQ(t, peek(p + 0x10), 0x11);
    EXPECT_EQ(t, ALLOC(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE), p);
    poke(p + 0x10, 0x44);
    EXPECT_EQ(t, peek(p + 0x10), 0x44);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READONLY);
    RELEASE(t, p);
}

VM_TEST(b15_committed_pages_read_zero)
{
    uint32_t p = COMMIT_NEW(t, 0x3000, PAGE_READWRITE);

    EXPECT_EQ(t, page_mismatches(p, 0), 0);
    EXPECT_EQ(t, page_mismatches(p + 0x1000, 0), 0);
    EXPECT_EQ(t, page_mismatches(p + 0x2000, 0), 0);
    /* Dirty them, give them back, take fresh ones: zero again. */
    fill_page(p, 0xDEADBEEF);
    fill_page(p + 0x1000, 0xDEADBEEF);
    fill_page(p + 0x2000, 0xDEADBEEF);
    RELEASE(t, p);
    uint32_t q = COMMIT_NEW(t, 0x3000, PAGE_READWRITE);
    EXPECT_EQ(t, page_mismatches(q, 0), 0);
    EXPECT_EQ(t, page_mismatches(q + 0x1000, 0), 0);
    EXPECT_EQ(t, page_mismatches(q + 0x2000, 0), 0);
    RELEASE(t, q);
}

VM_TEST(b15_decommit_then_commit_reads_zero)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);

    fill_page(p, 0xFFFFFFFF);
    fill_page(p + 0x1000, 0x12345678);
    DECOMMIT(t, p, 0x1000);
    EXPECT_AV(t, (void)peek(p + 0x40), EXCEPTION_READ_FAULT, p + 0x40);
    EXPECT_EQ(t, ALLOC(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE), p);
    EXPECT_EQ(t, page_mismatches(p, 0), 0);
    EXPECT_EQ(t, page_mismatches(p + 0x1000, 0x12345678), 0);
    RELEASE(t, p);
}

VM_TEST(b16_commit_keeps_allocation_base_and_protect)
{
    uint32_t p = ALLOC(t, BASE, GRAN, MEM_RESERVE, PAGE_NOACCESS);
    MEMORY_BASIC_INFORMATION m;

    EXPECT_EQ(t, ALLOC(t, BASE + 0x3000, 0x1000, MEM_COMMIT, PAGE_READWRITE), BASE + 0x3000);
    EXPECT_EQ(t, ALLOC(t, BASE + 0x5000, 0x1000, MEM_COMMIT, PAGE_READONLY | PAGE_GUARD), BASE + 0x5000);
    const uint32_t probes[] = { BASE, BASE + 0x3000, BASE + 0x4000, BASE + 0x5000 };
    for (unsigned i = 0; i < ARRAY_SIZE(probes); i++) {
        m = QUERY(t, probes[i]);
        EXPECT_EQ(t, U32(m.AllocationBase), BASE);
        EXPECT_EQ(t, m.AllocationProtect, PAGE_NOACCESS);
    }
    m = QUERY(t, BASE + 0x3000);
    EXPECT_EQ(t, m.Protect, PAGE_READWRITE);
    RELEASE(t, p);
}

VM_TEST(b17_impossible_reservation)
{
    uint32_t mid = RESERVE(t, 0x40000000, GRAN);

    EXPECT_ALLOC_FAILS(t, 0, 0x50000000, MEM_RESERVE, PAGE_READWRITE, ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_ALLOC_FAILS(t, 0, USER_TOP - USER_LOW, MEM_RESERVE, PAGE_READWRITE, ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_ALLOC_FAILS(t, 0, 0x80000000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0, 0xFFFFF000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    uint32_t b = 0, s = 0x50000000;
    EXPECT_EQ(t, nt_alloc(&b, &s, MEM_RESERVE, PAGE_READWRITE), STATUS_NO_MEMORY);
    EXPECT_EQ(t, b, 0);
    EXPECT_EQ(t, s, 0x50000000);
    RELEASE(t, mid);
}

/* The highest 64 KiB-aligned address where `size` bytes are free. */
static uint32_t highest_free(struct utest *t, uint32_t size)
{
    for (uint32_t a = (USER_TOP - size) & ~(GRAN - 1); a >= USER_LOW; a -= GRAN) {
        MEMORY_BASIC_INFORMATION m = QUERY(t, a);
        if (m.State == MEM_FREE && U32(m.BaseAddress) + m.RegionSize >= a + size)
            return a;
    }
    return 0;
}

VM_TEST(b18_top_down_above_bottom_up)
{
    uint32_t low = RESERVE(t, 0, GRAN);
    uint32_t want = highest_free(t, GRAN);
    uint32_t top = ALLOC(t, 0, GRAN, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE);
    uint32_t want_next = highest_free(t, 0x3000);
    uint32_t next = ALLOC(t, 0, 0x3000, MEM_RESERVE | MEM_COMMIT | MEM_TOP_DOWN, PAGE_READWRITE);

    EXPECT_GT(t, top, low);
    EXPECT_EQ(t, top, want);
    EXPECT_EQ(t, top % GRAN, 0);
    EXPECT_LE(t, top + GRAN - 1, USER_HIGH);
    EXPECT_EQ(t, next, want_next);
    EXPECT_LT(t, next, top);
    EXPECT_REGION(t, next, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    poke(next + 0x2FFF, 1);
    RELEASE(t, low);
    RELEASE(t, top);
    RELEASE(t, next);
}

VM_TEST(b19_at_round_to_page_rejected)
{
    EXPECT_ALLOC_FAILS(t, 0, 0x1000, MEM_RESERVE | AT_ROUND_TO_PAGE, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, BASE, 0x1000, MEM_RESERVE | MEM_COMMIT | AT_ROUND_TO_PAGE, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    uint32_t p = RESERVE(t, BASE2, 0x1000);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_COMMIT | AT_ROUND_TO_PAGE, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_REGION(t, p, 0x1000, MEM_RESERVE, 0);
    EXPECT_FREE(t, BASE);
    RELEASE(t, p);
}

static const struct utest_case b_cases[] = {
    UTEST_CASE(b5_zero_size_fails),
    UTEST_CASE(b6_allocation_type_required),
    UTEST_CASE(b6_reset_and_reset_undo_alone),
    UTEST_CASE(b7_invalid_protections_rejected),
    UTEST_CASE(b7_valid_protections_accepted),
    UTEST_CASE(b8_reserve_anywhere_rounds_size),
    UTEST_CASE(b9_reserve_explicit_rounds_base),
    UTEST_CASE(b10_reserve_over_reservation_conflicts),
    UTEST_CASE(b11_commit_rounds_to_pages),
    UTEST_CASE(b11_commit_charge_tracks_pages),
    UTEST_CASE(b11_commit_beyond_limit_fails),
    UTEST_CASE(b12_commit_outside_reservation_fails),
    UTEST_CASE(b13_commit_null_reserves_and_commits),
    UTEST_CASE(b14_recommit_keeps_contents_and_protection_changes),
    UTEST_CASE(b15_committed_pages_read_zero),
    UTEST_CASE(b15_decommit_then_commit_reads_zero),
    UTEST_CASE(b16_commit_keeps_allocation_base_and_protect),
    UTEST_CASE(b17_impossible_reservation),
    UTEST_CASE(b18_top_down_above_bottom_up),
    UTEST_CASE(b19_at_round_to_page_rejected),
    UTEST_END,
};

const struct utest_suite uvm_b_suite = {
    .name = "uvm_b_alloc", .cases = b_cases, .exit = suite_exit,
};
