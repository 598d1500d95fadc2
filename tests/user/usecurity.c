/* The system-call boundary as an attacker sees it (issue 5, "Security").
 *
 * - Every pointer parameter of every service in ntsvc.h, table-driven:
 *   a kernel address, an address that wraps or crosses into kernel
 *   space, NULL (where the parameter is not optional), free, reserved and
 *   no-access user memory, a pointer whose object runs off the end of a
 *   committed page, and a read-only page for output parameters.  Each
 *   call must return STATUS_ACCESS_VIOLATION, raise nothing, and change
 *   nothing: the address space (every region VirtualQuery reports), the
 *   commit charge, the number of allocations, the caller's variables and
 *   the read-only page are compared before and after.
 * - The argument pointer itself (EDX) bad, for every service that takes
 *   arguments; unknown service numbers; wrong process handles; registers
 *   preserved across `int 0x2E` as ntsvc.h promises.
 * - Ring-3 reads, writes and calls of kernel addresses are access
 *   violations delivered to the program with the exact address;
 *   privileged instructions, kernel gates and kernel selectors fault;
 *   NtContinue cannot raise the privilege level, IOPL or enter v86 mode.
 * - VirtualAlloc at or above 0x7FFF0000 or below 0x10000 fails (spec A2,
 *   A3), and so do VirtualFree / VirtualProtect on kernel addresses.
 *
 * The raw calls use `int 0x2E` directly (uspace.h: raw_syscall), so the
 * SDK's wrappers cannot mask what the kernel does.  NtTerminateProcess is
 * never called with the current-process handle. */
#include "utest.h"
#include "uspace.h"
#include <stdio.h>

#define FIX 0x30000000u                 /* the fixture's pages, see fixture_init */
#define PG_RW (FIX + 0 * PAGE)          /* scratch, readable and writable */
#define PG_RO (FIX + 1 * PAGE)          /* read-only, filled with RO_FILL */
#define PG_NOACCESS (FIX + 2 * PAGE)    /* committed PAGE_NOACCESS */
#define PG_RESERVED (FIX + 3 * PAGE)    /* reserved, not committed */
#define PG_EDGE (FIX + 4 * PAGE)        /* readable and writable ... */
#define PG_EDGE_END (FIX + 5 * PAGE)    /* ... followed by a reserved page */
#define FIX_PAGES 6
#define VICTIM 0x31000000u              /* one committed page the calls aim at */
#define FREE_ADDR 0x50000000u           /* nothing there */
#define RO_FILL 0xA5u

#ifndef STATUS_SINGLE_STEP
#define STATUS_SINGLE_STEP ((NTSTATUS)0x80000004L)
#endif

/* The SDK's dispatcher (libc/user/sdk.h), to put it back after a test
 * registered its own. */
void sdk_dispatcher_entry(void);
__attribute__((noreturn)) void sdk_dispatch_exception(EXCEPTION_RECORD *rec, CONTEXT *ctx);

/* RtlCaptureContext returns again when its context is continued. */
void NTAPI RtlCaptureContext(PCONTEXT ContextRecord) __attribute__((returns_twice));

/* ---- fixture ---------------------------------------------------------------------- */

static int fixture_init(void)
{
    DWORD old;

    if (VirtualAlloc(VA(FIX), FIX_PAGES * PAGE, MEM_RESERVE, PAGE_READWRITE) == NULL ||
        VirtualAlloc(VA(PG_RW), PAGE, MEM_COMMIT, PAGE_READWRITE) == NULL ||
        VirtualAlloc(VA(PG_RO), PAGE, MEM_COMMIT, PAGE_READWRITE) == NULL ||
        VirtualAlloc(VA(PG_NOACCESS), PAGE, MEM_COMMIT, PAGE_NOACCESS) == NULL ||
        VirtualAlloc(VA(PG_EDGE), PAGE, MEM_COMMIT, PAGE_READWRITE) == NULL ||
        VirtualAlloc(VA(VICTIM), PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == NULL) {
        printf("# usecurity: fixture allocation failed, error %lu\n", GetLastError());
        return 1;
    }
    memset(VA(PG_RO), RO_FILL, PAGE);
    memset(VA(PG_EDGE), ' ', PAGE);
    if (!VirtualProtect(VA(PG_RO), PAGE, PAGE_READONLY, &old))
        return 1;
    return 0;
}

static void fixture_exit(void)
{
    VirtualFree(VA(FIX), 0, MEM_RELEASE);
    VirtualFree(VA(VICTIM), 0, MEM_RELEASE);
}

static bool ro_page_intact(void)
{
    const volatile uint8_t *p = (const volatile uint8_t *)PG_RO;
    for (uint32_t i = 0; i < PAGE; i++)
        if (p[i] != RO_FILL)
            return false;
    return true;
}

/* Everything a failed call must leave alone. */
struct world {
    struct space_map map;
    uint32_t charge, allocations;
};

static struct world world_before, world_after;

static void world_take(struct world *w)
{
    SYSTEM_MEMORY_COUNTERS c = sys_counters();
    space_map_take(&w->map);
    w->charge = c.CommitCharge;
    w->allocations = c.Allocations;
}

/* Fails the case when the world changed; returns true when it did not. */
static bool world_unchanged(struct utest *t, int line, const char *what)
{
    int before = t->failures;

    world_take(&world_after);
    int d = space_map_diff(&world_before.map, &world_after.map);
    if (d >= 0) {
        const MEMORY_BASIC_INFORMATION *a = &world_before.map.r[d], *b = &world_after.map.r[d];
        utest_fail_msg(t, __FILE__, line,
                       "%s changed the address space: region %d was %08lx+%lx state %lx prot %lx, "
                       "now %08lx+%lx state %lx prot %lx", what, d, (unsigned long)U32(a->BaseAddress),
                       (unsigned long)a->RegionSize, a->State, a->Protect,
                       (unsigned long)U32(b->BaseAddress), (unsigned long)b->RegionSize, b->State,
                       b->Protect);
    }
    if (world_after.charge != world_before.charge || world_after.allocations != world_before.allocations)
        utest_fail_msg(t, __FILE__, line,
                       "%s changed the counters: charge %lu -> %lu, allocations %lu -> %lu",
                       what, (unsigned long)world_before.charge, (unsigned long)world_after.charge,
                       (unsigned long)world_before.allocations, (unsigned long)world_after.allocations);
    if (!ro_page_intact())
        utest_fail_msg(t, __FILE__, line, "%s wrote into the read-only page", what);
    return t->failures == before;
}

/* Puts the fixture and the victim back if a call that should have failed
 * did something after all (so one kernel bug does not cascade). */
static void world_repair(void)
{
    struct alloc_set keep;
    MEMORY_BASIC_INFORMATION m;
    DWORD old;

    keep.count = 0;
    for (int i = 0; i < world_before.map.count; i++) {
        const MEMORY_BASIC_INFORMATION *r = &world_before.map.r[i];
        if (r->State != MEM_FREE && !alloc_set_has(&keep, U32(r->AllocationBase)) &&
            keep.count < ALLOC_SET_MAX)
            keep.base[keep.count++] = U32(r->AllocationBase);
    }
    alloc_release_others(&keep);
    if (VirtualQuery(VA(VICTIM), &m, sizeof(m)) == sizeof(m)) {
        if (m.State == MEM_FREE)
            VirtualAlloc(VA(VICTIM), PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        else if (m.State != MEM_COMMIT || m.Protect != PAGE_READWRITE)
            VirtualAlloc(VA(VICTIM), PAGE, MEM_COMMIT, PAGE_READWRITE);
    }
    VirtualProtect(VA(VICTIM), PAGE, PAGE_READWRITE, &old);
}

/* ---- the services and their pointer parameters ------------------------------------ */

/* The variables the valid arguments point at. */
struct call_vars {
    uint32_t base, size, old, ret;
    MEMORY_BASIC_INFORMATION mbi;
    SYSTEM_MEMORY_COUNTERS counters;
    EXCEPTION_RECORD rec;
    CONTEXT ctx;
    char text[32];
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

/* A context that resumes nowhere useful: only ever passed with a bad
 * pointer in its place (or caught by UTEST_CATCH, which redirects it). */
static void setup_context(CONTEXT *c)
{
    RtlCaptureContext(c);
    c->Esp = current_esp() - 0x4000;    /* well below anything live */
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

static void setup_counters(uint32_t *a)
{
    memset(&vars.counters, 0xCC, sizeof(vars.counters));
    a[0] = U32(&vars.counters);
    a[1] = sizeof(vars.counters);
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
};

/* The services without pointer parameters are covered below too:
 * NtTerminateProcess (handles), NtYieldExecution (no arguments),
 * NtSetExceptionDispatcher (a code address, never dereferenced by the
 * kernel).  This keeps the table honest: */
_Static_assert(SVC_COUNT == 14, "a service was added: add it to the tables here (0x0B-0x0D: udep.c)");

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
    uint32_t args[6];
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
    uint32_t args[6];
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
    uint32_t args[6];

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
    uint32_t args[6];
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
    uint32_t args[6];                   /* harmless even if the kernel did use them */
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
        SVC_COUNT, SVC_COUNT + 1, 0x0F, 0x10, 0x2E, 0xFF, 0x100, 0x1000, 0x1001, 0x7FFFFFFF,
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

/* ---- ring 3 against kernel memory and privileged state ------------------------------ */

static const uint32_t kernel_addrs[] = {
    0x80000000, 0x80100000, 0x80100FFF, 0x80200000, 0xC0000000, 0xC0300000, 0xC0300800,
    0xC0400000, 0xC0800000, 0xE0000000, 0xFFC00000, 0xFFFFF000, 0xFFFFFFFF,
};

#define EXPECT_AV(t, stmt, kind, addr)                                        \
    do {                                                                      \
        struct utest_exception x_;                                            \
        EXPECT_EXCEPTION(t, &x_, stmt);                                       \
        if (x_.caught) {                                                      \
            EXPECT_EQ(t, x_.code, EXCEPTION_ACCESS_VIOLATION);                \
            EXPECT_EQ(t, x_.nparams, 2);                                      \
            EXPECT_EQ(t, x_.info[0], kind);                                   \
            EXPECT_EQ(t, x_.info[1], (uintptr_t)(addr));                      \
        }                                                                     \
    } while (0)

static void user_reads_and_writes_of_kernel_fault(struct utest *t)
{
    volatile uint8_t sink = 0;

    for (volatile unsigned i = 0; i < ARRAY_SIZE(kernel_addrs); i++) {
        uint32_t a = kernel_addrs[i];
        EXPECT_AV(t, sink = *(volatile uint8_t *)a, EXCEPTION_READ_FAULT, a);
        EXPECT_AV(t, *(volatile uint8_t *)a = 0x5A, EXCEPTION_WRITE_FAULT, a);
    }
    /* A 4-byte read that starts in the guard area below 2 GiB. */
    EXPECT_AV(t, sink = (uint8_t) * (volatile uint32_t *)0x7FFFFFFE, EXCEPTION_READ_FAULT, 0x7FFFFFFE);
    (void)sink;
}

typedef void (*void_fn)(void);

static void user_calls_into_kernel_fault(struct utest *t)
{
    static const uint32_t targets[] = { 0x80100000, 0xC0000000, 0xFFFFFFF0 };

    for (volatile unsigned i = 0; i < ARRAY_SIZE(targets); i++) {
        struct utest_exception x;
        EXPECT_EXCEPTION(t, &x, ((void_fn)targets[i])());
        if (!x.caught)
            continue;
        EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
        EXPECT_TRUE(t, x.info[0] == EXCEPTION_READ_FAULT || x.info[0] == EXCEPTION_EXECUTE_FAULT);
        EXPECT_EQ(t, x.info[1], targets[i]);
        EXPECT_EQ(t, x.eip, targets[i]);
    }
}

/* A privileged instruction, a kernel-only gate or selector: Windows
 * reports EXCEPTION_PRIV_INSTRUCTION or (for #GP) an access violation. */
#define EXPECT_PRIVILEGED(t, insn, ...)                                       \
    do {                                                                      \
        struct utest_exception x_;                                            \
        EXPECT_EXCEPTION(t, &x_, __asm__ volatile(insn ::: "memory", ##__VA_ARGS__)); \
        if (x_.caught && x_.code != EXCEPTION_PRIV_INSTRUCTION &&             \
            x_.code != EXCEPTION_ACCESS_VIOLATION)                            \
            utest_fail_msg(t, __FILE__, __LINE__, "`%s` raised 0x%08lx", insn, x_.code); \
    } while (0)

static void privileged_instructions_fault(struct utest *t)
{
    EXPECT_PRIVILEGED(t, "cli");
    EXPECT_PRIVILEGED(t, "sti");
    EXPECT_PRIVILEGED(t, "hlt");
    EXPECT_PRIVILEGED(t, "inb $0x80, %%al", "eax");
    EXPECT_PRIVILEGED(t, "outb %%al, $0x80");
    EXPECT_PRIVILEGED(t, "movl %%cr0, %%eax", "eax");
    EXPECT_PRIVILEGED(t, "movl %%cr3, %%eax\n\tmovl %%eax, %%cr3", "eax");
    EXPECT_PRIVILEGED(t, "lgdt (%%esp)");
    EXPECT_PRIVILEGED(t, "lidt (%%esp)");
    EXPECT_PRIVILEGED(t, "xorl %%eax, %%eax\n\tltr %%ax", "eax");
    EXPECT_PRIVILEGED(t, "invlpg (%%esp)");
    EXPECT_PRIVILEGED(t, "wbinvd");
    EXPECT_PRIVILEGED(t, "clts");
    EXPECT_PRIVILEGED(t, "xorl %%ecx, %%ecx\n\trdmsr", "eax", "ecx", "edx");
    EXPECT_PRIVILEGED(t, "movl $0x1B, %%ecx\n\txorl %%eax, %%eax\n\txorl %%edx, %%edx\n\twrmsr",
                      "eax", "ecx", "edx");
}

static void kernel_gates_and_selectors_fault(struct utest *t)
{
    /* Interrupt gates that are not for ring 3: the page-fault and
     * double-fault vectors, the timer and keyboard IRQs, an empty one. */
    EXPECT_PRIVILEGED(t, "int $0x0E");
    EXPECT_PRIVILEGED(t, "int $0x08");
    EXPECT_PRIVILEGED(t, "int $0x0D");
    EXPECT_PRIVILEGED(t, "int $0x20");
    EXPECT_PRIVILEGED(t, "int $0x21");
    EXPECT_PRIVILEGED(t, "int $0x80");
    EXPECT_PRIVILEGED(t, "int $0xFF");
    /* Kernel data, the TSS and the double-fault task as data selectors. */
    EXPECT_PRIVILEGED(t, "movl $0x10, %%eax\n\tmovl %%eax, %%ds", "eax");
    EXPECT_PRIVILEGED(t, "movl $0x10, %%eax\n\tmovl %%eax, %%ss", "eax");
    EXPECT_PRIVILEGED(t, "movl $0x28, %%eax\n\tmovl %%eax, %%es", "eax");
    /* Far transfers to the kernel code segment and into the kernel's tasks. */
    EXPECT_PRIVILEGED(t, "lcall $0x08, $0");
    EXPECT_PRIVILEGED(t, "ljmp $0x08, $0");
    EXPECT_PRIVILEGED(t, "ljmp $0x28, $0");
    EXPECT_PRIVILEGED(t, "ljmp $0x30, $0");
    /* An iret to ring 0 built by hand. */
    EXPECT_PRIVILEGED(t, "pushfl\n\tpushl $0x08\n\tpushl $0x80100000\n\tiret");
    /* The data segments still work afterwards. */
    volatile uint32_t probe = 0x600D;
    EXPECT_EQ(t, probe, 0x600D);
}

/* Single-stepping (EFLAGS.TF set by the program itself): the trap goes to
 * the program as EXCEPTION_SINGLE_STEP; the handler clears TF. */
extern const char usec_after_popf[];
static DWORD step_code;
static uint32_t step_eip;
static int step_calls;

static LONG CALLBACK single_step_handler(PEXCEPTION_POINTERS ep)
{
    if (ep->ContextRecord->Eip < U32(usec_after_popf) || ep->ContextRecord->Eip > U32(usec_after_popf) + 8)
        return EXCEPTION_CONTINUE_SEARCH;
    step_calls++;
    step_code = ep->ExceptionRecord->ExceptionCode;
    step_eip = ep->ContextRecord->Eip;
    ep->ContextRecord->EFlags &= ~0x100u;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static void user_single_step_is_delivered(struct utest *t)
{
    step_calls = 0;
    PVOID h = AddVectoredExceptionHandler(1, single_step_handler);
    __asm__ volatile("pushfl\n\t"
                     "orl $0x100, (%%esp)\n\t"
                     "popfl\n\t"
                     ".globl usec_after_popf\nusec_after_popf:\n\t"
                     "nop\n\t"
                     "nop\n\t"
                     "nop\n\t"
                     "pushfl\n\t"
                     "andl $0xFFFFFEFF, (%%esp)\n\t"
                     "popfl\n\t"
                     ::: "memory", "cc");
    RemoveVectoredExceptionHandler(h);
    EXPECT_EQ(t, step_calls, 1);
    EXPECT_EQ(t, step_code, (DWORD)STATUS_SINGLE_STEP);
    EXPECT_EQ(t, step_eip, U32(usec_after_popf) + 1);   /* after the first nop */
}

/* NtContinue with a CONTEXT that asks for ring 0, IOPL 3, v86 mode,
 * nested task, interrupts off: the kernel must give ring 3, IOPL 0,
 * interrupts on, and the ring-3 selectors. */
static CONTEXT evil;

static void continue_cannot_raise_privilege(struct utest *t)
{
    volatile int pass = 0;
    uint32_t cs, ss, ds, fl;

    RtlCaptureContext(&evil);
    if (pass++ == 0) {
        evil.SegCs = 0x08;
        evil.SegSs = 0x10;
        evil.SegDs = evil.SegEs = evil.SegFs = evil.SegGs = 0x10;
        evil.EFlags |= 0x3000 | 0x4000 | 0x20000;   /* IOPL 3, NT, VM */
        evil.EFlags &= ~0x200u;                     /* IF off */
        NTSTATUS st = NtContinue(&evil, FALSE);
        utest_fail_msg(t, __FILE__, __LINE__, "NtContinue returned 0x%08lx", (unsigned long)st);
        return;
    }
    __asm__ volatile("movl %%cs, %0\n\t"
                     "movl %%ss, %1\n\t"
                     "movl %%ds, %2\n\t"
                     "pushfl\n\t"
                     "popl %3"
                     : "=r"(cs), "=r"(ss), "=r"(ds), "=r"(fl));
    EXPECT_EQ(t, pass, 2);
    EXPECT_EQ(t, cs & 3, 3);
    EXPECT_EQ(t, ss & 3, 3);
    EXPECT_EQ(t, ds & 3, 3);
    EXPECT_EQ(t, fl & 0x3000, 0);
    EXPECT_EQ(t, fl & 0x4000, 0);
    EXPECT_EQ(t, fl & 0x20000, 0);
    EXPECT_EQ(t, fl & 0x200, 0x200);
    EXPECT_PRIVILEGED(t, "cli");                    /* still not allowed */
}

/* NtContinue to a kernel EIP: the fetch faults in ring 3. */
static void continue_to_kernel_eip_faults(struct utest *t)
{
    struct utest_exception x;
    static CONTEXT c;

    setup_context(&c);
    c.Esp = current_esp() - 0x1000;
    c.Eip = 0x80100000;
    EXPECT_EXCEPTION(t, &x, NtContinue(&c, FALSE));
    if (x.caught) {
        EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
        EXPECT_TRUE(t, x.info[0] == EXCEPTION_READ_FAULT || x.info[0] == EXCEPTION_EXECUTE_FAULT);
        EXPECT_EQ(t, x.info[1], 0x80100000);
        EXPECT_EQ(t, x.eip, 0x80100000);
    }
}

/* NtSetExceptionDispatcher: bad values are refused and the registered
 * dispatcher stays; a good one gets the documented frame. */
static void set_dispatcher_refuses_bad_values(struct utest *t)
{
    static const uint32_t bad[] = { 0, 0x80000000, 0x80100000, 0xC0000000, 0xFFFFFFFF };
    uint32_t args[1];
    struct utest_exception x;

    for (volatile unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        args[0] = bad[i];
        world_take(&world_before);
        NTSTATUS st = raw_syscall(SVC_NtSetExceptionDispatcher, args);
        if (NT_SUCCESS(st)) {
            utest_fail_msg(t, __FILE__, __LINE__, "NtSetExceptionDispatcher(%08lx) succeeded",
                           (unsigned long)bad[i]);
            NtSetExceptionDispatcher((PVOID)sdk_dispatcher_entry);
        } else {
            utest_log("NtSetExceptionDispatcher(%08lx) -> 0x%08lx", (unsigned long)bad[i], (unsigned long)st);
        }
        world_unchanged(t, __LINE__, "NtSetExceptionDispatcher");
        /* Exceptions still reach the program through the SDK. */
        EXPECT_EXCEPTION(t, &x, __asm__ volatile("ud2"));
        EXPECT_EQ(t, x.code, EXCEPTION_ILLEGAL_INSTRUCTION);
    }
}

/* A dispatcher of our own: records the frame the kernel built, skips the
 * ud2 and continues.  Anything else goes to the SDK's. */
uint32_t usec_frame[4];
static EXCEPTION_RECORD frame_rec;
static CONTEXT frame_ctx;
static int frame_calls;
extern const char usec_ud2_ip[];

void usec_dispatch_c(EXCEPTION_RECORD *rec, CONTEXT *ctx);
void usec_dispatch_c(EXCEPTION_RECORD *rec, CONTEXT *ctx)
{
    if (ctx->Eip != U32(usec_ud2_ip)) {
        NtSetExceptionDispatcher((PVOID)sdk_dispatcher_entry);
        sdk_dispatch_exception(rec, ctx);
    }
    frame_calls++;
    frame_rec = *rec;
    frame_ctx = *ctx;
    ctx->Eip += 2;
    NtContinue(ctx, FALSE);
    NtTerminateProcess(NtCurrentProcess(), 0xDEAD0001);     /* NtContinue failed: give up */
}

void usec_dispatcher(void);
__asm__(".text\n"
        ".globl usec_dispatcher\n"
        "usec_dispatcher:\n\t"
        "movl (%esp), %eax\n\t"
        "movl %eax, usec_frame\n\t"
        "movl 4(%esp), %eax\n\t"
        "movl %eax, usec_frame+4\n\t"
        "movl 8(%esp), %ecx\n\t"
        "movl %ecx, usec_frame+8\n\t"
        "movl %esp, usec_frame+12\n\t"
        "cld\n\t"
        "andl $-16, %esp\n\t"
        "subl $8, %esp\n\t"
        "pushl %ecx\n\t"
        "pushl %eax\n\t"
        "call usec_dispatch_c\n\t"
        "ud2\n");

static void set_dispatcher_frame_layout(struct utest *t)
{
    uint32_t esp_at;

    frame_calls = 0;
    memset(usec_frame, 0xFF, sizeof(usec_frame));
    ASSERT_EQ(t, NtSetExceptionDispatcher((PVOID)usec_dispatcher), STATUS_SUCCESS);
    __asm__ volatile("movl %%esp, %0\n\t"
                     ".globl usec_ud2_ip\nusec_ud2_ip:\n\t"
                     "ud2\n\t"
                     : "=r"(esp_at)
                     :
                     : "memory");
    EXPECT_EQ(t, NtSetExceptionDispatcher((PVOID)sdk_dispatcher_entry), STATUS_SUCCESS);

    EXPECT_EQ(t, frame_calls, 1);
    EXPECT_EQ(t, usec_frame[0], 0);                        /* no return address */
    uint32_t rec = usec_frame[1], ctx = usec_frame[2];
    EXPECT_EQ(t, rec % 16, 0);
    EXPECT_EQ(t, ctx % 16, 0);
    EXPECT_GE(t, ctx, rec + sizeof(EXCEPTION_RECORD));
    EXPECT_LE(t, ctx + sizeof(CONTEXT), esp_at);          /* below the interrupted ESP */
    EXPECT_LE(t, usec_frame[3] + 12, rec);
    EXPECT_EQ(t, frame_rec.ExceptionCode, EXCEPTION_ILLEGAL_INSTRUCTION);
    EXPECT_EQ(t, U32(frame_rec.ExceptionAddress), U32(usec_ud2_ip));
    EXPECT_EQ(t, frame_ctx.Eip, U32(usec_ud2_ip));
    EXPECT_EQ(t, frame_ctx.Esp, esp_at);
    /* And the SDK's dispatcher is back. */
    struct utest_exception x;
    EXPECT_EXCEPTION(t, &x, __asm__ volatile("ud2"));
    EXPECT_EQ(t, frame_calls, 1);
}

/* ---- address ranges (spec A2, A3) ------------------------------------------------------ */

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

/* ---- suites ------------------------------------------------------------------------------ */

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

static const struct utest_case kernel_cases[] = {
    UTEST_CASE(user_reads_and_writes_of_kernel_fault),
    UTEST_CASE(user_calls_into_kernel_fault),
    UTEST_CASE(privileged_instructions_fault),
    UTEST_CASE(kernel_gates_and_selectors_fault),
    UTEST_CASE(user_single_step_is_delivered),
    UTEST_CASE(continue_cannot_raise_privilege),
    UTEST_CASE(continue_to_kernel_eip_faults),
    UTEST_CASE(set_dispatcher_refuses_bad_values),
    UTEST_CASE(set_dispatcher_frame_layout),
    UTEST_END,
};

static const struct utest_case range_cases[] = {
    UTEST_CASE(alloc_outside_user_range_fails),
    UTEST_CASE(free_and_protect_of_kernel_addresses_fail),
    UTEST_END,
};

static const struct utest_suite pointer_suite = {
    .name = "usec_pointer_parameters", .cases = pointer_cases,
};
static const struct utest_suite boundary_suite = {
    .name = "usec_service_boundary", .cases = boundary_cases,
};
static const struct utest_suite kernel_suite = {
    .name = "usec_kernel_memory", .cases = kernel_cases,
};
static const struct utest_suite range_suite = {
    .name = "usec_address_ranges", .cases = range_cases,
};

static const struct utest_suite *const suites[] = {
    &pointer_suite, &boundary_suite, &kernel_suite, &range_suite, NULL,
};

int main(void)
{
    stack_pregrow(64 * 1024);
    /* The fixture lives for the whole program, so each suite's leak check
     * compares like with like. */
    if (fixture_init() != 0)
        return 1;
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    int r = utest_main(suites);
    fixture_exit();
    return r;
}
