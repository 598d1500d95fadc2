/* GetWriteWatch and ResetWriteWatch over the native services.  Both
 * return 0 on success and a non-zero value on failure, with the reason in
 * GetLastError (Microsoft's documentation of both functions). */
#include "sdk.h"
#include <ntdll.h>

UINT WINAPI GetWriteWatch(DWORD dwFlags, PVOID lpBaseAddress, SIZE_T dwRegionSize,
                          PVOID *lpAddresses, ULONG_PTR *lpdwCount, LPDWORD lpdwGranularity)
{
    NTSTATUS st = NtGetWriteWatch(NtCurrentProcess(), dwFlags, lpBaseAddress, dwRegionSize,
                                  lpAddresses, lpdwCount, (PULONG)lpdwGranularity);
    if (!NT_SUCCESS(st)) {
        SetLastError(RtlNtStatusToDosError(st));
        return (UINT)-1;
    }
    return 0;
}

UINT WINAPI ResetWriteWatch(LPVOID lpBaseAddress, SIZE_T dwRegionSize)
{
    NTSTATUS st = NtResetWriteWatch(NtCurrentProcess(), lpBaseAddress, dwRegionSize);
    if (!NT_SUCCESS(st)) {
        SetLastError(RtlNtStatusToDosError(st));
        return (UINT)-1;
    }
    return 0;
}
