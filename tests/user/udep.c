/* DEP from ring 3 (issue 18): with PAE and NX, code copied into memory
 * that is not PAGE_EXECUTE* cannot run; the same bytes run once the pages
 * are made executable; the stack, the heap, rodata and data cannot be
 * executed; PAGE_EXECUTE_READWRITE memory can; SetProcessDEPPolicy turns
 * DEP off, then on for good.  Each refused fetch must arrive as
 * STATUS_ACCESS_VIOLATION with ExceptionInformation[0] = 8 (execute) and
 * [1] = the address, which is also ExceptionAddress and the CONTEXT's Eip.
 *
 * Booted with paging=legacy the system policy is AlwaysOff (32-bit paging
 * has no NX bit), and the same cases check the other half of the story:
 * the bytes in PAGE_READWRITE memory simply run.
 *
 * Also here: the security side (the kernel half stays unreachable from
 * ring 3 under PAE, for reads, writes and instruction fetches; no
 * committed user page is executable unless its protection says so), and
 * the bad-pointer cases of the three DEP system services (their entries
 * in usecurity's tables).  The case that changes the process's DEP
 * setting for good runs last. */
#include "utest.h"
#include "uspace.h"
#include <stdio.h>

typedef uint32_t (*code_fn)(void);

/* mov eax, 0x12345678; ret */
#define CODE_BYTES { 0xB8, 0x78, 0x56, 0x34, 0x12, 0xC3 }
#define CODE_RESULT 0x12345678u

static const uint8_t code_in_rodata[] = CODE_BYTES;
static uint8_t code_in_data[] = CODE_BYTES;

static bool dep_on(void)
{
    DWORD flags = 0;
    BOOL permanent;

    return GetProcessDEPPolicy(GetCurrentProcess(), &flags, &permanent) &&
           (flags & PROCESS_DEP_ENABLE);
}

static void put_code(uint8_t *p)
{
    static const uint8_t bytes[] = CODE_BYTES;
    memcpy(p, bytes, sizeof(bytes));
}

/* Calls the code at p: under DEP (want_fault) the call must fault with
 * an execute access violation at exactly p; otherwise it must return
 * CODE_RESULT. */
static void expect_exec(struct utest *t, const void *p, bool want_fault, int line)
{
    struct utest_exception x;
    volatile uint32_t v = 0;

    UTEST_CATCH(&x, v = ((code_fn)(uintptr_t)p)());
    if (!want_fault) {
        if (x.caught)
            utest_fail_msg(t, __FILE__, line, "executing %p raised %08lx at %08lx (info %lu, %08lx)",
                           p, (unsigned long)x.code, (unsigned long)x.address,
                           (unsigned long)x.info[0], (unsigned long)x.info[1]);
        else
            EXPECT_EQ(t, v, CODE_RESULT);
        return;
    }
    if (!x.caught) {
        utest_fail_msg(t, __FILE__, line, "executing %p did not fault (returned %08lx)", p,
                       (unsigned long)v);
        return;
    }
    EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, x.nparams, 2);
    EXPECT_EQ(t, x.info[0], EXCEPTION_EXECUTE_FAULT);
    EXPECT_EQ(t, x.info[1], U32(p));
    EXPECT_EQ(t, x.address, U32(p));
    EXPECT_EQ(t, x.eip, U32(p));
}

/* ---- the policy ---------------------------------------------------------- */

static void dep_policy_as_booted(struct utest *t)
{
    DEP_SYSTEM_POLICY_TYPE pol = GetSystemDEPPolicy();
    DWORD flags = 0xFF;
    BOOL permanent = 7;

    ASSERT_TRUE(t, GetProcessDEPPolicy(GetCurrentProcess(), &flags, &permanent));
    utest_log("system policy %d, process flags %lu, permanent %d", pol, (unsigned long)flags, permanent);
    if (pol == DEPPolicyAlwaysOff) {        /* paging=legacy: no NX */
        EXPECT_EQ(t, flags, 0);
        EXPECT_EQ(t, permanent, TRUE);
    } else {
        EXPECT_EQ(t, pol, DEPPolicyOptOut);  /* the default with NX */
        EXPECT_EQ(t, flags, PROCESS_DEP_ENABLE);
        EXPECT_EQ(t, permanent, FALSE);
    }
    /* Another process's handle is not known here. */
    EXPECT_FALSE(t, GetProcessDEPPolicy((HANDLE)0x1234, &flags, &permanent));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
}

/* ---- what runs and what does not ------------------------------------------- */

static void dep_code_in_readwrite_memory(struct utest *t)
{
    uint8_t *p = VirtualAlloc(NULL, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ASSERT_PTR_NE(t, p, NULL);
    put_code(p);
    expect_exec(t, p, dep_on(), __LINE__);
    /* The same bytes after VirtualProtect(PAGE_EXECUTE_READ) run. */
    DWORD old = 0;
    EXPECT_TRUE(t, VirtualProtect(p, PAGE, PAGE_EXECUTE_READ, &old));
    EXPECT_EQ(t, old, PAGE_READWRITE);
    expect_exec(t, p, false, __LINE__);
    /* And back: PAGE_READONLY is not executable either. */
    EXPECT_TRUE(t, VirtualProtect(p, PAGE, PAGE_READONLY, &old));
    expect_exec(t, p, dep_on(), __LINE__);
    EXPECT_TRUE(t, VirtualFree(p, 0, MEM_RELEASE));
}

/* A fetch from a committed page never touched: refused before any frame. */
static void dep_demand_zero_page(struct utest *t)
{
    uint8_t *p = VirtualAlloc(NULL, 2 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ASSERT_PTR_NE(t, p, NULL);
    if (dep_on())
        expect_exec(t, p + PAGE + 0x10, true, __LINE__);
    EXPECT_EQ(t, p[PAGE + 0x10], 0);         /* still a demand-zero page that reads 0 */
    EXPECT_TRUE(t, VirtualFree(p, 0, MEM_RELEASE));
}

static void dep_stack_buffer(struct utest *t)
{
    volatile uint8_t buf[32];
    put_code((uint8_t *)buf + 8);
    expect_exec(t, (const void *)(buf + 8), dep_on(), __LINE__);
}

static void dep_execute_readwrite(struct utest *t)
{
    uint8_t *p = VirtualAlloc(NULL, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE);
    ASSERT_PTR_NE(t, p, NULL);
    put_code(p);
    expect_exec(t, p, false, __LINE__);
    p[1] = 0x99;                             /* writable and executable: patch and run again */
    EXPECT_EQ(t, ((code_fn)(uintptr_t)p)(), 0x12345699u);
    EXPECT_TRUE(t, VirtualFree(p, 0, MEM_RELEASE));
}

/* PAGE_EXECUTE: executable, and (x86) readable; the code is written while
 * the page is still read-write. */
static void dep_execute_only(struct utest *t)
{
    uint8_t *p = VirtualAlloc(NULL, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    DWORD old;
    ASSERT_PTR_NE(t, p, NULL);
    put_code(p + 0x100);
    EXPECT_TRUE(t, VirtualProtect(p, PAGE, PAGE_EXECUTE, &old));
    expect_exec(t, p + 0x100, false, __LINE__);
    EXPECT_EQ(t, p[0x100], 0xB8);
    EXPECT_ACCESS_VIOLATION(t, p[0x100] = 0x90, EXCEPTION_WRITE_FAULT, p + 0x100);
    EXPECT_TRUE(t, VirtualFree(p, 0, MEM_RELEASE));
}

/* NOACCESS and guard pages refuse a fetch too; with NX the CPU reports it
 * as an instruction fetch (I/D = 1) even on a not-present page. */
static void dep_noaccess_and_guard(struct utest *t)
{
    uint8_t *p = VirtualAlloc(NULL, 2 * PAGE, MEM_RESERVE, PAGE_READWRITE);
    struct utest_exception x;
    ASSERT_PTR_NE(t, p, NULL);
    ASSERT_PTR_NE(t, VirtualAlloc(p, PAGE, MEM_COMMIT, PAGE_NOACCESS), NULL);
    ASSERT_PTR_NE(t, VirtualAlloc(p + PAGE, PAGE, MEM_COMMIT, PAGE_EXECUTE_READ | PAGE_GUARD), NULL);
    DWORD kind = dep_on() ? EXCEPTION_EXECUTE_FAULT : EXCEPTION_READ_FAULT;

    UTEST_CATCH(&x, ((code_fn)(uintptr_t)(p + 4))());
    EXPECT_TRUE(t, x.caught);
    EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, x.info[0], kind);
    EXPECT_EQ(t, x.info[1], U32(p + 4));
    UTEST_CATCH(&x, ((code_fn)(uintptr_t)(p + PAGE + 4))());
    EXPECT_TRUE(t, x.caught);
    EXPECT_EQ(t, x.code, EXCEPTION_GUARD_PAGE);
    EXPECT_EQ(t, x.info[0], kind);
    EXPECT_EQ(t, x.info[1], U32(p + PAGE + 4));
    EXPECT_TRUE(t, VirtualFree(p, 0, MEM_RELEASE));
}

/* The image: text runs (this very function), rodata and data do not. */
static void dep_image_sections(struct utest *t)
{
    MEMORY_BASIC_INFORMATION m;

    ASSERT_EQ(t, VirtualQuery(code_in_rodata, &m, sizeof(m)), sizeof(m));
    EXPECT_EQ(t, m.Protect, PAGE_READONLY);
    ASSERT_EQ(t, VirtualQuery(code_in_data, &m, sizeof(m)), sizeof(m));
    EXPECT_EQ(t, m.Protect, PAGE_READWRITE);
    expect_exec(t, code_in_rodata, dep_on(), __LINE__);
    expect_exec(t, code_in_data, dep_on(), __LINE__);
}

/* The process heap is PAGE_READWRITE; a heap made with
 * HEAP_CREATE_ENABLE_EXECUTE commits PAGE_EXECUTE_READWRITE. */
static void dep_heaps(struct utest *t)
{
    uint8_t *a = HeapAlloc(GetProcessHeap(), 0, 64);
    ASSERT_PTR_NE(t, a, NULL);
    put_code(a);
    expect_exec(t, a, dep_on(), __LINE__);
    HeapFree(GetProcessHeap(), 0, a);

    HANDLE h = HeapCreate(HEAP_CREATE_ENABLE_EXECUTE, 0, 0);
    ASSERT_PTR_NE(t, h, NULL);
    uint8_t *b = HeapAlloc(h, 0, 64);
    ASSERT_PTR_NE(t, b, NULL);
    put_code(b);
    expect_exec(t, b, false, __LINE__);
    EXPECT_TRUE(t, HeapDestroy(h));
}

/* ---- the system services: bad input fails, never crashes ----------------------------- */

static void dep_services_reject_bad_input(struct utest *t)
{
    ULONG v = 0, len = 0;
    HANDLE self = NtCurrentProcess();
    PVOID kernel = VA(0x80100000u), unmapped = VA(0x00001000u);

    EXPECT_EQ(t, NtQueryInformationProcess(self, ProcessExecuteFlags, &v, sizeof(v), &len), STATUS_SUCCESS);
    EXPECT_EQ(t, len, sizeof(v));
    EXPECT_EQ(t, NtQueryInformationProcess(self, 0x7F, &v, sizeof(v), NULL), STATUS_INVALID_INFO_CLASS);
    EXPECT_EQ(t, NtQueryInformationProcess(self, ProcessExecuteFlags, &v, 8, NULL), STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(t, NtQueryInformationProcess((HANDLE)0x44, ProcessExecuteFlags, &v, 4, NULL), STATUS_INVALID_HANDLE);
    EXPECT_EQ(t, NtQueryInformationProcess(self, ProcessExecuteFlags, NULL, 4, NULL), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(t, NtQueryInformationProcess(self, ProcessExecuteFlags, kernel, 4, NULL), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(t, NtQueryInformationProcess(self, ProcessExecuteFlags, (PVOID)code_in_rodata, 4, NULL),
              STATUS_ACCESS_VIOLATION);                  /* read-only output */
    EXPECT_EQ(t, NtQueryInformationProcess(self, ProcessExecuteFlags, &v, 4, kernel), STATUS_ACCESS_VIOLATION);

    ULONG same = v;
    EXPECT_EQ(t, NtSetInformationProcess(self, 0, &same, 4), STATUS_INVALID_INFO_CLASS);
    EXPECT_EQ(t, NtSetInformationProcess(self, ProcessExecuteFlags, &same, 2), STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(t, NtSetInformationProcess((HANDLE)0x44, ProcessExecuteFlags, &same, 4), STATUS_INVALID_HANDLE);
    EXPECT_EQ(t, NtSetInformationProcess(self, ProcessExecuteFlags, unmapped, 4), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(t, NtSetInformationProcess(self, ProcessExecuteFlags, kernel, 4), STATUS_ACCESS_VIOLATION);
    bool permanent = v & MEM_EXECUTE_OPTION_PERMANENT;
    static const ULONG bad[] = { 0, MEM_EXECUTE_OPTION_ENABLE | MEM_EXECUTE_OPTION_DISABLE, 0x10,
                                 MEM_EXECUTE_OPTION_PERMANENT, 0x80000002u };
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        ULONG o = bad[i];
        EXPECT_EQ(t, NtSetInformationProcess(self, ProcessExecuteFlags, &o, 4), STATUS_INVALID_PARAMETER);
    }
    if (!permanent) {
        /* Setting what is already set changes nothing. */
        EXPECT_EQ(t, NtSetInformationProcess(self, ProcessExecuteFlags, &same, 4), STATUS_SUCCESS);
    }
    ULONG now = 0;
    EXPECT_EQ(t, NtQueryInformationProcess(self, ProcessExecuteFlags, &now, 4, NULL), STATUS_SUCCESS);
    EXPECT_EQ(t, now, v);

    ULONG pol = 99;
    EXPECT_EQ(t, NtQuerySystemInformation(SystemNxSupportPolicyInformation, &pol, 4, &len), STATUS_SUCCESS);
    EXPECT_EQ(t, pol, (ULONG)GetSystemDEPPolicy());
    EXPECT_EQ(t, NtQuerySystemInformation(0, &pol, 4, NULL), STATUS_INVALID_INFO_CLASS);
    EXPECT_EQ(t, NtQuerySystemInformation(SystemNxSupportPolicyInformation, &pol, 3, NULL),
              STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(t, NtQuerySystemInformation(SystemNxSupportPolicyInformation, kernel, 4, NULL),
              STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(t, NtQuerySystemInformation(SystemNxSupportPolicyInformation, &pol, 4, unmapped),
              STATUS_ACCESS_VIOLATION);
    /* The argument block itself unreadable. */
    EXPECT_EQ(t, raw_syscall(SVC_NtQueryInformationProcess, kernel), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(t, raw_syscall(SVC_NtSetInformationProcess, unmapped), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(t, raw_syscall(SVC_NtQuerySystemInformation, VA(0x7FFFFFFEu)), STATUS_ACCESS_VIOLATION);
}

/* ---- security ------------------------------------------------------------------ */

/* Reads, writes and fetches of the kernel half all fault from ring 3:
 * the image, the page tables through the self-map (both formats' windows),
 * the temporary window, the pool and kernel virtual memory. */
static void security_kernel_unreachable(struct utest *t)
{
    static const uint32_t addrs[] = { 0x80101000u, 0x80100000u, 0xC0000000u, 0xC0300000u,
                                      0xC0600000u, 0xC0800000u, 0xC0C00000u, 0xC4800000u };
    for (volatile unsigned i = 0; i < ARRAY_SIZE(addrs); i++) {
        volatile uint8_t *p = VA(addrs[i]);
        EXPECT_ACCESS_VIOLATION(t, (void)*p, EXCEPTION_READ_FAULT, p);
        EXPECT_ACCESS_VIOLATION(t, *p = 0, EXCEPTION_WRITE_FAULT, p);
        struct utest_exception x;
        UTEST_CATCH(&x, ((code_fn)(uintptr_t)p)());
        EXPECT_TRUE(t, x.caught);
        EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
        EXPECT_EQ(t, x.info[0], dep_on() ? EXCEPTION_EXECUTE_FAULT : EXCEPTION_READ_FAULT);
        EXPECT_EQ(t, x.info[1], addrs[i]);
    }
}

/* Every committed, accessible region of the address space that is not
 * PAGE_EXECUTE*: the image's rodata and data, the stack, the heaps, and
 * a fresh allocation: a fetch from its first page faults (with DEP). */
static void security_no_user_page_executable_unless_asked(struct utest *t)
{
    if (!dep_on())
        utest_skip(t, "no DEP (paging=legacy): every readable page is executable");
    void *fresh = VirtualAlloc(NULL, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    uint32_t a = USER_LOW, tried = 0, executable = 0;
    ASSERT_PTR_NE(t, fresh, NULL);
    *(volatile uint8_t *)fresh = 1;

    while (a < USER_TOP) {
        MEMORY_BASIC_INFORMATION m;
        if (VirtualQuery(VA(a), &m, sizeof(m)) != sizeof(m) || m.RegionSize == 0)
            break;
        uint32_t b = (m.Protect & 0xFF);
        if (m.State == MEM_COMMIT && !(m.Protect & PAGE_GUARD) && b != PAGE_NOACCESS) {
            bool x = b == PAGE_EXECUTE || b == PAGE_EXECUTE_READ || b == PAGE_EXECUTE_READWRITE;
            if (x) {
                executable++;
            } else {
                /* The region's last byte: a fetch there cannot run on into
                 * another page, and reading it first makes the page present. */
                const volatile uint8_t *last = VA(U32(m.BaseAddress) + m.RegionSize - 1);
                (void)*last;
                expect_exec(t, (const void *)last, true, __LINE__);
                tried++;
            }
        }
        a = U32(m.BaseAddress) + m.RegionSize;
    }
    utest_log("%lu non-executable regions fetched from, %lu executable regions (the image's text)",
              (unsigned long)tried, (unsigned long)executable);
    EXPECT_GE(t, tried, 4);                  /* rodata, data, stack, heap, fresh */
    EXPECT_GE(t, executable, 1);
    EXPECT_TRUE(t, VirtualFree(fresh, 0, MEM_RELEASE));
}

/* NtQuerySystemCounters reports all the RAM the frame allocator manages
 * (GlobalMemoryStatusEx's total), and the part above 4 GiB. */
static void counters_report_all_ram(struct utest *t)
{
    SYSTEM_MEMORY_COUNTERS c = sys_counters();

    utest_log("%lu frames of RAM, %lu above 4 GiB (%lu free there), %lu free in all",
              c.PhysicalPages, c.TotalFramesAbove4G, c.FreeFramesAbove4G, c.FreeFrames);
    EXPECT_GT(t, c.PhysicalPages, c.FreeFrames);
    EXPECT_GE(t, c.PhysicalPages, 4096);                 /* at least 16 MiB */
    EXPECT_LE(t, c.TotalFramesAbove4G, c.PhysicalPages);
    EXPECT_LE(t, c.FreeFramesAbove4G, c.TotalFramesAbove4G);
    EXPECT_LE(t, c.FreeFramesAbove4G, c.FreeFrames);
}

/* ---- SetProcessDEPPolicy: last, because it sticks ------------------------------------- */

static void dep_set_process_policy(struct utest *t)
{
    DWORD flags;
    BOOL permanent;
    uint8_t *p = VirtualAlloc(NULL, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ASSERT_PTR_NE(t, p, NULL);
    put_code(p);                             /* present (and NX under DEP) before any change */

    EXPECT_FALSE(t, SetProcessDEPPolicy(PROCESS_DEP_DISABLE_ATL_THUNK_EMULATION));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
    EXPECT_FALSE(t, SetProcessDEPPolicy(0x10));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
    if (GetSystemDEPPolicy() == DEPPolicyAlwaysOff) {
        EXPECT_FALSE(t, SetProcessDEPPolicy(PROCESS_DEP_ENABLE));
        EXPECT_LAST_ERROR(t, ERROR_ACCESS_DENIED);
        EXPECT_FALSE(t, SetProcessDEPPolicy(0));
        EXPECT_LAST_ERROR(t, ERROR_ACCESS_DENIED);
        expect_exec(t, p, false, __LINE__);
        VirtualFree(p, 0, MEM_RELEASE);
        return;
    }
    /* OptOut: off, and the page already present becomes executable. */
    EXPECT_TRUE(t, SetProcessDEPPolicy(0));
    EXPECT_TRUE(t, GetProcessDEPPolicy(GetCurrentProcess(), &flags, &permanent));
    EXPECT_EQ(t, flags, 0);
    EXPECT_EQ(t, permanent, FALSE);
    expect_exec(t, p, false, __LINE__);
    volatile uint8_t stack_code[16];
    put_code((uint8_t *)stack_code);
    expect_exec(t, (const void *)stack_code, false, __LINE__);
    /* On, for good: NX again on the same present page, and no way back. */
    EXPECT_TRUE(t, SetProcessDEPPolicy(PROCESS_DEP_ENABLE | PROCESS_DEP_DISABLE_ATL_THUNK_EMULATION));
    EXPECT_TRUE(t, GetProcessDEPPolicy(GetCurrentProcess(), &flags, &permanent));
    EXPECT_EQ(t, flags, PROCESS_DEP_ENABLE | PROCESS_DEP_DISABLE_ATL_THUNK_EMULATION);
    EXPECT_EQ(t, permanent, TRUE);
    expect_exec(t, p, true, __LINE__);
    EXPECT_FALSE(t, SetProcessDEPPolicy(0));
    EXPECT_LAST_ERROR(t, ERROR_ACCESS_DENIED);
    EXPECT_FALSE(t, SetProcessDEPPolicy(PROCESS_DEP_ENABLE));
    EXPECT_LAST_ERROR(t, ERROR_ACCESS_DENIED);
    expect_exec(t, p, true, __LINE__);
    EXPECT_TRUE(t, VirtualFree(p, 0, MEM_RELEASE));
}

static const struct utest_case dep_cases[] = {
    UTEST_CASE(dep_policy_as_booted),
    UTEST_CASE(dep_code_in_readwrite_memory),
    UTEST_CASE(dep_demand_zero_page),
    UTEST_CASE(dep_stack_buffer),
    UTEST_CASE(dep_execute_readwrite),
    UTEST_CASE(dep_execute_only),
    UTEST_CASE(dep_noaccess_and_guard),
    UTEST_CASE(dep_image_sections),
    UTEST_CASE(dep_heaps),
    UTEST_CASE(dep_services_reject_bad_input),
    UTEST_CASE(security_kernel_unreachable),
    UTEST_CASE(security_no_user_page_executable_unless_asked),
    UTEST_CASE(counters_report_all_ram),
    UTEST_CASE(dep_set_process_policy),
    UTEST_END,
};
static const struct utest_suite dep_suite = { .name = "udep", .cases = dep_cases };

static const struct utest_suite *const suites[] = { &dep_suite, NULL };

int main(void)
{
    utest_register_counter("allocations", utest_counter_allocations);
    return utest_main(suites);
}
