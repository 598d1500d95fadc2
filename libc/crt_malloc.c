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

/* ---- the new handler ------------------------------------------------------- */

/* What operator new calls when memory runs out (<new.h>), and whether
 * malloc, calloc and realloc call it too (_set_new_mode(1)), as in the
 * UCRT's new_handler.cpp and new_mode.cpp.  One thread per process: plain
 * variables. */
static _PNH crt_new_handler;
static int crt_new_mode;

_PNH _set_new_handler(_PNH handler)
{
    _PNH old = crt_new_handler;

    crt_new_handler = handler;
    return old;
}

_PNH _query_new_handler(void)
{
    return crt_new_handler;
}

/* 0 or 1; anything else is EINVAL and -1, the mode unchanged. */
int _set_new_mode(int mode)
{
    int old = crt_new_mode;

    if (mode != 0 && mode != 1) {
        errno = EINVAL;
        return -1;
    }
    crt_new_mode = mode;
    return old;
}

int _query_new_mode(void)
{
    return crt_new_mode;
}

/* Calls the new handler with the size that could not be had: 1 when it
 * says it made room (the caller tries again), 0 when there is no handler
 * or it gives up. */
int _callnewh(size_t size)
{
    _PNH handler = crt_new_handler;

    return handler != NULL && handler(size) != 0;
}

/* After a failed allocation of size bytes: 1 when the caller should try
 * again (new mode 1 and the handler made room), else 0 with errno ENOMEM
 * (the UCRT's _malloc_base loop). */
static int crt_retry(size_t size)
{
    if (crt_new_mode != 0 && _callnewh(size))
        return 1;
    errno = ENOMEM;
    return 0;
}

/* ---- malloc, calloc, realloc, free ---------------------------------------- */

/* Items 94, 95, 99: a unique 8-aligned block, also for 0 bytes (its
 * _msize is 0); above _HEAP_MAXREQ, NULL with ENOMEM at once.  With new
 * mode 1 a failure calls the new handler and tries again while it
 * succeeds. */
void *malloc(size_t size)
{
    int32_t st = (int32_t)STATUS_NO_MEMORY;

    if (size > _HEAP_MAXREQ)
        return crt_fail(ENOMEM);
    for (;;) {
        void *p = heap_alloc(crt_os_heap(), 0, size, &st);
        if (p != NULL || !crt_retry(size))
            return p;
    }
}

/* Item 98: zeroed; a count * size that overflows (or exceeds
 * _HEAP_MAXREQ) is NULL with ENOMEM.  New mode 1: as malloc. */
void *calloc(size_t count, size_t size)
{
    int32_t st = (int32_t)STATUS_NO_MEMORY;

    if (count != 0 && size > _HEAP_MAXREQ / count)
        return crt_fail(ENOMEM);
    for (;;) {
        void *p = heap_alloc(crt_os_heap(), HEAP_ZERO_MEMORY, count * size, &st);
        if (p != NULL || !crt_retry(count * size))
            return p;
    }
}

/* Item 100: realloc(NULL, n) is malloc(n); realloc(p, 0) frees p and
 * returns NULL (the UCRT's choice, errno untouched); a failure returns
 * NULL with errno set and leaves p as it was (the engine's HeapReAlloc
 * moves the contents only once the new block exists).  New mode 1: a
 * shortage calls the new handler, as malloc. */
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
    for (;;) {
        void *q = heap_realloc(crt_os_heap(), 0, p, size, &st);
        if (q != NULL)
            return q;
        if (crt_errno_of(st) != ENOMEM) {
            errno = crt_errno_of(st);   /* not a block: the handler cannot help */
            return NULL;
        }
        if (!crt_retry(size))
            return NULL;
    }
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

/* Resize in place (HEAP_REALLOC_IN_PLACE_ONLY).  As the UCRT: NULL is
 * EINVAL, above _HEAP_MAXREQ ENOMEM; size 0 asks for 1 byte; a shrink
 * the heap cannot do in place still succeeds with p; a growth that does
 * not fit is NULL with ENOMEM and p unchanged. */
void *_expand(void *p, size_t size)
{
    struct heap *h = crt_os_heap();
    int32_t st = (int32_t)STATUS_NO_MEMORY;

    if (p == NULL)
        return crt_fail(EINVAL);
    if (size > _HEAP_MAXREQ)
        return crt_fail(ENOMEM);
    if (size == 0)
        size = 1;
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

/* The Microsoft CRT's alignment test (IS_2_POW_N in its align.c: x & (x -
 * 1) == 0): a power of two, or 0, which passes it and gets the minimum
 * alignment, sizeof(void *) (issue 15, item 7b; the CRT of Visual C++
 * 2005-2013 and msvcrt.dll; the UCRT of Windows 10 refuses 0). */
static int crt_align_ok(size_t a)
{
    return (a & (a - 1)) == 0;
}

static size_t crt_align(size_t alignment)
{
    return alignment > PTR_SZ ? alignment : PTR_SZ;
}

/* The bytes between the pointer-aligned slot that holds raw and the user
 * pointer p (p + offset is aligned, so p is offset short of a multiple of
 * sizeof(void *); the CRT's "gap"). */
static size_t crt_gap(size_t offset)
{
    return (0 - offset) & (PTR_SZ - 1);
}

/* The heap block behind the aligned pointer p (the pointer stored just
 * below p's pointer-aligned floor, p - gap), or NULL when there is none:
 * the word must name a live block of h that p lies inside, past the
 * stored word. */
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

/* Bytes an aligned block reserves besides the user data: the stored
 * pointer, the gap and alignment - 1 of padding; 0 when that is beyond
 * any request. */
static size_t aligned_overhead(size_t alignment, size_t offset)
{
    size_t a = crt_align(alignment);

    return a - 1 > _HEAP_MAXREQ - 2 * PTR_SZ ? 0 : PTR_SZ + crt_gap(offset) + a - 1;
}

/* The aligned pointer inside the heap block raw (at least
 * aligned_overhead(alignment, offset) bytes in front of the data): p +
 * offset is aligned, and raw is recorded just below p - gap. */
static void *aligned_place(char *raw, size_t alignment, size_t offset)
{
    size_t a = crt_align(alignment);
    uintptr_t p = (((uintptr_t)raw + aligned_overhead(alignment, offset) + offset) & ~(uintptr_t)(a - 1)) -
                  offset;

    ((char **)(p - crt_gap(offset)))[-1] = raw;
    return (void *)p;
}

/* The UCRT's argument checks for the aligned functions: the alignment
 * (EINVAL), an offset inside the block (offset 0, or less than size:
 * EINVAL), the size with the overhead (ENOMEM).  0 when they pass. */
static int aligned_args(size_t size, size_t alignment, size_t offset)
{
    if (!crt_align_ok(alignment) || (offset != 0 && offset >= size))
        return EINVAL;
    size_t over = aligned_overhead(alignment, offset);
    return over == 0 || size > _HEAP_MAXREQ - over ? ENOMEM : 0;
}

/* Item 101: size bytes whose address + offset is a multiple of
 * max(alignment, sizeof(void *)); alignment a power of two or 0 (EINVAL
 * otherwise), offset 0 or below size (EINVAL). */
void *_aligned_offset_malloc(size_t size, size_t alignment, size_t offset)
{
    int err = aligned_args(size, alignment, offset);

    if (err != 0)
        return crt_fail(err);
    char *raw = malloc(aligned_overhead(alignment, offset) + size);
    if (raw == NULL)
        return NULL;
    return aligned_place(raw, alignment, offset);
}

void *_aligned_malloc(size_t size, size_t alignment)
{
    return _aligned_offset_malloc(size, alignment, 0);
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
 * the ones it was made with.  A block too small for that alignment (a
 * wrong alignment given), NULL or not an aligned block is EINVAL. */
size_t _aligned_msize(void *p, size_t alignment, size_t offset)
{
    struct heap *h = crt_os_heap();
    size_t over = aligned_overhead(alignment, offset);
    char *raw = p != NULL && crt_align_ok(alignment) && over != 0 ? aligned_base(h, p) : NULL;

    if (raw == NULL)
        goto invalid;
    size_t total = heap_size(h, 0, raw);
    if ((size_t)((char *)p - raw) > over || total < over)
        goto invalid;
    return total - over;
invalid:
    errno = EINVAL;
    return (size_t)-1;
}

/* Resize an aligned block, keeping its alignment and offset (spec:
 * "realloc keeps the alignment of aligned blocks").  NULL is
 * _aligned_offset_malloc; size 0 frees and returns NULL (before the
 * arguments are checked, as the UCRT); on failure p is unchanged.  When p
 * already has the alignment and offset asked for, the heap block is
 * resized (in place when the heap can) and the data moved to the aligned
 * spot of the new block if the block moved to a differently aligned
 * address; otherwise a new aligned block is made and the data copied. */
void *_aligned_offset_realloc(void *p, size_t size, size_t alignment, size_t offset)
{
    struct heap *h = crt_os_heap();
    int32_t st = (int32_t)STATUS_NO_MEMORY;

    if (p == NULL)
        return _aligned_offset_malloc(size, alignment, offset);
    if (size == 0) {
        _aligned_free(p);
        return NULL;
    }
    int err = aligned_args(size, alignment, offset);
    char *raw = err == 0 ? aligned_base(h, p) : NULL;
    if (err != 0 || raw == NULL)
        return crt_fail(err != 0 ? err : EINVAL);
    size_t over = aligned_overhead(alignment, offset), a = crt_align(alignment);
    size_t off = (size_t)((char *)p - raw);
    size_t old = heap_size(h, 0, raw) - off;   /* the data, and maybe some slack */
    size_t keep = old < size ? old : size;

    if ((((uintptr_t)p + offset) & (a - 1)) == 0 && off <= over) {
        /* The data at off stays inside the new block: off + size <= over + size. */
        char *q = heap_realloc(h, 0, raw, over + size, &st);
        if (q == NULL)
            return crt_fail(crt_errno_of(st));
        char *np = (char *)((((uintptr_t)q + over + offset) & ~(uintptr_t)(a - 1)) - offset);
        if (np != q + off)
            memmove(np, q + off, keep);
        ((char **)(np - crt_gap(offset)))[-1] = q;
        return np;
    }
    char *np = _aligned_offset_malloc(size, alignment, offset);
    if (np == NULL)
        return NULL;
    memcpy(np, p, keep);
    free(raw);
    return np;
}

void *_aligned_realloc(void *p, size_t size, size_t alignment)
{
    return _aligned_offset_realloc(p, size, alignment, 0);
}

/* _aligned_offset_realloc of count * size bytes that zeroes the bytes
 * past the old size (the UCRT's _aligned_offset_recalloc): an
 * overflowing product is ENOMEM, p not an aligned block EINVAL. */
void *_aligned_offset_recalloc(void *p, size_t count, size_t size, size_t alignment, size_t offset)
{
    size_t old = 0;

    if (count != 0 && size > _HEAP_MAXREQ / count)
        return crt_fail(ENOMEM);
    if (p != NULL) {
        old = _aligned_msize(p, alignment, offset);
        if (old == (size_t)-1)
            return NULL;                /* errno EINVAL from _aligned_msize */
    }
    size_t n = count * size;
    char *q = _aligned_offset_realloc(p, n, alignment, offset);
    if (q != NULL && n > old)
        memset(q + old, 0, n - old);
    return q;
}

void *_aligned_recalloc(void *p, size_t count, size_t size, size_t alignment)
{
    return _aligned_offset_recalloc(p, count, size, alignment, 0);
}
