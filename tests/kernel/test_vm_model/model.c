/* vm_model suite: the shadow model of every page in the window, the
 * mismatch report, and the checks of the real engine (VirtualQuery, PTEs,
 * faults, page contents) against the model. */
#include "model.h"

/* ---- the shadow model ------------------------------------------------ */

/* The model's state (see model.h). */
struct mpage mp[WIN_PAGES];
struct mvad mvad[WIN_GRANS];
uint32_t m_committed;
uint32_t m_live;
uint32_t m_target;
uint32_t m_tail_free;
bool m_top_free;
struct mop op;
struct ktest *mt;
static struct vm_space *model_as;   /* the case's address space, until given back */

void model_reset(void)
{
    for (uint32_t i = 0; i < WIN_PAGES; i++)
        mp[i] = (struct mpage){ .state = M_FREE, .alloc = NO_ALLOC };
    memset(mvad, 0, sizeof(mvad));
    m_committed = 0;
    m_live = 0;
}

void m_reserve(uint32_t s, uint32_t e, bool commit, uint32_t prot)
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
void m_commit(uint32_t s, uint32_t e, uint32_t prot)
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

void m_decommit(uint32_t s, uint32_t e)
{
    for (uint32_t i = s; i < e; i++) {
        if (mp[i].state == M_COMMITTED)
            m_committed--;
        if (mp[i].state != M_FREE)
            mp[i] = (struct mpage){ .state = M_RESERVED, .alloc = mp[i].alloc };
    }
}

void m_release(uint32_t g)
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
bool m_one_alloc(uint32_t s, uint32_t e)
{
    uint16_t a = mp[s].alloc;
    if (a == NO_ALLOC)
        return false;
    for (uint32_t i = s; i < e; i++)
        if (mp[i].alloc != a)
            return false;
    return true;
}

bool m_all_committed(uint32_t s, uint32_t e)
{
    for (uint32_t i = s; i < e; i++)
        if (mp[i].state != M_COMMITTED)
            return false;
    return true;
}

bool m_all_free(uint32_t s, uint32_t e)
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

void op_log(const char *prefix)
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

void __attribute__((noreturn)) model_fail(int line, uint32_t va, const char *what,
                                          uint32_t got, uint32_t want)
{
    op_log("MISMATCH ");
    model_page_log(va);
    ktest_fail_msg(mt, __FILE__, line, "%s (va %08x): got 0x%x, model expects 0x%x", what, va,
                   got, want);
    ktest_leave(mt);
}

void model_space_put(void)
{
    if (model_as == NULL)
        return;
    vm_switch(vm_kernel_space());
    vm_space_destroy(model_as);
    model_as = NULL;
}

bool model_space_get(void)
{
    model_space_put();
    model_as = vm_space_create();
    if (model_as == NULL)
        return false;
    vm_switch(model_as);
    return true;
}

/* ---- verification ---------------------------------------------------- */

void check_query(uint32_t q, const MEMORY_BASIC_INFORMATION *want)
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
void check_regions(uint32_t s, uint32_t e)
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
void check_ptes(uint32_t s, uint32_t e)
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

void check_range(uint32_t s, uint32_t e)
{
    if (s > 0)
        s--;
    if (e < WIN_PAGES)
        e++;
    check_regions(s, e);
    check_ptes(s, e);
}

/* ---- touching pages -------------------------------------------------- */

bool __attribute__((noinline)) try_read(uint32_t va, uint32_t *out, struct fault_record *rec)
{
    volatile uint32_t v = 0xDEADBEEF;
    CATCH_FAULT(rec, v = *(volatile uint32_t *)va);
    *out = v;
    return rec->vector == FAULT_NONE;
}

bool __attribute__((noinline)) try_write(uint32_t va, uint32_t val, struct fault_record *rec)
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

uint32_t stat_faults, stat_guards;

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

void touch_read(uint32_t i)
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

void touch_write(uint32_t i)
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
void check_contents(void)
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
