/* GlobalMemoryStatusEx and GlobalMemoryStatus (sysinfoapi.h, winbase.h):
 * the machine's figures as the kernel counts them.
 *
 *   physical   ullTotalPhys = the RAM frames the memory map gives
 *              (NtQuerySystemCounters' PhysicalPages); ullAvailPhys = the
 *              frames free now, the pre-zeroed pool included (FreeFrames),
 *              as Windows counts its free, zeroed and standby lists
 *   page file  there is none: as on Windows the "page file" figures are
 *              the commit limit (ullTotalPageFile) and what the commit
 *              charge leaves of it (ullAvailPageFile), both system-wide
 *   virtual    ullTotalVirtual = the user part of this process's address
 *              space, lpMaximumApplicationAddress + 1 -
 *              lpMinimumApplicationAddress (0x7FFE0000: 2 GiB less the
 *              64 KiB at each end); ullAvailVirtual = the part of it no
 *              reservation holds, summed over VirtualQuery's MEM_FREE
 *              regions (ReactOS takes total - VM_COUNTERS.VirtualSize,
 *              the same figure)
 *   load       dwMemoryLoad = the percentage of physical memory in use
 *
 * So reserving 1 MiB takes 1 MiB from ullAvailVirtual, committing N pages
 * takes N pages from ullAvailPageFile (plus a page table's page when the
 * kernel makes one for them), and touching them takes up to N frames from
 * ullAvailPhys. */
#include "sdk.h"
#include <ntdll.h>

#define MS_PAGE 0x1000ull
#define MS_USER_MIN 0x00010000u
#define MS_USER_MAX 0x7FFEFFFFu
#define MS_2GB 0x80000000ull

/* Bytes of the user range no reservation holds. */
static DWORDLONG free_user_bytes(void)
{
    MEMORY_BASIC_INFORMATION mbi;
    DWORDLONG free = 0;
    uintptr_t a = MS_USER_MIN;

    while (a <= MS_USER_MAX && VirtualQuery((LPCVOID)a, &mbi, sizeof(mbi)) == sizeof(mbi)) {
        uintptr_t end = (uintptr_t)mbi.BaseAddress + mbi.RegionSize;
        if (end > (uintptr_t)MS_USER_MAX + 1 || end <= a)
            end = (uintptr_t)MS_USER_MAX + 1;
        if (mbi.State == MEM_FREE)
            free += end - a;
        a = end;
    }
    return free;
}

/* [doc] "dwLength: the size of the structure, in bytes. You must set this
 * member before calling GlobalMemoryStatusEx": any other value is FALSE
 * with ERROR_INVALID_PARAMETER (as Windows and Wine check). */
BOOL WINAPI GlobalMemoryStatusEx(LPMEMORYSTATUSEX lpBuffer)
{
    SYSTEM_MEMORY_COUNTERS c;

    if (lpBuffer->dwLength != sizeof(MEMORYSTATUSEX)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    NTSTATUS st = NtQuerySystemCounters(&c, sizeof(c));
    if (!NT_SUCCESS(st)) {
        SetLastError(RtlNtStatusToDosError(st));
        return FALSE;
    }
    DWORDLONG total = c.PhysicalPages * MS_PAGE, avail = c.FreeFrames * MS_PAGE;
    DWORDLONG limit = c.CommitLimit * MS_PAGE;
    DWORDLONG charge = c.CommitCharge * MS_PAGE;
    if (avail > total)
        avail = total;
    lpBuffer->dwMemoryLoad = total != 0 ? (DWORD)((total - avail) * 100 / total) : 0;
    lpBuffer->ullTotalPhys = total;
    lpBuffer->ullAvailPhys = avail;
    lpBuffer->ullTotalPageFile = limit;
    lpBuffer->ullAvailPageFile = charge < limit ? limit - charge : 0;
    lpBuffer->ullTotalVirtual = (DWORDLONG)MS_USER_MAX + 1 - MS_USER_MIN;
    lpBuffer->ullAvailVirtual = free_user_bytes();
    lpBuffer->ullAvailExtendedVirtual = 0;
    return TRUE;
}

static SIZE_T clamp(DWORDLONG v, DWORDLONG cap)
{
    return (SIZE_T)(v > cap ? cap : v);
}

/* [doc] GlobalMemoryStatus: the same figures in SIZE_T fields; beyond
 * that range they read (SIZE_T)-1 ("reporting a value of -1 to indicate
 * an overflow"), and "on Intel x86 computers with more than 2 GB and less
 * than 4 GB of memory" dwTotalPhys and dwAvailPhys are capped at 2 GB
 * unless the program is /LARGEADDRESSAWARE, which these are not. */
void WINAPI GlobalMemoryStatus(LPMEMORYSTATUS lpBuffer)
{
    MEMORYSTATUSEX ex = { .dwLength = sizeof(ex) };

    lpBuffer->dwLength = sizeof(MEMORYSTATUS);
    if (!GlobalMemoryStatusEx(&ex))
        return;
    lpBuffer->dwMemoryLoad = ex.dwMemoryLoad;
    lpBuffer->dwTotalPhys = clamp(ex.ullTotalPhys, MS_2GB);
    lpBuffer->dwAvailPhys = clamp(ex.ullAvailPhys, MS_2GB);
    lpBuffer->dwTotalPageFile = clamp(ex.ullTotalPageFile, (SIZE_T)-1);
    lpBuffer->dwAvailPageFile = clamp(ex.ullAvailPageFile, (SIZE_T)-1);
    lpBuffer->dwTotalVirtual = clamp(ex.ullTotalVirtual, (SIZE_T)-1);
    lpBuffer->dwAvailVirtual = clamp(ex.ullAvailVirtual, (SIZE_T)-1);
}
