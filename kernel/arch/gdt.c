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

#define GDT_ENTRIES 8
#define ACC_KCODE 0x9A      /* present, ring 0, code, readable */
#define ACC_KDATA 0x92      /* present, ring 0, data, writable */
#define ACC_UCODE 0xFA
#define ACC_UDATA 0xF2
#define ACC_TSS 0x89        /* present, 32-bit available TSS */
#define FLAGS_4K_32 0xC     /* granularity 4 KiB, 32-bit */
#define FLAGS_BYTE_32 0x4   /* byte granularity, 32-bit */

static struct gdt_entry gdt[GDT_ENTRIES];
static struct tss main_tss;
static struct tss df_tss;
static uint8_t df_stack[8192] __attribute__((aligned(16)));

static void gdt_set(int i, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
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

static void gdt_load(void)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint32_t)gdt };

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
        "mov %%ax, %%gs\n\t"
        :
        : "m"(gdtr), "i"(SEL_KCODE), "i"(SEL_KDATA)
        : "eax", "memory");
    __asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
}

/* Runs as its own task after a double fault: the interrupted state is in
 * main_tss.  Reports it and leaves QEMU; never returns. */
static void double_fault_task(void)
{
    uint32_t cr2 = read_cr2();
    uint32_t esp = main_tss.esp;

    panic_begin();
    kprintf("\nKERNEL PANIC: double fault (#DF, vector 8), reported from its own TSS stack\n");
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

void gdt_init(void)
{
    gdt_set(0, 0, 0, 0, 0);
    gdt_set(1, 0, 0xFFFFF, ACC_KCODE, FLAGS_4K_32);
    gdt_set(2, 0, 0xFFFFF, ACC_KDATA, FLAGS_4K_32);
    gdt_set(3, 0, 0xFFFFF, ACC_UCODE, FLAGS_4K_32);
    gdt_set(4, 0, 0xFFFFF, ACC_UDATA, FLAGS_4K_32);

    memset(&main_tss, 0, sizeof(main_tss));
    main_tss.ss0 = SEL_KDATA;
    main_tss.esp0 = (uint32_t)boot_stack_top;
    main_tss.iomap_base = sizeof(struct tss);       /* no I/O bitmap */
    gdt_set(5, (uint32_t)&main_tss, sizeof(main_tss) - 1, ACC_TSS, 0);

    memset(&df_tss, 0, sizeof(df_tss));
    df_tss.eip = (uint32_t)double_fault_task;
    df_tss.esp = (uint32_t)(df_stack + sizeof(df_stack));
    df_tss.ss0 = SEL_KDATA;
    df_tss.esp0 = df_tss.esp;
    df_tss.cs = SEL_KCODE;
    df_tss.ds = df_tss.es = df_tss.ss = SEL_KDATA;
    df_tss.eflags = 0x2;                            /* IF clear */
    df_tss.cr3 = read_cr3();
    df_tss.iomap_base = sizeof(struct tss);
    gdt_set(6, (uint32_t)&df_tss, sizeof(df_tss) - 1, ACC_TSS, 0);
    gdt_set(7, 0, 0xFFF, ACC_UDATA, FLAGS_BYTE_32);     /* SEL_TEB: no thread yet */

    gdt_load();
}

void tss_set_kernel_stack(uint32_t esp0)
{
    main_tss.esp0 = esp0;
}

/* NT gives the TEB segment a limit of 0xFFF, one page (KiSwapContext
 * rewrites only the base); the descriptor's type and DPL never change. */
void gdt_set_teb(uint32_t teb)
{
    gdt[7].base_lo = teb & 0xFFFF;
    gdt[7].base_mid = (teb >> 16) & 0xFF;
    gdt[7].base_hi = (teb >> 24) & 0xFF;
}

void tss_set_double_fault_cr3(uint32_t cr3)
{
    df_tss.cr3 = cr3;
}
