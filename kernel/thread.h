/* Kernel threads with round-robin preemption on the timer tick.  The boot
 * thread is thread 0; user processes still run on it (one at a time). */
#ifndef KERNEL_THREAD_H
#define KERNEL_THREAD_H

#include <stdbool.h>
#include <stdint.h>

struct thread;

void thread_init(void);
/* A new runnable thread running fn(arg); NULL when out of memory. */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);
/* Waits until t has ended, then frees it. */
void thread_join(struct thread *t);
void thread_yield(void);
void thread_exit(void) __attribute__((noreturn));
struct thread *thread_current(void);
uint32_t thread_id(const struct thread *t);
/* Context switches since boot (preemptions included). */
uint32_t thread_switches(void);
uint32_t thread_preemptions(void);

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
