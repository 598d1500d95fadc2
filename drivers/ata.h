/* The disk: an ATA drive on the primary IDE channel, driven by PIO
 * (programmed I/O: the CPU moves every dword through port 0x1F0) and,
 * for the page file's whole-page transfers, by the IDE controller's
 * bus-master DMA.
 *
 * Why ATA PIO and not virtio-blk: QEMU's `-machine pc` has the PIIX3 IDE
 * controller built into the board (it is there under -nodefaults), at the
 * legacy ports every PC has had since the AT, so the driver needs no PCI
 * enumeration, no virtqueues and no DMA buffers below 4 GiB: a few port
 * writes per command.  It is slower per byte than DMA, which matters
 * little for a study kernel and not at all under -icount, where guest
 * instructions are what is counted.  It did matter to the pressure tests
 * (issue 19): under TCG every port access is a trip through the device
 * model, ~1000 of them a page, which held the page file near 1500
 * pages/s; a DMA command is a dozen accesses for up to 16 pages.  PIO
 * stays for buffers given by virtual address and for frames above 4 GiB.  The raw image is attached as
 * `-drive file=IMG,format=raw,if=ide,index=0` (primary master); the
 * whole drive is the page file (mm/pagefile.c), no file system.
 *
 * Commands are polled with the drive's interrupt masked (nIEN), under a
 * spinlock (interrupts off for one transfer of at most ATA_MAX_SECTORS,
 * or ATA_DMA_MAX_PAGES pages by DMA).
 * Every wait is bounded: a drive that stops answering gives
 * STATUS_IO_TIMEOUT, an error bit STATUS_IO_DEVICE_ERROR. */
#ifndef DRIVERS_ATA_H
#define DRIVERS_ATA_H

#include <stdbool.h>
#include <stdint.h>
#include <windef.h>
#include <winnt.h>
#include <ntstatus.h>

#define ATA_SECTOR_SIZE 512u
#define ATA_MAX_SECTORS 8u          /* per call: one 4 KiB page */
#define ATA_DMA_MAX_PAGES 16u       /* per DMA command: 64 KiB, one PRD entry a page */

struct ata_info {
    bool present;                   /* an ATA (not ATAPI) drive answered IDENTIFY */
    uint32_t sectors;               /* LBA28 capacity (up to 128 GiB) */
    char model[41];                 /* IDENTIFY words 27-46, trailing blanks cut */
    uint32_t reads, writes;         /* sectors moved since boot */
    uint32_t errors;                /* commands that failed */
    bool dma;                       /* a bus-master IDE controller was found */
    uint32_t dma_commands;          /* DMA transfers done */
};

/* Probes the primary master (IDENTIFY DEVICE) and masks its interrupt.
 * Once, at boot; no drive is not an error (ata_info says so). */
void ata_init(void);
void ata_get_info(struct ata_info *out);
/* Moves `count` (1..ATA_MAX_SECTORS) sectors from `lba` into `buf` / from
 * `buf` to `lba`.  STATUS_NO_SUCH_DEVICE without a drive,
 * STATUS_INVALID_PARAMETER for a count out of range or sectors beyond the
 * drive (nothing is sent), STATUS_IO_TIMEOUT / STATUS_IO_DEVICE_ERROR
 * when the drive fails.  A write returns once the drive has flushed it. */
NTSTATUS ata_read(uint32_t lba, uint32_t count, void *buf);
NTSTATUS ata_write(uint32_t lba, uint32_t count, const void *buf);
/* Bus-master DMA (the PIIX IDE controller QEMU's pc machine has at PCI
 * 00:01.1, found by class at ata_init): `pages` whole pages (1..
 * ATA_DMA_MAX_PAGES) between the 8 * pages sectors from `lba` and the
 * physical frames frames[] (page aligned, below 4 GiB: a PRD address is
 * 32 bits), in one command, so that a cluster of page-file slots costs
 * one command and one cache flush.  STATUS_NOT_SUPPORTED without a
 * bus-master controller (the caller uses the PIO calls), otherwise the
 * statuses of ata_read/ata_write; injected read errors apply. */
NTSTATUS ata_dma_read(uint32_t lba, const uint64_t *frames, uint32_t pages);
NTSTATUS ata_dma_write(uint32_t lba, const uint64_t *frames, uint32_t pages);
/* Test builds: the next `n` reads fail with STATUS_IO_DEVICE_ERROR
 * before anything is sent (the in-page error path's injection). */
void ata_fail_next_reads(uint32_t n);
void ata_print_report(void);

#endif
