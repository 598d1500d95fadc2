/* What the parts of the vm suite share (tests/kernel/test_vm.c and the
 * files of tests/kernel/test_vm/, one per spec section): the fixed
 * addresses, the per-case fixture (in test_vm.c), memory access, the
 * Win32 calls with their expected outcome, and the expected faults. */
#ifndef TESTS_KERNEL_TEST_VM_TEST_VM_H
#define TESTS_KERNEL_TEST_VM_TEST_VM_H

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

/* ---- fixture (test_vm.c) ------------------------------------------------------ */

/* Around every case: a fresh address space, switched to; then the
 * space's checks and counters, and the space destroyed. */
void space_enter(struct ktest *t);
void space_leave(struct ktest *t);

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

static inline void fill_page(uint32_t va, uint32_t word)
{
    volatile uint32_t *p = (volatile uint32_t *)PGROUNDDOWN(va);
    for (uint32_t i = 0; i < PGSIZE / 4; i++)
        p[i] = word;
}

/* Number of words of the page at va that differ from word. */
static inline uint32_t page_mismatches(uint32_t va, uint32_t word)
{
    volatile uint32_t *p = (volatile uint32_t *)PGROUNDDOWN(va);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < PGSIZE / 4; i++)
        bad += p[i] != word;
    return bad;
}

/* Committed pages system-wide (the commit charge also counts the page
 * tables created for them, which depends on placement). */
static inline uint32_t committed_pages(void)
{
    struct vm_stats s;
    vm_get_stats(&s);
    return s.committed_pages;
}

static inline uint32_t pte_bits(uint32_t va)
{
    return paging_query(va) & (PTE_P | PTE_W | PTE_U | PTE_PWT | PTE_PCD);
}

/* ---- Win32 calls with their expected outcome -------------------------------- */

static inline uint32_t alloc_checked(struct ktest *t, int line, uint32_t addr, SIZE_T size,
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

static inline void free_checked(struct ktest *t, int line, uint32_t addr, SIZE_T size, DWORD type)
{
    SetLastError(BAD_ERROR);
    if (!VirtualFree(VA(addr), size, type))
        ktest_fail_msg(t, __FILE__, line, "VirtualFree(%08x, %lx, %lx) failed, error %lu",
                       addr, size, type, GetLastError());
}
#define RELEASE(t, addr) free_checked(t, __LINE__, addr, 0, MEM_RELEASE)
#define DECOMMIT(t, addr, size) free_checked(t, __LINE__, addr, size, MEM_DECOMMIT)

/* Returns the old protection (BAD_ERROR when the call failed). */
static inline DWORD protect_checked(struct ktest *t, int line, uint32_t addr, SIZE_T size,
                                    DWORD prot)
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

static inline MEMORY_BASIC_INFORMATION query(struct ktest *t, int line, uint32_t addr)
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
static inline void expect_region(struct ktest *t, int line, uint32_t addr, uint32_t size,
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
static inline void expect_free(struct ktest *t, int line, uint32_t addr)
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
static inline void check_vm_fault(struct ktest *t, int line, const struct fault_record *rec,
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

/* ---- shared by several sections ------------------------------------------------- */

/* Item 7 (B), and the new protection of VirtualProtect (E). */
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

/* ---- the case tables, one per file -------------------------------------------------- */

extern const struct ktest_case test_vm_a_cases[], test_vm_b_cases[], test_vm_c_cases[],
    test_vm_d_cases[], test_vm_e_cases[], test_vm_f_cases[], test_vm_gh_cases[];

#endif
