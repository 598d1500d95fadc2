/* The symbol table built into the image: lookups used by backtraces. */
#include "tests/ktest.h"
#include "kernel/base/ksyms.h"
#include "kernel/base/layout.h"
#include <string.h>

void kmain(uint32_t magic, uint32_t mbi_phys);
void panic_backtrace(uint32_t eip, uint32_t ebp);

static void ksyms_table_present(struct ktest *t)
{
    EXPECT_GT(t, ksyms_count(), 50);
}

static void ksyms_exact_address(struct ktest *t)
{
    const char *name;
    uint32_t off;

    ASSERT_TRUE(t, ksyms_lookup((uint32_t)kmain, &name, &off));
    EXPECT_STREQ(t, name, "kmain");
    EXPECT_EQ(t, off, 0);
    EXPECT_EQ(t, ksyms_address("kmain"), (uint32_t)kmain);
}

static void ksyms_inside_function(struct ktest *t)
{
    const char *name;
    uint32_t off;

    ASSERT_TRUE(t, ksyms_lookup((uint32_t)panic_backtrace + 5, &name, &off));
    EXPECT_STREQ(t, name, "panic_backtrace");
    EXPECT_EQ(t, off, 5);
}

static void ksyms_static_function(struct ktest *t)
{
    const char *name;
    uint32_t off;

    ASSERT_TRUE(t, ksyms_lookup((uint32_t)ksyms_static_function, &name, &off));
    EXPECT_STREQ(t, name, "ksyms_static_function");
}

static void ksyms_outside_text(struct ktest *t)
{
    const char *name;
    uint32_t off;

    EXPECT_FALSE(t, ksyms_lookup(0x1000, &name, &off));
    EXPECT_FALSE(t, ksyms_lookup((uint32_t)__text_end + 16, &name, &off));
    EXPECT_EQ(t, ksyms_address("no_such_symbol_here"), 0);
}

static const struct ktest_case ksyms_cases[] = {
    KTEST_CASE(ksyms_table_present),
    KTEST_CASE(ksyms_exact_address),
    KTEST_CASE(ksyms_inside_function),
    KTEST_CASE(ksyms_static_function),
    KTEST_CASE(ksyms_outside_text),
    KTEST_END,
};

static const struct ktest_suite ksyms_suite = { .name = "ksyms", .cases = ksyms_cases };
KTEST_SUITE(ksyms_suite);
