/* The heap lock: a futex-style word owned by the engine (Drepper,
 * "Futexes Are Tricky", mutex 3) with a recursion count on top.
 *
 *   word 0  free
 *        1  held, nobody waits
 *        2  held, a thread may be waiting: the release must wake one
 *
 * Taking it uncontended is one atomic compare-exchange (hlock_try, inline
 * in heap_private.h) and releasing it one atomic exchange (hlock_drop):
 * no call into the platform, no system call.  A thread that finds it
 * held marks the word 2 and sleeps in heap_os_lock_wait (the platform's
 * futex, event or yield), and the releasing thread wakes it.
 *
 * Recursion (HeapLock, then heap calls from the same thread; spec item
 * 91): a holder that took the lock through hlock_acquire is recorded in
 * `owner` with a depth.  The fast paths take it with hlock_try alone and
 * record nothing; when hlock_try fails they fall back to hlock_acquire,
 * which sees either its own thread in `owner` (recursion) or another
 * thread (wait).  `owner` is written only by the holder and cleared
 * before the word is released, so a thread reads its own id there only
 * while it really holds the lock. */
#include "heap_private.h"

void hlock_init(struct hlock *l)
{
    l->word = 0;
    l->depth = 0;
    l->owner = 0;
    /* Several CPUs (the platform gives threads cache slots): the holder
     * of a heap lock lets go within a microsecond or so, less than a sleep
     * and a wake cost, so a waiter polls a while first (NT gives the
     * process heap's critical section a spin count for the same reason).
     * One CPU: the holder cannot run while we poll. */
    l->spin = heap_os_thread_slot() >= 0 ? HLOCK_SPIN : 0;
    heap_os_lock_init(&l->os);
}

void hlock_destroy(struct hlock *l)
{
    heap_os_lock_destroy(&l->os);
}

/* Contended: poll a while (l->spin times), then mark the word "waited
 * for" and sleep until it was free. */
__attribute__((noinline)) static void lock_wait(struct hlock *l)
{
    for (uint32_t i = l->spin; i; i--) {
        if (l->word == 0 && hlock_try(l))
            return;
        __asm__ volatile("pause" ::: "memory"); /* (x86: the engine's only targets) */
    }
    while (__atomic_exchange_n(&l->word, 2, __ATOMIC_ACQUIRE) != 0)
        heap_os_lock_wait(&l->os, &l->word, 2);
}

/* Someone may be waiting (the word was 2): wake one. */
__attribute__((noinline)) void hlock_wake(struct hlock *l)
{
    heap_os_lock_wake(&l->os, &l->word);
}

/* Take the lock, recursively for the thread that holds it through here. */
void hlock_acquire(struct hlock *l)
{
    uintptr_t me = heap_os_thread_id();
    if (l->owner == me) {
        l->depth++;
        return;
    }
    if (!hlock_try(l))
        lock_wait(l);
    l->owner = me;
    l->depth = 1;
}

/* Undo one hlock_acquire; the last one releases the word. */
void hlock_release(struct hlock *l)
{
    if (--l->depth)
        return;
    l->owner = 0;
    hlock_drop(l);
}

/* Does the calling thread hold the lock through hlock_acquire? */
int hlock_held(const struct hlock *l)
{
    return l->owner == heap_os_thread_id();
}

/* Take the heap for a whole-heap operation: the lock, and every thread
 * cache quiet (heap_tcache.c).  hexcl_leave undoes it. */
void hexcl_enter(struct heap *h)
{
    hlock_acquire(&h->lock);
    htc_exclusive_begin(h);
}

void hexcl_leave(struct heap *h)
{
    htc_exclusive_end(h);
    hlock_release(&h->lock);
}

/* HeapLock / HeapUnlock (heap.h): also on HEAP_NO_SERIALIZE heaps
 * (spec item 78); the other threads' calls wait, their thread caches
 * included (spec item 91). */
void heap_lock(struct heap *h)
{
    hexcl_enter(h);
}

void heap_unlock(struct heap *h)
{
    hexcl_leave(h);
}
