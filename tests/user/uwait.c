/* WaitForSingleObject and WaitForMultipleObjects (issue 13, point 4):
 * timeouts (0, a few ms, INFINITE), WAIT_OBJECT_0 + i for the first
 * signalled object of a wait-any, wait-all over mixed objects that takes
 * all of them at once or nothing, waits on threads, waits that end when
 * the waiter is suspended or terminated, and the claim that a waiting
 * thread costs no CPU time. */
#include "uthreads.h"

static HANDLE event_now(BOOL manual, BOOL set)
{
    return CreateEvent(NULL, manual, set, NULL);
}

static void timeouts(struct utest *t)
{
    HANDLE e = event_now(TRUE, FALSE);
    ASSERT_PTR_NE(t, e, NULL);
    /* 0: a test, at once (the bound is loose: the host may stall QEMU). */
    DWORD t0 = GetTickCount();
    EXPECT_EQ(t, WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    EXPECT_LT(t, GetTickCount() - t0, 1000);
    /* A few milliseconds: at least that long. */
    static const DWORD ms[] = { 1, 5, 30 };
    for (unsigned i = 0; i < ARRAY_SIZE(ms); i++) {
        t0 = GetTickCount();
        EXPECT_EQ(t, WaitForSingleObject(e, ms[i]), WAIT_TIMEOUT);
        DWORD took = GetTickCount() - t0;
        EXPECT_GE(t, took, ms[i]);
        EXPECT_LT(t, took, ms[i] + 2000);
    }
    HANDLE two[2] = { e, e };
    t0 = GetTickCount();
    EXPECT_EQ(t, WaitForMultipleObjects(2, two, FALSE, 10), WAIT_TIMEOUT);
    EXPECT_GE(t, GetTickCount() - t0, 10);
    /* Already signalled: INFINITE returns at once. */
    SetEvent(e);
    EXPECT_EQ(t, WaitForSingleObject(e, INFINITE), WAIT_OBJECT_0);
    CloseHandle(e);
}

struct setter {
    HANDLE h;
    DWORD delay;
};

static DWORD WINAPI set_later(LPVOID arg)
{
    struct setter *s = arg;
    Sleep(s->delay);
    return SetEvent(s->h) ? 0 : 1;
}

static void infinite_wait_ends_when_signalled(struct utest *t)
{
    struct setter s = { event_now(FALSE, FALSE), 30 };
    HANDLE h = start_thread(set_later, &s);
    DWORD t0 = GetTickCount();
    EXPECT_EQ(t, WaitForSingleObject(s.h, INFINITE), WAIT_OBJECT_0);
    EXPECT_GE(t, GetTickCount() - t0, 30);
    EXPECT_EQ(t, join_thread(h), 0);
    CloseHandle(s.h);
}

static void wait_any_reports_the_first_signalled(struct utest *t)
{
    HANDLE e[5];
    for (int i = 0; i < 5; i++)
        e[i] = event_now(TRUE, FALSE);
    SetEvent(e[3]);
    EXPECT_EQ(t, WaitForMultipleObjects(5, e, FALSE, 0), WAIT_OBJECT_0 + 3);
    SetEvent(e[1]);
    EXPECT_EQ(t, WaitForMultipleObjects(5, e, FALSE, 0), WAIT_OBJECT_0 + 1);   /* the lowest index */
    /* Blocked, woken by the fifth. */
    ResetEvent(e[1]);
    ResetEvent(e[3]);
    struct setter s = { e[4], 10 };
    HANDLE h = start_thread(set_later, &s);
    EXPECT_EQ(t, WaitForMultipleObjects(5, e, FALSE, JOIN_MS), WAIT_OBJECT_0 + 4);
    EXPECT_EQ(t, join_thread(h), 0);
    for (int i = 0; i < 5; i++)
        CloseHandle(e[i]);
}

static HANDLE quit_event;
static volatile LONG quit_waiters;

static DWORD WINAPI wait_for_quit(LPVOID arg)
{
    (void)arg;
    InterlockedIncrement(&quit_waiters);
    return WaitForSingleObject(quit_event, JOIN_MS);
}

/* Wait-all over an event, a mutex, a semaphore and a thread: satisfied
 * only when all four are, and then it takes the mutex and a unit of the
 * semaphore; a wait-all that times out takes nothing. */
static void wait_all_over_mixed_objects(struct utest *t)
{
    HANDLE ev = event_now(FALSE, FALSE);
    HANDLE mx = CreateMutex(NULL, FALSE, NULL);
    HANDLE sem = CreateSemaphore(NULL, 1, 1, NULL);
    quit_event = event_now(TRUE, FALSE);
    HANDLE th = start_thread(wait_for_quit, NULL);
    HANDLE all[4] = { ev, mx, sem, th };

    EXPECT_EQ(t, WaitForMultipleObjects(4, all, TRUE, 10), WAIT_TIMEOUT);
    /* Nothing taken: the mutex is free, the semaphore still has its unit. */
    EXPECT_EQ(t, WaitForMultipleObjects(1, &sem, TRUE, 0), WAIT_OBJECT_0);
    ReleaseSemaphore(sem, 1, NULL);
    SetEvent(ev);
    EXPECT_EQ(t, WaitForMultipleObjects(4, all, TRUE, 10), WAIT_TIMEOUT);   /* the thread still runs */
    EXPECT_EQ(t, WaitForSingleObject(ev, 0), WAIT_OBJECT_0);              /* the auto event is still set */
    SetEvent(ev);
    SetEvent(quit_event);                   /* the thread ends: now all four */
    EXPECT_EQ(t, WaitForMultipleObjects(4, all, TRUE, JOIN_MS), WAIT_OBJECT_0);
    /* It took the auto event's signal, the semaphore's unit, the mutex. */
    EXPECT_EQ(t, WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
    EXPECT_EQ(t, WaitForSingleObject(sem, 0), WAIT_TIMEOUT);
    EXPECT_TRUE(t, ReleaseMutex(mx));
    EXPECT_FALSE(t, ReleaseMutex(mx));
    /* A blocked wait-all wakes when its last object comes. */
    ReleaseSemaphore(sem, 1, NULL);
    struct setter s = { ev, 20 };
    HANDLE setter = start_thread(set_later, &s);
    EXPECT_EQ(t, WaitForMultipleObjects(4, all, TRUE, JOIN_MS), WAIT_OBJECT_0);
    EXPECT_EQ(t, join_thread(setter), 0);
    EXPECT_TRUE(t, ReleaseMutex(mx));
    CloseHandle(th);
    CloseHandle(quit_event);
    CloseHandle(ev);
    CloseHandle(mx);
    CloseHandle(sem);
}

static DWORD WINAPI hold_mutex_and_end(LPVOID arg)
{
    return WaitForSingleObject((HANDLE)arg, 0);
}

static void wait_all_with_an_abandoned_mutex(struct utest *t)
{
    HANDLE ev = event_now(TRUE, TRUE);
    HANDLE mx = CreateMutex(NULL, FALSE, NULL);
    HANDLE all[2] = { ev, mx };
    EXPECT_EQ(t, join_thread(start_thread(hold_mutex_and_end, mx)), WAIT_OBJECT_0);
    EXPECT_EQ(t, WaitForMultipleObjects(2, all, TRUE, 0), WAIT_ABANDONED_0 + 1);
    EXPECT_TRUE(t, ReleaseMutex(mx));
    EXPECT_EQ(t, WaitForMultipleObjects(2, all, TRUE, 0), WAIT_OBJECT_0);
    EXPECT_TRUE(t, ReleaseMutex(mx));
    CloseHandle(ev);
    CloseHandle(mx);
}

/* A thread suspended in a wait does not take a signal meanwhile (NT
 * suspends it with an APC that interrupts the wait); resumed, it waits
 * again and takes the next one. */
static HANDLE shared;

static volatile LONG shared_waiters;

static DWORD WINAPI wait_shared(LPVOID arg)
{
    (void)arg;
    InterlockedIncrement(&shared_waiters);
    return WaitForSingleObject(shared, JOIN_MS);
}

static void suspended_waiter_takes_no_signal(struct utest *t)
{
    shared = event_now(FALSE, FALSE);
    shared_waiters = 0;
    HANDLE h = start_thread(wait_shared, NULL);
    let_them_block(&shared_waiters, 1);
    EXPECT_EQ(t, SuspendThread(h), 0);
    Sleep(10);
    SetEvent(shared);
    Sleep(10);
    EXPECT_EQ(t, WaitForSingleObject(shared, 0), WAIT_OBJECT_0);  /* still there for us */
    EXPECT_EQ(t, WaitForSingleObject(h, 20), WAIT_TIMEOUT);
    EXPECT_EQ(t, ResumeThread(h), 1);
    let_them_block(&shared_waiters, 1);
    EXPECT_EQ(t, WaitForSingleObject(h, 0), WAIT_TIMEOUT);       /* waiting again */
    SetEvent(shared);
    EXPECT_EQ(t, join_thread(h), WAIT_OBJECT_0);
    /* A blocked waiter can be terminated. */
    shared_waiters = 0;
    h = start_thread(wait_shared, NULL);
    let_them_block(&shared_waiters, 1);
    EXPECT_TRUE(t, TerminateThread(h, 0x99));
    EXPECT_EQ(t, join_thread(h), 0x99);
    EXPECT_EQ(t, WaitForSingleObject(shared, 0), WAIT_TIMEOUT);
    CloseHandle(shared);
}

/* ---- a waiting thread costs no CPU time ---------------------------------------------- */

static volatile LONG spins;
static volatile LONG stop;

static DWORD WINAPI count_for_a_while(LPVOID arg)
{
    (void)arg;
    while (!stop)
        spins++;
    return 0;
}

static ULONG64 cycles_of(HANDLE h)
{
    ULONG64 c = ~0ull;
    return QueryThreadCycleTime(h, &c) ? c : ~0ull;
}

/* Timing-free: the scheduler charges a thread the TSC cycles it runs
 * (QueryThreadCycleTime), so 8 threads blocked in INFINITE waits gain
 * none while a ninth spins for 60 ms, and the spinner gains some (the
 * count is live).  A waiter counts as blocked once its count stands
 * still over a sleep of ours. */
static void waiting_costs_no_cpu_time(struct utest *t)
{
    enum { WAITERS = 8 };
    HANDLE w[WAITERS], counter;
    ULONG64 before[WAITERS];

    quit_event = event_now(TRUE, FALSE);
    quit_waiters = 0;
    for (int i = 0; i < WAITERS; i++)
        w[i] = start_thread(wait_for_quit, NULL);
    let_them_block(&quit_waiters, WAITERS);
    for (int i = 0; i < WAITERS; i++) {
        before[i] = cycles_of(w[i]);
        for (int tries = 0; tries < 100; tries++) {
            Sleep(1);
            ULONG64 now = cycles_of(w[i]);
            if (now == before[i])
                break;
            before[i] = now;
        }
        EXPECT_NE(t, before[i], ~0ull);
    }
    spins = 0;
    stop = 0;
    counter = start_thread(count_for_a_while, NULL);
    Sleep(60);
    stop = 1;
    EXPECT_EQ(t, WaitForSingleObject(counter, JOIN_MS), WAIT_OBJECT_0);
    ULONG64 spinner = cycles_of(counter);
    CloseHandle(counter);
    for (int i = 0; i < WAITERS; i++)
        EXPECT_EQ(t, cycles_of(w[i]), before[i]);
    utest_log("cycles: spinner %llu (%ld spins), each blocked waiter +0", spinner, spins);
    EXPECT_GT(t, spins, 0);
    EXPECT_TRUE(t, spinner != ~0ull && spinner > 0);
    SetEvent(quit_event);
    for (int i = 0; i < WAITERS; i++)
        join_thread(w[i]);
    CloseHandle(quit_event);
}

static const struct utest_case wait_cases[] = {
    UTEST_CASE(timeouts),
    UTEST_CASE(infinite_wait_ends_when_signalled),
    UTEST_CASE(wait_any_reports_the_first_signalled),
    UTEST_CASE(wait_all_over_mixed_objects),
    UTEST_CASE(wait_all_with_an_abandoned_mutex),
    UTEST_CASE(suspended_waiter_takes_no_signal),
    UTEST_CASE(waiting_costs_no_cpu_time),
    UTEST_END,
};

static const struct utest_suite wait_suite = { .name = "waits", .cases = wait_cases };
static const struct utest_suite *const suites[] = { &wait_suite, NULL };

int main(void)
{
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    utest_register_counter("handles", counter_handles);
    return utest_main(suites);
}
