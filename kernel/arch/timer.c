#include "kernel/arch/timer.h"
#include "kernel/arch/trap.h"
#include "kernel/arch/pic.h"
#include "kernel/base/x86.h"
#include <stddef.h>

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_INPUT_HZ 1193182
#define PIT_RATE_GENERATOR 0x34     /* channel 0, lo/hi byte, mode 2 */

static volatile uint64_t ticks;
static void (*tick_hook)(void);

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
    uint32_t flags = irq_save();
    uint64_t t = ticks;
    irq_restore(flags);
    return t;
}
