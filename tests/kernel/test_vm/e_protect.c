/* vm suite, spec section E: VirtualProtect and protections (items 34-41). */
#include "test_vm.h"

VM_TEST(e34_protect_reserved_page_fails_all_or_nothing)
{
    uint32_t p = RESERVE(t, 0, 0x4000);

    ALLOC(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_PROTECT_FAILS(t, p, 0x4000, PAGE_READONLY, ERROR_INVALID_ADDRESS);
    EXPECT_PROTECT_FAILS(t, p + 0x2FFF, 2, PAGE_READONLY, ERROR_INVALID_ADDRESS);
    EXPECT_PROTECT_FAILS(t, p + 0x3000, 0x1000, PAGE_READONLY, ERROR_INVALID_ADDRESS);
    uint32_t b = p, s = 0x4000, old;
    EXPECT_EQ(t, vm_protect(vm_current(), &b, &s, PAGE_NOACCESS, &old), STATUS_NOT_COMMITTED);
    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x3000, 0x1000, MEM_RESERVE, 0);
    poke(p, 1);
    poke(p + 0x2FFF, 2);
    RELEASE(t, p);
}

VM_TEST(e34_protect_free_or_two_allocations_fails)
{
    EXPECT_PROTECT_FAILS(t, BASE2, 0x1000, PAGE_READONLY, ERROR_INVALID_ADDRESS);
    uint32_t a = ALLOC(t, BASE, GRAN, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    uint32_t b = ALLOC(t, BASE + GRAN, GRAN, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);

    EXPECT_PROTECT_FAILS(t, BASE + 0xF000, 0x2000, PAGE_READONLY, ERROR_INVALID_ADDRESS);
    EXPECT_REGION(t, BASE, GRAN, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, BASE + GRAN, GRAN, MEM_COMMIT, PAGE_READWRITE);
    poke(BASE + 0xFFFF, 1);
    poke(BASE + GRAN, 2);
    RELEASE(t, a);
    RELEASE(t, b);
}

VM_TEST(e35_old_protect_is_first_page)
{
    uint32_t p = COMMIT_NEW(t, 0x3000, PAGE_READWRITE);

    PROTECT(t, p, 0x1000, PAGE_READONLY);
    PROTECT(t, p + 0x2000, 0x1000, PAGE_NOACCESS);
    EXPECT_EQ(t, PROTECT(t, p, 0x3000, PAGE_EXECUTE_READ), PAGE_READONLY);
    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, PAGE_EXECUTE_READ);
    PROTECT(t, p + 0x1000, 0x1000, PAGE_READWRITE);
    /* The range starts in the middle page once rounded down. */
    EXPECT_EQ(t, PROTECT(t, p + 0x1FFF, 2, PAGE_NOACCESS), PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x1000, 0x2000, MEM_COMMIT, PAGE_NOACCESS);
    RELEASE(t, p);
}

VM_TEST(e36_old_protect_pointer_required)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);

    SetLastError(BAD_ERROR);
    EXPECT_FALSE(t, VirtualProtect(VA(p), 0x1000, PAGE_READONLY, NULL));
    EXPECT_EQ(t, GetLastError(), ERROR_NOACCESS);
    uint32_t b = p, s = 0x1000;
    EXPECT_EQ(t, vm_protect(vm_current(), &b, &s, PAGE_NOACCESS, NULL), STATUS_ACCESS_VIOLATION);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    poke(p, 3);
    EXPECT_EQ(t, peek(p), 3);
    RELEASE(t, p);
}

VM_TEST(e37_new_protection_validated)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);

    for (unsigned i = 0; i < INVALID_PROTECTIONS; i++)
        EXPECT_PROTECT_FAILS(t, p, 0x1000, invalid_protections[i], ERROR_INVALID_PARAMETER);
    uint32_t b = p, s = 0x1000, old;
    EXPECT_EQ(t, vm_protect(vm_current(), &b, &s, PAGE_NOACCESS | PAGE_GUARD, &old),
              STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    poke(p, 4);
    RELEASE(t, p);
}

VM_TEST(e38_protect_keeps_allocation_protect)
{
    uint32_t p = ALLOC(t, 0, 0x2000, MEM_RESERVE, PAGE_EXECUTE_READWRITE);
    MEMORY_BASIC_INFORMATION m;

    ALLOC(t, p, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    PROTECT(t, p, 0x2000, PAGE_READONLY);
    m = QUERY(t, p);
    EXPECT_EQ(t, m.Protect, PAGE_READONLY);
    EXPECT_EQ(t, m.AllocationProtect, PAGE_EXECUTE_READWRITE);
    PROTECT(t, p + 0x1000, 0x1000, PAGE_NOACCESS);
    m = QUERY(t, p + 0x1000);
    EXPECT_EQ(t, m.Protect, PAGE_NOACCESS);
    EXPECT_EQ(t, m.AllocationProtect, PAGE_EXECUTE_READWRITE);
    RELEASE(t, p);
}

VM_TEST(e39_protection_per_page_regions_merge)
{
    uint32_t p = COMMIT_NEW(t, 0x3000, PAGE_READWRITE);

    EXPECT_EQ(t, PROTECT(t, p + 0x1000, 0x1000, PAGE_READONLY), PAGE_READWRITE);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READONLY);
    EXPECT_REGION(t, p + 0x2000, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, PROTECT(t, p + 0x1000, 0x1000, PAGE_READWRITE), PAGE_READONLY);
    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x1000, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    RELEASE(t, p);
}

VM_TEST(e40_nocache_sticky_for_allocation)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE | PAGE_NOCACHE);

    EXPECT_EQ(t, PROTECT(t, p, 0x1000, PAGE_READONLY), PAGE_READWRITE | PAGE_NOCACHE);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READONLY | PAGE_NOCACHE);
    EXPECT_REGION(t, p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE | PAGE_NOCACHE);
    EXPECT_EQ(t, peek(p), 0);
    EXPECT_EQ(t, pte_bits(p) & (PTE_P | PTE_W | PTE_PCD), PTE_P | PTE_PCD);
    EXPECT_EQ(t, PROTECT(t, p, 0x2000, PAGE_READWRITE), PAGE_READONLY | PAGE_NOCACHE);
    EXPECT_REGION(t, p, 0x2000, MEM_COMMIT, PAGE_READWRITE | PAGE_NOCACHE);
    poke(p, 1);
    EXPECT_EQ(t, pte_bits(p) & (PTE_P | PTE_W | PTE_PCD), PTE_P | PTE_W | PTE_PCD);
    RELEASE(t, p);
}

VM_TEST(e40_nocache_page_has_pcd)
{
    uint32_t nc = COMMIT_NEW(t, 0x1000, PAGE_READWRITE | PAGE_NOCACHE);
    uint32_t wb = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);

    poke(nc, 1);
    poke(wb, 1);
    EXPECT_EQ(t, pte_bits(nc) & (PTE_P | PTE_W | PTE_U | PTE_PCD),
              PTE_P | PTE_W | PTE_U | PTE_PCD);
    EXPECT_EQ(t, pte_bits(wb), PTE_P | PTE_W | PTE_U);
    RELEASE(t, nc);
    RELEASE(t, wb);
}

VM_TEST(e40_writecombine_page_has_pwt)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE | PAGE_WRITECOMBINE);

    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE | PAGE_WRITECOMBINE);
    poke(p, 1);
    EXPECT_EQ(t, pte_bits(p) & (PTE_P | PTE_W | PTE_U | PTE_PWT), PTE_P | PTE_W | PTE_U | PTE_PWT);
    RELEASE(t, p);
}

VM_TEST(e41_readonly_write_faults)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READONLY);

    /* Never touched: not present yet; the VM layer must still refuse it. */
    EXPECT_WRITE_AV(t, poke(p + 0x80, 1), p + 0x80);
    EXPECT_EQ(t, peek(p + 0x80), 0);
    EXPECT_AV(t, poke(p + 0x81, 1), p + 0x81, PF_P | PF_W);
    EXPECT_EQ(t, peek(p + 0x81), 0);
    RELEASE(t, p);
}

VM_TEST(e41_noaccess_faults_any_access)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_NOACCESS);

    EXPECT_AV(t, (void)peek(p + 0x10), p + 0x10, 0);
    EXPECT_AV(t, poke(p + 0x1FFF, 1), p + 0x1FFF, PF_W);
    /* A page that was readable and cached in the TLB loses it too. */
    PROTECT(t, p, 0x1000, PAGE_READWRITE);
    poke(p, 5);
    PROTECT(t, p, 0x1000, PAGE_NOACCESS);
    EXPECT_AV(t, (void)peek(p), p, 0);
    PROTECT(t, p, 0x1000, PAGE_READONLY);
    EXPECT_EQ(t, peek(p), 5);
    RELEASE(t, p);
}

VM_TEST(e41_uncommitted_and_free_fault)
{
    uint32_t p = RESERVE(t, BASE, 0x2000);

    EXPECT_AV(t, (void)peek(BASE + 0x1234), BASE + 0x1234, 0);
    EXPECT_AV(t, poke(BASE + 0x10, 1), BASE + 0x10, PF_W);
    /* Free: the tail of the granule and an untouched range. */
    EXPECT_AV(t, (void)peek(BASE + 0x2000), BASE + 0x2000, 0);
    EXPECT_AV(t, poke(BASE2 + 0x777, 1), BASE2 + 0x777, PF_W);
    EXPECT_REGION(t, BASE, 0x2000, MEM_RESERVE, 0);
    RELEASE(t, p);
}

VM_TEST(e41_execute_readable_not_writable)
{
    uint32_t x = COMMIT_NEW(t, 0x1000, PAGE_EXECUTE);
    uint32_t xr = COMMIT_NEW(t, 0x1000, PAGE_EXECUTE_READ);
    uint32_t xrw = COMMIT_NEW(t, 0x1000, PAGE_EXECUTE_READWRITE);

    EXPECT_EQ(t, peek(x + 3), 0);        /* no NX without PAE */
    EXPECT_EQ(t, peek(xr + 3), 0);
    EXPECT_AV(t, poke(x + 3, 1), x + 3, PF_P | PF_W);
    EXPECT_AV(t, poke(xr + 4, 1), xr + 4, PF_P | PF_W);
    poke(xrw + 5, 6);
    EXPECT_EQ(t, peek(xrw + 5), 6);
    RELEASE(t, x);
    RELEASE(t, xr);
    RELEASE(t, xrw);
}

VM_TEST(e41_pte_bits_follow_protection)
{
    uint32_t p = RESERVE(t, BASE, GRAN);

    ALLOC(t, BASE, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    ALLOC(t, BASE + 0x1000, 0x1000, MEM_COMMIT, PAGE_READONLY);
    ALLOC(t, BASE + 0x2000, 0x1000, MEM_COMMIT, PAGE_EXECUTE_READWRITE);
    ALLOC(t, BASE + 0x3000, 0x1000, MEM_COMMIT, PAGE_NOACCESS);
    poke(BASE, 1);
    (void)peek(BASE + 0x1000);
    poke(BASE + 0x2000, 1);
    EXPECT_EQ(t, pte_bits(BASE), PTE_P | PTE_W | PTE_U);
    EXPECT_EQ(t, pte_bits(BASE + 0x1000), PTE_P | PTE_U);
    EXPECT_EQ(t, pte_bits(BASE + 0x2000), PTE_P | PTE_W | PTE_U);
    EXPECT_EQ(t, pte_bits(BASE + 0x3000) & PTE_P, 0);
    EXPECT_EQ(t, pte_bits(BASE + 0x4000) & PTE_P, 0);
    PROTECT(t, BASE, 0x1000, PAGE_READONLY);
    EXPECT_EQ(t, pte_bits(BASE) & (PTE_P | PTE_W), PTE_P);
    PROTECT(t, BASE, 0x1000, PAGE_NOACCESS);
    EXPECT_EQ(t, pte_bits(BASE) & PTE_P, 0);
    DECOMMIT(t, BASE + 0x2000, 0x1000);
    EXPECT_EQ(t, pte_bits(BASE + 0x2000) & PTE_P, 0);
    RELEASE(t, p);
    EXPECT_EQ(t, pte_bits(BASE + 0x1000) & PTE_P, 0);
}

const struct ktest_case test_vm_e_cases[] = {
    KTEST_CASE(e34_protect_reserved_page_fails_all_or_nothing),
    KTEST_CASE(e34_protect_free_or_two_allocations_fails),
    KTEST_CASE(e35_old_protect_is_first_page),
    KTEST_CASE(e36_old_protect_pointer_required),
    KTEST_CASE(e37_new_protection_validated),
    KTEST_CASE(e38_protect_keeps_allocation_protect),
    KTEST_CASE(e39_protection_per_page_regions_merge),
    KTEST_CASE(e40_nocache_sticky_for_allocation),
    KTEST_CASE(e40_nocache_page_has_pcd),
    KTEST_CASE(e40_writecombine_page_has_pwt),
    KTEST_CASE(e41_readonly_write_faults),
    KTEST_CASE(e41_noaccess_faults_any_access),
    KTEST_CASE(e41_uncommitted_and_free_fault),
    KTEST_CASE(e41_execute_readable_not_writable),
    KTEST_CASE(e41_pte_bits_follow_protection),
    KTEST_END,
};
