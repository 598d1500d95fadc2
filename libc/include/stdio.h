/* <stdio.h> for user programs: formatted output to the program's stdout,
 * which is the serial console (through NtDebugPrint).  Output is
 * buffered and goes out at each '\n', when the buffer fills, and when the
 * program ends (return from main, exit, ExitProcess, or an unhandled
 * exception).  There are no FILE streams and no input.  Conversions:
 * %d %i %u %x %X %p %s %c %% with the l / ll / z modifiers, a width and
 * the '0' and '-' flags (libc/format.c). */
#ifndef _LIBC_STDIO_H
#define _LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int sprintf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vsprintf(char *buf, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
/* Writes s and a newline; returns a non-negative number. */
int puts(const char *s);
/* Returns c as an unsigned char. */
int putchar(int c);

#endif
