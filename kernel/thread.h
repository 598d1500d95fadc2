/* Threads and the scheduler.  Every thread (kernel threads, the threads of
 * user processes, the boot thread that runs kmain and the console) is a
 * struct thread with its own kernel stack; the scheduler is the only code
 * that switches between them (DESIGN.md section 10).
 *
 * Scheduling is round robin over one ready queue, preempted by the timer
 * tick; a thread that blocks (kernel/wait.h) leaves the queue and costs no
 * CPU time until it is made ready again; an idle thread halts the CPU
 * when nothing is ready.  All scheduler state is guarded by one lock, the
 * dispatcher lock (NT's KiDispatcherLock): a spinlock that masks
 * interrupts, held across the context switch itself. */
#ifndef KERNEL_THREAD_H
#define KERNEL_THREAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <windef.h>
#include "kernel/thread_state.h"
#include "kernel/base/percpu.h"

struct thread;
struct vm_space;
struct object_type;

/* The object type of every thread ("Thread"): a thread is an object
 * (kernel/object.h), signalled when it has ended. */
extern const struct object_type thread_object_type;

void thread_init(void);

/* ---- kernel threads ---- */

/* A new runnable kernel thread running fn(arg), then thread_exit; NULL
 * when out of memory. */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);
/* Waits until t has ended, then drops the creator's reference. */
void thread_join(struct thread *t);
/* Drops the creator's reference without waiting: t ends on its own. */
void thread_detach(struct thread *t);
/* Lets every other ready thread run first (nothing when none is). */
void thread_yield(void);
void thread_exit(void) __attribute__((noreturn));
/* The running thread: this CPU's (per-CPU data); inline because every
 * system service asks.  One %gs-relative load, not this_cpu() and then
 * the field: a preemptible caller could be switched and moved to another
 * CPU between the two, and would read the thread running on the CPU it
 * left (the heap lock's owner test would then think it held the lock). */
static inline struct thread *thread_current(void)
{
    return (struct thread *)this_cpu_read32(thread);
}
uint32_t thread_id(const struct thread *t);
/* Context switches since boot (preemptions included), and preemptions. */
uint32_t thread_switches(void);
/* Switches to the idle (zero page) thread since boot: it gets a turn
 * only when no other thread is ready (issue 16's test counts them). */
uint32_t thread_idle_turns(void);
uint32_t thread_preemptions(void);
/* Frees the kernel stacks of threads that have ended.  Call it only where
 * the caller holds no lock (a system-service entry, a join, a process
 * teardown): it frees memory.  Inline, as every system service asks:
 * threads that ended wait on sched_zombies. */
extern struct thread *sched_zombies;
void thread_reap_all(void);
static inline void thread_reap(void)
{
    if (__atomic_load_n(&sched_zombies, __ATOMIC_RELAXED) != NULL)
        thread_reap_all();
}
/* Another thread is ready to run (the null service's test, lock-free:
 * exact on one CPU with interrupts off, a hint otherwise). */
extern struct thread *sched_ready_head;
static inline bool thread_others_ready(void)
{
    return __atomic_load_n(&sched_ready_head, __ATOMIC_RELAXED) != NULL;
}
/* An application processor joins the scheduler: the code running on its
 * start-up stack becomes its idle thread.  Never returns. */
void sched_run_cpu(void) __attribute__((noreturn));
/* Affinity (a CPU mask, NT's KAFFINITY) and ideal processor of t; the
 * setters return the previous value, 0 / -1 when the mask holds no online
 * CPU or the CPU is not online.  A thread whose affinity leaves its CPU
 * moves at once (itself) or at that CPU's next tick (another). */
uint32_t thread_set_affinity(struct thread *t, uint32_t mask);
uint32_t thread_affinity(const struct thread *t);
int thread_set_ideal_cpu(struct thread *t, uint32_t cpu);
/* The CPU t last ran on (the current thread: the one it runs on). */
uint32_t thread_last_cpu(const struct thread *t);
/* The mask of the online CPUs (the system and process affinity). */
uint32_t sched_cpus_mask(void);
/* TSC cycles thread t has run, up to now if it is running
 * (QueryThreadCycleTime): a waiting thread gains none. */
uint64_t thread_cycles(struct thread *t);

/* Context switches and idle turns of CPU i. */
void sched_cpu_counts(uint32_t i, uint32_t *switches, uint32_t *idle_turns);

/* A new id for a thread or process (NT's client ids: multiples of 4). */
uint32_t thread_new_id(void);

/* ---- the scheduler, for the rest of the thread subsystem ---- */

/* A thread that is not yet runnable (THREAD_INITIALIZED): its kernel
 * stack, and fn(arg) as its first code.  Two references: the caller's,
 * and the one the scheduler drops once the thread has ended.  NULL with
 * *st when out of memory. */
struct thread *thread_alloc(const char *name, void (*fn)(void *), void *arg, NTSTATUS *st);
/* Undoes thread_alloc for a thread that never ran. */
void thread_discard(struct thread *t);
/* Gives a new kernel thread from thread_alloc the kernel's address space
 * (thread_create does this). */
void thread_set_as_kernel(struct thread *t);
/* Makes a new thread runnable. */
void thread_start(struct thread *t);

/* The dispatcher lock.  sched_lock returns the flags for sched_unlock. */
uint32_t sched_lock(void);
void sched_unlock(uint32_t flags);
bool sched_locked(void);
/* With the lock held: blocks the current thread (THREAD_WAITING, for
 * reason) until sched_ready_locked makes it ready again.  Returns with
 * the lock held. */
void sched_block_locked(enum thread_wait_reason reason);
/* With the lock held: makes a waiting thread ready (to the queue's tail). */
void sched_ready_locked(struct thread *t);
/* With the lock held: lets the other ready threads run first; false when
 * none was ready (nothing happened). */
bool sched_yield_locked(void);
/* With the lock held: the current thread ends for good.  It goes on the
 * list thread_reap empties; the scheduler's reference is dropped there. */
void sched_exit_locked(void) __attribute__((noreturn));
/* With the lock held: a timed wait that ends at timer tick `deadline`
 * (the timeout hook then runs for t, lock held), and its cancellation. */
void sched_timer_arm_locked(struct thread *t, uint64_t deadline);
void sched_timer_cancel_locked(struct thread *t);
void sched_set_timeout_hook(void (*hook)(struct thread *t));
/* fn runs on CPU 0's every tick, interrupt context, no lock held: where
 * a request made under a lock that ranks below the dispatcher lock (the
 * pager's, under the VM lock) becomes a wake-up (kernel/mpw.c). */
void sched_set_tick_work(void (*fn)(void));
/* The current timer tick (1 ms). */
uint64_t sched_now(void);

/* ---- for the console ---- */

struct thread_info {
    uint32_t id, pid;               /* pid 0: a kernel thread */
    char name[16];
    enum thread_state state;
    enum thread_wait_reason wait_reason;
    uint32_t suspend_count;
    uint32_t kstack_base, kstack_top;
    uint32_t stack_base, stack_end, stack_limit;  /* user stack, 0 for kernel threads */
    uint32_t teb;
};
/* Copies up to max threads' descriptions (in creation order); returns
 * how many threads exist. */
int thread_snapshot(struct thread_info *out, int max);
const char *thread_state_name(enum thread_state s);
const char *thread_wait_reason_name(enum thread_wait_reason r);

/* A recursive mutex for code that may be preempted: contended, it yields. */
struct kmutex {
    struct thread *volatile owner;
    uint32_t depth;
    uint32_t contended;             /* times a thread had to wait */
};
#define KMUTEX_INIT { NULL, 0, 0 }
void kmutex_lock(struct kmutex *m);
void kmutex_unlock(struct kmutex *m);

#endif
