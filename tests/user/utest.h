/* Tests for user programs, shaped like the kernel's tests/ktest.h: static
 * cases in a table ending with an empty entry, suites with optional
 * init/exit, EXPECT_* (record and carry on) and ASSERT_* (leave the case).
 * The output is KTAP version 1 on stdout, the same shape as the kernel's,
 * but nested: the kernel runs every program as one subtest of the boot's
 * single KTAP document (kernel/programs.c), with two cases of its own,
 * exit_status and leak_check, and the program's document is the subtest of
 * exit_status (the exit status is the program's verdict on its suites), so
 * it starts two levels (8 spaces) deep.  Programs run only from the
 * kernel (run=, make run-user; the console's `run` prints the same lines
 * without the kernel's part) and a process gets no command line, so the
 * depth is fixed rather than passed in.  The boot's log for run=prog:
 *
 *     KTAP version 1                              (the kernel)
 *     1..1
 *         KTAP version 1
 *         # Subtest: prog
 *         1..2
 *             KTAP version 1                      (the program, from here)
 *             1..<suites>
 *             # seed=<n>
 *                 KTAP version 1
 *                 # Subtest: <suite>
 *                 1..<cases>
 *                 ok 1 <case>
 *                 not ok 2 <case>
 *                 # <file>:<line>: EXPECT_EQ(a, b) failed     (both values in decimal and hex)
 *                 ok 3 <case> # SKIP <reason>
 *             ok 1 <suite>
 *             # <n> passed, <n> failed[, <n> skipped]
 *     process prog: exit status 0x00000000        (the kernel, from here)
 *         ok 1 exit_status
 *         ok 2 leak_check
 *     ok 1 prog
 *
 * A program is a test when its main is
 *
 *     static const struct utest_suite *const suites[] = { &my_suite, NULL };
 *     int main(void) { return utest_main(suites); }
 *
 * which returns 0 exactly when nothing failed.  An exception nobody
 * expected fails the running case (with the exception code, address and
 * EIP) and the program goes on with the next case.  Link with
 * build/user/libutest.a (the Makefile does for tests/user/ and run-user). */
#ifndef TESTS_USER_UTEST_H
#define TESTS_USER_UTEST_H

#include <windows.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

struct utest {
    const char *name;
    int failures;
    const char *skip_reason;
    jmp_buf leave;                  /* ASSERT, skip and unexpected exceptions land here */
};

struct utest_case {
    const char *name;
    void (*run)(struct utest *t);
};

struct utest_suite {
    const char *name;
    const struct utest_case *cases;  /* ends with UTEST_END */
    int (*init)(void);               /* optional; non-zero skips the suite */
    void (*exit)(void);              /* optional */
};

#define UTEST_CASE(fn) { #fn, fn }
#define UTEST_END { NULL, NULL }

/* Runs the suites (a NULL-terminated array), prints KTAP and the summary
 * line; returns 0 when nothing failed, 1 otherwise. */
int utest_main(const struct utest_suite *const *suites);
/* A counter that must read the same before and after every suite; a
 * difference fails the suite's extra "leak_check" case.  At most 8. */
void utest_register_counter(const char *name, uint64_t (*read)(void));
/* Ready-made counters (NtQuerySystemCounters): the reservations in this
 * address space, and the system's commit charge in pages. */
uint64_t utest_counter_allocations(void);
uint64_t utest_counter_commit_charge(void);
/* xorshift32; the seed (printed as "# seed=N") is set with utest_set_seed
 * before utest_main, else a fixed default. */
void utest_set_seed(uint32_t seed);
uint32_t utest_seed(void);
uint32_t utest_random(void);
/* A diagnostic line inside the running case ("# ..." at the case's depth). */
void utest_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Implementation of the macros below. */
void utest_fail_cmp(struct utest *t, const char *file, int line, const char *what,
                    const char *a_text, const char *b_text, int64_t a, int64_t b);
void utest_fail_msg(struct utest *t, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
__attribute__((noreturn)) void utest_leave(struct utest *t);
__attribute__((noreturn)) void utest_skip(struct utest *t, const char *reason);

#define UTEST_CMP_(t, a, op, b, what, on_fail)                                \
    do {                                                                      \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                         \
        if (!(a_ op b_)) {                                                    \
            utest_fail_cmp(t, __FILE__, __LINE__, what, #a, #b, a_, b_);      \
            on_fail;                                                          \
        }                                                                     \
    } while (0)

#define EXPECT_EQ(t, a, b) UTEST_CMP_(t, a, ==, b, "EXPECT_EQ", (void)0)
#define EXPECT_NE(t, a, b) UTEST_CMP_(t, a, !=, b, "EXPECT_NE", (void)0)
#define EXPECT_LT(t, a, b) UTEST_CMP_(t, a, <, b, "EXPECT_LT", (void)0)
#define EXPECT_LE(t, a, b) UTEST_CMP_(t, a, <=, b, "EXPECT_LE", (void)0)
#define EXPECT_GT(t, a, b) UTEST_CMP_(t, a, >, b, "EXPECT_GT", (void)0)
#define EXPECT_GE(t, a, b) UTEST_CMP_(t, a, >=, b, "EXPECT_GE", (void)0)
#define EXPECT_TRUE(t, c) UTEST_CMP_(t, !!(c), ==, 1, "EXPECT_TRUE", (void)0)
#define EXPECT_FALSE(t, c) UTEST_CMP_(t, !!(c), ==, 0, "EXPECT_FALSE", (void)0)
#define ASSERT_EQ(t, a, b) UTEST_CMP_(t, a, ==, b, "ASSERT_EQ", utest_leave(t))
#define ASSERT_NE(t, a, b) UTEST_CMP_(t, a, !=, b, "ASSERT_NE", utest_leave(t))
#define ASSERT_LT(t, a, b) UTEST_CMP_(t, a, <, b, "ASSERT_LT", utest_leave(t))
#define ASSERT_LE(t, a, b) UTEST_CMP_(t, a, <=, b, "ASSERT_LE", utest_leave(t))
#define ASSERT_GT(t, a, b) UTEST_CMP_(t, a, >, b, "ASSERT_GT", utest_leave(t))
#define ASSERT_GE(t, a, b) UTEST_CMP_(t, a, >=, b, "ASSERT_GE", utest_leave(t))
#define ASSERT_TRUE(t, c) UTEST_CMP_(t, !!(c), ==, 1, "ASSERT_TRUE", utest_leave(t))
#define ASSERT_FALSE(t, c) UTEST_CMP_(t, !!(c), ==, 0, "ASSERT_FALSE", utest_leave(t))
#define EXPECT_PTR_EQ(t, a, b) EXPECT_EQ(t, (uintptr_t)(a), (uintptr_t)(b))
#define EXPECT_PTR_NE(t, a, b) EXPECT_NE(t, (uintptr_t)(a), (uintptr_t)(b))
#define ASSERT_PTR_EQ(t, a, b) ASSERT_EQ(t, (uintptr_t)(a), (uintptr_t)(b))
#define ASSERT_PTR_NE(t, a, b) ASSERT_NE(t, (uintptr_t)(a), (uintptr_t)(b))
#define EXPECT_STREQ(t, a, b)                                                 \
    do {                                                                      \
        const char *sa_ = (a), *sb_ = (b);                                    \
        if (strcmp(sa_, sb_) != 0)                                            \
            utest_fail_msg(t, __FILE__, __LINE__,                             \
                           "EXPECT_STREQ(%s, %s) failed: \"%s\" != \"%s\"",   \
                           #a, #b, sa_, sb_);                                 \
    } while (0)
/* GetLastError() after a failing call, with the error's name in the message. */
#define EXPECT_LAST_ERROR(t, code) EXPECT_EQ(t, GetLastError(), code)

/* ---- expected exceptions ------------------------------------------------ */

/* What the exception catch saw: the record's code, flags, parameter count,
 * first two parameters (for an access violation: read/write/execute and
 * the exact address), ExceptionAddress and the context's Eip. */
struct utest_exception {
    bool caught;
    DWORD code;
    DWORD flags;
    DWORD nparams;
    ULONG_PTR info[2];
    ULONG_PTR address;
    ULONG_PTR eip;
};

/* Runs stmt; an exception raised inside it is recorded in *rec (a struct
 * utest_exception *) and execution continues after the statement, through
 * a vectored handler (installed first, for the statement only) that
 * rewrites the CONTEXT to the recovery point and returns
 * EXCEPTION_CONTINUE_EXECUTION (NtContinue).  Locals changed inside stmt
 * and read afterwards must be volatile, as with setjmp.  Does not nest. */
#define UTEST_CATCH(rec, stmt)                                                \
    do {                                                                      \
        utest_catch_arm_(rec);                                                \
        if (setjmp(utest_catch_jmp_) == 0) {                                  \
            stmt;                                                             \
        }                                                                     \
        utest_catch_disarm_();                                                \
    } while (0)

/* UTEST_CATCH that fails the case when stmt raises nothing. */
#define EXPECT_EXCEPTION(t, rec, stmt)                                        \
    do {                                                                      \
        UTEST_CATCH(rec, stmt);                                               \
        if (!(rec)->caught)                                                   \
            utest_fail_msg(t, __FILE__, __LINE__,                             \
                           "expected an exception from `%s`, none happened", #stmt); \
    } while (0)

/* An access violation of the given kind (EXCEPTION_READ_FAULT /
 * EXCEPTION_WRITE_FAULT / EXCEPTION_EXECUTE_FAULT) at exactly addr. */
#define EXPECT_ACCESS_VIOLATION(t, stmt, kind, addr)                          \
    do {                                                                      \
        struct utest_exception x_;                                            \
        EXPECT_EXCEPTION(t, &x_, stmt);                                       \
        if (x_.caught) {                                                      \
            EXPECT_EQ(t, x_.code, EXCEPTION_ACCESS_VIOLATION);                \
            EXPECT_EQ(t, x_.nparams, 2);                                      \
            EXPECT_EQ(t, x_.info[0], kind);                                   \
            EXPECT_EQ(t, x_.info[1], (uintptr_t)(addr));                      \
        }                                                                     \
    } while (0)

extern jmp_buf utest_catch_jmp_;
void utest_catch_arm_(struct utest_exception *rec);
void utest_catch_disarm_(void);

#endif
