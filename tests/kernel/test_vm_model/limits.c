/* vm_model suite, the deterministic cases: commit until the commit limit,
 * 10,000 reservations, and sparse commits whose page tables are charged. */
#include "model.h"

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

/* Cases 2 and 4 check the RAM-only guarantee -- every page committed up
 * to the limit can be resident at once -- and touch every page to the
 * limit, so they run with the page file's part of the limit taken out
 * (the boot counts it, kernel/mpw.c) and put back after: paging beyond
 * RAM is the pager suites' and the pressure programs' subject. */
static void ram_only(struct ktest *t, void (*body)(struct ktest *t))
{
    struct vm_stats s;
    vm_get_stats(&s);
    ASSERT_EQ(t, vm_set_pagefile_commit(0), STATUS_SUCCESS);
    body(t);
    EXPECT_EQ(t, vm_set_pagefile_commit(s.commit_limit_pagefile), STATUS_SUCCESS);
}

static void commit_until_limit_body(struct ktest *t)
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

static void sparse_commits_body(struct ktest *t)
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

static void model_commit_until_limit(struct ktest *t)
{
    ram_only(t, commit_until_limit_body);
}

static void model_sparse_commits_charge_page_tables(struct ktest *t)
{
    ram_only(t, sparse_commits_body);
}

const struct ktest_case test_vm_model_limit_cases[] = {
    KTEST_CASE(model_commit_until_limit),
    KTEST_CASE(model_scale_10000_allocations),
    KTEST_CASE(model_sparse_commits_charge_page_tables),
    KTEST_END,
};
