/* DEP in kernel32 (issue 18): GetSystemDEPPolicy, GetProcessDEPPolicy and
 * SetProcessDEPPolicy over the native services, as kernel32 does: the
 * process's execute options through ProcessExecuteFlags, the system
 * policy through the one system-information class this kernel has
 * (Windows reads it from the shared user page instead). */
#include "sdk.h"
#include <ntdll.h>

static BOOL dep_fail(NTSTATUS st)
{
    SetLastError(RtlNtStatusToDosError(st));
    return FALSE;
}

DEP_SYSTEM_POLICY_TYPE WINAPI GetSystemDEPPolicy(void)
{
    ULONG policy = DEPPolicyAlwaysOff;

    NtQuerySystemInformation(SystemNxSupportPolicyInformation, &policy, sizeof(policy), NULL);
    return (DEP_SYSTEM_POLICY_TYPE)policy;
}

BOOL WINAPI GetProcessDEPPolicy(HANDLE hProcess, LPDWORD lpFlags, PBOOL lpPermanent)
{
    ULONG options = 0;
    NTSTATUS st = NtQueryInformationProcess(hProcess, ProcessExecuteFlags, &options,
                                            sizeof(options), NULL);

    if (!NT_SUCCESS(st))
        return dep_fail(st);
    DWORD flags = 0;
    if (options & MEM_EXECUTE_OPTION_DISABLE)
        flags |= PROCESS_DEP_ENABLE;
    if (options & MEM_EXECUTE_OPTION_DISABLE_THUNK_EMULATION)
        flags |= PROCESS_DEP_DISABLE_ATL_THUNK_EMULATION;
    if (lpFlags != NULL)
        *lpFlags = flags;
    if (lpPermanent != NULL)
        *lpPermanent = (options & MEM_EXECUTE_OPTION_PERMANENT) != 0;
    return TRUE;
}

/* 0: DEP off (while the setting is not permanent).  PROCESS_DEP_ENABLE:
 * on, for the life of the process; with it,
 * PROCESS_DEP_DISABLE_ATL_THUNK_EMULATION (no ATL thunks are emulated
 * here: the flag is recorded). */
BOOL WINAPI SetProcessDEPPolicy(DWORD dwFlags)
{
    ULONG options;

    if ((dwFlags & ~(DWORD)(PROCESS_DEP_ENABLE | PROCESS_DEP_DISABLE_ATL_THUNK_EMULATION)) != 0 ||
        dwFlags == PROCESS_DEP_DISABLE_ATL_THUNK_EMULATION)
        return dep_fail(STATUS_INVALID_PARAMETER);
    if (dwFlags & PROCESS_DEP_ENABLE)
        options = MEM_EXECUTE_OPTION_DISABLE | MEM_EXECUTE_OPTION_PERMANENT;
    else
        options = MEM_EXECUTE_OPTION_ENABLE;
    if (dwFlags & PROCESS_DEP_DISABLE_ATL_THUNK_EMULATION)
        options |= MEM_EXECUTE_OPTION_DISABLE_THUNK_EMULATION;
    NTSTATUS st = NtSetInformationProcess(NtCurrentProcess(), ProcessExecuteFlags, &options,
                                          sizeof(options));
    return NT_SUCCESS(st) ? TRUE : dep_fail(st);
}
