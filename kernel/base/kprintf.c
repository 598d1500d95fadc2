#include "kernel/base/kprintf.h"
#include "kernel/base/serial.h"
#include "libc/format.h"

static void console_sink(void *ctx, char c)
{
    (void)ctx;
    serial_putc(c);
}

int kvprintf(const char *fmt, va_list ap)
{
    return format_v(console_sink, NULL, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

void kputs(const char *s)
{
    while (*s != '\0')
        serial_putc(*s++);
}
