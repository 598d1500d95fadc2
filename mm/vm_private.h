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
#include <ntstatus.h>

struct vm_pager_ops;
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
    /* The trimmer's ring of user spaces and its clock hand in this one
     * (mm/pager.c), under the VM lock. */
    struct vm_space *ring_next, *ring_prev;
    uint32_t trim_hand;
    const struct vm_pager_ops *pager_ops;   /* the pager whose ring it joined, or NULL */
    /* Working-set figures and limits (mm/vm_ws.c), in pages, under the VM
     * lock.  A zero limit means the default (a new space is zeroed). */
    uint32_t ws_min, ws_max;        /* SetProcessWorkingSetSize */
    uint32_t ws_flags;              /* QUOTA_LIMITS_HARDWS_* as last set */
    uint32_t peak_resident;         /* the largest `resident` has been */
    uint32_t faults;                /* faults that brought a page in (PageFaultCount) */
};

/* Windows' defaults for a process's working set (SetProcessWorkingSetSize:
 * "The default size is 50 pages" / "345 pages"). */
#define VM_WS_DEFAULT_MIN 50u
#define VM_WS_DEFAULT_MAX 345u

static inline uint32_t vm_ws_min(const struct vm_space *as)
{
    return as->ws_min != 0 ? as->ws_min : VM_WS_DEFAULT_MIN;
}

/* The trimmer takes from spaces above this first when memory is short. */
static inline uint32_t vm_ws_max(const struct vm_space *as)
{
    return as->ws_max != 0 ? as->ws_max : VM_WS_DEFAULT_MAX;
}

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

/* Boot self-check of the fault path's entry encoding (mm/vm_check.c). */
void vm_check_pte_format(void);

/* The execute options a new user address space starts with, from the
 * system DEP policy (mm/vm_dep.c). */
uint32_t vm_dep_initial_options(void);

/* Under the VM lock: makes `as` the space the self-map shows, returning
 * the one vm_detach goes back to (the pager reaches another space's PTEs
 * this way). */
struct vm_space *vm_attach(struct vm_space *as);
void vm_detach(struct vm_space *prev);
/* Under the VM lock: a page of `as` entered (+1, a fault brought it in:
 * counted, with the peak) or left (-1) its working set. */
void vm_resident_add(struct vm_space *as, int32_t delta);

/* ---- the pager (mm/pager.c), under the VM lock ----
 *
 * Registered by pager_init() (a hook, as paging's fault hook and pmm's
 * reclaim are: the pager builds on this layer and calls into it).  Until
 * then no page leaves memory: spaces join no ring, frames come from the
 * page lists alone. */
#define VM_FRAMES_PLENTY 128u

struct vm_pager_ops {
    /* Joins / leaves the trimmer's ring (user spaces only). */
    void (*space_add)(struct vm_space *as);
    void (*space_remove)(struct vm_space *as);
    /* A zeroed frame for a fault: the page lists, the buddy allocator,
     * else one reclaimed from standby (writing and trimming pages to get
     * there).  PMM_NONE only when nothing can be reclaimed (counted).
     * While more than VM_FRAMES_PLENTY frames are free (lists and buddy)
     * the fault takes one from the lists itself: the pager reclaims only
     * below its own threshold, which must not be above this one
     * (tests/kernel/test_pager.c checks). */
    paddr_t (*take_frame)(void);
    /* Resolves a fault on a transition or page-file entry e of the
     * attached space's page va: the frame holding the page again (the
     * caller maps it), or STATUS_IN_PAGE_ERROR / STATUS_NO_MEMORY, with
     * the entry unchanged. */
    NTSTATUS (*fault)(uint32_t va, pte_t e, paddr_t *frame);
    /* Decommit of a transition or page-file entry: frame and slot go back. */
    void (*discard)(struct vm_space *as, uint32_t va, pte_t e);
};
void vm_set_pager(const struct vm_pager_ops *ops);

#endif
