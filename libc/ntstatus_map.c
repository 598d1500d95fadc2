/* NTSTATUS -> Win32 error code, shared by the kernel's VirtualAlloc
 * wrappers and the user-mode SDK (kernel32 does the same through ntdll). */
#include <windef.h>
#include <ntstatus.h>
#include <winerror.h>
#include <ntdll.h>          /* the public declaration, checked against this definition */

/* The rows of RtlNtStatusToDosError the memory APIs need (spec table). */
ULONG RtlNtStatusToDosError(NTSTATUS status)
{
    switch (status) {
    case STATUS_SUCCESS: return ERROR_SUCCESS;
    case STATUS_INVALID_PARAMETER:
    case STATUS_INVALID_PARAMETER_1:
    case STATUS_INVALID_PARAMETER_2:
    case STATUS_INVALID_PARAMETER_3:
    case STATUS_INVALID_PARAMETER_4:
    case STATUS_INVALID_PARAMETER_5:
    case STATUS_INVALID_PAGE_PROTECTION:
    case STATUS_UNABLE_TO_FREE_VM: return ERROR_INVALID_PARAMETER;
    case STATUS_CONFLICTING_ADDRESSES:
    case STATUS_FREE_VM_NOT_AT_BASE:
    case STATUS_MEMORY_NOT_ALLOCATED:
    case STATUS_NOT_COMMITTED: return ERROR_INVALID_ADDRESS;
    case STATUS_NO_MEMORY: return ERROR_NOT_ENOUGH_MEMORY;
    case STATUS_COMMITMENT_LIMIT: return ERROR_COMMITMENT_LIMIT;
    case STATUS_INFO_LENGTH_MISMATCH: return ERROR_BAD_LENGTH;
    case STATUS_ACCESS_VIOLATION: return ERROR_NOACCESS;
    case STATUS_INVALID_HANDLE: return ERROR_INVALID_HANDLE;
    case STATUS_NO_MORE_ENTRIES: return ERROR_NO_MORE_ITEMS;
    case STATUS_ACCESS_DENIED: return ERROR_ACCESS_DENIED;
    case STATUS_INVALID_INFO_CLASS: return ERROR_INVALID_PARAMETER;
    /* Threads, waits and handles (issue 13). */
    case STATUS_OBJECT_TYPE_MISMATCH: return ERROR_INVALID_HANDLE;
    case STATUS_INVALID_PARAMETER_6:
    case STATUS_INVALID_PARAMETER_7:
    case STATUS_INVALID_PARAMETER_MIX: return ERROR_INVALID_PARAMETER;
    case STATUS_MUTANT_NOT_OWNED: return ERROR_NOT_OWNER;
    case STATUS_SEMAPHORE_LIMIT_EXCEEDED: return ERROR_TOO_MANY_POSTS;
    case STATUS_SUSPEND_COUNT_EXCEEDED: return ERROR_SIGNAL_REFUSED;
    case STATUS_THREAD_IS_TERMINATING: return ERROR_ACCESS_DENIED;
    case STATUS_INSUFFICIENT_RESOURCES: return ERROR_NO_SYSTEM_RESOURCES;
    case STATUS_MUTANT_LIMIT_EXCEEDED: return ERROR_MUTANT_LIMIT_EXCEEDED;
    /* Processes (issue 15), as RtlNtStatusToDosError maps them. */
    case STATUS_PARTIAL_COPY: return ERROR_PARTIAL_COPY;
    case STATUS_INVALID_CID: return ERROR_INVALID_PARAMETER;
    case STATUS_OBJECT_NAME_NOT_FOUND: return ERROR_FILE_NOT_FOUND;
    case STATUS_OBJECT_NAME_INVALID: return ERROR_INVALID_NAME;
    case STATUS_NAME_TOO_LONG: return ERROR_FILENAME_EXCED_RANGE;
    case STATUS_PROCESS_IS_TERMINATING: return ERROR_ACCESS_DENIED;
    /* Working sets and VirtualLock (issue 19).  A guard page met by a
     * service is reported as itself (spec item 60: VirtualLock fails
     * "with STATUS_GUARD_PAGE_VIOLATION as its error"). */
    case STATUS_NOT_LOCKED: return ERROR_NOT_LOCKED;
    case STATUS_WORKING_SET_QUOTA: return ERROR_WORKING_SET_QUOTA;
    case STATUS_BAD_WORKING_SET_LIMIT: return ERROR_INVALID_PARAMETER;
    case STATUS_PRIVILEGE_NOT_HELD: return ERROR_PRIVILEGE_NOT_HELD;
    case STATUS_GUARD_PAGE_VIOLATION: return (ULONG)STATUS_GUARD_PAGE_VIOLATION;
    default: return ERROR_MR_MID_NOT_FOUND;
    }
}
