/* Several CPUs seen from ring 3 (issue 17): GetSystemInfo's processor
 * count, GetCurrentProcessorNumber, the affinity calls, and the
 * user-space shootdown proofs.  A thread pinned to the last CPU touches a
 * page in a loop (its TLB keeps the translation); the main thread, pinned
 * to CPU 0, decommits the page (or protects it read-only); after that
 * call returned, the pinned thread's next access must fault, every one of
 * PROOF_ROUNDS times.  On one CPU (the -smp 1 user-programs boot) the
 * cases that need two skip. */
#include "uthreads.h"

#define PROOF_ROUNDS 10000
#define FAULTED 0xFA017EDu

static SYSTEM_INFO si;

static void need_two(struct utest *t)
{
    if (si.dwNumberOfProcessors < 2)
        utest_skip(t, "one CPU");
}

static void processors_and_affinity(struct utest *t)
{
    DWORD_PTR proc = 0, sys = 0;
    ASSERT_TRUE(t, GetProcessAffinityMask(GetCurrentProcess(), &proc, &sys));
    utest_log("%lu CPUs, process mask %lx, system mask %lx\n", (unsigned long)si.dwNumberOfProcessors,
              (unsigned long)proc, (unsigned long)sys);
    EXPECT_GE(t, si.dwNumberOfProcessors, 1);
    EXPECT_EQ(t, si.dwActiveProcessorMask, sys);
    EXPECT_EQ(t, proc, sys);
    EXPECT_EQ(t, (DWORD)__builtin_popcount(sys), si.dwNumberOfProcessors);
    EXPECT_LT(t, GetCurrentProcessorNumber(), si.dwNumberOfProcessors);
    DWORD last = si.dwNumberOfProcessors - 1;
    /* Pinned to each CPU in turn, the thread runs there. */
    for (DWORD i = 0; i < si.dwNumberOfProcessors; i++) {
        EXPECT_NE(t, SetThreadAffinityMask(GetCurrentThread(), (DWORD_PTR)1 << i), 0);
        EXPECT_EQ(t, GetCurrentProcessorNumber(), i);
        Sleep(0);
        EXPECT_EQ(t, GetCurrentProcessorNumber(), i);
    }
    EXPECT_EQ(t, SetThreadAffinityMask(GetCurrentThread(), sys), (DWORD_PTR)1 << last);
    /* A mask outside the process's fails, and changes nothing. */
    SetLastError(0);
    EXPECT_EQ(t, SetThreadAffinityMask(GetCurrentThread(), (DWORD_PTR)1 << 31), 0);
    EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
    EXPECT_EQ(t, SetThreadAffinityMask(GetCurrentThread(), sys), sys);
    /* The ideal processor: the previous one back; MAXIMUM_PROCESSORS asks. */
    DWORD old = SetThreadIdealProcessor(GetCurrentThread(), last);
    EXPECT_LT(t, old, si.dwNumberOfProcessors);
    EXPECT_EQ(t, SetThreadIdealProcessor(GetCurrentThread(), MAXIMUM_PROCESSORS), last);
    EXPECT_EQ(t, SetThreadIdealProcessor(GetCurrentThread(), 0), last);
    SetLastError(0);
    EXPECT_EQ(t, SetThreadIdealProcessor(GetCurrentThread(), 20), (DWORD)-1);
    EXPECT_LAST_ERROR(t, ERROR_INVALID_PARAMETER);
    EXPECT_EQ(t, SetThreadIdealProcessor((HANDLE)0x1234, 0), (DWORD)-1);
}

/* ---- the proofs ---------------------------------------------------------- */

/* One load or store whose fault the vectored handler below turns into
 * FAULTED (it resumes after the instruction). */
extern const char probe_load[], probe_load_end[], probe_store[], probe_store_end[];
__attribute__((noinline)) static uint32_t touch(volatile uint32_t *p, bool write, uint32_t v)
{
    uint32_t r;
    if (write)
        __asm__ volatile("probe_store: movl %%eax, (%%ecx)\nprobe_store_end:"
                         : "=a"(r) : "c"(p), "a"(v) : "memory");
    else
        __asm__ volatile("probe_load: movl (%%ecx), %%eax\nprobe_load_end:"
                         : "=a"(r) : "c"(p) : "memory");
    return r;
}

static volatile LONG faults_seen;

static LONG CALLBACK probe_handler(PEXCEPTION_POINTERS ep)
{
    PCONTEXT c = ep->ContextRecord;
    if (ep->ExceptionRecord->ExceptionCode != (DWORD)STATUS_ACCESS_VIOLATION)
        return EXCEPTION_CONTINUE_SEARCH;
    if (c->Eip == (DWORD)probe_load) {
        c->Eip = (DWORD)probe_load_end;
    } else if (c->Eip == (DWORD)probe_store) {
        c->Eip = (DWORD)probe_store_end;
    } else {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    c->Eax = FAULTED;
    InterlockedIncrement(&faults_seen);
    return EXCEPTION_CONTINUE_EXECUTION;
}

struct proof {
    volatile uint32_t *page;
    bool write;                         /* protect case: the toucher writes */
    volatile LONG gen;                  /* round the page is ready for */
    volatile LONG touched;              /* round the toucher has touched it in */
    volatile LONG removed;              /* round whose decommit/protect returned */
    volatile LONG checked;              /* round whose first access after it was checked */
    volatile LONG misses;
    volatile DWORD cpu;
};

static DWORD WINAPI toucher(void *arg)
{
    struct proof *p = arg;
    p->cpu = GetCurrentProcessorNumber();
    for (LONG round = 1; round <= PROOF_ROUNDS; round++) {
        while (p->gen != round)
            ;
        touch(p->page, p->write, (uint32_t)round);     /* the TLB now has it */
        p->touched = round;
        while (p->removed != round)
            touch(p->page, p->write, (uint32_t)round);  /* keeps it hot; may fault once removed */
        if (touch(p->page, p->write, (uint32_t)round) != FAULTED)
            p->misses++;
        p->checked = round;
    }
    return 0;
}

static void run_proof(struct utest *t, bool protect)
{
    need_two(t);
    DWORD last = si.dwNumberOfProcessors - 1;
    struct proof p = { .write = protect };
    PVOID veh = AddVectoredExceptionHandler(1, probe_handler);
    ASSERT_PTR_NE(t, veh, NULL);
    p.page = VirtualAlloc(NULL, 4096, MEM_RESERVE, PAGE_READWRITE);
    ASSERT_PTR_NE(t, (void *)p.page, NULL);
    ASSERT_NE(t, SetThreadAffinityMask(GetCurrentThread(), 1), 0);
    HANDLE h = CreateThread(NULL, 0, toucher, &p, CREATE_SUSPENDED, NULL);
    ASSERT_PTR_NE(t, h, NULL);
    EXPECT_NE(t, SetThreadAffinityMask(h, (DWORD_PTR)1 << last), 0);
    ResumeThread(h);
    faults_seen = 0;
    DWORD old;
    for (LONG round = 1; round <= PROOF_ROUNDS; round++) {
        if (!protect || round == 1)
            VirtualAlloc((void *)p.page, 4096, MEM_COMMIT, PAGE_READWRITE);
        else
            VirtualProtect((void *)p.page, 4096, PAGE_READWRITE, &old);
        *p.page = (uint32_t)round;
        p.gen = round;
        while (p.touched != round)
            ;
        BOOL ok = protect ? VirtualProtect((void *)p.page, 4096, PAGE_READONLY, &old)
                          : VirtualFree((void *)p.page, 4096, MEM_DECOMMIT);
        if (!ok)
            p.misses += 1000000;
        p.removed = round;              /* the call has returned */
        while (p.checked != round)
            ;
    }
    EXPECT_EQ(t, join_thread(h), 0);
    utest_log("%s: %d rounds, toucher on cpu %lu, %ld misses, %ld faults taken\n",
              protect ? "protect read-only" : "decommit", PROOF_ROUNDS, (unsigned long)p.cpu,
              (long)p.misses, (long)faults_seen);
    EXPECT_EQ(t, p.cpu, last);
    EXPECT_EQ(t, p.misses, 0);
    EXPECT_GE(t, faults_seen, PROOF_ROUNDS);
    EXPECT_TRUE(t, VirtualFree((void *)p.page, 0, MEM_RELEASE));
    EXPECT_TRUE(t, RemoveVectoredExceptionHandler(veh));
    SetThreadAffinityMask(GetCurrentThread(), si.dwActiveProcessorMask);
}

static void shootdown_proof_decommit(struct utest *t)
{
    run_proof(t, false);
}

static void shootdown_proof_protect_readonly(struct utest *t)
{
    run_proof(t, true);
}

/* NtFlushProcessWriteBuffers (FlushProcessWriteBuffers, the heap's
 * barrier for its per-thread caches) is a service of its own and
 * succeeds, with one CPU (nothing to interrupt) or several (an IPI to
 * each other one, waited for); it takes no argument, so no bad one. */
static void flush_process_write_buffers(struct utest *t)
{
    for (int i = 0; i < 10; i++)
        EXPECT_EQ(t, NtFlushProcessWriteBuffers(), STATUS_SUCCESS);
    FlushProcessWriteBuffers();
}

static const struct utest_case smp_cases[] = {
    UTEST_CASE(processors_and_affinity),
    UTEST_CASE(flush_process_write_buffers),
    UTEST_CASE(shootdown_proof_decommit),
    UTEST_CASE(shootdown_proof_protect_readonly),
    UTEST_END,
};

static const struct utest_suite smp_suite = { .name = "smp_user", .cases = smp_cases };
static const struct utest_suite *const suites[] = { &smp_suite, NULL };

int main(void)
{
    GetSystemInfo(&si);
    utest_register_counter("handles", counter_handles);
    return utest_main(suites);
}
