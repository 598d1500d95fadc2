/* vm_model suite: the random operations - generators of protections,
 * pages and ranges, and one function per kind of operation, each run
 * against the engine and the model. */
#include "model.h"

/* ---- protections ------------------------------------------------------ */

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

/* A valid protection; PAGE_GUARD on about one in six (never with NOACCESS). */
static uint32_t gen_prot(void)
{
    uint32_t p = valid_bases[rnd(ARRAY_LEN(valid_bases))];
    if (p != PAGE_NOACCESS && rnd(6) == 0)
        p |= PAGE_GUARD;
    return p;
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

uint32_t stat_ok, stat_failed;

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
void op_reserve(bool commit, uint32_t *cs, uint32_t *ce)
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
void op_commit(uint32_t *s, uint32_t *e)
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
void op_decommit(uint32_t *s, uint32_t *e)
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
void op_release(uint32_t *s, uint32_t *e)
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
void op_protect(uint32_t *s, uint32_t *e)
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
void op_reset(uint32_t *s, uint32_t *e)
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

void op_touch(bool write, uint32_t *s, uint32_t *e)
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

void check_stats_charge(uint32_t charge0, uint32_t extra)
{
    struct vm_stats st;
    vm_get_stats(&st);
    MEQ(op.addr, "committed_pages - start", st.committed_pages - charge0, m_committed + extra);
}

/* Items 8, 13, 18: the system picks the address; checked, then released
 * again at once, so the model does not change. */
void op_null_alloc(uint32_t charge0, uint32_t *s, uint32_t *e)
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
void op_bad_param(uint32_t *s, uint32_t *e)
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
