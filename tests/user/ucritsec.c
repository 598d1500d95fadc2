/* Critical sections and interlocked operations (issue 13, point 5): the
 * documented RTL_CRITICAL_SECTION layout and field values, recursion,
 * TryEnter, contention that waits on an event made at the first
 * contention (and never before: the uncontended path makes no system
 * call), exact counts from threads preempted inside the section; the
 * Interlocked* family; and the process heap's lock, which is such a
 * section: HeapLock in one thread makes another thread's HeapAlloc on
 * that heap wait. */
#include "uthreads.h"
#include <stdlib.h>

#define WORKERS 4
#define ROUNDS 20000

static CRITICAL_SECTION cs;
static volatile LONG shared_counter;

static void layout_and_fields(struct utest *t)
{
    _Static_assert(sizeof(CRITICAL_SECTION) == 24, "x86 CRITICAL_SECTION");
    _Static_assert(__builtin_offsetof(RTL_CRITICAL_SECTION, LockCount) == 4 &&
                       __builtin_offsetof(RTL_CRITICAL_SECTION, RecursionCount) == 8 &&
                       __builtin_offsetof(RTL_CRITICAL_SECTION, OwningThread) == 12 &&
                       __builtin_offsetof(RTL_CRITICAL_SECTION, LockSemaphore) == 16 &&
                       __builtin_offsetof(RTL_CRITICAL_SECTION, SpinCount) == 20,
                   "RTL_CRITICAL_SECTION offsets");
    EXPECT_TRUE(t, InitializeCriticalSectionAndSpinCount(&cs, 4000));
    EXPECT_EQ(t, cs.LockCount, -1);
    EXPECT_EQ(t, cs.RecursionCount, 0);
    EXPECT_PTR_EQ(t, cs.OwningThread, NULL);
    EXPECT_PTR_EQ(t, cs.LockSemaphore, NULL);
    EXPECT_EQ(t, cs.SpinCount, 0);              /* one processor: ignored, stored as 0 */
    EXPECT_EQ(t, SetCriticalSectionSpinCount(&cs, 100), 0);
    EnterCriticalSection(&cs);
    EXPECT_EQ(t, cs.LockCount, 0);
    EXPECT_EQ(t, cs.RecursionCount, 1);
    EXPECT_EQ(t, U32(cs.OwningThread), GetCurrentThreadId());
    EnterCriticalSection(&cs);
    EXPECT_TRUE(t, TryEnterCriticalSection(&cs));
    EXPECT_EQ(t, cs.RecursionCount, 3);
    EXPECT_EQ(t, cs.LockCount, 2);
    LeaveCriticalSection(&cs);
    LeaveCriticalSection(&cs);
    EXPECT_EQ(t, cs.RecursionCount, 1);
    LeaveCriticalSection(&cs);
    EXPECT_EQ(t, cs.LockCount, -1);
    EXPECT_EQ(t, cs.RecursionCount, 0);
    EXPECT_PTR_EQ(t, cs.OwningThread, NULL);
    EXPECT_PTR_EQ(t, cs.LockSemaphore, NULL);   /* no contention: no event, no system call */
    DeleteCriticalSection(&cs);
}

static DWORD WINAPI try_enter(LPVOID arg)
{
    (void)arg;
    if (!TryEnterCriticalSection(&cs))
        return 0;
    LeaveCriticalSection(&cs);
    return 1;
}

static DWORD WINAPI enter_and_leave(LPVOID arg)
{
    (void)arg;
    EnterCriticalSection(&cs);
    DWORD owner = U32(cs.OwningThread);
    LeaveCriticalSection(&cs);
    return owner == GetCurrentThreadId() ? 0 : 1;
}

static void contention_waits_on_an_event(struct utest *t)
{
    InitializeCriticalSection(&cs);
    uint64_t handles = counter_handles();
    EnterCriticalSection(&cs);
    EXPECT_EQ(t, join_thread(start_thread(try_enter, NULL)), 0);    /* owned: TryEnter fails */
    HANDLE h = start_thread(enter_and_leave, NULL);
    for (int i = 0; (cs.LockCount < 1 || cs.LockSemaphore == NULL) && i < 20000; i++)
        Sleep(i < 100 ? 0 : 1);                                     /* until it has come in */
    let_them_block(&cs.LockCount, 1);
    EXPECT_EQ(t, WaitForSingleObject(h, 0), WAIT_TIMEOUT);          /* blocked */
    EXPECT_EQ(t, cs.LockCount, 1);                                  /* owner + one waiter - 1 */
    EXPECT_PTR_NE(t, cs.LockSemaphore, NULL);                       /* made at the first contention */
    EXPECT_EQ(t, counter_handles(), handles + 2);                   /* the thread's and the event's */
    LeaveCriticalSection(&cs);
    EXPECT_EQ(t, join_thread(h), 0);
    EXPECT_EQ(t, cs.LockCount, -1);
    EXPECT_EQ(t, join_thread(start_thread(try_enter, NULL)), 1);
    DeleteCriticalSection(&cs);                                     /* closes the event */
    EXPECT_EQ(t, counter_handles(), handles);
}

static DWORD WINAPI increment_under_lock(LPVOID arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        EnterCriticalSection(&cs);
        LONG v = shared_counter;
        for (volatile int d = 0; d < 10; d++)
            ;                       /* widen the window a preemption can hit */
        if (i % 64 == 0) {
            EnterCriticalSection(&cs);      /* recursion under contention too */
            LeaveCriticalSection(&cs);
        }
        shared_counter = v + 1;
        LeaveCriticalSection(&cs);
    }
    return 0;
}

static void exact_under_preemption(struct utest *t)
{
    HANDLE h[WORKERS];
    InitializeCriticalSection(&cs);
    shared_counter = 0;
    for (int i = 0; i < WORKERS; i++)
        h[i] = start_thread(increment_under_lock, NULL);
    for (int i = 0; i < WORKERS; i++)
        EXPECT_EQ(t, join_thread(h[i]), 0);
    EXPECT_EQ(t, shared_counter, WORKERS * ROUNDS);
    EXPECT_EQ(t, cs.LockCount, -1);
    utest_log("event made: %s", cs.LockSemaphore != NULL ? "yes (threads met inside)" : "no");
    DeleteCriticalSection(&cs);
}

/* ---- interlocked ---------------------------------------------------------------------- */

static volatile LONG interlocked_counter;
static volatile LONGLONG interlocked_wide;

static DWORD WINAPI interlocked_worker(LPVOID arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        InterlockedIncrement(&interlocked_counter);
        InterlockedExchangeAdd64(&interlocked_wide, 0x100000001ll);
        LONG v;
        do
            v = interlocked_counter;
        while (InterlockedCompareExchange(&interlocked_counter, v + 2, v) != v);
        InterlockedDecrement(&interlocked_counter);
    }
    return 0;
}

static void interlocked_operations(struct utest *t)
{
    volatile LONG x = 5;
    EXPECT_EQ(t, InterlockedIncrement(&x), 6);
    EXPECT_EQ(t, InterlockedDecrement(&x), 5);
    EXPECT_EQ(t, InterlockedExchange(&x, 9), 5);
    EXPECT_EQ(t, InterlockedExchangeAdd(&x, 3), 9);
    EXPECT_EQ(t, x, 12);
    EXPECT_EQ(t, InterlockedCompareExchange(&x, 1, 7), 12);     /* no match: unchanged */
    EXPECT_EQ(t, InterlockedCompareExchange(&x, 1, 12), 12);
    EXPECT_EQ(t, x, 1);
    EXPECT_EQ(t, InterlockedOr(&x, 6), 1);
    EXPECT_EQ(t, InterlockedAnd(&x, 3), 7);
    EXPECT_EQ(t, InterlockedXor(&x, 1), 3);
    EXPECT_EQ(t, x, 2);
    PVOID volatile p = NULL;
    EXPECT_PTR_EQ(t, InterlockedCompareExchangePointer(&p, (PVOID)&x, NULL), NULL);
    EXPECT_PTR_EQ(t, InterlockedExchangePointer(&p, NULL), &x);
    volatile LONGLONG w = 0x100000000ll;
    EXPECT_EQ(t, InterlockedCompareExchange64(&w, 7, 0x100000000ll), 0x100000000ll);
    EXPECT_EQ(t, InterlockedIncrement64(&w), 8);

    HANDLE h[WORKERS];
    interlocked_counter = 0;
    interlocked_wide = 0;
    for (int i = 0; i < WORKERS; i++)
        h[i] = start_thread(interlocked_worker, NULL);
    for (int i = 0; i < WORKERS; i++)
        EXPECT_EQ(t, join_thread(h[i]), 0);
    EXPECT_EQ(t, interlocked_counter, WORKERS * ROUNDS * 2);
    EXPECT_EQ(t, interlocked_wide, (LONGLONG)WORKERS * ROUNDS * 0x100000001ll);
}

/* ---- the heap lock ---------------------------------------------------------------------- */

static HANDLE heap_under_test;
static volatile LONG allocated;

static DWORD WINAPI alloc_from(LPVOID arg)
{
    (void)arg;
    void *p = HeapAlloc(heap_under_test, 0, 64);
    InterlockedIncrement(&allocated);
    HeapFree(heap_under_test, 0, p);
    return p != NULL ? 0 : 1;
}

static DWORD WINAPI malloc_once(LPVOID arg)
{
    (void)arg;
    void *p = malloc(100);
    InterlockedIncrement(&allocated);
    free(p);
    return p != NULL ? 0 : 1;
}

/* HeapLock in one thread makes another's HeapAlloc on that heap wait
 * until HeapUnlock (the heap lock is a critical section, as in NT). */
static void heap_lock_blocks_other_threads(struct utest *t)
{
    HANDLE heaps[2] = { GetProcessHeap(), HeapCreate(0, 0, 0) };
    LPTHREAD_START_ROUTINE fns[2] = { alloc_from, malloc_once };

    ASSERT_PTR_NE(t, heaps[1], NULL);
    for (int i = 0; i < 2; i++) {
        for (int f = 0; f < 2; f++) {
            if (i == 1 && f == 1)
                continue;                   /* malloc uses the process heap */
            heap_under_test = heaps[i];
            allocated = 0;
            EXPECT_TRUE(t, HeapLock(heaps[i]));
            HANDLE h = start_thread(fns[f], NULL);
            Sleep(20);
            EXPECT_EQ(t, allocated, 0);
            EXPECT_EQ(t, WaitForSingleObject(h, 0), WAIT_TIMEOUT);
            /* The owner itself is not blocked (the lock is recursive). */
            void *mine = HeapAlloc(heaps[i], 0, 16);
            EXPECT_PTR_NE(t, mine, NULL);
            HeapFree(heaps[i], 0, mine);
            EXPECT_TRUE(t, HeapUnlock(heaps[i]));
            EXPECT_EQ(t, join_thread(h), 0);
            EXPECT_EQ(t, allocated, 1);
        }
    }
    EXPECT_TRUE(t, HeapValidate(heaps[0], 0, NULL));
    EXPECT_TRUE(t, HeapDestroy(heaps[1]));
}

static const struct utest_case cs_cases[] = {
    UTEST_CASE(layout_and_fields),
    UTEST_CASE(contention_waits_on_an_event),
    UTEST_CASE(exact_under_preemption),
    UTEST_CASE(interlocked_operations),
    UTEST_CASE(heap_lock_blocks_other_threads),
    UTEST_END,
};

static const struct utest_suite cs_suite = { .name = "critical_sections", .cases = cs_cases };
static const struct utest_suite *const suites[] = { &cs_suite, NULL };

int main(void)
{
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    utest_register_counter("handles", counter_handles);
    return utest_main(suites);
}
