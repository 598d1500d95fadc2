/* Threads of a user process (issue 13, points 1, 2 and 7): CreateThread
 * and its flags, exit codes, suspend counts, Sleep and SwitchToThread,
 * TerminateThread; thread stacks as VirtualAlloc regions (reserve,
 * commit, guard page, growth, overflow in a second thread, release at
 * the end); bad stack sizes and bad start addresses.  Every suite ends
 * with a leak check of this process's reservations, the commit charge and
 * its open handles. */
#include "uthreads.h"
#include <stdio.h>

static volatile LONG ran;
static volatile LONG spin_count;
static volatile LONG stop_spinning;

static DWORD WINAPI return_arg(LPVOID arg)
{
    InterlockedIncrement(&ran);
    return (DWORD)(uintptr_t)arg;
}

static DWORD WINAPI exit_with_arg(LPVOID arg)
{
    ExitThread((DWORD)(uintptr_t)arg + 1);
}

static DWORD WINAPI spinner(LPVOID arg)
{
    (void)arg;
    while (!stop_spinning)
        InterlockedIncrement(&spin_count);
    return 7;
}

/* ---- creation, exit codes, ids ------------------------------------------------ */

static void return_value_is_exit_code(struct utest *t)
{
    DWORD tid = 0;
    ran = 0;
    HANDLE h = CreateThread(NULL, 0, return_arg, (LPVOID)0x1234, 0, &tid);
    ASSERT_PTR_NE(t, h, NULL);
    EXPECT_NE(t, tid, 0);
    EXPECT_EQ(t, U32(h) % 4, 0);                /* NT handle values */
    EXPECT_EQ(t, WaitForSingleObject(h, JOIN_MS), WAIT_OBJECT_0);
    DWORD code = 0;
    EXPECT_TRUE(t, GetExitCodeThread(h, &code));
    EXPECT_EQ(t, code, 0x1234);
    EXPECT_EQ(t, GetThreadId(h), tid);
    EXPECT_EQ(t, ran, 1);
    /* A thread object outlives its thread while a handle is open. */
    EXPECT_EQ(t, WaitForSingleObject(h, 0), WAIT_OBJECT_0);
    EXPECT_TRUE(t, CloseHandle(h));
    EXPECT_EQ(t, join_thread(CreateThread(NULL, 0, exit_with_arg, (LPVOID)41, 0, NULL)), 42);
}

static void still_active_while_running(struct utest *t)
{
    stop_spinning = 0;
    HANDLE h = start_thread(spinner, NULL);
    ASSERT_PTR_NE(t, h, NULL);
    DWORD code = 0;
    EXPECT_TRUE(t, GetExitCodeThread(h, &code));
    EXPECT_EQ(t, code, STILL_ACTIVE);
    EXPECT_EQ(t, WaitForSingleObject(h, 0), WAIT_TIMEOUT);
    stop_spinning = 1;
    EXPECT_EQ(t, join_thread(h), 7);
}

static DWORD WINAPI report_ids(LPVOID arg)
{
    DWORD *out = arg;
    out[0] = GetCurrentThreadId();
    out[1] = GetCurrentProcessId();
    out[2] = U32(GetCurrentThread());
    return 0;
}

static void ids_and_pseudo_handles(struct utest *t)
{
    DWORD ids[4][3], tids[4];
    HANDLE h[4];
    for (int i = 0; i < 4; i++) {
        h[i] = CreateThread(NULL, 0, report_ids, ids[i], 0, &tids[i]);
        ASSERT_PTR_NE(t, h[i], NULL);
    }
    EXPECT_EQ(t, WaitForMultipleObjects(4, h, TRUE, JOIN_MS), WAIT_OBJECT_0);
    for (int i = 0; i < 4; i++) {
        EXPECT_EQ(t, ids[i][0], tids[i]);
        EXPECT_EQ(t, ids[i][1], GetCurrentProcessId());
        EXPECT_EQ(t, ids[i][2], 0xFFFFFFFE);    /* GetCurrentThread() is (HANDLE)-2 everywhere */
        EXPECT_NE(t, tids[i], GetCurrentThreadId());
        for (int j = 0; j < i; j++)
            EXPECT_NE(t, tids[i], tids[j]);
        CloseHandle(h[i]);
    }
    EXPECT_EQ(t, GetThreadId(GetCurrentThread()), GetCurrentThreadId());
    EXPECT_TRUE(t, CloseHandle(GetCurrentThread()));     /* "no effect" */
    EXPECT_TRUE(t, CloseHandle(GetCurrentProcess()));
    EXPECT_EQ(t, GetThreadId(GetCurrentThread()), GetCurrentThreadId());
}

/* ---- suspension -------------------------------------------------------------- */

static void create_suspended_runs_after_resume(struct utest *t)
{
    ran = 0;
    HANDLE h = CreateThread(NULL, 0, return_arg, (LPVOID)5, CREATE_SUSPENDED, NULL);
    ASSERT_PTR_NE(t, h, NULL);
    Sleep(20);
    EXPECT_EQ(t, ran, 0);
    EXPECT_EQ(t, WaitForSingleObject(h, 10), WAIT_TIMEOUT);
    EXPECT_EQ(t, ResumeThread(h), 1);
    EXPECT_EQ(t, join_thread(h), 5);
    EXPECT_EQ(t, ran, 1);
}

static void suspend_counts(struct utest *t)
{
    stop_spinning = 0;
    spin_count = 0;
    HANDLE h = start_thread(spinner, NULL);
    ASSERT_PTR_NE(t, h, NULL);
    while (spin_count == 0)
        Sleep(1);
    EXPECT_EQ(t, SuspendThread(h), 0);
    EXPECT_EQ(t, SuspendThread(h), 1);
    EXPECT_EQ(t, SuspendThread(h), 2);
    /* Suspended, it makes no progress at all (it stops before it runs
     * user code again). */
    LONG frozen = spin_count;
    Sleep(30);
    EXPECT_EQ(t, spin_count, frozen);
    EXPECT_EQ(t, ResumeThread(h), 3);
    EXPECT_EQ(t, ResumeThread(h), 2);
    Sleep(20);
    EXPECT_EQ(t, spin_count, frozen);               /* still suspended once */
    EXPECT_EQ(t, ResumeThread(h), 1);
    Sleep(20);
    EXPECT_GT(t, spin_count, frozen);
    EXPECT_EQ(t, ResumeThread(h), 0);               /* not suspended: nothing changes */
    /* MAXIMUM_SUSPEND_COUNT suspensions, then the count is full. */
    for (DWORD i = 0; i < MAXIMUM_SUSPEND_COUNT; i++)
        EXPECT_EQ(t, SuspendThread(h), i);
    SetLastError(0);
    EXPECT_EQ(t, SuspendThread(h), (DWORD)-1);
    EXPECT_LAST_ERROR(t, ERROR_SIGNAL_REFUSED);
    for (DWORD i = MAXIMUM_SUSPEND_COUNT; i > 0; i--)
        EXPECT_EQ(t, ResumeThread(h), i);
    stop_spinning = 1;
    EXPECT_EQ(t, join_thread(h), 7);
}

static HANDLE self_suspender_done;

static DWORD WINAPI suspend_self(LPVOID arg)
{
    (void)arg;
    DWORD previous = SuspendThread(GetCurrentThread());
    SetEvent(self_suspender_done);
    return previous + 100;
}

static void a_thread_suspends_itself(struct utest *t)
{
    self_suspender_done = CreateEvent(NULL, TRUE, FALSE, NULL);
    HANDLE h = start_thread(suspend_self, NULL);
    ASSERT_PTR_NE(t, h, NULL);
    EXPECT_EQ(t, WaitForSingleObject(self_suspender_done, 50), WAIT_TIMEOUT);
    EXPECT_EQ(t, ResumeThread(h), 1);
    EXPECT_EQ(t, WaitForSingleObject(self_suspender_done, JOIN_MS), WAIT_OBJECT_0);
    EXPECT_EQ(t, join_thread(h), 100);
    CloseHandle(self_suspender_done);
}

/* ---- yielding, sleeping, terminating ---------------------------------------------- */

static void sleep_and_switch_to_thread(struct utest *t)
{
    /* Nobody of ours is ready: nothing to switch to.  A kernel thread
     * (the modified-page writer after an earlier program paged) may be
     * ready for a turn, so the answer is FALSE once that one has run. */
    bool none_ready = false;
    for (int i = 0; i < 100 && !none_ready; i++)
        none_ready = !SwitchToThread();
    EXPECT_TRUE(t, none_ready);
    stop_spinning = 0;
    spin_count = 0;
    HANDLE h = start_thread(spinner, NULL);
    ASSERT_PTR_NE(t, h, NULL);
    /* The new thread is ready: SwitchToThread and Sleep(0) let it run
     * (after any kernel thread queued before it: hence the retries). */
    bool switched = false;
    int tries = 0;
    do
        switched |= SwitchToThread() != FALSE;
    while (spin_count == 0 && ++tries < 100);
    EXPECT_TRUE(t, switched);
    LONG after_switch = spin_count;
    EXPECT_GT(t, after_switch, 0);
    for (int i = 0; i < 100 && spin_count == after_switch; i++)
        Sleep(0);
    EXPECT_GT(t, spin_count, after_switch);
    stop_spinning = 1;
    EXPECT_EQ(t, join_thread(h), 7);
    DWORD t0 = GetTickCount();
    Sleep(25);
    EXPECT_GE(t, GetTickCount() - t0, 25);
}

static void terminate_thread(struct utest *t)
{
    stop_spinning = 0;
    spin_count = 0;
    HANDLE h = start_thread(spinner, NULL);
    ASSERT_PTR_NE(t, h, NULL);
    while (spin_count == 0)
        Sleep(1);
    EXPECT_TRUE(t, TerminateThread(h, 0x7E));
    EXPECT_EQ(t, WaitForSingleObject(h, JOIN_MS), WAIT_OBJECT_0);
    LONG final = spin_count;
    Sleep(10);
    EXPECT_EQ(t, spin_count, final);                /* it runs no more code */
    DWORD code = 0;
    EXPECT_TRUE(t, GetExitCodeThread(h, &code));
    EXPECT_EQ(t, code, 0x7E);
    /* A suspended thread ends too, and a blocked one. */
    HANDLE s = CreateThread(NULL, 0, return_arg, NULL, CREATE_SUSPENDED, NULL);
    EXPECT_TRUE(t, TerminateThread(s, 0x51));
    EXPECT_EQ(t, join_thread(s), 0x51);
    EXPECT_TRUE(t, CloseHandle(h));
}

/* ---- stacks --------------------------------------------------------------------- */

static MEMORY_BASIC_INFORMATION query(uint32_t a)
{
    MEMORY_BASIC_INFORMATION m;
    memset(&m, 0, sizeof(m));
    VirtualQuery(VA(a), &m, sizeof(m));
    return m;
}

/* The stack of a suspended new thread, read from its TEB and VirtualQuery:
 * [base, end) reserved; [end - commit, end) committed read-write; one
 * guard page below it when there is room. */
static void check_new_stack(struct utest *t, SIZE_T size, DWORD flags, uint32_t want_reserve,
                            uint32_t want_commit, bool want_guard)
{
    HANDLE h = CreateThread(NULL, size, return_arg, NULL, flags | CREATE_SUSPENDED, NULL);
    ASSERT_PTR_NE(t, h, NULL);
    PTEB teb = teb_of(h);
    ASSERT_PTR_NE(t, teb, NULL);
    uint32_t base = U32(teb->DeallocationStack), end = U32(teb->NtTib.StackBase);
    EXPECT_EQ(t, end - base, want_reserve);
    EXPECT_EQ(t, U32(teb->NtTib.StackLimit), end - want_commit);
    MEMORY_BASIC_INFORMATION m = query(end - want_commit);
    EXPECT_EQ(t, U32(m.AllocationBase), base);
    EXPECT_EQ(t, m.State, MEM_COMMIT);
    EXPECT_EQ(t, m.Protect, PAGE_READWRITE);
    EXPECT_EQ(t, m.RegionSize, want_commit);
    EXPECT_EQ(t, m.Type, MEM_PRIVATE);
    if (want_guard) {
        m = query(end - want_commit - PAGE);
        EXPECT_EQ(t, m.State, MEM_COMMIT);
        EXPECT_EQ(t, m.Protect, PAGE_READWRITE | PAGE_GUARD);
        EXPECT_EQ(t, m.RegionSize, PAGE);
        m = query(base);
        EXPECT_EQ(t, m.State, MEM_RESERVE);
        EXPECT_EQ(t, m.RegionSize, want_reserve - want_commit - PAGE);
    }
    EXPECT_TRUE(t, TerminateThread(h, 0));
    EXPECT_EQ(t, join_thread(h), 0);
    /* The whole region went with the thread. */
    m = query(base);
    EXPECT_EQ(t, m.State, MEM_FREE);
}

static void stack_layouts(struct utest *t)
{
    /* The default: 1 MiB reserved, one page committed (a PE image's defaults). */
    check_new_stack(t, 0, 0, 0x100000, PAGE, true);
    /* dwStackSize is the commit, rounded up to pages. */
    check_new_stack(t, 0x10001, 0, 0x100000, 0x11000, true);
    /* ... with the flag, the reservation, rounded up to 64 KiB. */
    check_new_stack(t, 0x30001, STACK_SIZE_PARAM_IS_A_RESERVATION, 0x40000, PAGE, true);
    /* A commit as large as the default reserve makes the reserve that
     * commit rounded up to 1 MiB (the Thread Stack Size page). */
    check_new_stack(t, 0x180000, 0, 0x200000, 0x180000, true);
    /* A commit that fills the reservation leaves no room for a guard. */
    check_new_stack(t, 0x100000, 0, 0x100000, 0x100000, false);
}

struct grow_report {
    uint32_t limit_before, limit_after, local;
};

/* Touches `bytes` of stack from the top down, as __chkstk would. */
static __attribute__((noinline)) void touch_stack(uint32_t bytes)
{
    volatile char *sp;
    __asm__ volatile("movl %%esp, %0" : "=r"(sp));
    for (uint32_t off = 64; off < bytes; off += PAGE / 2)
        sp[-(int32_t)off] = 1;
}

static DWORD WINAPI grow_stack(LPVOID arg)
{
    struct grow_report *r = arg;
    r->limit_before = U32(current_teb()->NtTib.StackLimit);
    r->local = U32(&r);
    touch_stack(200 * 1024);
    r->limit_after = U32(current_teb()->NtTib.StackLimit);
    return 0;
}

static void stack_grows_in_a_second_thread(struct utest *t)
{
    struct grow_report r;
    memset(&r, 0, sizeof(r));
    HANDLE h = start_thread(grow_stack, &r);
    ASSERT_PTR_NE(t, h, NULL);
    EXPECT_EQ(t, join_thread(h), 0);
    EXPECT_LT(t, r.local, r.limit_before + PAGE);
    /* The guard moved down past 200 KiB, and StackLimit with it. */
    EXPECT_LE(t, r.limit_after, r.limit_before - 200 * 1024 + PAGE);
    EXPECT_GE(t, r.limit_after + 2 * PAGE, r.limit_before - 200 * 1024);
}

/* Small frames, so the overflow hits near the top of the last page and
 * leaves most of it for the exception's record, context and handler. */
static __attribute__((noinline)) uint32_t recurse(uint32_t n)
{
    volatile uint32_t pad[8];
    pad[0] = n;
    if (n > 1u << 24)
        return 0;                   /* never reached: 512 MiB of frames */
    return recurse(n + 1) + pad[0];
}

static DWORD WINAPI overflow(LPVOID arg)
{
    (void)arg;
    return recurse(0);
}

static void overflow_in_a_second_thread(struct utest *t)
{
    struct thread_catch c;
    /* 64 KiB of stack: the guard walks down to the last page but one. */
    DWORD code = run_catching(&c, overflow, NULL, 0x10000, STACK_SIZE_PARAM_IS_A_RESERVATION);
    EXPECT_EQ(t, code, 0xC47C4);
    EXPECT_EQ(t, c.hits, 1);
    EXPECT_EQ(t, c.code, EXCEPTION_STACK_OVERFLOW);
    EXPECT_EQ(t, c.handler_tid, c.tid);
    EXPECT_NE(t, c.tid, GetCurrentThreadId());
    /* The main thread's stack is untouched and still grows. */
    touch_stack(64 * 1024);
}

/* An exception taken with ESP a little above the bottom of the committed
 * stack: the record and CONTEXT the kernel writes below ESP run into the
 * guard page (issue 16: its direct stores fault there, and the frame goes
 * again through the user copy, which moves the guard down as any stack
 * growth does).  The handler gets the exception, the thread goes on, and
 * the stack has grown by one page with a guard page below it again. */
struct guard_report {
    uint32_t limit_before, limit_after;
    DWORD tid;
    int handled, survived;
};

static struct guard_report *guard_report;

static LONG CALLBACK skip_ud2_near_guard(PEXCEPTION_POINTERS ep)
{
    struct guard_report *r = guard_report;
    if (r == NULL || r->tid != GetCurrentThreadId() ||
        ep->ExceptionRecord->ExceptionCode != EXCEPTION_ILLEGAL_INSTRUCTION)
        return EXCEPTION_CONTINUE_SEARCH;
    r->handled++;
    ep->ContextRecord->Eip += 2;                    /* past the ud2 */
    return EXCEPTION_CONTINUE_EXECUTION;
}

static DWORD WINAPI fault_near_guard(LPVOID arg)
{
    struct guard_report *r = arg;
    uint32_t sp;

    r->tid = GetCurrentThreadId();
    r->limit_before = U32(current_teb()->NtTib.StackLimit);
    __asm__ volatile("movl %%esp, %0" : "=r"(sp));
    volatile char *pad = __builtin_alloca(sp - r->limit_before - 256);
    pad[0] = 1;                                     /* ESP is now ~256 bytes above the guard */
    __asm__ volatile("ud2" ::: "memory");
    r->limit_after = U32(current_teb()->NtTib.StackLimit);
    r->survived = 1;
    return 0;
}

static void exception_frame_grows_the_stack(struct utest *t)
{
    struct guard_report r;
    memset(&r, 0, sizeof(r));
    guard_report = &r;
    PVOID h = AddVectoredExceptionHandler(1, skip_ud2_near_guard);
    ASSERT_PTR_NE(t, h, NULL);
    HANDLE th = start_thread(fault_near_guard, &r);
    ASSERT_PTR_NE(t, th, NULL);
    EXPECT_EQ(t, join_thread(th), 0);
    RemoveVectoredExceptionHandler(h);
    guard_report = NULL;
    EXPECT_EQ(t, r.handled, 1);
    EXPECT_EQ(t, r.survived, 1);
    EXPECT_EQ(t, r.limit_after, r.limit_before - PAGE);
}

/* ---- bad input -------------------------------------------------------------------- */

static void impossible_stacks_fail_and_leave_nothing(struct utest *t)
{
    static const struct {
        SIZE_T size;
        DWORD flags;
    } cases[] = {
        { 0x7FFF0000, 0 },                          /* no room for the commit */
        { 0xFFFFF000, 0 },                          /* rounding overflows */
        { 0x7FF00000, STACK_SIZE_PARAM_IS_A_RESERVATION },
        { 0xFFFFFFFF, STACK_SIZE_PARAM_IS_A_RESERVATION },
        { 0x60000000, 0 },                          /* reservable, but over the commit limit */
    };
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        uint64_t allocs = utest_counter_allocations(), charge = utest_counter_commit_charge();
        uint64_t handles = counter_handles();
        ran = 0;
        SetLastError(0);
        DWORD tid = 0xABCD;
        HANDLE h = CreateThread(NULL, cases[i].size, return_arg, NULL, cases[i].flags, &tid);
        EXPECT_PTR_EQ(t, h, NULL);
        EXPECT_LAST_ERROR(t, ERROR_NOT_ENOUGH_MEMORY);
        EXPECT_EQ(t, tid, 0xABCD);
        EXPECT_EQ(t, utest_counter_allocations(), allocs);
        EXPECT_EQ(t, utest_counter_commit_charge(), charge);
        EXPECT_EQ(t, counter_handles(), handles);
        Sleep(1);
        EXPECT_EQ(t, ran, 0);
        if (h != NULL)
            join_thread(h);
    }
}

/* A process has room for 64 threads (TEB pages, see kernel/process_impl.h):
 * past that CreateThread fails with ERROR_NO_SYSTEM_RESOURCES and leaves
 * nothing behind; the threads made before it are fine. */
static void threads_run_out_cleanly(struct utest *t)
{
    HANDLE h[64];
    int n = 0;
    while (n < 64 && (h[n] = CreateThread(NULL, 0, return_arg, (LPVOID)(uintptr_t)n, CREATE_SUSPENDED, NULL)) != NULL)
        n++;
    utest_log("%d threads besides this one", n);
    EXPECT_EQ(t, n, 63);
    uint64_t allocs = utest_counter_allocations(), handles = counter_handles();
    SetLastError(0);
    EXPECT_PTR_EQ(t, CreateThread(NULL, 0, return_arg, NULL, 0, NULL), NULL);
    EXPECT_LAST_ERROR(t, ERROR_NO_SYSTEM_RESOURCES);
    EXPECT_EQ(t, utest_counter_allocations(), allocs);
    EXPECT_EQ(t, counter_handles(), handles);
    for (int i = 0; i < n; i++) {
        ResumeThread(h[i]);
        EXPECT_EQ(t, join_thread(h[i]), (DWORD)i);
    }
}

/* A start address in kernel space or in unmapped memory: CreateThread
 * succeeds (as on Windows) and the thread faults in ring 3, in its own
 * context, with the usual access violation. */
static void bad_start_addresses_fault_in_the_thread(struct utest *t)
{
    struct thread_catch c;
    LPVOID hole = VirtualAlloc(NULL, GRAN, MEM_RESERVE, PAGE_READWRITE);
    ASSERT_PTR_NE(t, hole, NULL);
    VirtualFree(hole, 0, MEM_RELEASE);
    const uint32_t starts[] = { 0x80100000, 0xC0000000, U32(hole), 0 };

    for (unsigned i = 0; i < ARRAY_SIZE(starts); i++) {
        DWORD code = run_catching(&c, (LPTHREAD_START_ROUTINE)(uintptr_t)starts[i], NULL, 0, 0);
        EXPECT_EQ(t, code, 0xC47C4);
        EXPECT_EQ(t, c.hits, 1);
        EXPECT_EQ(t, c.code, EXCEPTION_ACCESS_VIOLATION);
        EXPECT_EQ(t, c.eip, starts[i]);
        EXPECT_EQ(t, c.info1, starts[i]);
        EXPECT_EQ(t, c.handler_tid, c.tid);
    }
}

static const struct utest_case thread_cases[] = {
    UTEST_CASE(return_value_is_exit_code),
    UTEST_CASE(still_active_while_running),
    UTEST_CASE(ids_and_pseudo_handles),
    UTEST_CASE(create_suspended_runs_after_resume),
    UTEST_CASE(suspend_counts),
    UTEST_CASE(a_thread_suspends_itself),
    UTEST_CASE(sleep_and_switch_to_thread),
    UTEST_CASE(terminate_thread),
    UTEST_END,
};

static const struct utest_case stack_cases[] = {
    UTEST_CASE(stack_layouts),
    UTEST_CASE(stack_grows_in_a_second_thread),
    UTEST_CASE(overflow_in_a_second_thread),
    UTEST_CASE(exception_frame_grows_the_stack),
    UTEST_CASE(impossible_stacks_fail_and_leave_nothing),
    UTEST_CASE(threads_run_out_cleanly),
    UTEST_CASE(bad_start_addresses_fault_in_the_thread),
    UTEST_END,
};

static const struct utest_suite thread_suite = { .name = "threads", .cases = thread_cases };
static const struct utest_suite stack_suite = { .name = "thread_stacks", .cases = stack_cases };
static const struct utest_suite *const suites[] = { &thread_suite, &stack_suite, NULL };

int main(void)
{
    stack_pregrow(128 * 1024);      /* the main thread's own growth is not a leak */
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    utest_register_counter("handles", counter_handles);
    return utest_main(suites);
}
