/* The information services (kernel/syscall_info.h).  Checks in the order
 * NT makes them: the class, then the length, then the handle; output is
 * written through the checked user copy, so a bad pointer gives
 * STATUS_ACCESS_VIOLATION. */
#include "kernel/syscall_info.h"
#include "kernel/syscall_ws.h"
#include "kernel/services.h"
#include "kernel/usercopy.h"
#include "mm/vm.h"
#include "mm/pager.h"
#include "mm/pagefile.h"
#include "mm/pfn.h"
#include <ntsvc.h>
#include <winternl.h>
#include <ntstatus.h>

static bool is_current_process(uint32_t handle)
{
    return handle == (uint32_t)NT_CURRENT_PROCESS;
}

/* One ULONG out, and its length to *return_length when that is not NULL. */
static NTSTATUS write_ulong(uint32_t info, uint32_t return_length, uint32_t value)
{
    NTSTATUS st = put_user_u32((void *)info, value);
    if (NT_SUCCESS(st) && return_length != 0)
        st = put_user_u32((void *)return_length, sizeof(uint32_t));
    return st;
}

/* NtQueryInformationProcess(process, class, *info, length, *return_length) */
NTSTATUS svc_query_information_process(const uint32_t *a, struct trap_frame *tf)
{
    if (a[1] == ProcessQuotaLimits)
        return svc_query_quota_limits(a);           /* the working-set limits */
    if (a[1] != ProcessExecuteFlags)
        return process_query_information(a, tf);    /* the object classes */
    if (a[3] != sizeof(uint32_t))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!is_current_process(a[0]))
        return STATUS_INVALID_HANDLE;
    return write_ulong(a[2], a[4], vm_execute_options(vm_current()));
}

/* NtSetInformationProcess(process, class, *info, length) */
NTSTATUS svc_set_information_process(const uint32_t *a, struct trap_frame *tf)
{
    uint32_t options;
    NTSTATUS st;

    (void)tf;
    if (a[1] == ProcessQuotaLimits)
        return svc_set_quota_limits(a);
    if (a[1] != ProcessExecuteFlags && a[1] != ProcessInjectInPageError)
        return STATUS_INVALID_INFO_CLASS;
    if (a[3] != sizeof(uint32_t))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!is_current_process(a[0]))
        return STATUS_INVALID_HANDLE;
    if (!NT_SUCCESS(st = get_user_u32((const void *)a[2], &options)))
        return st;
    if (a[1] == ProcessInjectInPageError) {
        if (options != 1)
            return STATUS_INVALID_PARAMETER;
        pager_inject_read_error(vm_current());
        return STATUS_SUCCESS;
    }
    return vm_set_execute_options(vm_current(), options);
}

/* SystemPerformanceInformation (<ntsvc.h> says which field is what). */
static NTSTATUS performance_information(uint32_t info, uint32_t return_length)
{
    SYSTEM_PERFORMANCE_INFORMATION p = { 0 };
    struct vm_stats vs;
    struct pager_stats ps;
    struct pagefile_stats fs;
    struct pfn_stats ls;
    vm_get_stats(&vs);
    pager_get_stats(&ps);
    pagefile_get_stats(&fs);
    pfn_get_stats(&ls);
    p.IoReadTransferCount = (long long)fs.pages_read * PGSIZE;
    p.IoWriteTransferCount = (long long)fs.pages_written * PGSIZE;
    p.IoReadOperationCount = fs.read_ios;
    p.IoWriteOperationCount = fs.write_ios;
    p.AvailablePages = pmm_free_count() + ls.free + ls.zeroed + ls.standby;
    p.CommittedPages = vs.commit_charge;
    p.CommitLimit = vs.commit_limit;
    p.PeakCommitment = vs.commit_peak;
    p.TransitionCount = ps.soft_faults;
    p.DemandZeroCount = vs.faults_demand_zero;
    p.PageReadCount = fs.pages_read;
    p.PageReadIoCount = fs.read_ios;
    p.PageFaultCount = p.DemandZeroCount + p.TransitionCount + ps.hard_faults;
    p.DirtyPagesWriteCount = ps.written;
    p.DirtyWriteIoCount = ps.write_batches;
    NTSTATUS st = copy_to_user((void *)info, &p, sizeof(p));
    if (NT_SUCCESS(st) && return_length != 0)
        st = put_user_u32((void *)return_length, sizeof(p));
    return st;
}

/* NtQuerySystemInformation(class, *info, length, *return_length) */
NTSTATUS svc_query_system_information(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    if (a[0] == SystemPerformanceInformation) {
        if (a[2] != sizeof(SYSTEM_PERFORMANCE_INFORMATION))
            return STATUS_INFO_LENGTH_MISMATCH;
        return performance_information(a[1], a[3]);
    }
    if (a[0] != SystemNxSupportPolicyInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (a[2] != sizeof(uint32_t))
        return STATUS_INFO_LENGTH_MISMATCH;
    return write_ulong(a[1], a[3], (uint32_t)vm_dep_policy());
}
