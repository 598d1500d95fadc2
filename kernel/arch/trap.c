/* IDT setup and the one C entry point for every interrupt and exception. */
#include "kernel/arch/trap.h"
#include "kernel/arch/entry.h"
#include "kernel/arch/gdt.h"
#include "kernel/arch/pic.h"
#include "kernel/base/panic.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/ksyms.h"
#include "kernel/base/x86.h"
#include <stddef.h>

struct idt_gate {
    uint16_t offset_lo, selector;
    uint8_t zero, type_attr;
    uint16_t offset_hi;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 8, "gate descriptor size");

#define GATE_INT32 0x8E     /* present, DPL 0, 32-bit interrupt gate (IF cleared) */
#define GATE_TASK 0x85      /* present, DPL 0, task gate */
#define GATE_DPL3 0x60      /* DPL field = 3: reachable by `int n` from ring 3 */

static struct idt_gate idt[256];
static trap_handler handlers[256];
static void (*user_exception_handler)(struct trap_frame *tf);
static void (*irq_exit_hook)(void);
static bool (*kernel_fixup)(struct trap_frame *tf);
static void (*user_return_hook)(struct trap_frame *tf);

static const char *const exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
    "#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
};

const char *trap_name(unsigned vector)
{
    if (vector < 32)
        return exception_names[vector] ? exception_names[vector] : "reserved";
    if (vector >= T_IRQ0 && vector < T_IRQ0 + 16)
        return "IRQ";
    if (vector == T_SYSCALL)
        return "system service";
    return "interrupt";
}

static void idt_set(unsigned vector, uint32_t offset, uint16_t selector, uint8_t type)
{
    idt[vector] = (struct idt_gate){
        .offset_lo = offset & 0xFFFF,
        .selector = selector,
        .zero = 0,
        .type_attr = type,
        .offset_hi = offset >> 16,
    };
}

void trap_init(void)
{
    for (unsigned v = 0; v < TRAP_STUB_COUNT; v++)
        idt_set(v, trap_stub_table[v], SEL_KCODE, GATE_INT32);
    /* #DF switches to its own TSS (and stack) through a task gate. */
    idt_set(T_DF, 0, SEL_DF_TSS, GATE_TASK);

    trap_load_idt();
}

void trap_load_idt(void)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

void trap_set_handler(unsigned vector, trap_handler h)
{
    ASSERTF(vector < 256, "vector %u", vector);
    handlers[vector] = h;
}

void trap_set_gate_dpl3(unsigned vector)
{
    ASSERTF(vector < TRAP_STUB_COUNT, "vector %u has no stub", vector);
    idt[vector].type_attr |= GATE_DPL3;
}

void trap_set_irq_exit_hook(void (*fn)(void))
{
    irq_exit_hook = fn;
}

void trap_set_user_exception_handler(void (*fn)(struct trap_frame *tf))
{
    user_exception_handler = fn;
}

void trap_set_user_return_hook(void (*fn)(struct trap_frame *tf))
{
    user_return_hook = fn;
}

void trap_set_kernel_fixup(bool (*fn)(struct trap_frame *tf))
{
    kernel_fixup = fn;
}

uint32_t trap_frame_esp(const struct trap_frame *tf)
{
    if ((tf->cs & 3) != 0)
        return tf->user_esp;
    /* Same-privilege interrupt: the CPU pushed eip, cs, eflags only, so
     * the interrupted ESP is just above them. */
    return (uint32_t)&tf->user_esp;
}

static void report_page_fault(const struct trap_frame *tf)
{
    uint32_t e = tf->error;
    kprintf("  page fault at %08x: %s, %s access, %s mode%s%s\n", read_cr2(),
            (e & PF_P) ? "protection violation (P=1)" : "page not present (P=0)",
            (e & PF_I) ? "instruction fetch" : (e & PF_W) ? "write" : "read",
            (e & PF_U) ? "user" : "supervisor",
            (e & PF_RSVD) ? ", reserved bit set (RSVD)" : "",
            (e & PF_I) ? " (I/D=1)" : "");
}

void trap_report(const struct trap_frame *tf)
{
    kprintf("  trap %u (%s), error code %08x\n", tf->vector, trap_name(tf->vector), tf->error);
    if (tf->vector == T_PF)
        report_page_fault(tf);
    kprintf("  eax=%08x ebx=%08x ecx=%08x edx=%08x\n", tf->eax, tf->ebx, tf->ecx, tf->edx);
    kprintf("  esi=%08x edi=%08x ebp=%08x esp=%08x\n", tf->esi, tf->edi, tf->ebp, trap_frame_esp(tf));
    kprintf("  eip=%08x eflags=%08x cs=%04x ds=%04x es=%04x fs=%04x gs=%04x\n",
            tf->eip, tf->eflags, tf->cs, tf->ds, tf->es, tf->fs, tf->gs);
    kprintf("  cr0=%08x cr2=%08x cr3=%08x cr4=%08x\n", read_cr0(), read_cr2(), read_cr3(), read_cr4());
    panic_backtrace(tf->eip, tf->ebp);
}

/* An exception nobody handled: give it to the innermost fault catch, or
 * panic with the full report. */
static void trap_unhandled(struct trap_frame *tf)
{
    if (kernel_fixup != NULL && kernel_fixup(tf))
        return;                 /* e.g. a bad user pointer in a copy: the copy fails */
    struct fault_catch *c = fault_catch_top();
    if (c != NULL) {
        struct fault_record seen = {
            .vector = tf->vector,
            .error = tf->error,
            .cr2 = tf->vector == T_PF ? read_cr2() : 0,
            .eip = tf->eip,
        };
        if (c->report) {
            kprintf("# unexpected exception:\n");
            trap_report(tf);
        }
        fault_catch_deliver(c, &seen);
    }
    panic_trap(tf, "unhandled exception");
}

void panic_trap(const struct trap_frame *tf, const char *why)
{
    panic_begin();
    kprintf("\nKERNEL PANIC: %s: %s\n", why, trap_name(tf->vector));
    trap_report(tf);
    panic_end();
}

void trap_dispatch(struct trap_frame *tf)
{
    unsigned v = tf->vector;

    if (v >= T_IRQ0 && v < T_IRQ0 + 16) {
        if (handlers[v] != NULL)
            handlers[v](tf);
        pic_eoi(v - T_IRQ0);
        if (irq_exit_hook != NULL)
            irq_exit_hook();
    } else if (handlers[v] != NULL && handlers[v](tf)) {
        /* resolved (a demand-zero fault, say); the local APIC's own
         * interrupts (timer, IPIs) may ask for a switch too */
        if (v >= T_APIC_FIRST && v < T_APIC_END && irq_exit_hook != NULL)
            irq_exit_hook();
    } else if (v < 32 && (tf->cs & 3) == 3 && user_exception_handler != NULL) {
        user_exception_handler(tf);
    } else {
        trap_unhandled(tf);
    }
    if ((tf->cs & 3) == 3 && user_return_hook != NULL)
        user_return_hook(tf);
}
