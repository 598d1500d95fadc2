/* Handles (handleapi.h), as kernel32 exports them (libc/user/sync.c).
 * An invalid, closed or wrong-type handle is ERROR_INVALID_HANDLE. */
#ifndef _HANDLEAPI_H
#define _HANDLEAPI_H

#include <windef.h>
#include <winnt.h>

#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)

/* The pseudo handles of GetCurrentProcess and GetCurrentThread need no
 * closing: closing them does nothing (and succeeds). */
BOOL WINAPI CloseHandle(HANDLE hObject);
/* Within this process only (both process handles GetCurrentProcess() or
 * a handle to it).  The duplicate has full access; a pseudo handle
 * becomes a real handle to the thread or process.  DUPLICATE_CLOSE_SOURCE
 * closes the source handle whatever else happens. */
BOOL WINAPI DuplicateHandle(HANDLE hSourceProcessHandle, HANDLE hSourceHandle, HANDLE hTargetProcessHandle,
                            LPHANDLE lpTargetHandle, DWORD dwDesiredAccess, BOOL bInheritHandle,
                            DWORD dwOptions);

#endif
