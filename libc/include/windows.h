/* <windows.h> for user programs: the Windows types and memory-API
 * constants (windef.h, winnt.h, winerror.h) and the kernel32 functions
 * this SDK implements (libc/user/kernel32.c, libc/user/exception.c).
 * As on Windows, the NTSTATUS values are not here: include <ntstatus.h>
 * (or <ntdll.h> for the native calls).  Every function is WINAPI
 * (stdcall), as kernel32 exports them. */
#ifndef _WINDOWS_H
#define _WINDOWS_H

#include <windef.h>
#include <winnt.h>
#include <winerror.h>

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
 * changed) CONTEXT.  When all return EXCEPTION_CONTINUE_SEARCH the
 * unhandled-exception filter decides; without one (or when it returns
 * anything but EXCEPTION_CONTINUE_EXECUTION) the process ends with the
 * exception code as its exit status. */
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

#endif
