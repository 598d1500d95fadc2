/* Events, mutexes and semaphores: the waitable objects a program creates
 * (NT's KEVENT, KMUTANT, KSEMAPHORE with their Nt* semantics).  Waiting on
 * them is kernel/wait.h; these calls create them and raise or lower their
 * signal state.  Each returns NT's status and changes nothing on failure. */
#ifndef KERNEL_SYNC_H
#define KERNEL_SYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <windef.h>

struct object;
struct object_type;
struct thread;

extern const struct object_type event_object_type;      /* "Event" */
extern const struct object_type mutant_object_type;     /* "Mutant" */
extern const struct object_type semaphore_object_type;  /* "Semaphore" */

/* A new event with one reference (the caller's): manual-reset
 * (notification) or auto-reset (synchronization), set or not. */
NTSTATUS event_create(bool manual_reset, bool initially_set, struct object **out);
/* Each returns the state before the call (0 or 1).  Set satisfies every
 * waiter it can (one for an auto-reset event); pulse does that and
 * leaves the event reset. */
int32_t event_set(struct object *o);
int32_t event_reset(struct object *o);
int32_t event_pulse(struct object *o);

/* A new mutex, owned by the current thread when `owned`. */
NTSTATUS mutant_create(bool owned, struct object **out);
/* Releases one level of the current thread's ownership: *previous gets
 * the signal state before (0 when it was owned once).
 * STATUS_MUTANT_NOT_OWNED when the current thread does not own it. */
NTSTATUS mutant_release(struct object *o, int32_t *previous);
/* The thread is ending: every mutex it owns becomes free and abandoned;
 * the next thread to get each one learns it (STATUS_ABANDONED_WAIT_0). */
void mutant_abandon_all(struct thread *t);

/* A new semaphore with count `initial` of at most `limit`
 * (STATUS_INVALID_PARAMETER unless 0 <= initial <= limit and limit > 0). */
NTSTATUS semaphore_create(int32_t initial, int32_t limit, struct object **out);
/* Adds `count` (> 0, else STATUS_INVALID_PARAMETER); past the limit it is
 * STATUS_SEMAPHORE_LIMIT_EXCEEDED and the count stays.  *previous gets
 * the count before. */
NTSTATUS semaphore_release(struct object *o, int32_t count, int32_t *previous);

#endif
