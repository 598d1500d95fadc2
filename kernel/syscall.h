/* The system-service dispatcher (`int 0x2E`, ABI in libc/include/ntsvc.h). */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <stdint.h>

void syscall_init(void);
uint32_t syscall_count(void);

#endif
