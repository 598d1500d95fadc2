/* Waits, events, mutexes, semaphores, critical sections and Sleep
 * (synchapi.h), as kernel32 exports them; implemented in
 * libc/user/sync.c and libc/user/critsec.c.  Object names are not
 * supported: a non-NULL lpName fails with ERROR_NOT_SUPPORTED. */
#ifndef _SYNCHAPI_H
#define _SYNCHAPI_H

#include <windef.h>
#include <winnt.h>
#include <processthreadsapi.h>

#define INFINITE 0xFFFFFFFF
#define WAIT_OBJECT_0 0x00000000L
#define WAIT_ABANDONED 0x00000080L
#define WAIT_ABANDONED_0 0x00000080L
#define WAIT_TIMEOUT 258L
#define WAIT_FAILED ((DWORD)0xFFFFFFFF)

typedef RTL_CRITICAL_SECTION CRITICAL_SECTION, *PCRITICAL_SECTION, *LPCRITICAL_SECTION;

/* WAIT_OBJECT_0 (+ i: which object, for wait-any), WAIT_ABANDONED_0 (+ i:
 * a mutex whose owner ended; the caller owns it now), WAIT_TIMEOUT, or
 * WAIT_FAILED with GetLastError().  dwMilliseconds 0 only tests;
 * INFINITE never times out.  A waiting thread uses no CPU time. */
DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);
DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
                                    DWORD dwMilliseconds);
/* 0 gives the rest of the time slice to any other ready thread. */
void WINAPI Sleep(DWORD dwMilliseconds);
/* Milliseconds since boot (sysinfoapi.h), 1 ms resolution here. */
DWORD WINAPI GetTickCount(void);

HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                           LPCSTR lpName);
#define CreateEvent CreateEventA
BOOL WINAPI SetEvent(HANDLE hEvent);
BOOL WINAPI ResetEvent(HANDLE hEvent);
/* Releases the threads waiting now (one for an auto-reset event), then
 * leaves the event reset. */
BOOL WINAPI PulseEvent(HANDLE hEvent);

HANDLE WINAPI CreateMutexA(LPSECURITY_ATTRIBUTES lpMutexAttributes, BOOL bInitialOwner, LPCSTR lpName);
#define CreateMutex CreateMutexA
/* ERROR_NOT_OWNER unless the caller owns it. */
BOOL WINAPI ReleaseMutex(HANDLE hMutex);

HANDLE WINAPI CreateSemaphoreA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                               LONG lMaximumCount, LPCSTR lpName);
#define CreateSemaphore CreateSemaphoreA
/* ERROR_TOO_MANY_POSTS past the maximum (the count stays);
 * *lpPreviousCount (optional) gets the count before. */
BOOL WINAPI ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount, LPLONG lpPreviousCount);

/* Critical sections: the uncontended enter and leave never enter the
 * kernel; a contended enter waits on an event made at the first
 * contention.  Recursive for the owner. */
void WINAPI InitializeCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
/* Always TRUE.  One processor: the spin count is ignored and stored as
 * 0, as Windows does on single-processor systems. */
BOOL WINAPI InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION lpCriticalSection, DWORD dwSpinCount);
DWORD WINAPI SetCriticalSectionSpinCount(LPCRITICAL_SECTION lpCriticalSection, DWORD dwSpinCount);
void WINAPI EnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
void WINAPI LeaveCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
void WINAPI DeleteCriticalSection(LPCRITICAL_SECTION lpCriticalSection);

#endif
