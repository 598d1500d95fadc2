/* Private to the thread subsystem (kernel/thread.c: the scheduler,
 * kernel/wait.c: the wait path, kernel/sync.c: events, mutexes and
 * semaphores, kernel/uthread.c: threads of user processes,
 * kernel/process.c): the thread structure.  Data only.
 *
 * Locking: every field marked [D] changes only under the dispatcher lock
 * (sched_lock in kernel/thread.h); the others belong to the thread itself
 * or are set before it first runs. */
#ifndef KERNEL_THREAD_IMPL_H
#define KERNEL_THREAD_IMPL_H

#include "kernel/object.h"
#include "kernel/thread_state.h"

struct vm_space;
struct process;
struct kmutant;
struct wait_block;

struct thread {
    struct object obj;              /* type "Thread"; signalled when it has ended */
    uint32_t esp;                   /* saved by switch_context */
    uint32_t kstack_base;           /* kernel VM reservation (guard page first), 0: static stack */
    uint32_t kstack_top;
    enum thread_state state;        /* [D] */
    enum thread_wait_reason wait_reason;    /* [D] why it is THREAD_WAITING */
    struct thread *ready_next;      /* [D] ready queue, zombie list */
    struct thread *all_next;        /* [D] every thread, for the console */
    struct thread *timer_next;      /* [D] timed waits, earliest deadline first */
    uint64_t deadline;              /* [D] timer tick at which a timed wait ends */
    bool timer_armed;               /* [D] */
    uint32_t id;                    /* thread id (NT's CLIENT_ID.UniqueThread) */
    char name[16];
    void (*fn)(void *);
    void *arg;
    /* The address space it runs in: a user thread's process space; for a
     * kernel thread the one it last loaded (saved at every switch); NULL
     * for the idle thread, which runs in whatever space is loaded. */
    struct vm_space *as;
    bool user;                      /* a thread of a user process */
    uint32_t affinity;              /* [D] CPUs it may run on (0: not yet set = all) */
    uint32_t ideal_cpu;             /* [D] the CPU an idle wake-up prefers */
    uint32_t last_cpu;              /* [D] the CPU it runs or last ran on */
    /* Per-thread state that lives in struct cpu while the thread runs and
     * here while it does not (switch_locked swaps them): its innermost
     * fault catch (kernel/base/fault_catch.h) and its heap slot + 1
     * (kernel/thread_heap.h; 0 none taken yet, -1 none). */
    struct fault_catch *catch_top;
    int heap_slot;
    uint64_t cycles;                /* [D] TSC cycles run until its last switch out */

    /* ---- waiting (kernel/wait.c) ---- */
    struct wait_block *wait_blocks; /* [D] the array on its kernel stack, or NULL */
    uint32_t wait_count;            /* [D] */
    bool wait_all;                  /* [D] */
    NTSTATUS wait_status;           /* [D] set by whoever ends the wait */

    /* ---- user threads (kernel/uthread.c) ---- */
    struct process *process;        /* NULL for kernel threads */
    uint32_t pid;                   /* its process's id, for display */
    struct thread *proc_next;       /* [D] the process's thread list */
    uint32_t teb;                   /* user address of its TEB */
    uint32_t stack_base, stack_end; /* its user stack reservation */
    uint32_t stack_limit;           /* lowest committed stack page (TEB StackLimit) */
    uint32_t suspend_count;         /* [D] */
    bool attention;                 /* [D] suspend_count > 0 or terminating: checked at every return to ring 3 */
    bool terminating;               /* [D] TerminateThread / process exit asked it to end */
    NTSTATUS terminate_status;      /* [D] ... with this exit status */
    bool started;                   /* it has entered user mode once */
    NTSTATUS exit_status;           /* STATUS_PENDING while it runs */
    uint32_t start_eip, start_esp, start_eax, start_ebx;    /* its first ring-3 registers */
    struct kmutant *owned_mutexes;  /* [D] mutexes it owns, newest first */
};

#endif
