/* System-call fuzzing from ring 3 (issue 5, "Fuzz"): well over 100,000
 * `int 0x2E` calls with random service numbers (valid and not) and random
 * arguments: random values, and pointers into valid, read-only, unmapped
 * and kernel memory.  Seeded: the seed is the "# seed=" line (rebuild with
 * USER_CFLAGS_EXTRA=-DUFUZZ_SEED=N to replay one).
 *
 * What must hold:
 * - the kernel survives, and every call returns a status the services
 *   document (never an unknown code), unknown services give
 *   STATUS_INVALID_SYSTEM_SERVICE, a bad argument pointer (EDX) gives
 *   STATUS_ACCESS_VIOLATION, and no call raises an exception;
 * - the kernel never writes into read-only memory (a read-only page and
 *   the program's own text and read-only data keep their checksums);
 * - every 1,000 calls, and at the end, after releasing what the random
 *   calls allocated, the commit charge, the number of allocations and the
 *   page tables are back at their values from before the loop;
 * - afterwards the process still works: a VirtualAlloc/VirtualFree round
 *   trip, and exceptions still reach the program.
 *
 * What the random calls may not do (they would end or break this program,
 * not the kernel): NtTerminateProcess only with handles other than -1;
 * NtContinue and NtRaiseException only with a pointer that is always bad;
 * NtDebugPrint only with a bad pointer or length 0 (nothing printed);
 * NtSetExceptionDispatcher with anything, the SDK's dispatcher registered
 * again right after; memory calls never aimed at the program's image, its
 * stack or the fuzzer's own pages, and never handed an output pointer
 * into them. */
#include "utest.h"
#include "uspace.h"
#include <stdio.h>

#ifndef UFUZZ_SEED
#define UFUZZ_SEED 0x5EED2E2Eu
#endif
#define CALLS_TARGET 120000
#define CHECK_EVERY 1000
#define SCRATCH 0x3F000000u             /* 2 pages the kernel may write into */
#define SCRATCH_SIZE (2 * PAGE)
#define RO_PAGE 0x3F010000u             /* read-only, RO_FILL */
#define RO_FILL 0x5Au
#define ARENA 0x20000000u               /* where most random allocations go */
#define ARENA_SIZE (64u << 20)

void sdk_dispatcher_entry(void);        /* libc/user/sdk.h */

struct range {
    uint32_t lo, hi;                    /* [lo, hi) */
};

/* Memory the random calls must not operate on, and (first two) must not
 * get output pointers into. */
static struct range image, stack, scratch_r, ro_r;
static uint32_t args[8];                /* the argument block, in .bss (image) */
static uint32_t recent_bases[16];
static uint32_t calls, iteration, skipped, released_total;
static uint32_t succeeded[SVC_COUNT + 1], failed[SVC_COUNT + 1];   /* [SVC_COUNT]: unknown services */
static int failures_logged;

static struct {
    int unknown_status, wrong_invalid_service, wrong_bad_edx, wrong_terminate, raised, leaked;
} bad;

static uint32_t rnd(void)
{
    return utest_random();
}

static uint32_t pick(uint32_t n)
{
    return n == 0 ? 0 : rnd() % n;
}

static bool overlaps(uint32_t lo, uint64_t hi, const struct range *r)
{
    return lo < r->hi && hi > r->lo;
}

static bool hits_own_memory(uint32_t lo, uint64_t hi)
{
    return overlaps(lo, hi, &image) || overlaps(lo, hi, &stack) || overlaps(lo, hi, &scratch_r) ||
           overlaps(lo, hi, &ro_r);
}

/* A 32-bit word at p lies inside the scratch pages. */
static bool in_scratch(uint32_t p)
{
    return p - SCRATCH <= SCRATCH_SIZE - 4;
}

/* ---- random values ------------------------------------------------------------------- */

/* A pointer that is bad whatever the random calls did: below 64 KiB, the
 * guard area below 2 GiB, kernel space, or wrapping. */
static uint32_t always_bad(void)
{
    switch (pick(6)) {
    case 0: return 0;
    case 1: return pick(0x10000);
    case 2: return 0x7FFF0000 + pick(0x10000);
    case 3: return 0x80000000u | rnd();
    case 4: return 0xFFFFFFFFu - pick(64);
    default: return 0x80000000u - 1 - pick(16);
    }
}

/* Where the kernel may write len bytes: the scratch pages, the read-only
 * page, a bad pointer, or anything random that is not the program's own. */
static uint32_t out_ptr(uint32_t len)
{
    uint32_t p;

    switch (pick(6)) {
    case 0:
    case 1: return SCRATCH + (pick(SCRATCH_SIZE - len) & ~3u);
    case 2: return RO_PAGE + pick(PAGE);
    case 3: return always_bad();
    case 4: return ARENA + pick(ARENA_SIZE);
    default:
        p = rnd();
        if (overlaps(p, (uint64_t)p + len, &image) || overlaps(p, (uint64_t)p + len, &stack))
            p = SCRATCH + (p & (PAGE - 4));
        return p;
    }
}

static uint32_t random_size(void)
{
    switch (pick(11)) {
    case 9: return 0;
    case 0: return 0;
    case 1: return 1 + pick(0x3000);
    case 2: return PAGE * (1 + pick(16));
    case 3: return GRAN * (1 + pick(8));
    case 4: return pick(0x200000);
    case 5: return 0xFFFFF000u;
    case 6: return 0x80000000u;
    case 7: return rnd();
    default: return PAGE;
    }
}

/* An address to allocate, free, protect or query at. */
static uint32_t random_address(void)
{
    switch (pick(11)) {
    case 0: return 0;
    case 1: return ARENA + pick(ARENA_SIZE / GRAN) * GRAN;
    case 2: return ARENA + pick(ARENA_SIZE);
    case 3: return rnd();
    case 4: return rnd() & 0x7FFFFFFFu;
    case 5: return always_bad();
    default: return recent_bases[pick(16)] + (pick(3) == 0 ? pick(0x4000) : 0);
    }
}

/* The random calls never aim at the program's own allocations. */
static uint32_t safe_target(uint32_t base, uint32_t size)
{
    uint32_t lo = base & ~(GRAN - 1);
    uint64_t hi = (uint64_t)base + (size == 0 ? 1 : size) + GRAN;

    if (base != 0 && hits_own_memory(lo, hi))
        return ARENA + pick(ARENA_SIZE / GRAN) * GRAN;
    return base;
}

static uint32_t random_alloc_type(void)
{
    static const uint32_t types[] = {
        MEM_RESERVE, MEM_COMMIT, MEM_RESERVE | MEM_COMMIT, MEM_RESERVE | MEM_TOP_DOWN,
        MEM_RESERVE | MEM_COMMIT | MEM_TOP_DOWN, MEM_RESET, MEM_RESET_UNDO, MEM_RESET | MEM_COMMIT, 0,
        MEM_DECOMMIT, MEM_RELEASE, AT_ROUND_TO_PAGE | MEM_RESERVE, MEM_COMMIT, MEM_COMMIT,
        MEM_RESERVE | MEM_COMMIT,
    };
    return pick(8) == 0 ? rnd() : types[pick(ARRAY_SIZE(types))];
}

static uint32_t random_protect(void)
{
    static const uint32_t base[] = {
        PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE, PAGE_EXECUTE_READ,
        PAGE_EXECUTE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE_WRITECOPY, 0, PAGE_READWRITE,
        PAGE_READWRITE, PAGE_READONLY,
    };
    static const uint32_t mods[] = { 0, 0, 0, 0, 0, 0, PAGE_GUARD, PAGE_NOCACHE, PAGE_WRITECOMBINE,
                                     PAGE_GUARD | PAGE_NOCACHE };
    if (pick(10) == 0)
        return rnd();
    return base[pick(ARRAY_SIZE(base))] | mods[pick(ARRAY_SIZE(mods))];
}

static uint32_t random_free_type(void)
{
    static const uint32_t types[] = { MEM_DECOMMIT, MEM_DECOMMIT, MEM_RELEASE, MEM_RELEASE, MEM_RELEASE, 0,
                                      MEM_FREE, MEM_DECOMMIT | MEM_RELEASE };
    return pick(10) == 0 ? rnd() : types[pick(ARRAY_SIZE(types))];
}

static uint32_t process_handle(void)
{
    return pick(8) == 0 ? rnd() : U32(NtCurrentProcess());
}

/* ---- the calls --------------------------------------------------------------------------- */

static bool known_status(NTSTATUS st)
{
    static const NTSTATUS known[] = {
        STATUS_SUCCESS, STATUS_ACCESS_VIOLATION, STATUS_INVALID_PARAMETER, STATUS_INVALID_PARAMETER_1,
        STATUS_INVALID_PARAMETER_2, STATUS_INVALID_PARAMETER_3, STATUS_INVALID_PARAMETER_4,
        STATUS_INVALID_PARAMETER_5, STATUS_INVALID_PAGE_PROTECTION, STATUS_CONFLICTING_ADDRESSES,
        STATUS_FREE_VM_NOT_AT_BASE, STATUS_MEMORY_NOT_ALLOCATED, STATUS_NOT_COMMITTED, STATUS_NO_MEMORY,
        STATUS_COMMITMENT_LIMIT, STATUS_INFO_LENGTH_MISMATCH, STATUS_UNABLE_TO_FREE_VM,
        STATUS_INVALID_HANDLE, STATUS_INVALID_INFO_CLASS, STATUS_GUARD_PAGE_VIOLATION,
        STATUS_INVALID_SYSTEM_SERVICE, STATUS_PRIVILEGE_NOT_HELD,
    };
    for (unsigned i = 0; i < ARRAY_SIZE(known); i++)
        if (st == known[i])
            return true;
    return false;
}

static void log_call(const char *why, uint32_t number, uint32_t edx, NTSTATUS st)
{
    if (failures_logged++ >= 12)
        return;
    utest_log("iteration %lu: %s: service %08lx edx %08lx args %08lx %08lx %08lx %08lx %08lx %08lx -> %08lx",
              (unsigned long)iteration, why, (unsigned long)number, (unsigned long)edx,
              (unsigned long)args[0], (unsigned long)args[1], (unsigned long)args[2],
              (unsigned long)args[3], (unsigned long)args[4], (unsigned long)args[5], (unsigned long)st);
}

/* Fills args for service n (valid or not); returns the argument count. */
static int build_args(uint32_t n)
{
    uint32_t *slot;

    for (int i = 0; i < 8; i++)
        args[i] = rnd();
    switch (n) {
    case SVC_NtAllocateVirtualMemory:
    case SVC_NtFreeVirtualMemory:
    case SVC_NtProtectVirtualMemory: {
        /* *BaseAddress and *RegionSize in scratch (usually), with values
         * that stay clear of the program's own memory. */
        /* A third of them plausible: a base from an earlier allocation,
         * whole pages, valid types and protections, the current process. */
        bool plausible = pick(3) == 0;
        uint32_t size = plausible ? PAGE * pick(5) : random_size();
        uint32_t base = plausible ? recent_bases[pick(16)] + PAGE * pick(4) : random_address();
        base = safe_target(base, size);
        uint32_t pb = !plausible && pick(6) == 0 ? out_ptr(4) : SCRATCH;
        uint32_t ps = !plausible && pick(6) == 0 ? out_ptr(4) : SCRATCH + 4;
        if (in_scratch(pb)) {
            slot = (uint32_t *)pb;
            *slot = base;
        }
        if (in_scratch(ps)) {
            slot = (uint32_t *)ps;
            *slot = size;
        }
        /* Pointers outside scratch hold values nobody chose: the call is
         * checked against them just before it is made (memory_call_safe). */
        static const uint32_t plausible_protect[] = { PAGE_READWRITE, PAGE_READONLY, PAGE_NOACCESS,
                                                      PAGE_READWRITE | PAGE_GUARD, PAGE_EXECUTE_READ };
        static const uint32_t plausible_alloc[] = { MEM_COMMIT, MEM_RESERVE, MEM_RESERVE | MEM_COMMIT,
                                                    MEM_RESET };
        uint32_t protect = plausible ? plausible_protect[pick(ARRAY_SIZE(plausible_protect))]
                                     : random_protect();
        args[0] = plausible ? U32(NtCurrentProcess()) : process_handle();
        args[1] = pb;
        if (n == SVC_NtAllocateVirtualMemory) {
            if (plausible && pick(2))
                *(uint32_t *)SCRATCH = 0;           /* anywhere */
            args[2] = !plausible && pick(8) == 0 ? rnd() : 0;
            args[3] = ps;
            args[4] = plausible ? plausible_alloc[pick(ARRAY_SIZE(plausible_alloc))] : random_alloc_type();
            args[5] = protect;
            return 6;
        }
        args[2] = ps;
        if (n == SVC_NtFreeVirtualMemory) {
            args[3] = plausible ? (size == 0 && pick(2) ? MEM_RELEASE : MEM_DECOMMIT) : random_free_type();
            return 4;
        }
        args[3] = protect;
        args[4] = plausible ? SCRATCH + 8 : pick(6) == 0 ? 0 : out_ptr(4);
        return 5;
    }
    case SVC_NtQueryVirtualMemory:
        args[0] = process_handle();
        args[1] = random_address();
        args[2] = pick(8) == 0 ? rnd() : MemoryBasicInformation;
        args[3] = out_ptr(sizeof(MEMORY_BASIC_INFORMATION));
        args[4] = pick(6) == 0 ? random_size() : sizeof(MEMORY_BASIC_INFORMATION);
        args[5] = pick(3) == 0 ? 0 : out_ptr(4);
        return 6;
    case SVC_NtTerminateProcess:
        while (args[0] == U32(NtCurrentProcess()))
            args[0] = rnd();
        return 2;
    case SVC_NtContinue:
        args[0] = always_bad();
        return 2;
    case SVC_NtDebugPrint:
        if (pick(4) == 0) {
            args[0] = out_ptr(16);
            args[1] = 0;
        } else {
            args[0] = always_bad();
            args[1] = pick(2) ? pick(300) : rnd();
        }
        return 2;
    case SVC_NtYieldExecution:
        return 0;
    case SVC_NtSetExceptionDispatcher:
        return 1;
    case SVC_NtRaiseException:
        if (pick(2)) {
            args[0] = always_bad();
            args[1] = out_ptr(sizeof(CONTEXT));
        } else {
            args[0] = out_ptr(sizeof(EXCEPTION_RECORD));
            args[1] = always_bad();
        }
        return 3;
    case SVC_NtQuerySystemCounters:
        args[0] = out_ptr(sizeof(SYSTEM_MEMORY_COUNTERS));
        args[1] = pick(4) == 0 ? rnd() & 0xFF : sizeof(SYSTEM_MEMORY_COUNTERS);
        return 2;
    case SVC_NtLockVirtualMemory:
    case SVC_NtUnlockVirtualMemory:
        /* Never MAP_PROCESS: a random range could lock or trim the
         * program's own pages, or take its stack's guard page (spec item
         * 60).  The map type is checked before anything is read. */
        args[0] = process_handle();
        args[3] = pick(2) ? MAP_SYSTEM : (rnd() | 4);
        return 4;
    default:
        return 6;
    }
}

/* What the kernel will read through a pointer to a 32-bit value. */
enum word_state { WORD_UNREADABLE, WORD_READABLE, WORD_UNKNOWN };

static bool page_readable(uint32_t page)
{
    MEMORY_BASIC_INFORMATION m;

    if (page < USER_LOW || page >= USER_TOP)
        return false;
    return VirtualQuery(VA(page), &m, sizeof(m)) == sizeof(m) && m.State == MEM_COMMIT &&
           (m.Protect & 0xFF) != PAGE_NOACCESS && !(m.Protect & PAGE_GUARD);
}

static enum word_state read_word(uint32_t p, uint32_t *value)
{
    if (p >= 0x80000000u - 3)
        return WORD_UNREADABLE;
    if (!page_readable(p & ~(PAGE - 1)))
        return WORD_UNREADABLE;
    if ((p & (PAGE - 1)) > PAGE - 4 && !page_readable((p + 4) & ~(PAGE - 1)))
        return WORD_UNREADABLE;
    *value = *(volatile uint32_t *)p;
    return WORD_READABLE;
}

/* The memory calls read *BaseAddress and *RegionSize from wherever their
 * pointers go: when those values could make the call touch the program's
 * own memory, the call is not made.  (A pointer the kernel cannot read
 * makes the call fail before it does anything.) */
static bool memory_call_safe(uint32_t n)
{
    if (n != SVC_NtAllocateVirtualMemory && n != SVC_NtFreeVirtualMemory && n != SVC_NtProtectVirtualMemory)
        return true;
    uint32_t pb = args[1], ps = n == SVC_NtAllocateVirtualMemory ? args[3] : args[2];
    uint32_t base = 0, size = 0;
    enum word_state b = read_word(pb, &base), z = read_word(ps, &size);

    if (b == WORD_UNREADABLE || z == WORD_UNREADABLE)
        return true;
    if (b == WORD_UNKNOWN || z == WORD_UNKNOWN)
        return false;
    if (base == 0 && n == SVC_NtAllocateVirtualMemory)
        return true;                    /* anywhere: never over existing memory */
    return !hits_own_memory(base & ~(GRAN - 1), (uint64_t)base + (size == 0 ? 1 : size) + GRAN);
}

static NTSTATUS fuzz_one(void)
{
    uint32_t n;

    switch (pick(10)) {
    case 0: n = rnd(); break;                                   /* anything */
    case 1: n = SVC_COUNT + pick(0x40); break;                  /* just past the table */
    default: n = pick(SVC_COUNT); break;
    }
    int argc = build_args(n);
    bool edx_bad = pick(12) == 0;
    uint32_t edx = edx_bad ? always_bad() : U32(args);

    if (!edx_bad && !memory_call_safe(n)) {
        skipped++;
        return STATUS_SUCCESS;
    }
    NTSTATUS st = raw_syscall(n, VA(edx));
    calls++;
    if (st == STATUS_SUCCESS)
        succeeded[n < SVC_COUNT ? n : SVC_COUNT]++;
    else
        failed[n < SVC_COUNT ? n : SVC_COUNT]++;
    if (n == SVC_NtSetExceptionDispatcher) {
        NtSetExceptionDispatcher((PVOID)sdk_dispatcher_entry);
        calls++;
    }
    if (!known_status(st)) {
        bad.unknown_status++;
        log_call("unknown status", n, edx, st);
    }
    if (n >= SVC_COUNT && st != STATUS_INVALID_SYSTEM_SERVICE) {
        bad.wrong_invalid_service++;
        log_call("unknown service not refused", n, edx, st);
    } else if (n < SVC_COUNT && edx_bad && argc > 0 && st != STATUS_ACCESS_VIOLATION) {
        bad.wrong_bad_edx++;
        log_call("bad argument pointer not refused", n, edx, st);
    } else if (n == SVC_NtTerminateProcess && !edx_bad && st != STATUS_INVALID_HANDLE) {
        bad.wrong_terminate++;
        log_call("NtTerminateProcess with a foreign handle", n, edx, st);
    } else if ((n == SVC_NtContinue || n == SVC_NtRaiseException) && !edx_bad &&
               st != STATUS_ACCESS_VIOLATION && st != STATUS_GUARD_PAGE_VIOLATION) {
        /* (NtRaiseException reads the record first; when out_ptr put it on
         * one of the arena's guard pages, that read fails first, with
         * STATUS_GUARD_PAGE_VIOLATION, as an NT service's probe would.) */
        bad.wrong_bad_edx++;
        log_call("bad context/record pointer not refused", n, edx, st);
    }
    /* Remember the bases of successful allocations for later calls. */
    if (n == SVC_NtAllocateVirtualMemory && st == STATUS_SUCCESS && !edx_bad && in_scratch(args[1]))
        recent_bases[pick(16)] = *(volatile uint32_t *)args[1];
    return st;
}

/* ---- checks ------------------------------------------------------------------------------- */

static struct alloc_set keep;
static SYSTEM_MEMORY_COUNTERS baseline;
static uint32_t ro_checksum;

static uint32_t checksum(uint32_t lo, uint32_t hi)
{
    uint32_t sum = 0;
    for (uint32_t a = lo; a < hi; a += 4)
        sum = (sum << 5 | sum >> 27) ^ *(volatile uint32_t *)a;
    return sum;
}

/* The program's read-only pages: its text and read-only data. */
static uint32_t image_ro_checksum(void)
{
    uint32_t sum = 0, a = image.lo;
    MEMORY_BASIC_INFORMATION m;

    while (a < image.hi && VirtualQuery(VA(a), &m, sizeof(m)) == sizeof(m)) {
        uint32_t end = U32(m.BaseAddress) + m.RegionSize;
        if (m.State == MEM_COMMIT && (m.Protect == PAGE_READONLY || m.Protect == PAGE_EXECUTE_READ))
            sum ^= checksum(U32(m.BaseAddress), end);
        a = end;
    }
    return sum;
}

static int fixture_init(void)
{
    MEMORY_BASIC_INFORMATION m;
    DWORD old;

    /* The image and the stack, as whole allocations. */
    if (VirtualQuery(VA(U32(&args)), &m, sizeof(m)) != sizeof(m))
        return 1;
    image.lo = U32(m.AllocationBase);
    for (image.hi = image.lo; VirtualQuery(VA(image.hi), &m, sizeof(m)) == sizeof(m) &&
                              U32(m.AllocationBase) == image.lo;)
        image.hi = U32(m.BaseAddress) + m.RegionSize;
    struct stack_info s;
    if (!stack_info_take(&s))
        return 1;
    stack.lo = s.base;
    stack.hi = s.end;
    scratch_r = (struct range){ SCRATCH, SCRATCH + GRAN };
    ro_r = (struct range){ RO_PAGE, RO_PAGE + GRAN };
    if (VirtualAlloc(VA(SCRATCH), SCRATCH_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == NULL ||
        VirtualAlloc(VA(RO_PAGE), PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == NULL)
        return 1;
    memset(VA(RO_PAGE), RO_FILL, PAGE);
    if (!VirtualProtect(VA(RO_PAGE), PAGE, PAGE_READONLY, &old))
        return 1;
    for (unsigned i = 0; i < ARRAY_SIZE(recent_bases); i++)
        recent_bases[i] = ARENA;
    return 0;
}

static void fixture_exit(void)
{
    VirtualFree(VA(SCRATCH), 0, MEM_RELEASE);
    VirtualFree(VA(RO_PAGE), 0, MEM_RELEASE);
}

/* Releases what the random calls allocated; checks the counters and the
 * read-only memory. */
static void checkpoint(struct utest *t)
{
    int released = alloc_release_others(&keep);
    SYSTEM_MEMORY_COUNTERS now = sys_counters();

    if (released > 0)
        released_total += released;
    if (released < 0) {
        utest_fail_msg(t, __FILE__, __LINE__, "iteration %lu: could not release a random allocation",
                       (unsigned long)iteration);
        return;
    }
    if (now.CommitCharge != baseline.CommitCharge || now.Allocations != baseline.Allocations ||
        now.PageTablePages != baseline.PageTablePages || now.CommitLimit != baseline.CommitLimit) {
        if (bad.leaked++ < 4)
            utest_fail_msg(t, __FILE__, __LINE__,
                           "iteration %lu: after releasing %d allocations: charge %lu (was %lu), "
                           "allocations %lu (was %lu), page tables %lu (was %lu), limit %lu (was %lu)",
                           (unsigned long)iteration, released, now.CommitCharge, baseline.CommitCharge,
                           now.Allocations, baseline.Allocations, now.PageTablePages,
                           baseline.PageTablePages, now.CommitLimit, baseline.CommitLimit);
        else
            t->failures++;
    }
    if (now.CommitPeak < now.CommitCharge)
        utest_fail_msg(t, __FILE__, __LINE__, "commit peak %lu below the charge %lu", now.CommitPeak,
                       now.CommitCharge);
    const volatile uint8_t *ro = (const volatile uint8_t *)RO_PAGE;
    for (uint32_t i = 0; i < PAGE; i++) {
        if (ro[i] != RO_FILL) {
            utest_fail_msg(t, __FILE__, __LINE__, "iteration %lu: the read-only page changed at +%lx",
                           (unsigned long)iteration, (unsigned long)i);
            break;
        }
    }
    /* Scratch: writable again for the next round (a random call may have
     * protected or decommitted it... it may not: it is protected memory,
     * but make sure). */
    MEMORY_BASIC_INFORMATION m;
    if (VirtualQuery(VA(SCRATCH), &m, sizeof(m)) != sizeof(m) || m.State != MEM_COMMIT ||
        m.Protect != PAGE_READWRITE || m.RegionSize != SCRATCH_SIZE)
        utest_fail_msg(t, __FILE__, __LINE__, "iteration %lu: the scratch pages changed",
                       (unsigned long)iteration);
}

static int exceptions_seen;

static LONG CALLBACK count_exceptions(PEXCEPTION_POINTERS ep)
{
    (void)ep;
    exceptions_seen++;
    return EXCEPTION_CONTINUE_SEARCH;
}

static void fuzz_system_calls(struct utest *t)
{
    utest_log("seed %lu, %d calls", (unsigned long)utest_seed(), CALLS_TARGET);
    stack_pregrow(32 * 1024);
    alloc_set_take(&keep);
    baseline = sys_counters();
    ro_checksum = image_ro_checksum();
    exceptions_seen = 0;
    PVOID h = AddVectoredExceptionHandler(1, count_exceptions);

    for (iteration = 0; calls < CALLS_TARGET; iteration++) {
        fuzz_one();
        if (iteration % CHECK_EVERY == CHECK_EVERY - 1)
            checkpoint(t);
    }
    checkpoint(t);
    RemoveVectoredExceptionHandler(h);

    utest_log("%lu system calls in %lu iterations (%lu skipped as unsafe for the program); "
              "%lu random allocations released at the checkpoints", (unsigned long)calls,
              (unsigned long)iteration, (unsigned long)skipped, (unsigned long)released_total);
    static const char *const names[] = {
        "NtAllocateVirtualMemory", "NtFreeVirtualMemory", "NtProtectVirtualMemory", "NtQueryVirtualMemory",
        "NtTerminateProcess", "NtContinue", "NtDebugPrint", "NtYieldExecution",
        "NtSetExceptionDispatcher", "NtRaiseException", "NtQuerySystemCounters",
        "NtGetWriteWatch", "NtResetWriteWatch",
        "NtQueryInformationProcess", "NtSetInformationProcess", "NtQuerySystemInformation",
        "NtLockVirtualMemory", "NtUnlockVirtualMemory",
        "(unknown services)",
    };
    _Static_assert(sizeof(names) / sizeof(names[0]) == SVC_COUNT + 1, "a name for every service");
    for (int i = 0; i <= SVC_COUNT; i++)
        utest_log("  %-26s %6lu succeeded %6lu failed", names[i], (unsigned long)succeeded[i],
                  (unsigned long)failed[i]);
    EXPECT_GE(t, calls, 100000);
    EXPECT_EQ(t, exceptions_seen, 0);
    EXPECT_EQ(t, bad.unknown_status, 0);
    EXPECT_EQ(t, bad.wrong_invalid_service, 0);
    EXPECT_EQ(t, bad.wrong_bad_edx, 0);
    EXPECT_EQ(t, bad.wrong_terminate, 0);
    EXPECT_EQ(t, bad.leaked, 0);
    EXPECT_EQ(t, image_ro_checksum(), ro_checksum);
}

static void process_still_works(struct utest *t)
{
    struct utest_exception x;
    SYSTEM_MEMORY_COUNTERS before = sys_counters();

    volatile uint8_t *p = VirtualAlloc(NULL, 16 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ASSERT_PTR_NE(t, p, NULL);
    for (uint32_t i = 0; i < 16 * PAGE; i += PAGE / 2)
        EXPECT_EQ(t, p[i], 0);
    for (uint32_t i = 0; i < 16 * PAGE; i += PAGE / 2)
        p[i] = (uint8_t)(i >> 11);
    for (uint32_t i = 0; i < 16 * PAGE; i += PAGE / 2)
        EXPECT_EQ(t, p[i], (uint8_t)(i >> 11));
    MEMORY_BASIC_INFORMATION m;
    EXPECT_EQ(t, VirtualQuery((LPCVOID)p, &m, sizeof(m)), sizeof(m));
    EXPECT_EQ(t, m.RegionSize, 16 * PAGE);
    EXPECT_EQ(t, m.State, MEM_COMMIT);
    EXPECT_TRUE(t, VirtualFree((LPVOID)p, 0, MEM_RELEASE));
    EXPECT_EQ(t, sys_counters().CommitCharge, before.CommitCharge);
    /* Exceptions still reach the program (the dispatcher is the SDK's). */
    EXPECT_EXCEPTION(t, &x, __asm__ volatile("ud2"));
    EXPECT_EQ(t, x.code, EXCEPTION_ILLEGAL_INSTRUCTION);
    EXPECT_EXCEPTION(t, &x, (void)*(volatile uint32_t *)0x80100000);
    EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, x.info[1], 0x80100000);
}

static const struct utest_case fuzz_cases[] = {
    UTEST_CASE(fuzz_system_calls),
    UTEST_CASE(process_still_works),
    UTEST_END,
};
static const struct utest_suite fuzz_suite = { .name = "ufuzz", .cases = fuzz_cases };
static const struct utest_suite *const suites[] = { &fuzz_suite, NULL };

int main(void)
{
    stack_pregrow(64 * 1024);
    if (fixture_init() != 0) {
        printf("# ufuzz: fixture setup failed, error %lu\n", GetLastError());
        return 1;
    }
    utest_set_seed(UFUZZ_SEED);
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    int r = utest_main(suites);
    fixture_exit();
    return r;
}
