/* The heap engine's platform layer inside the kernel (mm/heap/heap_os.h):
 * pages from the kernel address space through mm/vm (so the kernel heap is
 * reserved, committed and charged like any other memory), the current
 * thread as the lock's owner and a yield for a contended lock (heap calls
 * may be preempted), a heap slot per thread for the front end's thread
 * caches with an IPI barrier, and a panic for exceptions.
 * Kernel-only, so it stays outside the portable engine folder mm/heap/,
 * next to mm/kheap.c, as the user and host providers live with their
 * builds (libc/user/heap_user.c, tests/host/heap_host_os.c). */
#include "mm/heap/heap_os.h"
#include "mm/vm.h"
#include "kernel/thread.h"
#include "kernel/thread_heap.h"
#include "kernel/base/percpu.h"
#include "mm/tlb_shootdown.h"
#include "kernel/base/panic.h"
#include "kernel/cmdline.h"
#include <string.h>

void *heap_os_reserve(size_t size, unsigned flags)
{
    uint32_t base = 0, sz = size;
    uint32_t protect = (flags & HEAP_OS_EXECUTE) ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;

    return NT_SUCCESS(vm_allocate(vm_kernel_space(), &base, &sz, MEM_RESERVE, protect))
               ? (void *)base : NULL;
}

int32_t heap_os_commit(void *addr, size_t size, unsigned flags)
{
    uint32_t base = (uint32_t)addr, sz = size;
    uint32_t protect = (flags & HEAP_OS_EXECUTE) ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
    NTSTATUS st = vm_allocate(vm_kernel_space(), &base, &sz, MEM_COMMIT, protect);

    return NT_SUCCESS(st) ? 0 : st;
}

void heap_os_decommit(void *addr, size_t size)
{
    uint32_t base = (uint32_t)addr, sz = size;
    NTSTATUS st = vm_free(vm_kernel_space(), &base, &sz, MEM_DECOMMIT);
    ASSERTF(NT_SUCCESS(st), "kernel heap: decommit %p+%zx failed (%08x)", addr, size, (uint32_t)st);
}

void heap_os_release(void *base, size_t size)
{
    uint32_t b = (uint32_t)base, zero = 0;
    (void)size;
    NTSTATUS st = vm_free(vm_kernel_space(), &b, &zero, MEM_RELEASE);
    ASSERTF(NT_SUCCESS(st), "kernel heap: release %p failed (%08x)", base, (uint32_t)st);
}

/* The lock word is the engine's; a contended kernel thread yields the CPU
 * until the holder has released it (the holder may have been preempted).
 * The kernel heap exists before the thread table (kheap_init runs before
 * thread_init): the "| 1" keeps that early identity nonzero and distinct. */
uintptr_t heap_os_thread_id(void)
{
    return (uintptr_t)thread_current() | 1;
}

void heap_os_lock_init(heap_os_lock *l)
{
    memset(l, 0, sizeof(*l));
}

void heap_os_lock_wait(heap_os_lock *l, volatile uint32_t *word, uint32_t value)
{
    (void)l;
    if (*word == value)
        thread_yield();
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

/* Per-thread caches (heap_os.h): on with more than one CPU, a slot per
 * kernel thread (kernel/thread_heap.h says why per thread, not per CPU),
 * taken on the thread's first serialized heap call and freed, its caches
 * flushed, when the thread is reaped.  With one CPU the uncontended lock
 * is one atomic and nothing contends, so they stay off; heap=tc turns
 * them on anyway and heap=notc off (both paths stay testable and
 * measurable).  Decided once, on the kernel heap's creation (the engine
 * asks then; the CPUs are counted by then, smp_discover, though not yet
 * started). */
static int caches;                      /* 0 not decided, 1 on, -1 off */

static int caches_decide(void)
{
    const char *v = cmdline_get("heap");
    const char *limit = cmdline_get("cpus");
    if (v != NULL && cmdline_list_contains(v, "notc"))
        return -1;
    if (v != NULL && cmdline_list_contains(v, "tc"))
        return 1;
    return cpu_count > 1 && !(limit != NULL && strcmp(limit, "1") == 0) ? 1 : -1;
}

__attribute__((noinline)) static int slot_first_call(void)
{
    if (caches == 0)
        caches = caches_decide();
    return thread_heap_slot_take(caches > 0);
}

int heap_os_thread_slot(void)
{
    int w = thread_heap_slot_word();
    if (__builtin_expect(w > 0, 1))
        return w - 1;
    return w < 0 ? -1 : slot_first_call();
}

/* Every other CPU passes a locked instruction (an IPI when several are
 * online; nothing to do with one): a thread running a cache fast path
 * there has then made its busy mark visible, or will see lfh_excl. */
void heap_os_barrier(void)
{
    cpu_barrier_others();
}

void heap_os_yield(void)
{
    thread_yield();
}

/* The kernel creates its heaps without HEAP_GENERATE_EXCEPTIONS, so this
 * only fires for corruption on a heap that asked to stop on it. */
void heap_os_raise(int32_t status)
{
    panic("kernel heap: exception %08x (heap corruption or failure with exceptions on)",
          (uint32_t)status);
}

/* heap=nolfh on the command line: heaps without the low-fragmentation
 * front end (the kernel heap included: it is made after the command line
 * is read), so that the path without it stays tested. */
int heap_os_default_checking(void)
{
    const char *v = cmdline_get("heap");
    return v != NULL && cmdline_list_contains(v, "nolfh") ? HEAP_OS_OPT_NO_LFH : 0;
}
