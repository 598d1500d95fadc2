/* The native system services (ntdll), for user programs: one stub per
 * service in libc/user/syscalls.asm traps into the kernel through
 * int 0x2E (ABI and service numbers: <ntsvc.h>).  NTAPI is stdcall, as
 * in ntdll: the stub pops its arguments.  Parameter shapes are NT's: the
 * base address and size are in/out, rounded by the kernel. */
#ifndef _NTDLL_H
#define _NTDLL_H

#include <windef.h>
#include <winnt.h>
#include <ntstatus.h>
#include <ntsvc.h>
#include <winternl.h>

/* The pseudo-handle of the calling process (the only one the kernel knows). */
#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#define ZwCurrentProcess() NtCurrentProcess()

/* NtQueryVirtualMemory's class (ntsvc.h defines MemoryBasicInformation = 0). */
typedef int MEMORY_INFORMATION_CLASS;

/* What the kernel calls on an exception (see ntsvc.h for the frame). */
typedef void (*PEXCEPTION_DISPATCHER)(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT ContextRecord);

NTSTATUS NTAPI NtAllocateVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                                       PSIZE_T RegionSize, ULONG AllocationType, ULONG Protect);
NTSTATUS NTAPI NtFreeVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
                                   ULONG FreeType);
NTSTATUS NTAPI NtProtectVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
                                      ULONG NewProtect, PULONG OldProtect);
NTSTATUS NTAPI NtQueryVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress,
                                    MEMORY_INFORMATION_CLASS MemoryInformationClass,
                                    PVOID MemoryInformation, SIZE_T MemoryInformationLength,
                                    PSIZE_T ReturnLength);
NTSTATUS NTAPI NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus);
/* Resumes with *ContextRecord; returns only on failure. */
NTSTATUS NTAPI NtContinue(PCONTEXT ContextRecord, BOOLEAN TestAlert);
/* Writes Length bytes of Text to the serial console (the program's stdout). */
NTSTATUS NTAPI NtDebugPrint(const char *Text, ULONG Length);
/* The null service: a round trip through the kernel. */
NTSTATUS NTAPI NtYieldExecution(void);
NTSTATUS NTAPI NtSetExceptionDispatcher(PVOID Dispatcher);
/* Delivers *ExceptionRecord through the dispatcher as if it were a fault
 * with *ContextRecord; returns only on failure. */
NTSTATUS NTAPI NtRaiseException(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT ContextRecord,
                                BOOLEAN FirstChance);
NTSTATUS NTAPI NtQuerySystemCounters(SYSTEM_MEMORY_COUNTERS *Counters, ULONG Length);
/* Write watches: the pages of a MEM_WRITE_WATCH region written since it
 * was reserved or reset (*EntriesInUserAddressArray: in, the array's
 * size; out, how many were stored). */
NTSTATUS NTAPI NtGetWriteWatch(HANDLE ProcessHandle, ULONG Flags, PVOID BaseAddress, SIZE_T RegionSize,
                               PVOID *UserAddressArray, PULONG_PTR EntriesInUserAddressArray,
                               PULONG Granularity);
NTSTATUS NTAPI NtResetWriteWatch(HANDLE ProcessHandle, PVOID BaseAddress, SIZE_T RegionSize);
/* Issue 19: locks / unlocks the pages of [*BaseAddress, + *RegionSize)
 * in the working set (MapType MAP_PROCESS; mm/vm_ws.h has the rules);
 * both write back the page range on success. */
NTSTATUS NTAPI NtLockVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
                                   ULONG MapType);
NTSTATUS NTAPI NtUnlockVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
                                     ULONG MapType);

/* ---- DEP (issue 18) ----
 * ProcessExecuteFlags (<ntsvc.h>) is the one class: a ULONG of
 * MEM_EXECUTE_OPTION_* flags for the current process.  Query:
 * STATUS_INVALID_INFO_CLASS for another class, STATUS_INFO_LENGTH_MISMATCH
 * unless the length is 4; ReturnLength may be NULL.  Set: also
 * STATUS_ACCESS_DENIED once the options are permanent and
 * STATUS_INVALID_PARAMETER for flags that are not exactly one of ENABLE
 * and DISABLE (plus DISABLE_THUNK_EMULATION, PERMANENT). */
NTSTATUS NTAPI NtQueryInformationProcess(HANDLE ProcessHandle, ULONG ProcessInformationClass,
                                         PVOID ProcessInformation, ULONG ProcessInformationLength,
                                         PULONG ReturnLength);
NTSTATUS NTAPI NtSetInformationProcess(HANDLE ProcessHandle, ULONG ProcessInformationClass,
                                       PVOID ProcessInformation, ULONG ProcessInformationLength);
/* Classes (<ntsvc.h>): SystemNxSupportPolicyInformation, the system DEP
 * policy as a ULONG; SystemPerformanceInformation, the paging counters. */
NTSTATUS NTAPI NtQuerySystemInformation(ULONG SystemInformationClass, PVOID SystemInformation,
                                        ULONG SystemInformationLength, PULONG ReturnLength);
/* ---- end of DEP ---- */

/* ---- threads, waits and objects (issue 13; table 2 of ntsvc.h) ---- */
#define NtCurrentThread() ((HANDLE)(LONG_PTR)-2)
typedef int THREADINFOCLASS;
typedef int PROCESSINFOCLASS;
typedef int EVENT_TYPE;
typedef int WAIT_TYPE;
typedef ULONG ACCESS_MASK;
#define THREAD_CREATE_FLAGS_CREATE_SUSPENDED 0x00000001

NTSTATUS NTAPI NtClose(HANDLE Handle);
NTSTATUS NTAPI NtDuplicateObject(HANDLE SourceProcessHandle, HANDLE SourceHandle, HANDLE TargetProcessHandle,
                                 PHANDLE TargetHandle, ACCESS_MASK DesiredAccess, ULONG HandleAttributes,
                                 ULONG Options);
NTSTATUS NTAPI NtWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout);
NTSTATUS NTAPI NtWaitForMultipleObjects(ULONG Count, const HANDLE *Handles, WAIT_TYPE WaitType,
                                        BOOLEAN Alertable, PLARGE_INTEGER Timeout);
NTSTATUS NTAPI NtDelayExecution(BOOLEAN Alertable, PLARGE_INTEGER DelayInterval);
/* NT's NtYieldExecution statuses: STATUS_NO_YIELD_PERFORMED when no other
 * thread was ready (NtYieldExecution itself is this ABI's null service). */
NTSTATUS NTAPI NtSwitchToThread(void);
NTSTATUS NTAPI NtCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, PVOID ObjectAttributes,
                             EVENT_TYPE EventType, BOOLEAN InitialState);
NTSTATUS NTAPI NtSetEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS NTAPI NtResetEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS NTAPI NtPulseEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS NTAPI NtCreateMutant(PHANDLE MutantHandle, ACCESS_MASK DesiredAccess, PVOID ObjectAttributes,
                              BOOLEAN InitialOwner);
NTSTATUS NTAPI NtReleaseMutant(HANDLE MutantHandle, PLONG PreviousCount);
NTSTATUS NTAPI NtCreateSemaphore(PHANDLE SemaphoreHandle, ACCESS_MASK DesiredAccess, PVOID ObjectAttributes,
                                 LONG InitialCount, LONG MaximumCount);
NTSTATUS NTAPI NtReleaseSemaphore(HANDLE SemaphoreHandle, LONG ReleaseCount, PLONG PreviousCount);
/* NT's signature except the last argument, which here receives the new
 * thread's CLIENT_ID (NT: a PS_ATTRIBUTE_LIST that may ask for it). */
NTSTATUS NTAPI NtCreateThreadEx(PHANDLE ThreadHandle, ACCESS_MASK DesiredAccess, PVOID ObjectAttributes,
                                HANDLE ProcessHandle, PVOID StartRoutine, PVOID Argument, ULONG CreateFlags,
                                SIZE_T ZeroBits, SIZE_T StackSize, SIZE_T MaximumStackSize,
                                PCLIENT_ID ClientId);
NTSTATUS NTAPI NtTerminateThread(HANDLE ThreadHandle, NTSTATUS ExitStatus);
NTSTATUS NTAPI NtSuspendThread(HANDLE ThreadHandle, PULONG PreviousSuspendCount);
NTSTATUS NTAPI NtResumeThread(HANDLE ThreadHandle, PULONG PreviousSuspendCount);
NTSTATUS NTAPI NtQueryInformationThread(HANDLE ThreadHandle, THREADINFOCLASS ThreadInformationClass,
                                        PVOID ThreadInformation, ULONG ThreadInformationLength,
                                        PULONG ReturnLength);
NTSTATUS NTAPI NtSetInformationThread(HANDLE ThreadHandle, THREADINFOCLASS ThreadInformationClass,
                                      PVOID ThreadInformation, ULONG ThreadInformationLength);
/* Where this process's new threads begin: EAX = start routine, EBX =
 * argument, as NT x86 starts every thread at ntdll's RtlUserThreadStart. */
NTSTATUS NTAPI NtSetThreadStartRoutine(PVOID Routine);
/* NtQueryInformationProcess (above) also answers ProcessBasicInformation
 * and ProcessHandleCount. */
/* Milliseconds since boot (the timer tick), wrapping after 49.7 days. */
ULONG NTAPI NtGetTickCount(void);
/* ---- end of the issue 13 block ---- */
/* Every other CPU passes a full memory barrier before it returns (issue 17). */
NTSTATUS NTAPI NtFlushProcessWriteBuffers(void);

/* ---- issue 15: processes and the *Ex calls (ntsvc.h has the shapes) ---- */
/* This kernel's own shape (NT's takes RTL_USER_PROCESS_PARAMETERS): the
 * image is the boot-image program named by ImageName (ImageNameLength
 * bytes), CommandLine (CommandLineLength bytes, at most 32767) is what
 * the child's GetCommandLineA returns.  Flags: NT_CREATE_PROCESS_SUSPENDED.
 * The handles grant PROCESS_ALL_ACCESS and THREAD_ALL_ACCESS. */
NTSTATUS NTAPI NtCreateUserProcess(PHANDLE ProcessHandle, PHANDLE ThreadHandle, PCSTR ImageName,
                                   ULONG ImageNameLength, PCSTR CommandLine, ULONG CommandLineLength,
                                   ULONG Flags, PCLIENT_ID ClientId);
/* ObjectAttributes must be NULL here; ClientId->UniqueProcess names the process. */
NTSTATUS NTAPI NtOpenProcess(PHANDLE ProcessHandle, ACCESS_MASK DesiredAccess, PVOID ObjectAttributes,
                             PCLIENT_ID ClientId);
/* STATUS_PARTIAL_COPY with *NumberOfBytes{Read,Written} = what was copied
 * when a page of either side could not be accessed. */
NTSTATUS NTAPI NtReadVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, PVOID Buffer,
                                   SIZE_T NumberOfBytesToRead, PSIZE_T NumberOfBytesRead);
NTSTATUS NTAPI NtWriteVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, const void *Buffer,
                                    SIZE_T NumberOfBytesToWrite, PSIZE_T NumberOfBytesWritten);
/* ---- end of issue 15 ---- */

/* Fills *ContextRecord with the caller's registers as they will be after
 * this call returns (Eip = the return address); libc/user/context.asm. */
void NTAPI RtlCaptureContext(PCONTEXT ContextRecord);

/* The NTSTATUS -> Win32 error table (libc/ntstatus_map.c, shared with
 * the kernel, which calls it with the C convention). */
ULONG RtlNtStatusToDosError(NTSTATUS Status);

#endif
