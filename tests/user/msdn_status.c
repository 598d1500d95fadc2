// Compile test (issue 15, item 1): the WIN32_NO_STATUS convention of the
// Windows SDK, and the Global* samples ("GlobalMemoryStatusEx", the
// GlobalAlloc/GlobalLock pattern of the clipboard samples), built with
// -Wall -Wextra -Werror by `make user-programs`:
//
//     #define WIN32_NO_STATUS      // winnt.h: leave the DWORD status codes out
//     #include <windows.h>
//     #undef WIN32_NO_STATUS
//     #include <ntstatus.h>        // the NTSTATUS ones, with no redefinition
//
// A redefined macro is a warning, so -Werror makes it a build failure.  It
// runs too, and exits with 0 when the results are right.

#define WIN32_NO_STATUS
#include <windows.h>
#ifdef STATUS_ACCESS_VIOLATION
#error "WIN32_NO_STATUS: winnt.h must not define the status codes"
#endif
#undef WIN32_NO_STATUS
#include <ntstatus.h>
#include <tchar.h>
#include <stdio.h>
#include <string.h>

#define STATUS_IS_NT(s) __builtin_types_compatible_p(__typeof__(s), NTSTATUS)
_Static_assert(STATUS_IS_NT(STATUS_ACCESS_VIOLATION) && STATUS_IS_NT(STATUS_GUARD_PAGE_VIOLATION) &&
               STATUS_IS_NT(STATUS_NO_MEMORY) && STATUS_IS_NT(STATUS_HEAP_CORRUPTION) &&
               STATUS_IS_NT(STATUS_FLOAT_OVERFLOW) && STATUS_IS_NT(STATUS_WAIT_0),
               "NTSTATUS forms from <ntstatus.h>");
_Static_assert(STATUS_ACCESS_VIOLATION == (NTSTATUS)0xC0000005L && STATUS_NO_MEMORY == (NTSTATUS)0xC0000017L &&
               STATUS_STACK_OVERFLOW == (NTSTATUS)0xC00000FDL &&
               STATUS_ARRAY_BOUNDS_EXCEEDED == (NTSTATUS)0xC000008CL &&
               STATUS_FLOAT_UNDERFLOW == (NTSTATUS)0xC0000093L &&
               STATUS_INTEGER_OVERFLOW == (NTSTATUS)0xC0000095L &&
               STATUS_INVALID_DISPOSITION == (NTSTATUS)0xC0000026L &&
               STATUS_HEAP_CORRUPTION == (NTSTATUS)0xC0000374L && !NT_SUCCESS(STATUS_NO_MEMORY) &&
               NT_SUCCESS(STATUS_WAIT_0),
               "ntstatus.h values");
// The EXCEPTION_* names work either way and keep ExceptionCode's type.
_Static_assert(EXCEPTION_ACCESS_VIOLATION == 0xC0000005 && EXCEPTION_STACK_OVERFLOW == 0xC00000FD,
               "EXCEPTION_* values");

// Use to convert bytes to KB
#define DIV 1024

// Specify the width of the field in which to print the numbers.
// The asterisk in the format specifier "%*llu" takes an integer
// argument and uses it to pad and right justify the number.
#define WIDTH 7

static NTSTATUS LastCode = 0;

// A handler that keys on NTSTATUS values, as native-API code does.
LONG CALLBACK StatusHandler(PEXCEPTION_POINTERS pExceptionInfo)
{
    NTSTATUS Status = (NTSTATUS)pExceptionInfo->ExceptionRecord->ExceptionCode;

    if (Status == STATUS_GUARD_PAGE_VIOLATION || Status == STATUS_ACCESS_VIOLATION)
    {
        LastCode = Status;
        return Status == STATUS_GUARD_PAGE_VIOLATION ? EXCEPTION_CONTINUE_EXECUTION
                                                     : EXCEPTION_CONTINUE_SEARCH;
    }
    return EXCEPTION_CONTINUE_SEARCH;
}

int _tmain(void)
{
    MEMORYSTATUSEX statex;
    int Failures = 0;

    statex.dwLength = sizeof (statex);

    if (!GlobalMemoryStatusEx (&statex))
    {
        _tprintf (TEXT("GlobalMemoryStatusEx failed with LastError %lu.\n"), GetLastError());
        return 1;
    }

    _tprintf (TEXT("There is  %*lu percent of memory in use.\n"),
              WIDTH, statex.dwMemoryLoad);
    _tprintf (TEXT("There are %*llu total KB of physical memory.\n"),
              WIDTH, statex.ullTotalPhys/DIV);
    _tprintf (TEXT("There are %*llu free  KB of physical memory.\n"),
              WIDTH, statex.ullAvailPhys/DIV);
    _tprintf (TEXT("There are %*llu total KB of paging file.\n"),
              WIDTH, statex.ullTotalPageFile/DIV);
    _tprintf (TEXT("There are %*llu free  KB of paging file.\n"),
              WIDTH, statex.ullAvailPageFile/DIV);
    _tprintf (TEXT("There are %*llu total KB of virtual memory.\n"),
              WIDTH, statex.ullTotalVirtual/DIV);
    _tprintf (TEXT("There are %*llu free  KB of virtual memory.\n"),
              WIDTH, statex.ullAvailVirtual/DIV);

    // Show the amount of extended memory available.

    _tprintf (TEXT("There are %*llu free  KB of extended memory.\n"),
              WIDTH, statex.ullAvailExtendedVirtual/DIV);

    Failures += statex.ullTotalVirtual != 0x7FFE0000 || statex.ullAvailPhys > statex.ullTotalPhys;

    // The GlobalAlloc / GlobalLock / GlobalUnlock pattern.

    const TCHAR szText[] = TEXT("Hello from a moveable global object");
    HGLOBAL hglbCopy = GlobalAlloc(GMEM_MOVEABLE, sizeof(szText));
    if (hglbCopy == NULL)
    {
        _tprintf (TEXT("GlobalAlloc failed with LastError %lu.\n"), GetLastError());
        return 1;
    }

    // Lock the handle and copy the text to the buffer.

    LPTSTR lptstrCopy = (LPTSTR)GlobalLock(hglbCopy);
    memcpy(lptstrCopy, szText, sizeof(szText));
    GlobalUnlock(hglbCopy);
    lptstrCopy = (LPTSTR)GlobalLock(hglbCopy);
    Failures += lptstrCopy == NULL || strcmp(lptstrCopy, szText) != 0 || GlobalSize(hglbCopy) != sizeof(szText);
    _tprintf (TEXT("%s (%lu bytes, lock count %u).\n"), lptstrCopy, (unsigned long)GlobalSize(hglbCopy),
              GlobalFlags(hglbCopy) & GMEM_LOCKCOUNT);
    GlobalUnlock(hglbCopy);
    Failures += GlobalFree(hglbCopy) != NULL;

    // A guard page seen as an NTSTATUS by a vectored handler.

    PVOID pHandler = AddVectoredExceptionHandler(1, StatusHandler);
    volatile char *pGuard = (volatile char *)VirtualAlloc(NULL, 4096, MEM_COMMIT | MEM_RESERVE,
                                                          PAGE_READWRITE | PAGE_GUARD);
    if (pGuard != NULL)
    {
        pGuard[0] = 1;                  // STATUS_GUARD_PAGE_VIOLATION, then the write
        VirtualFree((LPVOID)pGuard, 0, MEM_RELEASE);
    }
    RemoveVectoredExceptionHandler(pHandler);
    Failures += pGuard == NULL || LastCode != STATUS_GUARD_PAGE_VIOLATION;

    return Failures == 0 ? 0 : 1;
}
