/* Events, mutexes and semaphores (kernel/sync.h), after NT's
 * ke/eventobj.c, mutntobj.c and semphobj.c: each call changes a signal
 * state under the dispatcher lock and lets the wait path satisfy whoever
 * can now proceed. */
#include "kernel/sync.h"
#include "kernel/dispatcher.h"
#include "kernel/object.h"
#include "kernel/thread.h"
#include "kernel/thread_impl.h"
#include "kernel/wait.h"
#include "kernel/base/panic.h"
#include "mm/kheap.h"
#include <ntstatus.h>

static void event_destroy(struct object *o);
static void mutant_destroy(struct object *o);
static void semaphore_destroy(struct object *o);

const struct object_type event_object_type = { "Event", event_destroy };
const struct object_type mutant_object_type = { "Mutant", mutant_destroy };
const struct object_type semaphore_object_type = { "Semaphore", semaphore_destroy };

/* ---- events ------------------------------------------------------------------- */

NTSTATUS event_create(bool manual_reset, bool initially_set, struct object **out)
{
    struct object *o = kzalloc(sizeof(*o));
    if (o == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    object_init(o, &event_object_type, manual_reset ? OBJ_EVENT_MANUAL : OBJ_EVENT_AUTO,
                initially_set ? 1 : 0);
    *out = o;
    return STATUS_SUCCESS;
}

static void event_destroy(struct object *o)
{
    kfree(o);
}

int32_t event_set(struct object *o)
{
    uint32_t flags = sched_lock();
    int32_t previous = o->signal_state;
    o->signal_state = 1;
    wait_signal_locked(o);
    sched_unlock(flags);
    return previous;
}

int32_t event_reset(struct object *o)
{
    uint32_t flags = sched_lock();
    int32_t previous = o->signal_state;
    o->signal_state = 0;
    sched_unlock(flags);
    return previous;
}

/* NT's KePulseEvent: the waiters the set satisfies go, then the event is
 * reset, whether one of them consumed it or not. */
int32_t event_pulse(struct object *o)
{
    uint32_t flags = sched_lock();
    int32_t previous = o->signal_state;
    o->signal_state = 1;
    wait_signal_locked(o);
    o->signal_state = 0;
    sched_unlock(flags);
    return previous;
}

/* ---- mutexes ------------------------------------------------------------------ */

static struct kmutant *as_mutant(struct object *o)
{
    ASSERTF(o->kind == OBJ_MUTEX, "object %p (%s) is not a mutex", (void *)o, o->type->name);
    return (struct kmutant *)o;
}

static void owned_unlink(struct kmutant *m)
{
    struct thread *t = m->owner;
    if (m->owned_prev != NULL)
        m->owned_prev->owned_next = m->owned_next;
    else
        t->owned_mutexes = m->owned_next;
    if (m->owned_next != NULL)
        m->owned_next->owned_prev = m->owned_prev;
    m->owned_next = m->owned_prev = NULL;
    m->owner = NULL;
}

NTSTATUS mutant_create(bool owned, struct object **out)
{
    struct kmutant *m = kzalloc(sizeof(*m));
    if (m == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    object_init(&m->obj, &mutant_object_type, OBJ_MUTEX, owned ? 0 : 1);
    if (owned) {
        struct thread *t = thread_current();
        uint32_t flags = sched_lock();
        m->owner = t;
        m->owned_next = t->owned_mutexes;
        if (t->owned_mutexes != NULL)
            t->owned_mutexes->owned_prev = m;
        t->owned_mutexes = m;
        sched_unlock(flags);
    }
    *out = &m->obj;
    return STATUS_SUCCESS;
}

/* Closing the last handle of an owned mutex takes it off its owner's
 * list (NT's ExpDeleteMutant releases it as abandoned). */
static void mutant_destroy(struct object *o)
{
    struct kmutant *m = as_mutant(o);
    uint32_t flags = sched_lock();
    if (m->owner != NULL)
        owned_unlink(m);
    sched_unlock(flags);
    kfree(m);
}

NTSTATUS mutant_release(struct object *o, int32_t *previous)
{
    struct kmutant *m = as_mutant(o);
    uint32_t flags = sched_lock();

    if (m->owner != thread_current()) {
        sched_unlock(flags);
        return STATUS_MUTANT_NOT_OWNED;
    }
    ASSERTF(o->signal_state <= 0, "owned mutex %p with signal state %d", (void *)o, o->signal_state);
    *previous = o->signal_state;
    if (++o->signal_state == 1) {
        owned_unlink(m);
        wait_signal_locked(o);
    }
    sched_unlock(flags);
    return STATUS_SUCCESS;
}

void mutant_abandon_all(struct thread *t)
{
    uint32_t flags = sched_lock();
    while (t->owned_mutexes != NULL) {
        struct kmutant *m = t->owned_mutexes;
        owned_unlink(m);
        m->obj.signal_state = 1;
        m->abandoned = true;
        wait_signal_locked(&m->obj);
    }
    sched_unlock(flags);
}

/* ---- semaphores ---------------------------------------------------------------- */

NTSTATUS semaphore_create(int32_t initial, int32_t limit, struct object **out)
{
    if (limit <= 0 || initial < 0 || initial > limit)
        return STATUS_INVALID_PARAMETER;
    struct ksemaphore *s = kzalloc(sizeof(*s));
    if (s == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    object_init(&s->obj, &semaphore_object_type, OBJ_SEMAPHORE, initial);
    s->limit = limit;
    *out = &s->obj;
    return STATUS_SUCCESS;
}

static void semaphore_destroy(struct object *o)
{
    kfree(o);
}

NTSTATUS semaphore_release(struct object *o, int32_t count, int32_t *previous)
{
    struct ksemaphore *s = (struct ksemaphore *)o;

    ASSERTF(o->kind == OBJ_SEMAPHORE, "object %p (%s) is not a semaphore", (void *)o, o->type->name);
    if (count <= 0)
        return STATUS_INVALID_PARAMETER;
    uint32_t flags = sched_lock();
    /* count <= limit - state, written so that it cannot overflow. */
    if (count > s->limit - o->signal_state) {
        sched_unlock(flags);
        return STATUS_SEMAPHORE_LIMIT_EXCEEDED;
    }
    *previous = o->signal_state;
    o->signal_state += count;
    wait_signal_locked(o);
    sched_unlock(flags);
    return STATUS_SUCCESS;
}
