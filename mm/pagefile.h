/* The page file (issue 19): the whole ATA disk (drivers/ata.h) as an
 * array of 4 KiB slots, one bit each in a bitmap.  A slot holds one page
 * that left memory; its number is what a page-file PTE will carry.
 *
 * Slot allocation is next-fit from a moving hint (the writer will write
 * runs of dirty pages to neighbouring slots, as NT's modified-page writer
 * clusters them).  The page file backs commit: vm_set_pagefile_commit()
 * (mm/vm.h) adds its slots to the commit limit once something can write
 * pages out to it (the modified-page writer; until then it adds none, so
 * that every committed page still has a frame: the charge guarantee).
 *
 * Sizes: at least PAGEFILE_MIN_SLOTS (a smaller disk is reported and not
 * used), at most PAGEFILE_MAX_SLOTS (the rest of a bigger disk is left
 * unused, and the report says so): the bitmap is static, so that the page
 * file needs nothing from the kernel heap, which itself pages. */
#ifndef MM_PAGEFILE_H
#define MM_PAGEFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <windef.h>
#include <winnt.h>
#include <ntstatus.h>
#include "mm/pmm.h"

#define PAGEFILE_SLOT_SECTORS 8u                    /* 4096 / 512 */
#define PAGEFILE_MIN_SLOTS 1024u                    /* 4 MiB */
#define PAGEFILE_MAX_SLOTS (1024u * 256u)           /* 1 GiB: a 32 KiB bitmap */
#define PAGEFILE_NO_SLOT 0xFFFFFFFFu

enum pagefile_state {
    PAGEFILE_NONE = 0,              /* no disk */
    PAGEFILE_TOO_SMALL,             /* a disk below PAGEFILE_MIN_SLOTS: not used */
    PAGEFILE_READY,
};

struct pagefile_stats {
    enum pagefile_state state;
    uint32_t disk_sectors;          /* the whole disk, as the drive reports it */
    uint32_t slots;                 /* slots in use by the page file (0 unless READY) */
    uint32_t in_use, peak;          /* slots allocated now, at most */
    uint32_t pages_written, pages_read;
    uint32_t write_ios, read_ios;   /* disk commands: a cluster of pages is one write */
    uint32_t io_errors;
};

/* Probes the disk (ata_init) and sets the page file up over it; prints
 * one line saying what it found (and why a disk is not used).  Once. */
void pagefile_init(void);
void pagefile_get_stats(struct pagefile_stats *out);
/* A free slot, or PAGEFILE_NO_SLOT when the page file is full or absent. */
uint32_t pagefile_alloc_slot(void);
/* Gives back an allocated slot (ASSERTed). */
void pagefile_free_slot(uint32_t slot);
/* Writes / reads one frame to / from an allocated slot: the disk's status
 * (STATUS_IO_DEVICE_ERROR, STATUS_IO_TIMEOUT) on failure. */
NTSTATUS pagefile_write(uint32_t slot, paddr_t frame);
NTSTATUS pagefile_read(uint32_t slot, paddr_t frame);
/* The modified-page writer's clusters: up to PAGEFILE_CLUSTER_MAX
 * consecutive free slots from the allocation hint (next-fit leaves the
 * slots after the last one written free, so a run is the common case);
 * returns how many (0: the page file is full), the first in *first.
 * Then one write of `pages` frames to first, first + 1, ... (one disk
 * command by DMA). */
#define PAGEFILE_CLUSTER_MAX 16u
uint32_t pagefile_alloc_run(uint32_t want, uint32_t *first);
NTSTATUS pagefile_write_cluster(uint32_t first, const paddr_t *frames, uint32_t pages);
/* The hard fault's read cluster: allocated slots first.. into frames[]. */
NTSTATUS pagefile_read_cluster(uint32_t first, const paddr_t *frames, uint32_t pages);
/* Counts broken invariants (bitmap population differs from in_use, a
 * count beyond the size).  0 when sound. */
uint32_t pagefile_validate(void);
void pagefile_print_report(void);

#endif
