/* The heap engine's platform layer in user mode (mm/heap/heap_os.h): pages
 * through the native memory services of the calling process, a critical
 * section as the heap lock (as in NT, whose heap lock is one), and
 * RaiseException for HEAP_GENERATE_EXCEPTIONS and heap corruption. */
#include "mm/heap/heap_os.h"
#include "libc/user/sdk.h"
#include <windows.h>
#include <ntdll.h>
#include <ntstatus.h>

/* The lock is a CRITICAL_SECTION in the heap's heap_os_lock storage:
 * uncontended, HeapAlloc makes no system call for it; HeapLock in one
 * thread makes the others' calls on that heap wait in the kernel. */
_Static_assert(sizeof(CRITICAL_SECTION) <= sizeof(heap_os_lock), "a critical section fits heap_os_lock");

void *heap_os_reserve(size_t size, unsigned flags)
{
    PVOID base = NULL;
    SIZE_T sz = size;
    ULONG protect = (flags & HEAP_OS_EXECUTE) ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;

    /* Top-down, as the stack: the low user range stays free for the
     * program's own fixed-address reservations. */
    if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &sz,
                                            MEM_RESERVE | MEM_TOP_DOWN, protect)))
        return NULL;
    return base;
}

int32_t heap_os_commit(void *addr, size_t size, unsigned flags)
{
    PVOID base = addr;
    SIZE_T sz = size;
    ULONG protect = (flags & HEAP_OS_EXECUTE) ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
    NTSTATUS st = NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &sz, MEM_COMMIT, protect);

    return NT_SUCCESS(st) ? 0 : st;
}

void heap_os_decommit(void *addr, size_t size)
{
    PVOID base = addr;
    SIZE_T sz = size;
    NtFreeVirtualMemory(NtCurrentProcess(), &base, &sz, MEM_DECOMMIT);
}

void heap_os_release(void *base, size_t size)
{
    PVOID b = base;
    SIZE_T zero = 0;
    (void)size;
    NtFreeVirtualMemory(NtCurrentProcess(), &b, &zero, MEM_RELEASE);
}

/* A heap's lock makes its event with the heap (and HeapDestroy closes
 * it), so a program's handle count does not depend on contention. */
void heap_os_lock_init(heap_os_lock *l)
{
    sdk_lock_init((CRITICAL_SECTION *)l);
}

void heap_os_lock_acquire(heap_os_lock *l)
{
    EnterCriticalSection((CRITICAL_SECTION *)l);
}

void heap_os_lock_release(heap_os_lock *l)
{
    LeaveCriticalSection((CRITICAL_SECTION *)l);
}

void heap_os_lock_destroy(heap_os_lock *l)
{
    DeleteCriticalSection((CRITICAL_SECTION *)l);
}

/* STATUS_HEAP_CORRUPTION is not continuable (spec item 53); the others
 * (HEAP_GENERATE_EXCEPTIONS) may be continued, and the call then fails. */
void heap_os_raise(int32_t status)
{
    DWORD flags = (uint32_t)status == (uint32_t)STATUS_HEAP_CORRUPTION ? EXCEPTION_NONCONTINUABLE : 0;
    RaiseException((DWORD)status, flags, 0, NULL);
}

int heap_os_default_checking(void)
{
    return 0;
}
