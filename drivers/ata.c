/* ATA PIO on the primary IDE channel (drivers/ata.h says why).  Register
 * layout and protocol: ATA/ATAPI-6 (T13/1410D) sections 7.15 (IDENTIFY
 * DEVICE), 8.27 / 8.62 (READ / WRITE SECTORS), 9.7-9.8 (PIO data-in and
 * data-out protocols), and the OSDev "ATA PIO Mode" notes. */
#include "drivers/ata.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/lock.h"
#include "kernel/base/panic.h"
#include "kernel/base/x86.h"
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
#define CMD_FLUSH_CACHE 0xE7
#define CMD_IDENTIFY 0xEC

/* Status polls before a command is given up: QEMU answers in a few, real
 * drives within milliseconds; this is far beyond both, and bounded. */
#define POLL_LIMIT 4000000u

static struct spinlock ata_lock = SPINLOCK_INIT("ata");
static struct ata_info info;
static uint32_t fail_reads;

/* 16-bit string moves (kernel/base/x86.h has the byte and dword ones). */
static inline void ata_insw(void *buf, uint32_t words)
{
    __asm__ volatile("cld; rep insw" : "+D"(buf), "+c"(words) : "d"(ATA_DATA) : "memory");
}

static inline void ata_outsw(const void *buf, uint32_t words)
{
    __asm__ volatile("cld; rep outsw" : "+S"(buf), "+c"(words) : "d"(ATA_DATA) : "memory");
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
    ata_insw(id, 256);
    info.sectors = (uint32_t)id[60] | ((uint32_t)id[61] << 16);  /* LBA28 sectors */
    ata_model(id);
    info.present = info.sectors != 0;
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
                ata_insw((uint8_t *)buf + s * ATA_SECTOR_SIZE, ATA_SECTOR_SIZE / 2);
        }
    }
    if (NT_SUCCESS(st))
        info.reads += count;
    else
        info.errors++;
    spin_unlock(&ata_lock, flags);
    return st;
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
            ata_outsw((const uint8_t *)buf + s * ATA_SECTOR_SIZE, ATA_SECTOR_SIZE / 2);
    }
    /* The last sector taken: the drive is busy until it has it. */
    if (NT_SUCCESS(st)) {
        ata_delay400();
        st = ata_wait(false);
    }
    if (NT_SUCCESS(st)) {
        /* The data is in the drive's cache: a page-out is done only once
         * it is on the medium (ATA-6 8.16). */
        outb(ATA_STATUS, CMD_FLUSH_CACHE);
        ata_delay400();
        st = ata_wait(false);
    }
    if (NT_SUCCESS(st))
        info.writes += count;
    else
        info.errors++;
    spin_unlock(&ata_lock, flags);
    return st;
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
    kprintf("disk: ATA primary master '%s', %u sectors (%u KiB), PIO; %u read, %u written, "
            "%u errors\n", i.model, i.sectors, i.sectors / 2, i.reads, i.writes, i.errors);
}
