/* What the files of the vm_model suite share (tests/kernel/test_vm_model.c
 * and tests/kernel/test_vm_model/): the modelled window, the shadow model
 * of its pages and the operation being run (model.c), checks of the real
 * engine against the model (model.c), and the random operations (ops.c). */
#ifndef TESTS_KERNEL_TEST_VM_MODEL_MODEL_H
#define TESTS_KERNEL_TEST_VM_MODEL_MODEL_H

#include "tests/ktest.h"
#include "mm/vm.h"
#include "mm/virtual.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/memlayout.h"
#include "kernel/arch/trap.h"
#include "kernel/arch/timer.h"
#include <string.h>

#define WIN_BASE 0x10000000u                    /* the modelled window */
#define WIN_PAGES 4096u                         /* 16 MiB */
#define WIN_END (WIN_BASE + WIN_PAGES * PGSIZE)
#define GRAN_PAGES (VM_GRANULARITY / PGSIZE)    /* 16 */
#define WIN_GRANS (WIN_PAGES / GRAN_PAGES)      /* 256 */
#define USER_TOP (USER_MAX + 1)                 /* 0x7FFF0000 */
#define NO_ALLOC 0xFFFFu

/* ---- the shadow model ------------------------------------------------ */

enum mstate { M_FREE, M_RESERVED, M_COMMITTED };

#define MP_TOUCHED 0x01     /* accessed since committed: a PTE may be present */
#define MP_RESET 0x02       /* MEM_RESET since the last write: old data or zeros */

struct mpage {
    uint8_t state;          /* enum mstate */
    uint8_t flags;          /* MP_* */
    uint8_t val;            /* content tag: words 0 and 1023 hold word_for(page, val) */
    uint16_t prot;          /* current protection (with PAGE_GUARD) when committed, else 0 */
    uint16_t alloc;         /* granule index of the allocation base, NO_ALLOC when free */
};

struct mvad {
    uint16_t pages;         /* 0: no allocation starts in this granule */
    uint16_t protect;       /* AllocationProtect */
};

extern struct mpage mp[WIN_PAGES];
extern struct mvad mvad[WIN_GRANS];
extern uint32_t m_committed;        /* committed pages in the window */
extern uint32_t m_live;             /* live allocations in the window */
extern uint32_t m_target;           /* live allocations the generator steers to */
extern uint32_t m_tail_free;        /* free bytes from WIN_END up (measured once) */
extern bool m_top_free;             /* the top 4 MiB of user space are free */

/* The operation being run, for the mismatch report. */
struct mop {
    uint32_t n;
    const char *name;
    uint32_t addr, size, type, prot;
};
extern struct mop op;
extern struct ktest *mt;                    /* the running case, for model_fail */
extern uint32_t stat_faults, stat_guards;   /* accesses that faulted; guard pages hit */
extern uint32_t stat_ok, stat_failed;       /* calls that succeeded; failed as predicted */

static inline uint32_t rnd(uint32_t n)
{
    return ktest_random() % n;
}

static inline uint32_t page_va(uint32_t i)
{
    return WIN_BASE + i * PGSIZE;
}

static inline uint32_t va_page(uint32_t va)
{
    return (va - WIN_BASE) / PGSIZE;
}

static inline uint32_t gran_va(uint32_t g)
{
    return WIN_BASE + g * VM_GRANULARITY;
}

/* What words 0 and 1023 of page i hold for content tag v (0: zeros). */
static inline uint32_t word_for(uint32_t i, uint8_t v)
{
    return v == 0 ? 0 : page_va(i) | v;
}

static inline bool prot_writable(uint32_t p)
{
    p &= 0xFF;
    return p == PAGE_READWRITE || p == PAGE_EXECUTE_READWRITE;
}

static inline bool prot_readable(uint32_t p)
{
    p &= 0xFF;
    return p == PAGE_READONLY || p == PAGE_READWRITE || p == PAGE_EXECUTE_READ ||
           p == PAGE_EXECUTE_READWRITE;
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the model (model.c) ---------------------------------------------- */

void model_reset(void);
void m_reserve(uint32_t s, uint32_t e, bool commit, uint32_t prot);
void m_commit(uint32_t s, uint32_t e, uint32_t prot);
void m_decommit(uint32_t s, uint32_t e);
void m_release(uint32_t g);
bool m_one_alloc(uint32_t s, uint32_t e);
bool m_all_committed(uint32_t s, uint32_t e);
bool m_all_free(uint32_t s, uint32_t e);

/* The log line of the operation being run: seed, number, call. */
void op_log(const char *prefix);
/* Reports the first mismatch with its context and leaves the case (ASSERT). */
void __attribute__((noreturn)) model_fail(int line, uint32_t va, const char *what, uint32_t got,
                                          uint32_t want);
/* got must equal want, or the case ends with model_fail. */
#define MEQ(va, what, got, want)                                              \
    do {                                                                      \
        uint32_t got_ = (uint32_t)(got), want_ = (uint32_t)(want);            \
        if (got_ != want_)                                                    \
            model_fail(__LINE__, (va), (what), got_, want_);                  \
    } while (0)

/* Gives the case's address space back (also after an ASSERT left a case). */
void model_space_put(void);
bool model_space_get(void);

/* Checks against the model, each ending the case at the first mismatch:
 * VirtualQuery at q; every region of pages [s, e); their PTEs; both on
 * [s, e) widened by a page; and the contents of every readable page that
 * was accessed. */
void check_query(uint32_t q, const MEMORY_BASIC_INFORMATION *want);
void check_regions(uint32_t s, uint32_t e);
void check_ptes(uint32_t s, uint32_t e);
void check_range(uint32_t s, uint32_t e);
void check_contents(void);

/* One access (a fault is caught into rec); a read or a write of page i
 * checked against the model. */
bool try_read(uint32_t va, uint32_t *out, struct fault_record *rec);
bool try_write(uint32_t va, uint32_t val, struct fault_record *rec);
void touch_read(uint32_t i);
void touch_write(uint32_t i);

/* ---- the operations (ops.c) --------------------------------------------- */

/* Each runs one random operation of its kind against the engine and the
 * model, and returns in [*s, *e) the pages it may have changed. */
void op_reserve(bool commit, uint32_t *cs, uint32_t *ce);
void op_commit(uint32_t *s, uint32_t *e);
void op_decommit(uint32_t *s, uint32_t *e);
void op_release(uint32_t *s, uint32_t *e);
void op_protect(uint32_t *s, uint32_t *e);
void op_reset(uint32_t *s, uint32_t *e);
void op_touch(bool write, uint32_t *s, uint32_t *e);
void op_null_alloc(uint32_t charge0, uint32_t *s, uint32_t *e);
void op_bad_param(uint32_t *s, uint32_t *e);
/* The committed pages since the case began match the model's (+ extra). */
void check_stats_charge(uint32_t charge0, uint32_t extra);

/* ---- counters around a case ---------------------------------------------- */

static inline uint32_t frames_now(void)
{
    return pmm_free_count() + pfn_list_frames();
}

static inline uint32_t page_tables_now(void)
{
    struct paging_stats ps;
    paging_get_stats(&ps);
    return ps.page_tables;
}

/* ---- the deterministic cases (limits.c) ------------------------------------ */

extern const struct ktest_case test_vm_model_limit_cases[];

#endif
