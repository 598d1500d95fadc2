/* Kernel objects and handle tables (DESIGN.md section 10).
 *
 * Every object has one header: its type, a reference count, and the
 * dispatcher part NT calls DISPATCHER_HEADER (a signal state and the list
 * of threads waiting on it), since every object type here is waitable:
 * threads, processes, events, mutexes, semaphores.  The wait path
 * (kernel/wait.h) reads and changes the dispatcher part; this file only
 * counts references and maps handles to objects.
 *
 * A handle table belongs to one process.  Handle values are multiples of
 * 4 from 4 up, as NT's (0 is never a handle; the two low bits are the
 * application's tag bits and are ignored, as NT's ObReferenceObjectByHandle
 * ignores them).  Each handle holds one reference on its object. */
#ifndef KERNEL_OBJECT_H
#define KERNEL_OBJECT_H

#include <stdbool.h>
#include <stdint.h>
#include <windef.h>
#include <ntstatus.h>

/* What the wait path needs to know about a type (NT's dispatcher object
 * types: KOBJECTS). */
enum object_kind {
    OBJ_THREAD = 1,                 /* signalled once the thread has ended */
    OBJ_PROCESS,                    /* signalled once every thread has ended */
    OBJ_EVENT_MANUAL,               /* notification event: stays set */
    OBJ_EVENT_AUTO,                 /* synchronization event: a satisfied wait resets it */
    OBJ_MUTEX,                      /* owned; recursive; abandoned when its owner ends */
    OBJ_SEMAPHORE,                  /* a count; a satisfied wait takes one */
};

struct object;
struct wait_block;

struct object_type {
    const char *name;               /* "Thread", "Event", ... (NT's type names) */
    /* The last reference is gone: free the object (never NULL). */
    void (*destroy)(struct object *o);
};

struct object {
    const struct object_type *type;
    enum object_kind kind;          /* an Event is OBJ_EVENT_MANUAL or OBJ_EVENT_AUTO */
    uint32_t refs;
    /* Dispatcher header, changed only under the dispatcher lock
     * (kernel/thread.h: sched_lock).  signal_state: 0 or 1 for events,
     * threads and processes, the count for a semaphore, 1 - recursion
     * depth for a mutex (1: free). */
    int32_t signal_state;
    struct wait_block *waiters;     /* circular, oldest first; NULL when none */
};

/* A new object starts with one reference (the creator's). */
void object_init(struct object *o, const struct object_type *type, enum object_kind kind,
                 int32_t signal_state);
void object_ref(struct object *o);
/* Drops one reference; the last one calls type->destroy.  Must not be
 * called with the dispatcher lock held (destroy may free memory). */
void object_deref(struct object *o);
/* Objects alive now, for the leak check after each user program. */
uint32_t object_live_count(void);

/* ---- handle tables ---- */

struct handle_table;

/* An empty table, or NULL when out of memory. */
struct handle_table *handle_table_create(void);
/* Closes every handle still open (dropping their references), then frees
 * the table. */
void handle_table_destroy(struct handle_table *t);
/* A new handle for o, holding a new reference on it.
 * STATUS_INSUFFICIENT_RESOURCES when the table cannot grow (nothing changes). */
NTSTATUS handle_insert(struct handle_table *t, struct object *o, uint32_t *handle);
/* The object behind a handle, with a reference the caller must drop.
 * STATUS_INVALID_HANDLE for anything that is not an open handle;
 * STATUS_OBJECT_TYPE_MISMATCH when type is not NULL and differs. */
NTSTATUS handle_reference(struct handle_table *t, uint32_t handle, const struct object_type *type,
                          struct object **out);
/* Issue 15: each handle also records the access it grants (an ACCESS_MASK
 * of the object's type).  handle_insert grants HANDLE_ACCESS_ALL, as every
 * handle did before access checks existed; handle_insert_access grants
 * `access`.  handle_reference_access fails with STATUS_ACCESS_DENIED
 * (nothing referenced) unless the handle grants every bit of `desired`,
 * and gives the granted mask in *granted (optional). */
#define HANDLE_ACCESS_ALL 0xFFFFFFFFu
NTSTATUS handle_insert_access(struct handle_table *t, struct object *o, uint32_t access,
                              uint32_t *handle);
NTSTATUS handle_reference_access(struct handle_table *t, uint32_t handle,
                                 const struct object_type *type, uint32_t desired,
                                 struct object **out, uint32_t *granted);
/* Closes a handle: STATUS_SUCCESS or STATUS_INVALID_HANDLE. */
NTSTATUS handle_close(struct handle_table *t, uint32_t handle);
/* Open handles in the table. */
uint32_t handle_count(const struct handle_table *t);

#endif
