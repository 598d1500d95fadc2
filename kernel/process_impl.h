/* Private to the process and user-thread code (kernel/process.c,
 * kernel/uthread.c, kernel/syscall_objects.c): the process structure.
 * Data only.  Fields marked [D] change only under the dispatcher lock. */
#ifndef KERNEL_PROCESS_IMPL_H
#define KERNEL_PROCESS_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/object.h"

struct vm_space;
struct handle_table;
struct thread;

/* The TEBs of a process: one page each, packed at the top of user space
 * as NT x86 packs them under the PEB, in one reservation made with the
 * process.  At most PROCESS_TEB_SLOTS threads live at once. */
#define PROCESS_TEB_SLOTS 64
#define PROCESS_TEB_AREA_SIZE (PROCESS_TEB_SLOTS * 0x1000)
#define PROCESS_TEB_AREA_BASE (0x7FFF0000u - PROCESS_TEB_AREA_SIZE)

struct process {
    struct object obj;              /* "Process": signalled once every thread has ended */
    uint32_t id;
    char name[32];
    struct vm_space *as;
    struct handle_table *handles;
    uint32_t dispatcher;            /* the exception dispatcher (NtSetExceptionDispatcher) */
    uint32_t start_routine;         /* where new threads begin: the SDK's RtlUserThreadStart, or 0 */
    uint32_t teb_used[PROCESS_TEB_SLOTS / 32];  /* [D] which TEB slots are taken */
    struct thread *threads;         /* [D] live threads, newest first (thread.proc_next) */
    uint32_t thread_count;          /* [D] threads that have not ended */
    uint32_t threads_created;
    bool terminating;               /* [D] ExitProcess / an unhandled exception: every thread ends */
    NTSTATUS exit_status;           /* [D] STATUS_PENDING until it ends */
    struct process *list_next;      /* [D] every live process, for the console */
    /* ---- issue 15: processes created by processes ---- */
    uint32_t run;                   /* the id of the root process of the run it belongs to
                                       (the program the runner started; children inherit it) */
    struct object *run_event;       /* the run's auto-reset event, set when one of its
                                       processes ends (referenced) */
    uint32_t parent_id;             /* InheritedFromUniqueProcessId: the creator, or 0 */
    char *cmdline;                  /* kmalloc'd, NUL-terminated; GetCommandLineA's text */
    uint32_t cmdline_len;           /* bytes, without the NUL */
    uint32_t space_users;           /* [D] pins on `as` (console, cross-process services):
                                       the teardown leaves the space to the last one */
    uint32_t peak_resident;         /* working-set and commit peaks, in pages (see */
    uint32_t peak_committed;        /* kernel/process_query.c for how they are sampled) */
    uint32_t page_faults;           /* the space's fault count, kept for after its end */
};

#endif
