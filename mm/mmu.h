/* x86 32-bit paging, 4 KiB pages, no PAE (Intel SDM Vol.3 4.3).
 *
 *   linear address:  31        22 21        12 11          0
 *                   +------------+------------+-------------+
 *                   | PD index   | PT index   | page offset |
 *                   +------------+------------+-------------+
 *
 * Hardware facts only; where things live is mm/memlayout.h. */
#ifndef MM_MMU_H
#define MM_MMU_H

#include <stdint.h>

typedef uint32_t pte_t;
typedef uint32_t pde_t;
_Static_assert(sizeof(pte_t) == 4 && sizeof(pde_t) == 4, "32-bit paging entries");

#define PT_ENTRIES 1024
#define PGSIZE 4096u
#define PDX(va) (((uint32_t)(va) >> 22) & 0x3FF)
#define PTX(va) (((uint32_t)(va) >> 12) & 0x3FF)
#define PDX_SPAN (1u << 22)                 /* bytes mapped by one PDE */
#define PGROUNDDOWN(a) ((uint32_t)(a) & ~(PGSIZE - 1))
#define PGROUNDUP(a) (((uint32_t)(a) + PGSIZE - 1) & ~(PGSIZE - 1))

/* Entry bits (SDM Vol.3 Table 4-5 / 4-6). */
#define PTE_P 0x001         /* present */
#define PTE_W 0x002         /* writable */
#define PTE_U 0x004         /* user accessible */
#define PTE_PWT 0x008       /* write-through */
#define PTE_PCD 0x010       /* cache disable */
#define PTE_A 0x020         /* accessed (set by the CPU) */
#define PTE_D 0x040         /* dirty (set by the CPU, PTEs only) */
#define PTE_PS 0x080        /* in a PDE: 4 MiB page (CR4.PSE) */
#define PTE_G 0x100         /* global: survives CR3 loads (CR4.PGE) */
#define PTE_AVAIL 0xE00     /* bits 9-11: free for software */
#define PTE_FRAME 0xFFFFF000u

#define PTE_ADDR(e) ((e) & PTE_FRAME)

#endif
