/* new, delete, new[] and delete[] for C (libc/include/rtnew.h): the MSVC
 * array cookie on the CRT's malloc, and mismatched deletes caught before
 * they do harm.
 *
 * How a mismatch is recognised.  The cookie alone cannot tell: delete
 * cannot know whether the word before an object is a cookie or the heap's
 * header, and reading it for a single object (or a pointer from nowhere)
 * is exactly the silent corruption the source material describes.  So the
 * runtime keeps its own registry of live objects: an open-addressed hash
 * set (linear probing, deletion by backward shift, so no tombstones)
 * keyed by the pointer new returned, holding the kind (new or new[]), the
 * class, the element count and the block malloc returned.  Every delete
 * looks the pointer up first and checks kind, class, cookie (against the
 * count it recorded) and finally the heap block itself (HeapValidate of
 * the block start, which also sees a neighbour's overwritten header),
 * all before any destructor runs and before anything is written.  Only
 * then is the entry removed, the destructors run and the block freed.
 *
 * The registry lives apart from the heap it guards: a static table of
 * RT_STATIC_SLOTS, grown in VirtualAlloc'd tables (and given back when
 * the last object goes), so a heap overrun cannot reach it and the
 * process heap holds only the program's own blocks.  The last
 * RT_RECENT deleted pointers are remembered so a second delete is named
 * as such.  One thread per process: no lock. */
#include <rtnew.h>
#include <malloc.h>
#include <new.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <windows.h>
#include <ntstatus.h>

#define RT_STATIC_SLOTS 256u          /* a power of two */
#define RT_RECENT 32u
#define RT_MALLOC_ALIGN 8u            /* what malloc guarantees (item 95) */

enum rt_kind { RT_SINGLE = 1, RT_ARRAY = 2 };

struct rt_entry {
    char *obj;                        /* what new returned; NULL: empty slot */
    char *block;                      /* what malloc / _aligned_malloc returned */
    char *base;                       /* the heap block: block, or the one under an aligned block */
    const rt_class *cls;
    size_t count;                     /* elements; 1 for new */
    enum rt_kind kind;
};

static struct rt_entry rt_static[RT_STATIC_SLOTS];
static struct rt_entry *rt_slots = rt_static;
static size_t rt_cap = RT_STATIC_SLOTS;   /* slots; kept at most half full */
static size_t rt_live;
static struct rt_entry rt_recent[RT_RECENT];
static unsigned rt_recent_next;

/* ---- the registry ----------------------------------------------------------- */

static size_t rt_hash(const void *p, size_t cap)
{
    uint32_t x = (uint32_t)(uintptr_t)p;

    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x & (cap - 1);
}

/* The slot holding obj, or -1. */
static long rt_find(const void *obj)
{
    for (size_t i = rt_hash(obj, rt_cap);; i = (i + 1) & (rt_cap - 1)) {
        if (rt_slots[i].obj == obj)
            return (long)i;
        if (rt_slots[i].obj == NULL)
            return -1;
    }
}

static void rt_place(struct rt_entry *slots, size_t cap, const struct rt_entry *e)
{
    size_t i = rt_hash(e->obj, cap);

    while (slots[i].obj != NULL)
        i = (i + 1) & (cap - 1);
    slots[i] = *e;
}

/* Moves the registry to a table of cap slots (the static one when cap is
 * RT_STATIC_SLOTS).  Returns false, nothing changed, when no memory. */
static bool rt_resize(size_t cap)
{
    struct rt_entry *old = rt_slots, *slots = rt_static;
    size_t old_cap = rt_cap;

    if (cap != RT_STATIC_SLOTS) {
        slots = VirtualAlloc(NULL, cap * sizeof(*slots), MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        if (slots == NULL)
            return false;
    } else {
        memset(rt_static, 0, sizeof(rt_static));    /* old is a virtual table here */
    }
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].obj != NULL)
            rt_place(slots, cap, &old[i]);
    if (old != rt_static)
        VirtualFree(old, 0, MEM_RELEASE);
    rt_slots = slots;
    rt_cap = cap;
    return true;
}

/* Records a live object; false (nothing recorded) when the table could
 * not grow. */
static bool rt_register(const struct rt_entry *e)
{
    if ((rt_live + 1) * 2 > rt_cap && (rt_cap > SIZE_MAX / 2 / sizeof(*e) || !rt_resize(rt_cap * 2)))
        return false;
    rt_place(rt_slots, rt_cap, e);
    rt_live++;
    for (unsigned i = 0; i < RT_RECENT; i++)       /* the address is live again */
        if (rt_recent[i].obj == e->obj)
            rt_recent[i].obj = NULL;
    return true;
}

/* Removes slot i (backward-shift deletion keeps every probe chain whole)
 * and remembers the entry as recently deleted. */
static void rt_unregister(size_t i)
{
    size_t mask = rt_cap - 1;

    rt_recent[rt_recent_next++ % RT_RECENT] = rt_slots[i];
    for (size_t j = (i + 1) & mask; rt_slots[j].obj != NULL; j = (j + 1) & mask) {
        size_t home = rt_hash(rt_slots[j].obj, rt_cap);
        /* j's entry may fill the hole at i unless its home lies in (i, j]. */
        bool stays = i < j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            rt_slots[i] = rt_slots[j];
            i = j;
        }
    }
    rt_slots[i].obj = NULL;
    if (--rt_live == 0 && rt_slots != rt_static)
        rt_resize(RT_STATIC_SLOTS);
}

/* ---- layout ------------------------------------------------------------------ */

static bool rt_class_ok(const rt_class *c)
{
    if (c == NULL || c->size == 0)
        return false;
    return c->align == 0 || ((c->align & (c->align - 1)) == 0 && c->size % c->align == 0);
}

/* Bytes in front of the first element of an array: none without a
 * destructor; else a size_t, or `align` bytes for a type aligned beyond
 * a size_t (the count in the last size_t of them). */
static size_t rt_cookie_size(const rt_class *c)
{
    if (c->dtor == NULL)
        return 0;
    return c->align > sizeof(size_t) ? c->align : sizeof(size_t);
}

static bool rt_overaligned(const rt_class *c)
{
    return c->align > RT_MALLOC_ALIGN;
}

/* operator new's loop (the UCRT's new_scalar.cpp): when the memory is not
 * there, the new handler is called with the size and the allocation tried
 * again for as long as it returns non-zero; without a handler, or when it
 * gives up, new fails (here: NULL, errno ENOMEM, where C++ throws
 * std::bad_alloc).  Unlike malloc this does not depend on the new mode. */
static char *rt_alloc(const rt_class *c, size_t bytes)
{
    for (;;) {
        char *p = rt_overaligned(c) ? _aligned_malloc(bytes, c->align) : malloc(bytes);
        if (p != NULL)
            return p;
        if (!_callnewh(bytes)) {
            errno = ENOMEM;
            return NULL;
        }
    }
}

static void rt_release(const rt_class *c, char *block)
{
    if (rt_overaligned(c))
        _aligned_free(block);
    else
        free(block);
}

/* The heap block behind an entry is intact and large enough. */
static bool rt_block_ok(const struct rt_entry *e)
{
    size_t need = (size_t)(e->obj - e->base) + e->count * e->cls->size;

    if (!HeapValidate(GetProcessHeap(), 0, e->base))
        return false;
    return HeapSize(GetProcessHeap(), 0, e->base) >= need;
}

/* ---- construction and destruction ------------------------------------------- */

/* Destroys elements n-1 down to 0. */
static void rt_destroy(const rt_class *c, char *obj, size_t n)
{
    if (c->dtor == NULL)
        return;
    while (n-- > 0)
        c->dtor(obj + n * c->size);
}

/* Constructs n elements in order; when one fails, destroys those already
 * built in reverse and returns the constructor's result (else 0). */
static int rt_construct(const rt_class *c, char *obj, size_t n)
{
    if (c->ctor == NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int r = c->ctor(obj + i * c->size);
        if (r != 0) {
            rt_destroy(c, obj, i);
            return r;
        }
    }
    return 0;
}

/* new / new[] of n objects: the block (cookie + n * size bytes), the count
 * in the cookie if there is one, construction in order, then the record.
 * A failing constructor or a registry that cannot grow undoes it all. */
static void *rt_make(const rt_class *c, size_t n, size_t cookie, enum rt_kind kind)
{
    char *block = rt_alloc(c, cookie + n * c->size);

    if (block == NULL)
        return NULL;                    /* errno from malloc */
    char *obj = block + cookie;
    if (cookie != 0)
        ((size_t *)obj)[-1] = n;
    int r = rt_construct(c, obj, n);
    if (r != 0) {
        rt_release(c, block);
        errno = r;
        return NULL;
    }
    /* An aligned block records its heap block just below it (the UCRT's
     * layout, libc/crt_malloc.c). */
    char *base = rt_overaligned(c) ? ((char **)block)[-1] : block;
    struct rt_entry e = { .obj = obj, .block = block, .base = base, .cls = c, .count = n, .kind = kind };
    if (!rt_register(&e)) {
        rt_destroy(c, obj, n);
        rt_release(c, block);
        errno = ENOMEM;
        return NULL;
    }
    return obj;
}

void *rt_new(const rt_class *c)
{
    if (!rt_class_ok(c)) {
        errno = EINVAL;
        return NULL;
    }
    return rt_make(c, 1, 0, RT_SINGLE);
}

/* Items 102-104: a cookie exactly when there is a destructor; new T[0]
 * is a unique block (holding only the cookie, 0, if there is one). */
void *rt_new_array(const rt_class *c, size_t n)
{
    if (!rt_class_ok(c)) {
        errno = EINVAL;
        return NULL;
    }
    size_t cookie = rt_cookie_size(c);
    if (n > (_HEAP_MAXREQ - cookie) / c->size) {
        errno = ENOMEM;
        return NULL;
    }
    return rt_make(c, n, cookie, RT_ARRAY);
}

/* ---- checked deletion --------------------------------------------------------- */

static const char *rt_name(const rt_class *c)
{
    return c != NULL && c->name != NULL ? c->name : "(no name)";
}

static const char *rt_kind_text(enum rt_kind k)
{
    return k == RT_ARRAY ? "new[]" : "new";
}

/* The live object p points into (an element, or the cookie / padding
 * before the first), or NULL. */
static const struct rt_entry *rt_find_inside(const char *p)
{
    for (size_t i = 0; i < rt_cap; i++) {
        const struct rt_entry *e = &rt_slots[i];
        if (e->obj != NULL && p >= e->block && p < e->obj + e->count * e->cls->size)
            return e;
    }
    return NULL;
}

/* p was deleted lately and its heap block has not been handed out again
 * (else p may now be anybody's, and it is only "not from new"). */
static const struct rt_entry *rt_find_recent(const void *p)
{
    for (unsigned i = 0; i < RT_RECENT; i++)
        if (rt_recent[i].obj != NULL && rt_recent[i].obj == p &&
            !HeapValidate(GetProcessHeap(), 0, rt_recent[i].base))
            return &rt_recent[i];
    return NULL;
}

/* Says what is wrong with `op` (delete / delete[]) of p as class c and
 * raises STATUS_HEAP_CORRUPTION, non-continuable.  Nothing has been
 * touched.  e is the matching entry when there is one. */
static __attribute__((noreturn)) void rt_mismatch(const char *op, const rt_class *c, void *p, int err,
                                                  const struct rt_entry *e)
{
    printf("rtnew: %s %p (class %s): ", op, p, rt_name(c));
    switch (err) {
    case RT_ERR_DOUBLE_DELETE:
        printf("deleted already (double delete; it was a %s %s)\n", rt_kind_text(e->kind), rt_name(e->cls));
        break;
    case RT_ERR_ARRAY_AS_SINGLE:
        printf("allocated by new[] (%zu elements), so it needs delete[]\n", e->count);
        break;
    case RT_ERR_SINGLE_AS_ARRAY:
        printf("allocated by new (one object), so it needs delete\n");
        break;
    case RT_ERR_WRONG_CLASS:
        printf("allocated by %s as class %s\n", rt_kind_text(e->kind), rt_name(e->cls));
        break;
    case RT_ERR_CORRUPT:
        if (e->kind == RT_ARRAY && rt_cookie_size(e->cls) != 0 && ((size_t *)e->obj)[-1] != e->count)
            printf("array cookie overwritten (reads %zu, new[] stored %zu)\n", ((size_t *)e->obj)[-1],
                   e->count);
        else
            printf("its heap block %p is damaged (overrun?)\n", (void *)e->base);
        break;
    default:
        if (e != NULL)
            printf("not what new returned: it points %zu bytes into the %s %s at %p\n",
                   (size_t)((char *)p - e->block), rt_kind_text(e->kind), rt_name(e->cls), (void *)e->obj);
        else
            printf("not a pointer new or new[] returned\n");
        break;
    }
    ULONG_PTR info[3] = { (ULONG_PTR)p, (ULONG_PTR)err, (ULONG_PTR)c };
    RaiseException((DWORD)STATUS_HEAP_CORRUPTION, EXCEPTION_NONCONTINUABLE, 3, info);
    ExitProcess((UINT)STATUS_HEAP_CORRUPTION);   /* a non-continuable exception does not return */
}

/* The slot of p if deleting it with `kind` as class c is right; raises
 * otherwise. */
static size_t rt_check(const char *op, const rt_class *c, void *p, enum rt_kind kind)
{
    long i = rt_find(p);

    if (i < 0) {
        const struct rt_entry *e = rt_find_recent(p);
        if (e != NULL)
            rt_mismatch(op, c, p, RT_ERR_DOUBLE_DELETE, e);
        rt_mismatch(op, c, p, RT_ERR_NOT_ALLOCATED, rt_find_inside(p));
    }
    const struct rt_entry *e = &rt_slots[i];
    if (e->kind != kind)
        rt_mismatch(op, c, p, kind == RT_SINGLE ? RT_ERR_ARRAY_AS_SINGLE : RT_ERR_SINGLE_AS_ARRAY, e);
    if (e->cls != c)
        rt_mismatch(op, c, p, RT_ERR_WRONG_CLASS, e);
    if (kind == RT_ARRAY && rt_cookie_size(c) != 0 && ((size_t *)e->obj)[-1] != e->count)
        rt_mismatch(op, c, p, RT_ERR_CORRUPT, e);
    if (!rt_block_ok(e))
        rt_mismatch(op, c, p, RT_ERR_CORRUPT, e);
    return (size_t)i;
}

void rt_delete(const rt_class *c, void *obj)
{
    if (obj == NULL)
        return;
    size_t i = rt_check("delete", c, obj, RT_SINGLE);
    char *block = rt_slots[i].block;
    rt_unregister(i);
    rt_destroy(c, obj, 1);
    rt_release(c, block);
}

/* Destructors in reverse order of the count in the cookie (which
 * rt_check found equal to the recorded one), then the block is freed. */
void rt_delete_array(const rt_class *c, void *arr)
{
    if (arr == NULL)
        return;
    size_t i = rt_check("delete[]", c, arr, RT_ARRAY);
    char *block = rt_slots[i].block;
    size_t n = rt_cookie_size(c) != 0 ? ((size_t *)arr)[-1] : rt_slots[i].count;
    rt_unregister(i);
    rt_destroy(c, arr, n);
    rt_release(c, block);
}
