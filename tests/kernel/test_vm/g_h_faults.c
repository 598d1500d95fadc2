/* vm suite, spec sections G and H: access violations (item 51) and guard
 * pages (items 54-59). */
#include "test_vm.h"

/* ---- G. access violations ------------------------------------------------------- */

VM_TEST(g51_access_violation_record)
{
    struct vm_stats before, after;
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_NOACCESS);

    vm_get_stats(&before);
    /* Exact byte addresses, not page-rounded. */
    EXPECT_AV(t, (void)peek(p + 0x123), p + 0x123, 0);
    EXPECT_EQ(t, vm_last_exception()->code, (NTSTATUS)EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, vm_last_exception()->access, 0);
    EXPECT_AV(t, poke(p + 0xFFF, 1), p + 0xFFF, PF_W);
    EXPECT_EQ(t, vm_last_exception()->access, 1);
    vm_get_stats(&after);
    EXPECT_EQ(t, after.faults_access_violation, before.faults_access_violation + 2);
    RELEASE(t, p);
}

/* ---- H. guard pages ---------------------------------------------------------------- */

VM_TEST(h54_guard_read_fires_once)
{
    struct vm_stats before, after;
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE | PAGE_GUARD);

    vm_get_stats(&before);
    EXPECT_GUARD(t, (void)peek(p + 0x10), p + 0x10, 0);
    EXPECT_EQ(t, vm_last_exception()->code, (NTSTATUS)EXCEPTION_GUARD_PAGE);
    /* Cleared before the exception was reported. */
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    vm_get_stats(&after);
    EXPECT_EQ(t, after.faults_guard, before.faults_guard + 1);
    EXPECT_EQ(t, peek(p + 0x10), 0);
    poke(p + 0x10, 7);
    EXPECT_EQ(t, peek(p + 0x10), 7);
    vm_get_stats(&after);
    EXPECT_EQ(t, after.faults_guard, before.faults_guard + 1);
    RELEASE(t, p);
}

VM_TEST(h54_guard_write_fires_once)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE | PAGE_GUARD);

    EXPECT_GUARD(t, poke(p + 0x20, 1), p + 0x20, PF_W);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    poke(p + 0x20, 2);
    EXPECT_EQ(t, peek(p + 0x20), 2);
    RELEASE(t, p);
}

VM_TEST(h55_guard_record_exact_address)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE | PAGE_GUARD);

    EXPECT_GUARD(t, poke(p + 0xFFF, 1), p + 0xFFF, PF_W);
    EXPECT_EQ(t, vm_last_exception()->access, EXCEPTION_WRITE_FAULT);
    EXPECT_GUARD(t, (void)peek(p + 0x1001), p + 0x1001, 0);
    EXPECT_EQ(t, vm_last_exception()->access, EXCEPTION_READ_FAULT);
    RELEASE(t, p);
}

VM_TEST(h56_guard_then_access_violation)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READONLY | PAGE_GUARD);

    EXPECT_GUARD(t, poke(p + 0x10, 1), p + 0x10, PF_W);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READONLY);
    EXPECT_WRITE_AV(t, poke(p + 0x10, 1), p + 0x10);
    EXPECT_EQ(t, peek(p + 0x10), 0);
    EXPECT_AV(t, poke(p + 0x10, 1), p + 0x10, PF_P | PF_W);
    RELEASE(t, p);
}

VM_TEST(h57_guard_neighbours_keep_guard)
{
    const DWORD guarded = PAGE_READWRITE | PAGE_GUARD;
    uint32_t p = COMMIT_NEW(t, 0x3000, guarded);

    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, guarded);
    EXPECT_GUARD(t, poke(p + 0x1005, 1), p + 0x1005, PF_W);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, guarded);
    EXPECT_REGION(t, p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x2000, 0x1000, MEM_COMMIT, guarded);
    EXPECT_GUARD(t, (void)peek(p + 0x2000), p + 0x2000, 0);
    EXPECT_REGION(t, p + 0x1000, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_GUARD(t, (void)peek(p + 0xFFC), p + 0xFFC, 0);
    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    RELEASE(t, p);
}

VM_TEST(h58_guard_query_and_allocation_protect)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE | PAGE_GUARD);
    MEMORY_BASIC_INFORMATION m = QUERY(t, p);

    EXPECT_EQ(t, m.Protect, 0x104);
    EXPECT_EQ(t, m.AllocationProtect, 0x104);
    EXPECT_GUARD(t, (void)peek(p), p, 0);
    EXPECT_GUARD(t, (void)peek(p + 0x1000), p + 0x1000, 0);
    m = QUERY(t, p);
    EXPECT_EQ(t, m.Protect, PAGE_READWRITE);
    EXPECT_EQ(t, m.RegionSize, 0x2000);
    EXPECT_EQ(t, m.AllocationProtect, 0x104);

    /* A guard given only at commit time is not the allocation's. */
    uint32_t q = RESERVE(t, 0, 0x1000);
    ALLOC(t, q, 0x1000, MEM_COMMIT, PAGE_READONLY | PAGE_GUARD);
    m = QUERY(t, q);
    EXPECT_EQ(t, m.Protect, PAGE_READONLY | PAGE_GUARD);
    EXPECT_EQ(t, m.AllocationProtect, PAGE_READWRITE);
    RELEASE(t, p);
    RELEASE(t, q);
}

VM_TEST(h59_protect_rearms_guard)
{
    const DWORD guarded = PAGE_READWRITE | PAGE_GUARD;
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);

    poke(p + 8, 0x5E);
    EXPECT_EQ(t, PROTECT(t, p, 0x1000, guarded), PAGE_READWRITE);
    EXPECT_EQ(t, PROTECT(t, p, 0x1000, guarded), guarded);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, guarded);
    /* The page was present and cached: re-arming must take it away. */
    EXPECT_GUARD(t, (void)peek(p + 8), p + 8, 0);
    EXPECT_EQ(t, peek(p + 8), 0x5E);
    EXPECT_EQ(t, PROTECT(t, p, 0x1000, PAGE_READWRITE), PAGE_READWRITE);
    /* Armed again, then replaced by a plain protection: no alarm left. */
    EXPECT_EQ(t, PROTECT(t, p, 0x1000, guarded), PAGE_READWRITE);
    EXPECT_EQ(t, PROTECT(t, p, 0x1000, PAGE_READONLY), guarded);
    EXPECT_EQ(t, peek(p + 8), 0x5E);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READONLY);
    RELEASE(t, p);
}

const struct ktest_case test_vm_gh_cases[] = {
    KTEST_CASE(g51_access_violation_record),
    KTEST_CASE(h54_guard_read_fires_once),
    KTEST_CASE(h54_guard_write_fires_once),
    KTEST_CASE(h55_guard_record_exact_address),
    KTEST_CASE(h56_guard_then_access_violation),
    KTEST_CASE(h57_guard_neighbours_keep_guard),
    KTEST_CASE(h58_guard_query_and_allocation_protect),
    KTEST_CASE(h59_protect_rearms_guard),
    KTEST_END,
};
