/* The memory map the loader passed, checked against what the harness told
 * QEMU (-m, passed again as mem_mb=N on the command line). */
#include "tests/ktest.h"
#include "kernel/bootinfo.h"
#include "kernel/cmdline.h"
#include "kernel/base/layout.h"

#define MIB (1024ull * 1024)

static void multiboot_available_matches_ram_size(struct ktest *t)
{
    uint32_t mem_mb = cmdline_get_u32("mem_mb", 0);
    if (mem_mb == 0)
        ktest_skip(t, "no mem_mb=N on the command line");
    uint64_t avail = bootinfo_available_bytes();
    uint64_t ram = (uint64_t)mem_mb * MIB;

    ktest_log("available %llu KiB, -m %u MiB", avail / 1024, mem_mb);
    /* Firmware keeps a little (EBDA, ROM area, ACPI tables): within 1 MiB. */
    EXPECT_LE(t, avail, ram);
    EXPECT_GE(t, avail, ram - MIB);
}

static bool available_contains(uint64_t start, uint64_t end)
{
    const struct boot_info *bi = bootinfo();

    for (int i = 0; i < bi->mmap_count; i++) {
        const struct boot_mem_region *r = &bi->mmap[i];
        if (r->type == BOOT_MEM_AVAILABLE && r->base <= start && end <= r->base + r->length)
            return true;
    }
    return false;
}

static void multiboot_kernel_image_in_available_ram(struct ktest *t)
{
    uint64_t start = (uint32_t)__kernel_start - KERNEL_VBASE;
    uint64_t end = (uint32_t)__kernel_end - KERNEL_VBASE;

    EXPECT_EQ(t, start, 0x100000);
    EXPECT_TRUE(t, available_contains(start, end));
}

static void multiboot_regions_do_not_overlap(struct ktest *t)
{
    const struct boot_info *bi = bootinfo();

    ASSERT_GT(t, bi->mmap_count, 1);
    for (int i = 0; i < bi->mmap_count; i++) {
        const struct boot_mem_region *a = &bi->mmap[i];
        EXPECT_GT(t, a->length, 0);
        for (int j = i + 1; j < bi->mmap_count; j++) {
            const struct boot_mem_region *b = &bi->mmap[j];
            bool overlap = a->base < b->base + b->length && b->base < a->base + a->length;
            EXPECT_FALSE(t, overlap);
        }
    }
}

static void multiboot_low_memory_listed(struct ktest *t)
{
    /* Conventional memory from 0 (the BIOS data area and the real-mode IVT
     * live there) is always reported available on a PC. */
    EXPECT_TRUE(t, available_contains(0, 0x9F000));
}

static void multiboot_boot_ranges_recorded(struct ktest *t)
{
    const struct boot_info *bi = bootinfo();
    int info = 0, mmap = 0;

    for (int i = 0; i < bi->reserved_count; i++) {
        EXPECT_LT(t, bi->reserved[i].start, bi->reserved[i].end);
        info += bi->reserved[i].what[0] == 'm' && bi->reserved[i].what[10] == 'i';
        mmap += bi->reserved[i].what[10] == 'm';
    }
    EXPECT_EQ(t, info, 1);       /* "multiboot info" */
    EXPECT_EQ(t, mmap, 1);       /* "multiboot memory map" */
}

static const struct ktest_case multiboot_cases[] = {
    KTEST_CASE(multiboot_available_matches_ram_size),
    KTEST_CASE(multiboot_kernel_image_in_available_ram),
    KTEST_CASE(multiboot_regions_do_not_overlap),
    KTEST_CASE(multiboot_low_memory_listed),
    KTEST_CASE(multiboot_boot_ranges_recorded),
    KTEST_END,
};

static const struct ktest_suite multiboot_suite = { .name = "multiboot", .cases = multiboot_cases };
KTEST_SUITE(multiboot_suite);
