/* The local APIC (Intel SDM Vol.3 ch. 11): identification, EOI,
 * inter-processor interrupts and the start-up sequence.  Its registers
 * are memory-mapped; the kernel layer maps them (kernel/smp.c) and hands
 * the address to apic_init. */
#ifndef KERNEL_ARCH_APIC_H
#define KERNEL_ARCH_APIC_H

#include <stdbool.h>
#include <stdint.h>

/* Vectors of the local APIC's own interrupts, below the PIC's 0x30. */
#define T_APIC_TIMER 0x20
#define T_IPI_TLB 0x21          /* TLB shootdown (mm/paging) */
#define T_IPI_CALL 0x22         /* run a function on another CPU (kernel/smp.c) */
#define T_IPI_RESCHED 0x23      /* switch threads at the interrupt's exit (kernel/thread.c) */
#define T_APIC_SPURIOUS 0x2F    /* low nibble 1111: valid on every APIC (SDM 11.9) */

/* The APIC id of the CPU running this, from CPUID leaf 1 (works before
 * the registers are mapped). */
uint8_t apic_cpuid_id(void);
/* Records where the registers are mapped; true once usable. */
void apic_init(uint32_t regs_va);
bool apic_present(void);
/* Enables this CPU's local APIC (spurious vector, task priority 0). */
void apic_enable_here(void);
uint8_t apic_read_id(void);
void apic_eoi(void);
/* A fixed-delivery IPI of vector to one CPU; waits until it is sent. */
void apic_send_ipi(uint8_t apic_id, uint8_t vector);
/* An NMI to every CPU but this one (a panic stops the others). */
void apic_send_nmi_others(void);
/* INIT, then the start-up IPI for real-mode code at page * 4096. */
void apic_send_init(uint8_t apic_id);
void apic_send_sipi(uint8_t apic_id, uint8_t page);
/* The local timer, counting down at bus clock / 16: a masked one-shot
 * run (for calibration), its current count, and a periodic interrupt
 * at T_APIC_TIMER every count. */
void apic_timer_oneshot_masked(uint32_t count);
uint32_t apic_timer_current(void);
void apic_timer_periodic(uint32_t count);

#endif
