/* ATA PIO on the primary IDE channel (drivers/ata.h says why).  Register
 * layout and protocol: ATA/ATAPI-6 (T13/1410D) sections 7.15 (IDENTIFY
 * DEVICE), 8.27 / 8.62 (READ / WRITE SECTORS), 9.7-9.8 (PIO data-in and
 * data-out protocols), and the OSDev "ATA PIO Mode" notes. */
#include "drivers/ata.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/lock.h"
#include "kernel/base/panic.h"
#include "kernel/base/x86.h"
#include "kernel/base/layout.h"
#include <string.h>

/* Command block (0x1F0-0x1F7) and control block (0x3F6) of the primary channel. */
#define ATA_DATA 0x1F0
#define ATA_ERROR 0x1F1
#define ATA_COUNT 0x1F2
#define ATA_LBA0 0x1F3
#define ATA_LBA1 0x1F4
#define ATA_LBA2 0x1F5
#define ATA_DRIVE 0x1F6             /* 0xE0: master, LBA mode; low nibble LBA bits 24-27 */
#define ATA_STATUS 0x1F7            /* read: status; write: command */
#define ATA_CONTROL 0x3F6           /* read: alternate status (no side effect) */

#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_DF 0x20
#define ST_BSY 0x80
#define CTL_NIEN 0x02               /* no interrupt from the drive: we poll */

#define CMD_READ_SECTORS 0x20
#define CMD_WRITE_SECTORS 0x30
#define CMD_READ_DMA 0xC8
#define CMD_WRITE_DMA 0xCA
#define CMD_FLUSH_CACHE 0xE7
#define CMD_IDENTIFY 0xEC

/* Status polls before a command is given up: QEMU answers in a few, real
 * drives within milliseconds; this is far beyond both, and bounded. */
#define POLL_LIMIT 4000000u

/* PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2). */
#define PCI_ADDRESS 0xCF8
#define PCI_DATA 0xCFC
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MASTER 0x0004

/* The bus-master IDE registers of the primary channel, at BAR4 (PIIX4
 * datasheet 2.7.2-2.7.4; SFF-8038i): command (bit 0 start, bit 3 the
 * direction, 1 = the controller writes memory, i.e. a disk read), status
 * (bit 0 active, bit 1 error, bit 2 interrupt; 1 written clears 1-2), and
 * the physical address of the PRD table. */
#define BM_COMMAND 0
#define BM_STATUS 2
#define BM_PRDT 4
#define BM_START 0x01
#define BM_TO_MEMORY 0x08
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR 0x02
#define BM_ST_IRQ 0x04

/* A physical region descriptor: one buffer of `bytes` (0 = 64 KiB) that
 * crosses no 64 KiB boundary; EOT marks the table's last entry. */
struct prd {
    uint32_t addr;
    uint16_t bytes;
    uint16_t flags;
};
#define PRD_EOT 0x8000
_Static_assert(sizeof(struct prd) == 8, "PRD entries are 8 bytes (SFF-8038i)");

static struct spinlock ata_lock = SPINLOCK_INIT("ata");
static struct ata_info info;
static uint32_t fail_reads;
static uint16_t bm_base;                    /* 0: no bus-master controller, PIO only */
/* The PRD table: dword aligned and inside one 64 KiB block (SFF-8038i 1.2);
 * 128-byte alignment of 128 bytes guarantees both.  In the kernel image,
 * whose physical address is its virtual one less KERNEL_VBASE. */
static struct prd prdt[ATA_DMA_MAX_PAGES] __attribute__((aligned(128)));
_Static_assert(sizeof(prdt) <= 128, "the PRD table must not cross 64 KiB");

/* String moves through the data port, 32 bits at a time: the PIIX
 * controller accepts dword accesses to the data register (PIIX4 datasheet
 * 2.7.1, "32-bit PIO"), and each access is one trip through the device
 * model under QEMU, so dwords halve a sector's cost against words. */
static inline void ata_insl(void *buf, uint32_t dwords)
{
    __asm__ volatile("cld; rep insl" : "+D"(buf), "+c"(dwords) : "d"(ATA_DATA) : "memory");
}

static inline void ata_outsl(const void *buf, uint32_t dwords)
{
    __asm__ volatile("cld; rep outsl" : "+S"(buf), "+c"(dwords) : "d"(ATA_DATA) : "memory");
}

static inline uint32_t ata_inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* The 400 ns a drive needs after a drive select before its status is
 * valid: four reads of the alternate status (ATA-6 9.2.2). */
static void ata_delay400(void)
{
    for (int i = 0; i < 4; i++)
        (void)inb(ATA_CONTROL);
}

/* Waits for BSY to clear, then for DRQ when `drq`; the status error if
 * ERR or DF comes up instead. */
static NTSTATUS ata_wait(bool drq)
{
    for (uint32_t i = 0; i < POLL_LIMIT; i++) {
        uint8_t st = inb(ATA_STATUS);
        if (st & ST_BSY)
            continue;
        if (st & (ST_ERR | ST_DF))
            return STATUS_IO_DEVICE_ERROR;
        if (!drq || (st & ST_DRQ))
            return STATUS_SUCCESS;
    }
    return STATUS_IO_TIMEOUT;
}

/* Selects the master with LBA bits 24-27 and loads count and LBA 0-23. */
static void ata_setup(uint32_t lba, uint32_t count)
{
    outb(ATA_DRIVE, 0xE0 | ((lba >> 24) & 0x0F));
    ata_delay400();
    outb(ATA_COUNT, (uint8_t)count);
    outb(ATA_LBA0, (uint8_t)lba);
    outb(ATA_LBA1, (uint8_t)(lba >> 8));
    outb(ATA_LBA2, (uint8_t)(lba >> 16));
}

/* IDENTIFY words 27-46: the model, two characters a word, high byte first. */
static void ata_model(const uint16_t *id)
{
    for (int w = 0; w < 20; w++) {
        info.model[2 * w] = (char)(id[27 + w] >> 8);
        info.model[2 * w + 1] = (char)id[27 + w];
    }
    info.model[40] = 0;
    for (int i = 39; i >= 0 && info.model[i] == ' '; i--)
        info.model[i] = 0;
}

static uint32_t pci_read(uint32_t dev, uint32_t off)
{
    outl(PCI_ADDRESS, 0x80000000u | dev | (off & 0xFC));
    return ata_inl(PCI_DATA);
}

static void pci_write(uint32_t dev, uint32_t off, uint32_t v)
{
    outl(PCI_ADDRESS, 0x80000000u | dev | (off & 0xFC));
    outl(PCI_DATA, v);
}

/* Finds an IDE controller with bus mastering (class 01:01, programming
 * interface bit 7) on bus 0, whose primary channel is at the legacy ports
 * (interface bit 0 clear: "compatibility mode"), and turns on its I/O
 * decoding and bus mastering.  QEMU's pc machine has the PIIX3's at
 * 00:01.1.  Leaves bm_base 0 when there is none. */
static void ata_find_bus_master(void)
{
    for (uint32_t slot = 0; slot < 32 * 8; slot++) {
        uint32_t dev = slot << 8;                   /* device << 11 | function << 8 */
        if ((pci_read(dev, 0) & 0xFFFF) == 0xFFFF)
            continue;
        uint32_t class = pci_read(dev, 0x08) >> 8;  /* class, subclass, interface */
        if ((class >> 8) != 0x0101 || !(class & 0x80) || (class & 0x01))
            continue;
        uint32_t bar4 = pci_read(dev, 0x20);
        if (!(bar4 & 1) || (bar4 & 0xFFFC) == 0)
            continue;                               /* not an I/O BAR, or unassigned */
        pci_write(dev, 0x04, (pci_read(dev, 0x04) & 0xFFFF) | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
        bm_base = (uint16_t)(bar4 & 0xFFFC);
        return;
    }
}

void ata_init(void)
{
    uint16_t id[256];

    memset(&info, 0, sizeof(info));
    /* A floating bus (no controller) reads 0xFF. */
    if (inb(ATA_STATUS) == 0xFF)
        return;
    outb(ATA_CONTROL, CTL_NIEN);
    ata_setup(0, 0);
    outb(ATA_STATUS, CMD_IDENTIFY);
    if (inb(ATA_STATUS) == 0)
        return;                             /* no drive on the channel */
    for (uint32_t i = 0; i < POLL_LIMIT && (inb(ATA_STATUS) & ST_BSY); i++)
        ;
    /* An ATAPI drive (a CD) aborts IDENTIFY DEVICE and leaves its
     * signature in LBA1/LBA2 (ATA-6 9.12). */
    if (inb(ATA_LBA1) != 0 || inb(ATA_LBA2) != 0)
        return;
    if (!NT_SUCCESS(ata_wait(true)))
        return;
    ata_insl(id, 128);
    info.sectors = (uint32_t)id[60] | ((uint32_t)id[61] << 16);  /* LBA28 sectors */
    ata_model(id);
    info.present = info.sectors != 0;
    if (info.present)
        ata_find_bus_master();
    info.dma = bm_base != 0;
}

void ata_get_info(struct ata_info *out)
{
    uint32_t flags = spin_lock(&ata_lock);
    *out = info;
    spin_unlock(&ata_lock, flags);
}

static NTSTATUS ata_check(uint32_t lba, uint32_t count, const void *buf)
{
    ASSERT(buf != NULL);
    if (!info.present)
        return STATUS_NO_SUCH_DEVICE;
    if (count == 0 || count > ATA_MAX_SECTORS || lba >= info.sectors || count > info.sectors - lba)
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

NTSTATUS ata_read(uint32_t lba, uint32_t count, void *buf)
{
    NTSTATUS st = ata_check(lba, count, buf);
    if (!NT_SUCCESS(st))
        return st;
    uint32_t flags = spin_lock(&ata_lock);
    if (fail_reads > 0) {
        fail_reads--;
        st = STATUS_IO_DEVICE_ERROR;
    } else {
        ata_setup(lba, count);
        outb(ATA_STATUS, CMD_READ_SECTORS);
        for (uint32_t s = 0; s < count && NT_SUCCESS(st); s++) {
            ata_delay400();
            if (NT_SUCCESS(st = ata_wait(true)))
                ata_insl((uint8_t *)buf + s * ATA_SECTOR_SIZE, ATA_SECTOR_SIZE / 4);
        }
    }
    if (NT_SUCCESS(st))
        info.reads += count;
    else
        info.errors++;
    spin_unlock(&ata_lock, flags);
    return st;
}

/* The data is in the drive's cache: a page-out is done only once it is
 * on the medium (ATA-6 8.16). */
static NTSTATUS ata_flush(void)
{
    outb(ATA_STATUS, CMD_FLUSH_CACHE);
    ata_delay400();
    return ata_wait(false);
}

NTSTATUS ata_write(uint32_t lba, uint32_t count, const void *buf)
{
    NTSTATUS st = ata_check(lba, count, buf);
    if (!NT_SUCCESS(st))
        return st;
    uint32_t flags = spin_lock(&ata_lock);
    ata_setup(lba, count);
    outb(ATA_STATUS, CMD_WRITE_SECTORS);
    for (uint32_t s = 0; s < count && NT_SUCCESS(st); s++) {
        ata_delay400();
        if (NT_SUCCESS(st = ata_wait(true)))
            ata_outsl((const uint8_t *)buf + s * ATA_SECTOR_SIZE, ATA_SECTOR_SIZE / 4);
    }
    /* The last sector taken: the drive is busy until it has it. */
    if (NT_SUCCESS(st)) {
        ata_delay400();
        st = ata_wait(false);
    }
    if (NT_SUCCESS(st))
        st = ata_flush();
    if (NT_SUCCESS(st))
        info.writes += count;
    else
        info.errors++;
    spin_unlock(&ata_lock, flags);
    return st;
}

/* One bus-master transfer of whole pages (ATA-6 9.10, the DMA protocol;
 * PIIX4 2.7.3 for the controller's side): the PRD table, the direction,
 * the command, then the start bit; then the controller's active bit and
 * the drive's BSY are polled until both are down.  Lock held. */
static NTSTATUS ata_dma(uint32_t lba, const uint64_t *frames, uint32_t pages, bool to_memory)
{
    uint8_t dir = to_memory ? BM_TO_MEMORY : 0;
    for (uint32_t i = 0; i < pages; i++)
        prdt[i] = (struct prd){ .addr = (uint32_t)frames[i], .bytes = 4096,
                                .flags = i + 1 == pages ? PRD_EOT : 0 };
    outl(bm_base + BM_PRDT, (uint32_t)prdt - KERNEL_VBASE);
    outb(bm_base + BM_COMMAND, dir);
    outb(bm_base + BM_STATUS, BM_ST_ERROR | BM_ST_IRQ);
    ata_setup(lba, pages * 8);
    outb(ATA_STATUS, to_memory ? CMD_READ_DMA : CMD_WRITE_DMA);
    outb(bm_base + BM_COMMAND, dir | BM_START);
    NTSTATUS st = STATUS_IO_TIMEOUT;
    for (uint32_t i = 0; i < 8 * POLL_LIMIT; i++) {
        uint8_t bm = inb(bm_base + BM_STATUS);
        uint8_t ata = inb(ATA_CONTROL);         /* alternate status: no side effect */
        if ((bm & BM_ST_ACTIVE) || (ata & ST_BSY))
            continue;
        st = (bm & BM_ST_ERROR) || (ata & (ST_ERR | ST_DF)) ? STATUS_IO_DEVICE_ERROR : STATUS_SUCCESS;
        break;
    }
    outb(bm_base + BM_COMMAND, dir);            /* stop: the start bit down */
    (void)inb(ATA_STATUS);                      /* and the drive's interrupt state read */
    return st;
}

static NTSTATUS ata_dma_check(uint32_t lba, const uint64_t *frames, uint32_t pages)
{
    if (!info.present)
        return STATUS_NO_SUCH_DEVICE;
    if (bm_base == 0)
        return STATUS_NOT_SUPPORTED;
    if (pages == 0 || pages > ATA_DMA_MAX_PAGES || lba >= info.sectors ||
        pages * 8 > info.sectors - lba)
        return STATUS_INVALID_PARAMETER;
    for (uint32_t i = 0; i < pages; i++)
        if ((frames[i] & 0xFFF) != 0 || frames[i] >= 0x100000000ull)
            return STATUS_INVALID_PARAMETER;    /* the PRD's addresses are 32 bits */
    return STATUS_SUCCESS;
}

/* One DMA command either way; a write is flushed before it counts as
 * done (the page's frame is reused once it returns). */
static NTSTATUS ata_dma_io(uint32_t lba, const uint64_t *frames, uint32_t pages, bool read)
{
    NTSTATUS st = ata_dma_check(lba, frames, pages);
    if (!NT_SUCCESS(st))
        return st;
    uint32_t flags = spin_lock(&ata_lock);
    if (read && fail_reads > 0) {
        fail_reads--;
        st = STATUS_IO_DEVICE_ERROR;
    } else {
        st = ata_dma(lba, frames, pages, read);
        if (NT_SUCCESS(st) && !read)
            st = ata_flush();
    }
    if (NT_SUCCESS(st)) {
        *(read ? &info.reads : &info.writes) += pages * 8;
        info.dma_commands++;
    } else {
        info.errors++;
    }
    spin_unlock(&ata_lock, flags);
    return st;
}

NTSTATUS ata_dma_read(uint32_t lba, const uint64_t *frames, uint32_t pages)
{
    return ata_dma_io(lba, frames, pages, true);
}

NTSTATUS ata_dma_write(uint32_t lba, const uint64_t *frames, uint32_t pages)
{
    return ata_dma_io(lba, frames, pages, false);
}

void ata_fail_next_reads(uint32_t n)
{
    uint32_t flags = spin_lock(&ata_lock);
    fail_reads = n;
    spin_unlock(&ata_lock, flags);
}

void ata_print_report(void)
{
    struct ata_info i;
    ata_get_info(&i);
    if (!i.present) {
        kprintf("disk: no ATA drive on the primary IDE channel (no page file)\n");
        return;
    }
    kprintf("disk: ATA primary master '%s', %u sectors (%u KiB), %s; %u read, %u written, "
            "%u errors, %u DMA commands\n", i.model, i.sectors, i.sectors / 2,
            i.dma ? "bus-master DMA (PIO for buffers)" : "PIO", i.reads, i.writes, i.errors,
            i.dma_commands);
}
