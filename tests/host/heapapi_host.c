/* The Win32 heap API on the host: thin wrappers over the engine
 * (mm/heap/heap.h) that turn its NTSTATUS results into Windows last errors,
 * plus the process heap and the list of heaps (GetProcessHeaps). */
#include <pthread.h>
#include <stdlib.h>
#include "../../mm/heap/heap.h"
#include "heapapi.h"

_Static_assert(sizeof(PROCESS_HEAP_ENTRY) == sizeof(struct heap_walk_entry), "entry layout");
_Static_assert(offsetof(PROCESS_HEAP_ENTRY, wFlags) == offsetof(struct heap_walk_entry, flags),
               "entry layout");
_Static_assert(offsetof(PROCESS_HEAP_ENTRY, Region.lpLastBlock) ==
                   offsetof(struct heap_walk_entry, u.region.last), "entry layout");

static __thread DWORD last_error;
DWORD GetLastError(void) { return last_error; }
void SetLastError(DWORD e) { last_error = e; }

/* The rows of RtlNtStatusToDosError the heap needs. */
static DWORD status_to_error(int32_t st)
{
    switch ((uint32_t)st) {
    case 0: return NO_ERROR;
    case 0xC0000017u: return ERROR_NOT_ENOUGH_MEMORY;
    case 0xC000012Du: return ERROR_NOT_ENOUGH_MEMORY; /* (the engine reports STATUS_NO_MEMORY) */
    case 0x8000001Au: return ERROR_NO_MORE_ITEMS;
    case 0xC0000008u: return ERROR_INVALID_HANDLE;
    default: return ERROR_INVALID_PARAMETER;
    }
}

/* ---- the list of heaps: the process heap first, then creation order ---- */
static pthread_mutex_t heaps_lock = PTHREAD_MUTEX_INITIALIZER;
static HANDLE *heaps;
static DWORD nheaps, cap_heaps;
static HANDLE process_heap;
static int terminate_on_corruption;         /* HeapEnableTerminationOnCorruption, for good */
static pthread_once_t process_once = PTHREAD_ONCE_INIT;

static int heaps_add(HANDLE h)
{
    pthread_mutex_lock(&heaps_lock);
    if (nheaps == cap_heaps) {
        DWORD cap = cap_heaps ? cap_heaps * 2 : 16;
        HANDLE *n = realloc(heaps, cap * sizeof *n);
        if (!n) {
            pthread_mutex_unlock(&heaps_lock);
            return 0;
        }
        heaps = n;
        cap_heaps = cap;
    }
    heaps[nheaps++] = h;
    pthread_mutex_unlock(&heaps_lock);
    return 1;
}

static int heaps_remove(HANDLE h)
{
    int found = 0;
    pthread_mutex_lock(&heaps_lock);
    for (DWORD i = 0; i < nheaps; i++) {
        if (heaps[i] == h) {
            for (; i + 1 < nheaps; i++)
                heaps[i] = heaps[i + 1];
            nheaps--;
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&heaps_lock);
    return found;
}

/* The process heap: 1 MiB reserved, committed on demand, serialized. */
static void process_heap_init(void)
{
    process_heap = heap_create(0, 0, 0, NULL);
    if (!process_heap || !heaps_add(process_heap))
        abort();
}
__attribute__((constructor)) static void process_heap_ctor(void)
{
    pthread_once(&process_once, process_heap_init);
}

HANDLE GetProcessHeap(void)
{
    pthread_once(&process_once, process_heap_init);
    return process_heap;
}

DWORD GetProcessHeaps(DWORD n, PHANDLE out)
{
    pthread_once(&process_once, process_heap_init);
    pthread_mutex_lock(&heaps_lock);
    DWORD count = nheaps;
    for (DWORD i = 0; i < n && i < count; i++)
        out[i] = heaps[i];
    pthread_mutex_unlock(&heaps_lock);
    return count;
}

HANDLE HeapCreate(DWORD options, SIZE_T initial, SIZE_T maximum)
{
    int32_t st = 0;
    pthread_once(&process_once, process_heap_init);
    if (__atomic_load_n(&terminate_on_corruption, __ATOMIC_ACQUIRE))
        options |= HEAP_X_TERMINATE_ON_CORRUPTION;
    struct heap *h = heap_create(options, initial, maximum, &st);
    if (!h) {
        SetLastError(status_to_error(st));
        return NULL;
    }
    if (!heaps_add(h)) {
        heap_destroy(h);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    return h;
}

BOOL HeapDestroy(HANDLE h)
{
    if (h == process_heap && h) { /* the process heap stays */
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (!h || !heaps_remove(h)) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    heap_destroy(h);
    return TRUE;
}

LPVOID HeapAlloc(HANDLE h, DWORD flags, SIZE_T n)
{
    void *p = heap_alloc(h, flags, n, NULL); /* (any failure is the one error) */
    if (__builtin_expect(!p, 0))
        SetLastError(ERROR_NOT_ENOUGH_MEMORY); /* item 71: set, as Windows does */
    return p;
}

LPVOID HeapReAlloc(HANDLE h, DWORD flags, LPVOID p, SIZE_T n)
{
    int32_t st;
    void *q = heap_realloc(h, flags, p, n, &st);
    if (!q)
        SetLastError(status_to_error(st));
    return q;
}

BOOL HeapFree(HANDLE h, DWORD flags, LPVOID p)
{
    int32_t st;
    if (__builtin_expect(heap_free(h, flags, p, &st), 1))
        return TRUE;
    SetLastError(status_to_error(st));
    return FALSE;
}

SIZE_T HeapSize(HANDLE h, DWORD flags, LPCVOID p)
{
    return heap_size(h, flags, p);
}

BOOL HeapValidate(HANDLE h, DWORD flags, LPCVOID p)
{
    return heap_validate(h, flags, p);
}

BOOL HeapWalk(HANDLE h, LPPROCESS_HEAP_ENTRY e)
{
    int32_t st = 0;
    if (heap_walk(h, (struct heap_walk_entry *)e, &st))
        return TRUE;
    SetLastError(status_to_error(st));
    return FALSE;
}

BOOL HeapLock(HANDLE h)
{
    heap_lock(h);
    return TRUE;
}

BOOL HeapUnlock(HANDLE h)
{
    heap_unlock(h);
    return TRUE;
}

SIZE_T HeapCompact(HANDLE h, DWORD flags)
{
    SIZE_T n = heap_compact(h, flags);
    if (!n)
        SetLastError(NO_ERROR);
    return n;
}

static int heap_listed(HANDLE h)
{
    int found = 0;
    pthread_mutex_lock(&heaps_lock);
    for (DWORD i = 0; i < nheaps; i++)
        found |= heaps[i] == h;
    pthread_mutex_unlock(&heaps_lock);
    return found;
}

/* As libc/user/heapapi.c: HeapCompatibilityInformation only, a ULONG. */
BOOL HeapQueryInformation(HANDLE h, HEAP_INFORMATION_CLASS cls, PVOID info, SIZE_T len, PSIZE_T ret)
{
    pthread_once(&process_once, process_heap_init);
    if (cls != HeapCompatibilityInformation || !heap_listed(h)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (ret)
        *ret = sizeof(uint32_t);
    if (len < sizeof(uint32_t) || !info) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return FALSE;
    }
    *(uint32_t *)info = heap_front_end(h);
    return TRUE;
}

BOOL HeapSetInformation(HANDLE h, HEAP_INFORMATION_CLASS cls, PVOID info, SIZE_T len)
{
    pthread_once(&process_once, process_heap_init);
    if (cls == HeapEnableTerminationOnCorruption) {
        pthread_mutex_lock(&heaps_lock);
        __atomic_store_n(&terminate_on_corruption, 1, __ATOMIC_RELEASE);
        for (DWORD i = 0; i < nheaps; i++)
            heap_set_terminate_on_corruption(heaps[i]);
        pthread_mutex_unlock(&heaps_lock);
        return TRUE;
    }
    if (cls != HeapCompatibilityInformation || !heap_listed(h) || !info || len < sizeof(uint32_t)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    int32_t st = heap_set_front_end(h, *(uint32_t *)info);
    if (st) {
        SetLastError(st == (int32_t)0xC000000Du ? ERROR_INVALID_PARAMETER : ERROR_GEN_FAILURE);
        return FALSE;
    }
    return TRUE;
}

int heap_host_block_info(HANDLE h, LPCVOID p, SIZE_T *block_bytes)
{
    struct heap_block_info bi;
    if (!heap_block_info(h, 0, p, &bi))
        return -1;
    if (block_bytes)
        *block_bytes = bi.block_bytes;
    return bi.front_end;
}

void heap_host_front_end_stats(HANDLE h, SIZE_T *busy, SIZE_T *free_blocks, SIZE_T *subsegments)
{
    struct heap_stats s;
    heap_get_stats(h, &s);
    *busy = s.lfh_blocks;
    *free_blocks = s.lfh_free_blocks;
    *subsegments = s.subsegments;
}

int heap_host_check(HANDLE h)
{
    return heap_check(h);
}
