/* Handles, events, mutexes and semaphores (issue 13, points 4 and 7):
 * CloseHandle and DuplicateHandle, each object's semantics as Microsoft
 * documents them, and bad input: invalid, closed and wrong-type handles
 * are ERROR_INVALID_HANDLE, a non-owner's ReleaseMutex ERROR_NOT_OWNER,
 * a release past a semaphore's maximum ERROR_TOO_MANY_POSTS, and bad
 * pointers to the native calls STATUS_ACCESS_VIOLATION with nothing
 * created or changed. */
#include "uthreads.h"

static HANDLE event_now(BOOL manual, BOOL set)
{
    return CreateEvent(NULL, manual, set, NULL);
}

/* Signalled right now?  (A test that takes what it tests: for an
 * auto-reset event or a semaphore, the wait consumes.) */
static bool signalled(HANDLE h)
{
    return WaitForSingleObject(h, 0) == WAIT_OBJECT_0;
}

/* ---- handles ------------------------------------------------------------------ */

static void close_and_reuse(struct utest *t)
{
    HANDLE e = event_now(TRUE, FALSE);
    ASSERT_PTR_NE(t, e, NULL);
    EXPECT_EQ(t, U32(e) % 4, 0);
    EXPECT_NE(t, U32(e), 0);
    EXPECT_TRUE(t, CloseHandle(e));
    /* Closed: every use of it fails, and closing again too. */
    SetLastError(0);
    EXPECT_FALSE(t, CloseHandle(e));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
    SetLastError(0);
    EXPECT_FALSE(t, SetEvent(e));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
    SetLastError(0);
    EXPECT_EQ(t, WaitForSingleObject(e, 0), WAIT_FAILED);
    EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
    /* The freed handle value is handed out again first, as NT does. */
    HANDLE again = event_now(FALSE, FALSE);
    EXPECT_PTR_EQ(t, again, e);
    EXPECT_TRUE(t, CloseHandle(again));
    static const uint32_t junk[] = { 0, 0x1234, 0xFFFC, 0x7FFFFFFC, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFD };
    for (unsigned i = 0; i < ARRAY_SIZE(junk); i++) {
        SetLastError(0);
        EXPECT_FALSE(t, CloseHandle(VA(junk[i])));
        EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
    }
}

/* The table grows as handles are made (doubling from 32 slots) and has
 * room for 65,535; past that, ERROR_NO_SYSTEM_RESOURCES and no object. */
#define HANDLES_MAX 65535
static HANDLE many_handles[HANDLES_MAX + 1];

static void handle_table_grows_to_its_limit(struct utest *t)
{
    uint64_t before = counter_handles();
    int n = 0;
    SetLastError(0);
    while (n <= HANDLES_MAX && (many_handles[n] = event_now(TRUE, FALSE)) != NULL)
        n++;
    EXPECT_EQ(t, (uint64_t)n + before, HANDLES_MAX);
    EXPECT_LAST_ERROR(t, ERROR_NO_SYSTEM_RESOURCES);
    EXPECT_EQ(t, counter_handles(), HANDLES_MAX);
    /* Every handle is its own object, and the last ones work. */
    if (n > 2) {
        EXPECT_TRUE(t, SetEvent(many_handles[n - 1]));
        EXPECT_FALSE(t, signalled(many_handles[n - 2]));
        EXPECT_TRUE(t, signalled(many_handles[n - 1]));
    }
    for (int i = 0; i < n; i++)
        if (!CloseHandle(many_handles[i]))
            utest_fail_msg(t, __FILE__, __LINE__, "CloseHandle(%p) failed", many_handles[i]);
    EXPECT_EQ(t, counter_handles(), before);
    utest_log("%d handles made and closed", n);
}

static void duplicate_handles(struct utest *t)
{
    HANDLE e = event_now(TRUE, FALSE), d = NULL, d2 = NULL;
    ASSERT_PTR_NE(t, e, NULL);
    EXPECT_TRUE(t, DuplicateHandle(GetCurrentProcess(), e, GetCurrentProcess(), &d, 0, FALSE,
                                   DUPLICATE_SAME_ACCESS));
    EXPECT_PTR_NE(t, d, e);
    /* One object behind both. */
    EXPECT_TRUE(t, SetEvent(d));
    EXPECT_TRUE(t, signalled(e));
    EXPECT_TRUE(t, CloseHandle(e));
    EXPECT_TRUE(t, signalled(d));           /* the object lives while a handle does */
    /* DUPLICATE_CLOSE_SOURCE: the source is gone afterwards. */
    EXPECT_TRUE(t, DuplicateHandle(GetCurrentProcess(), d, GetCurrentProcess(), &d2, 0, FALSE,
                                   DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE));
    EXPECT_FALSE(t, CloseHandle(d));
    EXPECT_TRUE(t, signalled(d2));
    EXPECT_TRUE(t, CloseHandle(d2));
    /* The pseudo handles become real ones. */
    HANDLE me = NULL, proc = NULL;
    EXPECT_TRUE(t, DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(), &me, 0,
                                   FALSE, DUPLICATE_SAME_ACCESS));
    EXPECT_NE(t, U32(me), 0xFFFFFFFE);
    EXPECT_EQ(t, GetThreadId(me), GetCurrentThreadId());
    EXPECT_EQ(t, WaitForSingleObject(me, 0), WAIT_TIMEOUT);     /* this thread runs */
    EXPECT_TRUE(t, DuplicateHandle(GetCurrentProcess(), GetCurrentProcess(), GetCurrentProcess(), &proc, 0,
                                   FALSE, DUPLICATE_SAME_ACCESS));
    /* A real handle to this process works where the pseudo handle does. */
    LPVOID p = NULL;
    SIZE_T size = PAGE;
    EXPECT_EQ(t, NtAllocateVirtualMemory(proc, &p, 0, &size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
              STATUS_SUCCESS);
    EXPECT_TRUE(t, VirtualFree(p, 0, MEM_RELEASE));
    /* Bad source handle, bad process handles: nothing is made. */
    uint64_t before = counter_handles();
    HANDLE x = VA(0x5555);
    SetLastError(0);
    EXPECT_FALSE(t, DuplicateHandle(GetCurrentProcess(), VA(0x1230), GetCurrentProcess(), &x, 0, FALSE, 0));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
    EXPECT_PTR_EQ(t, x, 0x5555);
    SetLastError(0);
    EXPECT_FALSE(t, DuplicateHandle(me, me, GetCurrentProcess(), &x, 0, FALSE, 0));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
    EXPECT_EQ(t, counter_handles(), before);
    EXPECT_TRUE(t, CloseHandle(me));
    EXPECT_TRUE(t, CloseHandle(proc));
}

/* Each object type accepts only its own calls. */
static void wrong_type_handles(struct utest *t)
{
    HANDLE e = event_now(TRUE, FALSE), m = CreateMutex(NULL, FALSE, NULL);
    HANDLE s = CreateSemaphore(NULL, 1, 5, NULL);
    LONG prev;
    ASSERT_TRUE(t, e != NULL && m != NULL && s != NULL);
    SetLastError(0);
    EXPECT_FALSE(t, SetEvent(m));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
    SetLastError(0);
    EXPECT_FALSE(t, ResetEvent(s));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
    SetLastError(0);
    EXPECT_FALSE(t, ReleaseMutex(e));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
    SetLastError(0);
    EXPECT_FALSE(t, ReleaseSemaphore(m, 1, &prev));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
    SetLastError(0);
    EXPECT_EQ(t, SuspendThread(e), (DWORD)-1);
    EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
    SetLastError(0);
    EXPECT_FALSE(t, TerminateThread(s, 0));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
    SetLastError(0);
    EXPECT_FALSE(t, SetEvent(GetCurrentThread()));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_HANDLE);
    /* Nothing changed: the semaphore still has its one unit, the mutex is free. */
    EXPECT_TRUE(t, signalled(s));
    EXPECT_FALSE(t, signalled(s));
    EXPECT_TRUE(t, signalled(m));
    EXPECT_TRUE(t, ReleaseMutex(m));
    EXPECT_FALSE(t, signalled(e));
    CloseHandle(e);
    CloseHandle(m);
    CloseHandle(s);
}

/* ---- events --------------------------------------------------------------------- */

static HANDLE shared_event;
static volatile LONG woken, arrived;

static DWORD WINAPI wait_shared_event(LPVOID arg)
{
    InterlockedIncrement(&arrived);
    DWORD r = WaitForSingleObject(shared_event, (DWORD)(uintptr_t)arg);
    if (r == WAIT_OBJECT_0)
        InterlockedIncrement(&woken);
    return r;
}

/* Starts n waiters on shared_event and lets them block. */
static void start_waiters(HANDLE *h, int n, DWORD timeout)
{
    woken = 0;
    arrived = 0;
    for (int i = 0; i < n; i++)
        h[i] = start_thread(wait_shared_event, (LPVOID)(uintptr_t)timeout);
    let_them_block(&arrived, n);
}

static void manual_reset_events(struct utest *t)
{
    HANDLE h[3];
    shared_event = event_now(TRUE, FALSE);
    start_waiters(h, 3, JOIN_MS);
    EXPECT_EQ(t, woken, 0);
    EXPECT_TRUE(t, SetEvent(shared_event));         /* every waiter goes */
    for (int i = 0; i < 3; i++)
        EXPECT_EQ(t, join_thread(h[i]), WAIT_OBJECT_0);
    EXPECT_EQ(t, woken, 3);
    EXPECT_TRUE(t, signalled(shared_event));        /* and it stays set */
    EXPECT_TRUE(t, signalled(shared_event));
    EXPECT_TRUE(t, ResetEvent(shared_event));
    EXPECT_FALSE(t, signalled(shared_event));
    /* PulseEvent: the three waiting now go, and the event ends reset. */
    start_waiters(h, 3, JOIN_MS);
    EXPECT_TRUE(t, PulseEvent(shared_event));
    for (int i = 0; i < 3; i++)
        EXPECT_EQ(t, join_thread(h[i]), WAIT_OBJECT_0);
    EXPECT_EQ(t, woken, 3);
    EXPECT_FALSE(t, signalled(shared_event));
    EXPECT_TRUE(t, PulseEvent(shared_event));      /* nobody waits: nothing at all */
    EXPECT_FALSE(t, signalled(shared_event));
    CloseHandle(shared_event);
}

static void auto_reset_events(struct utest *t)
{
    HANDLE h[3];
    shared_event = event_now(FALSE, TRUE);
    EXPECT_TRUE(t, signalled(shared_event));        /* a satisfied wait resets it */
    EXPECT_FALSE(t, signalled(shared_event));
    start_waiters(h, 3, 500);
    EXPECT_TRUE(t, SetEvent(shared_event));         /* one waiter goes */
    let_them_block(&woken, 1);
    EXPECT_EQ(t, woken, 1);
    EXPECT_FALSE(t, signalled(shared_event));
    EXPECT_TRUE(t, PulseEvent(shared_event));      /* one more */
    let_them_block(&woken, 2);
    EXPECT_EQ(t, woken, 2);
    int timeouts = 0;
    for (int i = 0; i < 3; i++)
        timeouts += join_thread(h[i]) == WAIT_TIMEOUT;
    EXPECT_EQ(t, timeouts, 1);
    /* Set twice with no waiter: still one signal. */
    EXPECT_TRUE(t, SetEvent(shared_event));
    EXPECT_TRUE(t, SetEvent(shared_event));
    EXPECT_TRUE(t, signalled(shared_event));
    EXPECT_FALSE(t, signalled(shared_event));
    CloseHandle(shared_event);
}

/* ---- mutexes ------------------------------------------------------------------- */

static HANDLE shared_mutex;

static DWORD WINAPI try_release_mutex(LPVOID arg)
{
    (void)arg;
    SetLastError(0);
    if (ReleaseMutex(shared_mutex))
        return 1;
    return GetLastError();
}

static DWORD WINAPI take_mutex(LPVOID arg)
{
    DWORD r = WaitForSingleObject(shared_mutex, (DWORD)(uintptr_t)arg);
    if (r == WAIT_OBJECT_0 || r == WAIT_ABANDONED)
        ReleaseMutex(shared_mutex);
    return r;
}

static void mutex_ownership(struct utest *t)
{
    shared_mutex = CreateMutex(NULL, TRUE, NULL);   /* owned by this thread */
    ASSERT_PTR_NE(t, shared_mutex, NULL);
    /* Recursive: the owner's waits succeed at once; each needs a release. */
    EXPECT_EQ(t, WaitForSingleObject(shared_mutex, 0), WAIT_OBJECT_0);
    EXPECT_EQ(t, WaitForSingleObject(shared_mutex, 0), WAIT_OBJECT_0);
    /* Another thread may neither release nor take it. */
    EXPECT_EQ(t, join_thread(start_thread(try_release_mutex, NULL)), ERROR_NOT_OWNER);
    EXPECT_EQ(t, join_thread(start_thread(take_mutex, (LPVOID)20)), WAIT_TIMEOUT);
    EXPECT_TRUE(t, ReleaseMutex(shared_mutex));
    EXPECT_TRUE(t, ReleaseMutex(shared_mutex));
    EXPECT_EQ(t, join_thread(start_thread(take_mutex, (LPVOID)20)), WAIT_TIMEOUT);  /* one level left */
    EXPECT_TRUE(t, ReleaseMutex(shared_mutex));
    SetLastError(0);
    EXPECT_FALSE(t, ReleaseMutex(shared_mutex));    /* free now: not ours */
    EXPECT_LAST_ERROR(t, ERROR_NOT_OWNER);
    EXPECT_EQ(t, join_thread(start_thread(take_mutex, (LPVOID)JOIN_MS)), WAIT_OBJECT_0);
    /* A waiter blocks until the owner lets go, then owns it. */
    EXPECT_EQ(t, WaitForSingleObject(shared_mutex, 0), WAIT_OBJECT_0);
    HANDLE h = start_thread(take_mutex, (LPVOID)JOIN_MS);
    Sleep(20);
    EXPECT_EQ(t, WaitForSingleObject(h, 0), WAIT_TIMEOUT);
    EXPECT_TRUE(t, ReleaseMutex(shared_mutex));
    EXPECT_EQ(t, join_thread(h), WAIT_OBJECT_0);
    CloseHandle(shared_mutex);
}

static DWORD WINAPI own_and_end(LPVOID arg)
{
    (void)arg;
    if (WaitForSingleObject(shared_mutex, 0) != WAIT_OBJECT_0)
        return 1;
    WaitForSingleObject(shared_mutex, 0);           /* twice: the whole depth is abandoned */
    return 0;                                       /* ends holding it */
}

static void abandoned_mutex(struct utest *t)
{
    shared_mutex = CreateMutex(NULL, FALSE, NULL);
    EXPECT_EQ(t, join_thread(start_thread(own_and_end, NULL)), 0);
    /* The next owner learns of it once, and owns it (depth 1). */
    EXPECT_EQ(t, WaitForSingleObject(shared_mutex, 0), WAIT_ABANDONED);
    EXPECT_TRUE(t, ReleaseMutex(shared_mutex));
    EXPECT_FALSE(t, ReleaseMutex(shared_mutex));
    EXPECT_EQ(t, WaitForSingleObject(shared_mutex, 0), WAIT_OBJECT_0);
    EXPECT_TRUE(t, ReleaseMutex(shared_mutex));
    /* A waiter that is blocked when the owner is terminated. */
    EXPECT_EQ(t, WaitForSingleObject(shared_mutex, 0), WAIT_OBJECT_0);
    HANDLE events[2] = { event_now(TRUE, FALSE), shared_mutex };
    HANDLE main_thread = NULL;
    DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(), &main_thread, 0, FALSE,
                    DUPLICATE_SAME_ACCESS);
    EXPECT_TRUE(t, ReleaseMutex(shared_mutex));
    HANDLE owner = CreateThread(NULL, 0, own_and_end, NULL, CREATE_SUSPENDED, NULL);
    ResumeThread(owner);
    EXPECT_EQ(t, WaitForSingleObject(owner, JOIN_MS), WAIT_OBJECT_0);
    EXPECT_EQ(t, WaitForMultipleObjects(2, events, FALSE, 0), WAIT_ABANDONED_0 + 1);
    EXPECT_TRUE(t, ReleaseMutex(shared_mutex));
    CloseHandle(owner);
    CloseHandle(main_thread);
    CloseHandle(events[0]);
    CloseHandle(shared_mutex);
}

/* ---- semaphores --------------------------------------------------------------------- */

static void semaphores(struct utest *t)
{
    LONG prev = -1;
    HANDLE s = CreateSemaphore(NULL, 2, 3, NULL);
    ASSERT_PTR_NE(t, s, NULL);
    EXPECT_TRUE(t, signalled(s));
    EXPECT_TRUE(t, signalled(s));
    EXPECT_FALSE(t, signalled(s));                  /* count 0 */
    EXPECT_TRUE(t, ReleaseSemaphore(s, 2, &prev));
    EXPECT_EQ(t, prev, 0);
    EXPECT_TRUE(t, ReleaseSemaphore(s, 1, &prev));
    EXPECT_EQ(t, prev, 2);
    /* Past the maximum: refused, the count stays 3. */
    prev = -1;
    SetLastError(0);
    EXPECT_FALSE(t, ReleaseSemaphore(s, 1, &prev));
    EXPECT_LAST_ERROR(t, ERROR_TOO_MANY_POSTS);
    EXPECT_EQ(t, prev, -1);
    SetLastError(0);
    EXPECT_FALSE(t, ReleaseSemaphore(s, 0x7FFFFFFF, NULL));
    EXPECT_LAST_ERROR(t, ERROR_TOO_MANY_POSTS);
    SetLastError(0);
    EXPECT_FALSE(t, ReleaseSemaphore(s, 0, NULL));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
    SetLastError(0);
    EXPECT_FALSE(t, ReleaseSemaphore(s, -1, NULL));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
    for (int i = 0; i < 3; i++)
        EXPECT_TRUE(t, signalled(s));
    EXPECT_FALSE(t, signalled(s));
    CloseHandle(s);
    /* Bad counts at creation. */
    static const LONG bad[][2] = { { 4, 3 }, { -1, 3 }, { 0, 0 }, { 0, -5 } };
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        SetLastError(0);
        EXPECT_PTR_EQ(t, CreateSemaphore(NULL, bad[i][0], bad[i][1], NULL), NULL);
        EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
    }
    SetLastError(0);
    EXPECT_PTR_EQ(t, CreateEvent(NULL, TRUE, FALSE, "named"), NULL);
    EXPECT_LAST_ERROR(t, ERROR_NOT_SUPPORTED);
}

/* ---- bad pointers to the native calls ------------------------------------------------- */

static void bad_pointers_change_nothing(struct utest *t)
{
    static const uint32_t bad[] = { 0, 0x10, 0x80000000, 0xFFFFFFF0 };
    HANDLE e = event_now(TRUE, FALSE);
    uint64_t handles = counter_handles(), allocs = utest_counter_allocations();

    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        PHANDLE out = VA(bad[i]);
        EXPECT_EQ(t, NtCreateEvent(out, EVENT_ALL_ACCESS, NULL, 0, FALSE), STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(t, NtCreateMutant(out, MUTANT_ALL_ACCESS, NULL, TRUE), STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(t, NtCreateSemaphore(out, SEMAPHORE_ALL_ACCESS, NULL, 1, 1), STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(t, NtCreateThreadEx(out, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(), NULL, NULL, 0, 0, 0, 0,
                                      NULL),
                  STATUS_ACCESS_VIOLATION);
        if (bad[i] != 0) {
            HANDLE h;
            EXPECT_EQ(t, NtCreateThreadEx(&h, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(), NULL, NULL, 0, 0, 0,
                                          0, VA(bad[i])),
                      STATUS_ACCESS_VIOLATION);
            EXPECT_EQ(t, NtSetEvent(e, VA(bad[i])), STATUS_ACCESS_VIOLATION);
            LARGE_INTEGER *timeout = VA(bad[i]);
            EXPECT_EQ(t, NtWaitForSingleObject(e, FALSE, timeout), STATUS_ACCESS_VIOLATION);
            EXPECT_EQ(t, NtDelayExecution(FALSE, timeout), STATUS_ACCESS_VIOLATION);
            /* (A NULL target is allowed: DuplicateHandle's documentation
             * says the duplicate is then made but not returned.) */
            EXPECT_EQ(t, NtDuplicateObject(NtCurrentProcess(), e, NtCurrentProcess(), out, 0, 0, 0),
                      STATUS_ACCESS_VIOLATION);
        }
        EXPECT_EQ(t, NtWaitForMultipleObjects(2, VA(bad[i]), WaitAny, FALSE, NULL), STATUS_ACCESS_VIOLATION);
    }
    EXPECT_FALSE(t, signalled(e));                  /* the failed NtSetEvent did not set it */
    EXPECT_EQ(t, counter_handles(), handles);
    EXPECT_EQ(t, utest_counter_allocations(), allocs);
    /* Counts and kinds the calls refuse. */
    HANDLE many[MAXIMUM_WAIT_OBJECTS + 1];
    for (int i = 0; i <= MAXIMUM_WAIT_OBJECTS; i++)
        many[i] = e;
    SetLastError(0);
    EXPECT_EQ(t, WaitForMultipleObjects(0, many, FALSE, 0), WAIT_FAILED);
    EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
    SetLastError(0);
    EXPECT_EQ(t, WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS + 1, many, FALSE, 0), WAIT_FAILED);
    EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
    EXPECT_EQ(t, WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS, many, FALSE, 0), WAIT_TIMEOUT);
    SetLastError(0);
    EXPECT_EQ(t, WaitForMultipleObjects(2, many, TRUE, 0), WAIT_FAILED);     /* the same object twice */
    EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
    HANDLE h;
    EXPECT_EQ(t, NtCreateEvent(&h, EVENT_ALL_ACCESS, NULL, 7, FALSE), STATUS_INVALID_PARAMETER_4);
    EXPECT_EQ(t, NtCreateThreadEx(&h, THREAD_ALL_ACCESS, NULL, VA(0x1234), NULL, NULL, 0, 0, 0, 0, NULL),
              STATUS_INVALID_HANDLE);
    EXPECT_EQ(t, NtCreateThreadEx(&h, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(), NULL, NULL, 0x80, 0, 0, 0,
                                  NULL),
              STATUS_INVALID_PARAMETER_7);
    EXPECT_EQ(t, counter_handles(), handles);
    CloseHandle(e);
}

static const struct utest_case handle_cases[] = {
    UTEST_CASE(close_and_reuse),
    UTEST_CASE(handle_table_grows_to_its_limit),
    UTEST_CASE(duplicate_handles),
    UTEST_CASE(wrong_type_handles),
    UTEST_CASE(bad_pointers_change_nothing),
    UTEST_END,
};

static const struct utest_case object_cases[] = {
    UTEST_CASE(manual_reset_events),
    UTEST_CASE(auto_reset_events),
    UTEST_CASE(mutex_ownership),
    UTEST_CASE(abandoned_mutex),
    UTEST_CASE(semaphores),
    UTEST_END,
};

static const struct utest_suite handle_suite = { .name = "handles", .cases = handle_cases };
static const struct utest_suite object_suite = { .name = "sync_objects", .cases = object_cases };
static const struct utest_suite *const suites[] = { &handle_suite, &object_suite, NULL };

int main(void)
{
    /* No commit-charge counter: 65,535 events grow the kernel heap, which
     * keeps its pages committed for reuse.  The kernel's leak check after
     * the program counts its bytes in use instead. */
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("handles", counter_handles);
    return utest_main(suites);
}
