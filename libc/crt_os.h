/* The platform part of the C runtime allocators (libc/crt_malloc.c): the
 * heap they allocate from, and the headers that give them errno, the
 * HEAP_* flags and the NTSTATUS values.
 *
 *   user mode  libc/user/crt_user.c   the process default heap (GetProcessHeap)
 *   kernel     libc/crt_kernel.c      the kernel heap (kheap) and the kernel's errno
 *
 * A build elsewhere (the host library, tests/host/crt_host.c) defines
 * LIBC_CRT_OS_H and provides the same names before including the source. */
#ifndef LIBC_CRT_OS_H
#define LIBC_CRT_OS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <malloc.h>
#include <new.h>
#include <winnt.h>
#include <ntstatus.h>
#include "mm/heap/heap.h"

/* The heap behind malloc; set up before any C code can call malloc. */
struct heap *crt_os_heap(void);

#endif
