/* The one wait path (DESIGN.md section 10): a thread blocks on a list of
 * objects, any or all of them, with a timeout; nothing busy-waits.  A
 * waiting thread is off the ready queue and costs no CPU time until an
 * object it waits for is signalled, its timeout passes, or it is asked
 * to suspend or end.  Suspension itself is a wait (NT's suspend APC
 * waits on the thread's suspend semaphore).
 *
 * Statuses are NT's: STATUS_WAIT_0 + i (object i satisfied the wait; for
 * wait-all, 0), STATUS_ABANDONED_WAIT_0 + i (it was a mutex whose owner
 * ended), STATUS_TIMEOUT, and STATUS_THREAD_IS_TERMINATING when the
 * thread was asked to end meanwhile. */
#ifndef KERNEL_WAIT_H
#define KERNEL_WAIT_H

#include <stdbool.h>
#include <stdint.h>
#include <windef.h>
#include "kernel/thread.h"

struct object;
struct thread;

#define WAIT_OBJECTS_MAX 64                 /* MAXIMUM_WAIT_OBJECTS */
#define WAIT_FOREVER UINT64_MAX

void wait_init(void);

/* Waits for objs[0..n) (n <= WAIT_OBJECTS_MAX; n == 0 is a pure delay)
 * for at most `ticks` timer ticks (0: only test, WAIT_FOREVER: no
 * limit).  The caller holds references on the objects; wait-all objects
 * must be distinct. */
NTSTATUS wait_for_objects(struct object *const *objs, uint32_t n, bool wait_all, uint64_t ticks,
                          enum thread_wait_reason reason);

/* With the dispatcher lock held, after o's signal state rose: satisfies
 * every wait that o (with the other objects of a wait-all) now can. */
void wait_signal_locked(struct object *o);
/* With the lock held: ends t's wait early with `status` (a suspended
 * thread re-checks why it is suspended). */
void wait_abort_locked(struct thread *t, NTSTATUS status);
/* With the lock held: the current thread stays blocked while it is
 * suspended and not asked to end. */
void wait_while_suspended_locked(void);

#endif
