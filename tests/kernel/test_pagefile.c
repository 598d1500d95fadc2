/* Issue 19, slices 1 and 2: the disk (drivers/ata.c) writes and reads
 * back sectors, refuses requests beyond the drive without sending them,
 * and reports an injected read error; the page file's slot allocator
 * hands out every slot once, next-fit, and moves pages to and from its
 * slots; and the commit limit counts the page file's slots once they are
 * given to it: commit beyond RAM succeeds then, beyond RAM + page file
 * fails with STATUS_COMMITMENT_LIMIT and changes nothing.
 *
 * The harness boots this suite with a 64 MiB image (the default) and
 * with one below the page file's minimum ("pagefile-too-small"): the
 * cases that need a page file skip there, and pagefile_state_matches_disk
 * checks the refusal. */
#include "tests/ktest.h"
#include "drivers/ata.h"
#include "mm/pagefile.h"
#include "mm/pager.h"
#include "mm/pfn.h"
#include "kernel/mpw.h"
#include "mm/pmm.h"
#include "mm/paging.h"
#include "mm/vm.h"
#include <string.h>
#include <winnt.h>

#define SECTORS ATA_MAX_SECTORS
static uint8_t saved[SECTORS * ATA_SECTOR_SIZE];
static uint8_t pattern[SECTORS * ATA_SECTOR_SIZE];
static uint8_t readback[(SECTORS + 1) * ATA_SECTOR_SIZE];   /* a sector more: an overrun shows */

static void need_disk(struct ktest *t, struct ata_info *d)
{
    ata_get_info(d);
    if (!d->present)
        ktest_skip(t, "no disk on the primary IDE channel");
}

static void need_pagefile(struct ktest *t, struct pagefile_stats *s)
{
    pagefile_get_stats(s);
    if (s->state != PAGEFILE_READY)
        ktest_skip(t, "no page file (no disk, or one below the minimum)");
}

/* Bytes that differ for every sector and every boot of the test. */
static void fill_pattern(uint32_t lba, uint32_t seed)
{
    for (uint32_t i = 0; i < sizeof(pattern); i++)
        pattern[i] = (uint8_t)((lba + i / ATA_SECTOR_SIZE) * 7 + i * 13 + seed);
}

/* The last 8 sectors and the first 3: a whole-page transfer, an odd
 * count, both ends of the drive; their contents are put back. */
static void disk_writes_and_reads_back(struct ktest *t)
{
    struct ata_info d0, d1;
    need_disk(t, &d0);
    const uint32_t lbas[] = { d0.sectors - SECTORS, 0 };
    const uint32_t counts[] = { SECTORS, 3 };

    for (int k = 0; k < 2; k++) {
        uint32_t bytes = counts[k] * ATA_SECTOR_SIZE;
        ASSERT_EQ(t, ata_read(lbas[k], counts[k], saved), STATUS_SUCCESS);
        fill_pattern(lbas[k], ktest_seed());
        ASSERT_EQ(t, ata_write(lbas[k], counts[k], pattern), STATUS_SUCCESS);
        memset(readback, 0xEE, sizeof(readback));
        ASSERT_EQ(t, ata_read(lbas[k], counts[k], readback), STATUS_SUCCESS);
        EXPECT_EQ(t, memcmp(readback, pattern, bytes), 0);
        EXPECT_EQ(t, readback[bytes], 0xEE);             /* not a byte more */
        ASSERT_EQ(t, ata_write(lbas[k], counts[k], saved), STATUS_SUCCESS);
        ASSERT_EQ(t, ata_read(lbas[k], counts[k], readback), STATUS_SUCCESS);
        EXPECT_EQ(t, memcmp(readback, saved, bytes), 0);
    }
    ata_get_info(&d1);
    EXPECT_EQ(t, d1.reads - d0.reads, 3 * (SECTORS + 3));     /* save, check, check the restore */
    EXPECT_EQ(t, d1.writes - d0.writes, 2 * (SECTORS + 3));
    EXPECT_EQ(t, d1.errors, d0.errors);
}

/* Bad requests are refused before anything reaches the drive. */
static void disk_refuses_bad_requests(struct ktest *t)
{
    struct ata_info d0, d1;
    need_disk(t, &d0);

    EXPECT_EQ(t, ata_read(0, 0, readback), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(t, ata_read(0, SECTORS + 1, readback), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(t, ata_read(d0.sectors, 1, readback), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(t, ata_write(d0.sectors - 1, 2, pattern), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(t, ata_write(0xFFFFFFFFu, 1, pattern), STATUS_INVALID_PARAMETER);
    ata_get_info(&d1);
    EXPECT_EQ(t, d1.reads, d0.reads);
    EXPECT_EQ(t, d1.writes, d0.writes);
    EXPECT_EQ(t, d1.errors, d0.errors);
}

/* The test build's injection: one read fails, the next one works. */
static void disk_injected_read_error(struct ktest *t)
{
    struct ata_info d0, d1;
    need_disk(t, &d0);

    ata_fail_next_reads(1);
    EXPECT_EQ(t, ata_read(0, 1, readback), STATUS_IO_DEVICE_ERROR);
    EXPECT_EQ(t, ata_read(0, 1, readback), STATUS_SUCCESS);
    ata_get_info(&d1);
    EXPECT_EQ(t, d1.errors - d0.errors, 1);
    EXPECT_EQ(t, d1.reads - d0.reads, 1);
}

/* READY with min(disk / 8, maximum) slots for a big enough disk; a
 * smaller one is refused (no slot to be had); none without a disk. */
static void pagefile_state_matches_disk(struct ktest *t)
{
    struct ata_info d;
    struct pagefile_stats s;

    ata_get_info(&d);
    pagefile_get_stats(&s);
    uint32_t slots = d.sectors / PAGEFILE_SLOT_SECTORS;
    if (!d.present) {
        EXPECT_EQ(t, s.state, PAGEFILE_NONE);
    } else if (slots < PAGEFILE_MIN_SLOTS) {
        EXPECT_EQ(t, s.state, PAGEFILE_TOO_SMALL);
        ktest_log("disk of %u KiB refused (minimum %u KiB)", d.sectors / 2, PAGEFILE_MIN_SLOTS * 4);
    } else {
        EXPECT_EQ(t, s.state, PAGEFILE_READY);
        EXPECT_EQ(t, s.slots, slots < PAGEFILE_MAX_SLOTS ? slots : PAGEFILE_MAX_SLOTS);
    }
    if (s.state != PAGEFILE_READY) {
        struct vm_stats vs;
        vm_get_stats(&vs);
        EXPECT_EQ(t, s.slots, 0);
        EXPECT_EQ(t, pagefile_alloc_slot(), PAGEFILE_NO_SLOT);
        EXPECT_EQ(t, vs.commit_limit_pagefile, 0);      /* no page file: RAM alone */
    }
    EXPECT_EQ(t, pagefile_validate(), 0);
}

/* Every slot once, then none; next-fit gives a freed slot back only
 * after the ones beyond it; everything freed leaves the bitmap empty. */
static void pagefile_slots_each_once(struct ktest *t)
{
    struct pagefile_stats s0, s1;
    need_pagefile(t, &s0);
    ASSERT_EQ(t, s0.in_use, 0);

    uint32_t sum = 0;
    for (uint32_t i = 0; i < s0.slots; i++) {
        uint32_t slot = pagefile_alloc_slot();
        ASSERT_LT(t, slot, s0.slots);
        sum += slot;
    }
    /* Distinct slots in range: their sum is 0 + 1 + ... + (n - 1) and
     * the bitmap's population is n (pagefile_validate). */
    EXPECT_EQ(t, sum, s0.slots * (s0.slots - 1) / 2);
    EXPECT_EQ(t, pagefile_validate(), 0);
    EXPECT_EQ(t, pagefile_alloc_slot(), PAGEFILE_NO_SLOT);
    pagefile_get_stats(&s1);
    EXPECT_EQ(t, s1.in_use, s0.slots);
    EXPECT_EQ(t, s1.peak, s0.slots);
    pagefile_free_slot(7);
    EXPECT_EQ(t, pagefile_alloc_slot(), 7);
    for (uint32_t i = 0; i < s0.slots; i++)
        pagefile_free_slot(i);
    pagefile_get_stats(&s1);
    EXPECT_EQ(t, s1.in_use, 0);
    EXPECT_EQ(t, pagefile_validate(), 0);
}

/* A page out to a slot and back into another frame, byte for byte; an
 * injected read error comes back as the disk's status and is counted. */
static void pagefile_page_round_trip(struct ktest *t)
{
    struct pagefile_stats s0, s1;
    need_pagefile(t, &s0);

    paddr_t out = pmm_alloc(), in = pmm_alloc();
    ASSERT_NE(t, out, PMM_NONE);
    ASSERT_NE(t, in, PMM_NONE);
    uint32_t slot = pagefile_alloc_slot();
    ASSERT_NE(t, slot, PAGEFILE_NO_SLOT);
    uint32_t *p = paging_temp_map(out);
    for (uint32_t w = 0; w < PAGE_SIZE / 4; w++)
        p[w] = slot * 0x9E3779B9u + w;
    paging_temp_unmap(p);
    paging_zero_frame(in);

    EXPECT_EQ(t, pagefile_write(slot, out), STATUS_SUCCESS);
    EXPECT_EQ(t, pagefile_read(slot, in), STATUS_SUCCESS);
    uint32_t bad = 0;
    p = paging_temp_map(in);
    for (uint32_t w = 0; w < PAGE_SIZE / 4; w++)
        bad += p[w] != slot * 0x9E3779B9u + w;
    paging_temp_unmap(p);
    EXPECT_EQ(t, bad, 0);
    ata_fail_next_reads(1);
    EXPECT_EQ(t, pagefile_read(slot, in), STATUS_IO_DEVICE_ERROR);
    pagefile_get_stats(&s1);
    EXPECT_EQ(t, s1.pages_written - s0.pages_written, 1);
    EXPECT_EQ(t, s1.pages_read - s0.pages_read, 1);
    EXPECT_EQ(t, s1.io_errors - s0.io_errors, 1);
    pagefile_free_slot(slot);
    pmm_free(out);
    pmm_free(in);
}

/* Commit `pages` at base + offset pages of a reservation. */
static NTSTATUS commit_at(struct vm_space *as, uint32_t base, uint32_t offset, uint32_t pages)
{
    uint32_t b = base + offset * PAGE_SIZE, size = pages * PAGE_SIZE;
    return vm_allocate(as, &b, &size, MEM_COMMIT, PAGE_READWRITE);
}

/* RAM alone refuses a commit the page file's slots then allow; beyond
 * RAM + page file it fails again, nothing charged; the page file's part
 * cannot be taken away while the charge needs it. */
static void commit_limit_counts_pagefile(struct ktest *t)
{
    struct pagefile_stats pf;
    struct vm_stats s0, s1, s2, boot;
    need_pagefile(t, &pf);
    /* From the RAM-only limit the boot had before the writer started. */
    vm_get_stats(&boot);
    ASSERT_EQ(t, vm_set_pagefile_commit(0), STATUS_SUCCESS);
    vm_get_stats(&s0);
    ASSERT_EQ(t, s0.commit_limit_pagefile, 0);
    EXPECT_EQ(t, s0.commit_limit, boot.commit_limit - boot.commit_limit_pagefile);
    uint32_t ram_room = s0.commit_limit - s0.commit_charge;

    struct vm_space *as = vm_space_create();
    ASSERT_TRUE(t, as != NULL);
    uint32_t base = 0, size = 0x30000000u;              /* 768 MiB reserved, no charge */
    ASSERT_EQ(t, vm_allocate(as, &base, &size, MEM_RESERVE, PAGE_READWRITE), STATUS_SUCCESS);
    uint32_t over = ram_room + 16;                      /* beyond RAM, within RAM + page file */
    EXPECT_EQ(t, commit_at(as, base, 0, over), STATUS_COMMITMENT_LIMIT);

    ASSERT_EQ(t, vm_set_pagefile_commit(pf.slots), STATUS_SUCCESS);
    vm_get_stats(&s1);
    EXPECT_EQ(t, s1.commit_limit, s0.commit_limit + pf.slots);
    EXPECT_EQ(t, s1.commit_limit_pagefile, pf.slots);
    EXPECT_EQ(t, commit_at(as, base, 0, over), STATUS_SUCCESS);
    vm_get_stats(&s1);
    EXPECT_GT(t, s1.commit_charge, s0.commit_limit);   /* more than RAM alone could back */
    uint32_t rest = s1.commit_limit - s1.commit_charge;
    EXPECT_EQ(t, commit_at(as, base, over, rest + 1), STATUS_COMMITMENT_LIMIT);
    /* Taking the page file's part away now would leave the charge unbacked. */
    EXPECT_EQ(t, vm_set_pagefile_commit(0), STATUS_COMMITMENT_LIMIT);
    vm_get_stats(&s2);
    EXPECT_EQ(t, s2.commit_charge, s1.commit_charge);
    EXPECT_EQ(t, s2.commit_limit, s1.commit_limit);
    ktest_log("commit limit %u pages = %u (RAM less the kernel's reserve) + %u (page file); "
              "charged %u", s1.commit_limit, s0.commit_limit, pf.slots, s1.commit_charge);

    size = 0;
    EXPECT_EQ(t, vm_free(as, &base, &size, MEM_RELEASE), STATUS_SUCCESS);
    vm_space_destroy(as);
    EXPECT_EQ(t, vm_set_pagefile_commit(0), STATUS_SUCCESS);
    vm_get_stats(&s2);
    EXPECT_EQ(t, s2.commit_limit, s0.commit_limit);
    EXPECT_EQ(t, s2.commit_charge, s0.commit_charge);
    EXPECT_EQ(t, vm_set_pagefile_commit(boot.commit_limit_pagefile), STATUS_SUCCESS);
}

/* Issue 19, point 2: with a usable page file the boot counts it in the
 * commit limit (all its slots but the pager's small reserve), once the
 * modified-page writer runs; GlobalMemoryStatusEx and the console's
 * `mem` show this figure (tests/user/umemstatus.c, the console checks). */
static void boot_limit_is_ram_plus_pagefile(struct ktest *t)
{
    struct pagefile_stats pf;
    struct vm_stats s;
    struct mpw_stats w;
    need_pagefile(t, &pf);
    vm_get_stats(&s);
    mpw_get_stats(&w);
    EXPECT_TRUE(t, w.running);
    EXPECT_EQ(t, s.commit_limit_pagefile, pager_commit_slots());
    EXPECT_EQ(t, pager_commit_slots(), pf.slots - PAGER_SLOT_RESERVE);
    EXPECT_GT(t, s.commit_limit, s.commit_limit_pagefile);     /* and RAM's part under it */
    /* The RAM part is what vm_init computed: at most the frames there are. */
    EXPECT_LE(t, s.commit_limit - s.commit_limit_pagefile, pmm_free_count() + pfn_list_frames() +
              s.resident_pages);
}

/* The writer's clusters: a run of consecutive slots, five frames written
 * in one disk write (one DMA command when the controller has bus
 * mastering), each read back into a fresh frame intact. */
static void pagefile_cluster_round_trip(struct ktest *t)
{
    enum { N = 5 };
    struct pagefile_stats s0, s1;
    struct ata_info d0, d1;
    paddr_t out[N], in;
    uint32_t first, bad = 0;
    need_pagefile(t, &s0);                  /* first: a skip must not leave a frame taken */
    in = pmm_alloc();
    ata_get_info(&d0);
    ASSERT_NE(t, in, PMM_NONE);
    for (int i = 0; i < N; i++) {
        out[i] = pmm_alloc();
        ASSERT_NE(t, out[i], PMM_NONE);
        uint32_t *p = paging_temp_map(out[i]);
        for (uint32_t w = 0; w < PAGE_SIZE / 4; w++)
            p[w] = (uint32_t)i * 0x85EBCA6Bu + w;
        paging_temp_unmap(p);
    }
    ASSERT_EQ(t, pagefile_alloc_run(N, &first), N);
    EXPECT_EQ(t, pagefile_write_cluster(first, out, N), STATUS_SUCCESS);
    for (int i = 0; i < N; i++) {
        paging_zero_frame(in);
        EXPECT_EQ(t, pagefile_read(first + (uint32_t)i, in), STATUS_SUCCESS);
        uint32_t *p = paging_temp_map(in);
        for (uint32_t w = 0; w < PAGE_SIZE / 4; w++)
            bad += p[w] != (uint32_t)i * 0x85EBCA6Bu + w;
        paging_temp_unmap(p);
    }
    EXPECT_EQ(t, bad, 0);
    pagefile_get_stats(&s1);
    ata_get_info(&d1);
    EXPECT_EQ(t, s1.pages_written - s0.pages_written, N);
    EXPECT_EQ(t, s1.write_ios - s0.write_ios, 1);
    EXPECT_EQ(t, s1.read_ios - s0.read_ios, N);
    if (d0.dma)
        EXPECT_EQ(t, d1.dma_commands - d0.dma_commands, 1 + N);
    for (int i = 0; i < N; i++) {
        pagefile_free_slot(first + (uint32_t)i);
        pmm_free(out[i]);
    }
    pmm_free(in);
    EXPECT_EQ(t, pagefile_validate(), 0);
}

static const struct ktest_case pagefile_cases[] = {
    KTEST_CASE(disk_writes_and_reads_back),
    KTEST_CASE(disk_refuses_bad_requests),
    KTEST_CASE(disk_injected_read_error),
    KTEST_CASE(pagefile_state_matches_disk),
    KTEST_CASE(pagefile_slots_each_once),
    KTEST_CASE(pagefile_page_round_trip),
    KTEST_CASE(pagefile_cluster_round_trip),
    KTEST_CASE(commit_limit_counts_pagefile),
    KTEST_CASE(boot_limit_is_ram_plus_pagefile),
    KTEST_END,
};

static const struct ktest_suite pagefile_suite = { .name = "pagefile", .cases = pagefile_cases };
KTEST_SUITE(pagefile_suite);
