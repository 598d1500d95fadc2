/* Issue 15: the process services (kernel/syscall_process.c) and what the
 * other service tables need from them: a process handle of the caller
 * resolved, with its access checked, to the process and its address
 * space. */
#ifndef KERNEL_SYSCALL_PROCESS_H
#define KERNEL_SYSCALL_PROCESS_H

#include <stdint.h>
#include <windef.h>

struct process;
struct vm_space;
struct trap_frame;

/* The process a handle of the caller names (NtCurrentProcess() too), if
 * the handle grants every bit of `access`, referenced, with its address
 * space pinned in *as.  STATUS_INVALID_HANDLE (not a handle, or not a
 * process: as NT turns a type mismatch for these calls), STATUS_ACCESS_DENIED,
 * or STATUS_PROCESS_IS_TERMINATING when it has ended (its space is gone,
 * as NT's VmDeleted).  Give both back with process_handle_space_done.
 * For NtCurrentProcess() nothing is taken (the caller's own thread keeps
 * both alive) and *p is NULL, which process_handle_space_done accepts. */
NTSTATUS process_handle_space(uint32_t handle, uint32_t access, struct process **p,
                              struct vm_space **as);
void process_handle_space_done(struct process *p);

/* NtTerminateProcess(handle, status) for any handle but NtCurrentProcess():
 * PROCESS_TERMINATE needed; a handle to the caller's own process ends it
 * (no return).  STATUS_PROCESS_IS_TERMINATING when it is already ending. */
NTSTATUS process_terminate_handle(uint32_t handle, NTSTATUS status);

/* The table-2 services (kernel/syscall_objects.c lists them). */
NTSTATUS svc_create_user_process(const uint32_t *a, struct trap_frame *tf);
NTSTATUS svc_open_process(const uint32_t *a, struct trap_frame *tf);
NTSTATUS svc_read_virtual_memory(const uint32_t *a, struct trap_frame *tf);
NTSTATUS svc_write_virtual_memory(const uint32_t *a, struct trap_frame *tf);

#endif
