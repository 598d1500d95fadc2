/* Model-based tests of the VirtualAlloc family (spec sections A-F, H):
 * a seeded random stream of operations runs against the real engine and
 * against a shadow model of every page in a 16 MiB window of a fresh user
 * address space; every result, every GetLastError code, every VirtualQuery
 * field, every fault (with its CR2 and exception record), the page
 * contents and the page tables must agree with the model.  Two more cases
 * push the commit charge to its limit and keep 10,000 reservations alive.
 *
 * A mismatch prints the seed and the operation number: rerun with
 * `test=vm_model seed=N` to replay the same stream (set MODEL_TRACE_FROM
 * to the operation number to log every operation from there on). */
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

#define MODEL_OPS 100000u
#define MODEL_SWEEP_EVERY 1000u
#define MODEL_TRACE_FROM 0xFFFFFFFFu            /* log every op from this number on */

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

static struct mpage mp[WIN_PAGES];
static struct mvad mvad[WIN_GRANS];
static uint32_t m_committed;        /* committed pages in the window */
static uint32_t m_live;             /* live allocations in the window */
static uint32_t m_target;           /* live allocations the generator steers to */
static uint32_t m_tail_free;        /* free bytes from WIN_END up (measured once) */
static bool m_top_free;             /* the top 4 MiB of user space are free */

/* The operation being run, for the mismatch report. */
struct mop {
    uint32_t n;
    const char *name;
    uint32_t addr, size, type, prot;
};
static struct mop op;
static struct ktest *mt;
static struct vm_space *model_as;   /* the case's address space, until given back */

static uint32_t rnd(uint32_t n)
{
    return ktest_random() % n;
}

static uint32_t page_va(uint32_t i)
{
    return WIN_BASE + i * PGSIZE;
}

static uint32_t va_page(uint32_t va)
{
    return (va - WIN_BASE) / PGSIZE;
}

static uint32_t gran_va(uint32_t g)
{
    return WIN_BASE + g * VM_GRANULARITY;
}

/* What words 0 and 1023 of page i hold for content tag v (0: zeros). */
static uint32_t word_for(uint32_t i, uint8_t v)
{
    return v == 0 ? 0 : page_va(i) | v;
}

static bool prot_writable(uint32_t p)
{
    p &= 0xFF;
    return p == PAGE_READWRITE || p == PAGE_EXECUTE_READWRITE;
}

static bool prot_readable(uint32_t p)
{
    p &= 0xFF;
    return p == PAGE_READONLY || p == PAGE_READWRITE || p == PAGE_EXECUTE_READ ||
           p == PAGE_EXECUTE_READWRITE;
}

static const uint32_t valid_bases[] = {
    PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE, PAGE_EXECUTE_READ,
    PAGE_EXECUTE_READWRITE,
};

/* Item 7: zero or two base values, WRITECOPY on private memory, GUARD with
 * NOACCESS or NOCACHE, a modifier alone. */
static const uint32_t invalid_prots[] = {
    0, PAGE_READONLY | PAGE_EXECUTE, PAGE_READWRITE | PAGE_READONLY,
    PAGE_READWRITE | PAGE_EXECUTE_READ, PAGE_WRITECOPY, PAGE_EXECUTE_WRITECOPY,
    PAGE_NOACCESS | PAGE_GUARD, PAGE_GUARD, PAGE_READWRITE | PAGE_NOCACHE | PAGE_GUARD,
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A valid protection; PAGE_GUARD on about one in six (never with NOACCESS). */
static uint32_t gen_prot(void)
{
    uint32_t p = valid_bases[rnd(ARRAY_LEN(valid_bases))];
    if (p != PAGE_NOACCESS && rnd(6) == 0)
        p |= PAGE_GUARD;
    return p;
}

static void model_reset(void)
{
    for (uint32_t i = 0; i < WIN_PAGES; i++)
        mp[i] = (struct mpage){ .state = M_FREE, .alloc = NO_ALLOC };
    memset(mvad, 0, sizeof(mvad));
    m_committed = 0;
    m_live = 0;
}

static void m_reserve(uint32_t s, uint32_t e, bool commit, uint32_t prot)
{
    uint32_t g = s / GRAN_PAGES;
    mvad[g] = (struct mvad){ .pages = (uint16_t)(e - s), .protect = (uint16_t)prot };
    m_live++;
    for (uint32_t i = s; i < e; i++)
        mp[i] = (struct mpage){ .state = commit ? M_COMMITTED : M_RESERVED,
                                .prot = (uint16_t)(commit ? prot : 0), .alloc = (uint16_t)g };
    if (commit)
        m_committed += e - s;
}

/* Item 14/15: committed pages keep their contents, new ones read zero. */
static void m_commit(uint32_t s, uint32_t e, uint32_t prot)
{
    for (uint32_t i = s; i < e; i++) {
        if (mp[i].state == M_RESERVED) {
            mp[i].state = M_COMMITTED;
            mp[i].flags = 0;
            mp[i].val = 0;
            m_committed++;
        }
        mp[i].prot = (uint16_t)prot;
    }
}

static void m_decommit(uint32_t s, uint32_t e)
{
    for (uint32_t i = s; i < e; i++) {
        if (mp[i].state == M_COMMITTED)
            m_committed--;
        if (mp[i].state != M_FREE)
            mp[i] = (struct mpage){ .state = M_RESERVED, .alloc = mp[i].alloc };
    }
}

static void m_release(uint32_t g)
{
    uint32_t s = g * GRAN_PAGES, e = s + mvad[g].pages;
    m_decommit(s, e);
    for (uint32_t i = s; i < e; i++)
        mp[i] = (struct mpage){ .state = M_FREE, .alloc = NO_ALLOC };
    mvad[g].pages = 0;
    mvad[g].protect = 0;
    m_live--;
}

/* Every page of [s, e) belongs to the allocation of page s. */
static bool m_one_alloc(uint32_t s, uint32_t e)
{
    uint16_t a = mp[s].alloc;
    if (a == NO_ALLOC)
        return false;
    for (uint32_t i = s; i < e; i++)
        if (mp[i].alloc != a)
            return false;
    return true;
}

static bool m_all_committed(uint32_t s, uint32_t e)
{
    for (uint32_t i = s; i < e; i++)
        if (mp[i].state != M_COMMITTED)
            return false;
    return true;
}

static bool m_all_free(uint32_t s, uint32_t e)
{
    for (uint32_t i = s; i < e; i++)
        if (mp[i].state != M_FREE)
            return false;
    return true;
}

static bool m_same_region(const struct mpage *a, const struct mpage *b)
{
    return a->state == b->state && a->alloc == b->alloc && a->prot == b->prot;
}

/* Items 45-49: what VirtualQuery must say for page i of the window. */
static void m_region(uint32_t i, MEMORY_BASIC_INFORMATION *want)
{
    const struct mpage *m = &mp[i];
    uint32_t j = i + 1;

    while (j < WIN_PAGES && m_same_region(&mp[j], m))
        j++;
    memset(want, 0, sizeof(*want));
    want->BaseAddress = (PVOID)page_va(i);
    want->RegionSize = (j - i) * PGSIZE;
    if (m->state == M_FREE) {
        if (j == WIN_PAGES)
            want->RegionSize += m_tail_free;
        want->State = MEM_FREE;
        want->Protect = PAGE_NOACCESS;
        return;
    }
    want->AllocationBase = (PVOID)gran_va(m->alloc);
    want->AllocationProtect = mvad[m->alloc].protect;
    want->State = m->state == M_COMMITTED ? MEM_COMMIT : MEM_RESERVE;
    want->Protect = m->state == M_COMMITTED ? m->prot : 0;
    want->Type = MEM_PRIVATE;
}

/* ---- mismatch reporting --------------------------------------------- */

static void op_log(const char *prefix)
{
    ktest_log("%sseed=%u op #%u: %s addr=%08x size=%x type=%x prot=%x", prefix, ktest_seed(),
              op.n, op.name, op.addr, op.size, op.type, op.prot);
}

static void model_page_log(uint32_t va)
{
    if (va < WIN_BASE || va >= WIN_END)
        return;
    const struct mpage *m = &mp[va_page(va)];
    ktest_log("model page %08x: state %u prot %x alloc %08x flags %x val %02x", PGROUNDDOWN(va),
              m->state, m->prot, m->alloc == NO_ALLOC ? 0 : gran_va(m->alloc), m->flags, m->val);
}

/* Reports the first mismatch with its context and leaves the case (ASSERT). */
static void __attribute__((noreturn)) model_fail(int line, uint32_t va, const char *what,
                                                 uint32_t got, uint32_t want)
{
    op_log("MISMATCH ");
    model_page_log(va);
    ktest_fail_msg(mt, __FILE__, line, "%s (va %08x): got 0x%x, model expects 0x%x", what, va,
                   got, want);
    ktest_leave(mt);
}

#define MEQ(va, what, got, want)                                              \
    do {                                                                      \
        uint32_t got_ = (uint32_t)(got), want_ = (uint32_t)(want);            \
        if (got_ != want_)                                                    \
            model_fail(__LINE__, (va), (what), got_, want_);                  \
    } while (0)

/* Gives the case's address space back (also after an ASSERT left a case). */
static void model_space_put(void)
{
    if (model_as == NULL)
        return;
    vm_switch(vm_kernel_space());
    vm_space_destroy(model_as);
    model_as = NULL;
}

static bool model_space_get(void)
{
    model_space_put();
    model_as = vm_space_create();
    if (model_as == NULL)
        return false;
    vm_switch(model_as);
    return true;
}

/* ---- verification ---------------------------------------------------- */

static void check_query(uint32_t q, const MEMORY_BASIC_INFORMATION *want)
{
    MEMORY_BASIC_INFORMATION got;

    memset(&got, 0xA5, sizeof(got));
    SIZE_T n = VirtualQuery((LPCVOID)q, &got, sizeof(got));
    MEQ(q, "VirtualQuery result", n, sizeof(got));
    MEQ(q, "VirtualQuery BaseAddress", got.BaseAddress, want->BaseAddress);
    MEQ(q, "VirtualQuery State", got.State, want->State);
    MEQ(q, "VirtualQuery Protect", got.Protect, want->Protect);
    MEQ(q, "VirtualQuery AllocationBase", got.AllocationBase, want->AllocationBase);
    MEQ(q, "VirtualQuery AllocationProtect", got.AllocationProtect, want->AllocationProtect);
    MEQ(q, "VirtualQuery Type", got.Type, want->Type);
    MEQ(q, "VirtualQuery RegionSize", got.RegionSize, want->RegionSize);
}

/* VirtualQuery region by region over pages [s, e), at a random byte of
 * each region's first page (item 45: BaseAddress is that page). */
static void check_regions(uint32_t s, uint32_t e)
{
    MEMORY_BASIC_INFORMATION want;

    for (uint32_t i = s; i < e;) {
        m_region(i, &want);
        check_query(page_va(i) + rnd(PGSIZE), &want);
        uint32_t n = want.RegionSize / PGSIZE;
        i = n >= WIN_PAGES - i ? WIN_PAGES : i + n;
    }
}

/* A PTE may be present only for a committed page that was accessed and is
 * accessible now; then it is a user PTE, writable iff the protection is. */
static void check_ptes(uint32_t s, uint32_t e)
{
    for (uint32_t i = s; i < e; i++) {
        const struct mpage *m = &mp[i];
        uint32_t va = page_va(i);
        pte_t pte = paging_query(va);
        if (!(pte & PTE_P))
            continue;
        bool may = m->state == M_COMMITTED && (m->flags & MP_TOUCHED) &&
                   !(m->prot & PAGE_GUARD) && (m->prot & 0xFF) != PAGE_NOACCESS;
        if (!may)
            MEQ(va, "present PTE on a page that must not be mapped", pte, 0);
        MEQ(va, "PTE_U of a present user PTE", pte & PTE_U, PTE_U);
        MEQ(va, "PTE_W of a present user PTE", pte & PTE_W, prot_writable(m->prot) ? PTE_W : 0);
    }
}

static void check_range(uint32_t s, uint32_t e)
{
    if (s > 0)
        s--;
    if (e < WIN_PAGES)
        e++;
    check_regions(s, e);
    check_ptes(s, e);
}

/* ---- touching pages -------------------------------------------------- */

static bool __attribute__((noinline)) try_read(uint32_t va, uint32_t *out, struct fault_record *rec)
{
    volatile uint32_t v = 0xDEADBEEF;
    CATCH_FAULT(rec, v = *(volatile uint32_t *)va);
    *out = v;
    return rec->vector == FAULT_NONE;
}

static bool __attribute__((noinline)) try_write(uint32_t va, uint32_t val, struct fault_record *rec)
{
    CATCH_FAULT(rec, *(volatile uint32_t *)va = val);
    return rec->vector == FAULT_NONE;
}

/* The fault an access at va must have raised, with the exception record
 * the VM layer keeps (items 51, 54-55). */
static void check_fault(uint32_t va, bool write, const struct fault_record *rec, NTSTATUS code)
{
    const struct vm_exception *x = vm_last_exception();

    MEQ(va, "fault vector", rec->vector, T_PF);
    MEQ(va, "fault CR2", rec->cr2, va);
    MEQ(va, "fault error code W bit", rec->error & PF_W, write ? PF_W : 0);
    MEQ(va, "exception code", x->code, code);
    MEQ(va, "exception address", x->address, va);
    MEQ(va, "exception access", x->access, write ? EXCEPTION_WRITE_FAULT : EXCEPTION_READ_FAULT);
}

/* A word read at offset off of page i, compared with the model. */
static void check_word(uint32_t i, uint32_t off, uint32_t got)
{
    struct mpage *m = &mp[i];
    uint32_t want = (off == 0 || off == PGSIZE - 4) ? word_for(i, m->val) : 0;

    if ((m->flags & MP_RESET) && got == 0 && want != 0) {
        /* Item 22: a reset page may come back as zeros; from now on it is. */
        m->val = 0;
        m->flags &= ~MP_RESET;
        want = 0;
    }
    MEQ(page_va(i) + off, "page contents", got, want);
}

enum touch_expect { T_OK, T_AV, T_GUARD, T_EITHER };

static enum touch_expect m_touch_expect(const struct mpage *m, bool write)
{
    if (m->state != M_COMMITTED)
        return T_AV;
    if (m->prot & PAGE_GUARD)
        return T_GUARD;
    if (write)
        return prot_writable(m->prot) ? T_OK : T_AV;
    if ((m->prot & 0xFF) == PAGE_EXECUTE)
        return T_EITHER;            /* item 41: no NX, execute may read */
    return prot_readable(m->prot) ? T_OK : T_AV;
}

static uint32_t stat_faults, stat_guards;

/* One access to page i (a read, or a write of value), checked against the
 * model; a guard page faults once, loses the guard, and the access is
 * retried as a continued exception would (item 56).  Returns true when
 * the access went through. */
static bool touch_page(uint32_t i, uint32_t off, bool write, uint32_t value)
{
    struct mpage *m = &mp[i];
    uint32_t va = page_va(i) + off;

    for (;;) {
        struct fault_record rec;
        uint32_t got = 0;
        enum touch_expect want = m_touch_expect(m, write);

        vm_clear_last_exception();
        bool ok = write ? try_write(va, value, &rec) : try_read(va, &got, &rec);
        if (m->state == M_COMMITTED)
            m->flags |= MP_TOUCHED;
        if (!ok)
            stat_faults++;
        if (want == T_GUARD) {
            MEQ(va, "guard page access went through", ok, false);
            check_fault(va, write, &rec, STATUS_GUARD_PAGE_VIOLATION);
            m->prot &= ~PAGE_GUARD;         /* item 54: one shot */
            stat_guards++;
            continue;
        }
        if (want == T_AV || (want == T_EITHER && !ok)) {
            MEQ(va, write ? "write went through" : "read went through", ok, false);
            check_fault(va, write, &rec, STATUS_ACCESS_VIOLATION);
            return false;
        }
        MEQ(va, write ? "write faulted" : "read faulted", ok, true);
        if (!write)
            check_word(i, off, got);
        return true;
    }
}

static void touch_read(uint32_t i)
{
    uint32_t off = rnd(PGSIZE / 4) * 4;

    if (!touch_page(i, off, false, 0))
        return;
    /* Accessible now: both content words must read back as modelled. */
    for (uint32_t k = 0; k < 2; k++) {
        uint32_t o = k == 0 ? 0 : PGSIZE - 4, got;
        struct fault_record rec;
        MEQ(page_va(i) + o, "second read faulted", try_read(page_va(i) + o, &got, &rec), true);
        check_word(i, o, got);
    }
}

static void touch_write(uint32_t i)
{
    uint32_t off = rnd(PGSIZE / 4) * 4;
    uint8_t v = (uint8_t)(1 + rnd(255));
    bool edge = off == 0 || off == PGSIZE - 4;

    /* The first store keeps the model's contents (zero in the middle of
     * the page); then both content words get the new tag. */
    if (!touch_page(i, off, true, edge ? word_for(i, v) : 0))
        return;
    for (uint32_t k = 0; k < 2; k++) {
        uint32_t o = k == 0 ? 0 : PGSIZE - 4;
        struct fault_record rec;
        MEQ(page_va(i) + o, "second write faulted", try_write(page_va(i) + o, word_for(i, v), &rec),
            true);
    }
    mp[i].val = v;
    mp[i].flags &= ~MP_RESET;
}

/* Reads both content words of every page that was accessed and is
 * readable now (no new demand-zero faults, no guard consumed). */
static void check_contents(void)
{
    for (uint32_t i = 0; i < WIN_PAGES; i++) {
        const struct mpage *m = &mp[i];
        if (m->state != M_COMMITTED || !(m->flags & MP_TOUCHED) || (m->prot & PAGE_GUARD) ||
            !prot_readable(m->prot))
            continue;
        for (uint32_t k = 0; k < 2; k++) {
            uint32_t o = k == 0 ? 0 : PGSIZE - 4, got;
            struct fault_record rec;
            MEQ(page_va(i) + o, "sweep read faulted", try_read(page_va(i) + o, &got, &rec), true);
            check_word(i, o, got);
        }
    }
}

/* ---- operation generators ------------------------------------------- */

static uint32_t gen_pages(void)
{
    uint32_t r = rnd(100);
    if (r < 45)
        return 1 + rnd(4);
    if (r < 75)
        return 1 + rnd(16);
    if (r < 94)
        return 1 + rnd(64);
    return 1 + rnd(256);
}

/* A random live allocation (its granule), or NO_ALLOC. */
static uint32_t pick_alloc(void)
{
    uint32_t g0 = rnd(WIN_GRANS);
    for (uint32_t k = 0; k < WIN_GRANS; k++) {
        uint32_t g = (g0 + k) % WIN_GRANS;
        if (mvad[g].pages != 0)
            return g;
    }
    return NO_ALLOC;
}

/* A granule whose pages are all free, or NO_ALLOC. */
static uint32_t pick_free_granule(void)
{
    uint32_t g0 = rnd(WIN_GRANS);
    for (uint32_t k = 0; k < WIN_GRANS; k++) {
        uint32_t g = (g0 + k) % WIN_GRANS;
        if (m_all_free(g * GRAN_PAGES, (g + 1) * GRAN_PAGES))
            return g;
    }
    return NO_ALLOC;
}

/* A page: mostly at, in or just past a live allocation. */
static uint32_t gen_page(void)
{
    if (rnd(10) < 7) {
        uint32_t g = pick_alloc();
        if (g != NO_ALLOC) {
            uint32_t s = g * GRAN_PAGES, len = mvad[g].pages, r = rnd(10);
            uint32_t p = r < 2 ? s : r < 8 ? s + rnd(len) : s + len + rnd(GRAN_PAGES);
            return p < WIN_PAGES ? p : WIN_PAGES - 1;
        }
    }
    return rnd(WIN_PAGES);
}

/* A page range inside one live allocation (most commits, decommits and
 * protections are meant to succeed); false when there is none. */
static bool gen_in_alloc(uint32_t *p, uint32_t *pages)
{
    uint32_t g = pick_alloc();
    if (g == NO_ALLOC)
        return false;
    uint32_t len = mvad[g].pages, first = rnd(4) == 0 ? 0 : rnd(len);
    *p = g * GRAN_PAGES + first;
    *pages = rnd(3) == 0 ? len - first : 1 + rnd(len - first);
    return true;
}

/* A byte range from page p over about `pages` pages, sometimes with
 * unaligned ends, clipped to the window. */
static void gen_range(uint32_t p, uint32_t pages)
{
    uint32_t a = page_va(p) + (rnd(4) == 0 ? rnd(PGSIZE) : 0);
    uint32_t end = page_va(p) + pages * PGSIZE - (rnd(4) == 0 ? rnd(PGSIZE) : 0);

    if (end > WIN_END)
        end = WIN_END;
    if (end <= a)
        end = a + 1;
    op.addr = a;
    op.size = end - a;
}

/* A range for commit, decommit, protect: mostly inside an allocation. */
static void gen_target_range(void)
{
    uint32_t p, pages;
    if (rnd(10) < 6 && gen_in_alloc(&p, &pages))
        gen_range(p, pages);
    else
        gen_range(gen_page(), gen_pages());
}

/* Pages touched by [op.addr, op.addr + op.size). */
static void op_pages(uint32_t *s, uint32_t *e)
{
    *s = va_page(op.addr);
    *e = va_page(PGROUNDUP(op.addr + op.size));
}

/* ---- the operations -------------------------------------------------- */

static uint32_t pick_committed(void);

static uint32_t stat_ok, stat_failed;

static void expect_alloc(LPVOID got, uint32_t want_base, DWORD want_err)
{
    if (want_base != 0) {
        MEQ(op.addr, "VirtualAlloc result", got, want_base);
        stat_ok++;
    } else {
        DWORD err = GetLastError();
        MEQ(op.addr, "VirtualAlloc result", got, 0);
        MEQ(op.addr, "VirtualAlloc GetLastError", err, want_err);
        stat_failed++;
    }
}

static void expect_bool(BOOL got, DWORD want_err, const char *what)
{
    if (want_err == 0) {
        MEQ(op.addr, what, got, TRUE);
        stat_ok++;
    } else {
        DWORD err = GetLastError();
        MEQ(op.addr, what, got, FALSE);
        MEQ(op.addr, "GetLastError", err, want_err);
        stat_failed++;
    }
}

/* Items 8-10: reserve (and commit) at an explicit address. */
static void op_reserve(bool commit, uint32_t *cs, uint32_t *ce)
{
    uint32_t g = rnd(2) == 0 ? pick_free_granule() : NO_ALLOC;
    uint32_t p = g != NO_ALLOC ? g * GRAN_PAGES + (rnd(3) == 0 ? rnd(GRAN_PAGES) : 0) : gen_page();

    op.name = commit ? "VirtualAlloc(RESERVE|COMMIT)" : "VirtualAlloc(RESERVE)";
    op.type = commit ? MEM_RESERVE | MEM_COMMIT : MEM_RESERVE;
    op.prot = gen_prot();
    gen_range(p, gen_pages());
    uint32_t base = op.addr & ~(VM_GRANULARITY - 1), s, e;
    op_pages(&s, &e);
    s = va_page(base);
    bool ok = m_all_free(s, e);
    SetLastError(0);
    LPVOID r = VirtualAlloc((LPVOID)op.addr, op.size, op.type, op.prot);
    expect_alloc(r, ok ? base : 0, ERROR_INVALID_ADDRESS);
    if (ok)
        m_reserve(s, e, commit, op.prot);
    *cs = s;
    *ce = e;
}

/* Items 11-12, 14-16: commit inside a reservation. */
static void op_commit(uint32_t *s, uint32_t *e)
{
    op.name = "VirtualAlloc(COMMIT)";
    op.type = MEM_COMMIT;
    op.prot = gen_prot();
    gen_target_range();
    op_pages(s, e);
    bool ok = m_one_alloc(*s, *e);
    SetLastError(0);
    LPVOID r = VirtualAlloc((LPVOID)op.addr, op.size, op.type, op.prot);
    expect_alloc(r, ok ? page_va(*s) : 0, ERROR_INVALID_ADDRESS);
    if (ok)
        m_commit(*s, *e, op.prot);
}

/* Items 29-33. */
static void op_decommit(uint32_t *s, uint32_t *e)
{
    DWORD err = 0;

    op.name = "VirtualFree(DECOMMIT)";
    op.type = MEM_DECOMMIT;
    op.prot = 0;
    gen_target_range();
    if (rnd(5) == 0)
        op.size = 0;
    op_pages(s, e);
    if (mp[*s].state == M_FREE) {
        err = ERROR_INVALID_ADDRESS;                /* item 32 */
    } else if (op.size == 0) {
        uint32_t g = mp[*s].alloc;                  /* item 30 */
        if (*s == g * GRAN_PAGES)
            *e = *s + mvad[g].pages;
        else
            err = ERROR_INVALID_ADDRESS;
    } else if (!m_one_alloc(*s, *e)) {
        err = ERROR_INVALID_PARAMETER;              /* item 31 */
    }
    if (*e <= *s)
        *e = *s + 1;
    SetLastError(0);
    BOOL r = VirtualFree((LPVOID)op.addr, op.size, MEM_DECOMMIT);
    expect_bool(r, err, "VirtualFree(DECOMMIT) result");
    if (err == 0)
        m_decommit(*s, *e);
}

/* Items 26-28. */
static void op_release(uint32_t *s, uint32_t *e)
{
    uint32_t g = pick_alloc(), r = rnd(100);
    DWORD err = 0;

    op.name = "VirtualFree(RELEASE)";
    op.type = MEM_RELEASE;
    op.prot = 0;
    op.size = 0;
    if (g != NO_ALLOC && r < 70)
        op.addr = gran_va(g) + (rnd(3) == 0 ? rnd(PGSIZE) : 0);
    else if (g != NO_ALLOC && r < 85 && mvad[g].pages > 1)
        op.addr = gran_va(g) + (1 + rnd(mvad[g].pages - 1)) * PGSIZE + rnd(PGSIZE);
    else
        op.addr = page_va(gen_page()) + (rnd(2) ? rnd(PGSIZE) : 0);
    *s = va_page(op.addr);
    *e = *s + 1;
    uint32_t a = mp[*s].alloc;
    if (a == NO_ALLOC)
        err = ERROR_INVALID_ADDRESS;                /* item 28 */
    else if (*s != a * GRAN_PAGES)
        err = ERROR_INVALID_ADDRESS;                /* item 26: not at base */
    SetLastError(0);
    BOOL ok = VirtualFree((LPVOID)op.addr, 0, MEM_RELEASE);
    expect_bool(ok, err, "VirtualFree(RELEASE) result");
    if (err == 0) {
        *e = *s + mvad[a].pages;
        m_release(a);
    }
}

/* Items 34-35, 38-39, 59. */
static void op_protect(uint32_t *s, uint32_t *e)
{
    DWORD old = 0xBADBAD;

    op.name = "VirtualProtect";
    op.type = 0;
    op.prot = gen_prot();
    gen_target_range();
    op_pages(s, e);
    bool ok = m_one_alloc(*s, *e) && m_all_committed(*s, *e);
    uint32_t want_old = mp[*s].prot;
    SetLastError(0);
    BOOL r = VirtualProtect((LPVOID)op.addr, op.size, op.prot, &old);
    expect_bool(r, ok ? 0 : ERROR_INVALID_ADDRESS, "VirtualProtect result");
    if (ok) {
        MEQ(op.addr, "VirtualProtect old protection", old, want_old);
        for (uint32_t i = *s; i < *e; i++)
            mp[i].prot = (uint16_t)op.prot;
    }
}

/* Items 21-24: MEM_RESET of a range that starts inside an allocation. */
static void op_reset(uint32_t *s, uint32_t *e)
{
    uint32_t p = gen_page();

    op.name = "VirtualAlloc(RESET)";
    if (mp[p].state == M_FREE) {
        uint32_t g = pick_alloc();
        if (g == NO_ALLOC)
            return;
        p = g * GRAN_PAGES + rnd(mvad[g].pages);
    }
    op.type = MEM_RESET;
    op.prot = gen_prot();
    gen_range(p, gen_pages());
    op_pages(s, e);
    bool ok = m_one_alloc(*s, *e);
    SetLastError(0);
    LPVOID r = VirtualAlloc((LPVOID)op.addr, op.size, MEM_RESET, op.prot);
    expect_alloc(r, ok ? page_va(*s) : 0, ERROR_INVALID_ADDRESS);
    if (ok)
        for (uint32_t i = *s; i < *e; i++)
            if (mp[i].state == M_COMMITTED)
                mp[i].flags |= MP_RESET;
}

static void op_touch(bool write, uint32_t *s, uint32_t *e)
{
    op.name = write ? "touch write" : "touch read";
    op.type = 0;
    op.prot = 0;
    *s = rnd(2) ? pick_committed() : NO_ALLOC;
    if (*s == NO_ALLOC)
        *s = gen_page();
    *e = *s + 1 + rnd(rnd(4) == 0 ? 32 : 4);
    if (*e > WIN_PAGES)
        *e = WIN_PAGES;
    op.addr = page_va(*s);
    op.size = (*e - *s) * PGSIZE;
    for (uint32_t i = *s; i < *e; i++) {
        if (write)
            touch_write(i);
        else
            touch_read(i);
    }
}

static void check_stats_charge(uint32_t charge0, uint32_t extra)
{
    struct vm_stats st;
    vm_get_stats(&st);
    MEQ(op.addr, "committed_pages - start", st.committed_pages - charge0, m_committed + extra);
}

/* Items 8, 13, 18: the system picks the address; checked, then released
 * again at once, so the model does not change. */
static void op_null_alloc(uint32_t charge0, uint32_t *s, uint32_t *e)
{
    static const uint32_t types[] = { MEM_RESERVE, MEM_RESERVE | MEM_COMMIT, MEM_COMMIT };
    bool top = rnd(3) == 0;
    MEMORY_BASIC_INFORMATION want, got;

    op.name = top ? "VirtualAlloc(NULL, TOP_DOWN)" : "VirtualAlloc(NULL)";
    op.type = types[rnd(3)] | (top ? MEM_TOP_DOWN : 0);
    op.prot = gen_prot();
    op.addr = 0;
    op.size = gen_pages() * PGSIZE - (rnd(3) == 0 ? rnd(PGSIZE) : 0);
    bool commit = (op.type & MEM_COMMIT) != 0;
    uint32_t rs = PGROUNDUP(op.size);
    SetLastError(0);
    uint32_t b = (uint32_t)VirtualAlloc(NULL, op.size, op.type, op.prot);
    op.addr = b;
    if (b == 0)
        model_fail(__LINE__, 0, "VirtualAlloc(NULL) failed, GetLastError", GetLastError(), 0);
    MEQ(b, "VirtualAlloc(NULL) base alignment", b % VM_GRANULARITY, 0);
    MEQ(b, "VirtualAlloc(NULL) base >= lpMinimumApplicationAddress", b >= USER_MIN, true);
    MEQ(b, "VirtualAlloc(NULL) end <= lpMaximumApplicationAddress + 1", b + rs <= USER_TOP && b + rs > b,
        true);
    for (uint32_t va = b; va < b + rs; va += PGSIZE)
        if (va >= WIN_BASE && va < WIN_END)
            MEQ(va, "VirtualAlloc(NULL) overlaps a modelled allocation", mp[va_page(va)].state, M_FREE);
    if (top) {
        if (m_top_free)     /* item 18: the highest aligned base that fits */
            MEQ(b, "MEM_TOP_DOWN base", b, (USER_TOP - rs) & ~(VM_GRANULARITY - 1));
        else
            MEQ(b, "MEM_TOP_DOWN base above the window", b >= WIN_END, true);
    }
    check_stats_charge(charge0, commit ? rs / PGSIZE : 0);
    uint32_t q = b + rnd(rs);
    memset(&want, 0, sizeof(want));
    want.BaseAddress = (PVOID)PGROUNDDOWN(q);
    want.AllocationBase = (PVOID)b;
    want.AllocationProtect = op.prot;
    want.RegionSize = b + rs - PGROUNDDOWN(q);
    want.State = commit ? MEM_COMMIT : MEM_RESERVE;
    want.Protect = commit ? op.prot : 0;
    want.Type = MEM_PRIVATE;
    check_query(q, &want);
    if (commit && !(op.prot & PAGE_GUARD) && prot_readable(op.prot)) {
        uint32_t v;
        struct fault_record rec;
        MEQ(b, "read of a fresh commit faulted", try_read(b + rs - 4, &v, &rec), true);
        MEQ(b, "fresh commit reads zero", v, 0);
        if (prot_writable(op.prot)) {
            MEQ(b, "write of a fresh commit faulted", try_write(b, 0x5EED, &rec), true);
            MEQ(b, "read back", try_read(b, &v, &rec) ? v : 0, 0x5EED);
        }
    }
    SetLastError(0);
    BOOL r = VirtualFree((LPVOID)b, 0, MEM_RELEASE);
    MEQ(b, "VirtualFree(RELEASE) of the NULL allocation", r, TRUE);
    memset(&got, 0, sizeof(got));
    MEQ(b, "VirtualQuery after release", VirtualQuery((LPCVOID)b, &got, sizeof(got)), sizeof(got));
    MEQ(b, "State after release", got.State, MEM_FREE);
    MEQ(b, "PTE after release", paging_query(b) & PTE_P, 0);
    check_stats_charge(charge0, 0);
    if (b >= WIN_BASE && b < WIN_END) {
        *s = va_page(b);
        *e = b + rs <= WIN_END ? va_page(b + rs) : WIN_PAGES;
    }
}

/* A committed page in the window, or NO_ALLOC. */
static uint32_t pick_committed(void)
{
    uint32_t p0 = rnd(WIN_PAGES);
    for (uint32_t k = 0; k < WIN_PAGES; k++) {
        uint32_t p = (p0 + k) % WIN_PAGES;
        if (mp[p].state == M_COMMITTED)
            return p;
    }
    return NO_ALLOC;
}

/* Clearly specified invalid parameters on an otherwise valid call: the
 * call fails with its code and nothing changes (items 5-7, 19-20, 25-26,
 * 36-37, 43-44). */
static void op_bad_param(uint32_t *s, uint32_t *e)
{
    uint32_t g = pick_alloc(), fg = pick_free_granule(), c = pick_committed(), kind = rnd(15);
    uint32_t bad = invalid_prots[rnd(ARRAY_LEN(invalid_prots))];
    DWORD old = 0, err;
    BOOL r;
    LPVOID p;
    MEMORY_BASIC_INFORMATION mbi;

    op.type = 0;
    op.prot = 0;
    op.size = 0;
    SetLastError(0);
    if ((kind <= 1 || kind == 3 || kind == 5) && fg == NO_ALLOC)
        kind = 11;
    if ((kind == 2 || kind == 4 || kind == 6 || kind == 7) && g == NO_ALLOC)
        kind = 11;
    if ((kind == 8 || kind == 9) && c == NO_ALLOC)
        kind = 11;
    if ((kind == 12 || kind == 14) && g == NO_ALLOC)
        kind = 11;
    switch (kind) {
    case 0: /* item 7 */
    case 1:
        op.name = "VirtualAlloc(RESERVE, invalid protection)";
        op.addr = gran_va(fg);
        op.size = VM_GRANULARITY;
        op.type = kind == 0 ? MEM_RESERVE : MEM_RESERVE | MEM_COMMIT;
        op.prot = bad;
        break;
    case 2:
        op.name = "VirtualAlloc(COMMIT, invalid protection)";
        op.addr = gran_va(g);
        op.size = PGSIZE;
        op.type = MEM_COMMIT;
        op.prot = bad;
        break;
    case 3: /* item 6 and 19 */
        op.name = "VirtualAlloc(invalid type)";
        op.addr = gran_va(fg);
        op.size = PGSIZE;
        op.type = rnd(2) ? 0 : MEM_RESERVE | AT_ROUND_TO_PAGE;
        op.prot = PAGE_READWRITE;
        break;
    case 4: /* item 5 */
        op.name = "VirtualAlloc(size 0)";
        op.addr = gran_va(g);
        op.type = MEM_COMMIT;
        op.prot = PAGE_READWRITE;
        break;
    case 5: /* item 5 */
        op.name = "VirtualAlloc(RESERVE, size 0)";
        op.addr = gran_va(fg);
        op.type = MEM_RESERVE;
        op.prot = PAGE_READWRITE;
        break;
    case 6: /* item 20 */
        op.name = "VirtualAlloc(RESET|COMMIT)";
        op.addr = gran_va(g);
        op.size = PGSIZE;
        op.type = MEM_RESET | MEM_COMMIT;
        op.prot = PAGE_READWRITE;
        break;
    case 7: { /* items 25, 26 */
        static const uint32_t types[] = { 0, MEM_FREE, MEM_DECOMMIT | MEM_RELEASE, MEM_RELEASE };
        op.name = "VirtualFree(invalid type or size)";
        op.addr = gran_va(g);
        op.type = types[rnd(4)];
        op.size = op.type == MEM_RELEASE ? 1 + rnd(mvad[g].pages * PGSIZE) : 0;
        *s = g * GRAN_PAGES;
        *e = *s + mvad[g].pages;
        r = VirtualFree((LPVOID)op.addr, op.size, op.type);
        expect_bool(r, ERROR_INVALID_PARAMETER, "VirtualFree result");
        return;
    }
    case 8: /* item 37 */
    case 9: /* item 36 */
        op.name = kind == 8 ? "VirtualProtect(invalid protection)" : "VirtualProtect(old NULL)";
        op.addr = page_va(c);
        op.size = PGSIZE;
        op.prot = kind == 8 ? bad : PAGE_READONLY;
        *s = c;
        *e = c + 1;
        r = VirtualProtect((LPVOID)op.addr, op.size, op.prot, kind == 8 ? &old : NULL);
        expect_bool(r, kind == 8 ? ERROR_INVALID_PARAMETER : ERROR_NOACCESS, "VirtualProtect result");
        return;
    case 10: /* item 43 */
        op.name = "VirtualQuery(short buffer)";
        op.addr = page_va(rnd(WIN_PAGES));
        op.size = sizeof(mbi) - 1 - rnd(sizeof(mbi));
        *s = va_page(op.addr);
        *e = *s + 1;
        MEQ(op.addr, "VirtualQuery(short buffer)", VirtualQuery((LPCVOID)op.addr, &mbi, op.size), 0);
        err = GetLastError();
        MEQ(op.addr, "GetLastError", err, ERROR_BAD_LENGTH);
        stat_failed++;
        return;
    case 12: /* item 17: no free range that large (the window splits the space) */
        op.name = "VirtualAlloc(NULL, 1.75 GiB)";
        op.addr = 0;
        op.size = 0x70000000;
        op.type = rnd(2) ? MEM_RESERVE : MEM_RESERVE | MEM_TOP_DOWN;
        op.prot = PAGE_READWRITE;
        p = VirtualAlloc(NULL, op.size, op.type, op.prot);
        expect_alloc(p, 0, ERROR_NOT_ENOUGH_MEMORY);
        return;
    case 13: /* item 17: larger than the whole user space */
        op.name = "VirtualAlloc(NULL, more than the user space)";
        op.addr = 0;
        op.size = rnd(2) ? USER_TOP : 0xFFFFF000u + rnd(PGSIZE);
        op.type = rnd(2) ? MEM_RESERVE : MEM_RESERVE | MEM_COMMIT;
        op.prot = PAGE_READWRITE;
        p = VirtualAlloc(NULL, op.size, op.type, op.prot);
        expect_alloc(p, 0, ERROR_INVALID_PARAMETER);
        return;
    case 14: { /* a range that wraps past 4 GiB: fails, changes nothing */
        static const char *const names[] = { "VirtualAlloc(COMMIT, wrapping size)",
                                             "VirtualFree(DECOMMIT, wrapping size)",
                                             "VirtualProtect(wrapping size)" };
        uint32_t which = rnd(3);
        op.name = names[which];
        op.addr = gran_va(g) + rnd(mvad[g].pages) * PGSIZE;
        op.size = 0u - op.addr + PGSIZE * rnd(4) + rnd(PGSIZE);
        op.prot = PAGE_READWRITE;
        *s = g * GRAN_PAGES;
        *e = *s + mvad[g].pages;
        if (which == 0)
            r = VirtualAlloc((LPVOID)op.addr, op.size, MEM_COMMIT, op.prot) != NULL;
        else if (which == 1)
            r = VirtualFree((LPVOID)op.addr, op.size, MEM_DECOMMIT);
        else
            r = VirtualProtect((LPVOID)op.addr, op.size, op.prot, &old);
        err = GetLastError();
        MEQ(op.addr, "call with a wrapping range succeeded", r, FALSE);
        /* The spec names no code for this; one of its two address errors. */
        if (err != ERROR_INVALID_ADDRESS)
            MEQ(op.addr, "GetLastError (87 or 487)", err, ERROR_INVALID_PARAMETER);
        stat_failed++;
        return;
    }
    default: /* item 44, and item 2 */
        op.name = "VirtualQuery(kernel address / NULL)";
        op.addr = KERNEL_BASE + rnd(0x10000000) * 4;
        MEQ(op.addr, "VirtualQuery(kernel address)", VirtualQuery((LPCVOID)op.addr, &mbi, sizeof(mbi)),
            0);
        err = GetLastError();
        MEQ(op.addr, "GetLastError", err, ERROR_INVALID_PARAMETER);
        op.addr = rnd(USER_MIN);
        MEQ(op.addr, "VirtualQuery(NULL page)", VirtualQuery((LPCVOID)op.addr, &mbi, sizeof(mbi)),
            sizeof(mbi));
        MEQ(op.addr, "VirtualQuery(NULL page) State", mbi.State, MEM_FREE);
        MEQ(op.addr, "VirtualQuery(NULL page) AllocationBase", mbi.AllocationBase, 0);
        MEQ(op.addr, "VirtualQuery(NULL page) BaseAddress", mbi.BaseAddress, PGROUNDDOWN(op.addr));
        stat_failed++;
        return;
    }
    p = VirtualAlloc((LPVOID)op.addr, op.size, op.type, op.prot);
    expect_alloc(p, 0, ERROR_INVALID_PARAMETER);
    *s = va_page(op.addr);
    *e = *s + GRAN_PAGES;
}

/* ---- case 1: the random stream --------------------------------------- */

enum { K_RESERVE, K_RESERVE_COMMIT, K_COMMIT, K_DECOMMIT, K_RELEASE, K_PROTECT, K_READ, K_WRITE,
       K_RESET, K_NULL, K_BAD, K_PROBE, K_KINDS };
/* Percent weights of the kinds above. */
static const uint8_t kind_weight[K_KINDS] = { 9, 8, 14, 8, 7, 14, 13, 13, 4, 2, 5, 3 };

/* The density of the window drifts: every 5000 operations a new target
 * number of live allocations; reserves and releases steer towards it. */
static uint32_t gen_kind(void)
{
    static const uint32_t targets[] = { 8, 48, 120, 220 };
    uint32_t r = rnd(100), k = 0;

    if (op.n % 5000 == 1)
        m_target = targets[rnd(ARRAY_LEN(targets))];
    while (k < K_KINDS - 1 && r >= kind_weight[k])
        r -= kind_weight[k++];
    if ((k == K_RESERVE || k == K_RESERVE_COMMIT) && m_live > m_target && rnd(2))
        k = K_RELEASE;
    else if (k == K_RELEASE && m_live < m_target && rnd(2))
        k = rnd(2) ? K_RESERVE : K_RESERVE_COMMIT;
    return k;
}

static void model_sweep(struct ktest *t, uint32_t charge0)
{
    check_regions(0, WIN_PAGES);
    check_ptes(0, WIN_PAGES);
    check_contents();
    check_stats_charge(charge0, 0);
    int broken = vm_validate(vm_current());
    if (broken != 0)
        op_log("vm_validate failed after ");
    EXPECT_EQ(t, broken, 0);
}

static void model_run_one(uint32_t kind, uint32_t charge0)
{
    uint32_t s = 0, e = 0;

    switch (kind) {
    case K_RESERVE:
    case K_RESERVE_COMMIT:
        op_reserve(kind == K_RESERVE_COMMIT, &s, &e);
        break;
    case K_COMMIT:
        op_commit(&s, &e);
        break;
    case K_DECOMMIT:
        op_decommit(&s, &e);
        break;
    case K_RELEASE:
        op_release(&s, &e);
        break;
    case K_PROTECT:
        op_protect(&s, &e);
        break;
    case K_READ:
    case K_WRITE:
        op_touch(kind == K_WRITE, &s, &e);
        break;
    case K_RESET:
        op_reset(&s, &e);
        break;
    case K_NULL:
        op_null_alloc(charge0, &s, &e);
        break;
    case K_BAD:
        op_bad_param(&s, &e);
        break;
    default:
        op.name = "probe";
        op.addr = op.size = op.type = op.prot = 0;
        if (rnd(4) == 0)
            vm_zero_pool_refill();      /* later demand-zero faults take pool frames */
        break;
    }
    if (op.n >= MODEL_TRACE_FROM)
        op_log("");
    if (e > WIN_PAGES)
        e = WIN_PAGES;
    if (s < e)
        check_range(s, e);
    uint32_t p = rnd(WIN_PAGES);            /* plus a random probe */
    check_range(p, p + 1);
}

/* Releases about half of the live allocations through the API; the rest
 * is left to vm_space_destroy (both paths must give everything back). */
static void model_release_half(void)
{
    op.name = "final release";
    for (uint32_t g = 0; g < WIN_GRANS; g++) {
        if (mvad[g].pages == 0 || rnd(2) == 0)
            continue;
        op.addr = gran_va(g);
        MEQ(op.addr, "final VirtualFree(RELEASE)", VirtualFree((LPVOID)op.addr, 0, MEM_RELEASE), TRUE);
        m_release(g);
    }
}

static uint32_t frames_now(void)
{
    return pmm_free_count() + vm_pool_frames();
}

static uint32_t page_tables_now(void)
{
    struct paging_stats ps;
    paging_get_stats(&ps);
    return ps.page_tables;
}

static void model_random_operations(struct ktest *t)
{
    struct vm_stats st0, st;
    MEMORY_BASIC_INFORMATION mbi;
    uint32_t counts[K_KINDS] = { 0 };

    mt = t;
    model_space_put();
    ktest_log("seed=%u (rerun: test=vm_model seed=%u)", ktest_seed(), ktest_seed());
    uint32_t frames0 = frames_now(), pts0 = page_tables_now();
    vm_get_stats(&st0);
    ASSERT_TRUE(t, model_space_get());
    model_reset();
    stat_ok = stat_failed = stat_faults = stat_guards = 0;
    op = (struct mop){ .name = "setup" };

    /* Items 1-3: the geometry the model assumes. */
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    ASSERT_EQ(t, si.dwPageSize, PGSIZE);
    ASSERT_EQ(t, si.dwAllocationGranularity, VM_GRANULARITY);
    ASSERT_EQ(t, (uint32_t)si.lpMinimumApplicationAddress, 0x10000);
    ASSERT_EQ(t, (uint32_t)si.lpMaximumApplicationAddress, 0x7FFEFFFF);
    ASSERT_EQ(t, (uint32_t)si.lpMaximumApplicationAddress + 1, USER_TOP);

    /* The window is free, and so is what lies past it. */
    ASSERT_EQ(t, VirtualQuery((LPCVOID)WIN_BASE, &mbi, sizeof(mbi)), sizeof(mbi));
    ASSERT_EQ(t, mbi.State, MEM_FREE);
    ASSERT_GE(t, mbi.RegionSize, WIN_PAGES * PGSIZE);
    ASSERT_EQ(t, VirtualQuery((LPCVOID)WIN_END, &mbi, sizeof(mbi)), sizeof(mbi));
    ASSERT_EQ(t, mbi.State, MEM_FREE);
    m_tail_free = mbi.RegionSize;
    ASSERT_EQ(t, VirtualQuery((LPCVOID)(USER_TOP - 0x400000), &mbi, sizeof(mbi)), sizeof(mbi));
    m_top_free = mbi.State == MEM_FREE && mbi.RegionSize == 0x400000;
    vm_get_stats(&st);
    uint32_t charge0 = st.committed_pages;
    /* The model does not predict ERROR_COMMITMENT_LIMIT: leave room. */
    ASSERT_GE(t, st.commit_limit - st.commit_charge, WIN_PAGES + 1024);

    uint64_t t0 = timer_ticks();
    for (op.n = 1; op.n <= MODEL_OPS; op.n++) {
        uint32_t kind = gen_kind();
        counts[kind]++;
        model_run_one(kind, charge0);
        if (op.n % MODEL_SWEEP_EVERY == 0) {
            model_sweep(t, charge0);
            if (t->failures != 0)
                break;
        }
    }
    uint64_t t1 = timer_ticks();
    op.n = MODEL_OPS + 1;
    uint32_t live = 0, committed = m_committed;
    for (uint32_t g = 0; g < WIN_GRANS; g++)
        live += mvad[g].pages != 0;
    model_release_half();
    check_regions(0, WIN_PAGES);
    check_ptes(0, WIN_PAGES);
    check_contents();
    check_stats_charge(charge0, 0);
    EXPECT_EQ(t, vm_validate(vm_current()), 0);
    model_space_put();                      /* destroys what is still allocated */

    ktest_log("%u ops in %llu ms: %u succeeded, %u failed as predicted, %u faults (%u guard)",
              MODEL_OPS, t1 - t0, stat_ok, stat_failed, stat_faults, stat_guards);
    ktest_log("ops: reserve %u, reserve+commit %u, commit %u, decommit %u, release %u, protect %u, "
              "read %u, write %u, reset %u, null %u, bad %u, probe %u",
              counts[K_RESERVE], counts[K_RESERVE_COMMIT], counts[K_COMMIT], counts[K_DECOMMIT],
              counts[K_RELEASE], counts[K_PROTECT], counts[K_READ], counts[K_WRITE], counts[K_RESET],
              counts[K_NULL], counts[K_BAD], counts[K_PROBE]);
    ktest_log("at the end: %u live allocations, %u committed pages", live, committed);
    vm_get_stats(&st);
    EXPECT_EQ(t, st.commit_charge, st0.commit_charge);
    EXPECT_EQ(t, frames_now(), frames0);
    EXPECT_EQ(t, page_tables_now(), pts0);
}

/* ---- case 2: commit until the limit ---------------------------------- */

#define LIMIT_CHUNK 0x400000u
#define LIMIT_MAX_CHUNKS 512

static uint32_t limit_base[LIMIT_MAX_CHUNKS], limit_size[LIMIT_MAX_CHUNKS];

/* One VirtualAlloc that must fail with ERROR_COMMITMENT_LIMIT and change
 * nothing. */
static void limit_expect_fail(struct ktest *t, LPVOID addr, uint32_t size, uint32_t type)
{
    struct vm_stats before, after;

    vm_get_stats(&before);
    SetLastError(0);
    LPVOID p = VirtualAlloc(addr, size, type, PAGE_READWRITE);
    DWORD err = GetLastError();
    vm_get_stats(&after);
    if (p != NULL || err != ERROR_COMMITMENT_LIMIT)
        ktest_log("VirtualAlloc(%08x, %x, %x) at the limit", (uint32_t)addr, size, type);
    EXPECT_EQ(t, (uint32_t)p, 0);
    EXPECT_EQ(t, err, ERROR_COMMITMENT_LIMIT);
    EXPECT_EQ(t, after.commit_charge, before.commit_charge);
    EXPECT_EQ(t, after.allocations, before.allocations);
    EXPECT_EQ(t, after.reserved_bytes, before.reserved_bytes);
}

static void model_commit_until_limit(struct ktest *t)
{
    struct vm_stats st0, st;
    uint32_t n = 0, pages = 0, chunk = LIMIT_CHUNK;

    mt = t;
    model_space_put();
    op = (struct mop){ .name = "commit until limit" };
    uint32_t frames0 = frames_now(), pts0 = page_tables_now();
    vm_get_stats(&st0);
    ASSERT_TRUE(t, model_space_get());

    uint64_t t0 = timer_ticks();
    while (chunk >= PGSIZE) {
        vm_get_stats(&st);
        SetLastError(0);
        LPVOID p = VirtualAlloc(NULL, chunk, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        if (p != NULL) {
            ASSERT_LT(t, n, LIMIT_MAX_CHUNKS);
            limit_base[n] = (uint32_t)p;
            limit_size[n++] = chunk;
            pages += chunk / PGSIZE;
            continue;
        }
        DWORD err = GetLastError();
        struct vm_stats after;
        vm_get_stats(&after);
        if (err != ERROR_COMMITMENT_LIMIT)
            ktest_log("VirtualAlloc(NULL, %x) failed with %lu after %u pages", chunk, err, pages);
        ASSERT_EQ(t, err, ERROR_COMMITMENT_LIMIT);
        ASSERT_EQ(t, after.commit_charge, st.commit_charge);      /* the failure changed nothing */
        ASSERT_EQ(t, after.allocations, st.allocations);
        chunk /= 2;
    }
    vm_get_stats(&st);
    ktest_log("committed %u pages (%u MiB) in %u regions; charge %u, limit %u, peak %u", pages,
              pages / 256, n, st.commit_charge, st.commit_limit, st.commit_peak);
    EXPECT_EQ(t, st.commit_charge, st.commit_limit);
    EXPECT_GE(t, st.commit_peak, st.commit_limit);
    EXPECT_EQ(t, st.commit_charge - st0.commit_charge >= pages, true);

    /* At the limit: one more page fails however it is asked for, while a
     * reservation (no charge) still works. */
    limit_expect_fail(t, NULL, PGSIZE, MEM_RESERVE | MEM_COMMIT);
    LPVOID r = VirtualAlloc(NULL, VM_GRANULARITY, MEM_RESERVE, PAGE_READWRITE);
    EXPECT_NE(t, (uint32_t)r, 0);
    if (r != NULL) {
        limit_expect_fail(t, r, PGSIZE, MEM_COMMIT);
        EXPECT_TRUE(t, VirtualFree(r, 0, MEM_RELEASE));
    }
    /* Re-committing committed pages charges nothing, so it still works. */
    if (n > 0)
        EXPECT_EQ(t, (uint32_t)VirtualAlloc((LPVOID)limit_base[0], PGSIZE, MEM_COMMIT, PAGE_READWRITE),
                  limit_base[0]);

    /* Commit guarantees the frames: every page can be written. */
    uint64_t t1 = timer_ticks();
    for (uint32_t k = 0; k < n; k++) {
        for (uint32_t va = limit_base[k]; va < limit_base[k] + limit_size[k]; va += PGSIZE) {
            struct fault_record rec;
            if (!try_write(va + (va >> 12 & 0xFFC), va ^ 0x5A5A5A5A, &rec)) {
                ktest_log("write to committed page %08x faulted (cr2 %08x) at the commit limit", va,
                          rec.cr2);
                ASSERT_TRUE(t, false);
            }
        }
    }
    uint32_t bad = 0;
    for (uint32_t k = 0; k < n; k++)
        for (uint32_t va = limit_base[k]; va < limit_base[k] + limit_size[k]; va += PGSIZE)
            bad += *(volatile uint32_t *)(va + (va >> 12 & 0xFFC)) != (va ^ 0x5A5A5A5A);
    EXPECT_EQ(t, bad, 0);
    vm_get_stats(&st);
    EXPECT_GE(t, st.resident_pages, pages);
    uint64_t t2 = timer_ticks();

    for (uint32_t k = 0; k < n; k++)
        EXPECT_TRUE(t, VirtualFree((LPVOID)limit_base[k], 0, MEM_RELEASE));
    EXPECT_EQ(t, vm_validate(vm_current()), 0);
    model_space_put();
    uint64_t t3 = timer_ticks();
    ktest_log("times: commit %llu ms, touch %llu ms, release %llu ms", t1 - t0, t2 - t1, t3 - t2);

    vm_get_stats(&st);
    EXPECT_EQ(t, st.commit_charge, st0.commit_charge);
    EXPECT_EQ(t, frames_now(), frames0);
    EXPECT_EQ(t, page_tables_now(), pts0);
}

/* ---- case 3: 10,000 reservations ------------------------------------- */

#define SCALE_N 10000u
#define SCALE_GRANS (USER_END / VM_GRANULARITY)        /* 32768 */
#define SCALE_PRE_MAX 32

static uint32_t scale_addr[SCALE_N];
static uint32_t scale_map[SCALE_GRANS / 32];          /* our reservations, by granule */
static uint32_t scale_pre_start[SCALE_PRE_MAX], scale_pre_end[SCALE_PRE_MAX];
static uint32_t scale_pre_n;
static uint32_t scale_top;                            /* where the last free range ends */

static bool scale_ours(uint32_t g)
{
    return scale_map[g / 32] >> (g % 32) & 1;
}

static void scale_mark(uint32_t g, bool on)
{
    if (on)
        scale_map[g / 32] |= 1u << (g % 32);
    else
        scale_map[g / 32] &= ~(1u << (g % 32));
}

/* Pre-existing allocations of a fresh address space (if the engine makes any). */
static bool scale_survey(void)
{
    MEMORY_BASIC_INFORMATION mbi;

    scale_pre_n = 0;
    for (uint32_t a = USER_MIN; a < USER_TOP;) {
        if (VirtualQuery((LPCVOID)a, &mbi, sizeof(mbi)) != sizeof(mbi) || mbi.RegionSize == 0)
            return false;
        if (mbi.State != MEM_FREE) {
            if (scale_pre_n == SCALE_PRE_MAX)
                return false;
            scale_pre_start[scale_pre_n] = a;
            scale_pre_end[scale_pre_n++] = a + mbi.RegionSize;
        }
        a += mbi.RegionSize;
        scale_top = a;
    }
    return true;
}

/* Where the free range at a (free) ends: our next reservation, a
 * pre-existing allocation, or the top of user space. */
static uint32_t scale_free_end(uint32_t a)
{
    uint32_t end = scale_top;
    for (uint32_t g = a / VM_GRANULARITY + 1; g < USER_TOP / VM_GRANULARITY; g++)
        if (scale_ours(g)) {
            end = g * VM_GRANULARITY;
            break;
        }
    for (uint32_t k = 0; k < scale_pre_n; k++)
        if (scale_pre_start[k] > a && scale_pre_start[k] < end)
            end = scale_pre_start[k];
    return end;
}

static bool scale_pre_overlaps(uint32_t a, uint32_t size)
{
    for (uint32_t k = 0; k < scale_pre_n; k++)
        if (a < scale_pre_end[k] && scale_pre_start[k] < a + size)
            return true;
    return false;
}

static void scale_check_reserved(struct ktest *t, uint32_t a)
{
    MEMORY_BASIC_INFORMATION mbi;
    uint32_t q = a + rnd(VM_GRANULARITY);

    EXPECT_EQ(t, VirtualQuery((LPCVOID)q, &mbi, sizeof(mbi)), sizeof(mbi));
    EXPECT_EQ(t, (uint32_t)mbi.BaseAddress, PGROUNDDOWN(q));
    EXPECT_EQ(t, (uint32_t)mbi.AllocationBase, a);
    EXPECT_EQ(t, mbi.AllocationProtect, PAGE_READWRITE);
    EXPECT_EQ(t, mbi.State, MEM_RESERVE);
    EXPECT_EQ(t, mbi.Protect, 0);
    EXPECT_EQ(t, mbi.Type, MEM_PRIVATE);
    EXPECT_EQ(t, mbi.RegionSize, a + VM_GRANULARITY - PGROUNDDOWN(q));
}

static void scale_check_gap(struct ktest *t)
{
    MEMORY_BASIC_INFORMATION mbi;

    for (uint32_t tries = 0; tries < 1000; tries++) {
        uint32_t g = 1 + rnd(USER_TOP / VM_GRANULARITY - 1);
        uint32_t a = g * VM_GRANULARITY + rnd(VM_GRANULARITY);
        if (scale_ours(g) || scale_pre_overlaps(g * VM_GRANULARITY, VM_GRANULARITY))
            continue;
        uint32_t end = scale_free_end(a);
        EXPECT_EQ(t, VirtualQuery((LPCVOID)a, &mbi, sizeof(mbi)), sizeof(mbi));
        EXPECT_EQ(t, mbi.State, MEM_FREE);
        EXPECT_EQ(t, mbi.Protect, PAGE_NOACCESS);
        EXPECT_EQ(t, (uint32_t)mbi.AllocationBase, 0);
        EXPECT_EQ(t, (uint32_t)mbi.BaseAddress, PGROUNDDOWN(a));
        EXPECT_EQ(t, mbi.RegionSize, end - PGROUNDDOWN(a));
        return;
    }
}

static void model_scale_10000_allocations(struct ktest *t)
{
    struct vm_stats st0, st1, st;
    struct fault_record rec;

    mt = t;
    model_space_put();
    op = (struct mop){ .name = "scale" };
    uint32_t frames0 = frames_now(), pts0 = page_tables_now();
    vm_get_stats(&st0);
    ASSERT_TRUE(t, model_space_get());
    ASSERT_TRUE(t, scale_survey());
    memset(scale_map, 0, sizeof(scale_map));
    vm_get_stats(&st1);

    uint64_t t0 = timer_ticks();
    for (uint32_t k = 0; k < SCALE_N; k++) {
        uint32_t a = (uint32_t)VirtualAlloc(NULL, VM_GRANULARITY, MEM_RESERVE, PAGE_READWRITE);
        if (a == 0 || a % VM_GRANULARITY != 0 || a < USER_MIN || a >= USER_TOP ||
            scale_ours(a / VM_GRANULARITY) || scale_pre_overlaps(a, VM_GRANULARITY)) {
            ktest_log("reservation %u: got %08x (error %lu)", k, a, GetLastError());
            ASSERT_TRUE(t, false);
        }
        scale_addr[k] = a;
        scale_mark(a / VM_GRANULARITY, true);
    }
    uint64_t t1 = timer_ticks();
    vm_get_stats(&st);
    ktest_log("%u reservations in %llu ms; VADs %u (%u before), reserved %u MiB", SCALE_N, t1 - t0,
              st.allocations, st1.allocations, st.reserved_bytes >> 20);
    EXPECT_EQ(t, st.allocations - st1.allocations, SCALE_N);
    EXPECT_EQ(t, st.reserved_bytes - st1.reserved_bytes, SCALE_N * VM_GRANULARITY);
    EXPECT_EQ(t, st.commit_charge, st1.commit_charge);
    EXPECT_EQ(t, vm_validate(vm_current()), 0);
    uint64_t t2 = timer_ticks();

    for (uint32_t k = 0; k < 64; k++) {
        scale_check_reserved(t, scale_addr[rnd(SCALE_N)]);
        scale_check_gap(t);
    }
    /* A few commits in the crowd: demand-zero, writable, decommitted again. */
    for (uint32_t k = 0; k < 32; k++) {
        uint32_t a = scale_addr[rnd(SCALE_N)], first = rnd(GRAN_PAGES);
        uint32_t np = 1 + rnd(GRAN_PAGES - first), c = a + first * PGSIZE;
        MEMORY_BASIC_INFORMATION mbi;
        uint32_t v;
        EXPECT_EQ(t, (uint32_t)VirtualAlloc((LPVOID)c, np * PGSIZE, MEM_COMMIT, PAGE_READWRITE), c);
        EXPECT_EQ(t, VirtualQuery((LPCVOID)c, &mbi, sizeof(mbi)), sizeof(mbi));
        EXPECT_EQ(t, mbi.State, MEM_COMMIT);
        EXPECT_EQ(t, mbi.RegionSize, np * PGSIZE);
        for (uint32_t i = 0; i < np; i++) {
            uint32_t va = c + i * PGSIZE;
            EXPECT_TRUE(t, try_read(va + 8, &v, &rec) && v == 0);
            EXPECT_TRUE(t, try_write(va + 8, va, &rec));
            EXPECT_TRUE(t, try_read(va + 8, &v, &rec) && v == va);
            EXPECT_EQ(t, paging_query(va) & (PTE_P | PTE_W | PTE_U), PTE_P | PTE_W | PTE_U);
        }
        EXPECT_TRUE(t, VirtualFree((LPVOID)c, np * PGSIZE, MEM_DECOMMIT));
        for (uint32_t i = 0; i < np; i++)
            EXPECT_EQ(t, paging_query(c + i * PGSIZE) & PTE_P, 0);
        scale_check_reserved(t, a);
    }
    vm_get_stats(&st);
    EXPECT_EQ(t, st.commit_charge, st1.commit_charge);
    uint64_t t3 = timer_ticks();

    /* Free in random order; halfway, re-reserve one freed slot at its
     * address and check the tree. */
    for (uint32_t k = SCALE_N - 1; k > 0; k--) {
        uint32_t j = rnd(k + 1), x = scale_addr[k];
        scale_addr[k] = scale_addr[j];
        scale_addr[j] = x;
    }
    for (uint32_t k = 0; k < SCALE_N; k++) {
        uint32_t a = scale_addr[k];
        if (!VirtualFree((LPVOID)a, 0, MEM_RELEASE)) {
            ktest_log("release %u of %08x failed (error %lu)", k, a, GetLastError());
            ASSERT_TRUE(t, false);
        }
        scale_mark(a / VM_GRANULARITY, false);
        if (k % 1000 == 999) {
            scale_check_gap(t);
            if (k + 1 < SCALE_N)
                scale_check_reserved(t, scale_addr[k + 1 + rnd(SCALE_N - k - 1)]);
        }
        if (k == SCALE_N / 2) {
            EXPECT_EQ(t, vm_validate(vm_current()), 0);
            EXPECT_EQ(t, (uint32_t)VirtualAlloc((LPVOID)a, VM_GRANULARITY, MEM_RESERVE, PAGE_READONLY), a);
            EXPECT_EQ(t, (uint32_t)VirtualAlloc((LPVOID)a, VM_GRANULARITY, MEM_RESERVE, PAGE_READONLY), 0);
            EXPECT_EQ(t, GetLastError(), ERROR_INVALID_ADDRESS);
            EXPECT_TRUE(t, VirtualFree((LPVOID)a, 0, MEM_RELEASE));
        }
    }
    uint64_t t4 = timer_ticks();
    vm_get_stats(&st);
    EXPECT_EQ(t, st.allocations, st1.allocations);
    EXPECT_EQ(t, st.reserved_bytes, st1.reserved_bytes);
    EXPECT_EQ(t, vm_validate(vm_current()), 0);
    model_space_put();
    ktest_log("times: reserve %llu ms, validate %llu ms, query/commit %llu ms, release %llu ms",
              t1 - t0, t2 - t1, t3 - t2, t4 - t3);

    vm_get_stats(&st);
    EXPECT_EQ(t, st.commit_charge, st0.commit_charge);
    EXPECT_EQ(t, frames_now(), frames0);
    EXPECT_EQ(t, page_tables_now(), pts0);
}

static void model_exit(void)
{
    model_space_put();
}

/* Regression: page tables are charged.  Sparse one-page commits, each in
 * its own 4 MiB span, in several address spaces create a page table per
 * page; if tables took frames outside the charge, filling the rest of the
 * charge and touching every committed page would run out of frames (a
 * panic).  Here the last commit fails with 1455 first, and every touch works. */
#define SPARSE_SPACES 6
#define SPARSE_SPANS 400             /* more tables than the kernel reserve (~2,240 frames at 128 MiB) */

static void sparse_fill_to_limit(struct ktest *t, uint32_t *pages)
{
    uint32_t chunk = 4u << 20;
    *pages = 0;
    while (chunk >= PGSIZE) {
        volatile uint8_t *p = VirtualAlloc(NULL, chunk, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        if (p == NULL) {
            EXPECT_EQ(t, GetLastError(), ERROR_COMMITMENT_LIMIT);
            chunk /= 2;
            continue;
        }
        for (uint32_t off = 0; off < chunk; off += PGSIZE)
            p[off] = 0x5A;          /* touching a committed page can never fail */
        *pages += chunk / PGSIZE;
    }
}

static void model_sparse_commits_charge_page_tables(struct ktest *t)
{
    struct vm_space *spaces[SPARSE_SPACES];
    struct vm_stats st0, st;
    struct vm_leak_counters lc0, lc;
    uint32_t filled = 0;

    vm_get_stats(&st0);
    vm_get_leak_counters(&lc0);
    for (int i = 0; i < SPARSE_SPACES; i++) {
        spaces[i] = vm_space_create();
        ASSERT_TRUE(t, spaces[i] != NULL);
        vm_switch(spaces[i]);
        for (uint32_t k = 1; k <= SPARSE_SPANS; k++) {
            volatile uint8_t *p = VirtualAlloc((void *)(k * PDX_SPAN), PGSIZE,
                                               MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
            ASSERT_TRUE(t, p != NULL);
            *p = (uint8_t)k;
        }
        vm_switch(vm_kernel_space());
    }
    /* Each sparse page brought its own page table, and both are charged
     * (the kernel space's own pages, e.g. the kernel heap holding the
     * spaces' descriptors, are left out of the user charge). */
    uint32_t committed = 0;
    for (int i = 0; i < SPARSE_SPACES; i++) {
        uint32_t c, r;
        vm_space_pages(spaces[i], &c, &r);
        committed += c;
    }
    vm_get_leak_counters(&lc);
    EXPECT_EQ(t, committed, SPARSE_SPACES * SPARSE_SPANS);
    EXPECT_EQ(t, lc.user_commit_charge - lc0.user_commit_charge, 2 * SPARSE_SPACES * SPARSE_SPANS);
    vm_switch(spaces[SPARSE_SPACES - 1]);
    sparse_fill_to_limit(t, &filled);
    vm_switch(vm_kernel_space());
    vm_get_stats(&st);
    EXPECT_EQ(t, st.commit_charge, st.commit_limit);
    ktest_log("%u sparse pages + %u page tables, then %u pages to the limit %u",
              SPARSE_SPACES * SPARSE_SPANS, SPARSE_SPACES * SPARSE_SPANS, filled, st.commit_limit);
    for (int i = 0; i < SPARSE_SPACES; i++)
        vm_space_destroy(spaces[i]);
    vm_get_leak_counters(&lc);
    EXPECT_EQ(t, lc.user_commit_charge, lc0.user_commit_charge);
    EXPECT_EQ(t, lc.page_tables, lc0.page_tables);
    EXPECT_EQ(t, lc.available_frames, lc0.available_frames);
}

static const struct ktest_case vm_model_cases[] = {
    KTEST_CASE(model_random_operations),
    KTEST_CASE(model_commit_until_limit),
    KTEST_CASE(model_scale_10000_allocations),
    KTEST_CASE(model_sparse_commits_charge_page_tables),
    KTEST_END,
};

static const struct ktest_suite vm_model_suite = {
    .name = "vm_model",
    .cases = vm_model_cases,
    .exit = model_exit,
};
KTEST_SUITE(vm_model_suite);
