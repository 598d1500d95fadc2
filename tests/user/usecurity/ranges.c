/* usecurity: address ranges (spec A2, A3) - VirtualAlloc outside the user
 * range, VirtualFree and VirtualProtect of kernel addresses. */
#include "usecurity.h"

static void alloc_outside_user_range_fails(struct utest *t)
{
    static const struct {
        uint32_t addr, size, type;
    } cases[] = {
        { 0x00001000, 0x1000, MEM_RESERVE },
        { 0x0000F000, 0x1000, MEM_RESERVE | MEM_COMMIT },
        { 0x0000FFFF, 2, MEM_RESERVE },
        { 0x00008000, 0x10000, MEM_RESERVE },
        { 0x00001000, 0x1000, MEM_COMMIT },
        { 0x7FFF0000, 0x1000, MEM_RESERVE },
        { 0x7FFF0000, 0x1000, MEM_RESERVE | MEM_COMMIT },
        { 0x7FFFF000, 0x1000, MEM_COMMIT },
        { 0x7FFE0000, 0x20000, MEM_RESERVE },
        { 0x7FFEF000, 0x2000, MEM_COMMIT },
        { 0x80000000, 0x1000, MEM_RESERVE },
        { 0x80100000, 0x1000, MEM_RESERVE | MEM_COMMIT },
        { 0xC0000000, 0x1000, MEM_COMMIT },
        { 0xC0300000, 0x1000, MEM_RESERVE },
        { 0xFFFF0000, 0x10000, MEM_RESERVE },
        { 0x10000000, 0x80000000, MEM_RESERVE },
        { 0x00010000, 0xFFFF0000, MEM_RESERVE },
    };
    char what[96];

    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        snprintf(what, sizeof(what), "VirtualAlloc(%08lx, %lx, %lx)", (unsigned long)cases[i].addr,
                 (unsigned long)cases[i].size, (unsigned long)cases[i].type);
        world_take(&world_before);
        SetLastError(0);
        LPVOID p = VirtualAlloc(VA(cases[i].addr), cases[i].size, cases[i].type, PAGE_READWRITE);
        if (p != NULL)
            utest_fail_msg(t, __FILE__, __LINE__, "%s returned %p", what, p);
        else if (GetLastError() != ERROR_INVALID_PARAMETER)
            utest_fail_msg(t, __FILE__, __LINE__, "%s: error %lu, expected 87", what, GetLastError());
        if (!world_unchanged(t, __LINE__, what))
            world_repair();
    }
    /* The lowest and highest granules that may be reserved. */
    LPVOID low = VirtualAlloc(VA(0x10000), 0x1000, MEM_RESERVE, PAGE_READWRITE);
    EXPECT_PTR_EQ(t, low, 0x10000);
    if (low != NULL)
        EXPECT_TRUE(t, VirtualFree(low, 0, MEM_RELEASE));
}

/* NT (WRK freevm.c, protect.c) checks the base against the highest user
 * address first: STATUS_INVALID_PARAMETER_2, ERROR_INVALID_PARAMETER. */
static void free_and_protect_of_kernel_addresses_fail(struct utest *t)
{
    static const uint32_t addrs[] = {
        0x7FFF0000, 0x80000000, 0x80100000, 0xC0000000, 0xC0300000, 0xFFFFF000,
    };
    char what[96];
    DWORD old;

    for (unsigned i = 0; i < ARRAY_SIZE(addrs); i++) {
        static const struct {
            const char *name;
            uint32_t size, type;
        } frees[] = { { "MEM_RELEASE", 0, MEM_RELEASE }, { "MEM_DECOMMIT", 0x1000, MEM_DECOMMIT },
                      { "MEM_DECOMMIT size 0", 0, MEM_DECOMMIT } };
        for (unsigned f = 0; f < ARRAY_SIZE(frees); f++) {
            snprintf(what, sizeof(what), "VirtualFree(%08lx, %lx, %s)", (unsigned long)addrs[i],
                     (unsigned long)frees[f].size, frees[f].name);
            world_take(&world_before);
            SetLastError(0);
            if (VirtualFree(VA(addrs[i]), frees[f].size, frees[f].type))
                utest_fail_msg(t, __FILE__, __LINE__, "%s succeeded", what);
            else if (GetLastError() != ERROR_INVALID_PARAMETER)
                utest_fail_msg(t, __FILE__, __LINE__, "%s: error %lu, expected 87", what, GetLastError());
            world_unchanged(t, __LINE__, what);
        }
        snprintf(what, sizeof(what), "VirtualProtect(%08lx)", (unsigned long)addrs[i]);
        world_take(&world_before);
        SetLastError(0);
        old = 0xDEAD;
        if (VirtualProtect(VA(addrs[i]), 0x1000, PAGE_READWRITE, &old))
            utest_fail_msg(t, __FILE__, __LINE__, "%s succeeded", what);
        else if (GetLastError() != ERROR_INVALID_PARAMETER)
            utest_fail_msg(t, __FILE__, __LINE__, "%s: error %lu, expected 87", what, GetLastError());
        EXPECT_EQ(t, old, 0xDEAD);
        world_unchanged(t, __LINE__, what);
    }
    /* A user range that runs into kernel space. */
    world_take(&world_before);
    SetLastError(0);
    EXPECT_FALSE(t, VirtualProtect(VA(VICTIM), 0x80000000, PAGE_READONLY, &old));
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT_FALSE(t, VirtualFree(VA(VICTIM), 0x80000000, MEM_DECOMMIT));
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    world_unchanged(t, __LINE__, "ranges running into kernel space");
}

static const struct utest_case range_cases[] = {
    UTEST_CASE(alloc_outside_user_range_fails),
    UTEST_CASE(free_and_protect_of_kernel_addresses_fail),
    UTEST_END,
};

const struct utest_suite usec_range_suite = {
    .name = "usec_address_ranges", .cases = range_cases,
};
