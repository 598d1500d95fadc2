/* uvm, spec section F: VirtualQuery (items 42-50). */
#include "uvm.h"

VM_TEST(f42_query_returns_struct_size)
{
    struct {
        MEMORY_BASIC_INFORMATION m;
        uint8_t pad[16];
    } buf;
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);

    memset(&buf, 0xCC, sizeof(buf));
    EXPECT_EQ(t, VirtualQuery(VA(p), &buf.m, sizeof(buf)), sizeof(MEMORY_BASIC_INFORMATION));
    EXPECT_EQ(t, sizeof(MEMORY_BASIC_INFORMATION), 28);
    EXPECT_EQ(t, U32(buf.m.BaseAddress), p);
    for (unsigned i = 0; i < sizeof(buf.pad); i++)
        EXPECT_EQ(t, buf.pad[i], 0xCC);
    EXPECT_EQ(t, VirtualQuery(VA(BASE), &buf.m, sizeof(buf.m)), 28);
    /* The native call's ReturnLength, and the call without one. */
    SIZE_T ret = 0xDEAD;
    EXPECT_EQ(t, NtQueryVirtualMemory(NtCurrentProcess(), VA(p), MemoryBasicInformation, &buf.m,
                                      sizeof(buf), &ret), STATUS_SUCCESS);
    EXPECT_EQ(t, ret, 28);
    EXPECT_EQ(t, NtQueryVirtualMemory(NtCurrentProcess(), VA(p), MemoryBasicInformation, &buf.m,
                                      sizeof(buf.m), NULL), STATUS_SUCCESS);
    EXPECT_EQ(t, U32(buf.m.BaseAddress), p);
    RELEASE(t, p);
}

VM_TEST(f43_query_short_length_fails)
{
    MEMORY_BASIC_INFORMATION m;
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);
    const SIZE_T lengths[] = { 0, 1, sizeof(m) - 1 };

    for (unsigned i = 0; i < ARRAY_SIZE(lengths); i++) {
        memset(&m, 0xCC, sizeof(m));
        SetLastError(BAD_ERROR);
        EXPECT_EQ(t, VirtualQuery(VA(p), &m, lengths[i]), 0);
        EXPECT_EQ(t, GetLastError(), ERROR_BAD_LENGTH);
        EXPECT_EQ(t, m.State, 0xCCCCCCCCu);
        /* The kernel checks it too, not just the wrapper. */
        SIZE_T ret = 0xDEAD;
        EXPECT_EQ(t, NtQueryVirtualMemory(NtCurrentProcess(), VA(p), MemoryBasicInformation, &m,
                                          lengths[i], &ret), STATUS_INFO_LENGTH_MISMATCH);
        EXPECT_EQ(t, m.State, 0xCCCCCCCCu);
    }
    RELEASE(t, p);
}

VM_TEST(f44_query_kernel_address_fails)
{
    const uint32_t addrs[] = { 0x7FFF0000, 0x7FFFFFFF, 0x80000000, 0x80100000, 0xC0000000, 0xFFFFF000 };
    MEMORY_BASIC_INFORMATION m;

    for (unsigned i = 0; i < ARRAY_SIZE(addrs); i++) {
        memset(&m, 0xCC, sizeof(m));
        SetLastError(BAD_ERROR);
        EXPECT_EQ(t, VirtualQuery(VA(addrs[i]), &m, sizeof(m)), 0);
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
        EXPECT_EQ(t, m.State, 0xCCCCCCCCu);
    }
    EXPECT_EQ(t, VirtualQuery(VA(USER_HIGH), &m, sizeof(m)), sizeof(m));
    EXPECT_EQ(t, U32(m.BaseAddress), 0x7FFEF000);
}

VM_TEST(f45_query_base_is_page_of_address)
{
    uint32_t p = COMMIT_NEW(t, 0x3000, PAGE_READWRITE);
    MEMORY_BASIC_INFORMATION m = QUERY(t, p + 0x1234);

    EXPECT_EQ(t, U32(m.BaseAddress), p + 0x1000);
    EXPECT_EQ(t, m.RegionSize, 0x2000);
    EXPECT_EQ(t, U32(m.AllocationBase), p);
    m = QUERY(t, BASE + 0x5567);
    EXPECT_EQ(t, U32(m.BaseAddress), BASE + 0x5000);
    EXPECT_EQ(t, m.State, MEM_FREE);
    m = QUERY(t, p + 0x2FFF);
    EXPECT_EQ(t, U32(m.BaseAddress), p + 0x2000);
    EXPECT_EQ(t, m.RegionSize, 0x1000);
    RELEASE(t, p);
}

VM_TEST(f46_region_stops_at_allocation_boundary)
{
    uint32_t a = ALLOC(t, BASE, GRAN, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    uint32_t b = ALLOC(t, BASE + GRAN, GRAN, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    uint32_t c = RESERVE(t, BASE2, 0x3000);

    EXPECT_REGION(t, BASE, GRAN, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, BASE + 0x8000, 0x8000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, BASE + GRAN, GRAN, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, U32(QUERY(t, BASE + GRAN).AllocationBase), BASE + GRAN);
    EXPECT_REGION(t, BASE2 + 0x1000, 0x2000, MEM_RESERVE, 0);
    /* Guard pages count: READWRITE|GUARD is not READWRITE. */
    PROTECT(t, BASE + 0x4000, 0x1000, PAGE_READWRITE | PAGE_GUARD);
    EXPECT_REGION(t, BASE, 0x4000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, BASE + 0x4000, 0x1000, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    RELEASE(t, a);
    RELEASE(t, b);
    RELEASE(t, c);
}

VM_TEST(f47_committed_region_fields)
{
    uint32_t p = ALLOC(t, 0, 0x2000, MEM_RESERVE, PAGE_READONLY);

    ALLOC(t, p, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    MEMORY_BASIC_INFORMATION m = QUERY(t, p);
    EXPECT_EQ(t, U32(m.BaseAddress), p);
    EXPECT_EQ(t, U32(m.AllocationBase), p);
    EXPECT_EQ(t, m.AllocationProtect, PAGE_READONLY);
    EXPECT_EQ(t, m.RegionSize, 0x2000);
    EXPECT_EQ(t, m.State, MEM_COMMIT);
    EXPECT_EQ(t, m.Protect, PAGE_READWRITE);
    EXPECT_EQ(t, m.Type, MEM_PRIVATE);
    RELEASE(t, p);
}

VM_TEST(f48_reserved_region_fields)
{
    uint32_t p = ALLOC(t, 0, 0x5000, MEM_RESERVE, PAGE_EXECUTE_READ);
    MEMORY_BASIC_INFORMATION m = QUERY(t, p + 0x1000);

    EXPECT_EQ(t, U32(m.BaseAddress), p + 0x1000);
    EXPECT_EQ(t, U32(m.AllocationBase), p);
    EXPECT_EQ(t, m.AllocationProtect, PAGE_EXECUTE_READ);
    EXPECT_EQ(t, m.RegionSize, 0x4000);
    EXPECT_EQ(t, m.State, MEM_RESERVE);
    EXPECT_EQ(t, m.Protect, 0);
    EXPECT_EQ(t, m.Type, MEM_PRIVATE);
    RELEASE(t, p);
}

VM_TEST(f49_free_region_fields)
{
    uint32_t a = RESERVE(t, BASE, 0x1000);
    uint32_t b = RESERVE(t, BASE + 4 * GRAN, 0x1000);
    MEMORY_BASIC_INFORMATION m = QUERY(t, BASE + 0x1000);

    EXPECT_EQ(t, U32(m.BaseAddress), BASE + 0x1000);
    EXPECT_EQ(t, m.RegionSize, 4 * GRAN - 0x1000);
    EXPECT_EQ(t, m.State, MEM_FREE);
    EXPECT_EQ(t, m.Protect, PAGE_NOACCESS);
    EXPECT_EQ(t, U32(m.AllocationBase), 0);
    EXPECT_EQ(t, m.AllocationProtect, 0);
    EXPECT_EQ(t, m.Type, 0);
    m = QUERY(t, BASE + 2 * GRAN + 0x123);
    EXPECT_EQ(t, U32(m.BaseAddress), BASE + 2 * GRAN);
    EXPECT_EQ(t, m.RegionSize, 2 * GRAN);
    RELEASE(t, a);
    RELEASE(t, b);
}

VM_TEST(f50_state_and_type_values)
{
    uint32_t p = RESERVE(t, BASE, 0x2000);

    ALLOC(t, BASE, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, QUERY(t, BASE).State, 0x1000);
    EXPECT_EQ(t, QUERY(t, BASE + 0x1000).State, 0x2000);
    EXPECT_EQ(t, QUERY(t, BASE + 0x2000).State, 0x10000);
    EXPECT_EQ(t, QUERY(t, BASE).Type, 0x20000);
    EXPECT_EQ(t, MEM_MAPPED, 0x40000);
    EXPECT_EQ(t, MEM_IMAGE, 0x1000000);
    RELEASE(t, p);
}

/* The program's own image and stack as VirtualQuery reports them. */
static __attribute__((noinline)) int text_probe(void)
{
    return 0x7E;
}

VM_TEST(f47_image_and_stack_are_private_allocations)
{
    MEMORY_BASIC_INFORMATION m = QUERY(t, U32(&return_42));   /* .rodata */

    EXPECT_EQ(t, m.State, MEM_COMMIT);
    EXPECT_EQ(t, m.Protect, PAGE_READONLY);
    EXPECT_EQ(t, U32(m.AllocationBase), 0x00400000);
    m = QUERY(t, U32(&baseline));                               /* .bss */
    EXPECT_EQ(t, m.State, MEM_COMMIT);
    EXPECT_EQ(t, m.Protect, PAGE_READWRITE);
    EXPECT_EQ(t, U32(m.AllocationBase), 0x00400000);
    m = QUERY(t, U32(&text_probe));                             /* .text */
    EXPECT_EQ(t, m.State, MEM_COMMIT);
    EXPECT_TRUE(t, m.Protect == PAGE_EXECUTE_READ || m.Protect == PAGE_EXECUTE);
    /* Text is never writable. */
    EXPECT_AV(t, poke(U32(&text_probe), 0xCC), EXCEPTION_WRITE_FAULT, U32(&text_probe));
    EXPECT_EQ(t, text_probe(), 0x7E);
    EXPECT_AV(t, poke(U32(&return_42[1]), 0), EXCEPTION_WRITE_FAULT, U32(&return_42[1]));
    m = QUERY(t, current_esp());
    EXPECT_EQ(t, m.State, MEM_COMMIT);
    EXPECT_EQ(t, m.Protect, PAGE_READWRITE);
    EXPECT_EQ(t, m.Type, MEM_PRIVATE);
    EXPECT_EQ(t, U32(m.AllocationBase) % GRAN, 0);
}

static const struct utest_case f_cases[] = {
    UTEST_CASE(f42_query_returns_struct_size),
    UTEST_CASE(f43_query_short_length_fails),
    UTEST_CASE(f44_query_kernel_address_fails),
    UTEST_CASE(f45_query_base_is_page_of_address),
    UTEST_CASE(f46_region_stops_at_allocation_boundary),
    UTEST_CASE(f47_committed_region_fields),
    UTEST_CASE(f47_image_and_stack_are_private_allocations),
    UTEST_CASE(f48_reserved_region_fields),
    UTEST_CASE(f49_free_region_fields),
    UTEST_CASE(f50_state_and_type_values),
    UTEST_END,
};

const struct utest_suite uvm_f_suite = {
    .name = "uvm_f_query", .cases = f_cases, .exit = suite_exit,
};
