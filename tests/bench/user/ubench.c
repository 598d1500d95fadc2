/* Ring-3 costs in guest instructions (run under -icount shift=0 by
 * `make bench`, where the TSC counts retired instructions; ring 3 may
 * read it since CR4.TSD is clear). */
#include <windows.h>
#include <ntdll.h>
#include <stdio.h>

static unsigned long long tsc(void)
{
    unsigned int lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((unsigned long long)hi << 32) | lo;
}

static unsigned long overhead;

static unsigned long measured(unsigned long long start)
{
    unsigned long d = (unsigned long)(tsc() - start);
    return d > overhead ? d - overhead : 0;
}

static void report(const char *name, unsigned long n)
{
    printf("bench %s %lu instructions\n", name, n);
}

static void bench_null_syscall(void)
{
    NtYieldExecution();                 /* warm: nothing to warm, but symmetric */
    unsigned long long t = tsc();
    NtYieldExecution();
    report("syscall.null", measured(t));
}

static void bench_virtualalloc_commit(void)
{
    void *keep = VirtualAlloc(NULL, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    *(volatile int *)keep = 1;          /* VAD pool page and page table exist */
    unsigned long long t = tsc();
    void *p = VirtualAlloc(NULL, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    unsigned long n = measured(t);
    report("user.virtualalloc_commit.1page", n);
    VirtualFree(p, 0, MEM_RELEASE);
    VirtualFree(keep, 0, MEM_RELEASE);
}

static char *lazy_base;

static LONG CALLBACK commit_on_fault(PEXCEPTION_POINTERS info)
{
    EXCEPTION_RECORD *r = info->ExceptionRecord;
    if (r->ExceptionCode != EXCEPTION_ACCESS_VIOLATION)
        return EXCEPTION_CONTINUE_SEARCH;
    char *page = (char *)(r->ExceptionInformation[1] & ~0xFFFul);
    if (VirtualAlloc(page, 4096, MEM_COMMIT, PAGE_READWRITE) == NULL)
        return EXCEPTION_CONTINUE_SEARCH;
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* An access violation on reserved memory, delivered to a vectored handler
 * that commits the page and continues: the whole round trip. */
static void bench_av_to_handler(void)
{
    PVOID h = AddVectoredExceptionHandler(1, commit_on_fault);
    lazy_base = VirtualAlloc(NULL, 0x100000, MEM_RESERVE, PAGE_READWRITE);
    VirtualAlloc(lazy_base, 4096, MEM_COMMIT, PAGE_READWRITE);
    lazy_base[0] = 1;                   /* the page table exists */
    unsigned long long t = tsc();
    lazy_base[0x5000] = 1;
    unsigned long n = measured(t);
    report("user.av_to_handler_and_continue", n);
    VirtualFree(lazy_base, 0, MEM_RELEASE);
    RemoveVectoredExceptionHandler(h);
}

int main(void)
{
    unsigned long long t = tsc();
    overhead = (unsigned long)(tsc() - t);
    printf("# ubench: measurement overhead %lu instructions (subtracted)\n", overhead);
    bench_null_syscall();
    bench_virtualalloc_commit();
    bench_av_to_handler();
    return 0;
}
