/* A test case that must leave the process heap as it found it: the same
 * number of busy blocks afterwards, and HeapValidate clean (ucrt_extra.c,
 * ulocalglobal.c).  Define a case with HEAP_CLEAN_TEST(name) { body }. */
#ifndef TESTS_USER_HEAP_FIXTURE_H
#define TESTS_USER_HEAP_FIXTURE_H

#include "utest.h"

/* Busy blocks on the process heap, from HeapWalk. */
static inline size_t heap_busy_blocks(void)
{
    PROCESS_HEAP_ENTRY e;
    size_t n = 0;

    e.lpData = NULL;
    while (HeapWalk(GetProcessHeap(), &e))
        n += (e.wFlags & PROCESS_HEAP_ENTRY_BUSY) != 0;
    return n;
}

#define HEAP_CLEAN_TEST(name)                                                 \
    static void name##_body(struct utest *t);                                 \
    static void name(struct utest *t)                                         \
    {                                                                         \
        size_t blocks_before = heap_busy_blocks();                            \
        name##_body(t);                                                       \
        EXPECT_TRUE(t, HeapValidate(GetProcessHeap(), 0, NULL));              \
        EXPECT_EQ(t, heap_busy_blocks(), blocks_before);                      \
    }                                                                         \
    static void name##_body(struct utest *t)

#endif
