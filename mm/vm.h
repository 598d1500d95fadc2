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
#include "mm/zero_pool.h"     /* vm_pool_frames, the zeroed-frame pool */

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
    uint32_t commit_limit;
    uint32_t reserved_bytes;        /* bytes reserved in all address spaces */
    uint32_t allocations;           /* live reservations (VADs) */
    uint32_t resident_pages;        /* committed pages with a frame */
    uint32_t zero_pool;             /* pre-zeroed frames waiting for faults */
    uint32_t faults_demand_zero;
    uint32_t faults_guard;
    uint32_t faults_access_violation;
};
void vm_get_stats(struct vm_stats *out);
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


/* Checking an address space and reading its entries (mm/vm_check.c), and
 * DEP (mm/vm_dep.c): parts of this interface with headers of their own. */
#include "mm/vm_check.h"
#include "mm/vm_dep.h"


#endif
