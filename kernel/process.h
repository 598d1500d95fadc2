/* Processes: an address space (private user half, shared kernel half), a
 * handle table and the threads that run in it (kernel/uthread.h), run
 * from the kernel's boot thread, which waits for the process to end. */
#ifndef KERNEL_PROCESS_H
#define KERNEL_PROCESS_H

#include <stdint.h>
#include <stdbool.h>
#include <windef.h>
#include <winnt.h>

struct process;
struct trap_frame;
struct handle_table;
struct object_type;

/* The object type of processes ("Process"), signalled once every thread
 * of the process has ended. */
extern const struct object_type process_object_type;

/* The part of a CONTEXT the kernel reads and writes: everything up to
 * ExtendedRegisters (CONTEXT_FULL plus the debug and FPU areas, zeroed). */
#define CONTEXT_REGISTERS_SIZE __builtin_offsetof(CONTEXT, ExtendedRegisters)

/* Loads the ELF32 executable at physical [image, image + length) into a
 * new address space, starts its main thread at the entry point and waits
 * until every thread of it has ended.  Returns STATUS_SUCCESS and the
 * exit status, or the reason it could not be started. */
NTSTATUS process_run_image(const char *name, uint32_t image, uint32_t length, NTSTATUS *exit_status);

/* The current thread's process, NULL on a kernel thread. */
struct process *process_current(void);
uint32_t process_id(const struct process *p);
const char *process_name(const struct process *p);
struct handle_table *process_handles(struct process *p);
/* Ends the current process (from a system service or a fault): every
 * other thread is asked to end, then the current one ends; never returns. */
void process_exit(NTSTATUS status) __attribute__((noreturn));
/* Delivers an exception to the current process's dispatcher on the
 * current thread's stack by rewriting the trap frame (tf is the frame of
 * the interrupted user code, or of the system service raising it; ctx
 * its register state). */
void process_raise(struct trap_frame *tf, const EXCEPTION_RECORD *rec, const CONTEXT *ctx);
void process_set_dispatcher(uint32_t dispatcher);
/* The routine new threads start at (the SDK's RtlUserThreadStart). */
void process_set_thread_start(uint32_t routine);
/* The user-mode register state of a trap frame as a CONTEXT, and back
 * (segment selectors and EFLAGS sanitised so ring 3 cannot escalate). */
void context_from_frame(const struct trap_frame *tf, CONTEXT *ctx);
void context_to_frame(const CONTEXT *ctx, struct trap_frame *tf);
/* context_restore (NtContinue's checked load) is in line in kernel/context.h. */

/* A guard page of the current thread's user stack was hit at addr (by
 * the kernel, in a system service): move the guard down as a ring-3 hit
 * would.  False when addr is not in the stack or the stack is full. */
bool process_stack_guard_hit(uint32_t addr);

/* ---- for the console ---- */

struct process_info {
    uint32_t pid;
    char name[32];
    uint32_t threads, handles;
    bool ending;
};
/* Up to max live processes (newest first); returns how many live. */
int process_snapshot(struct process_info *out, int max);
/* The live process with this id, referenced (process_release drops it),
 * or NULL.  Its address space stays until process_release, even if it ends. */
struct process *process_find(uint32_t pid);
void process_release(struct process *p);
struct vm_space *process_space(struct process *p);
/* Waits up to ms for p's threads to end: STATUS_SUCCESS or STATUS_TIMEOUT. */
NTSTATUS process_wait_end(struct process *p, uint32_t ms);
/* Suspends (or resumes) every thread of p once, as NtSuspendProcess. */
void process_suspend(struct process *p, bool suspend);
/* Ends every thread of p (from outside it), as TerminateProcess. */
void process_terminate(struct process *p, NTSTATUS status);

/* ---- issue 15: processes created by processes (kernel/syscall_process.c) ---- */

struct thread;
/* Tears down each process of run `run` as it ends (woken by the run's
 * event), until none is left (the runner's loop). */
struct object;
void process_reap_run(uint32_t run, struct object *event);
/* A new process of the caller's run running the image at physical
 * [image, image + length), with its command line, its main thread
 * created (suspended if asked) but not started: the caller publishes the
 * handles, then uthread_start(*out_t).  *out_p and *out_t carry the
 * creation references.  The caller's address space is loaded again on
 * return.  On failure nothing is left. */
NTSTATUS process_spawn(const char *name, uint32_t image, uint32_t length, const char *cmdline,
                       uint32_t cmdline_len, bool suspended, struct process **out_p,
                       struct thread **out_t);
/* Replaces p's command line with a copy of text[0..len). */
NTSTATUS process_set_cmdline(struct process *p, const char *text, uint32_t len);
/* The live (not ended) process with this id, referenced, or NULL. */
struct process *process_lookup(uint32_t pid);
/* p's address space, pinned until process_unpin_space (so a teardown
 * meanwhile leaves it to the pin's holder), or NULL once p has ended. */
struct vm_space *process_pin_space(struct process *p);
void process_unpin_space(struct process *p);

void process_init(void);

#endif
