/* Spinlocks that also mask interrupts.  On one CPU the lock word only
 * catches re-entry bugs; it is written as a real spinlock so that SMP can
 * come later without touching the callers (DESIGN.md section 9). */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H

#include <stdint.h>
#include "kernel/base/x86.h"
#include "kernel/base/panic.h"

struct spinlock {
    volatile uint32_t locked;
    const char *name;
};

#define SPINLOCK_INIT(n) { 0, n }

/* Returns the EFLAGS to hand back to spin_unlock. */
static inline uint32_t spin_lock(struct spinlock *l)
{
    uint32_t flags = irq_save();
    /* One CPU, and the holder runs with interrupts off: a held lock here
     * means re-entry (e.g. a fault inside the locked region), which would
     * spin forever.  Say so instead.  (With SMP this becomes a real wait.) */
    if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) != 0)
        panic("spinlock '%s' taken while already held: re-entry on one CPU", l->name);
    return flags;
}

static inline void spin_unlock(struct spinlock *l, uint32_t flags)
{
    ASSERTF(l->locked, "unlocking %s, which is not locked", l->name);
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    irq_restore(flags);
}

#endif
