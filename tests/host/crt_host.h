/* The C runtime allocators (libc/crt_malloc.c, MS CRT semantics) in the
 * host library, under names that do not clash with the C library's:
 * crt_malloc ... crt__aligned_msize, on the host's process heap
 * (GetProcessHeap of heapapi_host.c).  errno is the host's.  x64 values:
 * 16-byte alignment, _HEAP_MAXREQ = 0xFFFFFFFFFFFFFFE0. */
#ifndef HOST_CRT_HOST_H
#define HOST_CRT_HOST_H

#include <stddef.h>

#define CRT_HOST_HEAP_MAXREQ ((size_t)0xFFFFFFFFFFFFFFE0ull)

void *crt_malloc(size_t size);
void *crt_calloc(size_t count, size_t size);
void *crt_realloc(void *p, size_t size);
void crt_free(void *p);
size_t crt__msize(void *p);
void *crt__expand(void *p, size_t size);
void *crt__recalloc(void *p, size_t count, size_t size);
void *crt__aligned_malloc(size_t size, size_t alignment);
void *crt__aligned_realloc(void *p, size_t size, size_t alignment);
void crt__aligned_free(void *p);
size_t crt__aligned_msize(void *p, size_t alignment, size_t offset);

#endif
