/* The heap engine's platform layer in user mode (mm/heap/heap_os.h): pages
 * through the native memory services of the calling process, the thread
 * identity and the wait of the heap lock, and RaiseException for
 * HEAP_GENERATE_EXCEPTIONS and heap corruption. */
#include "mm/heap/heap_os.h"
#include <windows.h>
#include <ntdll.h>
#include <ntstatus.h>

/* The lock word and its recursion are the engine's (mm/heap/heap_lock.c).
 * Programs have one thread today, so the thread identity is a constant
 * and a contended wait (which cannot happen yet) yields the CPU through
 * the null service; with threads, the identity is the TEB's thread id and
 * the wait an auto-reset event kept in heap_os_lock (heap_os.h). */
#define THIS_THREAD 1u              /* one thread per process */

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

uintptr_t heap_os_thread_id(void)
{
    return THIS_THREAD;
}

void heap_os_lock_init(heap_os_lock *l)
{
    l->opaque[0] = l->opaque[1] = 0;
}

void heap_os_lock_wait(heap_os_lock *l, volatile uint32_t *word, uint32_t value)
{
    (void)l;
    if (*word == value)
        NtYieldExecution();
}

void heap_os_lock_wake(heap_os_lock *l, volatile uint32_t *word)
{
    (void)l;
    (void)word;
}

void heap_os_lock_destroy(heap_os_lock *l)
{
    (void)l;
}

/* One CPU: no per-thread caches (the uncontended lock is one atomic). */
int heap_os_thread_slot(void)
{
    return -1;
}

void heap_os_barrier(void)
{
}

void heap_os_yield(void)
{
    NtYieldExecution();
}

/* STATUS_HEAP_CORRUPTION is not continuable (spec item 53); the others
 * (HEAP_GENERATE_EXCEPTIONS) may be continued, and the call then fails. */
void heap_os_raise(int32_t status)
{
    DWORD flags = (uint32_t)status == (uint32_t)STATUS_HEAP_CORRUPTION ? EXCEPTION_NONCONTINUABLE : 0;
    RaiseException((DWORD)status, flags, 0, NULL);
}

/* A program may define `const int sdk_heap_options = HEAP_OS_OPT_...;` to
 * create its heaps (the process heap too) with checking or without the
 * low-fragmentation front end, as Windows' image options for the heap
 * do; the SDK's weak default is none. */
extern const int sdk_heap_options __attribute__((weak));

int heap_os_default_checking(void)
{
    return &sdk_heap_options != NULL ? sdk_heap_options : 0;
}
