/* The Windows virtual-memory semantics of docs/spec win-memory-semantics.md
 * sections A-H, one case per numbered item (the case name starts with the
 * item).  Each case runs in a fresh user address space, so fixed addresses
 * such as BASE are free when it starts; ring 0 reaches user pages directly
 * (SMAP off) and CR0.WP makes read-only PTEs fault on kernel writes.
 *
 * This file holds the fixture and the suite; the cases are in
 * tests/kernel/test_vm/, one file per section, each with its case table. */
#include "tests/kernel/test_vm/test_vm.h"

/* ---- fixture: a fresh address space per case ----------------------------- */

static struct vm_space *fixture_space;
static struct vm_stats fixture_stats;

/* Destroys the case's space; also the one a case left behind when an
 * ASSERT made it leave early. */
static void fixture_drop(void)
{
    if (fixture_space == NULL)
        return;
    vm_switch(vm_kernel_space());
    vm_space_destroy(fixture_space);
    fixture_space = NULL;
}

void space_enter(struct ktest *t)
{
    fixture_drop();
    fixture_space = vm_space_create();
    ASSERT_TRUE(t, fixture_space != NULL);
    vm_switch(fixture_space);
    vm_clear_last_exception();
    vm_get_stats(&fixture_stats);
}

/* Every case gives back what it took before its space goes. */
void space_leave(struct ktest *t)
{
    struct vm_stats s;

    vm_get_stats(&s);
    EXPECT_EQ(t, vm_validate(fixture_space), 0);
    EXPECT_EQ(t, s.allocations, fixture_stats.allocations);
    EXPECT_EQ(t, s.commit_charge, fixture_stats.commit_charge);
    EXPECT_EQ(t, s.reserved_bytes, fixture_stats.reserved_bytes);
    fixture_drop();
}

/* ---- the suite ------------------------------------------------------------------------ */

static const struct ktest_case *const vm_parts[] = {
    test_vm_a_cases, test_vm_b_cases, test_vm_c_cases, test_vm_d_cases, test_vm_e_cases,
    test_vm_f_cases, test_vm_gh_cases, NULL,
};

static const struct ktest_suite vm_suite = {
    .name = "vm",
    .parts = vm_parts,
    .exit = fixture_drop,
};
KTEST_SUITE(vm_suite);
