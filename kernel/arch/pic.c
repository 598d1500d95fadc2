/* 8259A programming (ICW1..ICW4) to move IRQ 0-15 off the CPU exception
 * vectors: BIOS leaves IRQ 0-7 on vectors 8-15, where #DF..#PF live. */
#include "kernel/arch/pic.h"
#include "kernel/base/x86.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define ICW1_INIT_ICW4 0x11
#define ICW4_8086 0x01
#define PIC_EOI 0x20

static uint16_t pic_mask = 0xFFFF;

static void pic_write_mask(void)
{
    outb(PIC1_DATA, pic_mask & 0xFF);
    outb(PIC2_DATA, pic_mask >> 8);
}

void pic_init(uint8_t vector_base)
{
    outb(PIC1_CMD, ICW1_INIT_ICW4);
    outb(PIC2_CMD, ICW1_INIT_ICW4);
    outb(PIC1_DATA, vector_base);        /* ICW2: vector offsets */
    outb(PIC2_DATA, vector_base + 8);
    outb(PIC1_DATA, 0x04);           /* ICW3: slave on IRQ2 */
    outb(PIC2_DATA, 0x02);
    outb(PIC1_DATA, ICW4_8086);
    outb(PIC2_DATA, ICW4_8086);
    pic_mask = 0xFFFF & ~(1u << 2);  /* cascade line open, the rest masked */
    pic_write_mask();
}

void pic_unmask(unsigned irq)
{
    pic_mask &= (uint16_t)~(1u << irq);
    pic_write_mask();
}

void pic_mask_irq(unsigned irq)
{
    pic_mask |= (uint16_t)(1u << irq);
    pic_write_mask();
}

void pic_eoi(unsigned irq)
{
    if (irq >= 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}
