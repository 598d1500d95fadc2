/* The heap engine's platform layer in user mode (mm/heap/heap_os.h): pages
 * through the native memory services of the calling process, the thread
 * identity and the wait of the heap lock, and RaiseException for
 * HEAP_GENERATE_EXCEPTIONS and heap corruption. */
#include "mm/heap/heap_os.h"
#include "libc/user/sdk.h"
#include <windows.h>
#include <ntdll.h>
#include <ntstatus.h>
#include <ntsvc.h>

/* The lock word and its recursion are the engine's (mm/heap/heap_lock.c);
 * this layer gives the thread identity (the TEB's thread id) and the wait:
 * an auto-reset event kept in the heap's heap_os_lock storage, made with
 * the heap (so a program's handle count does not depend on contention)
 * and closed by HeapDestroy.  An auto-reset event remembers a wake that
 * comes before the wait, so none is lost (heap_os.h). */
_Static_assert(sizeof(HANDLE) <= sizeof(((heap_os_lock *)0)->opaque[0]), "an event handle fits");

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
    return GetCurrentThreadId();
}

void heap_os_lock_init(heap_os_lock *l)
{
    l->opaque[0] = (uintptr_t)CreateEventA(NULL, FALSE, FALSE, NULL);
    l->opaque[1] = 0;
}

void heap_os_lock_wait(heap_os_lock *l, volatile uint32_t *word, uint32_t value)
{
    HANDLE event = (HANDLE)l->opaque[0];
    if (*word != value)
        return;
    if (event != NULL)
        WaitForSingleObject(event, INFINITE);
    else
        NtYieldExecution();             /* no event could be made: the engine retries */
}

void heap_os_lock_wake(heap_os_lock *l, volatile uint32_t *word)
{
    HANDLE event = (HANDLE)l->opaque[0];
    (void)word;
    if (event != NULL)
        SetEvent(event);
}

void heap_os_lock_destroy(heap_os_lock *l)
{
    if (l->opaque[0] != 0)
        CloseHandle((HANDLE)l->opaque[0]);
    l->opaque[0] = 0;
}

/* Per-thread caches (heap_os.h), on when the machine has more than one
 * CPU.  The slot is the index of the thread's TEB in the process's TEB
 * area (ntsvc.h, NT_TEB_AREA_END): the kernel gives each live thread its
 * own TEB page and takes it back only when the thread has ended, so the
 * index is unique among live threads, needs no assignment, and is
 * released even for a thread that TerminateThread ended (its cached
 * blocks then wait for the slot's next thread; a thread ended in the
 * middle of a heap call can leave that heap broken, as on Windows).
 * Reading it is one fs-relative load (NT_TIB.Self) and two ALU steps.
 *
 * A process with one thread gets a slot too: the engine decides per heap
 * at HeapCreate whether that heap has caches, and the process heap is
 * made before any second thread exists.  A program may define
 * `const int sdk_heap_thread_caches = 1;` (or -1) to have them with one
 * CPU (or not at all), as the benchmarks do to compare the two paths. */
extern const int sdk_heap_thread_caches __attribute__((weak));
static int caches;                      /* 0 not decided, 1 on, -1 off */

static inline int teb_slot(void)
{
    uint32_t teb;
    __asm__("movl %%fs:0x18, %0" : "=r"(teb));
    return (int)((NT_TEB_AREA_END - teb) >> 12) - 1;
}

__attribute__((noinline)) static int caches_decide(void)
{
    int want = &sdk_heap_thread_caches != NULL ? sdk_heap_thread_caches : 0;
    if (want == 0) {
        DWORD_PTR mask = 1, sys = 1;
        GetProcessAffinityMask(GetCurrentProcess(), &mask, &sys);
        want = __builtin_popcount(sys) > 1 ? 1 : -1;
    }
    caches = want > 0 ? 1 : -1;
    return caches > 0 ? teb_slot() : -1;
}

int heap_os_thread_slot(void)
{
    if (__builtin_expect(caches > 0, 1))
        return teb_slot();
    return caches < 0 ? -1 : caches_decide();
}

/* FlushProcessWriteBuffers: the other CPUs pass a barrier (an IPI). */
void heap_os_barrier(void)
{
    NtFlushProcessWriteBuffers();
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
