/* The thread environment block and the native thread structures (the
 * parts of winternl.h / ntddk.h that threads need), x86 layouts.
 *
 * The TEB is one page per thread, in the process's address space, made
 * by the kernel when it creates the thread and reached through fs: (fs:0
 * is the TEB itself; NtCurrentTeb() reads fs:[0x18], the Self field).
 * The offsets of every field named here are those of 32-bit Windows
 * (NT_TIB as documented in winnt.h; TlsSlots at 0xE10 and
 * ProcessEnvironmentBlock at 0x30 as winternl.h lays out its reserved
 * arrays; ClientId 0x20, LastErrorValue 0x34, LastStatusValue 0xBF4,
 * DeallocationStack 0xE0C from the public symbols of ntdll).  This kernel
 * has no PEB yet: ProcessEnvironmentBlock is NULL. */
#ifndef _WINTERNL_H
#define _WINTERNL_H

#include <windef.h>
#include <winnt.h>

typedef struct _CLIENT_ID {
    HANDLE UniqueProcess;           /* the process id */
    HANDLE UniqueThread;            /* the thread id */
} CLIENT_ID, *PCLIENT_ID;

#define TLS_MINIMUM_AVAILABLE 64    /* TlsSlots in every TEB */

typedef struct _TEB {
    NT_TIB NtTib;                           /* 0x000 */
    PVOID EnvironmentPointer;               /* 0x01C */
    CLIENT_ID ClientId;                     /* 0x020 */
    PVOID ActiveRpcHandle;                  /* 0x028 */
    PVOID ThreadLocalStoragePointer;        /* 0x02C */
    PVOID ProcessEnvironmentBlock;          /* 0x030 */
    ULONG LastErrorValue;                   /* 0x034 */
    ULONG CountOfOwnedCriticalSections;     /* 0x038 */
    BYTE Reserved1[0xBF4 - 0x03C];
    LONG LastStatusValue;                   /* 0xBF4 */
    BYTE Reserved2[0xE0C - 0xBF8];
    PVOID DeallocationStack;                /* 0xE0C: the stack reservation's base */
    PVOID TlsSlots[TLS_MINIMUM_AVAILABLE];  /* 0xE10 */
    BYTE Reserved3[0xF94 - 0xF10];
    PVOID TlsExpansionSlots;                /* 0xF94 */
    BYTE Reserved4[0x1000 - 0xF98];
} TEB, *PTEB;
_Static_assert(__builtin_offsetof(TEB, ClientId) == 0x20 && __builtin_offsetof(TEB, LastErrorValue) == 0x34 &&
                   __builtin_offsetof(TEB, ProcessEnvironmentBlock) == 0x30 &&
                   __builtin_offsetof(TEB, LastStatusValue) == 0xBF4 &&
                   __builtin_offsetof(TEB, DeallocationStack) == 0xE0C &&
                   __builtin_offsetof(TEB, TlsSlots) == 0xE10 &&
                   __builtin_offsetof(TEB, TlsExpansionSlots) == 0xF94 && sizeof(TEB) == 0x1000,
               "x86 TEB layout");

/* NtQueryInformationThread(ThreadBasicInformation). */
typedef struct _THREAD_BASIC_INFORMATION {
    NTSTATUS ExitStatus;            /* STATUS_PENDING (STILL_ACTIVE) while it runs */
    PVOID TebBaseAddress;
    CLIENT_ID ClientId;
    ULONG_PTR AffinityMask;
    LONG Priority;
    LONG BasePriority;
} THREAD_BASIC_INFORMATION, *PTHREAD_BASIC_INFORMATION;

/* NtQueryInformationThread(ThreadCycleTime). */
typedef struct _THREAD_CYCLE_TIME_INFORMATION {
    ULONGLONG AccumulatedCycles;    /* TSC cycles the thread has run */
    ULONGLONG CurrentCycleCount;    /* the TSC at the query */
} THREAD_CYCLE_TIME_INFORMATION, *PTHREAD_CYCLE_TIME_INFORMATION;

/* THREADINFOCLASS and PROCESSINFOCLASS values (NT's numbering). */
#define ThreadBasicInformation 0
#define ThreadAffinityMask 4               /* KAFFINITY (ULONG here) */
#define ThreadZeroTlsCell 10
#define ThreadAmILastThread 12              /* ULONG: 1 when no other thread of the process runs */
#define ThreadIdealProcessor 13             /* ULONG; the status is the previous one */
#define ThreadCycleTime 23                  /* THREAD_CYCLE_TIME_INFORMATION */
#define ProcessBasicInformation 0
#define ProcessHandleCount 20               /* ULONG: open handles */
/* ---- issue 15 ---- */
#define ProcessVmCounters 3                 /* VM_COUNTERS or VM_COUNTERS_EX */
#define ProcessCommandLineInformation 60    /* UNICODE_STRING, then its characters */

/* NtQueryInformationProcess(ProcessVmCounters): bytes, as NT x86 gives
 * them (the _EX form adds PrivateUsage, which psapi passes on). */
typedef struct _VM_COUNTERS_EX {
    SIZE_T PeakVirtualSize;
    SIZE_T VirtualSize;
    ULONG PageFaultCount;
    SIZE_T PeakWorkingSetSize;
    SIZE_T WorkingSetSize;
    SIZE_T QuotaPeakPagedPoolUsage;
    SIZE_T QuotaPagedPoolUsage;
    SIZE_T QuotaPeakNonPagedPoolUsage;
    SIZE_T QuotaNonPagedPoolUsage;
    SIZE_T PagefileUsage;
    SIZE_T PeakPagefileUsage;
    SIZE_T PrivateUsage;
} VM_COUNTERS_EX, *PVM_COUNTERS_EX;
_Static_assert(sizeof(VM_COUNTERS_EX) == 48, "x86 VM_COUNTERS_EX");
#define VM_COUNTERS_SIZE 44                 /* VM_COUNTERS: without PrivateUsage */

/* The counted strings of NT (UNICODE_STRING, x86 layout). */
#ifndef _UNICODE_STRING_DEFINED
#define _UNICODE_STRING_DEFINED
typedef struct _UNICODE_STRING {
    USHORT Length;                          /* bytes, without a terminator */
    USHORT MaximumLength;
    unsigned short *Buffer;         /* PWSTR */
} UNICODE_STRING, *PUNICODE_STRING;
#endif
/* ---- end of issue 15 ---- */

/* ---- issue 19: working-set limits (SetProcessWorkingSetSize), the
 * ProcessQuotaLimits class of NtQuery/SetInformationProcess, x86 layout.
 * Only the working-set fields mean something here; the set ignores the
 * others (NT needs a privilege to change them).  A set with both sizes
 * (SIZE_T)-1 empties the working set. ---- */
#define ProcessQuotaLimits 1
typedef struct _QUOTA_LIMITS {
    SIZE_T PagedPoolLimit;
    SIZE_T NonPagedPoolLimit;
    SIZE_T MinimumWorkingSetSize;
    SIZE_T MaximumWorkingSetSize;
    SIZE_T PagefileLimit;
    long long TimeLimit __attribute__((aligned(8)));  /* LARGE_INTEGER, 8-aligned as MSVC lays it */
} QUOTA_LIMITS, *PQUOTA_LIMITS;
typedef struct _QUOTA_LIMITS_EX {
    SIZE_T PagedPoolLimit;
    SIZE_T NonPagedPoolLimit;
    SIZE_T MinimumWorkingSetSize;
    SIZE_T MaximumWorkingSetSize;
    SIZE_T PagefileLimit;
    long long TimeLimit __attribute__((aligned(8)));
    SIZE_T WorkingSetLimit;
    SIZE_T Reserved2, Reserved3, Reserved4;
    DWORD Flags;                            /* QUOTA_LIMITS_HARDWS_* */
    DWORD CpuRateLimit;
} QUOTA_LIMITS_EX, *PQUOTA_LIMITS_EX;
_Static_assert(sizeof(QUOTA_LIMITS) == 32 && sizeof(QUOTA_LIMITS_EX) == 56, "x86 QUOTA_LIMITS");
#define QUOTA_LIMITS_HARDWS_MIN_ENABLE 0x00000001
#define QUOTA_LIMITS_HARDWS_MIN_DISABLE 0x00000002
#define QUOTA_LIMITS_HARDWS_MAX_ENABLE 0x00000004
#define QUOTA_LIMITS_HARDWS_MAX_DISABLE 0x00000008
/* ---- end of issue 19 ---- */

/* The event types of NtCreateEvent (EVENT_TYPE). */
#define NotificationEvent 0         /* manual reset */
#define SynchronizationEvent 1      /* auto reset */

/* WAIT_TYPE of NtWaitForMultipleObjects. */
#define WaitAll 0
#define WaitAny 1

#endif
