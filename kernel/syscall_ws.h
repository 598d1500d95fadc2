/* Working-set services (issue 19, kernel/syscall_ws.c): NtLockVirtualMemory
 * and NtUnlockVirtualMemory (table 0), and the ProcessQuotaLimits class
 * that kernel/syscall_info.c hands here (the arguments of NtQuery /
 * NtSetInformationProcess, already copied in). */
#ifndef KERNEL_SYSCALL_WS_H
#define KERNEL_SYSCALL_WS_H

#include <stdint.h>
#include <windef.h>

struct trap_frame;

NTSTATUS svc_lock_virtual_memory(const uint32_t *a, struct trap_frame *tf);
NTSTATUS svc_unlock_virtual_memory(const uint32_t *a, struct trap_frame *tf);
NTSTATUS svc_query_quota_limits(const uint32_t *a);
NTSTATUS svc_set_quota_limits(const uint32_t *a);

#endif
