/* PAE paging (Intel SDM Vol.3 4.4): eight-byte entries, so a table holds
 * 512 of them and maps 2 MiB; three levels, a 32-byte
 * page-directory-pointer table (PDPT) on top of four page directories;
 * frames up to 2^MAXPHYADDR; and, with IA32_EFER.NXE, bit 63 of an entry
 * forbids instruction fetches (execute-disable, "NX"): what makes
 * PAGE_EXECUTE_* real and DEP possible.
 *
 * The self-map, as 32-bit Windows with PAE has it: the fourth directory's
 * entries 0-3 hold the four directories, so they serve as the page
 * tables of 0xC0000000-0xC07FFFFF: the PTE of va shows at 0xC0000000 +
 * (va >> 12) * 8, and the 2048 PDEs (all four directories, one array) at
 * 0xC0600000 + (va >> 21) * 8.
 *
 * Per address space: the PDPT, directories 0 and 1 (user half), and
 * directory 3 (the self-map and a copy of the kernel's entries above
 * 0xC0000000, whose tables are all made at boot).  Directory 2
 * (0x80000000-0xBFFFFFFF: the kernel image and the frame metadata) is
 * one frame shared by every address space.
 *
 * CR3 holds only 32 bits (bits 31:5 address the PDPT), so PDPTs must lie
 * below 4 GiB: they come from a static pool in the kernel image.  The
 * architecture would let directories and tables lie anywhere (they are
 * reached through the self-map and the temporary window, never through a
 * direct mapping), but QEMU 7.2 cannot walk tables above 4 GiB, so they
 * come from the low zone too (mm/paging.c alloc_zeroed_frame). */
#include "mm/paging.h"
#include "mm/paging_format.h"
#include "mm/memlayout.h"
#include "kernel/base/layout.h"
#include "kernel/base/lock.h"
#include "kernel/base/x86.h"
#include <string.h>

/* Enough for the address spaces that exist at once here (one process at
 * a time, the console's scratch process, test spaces); pgdir_init fails
 * cleanly past it. */
#define PDPT_SLOTS 256
#define KERNEL_PD 2                 /* the shared directory */
#define SELFMAP_PD 3                /* the directory holding the self-map */
#define PD3_FIRST_KERNEL_TABLE (PAE_PDX(TEMPMAP_BASE) - 3 * PAE_ENTRIES + 1)

static pae_pte_t pdpt_pool[PDPT_SLOTS][PAE_PDPT_ENTRIES] __attribute__((aligned(PAE_PDPT_ALIGN)));
static uint32_t pdpt_used[PDPT_SLOTS / 32];

_Static_assert(sizeof(pdpt_pool[0]) == PAE_PDPT_ALIGN, "a PDPT is 32 bytes");
_Static_assert(PAE_PDX(PT_WINDOW) == PAE_SELFMAP_PDX && PAE_PD_WINDOW ==
               PT_WINDOW + PAE_SELFMAP_PDX * PGSIZE, "the PAE self-map's place");
_Static_assert(PAE_PDX(TEMPMAP_BASE) == PAE_SELFMAP_PDX + 4, "the window follows the self-map");

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* ---- the PDPT pool (callers hold mm/paging's lock) ---- */

static int pdpt_take(void)
{
    for (int s = 0; s < PDPT_SLOTS; s++) {
        if (!(pdpt_used[s / 32] & (1u << (s % 32)))) {
            pdpt_used[s / 32] |= 1u << (s % 32);
            return s;
        }
    }
    return -1;
}

static void pdpt_give(int s)
{
    ASSERTF(s >= 0 && s < PDPT_SLOTS && (pdpt_used[s / 32] & (1u << (s % 32))),
            "PDPT slot %d given back but not in use", s);
    memset(pdpt_pool[s], 0, sizeof(pdpt_pool[s]));
    pdpt_used[s / 32] &= ~(1u << (s % 32));
}

static uint32_t pdpt_phys(int s)
{
    return (uint32_t)pdpt_pool[s] - KERNEL_VBASE;
}

static void pdpt_fill(int s, const paddr_t top[4])
{
    for (int i = 0; i < PAE_PDPT_ENTRIES; i++)
        pdpt_pool[s][i] = top[i] | PTE_P;   /* a PDPTE has no W, U or NX (SDM table 4-8) */
}

/* ---- entries of tables that are not live, through the window ---- */

static pte_t phys_read64(paddr_t table, uint32_t index)
{
    const volatile uint32_t *t = paging_temp_map(table);
    pte_t v = pae_read(&t[index * 2]);
    paging_temp_unmap((void *)t);
    return v;
}

static void phys_write64(paddr_t table, uint32_t index, pte_t value)
{
    volatile uint32_t *t = paging_temp_map(table);
    t[index * 2 + 1] = (uint32_t)(value >> 32);
    t[index * 2] = (uint32_t)value;
    paging_temp_unmap((void *)t);
}

/* ---- the kernel's tables ---- */

static void pae_build_kernel(struct pgdir *kpd, const struct paging_boot *b)
{
    for (int i = 0; i < PAE_PDPT_ENTRIES; i++)
        kpd->top[i] = b->alloc_table();
    *b->tables += PAE_PDPT_ENTRIES;
    int slot = pdpt_take();
    ASSERTF(slot == 0, "the kernel's PDPT took slot %d", slot);
    pdpt_fill(slot, kpd->top);
    kpd->cr3 = pdpt_phys(slot);
    kpd->pdpt_slot = slot;

    paddr_t pd3 = kpd->top[SELFMAP_PD];
    for (int i = 0; i < PAE_PDPT_ENTRIES; i++)
        phys_write64(pd3, (uint32_t)i, kpd->top[i] | PTE_P | PTE_W | b->nx);
    phys_write64(pd3, PAE_PDX(TEMPMAP_BASE) % PAE_ENTRIES, b->tempmap_table | PTE_P | PTE_W | b->nx);
    *b->tables += 1;                    /* the window's table */
    /* The rest of the fourth directory: pool and kernel virtual memory,
     * copied by every address space, so made now. */
    for (uint32_t i = PD3_FIRST_KERNEL_TABLE; i < PAE_ENTRIES; i++) {
        phys_write64(pd3, i, b->alloc_table() | PTE_P | PTE_W);
        (*b->tables)++;
    }
}

/* The third directory is shared, so its tables are made as the image and
 * the metadata need them. */
static void pae_early_map(const struct pgdir *kpd, uint32_t va, paddr_t frame, pte_t flags,
                          const struct paging_boot *b)
{
    paddr_t pd = kpd->top[PAE_PDPTX(va)];
    uint32_t i = PAE_PDX(va) % PAE_ENTRIES;
    pte_t pde = phys_read64(pd, i);

    if (!(pde & PTE_P)) {
        ASSERTF(PAE_PDPTX(va) == KERNEL_PD, "no kernel page table for %08x", va);
        pde = b->alloc_table() | PTE_P | PTE_W;
        phys_write64(pd, i, pde);
        (*b->tables)++;
    }
    phys_write64(PTE_ADDR(pde), PAE_PTX(va), frame | flags);
}

/* From 32-bit paging to PAE with paging on.  SDM Vol.3 4.1.2 (figure 4-1)
 * allows it by setting CR4.PAE with CR0.PG = 1, and 4.4.1: that MOV to CR4
 * loads the four PDPTEs from the address in CR3, which still holds the
 * 32-bit boot directory.  So the boot directory's first 32 bytes (PDEs
 * 0-7: the user half, empty since entry.asm dropped the identity map)
 * are made the kernel's PDPT for that one instruction; then CR3 gets the
 * real PDPT.  The kernel image is mapped at the same addresses in both,
 * so the next instruction fetch finds its code.  IA32_EFER.NXE goes on
 * first: under PAE an NX bit without it is a reserved-bit fault. */
static void pae_enter(struct pgdir *kpd, const struct paging_boot *b)
{
    for (int i = 0; i < 2 * PAE_PDPT_ENTRIES; i++)
        ASSERTF(boot_pd[i] == 0, "boot PDE %d is %08x: the user half is not empty", i, boot_pd[i]);
    for (int i = 0; i < PAE_PDPT_ENTRIES; i++) {
        boot_pd[2 * i + 1] = (uint32_t)(pdpt_pool[kpd->pdpt_slot][i] >> 32);
        boot_pd[2 * i] = (uint32_t)pdpt_pool[kpd->pdpt_slot][i];
    }
    if (b->nx)
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    write_cr4(read_cr4() | CR4_PAE);
    write_cr3(kpd->cr3);
    memset(boot_pd, 0, 2 * PAE_PDPT_ENTRIES * sizeof(boot_pd[0]));
}

/* ---- address spaces ---- */

static bool pae_pgdir_init(struct pgdir *pd, const struct pgdir *kpd, uint32_t *tables)
{
    int slot = pdpt_take();
    if (slot < 0)
        return false;
    /* Below 4 GiB, as every table (mm/paging.c alloc_zeroed_frame says why). */
    paddr_t top[4] = { pmm_alloc_low(), pmm_alloc_low(), kpd->top[KERNEL_PD], pmm_alloc_low() };
    if (top[0] == PMM_NONE || top[1] == PMM_NONE || top[3] == PMM_NONE) {
        for (int i = 0; i < 4; i++)
            if (i != KERNEL_PD && top[i] != PMM_NONE)
                pmm_free(top[i]);
        pdpt_give(slot);
        return false;
    }
    paging_zero_frame(top[0]);
    paging_zero_frame(top[1]);
    /* Directory 3: the kernel's entries as the current one has them
     * (the same in every address space), then this one's self-map. */
    volatile uint32_t *d = paging_temp_map(top[SELFMAP_PD]);
    const volatile uint32_t *cur = (const volatile uint32_t *)(PAE_PD_WINDOW + SELFMAP_PD * PGSIZE);
    for (uint32_t w = 2 * PAE_PDPT_ENTRIES; w < 2 * PAE_ENTRIES; w++)
        d[w] = cur[w];
    for (int i = 0; i < PAE_PDPT_ENTRIES; i++) {
        pte_t e = top[i] | PTE_P | PTE_W | paging_nx_bit();
        d[2 * i + 1] = (uint32_t)(e >> 32);
        d[2 * i] = (uint32_t)e;
    }
    paging_temp_unmap((void *)d);
    pdpt_fill(slot, top);
    pd->cr3 = pdpt_phys(slot);
    memcpy(pd->top, top, sizeof(top));
    pd->pdpt_slot = slot;
    *tables += 3;
    return true;
}

static void pae_pgdir_fini(struct pgdir *pd, uint32_t *tables)
{
    pmm_free(pd->top[0]);
    pmm_free(pd->top[1]);
    pmm_free(pd->top[SELFMAP_PD]);
    pdpt_give(pd->pdpt_slot);
    pd->pdpt_slot = -1;
    *tables -= 3;
}

static void walk_level(struct page_walk *out, int n, const char *name, uint32_t index,
                       uint32_t va, paddr_t table, pte_t value)
{
    out->level[n].name = name;
    out->level[n].index = index;
    out->level[n].va = va;
    out->level[n].pa = table + index * 8;
    out->level[n].value = value;
    out->found = n + 1;
}

static void pae_walk(uint32_t cr3, uint32_t va, struct page_walk *out)
{
    paddr_t pdpt = cr3 & ~(uint32_t)(PAE_PDPT_ALIGN - 1);
    uint32_t i = PAE_PDPTX(va), j = PAE_PDX(va) % PAE_ENTRIES, k = PAE_PTX(va);

    out->cr3 = cr3;
    out->levels = 3;
    /* A PDPT lives in the kernel image: its virtual address is phys + base. */
    const pae_pte_t *p = (const pae_pte_t *)(uint32_t)(pdpt + KERNEL_VBASE);
    walk_level(out, 0, "PDPTE", i, (uint32_t)&p[i], pdpt, p[i]);
    if (!(p[i] & PTE_P))
        return;
    paddr_t pd = PTE_ADDR(p[i]);
    pte_t pde = phys_read64(pd, j);
    walk_level(out, 1, "PDE", j, PAE_PD_WINDOW + PAE_PDX(va) * 8, pd, pde);
    if (!(pde & PTE_P) || (pde & PTE_PS))
        return;
    paddr_t pt = PTE_ADDR(pde);
    walk_level(out, 2, "PTE", k, PT_WINDOW + (va >> 12) * 8, pt, phys_read64(pt, k));
}

static pte_t op_get(uint32_t va) { return pae_get(va); }
static void op_set(uint32_t va, pte_t old, pte_t v) { pae_set(va, old, v); }
static pte_t op_pde(uint32_t va) { return pae_pde(va); }
static void op_set_pde(uint32_t va, pte_t v) { pae_set_pde(va, v); }

const struct pte_format pte_pae_format = {
    .name = "PAE paging",
    .entry_size = 8,
    .table_span = PAE_PDE_SPAN,
    .pd_window = PAE_PD_WINDOW,
    .levels = 3,
    .maxphyaddr = 52,
    .build_kernel = pae_build_kernel,
    .early_map = pae_early_map,
    .enter = pae_enter,
    .dir_init = pae_pgdir_init,
    .dir_fini = pae_pgdir_fini,
    .walk_from = pae_walk,
    .get = op_get,
    .set = op_set,
    .pde = op_pde,
    .set_pde = op_set_pde,
};
