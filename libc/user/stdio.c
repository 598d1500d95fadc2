/* stdout: a line buffer in front of NtDebugPrint (the serial console).
 * One service call per line keeps the program's lines whole on the
 * console and costs one round trip per line, not per character.  A
 * critical section keeps each call's output together when threads print
 * at once (made before main by sdk_stdio_init). */
#include "sdk.h"
#include <ntdll.h>
#include <stdio.h>
#include <string.h>
#include "libc/format.h"

#define STDOUT_BUFFER 256

static char out_buf[STDOUT_BUFFER];
static ULONG out_len;
static CRITICAL_SECTION out_lock;
static char out_last = '\n';              /* the last character written */

void sdk_stdio_init(void)
{
    sdk_lock_init(&out_lock);
}

bool sdk_stdio_try_lock(void)
{
    return TryEnterCriticalSection(&out_lock);
}

void sdk_stdio_unlock(void)
{
    LeaveCriticalSection(&out_lock);
}

void sdk_stdio_flush_unlocked(void)
{
    if (out_len > 0)
        NtDebugPrint(out_buf, out_len);
    out_len = 0;
}

void sdk_stdio_flush(void)
{
    EnterCriticalSection(&out_lock);
    sdk_stdio_flush_unlocked();
    LeaveCriticalSection(&out_lock);
}

bool sdk_stdio_at_line_start(void)
{
    return out_last == '\n';
}

static void out_put(char c)
{
    out_last = c;
    out_buf[out_len++] = c;
    if (c == '\n' || out_len == sizeof(out_buf))
        sdk_stdio_flush_unlocked();
}

static void stdout_sink(void *ctx, char c)
{
    (void)ctx;
    out_put(c);
}

int vprintf(const char *fmt, va_list ap)
{
    EnterCriticalSection(&out_lock);
    int n = format_v(stdout_sink, NULL, fmt, ap);
    LeaveCriticalSection(&out_lock);
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

/* vsnprintf with no limit, as C's vsprintf (the caller sizes buf). */
int vsprintf(char *buf, const char *fmt, va_list ap)
{
    return vsnprintf(buf, (size_t)-1 / 2, fmt, ap);
}

int sprintf(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsprintf(buf, fmt, ap);
    va_end(ap);
    return n;
}

int putchar(int c)
{
    EnterCriticalSection(&out_lock);
    out_put((char)c);
    LeaveCriticalSection(&out_lock);
    return (unsigned char)c;
}

int puts(const char *s)
{
    EnterCriticalSection(&out_lock);
    while (*s != '\0')
        out_put(*s++);
    out_put('\n');
    LeaveCriticalSection(&out_lock);
    return 1;
}
