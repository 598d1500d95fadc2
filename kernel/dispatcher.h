/* Private to the wait path and the synchronization objects (kernel/wait.c,
 * kernel/sync.c, kernel/uthread.c): the layouts NT keeps in ke/ as KWAIT_BLOCK,
 * KMUTANT and KSEMAPHORE.  Data only.  Every field here changes only under
 * the dispatcher lock (sched_lock in kernel/thread.h). */
#ifndef KERNEL_DISPATCHER_H
#define KERNEL_DISPATCHER_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/object.h"

struct thread;

/* One object of one wait: linked into the object's waiter list.  A
 * waiting thread's blocks live on its own kernel stack (as NT keeps the
 * wait block array of WaitForMultipleObjects on the caller's stack). */
struct wait_block {
    struct wait_block *next, *prev;     /* in object->waiters, circular */
    struct thread *thread;
    struct object *object;
    uint32_t index;                     /* the object's position in the wait */
};

/* A mutex (NT: mutant).  obj.signal_state is 1 when free and 1 - depth
 * when owned, as NT's. */
struct kmutant {
    struct object obj;
    struct thread *owner;
    bool abandoned;                     /* its owner ended holding it; the next wait says so */
    struct kmutant *owned_next, *owned_prev;    /* the owner's list */
};

/* A semaphore: obj.signal_state is the count, 0..limit. */
struct ksemaphore {
    struct object obj;
    int32_t limit;
};

#endif
