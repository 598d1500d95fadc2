/* The array-allocation runtime (libc/include/rtnew.h) from ring 3: spec
 * section O (items 102-104; those case names start with the item), the
 * cookie's layout seen through _msize / HeapSize on the real block start,
 * over-aligned types, constructor failure, overflow, and every mismatched
 * delete caught before a destructor runs, with the heap left intact.
 * Every case gives back every block (counted with HeapWalk). */
#include "utest.h"
#include <rtnew.h>
#include <malloc.h>
#include <stdlib.h>
#include <errno.h>
#include <ntstatus.h>

/* ---- fixture: the process heap's busy blocks before and after ----------- */

struct heap_use {
    size_t blocks, bytes;
};

static struct heap_use heap_use(void)
{
    struct heap_use u = { 0, 0 };
    PROCESS_HEAP_ENTRY e;

    e.lpData = NULL;
    while (HeapWalk(GetProcessHeap(), &e)) {
        if (e.wFlags & PROCESS_HEAP_ENTRY_BUSY) {
            u.blocks++;
            u.bytes += e.cbData;
        }
    }
    return u;
}

/* ---- the event log: which object was constructed / destroyed when ------- */

#define LOG_MAX 64

static struct {
    int ctors, dtors;
    const void *ctor_at[LOG_MAX], *dtor_at[LOG_MAX];
    int fail_at;                        /* the ctor call (1-based) that fails; 0: none */
    int fail_value;
} ev;

static struct heap_use fixture_use;

static void case_enter(void)
{
    memset(&ev, 0, sizeof(ev));
    fixture_use = heap_use();
}

static void case_leave(struct utest *t)
{
    struct heap_use now = heap_use();

    EXPECT_TRUE(t, HeapValidate(GetProcessHeap(), 0, NULL));
    EXPECT_EQ(t, now.blocks, fixture_use.blocks);
    EXPECT_EQ(t, now.bytes, fixture_use.bytes);
}

#define RT_TEST(name)                                                         \
    static void name##_body(struct utest *t);                                 \
    static void name(struct utest *t)                                         \
    {                                                                         \
        case_enter();                                                         \
        name##_body(t);                                                       \
        case_leave(t);                                                        \
    }                                                                         \
    static void name##_body(struct utest *t)

/* ---- classes ------------------------------------------------------------- */

#define MAGIC 0xC0FFEE11u
#define DEAD 0xDEADDEADu

struct thing {
    uint32_t magic;
    int serial;
    char payload[12];
};

static int thing_ctor(void *obj)
{
    struct thing *p = obj;

    if (ev.ctors < LOG_MAX)
        ev.ctor_at[ev.ctors] = obj;
    ev.ctors++;
    if (ev.fail_at != 0 && ev.ctors == ev.fail_at)
        return ev.fail_value;
    p->magic = MAGIC;
    p->serial = ev.ctors;
    return 0;
}

static void thing_dtor(void *obj)
{
    struct thing *p = obj;

    if (ev.dtors < LOG_MAX)
        ev.dtor_at[ev.dtors] = obj;
    ev.dtors++;
    p->magic = p->magic == MAGIC ? DEAD : 0;   /* a dtor on garbage leaves 0 */
}

/* A type with a constructor and destructor (item 103), one with only a
 * constructor (a defaulted destructor, item 102), and a plain one. */
static const rt_class Thing = { "Thing", sizeof(struct thing), 0, thing_ctor, thing_dtor };
static const rt_class Built = { "Built", sizeof(struct thing), 0, thing_ctor, NULL };
static const rt_class Plain = { "Plain", 12, 0, NULL, NULL };
static const rt_class Other = { "Other", sizeof(struct thing), 0, thing_ctor, thing_dtor };

/* Aligned variants (each size a multiple of its alignment, as sizeof is,
 * and big enough for a struct thing). */
#define ALIGNED_CLASS(n, size, align, dtor) { n, size, align, thing_ctor, dtor }
static const rt_class Aligned8D = ALIGNED_CLASS("Aligned8D", 24, 8, thing_dtor);
static const rt_class Aligned16D = ALIGNED_CLASS("Aligned16D", 32, 16, thing_dtor);
static const rt_class Aligned32D = ALIGNED_CLASS("Aligned32D", 32, 32, thing_dtor);
static const rt_class Aligned64D = ALIGNED_CLASS("Aligned64D", 64, 64, thing_dtor);
static const rt_class Aligned16 = ALIGNED_CLASS("Aligned16", 32, 16, NULL);
static const rt_class Aligned32 = ALIGNED_CLASS("Aligned32", 32, 32, NULL);
static const rt_class Aligned64 = ALIGNED_CLASS("Aligned64", 64, 64, NULL);

#define HEAP GetProcessHeap()

static size_t cookie_of(const void *arr)
{
    return ((const size_t *)arr)[-1];
}

/* ---- items 102-104: layout ------------------------------------------------ */

RT_TEST(o103_constructs_in_order_destroys_in_reverse)
{
    char *arr = rt_new_array(&Thing, 5);

    ASSERT_PTR_NE(t, arr, NULL);
    ASSERT_EQ(t, ev.ctors, 5);
    EXPECT_EQ(t, ev.dtors, 0);
    for (int i = 0; i < 5; i++) {
        EXPECT_PTR_EQ(t, ev.ctor_at[i], arr + i * sizeof(struct thing));
        EXPECT_EQ(t, ((struct thing *)arr)[i].serial, i + 1);
    }
    rt_delete_array(&Thing, arr);
    ASSERT_EQ(t, ev.dtors, 5);
    EXPECT_EQ(t, ev.ctors, 5);
    for (int i = 0; i < 5; i++)
        EXPECT_PTR_EQ(t, ev.dtor_at[i], arr + (4 - i) * sizeof(struct thing));
}

RT_TEST(o103_single_new_and_delete)
{
    struct thing *p = rt_new(&Thing);

    ASSERT_PTR_NE(t, p, NULL);
    EXPECT_EQ(t, ev.ctors, 1);
    EXPECT_EQ(t, p->magic, MAGIC);
    EXPECT_EQ(t, _msize(p), sizeof(struct thing));    /* no cookie for one object */
    EXPECT_EQ(t, (uintptr_t)p % 8, 0);
    rt_delete(&Thing, p);
    EXPECT_EQ(t, ev.dtors, 1);
    EXPECT_PTR_EQ(t, ev.dtor_at[0], p);
}

/* Item 103: n * size + sizeof(size_t) asked of the heap, the count in the
 * leading size_t; the array pointer is not a block start (_msize fails
 * on it, as MSVC's throws), the word before it is. */
RT_TEST(o103_destructor_means_a_cookie)
{
    for (size_t n = 1; n <= 7; n += 3) {
        char *arr = rt_new_array(&Thing, n);
        ASSERT_PTR_NE(t, arr, NULL);
        char *block = arr - sizeof(size_t);
        EXPECT_EQ(t, cookie_of(arr), n);
        errno = 0;
        EXPECT_EQ(t, _msize(arr), (size_t)-1);
        EXPECT_EQ(t, errno, EINVAL);
        EXPECT_FALSE(t, HeapValidate(HEAP, 0, arr));
        EXPECT_EQ(t, _msize(block), n * sizeof(struct thing) + 4);
        EXPECT_EQ(t, HeapSize(HEAP, 0, block), n * sizeof(struct thing) + 4);
        EXPECT_TRUE(t, HeapValidate(HEAP, 0, block));
        rt_delete_array(&Thing, arr);
    }
    EXPECT_EQ(t, ev.ctors, 1 + 4 + 7);
    EXPECT_EQ(t, ev.dtors, 1 + 4 + 7);
}

/* Item 102: without a destructor the array is the block, constructors or not. */
RT_TEST(o102_trivial_destructor_has_no_cookie)
{
    char *built = rt_new_array(&Built, 3), *plain = rt_new_array(&Plain, 5);

    ASSERT_PTR_NE(t, built, NULL);
    ASSERT_PTR_NE(t, plain, NULL);
    EXPECT_EQ(t, ev.ctors, 3);
    EXPECT_EQ(t, _msize(built), 3 * sizeof(struct thing));
    EXPECT_EQ(t, _msize(plain), 5 * 12);
    EXPECT_TRUE(t, HeapValidate(HEAP, 0, built));
    EXPECT_TRUE(t, HeapValidate(HEAP, 0, plain));
    rt_delete_array(&Built, built);
    rt_delete_array(&Plain, plain);
    EXPECT_EQ(t, ev.dtors, 0);
}

/* Item 104: new T[0] is a unique block; with a destructor it holds the
 * cookie, 0. */
RT_TEST(o104_new_zero_elements)
{
    char *a = rt_new_array(&Thing, 0), *b = rt_new_array(&Thing, 0);
    char *c = rt_new_array(&Plain, 0), *d = rt_new_array(&Plain, 0);

    ASSERT_TRUE(t, a != NULL && b != NULL && c != NULL && d != NULL);
    EXPECT_PTR_NE(t, a, b);
    EXPECT_PTR_NE(t, c, d);
    EXPECT_EQ(t, cookie_of(a), 0);
    EXPECT_EQ(t, _msize(a - sizeof(size_t)), sizeof(size_t));
    EXPECT_EQ(t, _msize(c), 0);
    EXPECT_EQ(t, ev.ctors, 0);
    rt_delete_array(&Thing, a);
    rt_delete_array(&Thing, b);
    rt_delete_array(&Plain, c);
    rt_delete_array(&Plain, d);
    EXPECT_EQ(t, ev.dtors, 0);
}

/* Aligned beyond a size_t: the cookie area is `align` bytes (the count in
 * its last size_t), so the elements keep the alignment; beyond 8 the
 * block is an _aligned_malloc block. */
RT_TEST(overaligned_classes_keep_their_alignment)
{
    static const rt_class *const with[] = { &Aligned16D, &Aligned32D, &Aligned64D };
    static const rt_class *const without[] = { &Aligned16, &Aligned32, &Aligned64 };

    for (int k = 0; k < 3; k++) {
        for (size_t n = 0; n <= 3; n++) {
            const rt_class *c = with[k];
            char *arr = rt_new_array(c, n);
            ASSERT_PTR_NE(t, arr, NULL);
            EXPECT_EQ(t, (uintptr_t)arr % c->align, 0);
            EXPECT_EQ(t, cookie_of(arr), n);
            EXPECT_EQ(t, _aligned_msize(arr - c->align, c->align, 0), n * c->size + c->align);
            rt_delete_array(c, arr);

            c = without[k];
            arr = rt_new_array(c, n);
            ASSERT_PTR_NE(t, arr, NULL);
            EXPECT_EQ(t, (uintptr_t)arr % c->align, 0);
            EXPECT_EQ(t, _aligned_msize(arr, c->align, 0), n * c->size);
            rt_delete_array(c, arr);
        }
        struct thing *one = rt_new(with[k]);
        ASSERT_PTR_NE(t, one, NULL);
        EXPECT_EQ(t, (uintptr_t)one % with[k]->align, 0);
        rt_delete(with[k], one);
    }
    EXPECT_EQ(t, ev.ctors, 3 * (0 + 1 + 2 + 3) * 2 + 3);
    EXPECT_EQ(t, ev.dtors, 3 * (0 + 1 + 2 + 3) + 3);     /* the classes with a destructor */
}

/* align 8 on x86 is beyond a size_t: an 8-byte cookie area on a plain
 * malloc block, whose start is 8 bytes before the array. */
RT_TEST(align_8_gets_an_8_byte_cookie_area)
{
    char *arr = rt_new_array(&Aligned8D, 3);

    ASSERT_PTR_NE(t, arr, NULL);
    EXPECT_EQ(t, (uintptr_t)arr % 8, 0);
    EXPECT_EQ(t, cookie_of(arr), 3);
    EXPECT_EQ(t, _msize(arr - 8), 3 * 24 + 8);
    rt_delete_array(&Aligned8D, arr);
    EXPECT_EQ(t, ev.dtors, 3);
}

/* ---- failures ---------------------------------------------------------------- */

RT_TEST(ctor_failure_mid_array_unwinds)
{
    ev.fail_at = 4;
    ev.fail_value = ENOSPC;
    errno = 0;
    EXPECT_PTR_EQ(t, rt_new_array(&Thing, 6), NULL);
    EXPECT_EQ(t, errno, ENOSPC);
    EXPECT_EQ(t, ev.ctors, 4);                    /* the 4th failed, no 5th */
    ASSERT_EQ(t, ev.dtors, 3);
    for (int i = 0; i < 3; i++)                   /* built ones, in reverse */
        EXPECT_PTR_EQ(t, ev.dtor_at[i], ev.ctor_at[2 - i]);
}

RT_TEST(ctor_failure_of_first_element_and_single)
{
    ev.fail_at = 1;
    ev.fail_value = 99;
    errno = 0;
    EXPECT_PTR_EQ(t, rt_new_array(&Aligned64D, 3), NULL);
    EXPECT_EQ(t, errno, 99);
    EXPECT_EQ(t, ev.dtors, 0);
    ev.ctors = 0;
    errno = 0;
    EXPECT_PTR_EQ(t, rt_new(&Thing), NULL);
    EXPECT_EQ(t, errno, 99);
    EXPECT_EQ(t, ev.dtors, 0);
}

RT_TEST(size_overflow_is_enomem)
{
    static const size_t counts[] = { SIZE_MAX, SIZE_MAX / 20 + 1, 0x10000000u, 0x0FFFFFFFu };

    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        errno = 0;
        EXPECT_PTR_EQ(t, rt_new_array(&Thing, counts[i]), NULL);
        EXPECT_EQ(t, errno, ENOMEM);
        errno = 0;
        EXPECT_PTR_EQ(t, rt_new_array(&Plain, counts[i] / 2 + 1), NULL);
        EXPECT_EQ(t, errno, ENOMEM);
    }
    EXPECT_EQ(t, ev.ctors, 0);
}

RT_TEST(bad_descriptors_are_einval)
{
    static const rt_class no_size = { "NoSize", 0, 0, NULL, NULL };
    static const rt_class odd_align = { "OddAlign", 12, 12, NULL, NULL };
    static const rt_class short_size = { "Short", 24, 16, NULL, NULL };
    const rt_class *bad[] = { NULL, &no_size, &odd_align, &short_size };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        EXPECT_PTR_EQ(t, rt_new(bad[i]), NULL);
        EXPECT_EQ(t, errno, EINVAL);
        errno = 0;
        EXPECT_PTR_EQ(t, rt_new_array(bad[i], 2), NULL);
        EXPECT_EQ(t, errno, EINVAL);
    }
}

RT_TEST(deleting_null_does_nothing)
{
    rt_delete(&Thing, NULL);
    rt_delete_array(&Thing, NULL);
    EXPECT_EQ(t, ev.dtors, 0);
}

/* ---- mismatched deletes ------------------------------------------------------- */

/* Runs a delete that must be caught: STATUS_HEAP_CORRUPTION, not
 * continuable, naming the pointer and the error; no destructor ran and
 * the heap is intact. */
#define EXPECT_CAUGHT(t, stmt, ptr, err)                                      \
    do {                                                                      \
        struct utest_exception x_;                                            \
        int dtors_ = ev.dtors;                                                \
        EXPECT_EXCEPTION(t, &x_, stmt);                                       \
        EXPECT_EQ(t, x_.code, (DWORD)STATUS_HEAP_CORRUPTION);                        \
        EXPECT_EQ(t, x_.flags & EXCEPTION_NONCONTINUABLE, EXCEPTION_NONCONTINUABLE); \
        EXPECT_EQ(t, x_.nparams, 3);                                          \
        EXPECT_EQ(t, x_.info[0], (uintptr_t)(ptr));                           \
        EXPECT_EQ(t, x_.info[1], err);                                        \
        EXPECT_EQ(t, ev.dtors, dtors_);                                       \
        EXPECT_TRUE(t, HeapValidate(HEAP, 0, NULL));                          \
    } while (0)

RT_TEST(delete_of_new_array_is_caught)
{
    char *arr = rt_new_array(&Thing, 3), *built = rt_new_array(&Built, 2);

    ASSERT_TRUE(t, arr != NULL && built != NULL);
    EXPECT_CAUGHT(t, rt_delete(&Thing, arr), arr, RT_ERR_ARRAY_AS_SINGLE);
    EXPECT_CAUGHT(t, rt_delete(&Built, built), built, RT_ERR_ARRAY_AS_SINGLE);
    EXPECT_EQ(t, cookie_of(arr), 3);
    EXPECT_EQ(t, ((struct thing *)arr)[0].magic, MAGIC);
    rt_delete_array(&Thing, arr);                 /* still deletable, correctly */
    rt_delete_array(&Built, built);
    EXPECT_EQ(t, ev.dtors, 3);
}

RT_TEST(delete_array_of_new_is_caught)
{
    struct thing *one = rt_new(&Thing);

    ASSERT_PTR_NE(t, one, NULL);
    EXPECT_CAUGHT(t, rt_delete_array(&Thing, one), one, RT_ERR_SINGLE_AS_ARRAY);
    EXPECT_EQ(t, one->magic, MAGIC);
    rt_delete(&Thing, one);
    EXPECT_EQ(t, ev.dtors, 1);
}

RT_TEST(delete_of_foreign_pointers_is_caught)
{
    static struct thing global;
    char *m = malloc(sizeof(struct thing));
    char *arr = rt_new_array(&Thing, 3);

    ASSERT_TRUE(t, m != NULL && arr != NULL);
    memset(m, 0x41, sizeof(struct thing));
    EXPECT_CAUGHT(t, rt_delete(&Thing, m), m, RT_ERR_NOT_ALLOCATED);
    EXPECT_CAUGHT(t, rt_delete_array(&Thing, m), m, RT_ERR_NOT_ALLOCATED);
    EXPECT_CAUGHT(t, rt_delete(&Thing, &global), &global, RT_ERR_NOT_ALLOCATED);
    char *block = arr - sizeof(size_t);           /* the real block start */
    EXPECT_CAUGHT(t, rt_delete_array(&Thing, block), block, RT_ERR_NOT_ALLOCATED);
    char *second = arr + sizeof(struct thing);    /* an element */
    EXPECT_CAUGHT(t, rt_delete(&Thing, second), second, RT_ERR_NOT_ALLOCATED);
    EXPECT_EQ(t, _msize(m), sizeof(struct thing));
    free(m);
    rt_delete_array(&Thing, arr);
    EXPECT_EQ(t, ev.dtors, 3);
}

RT_TEST(double_delete_is_caught)
{
    struct thing *one = rt_new(&Thing);
    char *arr = rt_new_array(&Thing, 2);

    ASSERT_TRUE(t, one != NULL && arr != NULL);
    rt_delete(&Thing, one);
    rt_delete_array(&Thing, arr);
    EXPECT_EQ(t, ev.dtors, 3);
    EXPECT_CAUGHT(t, rt_delete(&Thing, one), one, RT_ERR_DOUBLE_DELETE);
    EXPECT_CAUGHT(t, rt_delete_array(&Thing, arr), arr, RT_ERR_DOUBLE_DELETE);
    EXPECT_CAUGHT(t, rt_delete_array(&Thing, one), one, RT_ERR_DOUBLE_DELETE);
}

RT_TEST(delete_as_another_class_is_caught)
{
    char *arr = rt_new_array(&Thing, 2);

    ASSERT_PTR_NE(t, arr, NULL);
    EXPECT_CAUGHT(t, rt_delete_array(&Other, arr), arr, RT_ERR_WRONG_CLASS);
    rt_delete_array(&Thing, arr);
    EXPECT_EQ(t, ev.dtors, 2);
}

RT_TEST(overwritten_cookie_is_caught)
{
    char *arr = rt_new_array(&Thing, 2);

    ASSERT_PTR_NE(t, arr, NULL);
    ((size_t *)arr)[-1] = 1000;                   /* an underrun */
    EXPECT_CAUGHT(t, rt_delete_array(&Thing, arr), arr, RT_ERR_CORRUPT);
    ((size_t *)arr)[-1] = 2;
    rt_delete_array(&Thing, arr);
    EXPECT_EQ(t, ev.dtors, 2);
}

/* The heap entry (busy or free) whose data starts at p exists. */
static bool heap_has_entry_at(const void *p)
{
    PROCESS_HEAP_ENTRY e;

    e.lpData = NULL;
    while (HeapWalk(GetProcessHeap(), &e))
        if (e.lpData == p && !(e.wFlags & (PROCESS_HEAP_REGION | PROCESS_HEAP_UNCOMMITTED_RANGE)))
            return true;
    return false;
}

/* An overrun of the last element into the next block's 8-byte header (a
 * 64-byte block has no slack, so the next header starts right at the
 * array's end): the heap block check (HeapValidate of the block start)
 * catches it, before any destructor. */
RT_TEST(overrun_into_the_next_block_is_caught)
{
    char *arr = rt_new_array(&Thing, 3);          /* block: 4 + 60 = 64 bytes */
    char *end = arr + 3 * sizeof(struct thing);
    unsigned char saved[8];

    ASSERT_PTR_NE(t, arr, NULL);
    if (!heap_has_entry_at(end + 8)) {
        rt_delete_array(&Thing, arr);
        utest_skip(t, "the array's block is the last of its segment");
    }
    memcpy(saved, end, 8);
    memset(end, 0xFF, 8);
    struct utest_exception x;
    EXPECT_EXCEPTION(t, &x, rt_delete_array(&Thing, arr));
    EXPECT_EQ(t, x.code, (DWORD)STATUS_HEAP_CORRUPTION);
    EXPECT_EQ(t, x.info[1], RT_ERR_CORRUPT);
    EXPECT_EQ(t, ev.dtors, 0);
    memcpy(end, saved, 8);
    EXPECT_TRUE(t, HeapValidate(HEAP, 0, NULL));
    rt_delete_array(&Thing, arr);
    EXPECT_EQ(t, ev.dtors, 3);
}

/* Many live objects: the registry grows past its static table and comes
 * back, and every object is still found. */
RT_TEST(many_live_objects)
{
    enum { N = 1500 };
    static void *objs[N];

    for (int i = 0; i < N; i++) {
        objs[i] = i % 2 ? rt_new(&Plain) : rt_new_array(&Plain, (size_t)i % 7);
        ASSERT_PTR_NE(t, objs[i], NULL);
    }
    for (int i = 0; i < N; i += 3) {              /* out of order */
        if (i % 2)
            rt_delete(&Plain, objs[i]);
        else
            rt_delete_array(&Plain, objs[i]);
        objs[i] = NULL;
    }
    for (int i = N - 1; i >= 0; i--) {
        if (objs[i] == NULL)
            continue;
        if (i % 2)
            rt_delete(&Plain, objs[i]);
        else
            rt_delete_array(&Plain, objs[i]);
    }
}

static const struct utest_case array_cases[] = {
    UTEST_CASE(o103_constructs_in_order_destroys_in_reverse),
    UTEST_CASE(o103_single_new_and_delete),
    UTEST_CASE(o103_destructor_means_a_cookie),
    UTEST_CASE(o102_trivial_destructor_has_no_cookie),
    UTEST_CASE(o104_new_zero_elements),
    UTEST_CASE(overaligned_classes_keep_their_alignment),
    UTEST_CASE(align_8_gets_an_8_byte_cookie_area),
    UTEST_CASE(ctor_failure_mid_array_unwinds),
    UTEST_CASE(ctor_failure_of_first_element_and_single),
    UTEST_CASE(size_overflow_is_enomem),
    UTEST_CASE(bad_descriptors_are_einval),
    UTEST_CASE(deleting_null_does_nothing),
    UTEST_END,
};

static const struct utest_case mismatch_cases[] = {
    UTEST_CASE(delete_of_new_array_is_caught),
    UTEST_CASE(delete_array_of_new_is_caught),
    UTEST_CASE(delete_of_foreign_pointers_is_caught),
    UTEST_CASE(double_delete_is_caught),
    UTEST_CASE(delete_as_another_class_is_caught),
    UTEST_CASE(overwritten_cookie_is_caught),
    UTEST_CASE(overrun_into_the_next_block_is_caught),
    UTEST_CASE(many_live_objects),
    UTEST_END,
};

static const struct utest_suite array_suite = { .name = "rt_arrays", .cases = array_cases };
static const struct utest_suite mismatch_suite = { .name = "rt_mismatch", .cases = mismatch_cases };

static const struct utest_suite *const suites[] = { &array_suite, &mismatch_suite, NULL };

int main(void)
{
    return utest_main(suites);
}
