/* Threads and the scheduler.  Switches happen in schedule(), with
 * interrupts off; a timer tick asks for one (preemption) and trap.c calls
 * thread_preempt_point() after the interrupt's EOI, so the preempted thread
 * resumes later by returning through its own interrupt frame. */
#include "kernel/thread.h"
#include "kernel/arch/trap.h"
#include "kernel/arch/timer.h"
#include "kernel/base/panic.h"
#include "kernel/base/x86.h"
#include "mm/vm.h"
#include "mm/mmu.h"
#include <string.h>

#define THREADS_MAX 16
#define THREAD_STACK_PAGES 4

enum thread_state { THREAD_UNUSED, THREAD_READY, THREAD_DEAD };

struct thread {
    uint32_t esp;
    uint32_t stack_base;            /* kernel VM reservation, 0 for the boot thread */
    enum thread_state state;
    void (*fn)(void *);
    void *arg;
    uint32_t id;
    char name[16];
};

static struct thread threads[THREADS_MAX];
static struct thread *current;
static uint32_t next_id;
static uint32_t switches, preemptions;
static volatile bool resched_requested;

void switch_context(uint32_t *save_esp, uint32_t new_esp);

struct thread *thread_current(void)
{
    return current;
}

uint32_t thread_id(const struct thread *t)
{
    return t->id;
}

uint32_t thread_switches(void)
{
    return switches;
}

uint32_t thread_preemptions(void)
{
    return preemptions;
}

/* Round robin over the thread table, starting after the current thread. */
static struct thread *pick_next(void)
{
    int at = (int)(current - threads);

    for (int i = 1; i <= THREADS_MAX; i++) {
        struct thread *t = &threads[(at + i) % THREADS_MAX];
        if (t->state == THREAD_READY)
            return t;
    }
    return current;
}

static void schedule(void)
{
    uint32_t flags = irq_save();
    struct thread *next = pick_next();

    resched_requested = false;
    if (next != current) {
        struct thread *prev = current;
        current = next;
        switches++;
        switch_context(&prev->esp, next->esp);
    }
    irq_restore(flags);
}

void thread_yield(void)
{
    schedule();
}

/* The timer's request: switch at the end of the interrupt. */
static void thread_preempt_point(void)
{
    if (resched_requested) {
        preemptions++;
        schedule();
    }
}

static void thread_tick(void)
{
    resched_requested = true;
}

void thread_exit(void)
{
    cli();
    ASSERTF(current->stack_base != 0, "the boot thread cannot exit (thread %u)", current->id);
    current->state = THREAD_DEAD;
    schedule();
    panic("dead thread %u was scheduled again", current->id);
}

static void thread_start(void)
{
    sti();
    current->fn(current->arg);
    thread_exit();
}

static bool stack_create(struct thread *t)
{
    uint32_t base = 0, size = (THREAD_STACK_PAGES + 1) * PGSIZE;
    if (!NT_SUCCESS(vm_allocate(vm_kernel_space(), &base, &size, MEM_RESERVE, PAGE_READWRITE)))
        return false;
    uint32_t commit = base + PGSIZE, csize = THREAD_STACK_PAGES * PGSIZE;
    if (!NT_SUCCESS(vm_allocate(vm_kernel_space(), &commit, &csize, MEM_COMMIT, PAGE_READWRITE))) {
        uint32_t zero = 0;
        vm_free(vm_kernel_space(), &base, &zero, MEM_RELEASE);
        return false;
    }
    /* Touch every page now: the CPU cannot take a demand-zero fault while
     * it pushes an interrupt frame. */
    for (uint32_t va = commit; va < commit + csize; va += PGSIZE)
        *(volatile uint32_t *)va = 0;
    t->stack_base = base;
    /* The frame switch_context pops: EFLAGS (IF clear), edi, esi, ebx,
     * ebp, then the return address. */
    uint32_t *sp = (uint32_t *)(commit + csize);
    *--sp = 0;                          /* fake return address of thread_start */
    *--sp = (uint32_t)thread_start;
    *--sp = 0;                          /* ebp: ends backtraces */
    *--sp = 0;
    *--sp = 0;
    *--sp = 0;
    *--sp = 0x2;                        /* EFLAGS */
    t->esp = (uint32_t)sp;
    return true;
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
    uint32_t flags = irq_save();
    struct thread *t = NULL;
    for (int i = 0; i < THREADS_MAX && t == NULL; i++)
        if (threads[i].state == THREAD_UNUSED)
            t = &threads[i];
    if (t != NULL)
        t->state = THREAD_DEAD;         /* claimed, not runnable yet */
    irq_restore(flags);
    if (t == NULL)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    t->id = ++next_id;
    strncpy(t->name, name, sizeof(t->name) - 1);
    if (!stack_create(t)) {
        t->state = THREAD_UNUSED;
        return NULL;
    }
    t->state = THREAD_READY;
    return t;
}

void thread_join(struct thread *t)
{
    ASSERTF(t != current, "thread %u joining itself", t->id);
    while (t->state != THREAD_DEAD)
        thread_yield();
    uint32_t zero = 0;
    vm_free(vm_kernel_space(), &t->stack_base, &zero, MEM_RELEASE);
    t->state = THREAD_UNUSED;
}

void kmutex_lock(struct kmutex *m)
{
    for (;;) {
        uint32_t flags = irq_save();
        if (m->owner == NULL || m->owner == current) {
            m->owner = current;
            m->depth++;
            irq_restore(flags);
            return;
        }
        m->contended++;
        irq_restore(flags);
        thread_yield();
    }
}

void kmutex_unlock(struct kmutex *m)
{
    uint32_t flags = irq_save();
    ASSERTF(m->owner == current && m->depth > 0, "mutex %p unlocked by thread %u, owner %u",
            (void *)m, current->id, m->owner ? m->owner->id : 0);
    if (--m->depth == 0)
        m->owner = NULL;
    irq_restore(flags);
}

void thread_init(void)
{
    current = &threads[0];
    current->state = THREAD_READY;
    current->id = 0;
    strncpy(current->name, "boot", sizeof(current->name) - 1);
    timer_set_tick_hook(thread_tick);
    trap_set_irq_exit_hook(thread_preempt_point);
}
