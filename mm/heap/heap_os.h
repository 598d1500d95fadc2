/* What the heap engine (mm/heap/) needs from the platform it runs on.
 * Implemented once per build: the kernel heap over the kernel's virtual
 * memory (mm/heap_kernel.c), the user SDK over VirtualAlloc
 * (libc/user/heap_user.c), the host over mmap (tests/host/heap_host_os.c).
 *
 * The engine calls the page functions with its own lock held (the lock
 * functions and heap_os_raise without), so none may call back into the
 * same heap.  Sizes and addresses are in bytes; "page" is HEAP_OS_PAGE. */
#ifndef MM_HEAP_OS_H
#define MM_HEAP_OS_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_OS_PAGE 4096u          /* commit granularity */
#define HEAP_OS_GRANULARITY 65536u  /* reservation alignment and granularity */

#define HEAP_OS_EXECUTE 1u          /* pages must be executable (HEAP_CREATE_ENABLE_EXECUTE) */

/* Reserve `size` bytes (a multiple of HEAP_OS_GRANULARITY) of address
 * space aligned to HEAP_OS_GRANULARITY, nothing committed.  Returns the
 * base, or NULL when the address space is exhausted.  `flags`: HEAP_OS_*. */
void *heap_os_reserve(size_t size, unsigned flags);

/* Make [addr, addr+size) readable and writable (and executable with
 * HEAP_OS_EXECUTE), zero-filled.  Page-aligned, inside one reservation,
 * and every page in it is currently uncommitted: the engine never commits
 * a page twice, so the provider may count bytes exactly.  Returns 0, or
 * an NTSTATUS (STATUS_NO_MEMORY, STATUS_COMMITMENT_LIMIT) with nothing
 * committed. */
int32_t heap_os_commit(void *addr, size_t size, unsigned flags);

/* Give back [addr, addr+size): page-aligned, inside one reservation, every
 * page committed.  Afterwards any access faults.  Cannot fail. */
void heap_os_decommit(void *addr, size_t size);

/* Release a whole reservation made by heap_os_reserve (base and size as
 * returned/passed there); committed pages in it go too.  Cannot fail. */
void heap_os_release(void *base, size_t size);

/* The heap lock.  The engine keeps the lock word itself (mm/heap/heap_lock.c,
 * struct hlock in heap_private.h): an uncontended acquire is one atomic
 * compare-exchange and calls nothing here, release is one atomic exchange,
 * and recursion (HeapLock, spec item 91) is counted by the engine.  The
 * platform supplies only a thread identity and a way to wait:
 *
 *   heap_os_thread_id()  the calling thread's identity: nonzero, and unique
 *       among the live threads that may call the engine (kernel: the
 *       current thread; user mode: the TEB's thread id once there are
 *       threads; host: pthread_self).  Called on slow paths only.
 *   heap_os_lock_wait(l, word, value)  block while *word == value, until a
 *       heap_os_lock_wake(l, word) or spuriously (the engine loops).  The
 *       check and the sleep must not lose a wake that comes in between: a
 *       futex does the check itself; an auto-reset event (NT's critical
 *       section) remembers a wake that came first; yielding the CPU and
 *       returning is also correct (the engine retries), just not frugal.
 *   heap_os_lock_wake(l, word)  wake at least one waiter of word; called
 *       by the releasing thread after it stored 0 there, only when a
 *       waiter may exist (the engine marks the word 2 before it waits).
 *   heap_os_lock_init(l), heap_os_lock_destroy(l)  the per-heap storage of
 *       the wait object (e.g. an event handle made on the first wait, kept
 *       in *l), inside the heap's first page; destroy is called with no
 *       waiter left.
 *
 * None of these may call back into a heap. */
typedef struct heap_os_lock {
    uintptr_t opaque[2];
} heap_os_lock;
uintptr_t heap_os_thread_id(void);
void heap_os_lock_init(heap_os_lock *l);
void heap_os_lock_wait(heap_os_lock *l, volatile uint32_t *word, uint32_t value);
void heap_os_lock_wake(heap_os_lock *l, volatile uint32_t *word);
void heap_os_lock_destroy(heap_os_lock *l);

/* Per-thread caches of the low-fragmentation front end (its "affinity";
 * mm/heap/heap_tcache.c).  On a machine with several CPUs an atomic
 * instruction per heap call is the whole cost of a small allocation, so
 * each thread keeps a few free blocks of each class of its own and takes
 * the lock only to refill or flush them.  The platform says whether it
 * wants that:
 *
 *   heap_os_thread_slot()  a small index for the calling thread, below
 *       HEAP_OS_THREAD_SLOTS and unique among its live threads (a slot may
 *       be reused once its thread has ended: the caches outlive threads);
 *       or -1 for no per-thread caches (one CPU, or a thread beyond the
 *       slots): that thread's calls then take the heap lock.  Called on
 *       every serialized fast path: it must be cheap.
 *   heap_os_barrier()  every other thread of the process passes a full
 *       memory barrier before this returns (Linux membarrier).  A thread
 *       that needs the caches of others quiet (HeapLock, HeapWalk,
 *       HeapValidate, HeapCompact) raises a flag, calls this, and then
 *       reads their busy words; the fast paths store their busy word and
 *       read the flag with no fence of their own.
 *   heap_os_yield()  give up the CPU once (waiting for such a busy word).
 *
 * A platform that returns -1 never sees the other two called. */
#define HEAP_OS_THREAD_SLOTS 64
int heap_os_thread_slot(void);
void heap_os_barrier(void);
void heap_os_yield(void);

/* Raise an exception with this NTSTATUS: STATUS_NO_MEMORY for
 * HEAP_GENERATE_EXCEPTIONS, STATUS_ACCESS_VIOLATION for a bad pointer with
 * HEAP_GENERATE_EXCEPTIONS (spec item 73), STATUS_HEAP_CORRUPTION on heaps
 * created with HEAP_X_TERMINATE_ON_CORRUPTION.  Called with no heap lock
 * held.  May not return (SEH unwind, process termination, kernel panic);
 * if it returns, the engine fails the call normally. */
void heap_os_raise(int32_t status);

/* Optional hints, as bits, for every heap created from now on:
 *   HEAP_OS_OPT_CHECKING  tail checking and free fill (e.g. a debug kernel
 *                         command line, an environment variable);
 *   HEAP_OS_OPT_NO_LFH    no low-fragmentation front end: heaps are created
 *                         "standard" (HeapCompatibilityInformation 0), so
 *                         that the path without it stays tested.
 * Return 0 for neither (a platform that returns 0 or 1 keeps its old
 * meaning). */
#define HEAP_OS_OPT_CHECKING 1
#define HEAP_OS_OPT_NO_LFH 2
int heap_os_default_checking(void);

#endif
