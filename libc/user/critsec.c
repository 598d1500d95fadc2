/* Critical sections (synchapi.h) with the RTL_CRITICAL_SECTION fields as
 * NT 4 to XP use them (winnt.h):
 *
 *   LockCount       -1 free; else (enters not yet left + waiters) - 1
 *   RecursionCount  the owner's depth
 *   OwningThread    the owner's thread id
 *   LockSemaphore   an auto-reset event, made at the first contention
 *
 * Enter is one locked increment of LockCount: from -1 to 0 it owns the
 * section (no system call); otherwise the owner enters again, or a
 * waiter blocks on the event.  Leave at depth 0 is one locked decrement:
 * a result >= 0 means a thread waits, and the event hands it ownership
 * (it is set at most once per release, so an early set is never lost:
 * the waiter finds the event set when it arrives).
 *
 * The owner's id comes from the TEB (fs:[0x24]).  EnterCriticalSection
 * and LeaveCriticalSection are in critsec_fast.asm (their fast paths are
 * a handful of instructions); their slow paths are here. */
#include "sdk.h"
#include <ntdll.h>
#include <winternl.h>

/* Windows 8 and later mark a section without debug data with -1. */
#define NO_DEBUG_INFO ((PRTL_CRITICAL_SECTION_DEBUG)(LONG_PTR)-1)

static __inline HANDLE current_thread_id(void)
{
    HANDLE id;
    __asm__("movl %%fs:0x24, %0" : "=r"(id));     /* TEB.ClientId.UniqueThread */
    return id;
}

BOOL WINAPI InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION lpCriticalSection, DWORD dwSpinCount)
{
    (void)dwSpinCount;                  /* one processor: ignored and stored as 0 */
    lpCriticalSection->DebugInfo = NO_DEBUG_INFO;
    lpCriticalSection->LockCount = -1;
    lpCriticalSection->RecursionCount = 0;
    lpCriticalSection->OwningThread = NULL;
    lpCriticalSection->LockSemaphore = NULL;
    lpCriticalSection->SpinCount = 0;
    return TRUE;
}

void WINAPI InitializeCriticalSection(LPCRITICAL_SECTION lpCriticalSection)
{
    InitializeCriticalSectionAndSpinCount(lpCriticalSection, 0);
}

/* The runtime's own locks (stdout, the heaps', the handler list, TLS)
 * make their event up front, so that how many handles a program holds
 * does not depend on whether its threads ever met inside the runtime.
 * Without a handle to spare it stays NULL and is made at the first
 * contention, as any other section's. */
void sdk_lock_prepare(LPCRITICAL_SECTION cs)
{
    HANDLE ev;
    if (cs->LockSemaphore == NULL &&
        NT_SUCCESS(NtCreateEvent(&ev, EVENT_ALL_ACCESS, NULL, SynchronizationEvent, FALSE)))
        cs->LockSemaphore = ev;
}

void sdk_lock_init(LPCRITICAL_SECTION cs)
{
    InitializeCriticalSection(cs);
    sdk_lock_prepare(cs);
}

DWORD WINAPI SetCriticalSectionSpinCount(LPCRITICAL_SECTION lpCriticalSection, DWORD dwSpinCount)
{
    DWORD previous = lpCriticalSection->SpinCount;
    (void)dwSpinCount;
    return previous;
}

/* The section's event, made by whichever thread needs it first (a waiter
 * or a releaser, whoever comes first; the other's event is closed). */
static HANDLE lock_event(LPCRITICAL_SECTION cs)
{
    HANDLE ev = cs->LockSemaphore;
    if (ev != NULL)
        return ev;
    NTSTATUS st = NtCreateEvent(&ev, EVENT_ALL_ACCESS, NULL, SynchronizationEvent, FALSE);
    if (!NT_SUCCESS(st))
        RaiseException((DWORD)STATUS_INSUFFICIENT_RESOURCES, EXCEPTION_NONCONTINUABLE, 0, NULL);
    HANDLE was = InterlockedCompareExchangePointer(&cs->LockSemaphore, ev, NULL);
    if (was != NULL) {
        NtClose(ev);
        ev = was;
    }
    return ev;
}

/* Contended (critsec_fast.asm): the caller is counted in LockCount
 * already; it owns the section when the event lets it through. */
void sdk_cs_wait(LPCRITICAL_SECTION cs, HANDLE me)
{
    NTSTATUS st = NtWaitForSingleObject(lock_event(cs), FALSE, NULL);
    if (st != STATUS_WAIT_0)
        RaiseException((DWORD)st, EXCEPTION_NONCONTINUABLE, 0, NULL);
    cs->OwningThread = me;
    cs->RecursionCount = 1;
}

/* A leave found a waiter (critsec_fast.asm): hand it the section. */
void sdk_cs_wake(LPCRITICAL_SECTION cs)
{
    NtSetEvent(lock_event(cs), NULL);
}

BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection)
{
    HANDLE me = current_thread_id();
    LONG free_value = -1;

    if (__atomic_compare_exchange_n(&lpCriticalSection->LockCount, &free_value, 0, 0, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED)) {
        lpCriticalSection->OwningThread = me;
        lpCriticalSection->RecursionCount = 1;
        return TRUE;
    }
    if (lpCriticalSection->OwningThread == me) {
        __atomic_add_fetch(&lpCriticalSection->LockCount, 1, __ATOMIC_RELAXED);
        lpCriticalSection->RecursionCount++;
        return TRUE;
    }
    return FALSE;
}

void WINAPI DeleteCriticalSection(LPCRITICAL_SECTION lpCriticalSection)
{
    if (lpCriticalSection->LockSemaphore != NULL)
        NtClose(lpCriticalSection->LockSemaphore);
    lpCriticalSection->LockSemaphore = NULL;
    lpCriticalSection->DebugInfo = NULL;
    lpCriticalSection->LockCount = -1;
    lpCriticalSection->RecursionCount = 0;
    lpCriticalSection->OwningThread = NULL;
}
