/* The C runtime allocators' platform part in user mode (libc/crt_os.h):
 * malloc and friends use the process default heap, as the UCRT's do
 * since Windows 8 (GetProcessHeap; created by sdk_heap_init before main). */
#include "libc/crt_os.h"
#include <windows.h>

struct heap *crt_os_heap(void)
{
    return GetProcessHeap();
}
