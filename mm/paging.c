/* x86 two-level paging with 4 KiB pages.
 *
 * Page-table edits go through the self-map: PDE 0x300 points at the page
 * directory itself, so the page table for PD index i appears at
 * PT_WINDOW + i * 4096 and the directory at PD_WINDOW (as NT x86 does).
 * Frames that are not mapped anywhere (a new page table, a frame to zero)
 * are reached through the temporary-mapping window at TEMPMAP_BASE, whose
 * page table is a static one so that it works before and after the switch
 * from the boot tables.
 *
 * Kernel page tables (PD indexes 0x200..0x3FF) are all allocated in
 * paging_init and never freed, so every address space can copy the
 * kernel half of the directory once and share the tables without any
 * synchronisation afterwards.  User page tables come and go on demand;
 * each directory counts the non-zero entries of each user table. */
#include "mm/paging.h"
#include "mm/memlayout.h"
#include "kernel/base/layout.h"
#include "kernel/base/lock.h"
#include "kernel/arch/gdt.h"
#include "kernel/arch/trap.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/panic.h"
#include "kernel/base/x86.h"
#include <string.h>
#include <stddef.h>

#define USER_PDX_COUNT PGDIR_USER_TABLES
#define CPUID_1_EDX_PGE (1u << 13)

/* The kernel's directory is static (it exists before the kernel heap,
 * which is built on this layer); the others come from the kernel heap. */
static struct pgdir kernel_pgdir_storage;
static struct pgdir *kernel_pgdir;
static struct pgdir *current_pgdir;
static struct spinlock paging_lock = SPINLOCK_INIT("paging");
static struct spinlock tempmap_lock = SPINLOCK_INIT("tempmap");
static uint32_t tempmap_used;               /* bitmap of TEMPMAP_SLOTS slots */
static pte_t tempmap_pt[PT_ENTRIES] __attribute__((aligned(PGSIZE)));
static uint32_t global_bit;                 /* PTE_G when the CPU has PGE */
static page_fault_hook fault_hook;
static struct paging_stats stats;

static pde_t *const pd_window = (pde_t *)PD_WINDOW;

static pte_t *pt_window(uint32_t pdx)
{
    return (pte_t *)(PT_WINDOW + pdx * PGSIZE);
}

static paddr_t kernel_virt_to_phys(const void *va)
{
    return (paddr_t)((uint32_t)va - KERNEL_VBASE);
}

/* ---- TLB ------------------------------------------------------------- */

void tlb_invalidate(uint32_t va)
{
    invlpg(va);
    stats.invlpg++;
}

/* Past this many pages one CR3 reload (and refilling the TLB) is cheaper
 * than a run of INVLPGs.  Measured with `make bench` (tlb.range_walltime,
 * TSC ticks without -icount, medians of 15, QEMU TCG on this project's
 * machines): 8 pages 7,402 vs 10,362; 16 pages 14,492 vs 12,864; so the
 * crossover lies between 8 and 16.  Kernel pages are global and survive a
 * CR3 load (SDM Vol.3 4.10.4.1), so a range that touches the kernel half
 * flushes everything by toggling CR4.PGE instead. */
#define TLB_RANGE_RELOAD_THRESHOLD 12

static void tlb_flush_all(bool kernel_too)
{
    if (kernel_too && global_bit) {
        uint32_t cr4 = read_cr4();
        write_cr4(cr4 & ~CR4_PGE);
        write_cr4(cr4);
    } else {
        write_cr3(read_cr3());
    }
    stats.cr3_reloads++;
}

void tlb_invalidate_range(uint32_t va, uint32_t pages)
{
    if (pages > TLB_RANGE_RELOAD_THRESHOLD) {
        tlb_flush_all(va + pages * PGSIZE > USER_END || va + pages * PGSIZE < va);
        return;
    }
    for (uint32_t i = 0; i < pages; i++)
        tlb_invalidate(va + i * PGSIZE);
}

/* Batched invalidation: while a batch is open, changed present entries
 * are remembered instead of flushed one by one; paging_batch_end flushes
 * them, or everything when there were more than the threshold.  The
 * caller must not touch the affected pages until the batch ends. */
static struct {
    int depth;
    uint32_t count;
    bool kernel;
    uint32_t va[TLB_RANGE_RELOAD_THRESHOLD];
} batch;

static void invalidate_changed(uint32_t va)
{
    if (batch.depth == 0) {
        tlb_invalidate(va);
        return;
    }
    if (batch.count < TLB_RANGE_RELOAD_THRESHOLD)
        batch.va[batch.count] = va;
    batch.count++;
    batch.kernel |= va >= USER_END;
}

void paging_batch_begin(void)
{
    uint32_t flags = irq_save();
    batch.depth++;
    irq_restore(flags);
}

void paging_batch_end(void)
{
    uint32_t flags = irq_save();
    ASSERT(batch.depth > 0);
    if (--batch.depth == 0) {
        if (batch.count > TLB_RANGE_RELOAD_THRESHOLD) {
            tlb_flush_all(batch.kernel);
        } else {
            for (uint32_t i = 0; i < batch.count; i++)
                tlb_invalidate(batch.va[i]);
        }
        batch.count = 0;
        batch.kernel = false;
    }
    irq_restore(flags);
}

/* ---- temporary mappings ---------------------------------------------- */

void *paging_temp_map(paddr_t frame)
{
    ASSERTF(frame % PGSIZE == 0, "frame %08x not page aligned", frame);
    uint32_t flags = spin_lock(&tempmap_lock);
    ASSERTF(tempmap_used != 0xFFFFFFFFu, "all %d temporary mappings in use", TEMPMAP_SLOTS);
    unsigned slot = (unsigned)__builtin_ctz(~tempmap_used);
    tempmap_used |= 1u << slot;
    spin_unlock(&tempmap_lock, flags);

    uint32_t va = TEMPMAP_BASE + slot * PGSIZE;
    tempmap_pt[slot] = frame | PTE_P | PTE_W;
    /* The slot's previous translation may still be cached. */
    tlb_invalidate(va);
    return (void *)va;
}

void paging_temp_unmap(void *p)
{
    uint32_t va = (uint32_t)p;
    unsigned slot = (va - TEMPMAP_BASE) / PGSIZE;

    ASSERTF(va >= TEMPMAP_BASE && slot < TEMPMAP_SLOTS && va % PGSIZE == 0,
            "%08x is not a temporary mapping", va);
    uint32_t flags = spin_lock(&tempmap_lock);
    ASSERTF(tempmap_used & (1u << slot), "temporary mapping %08x unmapped twice", va);
    tempmap_pt[slot] = 0;
    tempmap_used &= ~(1u << slot);
    spin_unlock(&tempmap_lock, flags);
    /* Left to the next paging_temp_map of this slot: a not-present
     * entry cannot be used, and reuse invalidates before handing out. */
}

void paging_zero_frame(paddr_t frame)
{
    void *p = paging_temp_map(frame);
    memset(p, 0, PGSIZE);
    paging_temp_unmap(p);
}

/* ---- building the kernel's tables -------------------------------------- */

static void detect_global_pages(void)
{
    uint32_t a, b, c, d;

    cpuid(0, &a, &b, &c, &d);
    if (a < 1)
        return;
    cpuid(1, &a, &b, &c, &d);
    if (d & CPUID_1_EDX_PGE) {
        write_cr4(read_cr4() | CR4_PGE);
        global_bit = PTE_G;
        stats.pge = true;
    }
}

static paddr_t alloc_zeroed_frame(void)
{
    paddr_t f = pmm_alloc();
    if (f != PMM_NONE)
        paging_zero_frame(f);
    return f;
}

/* Sets one PTE in the directory `pd` (not yet active) through the window. */
static void early_map(paddr_t pd, uint32_t va, paddr_t frame, uint32_t flags)
{
    pde_t *dir = paging_temp_map(pd);
    paddr_t pt = PTE_ADDR(dir[PDX(va)]);
    paging_temp_unmap(dir);
    ASSERTF(pt != 0, "no kernel page table for %08x", va);
    pte_t *table = paging_temp_map(pt);
    table[PTX(va)] = frame | flags | PTE_P;
    paging_temp_unmap(table);
}

static void early_map_range(paddr_t pd, uint32_t start, uint32_t end, uint32_t flags)
{
    for (uint32_t va = PGROUNDDOWN(start); va < end; va += PGSIZE)
        early_map(pd, va, kernel_virt_to_phys((void *)va), flags | global_bit);
}

static void build_kernel_directory(paddr_t pd)
{
    pde_t *dir = paging_temp_map(pd);

    for (uint32_t i = KERNEL_PDX_FIRST; i < PT_ENTRIES; i++) {
        if (i == SELFMAP_PDX || i == TEMPMAP_PDX)
            continue;
        paddr_t pt = alloc_zeroed_frame();
        ASSERTF(pt != PMM_NONE, "out of frames for kernel page table %u", i);
        dir[i] = pt | PTE_P | PTE_W;
        stats.page_tables++;
    }
    dir[SELFMAP_PDX] = pd | PTE_P | PTE_W;
    dir[TEMPMAP_PDX] = kernel_virt_to_phys(tempmap_pt) | PTE_P | PTE_W;
    stats.page_tables += 2;             /* the directory and the window's table */
    paging_temp_unmap(dir);
}

static void map_kernel_image(paddr_t pd)
{
    paddr_t meta_start, meta_end;

    /* Text and rodata read-only: with CR0.WP this binds ring 0 too
     * (SDM Vol.3 4.6.1).  The .boot page below the text stays unmapped. */
    early_map_range(pd, (uint32_t)__kernel_start + PGSIZE, (uint32_t)__rodata_end, 0);
    early_map_range(pd, (uint32_t)__rodata_end, (uint32_t)boot_stack_guard, PTE_W);
    /* boot_stack_guard is left unmapped: an overflow faults, then #DF. */
    early_map_range(pd, (uint32_t)boot_stack_bottom, (uint32_t)__kernel_end, PTE_W);
    pmm_metadata_range(&meta_start, &meta_end);
    early_map_range(pd, meta_start + KERNEL_VBASE, meta_end + KERNEL_VBASE, PTE_W);
}

static bool paging_page_fault(struct trap_frame *tf);

void paging_init(void)
{
    detect_global_pages();
    /* The window's table joins the boot directory first, so temporary
     * mappings work while the new tables are built. */
    boot_pd[TEMPMAP_PDX] = kernel_virt_to_phys(tempmap_pt) | PTE_P | PTE_W;

    paddr_t pd = alloc_zeroed_frame();
    ASSERT(pd != PMM_NONE);
    build_kernel_directory(pd);
    map_kernel_image(pd);

    write_cr3(pd);
    stats.cr3_reloads++;
    tss_set_double_fault_cr3(pd);
    kernel_pgdir = &kernel_pgdir_storage;
    kernel_pgdir->frame = pd;
    current_pgdir = kernel_pgdir;
    trap_set_handler(T_PF, paging_page_fault);
    pmm_set_frame_access(paging_temp_map, paging_temp_unmap);
}

/* ---- primitives on the current address space --------------------------- */

static bool is_user(uint32_t va)
{
    return va < USER_END;
}

/* Makes sure the page table for va exists; false when out of frames. */
static bool ensure_page_table(uint32_t va)
{
    uint32_t pdx = PDX(va);

    if (pd_window[pdx] & PTE_P)
        return true;
    ASSERTF(is_user(va), "kernel page table for %08x missing (they are preallocated)", va);
    paddr_t pt = alloc_zeroed_frame();
    if (pt == PMM_NONE)
        return false;
    /* A user PDE is permissive; the PTE decides (SDM Vol.3 4.6: the
     * effective rights are the stricter of PDE and PTE). */
    pd_window[pdx] = pt | PTE_P | PTE_W | PTE_U;
    stats.page_tables++;
    current_pgdir->user_tables++;
    return true;
}

/* Called when a user entry went from non-zero to zero. */
static void release_entry(uint32_t va)
{
    uint32_t pdx = PDX(va);

    if (!is_user(va))
        return;
    ASSERTF(current_pgdir->pt_use[pdx] > 0, "page table %u use count underflow at %08x", pdx, va);
    if (--current_pgdir->pt_use[pdx] > 0)
        return;
    paddr_t pt = PTE_ADDR(pd_window[pdx]);
    pd_window[pdx] = 0;
    /* The table was visible through the self-map window. */
    tlb_invalidate((uint32_t)pt_window(pdx));
    pmm_free(pt);
    stats.page_tables--;
    current_pgdir->user_tables--;
}

/* The one place entries change.  Keeps the user page-table use counts,
 * creates a user page table on demand (false: no frame for it, nothing
 * changed) and frees it when its last entry goes, and invalidates the
 * TLB whenever a present entry changes. */
static bool set_entry(uint32_t va, pte_t value)
{
    if (!(pd_window[PDX(va)] & PTE_P)) {
        if (value == 0)
            return true;
        if (!ensure_page_table(va))
            return false;
    }
    pte_t *pte = &pt_window(PDX(va))[PTX(va)];
    pte_t old = *pte;
    if ((value & PTE_P) && !is_user(va))
        value |= global_bit;
    *pte = value;
    /* Not-present entries are never cached (SDM Vol.3 4.10.2.3); a
     * present one may be, so every change to it is flushed. */
    if (old & PTE_P)
        invalidate_changed(va);
    if (is_user(va)) {
        if (old == 0 && value != 0)
            current_pgdir->pt_use[PDX(va)]++;
        else if (old != 0 && value == 0)
            release_entry(va);
    }
    return true;
}

static void check_target(uint32_t va)
{
    ASSERTF(va % PGSIZE == 0, "page-table change at %08x: not page aligned", va);
    ASSERTF(PDX(va) != SELFMAP_PDX && PDX(va) != TEMPMAP_PDX, "page-table change at %08x: reserved window", va);
}

bool paging_set_pte(uint32_t va, pte_t value)
{
    check_target(va);
    uint32_t lock = spin_lock(&paging_lock);
    bool ok = set_entry(va, value);
    spin_unlock(&paging_lock, lock);
    return ok;
}

bool paging_fill_empty(uint32_t start, uint32_t end, pte_t value)
{
    check_target(start);
    ASSERTF(end > start && end % PGSIZE == 0 && !(value & PTE_P),
            "fill %08x-%08x with %08x: not a not-present run", start, end, value);
    uint32_t lock = spin_lock(&paging_lock);
    bool ok = true;
    for (uint32_t va = start; va < end && ok;) {
        uint32_t pdx = PDX(va);
        uint32_t table_end = (va | (PDX_SPAN - 1)) + 1;     /* 0 at the top of memory */
        uint32_t stop = table_end != 0 && table_end < end ? table_end : end;
        if (!ensure_page_table(va)) {
            ok = false;
            break;
        }
        pte_t *pte = &pt_window(pdx)[PTX(va)];
        uint32_t n = (stop - va) / PGSIZE;
        for (uint32_t i = 0; i < n; i++) {
            ASSERTF(pte[i] == 0, "fill: entry for %08x is %08x, not empty", va + i * PGSIZE, pte[i]);
            pte[i] = value;
        }
        /* Not-present entries before and after: nothing for the TLB to
         * forget (SDM Vol.3 4.10.2.3). */
        if (is_user(va))
            current_pgdir->pt_use[pdx] += n;
        va = stop;
    }
    spin_unlock(&paging_lock, lock);
    return ok;
}

const pte_t *paging_table(uint32_t va)
{
    return (pd_window[PDX(va)] & PTE_P) ? pt_window(PDX(va)) : NULL;
}

uint32_t paging_user_tables(void)
{
    return current_pgdir->user_tables;
}

bool paging_has_table(uint32_t va)
{
    return pd_window[PDX(va)] & PTE_P;
}

bool paging_map(uint32_t va, paddr_t frame, uint32_t flags)
{
    check_target(va);
    ASSERTF(frame % PGSIZE == 0, "map %08x -> %08x: frame not page aligned", va, frame);
    ASSERTF((flags & ~(PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_AVAIL)) == 0, "map %08x: bad flags %x", va, flags);
    uint32_t lock = spin_lock(&paging_lock);
    pte_t old = paging_query(va);
    ASSERTF(!(old & PTE_P), "map %08x -> %08x: already mapped to %08x", va, frame, PTE_ADDR(old));
    bool ok = set_entry(va, frame | flags | PTE_P);
    spin_unlock(&paging_lock, lock);
    return ok;
}

paddr_t paging_unmap(uint32_t va)
{
    check_target(va);
    uint32_t lock = spin_lock(&paging_lock);
    pte_t old = paging_query(va);
    set_entry(va, 0);
    spin_unlock(&paging_lock, lock);
    return (old & PTE_P) ? PTE_ADDR(old) : PMM_NONE;
}

pte_t paging_query(uint32_t va)
{
    if (!(pd_window[PDX(va)] & PTE_P))
        return 0;
    return pt_window(PDX(va))[PTX(va)];
}

void paging_protect(uint32_t va, uint32_t flags)
{
    check_target(va);
    ASSERTF((flags & ~(PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_AVAIL)) == 0, "protect %08x: bad flags %x", va, flags);
    uint32_t lock = spin_lock(&paging_lock);
    pte_t old = paging_query(va);
    ASSERTF(old & PTE_P, "protect %08x: not mapped", va);
    set_entry(va, (old & (PTE_FRAME | PTE_A | PTE_D)) | flags | PTE_P);
    spin_unlock(&paging_lock, lock);
}

bool paging_set_soft(uint32_t va, pte_t soft)
{
    ASSERTF(!(soft & PTE_P), "soft entry %08x for %08x has P set", soft, va);
    check_target(va);
    uint32_t lock = spin_lock(&paging_lock);
    ASSERTF(!(paging_query(va) & PTE_P), "soft entry for %08x: page is mapped", va);
    bool ok = set_entry(va, soft);
    spin_unlock(&paging_lock, lock);
    return ok;
}

/* ---- page faults ------------------------------------------------------- */

page_fault_hook paging_set_fault_hook(page_fault_hook hook)
{
    page_fault_hook old = fault_hook;
    fault_hook = hook;
    return old;
}

static bool paging_page_fault(struct trap_frame *tf)
{
    if (fault_hook != NULL && fault_hook(tf, read_cr2())) {
        stats.faults_hooked++;
        return true;
    }
    return false;                       /* fault catch or panic with the report */
}

/* ---- address spaces ---------------------------------------------------- */

struct pgdir *paging_kernel_pgdir(void)
{
    return kernel_pgdir;
}

struct pgdir *paging_current(void)
{
    return current_pgdir;
}

paddr_t pgdir_frame(const struct pgdir *pd)
{
    return pd->frame;
}

bool pgdir_init(struct pgdir *pd)
{
    paddr_t frame = pmm_alloc();
    if (frame == PMM_NONE)
        return false;
    memset(pd, 0, sizeof(*pd));
    pde_t *dir = paging_temp_map(frame);
    memset(dir, 0, KERNEL_PDX_FIRST * sizeof(pde_t));
    memcpy(&dir[KERNEL_PDX_FIRST], &pd_window[KERNEL_PDX_FIRST],
           (PT_ENTRIES - KERNEL_PDX_FIRST) * sizeof(pde_t));
    dir[SELFMAP_PDX] = frame | PTE_P | PTE_W;
    paging_temp_unmap(dir);
    pd->frame = frame;
    uint32_t lock = spin_lock(&paging_lock);
    stats.page_tables++;
    spin_unlock(&paging_lock, lock);
    return true;
}

void pgdir_fini(struct pgdir *pd)
{
    ASSERTF(pd != kernel_pgdir && pd != current_pgdir, "destroying the active directory %08x", pd->frame);
    for (uint32_t i = 0; i < USER_PDX_COUNT; i++)
        ASSERTF(pd->pt_use[i] == 0, "directory %08x destroyed with %u entries left in table %u",
                pd->frame, pd->pt_use[i], i);
    pmm_free(pd->frame);
    uint32_t lock = spin_lock(&paging_lock);
    stats.page_tables--;
    spin_unlock(&paging_lock, lock);
    pd->frame = 0;
}

void paging_switch(struct pgdir *pd)
{
    uint32_t lock = spin_lock(&paging_lock);
    current_pgdir = pd;
    write_cr3(pd->frame);
    stats.cr3_reloads++;
    spin_unlock(&paging_lock, lock);
}

void paging_get_stats(struct paging_stats *out)
{
    *out = stats;
}

/* ---- the QEMU monitor's views, for the cross-check --------------------- */

static void print_mem_range(uint32_t start, uint64_t end, uint32_t prot)
{
    kprintf("qmpcheck mem %016llx-%016llx %016llx %c%c%c\n", (uint64_t)start, end,
            end - start, (prot & PTE_U) ? 'u' : '-', 'r', (prot & PTE_W) ? 'w' : '-');
}

/* Same walk as QEMU's `info mem` (target/i386/monitor.c, mem_info_32):
 * effective U/W of PDE & PTE, runs merged while the protection is equal. */
void paging_dump_info_mem(void)
{
    uint32_t start = 0, last = 0;

    for (uint32_t pdx = 0; pdx < PT_ENTRIES; pdx++) {
        pde_t pde = pd_window[pdx];
        for (uint32_t ptx = 0; ptx < PT_ENTRIES; ptx++) {
            uint32_t va = (pdx << 22) | (ptx << 12);
            uint32_t prot = 0;
            if (pde & PTE_P) {
                pte_t pte = pt_window(pdx)[ptx];
                prot = (pte & PTE_P) ? (pte & pde & (PTE_P | PTE_W | PTE_U)) : 0;
            }
            if (prot != last) {
                if (last != 0)
                    print_mem_range(start, va, last);
                start = va;
                last = prot;
            }
            if (!(pde & PTE_P))
                break;          /* the whole 4 MiB is one not-present step */
        }
    }
    if (last != 0)
        print_mem_range(start, 1ull << 32, last);
}

void paging_dump_info_tlb(void)
{
    for (uint32_t pdx = 0; pdx < PT_ENTRIES; pdx++) {
        if (!(pd_window[pdx] & PTE_P))
            continue;
        for (uint32_t ptx = 0; ptx < PT_ENTRIES; ptx++) {
            pte_t pte = pt_window(pdx)[ptx];
            if (!(pte & PTE_P))
                continue;
            kprintf("qmpcheck tlb %016llx: %016llx -%c%c%c%c%c%c%c%c\n",
                    (uint64_t)((pdx << 22) | (ptx << 12)), (uint64_t)PTE_ADDR(pte),
                    (pte & PTE_G) ? 'G' : '-', '-', (pte & PTE_D) ? 'D' : '-',
                    (pte & PTE_A) ? 'A' : '-', (pte & PTE_PCD) ? 'C' : '-',
                    (pte & PTE_PWT) ? 'T' : '-', (pte & PTE_U) ? 'U' : '-',
                    (pte & PTE_W) ? 'W' : '-');
        }
    }
}
