/* The C runtime allocators with the Microsoft C runtime's semantics (spec
 * section N), one source for the user SDK and the kernel.  As the UCRT's
 * heap functions sit on HeapAlloc and friends, these sit on the heap
 * engine (mm/heap/heap.h) of the heap crt_os_heap() names: the process
 * default heap in user mode, the kernel heap in the kernel (libc/crt_os.h).
 *
 * Sizes are exact (the engine records the requested size, so _msize is
 * HeapSize, item 96).  Aligned blocks follow the UCRT's layout, so a
 * block is one heap block and its start is found from the user pointer:
 *
 *   raw (heap block)                     p (aligned)
 *   |<--- padding --->|<- sizeof(void*) ->|<------- size ------->|<- slack ->|
 *                     | raw, as a pointer |
 *
 * The heap block is sizeof(void *) + (alignment - 1) + size bytes; the
 * padding is whatever rounds p up, the slack the rest. */
#include "crt_os.h"

#define PTR_SZ sizeof(void *)

/* errno for a failed heap call.  The engine reports NTSTATUS values: a
 * pointer it does not own (or a damaged block) is EINVAL, as the UCRT
 * maps ERROR_INVALID_PARAMETER; any shortage (no memory, no address
 * space, the commit limit) is ENOMEM, as the UCRT's malloc sets. */
static int crt_errno_of(int32_t status)
{
    return status == (int32_t)STATUS_INVALID_PARAMETER || status == (int32_t)STATUS_HEAP_CORRUPTION ||
                   status == (int32_t)STATUS_ACCESS_VIOLATION
               ? EINVAL
               : ENOMEM;
}

static void *crt_fail(int err)
{
    errno = err;
    return NULL;
}

/* p is the start of a live, intact block of h.  The engine's validator
 * reads nothing it has not located first, so any pointer may be asked. */
static int crt_is_block(struct heap *h, const void *p)
{
    return p != NULL && heap_validate(h, 0, p);
}

static int crt_is_pow2(size_t a)
{
    return a != 0 && (a & (a - 1)) == 0;
}

/* ---- malloc, calloc, realloc, free ---------------------------------------- */

/* Items 94, 95, 99: a unique 8-aligned block, also for 0 bytes (its
 * _msize is 0); above _HEAP_MAXREQ, NULL with ENOMEM at once. */
void *malloc(size_t size)
{
    int32_t st = (int32_t)STATUS_NO_MEMORY;

    if (size > _HEAP_MAXREQ)
        return crt_fail(ENOMEM);
    void *p = heap_alloc(crt_os_heap(), 0, size, &st);
    if (p == NULL)
        errno = crt_errno_of(st);
    return p;
}

/* Item 98: zeroed; a count * size that overflows (or exceeds
 * _HEAP_MAXREQ) is NULL with ENOMEM. */
void *calloc(size_t count, size_t size)
{
    int32_t st = (int32_t)STATUS_NO_MEMORY;

    if (count != 0 && size > _HEAP_MAXREQ / count)
        return crt_fail(ENOMEM);
    void *p = heap_alloc(crt_os_heap(), HEAP_ZERO_MEMORY, count * size, &st);
    if (p == NULL)
        errno = crt_errno_of(st);
    return p;
}

/* Item 100: realloc(NULL, n) is malloc(n); realloc(p, 0) frees p and
 * returns NULL (the UCRT's choice, errno untouched); a failure returns
 * NULL with errno set and leaves p as it was (the engine's HeapReAlloc
 * moves the contents only once the new block exists). */
void *realloc(void *p, size_t size)
{
    int32_t st = (int32_t)STATUS_NO_MEMORY;

    if (p == NULL)
        return malloc(size);
    if (size == 0) {
        free(p);
        return NULL;
    }
    if (size > _HEAP_MAXREQ)
        return crt_fail(ENOMEM);
    void *q = heap_realloc(crt_os_heap(), 0, p, size, &st);
    if (q == NULL)
        errno = crt_errno_of(st);
    return q;
}

/* Item 97: NULL does nothing.  A pointer the heap does not own sets
 * EINVAL as the UCRT's _free_base does when HeapFree fails (the kernel
 * heap panics first: it terminates on corruption). */
void free(void *p)
{
    int32_t st = (int32_t)STATUS_INVALID_PARAMETER;

    if (p != NULL && !heap_free(crt_os_heap(), 0, p, &st))
        errno = crt_errno_of(st);
}

/* ---- _msize, _expand, _recalloc ------------------------------------------- */

/* Item 96: HeapSize.  Where the source material's MSVC example throws
 * (_msize of a pointer past an array cookie), this is a clear error:
 * (size_t)-1 with EINVAL for NULL and for anything that is not the start
 * of a live heap block. */
size_t _msize(void *p)
{
    struct heap *h = crt_os_heap();

    if (!crt_is_block(h, p)) {
        errno = EINVAL;
        return (size_t)-1;
    }
    return heap_size(h, 0, p);
}

/* Resize in place (HEAP_REALLOC_IN_PLACE_ONLY).  As the UCRT: a shrink the
 * heap cannot do in place still succeeds with p; a growth that does not
 * fit is NULL with ENOMEM and p unchanged. */
void *_expand(void *p, size_t size)
{
    struct heap *h = crt_os_heap();
    int32_t st = (int32_t)STATUS_NO_MEMORY;

    if (p == NULL)
        return crt_fail(EINVAL);
    if (size > _HEAP_MAXREQ)
        return crt_fail(ENOMEM);
    size_t old = heap_size(h, 0, p);
    void *q = heap_realloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, size, &st);
    if (q != NULL)
        return q;
    if (old != (size_t)-1 && size <= old)
        return p;
    return crt_fail(crt_errno_of(st));
}

/* realloc(p, count * size) that zeroes the bytes beyond the old size
 * (the UCRT's _recalloc); the product is checked as calloc's. */
void *_recalloc(void *p, size_t count, size_t size)
{
    size_t old = 0;

    if (count != 0 && size > _HEAP_MAXREQ / count)
        return crt_fail(ENOMEM);
    if (p != NULL) {
        old = _msize(p);
        if (old == (size_t)-1)
            return NULL;                /* errno EINVAL from _msize */
    }
    size_t n = count * size;
    char *q = realloc(p, n);
    if (q != NULL && n > old)
        memset(q + old, 0, n - old);
    return q;
}

/* ---- aligned blocks -------------------------------------------------------- */

/* The heap block behind the aligned pointer p (the pointer stored just
 * below p's pointer-aligned floor), or NULL when there is none: the word
 * must name a live block of h that p lies inside, past the stored word. */
static char *aligned_base(struct heap *h, const void *p)
{
    uintptr_t slot = ((uintptr_t)p & ~(uintptr_t)(PTR_SZ - 1)) - PTR_SZ;
    char *raw = *(char *const *)slot;

    if (!crt_is_block(h, raw) || (uintptr_t)raw > slot)
        return NULL;
    if ((uintptr_t)p - (uintptr_t)raw > heap_size(h, 0, raw))
        return NULL;
    return raw;
}

/* Bytes in front of the user data an aligned block reserves: the stored
 * pointer and alignment - 1 of padding; 0 when that is beyond any
 * request. */
static size_t aligned_overhead(size_t alignment)
{
    size_t a = alignment > PTR_SZ ? alignment : PTR_SZ;

    return a - 1 > _HEAP_MAXREQ - PTR_SZ ? 0 : PTR_SZ + a - 1;
}

/* The aligned pointer inside the heap block raw (at least
 * aligned_overhead(alignment) bytes in front of the data), with raw
 * recorded just below it. */
static void *aligned_place(char *raw, size_t alignment)
{
    size_t a = alignment > PTR_SZ ? alignment : PTR_SZ;
    uintptr_t p = ((uintptr_t)raw + PTR_SZ + a - 1) & ~(uintptr_t)(a - 1);

    ((char **)p)[-1] = raw;
    return (void *)p;
}

/* Item 101: alignment a power of two (else EINVAL); aligned to
 * max(alignment, sizeof(void *)). */
void *_aligned_malloc(size_t size, size_t alignment)
{
    if (!crt_is_pow2(alignment))
        return crt_fail(EINVAL);
    size_t over = aligned_overhead(alignment);
    if (over == 0 || size > _HEAP_MAXREQ - over)
        return crt_fail(ENOMEM);
    char *raw = malloc(over + size);
    if (raw == NULL)
        return NULL;
    return aligned_place(raw, alignment);
}

/* NULL does nothing; a pointer that is not an aligned block sets EINVAL
 * and frees nothing. */
void _aligned_free(void *p)
{
    if (p == NULL)
        return;
    char *raw = aligned_base(crt_os_heap(), p);
    if (raw == NULL) {
        errno = EINVAL;
        return;
    }
    free(raw);
}

/* The size requested for an aligned block; alignment and offset must be
 * the ones it was made with (offset 0 for _aligned_malloc).  A block too
 * small for that alignment (a wrong alignment given) is EINVAL. */
size_t _aligned_msize(void *p, size_t alignment, size_t offset)
{
    struct heap *h = crt_os_heap();
    size_t over = aligned_overhead(alignment);
    size_t gap = (0 - offset) & (PTR_SZ - 1);
    char *raw = p != NULL && crt_is_pow2(alignment) && over != 0 ? aligned_base(h, p) : NULL;

    if (raw == NULL)
        goto invalid;
    size_t total = heap_size(h, 0, raw);
    if ((size_t)((char *)p - raw) > over + gap || total < over + gap)
        goto invalid;
    return total - over - gap;
invalid:
    errno = EINVAL;
    return (size_t)-1;
}

/* Resize an aligned block, keeping its alignment (spec: "realloc keeps
 * the alignment of aligned blocks").  NULL is _aligned_malloc; size 0
 * frees and returns NULL; on failure p is unchanged.  When p already has
 * the alignment asked for, the heap block is resized (in place when the
 * heap can) and the data moved to the aligned spot of the new block if
 * the block moved to a differently aligned address; otherwise a new
 * aligned block is made and the data copied. */
void *_aligned_realloc(void *p, size_t size, size_t alignment)
{
    struct heap *h = crt_os_heap();
    int32_t st = (int32_t)STATUS_NO_MEMORY;

    if (p == NULL)
        return _aligned_malloc(size, alignment);
    if (size == 0) {
        _aligned_free(p);
        return NULL;
    }
    if (!crt_is_pow2(alignment))
        return crt_fail(EINVAL);
    char *raw = aligned_base(h, p);
    if (raw == NULL)
        return crt_fail(EINVAL);
    size_t over = aligned_overhead(alignment);
    if (over == 0 || size > _HEAP_MAXREQ - over)
        return crt_fail(ENOMEM);
    size_t off = (size_t)((char *)p - raw);
    size_t old = heap_size(h, 0, raw) - off;   /* the data, and maybe some slack */
    size_t keep = old < size ? old : size;
    size_t a = alignment > PTR_SZ ? alignment : PTR_SZ;

    if (((uintptr_t)p & (a - 1)) == 0 && off <= over) {
        /* The data at off stays inside the new block: off + size <= over + size. */
        char *q = heap_realloc(h, 0, raw, over + size, &st);
        if (q == NULL)
            return crt_fail(crt_errno_of(st));
        char *np = (char *)(((uintptr_t)q + over) & ~(uintptr_t)(a - 1));
        if (np != q + off)
            memmove(np, q + off, keep);
        ((char **)np)[-1] = q;
        return np;
    }
    char *np = _aligned_malloc(size, alignment);
    if (np == NULL)
        return NULL;
    memcpy(np, p, keep);
    free(raw);
    return np;
}
