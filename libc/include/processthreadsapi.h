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
/* CPU cycles (the TSC) the thread has run, in user and kernel mode
 * (Windows declares it in realtimeapiset.h): a blocked thread gains none. */
BOOL WINAPI QueryThreadCycleTime(HANDLE ThreadHandle, PULONG64 CycleTime);
/* Gives the rest of the time slice to another ready thread: TRUE when
 * one ran, FALSE when none was ready. */
BOOL WINAPI SwitchToThread(void);
/* Every thread of the process running on another CPU passes a full memory
 * barrier before this returns (the other side of a fence-free fast path,
 * as Linux's membarrier). */
VOID WINAPI FlushProcessWriteBuffers(void);

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

/* ---- issue 15: processes (libc/user/process.c) ----
 * Programs are the user programs of the boot image: lpApplicationName (or,
 * when it is NULL, the first token of lpCommandLine, quotes allowed) names
 * one, with or without a ".exe" or ".elf" ending and directories.
 * Not found: ERROR_FILE_NOT_FOUND.  The child's GetCommandLineA returns
 * lpCommandLine (or lpApplicationName when that is NULL).  dwCreationFlags:
 * CREATE_SUSPENDED, plus the priority-class and console flags, which
 * change nothing here; anything else is ERROR_INVALID_PARAMETER.
 * Security attributes, handle inheritance, the environment, the current
 * directory and STARTUPINFO are accepted and ignored. */
typedef struct _PROCESS_INFORMATION {
    HANDLE hProcess;
    HANDLE hThread;
    DWORD dwProcessId;
    DWORD dwThreadId;
} PROCESS_INFORMATION, *PPROCESS_INFORMATION, *LPPROCESS_INFORMATION;

typedef struct _STARTUPINFOA {
    DWORD cb;
    LPSTR lpReserved;
    LPSTR lpDesktop;
    LPSTR lpTitle;
    DWORD dwX, dwY, dwXSize, dwYSize, dwXCountChars, dwYCountChars, dwFillAttribute, dwFlags;
    WORD wShowWindow;
    WORD cbReserved2;
    LPBYTE lpReserved2;
    HANDLE hStdInput, hStdOutput, hStdError;
} STARTUPINFOA, *LPSTARTUPINFOA;
_Static_assert(sizeof(STARTUPINFOA) == 68, "x86 STARTUPINFOA");

#define DEBUG_PROCESS 0x00000001
#define DEBUG_ONLY_THIS_PROCESS 0x00000002
#define DETACHED_PROCESS 0x00000008
#define CREATE_NEW_CONSOLE 0x00000010
#define NORMAL_PRIORITY_CLASS 0x00000020
#define IDLE_PRIORITY_CLASS 0x00000040
#define HIGH_PRIORITY_CLASS 0x00000080
#define REALTIME_PRIORITY_CLASS 0x00000100
#define CREATE_NEW_PROCESS_GROUP 0x00000200
#define CREATE_UNICODE_ENVIRONMENT 0x00000400
#define BELOW_NORMAL_PRIORITY_CLASS 0x00004000
#define ABOVE_NORMAL_PRIORITY_CLASS 0x00008000
#define CREATE_NO_WINDOW 0x08000000

BOOL WINAPI CreateProcessA(LPCSTR lpApplicationName, LPSTR lpCommandLine,
                           LPSECURITY_ATTRIBUTES lpProcessAttributes, LPSECURITY_ATTRIBUTES lpThreadAttributes,
                           BOOL bInheritHandles, DWORD dwCreationFlags, LPVOID lpEnvironment,
                           LPCSTR lpCurrentDirectory, LPSTARTUPINFOA lpStartupInfo,
                           LPPROCESS_INFORMATION lpProcessInformation);
/* The process with that id (ERROR_INVALID_PARAMETER when there is none,
 * or for 0), with the rights asked for (winnt.h PROCESS_*; GENERIC_* and
 * MAXIMUM_ALLOWED map as Windows maps them).  bInheritHandle is ignored. */
HANDLE WINAPI OpenProcess(DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwProcessId);
/* PROCESS_TERMINATE; asynchronous (wait on the handle for the end).
 * ERROR_ACCESS_DENIED when it is already ending or has ended. */
BOOL WINAPI TerminateProcess(HANDLE hProcess, UINT uExitCode);
/* STILL_ACTIVE while it runs; PROCESS_QUERY_(LIMITED_)INFORMATION. */
BOOL WINAPI GetExitCodeProcess(HANDLE hProcess, LPDWORD lpExitCode);
DWORD WINAPI GetProcessId(HANDLE Process);
/* This process's command line, as its creator gave it. */
LPSTR WINAPI GetCommandLineA(void);
/* ---- end of issue 15 ---- */

#endif
