/* Loading ELF32 executables (user programs passed as multiboot modules). */
#ifndef KERNEL_ELF_H
#define KERNEL_ELF_H

#include <stdint.h>
#include <windef.h>

struct vm_space;

/* Maps the PT_LOAD segments of the ELF image at physical [image, image +
 * length) into `as` through the VM layer: one reservation for the whole
 * image, each segment committed, filled and given its protection (text
 * read-only and executable, data read-write).  Validates every header
 * field against the image and user space first; STATUS_INVALID_IMAGE_FORMAT
 * for anything malformed. */
NTSTATUS elf_load(struct vm_space *as, uint32_t image, uint32_t length, uint32_t *entry);

#endif
