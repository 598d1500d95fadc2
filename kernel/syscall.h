/* The system-service dispatcher (`int 0x2E`, ABI in libc/include/ntsvc.h).
 *
 * Two service tables, selected by the number's bits 12-13 as in NT:
 * table 0 (0x0000-) the memory and process services (kernel/syscall.c),
 * table 2 (0x2000-) threads, waits and objects (kernel/syscall_objects.c). */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <stdint.h>

void syscall_init(void);
uint32_t syscall_count(void);

#endif
