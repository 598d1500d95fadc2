/* The page file's slots over the disk (mm/pagefile.h). */
#include "mm/pagefile.h"
#include "mm/paging.h"
#include "drivers/ata.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/lock.h"
#include "kernel/base/panic.h"
#include <string.h>

static struct spinlock pagefile_lock = SPINLOCK_INIT("pagefile");
static uint32_t slot_bitmap[PAGEFILE_MAX_SLOTS / 32];
static uint32_t slot_hint;                  /* next-fit: where the last search ended */
static struct pagefile_stats stats;

_Static_assert(PAGEFILE_SLOT_SECTORS * 512u == PAGE_SIZE, "a slot is one page of sectors");
_Static_assert(PAGEFILE_MAX_SLOTS % 32 == 0, "whole bitmap words");
_Static_assert(PAGEFILE_CLUSTER_MAX <= ATA_DMA_MAX_PAGES, "a cluster is one DMA command");

static bool slot_used(uint32_t s)
{
    return slot_bitmap[s / 32] & (1u << (s % 32));
}

void pagefile_init(void)
{
    struct ata_info disk;

    ata_init();
    ata_get_info(&disk);
    memset(&stats, 0, sizeof(stats));
    memset(slot_bitmap, 0, sizeof(slot_bitmap));
    stats.disk_sectors = disk.sectors;
    if (!disk.present) {
        stats.state = PAGEFILE_NONE;
        kprintf("pagefile: no disk on the primary IDE channel: no page file, "
                "the commit limit is RAM alone\n");
        return;
    }
    uint32_t slots = disk.sectors / PAGEFILE_SLOT_SECTORS;
    if (slots < PAGEFILE_MIN_SLOTS) {
        stats.state = PAGEFILE_TOO_SMALL;
        kprintf("pagefile: ERROR: the disk holds %u sectors (%u KiB), less than the page file's "
                "minimum of %u KiB: not used, the commit limit is RAM alone\n",
                disk.sectors, disk.sectors / 2, PAGEFILE_MIN_SLOTS * 4);
        return;
    }
    if (slots > PAGEFILE_MAX_SLOTS) {
        kprintf("pagefile: the disk holds %u KiB; the page file uses the first %u KiB\n",
                disk.sectors / 2, PAGEFILE_MAX_SLOTS * 4);
        slots = PAGEFILE_MAX_SLOTS;
    }
    stats.slots = slots;
    stats.state = PAGEFILE_READY;
    kprintf("pagefile: %u slots of 4 KiB (%u KiB) on disk '%s'\n", slots, slots * 4, disk.model);
}

void pagefile_get_stats(struct pagefile_stats *out)
{
    uint32_t flags = spin_lock(&pagefile_lock);
    *out = stats;
    spin_unlock(&pagefile_lock, flags);
}

uint32_t pagefile_alloc_slot(void)
{
    uint32_t found = PAGEFILE_NO_SLOT;
    uint32_t flags = spin_lock(&pagefile_lock);
    uint32_t words = (stats.slots + 31) / 32;

    if (stats.in_use < stats.slots) {
        /* Word by word from the hint's word (its bits from the hint
         * on), wrapping round to that word's lower bits last. */
        for (uint32_t i = 0; i <= words && found == PAGEFILE_NO_SLOT; i++) {
            uint32_t w = (slot_hint / 32 + i) % words;
            uint32_t bits = ~slot_bitmap[w];
            if (i == 0)
                bits &= ~0u << (slot_hint % 32);
            if (bits != 0 && w * 32 + (uint32_t)__builtin_ctz(bits) < stats.slots)
                found = w * 32 + (uint32_t)__builtin_ctz(bits);
        }
        ASSERTF(found != PAGEFILE_NO_SLOT, "page file: %u of %u slots in use, none found free",
                stats.in_use, stats.slots);
        slot_bitmap[found / 32] |= 1u << (found % 32);
        stats.in_use++;
        if (stats.in_use > stats.peak)
            stats.peak = stats.in_use;
        slot_hint = found + 1 < stats.slots ? found + 1 : 0;
    }
    spin_unlock(&pagefile_lock, flags);
    return found;
}

void pagefile_free_slot(uint32_t slot)
{
    uint32_t flags = spin_lock(&pagefile_lock);
    ASSERTF(slot < stats.slots, "page file slot %u beyond the %u slots", slot, stats.slots);
    ASSERTF(slot_used(slot), "page file slot %u freed twice", slot);
    slot_bitmap[slot / 32] &= ~(1u << (slot % 32));
    stats.in_use--;
    spin_unlock(&pagefile_lock, flags);
}

static void pagefile_count(NTSTATUS st, bool write, uint32_t pages)
{
    uint32_t flags = spin_lock(&pagefile_lock);
    if (!NT_SUCCESS(st))
        stats.io_errors++;
    else if (write)
        stats.pages_written += pages, stats.write_ios++;
    else
        stats.pages_read += pages, stats.read_ios++;
    spin_unlock(&pagefile_lock, flags);
}

/* One page between a frame and a slot by PIO, through the temporary window. */
static NTSTATUS pagefile_pio(uint32_t slot, paddr_t frame, bool write)
{
    void *p = paging_temp_map(frame);
    uint32_t lba = slot * PAGEFILE_SLOT_SECTORS;
    NTSTATUS st = write ? ata_write(lba, PAGEFILE_SLOT_SECTORS, p)
                        : ata_read(lba, PAGEFILE_SLOT_SECTORS, p);
    paging_temp_unmap(p);
    return st;
}

/* pages frames to / from the slots first.., first + pages - 1: one DMA
 * command when the controller can (frames below 4 GiB), else page by
 * page by PIO. */
static NTSTATUS pagefile_io(uint32_t first, const paddr_t *frames, uint32_t pages, bool write)
{
    for (uint32_t i = 0; i < pages; i++)
        ASSERTF(first + i < stats.slots && slot_used(first + i), "page file I/O on slot %u, "
                "not allocated", first + i);
    uint32_t lba = first * PAGEFILE_SLOT_SECTORS;
    NTSTATUS st = write ? ata_dma_write(lba, frames, pages) : ata_dma_read(lba, frames, pages);
    if (st == STATUS_NOT_SUPPORTED || st == STATUS_INVALID_PARAMETER) {
        st = STATUS_SUCCESS;
        for (uint32_t i = 0; i < pages && NT_SUCCESS(st); i++)
            st = pagefile_pio(first + i, frames[i], write);
    }
    pagefile_count(st, write, pages);
    return st;
}

NTSTATUS pagefile_write(uint32_t slot, paddr_t frame)
{
    return pagefile_io(slot, &frame, 1, true);
}

NTSTATUS pagefile_write_cluster(uint32_t first, const paddr_t *frames, uint32_t pages)
{
    ASSERTF(pages >= 1 && pages <= PAGEFILE_CLUSTER_MAX, "cluster of %u pages", pages);
    return pagefile_io(first, frames, pages, true);
}

NTSTATUS pagefile_read(uint32_t slot, paddr_t frame)
{
    return pagefile_io(slot, &frame, 1, false);
}

NTSTATUS pagefile_read_cluster(uint32_t first, const paddr_t *frames, uint32_t pages)
{
    ASSERTF(pages >= 1 && pages <= PAGEFILE_CLUSTER_MAX, "cluster of %u pages", pages);
    return pagefile_io(first, frames, pages, false);
}

uint32_t pagefile_alloc_run(uint32_t want, uint32_t *first)
{
    uint32_t got = 0;
    uint32_t flags = spin_lock(&pagefile_lock);
    /* Free slots from the hint on, as long as they are consecutive. */
    uint32_t s = slot_hint;
    while (got < want && s + got < stats.slots && !slot_used(s + got))
        got++;
    if (got > 0) {
        for (uint32_t i = 0; i < got; i++)
            slot_bitmap[(s + i) / 32] |= 1u << ((s + i) % 32);
        stats.in_use += got;
        if (stats.in_use > stats.peak)
            stats.peak = stats.in_use;
        slot_hint = s + got < stats.slots ? s + got : 0;
        *first = s;
    }
    spin_unlock(&pagefile_lock, flags);
    if (got == 0 && (*first = pagefile_alloc_slot()) != PAGEFILE_NO_SLOT)
        got = 1;                            /* the hint sat on a used slot: next-fit finds one */
    return got;
}

uint32_t pagefile_validate(void)
{
    uint32_t bad = 0, used = 0;
    uint32_t flags = spin_lock(&pagefile_lock);
    for (uint32_t w = 0; w < PAGEFILE_MAX_SLOTS / 32; w++) {
        uint32_t bits = slot_bitmap[w];
        used += (uint32_t)__builtin_popcount(bits);
        /* No bit at or beyond the page file's end. */
        for (uint32_t b = 0; b < 32; b++)
            if ((bits & (1u << b)) && w * 32 + b >= stats.slots)
                bad++;
    }
    bad += used != stats.in_use;
    bad += stats.in_use > stats.slots;
    bad += stats.peak < stats.in_use;
    bad += stats.state != PAGEFILE_READY && stats.slots != 0;
    spin_unlock(&pagefile_lock, flags);
    return bad;
}

void pagefile_print_report(void)
{
    struct pagefile_stats s;
    static const char *const names[] = { "none (no disk)", "none (disk too small)", "ready" };

    pagefile_get_stats(&s);
    kprintf("  %-28s %s; %u slots (%u KiB), %u in use, peak %u\n", "page file",
            names[s.state], s.slots, s.slots * 4, s.in_use, s.peak);
    kprintf("  %-28s %u pages written in %u writes, %u read in %u reads, %u I/O errors\n",
            "page file I/O", s.pages_written, s.write_ios, s.pages_read, s.read_ios, s.io_errors);
}
