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
 * to the operation number to log every operation from there on).
 *
 * This file holds the random-stream case and the suite; the model is in
 * test_vm_model/model.c, the operations in ops.c, the other three cases
 * in limits.c. */
#include "tests/kernel/test_vm_model/model.h"

#define MODEL_OPS 100000u
#define MODEL_SWEEP_EVERY 1000u
#define MODEL_TRACE_FROM 0xFFFFFFFFu            /* log every op from this number on */

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
            pfn_zero_until(PFN_ZEROED_TARGET); /* later demand-zero faults take zeroed frames */
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

static void model_exit(void)
{
    model_space_put();
}

static const struct ktest_case random_cases[] = {
    KTEST_CASE(model_random_operations),
    KTEST_END,
};

static const struct ktest_case *const vm_model_parts[] = {
    random_cases, test_vm_model_limit_cases, NULL,
};

static const struct ktest_suite vm_model_suite = {
    .name = "vm_model",
    .parts = vm_model_parts,
    .exit = model_exit,
};
KTEST_SUITE(vm_model_suite);
