/* Paging with the semantics the hardware enforces: aliasing, permissions
 * (CR0.WP), TLB invalidation, the self-map, page-table lifetimes, and the
 * fault hook.  Test mappings live in the user half of the current
 * directory, where nothing else is mapped during kernel tests. */
#include "tests/ktest.h"
#include "mm/paging.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "kernel/base/layout.h"
#include "kernel/cmdline.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/serial.h"
#include "kernel/base/x86.h"
#include <string.h>

#define TEST_VA 0x40000000u
#define TEST_VA2 0x40001000u

void kmain(uint32_t magic, uint32_t mbi_phys);
static const uint32_t rodata_word = 0x600DF00D;
static uint32_t data_word = 1;

static paddr_t frame_with(uint32_t pattern)
{
    paddr_t f = pmm_alloc();
    if (f == PMM_NONE)
        return f;
    uint32_t *p = paging_temp_map(f);
    for (uint32_t i = 0; i < PGSIZE / 4; i++)
        p[i] = pattern;
    paging_temp_unmap(p);
    return f;
}

static void paging_low_identity_map_gone(struct ktest *t)
{
    struct fault_record rec;
    uint32_t v = 0;

    EXPECT_EQ(t, paging_query(0x00100000) & PTE_P, 0);
    EXPECT_FAULT(t, &rec, v = *(volatile uint32_t *)0x00100000);
    EXPECT_EQ(t, rec.vector, T_PF);
    EXPECT_EQ(t, rec.cr2, 0x00100000);
    EXPECT_EQ(t, rec.error, 0);
    /* The boot path's view of low memory through the high half is gone too. */
    EXPECT_FAULT(t, &rec, v = *(volatile uint32_t *)(KERNEL_VBASE + 0x9000));
    EXPECT_EQ(t, rec.cr2, KERNEL_VBASE + 0x9000);
    (void)v;
}

static void paging_kernel_text_read_only(struct ktest *t)
{
    struct fault_record rec;
    volatile uint8_t *text = (volatile uint8_t *)kmain;
    struct paging_stats s;

    EXPECT_FAULT(t, &rec, *text = 0xCC);
    EXPECT_EQ(t, rec.vector, T_PF);
    EXPECT_EQ(t, rec.cr2, (uint32_t)kmain);
    EXPECT_EQ(t, rec.error, PF_P | PF_W);   /* present, write, supervisor */
    pte_t pte = paging_query((uint32_t)kmain);
    EXPECT_EQ(t, pte & (PTE_P | PTE_W | PTE_U), PTE_P);
    paging_get_stats(&s);
    EXPECT_EQ(t, (pte & PTE_G) != 0, s.pge);
}

static void paging_rodata_read_only(struct ktest *t)
{
    struct fault_record rec;
    volatile uint32_t *p = (volatile uint32_t *)&rodata_word;

    EXPECT_FAULT(t, &rec, *p = 0);
    EXPECT_EQ(t, rec.cr2, (uint32_t)&rodata_word);
    EXPECT_EQ(t, rec.error, PF_P | PF_W);
    EXPECT_EQ(t, rodata_word, 0x600DF00D);
}

static void paging_data_and_bss_writable(struct ktest *t)
{
    EXPECT_EQ(t, paging_query((uint32_t)&data_word) & (PTE_P | PTE_W), PTE_P | PTE_W);
    EXPECT_EQ(t, paging_query((uint32_t)boot_stack_bottom) & (PTE_P | PTE_W), PTE_P | PTE_W);
    data_word++;
    EXPECT_EQ(t, data_word, 2);
    data_word = 1;
}

static void paging_stack_guard_unmapped(struct ktest *t)
{
    struct fault_record rec;
    uint32_t v = 0;

    EXPECT_EQ(t, paging_query((uint32_t)boot_stack_guard) & PTE_P, 0);
    EXPECT_FAULT(t, &rec, v = *(volatile uint32_t *)(boot_stack_guard + 0x800));
    EXPECT_EQ(t, rec.cr2, (uint32_t)boot_stack_guard + 0x800);
    EXPECT_EQ(t, rec.error, 0);
    (void)v;
}

static void paging_alias_two_pages_one_frame(struct ktest *t)
{
    paddr_t f = frame_with(0);
    ASSERT_NE(t, f, PMM_NONE);
    ASSERT_TRUE(t, paging_map(TEST_VA, f, PTE_W));
    ASSERT_TRUE(t, paging_map(TEST_VA2, f, PTE_W));
    volatile uint32_t *a = (volatile uint32_t *)TEST_VA, *b = (volatile uint32_t *)TEST_VA2;

    a[10] = 0xA11A5;
    EXPECT_EQ(t, b[10], 0xA11A5);
    b[1023] = 0xB0B;
    EXPECT_EQ(t, a[1023], 0xB0B);
    EXPECT_EQ(t, paging_unmap(TEST_VA), f);
    EXPECT_EQ(t, paging_unmap(TEST_VA2), f);
    pmm_free(f);
}

static void paging_write_to_read_only_page_faults(struct ktest *t)
{
    struct fault_record rec;
    paddr_t f = frame_with(0x5A5A5A5A);
    ASSERT_NE(t, f, PMM_NONE);
    ASSERT_TRUE(t, paging_map(TEST_VA, f, 0));

    EXPECT_EQ(t, *(volatile uint32_t *)(TEST_VA + 0x124), 0x5A5A5A5A);   /* reads work */
    EXPECT_FAULT(t, &rec, *(volatile uint32_t *)(TEST_VA + 0x124) = 1);
    EXPECT_EQ(t, rec.vector, T_PF);
    EXPECT_EQ(t, rec.cr2, TEST_VA + 0x124);
    EXPECT_EQ(t, rec.error, PF_P | PF_W);
    EXPECT_EQ(t, paging_unmap(TEST_VA), f);
    pmm_free(f);
}

static void paging_unmapped_page_faults_not_present(struct ktest *t)
{
    struct fault_record rec;
    paddr_t f = frame_with(7);
    ASSERT_NE(t, f, PMM_NONE);
    ASSERT_TRUE(t, paging_map(TEST_VA, f, PTE_W));
    EXPECT_EQ(t, *(volatile uint32_t *)TEST_VA, 7);    /* now in the TLB */
    EXPECT_EQ(t, paging_unmap(TEST_VA), f);
    EXPECT_EQ(t, paging_unmap(TEST_VA), PMM_NONE);    /* nothing left to unmap */

    EXPECT_FAULT(t, &rec, *(volatile uint32_t *)(TEST_VA + 8) = 1);
    EXPECT_EQ(t, rec.cr2, TEST_VA + 8);
    EXPECT_EQ(t, rec.error, PF_W);                     /* not present, write */
    pmm_free(f);
}

static void paging_tlb_remap_sees_new_frame(struct ktest *t)
{
    paddr_t f1 = frame_with(0x11111111), f2 = frame_with(0x22222222);
    ASSERT_NE(t, f1, PMM_NONE);
    ASSERT_NE(t, f2, PMM_NONE);
    ASSERT_TRUE(t, paging_map(TEST_VA, f1, PTE_W));
    /* Map a second page in the same table so it survives the unmap. */
    ASSERT_TRUE(t, paging_map(TEST_VA2, f1, PTE_W));

    EXPECT_EQ(t, *(volatile uint32_t *)TEST_VA, 0x11111111);  /* cached translation */
    EXPECT_EQ(t, paging_unmap(TEST_VA), f1);
    ASSERT_TRUE(t, paging_map(TEST_VA, f2, PTE_W));
    /* Without INVLPG in unmap the stale translation would read f1. */
    EXPECT_EQ(t, *(volatile uint32_t *)TEST_VA, 0x22222222);

    paging_unmap(TEST_VA);
    paging_unmap(TEST_VA2);
    pmm_free(f1);
    pmm_free(f2);
}

static void paging_tlb_protect_rw_to_ro(struct ktest *t)
{
    struct fault_record rec;
    paddr_t f = frame_with(0);
    ASSERT_NE(t, f, PMM_NONE);
    ASSERT_TRUE(t, paging_map(TEST_VA, f, PTE_W));

    *(volatile uint32_t *)TEST_VA = 3;                /* writable translation cached */
    paging_protect(TEST_VA, 0);
    EXPECT_FAULT(t, &rec, *(volatile uint32_t *)TEST_VA = 4);
    EXPECT_EQ(t, rec.error, PF_P | PF_W);
    EXPECT_EQ(t, *(volatile uint32_t *)TEST_VA, 3);
    paging_protect(TEST_VA, PTE_W);
    *(volatile uint32_t *)TEST_VA = 5;                /* and back */
    EXPECT_EQ(t, *(volatile uint32_t *)TEST_VA, 5);
    paging_unmap(TEST_VA);
    pmm_free(f);
}

/* A batch of more changes than the threshold ends in one full flush:
 * remap 20 cached pages to another frame and read them back.  At a user
 * address that is a CR3 reload; at a kernel address the pages are global
 * and survive it, so the batch must toggle CR4.PGE instead. */
static void batch_remap_reads_new_frame(struct ktest *t, uint32_t base, uint32_t flags)
{
    paddr_t f1 = frame_with(0xAAAA0001), f2 = frame_with(0xBBBB0002);
    ASSERT_NE(t, f1, PMM_NONE);
    ASSERT_NE(t, f2, PMM_NONE);
    for (uint32_t i = 0; i < 20; i++)
        ASSERT_TRUE(t, paging_map(base + i * PGSIZE, f1, flags));
    for (uint32_t i = 0; i < 20; i++)
        EXPECT_EQ(t, *(volatile uint32_t *)(base + i * PGSIZE), 0xAAAA0001);   /* cached */
    paging_batch_begin();
    for (uint32_t i = 0; i < 20; i++)
        ASSERT_TRUE(t, paging_set_pte(base + i * PGSIZE, f2 | PTE_P | flags));
    paging_batch_end();
    for (uint32_t i = 0; i < 20; i++)
        EXPECT_EQ(t, *(volatile uint32_t *)(base + i * PGSIZE), 0xBBBB0002);
    for (uint32_t i = 0; i < 20; i++)
        paging_unmap(base + i * PGSIZE);
    pmm_free(f1);
    pmm_free(f2);
}

static void paging_tlb_batch_flushes_user_range(struct ktest *t)
{
    batch_remap_reads_new_frame(t, TEST_VA, PTE_W);
}

static void paging_tlb_batch_flushes_global_kernel_range(struct ktest *t)
{
    batch_remap_reads_new_frame(t, 0xFF000000u, PTE_W);   /* top of kernel VM, unused */
}

/* One entry of a table in physical memory, in the format in use. */
static pte_t phys_entry(paddr_t table, uint32_t index)
{
    const uint32_t *t = paging_temp_map(table);
    pte_t e = paging_format() == PAGING_PAE ? (t[index * 2] | (pte_t)t[index * 2 + 1] << 32)
                                            : t[index];
    paging_temp_unmap((void *)t);
    return e;
}

/* The PTE for va found by walking the physical tables from CR3 the way
 * the CPU does (SDM Vol.3 4.3, 4.4), written here apart from mm/paging. */
static pte_t walk_physical(uint32_t va)
{
    uint32_t cr3 = read_cr3();
    pte_t pde;

    if (paging_format() == PAGING_PAE) {
        /* The PDPT lives in the kernel image (mm/pte_pae.c): phys + base. */
        const uint64_t *pdpt = (const uint64_t *)((cr3 & ~31u) + KERNEL_VBASE);
        if (!(pdpt[va >> 30] & PTE_P))
            return 0;
        pde = phys_entry(PTE_ADDR(pdpt[va >> 30]), (va >> 21) & 0x1FF);
    } else {
        pde = phys_entry(cr3 & LEGACY_FRAME, va >> 22);
    }
    if (!(pde & PTE_P))
        return 0;
    return phys_entry(PTE_ADDR(pde), paging_format() == PAGING_PAE ? (va >> 12) & 0x1FF
                                                                   : (va >> 12) & 0x3FF);
}

/* The directories' frames: legacy one, PAE four (from the PDPT). */
static int directories(paddr_t dirs[4])
{
    uint32_t cr3 = read_cr3();

    if (paging_format() != PAGING_PAE) {
        dirs[0] = cr3 & LEGACY_FRAME;
        return 1;
    }
    const uint64_t *pdpt = (const uint64_t *)((cr3 & ~31u) + KERNEL_VBASE);
    for (int i = 0; i < 4; i++)
        dirs[i] = PTE_ADDR(pdpt[i]);
    return 4;
}

static void paging_selfmap_matches_physical_walk(struct ktest *t)
{
    paddr_t f = frame_with(0);
    ASSERT_NE(t, f, PMM_NONE);
    ASSERT_TRUE(t, paging_map(TEST_VA, f, PTE_W | PTE_U));
    uint32_t pd_window = paging_format() == PAGING_PAE ? PAE_PD_WINDOW : LEGACY_PD_WINDOW;
    const uint32_t probes[] = {
        (uint32_t)kmain, (uint32_t)&rodata_word, (uint32_t)&data_word, (uint32_t)boot_stack_guard,
        TEST_VA, TEST_VA + PGSIZE, pd_window, KVM_BASE, 0, PT_WINDOW, POOL_BASE,
        TEMPMAP_BASE + (TEMPMAP_SLOTS - 1) * PGSIZE,   /* (the walks themselves use the first slots) */
    };

    for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        struct page_walk w;
        EXPECT_EQ(t, paging_query(probes[i]), walk_physical(probes[i]));
        paging_walk(probes[i], &w);
        EXPECT_EQ(t, w.levels, paging_format() == PAGING_PAE ? 3 : 2);
        EXPECT_EQ(t, w.found == w.levels ? w.level[w.levels - 1].value : 0, walk_physical(probes[i]));
    }
    EXPECT_EQ(t, paging_query(TEST_VA) & PTE_FRAME, f);
    /* The directories map themselves: legacy PDE 0x300 holds CR3's frame;
     * PAE PDEs 0x600-0x603 hold the four directories, and the directory
     * pages show at 0xC0600000 + i * 4096. */
    paddr_t dirs[4];
    int n = directories(dirs);
    for (int i = 0; i < n; i++) {
        uint32_t at = pd_window + (uint32_t)i * PGSIZE;
        EXPECT_EQ(t, paging_query(at) & PTE_FRAME, dirs[i]);
        EXPECT_EQ(t, paging_query(at) & (PTE_P | PTE_W | PTE_U), PTE_P | PTE_W);
    }
    paging_unmap(TEST_VA);
    pmm_free(f);
}

/* Every kernel PDE a directory copies has its table (legacy: the whole
 * kernel half; PAE: above 0xC0000000, the fourth directory), and no
 * kernel PDE is a user one. */
static void paging_kernel_tables_preallocated(struct ktest *t)
{
    uint32_t span = paging_table_span();
    uint32_t copied = paging_format() == PAGING_PAE ? PT_WINDOW : KERNEL_BASE;
    int missing = 0;

    for (uint64_t va = KERNEL_BASE; va < (1ull << 32); va += span) {
        if (va >= copied)
            missing += !paging_has_table((uint32_t)va);
        struct page_walk w;
        paging_walk((uint32_t)va, &w);
        pte_t pde = w.level[w.levels - 2].value;
        if (w.found >= w.levels - 1 && (pde & PTE_U))
            ktest_fail_msg(t, __FILE__, __LINE__, "kernel PDE for %08llx has U/S set", va);
    }
    EXPECT_EQ(t, missing, 0);
}

static void paging_page_tables_freed(struct ktest *t)
{
    struct paging_stats before, during, after;
    uint32_t free_before = pmm_free_count();
    paddr_t f = frame_with(0);
    ASSERT_NE(t, f, PMM_NONE);

    paging_get_stats(&before);
    for (uint32_t i = 0; i < 16; i++)
        ASSERT_TRUE(t, paging_map(0x10000000 + i * PDX_SPAN, f, PTE_W));
    paging_get_stats(&during);
    EXPECT_EQ(t, during.page_tables, before.page_tables + 16);
    for (uint32_t i = 0; i < 16; i++)
        EXPECT_EQ(t, paging_unmap(0x10000000 + i * PDX_SPAN), f);
    paging_get_stats(&after);
    EXPECT_EQ(t, after.page_tables, before.page_tables);
    EXPECT_FALSE(t, paging_has_table(0x10000000));
    pmm_free(f);
    EXPECT_EQ(t, pmm_free_count(), free_before);
}

/* Drains every free frame into a chain kept inside the frames themselves
 * (the first 8 bytes of each hold the previous one: frames may lie above
 * 4 GiB); returns the chain's head. */
static paddr_t drain_frames(uint32_t *count)
{
    paddr_t head = PMM_NONE, f;
    *count = 0;
    while ((f = pmm_alloc()) != PMM_NONE) {
        paddr_t *p = paging_temp_map(f);
        p[0] = head;
        paging_temp_unmap(p);
        head = f;
        (*count)++;
    }
    return head;
}

static void undrain_frames(paddr_t head)
{
    while (head != PMM_NONE) {
        paddr_t *p = paging_temp_map(head);
        paddr_t next = p[0];
        paging_temp_unmap(p);
        pmm_free(head);
        head = next;
    }
}

static void paging_map_fails_cleanly_without_frames(struct ktest *t)
{
    struct paging_stats before, after;
    paddr_t f = frame_with(0);
    uint32_t drained;
    ASSERT_NE(t, f, PMM_NONE);
    paging_get_stats(&before);
    paddr_t chain = drain_frames(&drained);

    /* A new user page table is needed and no frame is left for it. */
    EXPECT_FALSE(t, paging_map(0x20000000, f, PTE_W));
    EXPECT_FALSE(t, paging_set_soft(0x20000000, 0x400));
    EXPECT_EQ(t, paging_query(0x20000000), 0);
    paging_get_stats(&after);
    EXPECT_EQ(t, after.page_tables, before.page_tables);
    undrain_frames(chain);
    ktest_log("drained %u frames", drained);
    EXPECT_GT(t, drained, 0);
    pmm_free(f);
}

static void paging_soft_entries_count_and_free_tables(struct ktest *t)
{
    struct paging_stats before, mid, after;

    paging_get_stats(&before);
    ASSERT_TRUE(t, paging_set_soft(0x30000000, 0x800));
    ASSERT_TRUE(t, paging_set_soft(0x30001000, 0x800));
    paging_get_stats(&mid);
    EXPECT_EQ(t, mid.page_tables, before.page_tables + 1);
    EXPECT_EQ(t, paging_query(0x30000000), 0x800);
    ASSERT_TRUE(t, paging_set_soft(0x30000000, 0));
    EXPECT_TRUE(t, paging_has_table(0x30000000));   /* one left */
    ASSERT_TRUE(t, paging_set_soft(0x30001000, 0));
    paging_get_stats(&after);
    EXPECT_EQ(t, after.page_tables, before.page_tables);
}

static void paging_temp_map_aliases(struct ktest *t)
{
    paddr_t f = frame_with(0);
    ASSERT_NE(t, f, PMM_NONE);
    volatile uint32_t *a = paging_temp_map(f), *b = paging_temp_map(f);

    EXPECT_NE(t, (uint32_t)a, (uint32_t)b);
    a[5] = 0x7E3;
    EXPECT_EQ(t, b[5], 0x7E3);
    paging_temp_unmap((void *)a);
    paging_temp_unmap((void *)b);
    pmm_free(f);
}

static paddr_t hook_frame;
static uint32_t hook_calls, hook_cr2;

static bool map_on_fault(struct trap_frame *tf, uint32_t cr2)
{
    (void)tf;
    hook_calls++;
    hook_cr2 = cr2;
    if (PGROUNDDOWN(cr2) != TEST_VA || hook_frame == PMM_NONE)
        return false;
    bool ok = paging_map(TEST_VA, hook_frame, PTE_W);
    hook_frame = PMM_NONE;
    return ok;
}

static void paging_fault_hook_resolves(struct ktest *t)
{
    struct paging_stats before, after;
    paddr_t f = frame_with(0x0BADCAFE);
    ASSERT_NE(t, f, PMM_NONE);

    hook_frame = f;
    hook_calls = 0;
    paging_get_stats(&before);
    page_fault_hook saved = paging_set_fault_hook(map_on_fault);
    uint32_t v = *(volatile uint32_t *)(TEST_VA + 0x40);   /* faults, hook maps, retried */
    paging_set_fault_hook(saved);
    paging_get_stats(&after);
    EXPECT_EQ(t, v, 0x0BADCAFE);
    EXPECT_EQ(t, hook_calls, 1);
    EXPECT_EQ(t, hook_cr2, TEST_VA + 0x40);
    EXPECT_EQ(t, after.faults_hooked, before.faults_hooked + 1);
    EXPECT_EQ(t, paging_unmap(TEST_VA), f);
    pmm_free(f);
}

static void paging_address_spaces_are_separate(struct ktest *t)
{
    struct fault_record rec;
    struct pgdir *kernel = paging_current();
    static struct pgdir as_storage;
    struct pgdir *as = &as_storage;
    paddr_t f = frame_with(0x5EC);
    ASSERT_TRUE(t, pgdir_init(as));
    ASSERT_NE(t, f, PMM_NONE);

    paging_switch(as);
    ASSERT_TRUE(t, paging_map(TEST_VA, f, PTE_W));
    EXPECT_EQ(t, *(volatile uint32_t *)TEST_VA, 0x5EC);
    EXPECT_EQ(t, *(volatile uint32_t *)&data_word, 1);     /* kernel half shared */
    paging_switch(kernel);
    EXPECT_FAULT(t, &rec, (void)*(volatile uint32_t *)TEST_VA);
    EXPECT_EQ(t, rec.cr2, TEST_VA);
    paging_switch(as);
    EXPECT_EQ(t, paging_unmap(TEST_VA), f);
    paging_switch(kernel);
    pgdir_fini(as);
    pmm_free(f);
}

/* With qmp_check on the command line: print this kernel's view of its
 * tables in the format of QEMU's `info mem` / `info tlb`, stop at a marker
 * and let the harness compare them with QEMU's own page walker.  The
 * harness answers '1' (identical) or '0' over the serial line. */
static void paging_matches_qemu_monitor(struct ktest *t)
{
    if (cmdline_get("qmp_check") == NULL)
        ktest_skip(t, "needs the harness (qmp_check on the command line)");
    paddr_t f = frame_with(0);
    ASSERT_NE(t, f, PMM_NONE);
    ASSERT_TRUE(t, paging_map(TEST_VA, f, PTE_W | PTE_U));     /* a user page */
    ASSERT_TRUE(t, paging_map(TEST_VA2, f, PTE_U));            /* read-only alias */
    paging_dump_info_mem();
    paging_dump_info_tlb();
    kprintf("READY-FOR-MONITOR\n");
    char verdict = serial_getc();
    paging_unmap(TEST_VA);
    paging_unmap(TEST_VA2);
    pmm_free(f);
    EXPECT_EQ(t, verdict, '1');
}

static const struct ktest_case paging_cases[] = {
    KTEST_CASE(paging_low_identity_map_gone),
    KTEST_CASE(paging_kernel_text_read_only),
    KTEST_CASE(paging_rodata_read_only),
    KTEST_CASE(paging_data_and_bss_writable),
    KTEST_CASE(paging_stack_guard_unmapped),
    KTEST_CASE(paging_alias_two_pages_one_frame),
    KTEST_CASE(paging_write_to_read_only_page_faults),
    KTEST_CASE(paging_unmapped_page_faults_not_present),
    KTEST_CASE(paging_tlb_remap_sees_new_frame),
    KTEST_CASE(paging_tlb_protect_rw_to_ro),
    KTEST_CASE(paging_tlb_batch_flushes_user_range),
    KTEST_CASE(paging_tlb_batch_flushes_global_kernel_range),
    KTEST_CASE(paging_selfmap_matches_physical_walk),
    KTEST_CASE(paging_kernel_tables_preallocated),
    KTEST_CASE(paging_page_tables_freed),
    KTEST_CASE(paging_map_fails_cleanly_without_frames),
    KTEST_CASE(paging_soft_entries_count_and_free_tables),
    KTEST_CASE(paging_temp_map_aliases),
    KTEST_CASE(paging_fault_hook_resolves),
    KTEST_CASE(paging_address_spaces_are_separate),
    KTEST_CASE(paging_matches_qemu_monitor),
    KTEST_END,
};

static const struct ktest_suite paging_suite = { .name = "paging", .cases = paging_cases };
KTEST_SUITE(paging_suite);
