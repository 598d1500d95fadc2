/* The frame allocator against the memory map the loader gave: every free
 * frame can be taken exactly once, nothing reserved is ever handed out,
 * runs are aligned to their size, and freeing merges everything back.
 * Each case gives back every frame it took (the "free frames" leak check
 * compares the count before and after the suite).  Runs at -m 16M, 128M
 * and 3G; a full drain at 3 GiB is 786k frames, so the per-frame work is
 * a bitmap lookup, and giving back walks the bitmap. */
#include "tests/ktest.h"
#include "mm/pmm.h"
#include "mm/pfn.h"
#include "mm/paging.h"
#include "kernel/bootinfo.h"
#include "kernel/base/layout.h"
#include <string.h>

#ifndef PMM_POISON
#define PMM_POISON 1                    /* same default as mm/pmm.c */
#endif

#define FRAMES_4G (1u << 20)
#define LOW_MEMORY_END 0x00100000u
#define POISON_BASE 0xDEADF4EEu         /* mm/pmm.c fills a freed frame f with this ^ f */
#define CHURN_LIVE 128
#define CHURN_STEPS 3000
#define RUNS_PER_ORDER 4

/* A full drain frees every frame; poisoned, each would cost a 4 KiB fill
 * and, taken again, a 4 KiB compare: about 40 s at 3 GiB under TCG.
 * Poisoning has its own case, so the bulk cases switch it off and then
 * back on with mm/paging's temporary mapping (what paging_init installs). */
static bool poison_paused;

static void poison_pause(void)
{
    pmm_set_frame_access(NULL, NULL);
    poison_paused = true;
}

static void poison_resume(void)
{
    if (poison_paused)
        pmm_set_frame_access(paging_temp_map, paging_temp_unmap);
    poison_paused = false;
}

/* One bit per frame below 4 GiB: the frames the running case holds. */
static uint32_t seen[FRAMES_4G / 32];

struct drain {
    uint32_t count;             /* frames pmm_alloc handed out */
    uint32_t twice;             /* ... that the case already held */
    uint32_t bad;               /* ... misaligned, below 1 MiB, or reserved */
    paddr_t first_twice, first_bad;
};

struct run {
    paddr_t base;
    unsigned order;
};

static uint32_t frame_no(paddr_t p) { return p >> PAGE_SHIFT; }
static paddr_t frame_addr(uint32_t f) { return (paddr_t)f << PAGE_SHIFT; }
static bool seen_get(uint32_t f) { return seen[f / 32] & (1u << (f % 32)); }
static void seen_set(uint32_t f) { seen[f / 32] |= 1u << (f % 32); }
static void seen_clear(uint32_t f) { seen[f / 32] &= ~(1u << (f % 32)); }

/* Takes frames until the allocator says PMM_NONE, recording each in seen[]
 * and counting the ones that break the contract (without leaving early:
 * everything must be given back).  An allocator that hands out frames
 * again and again is stopped after as many as 4 GiB can hold. */
static void drain_all(struct drain *d)
{
    memset(d, 0, sizeof(*d));
    memset(seen, 0, sizeof(seen));
    for (paddr_t p = pmm_alloc(); p != PMM_NONE && d->count < FRAMES_4G; p = pmm_alloc()) {
        d->count++;
        if ((p & (PAGE_SIZE - 1)) != 0 || p < LOW_MEMORY_END || pmm_is_reserved(p)) {
            if (d->bad++ == 0)
                d->first_bad = p;
            continue;           /* cannot be freed safely: left out */
        }
        if (seen_get(frame_no(p))) {
            if (d->twice++ == 0)
                d->first_twice = p;
            continue;
        }
        seen_set(frame_no(p));
    }
}

/* Frees every frame recorded in seen[], in address order. */
static uint32_t give_back_all(void)
{
    uint32_t n = 0;

    for (uint32_t w = 0; w < FRAMES_4G / 32; w++) {
        while (seen[w] != 0) {
            uint32_t f = w * 32 + (uint32_t)__builtin_ctz(seen[w]);
            seen[w] &= seen[w] - 1;
            pmm_free(frame_addr(f));
            n++;
        }
    }
    return n;
}

/* With everything taken, an allocation of this order must fail cleanly. */
static void expect_exhausted(struct ktest *t, unsigned order)
{
    paddr_t p = pmm_alloc_order(order);

    if (p != PMM_NONE) {
        ktest_fail_msg(t, __FILE__, __LINE__, "order %u allocation got %08llx with nothing free",
                       order, p);
        pmm_free_order(p, order);
    }
}

static void pmm_drain_takes_every_free_frame(struct ktest *t)
{
    uint32_t before = pmm_free_count();
    struct drain d;
    struct pmm_stats s;

    poison_pause();
    drain_all(&d);
    pmm_get_stats(&s);
    EXPECT_EQ(t, d.count, before);
    EXPECT_EQ(t, s.free, 0);
    EXPECT_EQ(t, pmm_free_count(), 0);
    expect_exhausted(t, 0);
    EXPECT_EQ(t, pmm_alloc(), PMM_NONE);
    expect_exhausted(t, 3);
    expect_exhausted(t, PMM_MAX_ORDER);
    EXPECT_EQ(t, give_back_all(), before - d.bad - d.twice);
    EXPECT_EQ(t, pmm_free_count(), before);
    ktest_log("drained and gave back %u frames (%u MiB)", d.count, d.count >> 8);
    poison_resume();
}

static void pmm_no_frame_handed_out_twice(struct ktest *t)
{
    uint32_t before = pmm_free_count();
    struct drain d;

    poison_pause();
    drain_all(&d);
    EXPECT_EQ(t, d.twice, 0);
    if (d.twice != 0)
        ktest_log("first frame handed out twice: %08llx", d.first_twice);
    /* Aligned, at or above 1 MiB, not reserved (below 4 GiB by its type). */
    EXPECT_EQ(t, d.bad, 0);
    if (d.bad != 0)
        ktest_log("first bad frame: %08llx", d.first_bad);
    give_back_all();
    EXPECT_EQ(t, pmm_free_count(), before);
    poison_resume();
}

/* Counts the frames of [start, end) the case holds, and those
 * pmm_is_reserved does not call reserved. */
static void check_kept_back(struct ktest *t, uint64_t start, uint64_t end, const char *what)
{
    uint32_t held = 0, unreserved = 0;

    for (uint64_t f = start >> PAGE_SHIFT; f < (end + PAGE_SIZE - 1) >> PAGE_SHIFT; f++) {
        held += seen_get((uint32_t)f);
        unreserved += !pmm_is_reserved(frame_addr((uint32_t)f));
    }
    if (held != 0 || unreserved != 0)
        ktest_fail_msg(t, __FILE__, __LINE__, "%s [%llx, %llx): %u frames handed out, %u not "
                       "reported reserved", what, start, end, held, unreserved);
}

static void pmm_reserved_frames_never_handed_out(struct ktest *t)
{
    const struct boot_info *bi = bootinfo();
    uint32_t before = pmm_free_count();
    paddr_t meta_start, meta_end;
    struct drain d;

    poison_pause();
    pmm_metadata_range(&meta_start, &meta_end);
    drain_all(&d);
    check_kept_back(t, 0, LOW_MEMORY_END, "below 1 MiB");
    check_kept_back(t, (uint32_t)__kernel_start - KERNEL_VBASE,
                    (uint32_t)__kernel_end - KERNEL_VBASE, "kernel image");
    check_kept_back(t, meta_start, meta_end, "pmm metadata");
    for (int i = 0; i < bi->reserved_count; i++)
        check_kept_back(t, bi->reserved[i].start, bi->reserved[i].end, bi->reserved[i].what);
    EXPECT_TRUE(t, pmm_is_reserved(0xFFFFF000u));   /* BIOS ROM alias: never RAM */
    give_back_all();
    EXPECT_EQ(t, pmm_free_count(), before);
    poison_resume();
}

/* Runs that came back misaligned, below 1 MiB or overlapping a held
 * run, since the case began (counted, not EXPECTed one by one, so that a
 * broken allocator does not flood the log). */
static uint32_t bad_runs;

/* Takes a run of 2^order frames and records its frames in seen[]. */
static paddr_t take_run(unsigned order)
{
    paddr_t p = pmm_alloc_order(order);
    uint32_t overlap = 0;

    if (p == PMM_NONE)
        return p;
    for (uint32_t f = frame_no(p); f < frame_no(p) + (1u << order); f++) {
        overlap += seen_get(f);
        seen_set(f);
    }
    if ((p % (PAGE_SIZE << order) != 0 || p < LOW_MEMORY_END || overlap != 0) &&
        bad_runs++ == 0)
        ktest_log("order %u run at %08llx: misaligned, below 1 MiB, or overlapping %u held "
                  "frames", order, p, overlap);
    return p;
}

static void give_run(paddr_t p, unsigned order)
{
    for (uint32_t f = frame_no(p); f < frame_no(p) + (1u << order); f++)
        seen_clear(f);
    pmm_free_order(p, order);
}

static void pmm_runs_are_aligned_and_distinct(struct ktest *t)
{
    static paddr_t runs[PMM_MAX_ORDER + 1][RUNS_PER_ORDER];
    uint32_t before = pmm_free_count();
    int got = 0;

    memset(seen, 0, sizeof(seen));
    bad_runs = 0;
    for (unsigned k = 1; k <= PMM_MAX_ORDER; k++)
        for (int i = 0; i < RUNS_PER_ORDER; i++)
            got += (runs[k][i] = take_run(k)) != PMM_NONE;
    EXPECT_GT(t, got, 0);
    EXPECT_EQ(t, bad_runs, 0);
    for (unsigned k = 1; k <= PMM_MAX_ORDER; k++)
        for (int i = 0; i < RUNS_PER_ORDER; i++)
            if (runs[k][i] != PMM_NONE)
                give_run(runs[k][i], k);
    EXPECT_EQ(t, pmm_free_count(), before);
    ktest_log("%d runs of orders 1-%d", got, PMM_MAX_ORDER);
}

/* How many runs of the largest order the allocator can give at once. */
static uint32_t count_largest_runs(void)
{
    static paddr_t runs[FRAMES_4G >> PMM_MAX_ORDER];
    uint32_t n = 0;

    while (n < sizeof(runs) / sizeof(runs[0]) &&
           (runs[n] = pmm_alloc_order(PMM_MAX_ORDER)) != PMM_NONE)
        n++;
    for (uint32_t i = 0; i < n; i++)
        pmm_free_order(runs[i], PMM_MAX_ORDER);
    return n;
}

static void pmm_freeing_merges_buddies_back(struct ktest *t)
{
    uint32_t before = pmm_free_count();
    struct drain d;

    poison_pause();
    uint32_t largest = count_largest_runs();
    /* Taken one by one, every large block is split down to single frames;
     * given back one by one, the buddies must merge into the same blocks. */
    drain_all(&d);
    give_back_all();
    EXPECT_EQ(t, pmm_free_count(), before);
    EXPECT_EQ(t, count_largest_runs(), largest);
    if (before >= (8u << 20) / PAGE_SIZE)
        EXPECT_GT(t, largest, 0);
    ktest_log("%u runs of %u KiB before and after", largest, (PAGE_SIZE << PMM_MAX_ORDER) / 1024);
    poison_resume();
}

static unsigned churn_order(void)
{
    uint32_t r = ktest_random();
    /* Mostly small runs, now and then a large one. */
    return (r & 7) != 0 ? (r >> 3) % 3 : (r >> 3) % (PMM_MAX_ORDER + 1);
}

/* Random allocations and frees of mixed orders, the free count checked
 * against the frames held after every step. */
static void pmm_random_churn_keeps_count(struct ktest *t)
{
    static struct run live[CHURN_LIVE];
    uint32_t before = pmm_free_count(), held = 0, wrong = 0;
    int n = 0;

    memset(seen, 0, sizeof(seen));
    bad_runs = 0;
    for (int step = 0; step < CHURN_STEPS; step++) {
        if (n < CHURN_LIVE && (n == 0 || ktest_random() % 3 != 0)) {
            unsigned k = churn_order();
            paddr_t p = take_run(k);
            if (p != PMM_NONE) {
                live[n++] = (struct run){ p, k };
                held += 1u << k;
            }
        } else {
            int i = (int)(ktest_random() % (uint32_t)n);
            give_run(live[i].base, live[i].order);
            held -= 1u << live[i].order;
            live[i] = live[--n];
        }
        wrong += pmm_free_count() != before - held;
    }
    EXPECT_EQ(t, wrong, 0);
    EXPECT_EQ(t, bad_runs, 0);
    while (n > 0) {
        n--;
        give_run(live[n].base, live[n].order);
    }
    EXPECT_EQ(t, pmm_free_count(), before);
    ktest_log("seed %u", ktest_seed());
}

/* Frames the memory map lists as available below the allocator's
 * physical limit (the map's entries do not overlap: the multiboot suite
 * checks that). */
static uint32_t map_ram_frames(uint64_t *clipped)
{
    const struct boot_info *bi = bootinfo();
    struct pmm_stats s;
    uint32_t n = 0;

    pmm_get_stats(&s);
    const uint64_t RAM_LIMIT = s.limit;

    *clipped = 0;
    for (int i = 0; i < bi->mmap_count; i++) {
        const struct boot_mem_region *r = &bi->mmap[i];
        uint64_t base = r->base, end = r->base + r->length;
        if (r->type != BOOT_MEM_AVAILABLE)
            continue;
        if (end > RAM_LIMIT) {
            *clipped += end - (base > RAM_LIMIT ? base : RAM_LIMIT);
            end = RAM_LIMIT;
        }
        if (base < end && (base + PAGE_SIZE - 1) / PAGE_SIZE < end / PAGE_SIZE)
            n += (uint32_t)(end / PAGE_SIZE - (base + PAGE_SIZE - 1) / PAGE_SIZE);
    }
    return n;
}

static bool map_is_ram(uint32_t f)
{
    const struct boot_info *bi = bootinfo();
    uint64_t a = (uint64_t)f << PAGE_SHIFT;

    for (int i = 0; i < bi->mmap_count; i++)
        if (bi->mmap[i].type == BOOT_MEM_AVAILABLE && bi->mmap[i].base <= a &&
            a + PAGE_SIZE <= bi->mmap[i].base + bi->mmap[i].length)
            return true;
    return false;
}

static void mark_range(uint64_t start, uint64_t end)
{
    for (uint64_t f = start >> PAGE_SHIFT; f < (end + PAGE_SIZE - 1) >> PAGE_SHIFT; f++)
        if (map_is_ram((uint32_t)f))
            seen_set((uint32_t)f);
}

/* RAM frames below 1 MiB, in the kernel image, the boot ranges and the
 * metadata: what pmm_init must have kept back. */
static uint32_t expected_reserved(void)
{
    const struct boot_info *bi = bootinfo();
    paddr_t meta_start, meta_end;
    uint32_t n = 0;

    memset(seen, 0, sizeof(seen));
    pmm_metadata_range(&meta_start, &meta_end);
    mark_range(0, LOW_MEMORY_END);
    mark_range((uint32_t)__kernel_start - KERNEL_VBASE, (uint32_t)__kernel_end - KERNEL_VBASE);
    mark_range(meta_start, meta_end);
    for (int i = 0; i < bi->reserved_count; i++)
        mark_range(bi->reserved[i].start, bi->reserved[i].end);
    for (uint32_t w = 0; w < FRAMES_4G / 32; w++)
        n += (uint32_t)__builtin_popcount(seen[w]);
    memset(seen, 0, sizeof(seen));
    return n;
}

static void pmm_stats_add_up(struct ktest *t)
{
    struct pmm_stats s, after;
    uint64_t clipped;

    pmm_get_stats(&s);
    uint32_t allocated = s.total - s.free - s.reserved;
    ktest_log("total %u frames, free %u (%u KiB), reserved %u, allocated %u", s.total, s.free,
              s.free * (PAGE_SIZE / 1024), s.reserved, allocated);
    EXPECT_EQ(t, s.total, map_ram_frames(&clipped));
    EXPECT_EQ(t, s.clipped_bytes, clipped);
    EXPECT_EQ(t, s.reserved, expected_reserved());
    EXPECT_LE(t, (uint64_t)s.free + s.reserved, s.total);
    EXPECT_EQ(t, s.free, pmm_free_count());

    /* total = free + reserved + allocated: an allocation moves one frame
     * from free to allocated and nothing else. */
    paddr_t p = pmm_alloc_order(2);
    ASSERT_NE(t, p, PMM_NONE);
    pmm_get_stats(&after);
    pmm_free_order(p, 2);
    EXPECT_EQ(t, after.total, s.total);
    EXPECT_EQ(t, after.reserved, s.reserved);
    EXPECT_EQ(t, after.free, s.free - 4);
    EXPECT_EQ(t, after.total - after.free - after.reserved, allocated + 4);
    EXPECT_EQ(t, pmm_free_count(), s.free);
}

/* Words of frame p that differ from want; the first one is logged. */
static uint32_t frame_mismatches(paddr_t p, uint32_t want)
{
    const uint32_t *w = paging_temp_map(p);
    uint32_t bad = 0;

    for (uint32_t i = 0; i < PAGE_SIZE / 4; i++)
        if (w[i] != want && bad++ == 0)
            ktest_log("frame %08llx offset %03x holds %08x, expected %08x", p, i * 4, w[i], want);
    paging_temp_unmap((void *)w);
    return bad;
}

static void pmm_freed_frame_holds_poison(struct ktest *t)
{
    if (!PMM_POISON)
        ktest_skip(t, "built with PMM_POISON=0");
    paddr_t p = pmm_alloc();
    ASSERT_NE(t, p, PMM_NONE);
    uint32_t *w = paging_temp_map(p);
    memset(w, 0x5A, PAGE_SIZE);
    paging_temp_unmap(w);

    /* Nothing happens in between, so the same frame comes straight back
     * (from the order-0 list, or re-split from the block it merged into),
     * and the allocation path has checked the pattern on the way. */
    pmm_free(p);
    EXPECT_EQ(t, frame_mismatches(p, POISON_BASE ^ frame_no(p)), 0);
    paddr_t again = pmm_alloc();
    EXPECT_EQ(t, again, p);
    if (again != PMM_NONE) {
        EXPECT_EQ(t, frame_mismatches(again, POISON_BASE ^ frame_no(again)), 0);
        pmm_free(again);
    }
}

static int pmm_suite_init(void)
{
    struct pmm_stats s;

    /* The cases count the buddy allocator's free frames: the page lists
     * (mm/pfn.c) give theirs back first, and nothing refills them while
     * the suite runs (the zero thread runs only when no thread is ready,
     * and these cases never wait). */
    pfn_flush();
    pmm_get_stats(&s);
    /* Nothing to test before pmm_init; and the cases' bitmap covers the
     * frames below 4 GiB only (RAM above 4 GiB: the highmem suite). */
    return s.total == 0 || s.total_high != 0;
}

static const struct ktest_case pmm_cases[] = {
    KTEST_CASE(pmm_stats_add_up),
    KTEST_CASE(pmm_drain_takes_every_free_frame),
    KTEST_CASE(pmm_no_frame_handed_out_twice),
    KTEST_CASE(pmm_reserved_frames_never_handed_out),
    KTEST_CASE(pmm_runs_are_aligned_and_distinct),
    KTEST_CASE(pmm_freeing_merges_buddies_back),
    KTEST_CASE(pmm_random_churn_keeps_count),
    KTEST_CASE(pmm_freed_frame_holds_poison),
    KTEST_END,
};

static const struct ktest_suite pmm_suite = {
    .name = "pmm",
    .cases = pmm_cases,
    .init = pmm_suite_init,
};
KTEST_SUITE(pmm_suite);
