/* Multiboot v1 information structure (Multiboot Specification 0.6.96,
 * section 3.3).  The early page directory maps the low 16 MiB at
 * KERNEL_VBASE, and both GRUB and QEMU put the structures there. */
#include "kernel/bootinfo.h"
#include "kernel/base/layout.h"
#include "kernel/base/panic.h"
#include "kernel/base/kprintf.h"
#include <string.h>
#include <stddef.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define MBI_MEMORY 0x001
#define MBI_CMDLINE 0x004
#define MBI_MODS 0x008
#define MBI_MMAP 0x040
#define BOOT_WINDOW_END 0x01000000u     /* low 16 MiB mapped by boot/entry.asm */

struct multiboot_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct multiboot_module {
    uint32_t mod_start, mod_end, string, reserved;
} __attribute__((packed));

struct multiboot_mmap_entry {
    uint32_t size;                      /* of the rest of the entry */
    uint64_t addr, len;
    uint32_t type;
} __attribute__((packed));

static struct boot_info info;

/* Pointer to physical memory through the boot window. */
static const void *boot_phys(uint32_t phys, uint32_t len, const char *what)
{
    ASSERTF(phys + len >= phys && phys + len <= BOOT_WINDOW_END,
            "multiboot %s at %08x+%x lies outside the low 16 MiB boot window", what, phys, len);
    return (const void *)(uintptr_t)(phys + KERNEL_VBASE);
}

static void reserve_range(uint32_t start, uint32_t end, const char *what)
{
    if (start == end)
        return;
    ASSERTF(info.reserved_count < BOOT_RESERVED_MAX, "too many boot ranges (%s)", what);
    info.reserved[info.reserved_count++] = (struct boot_range){ start, end, what };
}

static void copy_string(char *dst, size_t cap, uint32_t phys, const char *what)
{
    const char *src = boot_phys(phys, 1, what);
    size_t n = 0;

    while (n + 1 < cap && src[n] != '\0')
        n++;
    memcpy(dst, src, n);
    dst[n] = '\0';
    reserve_range(phys, phys + (uint32_t)n + 1, what);
}

static void copy_mmap(const struct multiboot_info *mbi)
{
    const uint8_t *p = boot_phys(mbi->mmap_addr, mbi->mmap_length, "memory map");
    const uint8_t *end = p + mbi->mmap_length;

    reserve_range(mbi->mmap_addr, mbi->mmap_addr + mbi->mmap_length, "multiboot memory map");
    while (p < end && info.mmap_count < BOOT_MMAP_MAX) {
        const struct multiboot_mmap_entry *e = (const void *)p;
        info.mmap[info.mmap_count++] = (struct boot_mem_region){ e->addr, e->len, e->type };
        p += e->size + sizeof(e->size);
    }
}

static void copy_modules(const struct multiboot_info *mbi)
{
    const struct multiboot_module *m =
        boot_phys(mbi->mods_addr, mbi->mods_count * sizeof(*m), "module list");

    reserve_range(mbi->mods_addr, mbi->mods_addr + mbi->mods_count * sizeof(*m), "module list");
    ASSERTF(mbi->mods_count <= BOOT_MODULES_MAX, "%u modules, at most %d supported",
            mbi->mods_count, BOOT_MODULES_MAX);
    for (uint32_t i = 0; i < mbi->mods_count; i++) {
        struct boot_module *bm = &info.modules[info.module_count++];
        bm->start = m[i].mod_start;
        bm->end = m[i].mod_end;
        reserve_range(bm->start, bm->end, "module");
        if (m[i].string != 0)
            copy_string(bm->name, sizeof(bm->name), m[i].string, "module name");
    }
}

void bootinfo_init(uint32_t magic, uint32_t mbi_phys)
{
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        panic("not started by a multiboot v1 loader (eax=%08x, expected %08x)",
              magic, MULTIBOOT_BOOTLOADER_MAGIC);
    const struct multiboot_info *mbi = boot_phys(mbi_phys, sizeof(*mbi), "info");

    info.flags = mbi->flags;
    reserve_range(mbi_phys, mbi_phys + sizeof(*mbi), "multiboot info");
    if (mbi->flags & MBI_CMDLINE)
        copy_string(info.cmdline, sizeof(info.cmdline), mbi->cmdline, "command line");
    if (!(mbi->flags & MBI_MMAP))
        panic("the boot loader gave no memory map (multiboot flags %08x)", mbi->flags);
    copy_mmap(mbi);
    if (mbi->flags & MBI_MODS)
        copy_modules(mbi);
}

const struct boot_info *bootinfo(void)
{
    return &info;
}

uint64_t bootinfo_available_bytes(void)
{
    uint64_t total = 0;

    for (int i = 0; i < info.mmap_count; i++)
        if (info.mmap[i].type == BOOT_MEM_AVAILABLE)
            total += info.mmap[i].length;
    return total;
}

void bootinfo_print(void)
{
    kprintf("memory map (multiboot):\n");
    for (int i = 0; i < info.mmap_count; i++) {
        const struct boot_mem_region *r = &info.mmap[i];
        kprintf("  %016llx-%016llx %s (%llu KiB)\n", r->base, r->base + r->length - 1,
                r->type == BOOT_MEM_AVAILABLE ? "available" : "reserved ", r->length / 1024);
    }
    kprintf("  available: %llu KiB\n", bootinfo_available_bytes() / 1024);
    for (int i = 0; i < info.module_count; i++)
        kprintf("module %d: %08x-%08x %s\n", i, info.modules[i].start, info.modules[i].end,
                info.modules[i].name);
}
