/* The older kernel32 memory functions (winbase.h, sysinfoapi.h): the
 * Local/Global API on the process heap, the memory status, and the
 * pointer probes.  <windows.h> includes this. */
#ifndef _WINBASE_H
#define _WINBASE_H

#include <windef.h>

/* ---- Global and Local memory (libc/user/globalmem.c) ---------------------
 *
 * As the source material draws them: on top of the Heap API, on the
 * process heap.  A fixed object (GMEM_FIXED / LMEM_FIXED) is a heap block
 * and its handle is its address.  A moveable one is a handle into a table
 * (the address of an entry's pointer field, so handle & 7 == 4 while heap
 * blocks are 8-aligned): the block may move on a reallocation unless it is
 * locked, GlobalLock/GlobalUnlock count locks (GlobalFlags shows the count
 * in GMEM_LOCKCOUNT), and a moveable object of 0 bytes (or discarded) has
 * a handle but no memory.  A bad handle is ERROR_INVALID_HANDLE. */

#define GMEM_FIXED 0x0000
#define GMEM_MOVEABLE 0x0002
#define GMEM_NOCOMPACT 0x0010
#define GMEM_NODISCARD 0x0020
#define GMEM_ZEROINIT 0x0040
#define GMEM_MODIFY 0x0080
#define GMEM_DISCARDABLE 0x0100
#define GMEM_NOT_BANKED 0x1000
#define GMEM_SHARE 0x2000
#define GMEM_DDESHARE 0x2000
#define GMEM_NOTIFY 0x4000
#define GMEM_LOWER GMEM_NOT_BANKED
#define GMEM_VALID_FLAGS 0x7F72
#define GMEM_INVALID_HANDLE 0x8000
#define GHND (GMEM_MOVEABLE | GMEM_ZEROINIT)
#define GPTR (GMEM_FIXED | GMEM_ZEROINIT)
/* GlobalFlags */
#define GMEM_DISCARDED 0x4000
#define GMEM_LOCKCOUNT 0x00FF

#define LMEM_FIXED 0x0000
#define LMEM_MOVEABLE 0x0002
#define LMEM_NOCOMPACT 0x0010
#define LMEM_NODISCARD 0x0020
#define LMEM_ZEROINIT 0x0040
#define LMEM_MODIFY 0x0080
#define LMEM_DISCARDABLE 0x0F00
#define LMEM_VALID_FLAGS 0x0F72
#define LMEM_INVALID_HANDLE 0x8000
#define LHND (LMEM_MOVEABLE | LMEM_ZEROINIT)
#define LPTR (LMEM_FIXED | LMEM_ZEROINIT)
#define NONZEROLHND (LMEM_MOVEABLE)
#define NONZEROLPTR (LMEM_FIXED)
/* LocalFlags */
#define LMEM_DISCARDED 0x4000
#define LMEM_LOCKCOUNT 0x00FF

HGLOBAL WINAPI GlobalAlloc(UINT uFlags, SIZE_T dwBytes);
HGLOBAL WINAPI GlobalReAlloc(HGLOBAL hMem, SIZE_T dwBytes, UINT uFlags);
HGLOBAL WINAPI GlobalFree(HGLOBAL hMem);
LPVOID WINAPI GlobalLock(HGLOBAL hMem);
BOOL WINAPI GlobalUnlock(HGLOBAL hMem);
SIZE_T WINAPI GlobalSize(HGLOBAL hMem);
UINT WINAPI GlobalFlags(HGLOBAL hMem);
HGLOBAL WINAPI GlobalHandle(LPCVOID pMem);
/* GlobalReAlloc(h, 0, GMEM_MOVEABLE), as the SDK's macro. */
#define GlobalDiscard(h) GlobalReAlloc((h), 0, GMEM_MOVEABLE)

HLOCAL WINAPI LocalAlloc(UINT uFlags, SIZE_T uBytes);
HLOCAL WINAPI LocalReAlloc(HLOCAL hMem, SIZE_T uBytes, UINT uFlags);
HLOCAL WINAPI LocalFree(HLOCAL hMem);
LPVOID WINAPI LocalLock(HLOCAL hMem);
BOOL WINAPI LocalUnlock(HLOCAL hMem);
SIZE_T WINAPI LocalSize(HLOCAL hMem);
UINT WINAPI LocalFlags(HLOCAL hMem);
HLOCAL WINAPI LocalHandle(LPCVOID pMem);
#define LocalDiscard(h) LocalReAlloc((h), 0, LMEM_MOVEABLE)

/* ---- memory status (libc/user/memstatus.c) -------------------------------
 *
 * The machine's figures as the kernel counts them (NtQuerySystemCounters):
 * physical memory = the RAM frames and those free; the "page file" =
 * the commit limit and what is left of it; virtual = the 2 GiB user
 * space (lpMinimumApplicationAddress..lpMaximumApplicationAddress) and
 * the part of it no reservation holds. */

typedef struct _MEMORYSTATUS {
    DWORD dwLength;
    DWORD dwMemoryLoad;
    SIZE_T dwTotalPhys;
    SIZE_T dwAvailPhys;
    SIZE_T dwTotalPageFile;
    SIZE_T dwAvailPageFile;
    SIZE_T dwTotalVirtual;
    SIZE_T dwAvailVirtual;
} MEMORYSTATUS, *LPMEMORYSTATUS;
_Static_assert(sizeof(MEMORYSTATUS) == 32, "x86 MEMORYSTATUS");

typedef struct _MEMORYSTATUSEX {
    DWORD dwLength;                          /* must be sizeof(MEMORYSTATUSEX) */
    DWORD dwMemoryLoad;
    DWORDLONG ullTotalPhys;
    DWORDLONG ullAvailPhys;
    DWORDLONG ullTotalPageFile;
    DWORDLONG ullAvailPageFile;
    DWORDLONG ullTotalVirtual;
    DWORDLONG ullAvailVirtual;
    DWORDLONG ullAvailExtendedVirtual;       /* always 0 */
} MEMORYSTATUSEX, *LPMEMORYSTATUSEX;
_Static_assert(sizeof(MEMORYSTATUSEX) == 64, "MEMORYSTATUSEX");

/* Fills *lpBuffer (dwLength is set); figures above the SIZE_T range read
 * (SIZE_T)-1, and physical memory is capped at 2 GiB, as for a program
 * linked without /LARGEADDRESSAWARE. */
void WINAPI GlobalMemoryStatus(LPMEMORYSTATUS lpBuffer);
/* FALSE with ERROR_INVALID_PARAMETER unless dwLength is
 * sizeof(MEMORYSTATUSEX). */
BOOL WINAPI GlobalMemoryStatusEx(LPMEMORYSTATUSEX lpBuffer);

/* ---- pointer probes (libc/user/probe.c) ----------------------------------
 *
 * Each touches the memory (a read, or a read and a write of the same
 * value) and catches the exception: non-zero (bad) when any byte cannot be
 * accessed, 0 when all can.  Touching a guard page is an exception too:
 * the probe reports the page as bad and the guard is gone afterwards
 * (which is how these functions can break a thread's stack growth).  A
 * size of 0 is always good; NULL with a size is bad. */
BOOL WINAPI IsBadReadPtr(const VOID *lp, UINT_PTR ucb);
BOOL WINAPI IsBadWritePtr(LPVOID lp, UINT_PTR ucb);
BOOL WINAPI IsBadHugeReadPtr(const VOID *lp, UINT_PTR ucb);
BOOL WINAPI IsBadHugeWritePtr(LPVOID lp, UINT_PTR ucb);
/* Read access to the first byte of the code at lpfn. */
BOOL WINAPI IsBadCodePtr(FARPROC lpfn);
/* Read access up to and including the terminating NUL, or ucchMax bytes. */
BOOL WINAPI IsBadStringPtrA(LPCSTR lpsz, UINT_PTR ucchMax);

#endif
