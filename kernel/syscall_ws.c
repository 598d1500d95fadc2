/* Working-set services (issue 19): NtLockVirtualMemory,
 * NtUnlockVirtualMemory, and the ProcessQuotaLimits class of
 * NtQuery/SetInformationProcess (kernel/syscall_ws.h).  The engine is
 * mm/vm_ws.c; this file checks handles and copies arguments. */
#include "kernel/syscall_ws.h"
#include "kernel/syscall_process.h"
#include "kernel/usercopy.h"
#include "mm/vm_ws.h"
#include "mm/mmu.h"
#include <ntsvc.h>
#include <ntstatus.h>
#include <winternl.h>
#include <string.h>

_Static_assert(QUOTA_LIMITS_HARDWS_MIN_ENABLE == VM_WS_HARD_MIN_ENABLE &&
               QUOTA_LIMITS_HARDWS_MAX_DISABLE == VM_WS_HARD_MAX_DISABLE, "one set of flag values");

typedef NTSTATUS (*lock_fn)(struct vm_space *as, uint32_t *base, uint32_t *size);

/* (process, *base, *size, map type): the order of NT's checks is the map
 * type, then the in/out arguments, then the handle (PROCESS_VM_OPERATION). */
static NTSTATUS lock_service(const uint32_t *a, lock_fn fn)
{
    uint32_t base, size;
    struct process *p;
    struct vm_space *as;
    NTSTATUS st;

    if (a[3] != MAP_PROCESS && a[3] != MAP_SYSTEM)
        return STATUS_INVALID_PARAMETER;
    if (a[3] == MAP_SYSTEM)
        return STATUS_PRIVILEGE_NOT_HELD;       /* SeLockMemoryPrivilege: nobody has it */
    if (!NT_SUCCESS(st = get_user_u32((const void *)a[1], &base)) ||
        !NT_SUCCESS(st = put_user_u32((void *)a[1], base)) ||
        !NT_SUCCESS(st = get_user_u32((const void *)a[2], &size)) ||
        !NT_SUCCESS(st = put_user_u32((void *)a[2], size)))
        return st;
    if (!NT_SUCCESS(st = process_handle_space(a[0], PROCESS_VM_OPERATION, &p, &as)))
        return st;
    st = fn(as, &base, &size);
    process_handle_space_done(p);
    if (NT_SUCCESS(st) && NT_SUCCESS(st = put_user_u32((void *)a[1], base)))
        st = put_user_u32((void *)a[2], size);
    return st;
}

NTSTATUS svc_lock_virtual_memory(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return lock_service(a, vm_lock_pages);
}

NTSTATUS svc_unlock_virtual_memory(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return lock_service(a, vm_unlock_pages);
}

static bool quota_length_ok(uint32_t length)
{
    return length == sizeof(QUOTA_LIMITS) || length == sizeof(QUOTA_LIMITS_EX);
}

/* NtQueryInformationProcess(process, ProcessQuotaLimits, *info, length,
 * *return_length): the working-set limits (bytes) and, in the _EX form,
 * the hard-limit flags; the pool and page-file limits read as unlimited
 * ((SIZE_T)-1), as NT reports a process with no quota block. */
NTSTATUS svc_query_quota_limits(const uint32_t *a)
{
    QUOTA_LIMITS_EX q;
    struct vm_ws_info ws;
    struct process *p;
    struct vm_space *as;
    NTSTATUS st;

    if (!quota_length_ok(a[3]))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!NT_SUCCESS(st = process_handle_space(a[0], PROCESS_QUERY_INFORMATION, &p, &as)))
        return st;
    vm_ws_get(as, &ws);
    process_handle_space_done(p);
    memset(&q, 0, sizeof(q));
    q.PagedPoolLimit = q.NonPagedPoolLimit = q.PagefileLimit = (SIZE_T)-1;
    q.MinimumWorkingSetSize = ws.min * PGSIZE;
    q.MaximumWorkingSetSize = ws.max * PGSIZE;
    q.Flags = ws.flags;
    st = copy_to_user((void *)a[2], &q, a[3]);
    if (NT_SUCCESS(st) && a[4] != 0)
        st = put_user_u32((void *)a[4], a[3]);
    return st;
}

/* NtSetInformationProcess(process, ProcessQuotaLimits, *info, length):
 * PROCESS_SET_QUOTA; the _EX form passes Flags. */
NTSTATUS svc_set_quota_limits(const uint32_t *a)
{
    QUOTA_LIMITS_EX q;
    struct process *p;
    struct vm_space *as;
    NTSTATUS st;

    if (!quota_length_ok(a[3]))
        return STATUS_INFO_LENGTH_MISMATCH;
    memset(&q, 0, sizeof(q));
    if (!NT_SUCCESS(st = copy_from_user(&q, (const void *)a[2], a[3])))
        return st;
    if (!NT_SUCCESS(st = process_handle_space(a[0], PROCESS_SET_QUOTA, &p, &as)))
        return st;
    st = vm_ws_set_limits(as, q.MinimumWorkingSetSize, q.MaximumWorkingSetSize, q.Flags);
    process_handle_space_done(p);
    return st;
}
