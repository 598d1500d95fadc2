#include "kernel/cmdline.h"
#include "kernel/base/kprintf.h"
#include <string.h>
#include <stddef.h>

#define CMDLINE_WORDS_MAX 32
#define CMDLINE_BUF 1024

/* Every word the kernel understands, with what it does. */
static const struct {
    const char *key;
    const char *help;
} known_words[] = {
    { "test", "test=all or test=suite,suite: run kernel test suites and exit" },
    { "seed", "seed=N: seed for randomized tests" },
    { "mem_mb", "mem_mb=N: RAM size QEMU was given (-m), checked by the multiboot test" },
    { "qmp_check", "qmp_check: stop at a marker so the harness can compare page tables" },
    { "run", "run=prog,prog:STATUS: run those user programs (multiboot modules) and exit; :STATUS expects that exit status" },
    { "bench", "bench=all or bench=prefix,prefix: run benchmarks (under -icount shift=0) and exit" },
    { "paging", "paging=legacy: classic 32-bit page tables (no NX, RAM up to 4 GiB); default PAE with NX when the CPU has them" },
    { "cpus", "cpus=N: start at most N CPUs (default: every CPU the firmware lists)" },
    { "acpi", "acpi=off: find the CPUs from the MP table, not the ACPI MADT" },
    { "nx", "nx=OptIn|OptOut|AlwaysOn|AlwaysOff: the system DEP policy (default OptOut; AlwaysOff without NX)" },
    { "heap", "heap=nolfh: heaps (the kernel heap too) without the low-fragmentation front end; "
              "heap=tc / heap=notc: the kernel heap's per-thread caches on / off (default: on with more than one CPU)" },
};

struct cmdline_word {
    const char *key;
    const char *value;
};

static char buf[CMDLINE_BUF];
static struct cmdline_word words[CMDLINE_WORDS_MAX];
static int word_count;

static bool is_known(const char *key)
{
    for (size_t i = 0; i < sizeof(known_words) / sizeof(known_words[0]); i++)
        if (strcmp(known_words[i].key, key) == 0)
            return true;
    return false;
}

/* QEMU's -kernel loader passes "<kernel path> <append>"; GRUB passes only
 * the arguments.  A first word without '=' that contains '/' is the path. */
static bool is_kernel_path(int index, const char *word)
{
    return index == 0 && strchr(word, '=') == NULL && strchr(word, '/') != NULL;
}

int cmdline_init(const char *line)
{
    int unknown = 0, index = 0;
    size_t n = strlen(line);

    if (n >= sizeof(buf))
        n = sizeof(buf) - 1;
    memcpy(buf, line, n);
    buf[n] = '\0';
    word_count = 0;
    for (char *p = buf; *p != '\0';) {
        while (*p == ' ')
            *p++ = '\0';
        if (*p == '\0')
            break;
        char *word = p;
        while (*p != '\0' && *p != ' ')
            p++;
        if (*p == ' ')
            *p++ = '\0';
        if (is_kernel_path(index++, word))
            continue;
        char *eq = strchr(word, '=');
        if (eq != NULL)
            *eq = '\0';
        if (!is_known(word)) {
            kprintf("cmdline: unknown word '%s%s%s'\n", word, eq ? "=" : "", eq ? eq + 1 : "");
            unknown++;
            continue;
        }
        if (word_count < CMDLINE_WORDS_MAX)
            words[word_count++] = (struct cmdline_word){ word, eq ? eq + 1 : "" };
    }
    if (unknown > 0) {
        kprintf("cmdline: known words are:\n");
        for (size_t i = 0; i < sizeof(known_words) / sizeof(known_words[0]); i++)
            kprintf("  %s\n", known_words[i].help);
    }
    return unknown;
}

const char *cmdline_get(const char *key)
{
    for (int i = 0; i < word_count; i++)
        if (strcmp(words[i].key, key) == 0)
            return words[i].value;
    return NULL;
}

uint32_t cmdline_get_u32(const char *key, uint32_t def)
{
    const char *v = cmdline_get(key);
    uint32_t r = 0, base = 10;

    if (v == NULL || *v == '\0')
        return def;
    if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        base = 16;
        v += 2;
    }
    for (; *v != '\0'; v++) {
        uint32_t d;
        if (*v >= '0' && *v <= '9')
            d = (uint32_t)(*v - '0');
        else if (base == 16 && *v >= 'a' && *v <= 'f')
            d = (uint32_t)(*v - 'a' + 10);
        else if (base == 16 && *v >= 'A' && *v <= 'F')
            d = (uint32_t)(*v - 'A' + 10);
        else
            return def;
        r = r * base + d;
    }
    return r;
}

bool cmdline_list_contains(const char *list, const char *word)
{
    size_t wlen = strlen(word);

    for (const char *p = list; *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == wlen && strncmp(p, word, len) == 0)
            return true;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return false;
}
