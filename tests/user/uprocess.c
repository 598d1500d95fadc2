/* Issue 15, point 3: processes created by processes, process handles
 * with access rights, and the *Ex memory calls.  The child is
 * tests/user/uproc_child.c (its command line says what it does).
 *
 * Every case waits for the children it made and closes every handle; the
 * framework's counters (allocations, commit charge, handles) are checked
 * after each case, so a child's death that left anything behind in the
 * kernel or the parent fails the case, and the kernel's leak check after
 * the program covers the whole run. */
#include "utest.h"
#include "uspace.h"
#include <windows.h>
#include <psapi.h>
#include <ntdll.h>
#include <winternl.h>
#include <string.h>

#define CHILD "uproc_child"
#define FIXED 0x31000000u               /* an address the tests allocate in a child */

/* The runner tears a child down once its last thread has ended; it runs
 * when this process blocks.  A short sleep lets it, so counters compared
 * after a case see the child gone. */
static void settle(void)
{
    Sleep(20);
}

static bool spawn(const char *cmdline, DWORD flags, PROCESS_INFORMATION *pi)
{
    char cmd[256];
    STARTUPINFOA si = { .cb = sizeof(si) };
    strcpy(cmd, cmdline);
    return CreateProcessA(NULL, cmd, NULL, NULL, FALSE, flags, NULL, NULL, &si, pi);
}

/* Waits for the child, returns its exit code, closes both handles. */
static DWORD finish(struct utest *t, PROCESS_INFORMATION *pi)
{
    DWORD code = 0xDEAD;
    EXPECT_EQ(t, WaitForSingleObject(pi->hProcess, INFINITE), WAIT_OBJECT_0);
    EXPECT_TRUE(t, GetExitCodeProcess(pi->hProcess, &code));
    EXPECT_TRUE(t, CloseHandle(pi->hThread));
    EXPECT_TRUE(t, CloseHandle(pi->hProcess));
    settle();
    return code;
}

/* Ends a "wait" child. */
static void kill_child(struct utest *t, PROCESS_INFORMATION *pi)
{
    EXPECT_TRUE(t, TerminateProcess(pi->hProcess, 99));
    EXPECT_EQ(t, finish(t, pi), 99);
}

static unsigned byte_sum(const char *s)
{
    unsigned sum = 0;
    for (; *s != '\0'; s++)
        sum += (unsigned char)*s;
    return sum;
}

/* ---- life cycle ------------------------------------------------------------------ */

static void create_wait_exit_code(struct utest *t)
{
    PROCESS_INFORMATION pi;
    ASSERT_TRUE(t, spawn(CHILD " exit 42", 0, &pi));
    EXPECT_NE(t, pi.dwProcessId, GetCurrentProcessId());
    EXPECT_NE(t, pi.dwProcessId, 0);
    EXPECT_EQ(t, GetProcessId(pi.hProcess), pi.dwProcessId);
    EXPECT_EQ(t, finish(t, &pi), 42);
}

static void command_line_passed(struct utest *t)
{
    PROCESS_INFORMATION pi;
    const char *line = CHILD " sum with  two spaces and \"quotes\"";
    ASSERT_TRUE(t, spawn(line, 0, &pi));
    EXPECT_EQ(t, finish(t, &pi), byte_sum(line));

    /* lpApplicationName names the program; the command line is passed as
     * given (its first token is not the program). */
    STARTUPINFOA si = { .cb = sizeof(si) };
    char cmd[] = "anything sum";
    ASSERT_TRUE(t, CreateProcessA("C:\\tests\\" CHILD ".exe", cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi));
    EXPECT_EQ(t, finish(t, &pi), byte_sum("anything sum"));

    /* Our own command line is our name, as the runner started us. */
    EXPECT_STREQ(t, GetCommandLineA(), "uprocess");
}

static void still_active_then_terminated(struct utest *t)
{
    PROCESS_INFORMATION pi;
    DWORD code = 0;
    ASSERT_TRUE(t, spawn(CHILD " wait", 0, &pi));
    EXPECT_TRUE(t, GetExitCodeProcess(pi.hProcess, &code));
    EXPECT_EQ(t, code, STILL_ACTIVE);
    EXPECT_EQ(t, WaitForSingleObject(pi.hProcess, 30), WAIT_TIMEOUT);
    EXPECT_TRUE(t, TerminateProcess(pi.hProcess, 77));
    EXPECT_EQ(t, WaitForSingleObject(pi.hProcess, INFINITE), WAIT_OBJECT_0);
    /* Ended: a second TerminateProcess is refused, as on Windows. */
    SetLastError(0);
    EXPECT_FALSE(t, TerminateProcess(pi.hProcess, 78));
    EXPECT_EQ(t, GetLastError(), ERROR_ACCESS_DENIED);
    EXPECT_EQ(t, finish(t, &pi), 77);
}

static void child_crash_leaves_parent_intact(struct utest *t)
{
    PROCESS_INFORMATION pi;
    ASSERT_TRUE(t, spawn(CHILD " crash", 0, &pi));
    EXPECT_EQ(t, finish(t, &pi), (DWORD)EXCEPTION_ACCESS_VIOLATION);
    /* and again, to see nothing was left half-done */
    ASSERT_TRUE(t, spawn(CHILD " crash", 0, &pi));
    EXPECT_EQ(t, finish(t, &pi), (DWORD)EXCEPTION_ACCESS_VIOLATION);
}

static void suspended_until_resumed(struct utest *t)
{
    PROCESS_INFORMATION pi;
    ASSERT_TRUE(t, spawn(CHILD " exit 5", CREATE_SUSPENDED, &pi));
    EXPECT_EQ(t, WaitForSingleObject(pi.hProcess, 30), WAIT_TIMEOUT);
    EXPECT_EQ(t, ResumeThread(pi.hThread), 1);
    EXPECT_EQ(t, finish(t, &pi), 5);
}

static void grandchild(struct utest *t)
{
    PROCESS_INFORMATION pi;
    ASSERT_TRUE(t, spawn(CHILD " spawn", 0, &pi));
    EXPECT_EQ(t, finish(t, &pi), 8);
}

static void several_at_once(struct utest *t)
{
    PROCESS_INFORMATION pi[4];
    HANDLE hs[4];
    for (int i = 0; i < 4; i++) {
        char cmd[32] = CHILD " exit 1";
        cmd[sizeof(CHILD " exit ") - 1] = (char)('1' + i);
        ASSERT_TRUE(t, spawn(cmd, 0, &pi[i]));
        hs[i] = pi[i].hProcess;
    }
    EXPECT_EQ(t, WaitForMultipleObjects(4, hs, TRUE, INFINITE), WAIT_OBJECT_0);
    for (int i = 0; i < 4; i++)
        EXPECT_EQ(t, finish(t, &pi[i]), (DWORD)(1 + i));
}

/* ---- handles and access ------------------------------------------------------------ */

static void open_process_access_rights(struct utest *t)
{
    PROCESS_INFORMATION pi;
    DWORD code;
    SIZE_T n = 1;
    char buf[16];
    ASSERT_TRUE(t, spawn(CHILD " wait", 0, &pi));

    HANDLE sync = OpenProcess(SYNCHRONIZE, FALSE, pi.dwProcessId);
    ASSERT_PTR_NE(t, sync, NULL);
    SetLastError(0);
    EXPECT_PTR_EQ(t, VirtualAllocEx(sync, NULL, 4096, MEM_COMMIT, PAGE_READWRITE), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_ACCESS_DENIED);
    EXPECT_FALSE(t, ReadProcessMemory(sync, (LPCVOID)0x10000, buf, sizeof(buf), &n));
    EXPECT_EQ(t, GetLastError(), ERROR_ACCESS_DENIED);
    EXPECT_EQ(t, n, 0);
    EXPECT_FALSE(t, WriteProcessMemory(sync, (LPVOID)0x10000, buf, sizeof(buf), NULL));
    EXPECT_EQ(t, GetLastError(), ERROR_ACCESS_DENIED);
    EXPECT_FALSE(t, TerminateProcess(sync, 1));
    EXPECT_EQ(t, GetLastError(), ERROR_ACCESS_DENIED);
    EXPECT_FALSE(t, GetExitCodeProcess(sync, &code));
    EXPECT_EQ(t, GetLastError(), ERROR_ACCESS_DENIED);
    MEMORY_BASIC_INFORMATION m;
    EXPECT_EQ(t, VirtualQueryEx(sync, (LPCVOID)0x10000, &m, sizeof(m)), 0);
    EXPECT_EQ(t, GetLastError(), ERROR_ACCESS_DENIED);

    /* Read access does not give write access; a handle without SYNCHRONIZE
     * cannot be waited on. */
    HANDLE reader = OpenProcess(PROCESS_VM_READ | PROCESS_QUERY_INFORMATION, FALSE, pi.dwProcessId);
    ASSERT_PTR_NE(t, reader, NULL);
    EXPECT_FALSE(t, WriteProcessMemory(reader, (LPVOID)0x10000, buf, sizeof(buf), NULL));
    EXPECT_EQ(t, GetLastError(), ERROR_ACCESS_DENIED);
    EXPECT_TRUE(t, GetExitCodeProcess(reader, &code));     /* QUERY brings QUERY_LIMITED */
    EXPECT_EQ(t, code, STILL_ACTIVE);
    EXPECT_EQ(t, WaitForSingleObject(reader, 0), WAIT_FAILED);
    EXPECT_EQ(t, GetLastError(), ERROR_ACCESS_DENIED);
    /* A duplicate never has more rights than its source. */
    HANDLE dup = NULL;
    EXPECT_TRUE(t, DuplicateHandle(GetCurrentProcess(), reader, GetCurrentProcess(), &dup, PROCESS_ALL_ACCESS,
                                   FALSE, 0));
    EXPECT_FALSE(t, TerminateProcess(dup, 1));
    EXPECT_EQ(t, GetLastError(), ERROR_ACCESS_DENIED);
    EXPECT_TRUE(t, CloseHandle(dup));

    HANDLE killer = OpenProcess(PROCESS_TERMINATE, FALSE, pi.dwProcessId);
    ASSERT_PTR_NE(t, killer, NULL);
    EXPECT_TRUE(t, TerminateProcess(killer, 99));
    EXPECT_EQ(t, WaitForSingleObject(sync, INFINITE), WAIT_OBJECT_0);
    EXPECT_TRUE(t, CloseHandle(killer));
    EXPECT_TRUE(t, CloseHandle(reader));
    EXPECT_TRUE(t, CloseHandle(sync));
    EXPECT_EQ(t, finish(t, &pi), 99);
}

static void open_process_errors(struct utest *t)
{
    SetLastError(0);
    EXPECT_PTR_EQ(t, OpenProcess(PROCESS_ALL_ACCESS, FALSE, 0), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT_PTR_EQ(t, OpenProcess(PROCESS_ALL_ACCESS, FALSE, 0x7FFFFFF0), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT_PTR_EQ(t, OpenProcess(ACCESS_SYSTEM_SECURITY, FALSE, GetCurrentProcessId()), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_ACCESS_DENIED);
    /* Our own id: a real handle to ourselves, usable like the pseudo handle. */
    HANDLE self = OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, GetCurrentProcessId());
    ASSERT_PTR_NE(t, self, NULL);
    EXPECT_EQ(t, GetProcessId(self), GetCurrentProcessId());
    EXPECT_TRUE(t, CloseHandle(self));
    /* An ended process is not found by id any more. */
    PROCESS_INFORMATION pi;
    ASSERT_TRUE(t, spawn(CHILD " exit 3", 0, &pi));
    DWORD pid = pi.dwProcessId;
    EXPECT_EQ(t, finish(t, &pi), 3);
    EXPECT_PTR_EQ(t, OpenProcess(SYNCHRONIZE, FALSE, pid), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
}

static void create_process_errors(struct utest *t)
{
    PROCESS_INFORMATION pi;
    STARTUPINFOA si = { .cb = sizeof(si) };
    char cmd[64];

    SetLastError(0);
    strcpy(cmd, "no_such_program arg");
    EXPECT_FALSE(t, CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi));
    EXPECT_EQ(t, GetLastError(), ERROR_FILE_NOT_FOUND);
    EXPECT_FALSE(t, CreateProcessA(NULL, NULL, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi));
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    strcpy(cmd, CHILD " exit 1");
    EXPECT_FALSE(t, CreateProcessA(NULL, cmd, NULL, NULL, FALSE, DEBUG_PROCESS, NULL, NULL, &si, &pi));
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT_FALSE(t, CreateProcessA(NULL, cmd, NULL, NULL, FALSE, DETACHED_PROCESS | CREATE_NEW_CONSOLE, NULL,
                                   NULL, &si, &pi));
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT_FALSE(t, CreateProcessA(NULL, cmd, NULL, NULL, FALSE, HIGH_PRIORITY_CLASS | IDLE_PRIORITY_CLASS,
                                   NULL, NULL, &si, &pi));
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    /* A PROCESS_INFORMATION the kernel cannot write: nothing is created. */
    EXPECT_FALSE(t, CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si,
                                   (LPPROCESS_INFORMATION)0x80001000));
    EXPECT_EQ(t, GetLastError(), ERROR_NOACCESS);
    EXPECT_FALSE(t, CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, NULL));
    EXPECT_EQ(t, GetLastError(), ERROR_NOACCESS);
    /* A command line longer than 32767 characters. */
    char *big = VirtualAlloc(NULL, 40000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ASSERT_PTR_NE(t, big, NULL);
    memset(big, 'x', 39999);
    big[39999] = '\0';
    memcpy(big, CHILD " ", sizeof(CHILD));
    EXPECT_FALSE(t, CreateProcessA(NULL, big, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi));
    EXPECT_EQ(t, GetLastError(), ERROR_FILENAME_EXCED_RANGE);
    EXPECT_TRUE(t, VirtualFree(big, 0, MEM_RELEASE));
}

/* ---- the *Ex calls ------------------------------------------------------------------- */

static void ex_calls_on_a_child(struct utest *t)
{
    PROCESS_INFORMATION pi;
    MEMORY_BASIC_INFORMATION m;
    static uint32_t out[2048], in[2048];
    SIZE_T n = 0;
    DWORD old = 0;
    ASSERT_TRUE(t, spawn(CHILD " wait", 0, &pi));

    uint32_t p = U32(VirtualAllocEx(pi.hProcess, VA(FIXED), 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));
    ASSERT_EQ(t, p, FIXED);
    EXPECT_EQ(t, VirtualQueryEx(pi.hProcess, VA(p), &m, sizeof(m)), sizeof(m));
    EXPECT_EQ(t, m.State, MEM_COMMIT);
    EXPECT_EQ(t, m.RegionSize, 0x10000);
    EXPECT_EQ(t, m.Protect, PAGE_READWRITE);
    /* Isolation: the child's region is not ours. */
    EXPECT_EQ(t, VirtualQuery(VA(p), &m, sizeof(m)), sizeof(m));
    EXPECT_EQ(t, m.State, MEM_FREE);

    for (uint32_t i = 0; i < 2048; i++)
        out[i] = 0xC0DE0000u ^ i;
    EXPECT_TRUE(t, WriteProcessMemory(pi.hProcess, VA(p + 100), out, sizeof(out), &n));
    EXPECT_EQ(t, n, sizeof(out));
    EXPECT_TRUE(t, ReadProcessMemory(pi.hProcess, VA(p + 100), in, sizeof(in), &n));
    EXPECT_EQ(t, n, sizeof(in));
    EXPECT_EQ(t, memcmp(in, out, sizeof(in)), 0);

    /* Read-only now: writes stop at once, reads go on. */
    EXPECT_TRUE(t, VirtualProtectEx(pi.hProcess, VA(p), 0x10000, PAGE_READONLY, &old));
    EXPECT_EQ(t, old, PAGE_READWRITE);
    SetLastError(0);
    EXPECT_FALSE(t, WriteProcessMemory(pi.hProcess, VA(p), out, 64, &n));
    EXPECT_EQ(t, GetLastError(), ERROR_PARTIAL_COPY);
    EXPECT_EQ(t, n, 0);
    EXPECT_TRUE(t, ReadProcessMemory(pi.hProcess, VA(p + 100), in, 64, &n));
    EXPECT_EQ(t, in[0], out[0]);

    EXPECT_TRUE(t, VirtualFreeEx(pi.hProcess, VA(p), 0, MEM_RELEASE));
    EXPECT_EQ(t, VirtualQueryEx(pi.hProcess, VA(p), &m, sizeof(m)), sizeof(m));
    EXPECT_EQ(t, m.State, MEM_FREE);
    EXPECT_FALSE(t, ReadProcessMemory(pi.hProcess, VA(p), in, 64, &n));
    EXPECT_EQ(t, GetLastError(), ERROR_PARTIAL_COPY);
    EXPECT_EQ(t, n, 0);

    /* Memory left in the child goes with it. */
    EXPECT_PTR_NE(t, VirtualAllocEx(pi.hProcess, NULL, 0x40000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), NULL);
    kill_child(t, &pi);
}

static void partial_copies_report_the_bytes_copied(struct utest *t)
{
    PROCESS_INFORMATION pi;
    char buf[300];
    SIZE_T n = 0;
    ASSERT_TRUE(t, spawn(CHILD " wait", 0, &pi));
    /* Two pages reserved, the first committed. */
    ASSERT_EQ(t, U32(VirtualAllocEx(pi.hProcess, VA(FIXED), 0x2000, MEM_RESERVE, PAGE_READWRITE)), FIXED);
    ASSERT_EQ(t, U32(VirtualAllocEx(pi.hProcess, VA(FIXED), 0x1000, MEM_COMMIT, PAGE_READWRITE)), FIXED);
    memset(buf, 0x5A, sizeof(buf));
    SetLastError(0);
    EXPECT_FALSE(t, WriteProcessMemory(pi.hProcess, VA(FIXED + 0x1000 - 100), buf, sizeof(buf), &n));
    EXPECT_EQ(t, GetLastError(), ERROR_PARTIAL_COPY);
    EXPECT_EQ(t, n, 100);
    memset(buf, 0, sizeof(buf));
    EXPECT_FALSE(t, ReadProcessMemory(pi.hProcess, VA(FIXED + 0x1000 - 100), buf, sizeof(buf), &n));
    EXPECT_EQ(t, GetLastError(), ERROR_PARTIAL_COPY);
    EXPECT_EQ(t, n, 100);
    EXPECT_EQ(t, (unsigned char)buf[0], 0x5A);
    EXPECT_EQ(t, (unsigned char)buf[99], 0x5A);
    /* Our own buffer bad partway: the same report (NT's MmCopyVirtualMemory). */
    uint32_t own = U32(VirtualAlloc(NULL, 0x2000, MEM_RESERVE, PAGE_READWRITE));
    ASSERT_NE(t, own, 0);
    ASSERT_NE(t, U32(VirtualAlloc(VA(own), 0x1000, MEM_COMMIT, PAGE_READWRITE)), 0);
    EXPECT_FALSE(t, ReadProcessMemory(pi.hProcess, VA(FIXED), VA(own + 0x1000 - 40), 100, &n));
    EXPECT_EQ(t, GetLastError(), ERROR_PARTIAL_COPY);
    EXPECT_EQ(t, n, 40);
    EXPECT_TRUE(t, VirtualFree(VA(own), 0, MEM_RELEASE));
    /* A range outside user space is refused before anything is copied. */
    n = 5;
    EXPECT_FALSE(t, ReadProcessMemory(pi.hProcess, (LPCVOID)0x80000000, buf, 16, &n));
    EXPECT_EQ(t, GetLastError(), ERROR_NOACCESS);
    EXPECT_FALSE(t, ReadProcessMemory(pi.hProcess, VA(FIXED), (LPVOID)0xFFFFF000, 16, &n));
    EXPECT_EQ(t, GetLastError(), ERROR_NOACCESS);
    /* Zero bytes: nothing to do, success. */
    EXPECT_TRUE(t, ReadProcessMemory(pi.hProcess, VA(FIXED), buf, 0, &n));
    EXPECT_EQ(t, n, 0);
    kill_child(t, &pi);
}

static void bad_handles_and_arguments(struct utest *t)
{
    char buf[16];
    SIZE_T n;
    MEMORY_BASIC_INFORMATION m;
    DWORD old;
    HANDLE ev = CreateEventA(NULL, TRUE, FALSE, NULL);
    ASSERT_PTR_NE(t, ev, NULL);
    HANDLE bad[] = { (HANDLE)0x1234, ev, NULL };
    for (int i = 0; i < 3; i++) {
        SetLastError(0);
        EXPECT_PTR_EQ(t, VirtualAllocEx(bad[i], NULL, 4096, MEM_COMMIT, PAGE_READWRITE), NULL);
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
        EXPECT_FALSE(t, VirtualFreeEx(bad[i], (LPVOID)0x10000, 0, MEM_RELEASE));
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
        EXPECT_FALSE(t, VirtualProtectEx(bad[i], (LPVOID)0x10000, 4096, PAGE_READONLY, &old));
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
        EXPECT_EQ(t, VirtualQueryEx(bad[i], (LPCVOID)0x10000, &m, sizeof(m)), 0);
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
        EXPECT_FALSE(t, ReadProcessMemory(bad[i], buf, buf + 8, 4, &n));
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
        EXPECT_FALSE(t, WriteProcessMemory(bad[i], buf, buf + 8, 4, &n));
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
        EXPECT_FALSE(t, TerminateProcess(bad[i], 1));
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
        DWORD code;
        EXPECT_FALSE(t, GetExitCodeProcess(bad[i], &code));
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
        PROCESS_MEMORY_COUNTERS pmc;
        EXPECT_FALSE(t, GetProcessMemoryInfo(bad[i], &pmc, sizeof(pmc)));
        EXPECT_EQ(t, GetLastError(), ERROR_INVALID_HANDLE);
    }
    EXPECT_TRUE(t, CloseHandle(ev));
    /* Bad sizes and flags on a good handle (the *Ex calls share the
     * VirtualAlloc family's checks). */
    EXPECT_EQ(t, VirtualQueryEx(GetCurrentProcess(), (LPCVOID)0x10000, &m, sizeof(m) - 1), 0);
    EXPECT_EQ(t, GetLastError(), ERROR_BAD_LENGTH);
    EXPECT_PTR_EQ(t, VirtualAllocEx(GetCurrentProcess(), NULL, 4096, 0x12345678, PAGE_READWRITE), NULL);
    EXPECT_EQ(t, GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT_FALSE(t, VirtualProtectEx(GetCurrentProcess(), (LPVOID)0x10000, 4096, PAGE_READONLY, NULL));
    EXPECT_EQ(t, GetLastError(), ERROR_NOACCESS);
    /* Read/WriteProcessMemory on ourselves work like memcpy. */
    strcpy(buf, "abcdefg");
    EXPECT_TRUE(t, ReadProcessMemory(GetCurrentProcess(), buf, buf + 8, 4, &n));
    EXPECT_EQ(t, memcmp(buf + 8, "abcd", 4), 0);
}

/* ---- GetProcessMemoryInfo ---------------------------------------------------------- */

static void memory_info(struct utest *t)
{
    PROCESS_MEMORY_COUNTERS_EX a, b;
    ASSERT_TRUE(t, GetProcessMemoryInfo(GetCurrentProcess(), (PPROCESS_MEMORY_COUNTERS)&a, sizeof(a)));
    EXPECT_EQ(t, a.cb, sizeof(a));
    EXPECT_GT(t, a.PagefileUsage, 0);
    EXPECT_EQ(t, a.PrivateUsage, a.PagefileUsage);
    EXPECT_GT(t, a.WorkingSetSize, 0);
    EXPECT_LE(t, a.WorkingSetSize, a.PagefileUsage);
    EXPECT_GE(t, a.PeakWorkingSetSize, a.WorkingSetSize);

    uint8_t *p = VirtualAlloc(NULL, 1 << 20, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ASSERT_PTR_NE(t, p, NULL);
    for (uint32_t i = 0; i < (256u << 10); i += 4096)
        p[i] = 1;
    ASSERT_TRUE(t, GetProcessMemoryInfo(GetCurrentProcess(), (PPROCESS_MEMORY_COUNTERS)&b, sizeof(b)));
    EXPECT_EQ(t, b.PagefileUsage - a.PagefileUsage, 1u << 20);
    EXPECT_EQ(t, b.WorkingSetSize - a.WorkingSetSize, 256u << 10);
    EXPECT_GE(t, b.PeakPagefileUsage, b.PagefileUsage);
    EXPECT_TRUE(t, VirtualFree(p, 0, MEM_RELEASE));
    ASSERT_TRUE(t, GetProcessMemoryInfo(GetCurrentProcess(), (PPROCESS_MEMORY_COUNTERS)&b, sizeof(b)));
    EXPECT_EQ(t, b.PagefileUsage, a.PagefileUsage);
    EXPECT_GE(t, b.PeakPagefileUsage, a.PagefileUsage + (1u << 20));

    /* The short form: cb says what was filled. */
    PROCESS_MEMORY_COUNTERS c;
    ASSERT_TRUE(t, GetProcessMemoryInfo(GetCurrentProcess(), &c, sizeof(c)));
    EXPECT_EQ(t, c.cb, sizeof(c));
    SetLastError(0);
    EXPECT_FALSE(t, GetProcessMemoryInfo(GetCurrentProcess(), &c, sizeof(c) - 1));
    EXPECT_EQ(t, GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    EXPECT_FALSE(t, GetProcessMemoryInfo(GetCurrentProcess(), (PPROCESS_MEMORY_COUNTERS)0x80000000, sizeof(c)));
    EXPECT_EQ(t, GetLastError(), ERROR_NOACCESS);

    /* A child's figures through a handle: PROCESS_VM_READ is needed too. */
    PROCESS_INFORMATION pi;
    ASSERT_TRUE(t, spawn(CHILD " wait", 0, &pi));
    HANDLE q = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pi.dwProcessId);
    ASSERT_PTR_NE(t, q, NULL);
    EXPECT_FALSE(t, GetProcessMemoryInfo(q, &c, sizeof(c)));
    EXPECT_EQ(t, GetLastError(), ERROR_ACCESS_DENIED);
    EXPECT_TRUE(t, CloseHandle(q));
    /* The child may still be starting (its heap, stdio and stack take
     * pages): wait until its figure holds still for 5 ms first. */
    DWORD before = 0;
    for (int i = 0; i < 200; i++) {
        ASSERT_TRUE(t, GetProcessMemoryInfo(pi.hProcess, &c, sizeof(c)));
        before = c.PagefileUsage;
        Sleep(5);
        ASSERT_TRUE(t, GetProcessMemoryInfo(pi.hProcess, &c, sizeof(c)));
        if (c.PagefileUsage == before)
            break;
    }
    EXPECT_GT(t, before, 0);
    EXPECT_PTR_NE(t, VirtualAllocEx(pi.hProcess, NULL, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), NULL);
    ASSERT_TRUE(t, GetProcessMemoryInfo(pi.hProcess, &c, sizeof(c)));
    EXPECT_EQ(t, c.PagefileUsage - before, 0x10000);
    kill_child(t, &pi);
}

/* A child that ends gives back every page it had: the system's commit
 * charge and free frames are what they were once it is torn down. */
static void child_death_leaks_nothing(struct utest *t)
{
    SYSTEM_MEMORY_COUNTERS before, after;
    PROCESS_INFORMATION pi;
    static char data[0x20000];
    memset(data, 0x11, sizeof(data));   /* our own pages, faulted in before counting */
    ASSERT_EQ(t, NtQuerySystemCounters(&before, sizeof(before)), STATUS_SUCCESS);
    for (int i = 0; i < 3; i++) {
        ASSERT_TRUE(t, spawn(CHILD " wait", 0, &pi));
        uint8_t *p = VirtualAllocEx(pi.hProcess, NULL, 0x20000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        EXPECT_PTR_NE(t, p, NULL);
        SIZE_T n;
        EXPECT_TRUE(t, WriteProcessMemory(pi.hProcess, p, data, sizeof(data), &n));
        kill_child(t, &pi);
        ASSERT_TRUE(t, spawn(CHILD " crash", 0, &pi));
        EXPECT_EQ(t, finish(t, &pi), (DWORD)EXCEPTION_ACCESS_VIOLATION);
    }
    ASSERT_EQ(t, NtQuerySystemCounters(&after, sizeof(after)), STATUS_SUCCESS);
    EXPECT_EQ(t, after.CommitCharge, before.CommitCharge);
    EXPECT_EQ(t, after.PageTablePages, before.PageTablePages);
    EXPECT_GE(t, after.FreeFrames + 8, before.FreeFrames);     /* the zero pool refills lazily */
}

static const struct utest_case life_cases[] = {
    UTEST_CASE(create_wait_exit_code),
    UTEST_CASE(command_line_passed),
    UTEST_CASE(still_active_then_terminated),
    UTEST_CASE(child_crash_leaves_parent_intact),
    UTEST_CASE(suspended_until_resumed),
    UTEST_CASE(grandchild),
    UTEST_CASE(several_at_once),
    UTEST_CASE(create_process_errors),
    UTEST_END,
};

static const struct utest_case handle_cases[] = {
    UTEST_CASE(open_process_access_rights),
    UTEST_CASE(open_process_errors),
    UTEST_CASE(bad_handles_and_arguments),
    UTEST_END,
};

static const struct utest_case memory_cases[] = {
    UTEST_CASE(ex_calls_on_a_child),
    UTEST_CASE(partial_copies_report_the_bytes_copied),
    UTEST_CASE(memory_info),
    UTEST_CASE(child_death_leaks_nothing),
    UTEST_END,
};

static const struct utest_suite life_suite = { .name = "process_life", .cases = life_cases };
static const struct utest_suite handle_suite = { .name = "process_handles", .cases = handle_cases };
static const struct utest_suite memory_suite = { .name = "process_memory", .cases = memory_cases };
static const struct utest_suite *const suites[] = { &life_suite, &handle_suite, &memory_suite, NULL };

static uint64_t counter_handles(void)
{
    ULONG n = 0;
    NtQueryInformationProcess(NtCurrentProcess(), ProcessHandleCount, &n, sizeof(n), NULL);
    return n;
}

int main(void)
{
    GetCommandLineA();                  /* its buffer lives as long as the process: take it now */
    utest_register_counter("allocations", utest_counter_allocations);
    utest_register_counter("commit_charge", utest_counter_commit_charge);
    utest_register_counter("handles", counter_handles);
    return utest_main(suites);
}
