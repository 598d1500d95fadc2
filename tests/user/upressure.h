/* What the paging pressure programs share (issue 19's tests):
 * tests/user/upressure.c (one process, and the worker the others start),
 * upressure_pair.c (two at once) and upressure_inpage.c (an in-page
 * error that ends only its own process).  Header-only: each program
 * includes it once. */
#ifndef TESTS_USER_UPRESSURE_H
#define TESTS_USER_UPRESSURE_H

#include <windows.h>
#include <ntdll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define UP_PAGE 4096u
#define UP_MIB (1024u * 1024u)
/* A "small machine": the pressure boots give QEMU -m 32M and a 128 MiB
 * page file; elsewhere (the user-programs boot at 128 MiB) the pressure
 * cases skip, as the kernel's pager cases do. */
#define UP_SMALL_RAM (40ull * UP_MIB)
#define UP_EXIT_NO_COMMIT 0xE0000001u   /* the worker's commit failed */
#define UP_EXIT_SURVIVED 0xE0000002u    /* the in-page worker's error never came */

/* The locker ("upressure lock MIB MAILBOX MIN_PAGED SEED", started by
 * upressure_pair.c next to two workers): it keeps MIB MiB locked and
 * reads it over and over while the workers page.  Processes here share
 * no handles and no names (no object namespace, no inheritance), so the
 * two talk through one page of the locker's, at MAILBOX (an address the
 * parent chose, free in a new process), which the parent reads and
 * writes with Read/WriteProcessMemory.  The locker fills in the figures
 * and `finished`, then waits for `may_exit`; its exit status is 0 or
 * UP_EXIT_LOCKER with the UP_LOCK_* bits of the checks that failed. */
#define UP_MAILBOX 0x31000000u
#define UP_EXIT_LOCKER 0xE0010000u
#define UP_LOCK_SETUP 0x001u            /* mailbox, commit, limits or a lock failed */
#define UP_LOCK_FAULTED 0x002u          /* a sweep over the locked pages took a fault */
#define UP_LOCK_PATTERN 0x004u          /* a locked page lost its pattern */
#define UP_LOCK_NO_PAGING 0x008u        /* fewer than MIN_PAGED pages written and read meanwhile */
#define UP_LOCK_NOT_AMID 0x010u         /* fewer than 2 sweeps after page-outs */
#define UP_LOCK_WS_SHRANK 0x020u        /* the working set dropped below the locked pages */
#define UP_LOCK_UNLOCK 0x040u           /* VirtualUnlock of the region failed */
#define UP_LOCK_NOT_TRIMMED 0x080u      /* none of its unlocked pages ever left: no trimmer came */

struct up_mailbox {
    volatile uint32_t ready;            /* locker: locked, sweeping (parent may start the workers) */
    volatile uint32_t stop;             /* parent: the workers are done, one last sweep */
    volatile uint32_t finished;         /* locker: the figures below are final */
    volatile uint32_t may_exit;         /* parent: read them */
    uint32_t sweeps;                    /* full reads of the locked region */
    uint32_t sweeps_after_pageouts;     /* of them, those with page-outs since the one before */
    uint32_t faults;                    /* PageFaultCount's moves across the sweeps, summed */
    uint32_t bad_pages;                 /* locked pages read with a wrong pattern, summed */
    uint32_t written, read;             /* pages written to / read from the page file meanwhile */
    uint32_t spill_faults;              /* faults on its unlocked pages, between sweeps */
    uint32_t min_ws_pages;              /* the smallest working set seen after a sweep */
    uint32_t locked_pages;              /* all it locked: the region, its image, its stack */
    uint32_t failures;                  /* the UP_LOCK_* bits */
};

static inline uint32_t up_pattern(uint32_t page, uint32_t word, uint32_t seed)
{
    return (page * 0x9E3779B9u) ^ (word * 0x85EBCA6Bu) ^ seed;
}

/* The words of page i that carry its pattern: every word of every 16th
 * page; eight spread over the page, at an offset of the page's own, on
 * the others (enough to tell a page from another, a stale copy or a
 * zero page, at an eighth of the stores). */
static inline uint32_t up_word(uint32_t i, uint32_t k)
{
    return k * 128 + (i % 128);
}

static inline void up_write(volatile uint32_t *base, uint32_t pages, uint32_t seed)
{
    for (uint32_t i = 0; i < pages; i++) {
        volatile uint32_t *p = base + i * (UP_PAGE / 4);
        if (i % 16 == 0)
            for (uint32_t w = 0; w < UP_PAGE / 4; w++)
                p[w] = up_pattern(i, w, seed);
        else
            for (uint32_t k = 0; k < 8; k++)
                p[up_word(i, k)] = up_pattern(i, up_word(i, k), seed);
    }
}

/* Pages of [from, to) whose pattern is wrong. */
static inline uint32_t up_check(volatile uint32_t *base, uint32_t from, uint32_t to, uint32_t seed)
{
    uint32_t bad = 0;
    for (uint32_t i = from; i < to; i++) {
        volatile uint32_t *p = base + i * (UP_PAGE / 4);
        uint32_t wrong = 0;
        if (i % 16 == 0)
            for (uint32_t w = 0; w < UP_PAGE / 4; w++)
                wrong |= p[w] ^ up_pattern(i, w, seed);
        else
            for (uint32_t k = 0; k < 8; k++)
                wrong |= p[up_word(i, k)] ^ up_pattern(i, up_word(i, k), seed);
        bad += wrong != 0;
    }
    return bad;
}

/* Commits `mib` MiB, and `passes` times writes every page's pattern (a
 * new seed each pass) and reads all of it back; releases it.  Returns
 * the wrong pages found, or UINT32_MAX when the commit failed. */
static inline uint32_t up_pressure(uint32_t mib, uint32_t passes, uint32_t seed)
{
    uint32_t pages = mib * (UP_MIB / UP_PAGE), bad = 0;
    volatile uint32_t *base = VirtualAlloc(NULL, mib * UP_MIB, MEM_RESERVE | MEM_COMMIT,
                                           PAGE_READWRITE);
    if (base == NULL)
        return UINT32_MAX;
    for (uint32_t p = 0; p < passes; p++) {
        up_write(base, pages, seed + p);
        bad += up_check(base, 0, pages, seed + p);
    }
    VirtualFree((void *)base, 0, MEM_RELEASE);
    return bad;
}

static inline SYSTEM_PERFORMANCE_INFORMATION up_perf(void)
{
    SYSTEM_PERFORMANCE_INFORMATION p;
    memset(&p, 0, sizeof(p));
    NtQuerySystemInformation(SystemPerformanceInformation, &p, sizeof(p), NULL);
    return p;
}

/* The machine the pressure cases want: little RAM, a page file that
 * takes the commit limit past 96 MiB + what the kernel keeps. */
static inline int up_small_machine(void)
{
    MEMORYSTATUSEX ms;
    ms.dwLength = sizeof(ms);
    return GlobalMemoryStatusEx(&ms) && ms.ullTotalPhys <= UP_SMALL_RAM &&
           ms.ullAvailPageFile >= 100ull * UP_MIB;
}

/* Starts "upressure ARGS" (the worker); FALSE when it could not. */
static inline BOOL up_start_worker(const char *args, PROCESS_INFORMATION *pi)
{
    char cmd[96];
    STARTUPINFOA si;
    memset(&si, 0, sizeof(si));
    si.cb = sizeof(si);
    size_t n = strlen("upressure "), len = strlen(args);
    if (n + len >= sizeof(cmd))
        return FALSE;
    memcpy(cmd, "upressure ", n);
    memcpy(cmd + n, args, len + 1);
    return CreateProcessA("C:\\tests\\upressure.exe", cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, pi);
}

/* Waits for a worker; its exit code (0xFFFFFFFF when unknown). */
static inline DWORD up_wait_worker(PROCESS_INFORMATION *pi)
{
    DWORD code = 0xFFFFFFFFu;
    WaitForSingleObject(pi->hProcess, INFINITE);
    GetExitCodeProcess(pi->hProcess, &code);
    CloseHandle(pi->hThread);
    CloseHandle(pi->hProcess);
    return code;
}

#endif
