/* The Windows virtual-memory semantics of ../shared/spec/win-memory-
 * semantics.md sections A-H from ring 3, through the real system-service
 * boundary: the kernel32 wrappers (VirtualAlloc/Free/Protect/Query) and
 * the Nt* calls with their in/out parameters.  One case per numbered item
 * (the case name starts with the item), most of them ports of the kernel's
 * tests/kernel/test_vm.c; G and H add what only user mode can see: the
 * exception records and CONTEXTs a vectored handler gets, continuing with
 * a changed CONTEXT, guard pages cleared before delivery, a guard page hit
 * inside a system service, and the stack growing through its guard page.
 *
 * Every case starts with the fixed addresses BASE and BASE2 free (a case
 * that failed half-way has its leftovers released by the next one) and
 * must give back what it took: the commit charge and the number of
 * allocations are compared around each case and around each suite.  The
 * commit charge includes the page tables created for committed pages, so
 * cases that count pages first commit a page in the same 4 MiB.
 *
 * This file holds the fixture and main; the cases are in uvm/, one file
 * per section (a_geometry.c ... h_guard.c), with what they share in
 * uvm/uvm.h. */
#include "uvm/uvm.h"

/* ---- fixture ----------------------------------------------------------------- */

struct alloc_set baseline;              /* the image and the stack */
static uint32_t enter_charge, enter_allocations;

void space_enter(struct utest *t)
{
    (void)t;
    int n = alloc_release_others(&baseline);
    if (n != 0)
        utest_log("released %d allocation(s) an earlier case left behind", n);
    enter_charge = commit_charge();
    enter_allocations = allocation_count();
}

void space_leave(struct utest *t)
{
    EXPECT_EQ(t, allocation_count(), enter_allocations);
    EXPECT_EQ(t, commit_charge(), enter_charge);
}

void suite_exit(void)
{
    alloc_release_others(&baseline);
}

/* ---- the program ------------------------------------------------------------------- */

static const struct utest_suite *const suites[] = {
    &uvm_a_suite, &uvm_b_suite, &uvm_c_suite, &uvm_d_suite, &uvm_e_suite, &uvm_f_suite,
    &uvm_g_suite, &uvm_h_suite, NULL,
};

int main(void)
{
    /* Grow the stack now, so exception frames pushed during the cases
     * never move its guard page (that would show as commit charge). */
    stack_pregrow(64 * 1024);
    alloc_set_take(&baseline);
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    return utest_main(suites);
}
