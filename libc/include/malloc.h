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
/* Resizes p in place only: p, or NULL (p unchanged) when it cannot. */
void *_expand(void *p, size_t size);
/* realloc of count * size bytes, zeroing the bytes beyond the old size. */
void *_recalloc(void *p, size_t count, size_t size);

/* Aligned blocks: alignment must be a power of two (else EINVAL); the
 * result is aligned to max(alignment, sizeof(void *)).  Release only
 * with _aligned_free (NULL does nothing).  _aligned_realloc keeps the
 * alignment when the block moves; size 0 frees and returns NULL.
 * _aligned_msize takes the alignment (and offset, 0 here) the block was
 * allocated with and returns its requested size, or (size_t)-1 with
 * EINVAL. */
void *_aligned_malloc(size_t size, size_t alignment);
void *_aligned_realloc(void *p, size_t size, size_t alignment);
void _aligned_free(void *p);
size_t _aligned_msize(void *p, size_t alignment, size_t offset);

#endif
