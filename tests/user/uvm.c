/* The Windows virtual-memory semantics of ../shared/spec/win-memory-
 * semantics.md sections A-H from ring 3, through the real system-service
 * boundary: the kernel32 wrappers (VirtualAlloc/Free/Protect/Query) and
 * the Nt* calls with their in/out parameters.  One case per numbered item
 * (the case name starts with the item), most of them ports of the kernel's
 * tests/kernel/test_vm.c; G and H add what only user mode can see: the
 * exception records and CONTEXTs a vectored handler gets, continuing with
 * a changed CONTEXT, guard pages cleared before delivery, a guard page hit
 * inside a system service, and the stack growing through its guard page.
 *
 * Every case starts with the fixed addresses BASE and BASE2 free (a case
 * that failed half-way has its leftovers released by the next one) and
 * must give back what it took: the commit charge and the number of
 * allocations are compared around each case and around each suite.  The
 * commit charge includes the page tables created for committed pages, so
 * cases that count pages first commit a page in the same 4 MiB. */
#include "utest.h"
#include "uspace.h"
#include <stdio.h>

#define BASE 0x20000000u
#define BASE2 0x30000000u
#define BAD_ERROR 0xDEADBEEFu

/* ---- fixture ----------------------------------------------------------------- */

static struct alloc_set baseline;       /* the image and the stack */
static uint32_t enter_charge, enter_allocations;

static void space_enter(struct utest *t)
{
    (void)t;
    int n = alloc_release_others(&baseline);
    if (n != 0)
        utest_log("released %d allocation(s) an earlier case left behind", n);
    enter_charge = commit_charge();
    enter_allocations = allocation_count();
}

static void space_leave(struct utest *t)
{
    EXPECT_EQ(t, allocation_count(), enter_allocations);
    EXPECT_EQ(t, commit_charge(), enter_charge);
}

static void suite_exit(void)
{
    alloc_release_others(&baseline);
}

#define VM_TEST(name)                                                         \
    static void name##_body(struct utest *t);                                 \
    static void name(struct utest *t)                                         \
    {                                                                         \
        space_enter(t);                                                       \
        name##_body(t);                                                       \
        space_leave(t);                                                       \
    }                                                                         \
    static void name##_body(struct utest *t)

/* ---- memory access ------------------------------------------------------------- */

static inline uint8_t peek(uint32_t va)
{
    return *(volatile uint8_t *)va;
}

static inline void poke(uint32_t va, uint8_t v)
{
    *(volatile uint8_t *)va = v;
}

static void fill_page(uint32_t va, uint32_t word)
{
    volatile uint32_t *p = (volatile uint32_t *)(va & ~(PAGE - 1));
    for (uint32_t i = 0; i < PAGE / 4; i++)
        p[i] = word;
}

static uint32_t page_mismatches(uint32_t va, uint32_t word)
{
    volatile uint32_t *p = (volatile uint32_t *)(va & ~(PAGE - 1));
    uint32_t bad = 0;
    for (uint32_t i = 0; i < PAGE / 4; i++)
        bad += p[i] != word;
    return bad;
}

/* ---- Win32 calls with their expected outcome ------------------------------------ */

static uint32_t alloc_checked(struct utest *t, int line, uint32_t addr, SIZE_T size, DWORD type,
                              DWORD prot)
{
    SetLastError(BAD_ERROR);
    LPVOID p = VirtualAlloc(VA(addr), size, type, prot);
    if (p == NULL) {
        utest_fail_msg(t, __FILE__, line, "VirtualAlloc(%08lx, %lx, %lx, %lx) failed, error %lu",
                       (unsigned long)addr, (unsigned long)size, type, prot, GetLastError());
        utest_leave(t);
    }
    return U32(p);
}
#define ALLOC(t, addr, size, type, prot) alloc_checked(t, __LINE__, addr, size, type, prot)
#define RESERVE(t, addr, size) ALLOC(t, addr, size, MEM_RESERVE, PAGE_READWRITE)
#define COMMIT_NEW(t, size, prot) ALLOC(t, 0, size, MEM_RESERVE | MEM_COMMIT, prot)

static void free_checked(struct utest *t, int line, uint32_t addr, SIZE_T size, DWORD type)
{
    SetLastError(BAD_ERROR);
    if (!VirtualFree(VA(addr), size, type))
        utest_fail_msg(t, __FILE__, line, "VirtualFree(%08lx, %lx, %lx) failed, error %lu",
                       (unsigned long)addr, (unsigned long)size, type, GetLastError());
}
#define RELEASE(t, addr) free_checked(t, __LINE__, addr, 0, MEM_RELEASE)
#define DECOMMIT(t, addr, size) free_checked(t, __LINE__, addr, size, MEM_DECOMMIT)

static DWORD protect_checked(struct utest *t, int line, uint32_t addr, SIZE_T size, DWORD prot)
{
    DWORD old = BAD_ERROR;
    SetLastError(BAD_ERROR);
    if (!VirtualProtect(VA(addr), size, prot, &old)) {
        utest_fail_msg(t, __FILE__, line, "VirtualProtect(%08lx, %lx, %lx) failed, error %lu",
                       (unsigned long)addr, (unsigned long)size, prot, GetLastError());
        return BAD_ERROR;
    }
    return old;
}
#define PROTECT(t, addr, size, prot) protect_checked(t, __LINE__, addr, size, prot)

#define EXPECT_ALLOC_FAILS(t, addr, size, type, prot, err)                    \
    do {                                                                      \
        SetLastError(BAD_ERROR);                                              \
        EXPECT_EQ(t, U32(VirtualAlloc(VA(addr), size, type, prot)), 0);       \
        EXPECT_EQ(t, GetLastError(), err);                                    \
    } while (0)

#define EXPECT_FREE_FAILS(t, addr, size, type, err)                           \
    do {                                                                      \
        SetLastError(BAD_ERROR);                                              \
        EXPECT_FALSE(t, VirtualFree(VA(addr), size, type));                   \
        EXPECT_EQ(t, GetLastError(), err);                                    \
    } while (0)

#define EXPECT_PROTECT_FAILS(t, addr, size, prot, err)                        \
    do {                                                                      \
        DWORD old_ = BAD_ERROR;                                               \
        SetLastError(BAD_ERROR);                                              \
        EXPECT_FALSE(t, VirtualProtect(VA(addr), size, prot, &old_));         \
        EXPECT_EQ(t, GetLastError(), err);                                    \
        EXPECT_EQ(t, old_, BAD_ERROR);                                        \
    } while (0)

static MEMORY_BASIC_INFORMATION query(struct utest *t, int line, uint32_t addr)
{
    MEMORY_BASIC_INFORMATION m;
    memset(&m, 0xAA, sizeof(m));
    SetLastError(BAD_ERROR);
    SIZE_T n = VirtualQuery(VA(addr), &m, sizeof(m));
    if (n != sizeof(m))
        utest_fail_msg(t, __FILE__, line, "VirtualQuery(%08lx) returned %lu, error %lu",
                       (unsigned long)addr, (unsigned long)n, GetLastError());
    return m;
}
#define QUERY(t, addr) query(t, __LINE__, addr)

static void expect_region(struct utest *t, int line, uint32_t addr, uint32_t size, DWORD state,
                          DWORD protect)
{
    int before = t->failures;
    MEMORY_BASIC_INFORMATION m = query(t, line, addr);

    EXPECT_EQ(t, U32(m.BaseAddress), addr & ~(PAGE - 1));
    EXPECT_EQ(t, m.RegionSize, size);
    EXPECT_EQ(t, m.State, state);
    EXPECT_EQ(t, m.Protect, protect);
    if (t->failures != before)
        utest_log("region at %08lx, checked from line %d", (unsigned long)addr, line);
}
#define EXPECT_REGION(t, addr, size, state, protect)                          \
    expect_region(t, __LINE__, addr, size, state, protect)

static void expect_free(struct utest *t, int line, uint32_t addr)
{
    int before = t->failures;
    MEMORY_BASIC_INFORMATION m = query(t, line, addr);

    EXPECT_EQ(t, U32(m.BaseAddress), addr & ~(PAGE - 1));
    EXPECT_EQ(t, m.State, MEM_FREE);
    EXPECT_EQ(t, m.Protect, PAGE_NOACCESS);
    EXPECT_EQ(t, U32(m.AllocationBase), 0);
    if (t->failures != before)
        utest_log("free memory at %08lx, checked from line %d", (unsigned long)addr, line);
}
#define EXPECT_FREE(t, addr) expect_free(t, __LINE__, addr)

/* The native calls with their in/out parameters. */
static NTSTATUS nt_alloc(uint32_t *base, uint32_t *size, DWORD type, DWORD prot)
{
    return NtAllocateVirtualMemory(NtCurrentProcess(), (PVOID *)base, 0, (PSIZE_T)size, type, prot);
}

static NTSTATUS nt_free(uint32_t *base, uint32_t *size, DWORD type)
{
    return NtFreeVirtualMemory(NtCurrentProcess(), (PVOID *)base, (PSIZE_T)size, type);
}

static NTSTATUS nt_protect(uint32_t *base, uint32_t *size, DWORD prot, DWORD *old)
{
    return NtProtectVirtualMemory(NtCurrentProcess(), (PVOID *)base, (PSIZE_T)size, prot, old);
}

/* ---- expected exceptions ----------------------------------------------------------- */

/* An exception of the given code with the read/write flag and exact address. */
#define EXPECT_FAULT(t, stmt, xcode, kind, addr)                              \
    do {                                                                      \
        struct utest_exception x_;                                            \
        EXPECT_EXCEPTION(t, &x_, stmt);                                       \
        if (x_.caught) {                                                      \
            EXPECT_EQ(t, x_.code, xcode);                                     \
            EXPECT_EQ(t, x_.nparams, 2);                                      \
            EXPECT_EQ(t, x_.info[0], kind);                                   \
            EXPECT_EQ(t, x_.info[1], (uintptr_t)(addr));                      \
        }                                                                     \
    } while (0)
#define EXPECT_AV(t, stmt, kind, addr) EXPECT_FAULT(t, stmt, EXCEPTION_ACCESS_VIOLATION, kind, addr)
#define EXPECT_GUARD(t, stmt, kind, addr) EXPECT_FAULT(t, stmt, EXCEPTION_GUARD_PAGE, kind, addr)
#define EXPECT_NO_EXCEPTION(t, stmt)                                          \
    do {                                                                      \
        struct utest_exception x_;                                            \
        UTEST_CATCH(&x_, stmt);                                               \
        if (x_.caught)                                                        \
            utest_fail_msg(t, __FILE__, __LINE__, "`%s` raised 0x%08lx at %08lx", #stmt, \
                           x_.code, (unsigned long)x_.info[1]);               \
    } while (0)

/* ---- A. address space geometry ------------------------------------------------------ */

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

/* ---- B. VirtualAlloc: reserve and commit ------------------------------------------------ */

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

static const DWORD invalid_protections[] = {
    0,
    PAGE_READONLY | PAGE_EXECUTE,
    PAGE_READWRITE | PAGE_EXECUTE_READ,
    PAGE_WRITECOPY,
    PAGE_EXECUTE_WRITECOPY,
    PAGE_NOACCESS | PAGE_GUARD,
    PAGE_READWRITE | PAGE_NOCACHE | PAGE_GUARD,
    PAGE_READWRITE | PAGE_NOCACHE | PAGE_WRITECOMBINE,
    PAGE_GUARD,
    0x800,                              /* an unknown bit */
};

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

/* ---- C. MEM_RESET ------------------------------------------------------------------------ */

VM_TEST(c20_reset_must_be_alone)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);

    poke(p, 0x77);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET | MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET | MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0, 0x1000, MEM_RESET | MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_EQ(t, peek(p), 0x77);
    RELEASE(t, p);
}

VM_TEST(c21_reset_keeps_commit_and_protection)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);
    uint32_t c = commit_charge();

    poke(p, 1);
    EXPECT_EQ(t, ALLOC(t, p + 0x10, 0x1000, MEM_RESET, PAGE_NOACCESS), p);
    EXPECT_REGION(t, p, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, commit_charge(), c);
    poke(p + 0x1800, 2);
    EXPECT_EQ(t, peek(p + 0x1800), 2);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET, 0, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET, PAGE_WRITECOPY, ERROR_INVALID_PARAMETER);
    /* The native call reports the page-rounded range. */
    uint32_t b = p + 0x1010, s = 0x10;
    EXPECT_EQ(t, nt_alloc(&b, &s, MEM_RESET, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(t, b, p + 0x1000);
    EXPECT_EQ(t, s, 0x1000);
    RELEASE(t, p);
}

VM_TEST(c22_reset_contents_old_or_zero)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);

    fill_page(p, 0xA5A5A5A5);
    fill_page(p + 0x1000, 0xA5A5A5A5);
    EXPECT_EQ(t, ALLOC(t, p, 0x2000, MEM_RESET, PAGE_READWRITE), p);
    for (uint32_t off = 0; off < 0x2000; off += PAGE) {
        uint32_t old = page_mismatches(p + off, 0xA5A5A5A5);
        uint32_t zero = page_mismatches(p + off, 0);
        EXPECT_EQ(t, old + zero, PAGE / 4);
    }
    fill_page(p + 0x1000, 0x5A5A5A5A);
    EXPECT_EQ(t, page_mismatches(p + 0x1000, 0x5A5A5A5A), 0);
    RELEASE(t, p);
}

VM_TEST(c23_reset_reserved_pages_stay_reserved)
{
    uint32_t p = RESERVE(t, BASE, 0x4000);

    ALLOC(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    uint32_t c = commit_charge();
    poke(p, 7);
    EXPECT_EQ(t, ALLOC(t, p + 0x1000, 0x2000, MEM_RESET, PAGE_READWRITE), p + 0x1000);
    EXPECT_REGION(t, p + 0x1000, 0x3000, MEM_RESERVE, 0);
    EXPECT_EQ(t, ALLOC(t, p, 0x4000, MEM_RESET, PAGE_READWRITE), p);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x1000, 0x3000, MEM_RESERVE, 0);
    EXPECT_EQ(t, commit_charge(), c);
    EXPECT_AV(t, (void)peek(p + 0x1000), EXCEPTION_READ_FAULT, p + 0x1000);
    poke(p, 8);
    RELEASE(t, p);
}

VM_TEST(c24_reset_past_reservation_fails)
{
    uint32_t p = COMMIT_NEW(t, 0x3000, PAGE_READWRITE);

    EXPECT_ALLOC_FAILS(t, p + 0x2000, 0x2000, MEM_RESET, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_ALLOC_FAILS(t, BASE, 0x1000, MEM_RESET, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    RELEASE(t, p);
}

/* ---- D. VirtualFree ------------------------------------------------------------------------ */

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

/* ---- E. VirtualProtect and protections ------------------------------------------------------ */

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

/* mov eax, 42; ret */
static const uint8_t return_42[] = { 0xB8, 0x2A, 0x00, 0x00, 0x00, 0xC3 };

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

/* ---- F. VirtualQuery --------------------------------------------------------------------- */

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

/* ---- G. access violations and vectored handlers --------------------------------------- */

extern const char uvm_read_ip[], uvm_write_ip[];

static __attribute__((noinline, noclone)) uint32_t load_at_label(uint32_t p)
{
    uint32_t v;
    __asm__ volatile(".globl uvm_read_ip\nuvm_read_ip:\n\tmovl (%1), %0" : "=r"(v) : "r"(p) : "memory");
    return v;
}

static __attribute__((noinline, noclone)) void store_at_label(uint32_t p)
{
    __asm__ volatile(".globl uvm_write_ip\nuvm_write_ip:\n\tmovl $7, (%0)" : : "r"(p) : "memory");
}

VM_TEST(g51_access_violation_record)
{
    struct utest_exception x;
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_NOACCESS);
    uint32_t r = RESERVE(t, BASE, 0x2000);

    /* Exact byte addresses, not page-rounded; the address of the
     * faulting instruction in both the record and the context. */
    EXPECT_EXCEPTION(t, &x, load_at_label(p + 0x123));
    EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, x.flags, 0);
    EXPECT_EQ(t, x.nparams, 2);
    EXPECT_EQ(t, x.info[0], EXCEPTION_READ_FAULT);
    EXPECT_EQ(t, x.info[1], p + 0x123);
    EXPECT_EQ(t, x.address, U32(uvm_read_ip));
    EXPECT_EQ(t, x.eip, U32(uvm_read_ip));
    EXPECT_EXCEPTION(t, &x, store_at_label(p + 0xFFD));     /* 4 bytes: the last of the page */
    EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, x.info[0], EXCEPTION_WRITE_FAULT);
    EXPECT_EQ(t, x.info[1], p + 0xFFD);
    EXPECT_EQ(t, x.address, U32(uvm_write_ip));
    /* A 4-byte read straddling into a reserved page reports the first
     * byte that faults. */
    ALLOC(t, r, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EXCEPTION(t, &x, load_at_label(r + 0xFFE));
    EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, x.info[0], EXCEPTION_READ_FAULT);
    EXPECT_EQ(t, x.info[1], r + 0x1000);
    EXPECT_EXCEPTION(t, &x, store_at_label(r + 0x1FFF));
    EXPECT_EQ(t, x.info[0], EXCEPTION_WRITE_FAULT);
    EXPECT_EQ(t, x.info[1], r + 0x1FFF);
    RELEASE(t, p);
    RELEASE(t, r);
}

/* The context a handler sees at a fault, and a fix-up of its registers. */
extern const char uvm_ctx_ip[];
static CONTEXT ctx_seen;
static EXCEPTION_RECORD rec_seen;
static int ctx_calls;
static volatile uint32_t good_word = 0x600D600D;

static LONG CALLBACK fix_ecx_handler(PEXCEPTION_POINTERS ep)
{
    if (ep->ContextRecord->Eip != U32(uvm_ctx_ip))
        return EXCEPTION_CONTINUE_SEARCH;
    ctx_calls++;
    ctx_seen = *ep->ContextRecord;
    rec_seen = *ep->ExceptionRecord;
    ep->ContextRecord->Ecx = U32(&good_word);  /* re-executed with a good pointer */
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* Loads known values into every register, then faults on (ECX). */
static __attribute__((noinline, noclone)) uint32_t fault_with_known_registers(uint32_t bad,
                                                                              uint32_t *esp_at,
                                                                              uint32_t *ecx_after)
{
    uint32_t eax, esp;
    __asm__ volatile("pushl %%ebx\n\t"
                     "pushl %%esi\n\t"
                     "pushl %%edi\n\t"
                     "pushl %%ebp\n\t"
                     "movl $0xB0B0B0B0, %%ebx\n\t"
                     "movl $0x51515151, %%esi\n\t"
                     "movl $0xD1D1D1D1, %%edi\n\t"
                     "movl $0xE0E0E0E0, %%ebp\n\t"
                     "movl %%esp, %%edx\n\t"
                     "movl $0xAAAA0001, %%eax\n\t"
                     ".globl uvm_ctx_ip\nuvm_ctx_ip:\n\t"
                     "movl (%%ecx), %%eax\n\t"
                     "popl %%ebp\n\t"
                     "popl %%edi\n\t"
                     "popl %%esi\n\t"
                     "popl %%ebx\n\t"
                     : "=a"(eax), "=d"(esp), "+c"(bad)
                     :
                     : "memory", "cc");
    *esp_at = esp;
    *ecx_after = bad;
    return eax;
}

VM_TEST(g52_context_registers_and_fixup)
{
    uint32_t bad = BASE2 + 0x44, esp_at = 0, ecx_after = 0;

    ctx_calls = 0;
    memset(&ctx_seen, 0, sizeof(ctx_seen));
    PVOID h = AddVectoredExceptionHandler(1, fix_ecx_handler);
    ASSERT_PTR_NE(t, h, NULL);
    uint32_t eax = fault_with_known_registers(bad, &esp_at, &ecx_after);
    RemoveVectoredExceptionHandler(h);

    EXPECT_EQ(t, ctx_calls, 1);
    EXPECT_EQ(t, eax, 0x600D600D);                  /* the load ran again, with the new ECX */
    EXPECT_EQ(t, ecx_after, U32(&good_word));
    EXPECT_EQ(t, rec_seen.ExceptionCode, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, U32(rec_seen.ExceptionAddress), U32(uvm_ctx_ip));
    EXPECT_EQ(t, rec_seen.ExceptionInformation[0], EXCEPTION_READ_FAULT);
    EXPECT_EQ(t, rec_seen.ExceptionInformation[1], bad);
    EXPECT_EQ(t, ctx_seen.ContextFlags & CONTEXT_FULL, CONTEXT_FULL);
    EXPECT_EQ(t, ctx_seen.Eax, 0xAAAA0001);
    EXPECT_EQ(t, ctx_seen.Ebx, 0xB0B0B0B0);
    EXPECT_EQ(t, ctx_seen.Ecx, bad);
    EXPECT_EQ(t, ctx_seen.Edx, esp_at);
    EXPECT_EQ(t, ctx_seen.Esi, 0x51515151);
    EXPECT_EQ(t, ctx_seen.Edi, 0xD1D1D1D1);
    EXPECT_EQ(t, ctx_seen.Ebp, 0xE0E0E0E0);
    EXPECT_EQ(t, ctx_seen.Esp, esp_at);
    EXPECT_EQ(t, ctx_seen.Eip, U32(uvm_ctx_ip));
    EXPECT_EQ(t, ctx_seen.SegCs & 3, 3);
    EXPECT_EQ(t, ctx_seen.SegSs & 3, 3);
    EXPECT_EQ(t, ctx_seen.EFlags & 0x200, 0x200);   /* IF */
    EXPECT_EQ(t, ctx_seen.EFlags & 0x3000, 0);      /* IOPL 0 */
}

/* A handler that moves Eip past the faulting code and Esp down, and sets EAX. */
extern const char uvm_skip_ip[], uvm_resume_ip[];

static LONG CALLBACK move_eip_esp_handler(PEXCEPTION_POINTERS ep)
{
    if (ep->ContextRecord->Eip != U32(uvm_skip_ip))
        return EXCEPTION_CONTINUE_SEARCH;
    ep->ContextRecord->Eip = U32(uvm_resume_ip);
    ep->ContextRecord->Esp -= 0x40;
    ep->ContextRecord->Eax = 0x5A5A5A5A;
    return EXCEPTION_CONTINUE_EXECUTION;
}

VM_TEST(g52_handler_moves_eip_and_esp)
{
    uint32_t eax, esp_seen, esp_orig;

    PVOID h = AddVectoredExceptionHandler(1, move_eip_esp_handler);
    ASSERT_PTR_NE(t, h, NULL);
    __asm__ volatile("movl %%esp, %%edi\n\t"
                     ".globl uvm_skip_ip\nuvm_skip_ip:\n\t"
                     "movl (%%ecx), %%eax\n\t"
                     "movl $1, %%eax\n\t"
                     ".globl uvm_resume_ip\nuvm_resume_ip:\n\t"
                     "movl %%esp, %%edx\n\t"
                     "movl %%edi, %%esp\n\t"
                     : "=a"(eax), "=d"(esp_seen), "=D"(esp_orig)
                     : "c"(BASE2 + 8)
                     : "memory", "cc");
    RemoveVectoredExceptionHandler(h);
    EXPECT_EQ(t, eax, 0x5A5A5A5A);
    EXPECT_EQ(t, esp_seen, esp_orig - 0x40);
}

/* Handlers run in order; CONTINUE_SEARCH passes the exception on. */
static int order_log[8], order_len;
static uint32_t demand_lo, demand_hi;
static int demand_commits;

static LONG CALLBACK search_handler(PEXCEPTION_POINTERS ep)
{
    (void)ep;
    if (order_len < 8)
        order_log[order_len++] = 'S';
    return EXCEPTION_CONTINUE_SEARCH;
}

static LONG CALLBACK commit_handler(PEXCEPTION_POINTERS ep)
{
    const EXCEPTION_RECORD *rec = ep->ExceptionRecord;
    uint32_t a = rec->ExceptionInformation[1];

    if (rec->ExceptionCode != EXCEPTION_ACCESS_VIOLATION || rec->NumberParameters != 2 ||
        a < demand_lo || a >= demand_hi)
        return EXCEPTION_CONTINUE_SEARCH;
    if (order_len < 8)
        order_log[order_len++] = 'C';
    if (VirtualAlloc(VA(a), 1, MEM_COMMIT, PAGE_READWRITE) == NULL)
        return EXCEPTION_CONTINUE_SEARCH;
    demand_commits++;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static LONG CALLBACK never_handler(PEXCEPTION_POINTERS ep)
{
    (void)ep;
    if (order_len < 8)
        order_log[order_len++] = 'N';
    return EXCEPTION_CONTINUE_SEARCH;
}

VM_TEST(g52_handler_commits_and_continues)
{
    uint32_t p = RESERVE(t, BASE, 16 * PAGE);

    demand_lo = p;
    demand_hi = p + 16 * PAGE;
    demand_commits = 0;
    order_len = 0;
    PVOID c = AddVectoredExceptionHandler(0, commit_handler);
    PVOID n = AddVectoredExceptionHandler(0, never_handler);   /* after C: never reached */
    PVOID s = AddVectoredExceptionHandler(1, search_handler);  /* before C */
    ASSERT_TRUE(t, c != NULL && n != NULL && s != NULL);
    poke(p + 0x5123, 0x77);                     /* S, then C commits, then the store again */
    EXPECT_EQ(t, order_len, 2);
    EXPECT_EQ(t, order_log[0], 'S');
    EXPECT_EQ(t, order_log[1], 'C');
    EXPECT_EQ(t, peek(p + 0x5123), 0x77);       /* no fault any more */
    EXPECT_EQ(t, order_len, 2);
    for (uint32_t off = 0; off < 16 * PAGE; off += 0x800)
        poke(p + off, (uint8_t)(off >> 11));
    EXPECT_EQ(t, demand_commits, 16);
    for (uint32_t off = 0; off < 16 * PAGE; off += 0x800)
        EXPECT_EQ(t, peek(p + off), (uint8_t)(off >> 11));
    EXPECT_EQ(t, peek(p + 0x5123), 0x77);
    RemoveVectoredExceptionHandler(s);
    RemoveVectoredExceptionHandler(n);
    RemoveVectoredExceptionHandler(c);
    EXPECT_REGION(t, p, 16 * PAGE, MEM_COMMIT, PAGE_READWRITE);
    RELEASE(t, p);
}

/* When every vectored handler says CONTINUE_SEARCH, the unhandled-exception
 * filter decides; it too can fix the page and continue. */
static LONG WINAPI commit_filter(PEXCEPTION_POINTERS ep)
{
    if (order_len < 8)
        order_log[order_len++] = 'F';
    return commit_handler(ep) == EXCEPTION_CONTINUE_EXECUTION ? EXCEPTION_CONTINUE_EXECUTION
                                                               : EXCEPTION_CONTINUE_SEARCH;
}

VM_TEST(g52_continue_search_reaches_filter)
{
    uint32_t p = RESERVE(t, BASE, 2 * PAGE);

    demand_lo = p;
    demand_hi = p + 2 * PAGE;
    demand_commits = 0;
    order_len = 0;
    PVOID s = AddVectoredExceptionHandler(1, search_handler);
    LPTOP_LEVEL_EXCEPTION_FILTER previous = SetUnhandledExceptionFilter(commit_filter);
    poke(p + 0x1004, 0x99);
    SetUnhandledExceptionFilter(previous);
    RemoveVectoredExceptionHandler(s);
    EXPECT_EQ(t, order_len, 3);
    EXPECT_EQ(t, order_log[0], 'S');
    EXPECT_EQ(t, order_log[1], 'F');
    EXPECT_EQ(t, order_log[2], 'C');
    EXPECT_EQ(t, demand_commits, 1);
    EXPECT_EQ(t, peek(p + 0x1004), 0x99);
    EXPECT_REGION(t, p, 0x1000, MEM_RESERVE, 0);
    EXPECT_REGION(t, p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    RELEASE(t, p);
}

/* A software exception's CONTEXT redirected by a handler. */
extern const char uvm_after_raise[], uvm_redirect_ip[];

static LONG CALLBACK redirect_handler(PEXCEPTION_POINTERS ep)
{
    if (ep->ExceptionRecord->ExceptionCode != 0xE0000053u)
        return EXCEPTION_CONTINUE_SEARCH;
    rec_seen = *ep->ExceptionRecord;
    ep->ContextRecord->Eip = U32(uvm_redirect_ip);
    return EXCEPTION_CONTINUE_EXECUTION;
}

VM_TEST(g53_software_exception_redirected)
{
    uint32_t r;

    memset(&rec_seen, 0, sizeof(rec_seen));
    PVOID h = AddVectoredExceptionHandler(1, redirect_handler);
    ASSERT_PTR_NE(t, h, NULL);
    __asm__ volatile("pushl $0\n\t"
                     "pushl $0\n\t"
                     "pushl $0\n\t"
                     "pushl $0xE0000053\n\t"
                     "call RaiseException\n\t"
                     ".globl uvm_after_raise\nuvm_after_raise:\n\t"
                     "movl $1, %%eax\n\t"
                     "jmp 1f\n\t"
                     ".globl uvm_redirect_ip\nuvm_redirect_ip:\n\t"
                     "movl $2, %%eax\n"
                     "1:\n\t"
                     : "=a"(r)
                     :
                     : "ecx", "edx", "memory", "cc");
    RemoveVectoredExceptionHandler(h);
    EXPECT_EQ(t, r, 2);
    EXPECT_EQ(t, rec_seen.ExceptionCode, 0xE0000053u);
    EXPECT_EQ(t, U32(rec_seen.ExceptionAddress), U32(uvm_after_raise));
    EXPECT_EQ(t, rec_seen.NumberParameters, 0);
}

VM_TEST(g53_noncontinuable_software_exception)
{
    struct utest_exception x;
    ULONG_PTR args[2] = { 0x53, 0x54 };

    EXPECT_EXCEPTION(t, &x, RaiseException(0xE0000054u, EXCEPTION_NONCONTINUABLE, 2, args));
    EXPECT_EQ(t, x.code, 0xE0000054u);
    EXPECT_EQ(t, x.flags, EXCEPTION_NONCONTINUABLE);
    EXPECT_EQ(t, x.nparams, 2);
    EXPECT_EQ(t, x.info[0], 0x53);
    EXPECT_EQ(t, x.info[1], 0x54);
}

/* ---- H. guard pages -------------------------------------------------------------------- */

/* A handler that looks at the page from inside the handler, then continues. */
static uint32_t guard_page_at;
static int guard_calls;
static DWORD guard_protect_seen;
static ULONG_PTR guard_kind_seen, guard_addr_seen;
static DWORD guard_codes[4];

static LONG CALLBACK guard_query_handler(PEXCEPTION_POINTERS ep)
{
    const EXCEPTION_RECORD *rec = ep->ExceptionRecord;
    MEMORY_BASIC_INFORMATION m;

    if (rec->NumberParameters != 2 || (rec->ExceptionInformation[1] & ~(PAGE - 1)) != guard_page_at)
        return EXCEPTION_CONTINUE_SEARCH;
    if (guard_calls < 4)
        guard_codes[guard_calls] = rec->ExceptionCode;
    guard_calls++;
    guard_kind_seen = rec->ExceptionInformation[0];
    guard_addr_seen = rec->ExceptionInformation[1];
    if (rec->ExceptionCode == EXCEPTION_GUARD_PAGE) {
        guard_protect_seen = VirtualQuery(VA(guard_page_at), &m, sizeof(m)) == sizeof(m) ? m.Protect : 0xFFFF;
        return EXCEPTION_CONTINUE_EXECUTION;    /* retry: the guard is gone */
    }
    if (rec->ExceptionCode == EXCEPTION_ACCESS_VIOLATION) {
        DWORD old;
        /* The underlying protection refused it: make the page writable. */
        if (VirtualProtect(VA(guard_page_at), 1, PAGE_READWRITE, &old))
            return EXCEPTION_CONTINUE_EXECUTION;
    }
    return EXCEPTION_CONTINUE_SEARCH;
}

static void guard_handler_reset(uint32_t page)
{
    guard_page_at = page;
    guard_calls = 0;
    guard_protect_seen = 0xFFFF;
    guard_kind_seen = guard_addr_seen = 0xFFFF;
    memset(guard_codes, 0, sizeof(guard_codes));
}

VM_TEST(h54_guard_read_fires_once_cleared_before_delivery)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE | PAGE_GUARD);

    guard_handler_reset(p);
    PVOID h = AddVectoredExceptionHandler(1, guard_query_handler);
    uint8_t v = peek(p + 0x10);                 /* guard, handler continues, read again */
    EXPECT_EQ(t, v, 0);
    EXPECT_EQ(t, guard_calls, 1);
    EXPECT_EQ(t, guard_codes[0], EXCEPTION_GUARD_PAGE);
    EXPECT_EQ(t, guard_protect_seen, PAGE_READWRITE);   /* cleared before the handler ran */
    EXPECT_EQ(t, guard_kind_seen, EXCEPTION_READ_FAULT);
    EXPECT_EQ(t, guard_addr_seen, p + 0x10);
    poke(p + 0x10, 7);
    EXPECT_EQ(t, peek(p + 0x10), 7);
    EXPECT_EQ(t, guard_calls, 1);               /* one shot */
    RemoveVectoredExceptionHandler(h);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    RELEASE(t, p);
}

VM_TEST(h54_guard_write_fires_once)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE | PAGE_GUARD);

    EXPECT_GUARD(t, poke(p + 0x20, 1), EXCEPTION_WRITE_FAULT, p + 0x20);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_NO_EXCEPTION(t, poke(p + 0x20, 2));
    EXPECT_EQ(t, peek(p + 0x20), 2);
    RELEASE(t, p);
}

VM_TEST(h55_guard_record_exact_address)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE | PAGE_GUARD);
    struct utest_exception x;

    EXPECT_GUARD(t, poke(p + 0xFFF, 1), EXCEPTION_WRITE_FAULT, p + 0xFFF);
    EXPECT_GUARD(t, (void)peek(p + 0x1001), EXCEPTION_READ_FAULT, p + 0x1001);
    PROTECT(t, p, 0x1000, PAGE_READWRITE | PAGE_GUARD);
    EXPECT_EXCEPTION(t, &x, load_at_label(p + 0x0FE));
    EXPECT_EQ(t, x.code, EXCEPTION_GUARD_PAGE);
    EXPECT_EQ(t, x.address, U32(uvm_read_ip));
    EXPECT_EQ(t, x.eip, U32(uvm_read_ip));
    EXPECT_EQ(t, x.info[1], p + 0x0FE);
    RELEASE(t, p);
}

VM_TEST(h56_guard_then_access_violation)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READONLY | PAGE_GUARD);

    EXPECT_GUARD(t, poke(p + 0x10, 1), EXCEPTION_WRITE_FAULT, p + 0x10);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READONLY);
    EXPECT_AV(t, poke(p + 0x10, 1), EXCEPTION_WRITE_FAULT, p + 0x10);
    EXPECT_EQ(t, peek(p + 0x10), 0);
    EXPECT_AV(t, poke(p + 0x10, 1), EXCEPTION_WRITE_FAULT, p + 0x10);
    RELEASE(t, p);
}

/* The same through a handler that continues: the retry hits the
 * underlying protection, the handler fixes it, the write lands. */
VM_TEST(h56_continue_retries_then_protection_applies)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READONLY | PAGE_GUARD);

    guard_handler_reset(p);
    PVOID h = AddVectoredExceptionHandler(1, guard_query_handler);
    poke(p + 0x10, 0x56);
    RemoveVectoredExceptionHandler(h);
    EXPECT_EQ(t, guard_calls, 2);
    EXPECT_EQ(t, guard_codes[0], EXCEPTION_GUARD_PAGE);
    EXPECT_EQ(t, guard_codes[1], EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, guard_protect_seen, PAGE_READONLY);
    EXPECT_EQ(t, guard_kind_seen, EXCEPTION_WRITE_FAULT);
    EXPECT_EQ(t, guard_addr_seen, p + 0x10);
    EXPECT_EQ(t, peek(p + 0x10), 0x56);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    RELEASE(t, p);
}

VM_TEST(h57_guard_neighbours_keep_guard)
{
    const DWORD guarded = PAGE_READWRITE | PAGE_GUARD;
    uint32_t p = COMMIT_NEW(t, 0x3000, guarded);

    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, guarded);
    EXPECT_GUARD(t, poke(p + 0x1005, 1), EXCEPTION_WRITE_FAULT, p + 0x1005);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, guarded);
    EXPECT_REGION(t, p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x2000, 0x1000, MEM_COMMIT, guarded);
    EXPECT_GUARD(t, (void)peek(p + 0x2000), EXCEPTION_READ_FAULT, p + 0x2000);
    EXPECT_REGION(t, p + 0x1000, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_GUARD(t, (void)peek(p + 0xFFC), EXCEPTION_READ_FAULT, p + 0xFFC);
    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    RELEASE(t, p);
}

VM_TEST(h58_guard_query_and_allocation_protect)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE | PAGE_GUARD);
    MEMORY_BASIC_INFORMATION m = QUERY(t, p);

    EXPECT_EQ(t, m.Protect, 0x104);
    EXPECT_EQ(t, m.AllocationProtect, 0x104);
    EXPECT_GUARD(t, (void)peek(p), EXCEPTION_READ_FAULT, p);
    EXPECT_GUARD(t, (void)peek(p + 0x1000), EXCEPTION_READ_FAULT, p + 0x1000);
    m = QUERY(t, p);
    EXPECT_EQ(t, m.Protect, PAGE_READWRITE);
    EXPECT_EQ(t, m.RegionSize, 0x2000);
    EXPECT_EQ(t, m.AllocationProtect, 0x104);

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
    /* The page was present and in the TLB: re-arming must take it away. */
    EXPECT_GUARD(t, (void)peek(p + 8), EXCEPTION_READ_FAULT, p + 8);
    EXPECT_EQ(t, peek(p + 8), 0x5E);
    EXPECT_EQ(t, PROTECT(t, p, 0x1000, PAGE_READWRITE), PAGE_READWRITE);
    EXPECT_EQ(t, PROTECT(t, p, 0x1000, guarded), PAGE_READWRITE);
    EXPECT_EQ(t, PROTECT(t, p, 0x1000, PAGE_READONLY), guarded);
    EXPECT_NO_EXCEPTION(t, (void)peek(p + 8));
    EXPECT_EQ(t, peek(p + 8), 0x5E);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READONLY);
    /* Re-armed twice, fires twice. */
    PROTECT(t, p, 0x1000, guarded);
    EXPECT_GUARD(t, poke(p + 9, 1), EXCEPTION_WRITE_FAULT, p + 9);
    PROTECT(t, p, 0x1000, guarded);
    EXPECT_GUARD(t, poke(p + 9, 2), EXCEPTION_WRITE_FAULT, p + 9);
    EXPECT_NO_EXCEPTION(t, poke(p + 9, 3));
    EXPECT_EQ(t, peek(p + 9), 3);
    RELEASE(t, p);
}

/* Item 60: a guard page the kernel touches while serving a call makes the
 * call fail with STATUS_GUARD_PAGE_VIOLATION, no exception is raised, and
 * the guard is gone: the same call then succeeds. */
static int any_exception_calls;

static LONG CALLBACK count_any_handler(PEXCEPTION_POINTERS ep)
{
    (void)ep;
    any_exception_calls++;
    return EXCEPTION_CONTINUE_SEARCH;
}

VM_TEST(h60_guard_hit_in_service_fails_the_call)
{
    const DWORD guarded = PAGE_READWRITE | PAGE_GUARD;
    uint32_t p = COMMIT_NEW(t, 0x4000, PAGE_READWRITE);
    uint32_t target = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);
    MEMORY_BASIC_INFORMATION *out = (MEMORY_BASIC_INFORMATION *)(p + 0x100);
    NTSTATUS st;

    PROTECT(t, p, 0x4000, guarded);
    any_exception_calls = 0;
    PVOID h = AddVectoredExceptionHandler(1, count_any_handler);

    /* NtQueryVirtualMemory writing its output into a guard page. */
    st = NtQueryVirtualMemory(NtCurrentProcess(), VA(target), MemoryBasicInformation, out,
                              sizeof(*out), NULL);
    EXPECT_EQ(t, st, STATUS_GUARD_PAGE_VIOLATION);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x1000, 0x3000, MEM_COMMIT, guarded);
    st = NtQueryVirtualMemory(NtCurrentProcess(), VA(target), MemoryBasicInformation, out,
                              sizeof(*out), NULL);
    EXPECT_EQ(t, st, STATUS_SUCCESS);
    EXPECT_EQ(t, U32(out->BaseAddress), target);
    EXPECT_EQ(t, out->State, MEM_COMMIT);

    /* ReturnLength in a guard page: probed first, so nothing is written. */
    MEMORY_BASIC_INFORMATION m;
    memset(&m, 0xCC, sizeof(m));
    st = NtQueryVirtualMemory(NtCurrentProcess(), VA(target), MemoryBasicInformation, &m, sizeof(m),
                              (PSIZE_T)(p + 0x1008));
    EXPECT_EQ(t, st, STATUS_GUARD_PAGE_VIOLATION);
    EXPECT_EQ(t, m.State, 0xCCCCCCCCu);
    EXPECT_REGION(t, p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE);

    /* VirtualProtect's lpflOldProtect in a guard page: nothing changes. */
    DWORD *old = (DWORD *)(p + 0x2010);
    SetLastError(BAD_ERROR);
    EXPECT_FALSE(t, VirtualProtect(VA(target), 0x1000, PAGE_READONLY, old));
    EXPECT_REGION(t, target, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x2000, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_TRUE(t, VirtualProtect(VA(target), 0x1000, PAGE_READONLY, old));
    EXPECT_EQ(t, *old, PAGE_READWRITE);

    /* NtAllocateVirtualMemory's *BaseAddress in a guard page: no allocation. */
    uint32_t allocs = allocation_count();
    uint32_t size = 0x1000;
    st = NtAllocateVirtualMemory(NtCurrentProcess(), (PVOID *)(p + 0x3000), 0, (PSIZE_T)&size,
                                 MEM_RESERVE, PAGE_READWRITE);
    EXPECT_EQ(t, st, STATUS_GUARD_PAGE_VIOLATION);
    EXPECT_EQ(t, allocation_count(), allocs);
    EXPECT_EQ(t, size, 0x1000);
    EXPECT_REGION(t, p + 0x3000, 0x1000, MEM_COMMIT, PAGE_READWRITE);

    /* No exception reached the program for any of these. */
    RemoveVectoredExceptionHandler(h);
    EXPECT_EQ(t, any_exception_calls, 0);
    RELEASE(t, p);
    RELEASE(t, target);
}

VM_TEST(h60_guard_hit_in_other_services)
{
    const DWORD guarded = PAGE_READWRITE | PAGE_GUARD;
    static const char text[] = "    # uvm: this line must not be printed (guard page)\n";
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);
    NTSTATUS st;

    memcpy(VA(p), text, sizeof(text));
    PROTECT(t, p, 0x2000, guarded);
    /* A guard page read by the kernel (NtDebugPrint's text). */
    st = NtDebugPrint((const char *)p, sizeof(text) - 1);
    EXPECT_EQ(t, st, STATUS_GUARD_PAGE_VIOLATION);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, memcmp(VA(p), text, sizeof(text)), 0);
    /* NtQuerySystemCounters' output. */
    st = NtQuerySystemCounters((SYSTEM_MEMORY_COUNTERS *)(p + 0x1000), sizeof(SYSTEM_MEMORY_COUNTERS));
    EXPECT_EQ(t, st, STATUS_GUARD_PAGE_VIOLATION);
    EXPECT_REGION(t, p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    st = NtQuerySystemCounters((SYSTEM_MEMORY_COUNTERS *)(p + 0x1000), sizeof(SYSTEM_MEMORY_COUNTERS));
    EXPECT_EQ(t, st, STATUS_SUCCESS);
    EXPECT_GT(t, ((SYSTEM_MEMORY_COUNTERS *)(p + 0x1000))->CommitLimit, 0);
    RELEASE(t, p);
}

/* Item 61: the stack grows through its guard page.  Each frame touches its
 * 8 KiB from the top down (as _chkstk probes), so the guard page is always
 * hit before anything below it. */
#define DEEP_FRAME 8192
#define DEEP_LEVELS 48                  /* 384 KiB */

static __attribute__((noinline, noclone)) uint32_t deep_recurse(int level, uint32_t *lowest)
{
    volatile char frame[DEEP_FRAME];

    for (int off = DEEP_FRAME - 1; off >= 0; off -= 1024)
        frame[off] = (char)level;
    frame[0] = (char)level;
    frame[DEEP_FRAME / 2] = (char)level;
    if (level > 0) {
        uint32_t sum = deep_recurse(level - 1, lowest);
        return sum + (uint8_t)frame[DEEP_FRAME / 2];
    }
    *lowest = U32(&frame[0]);
    return (uint8_t)frame[DEEP_FRAME / 2];
}

/* Puts the stack back the way `saved` had it: everything below the old
 * guard page decommitted again, the old guard page re-armed. */
static void stack_restore(struct utest *t, const struct stack_info *saved)
{
    uint32_t guard = saved->committed_low - PAGE;

    if (guard > saved->base)
        DECOMMIT(t, saved->base, guard - saved->base);
    ALLOC(t, guard, PAGE, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
}

VM_TEST(h61_stack_grows_through_guard_page)
{
    struct stack_info before, after, restored;
    uint32_t lowest = 0;

    ASSERT_TRUE(t, stack_info_take(&before));
    EXPECT_EQ(t, before.below_state, MEM_COMMIT);
    EXPECT_EQ(t, before.below_protect, PAGE_READWRITE | PAGE_GUARD);
    EXPECT_EQ(t, before.end - before.base, 0x100000);           /* 1 MiB reserved */
    EXPECT_GT(t, before.committed_low - before.base, DEEP_LEVELS * DEEP_FRAME + 2 * PAGE);

    any_exception_calls = 0;
    PVOID h = AddVectoredExceptionHandler(1, count_any_handler);
    uint32_t sum = deep_recurse(DEEP_LEVELS, &lowest);
    RemoveVectoredExceptionHandler(h);

    EXPECT_EQ(t, sum, (DEEP_LEVELS * (DEEP_LEVELS + 1)) / 2);
    EXPECT_EQ(t, any_exception_calls, 0);       /* growth is invisible to the program */
    ASSERT_TRUE(t, stack_info_take(&after));
    EXPECT_EQ(t, after.base, before.base);
    /* Committed down to the deepest frame (the guard page below it). */
    EXPECT_LE(t, after.committed_low, lowest & ~(PAGE - 1));
    EXPECT_GE(t, after.committed_low, (lowest & ~(PAGE - 1)) - PAGE);
    EXPECT_LT(t, after.committed_low, before.committed_low - 256 * 1024);
    EXPECT_EQ(t, after.below_state, MEM_COMMIT);
    EXPECT_EQ(t, after.below_protect, PAGE_READWRITE | PAGE_GUARD);
    /* Only the guard page below: the rest of the reservation is reserved. */
    MEMORY_BASIC_INFORMATION m = QUERY(t, after.committed_low - 2 * PAGE);
    EXPECT_EQ(t, m.State, MEM_RESERVE);
    EXPECT_EQ(t, U32(m.BaseAddress) + m.RegionSize, after.committed_low - PAGE);
    EXPECT_EQ(t, U32(m.AllocationBase), before.base);

    stack_restore(t, &before);
    ASSERT_TRUE(t, stack_info_take(&restored));
    EXPECT_EQ(t, restored.committed_low, before.committed_low);
    EXPECT_EQ(t, restored.below_protect, PAGE_READWRITE | PAGE_GUARD);

    /* And it grows again the same way. */
    sum = deep_recurse(8, &lowest);
    EXPECT_EQ(t, sum, 36);
    stack_restore(t, &before);
}

VM_TEST(h61_stack_below_guard_page_faults)
{
    struct stack_info s;

    ASSERT_TRUE(t, stack_info_take(&s));
    /* Reserved stack pages more than a page below the guard: an access
     * violation, not growth. */
    uint32_t deep = s.committed_low - 3 * PAGE + 0x10;
    EXPECT_AV(t, (void)peek(deep), EXCEPTION_READ_FAULT, deep);
    EXPECT_AV(t, poke(s.base + 0x100, 1), EXCEPTION_WRITE_FAULT, s.base + 0x100);
    struct stack_info again;
    ASSERT_TRUE(t, stack_info_take(&again));
    EXPECT_EQ(t, again.committed_low, s.committed_low);
    EXPECT_EQ(t, again.below_protect, PAGE_READWRITE | PAGE_GUARD);
}

/* The kernel writing a service's output into the stack's guard page is a
 * stack access like any other: the stack grows and the call succeeds (as
 * NT's MmAccessFault handles a guard page in a thread's stack whatever
 * the previous mode, through MiCheckForUserStackOverflow). */
VM_TEST(h61_stack_guard_hit_inside_service_grows_stack)
{
    struct stack_info before, after;
    MEMORY_BASIC_INFORMATION target;

    ASSERT_TRUE(t, stack_info_take(&before));
    ASSERT_EQ(t, before.below_protect, PAGE_READWRITE | PAGE_GUARD);
    uint32_t guard = before.committed_low - PAGE;
    MEMORY_BASIC_INFORMATION *out = (MEMORY_BASIC_INFORMATION *)(guard + 0x800);   /* below ESP */
    NTSTATUS st = NtQueryVirtualMemory(NtCurrentProcess(), VA(BASE), MemoryBasicInformation, out,
                                       sizeof(*out), NULL);
    EXPECT_EQ(t, st, STATUS_SUCCESS);
    if (st == STATUS_SUCCESS) {
        EXPECT_EQ(t, out->State, MEM_FREE);
        EXPECT_EQ(t, U32(out->BaseAddress), BASE);
    }
    ASSERT_TRUE(t, stack_info_take(&after));
    EXPECT_EQ(t, after.committed_low, guard);
    EXPECT_EQ(t, after.below_state, MEM_COMMIT);
    EXPECT_EQ(t, after.below_protect, PAGE_READWRITE | PAGE_GUARD);
    target = QUERY(t, guard - PAGE);
    EXPECT_EQ(t, target.Protect, PAGE_READWRITE | PAGE_GUARD);
    stack_restore(t, &before);
}

/* ---- suites --------------------------------------------------------------------------- */

static const struct utest_case a_cases[] = {
    UTEST_CASE(a1_page_size_and_granularity),
    UTEST_CASE(a2_minimum_application_address),
    UTEST_CASE(a3_maximum_application_address),
    UTEST_CASE(a3_range_wrapping_past_4gib_rejected),
    UTEST_CASE(a4_reservation_whole_pages_granule_tail),
    UTEST_END,
};

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

static const struct utest_case c_cases[] = {
    UTEST_CASE(c20_reset_must_be_alone),
    UTEST_CASE(c21_reset_keeps_commit_and_protection),
    UTEST_CASE(c22_reset_contents_old_or_zero),
    UTEST_CASE(c23_reset_reserved_pages_stay_reserved),
    UTEST_CASE(c24_reset_past_reservation_fails),
    UTEST_END,
};

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

static const struct utest_case g_cases[] = {
    UTEST_CASE(g51_access_violation_record),
    UTEST_CASE(g52_context_registers_and_fixup),
    UTEST_CASE(g52_handler_moves_eip_and_esp),
    UTEST_CASE(g52_handler_commits_and_continues),
    UTEST_CASE(g52_continue_search_reaches_filter),
    UTEST_CASE(g53_software_exception_redirected),
    UTEST_CASE(g53_noncontinuable_software_exception),
    UTEST_END,
};

static const struct utest_case h_cases[] = {
    UTEST_CASE(h54_guard_read_fires_once_cleared_before_delivery),
    UTEST_CASE(h54_guard_write_fires_once),
    UTEST_CASE(h55_guard_record_exact_address),
    UTEST_CASE(h56_guard_then_access_violation),
    UTEST_CASE(h56_continue_retries_then_protection_applies),
    UTEST_CASE(h57_guard_neighbours_keep_guard),
    UTEST_CASE(h58_guard_query_and_allocation_protect),
    UTEST_CASE(h59_protect_rearms_guard),
    UTEST_CASE(h60_guard_hit_in_service_fails_the_call),
    UTEST_CASE(h60_guard_hit_in_other_services),
    UTEST_CASE(h61_stack_grows_through_guard_page),
    UTEST_CASE(h61_stack_below_guard_page_faults),
    UTEST_CASE(h61_stack_guard_hit_inside_service_grows_stack),
    UTEST_END,
};

static const struct utest_suite a_suite = {
    .name = "uvm_a_geometry", .cases = a_cases, .exit = suite_exit,
};
static const struct utest_suite b_suite = {
    .name = "uvm_b_alloc", .cases = b_cases, .exit = suite_exit,
};
static const struct utest_suite c_suite = {
    .name = "uvm_c_reset", .cases = c_cases, .exit = suite_exit,
};
static const struct utest_suite d_suite = {
    .name = "uvm_d_free", .cases = d_cases, .exit = suite_exit,
};
static const struct utest_suite e_suite = {
    .name = "uvm_e_protect", .cases = e_cases, .exit = suite_exit,
};
static const struct utest_suite f_suite = {
    .name = "uvm_f_query", .cases = f_cases, .exit = suite_exit,
};
static const struct utest_suite g_suite = {
    .name = "uvm_g_exceptions", .cases = g_cases, .exit = suite_exit,
};
static const struct utest_suite h_suite = {
    .name = "uvm_h_guard", .cases = h_cases, .exit = suite_exit,
};

static const struct utest_suite *const suites[] = {
    &a_suite, &b_suite, &c_suite, &d_suite, &e_suite, &f_suite, &g_suite, &h_suite, NULL,
};

int main(void)
{
    /* Grow the stack now, so exception frames pushed during the cases
     * never move its guard page (that would show as commit charge). */
    stack_pregrow(64 * 1024);
    alloc_set_take(&baseline);
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    return utest_main(suites);
}
