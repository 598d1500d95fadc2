/* The formatter behind kprintf: a table of format strings and the exact
 * text C99 printf gives for them. */
#include "tests/ktest.h"
#include "libc/format.h"
#include <string.h>
#include <stdint.h>
#include <stddef.h>

static char out[64];

#define CASE(expect, ...)                                                    \
    do {                                                                     \
        int n_ = snprintf(out, sizeof(out), __VA_ARGS__);                    \
        EXPECT_STREQ(t, out, expect);                                        \
        EXPECT_EQ(t, n_, (int)strlen(expect));                               \
    } while (0)

static void kprintf_integers(struct ktest *t)
{
    CASE("0", "%d", 0);
    CASE("-42", "%d", -42);
    CASE("2147483647 -2147483648", "%d %i", 2147483647, (int)0x80000000u);
    CASE("4294967295", "%u", 0xFFFFFFFFu);
    CASE("deadbeef DEADBEEF", "%x %X", 0xDEADBEEFu, 0xDEADBEEFu);
    CASE("-1 4294967295", "%ld %lu", -1L, 0xFFFFFFFFUL);
    CASE("-9223372036854775808", "%lld", (long long)INT64_MIN);
    CASE("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
    CASE("123456789abcdef0", "%llx", 0x123456789ABCDEF0ULL);
    CASE("4096 1000", "%zu %zx", (size_t)4096, (size_t)4096);
}

static void kprintf_width_and_padding(struct ktest *t)
{
    CASE("   42", "%5d", 42);
    CASE("00042", "%05d", 42);
    CASE("-0042", "%05d", -42);
    CASE("42   |", "%-5d|", 42);
    CASE("0000beef", "%08x", 0xBEEF);
    CASE("  ab", "%*s", 4, "ab");
    CASE("ab  |", "%-4s|", "ab");
    CASE("123456", "%3d", 123456);
}

static void kprintf_strings_chars_pointers(struct ktest *t)
{
    CASE("hello", "%s", "hello");
    const char *volatile null_string = NULL;  /* volatile: gcc rejects a literal NULL for %s */
    CASE("(null)", "%s", null_string);
    CASE("x=A", "x=%c", 'A');
    CASE("100%", "100%%");
    CASE("0x80100000", "%p", (void *)0x80100000u);
    CASE("0x00000010", "%p", (void *)0x10);
}

static void kprintf_truncation(struct ktest *t)
{
    char small[6];
    int n = snprintf(small, sizeof(small), "%s", "abcdefgh");
    EXPECT_EQ(t, n, 8);                  /* the length it wanted */
    EXPECT_STREQ(t, small, "abcde");     /* cut, NUL-terminated */
    EXPECT_EQ(t, snprintf(NULL, 0, "%d", 12345), 5);
}

static const struct ktest_case kprintf_cases[] = {
    KTEST_CASE(kprintf_integers),
    KTEST_CASE(kprintf_width_and_padding),
    KTEST_CASE(kprintf_strings_chars_pointers),
    KTEST_CASE(kprintf_truncation),
    KTEST_END,
};

static const struct ktest_suite kprintf_suite = { .name = "kprintf", .cases = kprintf_cases };
KTEST_SUITE(kprintf_suite);
