/* What the files of the VM layer share (mm/vm.c, mm/vm_check.c,
 * mm/vm_dep.c); private to them.  mm/vm.h is the layer's interface. */
#ifndef MM_VM_IMPL_H
#define MM_VM_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <ntsvc.h>            /* MEM_EXECUTE_OPTION_* */
#include "mm/vad.h"
#include "mm/paging.h"
#include "kernel/base/lock.h"

/* The kernel's space is static (it exists before the kernel heap, which
 * lives in it); user spaces come from the kernel pool. */
struct vm_space {
    struct pgdir *pgdir;            /* &own_pgdir, or the kernel's */
    struct vad_tree vads;
    bool user;
    uint32_t committed;             /* committed pages */
    uint32_t resident;              /* committed pages with a frame */
    uint32_t exec_options;          /* MEM_EXECUTE_OPTION_* (DEP): mm/vm_dep.c */
    pte_t nx;                       /* what they mean for an entry (vm_space_nx) */
    struct pgdir own_pgdir;
};

/* Held around every operation on an address space. */
extern struct spinlock vm_lock;

/* Makes `as` the address space the self-map shows (under vm_lock);
 * returns the one to hand back to vm_detach. */
struct vm_space *vm_attach(struct vm_space *as);
void vm_detach(struct vm_space *prev);

/* The PTE_NX an entry of `as` gets for a page that is not executable:
 * PTE_NX while DEP is on for it and the CPU has NX, else 0. */
static inline pte_t vm_space_nx(const struct vm_space *as)
{
    return as->nx;
}

/* Sets the execute options and the NX rule they give (under vm_lock). */
static inline void vm_space_set_options(struct vm_space *as, uint32_t options)
{
    as->exec_options = options;
    as->nx = (options & MEM_EXECUTE_OPTION_ENABLE) ? 0 : paging_nx_bit();
}

/* The execute options a new user address space starts with, from the
 * system DEP policy (mm/vm_dep.c). */
uint32_t vm_dep_initial_options(void);

#endif
