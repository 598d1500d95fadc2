/* The study console's commands (kernel/console/).  shell.c reads lines
 * and dispatches; each group of commands is one file:
 *
 *   cmds_sys.c    help, mem, memmap, ticks, cpus, run, halt
 *   cmds_vm.c     the scratch process: vmmap, reserve, commit, decommit,
 *                 release, protect, query, reset
 *   cmds_pte.c    pte, touch, peek, poke, tlb, stats
 *   cmds_heap.c   heap, heapcreate, heapalloc, heapfree, heapdestroy
 *   cmds_threads.c  threads, start, suspend, resume, kill
 *   cmds_ws.c     ws, lock, unlock, trim, pageout (working sets, issue 19)
 *   demo.c        demo
 *
 * and util.c holds what they share: the scratch process, number, size and
 * protection parsing, and names for the Windows constants.  The console
 * reaches the rest of the kernel only through the subsystems' public
 * headers (mm/vm.h, mm/paging.h, mm/heap/heap.h, kernel/arch/trap.h, ...). */
#ifndef KERNEL_CONSOLE_CMDS_H
#define KERNEL_CONSOLE_CMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <windef.h>
#include <winnt.h>
#include <ntstatus.h>
#include "mm/mmu.h"

struct vm_space;
struct heap;

#define CONSOLE_PROMPT "winmm> "
#define CONSOLE_ARGS_MAX 8

struct console_cmd {
    const char *name;
    const char *usage;              /* arguments, e.g. "ADDR [r|w]" */
    const char *help;               /* one line */
    void (*run)(int argc, char **argv);
};

/* A group: a title for `help` and its commands, ending with a NULL name. */
struct console_group {
    const char *title;
    const struct console_cmd *cmds;
};
extern const struct console_cmd console_cmds_sys[];
extern const struct console_cmd console_cmds_vm[];
extern const struct console_cmd console_cmds_pte[];
extern const struct console_cmd console_cmds_heap[];
extern const struct console_cmd console_cmds_demo[];
extern const struct console_cmd console_cmds_threads[];
extern const struct console_cmd console_cmds_ws[];
/* Every group, ending with a NULL title (shell.c). */
extern const struct console_group console_groups[];
const struct console_cmd *console_find(const char *name);

/* ---- line input (shell.c) ---- */

/* Reads one edited line (no history).  Returns false when the user typed
 * Ctrl-C. */
bool console_read_line(const char *prompt, char *line, size_t cap);
/* The demo's pause: true on Enter, false on "q" (or Ctrl-C). */
bool console_pause(void);

/* ---- the scratch process (util.c) ---- */

/* A user address space for experiments, created with the console and
 * kept loaded in CR3 while the console waits (a program run by `run`
 * gets its own and the scratch space comes back afterwards). */
void console_scratch_init(void);
struct vm_space *console_scratch(void);
/* Throws the scratch process away and makes a fresh one. */
void console_scratch_reset(void);
/* The space an address lives in: the kernel half is the kernel space,
 * the rest the scratch process. */
struct vm_space *console_space_of(uint32_t addr);
const char *console_space_name(const struct vm_space *as);
/* Labels for the Details column of vmmap (scratch reservations). */
void console_label_set(uint32_t base, const char *label);
const char *console_label(uint32_t base);
void console_label_clear(uint32_t base);

/* ---- parsing ---- */

/* Hex, "0x" optional ("10000", "0x10000"), or the name of a kernel function. */
bool console_parse_addr(const char *s, uint32_t *out);
/* "4096", "0x1000", "4K", "64k", "1M", "2G" (decimal unless 0x). */
bool console_parse_size(const char *s, uint32_t *out);
/* PAGE_* names joined by '|' or '+', with or without "PAGE_", any case
 * ("READWRITE", "page_readonly|guard", "rw", "rx") or a number ("0x104"). */
bool console_parse_prot(const char *s, uint32_t *out);
/* Plain number (decimal or 0x hex). */
bool console_parse_uint(const char *s, uint32_t *out);

/* ---- names and formatting ---- */

/* "READWRITE|GUARD", "-" for 0. */
void console_prot_str(uint32_t prot, char *buf, size_t cap);
const char *console_state_name(uint32_t state);   /* "Commit", "Reserve", "Free" */
const char *console_status_name(NTSTATUS st);     /* "STATUS_CONFLICTING_ADDRESSES" */
/* "64K", "1,024K", "4 bytes" ... as VMMap prints sizes (K = 1024 bytes). */
void console_size_str(uint32_t bytes, char *buf, size_t cap);
/* "1,234,567" */
void console_num_str(uint64_t n, char *buf, size_t cap);
/* Prints an NTSTATUS as "0xC0000018 STATUS_CONFLICTING_ADDRESSES". */
void console_print_status(NTSTATUS st);
/* Hex dump of len bytes already read from addr, 16 per line, with ASCII. */
void console_hexdump(uint32_t addr, const uint8_t *bytes, uint32_t len);

/* ---- faults under control (cmds_pte.c) ---- */

/* What an access from the console ran into. */
struct console_access {
    bool faulted;                   /* a #PF happened (resolved or not) */
    bool resolved;                  /* ... and the VM layer resolved it */
    bool caught;                    /* an exception the access could not get past */
    uint32_t vector, error, cr2, eip;
    pte_t pte_before, pte_after;    /* entry of the first faulting page */
    uint32_t done;                  /* bytes read or written */
};
/* Reads len bytes at addr into buf, catching any fault. */
void console_read(uint32_t addr, void *buf, uint32_t len, struct console_access *acc);
/* Writes len bytes (1, 2 or 4) of value at addr, catching any fault. */
void console_write(uint32_t addr, uint32_t value, uint32_t len, struct console_access *acc);
/* One access to a byte at addr (a read, or a locked add of 0: a write
 * that keeps the contents) and a report of the fault it took, if any:
 * demand-zero with the frame and the entry before and after, a guard
 * page, or an access violation with its exception record. */
void console_touch(uint32_t addr, bool write);
/* Decodes one page-table walk for addr (CR3 -> [PDPTE ->] PDE -> PTE). */
void console_pte(uint32_t addr);
/* The entry's VM meaning in a few words: "committed, demand-zero, READWRITE". */
void console_entry_str(uint32_t addr, pte_t pte, char *buf, size_t cap);

/* ---- heaps (cmds_heap.c) ---- */

/* Heaps the console knows: the kernel heap first, then the ones made with
 * heapcreate or by the demo. */
int console_heap_count(void);
struct heap *console_heap_at(int i, const char **name);
/* Adds a heap under a name ("demo private heap"); false when full. */
bool console_heap_add(struct heap *h, const char *name);
void console_heap_remove(struct heap *h);
/* The name of the heap owning the reservation at base ("kernel heap
 * segment 0", "private #1 large block"), or NULL. */
const char *console_heap_owner(uint32_t base, char *buf, size_t cap);
/* Prints the HeapWalk of h with a summary and the fragmentation figure;
 * max_entries 0 prints every entry. */
void console_heap_walk(struct heap *h, const char *name, int max_entries);

/* ---- vmmap (cmds_vm.c) ---- */

void console_vmmap(struct vm_space *as, bool all, bool machine);

/* ---- processes and threads (cmds_threads.c) ---- */

/* vmmap of a live process by id; false when there is none. */
bool console_vmmap_process(uint32_t pid, bool all, bool machine);
/* While vmmap shows a process: "Thread N stack" / "TEB of thread N, M"
 * for a region its threads own (*stack set for a stack). */
bool console_thread_label(uint32_t alloc_base, uint32_t base, uint32_t size, char *buf, size_t cap,
                          bool *stack);
/* The pid of the live process with this name, or 0. */
uint32_t console_process_pid(const char *name);
/* MEMORY_BASIC_INFORMATION of addr, printed field by field. */
void console_query(uint32_t addr);

#endif
