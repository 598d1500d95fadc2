/* Symbols the linker script and boot code (boot/entry.asm) define: where
 * the kernel image and the boot stack are; and kmain, which the boot code
 * calls (kernel/main.c), declared here so that boot depends on this
 * interface rather than on the kernel above it. */
#ifndef KERNEL_BASE_LAYOUT_H
#define KERNEL_BASE_LAYOUT_H

#include <stdint.h>

#define KERNEL_VBASE 0x80000000u    /* virtual = physical + KERNEL_VBASE */

extern char __kernel_start[], __text_end[], __rodata_end[], __kernel_end[];
extern char boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];
extern uint32_t boot_pd[1024];

/* Entered from boot/entry.asm on the boot stack, paging on, with the
 * multiboot magic and the physical address of the multiboot info. */
void kmain(uint32_t magic, uint32_t mbi_phys);

#endif
