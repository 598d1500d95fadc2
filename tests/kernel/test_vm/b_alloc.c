/* vm suite, spec section B: VirtualAlloc, reserve and commit (items 5-19). */
#include "test_vm.h"

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

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
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

    for (unsigned i = 0; i < INVALID_PROTECTIONS; i++) {
        DWORD prot = invalid_protections[i];
        EXPECT_ALLOC_FAILS(t, 0, 0x1000, MEM_RESERVE, prot, ERROR_INVALID_PARAMETER);
        EXPECT_ALLOC_FAILS(t, BASE, 0x1000, MEM_RESERVE | MEM_COMMIT, prot,
                           ERROR_INVALID_PARAMETER);
        EXPECT_ALLOC_FAILS(t, r, 0x1000, MEM_COMMIT, prot, ERROR_INVALID_PARAMETER);
    }
    uint32_t b = BASE, s = 0x1000;
    EXPECT_EQ(t, vm_allocate(vm_current(), &b, &s, MEM_RESERVE, PAGE_WRITECOPY),
              STATUS_INVALID_PAGE_PROTECTION);
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

    for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
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
    EXPECT_GE(t, p, USER_MIN);
    EXPECT_LE(t, p + GRAN - 1, USER_MAX);
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
    RELEASE(t, p);
    RELEASE(t, q);
    RELEASE(t, r);
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
    EXPECT_ALLOC_FAILS(t, BASE + 0x8000, 0x1000, MEM_RESERVE, PAGE_READWRITE,
                       ERROR_INVALID_ADDRESS);

    /* The engine reports the rounded base and size through its in/out arguments. */
    uint32_t b = BASE2 + 0x1234, s = 0x1000;
    EXPECT_EQ(t, vm_allocate(vm_current(), &b, &s, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
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
    EXPECT_ALLOC_FAILS(t, BASE - GRAN, 2 * GRAN, MEM_RESERVE, PAGE_READWRITE,
                       ERROR_INVALID_ADDRESS);
    EXPECT_ALLOC_FAILS(t, BASE - GRAN, 4 * GRAN, MEM_RESERVE, PAGE_READWRITE,
                       ERROR_INVALID_ADDRESS);
    EXPECT_ALLOC_FAILS(t, BASE + 0x1000, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_ADDRESS);
    uint32_t b = BASE + GRAN, s = 0x1000;
    EXPECT_EQ(t, vm_allocate(vm_current(), &b, &s, MEM_RESERVE, PAGE_READWRITE),
              STATUS_CONFLICTING_ADDRESSES);
    EXPECT_EQ(t, b, BASE + GRAN);
    EXPECT_EQ(t, s, 0x1000);
    EXPECT_REGION(t, BASE, 2 * GRAN, MEM_RESERVE, 0);
    EXPECT_REGION(t, BASE - GRAN, GRAN, MEM_FREE, PAGE_NOACCESS);
    RELEASE(t, p);
}

VM_TEST(b11_commit_rounds_to_pages)
{
    uint32_t p = RESERVE(t, BASE, GRAN);

    /* Two bytes straddling a page boundary commit both pages. */
    EXPECT_EQ(t, ALLOC(t, BASE + 0x1FFF, 2, MEM_COMMIT, PAGE_READWRITE), BASE + 0x1000);
    EXPECT_REGION(t, BASE, 0x1000, MEM_RESERVE, 0);
    EXPECT_REGION(t, BASE + 0x1000, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, BASE + 0x3000, GRAN - 0x3000, MEM_RESERVE, 0);

    uint32_t b = BASE + 0x8FFF, s = 2;
    EXPECT_EQ(t, vm_allocate(vm_current(), &b, &s, MEM_COMMIT, PAGE_READONLY), STATUS_SUCCESS);
    EXPECT_EQ(t, b, BASE + 0x8000);
    EXPECT_EQ(t, s, 0x2000);
    EXPECT_REGION(t, BASE + 0x8000, 0x2000, MEM_COMMIT, PAGE_READONLY);
    poke(BASE + 0x1000, 1);
    poke(BASE + 0x2FFF, 2);
    RELEASE(t, p);
}

VM_TEST(b11_commit_charge_tracks_pages)
{
    uint32_t c0 = committed_pages();
    uint32_t p = RESERVE(t, BASE, GRAN);

    EXPECT_EQ(t, committed_pages(), c0);
    ALLOC(t, BASE, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, committed_pages(), c0 + 3);
    /* One page already committed, one new: only the new one is charged. */
    ALLOC(t, BASE + 0x2000, 0x2000, MEM_COMMIT, PAGE_READONLY);
    EXPECT_EQ(t, committed_pages(), c0 + 4);
    poke(BASE, 1);                      /* touching charges nothing more */
    EXPECT_EQ(t, committed_pages(), c0 + 4);
    DECOMMIT(t, BASE + 0x1000, 0x2000);
    EXPECT_EQ(t, committed_pages(), c0 + 2);
    DECOMMIT(t, BASE + 0x1000, 0x2000); /* nothing committed there any more */
    EXPECT_EQ(t, committed_pages(), c0 + 2);
    uint32_t q = COMMIT_NEW(t, 0x5000, PAGE_READWRITE);
    EXPECT_EQ(t, committed_pages(), c0 + 7);
    RELEASE(t, p);
    EXPECT_EQ(t, committed_pages(), c0 + 5);
    RELEASE(t, q);
    EXPECT_EQ(t, committed_pages(), c0);
}

VM_TEST(b11_commit_beyond_limit_fails)
{
    struct vm_stats before, after;

    vm_get_stats(&before);
    uint32_t pages = before.commit_limit + 1;
    if (pages > (USER_MAX + 1 - USER_MIN) / PGSIZE / 2)
        ktest_skip(t, "commit limit larger than half the user space");
    uint32_t size = pages * PGSIZE;

    EXPECT_ALLOC_FAILS(t, 0, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_COMMITMENT_LIMIT);
    vm_get_stats(&after);
    EXPECT_EQ(t, after.commit_charge, before.commit_charge);
    EXPECT_EQ(t, after.allocations, before.allocations);
    EXPECT_EQ(t, after.reserved_bytes, before.reserved_bytes);

    /* A reservation is not charged; committing it all is refused. */
    uint32_t p = RESERVE(t, 0, size);
    EXPECT_ALLOC_FAILS(t, p, size, MEM_COMMIT, PAGE_READWRITE, ERROR_COMMITMENT_LIMIT);
    uint32_t b = p, s = size;
    EXPECT_EQ(t, vm_allocate(vm_current(), &b, &s, MEM_COMMIT, PAGE_READWRITE),
              STATUS_COMMITMENT_LIMIT);
    EXPECT_EQ(t, committed_pages(), before.commit_charge);
    EXPECT_REGION(t, p, size, MEM_RESERVE, 0);
    RELEASE(t, p);
}

VM_TEST(b12_commit_outside_reservation_fails)
{
    uint32_t c0 = committed_pages();

    EXPECT_ALLOC_FAILS(t, BASE2, 0x1000, MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_FREE(t, BASE2);

    uint32_t r = RESERVE(t, BASE, 0x3000);
    EXPECT_ALLOC_FAILS(t, BASE + 0x2000, 0x2000, MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_ADDRESS);
    EXPECT_REGION(t, BASE, 0x3000, MEM_RESERVE, 0);

    uint32_t a = RESERVE(t, BASE2, GRAN);
    uint32_t b = RESERVE(t, BASE2 + GRAN, GRAN);
    EXPECT_ALLOC_FAILS(t, BASE2 + 0xF000, 0x2000, MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_ADDRESS);
    EXPECT_REGION(t, BASE2, GRAN, MEM_RESERVE, 0);
    EXPECT_REGION(t, BASE2 + GRAN, GRAN, MEM_RESERVE, 0);
    EXPECT_EQ(t, committed_pages(), c0);
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
    uint32_t c = committed_pages();

    poke(p + 0x10, 0x11);
    poke(p + 0x1010, 0x22);
    EXPECT_EQ(t, ALLOC(t, p, 0x2000, MEM_COMMIT, PAGE_READONLY), p);
    EXPECT_EQ(t, committed_pages(), c);
    EXPECT_EQ(t, peek(p + 0x10), 0x11);
    EXPECT_EQ(t, peek(p + 0x1010), 0x22);
    EXPECT_REGION(t, p, 0x2000, MEM_COMMIT, PAGE_READONLY);
    /* The writable translation was in the TLB: the new protection must win. */
    EXPECT_AV(t, poke(p + 0x10, 0x33), p + 0x10, PF_P | PF_W);
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
    struct vm_stats before, after;
    uint32_t p = COMMIT_NEW(t, 0x3000, PAGE_READWRITE);

    vm_clear_last_exception();
    struct vm_exception quiet = *vm_last_exception();
    /* Demand-zero: nothing is mapped until the first touch. */
    EXPECT_EQ(t, paging_query(p) & PTE_P, 0);
    vm_get_stats(&before);
    EXPECT_EQ(t, page_mismatches(p, 0), 0);
    EXPECT_EQ(t, page_mismatches(p + 0x1000, 0), 0);
    EXPECT_EQ(t, page_mismatches(p + 0x2000, 0), 0);
    vm_get_stats(&after);
    EXPECT_GE(t, after.faults_demand_zero, before.faults_demand_zero + 1);
    EXPECT_EQ(t, after.faults_access_violation, before.faults_access_violation);
    EXPECT_EQ(t, vm_last_exception()->code, quiet.code);
    EXPECT_EQ(t, vm_last_exception()->address, quiet.address);
    EXPECT_EQ(t, paging_query(p) & PTE_P, PTE_P);
    RELEASE(t, p);
}

VM_TEST(b15_decommit_then_commit_reads_zero)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);

    fill_page(p, 0xFFFFFFFF);
    fill_page(p + 0x1000, 0x12345678);
    DECOMMIT(t, p, 0x1000);
    EXPECT_AV(t, (void)peek(p + 0x40), p + 0x40, 0);
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
    EXPECT_EQ(t, ALLOC(t, BASE + 0x5000, 0x1000, MEM_COMMIT, PAGE_READONLY | PAGE_GUARD),
              BASE + 0x5000);
    const uint32_t probes[] = { BASE, BASE + 0x3000, BASE + 0x4000, BASE + 0x5000 };
    for (unsigned i = 0; i < 4; i++) {
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

    /* Plausible sizes that fit in no free range: out of memory. */
    EXPECT_ALLOC_FAILS(t, 0, 0x50000000, MEM_RESERVE, PAGE_READWRITE, ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_ALLOC_FAILS(t, 0, USER_MAX + 1 - USER_MIN, MEM_RESERVE, PAGE_READWRITE,
                       ERROR_NOT_ENOUGH_MEMORY);
    /* Larger than the whole user space: an argument error. */
    EXPECT_ALLOC_FAILS(t, 0, 0x80000000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0, 0xFFFFF000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    uint32_t b = 0, s = 0x50000000;
    EXPECT_EQ(t, vm_allocate(vm_current(), &b, &s, MEM_RESERVE, PAGE_READWRITE), STATUS_NO_MEMORY);
    EXPECT_EQ(t, b, 0);
    EXPECT_EQ(t, s, 0x50000000);
    RELEASE(t, mid);
}

VM_TEST(b18_top_down_above_bottom_up)
{
    uint32_t low = RESERVE(t, 0, GRAN);

    EXPECT_REGION(t, 0x7FFE0000, GRAN, MEM_FREE, PAGE_NOACCESS);
    uint32_t top = ALLOC(t, 0, GRAN, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE);
    uint32_t next = ALLOC(t, 0, 0x3000, MEM_RESERVE | MEM_COMMIT | MEM_TOP_DOWN, PAGE_READWRITE);

    EXPECT_GT(t, top, low);
    EXPECT_EQ(t, top, 0x7FFE0000);
    EXPECT_EQ(t, next, 0x7FFD0000);
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
    EXPECT_ALLOC_FAILS(t, BASE, 0x1000, MEM_RESERVE | MEM_COMMIT | AT_ROUND_TO_PAGE,
                       PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    uint32_t p = RESERVE(t, BASE2, 0x1000);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_COMMIT | AT_ROUND_TO_PAGE, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_REGION(t, p, 0x1000, MEM_RESERVE, 0);
    EXPECT_FREE(t, BASE);
    RELEASE(t, p);
}

const struct ktest_case test_vm_b_cases[] = {
    KTEST_CASE(b5_zero_size_fails),
    KTEST_CASE(b6_allocation_type_required),
    KTEST_CASE(b6_reset_and_reset_undo_alone),
    KTEST_CASE(b7_invalid_protections_rejected),
    KTEST_CASE(b7_valid_protections_accepted),
    KTEST_CASE(b8_reserve_anywhere_rounds_size),
    KTEST_CASE(b9_reserve_explicit_rounds_base),
    KTEST_CASE(b10_reserve_over_reservation_conflicts),
    KTEST_CASE(b11_commit_rounds_to_pages),
    KTEST_CASE(b11_commit_charge_tracks_pages),
    KTEST_CASE(b11_commit_beyond_limit_fails),
    KTEST_CASE(b12_commit_outside_reservation_fails),
    KTEST_CASE(b13_commit_null_reserves_and_commits),
    KTEST_CASE(b14_recommit_keeps_contents_and_protection_changes),
    KTEST_CASE(b15_committed_pages_read_zero),
    KTEST_CASE(b15_decommit_then_commit_reads_zero),
    KTEST_CASE(b16_commit_keeps_allocation_base_and_protect),
    KTEST_CASE(b17_impossible_reservation),
    KTEST_CASE(b18_top_down_above_bottom_up),
    KTEST_CASE(b19_at_round_to_page_rejected),
    KTEST_END,
};
