// Compile test (issue 15, item 1): written the way the Windows SDK's
// memory-management samples are ("Reserving and Committing Memory",
// "Creating Guard Pages"), against <windows.h> alone, and built with
// -Wall -Wextra -Werror by `make user-programs` (so by `make test`).
// GCC has no __try/__except, so the sample's exception filter runs from a
// vectored exception handler instead.  The program also runs: it commits
// the reserved pages on demand from the handler, checks a guard page, and
// exits with 0 only when everything happened as it should.

#include <windows.h>
#include <tchar.h>
#include <stdio.h>
#include <stdlib.h>             // For exit

// Without WIN32_NO_STATUS, winnt.h gives the exception codes as DWORDs.
_Static_assert(__builtin_types_compatible_p(__typeof__(STATUS_ACCESS_VIOLATION), DWORD), "DWORD form");
_Static_assert(STATUS_ACCESS_VIOLATION == 0xC0000005 && STATUS_GUARD_PAGE_VIOLATION == 0x80000001 &&
               STATUS_NO_MEMORY == 0xC0000017 && STATUS_STACK_OVERFLOW == 0xC00000FD &&
               STATUS_INTEGER_DIVIDE_BY_ZERO == 0xC0000094 && STATUS_ILLEGAL_INSTRUCTION == 0xC000001D &&
               STATUS_BREAKPOINT == 0x80000003 && STATUS_SINGLE_STEP == 0x80000004 &&
               STATUS_PRIVILEGED_INSTRUCTION == 0xC0000096 && STATUS_ARRAY_BOUNDS_EXCEEDED == 0xC000008C &&
               STATUS_FLOAT_DENORMAL_OPERAND == 0xC000008D && STATUS_FLOAT_DIVIDE_BY_ZERO == 0xC000008E &&
               STATUS_FLOAT_INEXACT_RESULT == 0xC000008F && STATUS_FLOAT_INVALID_OPERATION == 0xC0000090 &&
               STATUS_FLOAT_OVERFLOW == 0xC0000091 && STATUS_FLOAT_STACK_CHECK == 0xC0000092 &&
               STATUS_FLOAT_UNDERFLOW == 0xC0000093 && STATUS_INTEGER_OVERFLOW == 0xC0000095 &&
               STATUS_INVALID_HANDLE == 0xC0000008 && STATUS_NONCONTINUABLE_EXCEPTION == 0xC0000025 &&
               STATUS_INVALID_DISPOSITION == 0xC0000026 && STATUS_HEAP_CORRUPTION == 0xC0000374 &&
               STATUS_DATATYPE_MISALIGNMENT == 0x80000002 && STATUS_IN_PAGE_ERROR == 0xC0000006,
               "winnt.h values");
_Static_assert(EXCEPTION_ACCESS_VIOLATION == STATUS_ACCESS_VIOLATION &&
               EXCEPTION_GUARD_PAGE == STATUS_GUARD_PAGE_VIOLATION &&
               EXCEPTION_FLT_DIVIDE_BY_ZERO == STATUS_FLOAT_DIVIDE_BY_ZERO &&
               EXCEPTION_INT_OVERFLOW == STATUS_INTEGER_OVERFLOW &&
               EXCEPTION_NONCONTINUABLE_EXCEPTION == STATUS_NONCONTINUABLE_EXCEPTION &&
               EXCEPTION_INVALID_HANDLE == STATUS_INVALID_HANDLE, "minwinbase.h aliases");

#define PAGELIMIT 80            // Number of pages to ask for

LPTSTR lpNxtPage;               // Address of the next page to ask for
DWORD dwPages = 0;              // Count of pages gotten so far
DWORD dwPageSize;               // Page size on this computer
DWORD dwGuardHits = 0;          // Guard-page exceptions seen

// The sample's __except filter: commit the next page on an access
// violation, else give up.
INT PageFaultExceptionFilter(DWORD dwCode)
{
    LPVOID lpvResult;

    // If the exception is not a page fault, exit.

    if (dwCode != STATUS_ACCESS_VIOLATION)
    {
        _tprintf(TEXT("Exception code = 0x%08lx.\n"), dwCode);
        return EXCEPTION_EXECUTE_HANDLER;
    }

    // If the reserved pages are used up, exit.

    if (dwPages >= PAGELIMIT)
    {
        _tprintf(TEXT("Exception: out of pages.\n"));
        return EXCEPTION_EXECUTE_HANDLER;
    }

    // Otherwise, commit another page.

    lpvResult = VirtualAlloc(
                     (LPVOID) lpNxtPage, // Next page to commit
                     dwPageSize,         // Page size, in bytes
                     MEM_COMMIT,         // Allocate a committed page
                     PAGE_READWRITE);    // Read/write access
    if (lpvResult == NULL )
    {
        _tprintf(TEXT("VirtualAlloc failed.\n"));
        return EXCEPTION_EXECUTE_HANDLER;
    }

    // Increment the page count, and advance lpNxtPage to the next page.

    dwPages++;
    lpNxtPage = (LPTSTR) ((PCHAR) lpNxtPage + dwPageSize);

    // Continue execution where the page fault occurred.

    return EXCEPTION_CONTINUE_EXECUTION;
}

// In place of __try/__except: the filter's verdict, from a vectored
// handler.  A guard page is counted and continued (the guard is gone).
LONG CALLBACK VectoredHandler(PEXCEPTION_POINTERS pExceptionInfo)
{
    DWORD dwCode = pExceptionInfo->ExceptionRecord->ExceptionCode;

    if (dwCode == STATUS_GUARD_PAGE_VIOLATION)
    {
        dwGuardHits++;
        return EXCEPTION_CONTINUE_EXECUTION;
    }
    if (PageFaultExceptionFilter(dwCode) == EXCEPTION_CONTINUE_EXECUTION)
        return EXCEPTION_CONTINUE_EXECUTION;

    // This code is executed only if the filter function
    // is unsuccessful in committing the next page.

    _tprintf (TEXT("Exiting process.\n"));
    ExitProcess( 3 );
}

VOID ErrorExit(LPCTSTR lpMsg)
{
    _tprintf(TEXT("Error! %s with error code of %lu.\n"),
             lpMsg, GetLastError ());
    exit (1);
}

INT _tmain(VOID)
{
    LPVOID lpvBase;               // Base address of the test memory
    LPTSTR lpPtr;                 // Generic character pointer
    BOOL bSuccess;                // Flag
    DWORD i;                      // Generic counter
    SYSTEM_INFO sSysInfo;         // Useful information about the system
    PVOID pHandler;               // The vectored handler
    DWORD dwOldProtect;

    GetSystemInfo(&sSysInfo);     // Initialize the structure.

    _tprintf (TEXT("This computer has page size %lu.\n"), sSysInfo.dwPageSize);

    dwPageSize = sSysInfo.dwPageSize;

    // Reserve pages in the virtual address space of the process.

    lpvBase = VirtualAlloc(
                     NULL,                 // System selects address
                     PAGELIMIT*dwPageSize, // Size of allocation
                     MEM_RESERVE,          // Allocate reserved pages
                     PAGE_NOACCESS);       // Protection = no access
    if (lpvBase == NULL )
        ErrorExit(TEXT("VirtualAlloc reserve failed."));

    lpPtr = lpNxtPage = (LPTSTR) lpvBase;

    pHandler = AddVectoredExceptionHandler(1, VectoredHandler);
    if (pHandler == NULL)
        ErrorExit(TEXT("AddVectoredExceptionHandler failed."));

    // If a page fault occurs, the handler commits another page from the
    // reserved block of pages and the write is tried again.

    for (i=0; i < PAGELIMIT*dwPageSize; i++)
    {
        // Write to memory.

        lpPtr[i] = 'a';
    }

    // A guard page: the first access raises STATUS_GUARD_PAGE_VIOLATION,
    // the next ones do not.

    if (!VirtualProtect(lpvBase, dwPageSize, PAGE_READWRITE | PAGE_GUARD, &dwOldProtect))
        ErrorExit(TEXT("VirtualProtect failed."));
    lpPtr[0] = 'b';
    lpPtr[1] = 'c';

    RemoveVectoredExceptionHandler(pHandler);

    // Release the block of pages when you are finished using them.

    bSuccess = VirtualFree(
                       lpvBase,       // Base address of block
                       0,             // Bytes of committed pages
                       MEM_RELEASE);  // Decommit the pages

    _tprintf (TEXT("Release %s; %lu pages committed on demand, %lu guard page hit.\n"),
              bSuccess ? TEXT("succeeded") : TEXT("failed"), dwPages, dwGuardHits);

    return (bSuccess && dwPages == PAGELIMIT && dwGuardHits == 1
            && dwOldProtect == PAGE_READWRITE) ? 0 : 1;
}
