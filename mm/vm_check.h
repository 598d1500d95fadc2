/* The VM layer's self-check and its reading of page-table entries, for
 * the tests, the study console and the gdb helpers (mm/vm_check.c).
 * Part of mm/vm.h's interface. */
#ifndef MM_VM_CHECK_H
#define MM_VM_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/mmu.h"
#include "mm/pmm.h"

struct vm_space;

/* Checks every internal invariant of an address space (tree order and
 * balance, counters against the page tables); returns the number of
 * broken ones, printing each. */
int vm_validate(struct vm_space *as);

/* Reading a page-table entry of VM-managed memory (user space and kernel
 * virtual memory) the way the VM layer does, for the study console. */
struct vm_entry_info {
    bool committed;                 /* entry != 0 */
    bool present;                   /* P = 1: resident and accessible */
    bool frame_held;                /* not present but keeps its frame (guard or NOACCESS) */
    uint32_t protect;               /* PAGE_* with GUARD / NOCACHE / WRITECOMBINE */
    uint32_t prot_index;            /* base protection index 1..6 (bits 9-11 present, 1-3 soft) */
    paddr_t frame;                  /* physical frame, or 0 (demand-zero) */
};
void vm_describe_entry(pte_t pte, struct vm_entry_info *out);
/* The not-present ("soft") entry format, field by field: mask and name,
 * ending with a zero mask. */
struct vm_soft_field {
    uint64_t mask;
    const char *name;
};
extern const struct vm_soft_field vm_soft_format[];

#endif
