/* Memory above 4 GiB (issue 18), for the -m 6G boot: the frame allocator
 * manages all of it and hands the high frames out first; a frame above
 * 4 GiB works through a user mapping, the temporary window and a soft
 * entry that keeps it; and user commits in several address spaces hold
 * more than 4 GiB of frames at once, every page's contents checked, all
 * given back.  Skipped when the machine has no RAM above 4 GiB (every
 * other boot; paging=legacy ignores it). */
#include "tests/ktest.h"
#include "mm/paging.h"
#include "mm/vm.h"
#include "mm/pmm.h"
#include "kernel/bootinfo.h"
#include <string.h>

#define USER_VA 0x10000000u
#define SPACES 4
#define SPACE_BYTES 0x60000000u             /* 1.5 GiB reserved in each */
#define FRAMES_4G (1u << 20)
#define MARGIN_FRAMES 4096u                 /* 16 MiB past 4 GiB */

static struct pmm_stats stats_now(void)
{
    struct pmm_stats s;
    pmm_get_stats(&s);
    return s;
}

static int highmem_init(void)
{
    return stats_now().total_high == 0;     /* nothing above 4 GiB: skip the suite */
}

/* Bytes of available RAM the memory map lists at or above 4 GiB. */
static uint64_t map_bytes_above_4g(void)
{
    const struct boot_info *bi = bootinfo();
    uint64_t n = 0;

    for (int i = 0; i < bi->mmap_count; i++) {
        const struct boot_mem_region *r = &bi->mmap[i];
        uint64_t end = r->base + r->length, base = r->base < PMM_4G ? PMM_4G : r->base;
        if (r->type == BOOT_MEM_AVAILABLE && end > base)
            n += end - base;
    }
    return n;
}

static void highmem_allocator_takes_it_all(struct ktest *t)
{
    struct pmm_stats s = stats_now();
    ktest_log("%u frames in all, %u above 4 GiB (%u free), limit %llu GiB", s.total, s.total_high,
              s.free_high, s.limit >> 30);
    EXPECT_EQ(t, (uint64_t)s.total_high * PAGE_SIZE, map_bytes_above_4g());
    EXPECT_EQ(t, s.clipped_bytes, 0);
    /* High frames first; pmm_alloc_low stays below 4 GiB. */
    paddr_t hi = pmm_alloc(), lo = pmm_alloc_low();
    ASSERT_NE(t, hi, PMM_NONE);
    ASSERT_NE(t, lo, PMM_NONE);
    EXPECT_GE(t, hi, PMM_4G);
    EXPECT_LT(t, lo, PMM_4G);
    EXPECT_EQ(t, stats_now().free_high, s.free_high - 1);
    pmm_free(hi);
    pmm_free(lo);
    EXPECT_EQ(t, stats_now().free_high, s.free_high);
}

/* A frame above 4 GiB through the window, a user mapping, and a soft
 * entry that keeps it while the page is PAGE_NOACCESS. */
static void highmem_frame_reachable(struct ktest *t)
{
    paddr_t f = pmm_alloc();
    ASSERT_GE(t, f, PMM_4G);
    uint32_t *w = paging_temp_map(f);
    for (uint32_t i = 0; i < PGSIZE / 4; i++)
        w[i] = 0xA5000000u ^ i;
    paging_temp_unmap(w);
    ASSERT_TRUE(t, paging_map(USER_VA, f, PTE_W | paging_nx_bit()));
    EXPECT_EQ(t, ((volatile uint32_t *)USER_VA)[100], 0xA5000000u ^ 100);
    struct page_walk pw;
    paging_walk(USER_VA, &pw);
    EXPECT_EQ(t, PTE_ADDR(pw.level[pw.levels - 1].value), f);
    EXPECT_EQ(t, paging_unmap(USER_VA), f);
    pmm_free(f);

    struct vm_space *as = vm_space_create();
    ASSERT_NE(t, (uintptr_t)as, 0);
    vm_switch(as);
    uint32_t base = USER_VA, size = PGSIZE, old;
    ASSERT_EQ(t, vm_allocate(as, &base, &size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    *(volatile uint32_t *)(base + 0x40) = 0x600DF00D;
    paddr_t frame = PTE_ADDR(paging_query(base));
    ktest_log("the page got frame %09llx", frame);
    EXPECT_GE(t, frame, PMM_4G);
    ASSERT_EQ(t, vm_protect(as, &base, &size, PAGE_NOACCESS, &old), STATUS_SUCCESS);
    pte_t soft = paging_query(base);
    EXPECT_EQ(t, soft & PTE_P, 0);
    EXPECT_EQ(t, PTE_ADDR(soft), frame);     /* bits 32-35 of the frame kept in the soft entry */
    ASSERT_EQ(t, vm_protect(as, &base, &size, PAGE_READWRITE, &old), STATUS_SUCCESS);
    EXPECT_EQ(t, *(volatile uint32_t *)(base + 0x40), 0x600DF00D);
    EXPECT_EQ(t, vm_validate(as), 0);
    vm_switch(vm_kernel_space());
    vm_space_destroy(as);
}

/* One word a page, different in every page of every space. */
static uint32_t signature(int space, uint32_t va)
{
    return ((uint32_t)space << 28) ^ (va >> 12) ^ 0x05A5A000u;
}

static uint32_t word_offset(uint32_t va)
{
    return ((va >> 12) % (PGSIZE / 4)) * 4;
}

/* More than 4 GiB of frames in use at once by user commits: up to SPACES
 * address spaces each commit and touch up to 1.5 GiB until the committed
 * pages pass 4 GiB + 16 MiB; then every page is read back in every space,
 * and the spaces go.  Frame poisoning is paused for the bulk (2 x 4 GiB
 * of fills and checks under TCG); the leak check after the suite sees
 * every frame back. */
static void highmem_more_than_4g_in_use(struct ktest *t)
{
    struct vm_space *spaces[SPACES] = { NULL };
    uint32_t pages[SPACES] = { 0 }, want = FRAMES_4G + MARGIN_FRAMES, total = 0;
    struct vm_stats vs;

    vm_get_stats(&vs);
    ASSERT_GT(t, vs.commit_limit - vs.commit_charge, want + 4096);
    pmm_set_frame_access(NULL, NULL);
    for (int s = 0; s < SPACES && total < want; s++) {
        spaces[s] = vm_space_create();
        ASSERT_NE(t, (uintptr_t)spaces[s], 0);
        vm_switch(spaces[s]);
        uint32_t n = want - total < SPACE_BYTES / PGSIZE ? want - total : SPACE_BYTES / PGSIZE;
        uint32_t base = USER_VA, size = n * PGSIZE;
        ASSERT_EQ(t, vm_allocate(spaces[s], &base, &size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                  STATUS_SUCCESS);
        for (uint32_t va = base; va < base + size; va += PGSIZE)
            *(volatile uint32_t *)(va + word_offset(va)) = signature(s, va);
        pages[s] = n;
        total += n;
    }
    vm_get_stats(&vs);
    struct pmm_stats ps = stats_now();
    uint32_t high_used = ps.total_high - ps.free_high;
    ktest_log("%u pages resident in user commits (%llu MiB), %u frames above 4 GiB in use",
              vs.resident_pages, (uint64_t)vs.resident_pages * PGSIZE >> 20, high_used);
    EXPECT_GE(t, vs.resident_pages, want);
    EXPECT_GT(t, (uint64_t)vs.resident_pages * PGSIZE, 4ull << 30);
    EXPECT_GT(t, high_used, ps.total_high / 2);

    uint32_t bad = 0, above = 0;
    for (int s = 0; s < SPACES && spaces[s] != NULL; s++) {
        vm_switch(spaces[s]);
        for (uint32_t va = USER_VA; va < USER_VA + pages[s] * PGSIZE; va += PGSIZE) {
            bad += *(volatile uint32_t *)(va + word_offset(va)) != signature(s, va);
            bad += *(volatile uint32_t *)(va + (word_offset(va) ^ 4)) != 0;     /* the rest is zero */
            above += PTE_ADDR(paging_entry(va)) >= PMM_4G;
        }
        EXPECT_EQ(t, vm_validate(spaces[s]), 0);
    }
    ktest_log("%u pages checked, %u of them in frames above 4 GiB", total, above);
    EXPECT_EQ(t, bad, 0);
    EXPECT_GT(t, above, 0);
    vm_switch(vm_kernel_space());
    for (int s = 0; s < SPACES && spaces[s] != NULL; s++)
        vm_space_destroy(spaces[s]);
    pmm_set_frame_access(paging_temp_map, paging_temp_unmap);
    ps = stats_now();
    ktest_log("after: %u of %u frames above 4 GiB free", ps.free_high, ps.total_high);
}

static const struct ktest_case highmem_cases[] = {
    KTEST_CASE(highmem_allocator_takes_it_all),
    KTEST_CASE(highmem_frame_reachable),
    KTEST_CASE(highmem_more_than_4g_in_use),
    KTEST_END,
};

static const struct ktest_suite highmem_suite = {
    .name = "highmem",
    .cases = highmem_cases,
    .init = highmem_init,
};
KTEST_SUITE(highmem_suite);
