/* The Global* and Local* memory functions (issue 15, item 2) from ring 3,
 * against Microsoft's documentation of each function and, where that is
 * silent, what Wine's conformance tests record on Windows: fixed objects
 * are process-heap blocks, moveable ones handles whose memory moves while
 * unlocked, lock counts in GlobalFlags, GMEM_ZEROINIT, GMEM_MODIFY,
 * discardable and discarded objects, and the errors for bad handles,
 * flags, sizes and pointers (each returns its error and changes nothing:
 * the process heap's busy blocks are counted before and after). */
#include "utest.h"
#include "heap_fixture.h"

#define BAD_ERROR 0xDEADBEEFu
#define HUGE_SIZE ((SIZE_T)0x90000000u)         /* more than the address space holds */
#define BEYOND 0x200000u                        /* past the heap's 1 MiB segment: never in place */

#define GM_TEST(name) HEAP_CLEAN_TEST(name)

static bool is_process_heap_block(const void *p)
{
    return HeapValidate(GetProcessHeap(), 0, p);
}

static void pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 5 + seed);
}

static size_t pattern_bad(const unsigned char *p, size_t n, unsigned seed)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += p[i] != (unsigned char)(i * 5 + seed);
    return bad;
}

/* ---- fixed objects ---------------------------------------------------------- */

GM_TEST(fixed_object_is_a_process_heap_block)
{
    unsigned char *p = GlobalAlloc(GMEM_FIXED, 100);

    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, (uintptr_t)p & 7, 0);
    EXPECT_TRUE(t, is_process_heap_block(p));
    EXPECT_EQ(t, HeapSize(GetProcessHeap(), 0, p), 100);
    EXPECT_EQ(t, GlobalSize(p), 100);
    EXPECT_PTR_EQ(t, GlobalLock(p), p);                 /* [doc] the handle is the address */
    EXPECT_EQ(t, GlobalFlags(p), 0);                    /* lock count always 0 */
    EXPECT_PTR_EQ(t, GlobalHandle(p), p);
    EXPECT_TRUE(t, GlobalUnlock(p));                    /* [doc] fixed memory: TRUE */
    EXPECT_PTR_EQ(t, GlobalFree(p), NULL);
    unsigned char *z = GlobalAlloc(GPTR, 300);          /* GMEM_ZEROINIT */
    ASSERT_PTR_NE(t, z, NULL);
    size_t nonzero = 0;
    for (int i = 0; i < 300; i++)
        nonzero += z[i] != 0;
    EXPECT_EQ(t, nonzero, 0);
    EXPECT_PTR_EQ(t, GlobalFree(z), NULL);
    void *one = GlobalAlloc(GMEM_FIXED, 0);             /* [obs] GlobalSize 1 */
    ASSERT_PTR_NE(t, one, NULL);
    EXPECT_EQ(t, GlobalSize(one), 1);
    EXPECT_PTR_EQ(t, GlobalFree(one), NULL);
    EXPECT_PTR_EQ(t, GlobalFree(NULL), NULL);           /* [doc] NULL is ignored */
}

GM_TEST(fixed_object_moves_only_with_gmem_moveable)
{
    unsigned char *f = GlobalAlloc(GMEM_FIXED, 100);

    ASSERT_PTR_NE(t, f, NULL);
    pattern(f, 100, 1);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalReAlloc(f, BEYOND, 0), NULL);        /* fixed: in place only */
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_EQ(t, GlobalSize(f), 100);
    EXPECT_EQ(t, pattern_bad(f, 100, 1), 0);
    unsigned char *g = GlobalReAlloc(f, BEYOND, GMEM_MOVEABLE | GMEM_ZEROINIT);
    ASSERT_PTR_NE(t, g, NULL);
    EXPECT_PTR_NE(t, g, f);                             /* a new address, still fixed */
    EXPECT_EQ(t, (uintptr_t)g & 7, 0);
    EXPECT_EQ(t, GlobalFlags(g), 0);
    EXPECT_EQ(t, pattern_bad(g, 100, 1), 0);
    EXPECT_EQ(t, g[BEYOND - 1], 0);
    EXPECT_PTR_EQ(t, GlobalReAlloc(g, 10, 0), g);      /* a shrink stays in place */
    EXPECT_EQ(t, GlobalSize(g), 10);
    EXPECT_PTR_EQ(t, GlobalFree(g), NULL);
}

/* ---- moveable objects --------------------------------------------------------- */

GM_TEST(moveable_handle_and_lock_counts)
{
    HGLOBAL h = GlobalAlloc(GMEM_MOVEABLE, 256);

    ASSERT_PTR_NE(t, h, NULL);
    EXPECT_EQ(t, (uintptr_t)h & 7, 4);                  /* a handle, not a block */
    EXPECT_FALSE(t, is_process_heap_block(h));
    EXPECT_EQ(t, GlobalFlags(h), 0);
    EXPECT_EQ(t, GlobalSize(h), 256);
    unsigned char *p = GlobalLock(h);
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_PTR_NE(t, p, h);
    EXPECT_TRUE(t, is_process_heap_block(p));          /* on the process heap */
    EXPECT_EQ(t, HeapSize(GetProcessHeap(), 0, p), 256);
    EXPECT_EQ(t, GlobalFlags(h), 1);
    EXPECT_PTR_EQ(t, GlobalLock(h), p);
    EXPECT_EQ(t, GlobalFlags(h) & GMEM_LOCKCOUNT, 2);
    EXPECT_PTR_EQ(t, GlobalHandle(p), h);
    EXPECT_PTR_EQ(t, GlobalHandle(h), h);
    EXPECT_TRUE(t, GlobalUnlock(h));                    /* still locked */
    EXPECT_EQ(t, GlobalFlags(h), 1);
    SetLastError(BAD_ERROR);
    EXPECT_FALSE(t, GlobalUnlock(h));                   /* [doc] unlocked now: 0 and NO_ERROR */
    EXPECT_EQ(t, GetLastError(), NO_ERROR);
    SetLastError(BAD_ERROR);
    EXPECT_FALSE(t, GlobalUnlock(h));                   /* [doc] not locked */
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_LOCKED);
    EXPECT_PTR_EQ(t, GlobalFree(h), NULL);
}

GM_TEST(lock_count_stops_at_255)
{
    HGLOBAL h = GlobalAlloc(GMEM_MOVEABLE, 8);

    ASSERT_PTR_NE(t, h, NULL);
    for (int i = 0; i < 300; i++)
        ASSERT_PTR_NE(t, GlobalLock(h), NULL);
    EXPECT_EQ(t, GlobalFlags(h) & GMEM_LOCKCOUNT, 255);
    int still = 0;
    for (int i = 0; i < 254; i++)
        still += GlobalUnlock(h) != FALSE;
    EXPECT_EQ(t, still, 254);
    EXPECT_FALSE(t, GlobalUnlock(h));
    EXPECT_EQ(t, GlobalFlags(h), 0);
    EXPECT_PTR_EQ(t, GlobalFree(h), NULL);
}

/* [doc] "Locked memory will not be moved or discarded, unless the memory
 * object is reallocated by using the GlobalReAlloc function": unlocked, it
 * moves whatever the flags; the handle stays. */
GM_TEST(unlocked_moveable_memory_moves_on_realloc)
{
    HGLOBAL h = GlobalAlloc(GMEM_MOVEABLE, 100);
    ASSERT_PTR_NE(t, h, NULL);
    unsigned char *p = GlobalLock(h);
    ASSERT_PTR_NE(t, p, NULL);
    pattern(p, 100, 7);
    GlobalUnlock(h);
    void *wall = HeapAlloc(GetProcessHeap(), 0, 16);
    EXPECT_PTR_EQ(t, GlobalReAlloc(h, 100000, 0), h);
    unsigned char *q = GlobalLock(h);
    ASSERT_PTR_NE(t, q, NULL);
    EXPECT_PTR_NE(t, q, p);                             /* it moved */
    EXPECT_EQ(t, pattern_bad(q, 100, 7), 0);
    EXPECT_EQ(t, GlobalSize(h), 100000);
    GlobalUnlock(h);
    EXPECT_PTR_EQ(t, GlobalReAlloc(h, 200000, GMEM_ZEROINIT), h);
    q = GlobalLock(h);
    ASSERT_PTR_NE(t, q, NULL);
    size_t nonzero = 0;
    for (size_t i = 100000; i < 200000; i++)
        nonzero += q[i] != 0;
    EXPECT_EQ(t, nonzero, 0);                           /* [doc] the growth is zeroed */
    EXPECT_EQ(t, pattern_bad(q, 100, 7), 0);
    GlobalUnlock(h);
    EXPECT_PTR_EQ(t, GlobalFree(h), NULL);
    HeapFree(GetProcessHeap(), 0, wall);
}

/* [doc] "If the memory is a locked GMEM_MOVEABLE memory block ... and
 * this flag is not specified, the memory can only be reallocated in
 * place." */
GM_TEST(locked_moveable_memory_reallocates_in_place_only)
{
    HGLOBAL h = GlobalAlloc(GMEM_MOVEABLE, 200);
    ASSERT_PTR_NE(t, h, NULL);
    unsigned char *p = GlobalLock(h);
    ASSERT_PTR_NE(t, p, NULL);
    pattern(p, 200, 3);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalReAlloc(h, BEYOND, 0), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_EQ(t, GlobalSize(h), 200);                  /* [doc] unchanged on failure */
    EXPECT_EQ(t, GlobalFlags(h), 1);
    EXPECT_EQ(t, pattern_bad(p, 200, 3), 0);
    EXPECT_PTR_EQ(t, GlobalReAlloc(h, 100, 0), h);     /* in place: a shrink */
    EXPECT_PTR_EQ(t, GlobalLock(h), p);
    EXPECT_PTR_EQ(t, GlobalReAlloc(h, BEYOND, GMEM_MOVEABLE), h);  /* allowed to move */
    unsigned char *q = GlobalLock(h);
    EXPECT_PTR_NE(t, q, p);
    EXPECT_EQ(t, pattern_bad(q, 100, 3), 0);
    EXPECT_EQ(t, GlobalFlags(h), 3);                    /* the locks stay */
    EXPECT_PTR_EQ(t, GlobalFree(h), NULL);
}

/* [doc] GlobalAlloc: "If dwBytes is zero and uFlags specifies
 * GMEM_MOVEABLE, the function returns a handle to a memory object that
 * is marked as discarded"; GlobalLock: "if the memory block has a
 * zero-byte size, this function returns NULL". */
GM_TEST(zero_byte_moveable_object_is_discarded)
{
    HGLOBAL h = GlobalAlloc(GHND, 0);

    ASSERT_PTR_NE(t, h, NULL);
    EXPECT_EQ(t, GlobalFlags(h), GMEM_DISCARDED);
    SetLastError(BAD_ERROR);
    EXPECT_EQ(t, GlobalSize(h), 0);
    EXPECT_EQ(t, GetLastError(), BAD_ERROR);            /* not an error */
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalLock(h), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_DISCARDED);
    EXPECT_PTR_EQ(t, GlobalReAlloc(h, 10, GMEM_MOVEABLE), h);   /* memory again */
    EXPECT_EQ(t, GlobalFlags(h), 0);
    EXPECT_EQ(t, GlobalSize(h), 10);
    EXPECT_PTR_NE(t, GlobalLock(h), NULL);
    GlobalUnlock(h);
    EXPECT_PTR_EQ(t, GlobalFree(h), NULL);
    h = GlobalAlloc(GMEM_MOVEABLE | GMEM_DISCARDABLE, 0);
    ASSERT_PTR_NE(t, h, NULL);
    EXPECT_EQ(t, GlobalFlags(h), GMEM_DISCARDED | GMEM_DISCARDABLE);
    EXPECT_PTR_EQ(t, GlobalFree(h), NULL);
}

/* [doc] GlobalDiscard: "The lock count of the memory object must be
 * zero"; "the handle to the object remains valid. The process can
 * subsequently pass the handle to the GlobalReAlloc function". */
GM_TEST(discard_keeps_the_handle)
{
    HGLOBAL h = GlobalAlloc(GMEM_MOVEABLE | GMEM_DISCARDABLE, 64);

    ASSERT_PTR_NE(t, h, NULL);
    EXPECT_EQ(t, GlobalFlags(h), GMEM_DISCARDABLE);
    ASSERT_PTR_NE(t, GlobalLock(h), NULL);
    EXPECT_PTR_EQ(t, GlobalDiscard(h), NULL);           /* locked: refused */
    EXPECT_EQ(t, GlobalSize(h), 64);
    GlobalUnlock(h);
    EXPECT_PTR_EQ(t, GlobalDiscard(h), h);
    EXPECT_EQ(t, GlobalFlags(h), GMEM_DISCARDABLE | GMEM_DISCARDED);
    EXPECT_EQ(t, GlobalSize(h), 0);
    EXPECT_PTR_EQ(t, GlobalLock(h), NULL);
    EXPECT_PTR_EQ(t, GlobalDiscard(h), h);              /* again: nothing to do */
    EXPECT_PTR_EQ(t, GlobalReAlloc(h, 32, GMEM_MOVEABLE | GMEM_ZEROINIT), h);
    unsigned char *p = GlobalLock(h);
    ASSERT_PTR_NE(t, p, NULL);
    size_t nonzero = 0;
    for (int i = 0; i < 32; i++)
        nonzero += p[i] != 0;
    EXPECT_EQ(t, nonzero, 0);
    GlobalUnlock(h);
    EXPECT_PTR_EQ(t, GlobalFree(h), NULL);
}

/* [doc] "If GMEM_MODIFY is specified, the function modifies the
 * attributes of the memory object only (the dwBytes parameter is
 * ignored.)" */
GM_TEST(modify_changes_attributes_only)
{
    HGLOBAL h = GlobalAlloc(GMEM_MOVEABLE, 64);

    ASSERT_PTR_NE(t, h, NULL);
    EXPECT_PTR_EQ(t, GlobalReAlloc(h, 999, GMEM_MODIFY | GMEM_DISCARDABLE), h);
    EXPECT_EQ(t, GlobalSize(h), 64);
    EXPECT_EQ(t, GlobalFlags(h), GMEM_DISCARDABLE);
    EXPECT_PTR_EQ(t, GlobalReAlloc(h, 0, GMEM_MODIFY), h);
    EXPECT_EQ(t, GlobalFlags(h), 0);
    EXPECT_EQ(t, GlobalSize(h), 64);
    EXPECT_PTR_EQ(t, GlobalFree(h), NULL);

    unsigned char *f = GlobalAlloc(GMEM_FIXED, 48);
    ASSERT_PTR_NE(t, f, NULL);
    pattern(f, 48, 9);
    EXPECT_PTR_EQ(t, GlobalReAlloc(f, 4096, GMEM_MODIFY), f);      /* nothing to change */
    EXPECT_EQ(t, GlobalSize(f), 48);
    HGLOBAL g = GlobalReAlloc(f, 0, GMEM_MODIFY | GMEM_MOVEABLE);  /* fixed -> moveable [obs] */
    ASSERT_PTR_NE(t, g, NULL);
    EXPECT_EQ(t, (uintptr_t)g & 7, 4);
    EXPECT_EQ(t, GlobalSize(g), 48);
    EXPECT_EQ(t, GlobalFlags(g), 0);
    unsigned char *p = GlobalLock(g);
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, pattern_bad(p, 48, 9), 0);
    EXPECT_PTR_EQ(t, GlobalHandle(p), g);
    EXPECT_PTR_EQ(t, GlobalFree(g), NULL);
}

/* [doc] GlobalFree: "The GlobalFree function will free a locked memory
 * object."  Afterwards the handle is invalid everywhere. */
GM_TEST(free_of_a_locked_handle_frees_it)
{
    HGLOBAL h = GlobalAlloc(GMEM_MOVEABLE, 40);

    ASSERT_PTR_NE(t, h, NULL);
    ASSERT_PTR_NE(t, GlobalLock(h), NULL);
    EXPECT_PTR_EQ(t, GlobalFree(h), NULL);
    SetLastError(BAD_ERROR);
    EXPECT_EQ(t, GlobalFlags(h), GMEM_INVALID_HANDLE);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalFree(h), h);                 /* [doc] failure returns the handle */
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
}

/* A handle or pointer that is no object: the documented failure value,
 * ERROR_INVALID_HANDLE, and nothing changed. */
static void expect_invalid(struct utest *t, HGLOBAL h)
{
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalFree(h), h);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalLock(h), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(BAD_ERROR);
    EXPECT_FALSE(t, GlobalUnlock(h));
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(BAD_ERROR);
    EXPECT_EQ(t, GlobalSize(h), 0);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(BAD_ERROR);
    EXPECT_EQ(t, GlobalFlags(h), GMEM_INVALID_HANDLE);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalReAlloc(h, 16, GMEM_MOVEABLE), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalReAlloc(h, 16, GMEM_MODIFY | GMEM_MOVEABLE), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalHandle(h), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, LocalFree(h), h);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(BAD_ERROR);
    EXPECT_EQ(t, LocalFlags(h), LMEM_INVALID_HANDLE);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
}

GM_TEST(bad_handles_and_pointers_are_refused)
{
    char local[16];
    unsigned char *freed = GlobalAlloc(GMEM_FIXED, 24), *live = GlobalAlloc(GMEM_FIXED, 24);
    HGLOBAL gone = GlobalAlloc(GMEM_MOVEABLE, 8), h = GlobalAlloc(GMEM_MOVEABLE, 8);

    ASSERT_PTR_NE(t, freed, NULL);
    ASSERT_PTR_NE(t, live, NULL);
    ASSERT_PTR_NE(t, gone, NULL);
    ASSERT_PTR_NE(t, h, NULL);
    GlobalFree(freed);
    GlobalFree(gone);
    const uintptr_t bad[] = {
        0xDEADBEE0u, 0xDEADBEE4u, 0x7FFE0004u, 0x80001000u, 0xFFFFFFFCu,    /* made up */
        (uintptr_t)local, (uintptr_t)(local + 4),                           /* the stack */
        (uintptr_t)freed, (uintptr_t)gone,                                  /* freed */
        (uintptr_t)(live + 8), (uintptr_t)(live + 4),                       /* inside a block */
        (uintptr_t)h + 8,                                                   /* the next entry */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_invalid(t, (HGLOBAL)bad[i]);
    /* The memory of a moveable object is not a handle to free. */
    unsigned char *p = GlobalLock(h);
    ASSERT_PTR_NE(t, p, NULL);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalFree(p), p);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    EXPECT_EQ(t, GlobalFlags(h), 1);                    /* untouched */
    EXPECT_EQ(t, GlobalSize(h), 8);
    /* NULL: GlobalFree ignores it; the others fail. */
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalFree(NULL), NULL);
    EXPECT_EQ(t, GetLastError(), BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalLock(NULL), NULL);
    EXPECT_EQ(t, GlobalSize(NULL), 0);
    EXPECT_PTR_EQ(t, GlobalReAlloc(NULL, 10, GMEM_MOVEABLE), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    GlobalFree(h);
    GlobalFree(live);
}

GM_TEST(bad_flags_and_sizes)
{
    static const UINT bad_global[] = { 0x8000, 0x0001, 0x0004, 0x0008, 0x8002 };
    static const UINT bad_local[] = { 0x8000, 0x1000, 0x2000, 0x4000, 0x0001 };

    for (unsigned i = 0; i < sizeof(bad_global) / sizeof(bad_global[0]); i++) {
        SetLastError(BAD_ERROR);
        EXPECT_PTR_EQ(t, GlobalAlloc(bad_global[i], 10), NULL);
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
        SetLastError(BAD_ERROR);
        EXPECT_PTR_EQ(t, LocalAlloc(bad_local[i], 10), NULL);
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    }
    /* The obsolete flags are accepted (and ignored) [doc]. */
    HGLOBAL ok = GlobalAlloc(GMEM_MOVEABLE | GMEM_NOCOMPACT | GMEM_NODISCARD | GMEM_NOT_BANKED | GMEM_NOTIFY, 4);
    ASSERT_PTR_NE(t, ok, NULL);
    EXPECT_EQ(t, GlobalFlags(ok), 0);
    GlobalFree(ok);
    ok = GlobalAlloc(GMEM_MOVEABLE | GMEM_DDESHARE, 4);
    ASSERT_PTR_NE(t, ok, NULL);
    EXPECT_EQ(t, GlobalFlags(ok), GMEM_DDESHARE);
    GlobalFree(ok);
    /* Sizes no heap can give: NULL, ERROR_NOT_ENOUGH_MEMORY, no handle kept. */
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalAlloc(GMEM_FIXED, HUGE_SIZE), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalAlloc(GMEM_MOVEABLE, HUGE_SIZE), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    HGLOBAL h = GlobalAlloc(GMEM_MOVEABLE, 30);
    ASSERT_PTR_NE(t, h, NULL);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalReAlloc(h, HUGE_SIZE, GMEM_MOVEABLE), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT_EQ(t, GlobalSize(h), 30);
    GlobalFree(h);
}

/* [obs] The handle table holds 0x10000 moveable objects; then
 * ERROR_NOT_ENOUGH_MEMORY, and a freed handle can be had again. */
#define TABLE_SIZE 0x10000u
static HGLOBAL many[TABLE_SIZE];

GM_TEST(handle_table_full_is_not_enough_memory)
{
    unsigned n = 0;

    while (n < TABLE_SIZE && (many[n] = GlobalAlloc(GMEM_MOVEABLE, 0)) != NULL)
        n++;
    EXPECT_EQ(t, n, TABLE_SIZE);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, GlobalAlloc(GMEM_MOVEABLE, 0), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    void *fixed = GlobalAlloc(GMEM_FIXED, 8);          /* fixed objects need no entry */
    EXPECT_PTR_NE(t, fixed, NULL);
    GlobalFree(fixed);
    EXPECT_PTR_EQ(t, GlobalFree(many[100]), NULL);
    EXPECT_PTR_EQ(t, many[100] = GlobalAlloc(GMEM_MOVEABLE, 0), many[100]);
    EXPECT_PTR_NE(t, many[100], NULL);
    unsigned freed = 0;
    for (unsigned i = 0; i < n; i++)
        freed += GlobalFree(many[i]) == NULL;
    EXPECT_EQ(t, freed, n);
}

/* ---- the Local family --------------------------------------------------------- */

GM_TEST(local_family)
{
    void *f = LocalAlloc(LMEM_FIXED, 0);                /* [obs] LocalSize 0 */
    ASSERT_PTR_NE(t, f, NULL);
    EXPECT_EQ(t, LocalSize(f), 0);
    SetLastError(BAD_ERROR);
    EXPECT_FALSE(t, LocalUnlock(f));                    /* [doc] fixed: ERROR_NOT_LOCKED */
    EXPECT_EQ(t, GetLastError(), ERROR_NOT_LOCKED);
    EXPECT_PTR_EQ(t, LocalReAlloc(f, 0, LMEM_MODIFY | LMEM_MOVEABLE), f);   /* stays fixed [obs] */
    EXPECT_EQ(t, LocalFlags(f), 0);
    EXPECT_PTR_EQ(t, LocalFree(f), NULL);

    HLOCAL h = LocalAlloc(LHND | LMEM_DISCARDABLE, 100);
    ASSERT_PTR_NE(t, h, NULL);
    EXPECT_EQ(t, (uintptr_t)h & 7, 4);
    EXPECT_EQ(t, LocalFlags(h), LMEM_DISCARDABLE);
    unsigned char *p = LocalLock(h);
    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, p[0] | p[99], 0);
    EXPECT_EQ(t, LocalFlags(h), LMEM_DISCARDABLE | 1);
    EXPECT_PTR_EQ(t, LocalHandle(p), h);
    EXPECT_PTR_EQ(t, LocalDiscard(h), NULL);            /* locked */
    SetLastError(BAD_ERROR);
    EXPECT_FALSE(t, LocalUnlock(h));
    EXPECT_EQ(t, GetLastError(), NO_ERROR);
    EXPECT_PTR_EQ(t, LocalDiscard(h), h);
    EXPECT_EQ(t, LocalFlags(h), LMEM_DISCARDABLE | LMEM_DISCARDED);
    EXPECT_PTR_EQ(t, LocalReAlloc(h, 20, LMEM_MOVEABLE), h);
    EXPECT_EQ(t, LocalSize(h), 20);
    EXPECT_PTR_EQ(t, LocalReAlloc(h, 0, LMEM_MODIFY), h);           /* not discardable now */
    EXPECT_EQ(t, LocalFlags(h), 0);
    EXPECT_PTR_EQ(t, LocalFree(h), NULL);
    SetLastError(BAD_ERROR);
    EXPECT_PTR_EQ(t, LocalLock(h), NULL);               /* freed */
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(BAD_ERROR);
    EXPECT_FALSE(t, LocalUnlock(h));
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
}

/* The two families share one handle table and one heap. */
GM_TEST(local_and_global_objects_are_interchangeable)
{
    HGLOBAL g = GlobalAlloc(GMEM_MOVEABLE, 12);
    HLOCAL l = LocalAlloc(LMEM_MOVEABLE, 12);

    ASSERT_PTR_NE(t, g, NULL);
    ASSERT_PTR_NE(t, l, NULL);
    EXPECT_EQ(t, LocalSize(g), 12);
    EXPECT_EQ(t, GlobalSize(l), 12);
    EXPECT_PTR_NE(t, LocalLock(g), NULL);
    EXPECT_EQ(t, GlobalFlags(g), 1);
    EXPECT_PTR_EQ(t, LocalFree(g), NULL);
    EXPECT_PTR_EQ(t, GlobalFree(l), NULL);
}

static const struct utest_case global_cases[] = {
    UTEST_CASE(fixed_object_is_a_process_heap_block),
    UTEST_CASE(fixed_object_moves_only_with_gmem_moveable),
    UTEST_CASE(moveable_handle_and_lock_counts),
    UTEST_CASE(lock_count_stops_at_255),
    UTEST_CASE(unlocked_moveable_memory_moves_on_realloc),
    UTEST_CASE(locked_moveable_memory_reallocates_in_place_only),
    UTEST_CASE(zero_byte_moveable_object_is_discarded),
    UTEST_CASE(discard_keeps_the_handle),
    UTEST_CASE(modify_changes_attributes_only),
    UTEST_CASE(free_of_a_locked_handle_frees_it),
    UTEST_END,
};

static const struct utest_case error_cases[] = {
    UTEST_CASE(bad_handles_and_pointers_are_refused),
    UTEST_CASE(bad_flags_and_sizes),
    UTEST_CASE(handle_table_full_is_not_enough_memory),
    UTEST_END,
};

static const struct utest_case local_cases[] = {
    UTEST_CASE(local_family),
    UTEST_CASE(local_and_global_objects_are_interchangeable),
    UTEST_END,
};

static const struct utest_suite global_suite = { .name = "global", .cases = global_cases };
static const struct utest_suite error_suite = { .name = "global_errors", .cases = error_cases };
static const struct utest_suite local_suite = { .name = "local", .cases = local_cases };

static const struct utest_suite *const suites[] = { &global_suite, &error_suite, &local_suite, NULL };

/* The handle table is reserved by the first moveable allocation and kept
 * (as NT's): made here, before the per-suite count of reservations. */
int main(void)
{
    GlobalFree(GlobalAlloc(GMEM_MOVEABLE, 1));
    utest_register_counter("allocations", utest_counter_allocations);
    return utest_main(suites);
}
