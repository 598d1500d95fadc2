/* What the multiboot loader told us, copied into the kernel at entry so
 * that nothing depends on the loader's memory afterwards. */
#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H

#include <stdint.h>
#include <stdbool.h>

#define BOOT_MMAP_MAX 64
#define BOOT_MODULES_MAX 64
#define BOOT_RESERVED_MAX (8 + 2 * BOOT_MODULES_MAX)
#define BOOT_CMDLINE_MAX 1024

#define BOOT_MEM_AVAILABLE 1            /* multiboot memory type 1 */

struct boot_mem_region {
    uint64_t base;
    uint64_t length;
    uint32_t type;                      /* 1 available, others reserved */
};

struct boot_module {
    uint32_t start, end;                /* physical, end exclusive */
    char name[64];
};

/* Physical ranges the boot path uses; the frame allocator never hands
 * them out. */
struct boot_range {
    uint32_t start, end;                /* end exclusive */
    const char *what;
};

struct boot_info {
    uint32_t flags;
    char cmdline[BOOT_CMDLINE_MAX];
    struct boot_mem_region mmap[BOOT_MMAP_MAX];
    int mmap_count;
    struct boot_module modules[BOOT_MODULES_MAX];
    int module_count;
    struct boot_range reserved[BOOT_RESERVED_MAX];
    int reserved_count;
};

/* Validates the magic and copies the multiboot information.  Panics with
 * the reason when the loader is not multiboot v1 or gave no memory map. */
void bootinfo_init(uint32_t magic, uint32_t mbi_phys);
const struct boot_info *bootinfo(void);
void bootinfo_print(void);
/* Bytes of RAM the memory map lists as available (all of it, also above
 * 4 GiB). */
uint64_t bootinfo_available_bytes(void);

#endif
