/* Symbols the linker script and boot code define: where the kernel image
 * and the boot stack are. */
#ifndef KERNEL_LAYOUT_H
#define KERNEL_LAYOUT_H

#include <stdint.h>

#define KERNEL_VBASE 0x80000000u    /* virtual = physical + KERNEL_VBASE */

extern char __kernel_start[], __text_end[], __rodata_end[], __kernel_end[];
extern char boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];
extern uint32_t boot_pd[1024];

#endif
