/* Page tables: two formats behind one interface (32-bit "legacy" paging
 * and PAE with NX, chosen at boot), the kernel's tables built in C, the
 * self-map, temporary mappings of arbitrary frames, and the map / unmap /
 * query / protect primitives on the current address space.
 *
 * Entries cross this interface as pte_t, a 64-bit value in PAE layout
 * (mm/mmu.h); in the legacy format an entry can hold neither PTE_NX nor a
 * frame at or above 4 GiB, and passing one is a bug (ASSERT). */
#ifndef MM_PAGING_H
#define MM_PAGING_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/mmu.h"
#include "mm/pmm.h"
#include "mm/memlayout.h"
#include "mm/tlb.h"
#include "kernel/base/percpu.h"

struct trap_frame;

/* One address space's top-level tables and the bookkeeping of its user
 * page tables. */
struct pgdir;

/* ---- the format ------------------------------------------------------- */

enum paging_format { PAGING_LEGACY, PAGING_PAE };

/* Chooses the format from CPUID: PAE (with NX when the CPU has it) unless
 * want_legacy or the CPU lacks PAE.  Call before pmm_init; returns the
 * physical address limit the frame allocator must respect (4 GiB for
 * legacy, 2^MAXPHYADDR for PAE, capped at PMM_LIMIT_MAX). */
uint64_t paging_select(bool want_legacy);
/* Replaces the boot tables with tables built here in the chosen format:
 * kernel text read-only, rodata and data/bss non-executable (with NX),
 * the page under the boot stack unmapped, global pages when the CPU has
 * PGE, every kernel page table a directory copies allocated now (shared by
 * all address spaces), the self-map, and no low identity map.  Switches
 * to PAE when chosen.  Call once, after pmm_init. */
void paging_init(void);

/* Set once by paging_init (true once PAE paging is on); read-only after.
 * Exposed for the inline entry reader below. */
extern bool paging_pae_on;

enum paging_format paging_format(void);
const char *paging_format_name(void);
/* PTE_NX when the CPU honours it (PAE and IA32_EFER.NXE), else 0: what a
 * caller ORs into an entry that must not be executable. */
pte_t paging_nx_bit(void);
/* Bytes of linear address space one page table maps (4 MiB legacy, 2 MiB
 * PAE), and the bytes of one entry (4, 8). */
static inline uint32_t paging_table_span(void)
{
    return paging_pae_on ? 1u << 21 : 1u << 22;     /* PAE: 512 entries; legacy: 1024 */
}
uint32_t paging_entry_size(void);

/* The entry of va read straight through the self-map.  Only for scans
 * that have checked paging_has_table(va) for va's table (else it faults). */
static inline pte_t paging_entry(uint32_t va)
{
    if (paging_pae_on) {
        const volatile uint32_t *e = (const volatile uint32_t *)(PT_WINDOW + (va >> 12) * 8);
        return e[0] | (pte_t)e[1] << 32;
    }
    return ((const volatile legacy_pte_t *)PT_WINDOW)[va >> 12];
}

/* True when va's page table exists (else every entry in it reads 0): the
 * P bit of its directory entry, read through the self-map (bit 0 is in
 * the low word in both formats).  Inline: every fault and commit asks. */
static inline bool paging_has_table(uint32_t va)
{
    if (paging_pae_on)
        return ((const volatile uint32_t *)PAE_PD_WINDOW)[(va >> 21) * 2] & PTE_P;
    return ((const volatile legacy_pte_t *)LEGACY_PD_WINDOW)[va >> 22] & PTE_P;
}

/* The entry for va (0 when its page table does not exist). */
static inline pte_t paging_query(uint32_t va)
{
    return paging_has_table(va) ? paging_entry(va) : 0;
}

/* ---- entries of the current address space ------------------------------ */

/* Maps frame at va in the current address space.  va must be page
 * aligned and unmapped (ASSERT).  flags: PTE_W, PTE_U, PTE_PWT, PTE_PCD,
 * PTE_AVAIL, PTE_NX (PTE_P implied; PTE_G added for kernel addresses when
 * supported).  A user page table is allocated on demand; returns false
 * (nothing changed) when no frame is left for it. */
bool paging_map(uint32_t va, paddr_t frame, pte_t flags);
/* Unmaps va; returns its frame, or PMM_NONE if nothing was mapped.  A
 * user page table whose last entry goes is freed. */
paddr_t paging_unmap(uint32_t va);
/* The directory entry that maps va's page table (0 when absent). */
pte_t paging_query_pde(uint32_t va);
/* The first page of [va, end) whose entry is not empty (0), or end: a
 * tight scan of each table in place, skipping absent tables, for walks
 * over sparse ranges (a released stack with two pages committed). */
uint32_t paging_next_entry(uint32_t va, uint32_t end);
/* Replaces the permission bits of a present mapping (ASSERT present). */
void paging_protect(uint32_t va, pte_t flags);
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
/* Replaces va's entry, which is `old` (A and D aside) and not 0, with
 * another entry that is not 0, flushing the TLB when old was present.
 * For a caller that serializes every change of va's entry itself (the
 * VM layer, under its lock): the page table stays and its use count does
 * not change, so nothing paging_lock guards is touched (the demand-zero
 * fault, a protection change, a commit over committed pages). */
void paging_replace_pte(uint32_t va, pte_t old, pte_t value);
/* User page tables in the current address space (this CPU's directory;
 * struct pgdir is below). */
static inline uint32_t paging_user_tables(void);

/* The hardware's walk for va from CR3, level by level, read from physical
 * memory (not through the self-map): for the console's pte, the tests'
 * cross-checks and the gdb helpers' model.  levels is 2 (PDE, PTE) or 3
 * (PDPTE, PDE, PTE); a walk stops at the first not-present entry. */
struct page_walk {
    uint32_t cr3;
    int levels;                     /* levels of this format */
    int found;                      /* entries read: stops after a not-present one */
    struct {
        const char *name;           /* "PDPTE", "PDE", "PTE" */
        uint32_t index;             /* in its table */
        uint32_t va;                /* where the entry shows through the self-map, or 0 */
        paddr_t pa;                 /* its physical address */
        pte_t value;
    } level[3];
};
void paging_walk(uint32_t va, struct page_walk *out);

/* ---- temporary mappings -------------------------------------------------- */

/* Temporary mapping window: a kernel pointer to any frame until unmapped
 * (non-executable with NX). */
void *paging_temp_map(paddr_t frame);
void paging_temp_unmap(void *va);
/* Zeroes a frame through the temporary window. */
void paging_zero_frame(paddr_t frame);
/* The same with interrupts off (ASSERTed), through a slot of its own:
 * cheaper, for the demand-zero fault path. */
void paging_zero_frame_irqoff(paddr_t frame);

/* ---- TLB: mm/tlb.h (tlb_invalidate, tlb_invalidate_range, paging_batch_*) ---- */

/* Page-fault hook for the VM layer: return true when the fault was
 * resolved and the instruction can be retried. */
typedef bool (*page_fault_hook)(struct trap_frame *tf, uint32_t cr2);
/* Installs hook; returns the previous one. */
page_fault_hook paging_set_fault_hook(page_fault_hook hook);

/* ---- address spaces ---------------------------------------------------------- */

/* A directory sharing the kernel half.  The owner (mm/vm's address space)
 * holds the structure, so paging allocates only frames; its fields are
 * paging's alone.  Legacy: one page directory (top[0]).  PAE: a
 * page-directory-pointer table (32 bytes below 4 GiB) and four
 * directories; top[0..1] map the user half, top[2] is the kernel's
 * (shared by every address space), top[3] holds the self-map and a copy
 * of the kernel's entries above 0xC0000000. */
#define PGDIR_USER_TABLES (USER_END / PAE_PDE_SPAN)  /* 1024 PAE tables (512 legacy) */
struct pgdir {
    uint32_t cr3;                        /* what CR3 holds: directory or PDPT address */
    paddr_t top[4];                      /* directory frames */
    int32_t pdpt_slot;                   /* PAE: which PDPT slot (mm/pte_pae.c), else -1 */
    uint16_t pt_use[PGDIR_USER_TABLES];  /* non-zero entries per user page table */
    uint32_t user_tables;                /* user page tables that exist */
    volatile uint32_t cpus_active;       /* CPUs that loaded cr3 and have not left (TLB shootdown) */
};

static inline uint32_t paging_user_tables(void)
{
    return ((const struct pgdir *)this_cpu_read32(pgdir))->user_tables;
}
struct pgdir *paging_kernel_pgdir(void);
struct pgdir *paging_current(void);
/* Fills *pd with fresh tables; false (and *pd untouched) when no frame
 * (or, PAE, no PDPT slot) is left. */
bool pgdir_init(struct pgdir *pd);
/* Gives the tables back; every user mapping must be gone. */
void pgdir_fini(struct pgdir *pd);
void paging_switch(struct pgdir *pd);
/* The value CR3 holds for this address space. */
uint32_t pgdir_cr3(const struct pgdir *pd);

struct paging_stats {
    uint32_t page_tables;       /* page-table frames in use (kernel + user, directories, PDPT pages) */
    uint32_t invlpg;
    uint32_t cr3_reloads;
    uint32_t faults_hooked;     /* #PF resolved by the hook */
    bool pge;                   /* global pages in use */
    bool pae;                   /* PAE paging on */
    bool nx;                    /* PTE_NX honoured (IA32_EFER.NXE) */
    uint32_t maxphyaddr;        /* physical address bits the format reaches */
};
void paging_get_stats(struct paging_stats *out);

/* Prints every present range in the format of QEMU's `info mem`, then
 * every present page as `info tlb` does (tests/harness.py compares them). */
void paging_dump_info_mem(void);
void paging_dump_info_tlb(void);

#endif
