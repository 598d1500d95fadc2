/* Heap slots of kernel threads (kernel/thread_heap.h). */
#include "kernel/thread_heap.h"
#include "kernel/thread_impl.h"
#include "kernel/base/lock.h"
#include "kernel/base/panic.h"
#include "mm/kheap.h"
#include "mm/heap/heap_os.h"

_Static_assert(HEAP_OS_THREAD_SLOTS == 64, "one 64-bit map of slots");

static struct spinlock slot_lock = SPINLOCK_INIT("heap slots");
static uint64_t slots_used;             /* bit i: slot i belongs to a live thread */

/* Interrupts stay off from reading this CPU's thread to writing both
 * words, so no switch can come between (the switch copies cpu -> thread). */
int thread_heap_slot_take(bool want)
{
    uint32_t f = spin_lock(&slot_lock);
    struct cpu *c = this_cpu();
    struct thread *t = c->thread;
    ASSERTF(c->heap_slot == 0, "cpu %u: thread takes a heap slot with word %d", c->index,
            c->heap_slot);
    int s = -1;
    for (int i = 0; want && i < HEAP_OS_THREAD_SLOTS; i++) {
        if (!(slots_used & (1ull << i))) {
            slots_used |= 1ull << i;
            s = i;
            break;
        }
    }
    c->heap_slot = s < 0 ? -1 : s + 1;
    if (t != NULL)
        t->heap_slot = c->heap_slot;
    spin_unlock(&slot_lock, f);
    return s;
}

void thread_heap_slot_release(struct thread *t)
{
    if (t->heap_slot <= 0)
        return;
    int s = t->heap_slot - 1;
    ASSERTF(s < HEAP_OS_THREAD_SLOTS, "thread %u: heap slot %d", t->id, s);
    heap_flush_thread_cache(kheap(), s);
    uint32_t f = spin_lock(&slot_lock);
    ASSERTF(slots_used & (1ull << s), "thread %u: heap slot %d is not taken", t->id, s);
    slots_used &= ~(1ull << s);
    spin_unlock(&slot_lock, f);
    t->heap_slot = 0;
}

uint32_t thread_heap_slots_used(void)
{
    return (uint32_t)__builtin_popcountll(slots_used);
}
