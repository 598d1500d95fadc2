/* The Win32 heap API for the host build (x86-64 Linux), with host-correct
 * types: DWORD = uint32_t, SIZE_T = size_t, HANDLE = void *.  Copied by
 * `make host-heap` to build/host/include/heapapi.h; link with
 * build/host/libheap.a -lpthread.  Values are the Windows ones. */
#ifndef HOST_HEAPAPI_H
#define HOST_HEAPAPI_H

#include <stddef.h>
#include <stdint.h>

typedef uint32_t DWORD;
typedef size_t SIZE_T;
typedef void *HANDLE, *PVOID, *LPVOID;
typedef const void *LPCVOID;
typedef int BOOL;
typedef unsigned char BYTE;
typedef unsigned short WORD;
typedef HANDLE *PHANDLE;

#ifndef TRUE
#define TRUE 1
#define FALSE 0
#endif

#define HEAP_NO_SERIALIZE 0x00000001
#define HEAP_GROWABLE 0x00000002
#define HEAP_GENERATE_EXCEPTIONS 0x00000004
#define HEAP_ZERO_MEMORY 0x00000008
#define HEAP_REALLOC_IN_PLACE_ONLY 0x00000010
#define HEAP_TAIL_CHECKING_ENABLED 0x00000020
#define HEAP_FREE_CHECKING_ENABLED 0x00000040
#define HEAP_DISABLE_COALESCE_ON_FREE 0x00000080
#define HEAP_CREATE_ENABLE_EXECUTE 0x00040000
/* Engine option (not Windows): corruption raises STATUS_HEAP_CORRUPTION. */
#define HEAP_X_TERMINATE_ON_CORRUPTION 0x10000000u

#define PROCESS_HEAP_REGION 0x0001
#define PROCESS_HEAP_UNCOMMITTED_RANGE 0x0002
#define PROCESS_HEAP_ENTRY_BUSY 0x0004
#define PROCESS_HEAP_ENTRY_MOVEABLE 0x0010
#define PROCESS_HEAP_ENTRY_DDESHARE 0x0020

#define MEMORY_ALLOCATION_ALIGNMENT 16

#define ERROR_SUCCESS 0
#define NO_ERROR 0
#define ERROR_INVALID_HANDLE 6
#define ERROR_NOT_ENOUGH_MEMORY 8
#define ERROR_INVALID_PARAMETER 87
#define ERROR_GEN_FAILURE 31
#define ERROR_INSUFFICIENT_BUFFER 122
#define ERROR_NO_MORE_ITEMS 259

#define STATUS_ACCESS_VIOLATION 0xC0000005u
#define STATUS_NO_MEMORY 0xC0000017u
#define STATUS_HEAP_CORRUPTION 0xC0000374u

typedef struct _PROCESS_HEAP_ENTRY {
    PVOID lpData;
    DWORD cbData;
    BYTE cbOverhead;
    BYTE iRegionIndex;
    WORD wFlags;
    union {
        struct {
            HANDLE hMem;
            DWORD dwReserved[3];
        } Block;
        struct {
            DWORD dwCommittedSize;
            DWORD dwUnCommittedSize;
            LPVOID lpFirstBlock;
            LPVOID lpLastBlock;
        } Region;
    };
} PROCESS_HEAP_ENTRY, *LPPROCESS_HEAP_ENTRY, *PPROCESS_HEAP_ENTRY;

typedef enum _HEAP_INFORMATION_CLASS {
    HeapCompatibilityInformation = 0,       /* ULONG: 0 standard, 1 look-asides, 2 LFH */
    HeapEnableTerminationOnCorruption = 1,
    HeapOptimizeResources = 3,
} HEAP_INFORMATION_CLASS;
typedef uint32_t ULONG;
typedef SIZE_T *PSIZE_T;

HANDLE GetProcessHeap(void);
DWORD GetProcessHeaps(DWORD NumberOfHeaps, PHANDLE ProcessHeaps);
HANDLE HeapCreate(DWORD flOptions, SIZE_T dwInitialSize, SIZE_T dwMaximumSize);
BOOL HeapDestroy(HANDLE hHeap);
LPVOID HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes);
LPVOID HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes);
BOOL HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem);
SIZE_T HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem);
BOOL HeapValidate(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem);
BOOL HeapWalk(HANDLE hHeap, LPPROCESS_HEAP_ENTRY lpEntry);
BOOL HeapLock(HANDLE hHeap);
BOOL HeapUnlock(HANDLE hHeap);
SIZE_T HeapCompact(HANDLE hHeap, DWORD dwFlags);
BOOL HeapQueryInformation(HANDLE HeapHandle, HEAP_INFORMATION_CLASS HeapInformationClass,
                          PVOID HeapInformation, SIZE_T HeapInformationLength, PSIZE_T ReturnLength);
BOOL HeapSetInformation(HANDLE HeapHandle, HEAP_INFORMATION_CLASS HeapInformationClass,
                        PVOID HeapInformation, SIZE_T HeapInformationLength);
DWORD GetLastError(void);
void SetLastError(DWORD dwErrCode);

/* Host only: bytes the page provider holds committed now / at its peak
 * (all heaps), reserved now; the peak can be reset to "now". */
SIZE_T heap_host_committed_bytes(void);
SIZE_T heap_host_committed_peak(void);
SIZE_T heap_host_reserved_bytes(void);
void heap_host_reset_peak(void);
/* Host only, for tests: commits that would take the provider's committed
 * bytes past `bytes` fail with STATUS_COMMITMENT_LIMIT, as VirtualAlloc
 * does at the commit limit (0: no limit, the default). */
void heap_host_set_commit_limit(SIZE_T bytes);
/* Host only: nanoseconds this thread spent in page-provider calls, and
 * the number of those calls (all threads). */
unsigned long long heap_host_os_ns(void);
unsigned long long heap_host_os_calls(void);
/* Host only: exceptions (HEAP_GENERATE_EXCEPTIONS, corruption) call the
 * hook, which may longjmp; without a hook the process aborts. */
void heap_host_set_raise_hook(void (*hook)(DWORD code));
/* Host only: threads that start using heaps from now on get per-thread
 * front-end caches (1, the default on a machine with several CPUs) or
 * take the heap lock on every call (0). */
void heap_host_set_thread_caches(int on);
/* Host only: what p is in h: 1 a busy block of the low-fragmentation
 * front end, 0 a busy block of the back end, -1 neither (a large block,
 * a free block, a bad pointer); *block_bytes (if not NULL) its block's
 * size, header included. */
int heap_host_block_info(HANDLE h, LPCVOID p, SIZE_T *block_bytes);
/* Host only: the engine's statistics (mm/heap/heap.h struct heap_stats):
 * busy front-end blocks, free ones, subsegments. */
void heap_host_front_end_stats(HANDLE h, SIZE_T *busy, SIZE_T *free_blocks, SIZE_T *subsegments);
/* Host only: the engine's validator: number of broken invariants. */
int heap_host_check(HANDLE hHeap);

#endif
