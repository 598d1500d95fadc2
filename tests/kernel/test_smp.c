/* The smp suite: booted by the harness with -smp 2 (ACPI MADT) and
 * -smp 4 (MP table, acpi=off) under multi-threaded TCG; on one CPU every
 * case skips.  What the CPUs' start-up must leave: each CPU online with
 * its own APIC id, struct cpu, GDT and TSS; a function run on each CPU by
 * IPI sees its own per-CPU data; a spinlock hammered from two CPUs at once
 * loses no update. */
#include "tests/ktest.h"
#include "kernel/smp.h"
#include "kernel/arch/apic.h"
#include "kernel/base/lock.h"
#include "kernel/base/percpu.h"
#include "kernel/base/x86.h"
#include "mm/vm.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
#include "mm/tlb.h"
#include "mm/tlb_shootdown.h"
#include "mm/mmu.h"
#include <ntstatus.h>

static int smp_init(void)
{
    return 0;
}

static void need_cpus(struct ktest *t, uint32_t n)
{
    if (cpus_online < n)
        ktest_skip(t, "fewer CPUs online than the case needs");
}

static void smp_every_cpu_online(struct ktest *t)
{
    struct smp_info info;
    smp_get_info(&info);
    ktest_log("%u CPUs found from %s, %u online\n", info.found, info.source, info.online);
    need_cpus(t, 2);
    EXPECT_EQ(t, info.online, info.found);
    EXPECT_NE(t, info.lapic_phys, 0);
    for (uint32_t i = 0; i < cpu_count; i++) {
        EXPECT_EQ(t, cpu_table[i].online, 1);
        EXPECT_EQ(t, cpu_table[i].index, i);
        EXPECT_TRUE(t, cpu_table[i].self == &cpu_table[i]);
        for (uint32_t j = 0; j < i; j++)
            EXPECT_NE(t, cpu_table[i].apic_id, cpu_table[j].apic_id);
    }
    EXPECT_TRUE(t, this_cpu() == &cpu_table[0]);
}

struct seen {
    uint32_t index, apic, gs_self, gdt_base, tr, if_on;
};

static void look_around(void *arg)
{
    struct seen *s = arg;
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) gdtr;
    uint16_t tr;
    __asm__ volatile("sgdt %0; str %1" : "=m"(gdtr), "=r"(tr));
    s->index = this_cpu()->index;
    s->apic = apic_read_id();
    s->gs_self = (uint32_t)this_cpu()->self;
    s->gdt_base = gdtr.base;
    s->tr = tr;
    s->if_on = (read_eflags() & EFLAGS_IF) != 0;
}

/* Each CPU, reached by IPI, reports its own per-CPU data, APIC and GDT. */
static void smp_call_sees_own_cpu(struct ktest *t)
{
    need_cpus(t, 2);
    struct seen s[MAX_CPUS];
    for (uint32_t i = 0; i < cpus_online; i++) {
        ASSERT_TRUE(t, smp_call(i, look_around, &s[i]));
        EXPECT_EQ(t, s[i].index, i);
        EXPECT_EQ(t, s[i].apic, cpu_table[i].apic_id);
        EXPECT_EQ(t, s[i].gs_self, (uint32_t)&cpu_table[i]);
        EXPECT_EQ(t, s[i].tr, 0x28);
        if (i != 0)
            EXPECT_EQ(t, s[i].if_on, 0);    /* an IPI handler runs with interrupts off */
        for (uint32_t j = 0; j < i; j++)
            EXPECT_NE(t, s[i].gdt_base, s[j].gdt_base);
    }
}

#define HAMMER_ROUNDS 200000
static struct spinlock hammer_lock = SPINLOCK_INIT("smp test hammer");
static volatile uint32_t hammer_count;
static volatile uint32_t hammer_go;

static void hammer(void *arg)
{
    (void)arg;
    while (!hammer_go)
        __builtin_ia32_pause();
    for (int i = 0; i < HAMMER_ROUNDS; i++) {
        uint32_t f = spin_lock(&hammer_lock);
        hammer_count = hammer_count + 1;        /* a plain read-modify-write: the lock must protect it */
        spin_unlock(&hammer_lock, f);
    }
}

/* Two CPUs take one spinlock 200,000 times each at the same time. */
static void smp_spinlock_no_lost_update(struct ktest *t)
{
    need_cpus(t, 2);
    uint32_t flags;
    hammer_count = 0;
    hammer_go = 0;
    uint32_t contended = hammer_lock.contended;
    ASSERT_TRUE(t, smp_call_start(1, hammer, NULL, &flags));
    hammer_go = 1;
    hammer(NULL);
    smp_call_wait(flags);
    EXPECT_EQ(t, hammer_count, 2u * HAMMER_ROUNDS);
    ktest_log("%u of %u acquisitions spun\n", hammer_lock.contended - contended, 2 * HAMMER_ROUNDS);
}

/* ---- the shootdown proof ------------------------------------------------ */

#define PROOF_ROUNDS 10000
#define PROOF_STOP 0xFFFFFFFFu
static volatile uint32_t proof_gen, proof_ack, proof_misses, proof_page;
static volatile uint32_t proof_expect;

/* CPU 1, interrupts on: for each new generation, read the page once.  Its
 * TLB keeps the translation from the last read, so without a shootdown
 * the read would still go to the frame the decommit gave back. */
static void proof_reader(void *arg)
{
    (void)arg;
    uint32_t seen = 0;
    sti();
    for (;;) {
        uint32_t g = __atomic_load_n(&proof_gen, __ATOMIC_ACQUIRE);
        if (g == PROOF_STOP)
            break;
        if (g == seen) {
            __builtin_ia32_pause();
            continue;
        }
        if (*(volatile uint32_t *)proof_page != proof_expect)
            proof_misses = proof_misses + 1;
        seen = g;
        __atomic_store_n(&proof_ack, g, __ATOMIC_RELEASE);
    }
    cli();
}

/* CPU 0 decommits the page CPU 1 reads (a present entry removed: the
 * frame goes back, poisoned), commits it again (a fresh frame on the
 * first touch) and writes a new value; after vm_free returned, CPU 1's
 * next read must see the new frame, 10,000 times out of 10,000. */
static void smp_shootdown_proof_decommit(struct ktest *t)
{
    need_cpus(t, 2);
    struct vm_space *ks = vm_kernel_space();
    uint32_t base = 0, size = PGSIZE;
    ASSERT_EQ(t, vm_allocate(ks, &base, &size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
              STATUS_SUCCESS);
    struct tlb_shootdown_stats before, after;
    tlb_shootdown_get_stats(&before);
    uint32_t served = cpu_table[1].tlb_shootdowns_served;
    proof_page = base;
    proof_expect = 1;
    *(volatile uint32_t *)base = 1;
    proof_gen = 0;
    proof_ack = 0;
    proof_misses = 0;
    uint32_t flags;
    ASSERT_TRUE(t, smp_call_start(1, proof_reader, NULL, &flags));
    uint32_t failures = 0;
    for (uint32_t i = 1; i <= PROOF_ROUNDS; i++) {
        uint32_t b = base, sz = PGSIZE;
        failures += vm_free(ks, &b, &sz, MEM_DECOMMIT) != STATUS_SUCCESS;
        b = base;
        sz = PGSIZE;
        failures += vm_allocate(ks, &b, &sz, MEM_COMMIT, PAGE_READWRITE) != STATUS_SUCCESS;
        proof_expect = 0xA5000000u | i;
        *(volatile uint32_t *)base = proof_expect;
        __atomic_store_n(&proof_gen, i, __ATOMIC_RELEASE);
        while (__atomic_load_n(&proof_ack, __ATOMIC_ACQUIRE) != i)
            tlb_shootdown_poll();
    }
    __atomic_store_n(&proof_gen, PROOF_STOP, __ATOMIC_RELEASE);
    smp_call_wait(flags);
    tlb_shootdown_get_stats(&after);
    ktest_log("%u rounds: %u stale reads; %u shootdowns sent, %u IPIs, %u pages, cpu 1 served %u\n",
              PROOF_ROUNDS, proof_misses, after.requests - before.requests, after.ipis - before.ipis,
              after.pages - before.pages, cpu_table[1].tlb_shootdowns_served - served);
    EXPECT_EQ(t, failures, 0);
    EXPECT_EQ(t, proof_misses, 0);
    EXPECT_GE(t, after.requests - before.requests, PROOF_ROUNDS);
    uint32_t zero = 0;
    EXPECT_EQ(t, vm_free(ks, &base, &zero, MEM_RELEASE), STATUS_SUCCESS);
}

/* The cost of one page's invalidation: this CPU alone (INVLPG) and with
 * one other CPU interrupted and waited for.  Under MTTCG the TSC is host
 * time, so these are figures for this machine, not instruction counts. */
static void smp_shootdown_cost(struct ktest *t)
{
    need_cpus(t, 2);
    enum { N = 201 };
    static uint32_t local[N], remote[N];
    uint32_t va = (uint32_t)&hammer_count & ~(PGSIZE - 1);
    for (int i = 0; i < N; i++) {
        uint32_t f = irq_save();
        uint64_t t0 = rdtsc();
        tlb_invalidate_local(va);
        uint64_t t1 = rdtsc();
        tlb_shootdown(1u << 1, &va, 1, false, true);
        uint64_t t2 = rdtsc();
        irq_restore(f);
        local[i] = (uint32_t)(t1 - t0);
        remote[i] = (uint32_t)(t2 - t1);
    }
    /* medians */
    for (int i = 1; i < N; i++)
        for (int j = i; j > 0 && local[j] < local[j - 1]; j--) {
            uint32_t x = local[j]; local[j] = local[j - 1]; local[j - 1] = x;
        }
    for (int i = 1; i < N; i++)
        for (int j = i; j > 0 && remote[j] < remote[j - 1]; j--) {
            uint32_t x = remote[j]; remote[j] = remote[j - 1]; remote[j - 1] = x;
        }
    ktest_log("one page: local INVLPG median %u TSC ticks; shootdown to 1 other CPU median %u "
              "(%d runs)\n", local[N / 2], remote[N / 2], N);
    EXPECT_GT(t, remote[N / 2], 0);
}


/* ---- threads on every CPU ------------------------------------------------ */

#define SPREAD_ROUNDS 5000
static struct spinlock spread_lock = SPINLOCK_INIT("smp test spread");
static struct kmutex spread_mutex = KMUTEX_INIT;
static volatile uint32_t spread_seen, spread_count, spread_mutex_count, spread_bad;

/* Each round: a plain read-modify-write under a spinlock and under a
 * kernel mutex, and a note of the CPU it runs on; a yield now and then. */
static void spread_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < SPREAD_ROUNDS; i++) {
        uint32_t f = spin_lock(&spread_lock);
        spread_count = spread_count + 1;
        __atomic_or_fetch(&spread_seen, 1u << cpu_index(), __ATOMIC_RELAXED);
        if (thread_last_cpu(thread_current()) != cpu_index())
            spread_bad++;
        spin_unlock(&spread_lock, f);
        if (i % 64 == 0) {
            kmutex_lock(&spread_mutex);
            spread_mutex_count = spread_mutex_count + 1;
            kmutex_unlock(&spread_mutex);
        }
        if (i % 1024 == 0)
            thread_yield();
    }
}

/* 2N kernel threads on N CPUs: every CPU runs some of them, every CPU
 * switches threads, and neither the spinlock's nor the mutex's count
 * loses an update under that contention. */
/* One round: n spread workers, this thread (pinned to CPU 0) sleeping
 * while they run so that CPU 0 takes its share too. */
static void spread_round(struct ktest *t, uint32_t n)
{
    struct thread *th[2 * MAX_CPUS];
    for (uint32_t i = 0; i < n; i++)
        ASSERT_TRUE(t, (th[i] = thread_create("spread", spread_worker, NULL)) != NULL);
    uint32_t target = spread_count + n * SPREAD_ROUNDS;
    for (int ms = 0; ms < 2000 && spread_count < target; ms++)
        wait_for_objects(NULL, 0, false, 1, WAIT_REASON_DELAY);
    for (uint32_t i = 0; i < n; i++)
        thread_join(th[i]);
}

/* Threads run on every CPU.  Under multi-threaded TCG a virtual CPU is a
 * host thread that a loaded host may leave without time for a whole round,
 * so rounds repeat (at most 5) until every CPU has run a worker; each
 * round's counts must be exact. */
static void smp_threads_on_every_cpu(struct ktest *t)
{
    need_cpus(t, 2);
    uint32_t n = 2 * cpus_online, sw0[MAX_CPUS], sw1[MAX_CPUS], idle, rounds = 0;
    spread_seen = spread_count = spread_mutex_count = spread_bad = 0;
    for (uint32_t i = 0; i < cpus_online; i++)
        sched_cpu_counts(i, &sw0[i], &idle);
    while (rounds < 5 && (rounds == 0 || spread_seen != cpus_online_mask)) {
        spread_round(t, n);
        rounds++;
    }
    EXPECT_EQ(t, spread_seen, cpus_online_mask);
    EXPECT_EQ(t, spread_count, rounds * n * SPREAD_ROUNDS);
    EXPECT_EQ(t, spread_mutex_count, rounds * n * ((SPREAD_ROUNDS + 63) / 64));
    EXPECT_EQ(t, spread_bad, 0);
    for (uint32_t i = 0; i < cpus_online; i++) {
        sched_cpu_counts(i, &sw1[i], &idle);
        EXPECT_GT(t, sw1[i] - sw0[i], 0);
        ktest_log("cpu %u: %u switches\n", i, sw1[i] - sw0[i]);
    }
    ktest_log("%u threads a round, %u round(s), CPUs seen %x, mutex contended %u times\n", n, rounds,
              spread_seen, spread_mutex.contended);
}

static volatile uint32_t pinned_seen, pinned_moved_to;

/* Runs only on the CPUs of its affinity; then moves itself to CPU 0. */
static void pinned_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        __atomic_or_fetch(&pinned_seen, 1u << cpu_index(), __ATOMIC_RELAXED);
        if (i % 200 == 0)
            thread_yield();
    }
    thread_set_affinity(thread_current(), 1u);
    pinned_moved_to = 1u << cpu_index();
}

/* A thread with affinity {last CPU} runs only there, even with the other
 * CPUs idle; setting its own affinity to {0} moves it there at once. */
static void smp_affinity_pins(struct ktest *t)
{
    need_cpus(t, 2);
    uint32_t last = cpus_online - 1;
    pinned_seen = pinned_moved_to = 0;
    struct thread *th[3];
    for (int i = 0; i < 3; i++) {
        NTSTATUS st;
        ASSERT_TRUE(t, (th[i] = thread_alloc("pinned", pinned_worker, NULL, &st)) != NULL);
        EXPECT_EQ(t, thread_set_affinity(th[i], 1u << last), cpus_online_mask);
        EXPECT_EQ(t, thread_affinity(th[i]), 1u << last);
        EXPECT_EQ(t, thread_set_ideal_cpu(th[i], last), 0);
        thread_set_as_kernel(th[i]);
        thread_start(th[i]);
    }
    EXPECT_EQ(t, thread_set_affinity(th[0], 1u << 31), 0);     /* no online CPU: refused */
    EXPECT_EQ(t, thread_set_ideal_cpu(th[0], MAX_CPUS), -1);
    for (int i = 0; i < 3; i++)
        thread_join(th[i]);
    EXPECT_EQ(t, pinned_seen, 1u << last);
    EXPECT_EQ(t, pinned_moved_to, 1u);
}

/* tests/kernel/test_smp_heap.c */
void smp_heap_threads_hammer(struct ktest *t);
void smp_fault_catch_per_thread(struct ktest *t);

static const struct ktest_case smp_cases[] = {
    KTEST_CASE(smp_every_cpu_online),
    KTEST_CASE(smp_call_sees_own_cpu),
    KTEST_CASE(smp_spinlock_no_lost_update),
    KTEST_CASE(smp_threads_on_every_cpu),
    KTEST_CASE(smp_affinity_pins),
    KTEST_CASE(smp_shootdown_proof_decommit),
    KTEST_CASE(smp_shootdown_cost),
    KTEST_CASE(smp_heap_threads_hammer),
    KTEST_CASE(smp_fault_catch_per_thread),
    KTEST_END,
};

static const struct ktest_suite smp_suite = {
    .name = "smp",
    .cases = smp_cases,
    .init = smp_init,
};
KTEST_SUITE(smp_suite);

/* ---- deliberate failures, each booted on its own by the harness ---------- */

static void do_panic_here(void *arg)
{
    (void)arg;
    panic("smp_panic: deliberate panic on cpu %u", this_cpu()->index);
}

/* A panic on an application processor must stop the boot CPU (spinning
 * in smp_call_wait, interrupts off: only the NMI reaches it), print the
 * report and exit QEMU with the failure status. */
static void smp_panic_on_other_cpu(struct ktest *t)
{
    need_cpus(t, 2);
    smp_call(1, do_panic_here, NULL);
}

static const struct ktest_case smp_panic_cases[] = {
    KTEST_CASE(smp_panic_on_other_cpu),
    KTEST_END,
};

static const struct ktest_suite smp_panic_suite = {
    .name = "smp_panic",
    .cases = smp_panic_cases,
    .explicit_only = true,
};
KTEST_SUITE(smp_panic_suite);
