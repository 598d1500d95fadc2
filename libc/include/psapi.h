/* Process status (psapi.h): GetProcessMemoryInfo, as psapi / kernel32
 * (K32GetProcessMemoryInfo) give it; libc/user/process.c.  Issue 15. */
#ifndef _PSAPI_H
#define _PSAPI_H

#include <windef.h>

typedef struct _PROCESS_MEMORY_COUNTERS {
    DWORD cb;
    DWORD PageFaultCount;
    SIZE_T PeakWorkingSetSize;
    SIZE_T WorkingSetSize;
    SIZE_T QuotaPeakPagedPoolUsage;
    SIZE_T QuotaPagedPoolUsage;
    SIZE_T QuotaPeakNonPagedPoolUsage;
    SIZE_T QuotaNonPagedPoolUsage;
    SIZE_T PagefileUsage;               /* the private commit */
    SIZE_T PeakPagefileUsage;
} PROCESS_MEMORY_COUNTERS, *PPROCESS_MEMORY_COUNTERS;

typedef struct _PROCESS_MEMORY_COUNTERS_EX {
    DWORD cb;
    DWORD PageFaultCount;
    SIZE_T PeakWorkingSetSize;
    SIZE_T WorkingSetSize;
    SIZE_T QuotaPeakPagedPoolUsage;
    SIZE_T QuotaPagedPoolUsage;
    SIZE_T QuotaPeakNonPagedPoolUsage;
    SIZE_T QuotaNonPagedPoolUsage;
    SIZE_T PagefileUsage;
    SIZE_T PeakPagefileUsage;
    SIZE_T PrivateUsage;
} PROCESS_MEMORY_COUNTERS_EX, *PPROCESS_MEMORY_COUNTERS_EX;
_Static_assert(sizeof(PROCESS_MEMORY_COUNTERS) == 40 && sizeof(PROCESS_MEMORY_COUNTERS_EX) == 44,
               "x86 PROCESS_MEMORY_COUNTERS");

/* The handle needs PROCESS_QUERY_(LIMITED_)INFORMATION and PROCESS_VM_READ
 * (ERROR_ACCESS_DENIED).  cb below sizeof(PROCESS_MEMORY_COUNTERS):
 * ERROR_INSUFFICIENT_BUFFER; at least sizeof(PROCESS_MEMORY_COUNTERS_EX):
 * PrivateUsage too.  ppsmemCounters->cb gets the size filled.  What the
 * figures mean here: kernel/process_memory.h (WorkingSetSize = resident
 * pages until working sets exist; PagefileUsage = PrivateUsage = private
 * commit; peaks as far as queries saw them; PageFaultCount 0). */
BOOL WINAPI GetProcessMemoryInfo(HANDLE Process, PPROCESS_MEMORY_COUNTERS ppsmemCounters, DWORD cb);
BOOL WINAPI K32GetProcessMemoryInfo(HANDLE Process, PPROCESS_MEMORY_COUNTERS ppsmemCounters, DWORD cb);
/* Issue 19: trims every page of the process's working set that is not
 * locked (SetProcessWorkingSetSize(h, -1, -1); PROCESS_SET_QUOTA). */
BOOL WINAPI EmptyWorkingSet(HANDLE hProcess);

#endif
