/* Helpers shared by the thread tests (uthread, uteb, usync, uwait,
 * uheap_mt, uthread_exit): starting and joining threads with a deadline
 * (a hang fails the case instead of the boot), the process's handle count
 * as a leak counter, and a vectored handler that catches an exception in
 * one chosen thread and ends that thread (utest's own catch belongs to
 * the main thread). */
#ifndef TESTS_USER_UTHREADS_H
#define TESTS_USER_UTHREADS_H

#include "utest.h"
#include "uspace.h"
#include <ntdll.h>
#include <winternl.h>

#define JOIN_MS 20000u                  /* a thread that needs longer is a failure */

static inline uint64_t counter_handles(void)
{
    ULONG n = 0xFFFFFFFF;
    NtQueryInformationProcess(NtCurrentProcess(), ProcessHandleCount, &n, sizeof(n), NULL);
    return n;
}

static inline PTEB current_teb(void)
{
    return (PTEB)NtCurrentTeb();
}

/* The TEB of another thread of this process. */
static inline PTEB teb_of(HANDLE thread)
{
    THREAD_BASIC_INFORMATION info;
    if (!NT_SUCCESS(NtQueryInformationThread(thread, ThreadBasicInformation, &info, sizeof(info), NULL)))
        return NULL;
    return (PTEB)info.TebBaseAddress;
}

static inline HANDLE start_thread(LPTHREAD_START_ROUTINE fn, void *arg)
{
    return CreateThread(NULL, 0, fn, arg, 0, NULL);
}

/* Waits for the thread (at most JOIN_MS), closes its handle, returns its
 * exit code (0xDEADDEAD when it did not end in time). */
static inline DWORD join_thread(HANDLE h)
{
    DWORD code = 0xDEADDEAD;
    if (WaitForSingleObject(h, JOIN_MS) == WAIT_OBJECT_0)
        GetExitCodeThread(h, &code);
    CloseHandle(h);
    return code;
}

/* Lets threads that announced themselves (each adds 1 to *arrived just
 * before it blocks) reach their waits: wall-clock sleeps are not enough
 * when the host stalls QEMU, but yields are, since every ready thread
 * runs before this one does again. */
static inline void let_them_block(volatile LONG *arrived, LONG n)
{
    for (int i = 0; *arrived < n && i < 20000; i++)
        Sleep(i < 100 ? 0 : 1);
    for (int i = 0; i < 8; i++)
        Sleep(0);
    Sleep(2);
}

/* ---- an exception in one thread ------------------------------------------- */

struct thread_catch {
    volatile DWORD tid;                 /* the thread to watch (0: none) */
    volatile DWORD exit_code;           /* it ends with this */
    volatile LONG hits;
    volatile DWORD code, info0, info1, eip, esp, handler_tid;
};

static struct thread_catch *volatile thread_catch_now;

/* Called on the faulting thread, on its own stack; ends that thread. */
static LONG CALLBACK thread_catch_handler(PEXCEPTION_POINTERS ep)
{
    struct thread_catch *c = thread_catch_now;
    if (c == NULL || GetCurrentThreadId() != c->tid)
        return EXCEPTION_CONTINUE_SEARCH;
    c->code = ep->ExceptionRecord->ExceptionCode;
    c->info0 = ep->ExceptionRecord->NumberParameters > 0 ? ep->ExceptionRecord->ExceptionInformation[0] : 0;
    c->info1 = ep->ExceptionRecord->NumberParameters > 1 ? ep->ExceptionRecord->ExceptionInformation[1] : 0;
    c->eip = ep->ContextRecord->Eip;
    c->esp = ep->ContextRecord->Esp;
    c->handler_tid = GetCurrentThreadId();
    InterlockedIncrement(&c->hits);
    ExitThread(c->exit_code);
}

/* Starts fn(arg) suspended, watches it, lets it run and waits for it;
 * returns its exit code.  *c has what the handler saw. */
static inline DWORD run_catching(struct thread_catch *c, LPTHREAD_START_ROUTINE fn, void *arg,
                                 SIZE_T stack, DWORD flags)
{
    DWORD tid = 0;
    memset((void *)c, 0, sizeof(*c));
    c->exit_code = 0xC47C4;
    HANDLE h = CreateThread(NULL, stack, fn, arg, flags | CREATE_SUSPENDED, &tid);
    if (h == NULL)
        return 0xDEADDEAD;
    c->tid = tid;
    thread_catch_now = c;
    PVOID veh = AddVectoredExceptionHandler(1, thread_catch_handler);
    ResumeThread(h);
    DWORD code = join_thread(h);
    RemoveVectoredExceptionHandler(veh);
    thread_catch_now = NULL;
    return code;
}

#endif
