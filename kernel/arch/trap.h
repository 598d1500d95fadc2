/* Interrupts and CPU exceptions: the IDT, the trap frame, handler hooks,
 * and the hand-over of unhandled faults to the fault catches of
 * kernel/base/fault_catch.h. */
#ifndef KERNEL_TRAP_H
#define KERNEL_TRAP_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/base/fault_catch.h"

/* Exception vectors (Intel SDM Vol.3 6.15). */
#define T_DE 0      /* divide error */
#define T_DB 1
#define T_NMI 2
#define T_BP 3      /* breakpoint (int3): a trap, resumes after the int3 */
#define T_OF 4
#define T_BR 5
#define T_UD 6      /* invalid opcode */
#define T_NM 7
#define T_DF 8      /* double fault: handled by a task gate */
#define T_TS 10
#define T_NP 11
#define T_SS 12
#define T_GP 13     /* general protection */
#define T_PF 14     /* page fault: CR2 holds the linear address */
#define T_MF 16
#define T_AC 17
#define T_MC 18
#define T_XM 19
#define T_IRQ0 0x30 /* PIC IRQs are remapped to 0x30..0x3F, as NT x86 does: 0x2E is the system-service vector */
#define T_SYSCALL 0x2E
/* The local APIC's timer and IPI vectors (kernel/arch/apic.h): like the
 * PIC's IRQs, their exit may switch threads. */
#define T_APIC_FIRST 0x20
#define T_APIC_END 0x24

/* #PF error code bits (Intel SDM Vol.3 4.7). */
#define PF_P 0x01       /* 0: not present, 1: protection violation */
#define PF_W 0x02       /* 0: read, 1: write */
#define PF_U 0x04       /* 0: supervisor, 1: user mode */
#define PF_RSVD 0x08    /* reserved bit set in a paging entry */
#define PF_I 0x10       /* instruction fetch */

/* Pushed by the assembly stubs; field order matches kernel/isr.asm. */
struct trap_frame {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
    uint32_t vector, error;
    uint32_t eip, cs, eflags;
    uint32_t user_esp, user_ss;     /* valid only when coming from ring 3 */
};

/* A handler returns true when it dealt with the trap, false to let the
 * fault catching and then panic see it. */
typedef bool (*trap_handler)(struct trap_frame *tf);

void trap_init(void);
/* Loads the one IDT on this CPU (an application processor's start). */
void trap_load_idt(void);
void trap_set_handler(unsigned vector, trap_handler h);
/* Called after the EOI of every hardware interrupt (the scheduler's
 * preemption point). */
void trap_set_irq_exit_hook(void (*fn)(void));
/* Lets ring 3 use `int vector` (gate DPL 3). */
void trap_set_gate_dpl3(unsigned vector);
/* Called for every exception from ring 3 that no handler resolved; it
 * either rewrites the frame (delivery to the program) or ends the process. */
void trap_set_user_exception_handler(void (*fn)(struct trap_frame *tf));
/* Called last before every return to ring 3 from an interrupt or an
 * exception (the system-service path calls its own): where a thread that
 * was asked to suspend or to end does so. */
void trap_set_user_return_hook(void (*fn)(struct trap_frame *tf));
const char *trap_name(unsigned vector);
/* Prints the frame, control registers, #PF decoding and a backtrace. */
void trap_report(const struct trap_frame *tf);
/* Panic with the report of a fault nobody handled: the trap frame's
 * registers, CR2 and the decoded #PF error code, and the backtrace from
 * the faulting frame. */
void panic_trap(const struct trap_frame *tf, const char *why) __attribute__((noreturn));
/* A kernel-mode fault no handler resolved goes to this hook before any
 * fault catch: it returns true when it repaired the frame (the user-copy
 * fixup registers itself here: a bad user pointer makes the copy fail). */
void trap_set_kernel_fixup(bool (*fn)(struct trap_frame *tf));
/* The ESP the interrupted code had (for ring 0 the CPU pushed no ESP). */
uint32_t trap_frame_esp(const struct trap_frame *tf);

#endif
