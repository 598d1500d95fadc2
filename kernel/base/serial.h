/* COM1 serial port: the kernel's console. */
#ifndef KERNEL_SERIAL_H
#define KERNEL_SERIAL_H

#include <stdbool.h>

void serial_init(void);
void serial_putc(char c);          /* '\n' is sent as "\r\n" */
bool serial_can_read(void);
char serial_getc(void);            /* blocks until a byte arrives */

#endif
