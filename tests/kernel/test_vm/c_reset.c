/* vm suite, spec section C: MEM_RESET (items 20-24). */
#include "test_vm.h"

VM_TEST(c20_reset_must_be_alone)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);

    poke(p, 0x77);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET | MEM_RESERVE, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0, 0x1000, MEM_RESET | MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_EQ(t, peek(p), 0x77);
    RELEASE(t, p);
}

VM_TEST(c21_reset_keeps_commit_and_protection)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);
    uint32_t c = committed_pages();

    poke(p, 1);
    /* [p+0x10, p+0x1010) touches both pages; flProtect is ignored. */
    EXPECT_EQ(t, ALLOC(t, p + 0x10, 0x1000, MEM_RESET, PAGE_NOACCESS), p);
    EXPECT_REGION(t, p, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, committed_pages(), c);
    poke(p + 0x1800, 2);
    EXPECT_EQ(t, peek(p + 0x1800), 2);
    /* ... but it must still be a valid protection. */
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET, 0, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET, PAGE_WRITECOPY, ERROR_INVALID_PARAMETER);
    RELEASE(t, p);
}

VM_TEST(c22_reset_contents_old_or_zero)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);

    fill_page(p, 0xA5A5A5A5);
    fill_page(p + 0x1000, 0xA5A5A5A5);
    EXPECT_EQ(t, ALLOC(t, p, 0x2000, MEM_RESET, PAGE_READWRITE), p);
    for (uint32_t off = 0; off < 0x2000; off += PGSIZE) {
        uint32_t old = page_mismatches(p + off, 0xA5A5A5A5);
        uint32_t zero = page_mismatches(p + off, 0);
        /* Each word is one or the other. */
        EXPECT_EQ(t, old + zero, PGSIZE / 4);
    }
    fill_page(p + 0x1000, 0x5A5A5A5A);
    EXPECT_EQ(t, page_mismatches(p + 0x1000, 0x5A5A5A5A), 0);
    RELEASE(t, p);
}

VM_TEST(c23_reset_reserved_pages_stay_reserved)
{
    uint32_t p = RESERVE(t, 0, 0x4000);
    uint32_t c0 = committed_pages();

    ALLOC(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    poke(p, 7);
    EXPECT_EQ(t, ALLOC(t, p + 0x1000, 0x2000, MEM_RESET, PAGE_READWRITE), p + 0x1000);
    EXPECT_REGION(t, p + 0x1000, 0x3000, MEM_RESERVE, 0);
    EXPECT_EQ(t, ALLOC(t, p, 0x4000, MEM_RESET, PAGE_READWRITE), p);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x1000, 0x3000, MEM_RESERVE, 0);
    EXPECT_EQ(t, committed_pages(), c0 + 1);
    poke(p, 8);
    RELEASE(t, p);
}

VM_TEST(c24_reset_past_reservation_fails)
{
    uint32_t p = COMMIT_NEW(t, 0x3000, PAGE_READWRITE);

    EXPECT_ALLOC_FAILS(t, p + 0x2000, 0x2000, MEM_RESET, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    RELEASE(t, p);
}

const struct ktest_case test_vm_c_cases[] = {
    KTEST_CASE(c20_reset_must_be_alone),
    KTEST_CASE(c21_reset_keeps_commit_and_protection),
    KTEST_CASE(c22_reset_contents_old_or_zero),
    KTEST_CASE(c23_reset_reserved_pages_stay_reserved),
    KTEST_CASE(c24_reset_past_reservation_fails),
    KTEST_END,
};
