/* ELF32 loader (System V ABI, Intel386 supplement).  The image is read
 * from physical memory through the temporary-mapping window. */
#include "kernel/elf.h"
#include "mm/vm.h"
#include "mm/paging.h"
#include "mm/memlayout.h"
#include "kernel/base/kprintf.h"
#include <ntstatus.h>
#include <string.h>

#define STATUS_INVALID_IMAGE_FORMAT ((NTSTATUS)0xC000007BL)
#define ELF_MAX_PHDRS 16
#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define ET_EXEC 2
#define EM_386 3

struct elf_header {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version, entry, phoff, shoff, flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf_phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

_Static_assert(sizeof(struct elf_header) == 52 && sizeof(struct elf_phdr) == 32, "ELF32 layouts");

/* Copies [off, off + n) of the image (physical) to dst, page by page. */
static void image_read(uint32_t image, uint32_t off, void *dst, uint32_t n)
{
    uint8_t *out = dst;

    while (n > 0) {
        uint32_t pa = image + off;
        uint32_t in_page = PGSIZE - (pa % PGSIZE);
        uint32_t chunk = n < in_page ? n : in_page;
        uint8_t *page = paging_temp_map(PGROUNDDOWN(pa));
        memcpy(out, page + pa % PGSIZE, chunk);
        paging_temp_unmap(page);
        out += chunk;
        off += chunk;
        n -= chunk;
    }
}

static bool header_valid(const struct elf_header *h, uint32_t length)
{
    static const uint8_t magic[7] = { 0x7F, 'E', 'L', 'F', 1 /* 32-bit */, 1 /* LSB */, 1 };

    return memcmp(h->ident, magic, sizeof(magic)) == 0 && h->type == ET_EXEC &&
           h->machine == EM_386 && h->phentsize == sizeof(struct elf_phdr) &&
           h->phnum > 0 && h->phnum <= ELF_MAX_PHDRS &&
           (uint64_t)h->phoff + (uint64_t)h->phnum * sizeof(struct elf_phdr) <= length;
}

static bool segment_valid(const struct elf_phdr *ph, uint32_t length)
{
    uint64_t end = (uint64_t)ph->vaddr + ph->memsz;

    return ph->filesz <= ph->memsz && (uint64_t)ph->offset + ph->filesz <= length &&
           ph->vaddr >= USER_MIN && end <= USER_MAX + 1 && ph->memsz > 0;
}

static uint32_t segment_protect(uint32_t flags)
{
    bool w = flags & PF_W, x = flags & PF_X;

    if (x)
        return w ? PAGE_EXECUTE_READWRITE : PAGE_EXECUTE_READ;
    return w ? PAGE_READWRITE : PAGE_READONLY;
}

/* Commits a segment read-write, copies its file bytes (the rest reads as
 * zero: demand-zero pages), then applies its real protection. */
static NTSTATUS load_segment(struct vm_space *as, uint32_t image, const struct elf_phdr *ph)
{
    uint32_t base = ph->vaddr, size = ph->memsz, old;
    NTSTATUS st = vm_allocate(as, &base, &size, MEM_COMMIT, PAGE_READWRITE);

    if (!NT_SUCCESS(st))
        return st;
    struct vm_space *prev = vm_current();
    vm_switch(as);
    image_read(image, ph->offset, (void *)ph->vaddr, ph->filesz);
    vm_switch(prev);
    return vm_protect(as, &base, &size, segment_protect(ph->flags), &old);
}

NTSTATUS elf_load(struct vm_space *as, uint32_t image, uint32_t length, uint32_t *entry)
{
    struct elf_header h;
    struct elf_phdr ph[ELF_MAX_PHDRS];
    uint32_t lo = 0xFFFFFFFFu, hi = 0;

    if (length < sizeof(h))
        return STATUS_INVALID_IMAGE_FORMAT;
    image_read(image, 0, &h, sizeof(h));
    if (!header_valid(&h, length))
        return STATUS_INVALID_IMAGE_FORMAT;
    image_read(image, h.phoff, ph, h.phnum * sizeof(ph[0]));
    for (int i = 0; i < h.phnum; i++) {
        if (ph[i].type != PT_LOAD)
            continue;
        if (!segment_valid(&ph[i], length))
            return STATUS_INVALID_IMAGE_FORMAT;
        if (ph[i].vaddr < lo)
            lo = ph[i].vaddr;
        if (ph[i].vaddr + ph[i].memsz > hi)
            hi = ph[i].vaddr + ph[i].memsz;
    }
    if (hi == 0 || h.entry < lo || h.entry >= hi)
        return STATUS_INVALID_IMAGE_FORMAT;
    /* One reservation for the whole image, as an image section is one
     * allocation on Windows (reported here as MEM_PRIVATE). */
    uint32_t base = lo & ~(VM_GRANULARITY - 1), size = hi - base;
    NTSTATUS st = vm_allocate(as, &base, &size, MEM_RESERVE, PAGE_EXECUTE_READWRITE);
    for (int i = 0; NT_SUCCESS(st) && i < h.phnum; i++)
        if (ph[i].type == PT_LOAD)
            st = load_segment(as, image, &ph[i]);
    if (NT_SUCCESS(st))
        *entry = h.entry;
    return st;
}
