/* usecurity: the system-service boundary - every pointer parameter of
 * every service, other parameter errors and process handles; the argument
 * pointer (EDX) itself, unknown service numbers, and the registers a
 * service must preserve. */
#include "usecurity.h"

/* ---- the services and their pointer parameters ------------------------------------ */

/* The variables the valid arguments point at. */
struct call_vars {
    uint32_t base, size, old, ret;
    MEMORY_BASIC_INFORMATION mbi;
    SYSTEM_MEMORY_COUNTERS counters;
    EXCEPTION_RECORD rec;
    CONTEXT ctx;
    char text[32];
    uint32_t watch_addrs[4], watch_count, watch_granularity;
};

static struct call_vars vars, vars_copy;

enum pkind { P_IN, P_OUT, P_INOUT };

struct svc_param {
    const char *name;
    int index;
    enum pkind kind;
    uint32_t size;                      /* bytes the service reads or writes there */
    bool optional;                      /* NULL is allowed */
};

struct svc_desc {
    const char *name;
    uint32_t number;
    int argc;
    void (*setup)(uint32_t *args);      /* valid arguments */
    bool valid_call_safe;               /* the valid call may be made (and undone) */
    int nparams;
    struct svc_param params[3];
};

static void setup_alloc(uint32_t *a)
{
    vars.base = 0;
    vars.size = 0x1000;
    a[0] = U32(NtCurrentProcess());
    a[1] = U32(&vars.base);
    a[2] = 0;
    a[3] = U32(&vars.size);
    a[4] = MEM_RESERVE | MEM_COMMIT;
    a[5] = PAGE_READWRITE;
}

static void setup_free(uint32_t *a)
{
    vars.base = VICTIM;
    vars.size = 0;
    a[0] = U32(NtCurrentProcess());
    a[1] = U32(&vars.base);
    a[2] = U32(&vars.size);
    a[3] = MEM_RELEASE;
}

static void setup_protect(uint32_t *a)
{
    vars.base = VICTIM;
    vars.size = PAGE;
    vars.old = 0xDEAD;
    a[0] = U32(NtCurrentProcess());
    a[1] = U32(&vars.base);
    a[2] = U32(&vars.size);
    a[3] = PAGE_READONLY;
    a[4] = U32(&vars.old);
}

static void setup_query(uint32_t *a)
{
    memset(&vars.mbi, 0xCC, sizeof(vars.mbi));
    vars.ret = 0xDEAD;
    a[0] = U32(NtCurrentProcess());
    a[1] = VICTIM;
    a[2] = MemoryBasicInformation;
    a[3] = U32(&vars.mbi);
    a[4] = sizeof(vars.mbi);
    a[5] = U32(&vars.ret);
}

static void setup_continue(uint32_t *a)
{
    setup_context(&vars.ctx);
    a[0] = U32(&vars.ctx);
    a[1] = FALSE;
}

static void setup_debug_print(uint32_t *a)
{
    memcpy(vars.text, "    # usecurity: NtDebugPrint\n", 30);
    a[0] = U32(vars.text);
    a[1] = 30;
}

static void setup_raise(uint32_t *a)
{
    memset(&vars.rec, 0, sizeof(vars.rec));
    vars.rec.ExceptionCode = 0xE0000BAD;
    setup_context(&vars.ctx);
    a[0] = U32(&vars.rec);
    a[1] = U32(&vars.ctx);
    a[2] = TRUE;
}

static void setup_get_write_watch(uint32_t *a)
{
    memset(vars.watch_addrs, 0xCC, sizeof(vars.watch_addrs));
    vars.watch_count = 4;
    vars.watch_granularity = 0xDEAD;
    a[0] = U32(NtCurrentProcess());
    a[1] = 0;                           /* no reset: the valid call changes nothing */
    a[2] = WATCHED;
    a[3] = PAGE;
    a[4] = U32(vars.watch_addrs);
    a[5] = U32(&vars.watch_count);
    a[6] = U32(&vars.watch_granularity);
}

static void setup_counters(uint32_t *a)
{
    memset(&vars.counters, 0xCC, sizeof(vars.counters));
    a[0] = U32(&vars.counters);
    a[1] = sizeof(vars.counters);
}

/* Issue 19: NtLockVirtualMemory / NtUnlockVirtualMemory on the victim page. */
static void setup_lock(uint32_t *a)
{
    vars.base = VICTIM;
    vars.size = PAGE;
    a[0] = U32(NtCurrentProcess());
    a[1] = U32(&vars.base);
    a[2] = U32(&vars.size);
    a[3] = MAP_PROCESS;
}

static const struct svc_desc services[] = {
    { "NtAllocateVirtualMemory", SVC_NtAllocateVirtualMemory, 6, setup_alloc, true, 2,
      { { "BaseAddress", 1, P_INOUT, 4, false }, { "RegionSize", 3, P_INOUT, 4, false } } },
    { "NtFreeVirtualMemory", SVC_NtFreeVirtualMemory, 4, setup_free, false, 2,
      { { "BaseAddress", 1, P_INOUT, 4, false }, { "RegionSize", 2, P_INOUT, 4, false } } },
    { "NtProtectVirtualMemory", SVC_NtProtectVirtualMemory, 5, setup_protect, false, 3,
      { { "BaseAddress", 1, P_INOUT, 4, false }, { "RegionSize", 2, P_INOUT, 4, false },
        { "OldProtect", 4, P_OUT, 4, false } } },
    { "NtQueryVirtualMemory", SVC_NtQueryVirtualMemory, 6, setup_query, true, 2,
      { { "MemoryInformation", 3, P_OUT, sizeof(MEMORY_BASIC_INFORMATION), false },
        { "ReturnLength", 5, P_OUT, 4, true } } },
    { "NtContinue", SVC_NtContinue, 2, setup_continue, false, 1,
      { { "ContextRecord", 0, P_IN, sizeof(CONTEXT), false } } },
    { "NtDebugPrint", SVC_NtDebugPrint, 2, setup_debug_print, true, 1,
      { { "Text", 0, P_IN, 30, false } } },
    { "NtRaiseException", SVC_NtRaiseException, 3, setup_raise, false, 2,
      { { "ExceptionRecord", 0, P_IN, sizeof(EXCEPTION_RECORD), false },
        { "ContextRecord", 1, P_IN, sizeof(CONTEXT), false } } },
    { "NtQuerySystemCounters", SVC_NtQuerySystemCounters, 2, setup_counters, true, 1,
      { { "Counters", 0, P_OUT, sizeof(SYSTEM_MEMORY_COUNTERS), false } } },
    { "NtGetWriteWatch", SVC_NtGetWriteWatch, 7, setup_get_write_watch, true, 3,
      { { "UserAddressArray", 4, P_OUT, 4 * 4, false },
        { "EntriesInUserAddressArray", 5, P_INOUT, 4, false },
        { "Granularity", 6, P_OUT, 4, false } } },
    { "NtLockVirtualMemory", SVC_NtLockVirtualMemory, 4, setup_lock, false, 2,
      { { "BaseAddress", 1, P_INOUT, 4, false }, { "RegionSize", 2, P_INOUT, 4, false } } },
    { "NtUnlockVirtualMemory", SVC_NtUnlockVirtualMemory, 4, setup_lock, false, 2,
      { { "BaseAddress", 1, P_INOUT, 4, false }, { "RegionSize", 2, P_INOUT, 4, false } } },
};

/* The services without pointer parameters are covered below too:
 * NtTerminateProcess (handles), NtYieldExecution (no arguments),
 * NtSetExceptionDispatcher (a code address, never dereferenced by the
 * kernel), NtResetWriteWatch (an address range, never dereferenced).
 * This keeps the table honest: */
/* The DEP services (0x0D-0x0F) have their bad-pointer cases in tests/user/udep.c. */
_Static_assert(SVC_COUNT == 18, "a service was added to ntsvc.h: add it to the tables here");

struct bad_pointer {
    const char *name;
    uint32_t (*at)(uint32_t size);      /* the pointer, for an object of that size */
    bool for_input;                     /* bad for a parameter the kernel only reads */
};

static uint32_t bp_null(uint32_t n) { (void)n; return 0; }
static uint32_t bp_kernel_image(uint32_t n) { (void)n; return 0x80100000; }
static uint32_t bp_page_tables(uint32_t n) { (void)n; return 0xC0000000; }
static uint32_t bp_wraps(uint32_t n) { (void)n; return 0xFFFFFFF0; }
static uint32_t bp_crosses_into_kernel(uint32_t n) { return 0x80000000 - n / 2; }
static uint32_t bp_guard_area(uint32_t n) { (void)n; return 0x7FFF0000; }
static uint32_t bp_low(uint32_t n) { (void)n; return 0x1000; }
static uint32_t bp_free(uint32_t n) { (void)n; return FREE_ADDR; }
static uint32_t bp_reserved(uint32_t n) { (void)n; return PG_RESERVED + 0x10; }
static uint32_t bp_noaccess(uint32_t n) { (void)n; return PG_NOACCESS + 0x10; }
static uint32_t bp_runs_off_page(uint32_t n) { return PG_EDGE_END - (n > 2 ? n - 2 : 1); }
static uint32_t bp_readonly(uint32_t n) { (void)n; return PG_RO + 0x10; }

static const struct bad_pointer bad_pointers[] = {
    { "NULL", bp_null, true },
    { "kernel image 0x80100000", bp_kernel_image, true },
    { "page tables 0xC0000000", bp_page_tables, true },
    { "wrapping 0xFFFFFFF0", bp_wraps, true },
    { "crossing 0x80000000", bp_crosses_into_kernel, true },
    { "guard area 0x7FFF0000", bp_guard_area, true },
    { "below 64 KiB", bp_low, true },
    { "free user memory", bp_free, true },
    { "reserved page", bp_reserved, true },
    { "PAGE_NOACCESS page", bp_noaccess, true },
    { "running off a committed page", bp_runs_off_page, true },
    { "read-only page", bp_readonly, false },
};

/* One call with args; fails the case unless it returns `want`, raises
 * nothing and changes nothing. */
static void expect_call_fails(struct utest *t, int line, const char *what, uint32_t number,
                              const uint32_t *args, NTSTATUS want)
{
    struct utest_exception x;
    volatile NTSTATUS st = STATUS_SUCCESS;

    world_take(&world_before);
    UTEST_CATCH(&x, st = raw_syscall(number, args));
    if (x.caught)
        utest_fail_msg(t, __FILE__, line, "%s raised exception 0x%08lx at %08lx", what, x.code,
                       (unsigned long)x.eip);
    else if (st != want)
        utest_fail_msg(t, __FILE__, line, "%s returned 0x%08lx, expected 0x%08lx", what,
                       (unsigned long)st, (unsigned long)want);
    if (!world_unchanged(t, line, what))
        world_repair();
}

static void every_pointer_parameter_checked(struct utest *t)
{
    uint32_t args[8];
    char what[160];
    int calls = 0;

    for (unsigned s = 0; s < ARRAY_SIZE(services); s++) {
        const struct svc_desc *d = &services[s];
        for (int p = 0; p < d->nparams; p++) {
            const struct svc_param *prm = &d->params[p];
            for (unsigned b = 0; b < ARRAY_SIZE(bad_pointers); b++) {
                const struct bad_pointer *bp = &bad_pointers[b];
                if (prm->kind == P_IN && !bp->for_input)
                    continue;
                if (prm->optional && bp->at == bp_null)
                    continue;
                d->setup(args);
                args[prm->index] = bp->at(prm->size);
                vars_copy = vars;
                snprintf(what, sizeof(what), "%s with %s = %s (%08lx)", d->name, prm->name, bp->name,
                         (unsigned long)args[prm->index]);
                expect_call_fails(t, __LINE__, what, d->number, args, STATUS_ACCESS_VIOLATION);
                /* The caller's other variables are as they were. */
                if (memcmp(&vars, &vars_copy, sizeof(vars)) != 0)
                    utest_fail_msg(t, __FILE__, __LINE__, "%s changed the caller's variables", what);
                calls++;
            }
        }
    }
    utest_log("%d calls with a bad pointer", calls);
    EXPECT_GE(t, calls, 150);
}

/* The table's valid arguments do work (else the failures above prove
 * nothing), and a NULL for an optional parameter is accepted. */
static void valid_arguments_succeed(struct utest *t)
{
    uint32_t args[8];
    NTSTATUS st;

    for (unsigned s = 0; s < ARRAY_SIZE(services); s++) {
        const struct svc_desc *d = &services[s];
        if (!d->valid_call_safe)
            continue;
        d->setup(args);
        st = raw_syscall(d->number, args);
        if (st != STATUS_SUCCESS)
            utest_fail_msg(t, __FILE__, __LINE__, "%s with valid arguments returned 0x%08lx", d->name,
                           (unsigned long)st);
        if (d->number == SVC_NtAllocateVirtualMemory && st == STATUS_SUCCESS)
            EXPECT_TRUE(t, VirtualFree(VA(vars.base), 0, MEM_RELEASE));
    }
    /* The ones whose valid call would change the fixture: made, then undone. */
    setup_protect(args);
    EXPECT_EQ(t, raw_syscall(SVC_NtProtectVirtualMemory, args), STATUS_SUCCESS);
    EXPECT_EQ(t, vars.old, PAGE_READWRITE);
    DWORD old;
    EXPECT_TRUE(t, VirtualProtect(VA(VICTIM), PAGE, PAGE_READWRITE, &old));
    setup_free(args);
    vars.size = 0x1000;
    args[3] = MEM_DECOMMIT;
    EXPECT_EQ(t, raw_syscall(SVC_NtFreeVirtualMemory, args), STATUS_SUCCESS);
    EXPECT_PTR_NE(t, VirtualAlloc(VA(VICTIM), PAGE, MEM_COMMIT, PAGE_READWRITE), NULL);
    setup_lock(args);
    EXPECT_EQ(t, raw_syscall(SVC_NtLockVirtualMemory, args), STATUS_SUCCESS);
    setup_lock(args);
    EXPECT_EQ(t, raw_syscall(SVC_NtUnlockVirtualMemory, args), STATUS_SUCCESS);
    /* ReturnLength is optional. */
    setup_query(args);
    args[5] = 0;
    EXPECT_EQ(t, raw_syscall(SVC_NtQueryVirtualMemory, args), STATUS_SUCCESS);
    EXPECT_EQ(t, U32(vars.mbi.BaseAddress), VICTIM);
    /* Input parameters may live in read-only memory. */
    static const char ro_text[] = "    # usecurity: NtDebugPrint from read-only memory\n";
    args[0] = U32(ro_text);
    args[1] = sizeof(ro_text) - 1;
    EXPECT_EQ(t, raw_syscall(SVC_NtDebugPrint, args), STATUS_SUCCESS);
}

/* Parameters that are not pointers but get the documented errors. */
static void other_parameter_errors(struct utest *t)
{
    uint32_t args[8];

    setup_query(args);
    args[1] = 0x80100000;               /* a kernel address to describe */
    expect_call_fails(t, __LINE__, "NtQueryVirtualMemory of a kernel address", SVC_NtQueryVirtualMemory,
                      args, STATUS_INVALID_PARAMETER);
    setup_query(args);
    args[2] = 0x7F;
    expect_call_fails(t, __LINE__, "NtQueryVirtualMemory class 0x7F", SVC_NtQueryVirtualMemory, args,
                      STATUS_INVALID_INFO_CLASS);
    setup_query(args);
    args[4] = sizeof(MEMORY_BASIC_INFORMATION) - 1;
    expect_call_fails(t, __LINE__, "NtQueryVirtualMemory short buffer", SVC_NtQueryVirtualMemory, args,
                      STATUS_INFO_LENGTH_MISMATCH);
    setup_counters(args);
    args[1] = sizeof(SYSTEM_MEMORY_COUNTERS) - 1;
    expect_call_fails(t, __LINE__, "NtQuerySystemCounters short buffer", SVC_NtQuerySystemCounters, args,
                      STATUS_INFO_LENGTH_MISMATCH);
    setup_raise(args);
    vars.rec.NumberParameters = EXCEPTION_MAXIMUM_PARAMETERS + 1;
    expect_call_fails(t, __LINE__, "NtRaiseException with 16 parameters", SVC_NtRaiseException, args,
                      STATUS_INVALID_PARAMETER);
}

/* Handles other than the current process's pseudo-handle. */
static void wrong_process_handles(struct utest *t)
{
    static const uint32_t handles[] = { 0x1234, 0x7FFFFFFC, 0x80000000, 0xFFFFFFF0 };
    uint32_t args[8];
    char what[96];

    for (unsigned h = 0; h < ARRAY_SIZE(handles); h++) {
        setup_alloc(args);
        args[0] = handles[h];
        snprintf(what, sizeof(what), "NtAllocateVirtualMemory handle %08lx", (unsigned long)handles[h]);
        expect_call_fails(t, __LINE__, what, SVC_NtAllocateVirtualMemory, args, STATUS_INVALID_HANDLE);
        setup_free(args);
        args[0] = handles[h];
        expect_call_fails(t, __LINE__, "NtFreeVirtualMemory, wrong handle", SVC_NtFreeVirtualMemory, args,
                          STATUS_INVALID_HANDLE);
        setup_protect(args);
        args[0] = handles[h];
        expect_call_fails(t, __LINE__, "NtProtectVirtualMemory, wrong handle", SVC_NtProtectVirtualMemory,
                          args, STATUS_INVALID_HANDLE);
        setup_query(args);
        args[0] = handles[h];
        expect_call_fails(t, __LINE__, "NtQueryVirtualMemory, wrong handle", SVC_NtQueryVirtualMemory, args,
                          STATUS_INVALID_HANDLE);
        args[0] = handles[h];
        args[1] = 0xBAD;
        snprintf(what, sizeof(what), "NtTerminateProcess handle %08lx", (unsigned long)handles[h]);
        expect_call_fails(t, __LINE__, what, SVC_NtTerminateProcess, args, STATUS_INVALID_HANDLE);
    }
}

/* ---- the argument pointer (EDX) and the service number ---------------------------- */

struct bad_edx {
    const char *name;
    uint32_t (*at)(uint32_t bytes);
};

static uint32_t edx_straddle(uint32_t bytes) { return PG_EDGE_END - bytes + 2; }
static uint32_t bp_kernel_vm(uint32_t n) { (void)n; return 0xC0800000; }

static const struct bad_edx bad_edxs[] = {
    { "NULL", bp_null },
    { "kernel image", bp_kernel_image },
    { "page tables", bp_page_tables },
    { "kernel VM", bp_kernel_vm },
    { "wrapping", bp_wraps },
    { "crossing 0x80000000", bp_crosses_into_kernel },
    { "free user memory", bp_free },
    { "reserved page", bp_reserved },
    { "PAGE_NOACCESS page", bp_noaccess },
    { "last argument off the page", edx_straddle },
};

struct svc_args {
    const char *name;
    uint32_t number;
    int argc;
    uint32_t args[8];                   /* harmless even if the kernel did use them */
};

static void every_service_bad_argument_pointer(struct utest *t)
{
    const struct svc_args list[] = {
        { "NtAllocateVirtualMemory", SVC_NtAllocateVirtualMemory, 6,
          { 0x1234, U32(&vars.base), 0, U32(&vars.size), MEM_RESERVE, PAGE_READWRITE } },
        { "NtFreeVirtualMemory", SVC_NtFreeVirtualMemory, 4,
          { 0x1234, U32(&vars.base), U32(&vars.size), MEM_RELEASE } },
        { "NtProtectVirtualMemory", SVC_NtProtectVirtualMemory, 5,
          { 0x1234, U32(&vars.base), U32(&vars.size), PAGE_READONLY, U32(&vars.old) } },
        { "NtQueryVirtualMemory", SVC_NtQueryVirtualMemory, 6,
          { 0x1234, VICTIM, 0, U32(&vars.mbi), sizeof(MEMORY_BASIC_INFORMATION), 0 } },
        { "NtTerminateProcess", SVC_NtTerminateProcess, 2, { 0x1234, 0xBAD } },
        { "NtContinue", SVC_NtContinue, 2, { 0, 0 } },
        { "NtDebugPrint", SVC_NtDebugPrint, 2, { 0, 0 } },
        { "NtSetExceptionDispatcher", SVC_NtSetExceptionDispatcher, 1, { 0 } },
        { "NtRaiseException", SVC_NtRaiseException, 3, { 0, 0, TRUE } },
        { "NtQuerySystemCounters", SVC_NtQuerySystemCounters, 2, { 0, 0 } },
    };
    char what[128];
    int calls = 0;

    vars.base = VICTIM;
    vars.size = 0;
    for (unsigned s = 0; s < ARRAY_SIZE(list); s++) {
        const struct svc_args *sa = &list[s];
        for (unsigned b = 0; b < ARRAY_SIZE(bad_edxs); b++) {
            uint32_t bytes = 4 * sa->argc;
            uint32_t edx = bad_edxs[b].at(bytes);
            if (bad_edxs[b].at == edx_straddle)         /* the part that fits is the real thing */
                memcpy(VA(edx), sa->args, bytes - 2);
            snprintf(what, sizeof(what), "%s with EDX = %s (%08lx)", sa->name, bad_edxs[b].name,
                     (unsigned long)edx);
            expect_call_fails(t, __LINE__, what, sa->number, VA(edx), STATUS_ACCESS_VIOLATION);
            calls++;
        }
    }
    memset(VA(PG_EDGE), ' ', PAGE);
    utest_log("%d calls with a bad argument pointer", calls);
}

/* The arguments themselves may sit in read-only memory. */
static void argument_block_may_be_read_only(struct utest *t)
{
    DWORD old;
    SYSTEM_MEMORY_COUNTERS *out = (SYSTEM_MEMORY_COUNTERS *)(PG_RW + 0x100);
    uint32_t block[2] = { U32(out), sizeof(*out) };

    EXPECT_TRUE(t, VirtualProtect(VA(PG_RO), PAGE, PAGE_READWRITE, &old));
    memcpy(VA(PG_RO + 0xFF8), block, sizeof(block));    /* the last 8 bytes of the page */
    EXPECT_TRUE(t, VirtualProtect(VA(PG_RO), PAGE, PAGE_READONLY, &old));
    memset(out, 0, sizeof(*out));
    EXPECT_EQ(t, raw_syscall(SVC_NtQuerySystemCounters, VA(PG_RO + 0xFF8)), STATUS_SUCCESS);
    EXPECT_GT(t, out->CommitLimit, 0);
    EXPECT_TRUE(t, VirtualProtect(VA(PG_RO), PAGE, PAGE_READWRITE, &old));
    memset(VA(PG_RO), RO_FILL, PAGE);
    EXPECT_TRUE(t, VirtualProtect(VA(PG_RO), PAGE, PAGE_READONLY, &old));
}

static void unknown_service_numbers(struct utest *t)
{
    static const uint32_t numbers[] = {
        SVC_COUNT, SVC_COUNT + 1, 0x1F, 0x20, 0x2E, 0xFF, 0x100, 0x1000, 0x1001, 0x7FFFFFFF,
        0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF,
    };
    uint32_t zeros[8] = { 0 };
    char what[96];

    for (unsigned i = 0; i < ARRAY_SIZE(numbers); i++) {
        snprintf(what, sizeof(what), "service %08lx", (unsigned long)numbers[i]);
        expect_call_fails(t, __LINE__, what, numbers[i], zeros, STATUS_INVALID_SYSTEM_SERVICE);
        expect_call_fails(t, __LINE__, what, numbers[i], VA(0x80100000), STATUS_INVALID_SYSTEM_SERVICE);
    }
}

/* ntsvc.h: every register except EAX, ECX and EDX survives `int 0x2E`. */
uint32_t usec_regs[5];

static void registers_preserved_across_syscall(struct utest *t)
{
    static const struct {
        uint32_t number, edx;
        NTSTATUS want;
    } calls[] = {
        { SVC_NtYieldExecution, 0, STATUS_SUCCESS },
        { 0x1234, 0, STATUS_INVALID_SYSTEM_SERVICE },
        { SVC_NtQuerySystemCounters, 0x80100000, STATUS_ACCESS_VIOLATION },
        { SVC_NtDebugPrint, FREE_ADDR, STATUS_ACCESS_VIOLATION },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(calls); i++) {
        uint32_t eax = calls[i].number, edx = calls[i].edx;
        memset(usec_regs, 0, sizeof(usec_regs));
        __asm__ volatile("pushl %%ebp\n\t"
                         "pushl %%ebx\n\t"
                         "movl $0x11111111, %%ebx\n\t"
                         "movl $0x22222222, %%esi\n\t"
                         "movl $0x33333333, %%edi\n\t"
                         "movl $0x44444444, %%ebp\n\t"
                         "std\n\t"
                         "int $0x2E\n\t"
                         "movl %%ebx, usec_regs\n\t"
                         "movl %%esi, usec_regs+4\n\t"
                         "movl %%edi, usec_regs+8\n\t"
                         "movl %%ebp, usec_regs+12\n\t"
                         "pushfl\n\t"
                         "popl usec_regs+16\n\t"
                         "cld\n\t"
                         "popl %%ebx\n\t"
                         "popl %%ebp\n\t"
                         : "+a"(eax), "+d"(edx)
                         :
                         : "ecx", "esi", "edi", "memory", "cc");
        EXPECT_EQ(t, eax, (uint32_t)calls[i].want);
        EXPECT_EQ(t, usec_regs[0], 0x11111111);
        EXPECT_EQ(t, usec_regs[1], 0x22222222);
        EXPECT_EQ(t, usec_regs[2], 0x33333333);
        EXPECT_EQ(t, usec_regs[3], 0x44444444);
        EXPECT_EQ(t, usec_regs[4] & 0x400, 0x400);      /* DF as the program left it */
        EXPECT_EQ(t, usec_regs[4] & 0x3000, 0);         /* IOPL 0 */
    }
}

/* ---- suites ---------------------------------------------------------------------------- */

static const struct utest_case pointer_cases[] = {
    UTEST_CASE(valid_arguments_succeed),
    UTEST_CASE(every_pointer_parameter_checked),
    UTEST_CASE(other_parameter_errors),
    UTEST_CASE(wrong_process_handles),
    UTEST_END,
};

static const struct utest_case boundary_cases[] = {
    UTEST_CASE(every_service_bad_argument_pointer),
    UTEST_CASE(argument_block_may_be_read_only),
    UTEST_CASE(unknown_service_numbers),
    UTEST_CASE(registers_preserved_across_syscall),
    UTEST_END,
};

const struct utest_suite usec_pointer_suite = {
    .name = "usec_pointer_parameters", .cases = pointer_cases,
};
const struct utest_suite usec_boundary_suite = {
    .name = "usec_service_boundary", .cases = boundary_cases,
};
