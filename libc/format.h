/* printf-style formatting shared by the kernel console and the C library.
 * Supports %d %i %u %x %X %p %s %c %%, the l / ll / z length modifiers,
 * a field width (number or '*'), '0' padding and '-' left alignment. */
#ifndef LIBC_FORMAT_H
#define LIBC_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*format_sink)(void *ctx, char c);

/* Formats into sink; returns the number of characters produced. */
int format_v(format_sink sink, void *ctx, const char *fmt, va_list ap);

/* C99 semantics: writes at most n-1 characters plus NUL (if n > 0) and
 * returns the length the full output would have had. */
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
