/* The spinlock slow path and the lock-order check (kernel/base/lock.h).
 *
 * Order check: locks are grouped in classes by name (every handle table's
 * lock is one class, as Linux lockdep groups by class).  Whenever a CPU
 * takes a lock of class B while it holds one of class A, the edge A -> B
 * is recorded; taking A while holding B once A -> B exists is an
 * inversion, and two CPUs doing the two orders at once would deadlock, so
 * it panics at once with both names, whether or not the deadlock
 * happened this time.  Only direct (two-lock) inversions are checked;
 * longer cycles are not.  Same-class nesting is not recorded. */
#include "kernel/base/lock.h"
#include "kernel/base/kprintf.h"
#include <stddef.h>

#define LOCK_CLASSES 64
#define SPIN_LIMIT (1u << 29)       /* spins before calling it a deadlock */

static const char *volatile class_names[LOCK_CLASSES];
static volatile uint32_t edges[LOCK_CLASSES][LOCK_CLASSES / 32];   /* [a] bit b: a held, then b */
static uint32_t order_checks;
static void (*wait_hook)(void);

void spin_set_wait_hook(void (*fn)(void))
{
    wait_hook = fn;
}

void spin_lock_contended(struct spinlock *l, uint32_t me)
{
    uint32_t spins = 0;
    __atomic_fetch_add(&l->contended, 1, __ATOMIC_RELAXED);
    for (;;) {
        uint32_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
        if (owner == me)
            panic("spinlock '%s' taken on cpu %u, which already holds it (re-entry)",
                  l->name, me - 1);
        if (owner == 0) {
            uint32_t expected = 0;
            if (__atomic_compare_exchange_n(&l->owner, &expected, me, false, __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED))
                return;
        }
        __builtin_ia32_pause();
        if (wait_hook != NULL)
            wait_hook();
        if (++spins == SPIN_LIMIT)
            panic("spinlock '%s': cpu %u spun %u times, held by cpu %u (deadlock?)",
                  l->name, me - 1, spins, owner - 1);
    }
}

/* The class of a lock name: its slot, claimed on first sight. */
static int lock_class(const char *name)
{
    for (int i = 0; i < LOCK_CLASSES; i++) {
        const char *n = class_names[i];
        if (n == name)
            return i;
        if (n == NULL) {
            const char *expected = NULL;
            if (__atomic_compare_exchange_n(&class_names[i], &expected, name, false,
                                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                return i;
            if (expected == name)
                return i;
        }
    }
    return -1;                      /* table full: unchecked, never wrong */
}

static bool edge(int a, int b)
{
    return (edges[a][b / 32] >> (b % 32)) & 1;
}

void lock_order_acquired(const struct spinlock *l)
{
    if (!percpu_ready)
        return;
    struct cpu *c = this_cpu();
    ASSERTF(c->held_count < LOCK_HELD_MAX, "cpu %u holds %u spinlocks, taking '%s'",
            c->index, c->held_count, l->name);
    int b = lock_class(l->name);
    for (uint32_t i = 0; i < c->held_count && b >= 0; i++) {
        int a = lock_class(c->held[i]->name);
        if (a < 0 || a == b)
            continue;
        if (edge(b, a))
            panic("lock order inversion: cpu %u takes '%s' while holding '%s', but '%s' was "
                  "taken while holding '%s' before", c->index, l->name, c->held[i]->name,
                  c->held[i]->name, l->name);
        if (!edge(a, b))
            __atomic_fetch_or(&edges[a][b / 32], 1u << (b % 32), __ATOMIC_RELAXED);
    }
    c->held[c->held_count++] = l;
    order_checks++;
}

void lock_order_released(const struct spinlock *l)
{
    if (!percpu_ready)
        return;
    struct cpu *c = this_cpu();
    for (uint32_t i = c->held_count; i-- > 0;) {
        if (c->held[i] == l) {
            for (uint32_t j = i + 1; j < c->held_count; j++)
                c->held[j - 1] = c->held[j];
            c->held_count--;
            return;
        }
    }
    panic("cpu %u releases spinlock '%s', which it does not hold", c->index, l->name);
}
