/* Starting the application processors (kernel/smp.h).
 *
 * Discovery reads the ACPI MADT or the MP table (kernel/arch/acpi.c)
 * before paging_init.  smp_start maps the local APIC's registers at
 * LAPIC_VA (uncached), enables the boot CPU's, then for each other CPU:
 * copies the start-up code (kernel/arch/ap_boot.asm) to the page at
 * AP_BOOT_PHYS, which memory_init kept out of the frame allocator, maps
 * that page at its own physical address for the moment (the code turns
 * paging on while running there), and sends INIT, a 10 ms wait, then two
 * start-up IPIs as Intel SDM Vol.3 9.4.4.1 and the MP spec B.4 say.  The
 * new CPU loads its own GDT, TSS and per-CPU segment (gdt_init_ap), the
 * shared IDT, enables its local APIC, says it is online, and waits for
 * the boot CPU to drop the identity map before it flushes its TLB and
 * idles.  A CPU that does not come up within 200 ms is reported and left
 * out. */
#include "kernel/smp.h"
#include "kernel/arch/acpi.h"
#include "kernel/arch/apic.h"
#include "kernel/arch/gdt.h"
#include "kernel/arch/trap.h"
#include "kernel/arch/timer.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/lock.h"
#include "kernel/base/panic.h"
#include "kernel/base/percpu.h"
#include "kernel/base/x86.h"
#include "mm/paging.h"
#include "mm/vm.h"
#include "kernel/thread.h"
#include "mm/tlb_shootdown.h"
#include <stddef.h>
#include <string.h>

#define AP_BOOT_PHYS 0x7000u        /* kernel/arch/ap_boot.asm; reserved in kernel/main.c */
#define AP_STACK_SIZE 16384
#define AP_START_TIMEOUT 200        /* ticks (ms) */
#define CPUID_APIC (1u << 9)        /* leaf 1 EDX */

struct ap_boot_data {
    uint32_t cr0, cr3, cr4, efer, stack, entry, index;
};
extern const uint8_t ap_boot_start[], ap_boot_end[], ap_boot_data[];

static uint8_t ap_stacks[MAX_CPUS][AP_STACK_SIZE] __attribute__((aligned(16)));
static struct cpu_discovery disc;
static uint32_t start_ticks;
static volatile bool identity_gone;
static uint32_t apic_timer_count;   /* 0: the PIT is the tick */

/* ---- running a function on another CPU ------------------------------------ */

static struct spinlock call_lock = SPINLOCK_INIT("smp call");
static struct {
    void (*fn)(void *);
    void *arg;
    volatile uint32_t done;
} call;

static bool ipi_call(struct trap_frame *tf)
{
    (void)tf;
    this_cpu()->ipis_received++;
    /* EOI first: the function may enable interrupts and take a TLB
     * shootdown, whose vector shares this one's priority class (SDM 11.8.3). */
    apic_eoi();
    call.fn(call.arg);
    __atomic_store_n(&call.done, 1, __ATOMIC_RELEASE);
    return true;
}

/* Starts fn(arg) on CPU index by IPI; the call slot stays taken (and
 * interrupts off here) until smp_call_wait.  One call at a time. */
bool smp_call_start(uint32_t index, void (*fn)(void *), void *arg, uint32_t *flags)
{
    if (index >= cpu_count || !cpu_table[index].online || index == cpu_index())
        return false;
    *flags = spin_lock(&call_lock);
    call.fn = fn;
    call.arg = arg;
    call.done = 0;
    apic_send_ipi((uint8_t)cpu_table[index].apic_id, T_IPI_CALL);
    return true;
}

void smp_call_wait(uint32_t flags)
{
    ASSERT(spin_held_here(&call_lock));
    while (!__atomic_load_n(&call.done, __ATOMIC_ACQUIRE)) {
        __builtin_ia32_pause();
        tlb_shootdown_poll();       /* the other CPU may be shooting at us */
    }
    spin_unlock(&call_lock, flags);
}

bool smp_call(uint32_t index, void (*fn)(void *), void *arg)
{
    uint32_t flags;
    if (index == cpu_index()) {
        fn(arg);
        return true;
    }
    if (!smp_call_start(index, fn, arg, &flags))
        return false;
    smp_call_wait(flags);
    return true;
}

/* ---- interrupts every CPU handles ----------------------------------------- */

static bool spurious(struct trap_frame *tf)
{
    (void)tf;
    return true;                    /* no EOI for a spurious interrupt (SDM 11.9) */
}

/* Another CPU panicked: stop here, interrupts off, until QEMU exits. */
static bool nmi(struct trap_frame *tf)
{
    (void)tf;
    if (!panic_in_progress())
        return false;
    for (;;) {
        cli();
        hlt();
    }
}

/* ---- start-up ----------------------------------------------------------- */

void smp_discover(bool no_acpi)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    cpu_discover(apic_cpuid_id(), no_acpi, &disc);
    if (!(d & CPUID_APIC)) {
        disc.count = 1;
        disc.lapic_phys = 0;
    }
    cpu_count = disc.count;
    for (uint32_t i = 0; i < disc.count; i++)
        cpu_table[i].apic_id = disc.apic_id[i];
}

/* Where an AP enters C, on its own stack (ap_boot.asm pushes the index). */
static void __attribute__((noreturn)) ap_main(uint32_t index)
{
    gdt_init_ap(index, (uint32_t)&ap_stacks[index][AP_STACK_SIZE]);
    trap_load_idt();
    apic_enable_here();
    struct cpu *c = this_cpu();
    ASSERTF(c->index == index && c->apic_id == apic_read_id(), "cpu %u: per-CPU data of %u, APIC %u/%u",
            index, c->index, c->apic_id, apic_read_id());
    __atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
    __atomic_or_fetch(&cpus_online_mask, 1u << index, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&cpus_online, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&identity_gone, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
    /* Into the kernel space's CPU set; the CR3 load forgets the start-up
     * page's identity translation. */
    vm_switch(vm_kernel_space());
    timer_start_here();
    sched_run_cpu();                /* this code becomes the CPU's idle thread */
}

static void wait_ticks(uint64_t n)
{
    uint64_t until = timer_ticks() + n;
    while (timer_ticks() < until)
        hlt();
}

/* INIT-SIPI-SIPI for CPU index; true when it said it is online. */
static bool start_one(uint32_t index, volatile struct ap_boot_data *data)
{
    uint8_t id = (uint8_t)cpu_table[index].apic_id;
    data->stack = (uint32_t)&ap_stacks[index][AP_STACK_SIZE];
    data->index = index;
    apic_send_init(id);
    wait_ticks(10);
    for (int sipi = 0; sipi < 2 && !cpu_table[index].online; sipi++) {
        apic_send_sipi(id, AP_BOOT_PHYS >> 12);
        wait_ticks(1);
    }
    uint64_t until = timer_ticks() + AP_START_TIMEOUT;
    while (!__atomic_load_n(&cpu_table[index].online, __ATOMIC_ACQUIRE) && timer_ticks() < until)
        hlt();
    return cpu_table[index].online;
}

uint32_t smp_start(uint32_t max_cpus)
{
    cpu_table[0].online = 1;
    if (disc.lapic_phys == 0)
        return 1;
    bool ok = paging_map(LAPIC_VA, disc.lapic_phys, PTE_W | PTE_PCD | PTE_PWT);
    ASSERTF(ok, "no page table for the local APIC at %08x", LAPIC_VA);
    apic_init(LAPIC_VA);
    apic_enable_here();
    ASSERTF(apic_read_id() == cpu_table[0].apic_id, "boot CPU: APIC id %u, CPUID says %u",
            apic_read_id(), cpu_table[0].apic_id);
    trap_set_handler(T_APIC_SPURIOUS, spurious);
    trap_set_handler(T_NMI, nmi);
    trap_set_handler(T_IPI_CALL, ipi_call);
    panic_set_stop_others_hook(apic_send_nmi_others);
    tlb_shootdown_init();
    uint32_t want = max_cpus != 0 && max_cpus < cpu_count ? max_cpus : cpu_count;
    if (want <= 1)
        return cpus_online;

    uint64_t t0 = timer_ticks();
    uint8_t *page = paging_temp_map(AP_BOOT_PHYS);
    memcpy(page, ap_boot_start, (size_t)(ap_boot_end - ap_boot_start));
    volatile struct ap_boot_data *data =
        (volatile struct ap_boot_data *)(page + (ap_boot_data - ap_boot_start));
    data->cr0 = read_cr0();
    data->cr3 = read_cr3();
    data->cr4 = read_cr4();
    struct paging_stats ps;
    paging_get_stats(&ps);
    data->efer = ps.nx ? (1u << 11) : 0;    /* EFER.NXE: the tables hold NX bits */
    data->entry = (uint32_t)ap_main;
    ok = paging_map(AP_BOOT_PHYS, AP_BOOT_PHYS, PTE_W);
    ASSERTF(ok, "no frame for the page table of %08x", AP_BOOT_PHYS);
    for (uint32_t i = 1; i < want; i++)
        if (!start_one(i, data))
            kprintf("smp: cpu %u (APIC %u) did not start within %u ms; left out\n", i,
                    cpu_table[i].apic_id, AP_START_TIMEOUT);
    paging_unmap(AP_BOOT_PHYS);
    paging_temp_unmap(page);
    if (cpus_online > 1)
        apic_timer_count = timer_switch_to_apic();
    __atomic_store_n(&identity_gone, true, __ATOMIC_RELEASE);
    start_ticks = (uint32_t)(timer_ticks() - t0);
    return cpus_online;
}

/* ---- the console's view ------------------------------------------------------ */

void smp_get_info(struct smp_info *out)
{
    out->found = cpu_count;
    out->online = cpus_online;
    out->source = disc.source;
    out->madt_cpus = disc.madt_cpus;
    out->mp_cpus = disc.mp_cpus;
    out->lapic_phys = disc.lapic_phys;
    out->start_ticks = start_ticks;
}

void smp_print_cpus(void)
{
    kprintf("cpus: %u found (%s; MADT lists %u, MP table %u), %u online, local APIC %s%08x, "
            "start-up %u ms\n", cpu_count, disc.source, disc.madt_cpus, disc.mp_cpus, cpus_online,
            disc.lapic_phys ? "at " : "none ", disc.lapic_phys, start_ticks);
    if (apic_timer_count != 0)
        kprintf("tick: local APIC timer on every CPU, %u counts per ms\n", apic_timer_count);
    else
        kprintf("tick: PIT on cpu 0\n");
    struct tlb_shootdown_stats st;
    tlb_shootdown_get_stats(&st);
    kprintf("TLB shootdowns: %u requests, %u IPIs sent, %u CPUs interrupted, %u pages listed, "
            "%u full flushes; %u invalidations needed no other CPU\n", st.requests, st.ipis,
            st.cpus_interrupted, st.pages, st.full_flushes, st.skipped_local_only);
    for (uint32_t i = 0; i < cpu_count; i++) {
        const struct cpu *c = &cpu_table[i];
        kprintf("  cpu %u  APIC %-3u %-8s IPIs in %-6u shootdowns served %-6u pages %-6u "
                "switches %-6u idle %u\n", i, c->apic_id, c->online ? "online" : "offline",
                c->ipis_received, c->tlb_shootdowns_served, c->tlb_pages_flushed_remote,
                c->switches, c->idle_turns);
    }
}
