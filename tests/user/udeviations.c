/* Regression tests for the deviations from Windows that issue 15 lists
 * (item 7), one suite each; every case failed before its fix:
 *   (a) HeapFree(NULL, 0, NULL) is TRUE: the handle is not read for a NULL
 *       pointer (before: an access violation);
 *   (b) _aligned_malloc(size, 0) and _aligned_realloc(p, size, 0) work with
 *       the minimum alignment (before: NULL, EINVAL);
 *   (c) HeapReAlloc(HEAP_REALLOC_IN_PLACE_ONLY) cannot grow a large block
 *       that was shrunk past the pages it kept (before: it succeeded);
 *   (d) a vectored handler may redirect a non-continuable exception and
 *       continue (before: the process ended with
 *       STATUS_NONCONTINUABLE_EXCEPTION). */
#include "utest.h"
#include <malloc.h>
#include <errno.h>
#include <rtnew.h>
#include <ntstatus.h>

#define BAD_ERROR 0xDEADBEEFu

/* ---- (a) HeapFree(NULL, 0, NULL) ------------------------------------------- */

static void heapfree_null_pointer_ignores_the_handle(struct utest *t)
{
    static const uintptr_t handles[] = { 0, 0x10, 0xDEAD0000u, 0x80001000u, 0xFFFFFFFFu };

    for (unsigned i = 0; i < sizeof(handles) / sizeof(handles[0]); i++) {
        SetLastError(BAD_ERROR);
        EXPECT_TRUE(t, HeapFree((HANDLE)handles[i], 0, NULL));
        EXPECT_EQ(t, GetLastError(), BAD_ERROR);        /* nothing happened, nothing said */
    }
    EXPECT_TRUE(t, HeapFree(GetProcessHeap(), 0, NULL));
    EXPECT_TRUE(t, HeapValidate(GetProcessHeap(), 0, NULL));
}

static const struct utest_case heapfree_cases[] = {
    UTEST_CASE(heapfree_null_pointer_ignores_the_handle),
    UTEST_END,
};

/* ---- (b) alignment 0 ------------------------------------------------------- */

static void aligned_malloc_alignment_zero_is_the_minimum(struct utest *t)
{
    static const size_t sizes[] = { 0, 1, 7, 100, 5000 };

    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        errno = 0;
        unsigned char *p = _aligned_malloc(sizes[i], 0);
        ASSERT_PTR_NE(t, p, NULL);
        EXPECT_EQ(t, errno, 0);
        EXPECT_EQ(t, (uintptr_t)p % sizeof(void *), 0);
        EXPECT_EQ(t, _aligned_msize(p, 0, 0), sizes[i]);
        memset(p, 0x5A, sizes[i]);
        _aligned_free(p);
    }
    /* The offset form too: p + offset lands on a pointer boundary. */
    unsigned char *q = _aligned_offset_malloc(40, 0, 3);
    ASSERT_PTR_NE(t, q, NULL);
    EXPECT_EQ(t, ((uintptr_t)q + 3) % sizeof(void *), 0);
    EXPECT_EQ(t, _aligned_msize(q, 0, 3), 40);
    _aligned_free(q);
}

static void aligned_realloc_alignment_zero_keeps_the_data(struct utest *t)
{
    unsigned char *p = _aligned_realloc(NULL, 64, 0);  /* NULL: an allocation */

    ASSERT_PTR_NE(t, p, NULL);
    for (int i = 0; i < 64; i++)
        p[i] = (unsigned char)i;
    unsigned char *q = _aligned_realloc(p, 3000, 0);
    ASSERT_PTR_NE(t, q, NULL);
    EXPECT_EQ(t, (uintptr_t)q % sizeof(void *), 0);
    EXPECT_EQ(t, _aligned_msize(q, 0, 0), 3000);
    int bad = 0;
    for (int i = 0; i < 64; i++)
        bad += q[i] != (unsigned char)i;
    EXPECT_EQ(t, bad, 0);
    /* A 16-aligned block reallocated with alignment 0 keeps its data. */
    unsigned char *r = _aligned_malloc(32, 16);
    ASSERT_PTR_NE(t, r, NULL);
    memset(r, 0x77, 32);
    unsigned char *s = _aligned_realloc(r, 48, 0);
    ASSERT_PTR_NE(t, s, NULL);
    EXPECT_EQ(t, s[0], 0x77);
    EXPECT_EQ(t, s[31], 0x77);
    _aligned_free(s);
    EXPECT_PTR_EQ(t, _aligned_realloc(q, 0, 0), NULL);  /* size 0 frees */
    /* Still refused: an alignment that is not a power of two. */
    errno = 0;
    EXPECT_PTR_EQ(t, _aligned_malloc(16, 3), NULL);
    EXPECT_EQ(t, errno, EINVAL);
}

static const struct utest_case align_cases[] = {
    UTEST_CASE(aligned_malloc_alignment_zero_is_the_minimum),
    UTEST_CASE(aligned_realloc_alignment_zero_keeps_the_data),
    UTEST_END,
};

/* ---- (c) in-place growth of a shrunk large block --------------------------- */

#define LARGE (1u << 20)                     /* above the large-block threshold */
#define SHRUNK 0x30000u

static bool pattern_ok(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 13))
            return false;
    return true;
}

/* Wine's test_HeapCreate on Windows: "shrinking a very large block
 * decommits pages and fail to grow in place". */
static void shrunk_large_block_does_not_grow_in_place(struct utest *t)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT_PTR_NE(t, h, NULL);
    unsigned char *p = HeapAlloc(h, 0, LARGE);
    ASSERT_PTR_NE(t, p, NULL);
    for (size_t i = 0; i < LARGE; i++)
        p[i] = (unsigned char)(i * 13);
    EXPECT_PTR_EQ(t, HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, SHRUNK), p);
    EXPECT_EQ(t, HeapSize(h, 0, p), SHRUNK);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 2 * SHRUNK), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_EQ(t, HeapSize(h, 0, p), SHRUNK);              /* untouched */
    EXPECT_TRUE(t, pattern_ok(p, SHRUNK));
    EXPECT_PTR_EQ(t, HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, LARGE), NULL);
    /* Within the pages it kept, it still grows in place. */
    EXPECT_PTR_EQ(t, HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, SHRUNK + 0x100), p);
    /* Without the flag it grows (wherever the heap puts it). */
    unsigned char *q = HeapReAlloc(h, 0, p, 2 * SHRUNK);
    ASSERT_PTR_NE(t, q, NULL);
    EXPECT_TRUE(t, pattern_ok(q, SHRUNK));
    EXPECT_TRUE(t, HeapValidate(h, 0, NULL));
    EXPECT_TRUE(t, HeapFree(h, 0, q));
    EXPECT_TRUE(t, HeapDestroy(h));
}

/* The same for a block that grew into a region of its own by HeapReAlloc
 * (Wine's sequence: 1 byte, then 1 MiB, shrink, grow). */
static void shrunk_realloc_region_does_not_grow_in_place(struct utest *t)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT_PTR_NE(t, h, NULL);
    unsigned char *p = HeapAlloc(h, 0, 1);
    ASSERT_PTR_NE(t, p, NULL);
    p = HeapReAlloc(h, HEAP_ZERO_MEMORY, p, LARGE);
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_PTR_EQ(t, HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, SHRUNK), p);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 2 * SHRUNK), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_EQ(t, HeapSize(h, 0, p), SHRUNK);
    EXPECT_TRUE(t, HeapFree(h, 0, p));
    EXPECT_TRUE(t, HeapValidate(h, 0, NULL));
    EXPECT_TRUE(t, HeapDestroy(h));
}

static const struct utest_case large_cases[] = {
    UTEST_CASE(shrunk_large_block_does_not_grow_in_place),
    UTEST_CASE(shrunk_realloc_region_does_not_grow_in_place),
    UTEST_END,
};

/* ---- (d) vectored handlers and non-continuable exceptions ------------------ */

static jmp_buf redirect_to;
static DWORD seen_code, seen_flags;
static int handler_calls;
static bool redirect;                       /* else continue with the context unchanged */

/* A crash reporter's handler: records the exception and, when asked,
 * points the context at redirect_to (setjmp returns 2 there). */
static LONG CALLBACK redirecting_handler(PEXCEPTION_POINTERS ep)
{
    CONTEXT *c = ep->ContextRecord;

    handler_calls++;
    seen_code = ep->ExceptionRecord->ExceptionCode;
    seen_flags = ep->ExceptionRecord->ExceptionFlags;
    if (redirect) {
        c->Ebx = redirect_to[0];
        c->Esi = redirect_to[1];
        c->Edi = redirect_to[2];
        c->Ebp = redirect_to[3];
        c->Esp = redirect_to[4];
        c->Eip = redirect_to[5];
        c->Eax = 2;
    }
    return EXCEPTION_CONTINUE_EXECUTION;
}

static void vectored_handler_redirects_a_noncontinuable_raise(struct utest *t)
{
    volatile int reached_after_raise = 0;
    PVOID veh = AddVectoredExceptionHandler(1, redirecting_handler);

    ASSERT_PTR_NE(t, veh, NULL);
    handler_calls = 0;
    redirect = true;
    if (setjmp(redirect_to) == 0) {
        RaiseException(0xE0000015u, EXCEPTION_NONCONTINUABLE, 0, NULL);
        reached_after_raise = 1;
    }
    RemoveVectoredExceptionHandler(veh);
    EXPECT_EQ(t, handler_calls, 1);
    EXPECT_EQ(t, seen_code, 0xE0000015u);
    EXPECT_EQ(t, seen_flags & EXCEPTION_NONCONTINUABLE, EXCEPTION_NONCONTINUABLE);
    EXPECT_EQ(t, reached_after_raise, 0);
}

/* NT continues with the context as it is, so RaiseException returns. */
static void vectored_handler_continues_a_noncontinuable_raise(struct utest *t)
{
    PVOID veh = AddVectoredExceptionHandler(1, redirecting_handler);

    ASSERT_PTR_NE(t, veh, NULL);
    handler_calls = 0;
    redirect = false;
    RaiseException(0xE0000016u, EXCEPTION_NONCONTINUABLE, 0, NULL);
    RemoveVectoredExceptionHandler(veh);
    EXPECT_EQ(t, handler_calls, 1);
    EXPECT_EQ(t, seen_code, 0xE0000016u);
}

static void count_dtor(void *obj)
{
    (void)obj;
}

static const rt_class Item = { "Item", 8, 0, NULL, count_dtor };

/* The case: the STATUS_HEAP_CORRUPTION the array runtime raises
 * for `delete` of a new[] array, caught and redirected by a handler. */
static void vectored_handler_redirects_the_heap_corruption_of_a_bad_delete(struct utest *t)
{
    void *volatile arr = rt_new_array(&Item, 3);
    PVOID veh = AddVectoredExceptionHandler(1, redirecting_handler);

    ASSERT_PTR_NE(t, arr, NULL);
    ASSERT_PTR_NE(t, veh, NULL);
    handler_calls = 0;
    redirect = true;
    if (setjmp(redirect_to) == 0)
        rt_delete(&Item, arr);                          /* wrong: raises, never returns */
    RemoveVectoredExceptionHandler(veh);
    EXPECT_EQ(t, handler_calls, 1);
    EXPECT_EQ(t, seen_code, (DWORD)STATUS_HEAP_CORRUPTION);
    EXPECT_EQ(t, seen_flags & EXCEPTION_NONCONTINUABLE, EXCEPTION_NONCONTINUABLE);
    rt_delete_array(&Item, arr);                        /* the right delete still works */
    EXPECT_TRUE(t, HeapValidate(GetProcessHeap(), 0, NULL));
}

static const struct utest_case veh_cases[] = {
    UTEST_CASE(vectored_handler_redirects_a_noncontinuable_raise),
    UTEST_CASE(vectored_handler_continues_a_noncontinuable_raise),
    UTEST_CASE(vectored_handler_redirects_the_heap_corruption_of_a_bad_delete),
    UTEST_END,
};

static const struct utest_suite heapfree_suite = { .name = "heapfree_null", .cases = heapfree_cases };
static const struct utest_suite align_suite = { .name = "aligned_alignment_zero", .cases = align_cases };
static const struct utest_suite large_suite = { .name = "large_block_in_place", .cases = large_cases };
static const struct utest_suite veh_suite = { .name = "veh_noncontinuable", .cases = veh_cases };

static const struct utest_suite *const suites[] = { &heapfree_suite, &align_suite, &large_suite, &veh_suite, NULL };

/* Reservations must come back after every suite (the commit charge is
 * left to the kernel's check after the program: the process heap keeps
 * pages it committed). */
int main(void)
{
    utest_register_counter("allocations", utest_counter_allocations);
    return utest_main(suites);
}
