/* Shared by the host heap tests (tests/host/test_heap_host*.c): the
 * KUnit-style checks, the raise hook's state, a walk helper, and every
 * case, in the order of the table in test_heap_host.c.
 *
 *   test_heap_host.c         the runner: table, main, shared helpers
 *   test_heap_host_ij.c      spec I (creation, handles, enumeration) and
 *                            J (alloc, size, free, validate)
 *   test_heap_host_klm.c     K (HeapReAlloc), L (fixed-size heaps, large
 *                            blocks), M (lock, walk, compact)
 *   test_heap_host_robust.c  robustness and memory policy
 *   test_heap_host_random.c  random operations against a shadow model,
 *                            and threads
 *   test_heap_host_lfh.c     the low-fragmentation front end (issue 14)
 *   test_heap_host_inject.c  corruption injected into front-end blocks,
 *                            two threads on the front end
 * The runner runs them twice under `make host-test`: as they are, and
 * with HEAP_HOST_NO_LFH=1 (every heap standard), skipping lfh_* cases. */
#ifndef TESTS_HOST_TEST_HEAP_HOST_H
#define TESTS_HOST_TEST_HEAP_HOST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "heapapi.h"

/* ---- KUnit-style checks: EXPECT carries on, ASSERT leaves the case ---- */
extern int case_failed;                 /* set by a failed check; the runner reads it */
#define FAILED(...)                                                                                \
    do {                                                                                           \
        printf("    %s:%d: ", __FILE__, __LINE__);                                                 \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        case_failed = 1;                                                                           \
    } while (0)
#define EXPECT(c)                                                                                  \
    do {                                                                                           \
        if (!(c))                                                                                  \
            FAILED("EXPECT(%s)", #c);                                                              \
    } while (0)
#define EXPECT_EQ(a, b)                                                                            \
    do {                                                                                           \
        unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b);             \
        if (_a != _b)                                                                              \
            FAILED("%s == %s: 0x%llx vs 0x%llx", #a, #b, _a, _b);                                  \
    } while (0)
#define ASSERT(c)                                                                                  \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            FAILED("ASSERT(%s)", #c);                                                              \
            return;                                                                                \
        }                                                                                          \
    } while (0)
#define EXPECT_HEAP_OK(h) EXPECT_EQ(heap_host_check(h), 0)

/* ---- exceptions: the raise hook longjmps back into the case ---- */
extern jmp_buf *raise_jb;               /* where the hook jumps; NULL: it returns */
extern DWORD raised;                    /* the last code raised */
#define EXPECT_RAISES(code, stmt)                                                                  \
    do {                                                                                           \
        jmp_buf _jb;                                                                               \
        raised = 0;                                                                                \
        raise_jb = &_jb;                                                                           \
        if (!setjmp(_jb)) {                                                                        \
            stmt;                                                                                  \
        }                                                                                          \
        raise_jb = NULL;                                                                           \
        EXPECT_EQ(raised, code);                                                                   \
    } while (0)

/* Seed of the random tests (--seed N). */
extern uint64_t test_seed;

/* Busy entries of a walk: counts and looks for p with size n. */
int walk_find(HANDLE h, const void *p, SIZE_T n, int *busy);
/* Does p lie inside one of h's segments (a REGION entry of the walk)? */
int in_regions(HANDLE h, const void *p);

/* ---- the cases ---- */
void i62_getprocessheap_same(void);
void i63_getprocessheaps(void);
void i64_heapcreate_options(void);
void i64_small_heaps(void);
void i65_handle_is_region_base(void);
void i66_destroy_releases_all(void);
void j67_alignment(void);
void j68_zero_size_alloc(void);
void j69_heapsize_exact(void);
void j70_zero_memory_reuses_dirty(void);
void j71_failure_sets_not_enough_memory(void);
void j72_huge_request_fails(void);
void j73_generate_exceptions(void);
void j73_commit_limit_raises_no_memory(void);
void j74_free_null_true(void);
void j75_bad_free_false_87(void);
void j76_heapsize_freed_minus1(void);
void j77_heapvalidate(void);
void j78_no_serialize(void);
void k79_realloc_keeps_bytes(void);
void k80_realloc_zero_added(void);
void k81_in_place_only(void);
void k82_failure_keeps_block(void);
void k83_realloc_to_zero(void);
void k84_realloc_null(void);
void k85_in_place_growth_raises(void);
void l86_fixed_block_limit(void);
void l87_fixed_stops_at_max(void);
void l87_fixed_max_not_granularity_multiple(void);
void l87_emptied_fixed_heap_takes_big_block(void);
void l88_large_block_own_region(void);
void m91_lock_recursive_and_blocks_others(void);
void m92_walk(void);
void m93_compact(void);
void rob_interior_pointer(void);
void rob_corrupted_header(void);
void rob_terminate_on_corruption(void);
void rob_tail_overrun_found(void);
void rob_tail_overrun_free_refused(void);
void rob_write_after_free_found(void);
void rob_quick_list_corruption(void);
void rob_double_free_many(void);
void pol_shrunk_heap_gives_back(void);
void pol_quick_lists_drain(void);
void pol_realloc_regions(void);
void rnd_1m_ops_growable(void);
void rnd_200k_ops_no_serialize_small_slots(void);
void rnd_200k_ops_checking(void);
void rnd_200k_ops_fixed(void);
void thr_4x100k_serialized(void);
void front_end_mode(void);
void lfh_compat_information(void);
void lfh_termination_on_corruption(void);
void lfh_activation(void);
void lfh_class_waste_bound(void);
void lfh_realloc(void);
void lfh_realloc_fast(void);
void lfh_walk(void);
void lfh_compact_and_destroy(void);
void lfh_reserve_decays(void);
void lfh_reserve_gives_back_next_to_the_pick(void);
void lfh_inject_thread_caches(void);
void lfh_inject_lock_path(void);
void lfh_inject_no_serialize(void);
void thr_producer_consumer(void);
void thr_heaplock_stops_cached_thread(void);

#endif
