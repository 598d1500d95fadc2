/* Threads and the scheduler (kernel/thread.h).
 *
 * Switches happen only in switch_locked(), with the dispatcher lock held;
 * the lock stays held across switch_context and the thread that resumes
 * releases it (a new thread in thread_trampoline).  A timer tick asks for
 * a switch and trap.c calls thread_preempt_point() after the interrupt's
 * EOI, so a preempted thread resumes later by returning through its own
 * interrupt frame.  System services and faults run with interrupts off,
 * so a user thread is only ever preempted in ring 3 or where it blocks.
 *
 * Several CPUs share the one ready queue (see docs/threads.md, "Several
 * CPUs"): each CPU takes the oldest ready thread whose affinity allows
 * it; the running thread, the idle thread and the switch counts are per
 * CPU (struct cpu).  A thread made ready while a CPU it may run on idles
 * wakes that CPU with a reschedule IPI (its ideal CPU first).  Since the
 * dispatcher lock is held from the switch's start until the next thread
 * runs, no other CPU can take a thread off the queue before its stack
 * pointer is saved.
 *
 * A thread that ends cannot free the stack it runs on: it goes on the
 * zombie list, and thread_reap (at a system-service entry, a join or a
 * process teardown) frees its kernel stack and drops the scheduler's
 * reference on it. */
#include "kernel/thread.h"
#include "kernel/thread_impl.h"
#include "kernel/thread_heap.h"
#include "kernel/arch/gdt.h"
#include "kernel/arch/trap.h"
#include "kernel/arch/timer.h"
#include "kernel/arch/apic.h"
#include "kernel/base/lock.h"
#include "kernel/base/panic.h"
#include "kernel/base/fault_catch.h"
#include "kernel/base/layout.h"
#include "kernel/base/x86.h"
#include "mm/kheap.h"
#include "mm/vm.h"
#include "mm/mmu.h"
#include <ntstatus.h>
#include <string.h>

#define THREAD_STACK_PAGES 4            /* plus one reserved guard page below */

static struct spinlock dispatcher_lock = SPINLOCK_INIT("dispatcher");
static struct thread boot_thread, idle_threads[MAX_CPUS];
#define sched_running (*(struct thread **)&this_cpu()->thread)
#define idle_here (*(struct thread *)this_cpu()->idle_thread)
static volatile uint32_t idle_cpus;     /* [D] CPUs running their idle thread */
struct thread *sched_ready_head;
static struct thread *ready_tail;
static struct thread *all_threads;      /* newest first */
struct thread *sched_zombies;         /* ended, kernel stacks not yet freed */
static struct thread *timers;           /* earliest deadline first */
static void (*timeout_hook)(struct thread *t);
static void (*tick_work)(void);
static uint32_t next_id;
static uint32_t switches, preemptions, idle_turns;

void switch_context(uint32_t *save_esp, uint32_t new_esp);

static void thread_destroy(struct object *o);
const struct object_type thread_object_type = { "Thread", thread_destroy };

uint32_t thread_id(const struct thread *t)
{
    return t->id;
}

uint32_t thread_switches(void)
{
    return switches;
}

uint32_t thread_idle_turns(void)
{
    return idle_turns;
}

uint32_t thread_preemptions(void)
{
    return preemptions;
}

uint32_t thread_new_id(void)
{
    return __atomic_add_fetch(&next_id, 4, __ATOMIC_RELAXED);
}

uint64_t sched_now(void)
{
    return timer_ticks();
}

/* ---- the dispatcher lock and the ready queue ------------------------------ */

uint32_t sched_lock(void)
{
    return spin_lock(&dispatcher_lock);
}

void sched_unlock(uint32_t flags)
{
    spin_unlock(&dispatcher_lock, flags);
}

bool sched_locked(void)
{
    return spin_held_here(&dispatcher_lock);
}

static inline uint32_t affinity_of(const struct thread *t)
{
    return t->affinity != 0 ? t->affinity : 0xFFFFFFFFu;
}

/* Lock held: a CPU that idles and may run t is woken (t's ideal CPU
 * first) by a reschedule IPI; it leaves the idle set at once so one
 * ready thread wakes one CPU. */
static void wake_idle_cpu(struct thread *t)
{
    uint32_t can = idle_cpus & affinity_of(t) & cpus_online_mask & ~(1u << cpu_index());
    if (can == 0)
        return;
    uint32_t cpu = (can & (1u << t->ideal_cpu)) ? t->ideal_cpu : (uint32_t)__builtin_ctz(can);
    idle_cpus &= ~(1u << cpu);
    apic_send_ipi((uint8_t)cpu_table[cpu].apic_id, T_IPI_RESCHED);
}

static void ready_push(struct thread *t)
{
    t->state = THREAD_READY;
    t->ready_next = NULL;
    if (ready_tail != NULL)
        ready_tail->ready_next = t;
    else
        sched_ready_head = t;
    ready_tail = t;
    if (idle_cpus != 0)
        wake_idle_cpu(t);
}

/* The oldest ready thread this CPU may run, off the queue; NULL if none. */
static struct thread *ready_pop(void)
{
    uint32_t me = 1u << cpu_index();
    struct thread *prev = NULL;
    for (struct thread *t = sched_ready_head; t != NULL; prev = t, t = t->ready_next) {
        if (!(affinity_of(t) & me))
            continue;
        if (prev != NULL)
            prev->ready_next = t->ready_next;
        else
            sched_ready_head = t->ready_next;
        if (ready_tail == t)
            ready_tail = prev;
        t->ready_next = NULL;
        return t;
    }
    return NULL;
}

/* A ready thread this CPU may run (lock held). */
static bool ready_here(void)
{
    uint32_t me = 1u << cpu_index();
    for (struct thread *t = sched_ready_head; t != NULL; t = t->ready_next)
        if (affinity_of(t) & me)
            return true;
    return false;
}

/* Switches to the next ready thread (the idle thread when there is none).
 * The running thread's state is already what it should be: queued as
 * ready, waiting, or terminated.  Lock held; returns when this thread
 * runs again. */
static void switch_locked(void)
{
    struct thread *prev = sched_running;
    struct thread *next = ready_pop();

    ASSERT(sched_locked());
    struct cpu *c = this_cpu();
    if (next == NULL)
        next = &idle_here;
    if (next == &idle_here)
        idle_cpus |= 1u << c->index;
    else
        idle_cpus &= ~(1u << c->index);
    if (next == prev) {
        prev->state = THREAD_RUNNING;
        return;
    }
    if (prev == &idle_here)
        prev->state = THREAD_READY;     /* idle is never queued: it runs when nothing else can */
    ASSERTF(next->state == THREAD_READY || next == &idle_here, "thread %u switched to in state %d",
            next->id, next->state);
    if (!prev->user && prev->as != NULL)
        prev->as = vm_current();        /* the boot thread's console may have changed it */
    next->state = THREAD_RUNNING;
    next->last_cpu = c->index;
    sched_running = next;
    uint64_t now = rdtsc();
    prev->cycles += now - c->switched_in_tsc;
    c->switched_in_tsc = now;
    switches++;
    c->switches++;
    if (next == &idle_here) {
        idle_turns++;
        c->idle_turns++;
    }
    if (next->as != NULL && next->as != vm_current())
        vm_switch(next->as);
    if (next->kstack_top != 0)
        tss_set_kernel_stack(next->kstack_top);
    if (next->teb != 0)
        gdt_set_teb(next->teb);
    /* The running thread's per-thread state in struct cpu: saved here,
     * the next thread's loaded (it runs on this CPU from here on). */
    prev->catch_top = c->catch_top;
    prev->heap_slot = c->heap_slot;
    c->catch_top = next->catch_top;
    c->heap_slot = next->heap_slot;
    switch_context(&prev->esp, next->esp);
}

bool sched_yield_locked(void)
{
    /* A thread whose affinity no longer has this CPU leaves it even when
     * nothing else is ready here. */
    bool must_move = !(affinity_of(sched_running) & (1u << cpu_index()));
    if (!must_move && (sched_ready_head == NULL || !ready_here()))
        return false;
    if (sched_running != &idle_here)
        ready_push(sched_running);
    switch_locked();
    return true;
}

void sched_block_locked(enum thread_wait_reason reason)
{
    ASSERTF(sched_running != &idle_here, "the idle thread cannot block (reason %d)", reason);
    sched_running->state = THREAD_WAITING;
    sched_running->wait_reason = reason;
    switch_locked();
    sched_running->wait_reason = WAIT_REASON_NONE;
}

void sched_ready_locked(struct thread *t)
{
    ASSERTF(t->state == THREAD_WAITING, "thread %u made ready in state %d", t->id, t->state);
    t->wait_reason = WAIT_REASON_NONE;
    ready_push(t);
}

void sched_exit_locked(void)
{
    struct thread *t = sched_running;

    ASSERTF(t->kstack_base != 0, "thread %u has a static stack and cannot end", t->id);
    ASSERTF(!t->timer_armed && t->wait_blocks == NULL, "thread %u ends while waiting", t->id);
    ASSERTF(this_cpu()->catch_top == NULL, "thread %u ends holding fault catch %p (depth %d)",
            t->id, (void *)this_cpu()->catch_top, this_cpu()->catch_top->depth);
    t->state = THREAD_TERMINATED;
    t->ready_next = sched_zombies;
    sched_zombies = t;
    switch_locked();
    panic("thread %u ran again after it ended", t->id);
}

void thread_yield(void)
{
    /* Nothing else ready: nothing to do, and no lock to take (a yield is
     * advisory; with one CPU and interrupts off the peek is exact). */
    if (__atomic_load_n(&sched_ready_head, __ATOMIC_RELAXED) == NULL)
        return;
    uint32_t flags = sched_lock();
    sched_yield_locked();
    sched_unlock(flags);
}

/* ---- timed waits --------------------------------------------------------- */

void sched_set_tick_work(void (*fn)(void))
{
    tick_work = fn;
}

void sched_set_timeout_hook(void (*hook)(struct thread *t))
{
    timeout_hook = hook;
}

void sched_timer_arm_locked(struct thread *t, uint64_t deadline)
{
    struct thread **at = &timers;

    ASSERT(!t->timer_armed);
    while (*at != NULL && (*at)->deadline <= deadline)
        at = &(*at)->timer_next;
    t->deadline = deadline;
    t->timer_next = *at;
    *at = t;
    t->timer_armed = true;
}

void sched_timer_cancel_locked(struct thread *t)
{
    if (!t->timer_armed)
        return;
    for (struct thread **at = &timers; *at != NULL; at = &(*at)->timer_next) {
        if (*at == t) {
            *at = t->timer_next;
            break;
        }
    }
    t->timer_next = NULL;
    t->timer_armed = false;
}

/* Every tick (interrupt context): ends the timed waits that are due, and
 * asks for a switch at the end of the interrupt. */
static void thread_tick(void)
{
    this_cpu()->resched = true;
    if (cpu_index() != 0)               /* CPU 0 alone keeps the time and the timers */
        return;
    if (tick_work != NULL)
        tick_work();
    if (timers == NULL || timers->deadline > timer_ticks())
        return;
    uint32_t flags = sched_lock();
    uint64_t now = timer_ticks();
    while (timers != NULL && timers->deadline <= now) {
        struct thread *t = timers;
        timers = t->timer_next;
        t->timer_next = NULL;
        t->timer_armed = false;
        ASSERT(timeout_hook != NULL);
        timeout_hook(t);
    }
    sched_unlock(flags);
}

/* After every interrupt's EOI.  Interrupts that arrive here came from
 * ring 3 or from kernel code running with interrupts on, which holds no
 * spinlock: a switch is safe. */
static void thread_preempt_point(void)
{
    struct cpu *c = this_cpu();
    if (!c->resched)
        return;
    c->resched = false;
    uint32_t flags = sched_lock();
    if (sched_yield_locked())
        preemptions++;
    sched_unlock(flags);
}

/* ---- creation and the end ---------------------------------------------------- */

/* Where a new thread starts (switch_context returns here): it owns the
 * dispatcher lock its predecessor took.  A kernel thread runs with
 * interrupts on, a user thread keeps them off until its IRET. */
static void thread_trampoline(void)
{
    struct thread *t = sched_running;
    sched_unlock(t->user ? 0 : EFLAGS_IF);
    t->fn(t->arg);
    thread_exit();
}

void thread_exit(void)
{
    sched_lock();
    sched_exit_locked();
}

/* The kernel stack: committed and touched up front (the CPU cannot take a
 * demand-zero fault while it pushes an interrupt frame), an uncommitted
 * guard page below it. */
static NTSTATUS stack_create(struct thread *t)
{
    uint32_t base = 0, size = (THREAD_STACK_PAGES + 1) * PGSIZE;
    NTSTATUS st = vm_allocate(vm_kernel_space(), &base, &size, MEM_RESERVE, PAGE_READWRITE);
    if (!NT_SUCCESS(st))
        return st;
    uint32_t commit = base + PGSIZE, csize = THREAD_STACK_PAGES * PGSIZE;
    st = vm_allocate(vm_kernel_space(), &commit, &csize, MEM_COMMIT, PAGE_READWRITE);
    if (!NT_SUCCESS(st)) {
        uint32_t zero = 0;
        vm_free(vm_kernel_space(), &base, &zero, MEM_RELEASE);
        return st;
    }
    for (uint32_t va = commit; va < commit + csize; va += PGSIZE)
        *(volatile uint32_t *)va = 0;
    t->kstack_base = base;
    t->kstack_top = commit + csize;
    /* The frame switch_context pops: EFLAGS (IF clear), edi, esi, ebx,
     * ebp, then the return address. */
    uint32_t *sp = (uint32_t *)t->kstack_top;
    *--sp = 0;                          /* fake return address of the trampoline */
    *--sp = (uint32_t)thread_trampoline;
    *--sp = 0;                          /* ebp: ends backtraces */
    *--sp = 0;
    *--sp = 0;
    *--sp = 0;
    *--sp = 0x2;                        /* EFLAGS */
    t->esp = (uint32_t)sp;
    return STATUS_SUCCESS;
}

static void stack_free(struct thread *t)
{
    uint32_t zero = 0;
    if (t->kstack_base == 0)
        return;
    NTSTATUS st = vm_free(vm_kernel_space(), &t->kstack_base, &zero, MEM_RELEASE);
    ASSERTF(NT_SUCCESS(st), "thread %u: kernel stack release failed (%08x)", t->id, (uint32_t)st);
    t->kstack_base = 0;
}

static void all_unlink_locked(struct thread *t)
{
    for (struct thread **at = &all_threads; *at != NULL; at = &(*at)->all_next) {
        if (*at == t) {
            *at = t->all_next;
            return;
        }
    }
    panic("thread %u is not on the thread list", t->id);
}

/* The last reference is gone: the thread has ended (or never ran) and its
 * stack is already free. */
static void thread_destroy(struct object *o)
{
    struct thread *t = (struct thread *)o;
    ASSERTF(t->state == THREAD_TERMINATED || t->state == THREAD_INITIALIZED,
            "thread %u destroyed in state %d", t->id, t->state);
    ASSERTF(t->kstack_base == 0, "thread %u destroyed with its kernel stack", t->id);
    uint32_t flags = sched_lock();
    all_unlink_locked(t);
    sched_unlock(flags);
    kfree(t);
}

struct thread *thread_alloc(const char *name, void (*fn)(void *), void *arg, NTSTATUS *st)
{
    struct thread *t = kzalloc(sizeof(*t));
    if (t == NULL) {
        *st = STATUS_NO_MEMORY;
        return NULL;
    }
    *st = stack_create(t);
    if (!NT_SUCCESS(*st)) {
        kfree(t);
        return NULL;
    }
    object_init(&t->obj, &thread_object_type, OBJ_THREAD, 0);
    object_ref(&t->obj);                /* the scheduler's, dropped by thread_reap */
    t->state = THREAD_INITIALIZED;
    t->fn = fn;
    t->arg = arg;
    t->id = thread_new_id();
    t->exit_status = STATUS_PENDING;
    strncpy(t->name, name, sizeof(t->name) - 1);
    uint32_t flags = sched_lock();
    t->all_next = all_threads;
    all_threads = t;
    sched_unlock(flags);
    return t;
}

void thread_discard(struct thread *t)
{
    ASSERTF(t->state == THREAD_INITIALIZED, "thread %u discarded after it ran", t->id);
    stack_free(t);
    ASSERTF(t->obj.refs == 2, "thread %u discarded with %u references", t->id, t->obj.refs);
    object_deref(&t->obj);
    object_deref(&t->obj);
}

void thread_start(struct thread *t)
{
    uint32_t flags = sched_lock();
    ASSERTF(t->state == THREAD_INITIALIZED, "thread %u started twice", t->id);
    ready_push(t);
    sched_unlock(flags);
}

void thread_set_as_kernel(struct thread *t)
{
    t->as = vm_kernel_space();
}

/* A kernel thread starts in the kernel's address space and keeps the one
 * it last loaded (a kernel thread may run a process's setup). */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
    NTSTATUS st;
    struct thread *t = thread_alloc(name, fn, arg, &st);
    if (t != NULL) {
        t->as = vm_kernel_space();
        thread_start(t);
    }
    return t;
}

void thread_reap_all(void)
{
    uint32_t flags = sched_lock();
    struct thread *list = sched_zombies;
    sched_zombies = NULL;
    sched_unlock(flags);
    while (list != NULL) {
        struct thread *t = list;
        list = t->ready_next;
        t->ready_next = NULL;
        stack_free(t);
        thread_heap_slot_release(t);    /* its heap caches back, its slot free */
        object_deref(&t->obj);          /* the scheduler's reference */
    }
}

void thread_join(struct thread *t)
{
    ASSERTF(t != sched_running, "thread %u joining itself", t->id);
    while (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != THREAD_TERMINATED)
        thread_yield();
    thread_reap();
    object_deref(&t->obj);              /* the creator's reference */
}

void thread_detach(struct thread *t)
{
    object_deref(&t->obj);
}

/* ---- the idle thread -------------------------------------------------------- */

/* The idle thread is also the zero page thread (NT's runs at priority 0,
 * below every other): it runs only when no other thread is ready, and
 * clears free-list frames one page at a time (mm/pfn.c) with interrupts
 * on, so a timer tick preempts it mid-page like any thread; it stops as
 * soon as another thread is ready, then halts until the next interrupt,
 * whose exit (thread_preempt_point) switches to whatever became ready. */
static void static_thread_init(struct thread *t, const char *name, uint32_t id);

static void idle_loop(void *arg)
{
    (void)arg;
    bool zeroes = cpu_index() == 0;     /* the zero page thread is CPU 0's idle thread */
    for (;;) {
        sti();
        while (zeroes && !thread_others_ready() && pfn_zero_step())
            ;
        hlt();
    }
}

/* A reschedule IPI: the switch happens at the interrupt's exit. */
static bool resched_ipi(struct trap_frame *tf)
{
    (void)tf;
    this_cpu()->ipis_received++;
    this_cpu()->resched = true;
    apic_eoi();
    return true;
}

void sched_run_cpu(void)
{
    struct cpu *c = this_cpu();
    struct thread *idle = &idle_threads[c->index];
    uint32_t flags = sched_lock();
    static_thread_init(idle, "idle", thread_new_id());
    idle->state = THREAD_RUNNING;
    idle->as = vm_kernel_space();
    idle->affinity = 1u << c->index;
    idle->last_cpu = c->index;
    c->idle_thread = idle;
    c->thread = idle;
    idle_cpus |= 1u << c->index;
    sched_unlock(flags);
    idle_loop(NULL);
    __builtin_unreachable();
}

static void static_thread_init(struct thread *t, const char *name, uint32_t id)
{
    t->obj.type = &thread_object_type;
    t->obj.kind = OBJ_THREAD;
    t->obj.refs = 1;                    /* never destroyed */
    t->id = id;
    t->exit_status = STATUS_PENDING;
    strncpy(t->name, name, sizeof(t->name) - 1);
    t->all_next = all_threads;
    all_threads = t;
}

/* The idle thread's stack: static, like the boot stack (it never ends). */
static uint8_t idle_stack[4096] __attribute__((aligned(16)));

void thread_init(void)
{
    struct cpu *c = this_cpu();
    static_thread_init(&boot_thread, "boot", 0);
    boot_thread.state = THREAD_RUNNING;
    boot_thread.as = vm_current();
    boot_thread.kstack_top = (uint32_t)boot_stack_top;
    /* kmain, the console and the test runner stay on CPU 0 (the cases
     * that measure or pin CPUs count on it; fault catches are per thread
     * and would move with it).  What the boot code took before it was a
     * thread is the boot thread's: its catches and its heap slot. */
    boot_thread.affinity = 1u;
    boot_thread.catch_top = c->catch_top;
    boot_thread.heap_slot = c->heap_slot;
    c->thread = &boot_thread;
    c->idle_thread = &idle_threads[0];

    static_thread_init(&idle_here, "idle", thread_new_id());
    idle_here.state = THREAD_READY;
    idle_here.as = vm_kernel_space();
    idle_here.affinity = 1u;
    idle_here.fn = idle_loop;
    uint32_t *sp = (uint32_t *)(idle_stack + sizeof(idle_stack));
    *--sp = 0;
    *--sp = (uint32_t)thread_trampoline;
    *--sp = 0;
    *--sp = 0;
    *--sp = 0;
    *--sp = 0;
    *--sp = 0x2;
    idle_here.esp = (uint32_t)sp;

    timer_set_tick_hook(thread_tick);
    trap_set_irq_exit_hook(thread_preempt_point);
    trap_set_handler(T_IPI_RESCHED, resched_ipi);
}

/* ---- affinity ------------------------------------------------------------------ */

uint32_t sched_cpus_mask(void)
{
    return cpus_online_mask != 0 ? cpus_online_mask : 1u;
}

uint32_t thread_affinity(const struct thread *t)
{
    return affinity_of(t) & sched_cpus_mask();
}

uint32_t thread_last_cpu(const struct thread *t)
{
    return t == sched_running ? cpu_index() : t->last_cpu;
}

uint32_t thread_set_affinity(struct thread *t, uint32_t mask)
{
    if ((mask & sched_cpus_mask()) == 0)
        return 0;
    uint32_t flags = sched_lock();
    uint32_t old = affinity_of(t) & sched_cpus_mask();
    t->affinity = mask & sched_cpus_mask();
    if (t == sched_running) {
        if (!(t->affinity & (1u << cpu_index())))
            sched_yield_locked();       /* another CPU takes it (woken if idle) */
    } else if (t->state == THREAD_RUNNING && !(t->affinity & (1u << t->last_cpu))) {
        cpu_table[t->last_cpu].resched = true;  /* it moves at that CPU's next tick */
        apic_send_ipi((uint8_t)cpu_table[t->last_cpu].apic_id, T_IPI_RESCHED);
    } else if (t->state == THREAD_READY && idle_cpus != 0) {
        wake_idle_cpu(t);
    }
    sched_unlock(flags);
    return old;
}

int thread_set_ideal_cpu(struct thread *t, uint32_t cpu)
{
    if (cpu >= MAX_CPUS || !(sched_cpus_mask() & (1u << cpu)))
        return -1;
    uint32_t flags = sched_lock();
    int old = (int)t->ideal_cpu;
    t->ideal_cpu = cpu;
    sched_unlock(flags);
    return old;
}

uint64_t thread_cycles(struct thread *t)
{
    uint32_t flags = sched_lock();
    uint64_t cycles = t->cycles;
    if (t->state == THREAD_RUNNING) {
        /* The TSCs of QEMU's CPUs agree closely, not exactly: a
         * reading just behind the other CPU's switch counts nothing. */
        uint64_t in = cpu_table[t->last_cpu].switched_in_tsc, now = rdtsc();
        cycles += now > in ? now - in : 0;
    }
    sched_unlock(flags);
    return cycles;
}

void sched_cpu_counts(uint32_t i, uint32_t *sw, uint32_t *idle)
{
    *sw = cpu_table[i].switches;
    *idle = cpu_table[i].idle_turns;
}

/* ---- the console's view ---------------------------------------------------- */

static const char *const state_names[] = {
    [THREAD_INITIALIZED] = "Initialized", [THREAD_READY] = "Ready", [THREAD_RUNNING] = "Running",
    [THREAD_WAITING] = "Waiting", [THREAD_TERMINATED] = "Terminated",
};
static const char *const reason_names[] = {
    [WAIT_REASON_NONE] = "-", [WAIT_REASON_EXECUTIVE] = "Executive",
    [WAIT_REASON_USER_REQUEST] = "UserRequest", [WAIT_REASON_DELAY] = "DelayExecution",
    [WAIT_REASON_SUSPENDED] = "Suspended",
};

const char *thread_state_name(enum thread_state s)
{
    return s <= THREAD_TERMINATED ? state_names[s] : "?";
}

const char *thread_wait_reason_name(enum thread_wait_reason r)
{
    return r <= WAIT_REASON_SUSPENDED ? reason_names[r] : "?";
}

int thread_snapshot(struct thread_info *out, int max)
{
    struct thread *order[64];
    int n = 0, total = 0;
    uint32_t flags = sched_lock();

    for (struct thread *t = all_threads; t != NULL; t = t->all_next, total++)
        if (n < (int)(sizeof(order) / sizeof(order[0])))
            order[n++] = t;
    /* Oldest first. */
    int copied = 0;
    for (int i = n - 1; i >= 0 && copied < max; i--) {
        struct thread *t = order[i];
        struct thread_info *x = &out[copied++];
        x->id = t->id;
        x->pid = t->pid;
        memcpy(x->name, t->name, sizeof(x->name));
        x->state = t->state;
        x->wait_reason = t->wait_reason;
        x->suspend_count = t->suspend_count;
        x->kstack_base = t->kstack_base;
        x->kstack_top = t->kstack_top;
        x->stack_base = t->stack_base;
        x->stack_end = t->stack_end;
        x->stack_limit = t->stack_limit;
        x->teb = t->teb;
    }
    sched_unlock(flags);
    return total;
}

/* ---- kernel mutexes ------------------------------------------------------------ */

/* The owner field is the lock word: taken by compare-and-swap, so two CPUs
 * cannot both take a free mutex; the owner alone touches depth.  A waiter
 * yields its CPU rather than spinning (the holder may need it). */
void kmutex_lock(struct kmutex *m)
{
    struct thread *me = sched_running;
    for (;;) {
        struct thread *owner = __atomic_load_n(&m->owner, __ATOMIC_ACQUIRE);
        if (owner == me) {
            m->depth++;
            return;
        }
        if (owner == NULL && __atomic_compare_exchange_n(&m->owner, &owner, me, false,
                                                         __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            m->depth = 1;
            return;
        }
        __atomic_fetch_add(&m->contended, 1, __ATOMIC_RELAXED);
        thread_yield();
    }
}

void kmutex_unlock(struct kmutex *m)
{
    ASSERTF(m->owner == sched_running && m->depth > 0, "mutex %p unlocked by thread %u, owner %u",
            (void *)m, sched_running->id, m->owner ? m->owner->id : 0);
    if (--m->depth == 0)
        __atomic_store_n(&m->owner, NULL, __ATOMIC_RELEASE);
}
