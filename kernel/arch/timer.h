/* The PIT (8253/8254 channel 0) as the system tick. */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <stdint.h>

#define TIMER_HZ 1000

void timer_init(void);
uint64_t timer_ticks(void);         /* ticks since timer_init */
/* Called on every tick, in interrupt context. */
void timer_set_tick_hook(void (*fn)(void));
/* With several CPUs: the local APIC timer becomes each CPU's tick (CPU 0
 * calibrates it against the PIT, then masks the PIT); returns its count
 * per tick.  timer_start_here starts it on another CPU (nothing while
 * the PIT ticks). */
uint32_t timer_switch_to_apic(void);
void timer_start_here(void);

#endif
