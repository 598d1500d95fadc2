/* Symbol table layout (written by tools/mksyms.py, little endian):
 *   u32 magic 'KSYM', u32 count,
 *   count x { u32 address, u32 name offset }   sorted by address,
 *   NUL-terminated names; offsets are from the start of the table.
 * The section has a fixed size so filling it moves no other address. */
#include "kernel/base/ksyms.h"
#include "kernel/base/layout.h"
#include <string.h>
#include <stddef.h>

#define KSYMS_MAGIC 0x4D59534Bu     /* "KSYM" */
#define KSYMS_SIZE (96 * 1024)

struct ksym {
    uint32_t addr;
    uint32_t name;
};

struct ksyms_header {
    uint32_t magic;
    uint32_t count;
    struct ksym syms[];
};

/* Initialised, so it lands in the file (PROGBITS) for objcopy to replace. */
static const union {
    struct ksyms_header h;
    uint8_t bytes[KSYMS_SIZE];
} ksyms_blob __attribute__((section(".ksyms"), used, aligned(4))) = { .h = { 0, 0 } };

static const struct ksyms_header *ksyms_table(void)
{
    const struct ksyms_header *t = &ksyms_blob.h;

    /* The compiler sees an all-zero constant; the real contents arrive
     * after linking, so hide the object's value from the optimiser. */
    __asm__("" : "+r"(t));
    return t->magic == KSYMS_MAGIC ? t : NULL;
}

uint32_t ksyms_count(void)
{
    const struct ksyms_header *t = ksyms_table();
    return t ? t->count : 0;
}

bool ksyms_lookup(uint32_t addr, const char **name, uint32_t *offset)
{
    const struct ksyms_header *t = ksyms_table();

    *name = NULL;
    *offset = 0;
    if (t == NULL || t->count == 0 || addr < t->syms[0].addr || addr >= (uint32_t)__text_end)
        return false;
    /* Largest entry with syms[i].addr <= addr. */
    uint32_t lo = 0, hi = t->count;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->syms[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    *name = (const char *)t + t->syms[lo].name;
    *offset = addr - t->syms[lo].addr;
    return true;
}

uint32_t ksyms_address(const char *name)
{
    const struct ksyms_header *t = ksyms_table();

    for (uint32_t i = 0; t != NULL && i < t->count; i++)
        if (strcmp((const char *)t + t->syms[i].name, name) == 0)
            return t->syms[i].addr;
    return 0;
}
