/* <windows.h> for user programs: the Windows types and memory-API
 * constants (windef.h, winnt.h, winerror.h), the older kernel32 memory
 * functions (winbase.h: Local/Global, memory status, pointer probes) and
 * the kernel32 functions this SDK implements (libc/user/kernel32.c,
 * libc/user/exception.c).  winnt.h gives the exception codes as DWORDs
 * (STATUS_ACCESS_VIOLATION, ...); the NTSTATUS values of the native API
 * are in <ntstatus.h> (or <ntdll.h>), with the WIN32_NO_STATUS convention
 * to take the exception codes from there instead.  Every function is
 * WINAPI (stdcall), as kernel32 exports them. */
#ifndef _WINDOWS_H
#define _WINDOWS_H

#include <windef.h>
#include <winnt.h>
#include <winerror.h>
#include <winbase.h>
/* Threads, waits, synchronization, handles (issue 13). */
#include <processthreadsapi.h>
#include <synchapi.h>
#include <handleapi.h>

/* Exception filter results (excpt.h). */
#ifndef EXCEPTION_EXECUTE_HANDLER
#define EXCEPTION_EXECUTE_HANDLER 1
#endif

typedef LONG (WINAPI *PTOP_LEVEL_EXCEPTION_FILTER)(PEXCEPTION_POINTERS ExceptionInfo);
typedef PTOP_LEVEL_EXCEPTION_FILTER LPTOP_LEVEL_EXCEPTION_FILTER;

/* Virtual memory (memoryapi.h).  Failures set GetLastError() from the
 * NTSTATUS of the native call (RtlNtStatusToDosError). */
LPVOID WINAPI VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD flProtect);
BOOL WINAPI VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType);
BOOL WINAPI VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect, PDWORD lpflOldProtect);
SIZE_T WINAPI VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength);
/* ---- issue 15: the same on any process a handle names (libc/user/process.c):
 * Alloc/Free/Protect need PROCESS_VM_OPERATION, Query PROCESS_QUERY_INFORMATION,
 * Read PROCESS_VM_READ, Write PROCESS_VM_WRITE (else ERROR_ACCESS_DENIED).
 * Read/WriteProcessMemory stop at the first page that cannot be read or
 * written: FALSE, ERROR_PARTIAL_COPY, and *lpNumberOfBytes... says how
 * many bytes were copied. ---- */
LPVOID WINAPI VirtualAllocEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType,
                             DWORD flProtect);
BOOL WINAPI VirtualFreeEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType);
BOOL WINAPI VirtualProtectEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect,
                             PDWORD lpflOldProtect);
SIZE_T WINAPI VirtualQueryEx(HANDLE hProcess, LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer,
                             SIZE_T dwLength);
BOOL WINAPI ReadProcessMemory(HANDLE hProcess, LPCVOID lpBaseAddress, LPVOID lpBuffer, SIZE_T nSize,
                              SIZE_T *lpNumberOfBytesRead);
BOOL WINAPI WriteProcessMemory(HANDLE hProcess, LPVOID lpBaseAddress, LPCVOID lpBuffer, SIZE_T nSize,
                               SIZE_T *lpNumberOfBytesWritten);
/* ---- end of issue 15 ---- */
/* ---- issue 19: locked pages and working-set limits (libc/user/workingset.c).
 * VirtualLock: every page committed and accessible (else ERROR_NOACCESS;
 * a guard page: its guard goes, the error is STATUS_GUARD_PAGE_VIOLATION),
 * at most the minimum working set less 8 pages locked (else
 * ERROR_WORKING_SET_QUOTA).  VirtualUnlock: ERROR_NOT_LOCKED unless every
 * page is locked.  Working-set sizes in bytes; both (SIZE_T)-1 empties
 * the working set.  Flags: QUOTA_LIMITS_HARDWS_* (<winternl.h>). ---- */
BOOL WINAPI VirtualLock(LPVOID lpAddress, SIZE_T dwSize);
BOOL WINAPI VirtualUnlock(LPVOID lpAddress, SIZE_T dwSize);
BOOL WINAPI GetProcessWorkingSetSize(HANDLE hProcess, PSIZE_T lpMinimumWorkingSetSize,
                                     PSIZE_T lpMaximumWorkingSetSize);
BOOL WINAPI GetProcessWorkingSetSizeEx(HANDLE hProcess, PSIZE_T lpMinimumWorkingSetSize,
                                       PSIZE_T lpMaximumWorkingSetSize, PDWORD Flags);
BOOL WINAPI SetProcessWorkingSetSize(HANDLE hProcess, SIZE_T dwMinimumWorkingSetSize,
                                     SIZE_T dwMaximumWorkingSetSize);
BOOL WINAPI SetProcessWorkingSetSizeEx(HANDLE hProcess, SIZE_T dwMinimumWorkingSetSize,
                                       SIZE_T dwMaximumWorkingSetSize, DWORD Flags);
/* ---- end of issue 19 ---- */

/* Write watches: a region reserved with MEM_RESERVE | MEM_WRITE_WATCH
 * tracks which of its pages are written (libc/user/writewatch.c).  Both
 * return 0 on success. */
#define WRITE_WATCH_FLAG_RESET 0x01
UINT WINAPI GetWriteWatch(DWORD dwFlags, PVOID lpBaseAddress, SIZE_T dwRegionSize,
                          PVOID *lpAddresses, ULONG_PTR *lpdwCount, LPDWORD lpdwGranularity);
UINT WINAPI ResetWriteWatch(LPVOID lpBaseAddress, SIZE_T dwRegionSize);

/* System and process (sysinfoapi.h, processthreadsapi.h, errhandlingapi.h). */
void WINAPI GetSystemInfo(LPSYSTEM_INFO lpSystemInfo);

/* Heaps (heapapi.h) */
HANDLE WINAPI GetProcessHeap(void);
DWORD WINAPI GetProcessHeaps(DWORD NumberOfHeaps, PHANDLE ProcessHeaps);
HANDLE WINAPI HeapCreate(DWORD flOptions, SIZE_T dwInitialSize, SIZE_T dwMaximumSize);
BOOL WINAPI HeapDestroy(HANDLE hHeap);
LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes);
LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes);
BOOL WINAPI HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem);
SIZE_T WINAPI HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem);
BOOL WINAPI HeapValidate(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem);
BOOL WINAPI HeapWalk(HANDLE hHeap, LPPROCESS_HEAP_ENTRY lpEntry);
BOOL WINAPI HeapLock(HANDLE hHeap);
BOOL WINAPI HeapUnlock(HANDLE hHeap);
SIZE_T WINAPI HeapCompact(HANDLE hHeap, DWORD dwFlags);
BOOL WINAPI HeapQueryInformation(HANDLE HeapHandle, HEAP_INFORMATION_CLASS HeapInformationClass,
                                 PVOID HeapInformation, SIZE_T HeapInformationLength, PSIZE_T ReturnLength);
BOOL WINAPI HeapSetInformation(HANDLE HeapHandle, HEAP_INFORMATION_CLASS HeapInformationClass,
                               PVOID HeapInformation, SIZE_T HeapInformationLength);
DWORD WINAPI GetLastError(void);
void WINAPI SetLastError(DWORD dwErrCode);
HANDLE WINAPI GetCurrentProcess(void);
/* Flushes the C library's stdout buffer, then ends the process. */
__attribute__((noreturn)) void WINAPI ExitProcess(UINT uExitCode);
/* The string goes to the serial console (NtDebugPrint). */
void WINAPI OutputDebugStringA(LPCSTR lpOutputString);
/* int3: EXCEPTION_BREAKPOINT at the int3 instruction. */
void WINAPI DebugBreak(void);

/* Exceptions (errhandlingapi.h).  Vectored handlers run in order (First
 * != 0 puts a handler in front); the first one that returns
 * EXCEPTION_CONTINUE_EXECUTION resumes the program with the (possibly
 * changed) CONTEXT, also for a non-continuable exception (as on NT, where
 * the vectored handlers run before the frame-based ones).  When all return
 * EXCEPTION_CONTINUE_SEARCH the unhandled-exception filter decides;
 * without one (or when it returns anything but
 * EXCEPTION_CONTINUE_EXECUTION) the process ends with the exception code
 * as its exit status.  The filter cannot continue a non-continuable
 * exception: the process then ends with STATUS_NONCONTINUABLE_EXCEPTION. */
PVOID WINAPI AddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler);
ULONG WINAPI RemoveVectoredExceptionHandler(PVOID Handle);
LPTOP_LEVEL_EXCEPTION_FILTER WINAPI
SetUnhandledExceptionFilter(LPTOP_LEVEL_EXCEPTION_FILTER lpTopLevelExceptionFilter);
/* Raises a software exception at the caller: ExceptionAddress and
 * CONTEXT.Eip are the return address, so EXCEPTION_CONTINUE_EXECUTION
 * returns from RaiseException.  More than EXCEPTION_MAXIMUM_PARAMETERS
 * arguments are cut to that many. */
void WINAPI RaiseException(DWORD dwExceptionCode, DWORD dwExceptionFlags, DWORD nNumberOfArguments,
                           const ULONG_PTR *lpArguments);

/* ---- DEP: data execution prevention (winbase.h; issue 18) ----------------
 * With PAE paging and NX, pages that are not PAGE_EXECUTE* cannot be
 * executed while DEP is on for the process: the fetch raises
 * STATUS_ACCESS_VIOLATION with ExceptionInformation[0] = 8.  The system
 * policy comes from the kernel command line (nx=); without NX it is
 * AlwaysOff.  SetProcessDEPPolicy(0) turns DEP off, (PROCESS_DEP_ENABLE)
 * turns it on for good; either fails with ERROR_ACCESS_DENIED once the
 * setting is permanent (always, under AlwaysOn and AlwaysOff), and with
 * ERROR_INVALID_PARAMETER for other flags or
 * PROCESS_DEP_DISABLE_ATL_THUNK_EMULATION without PROCESS_DEP_ENABLE.
 * GetProcessDEPPolicy knows only the current process (GetCurrentProcess()). */
typedef enum _DEP_SYSTEM_POLICY_TYPE {
    DEPPolicyAlwaysOff = 0,
    DEPPolicyAlwaysOn,
    DEPPolicyOptIn,
    DEPPolicyOptOut,
    DEPTotalPolicyCount
} DEP_SYSTEM_POLICY_TYPE;
typedef BOOL *PBOOL;
#define PROCESS_DEP_ENABLE 0x00000001
#define PROCESS_DEP_DISABLE_ATL_THUNK_EMULATION 0x00000002
DEP_SYSTEM_POLICY_TYPE WINAPI GetSystemDEPPolicy(void);
BOOL WINAPI GetProcessDEPPolicy(HANDLE hProcess, LPDWORD lpFlags, PBOOL lpPermanent);
BOOL WINAPI SetProcessDEPPolicy(DWORD dwFlags);
/* ---- end of DEP ---- */

#endif
