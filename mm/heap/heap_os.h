/* What the heap engine (mm/heap/) needs from the platform it runs on.
 * Implemented once per build: the kernel heap over the kernel's virtual
 * memory (mm/heap_kernel.c), the user SDK over VirtualAlloc
 * (libc/user/heap_user.c), the host over mmap (tests/host/heap_host_os.c).
 *
 * The engine calls these with its own lock held (except heap_os_raise,
 * which it calls after releasing it), so none may call back into the
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

/* A recursive lock (HeapLock semantics): the owner may take it again and
 * must release it as often.  Kernel: a spinlock that also masks
 * interrupts or a mutex; user: a critical section.  Storage is opaque to
 * the engine and lives inside the heap's first page. */
typedef struct heap_os_lock {
    uintptr_t opaque[8];
} heap_os_lock;
void heap_os_lock_init(heap_os_lock *l);
void heap_os_lock_acquire(heap_os_lock *l);
void heap_os_lock_release(heap_os_lock *l);
void heap_os_lock_destroy(heap_os_lock *l);

/* Raise an exception with this NTSTATUS: STATUS_NO_MEMORY for
 * HEAP_GENERATE_EXCEPTIONS, STATUS_ACCESS_VIOLATION for a bad pointer with
 * HEAP_GENERATE_EXCEPTIONS (spec item 73), STATUS_HEAP_CORRUPTION on heaps
 * created with HEAP_X_TERMINATE_ON_CORRUPTION.  Called with no heap lock
 * held.  May not return (SEH unwind, process termination, kernel panic);
 * if it returns, the engine fails the call normally. */
void heap_os_raise(int32_t status);

/* Optional hint: a platform may turn on tail checking and free fill for
 * every heap (e.g. a debug kernel command line).  Return 0 for "no". */
int heap_os_default_checking(void);

#endif
