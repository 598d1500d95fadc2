/* Issue 19: locked pages and working-set limits over the native services
 * (kernel32's VirtualLock, VirtualUnlock, Get/SetProcessWorkingSetSize[Ex];
 * psapi's EmptyWorkingSet).  Failures set GetLastError from the NTSTATUS
 * (RtlNtStatusToDosError), as kernel32 does. */
#include "sdk.h"
#include <ntdll.h>
#include <winternl.h>
#include <psapi.h>

static BOOL ws_fail(NTSTATUS st)
{
    SetLastError(RtlNtStatusToDosError(st));
    return FALSE;
}

BOOL WINAPI VirtualLock(LPVOID lpAddress, SIZE_T dwSize)
{
    PVOID base = lpAddress;
    SIZE_T size = dwSize;
    NTSTATUS st = NtLockVirtualMemory(NtCurrentProcess(), &base, &size, MAP_PROCESS);
    return NT_SUCCESS(st) ? TRUE : ws_fail(st);
}

BOOL WINAPI VirtualUnlock(LPVOID lpAddress, SIZE_T dwSize)
{
    PVOID base = lpAddress;
    SIZE_T size = dwSize;
    NTSTATUS st = NtUnlockVirtualMemory(NtCurrentProcess(), &base, &size, MAP_PROCESS);
    return NT_SUCCESS(st) ? TRUE : ws_fail(st);
}

BOOL WINAPI GetProcessWorkingSetSizeEx(HANDLE hProcess, PSIZE_T lpMinimumWorkingSetSize,
                                       PSIZE_T lpMaximumWorkingSetSize, PDWORD Flags)
{
    QUOTA_LIMITS_EX q;
    NTSTATUS st = NtQueryInformationProcess(hProcess, ProcessQuotaLimits, &q, sizeof(q), NULL);
    if (!NT_SUCCESS(st))
        return ws_fail(st);
    *lpMinimumWorkingSetSize = q.MinimumWorkingSetSize;
    *lpMaximumWorkingSetSize = q.MaximumWorkingSetSize;
    *Flags = q.Flags;
    return TRUE;
}

BOOL WINAPI GetProcessWorkingSetSize(HANDLE hProcess, PSIZE_T lpMinimumWorkingSetSize,
                                     PSIZE_T lpMaximumWorkingSetSize)
{
    DWORD flags;
    return GetProcessWorkingSetSizeEx(hProcess, lpMinimumWorkingSetSize, lpMaximumWorkingSetSize, &flags);
}

BOOL WINAPI SetProcessWorkingSetSizeEx(HANDLE hProcess, SIZE_T dwMinimumWorkingSetSize,
                                       SIZE_T dwMaximumWorkingSetSize, DWORD Flags)
{
    QUOTA_LIMITS_EX q = {
        .MinimumWorkingSetSize = dwMinimumWorkingSetSize,
        .MaximumWorkingSetSize = dwMaximumWorkingSetSize,
        .Flags = Flags,
    };
    NTSTATUS st = NtSetInformationProcess(hProcess, ProcessQuotaLimits, &q, sizeof(q));
    return NT_SUCCESS(st) ? TRUE : ws_fail(st);
}

BOOL WINAPI SetProcessWorkingSetSize(HANDLE hProcess, SIZE_T dwMinimumWorkingSetSize,
                                     SIZE_T dwMaximumWorkingSetSize)
{
    return SetProcessWorkingSetSizeEx(hProcess, dwMinimumWorkingSetSize, dwMaximumWorkingSetSize, 0);
}

BOOL WINAPI EmptyWorkingSet(HANDLE hProcess)
{
    return SetProcessWorkingSetSize(hProcess, (SIZE_T)-1, (SIZE_T)-1);
}
