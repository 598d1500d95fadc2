/* The names kernel/arch/isr.asm and the C side share: the stub table the
 * IDT is filled from, and the C functions the stubs call.  The stubs call
 * up into the system-service dispatcher, so it is declared here, as an
 * interface both sides include, rather than the stubs depending on it. */
#ifndef KERNEL_ARCH_ENTRY_H
#define KERNEL_ARCH_ENTRY_H

#include <stdint.h>

struct trap_frame;

#define TRAP_STUB_COUNT 64

/* isr.asm: one entry stub per vector 0..TRAP_STUB_COUNT-1. */
extern const uint32_t trap_stub_table[TRAP_STUB_COUNT];

/* Every interrupt and exception but int 0x2E (kernel/arch/trap.c). */
void trap_dispatch(struct trap_frame *tf);
/* int 0x2E, the system-service vector (kernel/syscall.c): the interrupted
 * user state is in tf; the NTSTATUS goes back in tf->eax. */
void syscall_dispatch(struct trap_frame *tf);

#endif
