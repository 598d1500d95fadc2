/* What the parts of the uvm program share (tests/user/uvm.c and the files
 * of tests/user/uvm/, one per spec section A-H): the fixed addresses, the
 * per-case fixture (in uvm.c), memory access, the Win32 and native calls
 * with their expected outcome, and the expected-exception checks. */
#ifndef TESTS_USER_UVM_UVM_H
#define TESTS_USER_UVM_UVM_H

#include "utest.h"
#include "uspace.h"
#include <stdio.h>

#define BASE 0x20000000u
#define BASE2 0x30000000u
#define BAD_ERROR 0xDEADBEEFu

/* ---- fixture (uvm.c) ------------------------------------------------------------ */

extern struct alloc_set baseline;       /* the image and the stack */

/* Around every case: release what an earlier case left behind, then
 * compare the commit charge and the number of allocations. */
void space_enter(struct utest *t);
void space_leave(struct utest *t);
/* Every suite's exit: release what a failed case left behind. */
void suite_exit(void);

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

static inline void fill_page(uint32_t va, uint32_t word)
{
    volatile uint32_t *p = (volatile uint32_t *)(va & ~(PAGE - 1));
    for (uint32_t i = 0; i < PAGE / 4; i++)
        p[i] = word;
}

static inline uint32_t page_mismatches(uint32_t va, uint32_t word)
{
    volatile uint32_t *p = (volatile uint32_t *)(va & ~(PAGE - 1));
    uint32_t bad = 0;
    for (uint32_t i = 0; i < PAGE / 4; i++)
        bad += p[i] != word;
    return bad;
}

/* ---- Win32 calls with their expected outcome ------------------------------------ */

static inline uint32_t alloc_checked(struct utest *t, int line, uint32_t addr, SIZE_T size,
                                     DWORD type, DWORD prot)
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

static inline void free_checked(struct utest *t, int line, uint32_t addr, SIZE_T size, DWORD type)
{
    SetLastError(BAD_ERROR);
    if (!VirtualFree(VA(addr), size, type))
        utest_fail_msg(t, __FILE__, line, "VirtualFree(%08lx, %lx, %lx) failed, error %lu",
                       (unsigned long)addr, (unsigned long)size, type, GetLastError());
}
#define RELEASE(t, addr) free_checked(t, __LINE__, addr, 0, MEM_RELEASE)
#define DECOMMIT(t, addr, size) free_checked(t, __LINE__, addr, size, MEM_DECOMMIT)

static inline DWORD protect_checked(struct utest *t, int line, uint32_t addr, SIZE_T size,
                                    DWORD prot)
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

static inline MEMORY_BASIC_INFORMATION query(struct utest *t, int line, uint32_t addr)
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

static inline void expect_region(struct utest *t, int line, uint32_t addr, uint32_t size,
                                 DWORD state, DWORD protect)
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

static inline void expect_free(struct utest *t, int line, uint32_t addr)
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
static inline NTSTATUS nt_alloc(uint32_t *base, uint32_t *size, DWORD type, DWORD prot)
{
    return NtAllocateVirtualMemory(NtCurrentProcess(), (PVOID *)base, 0, (PSIZE_T)size, type, prot);
}

static inline NTSTATUS nt_free(uint32_t *base, uint32_t *size, DWORD type)
{
    return NtFreeVirtualMemory(NtCurrentProcess(), (PVOID *)base, (PSIZE_T)size, type);
}

static inline NTSTATUS nt_protect(uint32_t *base, uint32_t *size, DWORD prot, DWORD *old)
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

/* ---- shared by several sections ------------------------------------------------------ */

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
    0x800,                              /* an unknown bit */
};

/* mov eax, 42; ret: E runs it, F finds it in the image's .rodata. */
static const uint8_t return_42[] = { 0xB8, 0x2A, 0x00, 0x00, 0x00, 0xC3 };

/* A 4-byte load whose instruction is at the label uvm_read_ip (G and H
 * check the faulting EIP; defined in g_exceptions.c). */
extern const char uvm_read_ip[];
uint32_t load_at_label(uint32_t p);

/* ---- the suites ---------------------------------------------------------------------- */

extern const struct utest_suite uvm_a_suite, uvm_b_suite, uvm_c_suite, uvm_d_suite,
    uvm_e_suite, uvm_f_suite, uvm_g_suite, uvm_h_suite;

#endif
