/* uvm, spec section E: VirtualProtect and protections (items 34-41). */
#include "uvm.h"

VM_TEST(e34_protect_reserved_page_fails_all_or_nothing)
{
    uint32_t p = RESERVE(t, 0, 0x4000);

    ALLOC(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_PROTECT_FAILS(t, p, 0x4000, PAGE_READONLY, ERROR_INVALID_ADDRESS);
    EXPECT_PROTECT_FAILS(t, p + 0x2FFF, 2, PAGE_READONLY, ERROR_INVALID_ADDRESS);
    EXPECT_PROTECT_FAILS(t, p + 0x3000, 0x1000, PAGE_READONLY, ERROR_INVALID_ADDRESS);
    uint32_t b = p, s = 0x4000;
    DWORD old = BAD_ERROR;
    EXPECT_EQ(t, nt_protect(&b, &s, PAGE_NOACCESS, &old), STATUS_NOT_COMMITTED);
    EXPECT_EQ(t, b, p);
    EXPECT_EQ(t, s, 0x4000);
    EXPECT_EQ(t, old, BAD_ERROR);
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
    EXPECT_EQ(t, PROTECT(t, p + 0x1FFF, 2, PAGE_NOACCESS), PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x1000, 0x2000, MEM_COMMIT, PAGE_NOACCESS);
    /* The native call reports the page-rounded range and the old protection. */
    uint32_t b = p + 0x1FFF, s = 2;
    DWORD old = BAD_ERROR;
    EXPECT_EQ(t, nt_protect(&b, &s, PAGE_READONLY, &old), STATUS_SUCCESS);
    EXPECT_EQ(t, b, p + 0x1000);
    EXPECT_EQ(t, s, 0x2000);
    EXPECT_EQ(t, old, PAGE_NOACCESS);
    RELEASE(t, p);
}

VM_TEST(e36_old_protect_pointer_required)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);

    SetLastError(BAD_ERROR);
    EXPECT_FALSE(t, VirtualProtect(VA(p), 0x1000, PAGE_READONLY, NULL));
    EXPECT_EQ(t, GetLastError(), ERROR_NOACCESS);
    /* The same through the native call: the kernel refuses it too. */
    uint32_t b = p, s = 0x1000;
    EXPECT_EQ(t, nt_protect(&b, &s, PAGE_NOACCESS, NULL), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(t, b, p);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    poke(p, 3);
    EXPECT_EQ(t, peek(p), 3);
    RELEASE(t, p);
}

VM_TEST(e37_new_protection_validated)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);

    for (unsigned i = 0; i < ARRAY_SIZE(invalid_protections); i++)
        EXPECT_PROTECT_FAILS(t, p, 0x1000, invalid_protections[i], ERROR_INVALID_PARAMETER);
    uint32_t b = p, s = 0x1000;
    DWORD old = BAD_ERROR;
    EXPECT_EQ(t, nt_protect(&b, &s, PAGE_NOACCESS | PAGE_GUARD, &old), STATUS_INVALID_PAGE_PROTECTION);
    EXPECT_EQ(t, old, BAD_ERROR);
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
    /* Only the middle page refuses writes. */
    poke(p + 0xFFF, 1);
    EXPECT_AV(t, poke(p + 0x1000, 1), EXCEPTION_WRITE_FAULT, p + 0x1000);
    poke(p + 0x2000, 1);
    EXPECT_EQ(t, PROTECT(t, p + 0x1000, 0x1000, PAGE_READWRITE), PAGE_READONLY);
    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x1000, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    poke(p + 0x1000, 1);
    RELEASE(t, p);
}

VM_TEST(e40_nocache_sticky_for_allocation)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE | PAGE_NOCACHE);

    EXPECT_EQ(t, PROTECT(t, p, 0x1000, PAGE_READONLY), PAGE_READWRITE | PAGE_NOCACHE);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READONLY | PAGE_NOCACHE);
    EXPECT_REGION(t, p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE | PAGE_NOCACHE);
    EXPECT_EQ(t, peek(p), 0);
    EXPECT_AV(t, poke(p + 8, 1), EXCEPTION_WRITE_FAULT, p + 8);
    EXPECT_EQ(t, PROTECT(t, p, 0x2000, PAGE_READWRITE), PAGE_READONLY | PAGE_NOCACHE);
    EXPECT_REGION(t, p, 0x2000, MEM_COMMIT, PAGE_READWRITE | PAGE_NOCACHE);
    poke(p, 1);
    EXPECT_EQ(t, peek(p), 1);
    RELEASE(t, p);
}

VM_TEST(e41_readonly_write_faults)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READONLY);

    /* Never touched: not present yet; the write must still be refused. */
    EXPECT_AV(t, poke(p + 0x80, 1), EXCEPTION_WRITE_FAULT, p + 0x80);
    EXPECT_EQ(t, peek(p + 0x80), 0);
    EXPECT_AV(t, poke(p + 0x81, 1), EXCEPTION_WRITE_FAULT, p + 0x81);
    EXPECT_EQ(t, peek(p + 0x81), 0);
    RELEASE(t, p);
}

VM_TEST(e41_noaccess_faults_any_access)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_NOACCESS);

    EXPECT_AV(t, (void)peek(p + 0x10), EXCEPTION_READ_FAULT, p + 0x10);
    EXPECT_AV(t, poke(p + 0x1FFF, 1), EXCEPTION_WRITE_FAULT, p + 0x1FFF);
    /* A page that was readable and cached in the TLB loses it too. */
    PROTECT(t, p, 0x1000, PAGE_READWRITE);
    poke(p, 5);
    PROTECT(t, p, 0x1000, PAGE_NOACCESS);
    EXPECT_AV(t, (void)peek(p), EXCEPTION_READ_FAULT, p);
    PROTECT(t, p, 0x1000, PAGE_READONLY);
    EXPECT_EQ(t, peek(p), 5);
    RELEASE(t, p);
}

VM_TEST(e41_uncommitted_and_free_fault)
{
    uint32_t p = RESERVE(t, BASE, 0x2000);

    EXPECT_AV(t, (void)peek(BASE + 0x1234), EXCEPTION_READ_FAULT, BASE + 0x1234);
    EXPECT_AV(t, poke(BASE + 0x10, 1), EXCEPTION_WRITE_FAULT, BASE + 0x10);
    EXPECT_AV(t, (void)peek(BASE + 0x2000), EXCEPTION_READ_FAULT, BASE + 0x2000);
    EXPECT_AV(t, poke(BASE2 + 0x777, 1), EXCEPTION_WRITE_FAULT, BASE2 + 0x777);
    EXPECT_REGION(t, BASE, 0x2000, MEM_RESERVE, 0);
    RELEASE(t, p);
}

VM_TEST(e41_execute_readable_not_writable)
{
    uint32_t x = COMMIT_NEW(t, 0x1000, PAGE_EXECUTE);
    uint32_t xr = COMMIT_NEW(t, 0x1000, PAGE_EXECUTE_READ);
    uint32_t xrw = COMMIT_NEW(t, 0x1000, PAGE_EXECUTE_READWRITE);

    EXPECT_EQ(t, peek(x + 3), 0);       /* no NX without PAE: execute implies read */
    EXPECT_EQ(t, peek(xr + 3), 0);
    EXPECT_AV(t, poke(x + 3, 1), EXCEPTION_WRITE_FAULT, x + 3);
    EXPECT_AV(t, poke(xr + 4, 1), EXCEPTION_WRITE_FAULT, xr + 4);
    poke(xrw + 5, 6);
    EXPECT_EQ(t, peek(xrw + 5), 6);
    RELEASE(t, x);
    RELEASE(t, xr);
    RELEASE(t, xrw);
}

typedef int (*int_fn)(void);
/* An access violation from calling into memory that cannot be executed:
 * the address is the target itself; without NX (no PAE) the CPU reports
 * an instruction fetch like a read, so [0] is read (0) or execute (8). */
static void expect_call_faults(struct utest *t, int line, uint32_t target)
{
    struct utest_exception x;
    volatile int r = -1;

    UTEST_CATCH(&x, r = ((int_fn)target)());
    if (!x.caught) {
        utest_fail_msg(t, __FILE__, line, "calling %08lx returned %d, no exception",
                       (unsigned long)target, r);
        return;
    }
    EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, x.nparams, 2);
    EXPECT_TRUE(t, x.info[0] == EXCEPTION_READ_FAULT || x.info[0] == EXCEPTION_EXECUTE_FAULT);
    EXPECT_EQ(t, x.info[1], target);
    EXPECT_EQ(t, x.eip, target);
    EXPECT_EQ(t, x.address, target);
}

VM_TEST(e41_code_runs_where_executable)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_EXECUTE_READWRITE);

    memcpy(VA(p + 0x100), return_42, sizeof(return_42));
    EXPECT_EQ(t, ((int_fn)(p + 0x100))(), 42);
    EXPECT_EQ(t, PROTECT(t, p, 0x1000, PAGE_EXECUTE_READ), PAGE_EXECUTE_READWRITE);
    EXPECT_EQ(t, ((int_fn)(p + 0x100))(), 42);
    EXPECT_AV(t, poke(p + 0x100, 0xC3), EXCEPTION_WRITE_FAULT, p + 0x100);
    EXPECT_EQ(t, PROTECT(t, p, 0x1000, PAGE_EXECUTE), PAGE_EXECUTE_READ);
    EXPECT_EQ(t, ((int_fn)(p + 0x100))(), 42);
    /* Not accessible, not committed, free: calling there faults at the target. */
    EXPECT_EQ(t, PROTECT(t, p, 0x1000, PAGE_NOACCESS), PAGE_EXECUTE);
    expect_call_faults(t, __LINE__, p + 0x100);
    DECOMMIT(t, p + 0x1000, 0x1000);
    expect_call_faults(t, __LINE__, p + 0x1010);
    expect_call_faults(t, __LINE__, BASE2 + 0x20);
    RELEASE(t, p);
}

static const struct utest_case e_cases[] = {
    UTEST_CASE(e34_protect_reserved_page_fails_all_or_nothing),
    UTEST_CASE(e34_protect_free_or_two_allocations_fails),
    UTEST_CASE(e35_old_protect_is_first_page),
    UTEST_CASE(e36_old_protect_pointer_required),
    UTEST_CASE(e37_new_protection_validated),
    UTEST_CASE(e38_protect_keeps_allocation_protect),
    UTEST_CASE(e39_protection_per_page_regions_merge),
    UTEST_CASE(e40_nocache_sticky_for_allocation),
    UTEST_CASE(e41_readonly_write_faults),
    UTEST_CASE(e41_noaccess_faults_any_access),
    UTEST_CASE(e41_uncommitted_and_free_fault),
    UTEST_CASE(e41_execute_readable_not_writable),
    UTEST_CASE(e41_code_runs_where_executable),
    UTEST_END,
};

const struct utest_suite uvm_e_suite = {
    .name = "uvm_e_protect", .cases = e_cases, .exit = suite_exit,
};
