/* The process ends while its threads are in every state (issue 13,
 * tests): running, ready, blocked in INFINITE waits on events, mutexes,
 * semaphores and other threads, sleeping, suspended (once and many
 * times), created suspended and never started, holding mutexes and
 * critical sections, with grown stacks and TLS values and open handles.
 * main returns: ExitProcess ends every thread.  What the program checks
 * itself is only that they all exist and are in place; the real check is
 * the kernel's leak check after the program (frames, commit charge, page
 * tables, kernel heap bytes, kernel stacks, live objects). */
#include "uthreads.h"
#include <stdio.h>

#define WAITERS 6

static HANDLE never_set, held_mutex, empty_sem;
static CRITICAL_SECTION cs;
static volatile LONG running, ready_count;

static DWORD WINAPI spin_forever(LPVOID arg)
{
    (void)arg;
    InterlockedIncrement(&ready_count);
    while (running >= 0)
        InterlockedIncrement(&running);
    return 0;
}

static DWORD WINAPI wait_forever(LPVOID arg)
{
    HANDLE what = arg;
    char big[6000];                         /* a grown stack */
    for (unsigned i = sizeof(big); i >= 512; i -= 512)
        ((volatile char *)big)[i - 1] = 1;
    TlsSetValue(1, (LPVOID)0x1234);
    InterlockedIncrement(&ready_count);
    WaitForSingleObject(what, INFINITE);
    return big[0];
}

static DWORD WINAPI hold_and_wait(LPVOID arg)
{
    (void)arg;
    WaitForSingleObject(held_mutex, INFINITE);
    EnterCriticalSection(&cs);
    InterlockedIncrement(&ready_count);
    HANDLE all[2] = { never_set, empty_sem };
    WaitForMultipleObjects(2, all, TRUE, INFINITE);
    return 0;
}

static DWORD WINAPI sleep_forever(LPVOID arg)
{
    (void)arg;
    InterlockedIncrement(&ready_count);
    Sleep(INFINITE);
    return 0;
}

static DWORD WINAPI blocked_on_cs(LPVOID arg)
{
    (void)arg;
    InterlockedIncrement(&ready_count);
    EnterCriticalSection(&cs);                  /* owned by hold_and_wait, never left */
    return 0;
}

static void everything_in_place(struct utest *t)
{
    never_set = CreateEvent(NULL, TRUE, FALSE, NULL);
    held_mutex = CreateMutex(NULL, FALSE, NULL);
    empty_sem = CreateSemaphore(NULL, 0, 10, NULL);
    InitializeCriticalSection(&cs);
    ASSERT_EQ(t, TlsAlloc(), 1);
    int started = 0;

    HANDLE holder = start_thread(hold_and_wait, NULL);
    started++;
    while (ready_count < started)
        Sleep(1);
    for (int i = 0; i < WAITERS; i++) {
        HANDLE what = i % 3 == 0 ? never_set : i % 3 == 1 ? held_mutex : holder;
        start_thread(wait_forever, what);
        started++;
    }
    start_thread(sleep_forever, NULL);
    start_thread(blocked_on_cs, NULL);
    start_thread(spin_forever, NULL);
    HANDLE spinner2 = start_thread(spin_forever, NULL);
    started += 4;
    HANDLE suspended = start_thread(wait_forever, empty_sem);
    started++;
    while (ready_count < started)
        Sleep(1);
    EXPECT_EQ(t, SuspendThread(suspended), 0);
    EXPECT_EQ(t, SuspendThread(spinner2), 0);
    EXPECT_EQ(t, SuspendThread(spinner2), 1);
    HANDLE never_started = CreateThread(NULL, 0x20000, sleep_forever, NULL, CREATE_SUSPENDED, NULL);
    EXPECT_PTR_NE(t, never_started, NULL);
    Sleep(10);
    EXPECT_GT(t, running, 0);
    EXPECT_GE(t, counter_handles(), (uint64_t)started + 5);
    utest_log("%d threads running, ready, blocked or suspended; %llu handles open; returning from main",
              started + 1, counter_handles());
}

static const struct utest_case cases[] = {
    UTEST_CASE(everything_in_place),
    UTEST_END,
};
static const struct utest_suite suite = { .name = "exit_with_threads", .cases = cases };
static const struct utest_suite *const suites[] = { &suite, NULL };

int main(void)
{
    return utest_main(suites);
}
