/* Costs of the paging and VM paths, in guest instructions (see kbench.h).
 * Each runs in a fresh user address space with one ballast allocation
 * (one committed, touched page), so that neither the VAD pool page nor
 * the page table of the low user range is created and destroyed inside
 * the measurement: those are one-off costs, not the path's. */
#include "tests/bench/kbench.h"
#include "mm/vm.h"
#include "mm/virtual.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "kernel/base/panic.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/x86.h"
#include "kernel/arch/trap.h"
#include "libc/format.h"

#define BENCH_VA 0x40000000u

struct bench_space {
    struct vm_space *as;
    void *ballast;
};

static void space_enter(struct bench_space *b)
{
    b->as = vm_space_create();
    ASSERT(b->as != NULL);
    vm_switch(b->as);
    b->ballast = VirtualAlloc(NULL, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ASSERT(b->ballast != NULL);
    *(volatile uint32_t *)b->ballast = 1;
}

static void space_leave(struct bench_space *b)
{
    VirtualFree(b->ballast, 0, MEM_RELEASE);
    vm_switch(vm_kernel_space());
    vm_space_destroy(b->as);
}

static void bench_map_unmap(void)
{
    struct bench_space b;
    space_enter(&b);
    paddr_t f = pmm_alloc();
    /* Keep the page table alive: a neighbour stays mapped. */
    paging_map(BENCH_VA + PGSIZE, f, PTE_W | PTE_U);
    uint32_t t = kbench_begin();
    paging_map(BENCH_VA, f, PTE_W | PTE_U);
    paging_unmap(BENCH_VA);
    kbench_report("paging.map_unmap.1page", kbench_end(t));
    paging_unmap(BENCH_VA + PGSIZE);
    pmm_free(f);
    space_leave(&b);
}
KBENCH(b_map_unmap, "paging.map_unmap.1page", bench_map_unmap);

static void reserve_commit_release(const char *name, uint32_t bytes)
{
    struct bench_space b;
    space_enter(&b);
    uint32_t t = kbench_begin();
    void *p = VirtualAlloc(NULL, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    BOOL ok = VirtualFree(p, 0, MEM_RELEASE);
    uint32_t n = kbench_end(t);
    ASSERT(p != NULL && ok);
    kbench_report(name, n);
    space_leave(&b);
}

static void bench_rcr_1(void)
{
    reserve_commit_release("vm.reserve_commit_release.1page", PGSIZE);
}
KBENCH(b_rcr1, "vm.reserve_commit_release.1page", bench_rcr_1);

static void bench_rcr_256(void)
{
    reserve_commit_release("vm.reserve_commit_release.256pages", 256 * PGSIZE);
}
KBENCH(b_rcr256, "vm.reserve_commit_release.256pages", bench_rcr_256);

/* First touch of a committed page: the whole round trip (exception entry,
 * the VM fault path, a frame, the retried store). */
enum dz_lists { DZ_ZEROED, DZ_FREE_ONLY, DZ_NONE };

static void demand_zero(const char *name, enum dz_lists lists)
{
    struct bench_space b;
    space_enter(&b);
    volatile uint32_t *p = VirtualAlloc(NULL, 2 * PGSIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ASSERT(p != NULL);
    p[1024] = 1;                    /* the page table exists before the measurement */
    pfn_flush();
    if (lists == DZ_ZEROED) {
        pfn_zero_until(PFN_ZEROED_TARGET);  /* a zeroed frame is waiting */
    } else if (lists == DZ_FREE_ONLY) {
        pfn_release(pmm_alloc());       /* zeroed list empty, a freed frame on the free list */
    }                                   /* DZ_NONE: both empty, a frame from the buddy allocator */
    uint32_t t = kbench_begin();
    p[0] = 1;
    uint32_t n = kbench_end(t);
    kbench_report(name, n);
    VirtualFree((void *)p, 0, MEM_RELEASE);
    pfn_zero_until(PFN_ZEROED_TARGET);
    space_leave(&b);
}

static void bench_dz(void)
{
    demand_zero("vm.fault.demand_zero.list_empty", DZ_FREE_ONLY);
}
KBENCH(b_dz, "vm.fault.demand_zero.list_empty", bench_dz);

static void bench_dz_buddy(void)
{
    demand_zero("vm.fault.demand_zero.lists_empty_buddy", DZ_NONE);
}
KBENCH(b_dz_buddy, "vm.fault.demand_zero.lists_empty_buddy", bench_dz_buddy);

static void bench_dz_excl(void)
{
    demand_zero("vm.fault.demand_zero.zeroed_list", DZ_ZEROED);
}
KBENCH(b_dz_excl, "vm.fault.demand_zero.zeroed_list", bench_dz_excl);

static void query_with(const char *name, uint32_t allocations)
{
    struct bench_space b;
    MEMORY_BASIC_INFORMATION mbi;
    void *middle = NULL;
    space_enter(&b);
    for (uint32_t i = 0; i < allocations; i++) {
        void *p = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_READWRITE);
        ASSERT(p != NULL);
        if (i == allocations / 2)
            middle = p;
    }
    uint32_t t = kbench_begin();
    SIZE_T r = VirtualQuery((char *)middle + 0x2000, &mbi, sizeof(mbi));
    uint32_t n = kbench_end(t);
    ASSERT(r == sizeof(mbi));
    kbench_report(name, n);
    vm_switch(vm_kernel_space());
    vm_space_destroy(b.as);         /* releases every reservation */
}

static void bench_query_10(void)
{
    query_with("vm.query.10allocs", 10);
}
KBENCH(b_q10, "vm.query.10allocs", bench_query_10);

static void bench_query_10000(void)
{
    query_with("vm.query.10000allocs", 10000);
}
KBENCH(b_q10000, "vm.query.10000allocs", bench_query_10000);

static void bench_protect(void)
{
    struct bench_space b;
    DWORD old;
    space_enter(&b);
    volatile uint32_t *p = VirtualAlloc(NULL, PGSIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ASSERT(p != NULL);
    p[0] = 1;                       /* resident: the protect edits a present PTE */
    uint32_t t = kbench_begin();
    BOOL ok = VirtualProtect((void *)p, PGSIZE, PAGE_READONLY, &old);
    uint32_t n = kbench_end(t);
    ASSERT(ok && old == PAGE_READWRITE);
    kbench_report("vm.protect.1page", n);
    VirtualFree((void *)p, 0, MEM_RELEASE);
    space_leave(&b);
}
KBENCH(b_protect, "vm.protect.1page", bench_protect);

static paddr_t hooked_frame;

static bool bench_map_on_fault(struct trap_frame *tf, uint32_t cr2)
{
    (void)tf;
    if (PGROUNDDOWN(cr2) != BENCH_VA || hooked_frame == PMM_NONE)
        return false;
    paging_map(BENCH_VA, hooked_frame, PTE_W | PTE_U);
    hooked_frame = PMM_NONE;
    return true;
}

/* A page fault resolved by a hook that maps a frame: the bare cost of the
 * exception path plus one mapping, without the VM layer's bookkeeping. */
static void bench_hooked_fault(void)
{
    struct bench_space b;
    space_enter(&b);
    paddr_t f = pmm_alloc(), keep = pmm_alloc();
    paging_map(BENCH_VA + PGSIZE, keep, PTE_W | PTE_U);     /* the page table exists */
    hooked_frame = f;
    page_fault_hook saved = paging_set_fault_hook(bench_map_on_fault);
    uint32_t t = kbench_begin();
    *(volatile uint32_t *)BENCH_VA = 1;
    uint32_t n = kbench_end(t);
    paging_set_fault_hook(saved);
    kbench_report("paging.fault.hooked", n);
    paging_unmap(BENCH_VA);
    paging_unmap(BENCH_VA + PGSIZE);
    pmm_free(f);
    pmm_free(keep);
    space_leave(&b);
}
KBENCH(b_hooked, "paging.fault.hooked", bench_hooked_fault);

/* TLB invalidation of a range: INVLPG per page or one CR3 reload, each
 * followed by touching the pages again (the refill is the real cost).
 * Measured in TSC ticks WITHOUT -icount (instruction counts cannot see
 * TLB refills), so the figures are noisy: medians of 15 runs.  The
 * crossover chooses TLB_RANGE_RELOAD_THRESHOLD in mm/paging.c. */
#define TLB_RUNS 15
#define TLB_MAX_PAGES 256

static uint32_t median(uint32_t *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint32_t x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return v[n / 2];
}

static void touch_pages(uint32_t pages)
{
    for (uint32_t i = 0; i < pages; i++)
        (void)*(volatile uint32_t *)(BENCH_VA + i * PGSIZE);
}

static void bench_tlb_range(void)
{
    struct bench_space b;
    space_enter(&b);
    paddr_t f = pmm_alloc();
    for (uint32_t i = 0; i < TLB_MAX_PAGES; i++)
        paging_map(BENCH_VA + i * PGSIZE, f, PTE_W | PTE_U);
    for (uint32_t pages = 1; pages <= TLB_MAX_PAGES; pages *= 2) {
        uint32_t inv[TLB_RUNS], reload[TLB_RUNS];
        for (int r = 0; r < TLB_RUNS; r++) {
            touch_pages(pages);
            uint32_t t = kbench_begin();
            for (uint32_t i = 0; i < pages; i++)
                invlpg(BENCH_VA + i * PGSIZE);
            touch_pages(pages);
            inv[r] = kbench_end(t);
            touch_pages(pages);
            t = kbench_begin();
            write_cr3(read_cr3());
            touch_pages(pages);
            reload[r] = kbench_end(t);
        }
        kprintf("tlb %u pages: invlpg %u ticks, cr3 reload %u ticks\n", pages,
                median(inv, TLB_RUNS), median(reload, TLB_RUNS));
    }
    for (uint32_t i = 0; i < TLB_MAX_PAGES; i++)
        paging_unmap(BENCH_VA + i * PGSIZE);
    pmm_free(f);
    space_leave(&b);
}
KBENCH(b_tlb, "tlb.range_walltime", bench_tlb_range);

/* ---- costs at scale (issue 16, point 4) ----------------------------------
 * Reserve, release and query with 10, 10,000 and 30,000 live 64 KiB
 * reservations in one address space.  30,000 is near the most a 2 GiB
 * user space holds at the 64 KiB allocation granularity (32,766 granules),
 * so it stands for "as many as fit"; 100,000 cannot exist on this layout. */

static void fill_space(uint32_t allocations, void **middle)
{
    for (uint32_t i = 0; i < allocations; i++) {
        void *p = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_READWRITE);
        ASSERT(p != NULL);
        if (i == allocations / 2)
            *middle = p;
    }
}

static void scale_with(uint32_t allocations)
{
    struct bench_space b;
    MEMORY_BASIC_INFORMATION mbi;
    char name[48];
    void *middle = NULL;

    space_enter(&b);
    fill_space(allocations, &middle);
    /* Release one in the middle first, so that the first reservation
     * measured has to find that hole (the lowest free range) in the tree;
     * the second, with no hole left, goes above the last reservation. */
    ASSERT(VirtualFree(middle, 0, MEM_RELEASE));

    uint32_t t = kbench_begin();
    void *p = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    uint32_t reserve = kbench_end(t);
    ASSERT(p != NULL);
    t = kbench_begin();
    SIZE_T r = VirtualQuery((char *)p + 0x2000, &mbi, sizeof(mbi));
    uint32_t query = kbench_end(t);
    ASSERT(r == sizeof(mbi) && mbi.State == MEM_RESERVE);
    t = kbench_begin();
    BOOL freed = VirtualFree(p, 0, MEM_RELEASE);
    uint32_t release = kbench_end(t);
    ASSERT(freed);
    /* With no hole left, the next reservation goes above the last one. */
    ASSERT(VirtualAlloc(middle, 0x10000, MEM_RESERVE, PAGE_READWRITE) == middle);
    t = kbench_begin();
    void *end = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    uint32_t reserve_end = kbench_end(t);
    ASSERT(end != NULL && end > middle);

    snprintf(name, sizeof(name), "vm.scale.reserve_hole.%u", allocations);
    kbench_report(name, reserve);
    snprintf(name, sizeof(name), "vm.scale.reserve_end.%u", allocations);
    kbench_report(name, reserve_end);
    snprintf(name, sizeof(name), "vm.scale.release.%u", allocations);
    kbench_report(name, release);
    snprintf(name, sizeof(name), "vm.scale.query.%u", allocations);
    kbench_report(name, query);
    vm_switch(vm_kernel_space());
    vm_space_destroy(b.as);
}

static void bench_scale(void)
{
    scale_with(10);
    scale_with(10000);
    scale_with(30000);
}
KBENCH(b_scale, "vm.scale", bench_scale);

/* Tearing down an address space: instructions per reservation with 1,000
 * and with 10,000 of them (linear in the size: the two stay close). */
static void teardown_with(uint32_t allocations)
{
    char name[48];
    void *middle = NULL;
    struct vm_space *as = vm_space_create();
    ASSERT(as != NULL);
    vm_switch(as);
    fill_space(allocations, &middle);
    vm_switch(vm_kernel_space());
    uint32_t t = kbench_begin();
    vm_space_destroy(as);
    uint32_t n = kbench_end(t);
    snprintf(name, sizeof(name), "vm.scale.teardown_per_region.%u", allocations);
    kbench_report(name, n / allocations);
}

static void bench_teardown(void)
{
    teardown_with(1000);
    teardown_with(10000);
}
KBENCH(b_teardown, "vm.scale.teardown", bench_teardown);

