/* The two page-table formats behind mm/paging: what mm/paging.c (the
 * interface and the logic both share) asks of mm/pte_legacy.c and
 * mm/pte_pae.c.  Private to those three files.
 *
 * Hot operations (read or write one entry, read a PDE) are inline
 * functions here, chosen per call by paging_pae_on: a test and a branch.
 * Measured against calls through the ops table below (a release kernel
 * built with KDEFS="-DPMM_POISON=0 -DPAGING_DISPATCH_TABLE=1", then
 * tests/bench.py; guest instructions, legacy / PAE, measured at commit
 * d76fb67, before the merge with main's write watches):
 *
 *                                   inline switch     ops table
 *   demand-zero fault (pre-zeroed)    339 / 352       379 / 398
 *   VirtualProtect of one page        482 / 492       542 / 558
 *   map + unmap one page              313 / 324       372 / 396
 *   AV to a ring-3 handler and back  2364 / 2386     2474 / 2510
 *
 * so the table holds only the cold operations (building, switching on,
 * directories, walks), and the table variant stays only for measuring.
 *
 * Both formats see their entries through the self-map at PT_WINDOW: the
 * entry of va at PT_WINDOW + (va >> 12) * entry size, and the PDE of va
 * among the directory entries shown at the format's PD window. */
#ifndef MM_PAGING_FORMAT_H
#define MM_PAGING_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/mmu.h"
#include "mm/pmm.h"
#include "mm/memlayout.h"
#include "kernel/base/panic.h"

struct pgdir;
struct page_walk;

/* What paging_init hands a format to build the kernel's tables with. */
struct paging_boot {
    pte_t global;               /* PTE_G when the CPU has PGE */
    pte_t nx;                   /* PTE_NX when NX is on */
    paddr_t tempmap_table;      /* the window's page table, in this format */
    paddr_t (*alloc_table)(void);   /* a zeroed frame below 4 GiB (boot tables reach it) */
    uint32_t *tables;           /* page-table frames counted here */
};

struct pte_format {
    const char *name;
    uint32_t entry_size;        /* 4 or 8 */
    uint32_t table_span;        /* bytes one page table maps */
    uint32_t pd_window;         /* where the directory entries show through the self-map */
    uint32_t levels;            /* 2 or 3 */
    uint32_t maxphyaddr;        /* physical address bits an entry reaches */
    /* Builds the kernel's directories into *kpd (not yet active) through
     * the boot tables' temporary mappings: the self-map, the window's
     * table, and every kernel page table a directory copy needs. */
    void (*build_kernel)(struct pgdir *kpd, const struct paging_boot *b);
    /* Sets one entry in *kpd (not yet active): the kernel image and the
     * frame metadata.  flags include PTE_P. */
    void (*early_map)(const struct pgdir *kpd, uint32_t va, paddr_t frame, pte_t flags,
                      const struct paging_boot *b);
    /* Makes *kpd the active tables (from the boot tables). */
    void (*enter)(struct pgdir *kpd, const struct paging_boot *b);
    /* A new address space's tables sharing the kernel half of *kpd, with
     * the current address space's kernel entries copied.  Writes cr3, top
     * and pdpt_slot of *pd only when it succeeds; counts frames in *tables. */
    bool (*dir_init)(struct pgdir *pd, const struct pgdir *kpd, uint32_t *tables);
    void (*dir_fini)(struct pgdir *pd, uint32_t *tables);
    /* Walks va from cr3 through physical memory. */
    void (*walk_from)(uint32_t cr3, uint32_t va, struct page_walk *out);
    /* Hot operations, for PAGING_DISPATCH_TABLE builds only. */
    pte_t (*get)(uint32_t va);
    void (*set)(uint32_t va, pte_t old, pte_t value);
    pte_t (*pde)(uint32_t va);
    void (*set_pde)(uint32_t va, pte_t value);
};

extern const struct pte_format pte_legacy_format;
extern const struct pte_format pte_pae_format;

/* ---- legacy: 4-byte entries, PDE of va at LEGACY_PD_WINDOW + (va >> 22) * 4 */

static inline pte_t legacy_get(uint32_t va)
{
    return ((const volatile legacy_pte_t *)PT_WINDOW)[va >> 12];
}

/* One 32-bit store: atomic for the CPU's walker.  The format has no NX
 * bit and no frame bits above 31. */
static inline void legacy_set(uint32_t va, pte_t old, pte_t value)
{
    (void)old;
    ASSERTF((value >> 32) == 0, "legacy entry for %08x: %016llx does not fit 32 bits", va, value);
    ((volatile legacy_pte_t *)PT_WINDOW)[va >> 12] = (legacy_pte_t)value;
}

static inline pte_t legacy_pde(uint32_t va)
{
    return ((const volatile legacy_pte_t *)LEGACY_PD_WINDOW)[va >> 22];
}

/* P of the PDE of va: only the low word is read (bit 0 is there in both formats). */
static inline bool legacy_pde_present(uint32_t va)
{
    return ((const volatile legacy_pte_t *)LEGACY_PD_WINDOW)[va >> 22] & PTE_P;
}

static inline void legacy_set_pde(uint32_t va, pte_t value)
{
    ASSERTF((value >> 32) == 0, "legacy PDE for %08x: %016llx does not fit 32 bits", va, value);
    ((volatile legacy_pte_t *)LEGACY_PD_WINDOW)[va >> 22] = (legacy_pte_t)value;
}

/* ---- PAE: 8-byte entries, PDE of va at PAE_PD_WINDOW + (va >> 21) * 8 --- */

static inline pte_t pae_read(const volatile uint32_t *e)
{
    return e[0] | (pte_t)e[1] << 32;
}

/* An 8-byte entry written as two 4-byte stores the CPU must never see
 * half done (SDM Vol.3 4.10.x; Linux's set_pte_atomic does the same):
 * when only the low word changes, one store; otherwise a present entry is
 * first made not present, then the high word, then the low word with P.
 * x86 does not reorder stores with stores, and volatile keeps the
 * compiler from it. */
static inline void pae_write(volatile uint32_t *e, pte_t old, pte_t value)
{
    uint32_t hi = (uint32_t)(value >> 32);

    if ((uint32_t)(old >> 32) != hi) {
        if (old & PTE_P)
            e[0] = 0;
        e[1] = hi;
    }
    e[0] = (uint32_t)value;
}

static inline pte_t pae_get(uint32_t va)
{
    return pae_read((const volatile uint32_t *)(PT_WINDOW + (va >> 12) * 8));
}

static inline void pae_set(uint32_t va, pte_t old, pte_t value)
{
    pae_write((volatile uint32_t *)(PT_WINDOW + (va >> 12) * 8), old, value);
}

static inline pte_t pae_pde(uint32_t va)
{
    return pae_read((const volatile uint32_t *)(PAE_PD_WINDOW + (va >> 21) * 8));
}

static inline bool pae_pde_present(uint32_t va)
{
    return ((const volatile uint32_t *)PAE_PD_WINDOW)[(va >> 21) * 2] & PTE_P;
}

static inline void pae_set_pde(uint32_t va, pte_t value)
{
    volatile uint32_t *e = (volatile uint32_t *)(PAE_PD_WINDOW + (va >> 21) * 8);
    pae_write(e, pae_read(e), value);
}

#endif
