/* The C runtime allocators' platform part in the kernel (libc/crt_os.h):
 * malloc and friends use the kernel heap, and errno (*_errno()) is one
 * kernel-wide variable (set by the CRT's failures; read it right after the call, no
 * other thread's failure may come in between on a preemptible kernel). */
#include "libc/crt_os.h"
#include "mm/kheap.h"

static int kernel_errno;

int *_errno(void)
{
    return &kernel_errno;
}

struct heap *crt_os_heap(void)
{
    return kheap();
}
