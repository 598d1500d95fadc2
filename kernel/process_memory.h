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
 *   WorkingSetSize = the resident pages of the space (committed pages with
 *     a frame).  There are no working sets yet: the page-file work will
 *     give each process one, and then this is its size (change it here);
 *   the Peak* figures are the largest values these queries have seen,
 *     not the true peaks (the VM layer keeps no per-space peak yet);
 *   PageFaultCount, the pool quotas and the virtual sizes are 0 (not
 *     counted per process).
 * A process that has ended reports zeros but its peaks. */
void process_memory_counters(struct process *p, VM_COUNTERS_EX *out);

#endif
