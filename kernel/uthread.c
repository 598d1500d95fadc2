/* Threads of user processes (kernel/uthread.h).
 *
 * A user thread is a kernel thread (kernel/thread.c) whose first kernel
 * code builds a trap frame and IRETs to ring 3; from then on it enters
 * the kernel only through traps and system services, which run with
 * interrupts off, so it is preempted only in ring 3 or where it blocks.
 * Every return to ring 3 passes uthread_user_return, where a request to
 * suspend or to end takes effect (NT delivers both as kernel APCs at the
 * same point); a thread blocked in a wait is woken for it and waits
 * again afterwards (kernel/wait.c).  A thread always ends in its own
 * context: it frees its user stack and TEB, abandons its mutexes,
 * signals its object, and leaves the CPU for good. */
#include "kernel/uthread.h"
#include "kernel/process_impl.h"
#include "kernel/thread_impl.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
#include "kernel/sync.h"
#include "kernel/usercopy.h"
#include "kernel/arch/gdt.h"
#include "kernel/arch/trap.h"
#include "kernel/base/panic.h"
#include "kernel/base/x86.h"
#include "mm/vm.h"
#include "mm/mmu.h"
#include <ntstatus.h>
#include <ntsvc.h>
#include <string.h>

#define STACK_RESERVE_ROUND (1024 * 1024)       /* a commit >= the reserve: reserve rounded to 1 MiB */
#define EXCEPTION_CHAIN_END 0xFFFFFFFFu

/* isr.asm's exit path; uthread_enter.asm jumps there with a built frame. */
void uthread_enter(struct trap_frame *tf) __attribute__((noreturn));

struct process *uthread_process(void)
{
    return thread_current()->process;
}

/* ---- stacks ------------------------------------------------------------------- */

static bool round_up(uint32_t v, uint32_t to, uint32_t *out)
{
    uint64_t r = ((uint64_t)v + to - 1) / to * to;
    if (r > 0x7FFF0000u)
        return false;
    *out = (uint32_t)r;
    return true;
}

/* Reserves and commits t's stack in the current address space.  As
 * kernel32's BaseCreateStack: the committed top, and below it one guard
 * page when the reservation has room for it. */
static NTSTATUS stack_create(struct thread *t, uint32_t commit, uint32_t reserve)
{
    struct vm_space *as = vm_current();

    if (commit == 0)
        commit = USER_STACK_COMMIT;
    if (reserve == 0)
        reserve = USER_STACK_RESERVE;
    if (!round_up(commit, PGSIZE, &commit) || !round_up(reserve, VM_GRANULARITY, &reserve))
        return STATUS_NO_MEMORY;
    if (commit >= reserve && !round_up(commit, STACK_RESERVE_ROUND, &reserve))
        return STATUS_NO_MEMORY;
    uint32_t base = 0, size = reserve;
    if (!NT_SUCCESS(vm_allocate(as, &base, &size, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE)))
        return STATUS_NO_MEMORY;
    uint32_t end = base + size, top = end - commit, csize = commit;
    bool guard = reserve >= commit + 2 * PGSIZE;    /* the bottom page is never committed */
    NTSTATUS st = vm_allocate(as, &top, &csize, MEM_COMMIT, PAGE_READWRITE);
    if (NT_SUCCESS(st) && guard) {
        uint32_t g = end - commit - PGSIZE, one = PGSIZE;
        st = vm_allocate(as, &g, &one, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    }
    if (!NT_SUCCESS(st)) {
        uint32_t zero = 0;
        vm_free(as, &base, &zero, MEM_RELEASE);
        return STATUS_NO_MEMORY;
    }
    t->stack_base = base;
    t->stack_end = end;
    t->stack_limit = end - commit;
    return STATUS_SUCCESS;
}

static void stack_release(struct thread *t)
{
    uint32_t zero = 0;
    if (t->stack_base == 0)
        return;
    NTSTATUS st = vm_free(vm_current(), &t->stack_base, &zero, MEM_RELEASE);
    ASSERTF(NT_SUCCESS(st), "thread %u: user stack release failed (%08x)", t->id, (uint32_t)st);
    t->stack_base = t->stack_end = t->stack_limit = 0;
}

bool uthread_in_stack(uint32_t addr)
{
    struct thread *t = thread_current();
    return t->user && addr >= t->stack_base && addr < t->stack_end;
}

bool uthread_stack_grow(uint32_t addr)
{
    struct thread *t = thread_current();
    uint32_t page = PGROUNDDOWN(addr);

    if (!uthread_in_stack(addr))
        return false;
    if (page < t->stack_base + 2 * PGSIZE)
        return false;                   /* no room for another guard: overflow */
    uint32_t guard = page - PGSIZE, one = PGSIZE;
    if (!NT_SUCCESS(vm_allocate(vm_current(), &guard, &one, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD)))
        return false;
    if (page < t->stack_limit) {
        t->stack_limit = page;
        put_user_u32((void *)(t->teb + __builtin_offsetof(NT_TIB, StackLimit)), page);
    }
    return true;
}

/* ---- TEBs --------------------------------------------------------------------- */

_Static_assert(PROCESS_TEB_AREA_BASE + PROCESS_TEB_AREA_SIZE == NT_TEB_AREA_END &&
                   PROCESS_TEB_SLOTS == NT_TEB_SLOTS, "the TEB area as ntsvc.h tells the SDK");

static uint32_t teb_address(uint32_t slot)
{
    return PROCESS_TEB_AREA_BASE + PROCESS_TEB_AREA_SIZE - (slot + 1) * PGSIZE;
}

/* Takes a TEB slot of p and commits its page (zero-filled). */
static NTSTATUS teb_create(struct process *p, struct thread *t)
{
    int slot = -1;
    uint32_t flags = sched_lock();
    for (int i = 0; i < PROCESS_TEB_SLOTS && slot < 0; i++) {
        if (!(p->teb_used[i / 32] & (1u << (i % 32)))) {
            p->teb_used[i / 32] |= 1u << (i % 32);
            slot = i;
        }
    }
    sched_unlock(flags);
    if (slot < 0)
        return STATUS_INSUFFICIENT_RESOURCES;
    uint32_t teb = teb_address((uint32_t)slot), size = PGSIZE;
    NTSTATUS st = vm_allocate(p->as, &teb, &size, MEM_COMMIT, PAGE_READWRITE);
    if (!NT_SUCCESS(st)) {
        flags = sched_lock();
        p->teb_used[slot / 32] &= ~(1u << (slot % 32));
        sched_unlock(flags);
        return st;
    }
    t->teb = teb;
    return STATUS_SUCCESS;
}

static void teb_release(struct process *p, struct thread *t)
{
    uint32_t base = t->teb, size = PGSIZE;
    if (base == 0)
        return;
    NTSTATUS st = vm_free(p->as, &base, &size, MEM_DECOMMIT);
    ASSERTF(NT_SUCCESS(st), "thread %u: TEB decommit failed (%08x)", t->id, (uint32_t)st);
    uint32_t slot = (PROCESS_TEB_AREA_BASE + PROCESS_TEB_AREA_SIZE - t->teb) / PGSIZE - 1;
    ASSERTF(slot < PROCESS_TEB_SLOTS, "thread %u: TEB %08x outside the TEB area", t->id, t->teb);
    uint32_t flags = sched_lock();
    p->teb_used[slot / 32] &= ~(1u << (slot % 32));
    sched_unlock(flags);
    t->teb = 0;
}

/* The TEB's head as NT fills it in (MmCreateTeb). */
static NTSTATUS teb_fill(struct process *p, struct thread *t)
{
    TEB head;
    const size_t n = __builtin_offsetof(TEB, LastErrorValue) + sizeof(head.LastErrorValue);
    memset(&head, 0, n);
    head.NtTib.ExceptionList = (void *)EXCEPTION_CHAIN_END;
    head.NtTib.StackBase = (void *)t->stack_end;
    head.NtTib.StackLimit = (void *)t->stack_limit;
    head.NtTib.Self = (NT_TIB *)t->teb;
    head.ClientId.UniqueProcess = (HANDLE)p->id;
    head.ClientId.UniqueThread = (HANDLE)t->id;
    NTSTATUS st = copy_to_user((void *)t->teb, &head, n);
    if (NT_SUCCESS(st))
        st = put_user_u32((void *)(t->teb + __builtin_offsetof(TEB, DeallocationStack)), t->stack_base);
    return st;
}

/* ---- creation ----------------------------------------------------------------- */

/* The thread's first kernel code: the suspend/terminate checkpoint, then
 * ring 3 through a trap frame made here. */
static void uthread_first_run(void *arg)
{
    struct thread *t = thread_current();
    (void)arg;
    thread_reap();
    uthread_user_return();
    t->started = true;
    struct trap_frame tf;
    memset(&tf, 0, sizeof(tf));
    tf.fs = SEL_TEB;
    tf.ds = tf.es = SEL_UDATA;
    tf.eax = t->start_eax;
    tf.ebx = t->start_ebx;
    tf.eip = t->start_eip;
    tf.cs = SEL_UCODE;
    tf.eflags = EFLAGS_IF | 0x2;
    tf.user_esp = t->start_esp;
    tf.user_ss = SEL_UDATA;
    uthread_enter(&tf);
}

/* Where ring 3 starts (see struct uthread_start). */
static NTSTATUS initial_context(struct process *p, struct thread *t, const struct uthread_start *s)
{
    t->start_eax = s->start;
    t->start_ebx = s->arg;
    t->start_esp = (t->stack_end - 16) & ~15u;
    if (p->start_routine != 0) {
        t->start_eip = p->start_routine;
        return STATUS_SUCCESS;
    }
    t->start_eip = s->start;
    uint32_t frame[2] = { 0, s->arg };  /* return address, argument */
    return copy_to_user((void *)t->start_esp, frame, sizeof(frame));
}

NTSTATUS uthread_create(struct process *p, const struct uthread_start *s, struct thread **out)
{
    NTSTATUS st;
    char name[16];

    ASSERTF(vm_current() == p->as, "thread of %s created outside its address space", p->name);
    strncpy(name, p->name, sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    struct thread *t = thread_alloc(name, uthread_first_run, NULL, &st);
    if (t == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    t->user = true;
    t->as = p->as;
    t->process = p;
    t->pid = p->id;
    st = stack_create(t, s->stack_commit, s->stack_reserve);
    if (NT_SUCCESS(st))
        st = teb_create(p, t);
    if (NT_SUCCESS(st))
        st = teb_fill(p, t);
    if (NT_SUCCESS(st))
        st = initial_context(p, t, s);
    if (!NT_SUCCESS(st)) {
        teb_release(p, t);
        stack_release(t);
        thread_discard(t);
        return st;
    }
    uint32_t flags = sched_lock();
    t->suspend_count = s->suspended ? 1 : 0;
    t->attention = s->suspended;
    if (p->terminating) {
        /* The process is ending (another CPU's ExitProcess, one day): the
         * new thread ends before it runs, with the process's status. */
        t->terminating = true;
        t->terminate_status = p->exit_status;
        t->attention = true;
    }
    t->proc_next = p->threads;
    p->threads = t;
    p->thread_count++;
    p->threads_created++;
    sched_unlock(flags);
    *out = t;
    return STATUS_SUCCESS;
}

void uthread_start(struct thread *t)
{
    thread_start(t);
}

/* ---- the end ------------------------------------------------------------------- */

/* Lock held: the one flag uthread_user_return tests. */
static void update_attention_locked(struct thread *t)
{
    t->attention = t->suspend_count > 0 || t->terminating;
}

static void proc_unlink_locked(struct process *p, struct thread *t)
{
    for (struct thread **at = &p->threads; *at != NULL; at = &(*at)->proc_next) {
        if (*at == t) {
            *at = t->proc_next;
            t->proc_next = NULL;
            return;
        }
    }
    panic("thread %u is not on process %u's list", t->id, p->id);
}

void uthread_discard(struct thread *t)
{
    struct process *p = t->process;
    uint32_t flags = sched_lock();
    proc_unlink_locked(p, t);
    p->thread_count--;
    sched_unlock(flags);
    teb_release(p, t);
    stack_release(t);
    thread_discard(t);
}

/* Issue 15: told (dispatcher lock held) when a process's last thread ends. */
static void (*process_end_hook)(struct process *p);

void uthread_set_process_end_hook(void (*hook)(struct process *p))
{
    process_end_hook = hook;
}

void uthread_exit(NTSTATUS status)
{
    struct thread *t = thread_current();
    struct process *p = t->process;

    ASSERTF(t->user && p != NULL, "kernel thread %u in uthread_exit", t->id);
    mutant_abandon_all(t);
    stack_release(t);
    teb_release(p, t);
    uint32_t flags = sched_lock();
    (void)flags;                        /* the lock is never released by this thread again */
    t->exit_status = status;
    t->obj.signal_state = 1;
    wait_signal_locked(&t->obj);
    proc_unlink_locked(p, t);
    ASSERTF(p->thread_count > 0, "process %u: thread count underflow", p->id);
    if (--p->thread_count == 0) {
        /* The last thread: the process has ended (ExitThread of the last
         * thread gives the process that thread's exit code). */
        if (!p->terminating) {
            p->terminating = true;
            p->exit_status = status;
        }
        p->obj.signal_state = 1;
        wait_signal_locked(&p->obj);
        if (process_end_hook != NULL)
            process_end_hook(p);        /* issue 15: the runner tears it down */
    }
    sched_exit_locked();
}

/* Lock held: t is to end with `status` before it runs user code again. */
static void mark_terminating_locked(struct thread *t, NTSTATUS status)
{
    t->terminating = true;
    t->terminate_status = status;
    update_attention_locked(t);
    wait_abort_locked(t, STATUS_KERNEL_APC);
}

NTSTATUS uthread_terminate(struct thread *t, NTSTATUS status)
{
    if (t == thread_current())
        uthread_exit(status);
    uint32_t flags = sched_lock();
    if (t->terminating || t->state == THREAD_TERMINATED) {
        sched_unlock(flags);
        return STATUS_THREAD_IS_TERMINATING;
    }
    mark_terminating_locked(t, status);
    sched_unlock(flags);
    return STATUS_SUCCESS;
}

void uthread_terminate_process(struct process *p, NTSTATUS status)
{
    struct thread *self = thread_current();
    uint32_t flags = sched_lock();

    if (!p->terminating) {
        p->terminating = true;
        p->exit_status = status;
    }
    for (struct thread *t = p->threads; t != NULL; t = t->proc_next)
        if (t != self && !t->terminating)
            mark_terminating_locked(t, p->exit_status);
    sched_unlock(flags);
}

/* The rare part of uthread_user_return: suspend here, or end. */
static __attribute__((noinline)) void user_return_slow(struct thread *t)
{
    uint32_t flags = sched_lock();
    wait_while_suspended_locked();
    bool ending = t->terminating;
    sched_unlock(flags);
    if (ending)
        uthread_exit(t->terminate_status);
}

void uthread_user_return(void)
{
    struct thread *t = thread_current();
    if (__builtin_expect(t->attention, 0))
        user_return_slow(t);
}

static void user_return_hook(struct trap_frame *tf)
{
    (void)tf;
    thread_reap();
    uthread_user_return();
}

/* ---- suspend, resume, query ---------------------------------------------------- */

/* Lock held. */
static NTSTATUS suspend_locked(struct thread *t, uint32_t *previous)
{
    if (t->terminating || t->state == THREAD_TERMINATED)
        return STATUS_THREAD_IS_TERMINATING;
    if (t->suspend_count >= MAXIMUM_SUSPEND_COUNT)
        return STATUS_SUSPEND_COUNT_EXCEEDED;
    *previous = t->suspend_count++;
    update_attention_locked(t);
    /* A thread blocked in a wait stops waiting for its objects while it
     * is suspended (it must not take a signal meanwhile), and waits again
     * once resumed.  A ready one suspends at its next return to ring 3;
     * the current one, when this service returns. */
    if (t != thread_current())
        wait_abort_locked(t, STATUS_KERNEL_APC);
    return STATUS_SUCCESS;
}

/* Lock held. */
static void resume_locked(struct thread *t, uint32_t *previous)
{
    *previous = t->suspend_count;
    if (t->suspend_count > 0 && --t->suspend_count == 0 && t->state == THREAD_WAITING &&
        t->wait_reason == WAIT_REASON_SUSPENDED)
        sched_ready_locked(t);
    update_attention_locked(t);
}

NTSTATUS uthread_suspend(struct thread *t, uint32_t *previous)
{
    uint32_t flags = sched_lock();
    NTSTATUS st = suspend_locked(t, previous);
    sched_unlock(flags);
    return st;
}

NTSTATUS uthread_resume(struct thread *t, uint32_t *previous)
{
    uint32_t flags = sched_lock();
    resume_locked(t, previous);
    sched_unlock(flags);
    return STATUS_SUCCESS;
}

void uthread_suspend_all(struct process *p, bool suspend)
{
    uint32_t previous;
    uint32_t flags = sched_lock();
    for (struct thread *t = p->threads; t != NULL; t = t->proc_next) {
        if (suspend)
            suspend_locked(t, &previous);
        else
            resume_locked(t, &previous);
    }
    sched_unlock(flags);
}

bool uthread_is_last(struct thread *t)
{
    uint32_t flags = sched_lock();
    bool last = t->process->thread_count == 1 && t->state != THREAD_TERMINATED;
    sched_unlock(flags);
    return last;
}

void uthread_query(struct thread *t, THREAD_BASIC_INFORMATION *out)
{
    memset(out, 0, sizeof(*out));
    uint32_t flags = sched_lock();
    out->ExitStatus = t->state == THREAD_TERMINATED ? t->exit_status : STATUS_PENDING;
    out->TebBaseAddress = t->state == THREAD_TERMINATED ? NULL : (PVOID)t->teb;
    out->ClientId.UniqueProcess = (HANDLE)t->pid;
    out->ClientId.UniqueThread = (HANDLE)t->id;
    out->AffinityMask = thread_affinity(t);
    out->Priority = out->BasePriority = 8;      /* THREAD_PRIORITY_NORMAL in a normal-class process */
    sched_unlock(flags);
}

void uthread_zero_tls(uint32_t index)
{
    struct process *p = uthread_process();
    uint32_t tebs[PROCESS_TEB_SLOTS];
    uint32_t n = 0;

    ASSERT(index < TLS_MINIMUM_AVAILABLE);
    uint32_t flags = sched_lock();
    for (struct thread *t = p->threads; t != NULL && n < PROCESS_TEB_SLOTS; t = t->proc_next)
        if (t->teb != 0)
            tebs[n++] = t->teb;
    sched_unlock(flags);
    /* Outside the lock: a TEB write may fault its page in.  A thread that
     * ended meanwhile had its TEB decommitted: the write then fails, and
     * there is nothing left to clear. */
    for (uint32_t i = 0; i < n; i++)
        put_user_u32((void *)(tebs[i] + __builtin_offsetof(TEB, TlsSlots) + index * 4), 0);
}

void uthread_init(void)
{
    wait_init();
    trap_set_user_return_hook(user_return_hook);
}
