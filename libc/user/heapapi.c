/* The Win32 heap API in user mode: thin wrappers over the heap engine
 * (mm/heap/heap.h) that turn its NTSTATUS results into last-error codes and
 * exceptions as kernel32/ntdll do, the process default heap, and the list
 * of heaps for GetProcessHeaps. */
#include <windows.h>
#include <ntdll.h>
#include <ntstatus.h>
#include "mm/heap/heap.h"
#include "libc/user/sdk.h"

#define HEAPS_MAX 64
#define PROCESS_HEAP_RESERVE (1024 * 1024)

_Static_assert(sizeof(PROCESS_HEAP_ENTRY) == sizeof(struct heap_walk_entry), "entry layout");

static HANDLE heaps[HEAPS_MAX];
static DWORD heap_count;
static HANDLE process_heap;
/* Guards heaps[] (NT keeps the list in the PEB under its loader lock). */
static CRITICAL_SECTION heaps_lock = { (PRTL_CRITICAL_SECTION_DEBUG)(LONG_PTR)-1, -1, 0, NULL, NULL, 0 };

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
    int32_t st = 0;
    void *p = heap_alloc(hHeap, dwFlags, dwBytes, &st);

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
