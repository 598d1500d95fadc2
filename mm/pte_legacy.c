/* The classic 32-bit format (Intel SDM Vol.3 4.3): one page directory of
 * 1024 four-byte PDEs per address space, page tables of 1024 PTEs, 4 GiB
 * of physical memory at most, and no execute permission: every readable
 * page can be executed.  Kept beside PAE for study (paging=legacy) and
 * for CPUs without PAE.
 *
 * The self-map: PDE 0x300 holds the directory's own frame, so the
 * directory doubles as the page table of 0xC0000000-0xC03FFFFF: the PTE of
 * va shows at 0xC0000000 + (va >> 12) * 4 and the directory at 0xC0300000. */
#include "mm/paging.h"
#include "mm/paging_format.h"
#include "mm/memlayout.h"
#include "kernel/base/layout.h"
#include "kernel/base/x86.h"
#include <string.h>

static legacy_pte_t *pd_window(void)
{
    return (legacy_pte_t *)LEGACY_PD_WINDOW;
}

static pte_t phys_read32(paddr_t pa)
{
    const uint32_t *page = paging_temp_map(pa & ~(paddr_t)(PGSIZE - 1));
    pte_t v = page[(pa & (PGSIZE - 1)) / 4];
    paging_temp_unmap((void *)page);
    return v;
}

/* Every kernel PDE (0x200-0x3FF) gets its table now, except the self-map
 * and the window, so that directories copy them once and share them. */
static void legacy_build_kernel(struct pgdir *kpd, const struct paging_boot *b)
{
    paddr_t pd = b->alloc_table();
    legacy_pte_t *dir = paging_temp_map(pd);

    for (uint32_t i = KERNEL_PDX_FIRST; i < LEGACY_ENTRIES; i++) {
        if (i == LEGACY_SELFMAP_PDX || i == LEGACY_PDX(TEMPMAP_BASE))
            continue;
        dir[i] = (legacy_pte_t)b->alloc_table() | PTE_P | PTE_W;
        (*b->tables)++;
    }
    dir[LEGACY_SELFMAP_PDX] = (legacy_pte_t)pd | PTE_P | PTE_W;
    dir[LEGACY_PDX(TEMPMAP_BASE)] = (legacy_pte_t)b->tempmap_table | PTE_P | PTE_W;
    paging_temp_unmap(dir);
    *b->tables += 2;                    /* the directory and the window's table */
    kpd->cr3 = (uint32_t)pd;
    kpd->top[0] = pd;
    kpd->pdpt_slot = -1;
}

static void legacy_early_map(const struct pgdir *kpd, uint32_t va, paddr_t frame, pte_t flags,
                             const struct paging_boot *b)
{
    (void)b;
    ASSERTF(((frame | flags) >> 32) == 0, "legacy entry %016llx for %08x", frame | flags, va);
    legacy_pte_t *dir = paging_temp_map(kpd->top[0]);
    paddr_t pt = dir[LEGACY_PDX(va)] & LEGACY_FRAME;
    paging_temp_unmap(dir);
    ASSERTF(pt != 0, "no kernel page table for %08x", va);
    legacy_pte_t *table = paging_temp_map(pt);
    table[LEGACY_PTX(va)] = (legacy_pte_t)(frame | flags);
    paging_temp_unmap(table);
}

static void legacy_enter(struct pgdir *kpd, const struct paging_boot *b)
{
    (void)b;
    write_cr3(kpd->cr3);
}

static bool legacy_pgdir_init(struct pgdir *pd, const struct pgdir *kpd, uint32_t *tables)
{
    (void)kpd;
    paddr_t frame = pmm_alloc();
    if (frame == PMM_NONE)
        return false;
    ASSERTF(frame < PMM_4G, "legacy directory at %08llx", frame);
    legacy_pte_t *dir = paging_temp_map(frame);
    memset(dir, 0, KERNEL_PDX_FIRST * sizeof(legacy_pte_t));
    memcpy(&dir[KERNEL_PDX_FIRST], &pd_window()[KERNEL_PDX_FIRST],
           (LEGACY_ENTRIES - KERNEL_PDX_FIRST) * sizeof(legacy_pte_t));
    dir[LEGACY_SELFMAP_PDX] = (legacy_pte_t)frame | PTE_P | PTE_W;
    paging_temp_unmap(dir);
    pd->cr3 = (uint32_t)frame;
    pd->top[0] = frame;
    pd->pdpt_slot = -1;
    (*tables)++;
    return true;
}

static void legacy_pgdir_fini(struct pgdir *pd, uint32_t *tables)
{
    pmm_free(pd->top[0]);
    (*tables)--;
}

static void legacy_walk(uint32_t cr3, uint32_t va, struct page_walk *out)
{
    uint32_t pdx = LEGACY_PDX(va), ptx = LEGACY_PTX(va);
    paddr_t pd = cr3 & LEGACY_FRAME;

    out->cr3 = cr3;
    out->levels = 2;
    pte_t pde = phys_read32(pd + pdx * 4);
    out->level[0].name = "PDE";
    out->level[0].index = pdx;
    out->level[0].va = LEGACY_PD_WINDOW + pdx * 4;
    out->level[0].pa = pd + pdx * 4;
    out->level[0].value = pde;
    out->found = 1;
    if (!(pde & PTE_P) || (pde & PTE_PS))
        return;
    paddr_t pt = pde & LEGACY_FRAME;
    out->level[1].name = "PTE";
    out->level[1].index = ptx;
    out->level[1].va = PT_WINDOW + (va >> 12) * 4;
    out->level[1].pa = pt + ptx * 4;
    out->level[1].value = phys_read32(pt + ptx * 4);
    out->found = 2;
}

static pte_t op_get(uint32_t va) { return legacy_get(va); }
static void op_set(uint32_t va, pte_t old, pte_t v) { legacy_set(va, old, v); }
static pte_t op_pde(uint32_t va) { return legacy_pde(va); }
static void op_set_pde(uint32_t va, pte_t v) { legacy_set_pde(va, v); }

const struct pte_format pte_legacy_format = {
    .name = "legacy 32-bit paging",
    .entry_size = 4,
    .table_span = LEGACY_PDE_SPAN,
    .pd_window = LEGACY_PD_WINDOW,
    .levels = 2,
    .maxphyaddr = 32,
    .build_kernel = legacy_build_kernel,
    .early_map = legacy_early_map,
    .enter = legacy_enter,
    .dir_init = legacy_pgdir_init,
    .dir_fini = legacy_pgdir_fini,
    .walk_from = legacy_walk,
    .get = op_get,
    .set = op_set,
    .pde = op_pde,
    .set_pde = op_set_pde,
};
