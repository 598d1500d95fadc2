/* 16550 UART on COM1, polled.  115200 baud 8N1 (divisor 1). */
#include "kernel/base/serial.h"
#include "kernel/base/x86.h"

#define COM1 0x3F8
#define UART_DATA 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define LCR_DLAB 0x80
#define LCR_8N1 0x03

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);            /* polled: no UART interrupts */
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DATA, 1);              /* divisor low: 115200 baud */
    outb(COM1 + UART_IER, 0);               /* divisor high */
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_FCR, 0xC7);            /* enable and clear FIFOs */
    outb(COM1 + UART_MCR, 0x03);            /* DTR | RTS */
}

static void serial_put_raw(char c)
{
    while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
        ;
    outb(COM1 + UART_DATA, (uint8_t)c);
}

void serial_putc(char c)
{
    if (c == '\n')
        serial_put_raw('\r');
    serial_put_raw(c);
}

bool serial_can_read(void)
{
    return inb(COM1 + UART_LSR) & LSR_DATA_READY;
}

char serial_getc(void)
{
    while (!serial_can_read())
        __asm__ volatile("pause");
    return (char)inb(COM1 + UART_DATA);
}
