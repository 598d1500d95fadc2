/* Issue 19, point 3: working sets and locked pages, kernel side (mm/vm_ws.h).
 *
 * - trimmer_skips_locked_frames: of 32 written pages, the 16 locked ones
 *   keep their present entries (same frame) through a trim without a
 *   second chance, the others become transition entries.
 * - lock_brings_pages_back: VirtualLock of trimmed pages (on the modified
 *   or standby list, or in the page file) makes them resident again with
 *   their contents.
 * - decommit_and_destroy_unlock: the system-wide locked-frame count drops
 *   by exactly the pages decommitted, and to where it began when the
 *   space is destroyed with pages still locked.
 * - failed_lock_unlocks_what_it_locked: an in-page error on the fifth of
 *   eight pages fails the lock with STATUS_IN_PAGE_ERROR and leaves none
 *   of them locked (the four resident ones were locked first).
 * - limits_bound_the_lock: the quota follows SetProcessWorkingSetSize,
 *   and the minimum cannot drop below the locked pages.
 * - trimmer_takes_from_spaces_over_their_maximum (the pager@16M boots;
 *   skips elsewhere): space B holds 512 pages under a maximum of 1024,
 *   space A, at the default maximum (345 pages), then writes RAM + 1 MiB:
 *   every page trimmed comes from A, B keeps all 512.
 *
 * The suite runs at 128 MiB with the rest, and again in the pager@16M
 * boots (harness). */
#include "tests/ktest.h"
#include "drivers/ata.h"
#include "mm/pagefile.h"
#include "mm/pager.h"
#include "mm/paging.h"
#include "mm/pfn.h"
#include "mm/vm.h"
#include "mm/vm_ws.h"
#include <winnt.h>
#include <ntstatus.h>

static struct vm_space *space_with(struct ktest *t, uint32_t pages, uint32_t *base)
{
    struct vm_space *as = vm_space_create();
    ASSERT_TRUE(t, as != NULL);
    uint32_t size = pages * PAGE_SIZE;
    *base = 0;
    ASSERT_EQ(t, vm_allocate(as, base, &size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
              STATUS_SUCCESS);
    /* Room to lock them all: the default minimum allows 42 pages. */
    ASSERT_EQ(t, vm_ws_set_limits(as, (pages + 64) * PAGE_SIZE, (pages + 128) * PAGE_SIZE, 0),
              STATUS_SUCCESS);
    return as;
}

static void fill(struct vm_space *as, uint32_t base, uint32_t pages, uint32_t seed)
{
    vm_switch(as);
    for (uint32_t i = 0; i < pages; i++)
        *(volatile uint32_t *)(base + i * PAGE_SIZE) = seed ^ i;
    vm_switch(vm_kernel_space());
}

static uint32_t bad_pages(struct vm_space *as, uint32_t base, uint32_t pages, uint32_t seed)
{
    uint32_t bad = 0;
    vm_switch(as);
    for (uint32_t i = 0; i < pages; i++)
        bad += *(volatile uint32_t *)(base + i * PAGE_SIZE) != (seed ^ i);
    vm_switch(vm_kernel_space());
    return bad;
}

/* The entries of [base, base + pages) of as, read through its tables. */
static void entries(struct vm_space *as, uint32_t base, uint32_t pages, pte_t *out)
{
    vm_switch(as);
    for (uint32_t i = 0; i < pages; i++)
        out[i] = paging_query(base + i * PAGE_SIZE);
    vm_switch(vm_kernel_space());
}

static NTSTATUS lock(struct vm_space *as, uint32_t addr, uint32_t pages)
{
    uint32_t size = pages * PAGE_SIZE;
    return vm_lock_pages(as, &addr, &size);
}

static void done(struct ktest *t, struct vm_space *as, uint32_t base)
{
    uint32_t size = 0;
    vm_switch(vm_kernel_space());
    EXPECT_EQ(t, vm_free(as, &base, &size, MEM_RELEASE), STATUS_SUCCESS);
    vm_space_destroy(as);
}

static void trimmer_skips_locked_frames(struct ktest *t)
{
    uint32_t base, seed = ktest_seed(), locked0 = pfn_locked_frames();
    pte_t before[32], after[32];
    struct vm_space *as = space_with(t, 32, &base);
    fill(as, base, 32, seed);
    ASSERT_EQ(t, lock(as, base, 16), STATUS_SUCCESS);
    EXPECT_EQ(t, pfn_locked_frames() - locked0, 16);
    entries(as, base, 32, before);
    EXPECT_GE(t, pager_trim_all(false), 16);
    entries(as, base, 32, after);
    uint32_t kept = 0, left = 0;
    for (int i = 0; i < 32; i++) {
        if (i < 16)
            kept += (after[i] & PTE_P) && PTE_ADDR(after[i]) == PTE_ADDR(before[i]);
        else
            left += !(after[i] & PTE_P);
    }
    EXPECT_EQ(t, kept, 16);
    EXPECT_EQ(t, left, 16);
    struct vm_ws_info ws;
    vm_ws_get(as, &ws);
    EXPECT_EQ(t, ws.resident, 16);
    EXPECT_EQ(t, ws.locked, 16);
    EXPECT_EQ(t, ws.peak_resident, 32);
    EXPECT_EQ(t, bad_pages(as, base, 32, seed), 0);
    EXPECT_EQ(t, pfn_validate(), 0);
    done(t, as, base);
    EXPECT_EQ(t, pfn_locked_frames(), locked0);
}

static void lock_brings_pages_back(struct ktest *t)
{
    uint32_t base, seed = ktest_seed();
    struct pagefile_stats pf;
    pagefile_get_stats(&pf);
    bool to_pagefile = pf.state == PAGEFILE_READY;
    struct vm_space *as = space_with(t, 8, &base);
    fill(as, base, 8, seed);
    pager_trim_all(to_pagefile);
    struct vm_ws_info ws0, ws1;
    vm_ws_get(as, &ws0);
    EXPECT_EQ(t, ws0.resident, 0);
    ASSERT_EQ(t, lock(as, base, 8), STATUS_SUCCESS);
    vm_ws_get(as, &ws1);
    EXPECT_EQ(t, ws1.resident, 8);
    EXPECT_EQ(t, ws1.locked, 8);
    EXPECT_EQ(t, ws1.faults - ws0.faults, 8);          /* each came back through the pager */
    pte_t e[8];
    entries(as, base, 8, e);
    uint32_t present = 0;
    for (int i = 0; i < 8; i++)
        present += (e[i] & PTE_P) != 0;
    EXPECT_EQ(t, present, 8);
    EXPECT_EQ(t, bad_pages(as, base, 8, seed), 0);
    vm_ws_get(as, &ws0);
    EXPECT_EQ(t, ws0.faults, ws1.faults);               /* reading them took no fault */
    done(t, as, base);
}

static void decommit_and_destroy_unlock(struct ktest *t)
{
    uint32_t base, locked0 = pfn_locked_frames();
    struct vm_space *as = space_with(t, 8, &base);
    ASSERT_EQ(t, lock(as, base, 8), STATUS_SUCCESS);
    EXPECT_EQ(t, pfn_locked_frames() - locked0, 8);
    uint32_t at = base, size = 4 * PAGE_SIZE;
    ASSERT_EQ(t, vm_free(as, &at, &size, MEM_DECOMMIT), STATUS_SUCCESS);
    EXPECT_EQ(t, pfn_locked_frames() - locked0, 4);
    struct vm_ws_info ws;
    vm_ws_get(as, &ws);
    EXPECT_EQ(t, ws.locked, 4);
    vm_space_destroy(as);                               /* four still locked */
    EXPECT_EQ(t, pfn_locked_frames(), locked0);
}

static void failed_lock_unlocks_what_it_locked(struct ktest *t)
{
    struct pagefile_stats pf;
    pagefile_get_stats(&pf);
    if (pf.state != PAGEFILE_READY)
        ktest_skip(t, "no page file");
    uint32_t base, seed = ktest_seed(), locked0 = pfn_locked_frames();
    struct vm_space *as = space_with(t, 8, &base);
    /* The last four written and paged out, then the first four written:
     * demand-zero faults, so no hard fault's read cluster brings the
     * last four back early. */
    vm_switch(as);
    for (uint32_t i = 4; i < 8; i++)
        *(volatile uint32_t *)(base + i * PAGE_SIZE) = seed ^ i;
    vm_switch(vm_kernel_space());
    pager_trim_all(true);
    fill(as, base, 4, seed);
    ata_fail_next_reads(1);
    EXPECT_EQ(t, lock(as, base, 8), STATUS_IN_PAGE_ERROR);
    EXPECT_EQ(t, pfn_locked_frames(), locked0);
    /* Unlock now finds nothing locked (and trims the resident four). */
    uint32_t at = base, size = 8 * PAGE_SIZE;
    EXPECT_EQ(t, vm_unlock_pages(as, &at, &size), STATUS_NOT_LOCKED);
    struct vm_ws_info ws;
    vm_ws_get(as, &ws);
    EXPECT_EQ(t, ws.resident, 0);
    EXPECT_EQ(t, bad_pages(as, base, 8, seed), 0);      /* and everything reads back */
    done(t, as, base);
}

static void limits_bound_the_lock(struct ktest *t)
{
    uint32_t base;
    struct vm_space *as = space_with(t, 64, &base);
    ASSERT_EQ(t, vm_ws_set_limits(as, 50 * PAGE_SIZE, 345 * PAGE_SIZE, 0), STATUS_SUCCESS);
    EXPECT_EQ(t, lock(as, base, 43), STATUS_WORKING_SET_QUOTA);
    ASSERT_EQ(t, lock(as, base, 42), STATUS_SUCCESS);
    EXPECT_EQ(t, vm_ws_set_limits(as, 49 * PAGE_SIZE, 345 * PAGE_SIZE, 0), STATUS_BAD_WORKING_SET_LIMIT);
    ASSERT_EQ(t, vm_ws_set_limits(as, 72 * PAGE_SIZE, 345 * PAGE_SIZE, 0), STATUS_SUCCESS);
    EXPECT_EQ(t, lock(as, base + 42 * PAGE_SIZE, 22), STATUS_SUCCESS);
    EXPECT_EQ(t, lock(as, base, 64), STATUS_SUCCESS);   /* all locked already: no more quota */
    struct vm_ws_info ws;
    vm_ws_get(as, &ws);
    EXPECT_EQ(t, ws.locked, 64);
    EXPECT_EQ(t, ws.min, 72);
    EXPECT_EQ(t, ws.max, 345);
    done(t, as, base);
}

static void trimmer_takes_from_spaces_over_their_maximum(struct ktest *t)
{
    struct pagefile_stats pf;
    struct vm_stats s;
    pagefile_get_stats(&pf);
    vm_get_stats(&s);
    if (pf.state != PAGEFILE_READY)
        ktest_skip(t, "no page file");
    uint32_t ram = s.commit_limit - s.commit_limit_pagefile;
    if (ram > 48u * 256u)
        ktest_skip(t, "a machine of more than ~56 MiB (the pager@16M boots run this)");
    uint32_t restore = s.commit_limit_pagefile;
    ASSERT_EQ(t, vm_set_pagefile_commit(pager_commit_slots()), STATUS_SUCCESS);
    uint32_t b_base, a_base, size, seed = ktest_seed();
    struct vm_space *b = space_with(t, 512, &b_base);
    ASSERT_EQ(t, vm_ws_set_limits(b, 64 * PAGE_SIZE, 1024 * PAGE_SIZE, 0), STATUS_SUCCESS);
    fill(b, b_base, 512, seed);
    struct vm_space *a = vm_space_create();
    ASSERT_TRUE(t, a != NULL);
    size = (ram + 256) * PAGE_SIZE;     /* with B's 512: beyond RAM's frames */
    a_base = 0;
    ASSERT_EQ(t, vm_allocate(a, &a_base, &size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
              STATUS_SUCCESS);
    struct pager_stats p0, p1;
    pager_get_stats(&p0);
    fill(a, a_base, ram + 256, seed + 1);
    pager_get_stats(&p1);
    struct vm_ws_info wa, wb;
    vm_ws_get(a, &wa);
    vm_ws_get(b, &wb);
    ktest_log("%u pages trimmed; A resident %u (max %u), B resident %u (max %u)",
              p1.trimmed - p0.trimmed, wa.resident, wa.max, wb.resident, wb.max);
    EXPECT_GE(t, p1.trimmed - p0.trimmed, 256);         /* the pressure was real */
    EXPECT_EQ(t, wb.resident, 512);                     /* all of it from A */
    EXPECT_EQ(t, bad_pages(b, b_base, 512, seed), 0);
    done(t, a, a_base);
    done(t, b, b_base);
    EXPECT_EQ(t, vm_set_pagefile_commit(restore), STATUS_SUCCESS);
}

static const struct ktest_case ws_cases[] = {
    KTEST_CASE(trimmer_skips_locked_frames),
    KTEST_CASE(lock_brings_pages_back),
    KTEST_CASE(decommit_and_destroy_unlock),
    KTEST_CASE(failed_lock_unlocks_what_it_locked),
    KTEST_CASE(limits_bound_the_lock),
    KTEST_CASE(trimmer_takes_from_spaces_over_their_maximum),
    KTEST_END,
};

static const struct ktest_suite ws_suite = { .name = "ws", .cases = ws_cases };
KTEST_SUITE(ws_suite);
