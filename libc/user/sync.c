/* Waits, events, mutexes, semaphores, Sleep and handles (synchapi.h,
 * handleapi.h) over the native services, as kernel32 wraps ntdll: a
 * millisecond timeout becomes NT's relative PLARGE_INTEGER (INFINITE:
 * NULL), and a failing NTSTATUS becomes SetLastError(RtlNtStatusToDosError). */
#include "sdk.h"
#include <ntdll.h>

#define HUNDRED_NS_PER_MS 10000

static BOOL fail(NTSTATUS st)
{
    SetLastError(RtlNtStatusToDosError(st));
    return FALSE;
}

static HANDLE fail_handle(NTSTATUS st)
{
    fail(st);
    return NULL;
}

/* kernel32's BaseFormatTimeOut: NULL for INFINITE, else -ms in 100 ns units. */
static PLARGE_INTEGER timeout_of(DWORD ms, LARGE_INTEGER *buf)
{
    if (ms == INFINITE)
        return NULL;
    buf->QuadPart = -(LONGLONG)ms * HUNDRED_NS_PER_MS;
    return buf;
}

static BOOL is_pseudo_handle(HANDLE h)
{
    return h == NtCurrentProcess() || h == NtCurrentThread();
}

/* ---- handles ------------------------------------------------------------------- */

BOOL WINAPI CloseHandle(HANDLE hObject)
{
    if (is_pseudo_handle(hObject))
        return TRUE;            /* GetCurrentProcess/GetCurrentThread: "no effect" */
    NTSTATUS st = NtClose(hObject);
    return NT_SUCCESS(st) ? TRUE : fail(st);
}

BOOL WINAPI DuplicateHandle(HANDLE hSourceProcessHandle, HANDLE hSourceHandle, HANDLE hTargetProcessHandle,
                            LPHANDLE lpTargetHandle, DWORD dwDesiredAccess, BOOL bInheritHandle,
                            DWORD dwOptions)
{
    (void)bInheritHandle;               /* no child processes to inherit it */
    NTSTATUS st = NtDuplicateObject(hSourceProcessHandle, hSourceHandle, hTargetProcessHandle, lpTargetHandle,
                                    dwDesiredAccess, 0, dwOptions);
    return NT_SUCCESS(st) ? TRUE : fail(st);
}

/* ---- waits ---------------------------------------------------------------------- */

/* A wait's NTSTATUS is its return value (STATUS_WAIT_0 + i == WAIT_OBJECT_0
 * + i, STATUS_ABANDONED_WAIT_0 + i, STATUS_TIMEOUT == WAIT_TIMEOUT); an
 * error is WAIT_FAILED. */
static DWORD wait_result(NTSTATUS st)
{
    if (NT_SUCCESS(st))
        return (DWORD)st;
    fail(st);
    return WAIT_FAILED;
}

DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
{
    LARGE_INTEGER t;
    return wait_result(NtWaitForSingleObject(hHandle, FALSE, timeout_of(dwMilliseconds, &t)));
}

DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
                                    DWORD dwMilliseconds)
{
    LARGE_INTEGER t;
    return wait_result(NtWaitForMultipleObjects(nCount, lpHandles, bWaitAll ? WaitAll : WaitAny, FALSE,
                                                timeout_of(dwMilliseconds, &t)));
}

/* Sleep(INFINITE) waits for ever (NT's SleepEx passes the longest
 * relative interval). */
void WINAPI Sleep(DWORD dwMilliseconds)
{
    LARGE_INTEGER t;
    if (dwMilliseconds == INFINITE)
        t.QuadPart = (LONGLONG)0x8000000000000000ull;
    else
        t.QuadPart = -(LONGLONG)dwMilliseconds * HUNDRED_NS_PER_MS;
    NtDelayExecution(FALSE, &t);
}

DWORD WINAPI GetTickCount(void)
{
    return NtGetTickCount();
}

/* ---- events, mutexes, semaphores ------------------------------------------------- */

/* Named objects need an object namespace this kernel does not have. */
static BOOL name_unsupported(LPCSTR lpName)
{
    if (lpName == NULL)
        return FALSE;
    SetLastError(ERROR_NOT_SUPPORTED);
    return TRUE;
}

HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                           LPCSTR lpName)
{
    HANDLE h;
    (void)lpEventAttributes;
    if (name_unsupported(lpName))
        return NULL;
    NTSTATUS st = NtCreateEvent(&h, EVENT_ALL_ACCESS, NULL, bManualReset ? NotificationEvent : SynchronizationEvent,
                                bInitialState ? TRUE : FALSE);
    if (!NT_SUCCESS(st))
        return fail_handle(st);
    SetLastError(ERROR_SUCCESS);        /* Windows: ERROR_ALREADY_EXISTS is only for named ones */
    return h;
}

BOOL WINAPI SetEvent(HANDLE hEvent)
{
    NTSTATUS st = NtSetEvent(hEvent, NULL);
    return NT_SUCCESS(st) ? TRUE : fail(st);
}

BOOL WINAPI ResetEvent(HANDLE hEvent)
{
    NTSTATUS st = NtResetEvent(hEvent, NULL);
    return NT_SUCCESS(st) ? TRUE : fail(st);
}

BOOL WINAPI PulseEvent(HANDLE hEvent)
{
    NTSTATUS st = NtPulseEvent(hEvent, NULL);
    return NT_SUCCESS(st) ? TRUE : fail(st);
}

HANDLE WINAPI CreateMutexA(LPSECURITY_ATTRIBUTES lpMutexAttributes, BOOL bInitialOwner, LPCSTR lpName)
{
    HANDLE h;
    (void)lpMutexAttributes;
    if (name_unsupported(lpName))
        return NULL;
    NTSTATUS st = NtCreateMutant(&h, MUTANT_ALL_ACCESS, NULL, bInitialOwner ? TRUE : FALSE);
    if (!NT_SUCCESS(st))
        return fail_handle(st);
    SetLastError(ERROR_SUCCESS);
    return h;
}

BOOL WINAPI ReleaseMutex(HANDLE hMutex)
{
    NTSTATUS st = NtReleaseMutant(hMutex, NULL);
    return NT_SUCCESS(st) ? TRUE : fail(st);
}

HANDLE WINAPI CreateSemaphoreA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                               LONG lMaximumCount, LPCSTR lpName)
{
    HANDLE h;
    (void)lpSemaphoreAttributes;
    if (name_unsupported(lpName))
        return NULL;
    NTSTATUS st = NtCreateSemaphore(&h, SEMAPHORE_ALL_ACCESS, NULL, lInitialCount, lMaximumCount);
    if (!NT_SUCCESS(st))
        return fail_handle(st);
    SetLastError(ERROR_SUCCESS);
    return h;
}

BOOL WINAPI ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount, LPLONG lpPreviousCount)
{
    NTSTATUS st = NtReleaseSemaphore(hSemaphore, lReleaseCount, lpPreviousCount);
    return NT_SUCCESS(st) ? TRUE : fail(st);
}
