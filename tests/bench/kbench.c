#include "tests/bench/kbench.h"
#include "kernel/base/kprintf.h"
#include "kernel/cmdline.h"
#include "kernel/base/x86.h"
#include <string.h>

extern const struct kbench *const __kbenches_start[];
extern const struct kbench *const __kbenches_end[];

static uint32_t overhead;
static uint32_t saved_flags;

uint32_t kbench_begin(void)
{
    saved_flags = irq_save();
    return (uint32_t)rdtsc();
}

uint32_t kbench_end(uint32_t begin)
{
    uint32_t now = (uint32_t)rdtsc();
    irq_restore(saved_flags);
    uint32_t d = now - begin;
    return d > overhead ? d - overhead : 0;
}

void kbench_report(const char *name, uint32_t instructions)
{
    kprintf("bench %s %u instructions\n", name, instructions);
}

static bool selected(const char *name, const char *list)
{
    if (cmdline_list_contains(list, "all"))
        return true;
    for (const char *p = list; *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (strncmp(name, p, len) == 0)
            return true;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return false;
}

void kbench_run(const char *list)
{
    overhead = 0;
    uint32_t t = kbench_begin();
    overhead = kbench_end(t);
    kprintf("# bench: measurement overhead %u instructions (subtracted)\n", overhead);
    for (const struct kbench *const *b = __kbenches_start; b < __kbenches_end; b++)
        if (selected((*b)->name, list))
            (*b)->run();
    kprintf("# bench: done\n");
}
