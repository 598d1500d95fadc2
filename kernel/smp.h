/* Several CPUs: discovery, start-up of the application processors, and
 * running a function on another CPU (kernel/smp.c).  Per-CPU data is
 * kernel/base/percpu.h. */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <stdbool.h>
#include <stdint.h>

/* Finds the CPUs (ACPI MADT, else the MP table; no_acpi skips ACPI).
 * Before paging_init: it reads the firmware tables through the boot window. */
void smp_discover(bool no_acpi);
/* Maps and enables the boot CPU's local APIC and starts every other CPU
 * found with INIT-SIPI-SIPI; returns the CPUs online.  After memory,
 * threads and interrupts are up.  max_cpus (0: all) limits the start. */
uint32_t smp_start(uint32_t max_cpus);
/* Runs fn(arg) on CPU index by IPI and waits until it returned there
 * (index == this CPU: runs it here).  False when that CPU is not online. */
bool smp_call(uint32_t index, void (*fn)(void *), void *arg);
/* The same in two halves, so this CPU can work while the other runs fn:
 * start returns false (nothing sent) for this CPU or one not online;
 * wait returns once fn returned there.  Interrupts stay off in between. */
bool smp_call_start(uint32_t index, void (*fn)(void *), void *arg, uint32_t *flags);
void smp_call_wait(uint32_t flags);

/* What the banner and the console's `cpus` show. */
struct smp_info {
    uint32_t found, online;
    const char *source;             /* "ACPI MADT", "MP table", "none" */
    uint32_t madt_cpus, mp_cpus;    /* what each table listed */
    uint32_t lapic_phys;            /* 0: no local APIC (PIC/PIT only) */
    uint32_t start_ticks;           /* timer ticks the start-up took */
};
void smp_get_info(struct smp_info *out);
void smp_print_cpus(void);

#endif
