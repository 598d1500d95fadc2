/* The kernel32 memory and process functions over the native services, as
 * kernel32 wraps ntdll: the arguments go to the Nt* call unchanged, a
 * failing NTSTATUS becomes SetLastError(RtlNtStatusToDosError(status)).
 * Behaviour and values match the kernel's own wrappers in mm/virtual.c,
 * so a test gives the same results in ring 0 and ring 3. */
#include "sdk.h"
#include <ntdll.h>
#include <string.h>

/* The last error is per thread: TEB.LastErrorValue (fs:[0x34]). */
DWORD WINAPI GetLastError(void)
{
    return ((PTEB)NtCurrentTeb())->LastErrorValue;
}

void WINAPI SetLastError(DWORD dwErrCode)
{
    ((PTEB)NtCurrentTeb())->LastErrorValue = dwErrCode;
}

static BOOL fail(NTSTATUS st)
{
    SetLastError(RtlNtStatusToDosError(st));
    return FALSE;
}

HANDLE WINAPI GetCurrentProcess(void)
{
    return NtCurrentProcess();
}

/* Returns the base of the region, or NULL with GetLastError() set. */
LPVOID WINAPI VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD flProtect)
{
    PVOID base = lpAddress;
    SIZE_T size = dwSize;
    NTSTATUS st = NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size, flAllocationType,
                                          flProtect);
    if (!NT_SUCCESS(st)) {
        fail(st);
        return NULL;
    }
    return base;
}

BOOL WINAPI VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)
{
    PVOID base = lpAddress;
    SIZE_T size = dwSize;
    NTSTATUS st = NtFreeVirtualMemory(NtCurrentProcess(), &base, &size, dwFreeType);

    return NT_SUCCESS(st) ? TRUE : fail(st);
}

/* A NULL lpflOldProtect fails with ERROR_NOACCESS before anything changes
 * (spec item 36).  Any other pointer goes to the kernel, which probes it
 * before changing protections: a bad one is ERROR_NOACCESS too. */
BOOL WINAPI VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect, PDWORD lpflOldProtect)
{
    PVOID base = lpAddress;
    SIZE_T size = dwSize;
    NTSTATUS st;

    if (lpflOldProtect == NULL)
        return fail(STATUS_ACCESS_VIOLATION);
    st = NtProtectVirtualMemory(NtCurrentProcess(), &base, &size, flNewProtect, lpflOldProtect);
    return NT_SUCCESS(st) ? TRUE : fail(st);
}

/* Returns the number of bytes written to lpBuffer (sizeof(MEMORY_BASIC_
 * INFORMATION)), or 0 with GetLastError() set; a dwLength too small for
 * the structure is ERROR_BAD_LENGTH (spec item 43). */
SIZE_T WINAPI VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength)
{
    SIZE_T written = 0;
    NTSTATUS st;

    if (dwLength < sizeof(MEMORY_BASIC_INFORMATION)) {
        fail(STATUS_INFO_LENGTH_MISMATCH);
        return 0;
    }
    st = NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)lpAddress, MemoryBasicInformation, lpBuffer,
                              sizeof(MEMORY_BASIC_INFORMATION), &written);
    if (!NT_SUCCESS(st)) {
        fail(st);
        return 0;
    }
    return written;
}

/* The values of the kernel's GetSystemInfo (mm/virtual.c: PGSIZE,
 * USER_MIN / USER_MAX from mm/memlayout.h, VM_GRANULARITY from mm/vm.h). */
void WINAPI GetSystemInfo(LPSYSTEM_INFO lpSystemInfo)
{
    DWORD_PTR mask = 1, sys = 1;
    GetProcessAffinityMask(GetCurrentProcess(), &mask, &sys);  /* the online CPUs */
    *lpSystemInfo = (SYSTEM_INFO){
        .wProcessorArchitecture = PROCESSOR_ARCHITECTURE_INTEL,
        .dwPageSize = 0x1000,
        .lpMinimumApplicationAddress = (LPVOID)0x00010000,
        .lpMaximumApplicationAddress = (LPVOID)0x7FFEFFFF,
        .dwActiveProcessorMask = sys,
        .dwNumberOfProcessors = (DWORD)__builtin_popcount(sys),
        .dwProcessorType = PROCESSOR_INTEL_PENTIUM,
        .dwAllocationGranularity = 0x10000,
        .wProcessorLevel = 6,
        .wProcessorRevision = 0,
    };
}

/* Flushes stdout first.  Another thread may hold stdout's lock (and be
 * suspended, or about to be ended with the process): then the buffer is
 * written without it rather than waiting for ever. */
void sdk_terminate(NTSTATUS status)
{
    if (sdk_stdio_try_lock()) {
        sdk_stdio_flush();
        sdk_stdio_unlock();
    } else {
        sdk_stdio_flush_unlocked();
    }
    for (;;)
        NtTerminateProcess(NtCurrentProcess(), status);
}

void WINAPI ExitProcess(UINT uExitCode)
{
    sdk_terminate((NTSTATUS)uExitCode);
}

/* Flushes stdout first, so the two outputs stay in program order. */
void WINAPI OutputDebugStringA(LPCSTR lpOutputString)
{
    sdk_stdio_flush();
    if (lpOutputString != NULL)
        NtDebugPrint(lpOutputString, strlen(lpOutputString));
}

void WINAPI DebugBreak(void)
{
    __asm__ volatile("int3");
}
