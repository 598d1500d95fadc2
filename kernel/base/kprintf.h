/* kprintf and friends: kernel output over the serial port. */
#ifndef KERNEL_BASE_KPRINTF_H
#define KERNEL_BASE_KPRINTF_H

#include <stdarg.h>

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);
void kputs(const char *s);              /* no newline appended */

#endif
