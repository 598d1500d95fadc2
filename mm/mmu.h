/* x86 paging, 4 KiB pages, in the two formats a 32-bit CPU offers
 * (Intel SDM Vol.3 4.3 "32-bit paging", 4.4 "PAE paging").
 *
 * 32-bit ("legacy") paging: 4-byte entries, two levels.
 *
 *   linear address:  31        22 21        12 11          0
 *                   +------------+------------+-------------+
 *                   | PD index   | PT index   | page offset |
 *                   +------------+------------+-------------+
 *                     1024 PDEs    1024 PTEs    CR3 -> PD
 *
 * PAE paging: 8-byte entries, three levels, 36-bit (up to 52-bit)
 * physical addresses and the execute-disable bit (NX, bit 63).
 *
 *   linear address:  31 30 29      21 20      12 11          0
 *                   +-----+----------+----------+-------------+
 *                   |PDPT | PD index | PT index | page offset |
 *                   +-----+----------+----------+-------------+
 *                    4      512 PDEs   512 PTEs   CR3 -> PDPT (32 bytes,
 *                    PDPTEs                       below 4 GiB: CR3 is 32 bits)
 *
 * The low 12 bits of a PTE mean the same in both formats (table 4-6 and
 * 4-11), so the paging interface passes every entry around as a 64-bit
 * value laid out as PAE's (pte_t): a legacy entry is its zero-extended
 * 32-bit value and can hold neither NX nor a frame above 4 GiB.
 *
 * Hardware facts only; where things live is mm/memlayout.h. */
#ifndef MM_MMU_H
#define MM_MMU_H

#include <stdint.h>

typedef uint64_t pte_t;                     /* an entry of either format, PAE layout */
typedef uint32_t legacy_pte_t;              /* the 32-bit format's entry in memory */
typedef uint64_t pae_pte_t;                 /* the PAE format's entry in memory */
_Static_assert(sizeof(legacy_pte_t) == 4 && sizeof(pae_pte_t) == 8, "entry sizes");

#define PGSIZE 4096u
#define PGSHIFT 12
#define PGROUNDDOWN(a) ((uint32_t)(a) & ~(PGSIZE - 1))
#define PGROUNDUP(a) (((uint32_t)(a) + PGSIZE - 1) & ~(PGSIZE - 1))

/* 32-bit paging (SDM Vol.3 4.3). */
#define LEGACY_ENTRIES 1024
#define LEGACY_PDX(va) (((uint32_t)(va) >> 22) & 0x3FF)
#define LEGACY_PTX(va) (((uint32_t)(va) >> 12) & 0x3FF)
#define LEGACY_PDE_SPAN (1u << 22)          /* bytes mapped by one PDE: 4 MiB */
#define LEGACY_FRAME 0xFFFFF000u

/* PAE paging (SDM Vol.3 4.4).  PAE_PDX is the index into the 2048 PDEs
 * of all four directories seen as one array (bits 31-21), as the self-map
 * shows them. */
#define PAE_ENTRIES 512
#define PAE_PDPTX(va) ((uint32_t)(va) >> 30)
#define PAE_PDX(va) ((uint32_t)(va) >> 21)
#define PAE_PTX(va) (((uint32_t)(va) >> 12) & 0x1FF)
#define PAE_PDE_SPAN (1u << 21)             /* bytes mapped by one PDE: 2 MiB */
#define PAE_PDPT_ENTRIES 4
#define PAE_PDPT_ALIGN 32                   /* CR3 bits 31:5 (SDM Vol.3 4.4.1) */
/* A PDPTE may set only P, PWT, PCD and the address; bits 1-2, 5-8 and
 * those above MAXPHYADDR are reserved (#GP on the CR3/CR4 load). */
#define PAE_PDPTE_RESERVED 0x1E6ull

/* Kept for code that thinks in the classic format's 4 MiB units (the
 * runtime span of one page table is paging_table_span()). */
#define PDX_SPAN LEGACY_PDE_SPAN

/* Entry bits (SDM Vol.3 tables 4-5/4-6 and 4-9/4-11; the low 12 agree). */
#define PTE_P 0x001         /* present */
#define PTE_W 0x002         /* writable */
#define PTE_U 0x004         /* user accessible */
#define PTE_PWT 0x008       /* write-through */
#define PTE_PCD 0x010       /* cache disable */
#define PTE_A 0x020         /* accessed (set by the CPU) */
#define PTE_D 0x040         /* dirty (set by the CPU, PTEs only) */
#define PTE_PS 0x080        /* in a PDE: a 4 MiB (legacy, CR4.PSE) or 2 MiB (PAE) page */
#define PTE_G 0x100         /* global: survives CR3 loads (CR4.PGE) */
#define PTE_AVAIL 0xE00     /* bits 9-11: free for software */
#define PTE_NX (1ull << 63) /* PAE only, with IA32_EFER.NXE: no instruction fetch */
#define PTE_FRAME 0x000FFFFFFFFFF000ull     /* bits 12-51: the frame (legacy: 12-31) */

#define PTE_ADDR(e) ((e) & PTE_FRAME)

/* Control registers, MSRs and CPUID bits that choose the format. */
#define CR4_PAE 0x00000020u
#define MSR_EFER 0xC0000080u
#define EFER_NXE (1u << 11)                 /* honour PTE_NX (SDM Vol.3 4.1.1) */
#define CPUID_1_EDX_PAE (1u << 6)
#define CPUID_1_EDX_PGE (1u << 13)
#define CPUID_80000001_EDX_NX (1u << 20)
#define PAE_MAXPHYADDR_DEFAULT 36           /* without CPUID leaf 0x80000008 (SDM Vol.3 4.1.4) */

#endif
