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
 *   NtContinue refuses a context that would raise the privilege level, IOPL or enter v86 mode.
 * - VirtualAlloc at or above 0x7FFF0000 or below 0x10000 fails (spec A2,
 *   A3), and so do VirtualFree / VirtualProtect on kernel addresses.
 *
 * The raw calls use `int 0x2E` directly (uspace.h: raw_syscall), so the
 * SDK's wrappers cannot mask what the kernel does.  NtTerminateProcess is
 * never called with the current-process handle.
 *
 * This file holds the fixture and main; the cases are in
 * tests/user/usecurity/: services.c (the first two groups above),
 * kernel_memory.c and ranges.c. */
#include "usecurity/usecurity.h"

/* ---- fixture ---------------------------------------------------------------------- */

static int fixture_init(void)
{
    DWORD old;

    if (VirtualAlloc(VA(FIX), FIX_PAGES * PAGE, MEM_RESERVE, PAGE_READWRITE) == NULL ||
        VirtualAlloc(VA(PG_RW), PAGE, MEM_COMMIT, PAGE_READWRITE) == NULL ||
        VirtualAlloc(VA(PG_RO), PAGE, MEM_COMMIT, PAGE_READWRITE) == NULL ||
        VirtualAlloc(VA(PG_NOACCESS), PAGE, MEM_COMMIT, PAGE_NOACCESS) == NULL ||
        VirtualAlloc(VA(PG_EDGE), PAGE, MEM_COMMIT, PAGE_READWRITE) == NULL ||
        VirtualAlloc(VA(VICTIM), PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == NULL ||
        VirtualAlloc(VA(WATCHED), PAGE, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE) == NULL) {
        printf("# usecurity: fixture allocation failed, error %lu\n", GetLastError());
        return 1;
    }
    memset(VA(PG_RO), RO_FILL, PAGE);
    *(volatile uint32_t *)WATCHED = 1;
    memset(VA(PG_EDGE), ' ', PAGE);
    if (!VirtualProtect(VA(PG_RO), PAGE, PAGE_READONLY, &old))
        return 1;
    return 0;
}

static void fixture_exit(void)
{
    VirtualFree(VA(FIX), 0, MEM_RELEASE);
    VirtualFree(VA(VICTIM), 0, MEM_RELEASE);
    VirtualFree(VA(WATCHED), 0, MEM_RELEASE);
}

static bool ro_page_intact(void)
{
    const volatile uint8_t *p = (const volatile uint8_t *)PG_RO;
    for (uint32_t i = 0; i < PAGE; i++)
        if (p[i] != RO_FILL)
            return false;
    return true;
}

struct world world_before;
static struct world world_after;

void world_take(struct world *w)
{
    SYSTEM_MEMORY_COUNTERS c = sys_counters();
    space_map_take(&w->map);
    w->charge = c.CommitCharge;
    w->allocations = c.Allocations;
}

/* Fails the case when the world changed; returns true when it did not. */
bool world_unchanged(struct utest *t, int line, const char *what)
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
void world_repair(void)
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

/* ---- the program ------------------------------------------------------------------------ */

static const struct utest_suite *const suites[] = {
    &usec_pointer_suite, &usec_boundary_suite, &usec_kernel_suite, &usec_range_suite, NULL,
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
