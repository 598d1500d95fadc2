/* Random calls to the thread and object services (ntsvc.h table 2) with
 * bad and good arguments mixed: handles of every type, closed ones, junk
 * values and the pseudo handles; pointers into kernel space, unmapped
 * memory, read-only pages, or good buffers; counts, flags, classes and
 * stack sizes at random.  The kernel must answer each with a status from
 * the documented set and never fall over, and the process must still
 * work afterwards (issue 13, point 7).  Threads the calls started may
 * outlive their handles (suspended ones whose handle a random NtClose
 * took, say, as on Windows), so the exact accounting is the kernel's
 * leak check after the program, which ends every thread.
 *
 * What is kept out, because it would stop this program rather than test
 * the kernel: waits without a timeout (a NULL timeout waits for ever),
 * suspending or ending this thread, closing the fixture's own handles,
 * and a thread start routine that is not the SDK's. */
#include "uthreads.h"
#include <stdio.h>

#define CALLS 20000
#define POOL 12
#define MADE_MAX 64

static uint32_t rng = 0x13131313;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static uint32_t pick(uint32_t n)
{
    return rnd() % n;
}

/* The fixture: objects of every type, threads that only sleep, a read-only page. */
static HANDLE pool[POOL];
static HANDLE quit;
static uint8_t *ro_page;
static uint32_t buffer[64];             /* a good place for outputs */
static LARGE_INTEGER zero_timeout, short_timeout;

static DWORD WINAPI sleeper(LPVOID arg)
{
    (void)arg;
    return WaitForSingleObject(quit, INFINITE);
}

/* Threads the calls start either sleep or fault at once; faulting ones end here. */
static LONG CALLBACK end_faulting_thread(PEXCEPTION_POINTERS ep)
{
    (void)ep;
    if (GetCurrentThreadId() == (DWORD)(uintptr_t)TlsGetValue(1))
        return EXCEPTION_CONTINUE_SEARCH;       /* the main thread: not expected */
    ExitThread(0xF0F0);
}

static uint32_t bad_pointer(void)
{
    static const uint32_t bad[] = { 0, 0x10, 0xFFFF, 0x7FFF0000, 0x7FFFFFFC, 0x80000000, 0xC0000000, 0xFFFFFFF8 };
    return bad[pick(ARRAY_SIZE(bad))];
}

/* Values that are never an open handle here (0x10 would be: the fixture's). */
static uint32_t junk_handle(void)
{
    static const uint32_t junk[] = { 0, 3, 0xFFFF, 0x7FFFFFFC, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFD };
    return junk[pick(ARRAY_SIZE(junk))];
}

static uint32_t out_pointer(void)
{
    switch (pick(5)) {
    case 0: return bad_pointer();
    case 1: return U32(ro_page) + pick(PAGE / 4) * 4;
    default: return U32(&buffer[pick(32)]);
    }
}

static uint32_t any_handle(void)
{
    switch (pick(8)) {
    case 0: return 0;
    case 1: return 0xFFFFFFFF;              /* NtCurrentProcess() */
    case 2: return 4 * (1 + pick(300));     /* maybe open, maybe not */
    case 3: return rnd();
    default: return U32(pool[pick(POOL)]);
    }
}

/* For suspend and terminate: the fixture's objects or junk, never this
 * thread, nor a thread the calls made (one that faulted may hold the
 * vectored-handler lock, which a terminated owner would never release:
 * TerminateThread's documented hazard). */
static uint32_t other_thread_handle(void)
{
    switch (pick(4)) {
    case 0: return junk_handle();
    case 1: return 0x10000 + rnd() % 0x100000;
    default: return U32(pool[pick(POOL - 1)]);
    }
}

static uint32_t timeout_pointer(void)
{
    switch (pick(10)) {
    case 0: return bad_pointer() | 0x10;    /* never NULL: that is no timeout */
    case 1: return U32(&short_timeout);
    default: return U32(&zero_timeout);
    }
}

/* Handles the calls created (read back from the output buffer). */
static HANDLE made[MADE_MAX];
static int made_count;

static void keep_made(uint32_t out, NTSTATUS st)
{
    if (st != STATUS_SUCCESS || out < U32(buffer) || out >= U32(buffer) + sizeof(buffer))
        return;
    HANDLE h = *(HANDLE *)(uintptr_t)out;
    if (made_count < MADE_MAX)
        made[made_count++] = h;
    else
        CloseHandle(h);
}

static bool known_status(NTSTATUS st)
{
    static const NTSTATUS known[] = {
        STATUS_SUCCESS, STATUS_TIMEOUT, STATUS_ABANDONED_WAIT_0, STATUS_NO_YIELD_PERFORMED,
        STATUS_ACCESS_VIOLATION, STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_INVALID_PARAMETER,
        STATUS_INVALID_PARAMETER_1, STATUS_INVALID_PARAMETER_3, STATUS_INVALID_PARAMETER_4,
        STATUS_INVALID_PARAMETER_7, STATUS_INVALID_PARAMETER_MIX, STATUS_INVALID_INFO_CLASS,
        STATUS_INFO_LENGTH_MISMATCH, STATUS_MUTANT_NOT_OWNED, STATUS_SEMAPHORE_LIMIT_EXCEEDED,
        STATUS_SUSPEND_COUNT_EXCEEDED, STATUS_THREAD_IS_TERMINATING, STATUS_NO_MEMORY,
        STATUS_INSUFFICIENT_RESOURCES, STATUS_MUTANT_LIMIT_EXCEEDED, STATUS_GUARD_PAGE_VIOLATION,
        /* issue 15: processes */
        STATUS_ACCESS_DENIED, STATUS_PARTIAL_COPY, STATUS_INVALID_CID, STATUS_OBJECT_NAME_INVALID,
        STATUS_OBJECT_NAME_NOT_FOUND, STATUS_NAME_TOO_LONG, STATUS_PROCESS_IS_TERMINATING,
    };
    if ((uint32_t)st < MAXIMUM_WAIT_OBJECTS ||
        ((uint32_t)st >= STATUS_ABANDONED_WAIT_0 && (uint32_t)st < STATUS_ABANDONED_WAIT_0 + MAXIMUM_WAIT_OBJECTS))
        return true;
    for (unsigned i = 0; i < ARRAY_SIZE(known); i++)
        if (st == known[i])
            return true;
    return false;
}

static uint32_t unknown, calls, succeeded;

static NTSTATUS one_call(void)
{
    uint32_t a[11], handles[70];
    uint32_t n = SVC_TABLE2 + pick(SVC_TABLE2_END - SVC_TABLE2);
    NTSTATUS st;

    for (int i = 0; i < 11; i++)
        a[i] = pick(4) == 0 ? rnd() : pick(3);
    switch (n) {
    case SVC_NtClose:
        a[0] = pick(2) ? junk_handle() : 0x10000 + 4 * pick(64);  /* never the fixture's */
        if (made_count > 0 && pick(2)) {
            a[0] = U32(made[--made_count]);
        }
        break;
    case SVC_NtDuplicateObject:
        a[0] = pick(6) ? 0xFFFFFFFF : any_handle();
        a[1] = any_handle();
        a[2] = pick(6) ? 0xFFFFFFFF : any_handle();
        a[3] = out_pointer();
        a[6] &= 3 * (pick(3) == 0);             /* DUPLICATE_CLOSE_SOURCE sometimes... */
        if ((a[6] & 1) && (a[1] < 0x10000 || pick(2)))
            a[6] &= ~1u;                        /* ... never of the fixture's handles */
        break;
    case SVC_NtWaitForSingleObject:
        a[0] = any_handle();
        a[2] = timeout_pointer();
        break;
    case SVC_NtWaitForMultipleObjects:
        a[0] = pick(70);
        for (uint32_t i = 0; i < 70; i++)
            handles[i] = any_handle();
        a[1] = pick(8) == 0 ? bad_pointer() : U32(handles);
        a[2] = pick(5) == 0 ? rnd() : pick(2);
        a[4] = timeout_pointer();
        break;
    case SVC_NtDelayExecution:
        a[1] = timeout_pointer();
        break;
    case SVC_NtCreateEvent:
    case SVC_NtCreateMutant:
    case SVC_NtCreateSemaphore:
        a[0] = out_pointer();
        a[2] = pick(6) == 0 ? rnd() : 0;
        break;
    case SVC_NtSetEvent:
    case SVC_NtResetEvent:
    case SVC_NtPulseEvent:
    case SVC_NtReleaseMutant:
        a[0] = any_handle();
        a[1] = pick(2) ? 0 : out_pointer();
        break;
    case SVC_NtReleaseSemaphore:
        a[0] = any_handle();
        a[2] = pick(2) ? 0 : out_pointer();
        break;
    case SVC_NtCreateThreadEx: {
        static const uint32_t starts[] = { 0, 0x80100000, 0x7FFF0000, 0x00010000 };
        a[0] = out_pointer();
        a[2] = pick(6) == 0 ? rnd() : 0;
        a[3] = pick(6) ? 0xFFFFFFFF : any_handle();
        a[4] = pick(2) ? U32(sleeper) : starts[pick(ARRAY_SIZE(starts))];
        a[6] = pick(6) == 0 ? rnd() : pick(2);
        a[7] = pick(8) == 0 ? rnd() : 0;
        a[8] = pick(3) == 0 ? rnd() : pick(0x20000);
        a[9] = pick(3) == 0 ? rnd() : pick(0x100000);
        a[10] = pick(3) ? 0 : out_pointer();
        break;
    }
    case SVC_NtTerminateThread:
        a[0] = other_thread_handle();
        break;
    case SVC_NtSuspendThread:
    case SVC_NtResumeThread:
        a[0] = other_thread_handle();
        a[1] = pick(2) ? 0 : out_pointer();
        break;
    case SVC_NtQueryInformationThread:
    case SVC_NtQueryInformationProcess:
        a[0] = any_handle();
        a[1] = pick(4) == 0 ? rnd() : pick(21);
        a[2] = out_pointer();
        a[3] = pick(3) == 0 ? rnd() & 0xFF : pick(2) ? 4 : 24;
        a[4] = pick(2) ? 0 : out_pointer();
        break;
    case SVC_NtSetInformationThread:
        a[0] = any_handle();
        a[1] = pick(3) ? 10 : rnd() & 0x1F;     /* ThreadZeroTlsCell, mostly */
        buffer[40] = pick(3) == 0 ? rnd() : pick(70);
        if (buffer[40] == 1)
            buffer[40] = 2;                     /* TLS slot 1 holds the main thread's id */
        a[2] = pick(5) == 0 ? bad_pointer() : U32(&buffer[40]);
        a[3] = pick(5) == 0 ? rnd() & 0xFF : 4;
        break;
    case SVC_NtSetThreadStartRoutine:
        a[0] = 0x80000000u | rnd();             /* must be refused */
        break;
    /* Issue 15.  Never a program that exists (no prefix of the name is
     * one), and memory is written only in the scratch buffer. */
    case SVC_NtCreateUserProcess:
        a[0] = out_pointer();
        a[1] = out_pointer();
        a[2] = pick(3) == 0 ? bad_pointer() : U32("no_such_program");
        a[3] = pick(4) == 0 ? rnd() : pick(20);
        a[4] = pick(3) == 0 ? bad_pointer() : U32(buffer);
        a[5] = pick(4) == 0 ? rnd() : pick(sizeof(buffer));
        a[6] = pick(4) == 0 ? rnd() : pick(2);
        a[7] = pick(2) ? 0 : out_pointer();
        break;
    case SVC_NtOpenProcess:
        a[0] = out_pointer();
        a[1] = pick(3) == 0 ? rnd() : 0x00100000u;      /* SYNCHRONIZE: no harm done with it */
        a[2] = pick(6) == 0 ? rnd() : 0;
        buffer[41] = pick(3) == 0 ? rnd() : pick(300);
        a[3] = pick(5) == 0 ? bad_pointer() : U32(&buffer[41]);
        break;
    case SVC_NtReadVirtualMemory:
    case SVC_NtWriteVirtualMemory: {
        bool bad = pick(5) == 0;
        uint32_t scratch = bad ? bad_pointer() : U32(&buffer[48]) + pick(16);
        uint32_t other = pick(3) == 0 ? rnd() : U32(buffer) + pick(128);
        a[0] = pick(3) ? 0xFFFFFFFF : any_handle();
        a[1] = n == SVC_NtWriteVirtualMemory ? scratch : other;    /* where it writes: scratch */
        a[2] = n == SVC_NtWriteVirtualMemory ? other : scratch;
        a[3] = bad && pick(2) ? rnd() : pick(48);  /* never more than the scratch holds */
        a[4] = pick(2) ? 0 : out_pointer();
        break;
    }
    default:
        break;
    }
    st = raw_syscall(n, a);
    if (n == SVC_NtGetTickCount)
        return STATUS_SUCCESS;                  /* a tick count, not a status */
    calls++;
    if (n == SVC_NtCreateEvent || n == SVC_NtCreateMutant || n == SVC_NtCreateSemaphore ||
        n == SVC_NtCreateThreadEx || n == SVC_NtDuplicateObject || n == SVC_NtOpenProcess)
        keep_made(n == SVC_NtDuplicateObject ? a[3] : a[0], st);
    succeeded += st == STATUS_SUCCESS;
    if (n == SVC_NtSetThreadStartRoutine && st == STATUS_SUCCESS)
        unknown++;                              /* a kernel address was taken */
    if (!known_status(st)) {
        if (unknown++ < 8)
            utest_log("service %04lx args %08lx %08lx %08lx %08lx -> %08lx", (unsigned long)n,
                      (unsigned long)a[0], (unsigned long)a[1], (unsigned long)a[2], (unsigned long)a[3],
                      (unsigned long)st);
    }
    return st;
}

static void fixture_make(void)
{
    quit = CreateEvent(NULL, TRUE, FALSE, NULL);
    pool[0] = CreateEvent(NULL, TRUE, FALSE, NULL);
    pool[1] = CreateEvent(NULL, FALSE, TRUE, NULL);
    pool[2] = CreateMutex(NULL, FALSE, NULL);
    pool[3] = CreateMutex(NULL, TRUE, NULL);
    pool[4] = CreateSemaphore(NULL, 2, 5, NULL);
    pool[5] = CreateSemaphore(NULL, 0, 1, NULL);
    pool[6] = start_thread(sleeper, NULL);
    pool[7] = start_thread(sleeper, NULL);
    pool[8] = CreateThread(NULL, 0, sleeper, NULL, CREATE_SUSPENDED, NULL);
    DuplicateHandle(GetCurrentProcess(), GetCurrentProcess(), GetCurrentProcess(), &pool[9], 0, FALSE,
                    DUPLICATE_SAME_ACCESS);
    pool[10] = CreateEvent(NULL, FALSE, FALSE, NULL);
    pool[11] = (HANDLE)(uintptr_t)0xFFFFFFFE;   /* this thread: only where that is safe */
    ro_page = VirtualAlloc(NULL, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READONLY);
    short_timeout.QuadPart = -10000;           /* 1 ms */
    zero_timeout.QuadPart = 0;
}

static void fixture_free(void)
{
    SetEvent(quit);
    for (int i = 6; i <= 8; i++) {
        for (int k = 0; k < MAXIMUM_SUSPEND_COUNT && ResumeThread(pool[i]) > 1; k++)
            ;
        ResumeThread(pool[i]);
        WaitForSingleObject(pool[i], JOIN_MS);
    }
    while (made_count > 0) {
        HANDLE h = made[--made_count];
        THREAD_BASIC_INFORMATION info;
        if (NT_SUCCESS(NtQueryInformationThread(h, ThreadBasicInformation, &info, sizeof(info), NULL)) &&
            (DWORD)info.ClientId.UniqueThread != GetCurrentThreadId()) {
            while (ResumeThread(h) > 1)
                ;
            if (WaitForSingleObject(h, 10) == WAIT_TIMEOUT)
                TerminateThread(h, 0);
            WaitForSingleObject(h, JOIN_MS);
        }
        CloseHandle(h);
    }
    while (ReleaseMutex(pool[3]))
        ;
    for (int i = 0; i < POOL - 1; i++)
        CloseHandle(pool[i]);
    CloseHandle(quit);
    VirtualFree(ro_page, 0, MEM_RELEASE);
}

static DWORD WINAPI add_one(LPVOID arg)
{
    return (DWORD)(uintptr_t)arg + 1;
}

static void fuzz_object_services(struct utest *t)
{
    TlsSetValue(1, (LPVOID)(uintptr_t)GetCurrentThreadId());
    PVOID veh = AddVectoredExceptionHandler(1, end_faulting_thread);
    fixture_make();
    for (int i = 0; i < CALLS; i++)
        one_call();
    fixture_free();
    RemoveVectoredExceptionHandler(veh);
    Sleep(20);                                  /* threads ending now are reaped at the next call */
    utest_log("%lu calls to the table-2 services, %lu succeeded; %llu handles left open",
              (unsigned long)calls, (unsigned long)succeeded, counter_handles());
    EXPECT_EQ(t, unknown, 0);
    /* Still a working process: a thread, a wait, an event. */
    HANDLE e = CreateEvent(NULL, FALSE, TRUE, NULL);
    EXPECT_EQ(t, WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    EXPECT_TRUE(t, CloseHandle(e));
    EXPECT_EQ(t, join_thread(CreateThread(NULL, 0, add_one, (LPVOID)41, 0, NULL)), 42);
}

static const struct utest_case cases[] = {
    UTEST_CASE(fuzz_object_services),
    UTEST_END,
};
static const struct utest_suite suite = { .name = "ufuzz_objects", .cases = cases };
static const struct utest_suite *const suites[] = { &suite, NULL };

int main(void)
{
    if (TlsAlloc() != 1)
        return 2;
    return utest_main(suites);
}
