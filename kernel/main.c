/* kmain: bring the machine up in dependency order, then run the job the
 * command line asks for (test suites, or the interactive console). */
#include "kernel/bootinfo.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/gdt.h"
#include "kernel/trap.h"
#include "kernel/pic.h"
#include "kernel/timer.h"
#include "kernel/panic.h"
#include "kernel/qemu.h"
#include "kernel/shell.h"
#include "kernel/serial.h"
#include <stddef.h>
#include "kernel/x86.h"
#include "tests/ktest.h"

#define KERNEL_NAME "winmm-x86"
#define KERNEL_VERSION "0.1"

void kmain(uint32_t magic, uint32_t mbi_phys);

static void print_banner(void)
{
    kprintf("\n%s %s: a 32-bit x86 kernel with the Windows memory API layering\n",
            KERNEL_NAME, KERNEL_VERSION);
    kprintf("cmdline: '%s'\n", bootinfo()->cmdline);
}

void kmain(uint32_t magic, uint32_t mbi_phys)
{
    serial_init();
    bootinfo_init(magic, mbi_phys);
    gdt_init();
    trap_init();
    pic_init();
    timer_init();
    print_banner();
    bootinfo_print();
    int unknown = cmdline_init(bootinfo()->cmdline);
    sti();

    const char *tests = cmdline_get("test");
    if (tests != NULL) {
        bool ok = ktest_run(tests) && unknown == 0;
        qemu_exit(ok ? QEMU_EXIT_PASS : QEMU_EXIT_FAIL);
    }
    shell_run();
}
