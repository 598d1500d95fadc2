/* In-kernel unit tests, shaped like KUnit: static cases in a table ending
 * with an empty entry, suites registered in the .ktest_suites linker
 * section, EXPECT_* (record and carry on) and ASSERT_* (leave the case).
 * Results go out as KTAP version 1 over the serial console. */
#ifndef TESTS_KTEST_H
#define TESTS_KTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "kernel/arch/trap.h"

struct ktest {
    const char *name;
    int failures;
    const char *skip_reason;
    struct fault_catch catch;       /* unexpected faults and ASSERT exits land here */
};

struct ktest_case {
    const char *name;
    void (*run)(struct ktest *t);
};

struct ktest_suite {
    const char *name;
    const struct ktest_case *cases;  /* ends with { NULL, NULL } */
    /* Or, for a suite spread over several files: their case tables, one
     * after the other, ending with NULL (each table ends as cases does). */
    const struct ktest_case *const *parts;
    int (*init)(void);               /* optional; non-zero skips the suite */
    void (*exit)(void);              /* optional */
    bool explicit_only;              /* not part of test=all (e.g. selftest) */
};

#define KTEST_CASE(fn) { #fn, fn }
#define KTEST_END { NULL, NULL }
#define KTEST_SUITE(s)                                                        \
    static const struct ktest_suite *const ktest_suite_ptr_##s               \
        __attribute__((used, section(".ktest_suites"))) = &s

/* Runs the suites named in the comma-separated list ("all" = every suite
 * that is not explicit_only).  Prints KTAP and the summary line; returns
 * true when nothing failed. */
bool ktest_run(const char *list);
/* A counter that must read the same before and after every suite (the
 * leak check); e.g. free frames. */
void ktest_register_counter(const char *name, uint64_t (*read)(void));
/* 32-bit xorshift generator with a settable seed, for randomized tests. */
uint32_t ktest_random(void);
uint32_t ktest_seed(void);

/* Implementation of the macros below. */
void ktest_fail_cmp(struct ktest *t, const char *file, int line, const char *what,
                    const char *a_text, const char *b_text, int64_t a, int64_t b);
void ktest_fail_msg(struct ktest *t, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ktest_leave(struct ktest *t) __attribute__((noreturn));
void ktest_skip(struct ktest *t, const char *reason) __attribute__((noreturn));
/* Diagnostic line inside the running case ("    # ..."). */
void ktest_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define KTEST_CMP_(t, a, op, b, what, on_fail)                                \
    do {                                                                      \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                         \
        if (!(a_ op b_)) {                                                    \
            ktest_fail_cmp(t, __FILE__, __LINE__, what, #a, #b, a_, b_);      \
            on_fail;                                                          \
        }                                                                     \
    } while (0)

#define EXPECT_EQ(t, a, b) KTEST_CMP_(t, a, ==, b, "EXPECT_EQ", (void)0)
#define EXPECT_NE(t, a, b) KTEST_CMP_(t, a, !=, b, "EXPECT_NE", (void)0)
#define EXPECT_LT(t, a, b) KTEST_CMP_(t, a, <, b, "EXPECT_LT", (void)0)
#define EXPECT_LE(t, a, b) KTEST_CMP_(t, a, <=, b, "EXPECT_LE", (void)0)
#define EXPECT_GT(t, a, b) KTEST_CMP_(t, a, >, b, "EXPECT_GT", (void)0)
#define EXPECT_GE(t, a, b) KTEST_CMP_(t, a, >=, b, "EXPECT_GE", (void)0)
#define EXPECT_TRUE(t, c) KTEST_CMP_(t, !!(c), ==, 1, "EXPECT_TRUE", (void)0)
#define EXPECT_FALSE(t, c) KTEST_CMP_(t, !!(c), ==, 0, "EXPECT_FALSE", (void)0)
#define ASSERT_EQ(t, a, b) KTEST_CMP_(t, a, ==, b, "ASSERT_EQ", ktest_leave(t))
#define ASSERT_NE(t, a, b) KTEST_CMP_(t, a, !=, b, "ASSERT_NE", ktest_leave(t))
#define ASSERT_LT(t, a, b) KTEST_CMP_(t, a, <, b, "ASSERT_LT", ktest_leave(t))
#define ASSERT_LE(t, a, b) KTEST_CMP_(t, a, <=, b, "ASSERT_LE", ktest_leave(t))
#define ASSERT_GT(t, a, b) KTEST_CMP_(t, a, >, b, "ASSERT_GT", ktest_leave(t))
#define ASSERT_GE(t, a, b) KTEST_CMP_(t, a, >=, b, "ASSERT_GE", ktest_leave(t))
#define ASSERT_TRUE(t, c) KTEST_CMP_(t, !!(c), ==, 1, "ASSERT_TRUE", ktest_leave(t))
#define ASSERT_FALSE(t, c) KTEST_CMP_(t, !!(c), ==, 0, "ASSERT_FALSE", ktest_leave(t))
#define EXPECT_PTR_EQ(t, a, b) EXPECT_EQ(t, (uintptr_t)(a), (uintptr_t)(b))
#define ASSERT_PTR_NE(t, a, b) ASSERT_NE(t, (uintptr_t)(a), (uintptr_t)(b))
#define EXPECT_STREQ(t, a, b)                                                 \
    do {                                                                      \
        const char *sa_ = (a), *sb_ = (b);                                    \
        if (strcmp(sa_, sb_) != 0)                                            \
            ktest_fail_msg(t, __FILE__, __LINE__,                             \
                           "EXPECT_STREQ(%s, %s) failed: \"%s\" != \"%s\"",   \
                           #a, #b, sa_, sb_);                                 \
    } while (0)

/* Runs stmt, which must fault; rec (a struct fault_record *) gets the
 * vector, error code, CR2 and EIP the handler saw.  Fails the case when
 * nothing faulted. */
#define EXPECT_FAULT(t, rec, stmt)                                            \
    do {                                                                      \
        CATCH_FAULT(rec, stmt);                                               \
        if ((rec)->vector == FAULT_NONE)                                      \
            ktest_fail_msg(t, __FILE__, __LINE__,                             \
                           "expected a fault from `%s`, none happened", #stmt); \
    } while (0)

#endif
