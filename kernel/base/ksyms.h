/* The kernel's own symbol table, built into the image after linking
 * (tools/mksyms.py fills the .ksyms section), for symbolised backtraces. */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <stdbool.h>
#include <stdint.h>

/* Finds the function containing addr: its name and addr's offset in it.
 * Returns false (name NULL) outside the kernel's text. */
bool ksyms_lookup(uint32_t addr, const char **name, uint32_t *offset);
/* Address of a function by name, 0 if unknown. */
uint32_t ksyms_address(const char *name);
uint32_t ksyms_count(void);

#endif
