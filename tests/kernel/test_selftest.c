/* The harness's own check, run only when named (test=selftest): one pass,
 * one failing EXPECT, one skip, one panic.  `make test` runs it and
 * asserts the verdict "1 passed, 2 failed, 1 skipped", so the harness
 * cannot silently stop catching failures. */
#include "tests/ktest.h"
#include "kernel/base/panic.h"

static void selftest_passes(struct ktest *t)
{
    EXPECT_EQ(t, 2 + 2, 4);
}

static void selftest_failing_expect(struct ktest *t)
{
    volatile int two = 2;
    EXPECT_EQ(t, two + 2, 5);       /* deliberately wrong */
}

static void selftest_skipped(struct ktest *t)
{
    ktest_skip(t, "deliberately skipped");
}

static void selftest_panics(struct ktest *t)
{
    (void)t;
    panic("selftest: deliberate panic (value %d)", 42);
}

static const struct ktest_case selftest_cases[] = {
    KTEST_CASE(selftest_passes),
    KTEST_CASE(selftest_failing_expect),
    KTEST_CASE(selftest_skipped),
    KTEST_CASE(selftest_panics),
    KTEST_END,
};

static const struct ktest_suite selftest_suite = {
    .name = "selftest",
    .cases = selftest_cases,
    .explicit_only = true,
};
KTEST_SUITE(selftest_suite);

/* ---- lock order (test=lockorder, booted alone by the harness) ------------ */

#include "kernel/base/lock.h"

static struct spinlock order_a = SPINLOCK_INIT("selftest order A");
static struct spinlock order_b = SPINLOCK_INIT("selftest order B");

/* A then B, released; then B then A: the second order is an inversion
 * (two CPUs doing the two at once would deadlock) and must panic with
 * both names, though this single CPU never actually waits. */
static void lockorder_inversion_panics(struct ktest *t)
{
    if (!LOCK_CHECK)
        ktest_skip(t, "built without LOCK_CHECK");
    uint32_t fa = spin_lock(&order_a);
    uint32_t fb = spin_lock(&order_b);
    spin_unlock(&order_b, fb);
    spin_unlock(&order_a, fa);
    fb = spin_lock(&order_b);
    fa = spin_lock(&order_a);           /* panics here */
    spin_unlock(&order_a, fa);
    spin_unlock(&order_b, fb);
}

static const struct ktest_case lockorder_cases[] = {
    KTEST_CASE(lockorder_inversion_panics),
    KTEST_END,
};

static const struct ktest_suite lockorder_suite = {
    .name = "lockorder",
    .cases = lockorder_cases,
    .explicit_only = true,
};
KTEST_SUITE(lockorder_suite);
