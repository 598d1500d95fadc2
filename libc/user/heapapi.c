/* The Win32 heap API in user mode: thin wrappers over the heap engine
 * (mm/heap/heap.h) that turn its NTSTATUS results into last-error codes and
 * exceptions as kernel32/ntdll do, the process default heap, and the list
 * of heaps for GetProcessHeaps. */
#include <windows.h>
#include <ntdll.h>
#include <ntstatus.h>
#include "mm/heap/heap.h"
#include "mm/heap/heap_os.h"
#include "libc/user/sdk.h"

#define HEAPS_MAX 64
#define PROCESS_HEAP_RESERVE (1024 * 1024)

_Static_assert(sizeof(PROCESS_HEAP_ENTRY) == sizeof(struct heap_walk_entry), "entry layout");

static HANDLE heaps[HEAPS_MAX];
static DWORD heap_count;
static HANDLE process_heap;
/* Guards heaps[] (NT keeps the list in the PEB under its loader lock). */
static CRITICAL_SECTION heaps_lock = { (PRTL_CRITICAL_SECTION_DEBUG)(LONG_PTR)-1, -1, 0, NULL, NULL, 0 };
static BOOL terminate_on_corruption;    /* HeapEnableTerminationOnCorruption, for good */

/* Before main: the process heap, 1 MiB reserved and committed on demand
 * (as a PE image's default SizeOfHeapReserve), serialized, growable. */
void sdk_heap_init(void)
{
    sdk_lock_prepare(&heaps_lock);
    process_heap = heap_create(HEAP_GROWABLE, 0, 0, NULL);
    if (process_heap == NULL)
        sdk_terminate(STATUS_NO_MEMORY);
    heaps[heap_count++] = process_heap;
}

/* ExitThread (sdk.h): the blocks the ending thread's caches hold go back
 * to their heaps, so they do not sit idle until a thread with the same
 * TEB slot comes (libc/user/heap_user.c). */
void sdk_heap_thread_exit(void)
{
    int slot = heap_os_thread_slot();
    if (slot < 0)
        return;
    EnterCriticalSection(&heaps_lock);
    for (DWORD i = 0; i < heap_count; i++)
        heap_flush_thread_cache(heaps[i], slot);
    LeaveCriticalSection(&heaps_lock);
}

/* heaps_lock held. */
static int heap_index(HANDLE h)
{
    for (DWORD i = 0; i < heap_count; i++)
        if (heaps[i] == h)
            return (int)i;
    return -1;
}

static void set_status_error(int32_t st)
{
    SetLastError(RtlNtStatusToDosError(st));
}

/* The last error of a failed HeapCreate / HeapReAlloc / HeapFree, as
 * kernel32 and ntdll leave it: a pointer that is no block of the heap (or
 * a block whose header or neighbours are damaged) is
 * ERROR_INVALID_PARAMETER (spec item 75); any lack of memory - address
 * space, commit (STATUS_COMMITMENT_LIMIT from the page provider), the
 * heap's maximum - is ERROR_NOT_ENOUGH_MEMORY (items 71, 81, 82), never
 * ERROR_COMMITMENT_LIMIT; success (HeapReAlloc of NULL, item 84) is
 * NO_ERROR. */
static void set_heap_error(int32_t st)
{
    if (st == STATUS_SUCCESS)
        SetLastError(ERROR_SUCCESS);
    else if (st == STATUS_INVALID_PARAMETER || st == STATUS_HEAP_CORRUPTION)
        SetLastError(ERROR_INVALID_PARAMETER);
    else
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
}

HANDLE WINAPI GetProcessHeap(void)
{
    return process_heap;
}

/* Item 63: the count, and as many handles as fit (also when too few). */
DWORD WINAPI GetProcessHeaps(DWORD NumberOfHeaps, PHANDLE ProcessHeaps)
{
    EnterCriticalSection(&heaps_lock);
    DWORD n = heap_count;
    for (DWORD i = 0; i < NumberOfHeaps && i < n; i++)
        ProcessHeaps[i] = heaps[i];
    LeaveCriticalSection(&heaps_lock);
    return n;
}

HANDLE WINAPI HeapCreate(DWORD flOptions, SIZE_T dwInitialSize, SIZE_T dwMaximumSize)
{
    int32_t st = 0;

    if (terminate_on_corruption)
        flOptions |= HEAP_X_TERMINATE_ON_CORRUPTION;
    EnterCriticalSection(&heaps_lock);
    struct heap *h = NULL;
    if (heap_count == HEAPS_MAX) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    } else {
        h = heap_create(flOptions, dwInitialSize, dwMaximumSize, &st);
        if (h == NULL)
            set_heap_error(st ? st : STATUS_NO_MEMORY);
        else
            heaps[heap_count++] = h;
    }
    LeaveCriticalSection(&heaps_lock);
    return h;
}

/* Item 66: everything goes, large blocks included; the process heap stays. */
BOOL WINAPI HeapDestroy(HANDLE hHeap)
{
    EnterCriticalSection(&heaps_lock);
    int i = heap_index(hHeap);
    if (hHeap == process_heap || i < 0) {
        LeaveCriticalSection(&heaps_lock);
        SetLastError(i < 0 ? ERROR_INVALID_HANDLE : ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    for (DWORD j = (DWORD)i; j + 1 < heap_count; j++)
        heaps[j] = heaps[j + 1];
    heap_count--;
    LeaveCriticalSection(&heaps_lock);
    heap_destroy(hHeap);
    return TRUE;
}

LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes)
{
    void *p = heap_alloc(hHeap, dwFlags, dwBytes, NULL); /* (any failure is the one error) */

    if (p == NULL)
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);  /* item 71: Windows sets it */
    return p;
}

LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes)
{
    int32_t st = 0;
    void *p = heap_realloc(hHeap, dwFlags, lpMem, dwBytes, &st);

    if (p == NULL)
        set_heap_error(st);
    return p;
}

/* Item 74: a NULL pointer is TRUE whatever the handle (Windows does not
 * look at the heap for it; HeapFree(NULL, 0, NULL) must not fault). */
BOOL WINAPI HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem)
{
    int32_t st = 0;

    if (lpMem == NULL)
        return TRUE;
    if (heap_free(hHeap, dwFlags, lpMem, &st))
        return TRUE;
    set_heap_error(st);
    return FALSE;
}

SIZE_T WINAPI HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem)
{
    return heap_size(hHeap, dwFlags, lpMem);
}

BOOL WINAPI HeapValidate(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem)
{
    return heap_validate(hHeap, dwFlags, lpMem) ? TRUE : FALSE;
}

BOOL WINAPI HeapWalk(HANDLE hHeap, LPPROCESS_HEAP_ENTRY lpEntry)
{
    int32_t st = 0;

    if (heap_walk(hHeap, (struct heap_walk_entry *)lpEntry, &st))
        return TRUE;
    set_status_error(st);
    return FALSE;
}

BOOL WINAPI HeapLock(HANDLE hHeap)
{
    heap_lock(hHeap);
    return TRUE;
}

BOOL WINAPI HeapUnlock(HANDLE hHeap)
{
    heap_unlock(hHeap);
    return TRUE;
}

/* Item 93: the largest committed free block; 0 with NO_ERROR if none. */
SIZE_T WINAPI HeapCompact(HANDLE hHeap, DWORD dwFlags)
{
    SIZE_T n = heap_compact(hHeap, dwFlags);

    if (n == 0)
        SetLastError(ERROR_SUCCESS);
    return n;
}

/* HeapCompatibilityInformation: a ULONG, 0 for a standard heap, 2 for
 * one with the low-fragmentation front end (the process heap, and every
 * growable heap created without HEAP_NO_SERIALIZE).  A buffer under 4
 * bytes: FALSE, ERROR_INSUFFICIENT_BUFFER, *ReturnLength = 4.  Only that
 * class can be read. */
BOOL WINAPI HeapQueryInformation(HANDLE HeapHandle, HEAP_INFORMATION_CLASS HeapInformationClass,
                                 PVOID HeapInformation, SIZE_T HeapInformationLength, PSIZE_T ReturnLength)
{
    if (HeapInformationClass != HeapCompatibilityInformation || heap_index(HeapHandle) < 0) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (ReturnLength != NULL)
        *ReturnLength = sizeof(ULONG);
    if (HeapInformationLength < sizeof(ULONG) || HeapInformation == NULL) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return FALSE;
    }
    *(ULONG *)HeapInformation = heap_front_end(HeapHandle);
    return TRUE;
}

/* HeapCompatibilityInformation 2 turns the front end on: TRUE where it is
 * (nothing to do), FALSE with ERROR_GEN_FAILURE on a HEAP_NO_SERIALIZE or
 * fixed-size heap, which cannot have it (docs; the error is what Windows
 * gives when heap debugging forbids it), as for a request to turn it
 * off.  HeapEnableTerminationOnCorruption (handle and buffer ignored):
 * every heap, and every heap created from now on, raises
 * STATUS_HEAP_CORRUPTION when it finds damage or a bad pointer. */
BOOL WINAPI HeapSetInformation(HANDLE HeapHandle, HEAP_INFORMATION_CLASS HeapInformationClass,
                               PVOID HeapInformation, SIZE_T HeapInformationLength)
{
    if (HeapInformationClass == HeapEnableTerminationOnCorruption) {
        terminate_on_corruption = TRUE;
        for (DWORD i = 0; i < heap_count; i++)
            heap_set_terminate_on_corruption(heaps[i]);
        return TRUE;
    }
    if (HeapInformationClass != HeapCompatibilityInformation || heap_index(HeapHandle) < 0 ||
        HeapInformation == NULL || HeapInformationLength < sizeof(ULONG)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    int32_t st = heap_set_front_end(HeapHandle, *(ULONG *)HeapInformation);
    if (st != 0) {
        SetLastError(st == STATUS_INVALID_PARAMETER ? ERROR_INVALID_PARAMETER : ERROR_GEN_FAILURE);
        return FALSE;
    }
    return TRUE;
}
