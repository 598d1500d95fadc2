/* VirtualAlloc & co. over mm/vm, on the current address space, as
 * kernel32 wraps the native calls: NTSTATUS becomes a GetLastError code. */
#include "mm/virtual.h"
#include "mm/vm.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include <ntstatus.h>

static DWORD last_error;

DWORD GetLastError(void)
{
    return last_error;
}

void SetLastError(DWORD code)
{
    last_error = code;
}

static BOOL fail(NTSTATUS st)
{
    SetLastError(RtlNtStatusToDosError(st));
    return FALSE;
}

LPVOID VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD flProtect)
{
    uint32_t base = (uint32_t)lpAddress, size = dwSize;
    NTSTATUS st = vm_allocate(vm_current(), &base, &size, flAllocationType, flProtect);

    if (!NT_SUCCESS(st)) {
        fail(st);
        return NULL;
    }
    return (LPVOID)base;
}

BOOL VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)
{
    uint32_t base = (uint32_t)lpAddress, size = dwSize;
    NTSTATUS st = vm_free(vm_current(), &base, &size, dwFreeType);

    return NT_SUCCESS(st) ? TRUE : fail(st);
}

BOOL VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect, PDWORD lpflOldProtect)
{
    uint32_t base = (uint32_t)lpAddress, size = dwSize, old = 0;
    NTSTATUS st;

    if (lpflOldProtect == NULL)
        return fail(STATUS_ACCESS_VIOLATION);          /* item 36: nothing changes */
    st = vm_protect(vm_current(), &base, &size, flNewProtect, &old);
    if (!NT_SUCCESS(st))
        return fail(st);
    *lpflOldProtect = old;
    return TRUE;
}

SIZE_T VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength)
{
    MEMORY_BASIC_INFORMATION info;

    if (dwLength < sizeof(MEMORY_BASIC_INFORMATION)) {
        fail(STATUS_INFO_LENGTH_MISMATCH);             /* item 43 */
        return 0;
    }
    NTSTATUS st = vm_query(vm_current(), (uint32_t)lpAddress, &info);
    if (!NT_SUCCESS(st)) {
        fail(st);
        return 0;
    }
    *lpBuffer = info;
    return sizeof(info);
}

void GetSystemInfo(LPSYSTEM_INFO si)
{
    *si = (SYSTEM_INFO){
        .wProcessorArchitecture = PROCESSOR_ARCHITECTURE_INTEL,
        .dwPageSize = PGSIZE,
        .lpMinimumApplicationAddress = (LPVOID)USER_MIN,
        .lpMaximumApplicationAddress = (LPVOID)USER_MAX,
        .dwActiveProcessorMask = 1,
        .dwNumberOfProcessors = 1,
        .dwProcessorType = PROCESSOR_INTEL_PENTIUM,
        .dwAllocationGranularity = VM_GRANULARITY,
        .wProcessorLevel = 6,
        .wProcessorRevision = 0,
    };
}
