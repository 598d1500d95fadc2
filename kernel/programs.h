/* The `run=` job: user programs passed as multiboot modules, chosen by
 * name on the command line. */
#ifndef KERNEL_PROGRAMS_H
#define KERNEL_PROGRAMS_H

#include <stdbool.h>
#include <stdint.h>

/* Runs each program named in the comma-separated list (a module's file
 * name without directories and ".elf"), in order, and reports each exit
 * status and a leak check in KTAP.  True when every program exited with
 * status 0 and gave everything back. */
bool programs_run(const char *list);
/* Issue 15: the program of the boot image named `name` (as in run=), at
 * physical [*start, *start + *length); false when there is none. */
bool programs_find_image(const char *name, uint32_t *start, uint32_t *length);
/* Prints the names of the loaded programs. */
void programs_list(void);
/* Runs one program by name; false if there is no such module. */
bool programs_run_one(const char *name, unsigned long *exit_status);

#endif
