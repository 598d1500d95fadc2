/* The Win32 VirtualAlloc family over mm/vm, as kernel32 wraps ntdll:
 * the current address space, NTSTATUS mapped to GetLastError codes. */
#ifndef MM_VIRTUAL_H
#define MM_VIRTUAL_H

#include <windef.h>
#include <winnt.h>
#include <winerror.h>

LPVOID VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD flProtect);
BOOL VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType);
BOOL VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect, PDWORD lpflOldProtect);
SIZE_T VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength);
void GetSystemInfo(LPSYSTEM_INFO lpSystemInfo);
DWORD GetLastError(void);
void SetLastError(DWORD dwErrCode);
/* The standard NTSTATUS -> Win32 error table (rows in the spec's table). */
ULONG RtlNtStatusToDosError(NTSTATUS status);

#endif
