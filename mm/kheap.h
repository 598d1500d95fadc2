/* The kernel heap: the heap engine (mm/heap/heap.h) over the kernel's own
 * virtual memory.  Kernel objects of any size come from here. */
#ifndef MM_KHEAP_H
#define MM_KHEAP_H

#include <stddef.h>
#include "mm/heap/heap.h"

void kheap_init(void);
struct heap *kheap(void);
extern struct heap *kernel_heap;    /* (for the inline calls below: use kheap()) */

/* 8-byte aligned memory, or NULL.  Inline: the engine's fast path is the
 * whole call. */
static inline void *kmalloc(size_t size)
{
    return heap_alloc(kernel_heap, 0, size, NULL);
}
void *kzalloc(size_t size);
void kfree_refused(void *p, int32_t status) __attribute__((noreturn));
/* NULL is fine; a bad pointer panics (the kernel heap terminates on
 * corruption anyway). */
static inline void kfree(void *p)
{
    if (!heap_free(kernel_heap, 0, p, NULL))
        kfree_refused(p, 0);
}
/* Bytes requested by live kernel-heap blocks (for the leak check). */
size_t kheap_in_use(void);

#endif
