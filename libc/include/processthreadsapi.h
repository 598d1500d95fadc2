/* Threads, thread-local storage and the current process/thread
 * (processthreadsapi.h), as kernel32 exports them; implemented in
 * libc/user/thread.c.  Failures set GetLastError() from the NTSTATUS of
 * the native call (RtlNtStatusToDosError). */
#ifndef _PROCESSTHREADSAPI_H
#define _PROCESSTHREADSAPI_H

#include <windef.h>
#include <winnt.h>

typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;
    BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

typedef DWORD (WINAPI *PTHREAD_START_ROUTINE)(LPVOID lpThreadParameter);
typedef PTHREAD_START_ROUTINE LPTHREAD_START_ROUTINE;

#define CREATE_SUSPENDED 0x00000004
#define STACK_SIZE_PARAM_IS_A_RESERVATION 0x00010000
#define STILL_ACTIVE 0x00000103L            /* STATUS_PENDING: GetExitCodeThread of a running thread */
#define TLS_OUT_OF_INDEXES ((DWORD)0xFFFFFFFF)

/* A new thread of this process running lpStartAddress(lpParameter);
 * returning from it is ExitThread(its return value).  lpThreadAttributes
 * is ignored.  dwStackSize: the initial commit (rounded up to pages; 0:
 * one page), or with STACK_SIZE_PARAM_IS_A_RESERVATION the reservation
 * (rounded up to 64 KiB; 0: 1 MiB).  CREATE_SUSPENDED: it does not run
 * until ResumeThread.  Returns a handle (THREAD_ALL_ACCESS) and the
 * thread id in *lpThreadId (optional), or NULL: ERROR_NOT_ENOUGH_MEMORY
 * when its stack cannot be reserved or committed. */
HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
                           LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter,
                           DWORD dwCreationFlags, LPDWORD lpThreadId);
/* Ends the calling thread; the last thread's end is the process's
 * (ExitProcess(dwExitCode): stdout is flushed, atexit does not run). */
__attribute__((noreturn)) void WINAPI ExitThread(DWORD dwExitCode);
/* Asks hThread to end with dwExitCode: it runs no more user code. */
BOOL WINAPI TerminateThread(HANDLE hThread, DWORD dwExitCode);
/* STILL_ACTIVE while the thread runs. */
BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode);
/* The previous suspend count, or (DWORD)-1 on failure (at most
 * MAXIMUM_SUSPEND_COUNT suspensions). */
DWORD WINAPI SuspendThread(HANDLE hThread);
DWORD WINAPI ResumeThread(HANDLE hThread);
/* The pseudo handle (HANDLE)-2: "the calling thread", wherever used;
 * CloseHandle of it does nothing. */
HANDLE WINAPI GetCurrentThread(void);
DWORD WINAPI GetCurrentThreadId(void);
DWORD WINAPI GetCurrentProcessId(void);
DWORD WINAPI GetThreadId(HANDLE Thread);
/* Gives the rest of the time slice to another ready thread: TRUE when
 * one ran, FALSE when none was ready. */
BOOL WINAPI SwitchToThread(void);

/* Processors (issue 17): the CPU the caller runs on now (it may move
 * right after); a thread's affinity (a mask within the process's: the
 * previous mask, 0 and ERROR_INVALID_PARAMETER when it has no online
 * CPU or leaves the process's); its ideal processor (the previous one,
 * (DWORD)-1 on failure; MAXIMUM_PROCESSORS only asks); the process's and
 * the system's affinity masks. */
#ifndef MAXIMUM_PROCESSORS
#define MAXIMUM_PROCESSORS 32
#endif
DWORD WINAPI GetCurrentProcessorNumber(void);
DWORD_PTR WINAPI SetThreadAffinityMask(HANDLE hThread, DWORD_PTR dwThreadAffinityMask);
DWORD WINAPI SetThreadIdealProcessor(HANDLE hThread, DWORD dwIdealProcessor);
BOOL WINAPI GetProcessAffinityMask(HANDLE hProcess, PDWORD_PTR lpProcessAffinityMask,
                                   PDWORD_PTR lpSystemAffinityMask);

/* Thread-local storage: TLS_MINIMUM_AVAILABLE (64) slots in every TEB,
 * some taken by the runtime (errno lives in one).  TlsAlloc returns
 * TLS_OUT_OF_INDEXES (ERROR_NO_MORE_ITEMS) when none is free; a new slot
 * reads 0 in every thread.  TlsGetValue clears the last error when it
 * succeeds (so a stored 0 can be told from a failure). */
DWORD WINAPI TlsAlloc(void);
BOOL WINAPI TlsFree(DWORD dwTlsIndex);
LPVOID WINAPI TlsGetValue(DWORD dwTlsIndex);
BOOL WINAPI TlsSetValue(DWORD dwTlsIndex, LPVOID lpTlsValue);

#endif
