/* <setjmp.h> for user programs (libc/user/context.asm): the callee-saved
 * registers, the stack pointer and the return address. */
#ifndef _LIBC_SETJMP_H
#define _LIBC_SETJMP_H

/* ebx, esi, edi, ebp, esp (after return), eip (the return address) */
typedef unsigned long jmp_buf[6];

int setjmp(jmp_buf env) __attribute__((returns_twice));
__attribute__((noreturn)) void longjmp(jmp_buf env, int value);

#endif
