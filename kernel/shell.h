/* The interactive serial console (the default job of `make run`). */
#ifndef KERNEL_SHELL_H
#define KERNEL_SHELL_H

void shell_run(void) __attribute__((noreturn));

#endif
