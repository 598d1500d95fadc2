/* The PIT (8253/8254 channel 0) as the system tick. */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <stdint.h>

#define TIMER_HZ 1000

void timer_init(void);
uint64_t timer_ticks(void);         /* ticks since timer_init */
/* Called on every tick, in interrupt context. */
void timer_set_tick_hook(void (*fn)(void));

#endif
