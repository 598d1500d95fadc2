/* The C runtime allocators for the host library (build/host/libheap.a):
 * libc/crt_malloc.c compiled unchanged, its platform part (libc/crt_os.h)
 * supplied here instead, and every name renamed to crt_* (crt_host.h) so
 * a program can link it next to the C library's malloc. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include "heapapi.h"
#include "../../mm/heap/heap.h"
#include "crt_host.h"

/* libc/crt_os.h's names, for the host (its own header is then skipped). */
#define LIBC_CRT_OS_H
#define _HEAP_MAXREQ CRT_HOST_HEAP_MAXREQ
#ifndef STATUS_INVALID_PARAMETER
#define STATUS_INVALID_PARAMETER 0xC000000Du
#endif

static struct heap *crt_os_heap(void)
{
    return GetProcessHeap();
}

#define malloc crt_malloc
#define calloc crt_calloc
#define realloc crt_realloc
#define free crt_free
#define _msize crt__msize
#define _expand crt__expand
#define _recalloc crt__recalloc
#define _aligned_malloc crt__aligned_malloc
#define _aligned_realloc crt__aligned_realloc
#define _aligned_free crt__aligned_free
#define _aligned_msize crt__aligned_msize
#define _aligned_recalloc crt__aligned_recalloc
#define _aligned_offset_malloc crt__aligned_offset_malloc
#define _aligned_offset_realloc crt__aligned_offset_realloc
#define _aligned_offset_recalloc crt__aligned_offset_recalloc
#define _set_new_handler crt__set_new_handler
#define _query_new_handler crt__query_new_handler
#define _set_new_mode crt__set_new_mode
#define _query_new_mode crt__query_new_mode
#define _callnewh crt__callnewh
typedef int (*_PNH)(size_t);            /* <new.h> */

#include "../../libc/crt_malloc.c"
