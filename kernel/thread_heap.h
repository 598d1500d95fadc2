/* Heap slots of kernel threads: the index heap_os_thread_slot() gives the
 * heap engine for its per-thread caches (mm/heap/heap_os.h), one per
 * thread that uses the kernel heap, unique among live threads.
 *
 * Why per thread and not per CPU: the engine's cache fast path marks the
 * cache busy, pops or pushes a list and clears the mark with no atomic
 * instruction and no interrupt masking, and kernel threads run with
 * interrupts on, so a tick may switch threads in the middle of it.  With
 * per-CPU caches the next thread on that CPU would work on the same list
 * half-way through an update; with a slot per thread the list is only
 * ever its owner's, on whatever CPU the owner resumes.
 *
 * The slot of the running thread is kept in struct cpu (heap_slot) and
 * swapped by the scheduler at every switch, so the fast path reads it in
 * one %gs-relative load.  One instruction matters: loading this_cpu()
 * first and the field second could be split by a switch that moves the
 * thread to another CPU, and the field read would then be the other CPU's
 * thread's slot. */
#ifndef KERNEL_THREAD_HEAP_H
#define KERNEL_THREAD_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include "kernel/base/percpu.h"

struct thread;

/* The running thread's slot + 1; 0 when it has none yet, -1 when it has
 * none and never will (the caches are off, or all slots were taken). */
static inline int thread_heap_slot_word(void)
{
    return this_cpu_read32(heap_slot);
}

/* Gives the running thread a slot (the lowest free) and returns it; with
 * want false, or every slot taken, records "none" and returns -1.  Code
 * that runs before the thread table (kheap_init) is the boot thread's:
 * thread_init hands what it took to the boot thread. */
int thread_heap_slot_take(bool want);

/* t has ended (it is reaped): its caches of the kernel heap go back to the
 * heap and its slot is free for the next thread.  No lock held. */
void thread_heap_slot_release(struct thread *t);

/* Slots in use (tests). */
uint32_t thread_heap_slots_used(void);

#endif
