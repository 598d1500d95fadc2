/* Leaving the emulator: isa-debug-exit at port 0xf4 (QEMU exits with
 * (value << 1) | 1).  On real hardware the write does nothing and the CPU
 * halts for good. */
#ifndef KERNEL_QEMU_H
#define KERNEL_QEMU_H

#define QEMU_EXIT_PASS 0x10         /* QEMU exit status 33 */
#define QEMU_EXIT_FAIL 0x11         /* QEMU exit status 35 */

void qemu_exit(unsigned code) __attribute__((noreturn));

#endif
