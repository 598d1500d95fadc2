#include "mm/kheap.h"
#include "mm/heap/heap.h"
#include "kernel/base/panic.h"
#include <winnt.h>

#define HEAP_ZERO_MEMORY 0x00000008
#define KHEAP_INITIAL (64 * 1024)

struct heap *kernel_heap;

void kheap_init(void)
{
    int32_t st = 0;
    /* Growable (maximum 0): it reserves more of the kernel address space
     * as it needs; a corrupted block panics. */
    kernel_heap = heap_create(HEAP_X_TERMINATE_ON_CORRUPTION, KHEAP_INITIAL, 0, &st);
    ASSERTF(kernel_heap != NULL, "kernel heap creation failed (%08x)", (uint32_t)st);
}

struct heap *kheap(void)
{
    return kernel_heap;
}

void *kzalloc(size_t size)
{
    return heap_alloc(kernel_heap, HEAP_ZERO_MEMORY, size, NULL);
}

void kfree_refused(void *p, int32_t status)
{
    (void)status;
    panic("kfree(%p): not a live kernel-heap block", p);
}

size_t kheap_in_use(void)
{
    struct heap_stats s;
    heap_get_stats(kernel_heap, &s);
    return s.in_use;
}
