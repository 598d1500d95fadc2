/* Where things live in the 4 GiB linear address space (DESIGN.md 4), as
 * 32-bit Windows lays it out without /3GB:
 *
 *   0x00000000-0x0000FFFF  never mapped: the NULL guard
 *   0x00010000-0x7FFEFFFF  user space (per address space)
 *   0x7FFF0000-0x7FFFFFFF  never mapped: guard between user and kernel
 *   0x80100000-...         kernel image (physical 1 MiB + KERNEL_VBASE), then
 *                          the frame allocator's metadata (also phys + base)
 *   0xC0000000-0xC03FFFFF  page tables through the self-map (PDE 0x300)
 *   0xC0300000             ... of which the page directory itself
 *   0xC0400000-0xC07FFFFF  temporary mappings ("hyperspace", PDE 0x301)
 *   0xC0800000-0xC47FFFFF  kernel pool: fixed-size kernel objects (VADs)
 *   0xC4800000-0xFFBFFFFF  kernel virtual memory through mm/vm (kernel heap, stacks)
 */
#ifndef MM_MEMLAYOUT_H
#define MM_MEMLAYOUT_H

#define KERNEL_BASE 0x80000000u
#define USER_MIN 0x00010000u
#define USER_MAX 0x7FFEFFFFu                /* lpMaximumApplicationAddress */
#define USER_END 0x80000000u                /* first address of the kernel half */

#define SELFMAP_PDX 0x300u
#define PT_WINDOW 0xC0000000u               /* PT of PD index i at PT_WINDOW + i * 4096 */
#define PD_WINDOW 0xC0300000u               /* = PT_WINDOW + SELFMAP_PDX * 4096 */

#define TEMPMAP_PDX 0x301u
#define TEMPMAP_BASE 0xC0400000u
#define TEMPMAP_SLOTS 32

#define POOL_BASE 0xC0800000u               /* kernel object pool (mm/kpool) */
#define POOL_END 0xC4800000u
#define KVM_BASE 0xC4800000u                /* kernel virtual memory for mm/vm */
#define KVM_END 0xFFC00000u

#define KERNEL_PDX_FIRST (KERNEL_BASE >> 22) /* 0x200 */

#endif
