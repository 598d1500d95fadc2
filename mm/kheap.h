/* The kernel heap: the heap engine (mm/heap/heap.h) over the kernel's own
 * virtual memory.  Kernel objects of any size come from here. */
#ifndef MM_KHEAP_H
#define MM_KHEAP_H

#include <stddef.h>

struct heap;

void kheap_init(void);
struct heap *kheap(void);
/* 8-byte aligned memory, or NULL. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);            /* NULL is fine; a bad pointer panics */
/* Bytes requested by live kernel-heap blocks (for the leak check). */
size_t kheap_in_use(void);

#endif
