/* The formatter behind kprintf and snprintf. */
#include "libc/format.h"
#include <stdint.h>
#include <stdbool.h>

struct format_spec {
    int width;
    bool zero_pad;
    bool left;
    int length;             /* 0 int, 1 long, 2 long long, 3 size_t */
};

struct format_out {
    format_sink sink;
    void *ctx;
    int count;
};

static void out_char(struct format_out *o, char c)
{
    o->sink(o->ctx, c);
    o->count++;
}

static void out_padding(struct format_out *o, int n, char c)
{
    while (n-- > 0)
        out_char(o, c);
}

/* Emits digits (already in reverse order in rev[0..len)) with sign and padding. */
static void out_number(struct format_out *o, const struct format_spec *s,
                       const char *rev, int len, bool negative)
{
    int body = len + (negative ? 1 : 0);
    int pad = s->width > body ? s->width - body : 0;

    if (!s->left && !s->zero_pad)
        out_padding(o, pad, ' ');
    if (negative)
        out_char(o, '-');
    if (!s->left && s->zero_pad)
        out_padding(o, pad, '0');
    while (len > 0)
        out_char(o, rev[--len]);
    if (s->left)
        out_padding(o, pad, ' ');
}

static void format_unsigned(struct format_out *o, const struct format_spec *s,
                            uint64_t v, unsigned base, bool upper, bool negative)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char rev[24];
    int len = 0;

    do {
        rev[len++] = digits[v % base];
        v /= base;
    } while (v != 0);
    out_number(o, s, rev, len, negative);
}

static void format_string(struct format_out *o, const struct format_spec *s, const char *str)
{
    int len = 0;

    if (str == NULL)
        str = "(null)";
    while (str[len] != '\0')
        len++;
    if (!s->left)
        out_padding(o, s->width - len, ' ');
    for (int i = 0; i < len; i++)
        out_char(o, str[i]);
    if (s->left)
        out_padding(o, s->width - len, ' ');
}

static uint64_t fetch_unsigned(const struct format_spec *s, va_list *ap)
{
    switch (s->length) {
    case 2: return va_arg(*ap, unsigned long long);
    case 1: return va_arg(*ap, unsigned long);
    case 3: return va_arg(*ap, size_t);
    default: return va_arg(*ap, unsigned int);
    }
}

static int64_t fetch_signed(const struct format_spec *s, va_list *ap)
{
    switch (s->length) {
    case 2: return va_arg(*ap, long long);
    case 1: return va_arg(*ap, long);
    case 3: return (int64_t)(intptr_t)va_arg(*ap, size_t);
    default: return va_arg(*ap, int);
    }
}

/* Parses flags, width and length after '%'; returns the conversion char. */
static const char *parse_spec(const char *p, struct format_spec *s, va_list *ap)
{
    *s = (struct format_spec){ 0 };
    for (;; p++) {
        if (*p == '0')
            s->zero_pad = true;
        else if (*p == '-')
            s->left = true;
        else
            break;
    }
    if (*p == '*') {
        s->width = va_arg(*ap, int);
        if (s->width < 0) {
            s->left = true;
            s->width = -s->width;
        }
        p++;
    }
    while (*p >= '0' && *p <= '9')
        s->width = s->width * 10 + (*p++ - '0');
    if (*p == 'l') {
        s->length = 1;
        if (*++p == 'l') {
            s->length = 2;
            p++;
        }
    } else if (*p == 'z') {
        s->length = 3;
        p++;
    }
    return p;
}

static void format_one(struct format_out *o, struct format_spec *s, char conv, va_list *ap)
{
    switch (conv) {
    case 'd':
    case 'i': {
        int64_t v = fetch_signed(s, ap);
        uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        format_unsigned(o, s, mag, 10, false, v < 0);
        break;
    }
    case 'u': format_unsigned(o, s, fetch_unsigned(s, ap), 10, false, false); break;
    case 'x': format_unsigned(o, s, fetch_unsigned(s, ap), 16, false, false); break;
    case 'X': format_unsigned(o, s, fetch_unsigned(s, ap), 16, true, false); break;
    case 'p':
        /* Always 0x followed by 8 hex digits on this 32-bit target. */
        out_char(o, '0');
        out_char(o, 'x');
        s->width = 2 * (int)sizeof(void *);
        s->zero_pad = true;
        s->left = false;
        format_unsigned(o, s, (uintptr_t)va_arg(*ap, void *), 16, false, false);
        break;
    case 's': format_string(o, s, va_arg(*ap, const char *)); break;
    case 'c': {
        char c[2] = { (char)va_arg(*ap, int), '\0' };
        format_string(o, s, c);
        break;
    }
    case '%': out_char(o, '%'); break;
    default:
        /* Unknown conversion: show it rather than swallow it. */
        out_char(o, '%');
        if (conv != '\0')
            out_char(o, conv);
        break;
    }
}

int format_v(format_sink sink, void *ctx, const char *fmt, va_list ap)
{
    struct format_out o = { sink, ctx, 0 };
    struct format_spec s;
    va_list args;

    va_copy(args, ap);
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%') {
            out_char(&o, *p);
            continue;
        }
        p = parse_spec(p + 1, &s, &args);
        format_one(&o, &s, *p, &args);
        if (*p == '\0')
            break;
    }
    va_end(args);
    return o.count;
}

struct buffer_sink {
    char *buf;
    size_t cap;
    size_t len;
};

static void buffer_put(void *ctx, char c)
{
    struct buffer_sink *b = ctx;

    if (b->len + 1 < b->cap)
        b->buf[b->len] = c;
    b->len++;
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct buffer_sink b = { buf, n, 0 };
    int count = format_v(buffer_put, &b, fmt, ap);

    if (n > 0)
        buf[b.len < n ? b.len : n - 1] = '\0';
    return count;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}
