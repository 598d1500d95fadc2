/* uvm, spec section H: guard pages (items 54-61). */
#include "uvm.h"

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

const struct utest_suite uvm_h_suite = {
    .name = "uvm_h_guard", .cases = h_cases, .exit = suite_exit,
};
