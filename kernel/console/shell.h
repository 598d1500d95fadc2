/* The interactive serial console (the default job of `make run`). */
#ifndef KERNEL_CONSOLE_SHELL_H
#define KERNEL_CONSOLE_SHELL_H

void shell_run(void) __attribute__((noreturn));
/* Called when the console starts waiting for input (a debugger's stop). */
void shell_wait_input(void);

#endif
