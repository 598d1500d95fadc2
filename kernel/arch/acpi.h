/* Finding the CPUs: the ACPI MADT, or the Intel MP table when there is no
 * ACPI (ACPI 6.5 5.2.5 RSDP, 5.2.7 RSDT, 5.2.12 MADT; MP spec 1.4 ch. 4).
 * Reads the firmware tables through the boot window (physical + 2 GiB,
 * below 1 GiB), so it must run before paging_init. */
#ifndef KERNEL_ARCH_ACPI_H
#define KERNEL_ARCH_ACPI_H

#include <stdint.h>
#include "kernel/base/percpu.h"

struct cpu_discovery {
    uint32_t count;                 /* enabled CPUs used (at most MAX_CPUS) */
    uint8_t apic_id[MAX_CPUS];      /* [0] is the boot CPU's */
    uint32_t lapic_phys;            /* local APIC registers, 0: no APIC */
    const char *source;             /* "ACPI MADT", "MP table" or "none" */
    uint32_t madt_cpus;             /* what each source listed (enabled), 0: absent */
    uint32_t mp_cpus;
    uint32_t skipped;               /* enabled CPUs beyond MAX_CPUS */
};

/* Fills *out; bsp_apic_id goes first.  Either source can be ignored
 * (no_acpi: the MP table only, as for a machine without ACPI). */
void cpu_discover(uint8_t bsp_apic_id, bool no_acpi, struct cpu_discovery *out);

#endif
