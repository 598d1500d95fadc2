/* DEP: execute permission per address space (mm/vm_dep.c).  Part of
 * mm/vm.h's interface. */
#ifndef MM_VM_DEP_H
#define MM_VM_DEP_H

#include <stdint.h>
#include <windef.h>
#include <winnt.h>
#include <ntstatus.h>
#include <ntsvc.h>            /* MEM_EXECUTE_OPTION_* */

struct vm_space;

/* The system DEP policy (GetSystemDEPPolicy), as Windows names its values. */
enum vm_dep_policy {
    VM_DEP_ALWAYS_OFF = 0,          /* no process gets DEP */
    VM_DEP_ALWAYS_ON = 1,           /* every process, permanently */
    VM_DEP_OPT_IN = 2,              /* off unless a process enables it */
    VM_DEP_OPT_OUT = 3,             /* on unless a process disables it (the default here) */
};
/* Sets the system policy from the nx= command-line word (NULL: the
 * default); AlwaysOff when the CPU or the page-table format has no NX.
 * Call once after vm_init, before user address spaces exist. */
void vm_dep_init(const char *word);
enum vm_dep_policy vm_dep_policy(void);
/* NtQueryInformationProcess(ProcessExecuteFlags): MEM_EXECUTE_OPTION_*. */
uint32_t vm_execute_options(struct vm_space *as);
/* NtSetInformationProcess(ProcessExecuteFlags): exactly one of
 * MEM_EXECUTE_OPTION_ENABLE (DEP off) and _DISABLE (DEP on), optionally
 * _DISABLE_THUNK_EMULATION and _PERMANENT.  STATUS_ACCESS_DENIED once the
 * options are permanent (the policy was AlwaysOn/AlwaysOff, or an earlier
 * call said so), STATUS_INVALID_PARAMETER for anything else; on success
 * every present entry of the space is rewritten with the new NX rule. */
NTSTATUS vm_set_execute_options(struct vm_space *as, uint32_t options);

#endif
