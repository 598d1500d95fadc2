/* Issue 19, slice 3: pages leave memory and come back (mm/pager.h).
 *
 * Run at -m 16M with the default 64 MiB page file (the harness's
 * "pager@16M" boots, both page-table formats); on a bigger machine the
 * cases skip, since committing beyond RAM there would take too long.
 *
 * - more_than_ram_round_trip: commits RAM's part of the commit limit plus
 *   8 MiB in one address space, writes a per-page pattern, reads it back; the counters show page-outs and hard faults; a decommit of
 *   paged-out pages frees their slots; the release gives every frame and
 *   slot back (the leak counters and the slot count).
 * - soft_fault_from_standby: a trimmed, written page comes back off the
 *   standby list without a disk read; a hard fault reads the following
 *   pages with its own (one read), which then come back as soft faults.
 * - in_page_error_hits_only_the_reader: an injected read error on a hard
 *   fault gives STATUS_IN_PAGE_ERROR to the access (the page stays in its
 *   slot and reads back right afterwards); another space is untouched. */
#include "tests/ktest.h"
#include "drivers/ata.h"
#include "kernel/usercopy.h"
#include "mm/pagefile.h"
#include "kernel/mpw.h"
#include "mm/pager.h"
#include "mm/pfn.h"
#include "mm/vm.h"
#include <winnt.h>
#include <ntstatus.h>

#define SMALL_MACHINE_PAGES (48u * 256u)    /* RAM's commit part at most 48 MiB */
#define BEYOND_RAM_PAGES 1024u              /* 4 MiB */

static uint32_t pattern(uint32_t page, uint32_t word, uint32_t seed)
{
    return (page * 0x9E3779B9u) ^ (word * 0x85EBCA6Bu) ^ seed;
}

/* The page file on, for commits beyond RAM; returns what to restore. */
static uint32_t need_pager(struct ktest *t)
{
    struct pagefile_stats pf;
    struct vm_stats s;
    pagefile_get_stats(&pf);
    if (pf.state != PAGEFILE_READY)
        ktest_skip(t, "no page file");
    vm_get_stats(&s);
    if (s.commit_limit - s.commit_limit_pagefile > SMALL_MACHINE_PAGES)
        ktest_skip(t, "a machine of more than ~56 MiB (the pager@16M boots run this)");
    ASSERT_EQ(t, vm_set_pagefile_commit(pager_commit_slots()), STATUS_SUCCESS);
    return s.commit_limit_pagefile;
}

static struct vm_space *space_with(struct ktest *t, uint32_t pages, uint32_t *base)
{
    struct vm_space *as = vm_space_create();
    ASSERT_TRUE(t, as != NULL);
    uint32_t size = pages * PAGE_SIZE;
    *base = 0;
    ASSERT_EQ(t, vm_allocate(as, base, &size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
              STATUS_SUCCESS);
    return as;
}

static void space_done(struct ktest *t, struct vm_space *as, uint32_t base)
{
    uint32_t size = 0;
    vm_switch(vm_kernel_space());
    EXPECT_EQ(t, vm_free(as, &base, &size, MEM_RELEASE), STATUS_SUCCESS);
    vm_space_destroy(as);
}

/* Every 8th page whole, the others at three words. */
static void write_pages(uint32_t base, uint32_t pages, uint32_t seed)
{
    for (uint32_t i = 0; i < pages; i++) {
        volatile uint32_t *p = (volatile uint32_t *)(base + i * PAGE_SIZE);
        if (i % 8 == 0) {
            for (uint32_t w = 0; w < PAGE_SIZE / 4; w++)
                p[w] = pattern(i, w, seed);
        } else {
            p[0] = pattern(i, 0, seed);
            p[511] = pattern(i, 511, seed);
            p[1023] = pattern(i, 1023, seed);
        }
    }
}

static uint32_t bad_pages(uint32_t base, uint32_t from, uint32_t pages, uint32_t seed)
{
    uint32_t bad = 0;
    for (uint32_t i = from; i < pages; i++) {
        volatile uint32_t *p = (volatile uint32_t *)(base + i * PAGE_SIZE);
        uint32_t wrong = 0;
        if (i % 8 == 0) {
            for (uint32_t w = 0; w < PAGE_SIZE / 4; w++)
                wrong += p[w] != pattern(i, w, seed);
        } else {
            wrong = (p[0] != pattern(i, 0, seed)) + (p[511] != pattern(i, 511, seed)) +
                    (p[1023] != pattern(i, 1023, seed)) + (p[1] != 0);
        }
        bad += wrong != 0;
    }
    return bad;
}

static void more_than_ram_round_trip(struct ktest *t)
{
    uint32_t restore = need_pager(t);
    struct vm_stats s0;
    struct pager_stats p0, p1;
    struct pagefile_stats f0, f1, f2;
    struct mpw_stats w0, w1;
    vm_get_stats(&s0);
    mpw_get_stats(&w0);
    pager_get_stats(&p0);
    pagefile_get_stats(&f0);
    uint32_t ram = s0.commit_limit - s0.commit_limit_pagefile;
    uint32_t pages = ram + BEYOND_RAM_PAGES, base, seed = ktest_seed();

    struct vm_space *as = space_with(t, pages, &base);
    vm_switch(as);
    write_pages(base, pages, seed);
    uint32_t bad = bad_pages(base, 0, pages, seed);
    pager_get_stats(&p1);
    mpw_get_stats(&w1);
    EXPECT_EQ(t, bad, 0);
    EXPECT_GE(t, p1.written - p0.written, BEYOND_RAM_PAGES);  /* at least the excess left */
    /* The writer thread did (some of) it, in clusters of slots. */
    EXPECT_TRUE(t, w1.running);
    EXPECT_GT(t, w1.pages, w0.pages);
    EXPECT_GT(t, (p1.written - p0.written) - (p1.sync_written - p0.sync_written), 0);
    EXPECT_LT(t, p1.write_batches - p0.write_batches, p1.written - p0.written);
    /* ... and came back: read in clusters of up to PAGER_READ_CLUSTER pages. */
    pagefile_get_stats(&f1);
    EXPECT_GE(t, f1.pages_read - f0.pages_read, BEYOND_RAM_PAGES);
    EXPECT_GT(t, p1.hard_faults - p0.hard_faults, 0);
    EXPECT_GE(t, (p1.hard_faults - p0.hard_faults) * PAGER_READ_CLUSTER, f1.pages_read - f0.pages_read);
    EXPECT_EQ(t, p1.in_page_errors, p0.in_page_errors);
    EXPECT_EQ(t, p1.no_frame, p0.no_frame);
    ktest_log("%u pages (RAM part %u): %u trimmed, %u aged, %u written in %u batches (%u by "
              "faults), %u repurposed, %u soft faults, %u hard faults; writer woken %u times",
              pages, ram, p1.trimmed - p0.trimmed, p1.aged - p0.aged, p1.written - p0.written,
              p1.write_batches - p0.write_batches, p1.sync_written - p0.sync_written,
              p1.repurposed - p0.repurposed, p1.soft_faults - p0.soft_faults,
              p1.hard_faults - p0.hard_faults, w1.wakeups - w0.wakeups);

    /* Everything out, then the first half decommitted: its slots go back. */
    pager_trim_all(true);
    pagefile_get_stats(&f1);
    EXPECT_GE(t, f1.in_use - f0.in_use, pages);
    uint32_t half = pages / 2, hbase = base, hsize = half * PAGE_SIZE;
    EXPECT_EQ(t, vm_free(as, &hbase, &hsize, MEM_DECOMMIT), STATUS_SUCCESS);
    pagefile_get_stats(&f2);
    EXPECT_EQ(t, f1.in_use - f2.in_use, half);
    EXPECT_EQ(t, bad_pages(base, half, pages, seed), 0);
    EXPECT_EQ(t, pfn_validate(), 0);

    space_done(t, as, base);
    pagefile_get_stats(&f2);
    EXPECT_EQ(t, f2.in_use, f0.in_use);
    EXPECT_EQ(t, pagefile_validate(), 0);
    EXPECT_EQ(t, pfn_validate(), 0);
    EXPECT_EQ(t, vm_set_pagefile_commit(restore), STATUS_SUCCESS);
}

static void soft_fault_from_standby(struct ktest *t)
{
    uint32_t restore = need_pager(t);
    uint32_t base, seed = ktest_seed();
    struct pager_stats p0, p1;
    struct pagefile_stats f0, f1;
    struct vm_space *as = space_with(t, 16, &base);
    vm_switch(as);
    write_pages(base, 16, seed);
    vm_switch(vm_kernel_space());
    /* Out to standby: written, frames kept. */
    EXPECT_GE(t, pager_trim_all(false), 16);
    pager_get_stats(&p0);
    pagefile_get_stats(&f0);
    vm_switch(as);
    EXPECT_EQ(t, bad_pages(base, 0, 8, seed), 0);      /* eight soft faults, no read */
    pagefile_get_stats(&f1);
    pager_get_stats(&p1);
    EXPECT_EQ(t, f1.pages_read, f0.pages_read);
    EXPECT_EQ(t, p1.soft_faults - p0.soft_faults, 8);
    EXPECT_EQ(t, p1.hard_faults, p0.hard_faults);
    EXPECT_EQ(t, f0.in_use - f1.in_use, 8);            /* back in memory: their slots freed */
    /* All the way out: a fault reads the page back. */
    vm_switch(vm_kernel_space());
    pager_trim_all(true);
    pager_get_stats(&p0);
    pagefile_get_stats(&f0);
    vm_switch(as);
    EXPECT_EQ(t, bad_pages(base, 8, 9, seed), 0);      /* one hard fault */
    pagefile_get_stats(&f1);
    pager_get_stats(&p1);
    EXPECT_EQ(t, f1.read_ios - f0.read_ios, 1);
    EXPECT_EQ(t, p1.hard_faults - p0.hard_faults, 1);
    /* The pages after it in the following slots came with it, to standby:
     * the next one is a soft fault, no read. */
    uint32_t ahead = f1.pages_read - f0.pages_read - 1;
    EXPECT_LT(t, ahead, PAGER_READ_CLUSTER);
    EXPECT_EQ(t, p1.read_ahead - p0.read_ahead, ahead);
    if (ahead > 0) {
        EXPECT_EQ(t, bad_pages(base, 9, 10, seed), 0);
        pager_get_stats(&p0);
        pagefile_get_stats(&f0);
        EXPECT_EQ(t, p0.soft_faults - p1.soft_faults, 1);
        EXPECT_EQ(t, f0.pages_read, f1.pages_read);
    }
    space_done(t, as, base);
    EXPECT_EQ(t, vm_set_pagefile_commit(restore), STATUS_SUCCESS);
}

static void in_page_error_hits_only_the_reader(struct ktest *t)
{
    uint32_t restore = need_pager(t);
    uint32_t a_base, b_base, seed = ktest_seed(), v = 0;
    struct pager_stats p0, p1;
    struct vm_space *a = space_with(t, 8, &a_base), *b = space_with(t, 8, &b_base);
    vm_switch(a);
    write_pages(a_base, 8, seed);
    vm_switch(b);
    write_pages(b_base, 8, seed + 1);
    vm_switch(vm_kernel_space());
    pager_trim_all(true);
    pager_get_stats(&p0);

    vm_switch(a);
    ata_fail_next_reads(1);
    EXPECT_EQ(t, copy_from_user(&v, (const void *)(a_base + 4 * PAGE_SIZE), 4), STATUS_IN_PAGE_ERROR);
    EXPECT_EQ(t, vm_last_exception()->code, STATUS_IN_PAGE_ERROR);
    pager_get_stats(&p1);
    EXPECT_EQ(t, p1.in_page_errors - p0.in_page_errors, 1);
    /* The page is still in its slot: the next read brings it back. */
    EXPECT_EQ(t, copy_from_user(&v, (const void *)(a_base + 4 * PAGE_SIZE), 4), STATUS_SUCCESS);
    EXPECT_EQ(t, v, pattern(4, 0, seed));
    EXPECT_EQ(t, bad_pages(a_base, 0, 8, seed), 0);
    vm_switch(b);
    EXPECT_EQ(t, bad_pages(b_base, 0, 8, seed + 1), 0);
    space_done(t, a, a_base);
    space_done(t, b, b_base);
    EXPECT_EQ(t, vm_set_pagefile_commit(restore), STATUS_SUCCESS);
}

/* Issue 19 point 5: a page file that fills up behind the charge's back
 * (here: every free slot taken away) leaves pages beyond RAM without a
 * place to go.  The commit still succeeds (the limit counts the slots);
 * a touch that finds no frame fails with STATUS_NO_MEMORY (the exception
 * a ring-3 thread would get) -- the access, not the kernel, which keeps
 * its last PAGER_CRITICAL frames -- and once the slots are
 * back every page can be touched and reads what was written. */
#define HELD_SLOTS_MAX (64u * 256u)         /* the harness's 64 MiB page file */
static uint32_t held_slots[HELD_SLOTS_MAX];

static void full_pagefile_fails_the_access_not_the_kernel(struct ktest *t)
{
    uint32_t restore = need_pager(t), held = 0, base, ok_pages = 0;
    struct vm_stats s0;
    struct pager_stats p0, p1;
    NTSTATUS failed = STATUS_SUCCESS;
    vm_get_stats(&s0);
    uint32_t pages = (s0.commit_limit - s0.commit_limit_pagefile) + 512;
    struct vm_space *as = space_with(t, pages, &base);  /* committed before the slots go */
    while (held < HELD_SLOTS_MAX && (held_slots[held] = pagefile_alloc_slot()) != PAGEFILE_NO_SLOT)
        held++;
    EXPECT_EQ(t, pagefile_alloc_slot(), PAGEFILE_NO_SLOT);
    pager_get_stats(&p0);
    vm_switch(as);
    for (uint32_t i = 0; i < pages && NT_SUCCESS(failed); i++) {
        failed = put_user_u32((void *)(base + i * PAGE_SIZE), i ^ 0xA5A5A5A5u);
        ok_pages += NT_SUCCESS(failed);
    }
    pager_get_stats(&p1);
    EXPECT_EQ(t, failed, STATUS_ACCESS_VIOLATION);      /* what a user copy reports for a fault */
    EXPECT_EQ(t, vm_last_exception()->code, STATUS_NO_MEMORY);    /* and why it faulted */
    EXPECT_LT(t, ok_pages, pages);
    EXPECT_GT(t, p1.no_frame - p0.no_frame, 0);
    EXPECT_GT(t, p1.write_failures - p0.write_failures, 0);
    ktest_log("%u of %u pages touched before the full page file stopped them", ok_pages, pages);
    vm_switch(vm_kernel_space());
    for (uint32_t i = 0; i < held; i++)
        pagefile_free_slot(held_slots[i]);
    vm_switch(as);
    uint32_t v, bad = 0;
    for (uint32_t i = ok_pages; i < pages; i++)
        EXPECT_EQ(t, put_user_u32((void *)(base + i * PAGE_SIZE), i ^ 0xA5A5A5A5u), STATUS_SUCCESS);
    for (uint32_t i = 0; i < pages; i++)
        bad += get_user_u32((const void *)(base + i * PAGE_SIZE), &v) != STATUS_SUCCESS ||
               v != (i ^ 0xA5A5A5A5u);
    EXPECT_EQ(t, bad, 0);
    space_done(t, as, base);
    EXPECT_EQ(t, pagefile_validate(), 0);
    EXPECT_EQ(t, pfn_validate(), 0);
    EXPECT_EQ(t, vm_set_pagefile_commit(restore), STATUS_SUCCESS);
}

static const struct ktest_case pager_cases[] = {
    KTEST_CASE(more_than_ram_round_trip),
    KTEST_CASE(soft_fault_from_standby),
    KTEST_CASE(in_page_error_hits_only_the_reader),
    KTEST_CASE(full_pagefile_fails_the_access_not_the_kernel),
    KTEST_END,
};

static const struct ktest_suite pager_suite = { .name = "pager", .cases = pager_cases };
KTEST_SUITE(pager_suite);
