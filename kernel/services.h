/* The shape of a service table (kernel/syscall.c dispatches; each table
 * is defined where its services are).  An interface: no .c of its own. */
#ifndef KERNEL_SERVICES_H
#define KERNEL_SERVICES_H

#include <stdint.h>
#include <windef.h>

struct trap_frame;

/* A service: its arguments, copied from the caller's stack, and the trap
 * frame (for services that replace the whole user context). */
typedef NTSTATUS (*service_fn)(const uint32_t *args, struct trap_frame *tf);
struct service {
    service_fn fn;
    uint32_t argc;
};
#define SERVICE_ARGS_MAX 11

/* Table 2 (kernel/syscall_objects.c), indexed by number - 0x2000. */
extern const struct service object_services[];
extern const uint32_t object_service_count;

/* NtQueryInformationProcess's object classes (ProcessBasicInformation,
 * ProcessHandleCount: kernel/syscall_objects.c); table 0's service
 * (kernel/syscall_info.c) answers ProcessExecuteFlags and hands the rest
 * here. */
NTSTATUS process_query_information(const uint32_t *a, struct trap_frame *tf);

#endif
