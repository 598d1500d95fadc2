/* Spinlocks that also mask interrupts on their CPU (DESIGN.md section 9).
 *
 * spin_lock disables interrupts first, then spins until the lock word is
 * free, so an interrupt handler on the same CPU can never wait for a lock
 * its own CPU holds.  Taking a lock this CPU already holds is a bug
 * (re-entry, e.g. a fault inside the locked region) and panics instead of
 * spinning forever; so does spinning past SPIN_LIMIT (a deadlock).
 *
 * With LOCK_CHECK (on unless the build says -DLOCK_CHECK=0, as the
 * benchmark build does) every acquisition is checked against the order
 * seen so far (kernel/base/lock.c): taking B while holding A after A was
 * once taken while holding B panics with both names. */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H

#include <stdint.h>
#include "kernel/base/x86.h"
#include "kernel/base/panic.h"
#include "kernel/base/percpu.h"

#ifndef LOCK_CHECK
#define LOCK_CHECK 1
#endif

#define LOCK_FREE 0xFFFFFFFFu

struct spinlock {
    volatile uint32_t owner;        /* CPU index + 1 of the holder, 0 when free */
    const char *name;
    uint32_t contended;             /* acquisitions that had to spin */
};

#define SPINLOCK_INIT(n) { 0, n, 0 }

/* The slow path and the order check (kernel/base/lock.c). */
void spin_lock_contended(struct spinlock *l, uint32_t me);
void lock_order_acquired(const struct spinlock *l);
void lock_order_released(const struct spinlock *l);
/* Called on every turn of a contended spin, interrupts off: where a CPU
 * serves requests other CPUs wait for (mm/tlb_shootdown.c registers it). */
void spin_set_wait_hook(void (*fn)(void));

/* Returns the EFLAGS to hand back to spin_unlock. */
static inline uint32_t spin_lock(struct spinlock *l)
{
    uint32_t flags = irq_save();
    uint32_t me = cpu_index_here() + 1;
    uint32_t expected = 0;
    if (!__atomic_compare_exchange_n(&l->owner, &expected, me, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        spin_lock_contended(l, me);
#if LOCK_CHECK
    lock_order_acquired(l);
#endif
    return flags;
}

/* Releases l, which this CPU holds (ASSERT), and restores the interrupt
 * flag spin_lock returned. */
static inline void spin_unlock(struct spinlock *l, uint32_t flags)
{
    ASSERTF(l->owner == cpu_index_here() + 1, "unlocking %s, held by cpu slot %u, on cpu %u",
            l->name, l->owner, cpu_index_here());
#if LOCK_CHECK
    lock_order_released(l);
#endif
    __atomic_store_n(&l->owner, 0, __ATOMIC_RELEASE);
    irq_restore(flags);
}

static inline bool spin_is_locked(const struct spinlock *l)
{
    return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) != 0;
}

/* Held by this CPU. */
static inline bool spin_held_here(const struct spinlock *l)
{
    return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == cpu_index_here() + 1;
}

#endif
