/* panic(): the whole story over serial, then QEMU exits with the failure
 * status.  Never hangs: a fault while reporting is caught, and a panic
 * inside a panic just exits. */
#include "kernel/panic.h"
#include "kernel/console.h"
#include "kernel/trap.h"
#include "kernel/ksyms.h"
#include "kernel/qemu.h"
#include "kernel/layout.h"
#include "kernel/x86.h"
#include <stdarg.h>
#include <stddef.h>

#define BACKTRACE_MAX 24

static int panic_depth;
static void (*panic_hook)(void);

void panic_set_hook(void (*hook)(void))
{
    panic_hook = hook;
}

void panic_begin(void)
{
    cli();
    if (++panic_depth > 1) {
        kprintf("\nKERNEL PANIC while panicking; giving up\n");
        qemu_exit(QEMU_EXIT_FAIL);
    }
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
    kprintf("\nKERNEL PANIC at %s:%d: ", file, line);
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n  eax=%08x ebx=%08x ecx=%08x edx=%08x\n", eax, ebx, ecx, edx);
    kprintf("  esi=%08x edi=%08x ebp=%08x esp=%08x\n", esi, edi, ebp, read_esp());
    kprintf("  cr0=%08x cr2=%08x cr3=%08x cr4=%08x\n", read_cr0(), read_cr2(), read_cr3(), read_cr4());
    panic_backtrace((uint32_t)__builtin_return_address(0), read_frame_word(ebp, &ebp) ? ebp : 0);
    panic_end();
}

void panic_trap(const struct trap_frame *tf, const char *why)
{
    panic_begin();
    kprintf("\nKERNEL PANIC: %s: %s\n", why, trap_name(tf->vector));
    trap_report(tf);
    panic_end();
}
