/* The Windows heap semantics of ../shared/spec/win-memory-semantics.md
 * sections I-M (items 62-93) from ring 3, through the SDK's Heap* API
 * (libc/user/heapapi.c over the heap engine, mm/heap/).  One case per
 * numbered item, named after it; the values and last-error codes are the
 * ones the spec gives for Windows.  The engine's own requirements (the
 * robustness, checking and random-operation tests) are in uheap_engine.c.
 *
 * Every case gives back what it takes: the fixture (uheap.h) destroys the
 * heaps a failed case left and compares the number of reservations and
 * the commit charge (outside the process heap's regions) around it.
 *
 * This file holds main; the cases are in tests/user/uheap/, one file per
 * section (i_heaps.c ... m_lock_walk_compact.c, and n_front_end.c for the
 * low-fragmentation front end of issue 14).  uheap_nolfh.c runs the same
 * suites with every heap standard. */
#include "uheap.h"

extern const struct utest_suite uheap_i_suite, uheap_j_suite, uheap_k_suite, uheap_l_suite,
    uheap_m_suite, uheap_n_suite;

static const struct utest_suite *const suites[] = {
    &uheap_i_suite, &uheap_j_suite, &uheap_k_suite, &uheap_l_suite, &uheap_m_suite, &uheap_n_suite, NULL,
};

int main(void)
{
    uheap_main_prepare();
    return utest_main(suites);
}
