/* uvm, spec section A: address space geometry (items 1-4). */
#include "uvm.h"

VM_TEST(a1_page_size_and_granularity)
{
    SYSTEM_INFO si;

    memset(&si, 0xAA, sizeof(si));
    GetSystemInfo(&si);
    EXPECT_EQ(t, si.dwPageSize, 4096);
    EXPECT_EQ(t, si.dwAllocationGranularity, 65536);
    /* What the kernel does agrees with what the SDK says. */
    uint32_t p = RESERVE(t, 0, 1);
    EXPECT_EQ(t, p % GRAN, 0);
    EXPECT_REGION(t, p, 0x1000, MEM_RESERVE, 0);
    RELEASE(t, p);
}

VM_TEST(a2_minimum_application_address)
{
    SYSTEM_INFO si;
    MEMORY_BASIC_INFORMATION m;

    GetSystemInfo(&si);
    EXPECT_EQ(t, U32(si.lpMinimumApplicationAddress), 0x10000);
    EXPECT_ALLOC_FAILS(t, 0x1000, 0x1000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0xFFFF, 0x1000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0x8000, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    uint32_t p = RESERVE(t, 0x10000, 0x1000);
    EXPECT_EQ(t, p, 0x10000);
    m = QUERY(t, 0);
    EXPECT_EQ(t, U32(m.BaseAddress), 0);
    EXPECT_EQ(t, m.RegionSize, 0x10000);
    EXPECT_EQ(t, m.State, MEM_FREE);
    EXPECT_EQ(t, m.Protect, PAGE_NOACCESS);
    EXPECT_EQ(t, U32(m.AllocationBase), 0);
    EXPECT_REGION(t, 0x8000, 0x8000, MEM_FREE, PAGE_NOACCESS);
    /* The first 64 KiB are never accessible. */
    EXPECT_AV(t, (void)peek(0x8008), EXCEPTION_READ_FAULT, 0x8008);
    RELEASE(t, p);
}

VM_TEST(a3_maximum_application_address)
{
    SYSTEM_INFO si;
    MEMORY_BASIC_INFORMATION m;

    GetSystemInfo(&si);
    EXPECT_EQ(t, U32(si.lpMaximumApplicationAddress), 0x7FFEFFFF);
    EXPECT_EQ(t, (U32(si.lpMaximumApplicationAddress) + 1) % GRAN, 0);
    /* The last user page can be queried; the guard area above it cannot. */
    m = QUERY(t, 0x7FFEFFFF);
    EXPECT_EQ(t, U32(m.BaseAddress), 0x7FFEF000);
    SetLastError(BAD_ERROR);
    EXPECT_EQ(t, VirtualQuery(VA(0x7FFF0000), &m, sizeof(m)), 0);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0x7FFF0000, 0x1000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0x7FFFF000, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0x80000000, 0x1000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0xC0000000, 0x1000, MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0x7FFE0000, 0x10001, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    /* The guard area faults in user mode. */
    EXPECT_AV(t, (void)peek(0x7FFF0000), EXCEPTION_READ_FAULT, 0x7FFF0000);
    EXPECT_AV(t, poke(0x7FFFFFFF, 1), EXCEPTION_WRITE_FAULT, 0x7FFFFFFF);
}

VM_TEST(a3_range_wrapping_past_4gib_rejected)
{
    uint32_t p = RESERVE(t, BASE, GRAN);
    ALLOC(t, BASE, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    poke(BASE + 5, 0x5A);
    uint32_t charge = commit_charge(), allocs = allocation_count();

    EXPECT_ALLOC_FAILS(t, BASE, 0xFFFFF000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, BASE, 0xFFFFF000, MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, BASE2, 0xE0000000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, BASE, 0xFFFFF000, MEM_DECOMMIT, ERROR_INVALID_PARAMETER);
    EXPECT_PROTECT_FAILS(t, BASE, 0xFFFFF000, PAGE_READONLY, ERROR_INVALID_PARAMETER);

    /* The in/out parameters are left alone on failure. */
    uint32_t b = BASE, s = 0xFFFFF000;
    NTSTATUS st = nt_alloc(&b, &s, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, RtlNtStatusToDosError(st), ERROR_INVALID_PARAMETER);
    EXPECT_EQ(t, b, BASE);
    EXPECT_EQ(t, s, 0xFFFFF000);

    EXPECT_EQ(t, commit_charge(), charge);
    EXPECT_EQ(t, allocation_count(), allocs);
    EXPECT_REGION(t, BASE, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, peek(BASE + 5), 0x5A);
    RELEASE(t, p);
}

VM_TEST(a4_reservation_whole_pages_granule_tail)
{
    uint32_t a = RESERVE(t, BASE, 0x3000);
    uint32_t b = RESERVE(t, BASE + GRAN, GRAN);
    MEMORY_BASIC_INFORMATION m;

    EXPECT_EQ(t, a, BASE);
    EXPECT_EQ(t, b, BASE + GRAN);
    EXPECT_REGION(t, BASE, 0x3000, MEM_RESERVE, 0);
    m = QUERY(t, BASE + 0x3000);
    EXPECT_EQ(t, m.RegionSize, GRAN - 0x3000);
    EXPECT_EQ(t, m.State, MEM_FREE);
    EXPECT_EQ(t, U32(m.AllocationBase), 0);
    /* Any address in the tail rounds down onto the reservation. */
    EXPECT_ALLOC_FAILS(t, BASE + 0x4000, 0x1000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_ALLOC_FAILS(t, BASE + 0xF000, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_ADDRESS);
    EXPECT_ALLOC_FAILS(t, BASE + 0x5000, 0x1000, MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    uint32_t c = RESERVE(t, 0, 0x1000);
    EXPECT_EQ(t, c % GRAN, 0);
    EXPECT_NE(t, c, BASE);
    EXPECT_REGION(t, BASE + 0x3000, GRAN - 0x3000, MEM_FREE, PAGE_NOACCESS);
    EXPECT_AV(t, (void)peek(BASE + 0x3010), EXCEPTION_READ_FAULT, BASE + 0x3010);
    RELEASE(t, a);
    RELEASE(t, b);
    RELEASE(t, c);
}

static const struct utest_case a_cases[] = {
    UTEST_CASE(a1_page_size_and_granularity),
    UTEST_CASE(a2_minimum_application_address),
    UTEST_CASE(a3_maximum_application_address),
    UTEST_CASE(a3_range_wrapping_past_4gib_rejected),
    UTEST_CASE(a4_reservation_whole_pages_granule_tail),
    UTEST_END,
};

const struct utest_suite uvm_a_suite = {
    .name = "uvm_a_geometry", .cases = a_cases, .exit = suite_exit,
};
