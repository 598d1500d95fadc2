/* Private to the VM layer's files (mm/vm*.c): the address-space object
 * and the few helpers more than one of them needs.  Everybody else uses
 * mm/vm.h. */
#ifndef MM_VM_PRIVATE_H
#define MM_VM_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <ntsvc.h>            /* MEM_EXECUTE_OPTION_* */
#include "mm/paging.h"
#include "mm/vad.h"
#include "kernel/base/percpu.h"

/* The kernel's space is static (it exists before the kernel pool);
 * user spaces come from the kernel pool (mm/kpool.h). */
struct vm_space {
    struct pgdir *pgdir;            /* &own_pgdir, or the kernel's */
    struct pgdir own_pgdir;
    struct vad_tree vads;
    bool user;
    uint32_t committed;             /* committed pages */
    uint32_t resident;              /* committed pages with a frame */
    uint32_t exec_options;          /* MEM_EXECUTE_OPTION_* (DEP): mm/vm_dep.c */
    pte_t nx;                       /* what they mean for an entry (vm_space_nx) */
};

/* Takes the VM lock and makes `as` the space the self-map shows; returns
 * the flags for vm_leave and, in *prev, the space to go back to. */
uint32_t vm_enter(struct vm_space *as, struct vm_space **prev);
void vm_leave(uint32_t flags, struct vm_space *prev);
/* [addr, addr + size) rounded out to pages, if it lies in the space's
 * range (no wrap). */
bool vm_page_range(const struct vm_space *as, uint32_t addr, uint32_t size,
                   uint32_t *start, uint32_t *end);
/* The reservation holding all of [start, end), or NULL.  Under the lock. */
struct vad *vm_vad_holding(struct vm_space *as, uint32_t start, uint32_t end);

/* The PTE_NX an entry of `as` gets for a page that is not executable:
 * PTE_NX while DEP is on for it and the CPU has NX, else 0. */
static inline pte_t vm_space_nx(const struct vm_space *as)
{
    return as->nx;
}

/* Sets the execute options and the NX rule they give (under the lock). */
static inline void vm_space_set_options(struct vm_space *as, uint32_t options)
{
    as->exec_options = options;
    as->nx = (options & MEM_EXECUTE_OPTION_ENABLE) ? 0 : paging_nx_bit();
}

/* The execute options a new user address space starts with, from the
 * system DEP policy (mm/vm_dep.c). */
uint32_t vm_dep_initial_options(void);

#endif
