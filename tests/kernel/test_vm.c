/* The Windows virtual-memory semantics of docs/spec win-memory-semantics.md
 * sections A-H, one case per numbered item (the case name starts with the
 * item).  Each case runs in a fresh user address space, so fixed addresses
 * such as BASE are free when it starts; ring 0 reaches user pages directly
 * (SMAP off) and CR0.WP makes read-only PTEs fault on kernel writes. */
#include "tests/ktest.h"
#include "mm/vm.h"
#include "mm/virtual.h"
#include "mm/paging.h"
#include "mm/memlayout.h"
#include <string.h>

#define BASE 0x20000000u
#define BASE2 0x30000000u
#define GRAN 0x10000u
#define BAD_ERROR 0xDEADBEEFu
#define VA(a) ((LPVOID)(uintptr_t)(a))
#define U32(p) ((uint32_t)(uintptr_t)(p))

/* ---- fixture: a fresh address space per case ----------------------------- */

static struct vm_space *fixture_space;
static struct vm_stats fixture_stats;

/* Destroys the case's space; also the one a case left behind when an
 * ASSERT made it leave early. */
static void fixture_drop(void)
{
    if (fixture_space == NULL)
        return;
    vm_switch(vm_kernel_space());
    vm_space_destroy(fixture_space);
    fixture_space = NULL;
}

static void space_enter(struct ktest *t)
{
    fixture_drop();
    fixture_space = vm_space_create();
    ASSERT_TRUE(t, fixture_space != NULL);
    vm_switch(fixture_space);
    vm_clear_last_exception();
    vm_get_stats(&fixture_stats);
}

/* Every case gives back what it took before its space goes. */
static void space_leave(struct ktest *t)
{
    struct vm_stats s;

    vm_get_stats(&s);
    EXPECT_EQ(t, vm_validate(fixture_space), 0);
    EXPECT_EQ(t, s.allocations, fixture_stats.allocations);
    EXPECT_EQ(t, s.commit_charge, fixture_stats.commit_charge);
    EXPECT_EQ(t, s.reserved_bytes, fixture_stats.reserved_bytes);
    fixture_drop();
}

#define VM_TEST(name)                                                         \
    static void name##_body(struct ktest *t);                                 \
    static void name(struct ktest *t)                                         \
    {                                                                         \
        space_enter(t);                                                       \
        name##_body(t);                                                       \
        space_leave(t);                                                       \
    }                                                                         \
    static void name##_body(struct ktest *t)

/* ---- memory access --------------------------------------------------------- */

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
    volatile uint32_t *p = (volatile uint32_t *)PGROUNDDOWN(va);
    for (uint32_t i = 0; i < PGSIZE / 4; i++)
        p[i] = word;
}

/* Number of words of the page at va that differ from word. */
static uint32_t page_mismatches(uint32_t va, uint32_t word)
{
    volatile uint32_t *p = (volatile uint32_t *)PGROUNDDOWN(va);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < PGSIZE / 4; i++)
        bad += p[i] != word;
    return bad;
}

/* Committed pages system-wide (the commit charge also counts the page
 * tables created for them, which depends on placement). */
static uint32_t committed_pages(void)
{
    struct vm_stats s;
    vm_get_stats(&s);
    return s.committed_pages;
}

static uint32_t pte_bits(uint32_t va)
{
    return paging_query(va) & (PTE_P | PTE_W | PTE_U | PTE_PWT | PTE_PCD);
}

/* ---- Win32 calls with their expected outcome -------------------------------- */

static uint32_t alloc_checked(struct ktest *t, int line, uint32_t addr, SIZE_T size,
                              DWORD type, DWORD prot)
{
    SetLastError(BAD_ERROR);
    LPVOID p = VirtualAlloc(VA(addr), size, type, prot);
    if (p == NULL) {
        ktest_fail_msg(t, __FILE__, line, "VirtualAlloc(%08x, %lx, %lx, %lx) failed, error %lu",
                       addr, size, type, prot, GetLastError());
        ktest_leave(t);
    }
    return U32(p);
}
#define ALLOC(t, addr, size, type, prot) alloc_checked(t, __LINE__, addr, size, type, prot)
#define RESERVE(t, addr, size) ALLOC(t, addr, size, MEM_RESERVE, PAGE_READWRITE)
#define COMMIT_NEW(t, size, prot) ALLOC(t, 0, size, MEM_RESERVE | MEM_COMMIT, prot)

static void free_checked(struct ktest *t, int line, uint32_t addr, SIZE_T size, DWORD type)
{
    SetLastError(BAD_ERROR);
    if (!VirtualFree(VA(addr), size, type))
        ktest_fail_msg(t, __FILE__, line, "VirtualFree(%08x, %lx, %lx) failed, error %lu",
                       addr, size, type, GetLastError());
}
#define RELEASE(t, addr) free_checked(t, __LINE__, addr, 0, MEM_RELEASE)
#define DECOMMIT(t, addr, size) free_checked(t, __LINE__, addr, size, MEM_DECOMMIT)

/* Returns the old protection (BAD_ERROR when the call failed). */
static DWORD protect_checked(struct ktest *t, int line, uint32_t addr, SIZE_T size, DWORD prot)
{
    DWORD old = BAD_ERROR;
    SetLastError(BAD_ERROR);
    if (!VirtualProtect(VA(addr), size, prot, &old)) {
        ktest_fail_msg(t, __FILE__, line, "VirtualProtect(%08x, %lx, %lx) failed, error %lu",
                       addr, size, prot, GetLastError());
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
        DWORD old_;                                                           \
        SetLastError(BAD_ERROR);                                              \
        EXPECT_FALSE(t, VirtualProtect(VA(addr), size, prot, &old_));         \
        EXPECT_EQ(t, GetLastError(), err);                                    \
    } while (0)

static MEMORY_BASIC_INFORMATION query(struct ktest *t, int line, uint32_t addr)
{
    MEMORY_BASIC_INFORMATION m;
    memset(&m, 0xAA, sizeof(m));
    SetLastError(BAD_ERROR);
    SIZE_T n = VirtualQuery((LPCVOID)VA(addr), &m, sizeof(m));
    if (n != sizeof(m))
        ktest_fail_msg(t, __FILE__, line, "VirtualQuery(%08x) returned %lu, error %lu",
                       addr, n, GetLastError());
    return m;
}
#define QUERY(t, addr) query(t, __LINE__, addr)

/* The region seen at addr: BaseAddress is addr's page, then size, state, protect. */
static void expect_region(struct ktest *t, int line, uint32_t addr, uint32_t size,
                          DWORD state, DWORD protect)
{
    int before = t->failures;
    MEMORY_BASIC_INFORMATION m = query(t, line, addr);

    EXPECT_EQ(t, U32(m.BaseAddress), PGROUNDDOWN(addr));
    EXPECT_EQ(t, m.RegionSize, size);
    EXPECT_EQ(t, m.State, state);
    EXPECT_EQ(t, m.Protect, protect);
    if (t->failures != before)
        ktest_log("region at %08x, checked from line %d", addr, line);
}
#define EXPECT_REGION(t, addr, size, state, protect)                          \
    expect_region(t, __LINE__, addr, size, state, protect)

/* Free at addr, whatever the size of the free run (it reaches the next allocation). */
static void expect_free(struct ktest *t, int line, uint32_t addr)
{
    int before = t->failures;
    MEMORY_BASIC_INFORMATION m = query(t, line, addr);

    EXPECT_EQ(t, U32(m.BaseAddress), PGROUNDDOWN(addr));
    EXPECT_EQ(t, m.State, MEM_FREE);
    EXPECT_EQ(t, m.Protect, PAGE_NOACCESS);
    EXPECT_EQ(t, U32(m.AllocationBase), 0);
    if (t->failures != before)
        ktest_log("free memory at %08x, checked from line %d", addr, line);
}
#define EXPECT_FREE(t, addr) expect_free(t, __LINE__, addr)

/* ---- expected faults -------------------------------------------------------- */

/* The CPU's #PF (vector, exact CR2, error code bits under mask) and what
 * the VM layer recorded for it (code, read/write, exact address, EIP). */
static void check_vm_fault(struct ktest *t, int line, const struct fault_record *rec,
                           uint32_t addr, uint32_t mask, uint32_t error, NTSTATUS code)
{
    int before = t->failures;
    const struct vm_exception *e = vm_last_exception();

    if (rec->vector == FAULT_NONE) {
        ktest_log("no fault at %08x, expected from line %d", addr, line);
        return;
    }
    EXPECT_EQ(t, rec->vector, T_PF);
    EXPECT_EQ(t, rec->cr2, addr);
    EXPECT_EQ(t, rec->error & mask, error);
    EXPECT_EQ(t, e->code, code);
    EXPECT_EQ(t, e->access, (error & PF_W) ? EXCEPTION_WRITE_FAULT : EXCEPTION_READ_FAULT);
    EXPECT_EQ(t, e->address, addr);
    EXPECT_EQ(t, e->eip, rec->eip);
    if (t->failures != before)
        ktest_log("fault at %08x, checked from line %d", addr, line);
}

#define EXPECT_VM_FAULT_MASKED(t, stmt, addr, mask, error, code)              \
    do {                                                                      \
        struct fault_record rec_;                                             \
        vm_clear_last_exception();                                            \
        EXPECT_FAULT(t, &rec_, stmt);                                         \
        check_vm_fault(t, __LINE__, &rec_, addr, mask, error, code);          \
    } while (0)

/* error: the exact #PF code for a ring-0 access (PF_P, PF_W). */
#define EXPECT_AV(t, stmt, addr, error)                                       \
    EXPECT_VM_FAULT_MASKED(t, stmt, addr, ~0u, error, STATUS_ACCESS_VIOLATION)
#define EXPECT_GUARD(t, stmt, addr, error)                                    \
    EXPECT_VM_FAULT_MASKED(t, stmt, addr, ~0u, error, STATUS_GUARD_PAGE_VIOLATION)
/* A write AV where the page may or may not be present yet. */
#define EXPECT_WRITE_AV(t, stmt, addr)                                        \
    EXPECT_VM_FAULT_MASKED(t, stmt, addr, PF_W, PF_W, STATUS_ACCESS_VIOLATION)

/* ---- A. address space geometry ---------------------------------------------- */

VM_TEST(a1_page_size_and_granularity)
{
    SYSTEM_INFO si;

    memset(&si, 0xAA, sizeof(si));
    GetSystemInfo(&si);
    EXPECT_EQ(t, si.dwPageSize, 4096);
    EXPECT_EQ(t, si.dwAllocationGranularity, 65536);
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
    /* The lowest granule that may be allocated; it also bounds the free run at 0. */
    uint32_t p = RESERVE(t, 0x10000, 0x1000);
    EXPECT_EQ(t, p, 0x10000);
    m = QUERY(t, 0);
    EXPECT_EQ(t, U32(m.BaseAddress), 0);
    EXPECT_EQ(t, m.RegionSize, 0x10000);
    EXPECT_EQ(t, m.State, MEM_FREE);
    EXPECT_EQ(t, m.Protect, PAGE_NOACCESS);
    EXPECT_EQ(t, U32(m.AllocationBase), 0);
    EXPECT_REGION(t, 0x8000, 0x8000, MEM_FREE, PAGE_NOACCESS);
    RELEASE(t, p);
}

VM_TEST(a3_maximum_application_address)
{
    SYSTEM_INFO si;

    GetSystemInfo(&si);
    EXPECT_EQ(t, U32(si.lpMaximumApplicationAddress), 0x7FFEFFFF);
    EXPECT_EQ(t, (U32(si.lpMaximumApplicationAddress) + 1) % GRAN, 0);
    /* The free run below the guard area ends at the maximum. */
    EXPECT_REGION(t, 0x7FFEF000, 0x1000, MEM_FREE, PAGE_NOACCESS);
    EXPECT_ALLOC_FAILS(t, 0x7FFF0000, 0x1000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0x7FFFF000, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0x80000000, 0x1000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0xC0000000, 0x1000, MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    /* Running from the last granule into the guard area. */
    EXPECT_ALLOC_FAILS(t, 0x7FFE0000, 0x10001, MEM_RESERVE, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_REGION(t, 0x7FFE0000, 0x10000, MEM_FREE, PAGE_NOACCESS);
    uint32_t p = RESERVE(t, 0x7FFE0000, 0x10000);
    EXPECT_EQ(t, p, 0x7FFE0000);
    EXPECT_REGION(t, p, 0x10000, MEM_RESERVE, 0);
    RELEASE(t, p);
}

VM_TEST(a3_range_wrapping_past_4gib_rejected)
{
    struct vm_stats before, after;
    uint32_t p = RESERVE(t, BASE, GRAN);
    ALLOC(t, BASE, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    poke(BASE + 5, 0x5A);
    vm_get_stats(&before);

    EXPECT_ALLOC_FAILS(t, BASE, 0xFFFFF000, MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, BASE, 0xFFFFF000, MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, BASE2, 0xE0000000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, BASE, 0xFFFFF000, MEM_DECOMMIT, ERROR_INVALID_PARAMETER);
    EXPECT_PROTECT_FAILS(t, BASE, 0xFFFFF000, PAGE_READONLY, ERROR_INVALID_PARAMETER);

    uint32_t b = BASE, s = 0xFFFFF000;
    NTSTATUS st = vm_allocate(vm_current(), &b, &s, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, RtlNtStatusToDosError(st), ERROR_INVALID_PARAMETER);
    EXPECT_EQ(t, b, BASE);
    EXPECT_EQ(t, s, 0xFFFFF000);

    vm_get_stats(&after);
    EXPECT_EQ(t, after.commit_charge, before.commit_charge);
    EXPECT_EQ(t, after.allocations, before.allocations);
    EXPECT_EQ(t, after.reserved_bytes, before.reserved_bytes);
    EXPECT_REGION(t, BASE, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, peek(BASE + 5), 0x5A);
    poke(BASE + 6, 1);
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
    EXPECT_ALLOC_FAILS(t, BASE + 0x4000, 0x1000, MEM_RESERVE, PAGE_READWRITE,
                       ERROR_INVALID_ADDRESS);
    EXPECT_ALLOC_FAILS(t, BASE + 0xF000, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_ADDRESS);
    EXPECT_ALLOC_FAILS(t, BASE + 0x5000, 0x1000, MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_ADDRESS);
    uint32_t c = RESERVE(t, 0, 0x1000);
    EXPECT_EQ(t, c % GRAN, 0);
    EXPECT_NE(t, c, BASE);
    EXPECT_REGION(t, BASE + 0x3000, GRAN - 0x3000, MEM_FREE, PAGE_NOACCESS);
    RELEASE(t, a);
    RELEASE(t, b);
    RELEASE(t, c);
}

/* ---- B. VirtualAlloc: reserve and commit ---------------------------------- */

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
};
#define INVALID_PROTECTIONS (sizeof(invalid_protections) / sizeof(invalid_protections[0]))

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

/* ---- C. MEM_RESET ------------------------------------------------------------- */

VM_TEST(c20_reset_must_be_alone)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);

    poke(p, 0x77);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET | MEM_RESERVE, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0, 0x1000, MEM_RESET | MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_EQ(t, peek(p), 0x77);
    RELEASE(t, p);
}

VM_TEST(c21_reset_keeps_commit_and_protection)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);
    uint32_t c = committed_pages();

    poke(p, 1);
    /* [p+0x10, p+0x1010) touches both pages; flProtect is ignored. */
    EXPECT_EQ(t, ALLOC(t, p + 0x10, 0x1000, MEM_RESET, PAGE_NOACCESS), p);
    EXPECT_REGION(t, p, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, committed_pages(), c);
    poke(p + 0x1800, 2);
    EXPECT_EQ(t, peek(p + 0x1800), 2);
    /* ... but it must still be a valid protection. */
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET, 0, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET, PAGE_WRITECOPY, ERROR_INVALID_PARAMETER);
    RELEASE(t, p);
}

VM_TEST(c22_reset_contents_old_or_zero)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);

    fill_page(p, 0xA5A5A5A5);
    fill_page(p + 0x1000, 0xA5A5A5A5);
    EXPECT_EQ(t, ALLOC(t, p, 0x2000, MEM_RESET, PAGE_READWRITE), p);
    for (uint32_t off = 0; off < 0x2000; off += PGSIZE) {
        uint32_t old = page_mismatches(p + off, 0xA5A5A5A5);
        uint32_t zero = page_mismatches(p + off, 0);
        /* Each word is one or the other. */
        EXPECT_EQ(t, old + zero, PGSIZE / 4);
    }
    fill_page(p + 0x1000, 0x5A5A5A5A);
    EXPECT_EQ(t, page_mismatches(p + 0x1000, 0x5A5A5A5A), 0);
    RELEASE(t, p);
}

VM_TEST(c23_reset_reserved_pages_stay_reserved)
{
    uint32_t p = RESERVE(t, 0, 0x4000);
    uint32_t c0 = committed_pages();

    ALLOC(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    poke(p, 7);
    EXPECT_EQ(t, ALLOC(t, p + 0x1000, 0x2000, MEM_RESET, PAGE_READWRITE), p + 0x1000);
    EXPECT_REGION(t, p + 0x1000, 0x3000, MEM_RESERVE, 0);
    EXPECT_EQ(t, ALLOC(t, p, 0x4000, MEM_RESET, PAGE_READWRITE), p);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x1000, 0x3000, MEM_RESERVE, 0);
    EXPECT_EQ(t, committed_pages(), c0 + 1);
    poke(p, 8);
    RELEASE(t, p);
}

VM_TEST(c24_reset_past_reservation_fails)
{
    uint32_t p = COMMIT_NEW(t, 0x3000, PAGE_READWRITE);

    EXPECT_ALLOC_FAILS(t, p + 0x2000, 0x2000, MEM_RESET, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    RELEASE(t, p);
}

/* ---- D. VirtualFree ---------------------------------------------------------- */

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
    EXPECT_EQ(t, vm_free(vm_current(), &b, &s, MEM_RELEASE), STATUS_FREE_VM_NOT_AT_BASE);
    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    /* Page-rounded first: base + 0xFFF is still the base. */
    SetLastError(BAD_ERROR);
    EXPECT_TRUE(t, VirtualFree(VA(p + 0xFFF), 0, MEM_RELEASE));
    EXPECT_FREE(t, p);
}

VM_TEST(d27_release_frees_whole_reservation)
{
    uint32_t c0 = committed_pages();
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
    EXPECT_EQ(t, committed_pages(), c0);
    EXPECT_EQ(t, paging_query(BASE + 0x1000) & PTE_P, 0);
    /* The translations cached by the touches above must be gone. */
    EXPECT_AV(t, (void)peek(BASE + 0x1000), BASE + 0x1000, 0);
    EXPECT_AV(t, poke(BASE + 0x4004, 1), BASE + 0x4004, PF_W);
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
    EXPECT_EQ(t, vm_free(vm_current(), &b, &s, MEM_RELEASE), STATUS_MEMORY_NOT_ALLOCATED);
}

VM_TEST(d29_decommit_rounds_to_pages)
{
    uint32_t c0 = committed_pages();
    uint32_t p = RESERVE(t, BASE, GRAN);

    ALLOC(t, BASE, GRAN, MEM_COMMIT, PAGE_READWRITE);
    for (uint32_t i = 0; i < 4; i++)
        poke(BASE + i * PGSIZE, (uint8_t)(0x10 + i));
    DECOMMIT(t, BASE + 0x1FFF, 2);
    EXPECT_REGION(t, BASE, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, BASE + 0x1000, 0x2000, MEM_RESERVE, 0);
    EXPECT_REGION(t, BASE + 0x3000, GRAN - 0x3000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, committed_pages(), c0 + 14);
    EXPECT_EQ(t, peek(BASE), 0x10);
    EXPECT_EQ(t, peek(BASE + 0x3000), 0x13);
    EXPECT_AV(t, (void)peek(BASE + 0x2000), BASE + 0x2000, 0);
    EXPECT_EQ(t, paging_query(BASE + 0x1000) & PTE_P, 0);
    /* Pages that are not committed: not an error. */
    DECOMMIT(t, BASE + 0x1000, 0x2000);
    DECOMMIT(t, BASE + 0x1800, 0x1000);
    EXPECT_EQ(t, committed_pages(), c0 + 14);

    uint32_t b = BASE + 0x5FFF, s = 2;
    EXPECT_EQ(t, vm_free(vm_current(), &b, &s, MEM_DECOMMIT), STATUS_SUCCESS);
    EXPECT_EQ(t, b, BASE + 0x5000);
    EXPECT_EQ(t, s, 0x2000);
    EXPECT_EQ(t, committed_pages(), c0 + 12);
    RELEASE(t, p);
}

VM_TEST(d30_decommit_size_zero_whole_allocation)
{
    uint32_t c0 = committed_pages();
    uint32_t p = COMMIT_NEW(t, 0x4000, PAGE_READWRITE);

    EXPECT_FREE_FAILS(t, p + 0x1000, 0, MEM_DECOMMIT, ERROR_INVALID_ADDRESS);
    uint32_t b = p + 0x2000, s = 0;
    EXPECT_EQ(t, vm_free(vm_current(), &b, &s, MEM_DECOMMIT), STATUS_FREE_VM_NOT_AT_BASE);
    EXPECT_REGION(t, p, 0x4000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, committed_pages(), c0 + 4);
    poke(p + 0x3000, 1);
    SetLastError(BAD_ERROR);
    EXPECT_TRUE(t, VirtualFree(VA(p + 0x123), 0, MEM_DECOMMIT));
    EXPECT_REGION(t, p, 0x4000, MEM_RESERVE, 0);
    EXPECT_EQ(t, committed_pages(), c0);
    RELEASE(t, p);
}

VM_TEST(d31_decommit_leaving_allocation_fails_87)
{
    uint32_t p = COMMIT_NEW(t, 0x3000, PAGE_READWRITE);

    poke(p + 0x2000, 0x42);
    EXPECT_FREE_FAILS(t, p + 0x2000, 0x2000, MEM_DECOMMIT, ERROR_INVALID_PARAMETER);
    uint32_t b = p + 0x1000, s = 0x3000;
    EXPECT_EQ(t, vm_free(vm_current(), &b, &s, MEM_DECOMMIT), STATUS_UNABLE_TO_FREE_VM);
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
    /* The unused tail of the granule is free memory too. */
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
    uint32_t c = committed_pages();
    for (int i = 0; i < 4; i++)
        before[i] = QUERY(t, BASE + i * PGSIZE);

    EXPECT_FREE_FAILS(t, BASE, 0, 0, ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, BASE, 0x1000, MEM_RELEASE, ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, BASE + 0x1000, 0, MEM_RELEASE, ERROR_INVALID_ADDRESS);
    EXPECT_FREE_FAILS(t, BASE + 0x1000, 0, MEM_DECOMMIT, ERROR_INVALID_ADDRESS);
    EXPECT_FREE_FAILS(t, BASE + 0x2000, 0x3000, MEM_DECOMMIT, ERROR_INVALID_PARAMETER);
    EXPECT_FREE_FAILS(t, BASE, 0x4000, MEM_DECOMMIT | MEM_RELEASE, ERROR_INVALID_PARAMETER);

    for (int i = 0; i < 4; i++) {
        after[i] = QUERY(t, BASE + i * PGSIZE);
        EXPECT_EQ(t, memcmp(&before[i], &after[i], sizeof(before[i])), 0);
    }
    EXPECT_EQ(t, committed_pages(), c);
    EXPECT_EQ(t, peek(BASE + 1), 0xB1);
    EXPECT_EQ(t, peek(BASE + 0x2001), 0xB2);
    RELEASE(t, p);
}

/* ---- E. VirtualProtect and protections -------------------------------------- */

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

/* ---- F. VirtualQuery ------------------------------------------------------------ */

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
    RELEASE(t, p);
}

VM_TEST(f43_query_short_length_fails)
{
    MEMORY_BASIC_INFORMATION m;
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);
    const SIZE_T lengths[] = { 0, 1, sizeof(m) - 1 };

    for (unsigned i = 0; i < 3; i++) {
        memset(&m, 0xCC, sizeof(m));
        SetLastError(BAD_ERROR);
        EXPECT_EQ(t, VirtualQuery(VA(p), &m, lengths[i]), 0);
        EXPECT_EQ(t, GetLastError(), ERROR_BAD_LENGTH);
        EXPECT_EQ(t, m.State, 0xCCCCCCCCu);
    }
    RELEASE(t, p);
}

VM_TEST(f44_query_kernel_address_fails)
{
    const uint32_t addrs[] = { 0x7FFF0000, 0x7FFFFFFF, 0x80000000, 0xC0000000, 0xFFFFF000 };
    MEMORY_BASIC_INFORMATION m;

    for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        SetLastError(BAD_ERROR);
        EXPECT_EQ(t, VirtualQuery(VA(addrs[i]), &m, sizeof(m)), 0);
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    }
    EXPECT_EQ(t, VirtualQuery(VA(USER_MAX), &m, sizeof(m)), sizeof(m));
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

    /* Same attributes on both sides, still two runs. */
    EXPECT_REGION(t, BASE, GRAN, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, BASE + 0x8000, 0x8000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, BASE + GRAN, GRAN, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, U32(QUERY(t, BASE + GRAN).AllocationBase), BASE + GRAN);
    EXPECT_REGION(t, BASE2 + 0x1000, 0x2000, MEM_RESERVE, 0);
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

static const struct ktest_case vm_cases[] = {
    KTEST_CASE(a1_page_size_and_granularity),
    KTEST_CASE(a2_minimum_application_address),
    KTEST_CASE(a3_maximum_application_address),
    KTEST_CASE(a3_range_wrapping_past_4gib_rejected),
    KTEST_CASE(a4_reservation_whole_pages_granule_tail),
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
    KTEST_CASE(c20_reset_must_be_alone),
    KTEST_CASE(c21_reset_keeps_commit_and_protection),
    KTEST_CASE(c22_reset_contents_old_or_zero),
    KTEST_CASE(c23_reset_reserved_pages_stay_reserved),
    KTEST_CASE(c24_reset_past_reservation_fails),
    KTEST_CASE(d25_free_type_validated),
    KTEST_CASE(d26_release_needs_zero_size_and_base),
    KTEST_CASE(d27_release_frees_whole_reservation),
    KTEST_CASE(d28_release_twice_fails),
    KTEST_CASE(d29_decommit_rounds_to_pages),
    KTEST_CASE(d30_decommit_size_zero_whole_allocation),
    KTEST_CASE(d31_decommit_leaving_allocation_fails_87),
    KTEST_CASE(d32_decommit_free_memory_fails),
    KTEST_CASE(d33_failed_free_changes_nothing),
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
    KTEST_CASE(f42_query_returns_struct_size),
    KTEST_CASE(f43_query_short_length_fails),
    KTEST_CASE(f44_query_kernel_address_fails),
    KTEST_CASE(f45_query_base_is_page_of_address),
    KTEST_CASE(f46_region_stops_at_allocation_boundary),
    KTEST_CASE(f47_committed_region_fields),
    KTEST_CASE(f48_reserved_region_fields),
    KTEST_CASE(f49_free_region_fields),
    KTEST_CASE(f50_state_and_type_values),
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

static const struct ktest_suite vm_suite = {
    .name = "vm",
    .cases = vm_cases,
    .exit = fixture_drop,
};
KTEST_SUITE(vm_suite);
