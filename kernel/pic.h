/* The two 8259A PICs, remapped to vectors 0x30..0x3F. */
#ifndef KERNEL_PIC_H
#define KERNEL_PIC_H

void pic_init(void);                /* remap; every line masked */
void pic_unmask(unsigned irq);
void pic_eoi(unsigned irq);

#endif
