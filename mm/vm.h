/* Address spaces with Windows reserve/commit semantics: the kernel-side
 * engine behind NtAllocateVirtualMemory & co., in the NT shape (in/out
 * base and size, NTSTATUS results).  Works on any address space; the
 * Win32-style wrappers are in mm/virtual.h. */
#ifndef MM_VM_H
#define MM_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <windef.h>
#include <winnt.h>
#include <ntstatus.h>
#include <ntsvc.h>            /* MEM_EXECUTE_OPTION_* */
#include "mm/mmu.h"
#include "mm/pmm.h"
#include "mm/pfn.h"           /* the page lists: pfn_list_frames, pfn_zero_until */

#define VM_GRANULARITY 0x10000u             /* dwAllocationGranularity */

struct vm_space;
struct trap_frame;

/* Sets up commit accounting and the kernel address space (kernel virtual
 * memory 0xC0800000-0xFFBFFFFF).  After paging_init. */
void vm_init(void);

struct vm_space *vm_kernel_space(void);
/* A new user address space (private user half, shared kernel half);
 * NULL when out of memory. */
struct vm_space *vm_space_create(void);
/* Releases every allocation, then the space itself.  Not the current one. */
void vm_space_destroy(struct vm_space *as);
struct vm_space *vm_current(void);
void vm_switch(struct vm_space *as);        /* loads its page directory */

/* NtAllocateVirtualMemory: *base (in: requested or 0; out: the rounded
 * base), *size (in: bytes; out: the rounded region size), type MEM_RESERVE
 * / MEM_COMMIT / both / MEM_RESET / MEM_RESET_UNDO, MEM_TOP_DOWN, protect
 * a PAGE_* value.  On failure nothing changes and *base, *size are left
 * as they were. */
NTSTATUS vm_allocate(struct vm_space *as, uint32_t *base, uint32_t *size,
                     uint32_t type, uint32_t protect);
/* NtFreeVirtualMemory: type MEM_DECOMMIT or MEM_RELEASE. */
NTSTATUS vm_free(struct vm_space *as, uint32_t *base, uint32_t *size, uint32_t type);
/* NtProtectVirtualMemory: all or nothing; *old gets the first page's
 * protection.  old == NULL gives STATUS_ACCESS_VIOLATION, no change. */
NTSTATUS vm_protect(struct vm_space *as, uint32_t *base, uint32_t *size,
                    uint32_t new_protect, uint32_t *old);
/* NtQueryVirtualMemory (MemoryBasicInformation). */
NTSTATUS vm_query(struct vm_space *as, uint32_t addr, MEMORY_BASIC_INFORMATION *info);

/* The page-fault path (installed as the paging fault hook): resolves
 * demand-zero faults; clears PAGE_GUARD and records the guard-page
 * exception; records access violations.  Returns true when the access
 * can be retried. */
bool vm_page_fault(struct trap_frame *tf, uint32_t cr2);

/* What the VM layer saw for the last fault it did not resolve: the
 * exception a user program would get (EXCEPTION_RECORD essentials). */
struct vm_exception {
    NTSTATUS code;                  /* STATUS_ACCESS_VIOLATION or STATUS_GUARD_PAGE_VIOLATION */
    uint32_t access;                /* EXCEPTION_READ_FAULT, _WRITE_FAULT, _EXECUTE_FAULT */
    uint32_t address;               /* the exact faulting address */
    uint32_t eip;
};
const struct vm_exception *vm_last_exception(void);
void vm_clear_last_exception(void);

struct vm_stats {
    uint32_t commit_charge;         /* pages charged, system-wide: committed pages and
                                       the user page tables created to hold them */
    uint32_t committed_pages;       /* committed pages alone */
    uint32_t commit_peak;
    uint32_t commit_limit;          /* RAM less the kernel's reserve, + commit_limit_pagefile */
    uint32_t commit_limit_pagefile; /* page-file slots counted in it (vm_set_pagefile_commit) */
    uint32_t reserved_bytes;        /* bytes reserved in all address spaces */
    uint32_t allocations;           /* live reservations (VADs) */
    uint32_t resident_pages;        /* committed pages with a frame */
    uint32_t zeroed_frames;         /* on the zeroed list, waiting for faults */
    uint32_t free_list_frames;      /* on the free list, waiting for the zero thread */
    uint32_t faults_demand_zero;
    uint32_t faults_guard;
    uint32_t faults_access_violation;
};
void vm_get_stats(struct vm_stats *out);
/* Counts `pages` page-file slots in the commit limit (issue 19: the limit
 * is RAM + page file, less what the kernel keeps), replacing the count
 * set before.  Only a pager that can write pages out may count them
 * (mm/pagefile.h).  STATUS_COMMITMENT_LIMIT, nothing changed, when the
 * new limit would be below the charge already taken. */
NTSTATUS vm_set_pagefile_commit(uint32_t pages);
/* What a leak check compares: frames not in use (free, pre-zeroed, or
 * held by kernel virtual memory, whose kernel-heap pages may stay
 * committed for reuse), the commit charge outside the kernel space, and
 * page-table pages.  A leaked kernel-heap block or kernel reservation is
 * caught by the kernel heap's own counters instead. */
struct vm_leak_counters {
    uint32_t available_frames;
    uint32_t user_commit_charge;
    uint32_t page_tables;
};
void vm_get_leak_counters(struct vm_leak_counters *out);

/* Committed pages of one address space, and those with a frame. */
void vm_space_pages(const struct vm_space *as, uint32_t *committed, uint32_t *resident);
/* Live reservations in one address space. */
uint32_t vm_space_allocations(const struct vm_space *as);
/* Write watches (MEM_WRITE_WATCH reservations, mm/vm_watch.c).
 * vm_get_write_watch: the pages of [addr, addr + size) written since the
 * region was reserved or last reset, scanning from *cursor (start with 0;
 * it is left where the scan stopped), at most `max` of them into pages[];
 * *found says how many.  WRITE_WATCH_FLAG_RESET in flags resets exactly
 * the pages reported.  The range must lie in one write-watch reservation
 * and flags be 0 or WRITE_WATCH_FLAG_RESET: STATUS_INVALID_PARAMETER
 * otherwise, with nothing changed. */
#ifndef WRITE_WATCH_FLAG_RESET
#define WRITE_WATCH_FLAG_RESET 0x01
#endif
NTSTATUS vm_get_write_watch(struct vm_space *as, uint32_t flags, uint32_t addr, uint32_t size,
                            uint32_t *cursor, uint32_t *pages, uint32_t max, uint32_t *found);
/* Clears the written state of every page of the range (ResetWriteWatch). */
NTSTATUS vm_reset_write_watch(struct vm_space *as, uint32_t addr, uint32_t size);

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
    /* Issue 19: a trimmed page.  transition: its frame (`frame`) is on
     * the standby or modified list; in_pagefile: it is in page-file slot
     * `slot` and has no frame. */
    bool transition, in_pagefile;
    uint32_t slot;
};
void vm_describe_entry(pte_t pte, struct vm_entry_info *out);
/* The not-present ("soft") entry format, field by field: mask and name,
 * ending with a zero mask. */
struct vm_soft_field {
    uint64_t mask;
    const char *name;
};
extern const struct vm_soft_field vm_soft_format[];

/* ---- DEP: execute permission per address space (mm/vm_dep.c) ---- */

/* The system DEP policy (GetSystemDEPPolicy), as Windows names its values. */
typedef enum vm_nx_policy {
    VM_DEP_ALWAYS_OFF = 0,          /* no process gets DEP */
    VM_DEP_ALWAYS_ON = 1,           /* every process, permanently */
    VM_DEP_OPT_IN = 2,              /* off unless a process enables it */
    VM_DEP_OPT_OUT = 3,             /* on unless a process disables it (the default here) */
} vm_nx_policy_t;
/* Sets the system policy from the nx= command-line word (NULL: the
 * default); AlwaysOff when the CPU or the page-table format has no NX.
 * Call once after vm_init, before user address spaces exist. */
void vm_dep_init(const char *word);
vm_nx_policy_t vm_dep_policy(void);
/* NtQueryInformationProcess(ProcessExecuteFlags): MEM_EXECUTE_OPTION_*. */
uint32_t vm_execute_options(struct vm_space *as);
/* NtSetInformationProcess(ProcessExecuteFlags): exactly one of
 * MEM_EXECUTE_OPTION_ENABLE (DEP off) and _DISABLE (DEP on), optionally
 * _DISABLE_THUNK_EMULATION and _PERMANENT.  STATUS_ACCESS_DENIED once the
 * options are permanent (the policy was AlwaysOn/AlwaysOff, or an earlier
 * call said so), STATUS_INVALID_PARAMETER for anything else; on success
 * every present entry of the space is rewritten with the new NX rule. */
NTSTATUS vm_set_execute_options(struct vm_space *as, uint32_t options);

#endif
