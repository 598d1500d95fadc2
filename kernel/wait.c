/* The wait path (kernel/wait.h), after NT's ke/wait.c: a waiting thread
 * links one wait block per object into that object's waiter list and
 * blocks; whoever raises an object's signal state calls
 * wait_signal_locked, which satisfies waiters oldest first (NT's
 * KiWaitTest), consuming what a satisfied wait takes (an auto-reset
 * event's signal, a semaphore unit, a mutex's ownership) and unlinking
 * every block of the woken thread.  A timeout or a request to suspend or
 * end unlinks them the same way.  Everything here runs under the
 * dispatcher lock. */
#include "kernel/wait.h"
#include "kernel/dispatcher.h"
#include "kernel/thread_impl.h"
#include "kernel/base/panic.h"
#include <ntstatus.h>

/* ---- what an object can give a thread ---------------------------------------- */

static struct kmutant *as_mutant(struct object *o)
{
    return (struct kmutant *)o;
}

/* Would a wait by t on o be satisfied now?  (A mutex t owns already can
 * be taken again: ownership is recursive.) */
static bool satisfiable(struct object *o, const struct thread *t)
{
    if (o->kind == OBJ_MUTEX)
        return o->signal_state > 0 || (as_mutant(o)->owner == t && o->signal_state > INT32_MIN + 1);
    return o->signal_state > 0;
}

static void mutant_link_owned(struct kmutant *m, struct thread *t)
{
    m->owner = t;
    m->owned_prev = NULL;
    m->owned_next = t->owned_mutexes;
    if (t->owned_mutexes != NULL)
        t->owned_mutexes->owned_prev = m;
    t->owned_mutexes = m;
}

/* Takes what a satisfied wait takes.  Returns true when o was a mutex
 * abandoned by its last owner (the wait reports STATUS_ABANDONED). */
static bool consume(struct object *o, struct thread *t)
{
    switch (o->kind) {
    case OBJ_EVENT_AUTO:
        o->signal_state = 0;
        return false;
    case OBJ_SEMAPHORE:
        ASSERTF(o->signal_state > 0, "semaphore %p taken at count %d", (void *)o, o->signal_state);
        o->signal_state--;
        return false;
    case OBJ_MUTEX: {
        struct kmutant *m = as_mutant(o);
        if (m->owner != t) {
            ASSERTF(m->owner == NULL && o->signal_state == 1, "mutex %p taken from thread %u",
                    (void *)o, m->owner ? m->owner->id : 0);
            mutant_link_owned(m, t);
        }
        o->signal_state--;
        bool abandoned = m->abandoned;
        m->abandoned = false;
        return abandoned;
    }
    default:
        return false;           /* threads, processes, manual-reset events: nothing to take */
    }
}

/* A wait-any takes the first object it can; a wait-all takes all of them
 * or nothing.  Returns the wait's status, or STATUS_PENDING. */
static NTSTATUS try_satisfy(struct thread *t, struct object *const *objs, uint32_t n, bool wait_all)
{
    if (!wait_all) {
        for (uint32_t i = 0; i < n; i++)
            if (satisfiable(objs[i], t))
                return consume(objs[i], t) ? STATUS_ABANDONED_WAIT_0 + i : STATUS_WAIT_0 + i;
        return STATUS_PENDING;
    }
    if (n == 0)
        return STATUS_PENDING;
    for (uint32_t i = 0; i < n; i++)
        if (!satisfiable(objs[i], t))
            return STATUS_PENDING;
    NTSTATUS st = STATUS_WAIT_0;
    for (uint32_t i = 0; i < n; i++)
        if (consume(objs[i], t) && st == STATUS_WAIT_0)
            st = STATUS_ABANDONED_WAIT_0 + i;
    return st;
}

/* ---- wait blocks --------------------------------------------------------------- */

static void block_link(struct wait_block *wb)
{
    struct object *o = wb->object;
    if (o->waiters == NULL) {
        wb->next = wb->prev = wb;
        o->waiters = wb;
        return;
    }
    struct wait_block *head = o->waiters, *tail = head->prev;
    wb->next = head;
    wb->prev = tail;
    tail->next = wb;
    head->prev = wb;
}

static void block_unlink(struct wait_block *wb)
{
    struct object *o = wb->object;
    if (wb->next == wb) {
        ASSERTF(o->waiters == wb, "object %p: lone wait block not at the head", (void *)o);
        o->waiters = NULL;
    } else {
        wb->prev->next = wb->next;
        wb->next->prev = wb->prev;
        if (o->waiters == wb)
            o->waiters = wb->next;
    }
    wb->next = wb->prev = NULL;
}

/* Ends t's wait: unlinks its blocks, stops its timer, makes it ready with
 * `status` as the wait's result. */
static void unwait_locked(struct thread *t, NTSTATUS status)
{
    ASSERTF(t->state == THREAD_WAITING, "thread %u unwaited in state %d", t->id, t->state);
    for (uint32_t i = 0; t->wait_blocks != NULL && i < t->wait_count; i++)
        block_unlink(&t->wait_blocks[i]);
    t->wait_blocks = NULL;
    t->wait_count = 0;
    sched_timer_cancel_locked(t);
    t->wait_status = status;
    sched_ready_locked(t);
}

/* Would every object of t's wait-all be satisfied now? */
static bool all_satisfiable(const struct thread *t)
{
    for (uint32_t i = 0; i < t->wait_count; i++)
        if (!satisfiable(t->wait_blocks[i].object, t))
            return false;
    return true;
}

/* Satisfies t's wait through wb (whose object has just become
 * satisfiable for t) if it can; true when t was woken. */
static bool try_wake(struct wait_block *wb)
{
    struct thread *t = wb->thread;

    if (!t->wait_all) {
        bool abandoned = consume(wb->object, t);
        unwait_locked(t, (abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0) + wb->index);
        return true;
    }
    if (!all_satisfiable(t))
        return false;
    NTSTATUS st = STATUS_WAIT_0;
    for (uint32_t i = 0; i < t->wait_count; i++)
        if (consume(t->wait_blocks[i].object, t) && st == STATUS_WAIT_0)
            st = STATUS_ABANDONED_WAIT_0 + i;
    unwait_locked(t, st);
    return true;
}

void wait_signal_locked(struct object *o)
{
    ASSERT(sched_locked());
    /* Oldest waiter first; after each wake the list has changed, so the
     * scan starts again (a thread may wait on o more than once). */
    bool woke = true;
    while (woke && o->waiters != NULL) {
        woke = false;
        struct wait_block *wb = o->waiters;
        do {
            if (satisfiable(o, wb->thread) && try_wake(wb)) {
                woke = true;
                break;
            }
            wb = wb->next;
        } while (wb != o->waiters);
    }
}

void wait_abort_locked(struct thread *t, NTSTATUS status)
{
    ASSERT(sched_locked());
    if (t->state != THREAD_WAITING)
        return;
    if (t->wait_reason == WAIT_REASON_SUSPENDED)
        sched_ready_locked(t);              /* it re-checks its suspend count */
    else if (t->wait_reason == WAIT_REASON_USER_REQUEST || t->wait_reason == WAIT_REASON_DELAY)
        unwait_locked(t, status);
}

static void wait_timeout(struct thread *t)
{
    unwait_locked(t, STATUS_TIMEOUT);
}

void wait_while_suspended_locked(void)
{
    struct thread *t = thread_current();
    while (t->suspend_count > 0 && !t->terminating)
        sched_block_locked(WAIT_REASON_SUSPENDED);
}

/* ---- waiting ------------------------------------------------------------------- */

static bool has_duplicates(struct object *const *objs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++)
            if (objs[i] == objs[j])
                return true;
    return false;
}

NTSTATUS wait_for_objects(struct object *const *objs, uint32_t n, bool wait_all, uint64_t ticks,
                          enum thread_wait_reason reason)
{
    struct wait_block blocks[WAIT_OBJECTS_MAX];
    struct thread *t = thread_current();
    NTSTATUS st;

    ASSERTF(n <= WAIT_OBJECTS_MAX, "wait for %u objects", n);
    if (wait_all && has_duplicates(objs, n))
        return STATUS_INVALID_PARAMETER_MIX;
    uint64_t deadline = ticks == WAIT_FOREVER ? 0 : sched_now() + ticks;
    uint32_t flags = sched_lock();
    for (;;) {
        wait_while_suspended_locked();
        if (t->terminating) {
            st = STATUS_THREAD_IS_TERMINATING;
            break;
        }
        st = try_satisfy(t, objs, n, wait_all);
        if (st != STATUS_PENDING)
            break;
        if (ticks != WAIT_FOREVER && sched_now() >= deadline) {
            st = STATUS_TIMEOUT;
            break;
        }
        for (uint32_t i = 0; i < n; i++) {
            blocks[i] = (struct wait_block){ .thread = t, .object = objs[i], .index = i };
            block_link(&blocks[i]);
        }
        t->wait_blocks = n > 0 ? blocks : NULL;
        t->wait_count = n;
        t->wait_all = wait_all;
        t->wait_status = STATUS_PENDING;
        if (ticks != WAIT_FOREVER)
            sched_timer_arm_locked(t, deadline);
        sched_block_locked(reason);
        ASSERTF(t->wait_blocks == NULL && !t->timer_armed, "thread %u woke still waiting", t->id);
        st = t->wait_status;
        if (st != STATUS_KERNEL_APC)
            break;
        /* Asked to suspend or to end: do that, then wait again. */
    }
    sched_unlock(flags);
    return st;
}

void wait_init(void)
{
    sched_set_timeout_hook(wait_timeout);
}
