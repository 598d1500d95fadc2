#include "kernel/base/qemu.h"
#include "kernel/base/x86.h"

#define DEBUG_EXIT_PORT 0xf4

void qemu_exit(unsigned code)
{
    outl(DEBUG_EXIT_PORT, code);
    for (;;) {
        cli();
        hlt();
    }
}
