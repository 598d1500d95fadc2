/* Per-CPU data, reached through one accessor: this_cpu().
 *
 * Each CPU has its own GDT (kernel/arch/gdt.c) whose SEL_PERCPU descriptor
 * has that CPU's struct cpu as its base, and the kernel keeps GS loaded
 * with SEL_PERCPU (the entry stubs reload it on every trap from ring 3),
 * so %gs:0 is the CPU's own self pointer: one load, no APIC read, as NT
 * reaches its KPCR through a segment.  Fields are owned by the layer
 * named beside them; only the owner writes them, and only on its CPU
 * unless it says otherwise. */
#ifndef KERNEL_BASE_PERCPU_H
#define KERNEL_BASE_PERCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_CPUS 8
#define LOCK_HELD_MAX 8             /* spinlocks one CPU may hold at once */

struct spinlock;
struct fault_catch;
#define CATCH_DEPTH 8               /* fault catches one thread may nest */

struct cpu {
    struct cpu *self;               /* must stay first: this_cpu() reads %gs:0 */
    uint32_t index;                 /* 0 = the boot CPU */
    uint32_t apic_id;
    volatile uint32_t online;       /* set by the CPU itself when it is up */
    /* kernel/base/lock.c: the spinlocks held here, in order */
    const struct spinlock *held[LOCK_HELD_MAX];
    uint32_t held_count;
    /* kernel/base/panic.c: the innermost fault catch of the thread running
     * here (a list through the catches, on that thread's stack);
     * kernel/thread.c swaps it with the thread at every switch, so the
     * catches are per thread and follow a thread that moves to another CPU */
    struct fault_catch *catch_top;
    /* kernel/arch: interrupt counts */
    uint32_t local_ticks;
    uint32_t ipis_received;
    /* mm/paging: TLB shootdown work done on this CPU for others */
    uint32_t tlb_shootdowns_served;
    uint32_t tlb_pages_flushed_remote;
    /* mm/tlb.c: the active-CPU set of the address space in this CPU's CR3 */
    volatile uint32_t *space_cpus;
    /* kernel/thread.c: the thread running here and this CPU's idle
     * thread (opaque below it); a tick or IPI asked for a switch here */
    void *thread;
    void *idle_thread;
    volatile bool resched;
    uint32_t switches;              /* context switches on this CPU */
    /* kernel/thread.c and kernel/thread_heap.c: the running thread's heap
     * slot + 1 (its per-thread heap caches), 0 none taken yet, -1 none:
     * swapped at every switch, read by the heap's fast path in one
     * %gs-relative load (thread_heap.h says why one) */
    int heap_slot;
    uint32_t idle_turns;
    uint64_t switched_in_tsc;       /* TSC when the running thread came in (its cycle count) */
    /* mm/vm.c and mm/paging.c: the address space and directory loaded
     * here (opaque below them) */
    void *vm_space;
    void *pgdir;
};

extern struct cpu cpu_table[MAX_CPUS];
/* CPUs found (1 until discovery says more); CPUs started so far. */
extern uint32_t cpu_count;
extern volatile uint32_t cpus_online;
extern volatile uint32_t cpus_online_mask;  /* bit i: CPU i is online */
/* True once GS holds a per-CPU segment (gdt_init on the boot CPU). */
extern bool percpu_ready;

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("movl %%gs:0, %0" : "=r"(c));
    return c;
}

/* One 32-bit field of this CPU's struct cpu in one GS-relative load,
 * without loading the self pointer first.  volatile, like this_cpu(): a
 * thread may move to another CPU between two reads, so the compiler must
 * not reuse one read for the next. */
#define this_cpu_read32(field)                                                    \
    ({                                                                            \
        _Static_assert(sizeof(((struct cpu *)0)->field) == 4, "a 32-bit field");  \
        uint32_t v__;                                                             \
        __asm__ volatile("movl %%gs:%c1, %0" : "=r"(v__)                         \
                         : "i"(offsetof(struct cpu, field)));                     \
        (__typeof__(((struct cpu *)0)->field))v__;                                \
    })

/* The CPU index, 0 before per-CPU data exists (early boot is CPU 0). */
static inline uint32_t cpu_index(void)
{
    return percpu_ready ? this_cpu_read32(index) : 0;
}

/* The CPU index where GS is known to hold the per-CPU segment: every
 * kernel path from gdt_init (the first call in kmain; gdt_init_ap on the
 * other CPUs) on, as the entry stubs reload GS on every trap.  The
 * spinlocks use it: none is taken before gdt_init. */
static inline uint32_t cpu_index_here(void)
{
    return this_cpu_read32(index);
}

#endif
