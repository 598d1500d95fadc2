/* Ring-3 costs in guest instructions (run under -icount shift=0 by
 * `make bench`, where the TSC counts retired instructions; ring 3 may
 * read it since CR4.TSD is clear). */
#include <windows.h>
#include <ntdll.h>
#include <stdio.h>

static unsigned long long tsc(void)
{
    unsigned int lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((unsigned long long)hi << 32) | lo;
}

static unsigned long overhead;

static unsigned long measured(unsigned long long start)
{
    unsigned long d = (unsigned long)(tsc() - start);
    return d > overhead ? d - overhead : 0;
}

static void report(const char *name, unsigned long n)
{
    printf("bench %s %lu instructions\n", name, n);
}

/* Ring 3 cannot mask interrupts, so a timer tick may land inside one
 * measurement: each figure is the smallest of ROUNDS runs. */
#define ROUNDS 5

static unsigned long min_of(unsigned long a, unsigned long b)
{
    return a < b ? a : b;
}

static void bench_null_syscall(void)
{
    unsigned long best = ~0ul;
    for (int r = 0; r < ROUNDS; r++) {
        unsigned long long t = tsc();
        NtYieldExecution();
        best = min_of(best, measured(t));
    }
    report("syscall.null", best);
}

static void bench_virtualalloc_commit(void)
{
    void *keep = VirtualAlloc(NULL, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    *(volatile int *)keep = 1;          /* VAD pool page and page table exist */
    unsigned long both = ~0ul, reserve = ~0ul, commit = ~0ul;
    for (int r = 0; r < ROUNDS; r++) {
        unsigned long long t = tsc();
        void *p = VirtualAlloc(NULL, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        both = min_of(both, measured(t));
        VirtualFree(p, 0, MEM_RELEASE);
        /* The same call in its two halves, to see where the cost is. */
        t = tsc();
        p = VirtualAlloc(NULL, 4096, MEM_RESERVE, PAGE_READWRITE);
        reserve = min_of(reserve, measured(t));
        t = tsc();
        VirtualAlloc(p, 4096, MEM_COMMIT, PAGE_READWRITE);
        commit = min_of(commit, measured(t));
        VirtualFree(p, 0, MEM_RELEASE);
    }
    report("user.virtualalloc_commit.1page", both);
    report("user.virtualalloc_reserve_only.1page", reserve);
    report("user.virtualalloc_commit_only.1page", commit);
    VirtualFree(keep, 0, MEM_RELEASE);
}

static char *lazy_base;

static LONG CALLBACK commit_on_fault(PEXCEPTION_POINTERS info)
{
    EXCEPTION_RECORD *r = info->ExceptionRecord;
    if (r->ExceptionCode != EXCEPTION_ACCESS_VIOLATION)
        return EXCEPTION_CONTINUE_SEARCH;
    char *page = (char *)(r->ExceptionInformation[1] & ~0xFFFul);
    if (VirtualAlloc(page, 4096, MEM_COMMIT, PAGE_READWRITE) == NULL)
        return EXCEPTION_CONTINUE_SEARCH;
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* An access violation on reserved memory, delivered to a vectored handler
 * that commits the page and continues: the whole round trip. */
static void bench_av_to_handler(void)
{
    PVOID h = AddVectoredExceptionHandler(1, commit_on_fault);
    lazy_base = VirtualAlloc(NULL, 0x100000, MEM_RESERVE, PAGE_READWRITE);
    VirtualAlloc(lazy_base, 4096, MEM_COMMIT, PAGE_READWRITE);
    lazy_base[0] = 1;                   /* the page table exists */
    unsigned long best = ~0ul;
    for (int r = 1; r <= ROUNDS; r++) {
        unsigned long long t = tsc();
        lazy_base[r * 0x5000] = 1;      /* a fresh reserved page each round */
        best = min_of(best, measured(t));
    }
    report("user.av_to_handler_and_continue", best);
    VirtualFree(lazy_base, 0, MEM_RELEASE);
    RemoveVectoredExceptionHandler(h);
}

/* Grows the stack (through its guard page) before anything is measured, so
 * that no figure includes a stack-growth fault on a fresh stack page.  The
 * pages are touched from the top down, as MSVC's __chkstk probes: the
 * guard page is only ever one page below the committed stack. */
static void __attribute__((noinline)) prefault_stack(void)
{
    volatile char pad[32 * 1024];
    for (unsigned i = sizeof(pad); i >= 4096; i -= 4096)
        pad[i - 1] = 0;
    pad[0] = 0;
}

static LONG CALLBACK skip_breakpoint(PEXCEPTION_POINTERS info)
{
    if (info->ExceptionRecord->ExceptionCode != EXCEPTION_BREAKPOINT)
        return EXCEPTION_CONTINUE_SEARCH;
    info->ContextRecord->Eip++;         /* past the int3 */
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* The bare delivery round trip: int3, the kernel writes the record and
 * context, the dispatcher calls the handler, NtContinue.  The difference
 * to user.av_to_handler_and_continue is the handler's VirtualAlloc and
 * the retried store's demand-zero fault. */
static void bench_exception_roundtrip(void)
{
    PVOID h = AddVectoredExceptionHandler(1, skip_breakpoint);
    unsigned long best = ~0ul;
    for (int r = 0; r < ROUNDS; r++) {
        unsigned long long t = tsc();
        __asm__ volatile("int3");
        best = min_of(best, measured(t));
    }
    report("user.exception_roundtrip", best);
    RemoveVectoredExceptionHandler(h);
}

/* ---- threads (issue 13) ----------------------------------------------------- */

#define THREAD_ROUNDS 20

/* Uncontended EnterCriticalSection + LeaveCriticalSection: no system
 * call.  Beside it, the floor: the two locked instructions alone. */
static void bench_critical_section(void)
{
    CRITICAL_SECTION cs;
    volatile LONG word = -1;
    unsigned long best = ~0ul, floor = ~0ul;

    InitializeCriticalSection(&cs);
    for (int r = 0; r < THREAD_ROUNDS; r++) {
        unsigned long long t = tsc();
        EnterCriticalSection(&cs);
        LeaveCriticalSection(&cs);
        best = min_of(best, measured(t));
        t = tsc();
        InterlockedIncrement(&word);
        InterlockedDecrement(&word);
        floor = min_of(floor, measured(t));
    }
    report("user.critsec_enter_leave.uncontended", best);
    report("user.interlocked_inc_dec.floor", floor);
    DeleteCriticalSection(&cs);
}

static HANDLE ping, pong;

static DWORD WINAPI ponger(LPVOID arg)
{
    (void)arg;
    for (;;) {
        if (WaitForSingleObject(ping, INFINITE) != WAIT_OBJECT_0)
            return 1;
        SetEvent(pong);
    }
}

/* One round trip between two threads of the process: SetEvent +
 * WaitForSingleObject each way, two context switches.  Beside it, the
 * same four calls in one thread on events that are already set (no
 * switch, no blocking). */
static void bench_event_pingpong(void)
{
    unsigned long best = ~0ul, alone = ~0ul;

    ping = CreateEvent(NULL, FALSE, FALSE, NULL);
    pong = CreateEvent(NULL, FALSE, FALSE, NULL);
    HANDLE h = CreateThread(NULL, 0, ponger, NULL, 0, NULL);
    for (int r = 0; r < THREAD_ROUNDS; r++) {
        unsigned long long t = tsc();
        SetEvent(ping);
        WaitForSingleObject(pong, INFINITE);
        best = min_of(best, measured(t));
    }
    TerminateThread(h, 0);
    WaitForSingleObject(h, INFINITE);
    CloseHandle(h);
    for (int r = 0; r < THREAD_ROUNDS; r++) {
        unsigned long long t = tsc();
        SetEvent(ping);
        WaitForSingleObject(ping, INFINITE);
        SetEvent(pong);
        WaitForSingleObject(pong, INFINITE);
        alone = min_of(alone, measured(t));
    }
    report("user.event_pingpong.roundtrip", best);
    report("user.event_set_wait_x2.one_thread", alone);
    CloseHandle(ping);
    CloseHandle(pong);
}

static DWORD WINAPI nothing(LPVOID arg)
{
    return (DWORD)(uintptr_t)arg;
}

/* CreateThread + the thread's run and exit + WaitForSingleObject +
 * CloseHandle: the stack (1 MiB reserved, a page and a guard committed),
 * the TEB, the kernel stack, the handle, two switches, and all of it
 * freed.  Beside it, VirtualAlloc reserve + commit + free of a 1 MiB
 * region, the single-thread part of a stack's cost. */
static void bench_thread_lifecycle(void)
{
    unsigned long best = ~0ul, region = ~0ul;

    for (int r = 0; r < THREAD_ROUNDS; r++) {
        unsigned long long t = tsc();
        HANDLE h = CreateThread(NULL, 0, nothing, NULL, 0, NULL);
        WaitForSingleObject(h, INFINITE);
        CloseHandle(h);
        best = min_of(best, measured(t));
        t = tsc();
        char *p = VirtualAlloc(NULL, 0x100000, MEM_RESERVE, PAGE_READWRITE);
        VirtualAlloc(p + 0x100000 - 0x2000, 0x2000, MEM_COMMIT, PAGE_READWRITE);
        VirtualFree(p, 0, MEM_RELEASE);
        region = min_of(region, measured(t));
    }
    report("user.createthread_exit_wait_close", best);
    report("user.stack_region_reserve_commit_free", region);
}

/* HeapAlloc + HeapFree of 32 bytes on the process heap once the size's
 * class of the low-fragmentation front end is on (issue 14), and each
 * half apart: the whole calls as a program makes them. */
static void bench_heapalloc_heapfree(void)
{
    HANDLE ph = GetProcessHeap();
    void *warm[64];
    for (int i = 0; i < 64; i++)
        warm[i] = HeapAlloc(ph, 0, 32);
    for (int i = 0; i < 64; i++)
        HeapFree(ph, 0, warm[i]);
    unsigned long both = ~0ul, alloc = ~0ul, freed = ~0ul;
    for (int r = 0; r < ROUNDS; r++) {
        unsigned long long t = tsc();
        void *p = HeapAlloc(ph, 0, 32);
        HeapFree(ph, 0, p);
        both = min_of(both, measured(t));
        t = tsc();
        p = HeapAlloc(ph, 0, 32);
        alloc = min_of(alloc, measured(t));
        t = tsc();
        HeapFree(ph, 0, p);
        freed = min_of(freed, measured(t));
    }
    report("user.heapalloc_heapfree.32", both);
    report("user.heapalloc.32", alloc);
    report("user.heapfree.32", freed);
}

int main(void)
{
    prefault_stack();
    unsigned long long t = tsc();
    overhead = (unsigned long)(tsc() - t);
    printf("# ubench: measurement overhead %lu instructions (subtracted)\n", overhead);
    bench_null_syscall();
    bench_virtualalloc_commit();
    bench_av_to_handler();
    bench_exception_roundtrip();
    bench_critical_section();
    bench_event_pingpong();
    bench_thread_lifecycle();
    bench_heapalloc_heapfree();
    return 0;
}
