/* The information services (issue 18, DEP): NtQueryInformationProcess,
 * NtSetInformationProcess and NtQuerySystemInformation, each with the one
 * class this kernel knows (ABI in libc/include/ntsvc.h).  Called by the
 * dispatcher in kernel/syscall.c with the arguments already copied in. */
#ifndef KERNEL_SYSCALL_INFO_H
#define KERNEL_SYSCALL_INFO_H

#include <stdint.h>
#include <windef.h>

struct trap_frame;

NTSTATUS svc_query_information_process(const uint32_t *a, struct trap_frame *tf);
NTSTATUS svc_set_information_process(const uint32_t *a, struct trap_frame *tf);
NTSTATUS svc_query_system_information(const uint32_t *a, struct trap_frame *tf);

#endif
