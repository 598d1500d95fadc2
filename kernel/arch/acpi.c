/* CPU discovery from the firmware's tables (kernel/arch/acpi.h). */
#include "kernel/arch/acpi.h"
#include "kernel/base/layout.h"
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define WINDOW_END 0x40000000u      /* mm/memlayout.h BOOT_WINDOW_END */

struct sdt_header {
    char signature[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct sdt_header) == 36, "ACPI table header (ACPI 5.2.6)");

#define MADT_LOCAL_APIC 0
#define MADT_LAPIC_OVERRIDE 5
#define MP_PROCESSOR 0
#define CPU_ENABLED 1

/* A physical range through the boot window, or NULL beyond it. */
static const uint8_t *phys(uint32_t pa, uint32_t len)
{
    if (pa == 0 || pa >= WINDOW_END || len > WINDOW_END - pa)
        return NULL;
    return (const uint8_t *)(pa + KERNEL_VBASE);
}

static bool sum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s += p[i];
    return s == 0;
}

/* Scans [pa, pa+len) on 16-byte boundaries for sig with a valid checksum
 * over sum_len bytes. */
static const uint8_t *scan(uint32_t pa, uint32_t len, const char *sig, uint32_t sum_len)
{
    const uint8_t *p = phys(pa, len);
    for (uint32_t off = 0; p != NULL && off + sum_len <= len; off += 16)
        if (memcmp(p + off, sig, strlen(sig)) == 0 && sum_ok(p + off, sum_len))
            return p + off;
    return NULL;
}

/* The EBDA's first KiB, then the BIOS ROM area (ACPI 5.2.5.1; the MP spec
 * adds the last KiB of base memory). */
static const uint8_t *find_in_bios(const char *sig, uint32_t sum_len)
{
    const uint16_t *ebda_seg = (const uint16_t *)phys(0x40E, 2);
    const uint8_t *p = NULL;
    if (ebda_seg != NULL && *ebda_seg != 0)
        p = scan((uint32_t)*ebda_seg << 4, 1024, sig, sum_len);
    if (p == NULL)
        p = scan(0x9FC00, 1024, sig, sum_len);
    if (p == NULL)
        p = scan(0xE0000, 0x20000, sig, sum_len);
    return p;
}

static void add_cpu(struct cpu_discovery *d, uint8_t apic_id, uint8_t bsp)
{
    if (apic_id == bsp)
        return;                     /* already first */
    for (uint32_t i = 0; i < d->count; i++)
        if (d->apic_id[i] == apic_id)
            return;
    if (d->count < MAX_CPUS)
        d->apic_id[d->count++] = apic_id;
    else
        d->skipped++;
}

/* The MADT's enabled local APICs; the count it listed, 0 without one. */
static uint32_t from_madt(struct cpu_discovery *d, uint8_t bsp, bool use)
{
    const uint8_t *rsdp = find_in_bios("RSD PTR ", 20);
    if (rsdp == NULL)
        return 0;
    uint32_t rsdt_pa = *(const uint32_t *)(rsdp + 16);
    const struct sdt_header *rsdt = (const void *)phys(rsdt_pa, sizeof(struct sdt_header));
    if (rsdt == NULL || memcmp(rsdt->signature, "RSDT", 4) != 0 ||
        phys(rsdt_pa, rsdt->length) == NULL || !sum_ok((const void *)rsdt, rsdt->length))
        return 0;
    const uint32_t *entry = (const uint32_t *)(rsdt + 1);
    uint32_t n = (rsdt->length - sizeof(*rsdt)) / 4, found = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct sdt_header *h = (const void *)phys(entry[i], sizeof(*h));
        if (h == NULL || memcmp(h->signature, "APIC", 4) != 0 || phys(entry[i], h->length) == NULL ||
            !sum_ok((const void *)h, h->length))
            continue;
        const uint8_t *p = (const uint8_t *)h;
        if (use)
            d->lapic_phys = *(const uint32_t *)(p + 36);
        for (uint32_t off = 44; off + 2 <= h->length && p[off + 1] >= 2; off += p[off + 1]) {
            if (p[off] == MADT_LOCAL_APIC && (*(const uint32_t *)(p + off + 4) & CPU_ENABLED)) {
                found++;
                if (use)
                    add_cpu(d, p[off + 3], bsp);
            } else if (p[off] == MADT_LAPIC_OVERRIDE && use) {
                d->lapic_phys = *(const uint32_t *)(p + off + 4);   /* low half: below 4 GiB */
            }
        }
        break;
    }
    return found;
}

/* The MP configuration table's enabled processors; 0 without one. */
static uint32_t from_mp_table(struct cpu_discovery *d, uint8_t bsp, bool use)
{
    const uint8_t *fp = find_in_bios("_MP_", 16);
    if (fp == NULL)
        return 0;
    uint32_t cfg_pa = *(const uint32_t *)(fp + 4);
    const uint8_t *cfg = phys(cfg_pa, 44);
    if (cfg == NULL || memcmp(cfg, "PCMP", 4) != 0)
        return 0;
    uint16_t len = *(const uint16_t *)(cfg + 4), entries = *(const uint16_t *)(cfg + 34);
    if (phys(cfg_pa, len) == NULL || !sum_ok(cfg, len))
        return 0;
    if (use)
        d->lapic_phys = *(const uint32_t *)(cfg + 36);
    uint32_t found = 0, off = 44;
    for (uint32_t i = 0; i < entries && off < len; i++) {
        if (cfg[off] == MP_PROCESSOR) {
            if (cfg[off + 3] & CPU_ENABLED) {
                found++;
                if (use)
                    add_cpu(d, cfg[off + 1], bsp);
            }
            off += 20;
        } else {
            off += 8;
        }
    }
    return found;
}

void cpu_discover(uint8_t bsp_apic_id, bool no_acpi, struct cpu_discovery *out)
{
    memset(out, 0, sizeof(*out));
    out->apic_id[0] = bsp_apic_id;
    out->count = 1;
    out->source = "none";
    out->madt_cpus = no_acpi ? 0 : from_madt(out, bsp_apic_id, true);
    if (out->madt_cpus != 0) {
        out->source = "ACPI MADT";
        out->mp_cpus = from_mp_table(out, bsp_apic_id, false);
        return;
    }
    out->mp_cpus = from_mp_table(out, bsp_apic_id, true);
    if (out->mp_cpus != 0)
        out->source = "MP table";
}
