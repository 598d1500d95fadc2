/* <malloc.h>: the C runtime's allocators with the Microsoft C runtime's
 * semantics (spec section N), on the process default heap in user mode
 * (GetProcessHeap) and on the kernel heap in the kernel (kheap).
 * libc/crt_malloc.c implements them once for both.
 *
 * Failures return NULL (or (size_t)-1 for the size queries) and set errno:
 * ENOMEM when memory or the address range ran out, EINVAL for an invalid
 * argument.  The UCRT's invalid-parameter handler is not modelled: an
 * invalid argument sets errno and returns, as with a handler that
 * returns.  In the kernel, freeing something that is not a kernel-heap
 * block panics (the kernel heap terminates on corruption). */
#ifndef _LIBC_MALLOC_H
#define _LIBC_MALLOC_H

#include <stddef.h>

/* The largest request malloc considers (x86 value of the UCRT's
 * _HEAP_MAXREQ); above it malloc fails with ENOMEM at once. */
#define _HEAP_MAXREQ 0xFFFFFFE0u

/* 8-byte aligned; malloc(0) is a unique block whose _msize is 0. */
void *malloc(size_t size);
/* count * size zeroed bytes; an overflowing product fails with ENOMEM. */
void *calloc(size_t count, size_t size);
/* realloc(NULL, n) is malloc(n); realloc(p, 0) frees p and returns NULL;
 * on failure p is left as it was. */
void *realloc(void *p, size_t size);
/* NULL does nothing. */
void free(void *p);

/* The size requested for the block p starts; (size_t)-1 with EINVAL when
 * p is NULL or not the start of a live heap block. */
size_t _msize(void *p);
/* Resizes p in place only: p, or NULL (p unchanged; ENOMEM) when it
 * cannot; a shrink always succeeds.  NULL is EINVAL; size 0 keeps 1 byte. */
void *_expand(void *p, size_t size);
/* realloc of count * size bytes, zeroing the bytes beyond the old size; an
 * overflowing product is ENOMEM. */
void *_recalloc(void *p, size_t count, size_t size);

/* Aligned blocks: alignment must be a power of two or 0 (the minimum;
 * anything else is EINVAL); the result is aligned to max(alignment,
 * sizeof(void *)).  The _offset_ forms align p + offset instead of p;
 * offset must be 0 or less than size (else EINVAL).  Release only with
 * _aligned_free (NULL does nothing).  The realloc forms keep the
 * alignment and offset when the block moves; size 0 frees and returns
 * NULL.  The recalloc forms zero the bytes past the old size.
 * _aligned_msize takes the alignment and offset the block was made with
 * and returns its requested size, or (size_t)-1 with EINVAL. */
void *_aligned_malloc(size_t size, size_t alignment);
void *_aligned_realloc(void *p, size_t size, size_t alignment);
void *_aligned_recalloc(void *p, size_t count, size_t size, size_t alignment);
void *_aligned_offset_malloc(size_t size, size_t alignment, size_t offset);
void *_aligned_offset_realloc(void *p, size_t size, size_t alignment, size_t offset);
void *_aligned_offset_recalloc(void *p, size_t count, size_t size, size_t alignment, size_t offset);
void _aligned_free(void *p);
size_t _aligned_msize(void *p, size_t alignment, size_t offset);

/* ---- heap inspection (user mode only; libc/user/crt_heapinfo.c) ---------- */

/* Results of _heapchk and _heapwalk. */
#define _HEAPEMPTY (-1)
#define _HEAPOK (-2)
#define _HEAPBADBEGIN (-3)
#define _HEAPBADNODE (-4)
#define _HEAPEND (-5)
#define _HEAPBADPTR (-6)
/* _HEAPINFO._useflag */
#define _FREEENTRY 0
#define _USEDENTRY 1

typedef struct _heapinfo {
    int *_pentry;                /* the entry's data; NULL starts a walk */
    size_t _size;
    int _useflag;                /* _USEDENTRY or _FREEENTRY */
} _HEAPINFO;

/* HeapValidate of the whole process heap: _HEAPOK, or _HEAPBADNODE. */
int _heapchk(void);
/* HeapCompact of the process heap (free pages go back to the system):
 * 0; -1 if the heap could not be compacted. */
int _heapmin(void);
/* The process heap's next busy block or free run after *entry (the first
 * when entry->_pentry is NULL): _HEAPOK with *entry filled in; _HEAPEND
 * after the last; _HEAPBADPTR when _pentry is no entry of the heap;
 * _HEAPBADNODE when a _USEDENTRY entry is not a live block (or the heap
 * is damaged); entry NULL is EINVAL and _HEAPBADPTR. */
int _heapwalk(_HEAPINFO *entry);

#endif
