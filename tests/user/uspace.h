/* Helpers shared by the user-mode memory tests (uvm, usecurity, ufuzz,
 * ucommit, ...): raw system calls, the system counters, and snapshots of
 * the program's own address space taken with VirtualQuery, so a test can
 * prove that a failed call changed nothing and can give back whatever a
 * failed case (or random calls) left allocated. */
#ifndef TESTS_USER_USPACE_H
#define TESTS_USER_USPACE_H

#include <windows.h>
#include <ntdll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define PAGE 0x1000u
#define GRAN 0x10000u
#define USER_LOW 0x00010000u            /* lpMinimumApplicationAddress */
#define USER_HIGH 0x7FFEFFFFu           /* lpMaximumApplicationAddress */
#define USER_TOP 0x7FFF0000u            /* first address above the user range */
#define VA(a) ((LPVOID)(uintptr_t)(a))
#define U32(p) ((uint32_t)(uintptr_t)(p))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* `int 0x2E` with EAX = service and EDX = args (ntsvc.h): the status in
 * EAX; ECX and EDX are clobbered, everything else preserved. */
static inline NTSTATUS raw_syscall(uint32_t service, const void *args)
{
    NTSTATUS st;
    uint32_t ecx_out, edx_out;

    __asm__ volatile("int $0x2E"
                     : "=a"(st), "=c"(ecx_out), "=d"(edx_out)
                     : "a"(service), "d"(args)
                     : "memory", "cc");
    return st;
}

static inline SYSTEM_MEMORY_COUNTERS sys_counters(void)
{
    SYSTEM_MEMORY_COUNTERS c;

    memset(&c, 0xFF, sizeof(c));
    NtQuerySystemCounters(&c, sizeof(c));
    return c;
}

static inline uint32_t commit_charge(void)
{
    return sys_counters().CommitCharge;
}

static inline uint32_t allocation_count(void)
{
    return sys_counters().Allocations;
}

/* ---- the address space as VirtualQuery sees it ----------------------------- */

#define SPACE_MAX_REGIONS 256

struct space_map {
    int count;
    bool overflow;
    MEMORY_BASIC_INFORMATION r[SPACE_MAX_REGIONS];
};

/* Every region (free ones included) from 0 to USER_HIGH, in order. */
static inline void space_map_take(struct space_map *m)
{
    uint32_t a = 0;

    m->count = 0;
    m->overflow = false;
    while (a < USER_TOP) {
        MEMORY_BASIC_INFORMATION mbi;
        if (VirtualQuery(VA(a), &mbi, sizeof(mbi)) != sizeof(mbi) || mbi.RegionSize == 0)
            break;
        if (m->count == SPACE_MAX_REGIONS) {
            m->overflow = true;
            break;
        }
        m->r[m->count++] = mbi;
        a = U32(mbi.BaseAddress) + mbi.RegionSize;
    }
}

/* -1 when equal, else the index of the first differing region. */
static inline int space_map_diff(const struct space_map *a, const struct space_map *b)
{
    int n = a->count < b->count ? a->count : b->count;

    for (int i = 0; i < n; i++)
        if (memcmp(&a->r[i], &b->r[i], sizeof(a->r[i])) != 0)
            return i;
    return a->count == b->count ? -1 : n;
}

/* The allocation bases present in the address space. */
#define ALLOC_SET_MAX 128

struct alloc_set {
    int count;
    uint32_t base[ALLOC_SET_MAX];
};

static inline bool alloc_set_has(const struct alloc_set *s, uint32_t base)
{
    for (int i = 0; i < s->count; i++)
        if (s->base[i] == base)
            return true;
    return false;
}

static inline void alloc_set_take(struct alloc_set *s)
{
    uint32_t a = 0;

    s->count = 0;
    while (a < USER_TOP) {
        MEMORY_BASIC_INFORMATION mbi;
        if (VirtualQuery(VA(a), &mbi, sizeof(mbi)) != sizeof(mbi) || mbi.RegionSize == 0)
            break;
        if (mbi.State != MEM_FREE && !alloc_set_has(s, U32(mbi.AllocationBase)) &&
            s->count < ALLOC_SET_MAX)
            s->base[s->count++] = U32(mbi.AllocationBase);
        a = U32(mbi.BaseAddress) + mbi.RegionSize;
    }
}

/* Releases every allocation whose base is not in keep; returns how many
 * were released (-1 if one of them could not be). */
static inline int alloc_release_others(const struct alloc_set *keep)
{
    uint32_t a = 0;
    int released = 0;

    while (a < USER_TOP) {
        MEMORY_BASIC_INFORMATION mbi;
        if (VirtualQuery(VA(a), &mbi, sizeof(mbi)) != sizeof(mbi) || mbi.RegionSize == 0)
            break;
        uint32_t next = U32(mbi.BaseAddress) + mbi.RegionSize;
        if (mbi.State != MEM_FREE && !alloc_set_has(keep, U32(mbi.AllocationBase))) {
            if (!VirtualFree(mbi.AllocationBase, 0, MEM_RELEASE))
                return -1;
            released++;
            next = U32(mbi.AllocationBase);     /* look again from its base: now free */
        }
        a = next;
    }
    return released;
}

/* ---- the stack ---------------------------------------------------------------- */

static inline uint32_t current_esp(void)
{
    uint32_t esp;
    __asm__ volatile("movl %%esp, %0" : "=r"(esp));
    return esp;
}

/* The stack reservation around the current ESP: its base, its end, and
 * the lowest committed page of the run that holds ESP. */
struct stack_info {
    uint32_t base, end;
    uint32_t committed_low;             /* lowest page of the committed run holding ESP */
    uint32_t below_protect, below_state; /* the page just below committed_low */
};

static __attribute__((noinline, unused)) bool stack_info_take(struct stack_info *s)
{
    MEMORY_BASIC_INFORMATION m;
    uint32_t esp = current_esp();

    if (VirtualQuery(VA(esp), &m, sizeof(m)) != sizeof(m) || m.State != MEM_COMMIT)
        return false;
    s->base = U32(m.AllocationBase);
    /* Walk down page by page while the pages are committed plain READWRITE. */
    uint32_t low = esp & ~(PAGE - 1);
    while (low > s->base) {
        if (VirtualQuery(VA(low - PAGE), &m, sizeof(m)) != sizeof(m))
            return false;
        if (m.State != MEM_COMMIT || m.Protect != PAGE_READWRITE)
            break;
        low -= PAGE;
    }
    s->committed_low = low;
    s->below_protect = m.Protect;
    s->below_state = m.State;
    /* The end: walk up the allocation. */
    uint32_t a = s->base;
    s->end = s->base;
    while (a < USER_TOP) {
        if (VirtualQuery(VA(a), &m, sizeof(m)) != sizeof(m) || U32(m.AllocationBase) != s->base)
            break;
        a = U32(m.BaseAddress) + m.RegionSize;
        s->end = a;
    }
    return true;
}

/* Touches `bytes` of stack below the caller, one page at a time from the
 * top down, so the stack grows through its guard page now rather than in
 * the middle of a test that counts the commit charge. */
static __attribute__((noinline, unused)) void stack_pregrow(uint32_t bytes)
{
    uint32_t esp = current_esp();
    for (uint32_t off = 64; off < bytes; off += PAGE / 2)
        __asm__ volatile("movb $0, (%0)" : : "r"(esp - off) : "memory");
}

#endif
