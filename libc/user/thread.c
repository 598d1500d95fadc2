/* Threads and thread-local storage (processthreadsapi.h) over the native
 * services, as kernel32 wraps ntdll: the Nt* call, and a failing NTSTATUS
 * as SetLastError(RtlNtStatusToDosError(status)).
 *
 * Every thread but the first begins at RtlUserThreadStart
 * (thread_start.asm), which sdk_init registers with the kernel; it calls
 * the thread's function and ExitThread with what it returns. */
#include "sdk.h"
#include <ntdll.h>
#include <string.h>

#define TLS_WORDS (TLS_MINIMUM_AVAILABLE / 32)

/* TlsAlloc's bitmap (NT keeps it in the PEB, under the PEB lock). */
static DWORD tls_bitmap[TLS_WORDS];
static CRITICAL_SECTION tls_lock;

static BOOL fail(NTSTATUS st);

/* The kernel gives every CPU's GDT a ring-3 segment (selector 0x4B) whose
 * limit is that CPU's number, so LSL reads it without a system call
 * (x64 Windows reads its processor number the same way). */
DWORD WINAPI GetCurrentProcessorNumber(void)
{
    DWORD n;
    __asm__ volatile("lsl %1, %0" : "=r"(n) : "r"(0x4Bu));
    return n;
}

DWORD_PTR WINAPI SetThreadAffinityMask(HANDLE hThread, DWORD_PTR dwThreadAffinityMask)
{
    THREAD_BASIC_INFORMATION info;
    NTSTATUS st = NtQueryInformationThread(hThread, ThreadBasicInformation, &info, sizeof(info), NULL);
    if (NT_SUCCESS(st))
        st = NtSetInformationThread(hThread, ThreadAffinityMask, &dwThreadAffinityMask,
                                    sizeof(dwThreadAffinityMask));
    if (!NT_SUCCESS(st))
        return fail(st);
    return (DWORD_PTR)info.AffinityMask;
}

DWORD WINAPI SetThreadIdealProcessor(HANDLE hThread, DWORD dwIdealProcessor)
{
    NTSTATUS st = NtSetInformationThread(hThread, ThreadIdealProcessor, &dwIdealProcessor,
                                         sizeof(dwIdealProcessor));
    if (!NT_SUCCESS(st)) {
        fail(st);
        return (DWORD)-1;
    }
    return (DWORD)st;                   /* NT returns the previous one as the status */
}

BOOL WINAPI GetProcessAffinityMask(HANDLE hProcess, PDWORD_PTR lpProcessAffinityMask,
                                   PDWORD_PTR lpSystemAffinityMask)
{
    /* PROCESS_BASIC_INFORMATION: ExitStatus, PebBaseAddress, AffinityMask,
     * BasePriority, UniqueProcessId, InheritedFromUniqueProcessId */
    ULONG pbi[6];
    NTSTATUS st = NtQueryInformationProcess(hProcess, ProcessBasicInformation, pbi, sizeof(pbi), NULL);
    if (!NT_SUCCESS(st))
        return fail(st);
    *lpProcessAffinityMask = (DWORD_PTR)pbi[2];
    *lpSystemAffinityMask = (DWORD_PTR)pbi[2];      /* no process is restricted */
    return TRUE;
}

static BOOL fail(NTSTATUS st)
{
    SetLastError(RtlNtStatusToDosError(st));
    return FALSE;
}

static PTEB teb(void)
{
    return (PTEB)NtCurrentTeb();
}

/* ---- creation and the end ---------------------------------------------------- */

/* Called by RtlUserThreadStart (thread_start.asm) on the new thread's
 * stack: returning from the thread function is ExitThread. */
__attribute__((noreturn)) void sdk_thread_main(LPTHREAD_START_ROUTINE start, LPVOID parameter)
{
    ExitThread(start(parameter));
}

HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
                           LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter,
                           DWORD dwCreationFlags, LPDWORD lpThreadId)
{
    HANDLE h = NULL;
    CLIENT_ID cid;
    SIZE_T commit = 0, reserve = 0;

    (void)lpThreadAttributes;
    /* kernel32's CreateRemoteThreadEx: the size is the commit, or with the
     * flag the reserve, and the other one is the image's default. */
    if (dwCreationFlags & STACK_SIZE_PARAM_IS_A_RESERVATION)
        reserve = dwStackSize;
    else
        commit = dwStackSize;
    NTSTATUS st = NtCreateThreadEx(&h, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(), (PVOID)lpStartAddress,
                                   lpParameter,
                                   (dwCreationFlags & CREATE_SUSPENDED) ? THREAD_CREATE_FLAGS_CREATE_SUSPENDED : 0,
                                   0, commit, reserve, &cid);
    if (!NT_SUCCESS(st)) {
        fail(st);
        return NULL;
    }
    if (lpThreadId != NULL)
        *lpThreadId = (DWORD)cid.UniqueThread;
    return h;
}

/* As RtlExitUserThread: the last thread's end is the process's end
 * (ExitProcess flushes stdout); any other thread just ends. */
void WINAPI ExitThread(DWORD dwExitCode)
{
    ULONG last = 0;

    if (NT_SUCCESS(NtQueryInformationThread(NtCurrentThread(), ThreadAmILastThread, &last, sizeof(last),
                                            NULL)) &&
        last)
        ExitProcess(dwExitCode);
    sdk_heap_thread_exit();
    for (;;)
        NtTerminateThread(NtCurrentThread(), (NTSTATUS)dwExitCode);
}

VOID WINAPI FlushProcessWriteBuffers(void)
{
    NtFlushProcessWriteBuffers();
}

BOOL WINAPI TerminateThread(HANDLE hThread, DWORD dwExitCode)
{
    NTSTATUS st = NtTerminateThread(hThread, (NTSTATUS)dwExitCode);
    return NT_SUCCESS(st) ? TRUE : fail(st);
}

BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)
{
    THREAD_BASIC_INFORMATION info;
    NTSTATUS st = NtQueryInformationThread(hThread, ThreadBasicInformation, &info, sizeof(info), NULL);

    if (!NT_SUCCESS(st))
        return fail(st);
    *lpExitCode = (DWORD)info.ExitStatus;
    return TRUE;
}

DWORD WINAPI GetThreadId(HANDLE Thread)
{
    THREAD_BASIC_INFORMATION info;
    NTSTATUS st = NtQueryInformationThread(Thread, ThreadBasicInformation, &info, sizeof(info), NULL);

    if (!NT_SUCCESS(st)) {
        fail(st);
        return 0;
    }
    return (DWORD)info.ClientId.UniqueThread;
}

BOOL WINAPI QueryThreadCycleTime(HANDLE ThreadHandle, PULONG64 CycleTime)
{
    THREAD_CYCLE_TIME_INFORMATION info;
    NTSTATUS st = NtQueryInformationThread(ThreadHandle, ThreadCycleTime, &info, sizeof(info), NULL);

    if (!NT_SUCCESS(st))
        return fail(st);
    *CycleTime = info.AccumulatedCycles;
    return TRUE;
}

DWORD WINAPI SuspendThread(HANDLE hThread)
{
    ULONG previous;
    NTSTATUS st = NtSuspendThread(hThread, &previous);

    if (!NT_SUCCESS(st)) {
        fail(st);
        return (DWORD)-1;
    }
    return previous;
}

DWORD WINAPI ResumeThread(HANDLE hThread)
{
    ULONG previous;
    NTSTATUS st = NtResumeThread(hThread, &previous);

    if (!NT_SUCCESS(st)) {
        fail(st);
        return (DWORD)-1;
    }
    return previous;
}

HANDLE WINAPI GetCurrentThread(void)
{
    return NtCurrentThread();
}

DWORD WINAPI GetCurrentThreadId(void)
{
    return (DWORD)teb()->ClientId.UniqueThread;
}

DWORD WINAPI GetCurrentProcessId(void)
{
    return (DWORD)teb()->ClientId.UniqueProcess;
}

BOOL WINAPI SwitchToThread(void)
{
    return NtSwitchToThread() == STATUS_SUCCESS;
}

/* ---- thread-local storage ----------------------------------------------------- */

DWORD WINAPI TlsAlloc(void)
{
    DWORD index = TLS_OUT_OF_INDEXES;

    EnterCriticalSection(&tls_lock);
    for (DWORD i = 0; i < TLS_MINIMUM_AVAILABLE && index == TLS_OUT_OF_INDEXES; i++) {
        if (!(tls_bitmap[i / 32] & (1ul << (i % 32)))) {
            tls_bitmap[i / 32] |= 1ul << (i % 32);
            index = i;
        }
    }
    LeaveCriticalSection(&tls_lock);
    if (index == TLS_OUT_OF_INDEXES)
        SetLastError(ERROR_NO_MORE_ITEMS);
    return index;
}

/* The slot reads 0 in every thread afterwards: the kernel clears it in
 * every TEB of the process (NT's ThreadZeroTlsCell), so a later TlsAlloc
 * hands it out clean. */
BOOL WINAPI TlsFree(DWORD dwTlsIndex)
{
    BOOL ok = FALSE;

    EnterCriticalSection(&tls_lock);
    if (dwTlsIndex < TLS_MINIMUM_AVAILABLE && (tls_bitmap[dwTlsIndex / 32] & (1ul << (dwTlsIndex % 32)))) {
        NTSTATUS st = NtSetInformationThread(NtCurrentThread(), ThreadZeroTlsCell, &dwTlsIndex,
                                             sizeof(dwTlsIndex));
        ok = NT_SUCCESS(st);
        if (ok)
            tls_bitmap[dwTlsIndex / 32] &= ~(1ul << (dwTlsIndex % 32));
    }
    LeaveCriticalSection(&tls_lock);
    if (!ok)
        SetLastError(ERROR_INVALID_PARAMETER);
    return ok;
}

LPVOID WINAPI TlsGetValue(DWORD dwTlsIndex)
{
    if (dwTlsIndex >= TLS_MINIMUM_AVAILABLE) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    SetLastError(ERROR_SUCCESS);
    return teb()->TlsSlots[dwTlsIndex];
}

BOOL WINAPI TlsSetValue(DWORD dwTlsIndex, LPVOID lpTlsValue)
{
    if (dwTlsIndex >= TLS_MINIMUM_AVAILABLE) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    teb()->TlsSlots[dwTlsIndex] = lpTlsValue;
    return TRUE;
}

/* ---- start-up ------------------------------------------------------------------ */

/* Before anything else runs: the TLS lock, the start routine of new
 * threads, and errno's TLS slot (errno.c), which is the first one
 * allocated: slot 0. */
void sdk_thread_init(void)
{
    sdk_lock_init(&tls_lock);
    NtSetThreadStartRoutine((PVOID)RtlUserThreadStart);
    if (TlsAlloc() != SDK_ERRNO_TLS_SLOT)
        sdk_terminate(STATUS_NO_MEMORY);
}
