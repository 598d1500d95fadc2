/* The page-table format and NX (issue 18), in whichever format the kernel
 * booted (make test boots this suite both ways): the format matches the
 * command line and the control registers; the kernel's own rodata, data,
 * bss, stack and heap are not executable (a fetch faults with I/D = 1 and
 * CR2 at the byte) while its text is; a user page is NX exactly when its
 * protection is not PAGE_EXECUTE* and DEP is on; the execute options
 * rewrite present entries; the PAE structures (PDPT below 4 GiB, shared
 * third directory, per-space fourth directory with the self-map) are where
 * the design says.  Under paging=legacy the same cases check the other
 * side: no NX bit anywhere, so the fetches run. */
#include "tests/ktest.h"
#include "mm/paging.h"
#include "mm/vm.h"
#include "mm/kheap.h"
#include "mm/memlayout.h"
#include "kernel/cmdline.h"
#include "kernel/base/layout.h"
#include "kernel/base/x86.h"
#include "kernel/arch/trap.h"
#include <string.h>

#define USER_VA 0x20000000u

/* ret: executable kernel code is one byte; an NX page refuses even that. */
static uint8_t ret_in_data[16] = { 0xC3 };
static const uint8_t ret_in_rodata[16] = { 0xC3 };

static bool nx_on(void)
{
    return paging_nx_bit() != 0;
}

/* Calls the byte at p (a `ret`) from ring 0: with NX it must fault as a
 * fetch of a present page (error P | I/D) at exactly p; without, return. */
static void expect_kernel_fetch(struct ktest *t, const void *p, bool want_fault, int line)
{
    struct fault_record rec;

    CATCH_FAULT(&rec, ((void (*)(void))(uintptr_t)p)());
    if (!want_fault) {
        if (rec.vector != FAULT_NONE)
            ktest_fail_msg(t, __FILE__, line, "fetch at %p faulted (vector %u, error %x)", p,
                           rec.vector, rec.error);
        return;
    }
    if (rec.vector == FAULT_NONE) {
        ktest_fail_msg(t, __FILE__, line, "fetch at %p did not fault", p);
        return;
    }
    EXPECT_EQ(t, rec.vector, T_PF);
    EXPECT_EQ(t, rec.cr2, (uint32_t)p);
    EXPECT_EQ(t, rec.eip, (uint32_t)p);
    EXPECT_EQ(t, rec.error, PF_P | PF_I);
}

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static bool cpu_has_nx(void)
{
    uint32_t a, b, c, d;
    cpuid(0x80000000u, &a, &b, &c, &d);
    if (a < 0x80000001u || a > 0x8000FFFFu)
        return false;
    cpuid(0x80000001u, &a, &b, &c, &d);
    return d & CPUID_80000001_EDX_NX;
}

static void pae_format_as_booted(struct ktest *t)
{
    const char *want = cmdline_get("paging");
    bool legacy = want != NULL && strcmp(want, "legacy") == 0;
    struct paging_stats s;

    paging_get_stats(&s);
    ktest_log("%s, NX %s, MAXPHYADDR %u", paging_format_name(), s.nx ? "on" : "off", s.maxphyaddr);
    EXPECT_EQ(t, paging_format(), legacy ? PAGING_LEGACY : PAGING_PAE);   /* every CPU here has PAE */
    EXPECT_EQ(t, !!(read_cr4() & CR4_PAE), !legacy);
    EXPECT_EQ(t, s.pae, !legacy);
    EXPECT_EQ(t, s.nx, !legacy && cpu_has_nx());    /* -cpu max has NX, qemu32 has not */
    EXPECT_EQ(t, !!(rdmsr(MSR_EFER) & EFER_NXE), s.nx);
    EXPECT_EQ(t, paging_table_span(), legacy ? LEGACY_PDE_SPAN : PAE_PDE_SPAN);
    EXPECT_EQ(t, paging_entry_size(), legacy ? 4 : 8);
    EXPECT_EQ(t, s.maxphyaddr >= 36, !legacy);
    EXPECT_EQ(t, vm_dep_policy(), s.nx ? VM_DEP_OPT_OUT : VM_DEP_ALWAYS_OFF);
}

/* Text executable; rodata, data, bss, the boot stack and the frame
 * metadata not; each checked in the entry and by a fetch. */
static void pae_kernel_image_nx(struct ktest *t)
{
    pte_t nx = paging_nx_bit();
    uint8_t on_stack[16] = { 0xC3 };
    paddr_t meta, meta_end;

    pmm_metadata_range(&meta, &meta_end);
    EXPECT_EQ(t, paging_query((uint32_t)kmain) & PTE_NX, 0);
    EXPECT_EQ(t, paging_query((uint32_t)ret_in_rodata) & PTE_NX, nx);
    EXPECT_EQ(t, paging_query((uint32_t)ret_in_data) & PTE_NX, nx);
    EXPECT_EQ(t, paging_query((uint32_t)boot_stack_bottom) & PTE_NX, nx);
    EXPECT_EQ(t, paging_query((uint32_t)meta + KERNEL_VBASE) & PTE_NX, nx);
    EXPECT_EQ(t, paging_query(PGROUNDDOWN((uint32_t)on_stack)) & PTE_NX, nx);
    expect_kernel_fetch(t, ret_in_rodata, nx_on(), __LINE__);
    expect_kernel_fetch(t, ret_in_data, nx_on(), __LINE__);
    expect_kernel_fetch(t, on_stack, nx_on(), __LINE__);
}

/* The kernel heap, a temporary mapping, the pool and the page-table
 * window are data too. */
static void pae_kernel_heap_and_windows_nx(struct ktest *t)
{
    pte_t nx = paging_nx_bit();
    uint8_t *h = kmalloc(64);
    ASSERT_NE(t, (uintptr_t)h, 0);
    h[0] = 0xC3;
    EXPECT_EQ(t, paging_query(PGROUNDDOWN(h)) & PTE_NX, nx);
    expect_kernel_fetch(t, h, nx_on(), __LINE__);
    kfree(h);

    paddr_t f = pmm_alloc();
    ASSERT_NE(t, f, PMM_NONE);
    uint8_t *w = paging_temp_map(f);
    w[0] = 0xC3;
    EXPECT_EQ(t, paging_query((uint32_t)w) & PTE_NX, nx);
    expect_kernel_fetch(t, w, nx_on(), __LINE__);
    paging_temp_unmap(w);
    pmm_free(f);
    /* The directory's page in the window: the self-map entry (a
     * directory serving as a table) carries NX. */
    uint32_t pd_window = paging_format() == PAGING_PAE ? PAE_PD_WINDOW : LEGACY_PD_WINDOW;
    EXPECT_EQ(t, paging_query(pd_window) & PTE_NX, nx);
    EXPECT_EQ(t, paging_query(pd_window) & (PTE_P | PTE_W | PTE_U), PTE_P | PTE_W);
}

/* A user space with one page of each base protection, all touched: a
 * present entry has NX exactly when DEP is on and the protection is not
 * PAGE_EXECUTE*; a fetch from ring 0 agrees; a demand-zero page refuses a
 * fetch without taking a frame. */
static const uint32_t protections[] = { PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE,
                                        PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE };

static void pae_user_pages_nx_unless_execute(struct ktest *t)
{
    struct vm_space *as = vm_space_create();
    ASSERT_NE(t, (uintptr_t)as, 0);
    vm_switch(as);
    uint32_t base = USER_VA, size = 0x10000;
    ASSERT_EQ(t, vm_allocate(as, &base, &size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    for (uint32_t i = 0; i < 5; i++)
        *(volatile uint8_t *)(base + i * PGSIZE) = 0xC3;
    for (uint32_t i = 0; i < 5; i++) {
        uint32_t va = base + i * PGSIZE, one = PGSIZE, old;
        ASSERT_EQ(t, vm_protect(as, &va, &one, protections[i], &old), STATUS_SUCCESS);
        bool x = protections[i] != PAGE_READONLY && protections[i] != PAGE_READWRITE;
        pte_t e = paging_query(base + i * PGSIZE);
        EXPECT_EQ(t, e & PTE_P, PTE_P);
        EXPECT_EQ(t, e & PTE_NX, x ? 0 : paging_nx_bit());
        vm_clear_last_exception();
        expect_kernel_fetch(t, (const void *)(base + i * PGSIZE), !x && nx_on(), __LINE__);
        if (!x && nx_on()) {
            EXPECT_EQ(t, vm_last_exception()->code, STATUS_ACCESS_VIOLATION);
            EXPECT_EQ(t, vm_last_exception()->access, EXCEPTION_EXECUTE_FAULT);
            EXPECT_EQ(t, vm_last_exception()->address, base + i * PGSIZE);
        }
    }
    /* Demand-zero: the fetch is refused (not present: error I/D only) and
     * the page stays without a frame. */
    uint32_t committed, resident, resident_after;
    vm_space_pages(as, &committed, &resident);
    if (nx_on()) {      /* (without NX the zeroed page would be run) */
        struct fault_record rec;
        CATCH_FAULT(&rec, ((void (*)(void))(base + 8 * PGSIZE))());
        vm_space_pages(as, &committed, &resident_after);
        EXPECT_EQ(t, rec.vector, T_PF);
        EXPECT_EQ(t, rec.error, PF_I);
        EXPECT_EQ(t, rec.cr2, base + 8 * PGSIZE);
        EXPECT_EQ(t, resident_after, resident);
        EXPECT_EQ(t, paging_query(base + 8 * PGSIZE) & PTE_P, 0);
    }
    EXPECT_EQ(t, vm_validate(as), 0);
    vm_switch(vm_kernel_space());
    vm_space_destroy(as);
}

static void pae_execute_options_rewrite_entries(struct ktest *t)
{
    pte_t nx = paging_nx_bit();
    struct vm_space *as = vm_space_create();
    ASSERT_NE(t, (uintptr_t)as, 0);
    vm_switch(as);
    uint32_t base = USER_VA, size = 0x10000;
    ASSERT_EQ(t, vm_allocate(as, &base, &size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    *(volatile uint8_t *)base = 0xC3;
    uint32_t start = vm_execute_options(as);
    if (!nx_on()) {
        EXPECT_EQ(t, start, MEM_EXECUTE_OPTION_ENABLE | MEM_EXECUTE_OPTION_PERMANENT);
        EXPECT_EQ(t, vm_set_execute_options(as, MEM_EXECUTE_OPTION_DISABLE), STATUS_ACCESS_DENIED);
        expect_kernel_fetch(t, (const void *)base, false, __LINE__);
    } else {
        EXPECT_EQ(t, start, MEM_EXECUTE_OPTION_DISABLE);
        EXPECT_EQ(t, paging_query(base) & PTE_NX, nx);
        EXPECT_EQ(t, vm_set_execute_options(as, 0), STATUS_INVALID_PARAMETER);
        EXPECT_EQ(t, vm_set_execute_options(as, 3), STATUS_INVALID_PARAMETER);
        EXPECT_EQ(t, vm_set_execute_options(as, 0x12), STATUS_INVALID_PARAMETER);
        EXPECT_EQ(t, vm_set_execute_options(as, MEM_EXECUTE_OPTION_ENABLE), STATUS_SUCCESS);
        EXPECT_EQ(t, paging_query(base) & PTE_NX, 0);
        expect_kernel_fetch(t, (const void *)base, false, __LINE__);
        EXPECT_EQ(t, vm_validate(as), 0);
        EXPECT_EQ(t, vm_set_execute_options(as, MEM_EXECUTE_OPTION_DISABLE | MEM_EXECUTE_OPTION_PERMANENT),
                  STATUS_SUCCESS);
        EXPECT_EQ(t, paging_query(base) & PTE_NX, nx);
        expect_kernel_fetch(t, (const void *)base, true, __LINE__);
        EXPECT_EQ(t, vm_set_execute_options(as, MEM_EXECUTE_OPTION_ENABLE), STATUS_ACCESS_DENIED);
        EXPECT_EQ(t, vm_validate(as), 0);
    }
    /* The kernel's own space: DEP always on, never changed. */
    EXPECT_EQ(t, vm_execute_options(vm_kernel_space()), MEM_EXECUTE_OPTION_DISABLE | MEM_EXECUTE_OPTION_PERMANENT);
    EXPECT_EQ(t, vm_set_execute_options(vm_kernel_space(), MEM_EXECUTE_OPTION_ENABLE), STATUS_ACCESS_DENIED);
    vm_switch(vm_kernel_space());
    vm_space_destroy(as);
}

/* PAE's structures: the PDPT below 4 GiB, 32-byte aligned, PDPTEs with
 * only P and an address; the third directory shared by two address
 * spaces, the others their own; each fourth directory maps the four. */
static void pae_structures(struct ktest *t)
{
    if (paging_format() != PAGING_PAE)
        ktest_skip(t, "legacy paging: one directory per address space");
    struct vm_space *as = vm_space_create();
    ASSERT_NE(t, (uintptr_t)as, 0);
    uint32_t cr3_kernel = read_cr3();
    vm_switch(as);
    uint32_t cr3 = read_cr3();
    EXPECT_EQ(t, cr3 % PAE_PDPT_ALIGN, 0);
    EXPECT_NE(t, cr3, cr3_kernel);
    const uint64_t *mine = (const uint64_t *)(cr3 + KERNEL_VBASE);
    const uint64_t *kern = (const uint64_t *)(cr3_kernel + KERNEL_VBASE);
    /* (QEMU's walker sets A, bit 5, in PDPTEs, where the SDM reserves it:
     * real CPUs load PDPTEs into registers and never write them.  So A is
     * masked here.) */
    for (int i = 0; i < 4; i++) {
        EXPECT_EQ(t, mine[i] & ~(PTE_FRAME | PTE_A), PTE_P);
        EXPECT_EQ(t, mine[i] & PAE_PDPTE_RESERVED & ~(pte_t)PTE_A, 0);
        EXPECT_EQ(t, PTE_ADDR(mine[i]) == PTE_ADDR(kern[i]), i == 2);
        /* Directory i shows through the self-map at 0xC0600000 + i * 4 KiB. */
        EXPECT_EQ(t, paging_query(PAE_PD_WINDOW + (uint32_t)i * PGSIZE) & PTE_FRAME, PTE_ADDR(mine[i]));
    }
    /* The PDE of va at 0xC0600000 + (va >> 21) * 8, as the CPU's walk finds it. */
    const uint32_t probes[] = { 0x00000000u, USER_VA, 0x80100000u, PT_WINDOW, KVM_BASE, 0xFFE00000u };
    for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        struct page_walk w;
        paging_walk(probes[i], &w);
        EXPECT_EQ(t, w.level[1].va, PAE_PD_WINDOW + (probes[i] >> 21) * 8);
        EXPECT_EQ(t, *(volatile uint64_t *)w.level[1].va, w.level[1].value);
        EXPECT_EQ(t, PTE_ADDR(w.level[0].value), PTE_ADDR(mine[probes[i] >> 30]));
    }
    vm_switch(vm_kernel_space());
    vm_space_destroy(as);
}

/* 64-bit entries through the interface: transitions that change the high
 * word (a frame above 4 GiB, NX) between soft and present entries, each
 * read back whole (mm/paging_format.h pae_write keeps the CPU from seeing
 * half of one). */
static void pae_entry_writes_whole(struct ktest *t)
{
    if (paging_format() != PAGING_PAE)
        ktest_skip(t, "legacy entries are 32 bits");
    pte_t nx = paging_nx_bit();
    const pte_t values[] = {
        0x0000000FFFFFF806ull,                              /* soft, frame kept at 64 GiB - 4 KiB */
        0x0000000FFFFFF000ull | PTE_P | PTE_W | PTE_U,      /* present there (never touched) */
        nx | 0x0000000123456000ull | PTE_P | PTE_U,         /* present, another high frame, NX */
        nx | 0x0000000000400000ull | PTE_P | PTE_U,         /* present, low frame */
        0x0000000200000406ull,                              /* soft again */
    };
    for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        ASSERT_TRUE(t, paging_set_pte(USER_VA, values[i]));
        EXPECT_EQ(t, paging_query(USER_VA), values[i]);
    }
    ASSERT_TRUE(t, paging_set_pte(USER_VA, 0));
    EXPECT_FALSE(t, paging_has_table(USER_VA));
}

/* Address spaces until the PDPT pool (PAE) or memory runs out: creation
 * fails cleanly and everything comes back. */
#define MANY_SPACES 300
static void pae_address_spaces_run_out_cleanly(struct ktest *t)
{
    static struct vm_space *spaces[MANY_SPACES];
    int n = 0;

    while (n < MANY_SPACES && (spaces[n] = vm_space_create()) != NULL)
        n++;
    ktest_log("%d address spaces made (%s)", n, n < MANY_SPACES ? "then creation failed" : "all");
    if (paging_format() == PAGING_PAE)
        EXPECT_LT(t, n, 256);                   /* 256 PDPT slots, one is the kernel's */
    EXPECT_GT(t, n, 8);
    while (n > 0)
        vm_space_destroy(spaces[--n]);
}

static const struct ktest_case pae_cases[] = {
    KTEST_CASE(pae_format_as_booted),
    KTEST_CASE(pae_kernel_image_nx),
    KTEST_CASE(pae_kernel_heap_and_windows_nx),
    KTEST_CASE(pae_user_pages_nx_unless_execute),
    KTEST_CASE(pae_execute_options_rewrite_entries),
    KTEST_CASE(pae_structures),
    KTEST_CASE(pae_entry_writes_whole),
    KTEST_CASE(pae_address_spaces_run_out_cleanly),
    KTEST_END,
};

static const struct ktest_suite pae_suite = { .name = "pae", .cases = pae_cases };
KTEST_SUITE(pae_suite);
