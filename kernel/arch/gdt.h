/* Segments and task-state segments.  Flat 4 GiB segments: paging does
 * all the protection.  Selectors as NT x86 lays them out where it can. */
#ifndef KERNEL_GDT_H
#define KERNEL_GDT_H

#include <stdint.h>

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1B      /* GDT index 3, RPL 3 (ring-3 code, for later) */
#define SEL_UDATA 0x23      /* GDT index 4, RPL 3 */
#define SEL_TSS 0x28        /* the TSS ring-3 -> ring-0 transitions use */
#define SEL_DF_TSS 0x30     /* the double-fault task */
/* The running user thread's TEB, reached through fs: as on NT x86
 * (KGDT_R3_TEB = 0x38, used with RPL 3): a ring-3 data segment whose base
 * the scheduler moves to the TEB of the thread it switches to. */
#define SEL_TEB 0x3B
/* This CPU's struct cpu (kernel/base/percpu.h): the kernel keeps it in GS. */
#define SEL_PERCPU 0x40
/* Ring 3's GetCurrentProcessorNumber: LSL of this selector is the CPU's
 * index (its limit; never loaded into a segment register). */
#define SEL_CPUNUM 0x4B

/* The boot CPU's tables; per-CPU data works from here on. */
void gdt_init(void);
/* An application processor's own GDT, TSS and double-fault TSS, loaded on
 * that CPU with GS on its struct cpu; esp0 is its ring-0 stack. */
void gdt_init_ap(uint32_t index, uint32_t esp0);
/* ESP0 of this CPU's main TSS: the stack the CPU switches to on entry from ring 3. */
void tss_set_kernel_stack(uint32_t esp0);
/* CR3 the double-fault task runs with (the kernel page directory). */
void tss_set_double_fault_cr3(uint32_t cr3);
/* Points the TEB segment (SEL_TEB) at a user thread's TEB (one page).
 * The CPU reads the descriptor when fs is loaded, which every return to
 * ring 3 does (trap_return pops fs). */
void gdt_set_teb(uint32_t teb);

#endif
