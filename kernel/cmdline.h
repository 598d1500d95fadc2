/* The kernel command line: space-separated key=value words.  The word set
 * is fixed (see cmdline.c); anything else is reported as unknown. */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <stdint.h>
#include <stdbool.h>

/* Parses the line; prints a line for each unknown word.  Returns the number
 * of unknown words. */
int cmdline_init(const char *line);
/* Value of key, or NULL when absent ("" for a bare word). */
const char *cmdline_get(const char *key);
/* Numeric value (decimal or 0x hex) of key, def when absent or malformed. */
uint32_t cmdline_get_u32(const char *key, uint32_t def);

/* Helpers for comma-separated lists such as test=pmm,vm. */
bool cmdline_list_contains(const char *list, const char *word);

#endif
