/* Where things live in the 4 GiB linear address space (DESIGN.md 4), as
 * 32-bit Windows lays it out without /3GB, the same in both page-table
 * formats except for the self-map's size:
 *
 *   0x00000000-0x0000FFFF  never mapped: the NULL guard
 *   0x00010000-0x7FFEFFFF  user space (per address space)
 *   0x7FFF0000-0x7FFFFFFF  never mapped: guard between user and kernel
 *   0x80100000-...         kernel image (physical 1 MiB + KERNEL_VBASE), then
 *                          the frame allocator's metadata (also phys + base)
 *   0xC0000000-0xC07FFFFF  page tables through the self-map: the PTE of va
 *                          at PT_WINDOW + (va >> 12) * entry size, so
 *                          legacy (4-byte entries) uses 0xC0000000-0xC03FFFFF
 *                          with the directory at 0xC0300000 (PDE 0x300);
 *                          PAE (8-byte entries) all 8 MiB, with the four
 *                          directories at 0xC0600000 (as NT x86 with PAE)
 *   0xC0800000-0xC0BFFFFF  temporary mappings ("hyperspace", as NT's PAE
 *                          layout puts it; legacy PDE 0x302, PAE PDE 0x604)
 *   0xC0C00000-0xC47FFFFF  kernel pool: fixed-size kernel objects (VADs)
 *   0xC4800000-0xFFBFFFFF  kernel virtual memory through mm/vm (kernel heap, stacks)
 *   0xFFC00000             the local APIC's registers (kernel/smp.c), uncached
 */
#ifndef MM_MEMLAYOUT_H
#define MM_MEMLAYOUT_H

#define KERNEL_BASE 0x80000000u
#define USER_MIN 0x00010000u
#define USER_MAX 0x7FFEFFFFu                /* lpMaximumApplicationAddress */
#define USER_END 0x80000000u                /* first address of the kernel half */

#define PT_WINDOW 0xC0000000u               /* PTE of va at PT_WINDOW + (va >> 12) * size */
#define PT_WINDOW_END 0xC0800000u           /* 8 MiB: the PAE window; legacy uses half */
#define LEGACY_SELFMAP_PDX 0x300u           /* PDE 0x300 points at the directory */
#define LEGACY_PD_WINDOW 0xC0300000u        /* = PT_WINDOW + 0x300 * 4096 */
#define PAE_SELFMAP_PDX 0x600u              /* PDEs 0x600-0x603 point at the 4 directories */
#define PAE_PD_WINDOW 0xC0600000u           /* = PT_WINDOW + 0x600 * 4096: 2048 PDEs */

#define TEMPMAP_BASE 0xC0800000u
#define TEMPMAP_END 0xC0C00000u
#define TEMPMAP_SLOTS 32

#define POOL_BASE 0xC0C00000u               /* kernel object pool (mm/kpool) */
#define POOL_END 0xC4800000u
#define KVM_BASE 0xC4800000u                /* kernel virtual memory for mm/vm */
#define KVM_END 0xFFC00000u
#define LAPIC_VA 0xFFC00000u                /* one page: the local APIC (kernel/smp.c) */

#define KERNEL_PDX_FIRST (KERNEL_BASE >> 22) /* 0x200: the legacy kernel half */

/* The boot window: boot/entry.asm maps physical [0, BOOT_WINDOW_END) at
 * KERNEL_VBASE with 4 MiB pages, so the frame allocator can place its
 * metadata (which grows with RAM) anywhere in it before paging_init. */
#define BOOT_WINDOW_END 0x40000000u

#endif
