/* The two 8259A PICs, remapped to vectors vector_base..vector_base+15
 * (0x30..0x3F: T_IRQ0 in kernel/arch/trap.h). */
#ifndef KERNEL_PIC_H
#define KERNEL_PIC_H

#include <stdint.h>

void pic_init(uint8_t vector_base);  /* remap; every line masked */
void pic_unmask(unsigned irq);
void pic_mask_irq(unsigned irq);
void pic_eoi(unsigned irq);

#endif
