/* GDT, the main TSS and the double-fault TSS.
 *
 * #DF is delivered through a task gate (Intel SDM Vol.3 6.14.2, 7.3): the
 * CPU saves the faulting state in the main TSS and loads the double-fault
 * TSS, which has its own stack.  So a kernel stack overflow (the #PF on the
 * stack guard cannot push its frame, which escalates to #DF) is reported
 * instead of triple-faulting. */
#include "kernel/arch/gdt.h"
#include "kernel/base/panic.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/x86.h"
#include "kernel/base/qemu.h"
#include <string.h>
#include <stdbool.h>
#include "kernel/base/layout.h"
#include "kernel/base/percpu.h"

struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2;
    uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "32-bit TSS is 104 bytes (SDM 7.2.1)");

struct gdt_entry {
    uint16_t limit_lo, base_lo;
    uint8_t base_mid, access, flags_limit_hi, base_hi;
} __attribute__((packed));
_Static_assert(sizeof(struct gdt_entry) == 8, "descriptor size");

#define GDT_ENTRIES 10
#define ACC_KCODE 0x9A      /* present, ring 0, code, readable */
#define ACC_KDATA 0x92      /* present, ring 0, data, writable */
#define ACC_UCODE 0xFA
#define ACC_UDATA 0xF2
#define ACC_TSS 0x89        /* present, 32-bit available TSS */
#define FLAGS_4K_32 0xC     /* granularity 4 KiB, 32-bit */
#define FLAGS_BYTE_32 0x4   /* byte granularity, 32-bit */

/* One GDT, main TSS and double-fault TSS (with its stack) per CPU: a TSS
 * is busy while its CPU uses it, and TSS.ESP0 and the TEB and per-CPU
 * descriptors differ between CPUs. */
struct cpu_tables {
    struct gdt_entry gdt[GDT_ENTRIES];
    struct tss main_tss;
    struct tss df_tss;
    uint8_t df_stack[8192] __attribute__((aligned(16)));
};
static struct cpu_tables tables[MAX_CPUS];

static struct cpu_tables *here(void)
{
    return &tables[cpu_index()];
}

static void gdt_set(struct gdt_entry *gdt, int i, uint32_t base, uint32_t limit,
                    uint8_t access, uint8_t flags)
{
    gdt[i] = (struct gdt_entry){
        .limit_lo = limit & 0xFFFF,
        .base_lo = base & 0xFFFF,
        .base_mid = (base >> 16) & 0xFF,
        .access = access,
        .flags_limit_hi = (uint8_t)((flags << 4) | ((limit >> 16) & 0xF)),
        .base_hi = (base >> 24) & 0xFF,
    };
}

static void gdt_load(struct gdt_entry *gdt)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) gdtr = { GDT_ENTRIES * sizeof(*gdt) - 1, (uint32_t)gdt };

    __asm__ volatile(
        "lgdt %0\n\t"
        "ljmp %1, $1f\n"
        "1:\n\t"
        "mov %2, %%ax\n\t"
        "mov %%ax, %%ds\n\t"
        "mov %%ax, %%es\n\t"
        "mov %%ax, %%ss\n\t"
        "xor %%ax, %%ax\n\t"
        "mov %%ax, %%fs\n\t"
        "mov %3, %%ax\n\t"
        "mov %%ax, %%gs\n\t"
        :
        : "m"(gdtr), "i"(SEL_KCODE), "i"(SEL_KDATA), "i"(SEL_PERCPU)
        : "eax", "memory");
    __asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
}

/* Runs as its own task after a double fault: the interrupted state is in
 * main_tss.  Reports it and leaves QEMU; never returns. */
static void double_fault_task(void)
{
    uint32_t cr2 = read_cr2();
    struct tss main_tss = here()->main_tss;
    uint32_t esp = main_tss.esp;

    panic_begin();
    kprintf("\nKERNEL PANIC: double fault (#DF, vector 8) on cpu %u, reported from its own TSS stack\n",
            cpu_index());
    if (esp >= (uint32_t)boot_stack_guard && esp < (uint32_t)boot_stack_bottom + 64)
        kprintf("  cause: kernel stack overflow (esp %08x reached the guard page %p-%p)\n",
                esp, (void *)boot_stack_guard, (void *)boot_stack_bottom);
    kprintf("  eax=%08x ebx=%08x ecx=%08x edx=%08x\n",
            main_tss.eax, main_tss.ebx, main_tss.ecx, main_tss.edx);
    kprintf("  esi=%08x edi=%08x ebp=%08x esp=%08x\n",
            main_tss.esi, main_tss.edi, main_tss.ebp, esp);
    kprintf("  eip=%08x eflags=%08x cs=%04x ss=%04x\n",
            main_tss.eip, main_tss.eflags, main_tss.cs, main_tss.ss);
    kprintf("  cr0=%08x cr2=%08x cr3=%08x cr4=%08x\n", read_cr0(), cr2, read_cr3(), read_cr4());
    panic_backtrace(main_tss.eip, main_tss.ebp);
    panic_end();
}

/* Builds CPU index's GDT and TSSs and loads them (with GS = SEL_PERCPU
 * on that CPU's struct cpu); esp0 is its first ring-0 stack. */
static void gdt_init_tables(uint32_t index, uint32_t esp0)
{
    struct cpu_tables *t = &tables[index];
    struct gdt_entry *gdt = t->gdt;
    struct cpu *c = &cpu_table[index];

    c->self = c;
    c->index = index;
    gdt_set(gdt, 0, 0, 0, 0, 0);
    gdt_set(gdt, 1, 0, 0xFFFFF, ACC_KCODE, FLAGS_4K_32);
    gdt_set(gdt, 2, 0, 0xFFFFF, ACC_KDATA, FLAGS_4K_32);
    gdt_set(gdt, 3, 0, 0xFFFFF, ACC_UCODE, FLAGS_4K_32);
    gdt_set(gdt, 4, 0, 0xFFFFF, ACC_UDATA, FLAGS_4K_32);

    memset(&t->main_tss, 0, sizeof(t->main_tss));
    t->main_tss.ss0 = SEL_KDATA;
    t->main_tss.esp0 = esp0;
    t->main_tss.iomap_base = sizeof(struct tss);       /* no I/O bitmap */
    gdt_set(gdt, 5, (uint32_t)&t->main_tss, sizeof(t->main_tss) - 1, ACC_TSS, 0);

    struct tss *df = &t->df_tss;
    memset(df, 0, sizeof(*df));
    df->eip = (uint32_t)double_fault_task;
    df->esp = (uint32_t)(t->df_stack + sizeof(t->df_stack));
    df->ss0 = SEL_KDATA;
    df->esp0 = df->esp;
    df->cs = SEL_KCODE;
    df->ds = df->es = df->ss = SEL_KDATA;
    df->gs = SEL_PERCPU;                            /* the report uses this_cpu() */
    df->eflags = 0x2;                               /* IF clear */
    df->cr3 = read_cr3();
    df->iomap_base = sizeof(struct tss);
    gdt_set(gdt, 6, (uint32_t)df, sizeof(*df) - 1, ACC_TSS, 0);
    gdt_set(gdt, 7, 0, 0xFFF, ACC_UDATA, FLAGS_BYTE_32);     /* SEL_TEB: no thread yet */
    gdt_set(gdt, 8, (uint32_t)c, sizeof(*c) - 1, ACC_KDATA, FLAGS_BYTE_32);   /* SEL_PERCPU */
    gdt_set(gdt, 9, 0, index, ACC_UDATA, FLAGS_BYTE_32);    /* SEL_CPUNUM: LSL reads the index */

    gdt_load(gdt);
}

void gdt_init(void)
{
    gdt_init_tables(0, (uint32_t)boot_stack_top);
    percpu_ready = true;
}

void gdt_init_ap(uint32_t index, uint32_t esp0)
{
    ASSERTF(index > 0 && index < MAX_CPUS, "cpu index %u", index);
    gdt_init_tables(index, esp0);
    /* The double-fault task runs in the space the boot CPU's does. */
    tables[index].df_tss.cr3 = tables[0].df_tss.cr3;
}

void tss_set_kernel_stack(uint32_t esp0)
{
    here()->main_tss.esp0 = esp0;
}

/* NT gives the TEB segment a limit of 0xFFF, one page (KiSwapContext
 * rewrites only the base); the descriptor's type and DPL never change. */
void gdt_set_teb(uint32_t teb)
{
    struct gdt_entry *gdt = here()->gdt;
    gdt[7].base_lo = teb & 0xFFFF;
    gdt[7].base_mid = (teb >> 16) & 0xFF;
    gdt[7].base_hi = (teb >> 24) & 0xFF;
}

void tss_set_double_fault_cr3(uint32_t cr3)
{
    for (int i = 0; i < MAX_CPUS; i++)
        tables[i].df_tss.cr3 = cr3;
}
