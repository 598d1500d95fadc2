/* Page tables: the kernel's tables built in C, the self-map, temporary
 * mappings of arbitrary frames, and the map / unmap / query / protect
 * primitives on the current address space. */
#ifndef MM_PAGING_H
#define MM_PAGING_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/mmu.h"
#include "mm/pmm.h"
#include "mm/memlayout.h"

struct trap_frame;

/* One page directory and the bookkeeping of its user page tables. */
struct pgdir;

/* Replaces the boot tables with tables built here: kernel text and rodata
 * read-only, data/bss read-write, the page under the boot stack unmapped,
 * global pages when the CPU has PGE, every kernel page table allocated
 * now (shared by all address spaces), the self-map, and no low identity
 * map.  Call once, after pmm_init. */
void paging_init(void);

/* Maps frame at va in the current address space.  va must be page
 * aligned and unmapped (ASSERT).  flags: PTE_W, PTE_U, PTE_PWT, PTE_PCD,
 * PTE_AVAIL (PTE_P implied; PTE_G added for kernel addresses when supported).
 * A user page table is allocated on demand; returns false (nothing
 * changed) when no frame is left for it. */
bool paging_map(uint32_t va, paddr_t frame, uint32_t flags);
/* Unmaps va; returns its frame, or PMM_NONE if nothing was mapped.  A
 * user page table whose last entry goes is freed. */
paddr_t paging_unmap(uint32_t va);
/* The raw PTE for va (0 when its page table does not exist). */
pte_t paging_query(uint32_t va);
/* Replaces the permission bits of a present mapping (ASSERT present). */
void paging_protect(uint32_t va, uint32_t flags);
/* Writes a not-present entry's software bits (bit 0 clear; the VM layer
 * keeps per-page state there).  Creates the page table when needed;
 * returns false when no frame is left for it. */
bool paging_set_soft(uint32_t va, pte_t soft);

/* Sets the entry for va to any value (present or a software entry),
 * flushing the TLB when a present entry changes; user page tables are
 * created and freed as needed.  False only when a page table was needed
 * and no frame was left (nothing changed). */
bool paging_set_pte(uint32_t va, pte_t value);
/* Sets every entry of [start, end), all of them empty (0) now, to the same
 * not-present value: one lock and one table lookup per table rather than
 * per page (a fresh commit).  False when a page table could not be made;
 * the entries set so far stay (the caller checked for frames first). */
bool paging_fill_empty(uint32_t start, uint32_t end, pte_t value);
/* The page table holding va's entry, read-only through the self-map
 * (index it with PTX), or NULL when it does not exist: for scans. */
const pte_t *paging_table(uint32_t va);
/* User page tables in the current address space. */
uint32_t paging_user_tables(void);
/* True when va's page table exists (else every entry in it reads 0). */
bool paging_has_table(uint32_t va);

/* Temporary mapping window: a kernel pointer to any frame until unmapped. */
void *paging_temp_map(paddr_t frame);
void paging_temp_unmap(void *va);
/* Zeroes a frame through the temporary window. */
void paging_zero_frame(paddr_t frame);

/* TLB invalidation: every change to a present entry goes through here. */
void tlb_invalidate(uint32_t va);
void tlb_invalidate_range(uint32_t va, uint32_t pages);
/* Defers the invalidations of entry changes until the matching end (one
 * flush for a large range).  Nothing may access the changed pages in
 * between.  Nests. */
void paging_batch_begin(void);
void paging_batch_end(void);

/* Page-fault hook for the VM layer: return true when the fault was
 * resolved and the instruction can be retried. */
typedef bool (*page_fault_hook)(struct trap_frame *tf, uint32_t cr2);
/* Installs hook; returns the previous one. */
page_fault_hook paging_set_fault_hook(page_fault_hook hook);

/* Address spaces: a page directory sharing the kernel half.  The owner
 * (mm/vm's address space) holds the structure, so paging allocates only
 * frames; its fields are paging's alone. */
#define PGDIR_USER_TABLES (USER_END >> 22)      /* 512 page tables map user space */
struct pgdir {
    paddr_t frame;
    uint16_t pt_use[PGDIR_USER_TABLES];  /* non-zero entries per user page table */
    uint32_t user_tables;                /* user page tables that exist */
};
struct pgdir *paging_kernel_pgdir(void);
struct pgdir *paging_current(void);
/* Fills *pd with a fresh directory; false (and *pd untouched) when no
 * frame is left. */
bool pgdir_init(struct pgdir *pd);
/* Gives the directory's frame back; every user mapping must be gone. */
void pgdir_fini(struct pgdir *pd);
void paging_switch(struct pgdir *pd);
paddr_t pgdir_frame(const struct pgdir *pd);

struct paging_stats {
    uint32_t page_tables;       /* page-table frames in use (kernel + user) */
    uint32_t invlpg;
    uint32_t cr3_reloads;
    uint32_t faults_hooked;     /* #PF resolved by the hook */
    bool pge;                   /* global pages in use */
};
void paging_get_stats(struct paging_stats *out);

/* Prints every present range in the format of QEMU's `info mem`, then
 * every present page as `info tlb` does (see tests/qmpcheck.py). */
void paging_dump_info_mem(void);
void paging_dump_info_tlb(void);

#endif
