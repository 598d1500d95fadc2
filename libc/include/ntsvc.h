/* The system-service ABI shared by the kernel and the user-mode SDK.
 *
 * A program calls `int 0x2E` with EAX = service number and EDX = pointer
 * to the arguments on its stack (the first argument at [EDX]), as NT x86
 * does; the result, an NTSTATUS, comes back in EAX.  Every other register
 * except EDX and ECX is preserved.  Every pointer argument is read and
 * written through a checked user copy: a bad one gives
 * STATUS_ACCESS_VIOLATION and changes nothing.
 *
 * Exception delivery: when a user-mode fault is not resolved by the
 * kernel (access violation, guard page, #UD, #DE, #BP, ...) or the program
 * calls NtRaiseException, the kernel writes a CONTEXT and an
 * EXCEPTION_RECORD on the user stack (below the interrupted ESP, each
 * 16-byte aligned), then a call frame
 *     [ESP+0] = 0 (no return address)
 *     [ESP+4] = PEXCEPTION_RECORD
 *     [ESP+8] = PCONTEXT
 * and resumes the program at the dispatcher it registered with
 * NtSetExceptionDispatcher.  Of the record, the fields up to
 * NumberParameters and that many ExceptionInformation entries are
 * written; of the CONTEXT (ContextFlags = CONTEXT_FULL), ContextFlags and
 * SegGs..SegSs, for a raised exception also the debug and FPU areas (the
 * rest is the stack's old contents, as NT copies only what is valid).
 * The dispatcher runs the vectored handlers and then calls
 * NtContinue(context) (resume with the possibly changed CONTEXT) or
 * NtTerminateProcess(self, code).  NtContinue refuses with
 * STATUS_INVALID_PARAMETER, changing nothing, a CONTEXT whose CS or SS
 * does not have RPL 3, whose Eip or Esp is outside user space, or whose
 * EFlags asks for IOPL or virtual-8086 mode; the data selectors and the
 * other flags it forces to ring-3 values.  Without a registered
 * dispatcher, or when the stack cannot hold the frame, the process ends
 * with the exception code as its exit status.
 */
#ifndef _NTSVC_H
#define _NTSVC_H

#define NTSVC_VECTOR 0x2E

#define SVC_NtAllocateVirtualMemory 0x00
#define SVC_NtFreeVirtualMemory 0x01
#define SVC_NtProtectVirtualMemory 0x02
#define SVC_NtQueryVirtualMemory 0x03
#define SVC_NtTerminateProcess 0x04
#define SVC_NtContinue 0x05
#define SVC_NtDebugPrint 0x06               /* (const char *text, ULONG length): to the serial console */
#define SVC_NtYieldExecution 0x07           /* no arguments: the null service (lets ready threads run first) */
#define SVC_NtSetExceptionDispatcher 0x08   /* (void (*dispatcher)(EXCEPTION_RECORD *, CONTEXT *)) */
#define SVC_NtRaiseException 0x09           /* (EXCEPTION_RECORD *, CONTEXT *, BOOLEAN first_chance) */
#define SVC_NtQuerySystemCounters 0x0A      /* (SYSTEM_MEMORY_COUNTERS *out, ULONG length) */
/* Write watches (issue 15, point 4). */
#define SVC_NtGetWriteWatch 0x0B            /* (process, flags, base, size, *addresses, *count, *granularity) */
#define SVC_NtResetWriteWatch 0x0C          /* (process, base, size) */
/* ---- DEP (issue 18): the process's execute options and the system policy ---- */
#define SVC_NtQueryInformationProcess 0x0D  /* (process, class, *info, length, *return_length) */
#define SVC_NtSetInformationProcess 0x0E    /* (process, class, *info, length) */
#define SVC_NtQuerySystemInformation 0x0F   /* (class, *info, length, *return_length) */
/* ---- end of the DEP services ---- */
/* ---- issue 19: locked pages (NT's signatures; MapType MAP_PROCESS only,
 * MAP_SYSTEM needs a privilege no process here holds) ---- */
#define SVC_NtLockVirtualMemory 0x10        /* (process, *base, *size, map type) */
#define SVC_NtUnlockVirtualMemory 0x11      /* (process, *base, *size, map type) */
#define MAP_PROCESS 1
#define MAP_SYSTEM 2
/* ---- end of issue 19 ---- */
#define SVC_COUNT 0x12

/* ---- table 2: threads, waits and objects (issue 13) ----
 * NT picks the service table by bits 12-13 of the number (0x1xxx is
 * win32k's).  Table 0 above keeps the memory services this ABI began
 * with; the thread and object services are table 2, with NT's native
 * signatures, except where noted.  Handles are the process's (multiples
 * of 4), or NtCurrentProcess() (-1) / NtCurrentThread() (-2).  Timeouts
 * are NT's PLARGE_INTEGER: NULL forever, negative relative in 100 ns
 * units, 0 only a test, positive absolute (counted from boot here). */
#define SVC_TABLE2 0x2000
#define SVC_NtClose 0x2000                  /* (handle) */
#define SVC_NtDuplicateObject 0x2001        /* (src process, src handle, dst process, *handle, access, attributes, options) */
#define SVC_NtWaitForSingleObject 0x2002    /* (handle, alertable, *timeout) */
#define SVC_NtWaitForMultipleObjects 0x2003 /* (count, handles[], WaitAll/WaitAny, alertable, *timeout) */
#define SVC_NtDelayExecution 0x2004         /* (alertable, *interval): 0 yields */
#define SVC_NtSwitchToThread 0x2005         /* (): NT's NtYieldExecution with its statuses (see below) */
#define SVC_NtCreateEvent 0x2006            /* (*handle, access, NULL, event type, initial state) */
#define SVC_NtSetEvent 0x2007               /* (handle, *previous state) */
#define SVC_NtResetEvent 0x2008             /* (handle, *previous state) */
#define SVC_NtPulseEvent 0x2009             /* (handle, *previous state) */
#define SVC_NtCreateMutant 0x200A           /* (*handle, access, NULL, initial owner) */
#define SVC_NtReleaseMutant 0x200B          /* (handle, *previous count) */
#define SVC_NtCreateSemaphore 0x200C        /* (*handle, access, NULL, initial, maximum) */
#define SVC_NtReleaseSemaphore 0x200D       /* (handle, count, *previous count) */
#define SVC_NtCreateThreadEx 0x200E         /* (*handle, access, NULL, process, start, arg, flags, 0, commit, reserve, *client id) */
#define SVC_NtTerminateThread 0x200F        /* (handle, exit status) */
#define SVC_NtSuspendThread 0x2010          /* (handle, *previous count) */
#define SVC_NtResumeThread 0x2011           /* (handle, *previous count) */
#define SVC_NtQueryInformationThread 0x2012 /* (handle, class, buffer, length, *return length) */
#define SVC_NtSetInformationThread 0x2013   /* (handle, ThreadZeroTlsCell, &index, 4) */
#define SVC_NtSetThreadStartRoutine 0x2014  /* (routine): where new threads begin */
/* NtQueryInformationProcess is table 0's (0x0D): ProcessExecuteFlags there,
 * ProcessBasicInformation and ProcessHandleCount handed on to the objects. */
#define SVC_NtGetTickCount 0x2015          /* (): milliseconds since boot, as NT x86's service */
/* ---- issue 15: processes created by processes, and the *Ex calls ----
 * NtReadVirtualMemory / NtWriteVirtualMemory and NtOpenProcess have NT's
 * signatures (the object attributes must be NULL); NtCreateUserProcess
 * is this kernel's own shape: the image is a program of the boot image,
 * named by (name, length), and the command line is passed as (text,
 * length) instead of NT's RTL_USER_PROCESS_PARAMETERS.  flags: 1 = the
 * main thread starts suspended.  *client id gets the new process and
 * main-thread ids. */
#define SVC_NtCreateUserProcess 0x2016      /* (*process, *thread, name, name length, command line, length, flags, *client id) */
#define SVC_NtOpenProcess 0x2017            /* (*handle, access, NULL, *client id) */
#define SVC_NtReadVirtualMemory 0x2018      /* (process, base, buffer, size, *bytes read) */
#define SVC_NtWriteVirtualMemory 0x2019     /* (process, base, buffer, size, *bytes written) */
#define NT_CREATE_PROCESS_SUSPENDED 0x1
/* ---- end of issue 15 ---- */
/* ---- issue 17: the heap's per-thread caches ----
 * NtFlushProcessWriteBuffers (FlushProcessWriteBuffers, NT's signature):
 * every other CPU passes a full memory barrier before it returns (an IPI
 * to each other online CPU; nothing with one CPU).  Always succeeds. */
#define SVC_NtFlushProcessWriteBuffers 0x201A  /* () */
#define SVC_TABLE2_END 0x201B
/* ---- end of table 2 ---- */

/* Where the kernel puts TEBs: slot i (0..NT_TEB_SLOTS-1) of a process at
 * NT_TEB_AREA_END - (i + 1) * 0x1000, top-down as NT x86; a slot is its
 * thread's until the thread ends (the SDK's heap uses it as the thread's
 * cache index, libc/user/heap_user.c). */
#define NT_TEB_AREA_END 0x7FFF0000u
#define NT_TEB_SLOTS 64

/* NtCurrentProcess() and NtCurrentThread(): the pseudo handles. */
#define NT_CURRENT_PROCESS ((void *)(long)-1)
#define NT_CURRENT_THREAD ((void *)(long)-2)

/* MEMORY_INFORMATION_CLASS for NtQueryVirtualMemory. */
#define MemoryBasicInformation 0

/* What NtQuerySystemCounters returns: the figures a leak check needs,
 * and the machine's totals GlobalMemoryStatusEx reports. */
typedef struct _SYSTEM_MEMORY_COUNTERS {
    unsigned long FreeFrames;           /* free frames, including the pre-zeroed pool */
    unsigned long CommitCharge;         /* pages */
    unsigned long CommitPeak;
    unsigned long CommitLimit;
    unsigned long PageTablePages;
    unsigned long Allocations;          /* reservations in the caller's address space */
    unsigned long PhysicalPages;        /* frames of RAM the frame allocator manages (with PAE,
                                           above 4 GiB too), GlobalMemoryStatusEx's ullTotalPhys */
    /* Issue 18: the part of it at or above 4 GiB (PAE only). */
    unsigned long TotalFramesAbove4G;
    unsigned long FreeFramesAbove4G;    /* free frames at or above 4 GiB */
    /* Issue 19: the page file, in 4 KiB slots (0 without one: no disk, or
     * a disk below the minimum), and the part of CommitLimit it adds. */
    unsigned long PageFilePages;
    unsigned long PageFileInUse;
    unsigned long CommitLimitPageFile;
} SYSTEM_MEMORY_COUNTERS;

/* ---- DEP (issue 18) ----------------------------------------------------------
 * A process's execute options, as NT keeps them (KEXECUTE_OPTIONS) and
 * NtQueryInformationProcess / NtSetInformationProcess pass them with the
 * ProcessExecuteFlags class (one ULONG).  ENABLE means execution is
 * allowed everywhere (DEP off), DISABLE means it is not (DEP on). */
#define ProcessExecuteFlags 34
#define MEM_EXECUTE_OPTION_DISABLE 0x1
#define MEM_EXECUTE_OPTION_ENABLE 0x2
#define MEM_EXECUTE_OPTION_DISABLE_THUNK_EMULATION 0x4
#define MEM_EXECUTE_OPTION_PERMANENT 0x8
#define MEM_EXECUTE_OPTION_VALID_FLAGS 0xF

/* NtQuerySystemInformation's one class here: the system DEP policy (a
 * ULONG: 0 AlwaysOff, 1 AlwaysOn, 2 OptIn, 3 OptOut).  Windows publishes
 * it in the shared user page (KUSER_SHARED_DATA.NXSupportPolicy), which
 * this kernel does not map; the class number is this kernel's own. */
#define SystemNxSupportPolicyInformation 0x100
/* ---- end of DEP ---- */

/* ---- issue 19: paging counters ----
 * NtQuerySystemInformation(SystemPerformanceInformation): the leading
 * fields of NT's SYSTEM_PERFORMANCE_INFORMATION, in its order, through
 * MappedWriteIoCount (the length must be exactly this structure's).
 * Pages are 4 KiB; the I/O figures are the page file's.  Windows'
 * GetPerformanceInfo and perfmon's Memory counters come from it:
 *   PageFaultCount        faults resolved: demand-zero + transition + hard (a
 *                         read from the page file)
 *   TransitionCount       soft faults: a page back off the standby or modified list
 *   DemandZeroCount       faults given a zeroed frame
 *   PageReadCount         pages read from the page file (hard faults' pages and
 *                         the ones read with them)
 *   PageReadIoCount       ... in this many reads (one per hard fault)
 *   DirtyPagesWriteCount  page-outs: modified pages written to the page file
 *   DirtyWriteIoCount     ... in this many writes (clusters)
 * The fields this kernel has no notion of (the cache, copy-on-write,
 * mapped files, idle time) are 0. */
#define SystemPerformanceInformation 2
/* NtSetInformationProcess(NtCurrentProcess(), ProcessInjectInPageError,
 * &one, 4), this kernel's own class, a test hook: the calling process's
 * next hard fault reads its page with an injected disk error, and the
 * access raises STATUS_IN_PAGE_ERROR (the ULONG must be 1). */
#define ProcessInjectInPageError 0x101
typedef struct _SYSTEM_PERFORMANCE_INFORMATION {
    long long IdleProcessTime;
    long long IoReadTransferCount;      /* bytes */
    long long IoWriteTransferCount;
    long long IoOtherTransferCount;
    unsigned long IoReadOperationCount;
    unsigned long IoWriteOperationCount;
    unsigned long IoOtherOperationCount;
    unsigned long AvailablePages;       /* free, zeroed and standby frames */
    unsigned long CommittedPages;
    unsigned long CommitLimit;
    unsigned long PeakCommitment;
    unsigned long PageFaultCount;
    unsigned long CopyOnWriteCount;
    unsigned long TransitionCount;
    unsigned long CacheTransitionCount;
    unsigned long DemandZeroCount;
    unsigned long PageReadCount;
    unsigned long PageReadIoCount;
    unsigned long CacheReadCount;
    unsigned long CacheIoCount;
    unsigned long DirtyPagesWriteCount;
    unsigned long DirtyWriteIoCount;
    unsigned long MappedPagesWriteCount;
    unsigned long MappedWriteIoCount;
} SYSTEM_PERFORMANCE_INFORMATION;
_Static_assert(sizeof(SYSTEM_PERFORMANCE_INFORMATION) == 0x70, "NT's layout up to MappedWriteIoCount");
/* ---- end of issue 19 ---- */

#endif
