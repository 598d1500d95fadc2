/* uvm, spec section C: MEM_RESET (items 20-24). */
#include "uvm.h"

VM_TEST(c20_reset_must_be_alone)
{
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_READWRITE);

    poke(p, 0x77);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET | MEM_COMMIT, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET | MEM_RESERVE, PAGE_READWRITE, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, 0, 0x1000, MEM_RESET | MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE,
                       ERROR_INVALID_PARAMETER);
    EXPECT_EQ(t, peek(p), 0x77);
    RELEASE(t, p);
}

VM_TEST(c21_reset_keeps_commit_and_protection)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);
    uint32_t c = commit_charge();

    poke(p, 1);
    EXPECT_EQ(t, ALLOC(t, p + 0x10, 0x1000, MEM_RESET, PAGE_NOACCESS), p);
    EXPECT_REGION(t, p, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EQ(t, commit_charge(), c);
    poke(p + 0x1800, 2);
    EXPECT_EQ(t, peek(p + 0x1800), 2);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET, 0, ERROR_INVALID_PARAMETER);
    EXPECT_ALLOC_FAILS(t, p, 0x1000, MEM_RESET, PAGE_WRITECOPY, ERROR_INVALID_PARAMETER);
    /* The native call reports the page-rounded range. */
    uint32_t b = p + 0x1010, s = 0x10;
    EXPECT_EQ(t, nt_alloc(&b, &s, MEM_RESET, PAGE_READWRITE), STATUS_SUCCESS);
    EXPECT_EQ(t, b, p + 0x1000);
    EXPECT_EQ(t, s, 0x1000);
    RELEASE(t, p);
}

VM_TEST(c22_reset_contents_old_or_zero)
{
    uint32_t p = COMMIT_NEW(t, 0x2000, PAGE_READWRITE);

    fill_page(p, 0xA5A5A5A5);
    fill_page(p + 0x1000, 0xA5A5A5A5);
    EXPECT_EQ(t, ALLOC(t, p, 0x2000, MEM_RESET, PAGE_READWRITE), p);
    for (uint32_t off = 0; off < 0x2000; off += PAGE) {
        uint32_t old = page_mismatches(p + off, 0xA5A5A5A5);
        uint32_t zero = page_mismatches(p + off, 0);
        EXPECT_EQ(t, old + zero, PAGE / 4);
    }
    fill_page(p + 0x1000, 0x5A5A5A5A);
    EXPECT_EQ(t, page_mismatches(p + 0x1000, 0x5A5A5A5A), 0);
    RELEASE(t, p);
}

VM_TEST(c23_reset_reserved_pages_stay_reserved)
{
    uint32_t p = RESERVE(t, BASE, 0x4000);

    ALLOC(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    uint32_t c = commit_charge();
    poke(p, 7);
    EXPECT_EQ(t, ALLOC(t, p + 0x1000, 0x2000, MEM_RESET, PAGE_READWRITE), p + 0x1000);
    EXPECT_REGION(t, p + 0x1000, 0x3000, MEM_RESERVE, 0);
    EXPECT_EQ(t, ALLOC(t, p, 0x4000, MEM_RESET, PAGE_READWRITE), p);
    EXPECT_REGION(t, p, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_REGION(t, p + 0x1000, 0x3000, MEM_RESERVE, 0);
    EXPECT_EQ(t, commit_charge(), c);
    EXPECT_AV(t, (void)peek(p + 0x1000), EXCEPTION_READ_FAULT, p + 0x1000);
    poke(p, 8);
    RELEASE(t, p);
}

VM_TEST(c24_reset_past_reservation_fails)
{
    uint32_t p = COMMIT_NEW(t, 0x3000, PAGE_READWRITE);

    EXPECT_ALLOC_FAILS(t, p + 0x2000, 0x2000, MEM_RESET, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_ALLOC_FAILS(t, BASE, 0x1000, MEM_RESET, PAGE_READWRITE, ERROR_INVALID_ADDRESS);
    EXPECT_REGION(t, p, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    RELEASE(t, p);
}

static const struct utest_case c_cases[] = {
    UTEST_CASE(c20_reset_must_be_alone),
    UTEST_CASE(c21_reset_keeps_commit_and_protection),
    UTEST_CASE(c22_reset_contents_old_or_zero),
    UTEST_CASE(c23_reset_reserved_pages_stay_reserved),
    UTEST_CASE(c24_reset_past_reservation_fails),
    UTEST_END,
};

const struct utest_suite uvm_c_suite = {
    .name = "uvm_c_reset", .cases = c_cases, .exit = suite_exit,
};
