/* x86 paging with 4 KiB pages in either format: the interface and the
 * logic both formats share.  The formats themselves (their tables, how
 * they are built and switched on, their directories) are mm/pte_legacy.c
 * and mm/pte_pae.c, behind mm/paging_format.h.
 *
 * Page-table edits go through the self-map: the directory (legacy: PDE
 * 0x300 points at it) or the four directories (PAE: PDEs 0x600-0x603)
 * serve as page tables for the window at PT_WINDOW, so the entry of va
 * appears at PT_WINDOW + (va >> 12) * entry size, as on NT x86.  Frames
 * that are not mapped anywhere (a new page table, a frame to zero) are
 * reached through the temporary-mapping window at TEMPMAP_BASE, whose
 * page table is a static one so that it works before and after the
 * switch from the boot tables.
 *
 * Kernel page tables are allocated in paging_init and never freed where
 * each address space keeps its own copy of the kernel's directory entries
 * (legacy: PDEs 0x200-0x3FF; PAE: the fourth directory, above
 * 0xC0000000), so every address space copies them once and shares the
 * tables without any synchronisation afterwards.  PAE's third directory
 * (0x80000000-0xBFFFFFFF) is one directory shared by every address space:
 * its tables may be made on demand.  User page tables come and go; each
 * address space counts the non-zero entries of each user table. */
#include "mm/paging.h"
#include "mm/paging_format.h"
#include "mm/memlayout.h"
#include "kernel/base/layout.h"
#include "kernel/base/lock.h"
#include "kernel/base/percpu.h"
#include "kernel/arch/gdt.h"
#include "kernel/arch/trap.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/panic.h"
#include "kernel/base/x86.h"
#include <string.h>
#include <stddef.h>

/* 1: the hot entry operations go through the format's ops table (an
 * indirect call each) instead of the inline switch; for measuring only. */
#ifndef PAGING_DISPATCH_TABLE
#define PAGING_DISPATCH_TABLE 0
#endif

bool paging_pae_on;
static const struct pte_format *fmt = &pte_legacy_format;
static uint32_t table_shift = 22;           /* log2(table span) */
static uint32_t entry_size = 4;

/* The kernel's directory is static (it exists before the kernel heap,
 * which is built on this layer); the others come from the VM layer. */
static struct pgdir kernel_pgdir_storage;
static struct pgdir *kernel_pgdir;
#define current_pgdir (*(struct pgdir **)&this_cpu()->pgdir)     /* per CPU: its CR3 */
static struct spinlock paging_lock = SPINLOCK_INIT("paging");
static struct spinlock tempmap_lock = SPINLOCK_INIT("tempmap");
/* paging_zero_frame_irqoff's own slots, one per CPU, at the top */
#define TEMPMAP_ZERO_SLOT (TEMPMAP_SLOTS - 1 - cpu_index_here())
#define TEMPMAP_ZERO_BIT (((1u << MAX_CPUS) - 1) << (TEMPMAP_SLOTS - MAX_CPUS))
static uint32_t tempmap_used = TEMPMAP_ZERO_BIT;    /* bitmap of TEMPMAP_SLOTS slots */
/* The window's page table in each format: the legacy one also serves the
 * boot tables until paging_init switches. */
static legacy_pte_t tempmap_legacy[LEGACY_ENTRIES] __attribute__((aligned(PGSIZE)));
static pae_pte_t tempmap_pae[PAE_ENTRIES] __attribute__((aligned(PGSIZE)));
static pte_t global_bit;                    /* PTE_G when the CPU has PGE */
static pte_t nx_bit;                        /* PTE_NX when the CPU honours it */
static pte_t kernel_bits;                   /* global_bit | nx_bit: every present kernel entry */
/* Bits no entry may have in the format in use: NX without NX, and frame
 * bits at or above MAXPHYADDR (legacy: everything above bit 31). */
static pte_t invalid_bits = PTE_NX | (PTE_FRAME & ~0xFFFFFFFFull);
static page_fault_hook fault_hook;
static struct paging_stats stats;

_Static_assert(TEMPMAP_SLOTS <= 32, "one bitmap word of temporary slots");

static paddr_t kernel_virt_to_phys(const void *va)
{
    return (paddr_t)((uint32_t)va - KERNEL_VBASE);
}

/* ---- the entries of the current address space, in either format --------- */

#if PAGING_DISPATCH_TABLE
static inline pte_t entry_get(uint32_t va) { return fmt->get(va); }
static inline void entry_set(uint32_t va, pte_t old, pte_t v) { fmt->set(va, old, v); }
static inline pte_t pde_get(uint32_t va) { return fmt->pde(va); }
static inline bool pde_present(uint32_t va) { return (uint32_t)fmt->pde(va) & PTE_P; }
static inline void pde_set(uint32_t va, pte_t v) { fmt->set_pde(va, v); }
#else
static inline pte_t entry_get(uint32_t va)
{
    return paging_pae_on ? pae_get(va) : legacy_get(va);
}

static inline void entry_set(uint32_t va, pte_t old, pte_t v)
{
    if (paging_pae_on)
        pae_set(va, old, v);
    else
        legacy_set(va, old, v);
}

static inline pte_t pde_get(uint32_t va)
{
    return paging_pae_on ? pae_pde(va) : legacy_pde(va);
}

static inline bool pde_present(uint32_t va)
{
    return paging_pae_on ? pae_pde_present(va) : legacy_pde_present(va);
}

static inline void pde_set(uint32_t va, pte_t v)
{
    if (paging_pae_on)
        pae_set_pde(va, v);
    else
        legacy_set_pde(va, v);
}
#endif

/* Where va's page table shows through the self-map. */
static uint32_t table_window(uint32_t va)
{
    return PT_WINDOW + (((va >> 12) * entry_size) & ~(PGSIZE - 1));
}

/* ---- the format ------------------------------------------------------------ */

static uint32_t cpuid_max(uint32_t leaf)
{
    uint32_t a, b, c, d;
    cpuid(leaf, &a, &b, &c, &d);
    return a;
}

uint64_t paging_select(bool want_legacy)
{
    uint32_t a, b, c, d, phys_bits = PAE_MAXPHYADDR_DEFAULT;
    bool has_pae = false, has_nx = false;

    if (cpuid_max(0) >= 1) {
        cpuid(1, &a, &b, &c, &d);
        has_pae = d & CPUID_1_EDX_PAE;
    }
    /* qemu32 has no extended leaves; check the maximum first. */
    uint32_t ext = cpuid_max(0x80000000u);
    if (ext >= 0x80000001u && ext < 0x8000FFFFu) {
        cpuid(0x80000001u, &a, &b, &c, &d);
        has_nx = d & CPUID_80000001_EDX_NX;
    }
    if (ext >= 0x80000008u && ext < 0x8000FFFFu) {
        cpuid(0x80000008u, &a, &b, &c, &d);
        if ((a & 0xFF) >= 32)
            phys_bits = a & 0xFF;
    }
    bool pae = has_pae && !want_legacy;
    fmt = pae ? &pte_pae_format : &pte_legacy_format;
    table_shift = pae ? 21 : 22;
    entry_size = fmt->entry_size;
    nx_bit = pae && has_nx ? PTE_NX : 0;
    stats.nx = nx_bit != 0;
    stats.maxphyaddr = pae ? phys_bits : 32;
    invalid_bits = (nx_bit ? 0 : PTE_NX) | (PTE_FRAME & ~((1ull << stats.maxphyaddr) - 1));
    kprintf("paging: %s%s (CPU: PAE %s, NX %s, MAXPHYADDR %u)%s\n", fmt->name,
            nx_bit ? " with NX" : "", has_pae ? "yes" : "no", has_nx ? "yes" : "no", phys_bits,
            want_legacy ? "; paging=legacy on the command line" : "");
    uint32_t bits = stats.maxphyaddr > 44 ? 44 : stats.maxphyaddr;
    return 1ull << bits;
}

enum paging_format paging_format(void)
{
    return fmt == &pte_pae_format ? PAGING_PAE : PAGING_LEGACY;
}

const char *paging_format_name(void)
{
    return fmt->name;
}

pte_t paging_nx_bit(void)
{
    return nx_bit;
}

uint32_t paging_entry_size(void)
{
    return entry_size;
}

/* ---- temporary mappings ---------------------------------------------- */

/* Writes the window's entry for slot in the format the CPU uses now. */
static void tempmap_write(unsigned slot, pte_t value)
{
    if (paging_pae_on) {
        volatile uint32_t *e = (volatile uint32_t *)&tempmap_pae[slot];
        pae_write(e, pae_read(e), value);
    } else {
        ASSERTF((value >> 32) == 0, "temporary mapping of frame %08llx: 32-bit paging reaches "
                "only 4 GiB", PTE_ADDR(value));
        tempmap_legacy[slot] = (legacy_pte_t)value;
    }
}

void *paging_temp_map(paddr_t frame)
{
    ASSERTF(frame % PGSIZE == 0, "frame %08llx not page aligned", frame);
    uint32_t flags = spin_lock(&tempmap_lock);
    ASSERTF(tempmap_used != ~0u, "all %d temporary mappings in use", TEMPMAP_SLOTS - MAX_CPUS);
    unsigned slot = (unsigned)__builtin_ctz(~tempmap_used);
    tempmap_used |= 1u << slot;
    spin_unlock(&tempmap_lock, flags);

    uint32_t va = TEMPMAP_BASE + slot * PGSIZE;
    tempmap_write(slot, frame | PTE_P | PTE_W | (paging_pae_on ? nx_bit : 0));
    /* The slot's previous translation may still be cached (here: no
     * other CPU uses a slot it did not map itself). */
    tlb_invalidate_local(va);
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
    tempmap_write(slot, 0);
    tempmap_used &= ~(1u << slot);
    spin_unlock(&tempmap_lock, flags);
    /* Left to the next paging_temp_map of this slot: a not-present
     * entry cannot be used, and reuse invalidates before handing out. */
}

/* The demand-zero fault's clear, with interrupts off: the last slot is
 * kept out of the bitmap for it, so it needs no lock and no unmap: the
 * entry stays until the next use rewrites and invalidates it (NT's
 * hyperspace page does the same).  Nothing but this function uses the
 * slot's address, so the kernel-only alias is never written through.
 * Each CPU has its own slot, and only that CPU ever touches its address,
 * so the invalidation stays local. */
void paging_zero_frame_irqoff(paddr_t frame)
{
    ASSERTF(!(read_eflags() & EFLAGS_IF), "paging_zero_frame_irqoff of %08llx with interrupts on",
            frame);
    unsigned slot = TEMPMAP_ZERO_SLOT;
    uint32_t va = TEMPMAP_BASE + slot * PGSIZE;
    uint32_t lo = (uint32_t)frame | PTE_P | PTE_W;
    /* The slot's entry written in place, without reading the old one
     * first as tempmap_write does: not present, then the high word, then
     * the low word with P, so the walker never sees half an entry
     * whatever the old one was (pae_write's rule). */
    if (paging_pae_on) {
        volatile uint32_t *e = (volatile uint32_t *)&tempmap_pae[slot];
        e[0] = 0;
        e[1] = (uint32_t)(frame >> 32) | (uint32_t)(nx_bit >> 32);
        e[0] = lo;
    } else {
        ASSERTF((frame >> 32) == 0, "zeroing frame %08llx: 32-bit paging reaches only 4 GiB", frame);
        tempmap_legacy[slot] = lo;
    }
    tlb_invalidate_local(va);
    void *d = (void *)va;
    uint32_t words = PGSIZE / 4;
    __asm__ volatile("rep stosl" : "+D"(d), "+c"(words) : "a"(0) : "memory");
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

    if (cpuid_max(0) < 1)
        return;
    cpuid(1, &a, &b, &c, &d);
    if (d & CPUID_1_EDX_PGE) {
        write_cr4(read_cr4() | CR4_PGE);
        global_bit = PTE_G;
        stats.pge = true;
    }
    kernel_bits = global_bit | nx_bit;
}

/* A page table's frame: below 4 GiB in both formats.  PAE would allow any
 * frame, but QEMU 7.2's qemu-system-i386 walks page tables with 32-bit
 * physical addresses (its walker probes them as target_ulong), so a table
 * above 4 GiB reads as garbage there; data pages above 4 GiB work.  The
 * tables are a few frames in a thousand, so the low zone is no loss. */
static paddr_t alloc_zeroed_frame(void)
{
    paddr_t f = pmm_alloc_low();
    if (f != PMM_NONE)
        paging_zero_frame(f);
    return f;
}

/* A table the boot tables' temporary window can reach: below 4 GiB. */
static paddr_t alloc_boot_table(void)
{
    paddr_t f = pmm_alloc_low();
    ASSERTF(f != PMM_NONE, "out of frames below %llu GiB for the kernel page tables", PMM_4G >> 30);
    paging_zero_frame(f);
    return f;
}

static void map_range(const struct paging_boot *b, uint32_t start, uint32_t end, pte_t flags)
{
    for (uint32_t va = PGROUNDDOWN(start); va < end; va += PGSIZE)
        fmt->early_map(kernel_pgdir, va, kernel_virt_to_phys((void *)va),
                       flags | PTE_P | global_bit, b);
}

/* Text read-only and executable; rodata read-only, data and bss
 * read-write, both non-executable (with NX): CR0.WP binds ring 0 to the
 * read-only ones (SDM Vol.3 4.6.1).  The .boot page below the text and
 * the guard page under the boot stack stay unmapped. */
static void map_kernel_image(const struct paging_boot *b)
{
    paddr_t meta_start, meta_end;

    map_range(b, (uint32_t)__kernel_start + PGSIZE, (uint32_t)__text_end, 0);
    map_range(b, (uint32_t)__text_end, (uint32_t)__rodata_end, b->nx);
    map_range(b, (uint32_t)__rodata_end, (uint32_t)boot_stack_guard, PTE_W | b->nx);
    map_range(b, (uint32_t)boot_stack_bottom, (uint32_t)__kernel_end, PTE_W | b->nx);
    pmm_metadata_range(&meta_start, &meta_end);
    map_range(b, (uint32_t)meta_start + KERNEL_VBASE, (uint32_t)meta_end + KERNEL_VBASE, PTE_W | b->nx);
}

static bool paging_page_fault(struct trap_frame *tf);

void paging_init(void)
{
    detect_global_pages();
    /* The window's table joins the boot directory first, so temporary
     * mappings work while the new tables are built. */
    boot_pd[LEGACY_PDX(TEMPMAP_BASE)] = kernel_virt_to_phys(tempmap_legacy) | PTE_P | PTE_W;

    bool pae = fmt == &pte_pae_format;
    struct paging_boot b = {
        .global = global_bit,
        .nx = nx_bit,
        .tempmap_table = kernel_virt_to_phys(pae ? (void *)tempmap_pae : (void *)tempmap_legacy),
        .alloc_table = alloc_boot_table,
        .tables = &stats.page_tables,
    };
    kernel_pgdir = &kernel_pgdir_storage;
    fmt->build_kernel(kernel_pgdir, &b);
    map_kernel_image(&b);
    ASSERTF(tempmap_used == TEMPMAP_ZERO_BIT, "temporary mappings %08x live across the switch",
            tempmap_used & ~TEMPMAP_ZERO_BIT);
    fmt->enter(kernel_pgdir, &b);
    paging_pae_on = pae;
    stats.pae = pae;
    stats.cr3_reloads++;
    tss_set_double_fault_cr3(kernel_pgdir->cr3);
    current_pgdir = kernel_pgdir;
    kernel_pgdir->cpus_active = 1u << cpu_index();  /* the boot CPU */
    tlb_space_switched(&kernel_pgdir->cpus_active);
    trap_set_handler(T_PF, paging_page_fault);
    pmm_set_frame_access(paging_temp_map, paging_temp_unmap);
}

/* ---- primitives on the current address space --------------------------- */

static bool is_user(uint32_t va)
{
    return va < USER_END;
}

/* PAE's third directory is shared by every address space, so its tables
 * may appear after the address spaces were made. */
static bool kernel_table_on_demand(uint32_t va)
{
    return paging_pae_on && va >= KERNEL_BASE && va < PT_WINDOW;
}

/* Makes sure the page table for va exists; false when out of frames. */
static bool __attribute__((noinline)) make_page_table(uint32_t va);

/* In line: the table exists on nearly every call (a commit, a map). */
static inline bool ensure_page_table(uint32_t va)
{
    return pde_present(va) || make_page_table(va);
}

static bool make_page_table(uint32_t va)
{
    ASSERTF(is_user(va) || kernel_table_on_demand(va),
            "kernel page table for %08x missing (they are preallocated)", va);
    paddr_t pt = alloc_zeroed_frame();
    if (pt == PMM_NONE)
        return false;
    /* A user PDE is permissive; the PTE decides (SDM Vol.3 4.6: the
     * effective rights are the stricter of PDE and PTE; NX of either). */
    pde_set(va, pt | PTE_P | PTE_W | (is_user(va) ? PTE_U : 0));
    stats.page_tables++;
    if (is_user(va))
        current_pgdir->user_tables++;
    return true;
}

/* Called when a user entry went from non-zero to zero. */
static void release_entry(uint32_t va)
{
    uint32_t t = va >> table_shift;

    ASSERTF(current_pgdir->pt_use[t] > 0, "page table %u use count underflow at %08x", t, va);
    if (--current_pgdir->pt_use[t] > 0)
        return;
    paddr_t pt = PTE_ADDR(pde_get(va));
    pde_set(va, 0);
    /* The table was visible through the self-map window. */
    tlb_invalidate(table_window(va));
    pmm_free(pt);
    stats.page_tables--;
    current_pgdir->user_tables--;
}

/* The one place entries change.  Keeps the user page-table use counts,
 * creates a page table on demand (false: no frame for it, nothing
 * changed) and frees a user one when its last entry goes, and
 * invalidates the TLB whenever a present entry changes.  A present kernel
 * entry gets the global bit, and NX: the kernel maps no code at run time. */
static bool set_entry(uint32_t va, pte_t value)
{
    if (!pde_present(va)) {
        if (value == 0)
            return true;
        if (!ensure_page_table(va))
            return false;
    }
    pte_t old = entry_get(va);
    /* (The flags live in the low word: 32-bit tests are cheaper here.) */
    if (((uint32_t)value & PTE_P) && !is_user(va))
        value |= kernel_bits;
    entry_set(va, old, value);
    /* Not-present entries are never cached (SDM Vol.3 4.10.2.3); a
     * present one may be, so every change to it is flushed. */
    if ((uint32_t)old & PTE_P)
        tlb_invalidate_changed(va);
    if (is_user(va)) {
        if (old == 0 && value != 0)
            current_pgdir->pt_use[va >> table_shift]++;
        else if (old != 0 && value == 0)
            release_entry(va);
    }
    return true;
}

static inline void check_target(uint32_t va, pte_t value)
{
    ASSERTF(va % PGSIZE == 0, "page-table change at %08x: not page aligned", va);
    ASSERTF(va - PT_WINDOW >= TEMPMAP_END - PT_WINDOW, "page-table change at %08x: reserved window", va);
    ASSERTF((value & invalid_bits) == 0, "entry %016llx for %08x: NX without NX, or a frame "
            "beyond MAXPHYADDR %u", value, va, stats.maxphyaddr);
}

bool paging_set_pte(uint32_t va, pte_t value)
{
    check_target(va, value);
    uint32_t lock = spin_lock(&paging_lock);
    bool ok = set_entry(va, value);
    spin_unlock(&paging_lock, lock);
    return ok;
}

/* The check's report, out of line (it keeps the fast path's registers free). */
static void __attribute__((noinline, cold, noreturn)) replace_refused(uint32_t va, pte_t old,
                                                                      pte_t value)
{
    panic("ASSERT failed: replace entry of %08x: %016llx -> %016llx, but it is %016llx "
          "(both must be non-zero)", va, old, value, paging_query(va));
}

/* Written on 32-bit halves: gcc keeps 64-bit values of this path in
 * memory, which doubled its cost. */
void paging_replace_pte(uint32_t va, pte_t old, pte_t value)
{
    uint32_t lo = (uint32_t)value, hi = (uint32_t)(value >> 32);
    uint32_t old_lo = (uint32_t)old, old_hi = (uint32_t)(old >> 32);

    check_target(va, value);
    if (lo & PTE_P && !is_user(va)) {
        lo |= (uint32_t)kernel_bits;
        hi |= (uint32_t)(kernel_bits >> 32);
    }
    if (paging_pae_on) {
        volatile uint32_t *e = (volatile uint32_t *)(PT_WINDOW + (va >> 12) * 8);
        if (__builtin_expect(old_lo == 0 || lo == 0 || ((e[0] ^ old_lo) & ~(uint32_t)(PTE_A | PTE_D)) ||
                             e[1] != old_hi, 0))
            replace_refused(va, old, value);
        /* pae_write's order: never a present entry half written. */
        if (old_hi != hi) {
            if (old_lo & PTE_P)
                e[0] = 0;
            e[1] = hi;
        }
        e[0] = lo;
    } else {
        volatile legacy_pte_t *e = (volatile legacy_pte_t *)PT_WINDOW + (va >> 12);
        if (__builtin_expect(old_lo == 0 || lo == 0 || ((*e ^ old_lo) & ~(uint32_t)(PTE_A | PTE_D)) ||
                             old_hi != 0 || hi != 0, 0))
            replace_refused(va, old, value);
        *e = lo;
    }
    /* Not-present entries are never cached (SDM Vol.3 4.10.2.3). */
    if (old_lo & PTE_P)
        tlb_invalidate_changed(va);
}

/* A fresh commit's run of soft entries, written straight through the
 * self-map one table at a time, in either format.  Every entry must be
 * empty now (ASSERT); not-present entries need no TLB work before or
 * after (SDM Vol.3 4.10.2.3), and the write order within an 8-byte entry
 * does not matter while P stays 0. */
bool paging_fill_empty(uint32_t start, uint32_t end, pte_t value)
{
    check_target(start, value);
    ASSERTF(end > start && end % PGSIZE == 0 && !((uint32_t)value & PTE_P),
            "fill %08x-%08x with %016llx: not a not-present run", start, end, value);
    uint32_t lock = spin_lock(&paging_lock);
    uint32_t span = 1u << table_shift, lo = (uint32_t)value, hi = (uint32_t)(value >> 32);
    bool ok = true;
    for (uint32_t va = start; va < end;) {
        uint32_t table_end = (va | (span - 1)) + 1;     /* 0 at the top of memory */
        uint32_t stop = table_end != 0 && table_end < end ? table_end : end;
        if (!ensure_page_table(va)) {
            ok = false;
            break;
        }
        uint32_t n = (stop - va) / PGSIZE;
        volatile uint32_t *e = (volatile uint32_t *)(PT_WINDOW + (va >> 12) * entry_size);
        if (paging_pae_on) {
            for (uint32_t i = 0; i < n; i++, e += 2) {
                ASSERTF((e[0] | e[1]) == 0, "fill: entry for %08x is not empty", va + i * PGSIZE);
                e[1] = hi;
                e[0] = lo;
            }
        } else {
            for (uint32_t i = 0; i < n; i++) {
                ASSERTF(e[i] == 0, "fill: entry for %08x is %08x, not empty", va + i * PGSIZE, e[i]);
                e[i] = lo;
            }
        }
        if (is_user(va))
            current_pgdir->pt_use[va >> table_shift] += n;
        va = stop;
    }
    spin_unlock(&paging_lock, lock);
    return ok;
}

#define MAP_FLAGS (PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_AVAIL | PTE_NX)

bool paging_map(uint32_t va, paddr_t frame, pte_t flags)
{
    check_target(va, frame | flags);
    ASSERTF(frame % PGSIZE == 0, "map %08x -> %08llx: frame not page aligned", va, frame);
    ASSERTF((flags & ~(pte_t)MAP_FLAGS) == 0, "map %08x: bad flags %llx", va, flags);
    uint32_t lock = spin_lock(&paging_lock);
    pte_t old = paging_query(va);
    ASSERTF(!(old & PTE_P), "map %08x -> %08llx: already mapped to %08llx", va, frame, PTE_ADDR(old));
    bool ok = set_entry(va, frame | flags | PTE_P);
    spin_unlock(&paging_lock, lock);
    return ok;
}

paddr_t paging_unmap(uint32_t va)
{
    check_target(va, 0);
    uint32_t lock = spin_lock(&paging_lock);
    pte_t old = paging_query(va);
    set_entry(va, 0);
    spin_unlock(&paging_lock, lock);
    return (old & PTE_P) ? PTE_ADDR(old) : PMM_NONE;
}

uint32_t paging_next_entry(uint32_t va, uint32_t end)
{
    uint32_t span = paging_table_span();

    ASSERTF(va % PGSIZE == 0 && end % PGSIZE == 0, "next entry in %08x-%08x: not page aligned", va, end);
    while (va < end) {
        uint32_t table_end = (va | (span - 1)) + 1;       /* 0 at the top of memory */
        uint32_t stop = table_end != 0 && table_end < end ? table_end : end;
        if (!pde_present(va)) {
            va = stop;
            continue;
        }
        /* The table's entries in place through the self-map, as words:
         * an entry is empty when all of its words are 0 (both of a PAE
         * entry's: a soft entry may keep a frame above 4 GiB). */
        uint32_t words = paging_pae_on ? 2 : 1;
        const volatile uint32_t *w = (const volatile uint32_t *)(PT_WINDOW + (va >> 12) * 4 * words);
        uint32_t pages = (stop - va) / PGSIZE;
        for (uint32_t i = 0; i < pages; i++, w += words)
            if (w[0] != 0 || (words == 2 && w[1] != 0))
                return va + i * PGSIZE;
        va = stop;
    }
    return end;
}

pte_t paging_query_pde(uint32_t va)
{
    return pde_get(va);
}

void paging_protect(uint32_t va, pte_t flags)
{
    check_target(va, flags);
    ASSERTF((flags & ~(pte_t)MAP_FLAGS) == 0, "protect %08x: bad flags %llx", va, flags);
    uint32_t lock = spin_lock(&paging_lock);
    pte_t old = paging_query(va);
    ASSERTF(old & PTE_P, "protect %08x: not mapped", va);
    set_entry(va, (old & (PTE_FRAME | PTE_A | PTE_D)) | flags | PTE_P);
    spin_unlock(&paging_lock, lock);
}

bool paging_set_soft(uint32_t va, pte_t soft)
{
    ASSERTF(!(soft & PTE_P), "soft entry %016llx for %08x has P set", soft, va);
    check_target(va, soft);
    uint32_t lock = spin_lock(&paging_lock);
    ASSERTF(!(paging_query(va) & PTE_P), "soft entry for %08x: page is mapped", va);
    bool ok = set_entry(va, soft);
    spin_unlock(&paging_lock, lock);
    return ok;
}

void paging_walk(uint32_t va, struct page_walk *out)
{
    memset(out, 0, sizeof(*out));
    fmt->walk_from(read_cr3(), va, out);
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

uint32_t pgdir_cr3(const struct pgdir *pd)
{
    return pd->cr3;
}

bool pgdir_init(struct pgdir *pd)
{
    uint32_t lock = spin_lock(&paging_lock);
    bool ok = fmt->dir_init(pd, kernel_pgdir, &stats.page_tables);
    spin_unlock(&paging_lock, lock);
    if (ok) {
        memset(pd->pt_use, 0, sizeof(pd->pt_use));
        pd->user_tables = 0;
        pd->cpus_active = 0;
    }
    return ok;
}

void pgdir_fini(struct pgdir *pd)
{
    ASSERTF(pd != kernel_pgdir && pd != current_pgdir, "destroying the active directory %08x", pd->cr3);
    ASSERTF(pd->cpus_active == 0, "directory %08x destroyed while cpus %x use it", pd->cr3,
            pd->cpus_active);
    ASSERTF(pd->user_tables == 0, "directory %08x destroyed with %u user page tables left",
            pd->cr3, pd->user_tables);
    for (uint32_t i = 0; i < PGDIR_USER_TABLES; i++)
        ASSERTF(pd->pt_use[i] == 0, "directory %08x destroyed with %u entries left in table %u",
                pd->cr3, pd->pt_use[i], i);
    uint32_t lock = spin_lock(&paging_lock);
    fmt->dir_fini(pd, &stats.page_tables);
    spin_unlock(&paging_lock, lock);
    pd->cr3 = 0;
}

void paging_switch(struct pgdir *pd)
{
    uint32_t lock = spin_lock(&paging_lock);
    struct pgdir *old = current_pgdir;     /* NULL on a CPU just started */
    current_pgdir = pd;
    tlb_load_cr3(pd->cr3, &pd->cpus_active, old != NULL ? &old->cpus_active : &pd->cpus_active);
    stats.cr3_reloads++;
    spin_unlock(&paging_lock, lock);
}

void paging_get_stats(struct paging_stats *out)
{
    uint32_t invlpg, flushes;
    tlb_get_counts(&invlpg, &flushes);
    *out = stats;
    out->invlpg = invlpg;
    out->cr3_reloads += flushes;
}
