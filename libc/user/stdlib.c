/* The C library's process control, number parsing and pseudo-random
 * numbers, and the start-up code's C half (sdk_init). */
#include "sdk.h"
#include <ntdll.h>
#include <stdlib.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>

#define ATEXIT_MAX 32

static void (*atexit_fns[ATEXIT_MAX])(void);
static int atexit_count;
static unsigned long rand_state = 1;

/* Constructors (__attribute__((constructor))), collected by user.ld. */
extern void (*const __init_array_start[])(void);
extern void (*const __init_array_end[])(void);

void sdk_init(void)
{
    sdk_thread_init();
    sdk_stdio_init();
    sdk_exception_init();
    NtSetExceptionDispatcher((PVOID)sdk_dispatcher_entry);
    sdk_heap_init();
    for (void (*const *fn)(void) = __init_array_start; fn < __init_array_end; fn++)
        (*fn)();
}

int atexit(void (*fn)(void))
{
    if (atexit_count == ATEXIT_MAX)
        return -1;
    atexit_fns[atexit_count++] = fn;
    return 0;
}

void exit(int status)
{
    while (atexit_count > 0)
        atexit_fns[--atexit_count]();
    ExitProcess((UINT)status);
}

void abort(void)
{
    sdk_terminate(3);
}

/* ---- number parsing ---------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* The common part of the strto* family: skips space, reads the sign and
 * the base prefix, accumulates the magnitude with saturation at limit.
 * *end gets the first character not used (s itself when no digits). */
static unsigned long long parse_magnitude(const char *s, char **end, int base,
                                          unsigned long long limit, bool *negative, bool *overflow)
{
    const char *p = s;
    unsigned long long v = 0;
    bool any = false;

    *negative = false;
    *overflow = false;
    if (base < 0 || base == 1 || base > 36) {
        errno = EINVAL;
        if (end != NULL)
            *end = (char *)s;
        return 0;
    }
    while (is_space(*p))
        p++;
    if (*p == '+' || *p == '-')
        *negative = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    for (; digit_value(*p) < base; p++) {
        unsigned d = (unsigned)digit_value(*p);
        any = true;
        if (v > (limit - d) / (unsigned)base)
            *overflow = true;
        else
            v = v * (unsigned)base + d;
    }
    if (end != NULL)
        *end = (char *)(any ? p : s);
    if (*overflow)
        errno = ERANGE;
    return v;
}

long long strtoll(const char *s, char **end, int base)
{
    bool neg, ovf;
    unsigned long long limit = (unsigned long long)LLONG_MAX + 1;  /* |LLONG_MIN| */
    unsigned long long v = parse_magnitude(s, end, base, limit, &neg, &ovf);

    if (ovf || (!neg && v > (unsigned long long)LLONG_MAX)) {
        errno = ERANGE;
        return neg ? LLONG_MIN : LLONG_MAX;
    }
    return neg ? (long long)(0 - v) : (long long)v;
}

long strtol(const char *s, char **end, int base)
{
    bool neg, ovf;
    unsigned long long limit = (unsigned long long)LONG_MAX + 1;
    unsigned long long v = parse_magnitude(s, end, base, limit, &neg, &ovf);

    if (ovf || (!neg && v > (unsigned long long)LONG_MAX)) {
        errno = ERANGE;
        return neg ? LONG_MIN : LONG_MAX;
    }
    return neg ? (long)(0 - v) : (long)v;
}

/* C11: a '-' negates the value in the unsigned type. */
unsigned long long strtoull(const char *s, char **end, int base)
{
    bool neg, ovf;
    unsigned long long v = parse_magnitude(s, end, base, ULLONG_MAX, &neg, &ovf);

    if (ovf)
        return ULLONG_MAX;
    return neg ? 0 - v : v;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    bool neg, ovf;
    unsigned long long v = parse_magnitude(s, end, base, ULONG_MAX, &neg, &ovf);

    if (ovf)
        return ULONG_MAX;
    return neg ? (unsigned long)(0 - v) : (unsigned long)v;
}

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
    return strtol(s, NULL, 10);
}

long long atoll(const char *s)
{
    return strtoll(s, NULL, 10);
}

/* ---- pseudo-random numbers -------------------------------------------- */

/* The Microsoft C runtime's generator, so seeded sequences match it. */
int rand(void)
{
    rand_state = rand_state * 214013u + 2531011u;
    return (int)((rand_state >> 16) & RAND_MAX);
}

void srand(unsigned int seed)
{
    rand_state = seed;
}

int abs(int v)
{
    return v < 0 ? -v : v;
}

long labs(long v)
{
    return v < 0 ? -v : v;
}

long long llabs(long long v)
{
    return v < 0 ? -v : v;
}
