/* panic(): the whole story over serial, then QEMU exits with the failure
 * status.  Never hangs: a fault while reporting is caught, and a panic
 * inside a panic just exits.
 *
 * The stack of fault catches (kernel/base/fault_catch.h) lives here too:
 * the report reads stack words through a catch, a panic drops every
 * catch, and a misused catch panics, so the two are one module. */
#include "kernel/base/panic.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/fault_catch.h"
#include "kernel/base/ksyms.h"
#include "kernel/base/qemu.h"
#include "kernel/base/layout.h"
#include "kernel/base/x86.h"
#include "kernel/base/percpu.h"
#include <stdarg.h>
#include <stddef.h>

#define BACKTRACE_MAX 24

/* The catches are per thread: a list through the catches themselves (on
 * the thread's stack), its head in this CPU's struct cpu while the thread
 * runs here; the scheduler saves and loads the head at every switch
 * (kernel/thread.c), which base cannot see.  Push and pop run with
 * interrupts off: between reading this_cpu() and writing its head a tick
 * could move the thread to another CPU, and the write would land in the
 * wrong CPU's head. */
void fault_catch_push(struct fault_catch *c)
{
    uint32_t f = irq_save();
    struct cpu *cpu = this_cpu();
    struct fault_catch *top = cpu->catch_top;
    int depth = top != NULL ? top->depth + 1 : 1;
    ASSERTF(depth <= CATCH_DEPTH, "fault catches nested %d deep", depth);
    ASSERTF(c != top, "catch %p pushed twice", (void *)c);
    c->seen.vector = FAULT_NONE;
    c->outer = top;
    c->depth = depth;
    cpu->catch_top = c;
    irq_restore(f);
}

void fault_catch_pop(struct fault_catch *c)
{
    uint32_t f = irq_save();
    struct cpu *cpu = this_cpu();
    ASSERTF(cpu->catch_top == c, "catch %p popped out of order (innermost %p, depth %d)",
            (void *)c, (void *)cpu->catch_top, cpu->catch_top ? cpu->catch_top->depth : 0);
    cpu->catch_top = c->outer;
    irq_restore(f);
}

void fault_catch_reset(void)
{
    uint32_t f = irq_save();
    this_cpu()->catch_top = NULL;
    irq_restore(f);
}

/* (Called by the trap dispatcher, interrupts off.) */
struct fault_catch *fault_catch_top(void)
{
    return percpu_ready ? this_cpu()->catch_top : NULL;
}

void fault_catch_deliver(struct fault_catch *c, const struct fault_record *seen)
{
    struct cpu *cpu = this_cpu();
    ASSERTF(cpu->catch_top == c, "delivering to catch %p, not the innermost %p", (void *)c,
            (void *)cpu->catch_top);
    cpu->catch_top = c->outer;
    c->seen = *seen;
    kjmp_go(&c->jmp, 1);
}

/* ---- the report ---------------------------------------------------------- */


static volatile uint32_t panic_cpu;     /* index + 1 of the CPU reporting, 0: none */
static void (*panic_hook)(void);
static void (*stop_others)(void);

void panic_set_stop_others_hook(void (*fn)(void))
{
    stop_others = fn;
}

bool panic_in_progress(void)
{
    return __atomic_load_n(&panic_cpu, __ATOMIC_ACQUIRE) != 0;
}

void panic_set_hook(void (*hook)(void))
{
    panic_hook = hook;
}

/* The first CPU to panic reports; it stops the others by NMI (their
 * handler halts them) so nothing else prints or changes memory.  A
 * second CPU that panics meanwhile halts itself: the first one exits QEMU.
 * A panic inside the report exits at once. */
void panic_begin(void)
{
    cli();
    uint32_t me = cpu_index() + 1, expected = 0;
    if (!__atomic_compare_exchange_n(&panic_cpu, &expected, me, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        if (expected != me)
            for (;;)
                hlt();
        kprintf("\nKERNEL PANIC while panicking; giving up\n");
        qemu_exit(QEMU_EXIT_FAIL);
    }
    if (stop_others != NULL)
        stop_others();
    fault_catch_reset();
}

static void print_symbol(int index, uint32_t addr)
{
    const char *name;
    uint32_t off;

    if (ksyms_lookup(addr, &name, &off))
        kprintf("  #%-2d %08x %s+0x%x\n", index, addr, name, off);
    else
        kprintf("  #%-2d %08x ?\n", index, addr);
}

/* Reads one word of a stack frame; false if the read faulted. */
static bool read_frame_word(uint32_t addr, uint32_t *out)
{
    struct fault_record rec;
    volatile uint32_t value = 0;

    if (addr < KERNEL_VBASE || addr % 4 != 0)
        return false;
    CATCH_FAULT(&rec, value = *(volatile uint32_t *)addr);
    *out = value;
    return rec.vector == FAULT_NONE;
}

void panic_backtrace(uint32_t eip, uint32_t ebp)
{
    kprintf("backtrace:\n");
    print_symbol(0, eip);
    for (int i = 1; i < BACKTRACE_MAX && ebp != 0; i++) {
        uint32_t next, ret;
        if (!read_frame_word(ebp, &next) || !read_frame_word(ebp + 4, &ret)) {
            kprintf("  (frame pointer %08x is not readable)\n", ebp);
            return;
        }
        if (ret == 0)
            return;
        /* The return address points after the call; -1 names the caller's line. */
        print_symbol(i, ret);
        if (next != 0 && next <= ebp) {
            kprintf("  (frame chain goes backwards at %08x)\n", ebp);
            return;
        }
        ebp = next;
    }
}

void panic_end(void)
{
    if (panic_hook != NULL)
        panic_hook();
    kprintf("KERNEL PANIC: exiting with failure status\n");
    qemu_exit(QEMU_EXIT_FAIL);
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
    uint32_t eax, ebx, ecx, edx, esi, edi;
    __asm__ volatile("" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx), "=S"(esi), "=D"(edi));
    uint32_t ebp = read_ebp();
    va_list ap;

    panic_begin();
    kprintf("\nKERNEL PANIC at %s:%d (cpu %u): ", file, line, cpu_index());
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n  eax=%08x ebx=%08x ecx=%08x edx=%08x\n", eax, ebx, ecx, edx);
    kprintf("  esi=%08x edi=%08x ebp=%08x esp=%08x\n", esi, edi, ebp, read_esp());
    kprintf("  cr0=%08x cr2=%08x cr3=%08x cr4=%08x\n", read_cr0(), read_cr2(), read_cr3(), read_cr4());
    panic_backtrace((uint32_t)__builtin_return_address(0), read_frame_word(ebp, &ebp) ? ebp : 0);
    panic_end();
}
