/* The TEB and what lives in it (issue 13, points 3 and 6): fs: reaches
 * the calling thread's own TEB with the NT_TIB fields at their documented
 * offsets; the last error, errno and TLS slots are per thread; TlsFree
 * clears a slot in every thread; exceptions are dispatched on the
 * faulting thread's own stack, to the process-wide vectored handlers,
 * and may be continued there. */
#include "uthreads.h"
#include <errno.h>
#include <stdlib.h>

#define WORKERS 4

/* ---- the TEB ------------------------------------------------------------------- */

struct teb_view {
    uint32_t fs0, fs18, fs24, fs20, teb, stack_base, stack_limit, exception_list, local, tid, pid;
    MEMORY_BASIC_INFORMATION page;      /* VirtualQuery of the TEB, by its own thread */
};

static void read_teb(struct teb_view *v)
{
    uint32_t fs0, fs18, fs24, fs20;
    __asm__ volatile("movl %%fs:0x00, %0\n\t"
                     "movl %%fs:0x18, %1\n\t"
                     "movl %%fs:0x24, %2\n\t"
                     "movl %%fs:0x20, %3"
                     : "=r"(fs0), "=r"(fs18), "=r"(fs24), "=r"(fs20));
    PTEB teb = current_teb();
    v->fs0 = fs0;
    v->fs18 = fs18;
    v->fs24 = fs24;
    v->fs20 = fs20;
    v->teb = U32(teb);
    v->stack_base = U32(teb->NtTib.StackBase);
    v->stack_limit = U32(teb->NtTib.StackLimit);
    v->exception_list = U32(teb->NtTib.ExceptionList);
    v->local = U32(&fs0);
    v->tid = GetCurrentThreadId();
    v->pid = GetCurrentProcessId();
    VirtualQuery(teb, &v->page, sizeof(v->page));
}

static volatile LONG reported, all_reported;

/* Stays alive until every worker has reported, so that no two of them
 * can have had the same TEB page one after the other. */
static DWORD WINAPI report_teb(LPVOID arg)
{
    read_teb(arg);
    InterlockedIncrement(&reported);
    while (!all_reported)
        Sleep(1);
    return 0;
}

static void check_teb_view(struct utest *t, const struct teb_view *v)
{
    EXPECT_EQ(t, v->fs18, v->teb);                          /* NT_TIB.Self */
    EXPECT_EQ(t, v->fs0, 0xFFFFFFFF);                       /* ExceptionList: end of chain */
    EXPECT_EQ(t, v->exception_list, 0xFFFFFFFF);
    EXPECT_EQ(t, v->fs24, v->tid);                          /* ClientId.UniqueThread */
    EXPECT_EQ(t, v->fs20, v->pid);                          /* ClientId.UniqueProcess */
    EXPECT_GT(t, v->stack_base, v->local);                  /* the local is on this stack */
    EXPECT_LE(t, v->stack_limit, v->local);
    EXPECT_EQ(t, v->teb % PAGE, 0);
    EXPECT_EQ(t, U32(v->page.BaseAddress), v->teb);
    EXPECT_EQ(t, v->page.State, MEM_COMMIT);
    EXPECT_EQ(t, v->page.Protect, PAGE_READWRITE);
    EXPECT_EQ(t, v->page.Type, MEM_PRIVATE);
}

static void every_thread_reaches_its_own_teb(struct utest *t)
{
    struct teb_view mine, theirs[WORKERS];
    HANDLE h[WORKERS];

    read_teb(&mine);
    check_teb_view(t, &mine);
    _Static_assert(sizeof(NT_TIB) == 0x1C, "NT_TIB");
    reported = all_reported = 0;
    for (int i = 0; i < WORKERS; i++)
        h[i] = start_thread(report_teb, &theirs[i]);
    let_them_block(&reported, WORKERS);
    all_reported = 1;
    EXPECT_EQ(t, WaitForMultipleObjects(WORKERS, h, TRUE, JOIN_MS), WAIT_OBJECT_0);
    for (int i = 0; i < WORKERS; i++) {
        check_teb_view(t, &theirs[i]);
        EXPECT_NE(t, theirs[i].teb, mine.teb);
        EXPECT_NE(t, theirs[i].stack_base, mine.stack_base);
        EXPECT_EQ(t, theirs[i].pid, mine.pid);
        EXPECT_EQ(t, theirs[i].tid, GetThreadId(h[i]));
        for (int j = 0; j < i; j++)
            EXPECT_NE(t, theirs[i].teb, theirs[j].teb);
        CloseHandle(h[i]);
    }
    /* The thread's TEB page goes with it (it is decommitted). */
    MEMORY_BASIC_INFORMATION m;
    EXPECT_EQ(t, VirtualQuery(VA(theirs[0].teb), &m, sizeof(m)), sizeof(m));
    EXPECT_EQ(t, m.State, MEM_RESERVE);
}

/* ---- last error and errno ---------------------------------------------------------- */

static volatile LONG go;

static DWORD WINAPI error_owner(LPVOID arg)
{
    DWORD mine = (DWORD)(uintptr_t)arg;
    SetLastError(mine);
    errno = (int)mine;
    while (!go)
        Sleep(1);                       /* the others set theirs meanwhile */
    /* A failing call sets this thread's error, nobody else's. */
    if (GetLastError() != mine || errno != (int)mine)
        return 1;
    if (CloseHandle((HANDLE)(uintptr_t)0x7FF0) || GetLastError() != ERROR_INVALID_HANDLE)
        return 2;
    if (malloc((size_t)-1) != NULL || errno != ENOMEM)
        return 3;
    Sleep(5);
    if (GetLastError() != ERROR_INVALID_HANDLE || errno != ENOMEM)
        return 4;
    return 0;
}

static void last_error_and_errno_are_per_thread(struct utest *t)
{
    HANDLE h[WORKERS];
    go = 0;
    SetLastError(0x1234);
    errno = 77;
    for (int i = 0; i < WORKERS; i++)
        h[i] = start_thread(error_owner, (LPVOID)(uintptr_t)(1000 + i));
    Sleep(10);
    go = 1;
    for (int i = 0; i < WORKERS; i++)
        EXPECT_EQ(t, join_thread(h[i]), 0);
    EXPECT_EQ(t, errno, 77);
    EXPECT_EQ(t, current_teb()->LastErrorValue, GetLastError());
    SetLastError(0x1234);
    EXPECT_EQ(t, GetLastError(), 0x1234);
}

/* ---- TLS -------------------------------------------------------------------------- */

static DWORD tls_index;

static DWORD WINAPI tls_owner(LPVOID arg)
{
    if (TlsGetValue(tls_index) != NULL || GetLastError() != ERROR_SUCCESS)
        return 1;                       /* a new thread's slots read 0 */
    if (!TlsSetValue(tls_index, arg))
        return 2;
    while (!go)
        Sleep(1);
    return TlsGetValue(tls_index) == arg ? 0 : 3;
}

static void tls_values_are_per_thread(struct utest *t)
{
    HANDLE h[WORKERS];
    tls_index = TlsAlloc();
    ASSERT_NE(t, tls_index, TLS_OUT_OF_INDEXES);
    EXPECT_LT(t, tls_index, TLS_MINIMUM_AVAILABLE);
    EXPECT_TRUE(t, TlsSetValue(tls_index, (LPVOID)0xAAAA));
    go = 0;
    for (int i = 0; i < WORKERS; i++)
        h[i] = start_thread(tls_owner, (LPVOID)(uintptr_t)(0x100 + i));
    Sleep(10);
    go = 1;
    for (int i = 0; i < WORKERS; i++)
        EXPECT_EQ(t, join_thread(h[i]), 0);
    SetLastError(5);
    EXPECT_PTR_EQ(t, TlsGetValue(tls_index), 0xAAAA);
    EXPECT_LAST_ERROR(t, ERROR_SUCCESS);        /* TlsGetValue clears it */
    EXPECT_PTR_EQ(t, current_teb()->TlsSlots[tls_index], 0xAAAA);
    EXPECT_TRUE(t, TlsFree(tls_index));
}

static HANDLE tls_step, tls_done;
static volatile uint32_t tls_seen;

static DWORD WINAPI tls_keeper(LPVOID arg)
{
    (void)arg;
    TlsSetValue(tls_index, (LPVOID)0xBEEF);
    SetEvent(tls_done);
    WaitForSingleObject(tls_step, JOIN_MS);
    tls_seen = U32(TlsGetValue(tls_index));
    return 0;
}

/* TlsFree clears the slot in every thread, so the next TlsAlloc of the
 * same index reads 0 everywhere. */
static void tls_free_clears_every_thread(struct utest *t)
{
    tls_index = TlsAlloc();
    ASSERT_NE(t, tls_index, TLS_OUT_OF_INDEXES);
    tls_step = CreateEvent(NULL, FALSE, FALSE, NULL);
    tls_done = CreateEvent(NULL, FALSE, FALSE, NULL);
    tls_seen = 1;
    HANDLE h = start_thread(tls_keeper, NULL);
    EXPECT_EQ(t, WaitForSingleObject(tls_done, JOIN_MS), WAIT_OBJECT_0);
    EXPECT_TRUE(t, TlsSetValue(tls_index, (LPVOID)0xF00D));
    EXPECT_TRUE(t, TlsFree(tls_index));
    EXPECT_EQ(t, TlsAlloc(), tls_index);
    EXPECT_PTR_EQ(t, TlsGetValue(tls_index), 0);
    SetEvent(tls_step);
    EXPECT_EQ(t, join_thread(h), 0);
    EXPECT_EQ(t, tls_seen, 0);
    EXPECT_TRUE(t, TlsFree(tls_index));
    CloseHandle(tls_step);
    CloseHandle(tls_done);
}

static void tls_runs_out_and_rejects_bad_indexes(struct utest *t)
{
    DWORD got[TLS_MINIMUM_AVAILABLE];
    int n = 0;
    while (n < TLS_MINIMUM_AVAILABLE && (got[n] = TlsAlloc()) != TLS_OUT_OF_INDEXES)
        n++;
    utest_log("%d of %d TLS slots were free (the runtime's errno holds one)", n, TLS_MINIMUM_AVAILABLE);
    EXPECT_GE(t, n, TLS_MINIMUM_AVAILABLE - 2);
    SetLastError(0);
    EXPECT_EQ(t, TlsAlloc(), TLS_OUT_OF_INDEXES);
    EXPECT_LAST_ERROR(t, ERROR_NO_MORE_ITEMS);
    for (int i = 0; i < n; i++)
        EXPECT_TRUE(t, TlsFree(got[i]));
    /* Out of range, and not allocated. */
    SetLastError(0);
    EXPECT_FALSE(t, TlsFree(got[0]));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
    SetLastError(0);
    EXPECT_FALSE(t, TlsFree(TLS_MINIMUM_AVAILABLE));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
    SetLastError(0);
    EXPECT_PTR_EQ(t, TlsGetValue(TLS_MINIMUM_AVAILABLE), NULL);
    EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
    SetLastError(0);
    EXPECT_FALSE(t, TlsSetValue(0x7FFFFFFF, NULL));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
}

/* ---- exceptions per thread ---------------------------------------------------------- */

struct fault_seen {
    volatile DWORD tid, esp, stack_base, stack_limit;
    volatile LONG count;
};
static struct fault_seen seen[WORKERS];

/* Continues every int3 of a worker (past the instruction), noting which
 * thread and stack it ran on. */
static LONG CALLBACK note_breakpoint(PEXCEPTION_POINTERS ep)
{
    if (ep->ExceptionRecord->ExceptionCode != EXCEPTION_BREAKPOINT)
        return EXCEPTION_CONTINUE_SEARCH;
    int i = (int)ep->ContextRecord->Ebx;        /* the worker's index, set before its int3 */
    if (i < 0 || i >= WORKERS)
        return EXCEPTION_CONTINUE_SEARCH;
    uint32_t local;
    seen[i].tid = GetCurrentThreadId();
    seen[i].esp = U32(&local);
    seen[i].stack_base = U32(current_teb()->NtTib.StackBase);
    seen[i].stack_limit = U32(current_teb()->NtTib.StackLimit);
    InterlockedIncrement(&seen[i].count);
    ep->ContextRecord->Eip++;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static DWORD WINAPI breakpoints(LPVOID arg)
{
    uint32_t index = (uint32_t)(uintptr_t)arg;
    for (int k = 0; k < 50; k++) {
        __asm__ volatile("int3" : : "b"(index) : "memory");
        if ((k & 7) == 0)
            Sleep(0);
    }
    return GetCurrentThreadId();
}

static void exceptions_go_to_the_faulting_thread(struct utest *t)
{
    HANDLE h[WORKERS];
    memset((void *)seen, 0, sizeof(seen));
    PVOID veh = AddVectoredExceptionHandler(1, note_breakpoint);
    for (int i = 0; i < WORKERS; i++)
        h[i] = start_thread(breakpoints, (LPVOID)(uintptr_t)i);
    for (int i = 0; i < WORKERS; i++) {
        DWORD tid = join_thread(h[i]);
        EXPECT_EQ(t, seen[i].count, 50);
        EXPECT_EQ(t, seen[i].tid, tid);
        /* The handler ran on the worker's own stack. */
        EXPECT_LT(t, seen[i].esp, seen[i].stack_base);
        EXPECT_GE(t, seen[i].esp, seen[i].stack_limit);
    }
    RemoveVectoredExceptionHandler(veh);
}

static DWORD WINAPI write_to_null(LPVOID arg)
{
    (void)arg;
    *(volatile uint32_t *)0x10 = 1;
    return 0;
}

static void access_violation_in_a_worker(struct utest *t)
{
    struct thread_catch c;
    EXPECT_EQ(t, run_catching(&c, write_to_null, NULL, 0, 0), 0xC47C4);
    EXPECT_EQ(t, c.code, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, c.info0, EXCEPTION_WRITE_FAULT);
    EXPECT_EQ(t, c.info1, 0x10);
    EXPECT_EQ(t, c.handler_tid, c.tid);
}

static const struct utest_case teb_cases[] = {
    UTEST_CASE(every_thread_reaches_its_own_teb),
    UTEST_CASE(last_error_and_errno_are_per_thread),
    UTEST_CASE(tls_values_are_per_thread),
    UTEST_CASE(tls_free_clears_every_thread),
    UTEST_CASE(tls_runs_out_and_rejects_bad_indexes),
    UTEST_END,
};

static const struct utest_case exception_cases[] = {
    UTEST_CASE(exceptions_go_to_the_faulting_thread),
    UTEST_CASE(access_violation_in_a_worker),
    UTEST_END,
};

static const struct utest_suite teb_suite = { .name = "teb", .cases = teb_cases };
static const struct utest_suite exception_suite = { .name = "thread_exceptions", .cases = exception_cases };
static const struct utest_suite *const suites[] = { &teb_suite, &exception_suite, NULL };

int main(void)
{
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    utest_register_counter("handles", counter_handles);
    return utest_main(suites);
}
