/* Issue 15: processes and the *Ex memory calls, as kernel32 wraps ntdll:
 * the arguments go to the Nt* call, a failing NTSTATUS becomes
 * SetLastError(RtlNtStatusToDosError(status)).  Declared in
 * <processthreadsapi.h>, <windows.h> and <psapi.h>. */
#include "sdk.h"
#include <ntdll.h>
#include <winternl.h>
#include <psapi.h>
#include <string.h>

#define NAME_MAX_CHARS 32

static BOOL fail(NTSTATUS st)
{
    SetLastError(RtlNtStatusToDosError(st));
    return FALSE;
}

/* ---- CreateProcess ------------------------------------------------------------ */

#define PRIORITY_CLASSES (NORMAL_PRIORITY_CLASS | IDLE_PRIORITY_CLASS | HIGH_PRIORITY_CLASS | \
                          REALTIME_PRIORITY_CLASS | BELOW_NORMAL_PRIORITY_CLASS |             \
                          ABOVE_NORMAL_PRIORITY_CLASS)
#define ACCEPTED_FLAGS (CREATE_SUSPENDED | DETACHED_PROCESS | CREATE_NEW_CONSOLE | CREATE_NEW_PROCESS_GROUP | \
                        CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW | PRIORITY_CLASSES)

/* The documented invalid combinations (CreateProcess, "Process Creation
 * Flags"): DETACHED_PROCESS with CREATE_NEW_CONSOLE, and more than one
 * priority class.  DEBUG_PROCESS and the other flags this kernel cannot
 * honour are refused the same way rather than ignored. */
static bool flags_valid(DWORD flags)
{
    DWORD prio = flags & PRIORITY_CLASSES;
    if (flags & ~(DWORD)ACCEPTED_FLAGS)
        return false;
    if ((flags & DETACHED_PROCESS) && (flags & CREATE_NEW_CONSOLE))
        return false;
    return (prio & (prio - 1)) == 0;
}

/* The program name in `from` (up to `end`, or the first blank when
 * `token`; quotes group): directories and a ".exe"/".elf" ending dropped,
 * as the boot image names its programs.  False when it does not fit. */
static bool program_name(const char *from, bool token, char *out)
{
    const char *p = from, *start, *end;
    bool quoted = token && *p == '"';

    if (quoted)
        p++;
    start = p;
    while (*p != '\0' && (quoted ? *p != '"' : !(token && (*p == ' ' || *p == '\t'))))
        p++;
    end = p;
    for (const char *q = start; q < end; q++)
        if (*q == '/' || *q == '\\')
            start = q + 1;
    size_t n = (size_t)(end - start);
    if (n > 4 && (memcmp(end - 4, ".exe", 4) == 0 || memcmp(end - 4, ".EXE", 4) == 0 ||
                  memcmp(end - 4, ".elf", 4) == 0))
        n -= 4;
    if (n >= NAME_MAX_CHARS)
        return false;
    memcpy(out, start, n);
    out[n] = '\0';
    return true;
}

BOOL WINAPI CreateProcessA(LPCSTR lpApplicationName, LPSTR lpCommandLine,
                           LPSECURITY_ATTRIBUTES lpProcessAttributes, LPSECURITY_ATTRIBUTES lpThreadAttributes,
                           BOOL bInheritHandles, DWORD dwCreationFlags, LPVOID lpEnvironment,
                           LPCSTR lpCurrentDirectory, LPSTARTUPINFOA lpStartupInfo,
                           LPPROCESS_INFORMATION lpProcessInformation)
{
    char name[NAME_MAX_CHARS];
    CLIENT_ID id;

    (void)lpProcessAttributes;
    (void)lpThreadAttributes;
    (void)bInheritHandles;
    (void)lpEnvironment;
    (void)lpCurrentDirectory;
    (void)lpStartupInfo;
    if ((lpApplicationName == NULL && lpCommandLine == NULL) || !flags_valid(dwCreationFlags))
        return fail(STATUS_INVALID_PARAMETER);
    bool from_app = lpApplicationName != NULL;
    if (!program_name(from_app ? lpApplicationName : lpCommandLine, !from_app, name))
        return fail(STATUS_OBJECT_NAME_NOT_FOUND);
    const char *cmd = lpCommandLine != NULL ? lpCommandLine : lpApplicationName;
    size_t cmd_len = strlen(cmd);
    if (cmd_len > 32767)
        return fail(STATUS_NAME_TOO_LONG);
    if (lpProcessInformation == NULL)
        return fail(STATUS_ACCESS_VIOLATION);
    NTSTATUS st = NtCreateUserProcess(&lpProcessInformation->hProcess, &lpProcessInformation->hThread, name,
                                      strlen(name), cmd, cmd_len,
                                      (dwCreationFlags & CREATE_SUSPENDED) ? NT_CREATE_PROCESS_SUSPENDED : 0,
                                      &id);
    if (!NT_SUCCESS(st))
        return fail(st);
    lpProcessInformation->dwProcessId = (DWORD)id.UniqueProcess;
    lpProcessInformation->dwThreadId = (DWORD)id.UniqueThread;
    return TRUE;
}

/* ---- handles to processes ---------------------------------------------------- */

HANDLE WINAPI OpenProcess(DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwProcessId)
{
    HANDLE h = NULL;
    CLIENT_ID id = { (HANDLE)dwProcessId, NULL };

    (void)bInheritHandle;
    NTSTATUS st = NtOpenProcess(&h, dwDesiredAccess, NULL, &id);
    if (!NT_SUCCESS(st)) {
        fail(st);
        return NULL;
    }
    return h;
}

BOOL WINAPI TerminateProcess(HANDLE hProcess, UINT uExitCode)
{
    /* kernel32 refuses the NULL handle itself (NtTerminateProcess(NULL)
     * means "the other threads of this process" to NT). */
    if (hProcess == NULL)
        return fail(STATUS_INVALID_HANDLE);
    NTSTATUS st = NtTerminateProcess(hProcess, (NTSTATUS)uExitCode);
    return NT_SUCCESS(st) ? TRUE : fail(st);
}

static NTSTATUS basic_info(HANDLE h, ULONG info[6])
{
    return NtQueryInformationProcess(h, ProcessBasicInformation, info, 6 * sizeof(ULONG), NULL);
}

BOOL WINAPI GetExitCodeProcess(HANDLE hProcess, LPDWORD lpExitCode)
{
    ULONG info[6];
    NTSTATUS st = basic_info(hProcess, info);
    if (!NT_SUCCESS(st))
        return fail(st);
    if (lpExitCode == NULL)
        return fail(STATUS_ACCESS_VIOLATION);
    *lpExitCode = info[0];
    return TRUE;
}

DWORD WINAPI GetProcessId(HANDLE Process)
{
    ULONG info[6];
    NTSTATUS st = basic_info(Process, info);
    if (!NT_SUCCESS(st)) {
        fail(st);
        return 0;
    }
    return info[4];
}

/* The command line, fetched once (ProcessCommandLineInformation) and kept
 * for the life of the process, as kernel32 keeps BaseAnsiCommandLine. */
static char *volatile command_line;

LPSTR WINAPI GetCommandLineA(void)
{
    static char empty[1];
    ULONG need = 0;

    if (command_line != NULL)
        return command_line;
    NtQueryInformationProcess(NtCurrentProcess(), ProcessCommandLineInformation, NULL, 0, &need);
    char *buf = need != 0 ? HeapAlloc(GetProcessHeap(), 0, need) : NULL;
    if (buf == NULL ||
        !NT_SUCCESS(NtQueryInformationProcess(NtCurrentProcess(), ProcessCommandLineInformation, buf, need,
                                              &need)))
        return empty;
    const UNICODE_STRING *u = (const UNICODE_STRING *)buf;
    ULONG chars = u->Length / 2;
    const unsigned short *w = u->Buffer;    /* read before the header is overwritten */
    for (ULONG i = 0; i < chars; i++)      /* narrowing in place: char i lies before unit i */
        buf[i] = (char)w[i];
    buf[chars] = '\0';
    if (InterlockedCompareExchangePointer((PVOID volatile *)&command_line, buf, NULL) != NULL)
        HeapFree(GetProcessHeap(), 0, buf);     /* another thread was first */
    return command_line;
}

/* ---- memory of any process ----------------------------------------------------- */

LPVOID WINAPI VirtualAllocEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType,
                             DWORD flProtect)
{
    PVOID base = lpAddress;
    SIZE_T size = dwSize;
    NTSTATUS st = NtAllocateVirtualMemory(hProcess, &base, 0, &size, flAllocationType, flProtect);
    if (!NT_SUCCESS(st)) {
        fail(st);
        return NULL;
    }
    return base;
}

BOOL WINAPI VirtualFreeEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)
{
    PVOID base = lpAddress;
    SIZE_T size = dwSize;
    NTSTATUS st = NtFreeVirtualMemory(hProcess, &base, &size, dwFreeType);
    return NT_SUCCESS(st) ? TRUE : fail(st);
}

BOOL WINAPI VirtualProtectEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect,
                             PDWORD lpflOldProtect)
{
    PVOID base = lpAddress;
    SIZE_T size = dwSize;
    if (lpflOldProtect == NULL)
        return fail(STATUS_ACCESS_VIOLATION);   /* as VirtualProtect (spec item 36) */
    NTSTATUS st = NtProtectVirtualMemory(hProcess, &base, &size, flNewProtect, lpflOldProtect);
    return NT_SUCCESS(st) ? TRUE : fail(st);
}

SIZE_T WINAPI VirtualQueryEx(HANDLE hProcess, LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer,
                             SIZE_T dwLength)
{
    SIZE_T written = 0;
    if (dwLength < sizeof(MEMORY_BASIC_INFORMATION)) {
        fail(STATUS_INFO_LENGTH_MISMATCH);
        return 0;
    }
    NTSTATUS st = NtQueryVirtualMemory(hProcess, (PVOID)lpAddress, MemoryBasicInformation, lpBuffer,
                                       sizeof(MEMORY_BASIC_INFORMATION), &written);
    if (!NT_SUCCESS(st)) {
        fail(st);
        return 0;
    }
    return written;
}

/* kernel32's shape: the count the kernel wrote (or nSize, if it never got
 * that far) goes to *lpNumberOfBytesRead whatever the status. */
BOOL WINAPI ReadProcessMemory(HANDLE hProcess, LPCVOID lpBaseAddress, LPVOID lpBuffer, SIZE_T nSize,
                              SIZE_T *lpNumberOfBytesRead)
{
    SIZE_T done = nSize;
    NTSTATUS st = NtReadVirtualMemory(hProcess, (PVOID)lpBaseAddress, lpBuffer, nSize, &done);
    if (lpNumberOfBytesRead != NULL)
        *lpNumberOfBytesRead = done;
    return NT_SUCCESS(st) ? TRUE : fail(st);
}

/* Deviation: kernel32 on Windows first makes a read-only target page
 * writable (NtProtectVirtualMemory to PAGE_EXECUTE_READWRITE, then back)
 * so that code can be patched; here the target's protection holds, and a
 * page that is not writable ends the copy (ERROR_PARTIAL_COPY). */
BOOL WINAPI WriteProcessMemory(HANDLE hProcess, LPVOID lpBaseAddress, LPCVOID lpBuffer, SIZE_T nSize,
                               SIZE_T *lpNumberOfBytesWritten)
{
    SIZE_T done = nSize;
    NTSTATUS st = NtWriteVirtualMemory(hProcess, lpBaseAddress, lpBuffer, nSize, &done);
    if (lpNumberOfBytesWritten != NULL)
        *lpNumberOfBytesWritten = done;
    return NT_SUCCESS(st) ? TRUE : fail(st);
}

/* ---- psapi ----------------------------------------------------------------------- */

BOOL WINAPI K32GetProcessMemoryInfo(HANDLE Process, PPROCESS_MEMORY_COUNTERS ppsmemCounters, DWORD cb)
{
    VM_COUNTERS_EX vm;
    PROCESS_MEMORY_COUNTERS_EX pmc;

    if (cb < sizeof(PROCESS_MEMORY_COUNTERS)) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return FALSE;
    }
    NTSTATUS st = NtQueryInformationProcess(Process, ProcessVmCounters, &vm, sizeof(vm), NULL);
    if (!NT_SUCCESS(st))
        return fail(st);
    pmc = (PROCESS_MEMORY_COUNTERS_EX){
        .cb = cb >= sizeof(pmc) ? sizeof(pmc) : sizeof(PROCESS_MEMORY_COUNTERS),
        .PageFaultCount = vm.PageFaultCount,
        .PeakWorkingSetSize = vm.PeakWorkingSetSize,
        .WorkingSetSize = vm.WorkingSetSize,
        .QuotaPeakPagedPoolUsage = vm.QuotaPeakPagedPoolUsage,
        .QuotaPagedPoolUsage = vm.QuotaPagedPoolUsage,
        .QuotaPeakNonPagedPoolUsage = vm.QuotaPeakNonPagedPoolUsage,
        .QuotaNonPagedPoolUsage = vm.QuotaNonPagedPoolUsage,
        .PagefileUsage = vm.PagefileUsage,
        .PeakPagefileUsage = vm.PeakPagefileUsage,
        .PrivateUsage = vm.PrivateUsage,
    };
    /* psapi copies inside a __try: a bad buffer is ERROR_NOACCESS. */
    struct sdk_try t;
    sdk_try_enter(&t);
    if (setjmp(t.jb) == 0) {
        memcpy(ppsmemCounters, &pmc, pmc.cb);
        sdk_try_leave(&t);
    } else {
        return fail(STATUS_ACCESS_VIOLATION);
    }
    return TRUE;
}

BOOL WINAPI GetProcessMemoryInfo(HANDLE Process, PPROCESS_MEMORY_COUNTERS ppsmemCounters, DWORD cb)
{
    return K32GetProcessMemoryInfo(Process, ppsmemCounters, cb);
}
