/* Threads of user processes: what a kernel thread gains to run a program's
 * code (DESIGN.md section 10): a TEB reached through fs:, a user stack
 * that is a VirtualAlloc region of its process (reserved, the top
 * committed, a guard page below that moves down as the stack grows), a
 * suspend count, and an end that frees all of it, abandons the mutexes it
 * owns and signals its thread object (and its process's, when it was the
 * last one). */
#ifndef KERNEL_UTHREAD_H
#define KERNEL_UTHREAD_H

#include <stdbool.h>
#include <stdint.h>
#include <windef.h>
#include <winternl.h>

struct process;
struct thread;
struct trap_frame;

#define USER_STACK_RESERVE (1024 * 1024)     /* the default, as a PE image's SizeOfStackReserve */
#define USER_STACK_COMMIT 0x1000             /* ... and SizeOfStackCommit */

/* How a new thread starts in ring 3: at `start` with `arg`.  When the
 * process registered a thread-start routine (the SDK's
 * RtlUserThreadStart), the thread begins there with EAX = start and
 * EBX = arg, as NT x86 starts every thread; otherwise at start itself,
 * with arg at [ESP+4] and a zero return address. */
struct uthread_start {
    uint32_t start, arg;
    uint32_t stack_commit;          /* bytes; 0: the default */
    uint32_t stack_reserve;         /* bytes; 0: the default */
    bool suspended;                 /* CREATE_SUSPENDED: suspend count 1 */
};

/* A new thread of p, not yet started (p's address space must be the
 * current one).  Its
 * stack as Windows lays a thread stack out (see the Thread Stack Size
 * page: the commit rounded to pages, the reserve to 64 KiB, a commit at
 * least as large as the reserve makes the reserve that commit rounded up
 * to 1 MiB), and its TEB.  *out gets a referenced thread.  Failures:
 * STATUS_NO_MEMORY when the stack cannot be reserved or committed,
 * STATUS_INSUFFICIENT_RESOURCES when p has PROCESS_TEB_SLOTS threads or
 * the kernel is out of memory; nothing is left behind. */
NTSTATUS uthread_create(struct process *p, const struct uthread_start *s, struct thread **out);
/* Lets a created thread run. */
void uthread_start(struct thread *t);
/* Undoes uthread_create for a thread that was never started: its stack,
 * its TEB and the thread itself go (the caller's reference with it). */
void uthread_discard(struct thread *t);

/* The current user thread ends with `status`; never returns. */
void uthread_exit(NTSTATUS status) __attribute__((noreturn));
/* Asks t (a thread of the current process) to end with `status`: it ends
 * before it runs user code again.  The current thread itself ends at
 * once.  STATUS_THREAD_IS_TERMINATING when it is already ending. */
NTSTATUS uthread_terminate(struct thread *t, NTSTATUS status);
/* Every thread of p but the caller is asked to end; p's exit status is
 * `status` (the first request wins).  The caller then ends itself. */
void uthread_terminate_process(struct process *p, NTSTATUS status);
/* Every thread of p suspended (or resumed) once (NtSuspendProcess). */
void uthread_suspend_all(struct process *p, bool suspend);
/* SuspendThread / ResumeThread: *previous gets the suspend count before.
 * Suspend fails with STATUS_SUSPEND_COUNT_EXCEEDED at MAXIMUM_SUSPEND_COUNT
 * and STATUS_THREAD_IS_TERMINATING for a thread that is ending. */
NTSTATUS uthread_suspend(struct thread *t, uint32_t *previous);
NTSTATUS uthread_resume(struct thread *t, uint32_t *previous);
/* t is the only thread of its process that has not ended. */
bool uthread_is_last(struct thread *t);
/* ThreadBasicInformation of t. */
void uthread_query(struct thread *t, THREAD_BASIC_INFORMATION *out);
/* TlsFree: slot `index` of every TEB of the current process becomes 0. */
void uthread_zero_tls(uint32_t index);

/* The checkpoint before every return to ring 3: a thread that was asked
 * to suspend waits here; one asked to end, ends. */
void uthread_user_return(void);
/* A guard page of the current thread's stack was hit at addr: the guard
 * moves one page down (and the TEB's StackLimit with it).  False when
 * addr is not in its stack or no page is left for a guard (overflow). */
bool uthread_stack_grow(uint32_t addr);
/* addr lies in the current thread's stack reservation. */
bool uthread_in_stack(uint32_t addr);
/* The current thread's process (NULL on a kernel thread). */
struct process *uthread_process(void);

/* Issue 15: hook called with the dispatcher lock held when the last
 * thread of a process has ended (the process layer registers it). */
void uthread_set_process_end_hook(void (*hook)(struct process *p));

void uthread_init(void);

#endif
