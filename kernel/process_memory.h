/* Issue 15: a process's memory figures, as NtQueryInformationProcess
 * (ProcessVmCounters) and psapi's GetProcessMemoryInfo report them. */
#ifndef KERNEL_PROCESS_MEMORY_H
#define KERNEL_PROCESS_MEMORY_H

#include <windef.h>
#include <winternl.h>

struct process;

/* Fills *out (bytes) for p:
 *   PagefileUsage = PrivateUsage = the private commit of p's space (every
 *     committed page: there is no image or shared section here);
 *   WorkingSetSize = the resident pages of the space (its working set:
 *     mm/vm_ws.h), PeakWorkingSetSize the most it has held (the VM layer
 *     keeps the peak), PageFaultCount the faults that brought a page in
 *     (demand-zero, soft and hard: not guard pages or access violations);
 *   PeakPagefileUsage is the largest commit these queries have seen, not
 *     the true peak;
 *   the pool quotas and the virtual sizes are 0 (not counted per process).
 * A process that has ended reports zeros but its peaks. */
void process_memory_counters(struct process *p, VM_COUNTERS_EX *out);

#endif
