#include "kernel/arch/timer.h"
#include "kernel/arch/trap.h"
#include "kernel/arch/pic.h"
#include "kernel/arch/apic.h"
#include "kernel/base/panic.h"
#include "kernel/base/percpu.h"
#include "kernel/base/x86.h"
#include <stddef.h>

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_INPUT_HZ 1193182
#define PIT_RATE_GENERATOR 0x34     /* channel 0, lo/hi byte, mode 2 */

/* Written only by CPU 0's tick.  Other CPUs read it without the lock:
 * high half, low half, high half again until the high halves agree. */
static volatile uint64_t ticks;
static void (*tick_hook)(void);
static uint32_t apic_count;         /* local APIC timer count per tick, 0: the PIT ticks */

static bool timer_irq(struct trap_frame *tf)
{
    (void)tf;
    ticks++;
    if (tick_hook != NULL)
        tick_hook();
    return true;
}

void timer_set_tick_hook(void (*fn)(void))
{
    tick_hook = fn;
}

void timer_init(void)
{
    uint16_t divisor = PIT_INPUT_HZ / TIMER_HZ;

    outb(PIT_CMD, PIT_RATE_GENERATOR);
    outb(PIT_CH0, divisor & 0xFF);
    outb(PIT_CH0, divisor >> 8);
    trap_set_handler(T_IRQ0, timer_irq);
    pic_unmask(0);
}

uint64_t timer_ticks(void)
{
    volatile uint32_t *half = (volatile uint32_t *)&ticks;
    uint32_t hi, lo;
    do {
        hi = half[1];
        lo = half[0];
    } while (half[1] != hi);
    return ((uint64_t)hi << 32) | lo;
}

/* Each CPU's local APIC timer: CPU 0's also keeps the time. */
static bool apic_timer_irq(struct trap_frame *tf)
{
    (void)tf;
    struct cpu *c = this_cpu();
    c->local_ticks++;
    if (c->index == 0)
        ticks++;
    apic_eoi();
    if (tick_hook != NULL)
        tick_hook();
    return true;
}

/* Counts the local APIC timer against 10 PIT ticks, then makes it this
 * CPU's tick and silences the PIT.  Interrupts on (the PIT must tick). */
uint32_t timer_switch_to_apic(void)
{
    ASSERT(cpu_index() == 0 && (read_eflags() & EFLAGS_IF));
    apic_timer_oneshot_masked(0xFFFFFFFFu);
    uint64_t t0 = ticks;
    while (ticks == t0)
        hlt();
    uint32_t start = apic_timer_current();
    t0 = ticks;
    while (ticks < t0 + 10)
        hlt();
    uint32_t count = (start - apic_timer_current()) / 10;
    ASSERTF(count > 0, "local APIC timer did not count (%u)", start);
    trap_set_handler(T_APIC_TIMER, apic_timer_irq);
    uint32_t flags = irq_save();
    pic_mask_irq(0);
    apic_count = count;
    apic_timer_periodic(count);
    irq_restore(flags);
    return count;
}

void timer_start_here(void)
{
    if (apic_count != 0)
        apic_timer_periodic(apic_count);
}
