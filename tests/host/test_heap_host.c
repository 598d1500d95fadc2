/* Host tests of the heap engine through the Win32 heap API (heapapi.h),
 * built with AddressSanitizer and UBSan.  One case per spec item of
 * sections I-M that makes sense on the host (named after the item),
 * robustness cases, a seeded random-operation test against a shadow
 * model, and a threaded test; the cases live in test_heap_host_*.c (see
 * test_heap_host.h), this file runs them.  Every case checks the engine's
 * validator on the heaps it used.  Output: one line per case, then
 * "N passed, N failed"; with --results FILE that line and the failing
 * names also go to FILE.  Exit status 1 when anything failed. */
#include "test_heap_host.h"

int case_failed;
jmp_buf *raise_jb;
DWORD raised;
uint64_t test_seed = 0x9E3779B97F4A7C15ull;

static void raise_hook(DWORD code)
{
    raised = code;
    if (raise_jb)
        longjmp(*raise_jb, 1);
}

/* Busy entries of a walk: counts and looks for p with size n. */
int walk_find(HANDLE h, const void *p, SIZE_T n, int *busy)
{
    PROCESS_HEAP_ENTRY e;
    int found = 0;
    e.lpData = NULL;
    *busy = 0;
    while (HeapWalk(h, &e)) {
        if (e.wFlags & PROCESS_HEAP_ENTRY_BUSY) {
            (*busy)++;
            if (e.lpData == p && e.cbData == n)
                found++;
        }
    }
    return found;
}

/* Does p lie inside one of h's segments (a REGION entry of the walk)? */
int in_regions(HANDLE h, const void *p)
{
    PROCESS_HEAP_ENTRY e;
    e.lpData = NULL;
    while (HeapWalk(h, &e))
        if ((e.wFlags & PROCESS_HEAP_REGION) && (const char *)p >= (char *)e.lpData &&
            (const char *)p < (char *)e.Region.lpLastBlock)
            return 1;
    return 0;
}

/* The front end is on (every growable serialized heap reports 2 and
 * serves a size from it after a while) or, with HEAP_HOST_NO_LFH=1, off
 * for every heap, the process heap included: the run without it really
 * runs without it. */
void front_end_mode(void)
{
    const char *off = getenv("HEAP_HOST_NO_LFH");
    ULONG want = off && *off == '1' ? 0 : 2, v = 77;
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    EXPECT(HeapQueryInformation(GetProcessHeap(), HeapCompatibilityInformation, &v, sizeof v, NULL));
    EXPECT_EQ(v, want);
    EXPECT(HeapQueryInformation(h, HeapCompatibilityInformation, &v, sizeof v, NULL));
    EXPECT_EQ(v, want);
    void *p[100];
    int lfh = 0;
    for (int i = 0; i < 100; i++)
        p[i] = HeapAlloc(h, 0, 40);
    for (int i = 0; i < 100; i++)
        lfh += heap_host_block_info(h, p[i], NULL) == 1;
    for (int i = 0; i < 100; i++)
        HeapFree(h, 0, p[i]);
    EXPECT(want ? lfh > 50 : lfh == 0);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* ================= the table ================= */

struct test_case {
    const char *name;
    void (*fn)(void);
};
#define CASE(f) { #f, f }
static const struct test_case cases[] = {
    CASE(i62_getprocessheap_same),
    CASE(i63_getprocessheaps),
    CASE(i64_heapcreate_options),
    CASE(i64_small_heaps),
    CASE(i65_handle_is_region_base),
    CASE(i66_destroy_releases_all),
    CASE(j67_alignment),
    CASE(j68_zero_size_alloc),
    CASE(j69_heapsize_exact),
    CASE(j70_zero_memory_reuses_dirty),
    CASE(j71_failure_sets_not_enough_memory),
    CASE(j72_huge_request_fails),
    CASE(j73_generate_exceptions),
    CASE(j73_commit_limit_raises_no_memory),
    CASE(j74_free_null_true),
    CASE(j75_bad_free_false_87),
    CASE(j76_heapsize_freed_minus1),
    CASE(j77_heapvalidate),
    CASE(j78_no_serialize),
    CASE(k79_realloc_keeps_bytes),
    CASE(k80_realloc_zero_added),
    CASE(k81_in_place_only),
    CASE(k82_failure_keeps_block),
    CASE(k83_realloc_to_zero),
    CASE(k84_realloc_null),
    CASE(k85_in_place_growth_raises),
    CASE(l86_fixed_block_limit),
    CASE(l87_fixed_stops_at_max),
    CASE(l87_fixed_max_not_granularity_multiple),
    CASE(l87_emptied_fixed_heap_takes_big_block),
    CASE(l88_large_block_own_region),
    CASE(m91_lock_recursive_and_blocks_others),
    CASE(m92_walk),
    CASE(m93_compact),
    CASE(rob_interior_pointer),
    CASE(rob_corrupted_header),
    CASE(rob_terminate_on_corruption),
    CASE(rob_tail_overrun_found),
    CASE(rob_tail_overrun_free_refused),
    CASE(rob_write_after_free_found),
    CASE(rob_quick_list_corruption),
    CASE(rob_double_free_many),
    CASE(pol_shrunk_heap_gives_back),
    CASE(pol_quick_lists_drain),
    CASE(pol_realloc_regions),
    CASE(rnd_1m_ops_growable),
    CASE(rnd_200k_ops_no_serialize_small_slots),
    CASE(rnd_200k_ops_checking),
    CASE(rnd_200k_ops_fixed),
    CASE(thr_4x100k_serialized),
    CASE(thr_producer_consumer),
    CASE(thr_heaplock_stops_cached_thread),
    CASE(front_end_mode),
    CASE(lfh_compat_information),
    CASE(lfh_termination_on_corruption),
    CASE(lfh_activation),
    CASE(lfh_class_waste_bound),
    CASE(lfh_realloc),
    CASE(lfh_realloc_fast),
    CASE(lfh_walk),
    CASE(lfh_compact_and_destroy),
    CASE(lfh_reserve_decays),
    CASE(lfh_reserve_gives_back_next_to_the_pick),
    CASE(lfh_inject_thread_caches),
    CASE(lfh_inject_lock_path),
    CASE(lfh_inject_no_serialize),
    { NULL, NULL },
};

int main(int argc, char **argv)
{
    const char *results = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--results") && i + 1 < argc)
            results = argv[++i];
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            test_seed = strtoull(argv[++i], NULL, 0);
        else
            only = argv[i];
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    heap_host_set_raise_hook(raise_hook);
    int passed = 0, failed = 0;
    char failures[4096] = "";
    const char *off = getenv("HEAP_HOST_NO_LFH");
    int no_lfh = off && *off == '1';
    printf("heap host tests (engine under ASan/UBSan%s)\n",
           no_lfh ? ", front end off: HEAP_HOST_NO_LFH=1" : "");
    for (const struct test_case *c = cases; c->name; c++) {
        if ((only && !strstr(c->name, only)) || (no_lfh && !strncmp(c->name, "lfh_", 4)))
            continue;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        case_failed = 0;
        c->fn();
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        printf("%s %s (%.0f ms)\n", case_failed ? "not ok" : "ok", c->name, ms);
        if (case_failed) {
            failed++;
            if (strlen(failures) + strlen(c->name) + 2 < sizeof failures) {
                strcat(failures, c->name);
                strcat(failures, "\n");
            }
        } else {
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    if (results) {
        FILE *f = fopen(results, "w");
        if (f) {
            fprintf(f, "%d passed, %d failed\n%s", passed, failed, failures);
            fclose(f);
        }
    }
    return failed ? 1 : 0;
}
