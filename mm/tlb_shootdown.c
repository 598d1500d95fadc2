/* TLB shootdown by IPI (mm/tlb_shootdown.h).
 *
 * One request at a time, under the "tlb shootdown" spinlock: the sender
 * fills the request, sets one pending bit per target, sends each target
 * one IPI (T_IPI_TLB) and spins until the bits are clear.  A target
 * invalidates the listed pages (or flushes: CR3 reload, or a CR4.PGE
 * toggle when global kernel entries changed, SDM 4.10.4.1) and clears its
 * bit.  The sender waits with interrupts off, so a target that spins with
 * interrupts off (on a spinlock the sender holds, or for the call slot)
 * serves the request from inside that spin (tlb_shootdown_poll), as NT's
 * KiIpiStallOnPacketTargets serves requests while it waits: no two CPUs
 * wait on each other forever. */
#include "mm/tlb_shootdown.h"
#include "kernel/arch/apic.h"
#include "kernel/arch/trap.h"
#include "kernel/base/lock.h"
#include "kernel/base/panic.h"
#include "kernel/base/percpu.h"
#include "kernel/base/x86.h"

#define SHOOT_SPIN_LIMIT (1u << 30)

static struct spinlock shoot_lock = SPINLOCK_INIT("tlb shootdown");
static struct {
    volatile uint32_t pending;      /* CPUs still to invalidate */
    uint32_t n;
    bool all, kernel;
    uint32_t va[TLB_SHOOT_PAGES];
} req;
static struct tlb_shootdown_stats stats;

static void flush_everything(bool kernel)
{
    uint32_t cr4 = read_cr4();
    if (kernel && (cr4 & CR4_PGE)) {
        write_cr4(cr4 & ~CR4_PGE);
        write_cr4(cr4);
    } else {
        write_cr3(read_cr3());
    }
}

void tlb_shootdown_poll(void)
{
    if (!percpu_ready)
        return;
    struct cpu *c = this_cpu();
    uint32_t bit = 1u << c->index;
    if (!(__atomic_load_n(&req.pending, __ATOMIC_ACQUIRE) & bit))
        return;
    if (req.all) {
        flush_everything(req.kernel);
    } else {
        for (uint32_t i = 0; i < req.n; i++)
            invlpg(req.va[i]);
    }
    c->tlb_shootdowns_served += req.all || req.n != 0;   /* (not a barrier) */
    c->tlb_pages_flushed_remote += req.all ? 0 : req.n;
    /* A locked AND whatever the order asked: a full barrier, which
     * cpu_barrier_others relies on. */
    __atomic_and_fetch(&req.pending, ~bit, __ATOMIC_SEQ_CST);
}

static bool shootdown_ipi(struct trap_frame *tf)
{
    (void)tf;
    this_cpu()->ipis_received++;
    tlb_shootdown_poll();
    apic_eoi();
    return true;
}

void tlb_shootdown_init(void)
{
    trap_set_handler(T_IPI_TLB, shootdown_ipi);
    spin_set_wait_hook(tlb_shootdown_poll);
}

/* Sends the request already filled in to targets (lock held) and waits
 * until each has served it. */
static void shoot_and_wait(uint32_t targets)
{
    __atomic_store_n(&req.pending, targets, __ATOMIC_SEQ_CST);
    for (uint32_t i = 0; i < cpu_count; i++)
        if (targets & (1u << i))
            apic_send_ipi((uint8_t)cpu_table[i].apic_id, T_IPI_TLB);
    uint32_t spins = 0;
    while (__atomic_load_n(&req.pending, __ATOMIC_ACQUIRE) != 0)
        ASSERTF(++spins < SHOOT_SPIN_LIMIT, "TLB shootdown: cpus %x never answered",
                req.pending);
}

void tlb_shootdown(uint32_t targets, const uint32_t *va, uint32_t n, bool all, bool kernel)
{
    ASSERTF(!(targets & (1u << cpu_index())), "shootdown targets %x include this cpu %u",
            targets, cpu_index());
    if (targets == 0)
        return;
    uint32_t flags = spin_lock(&shoot_lock);
    req.all = all || n > TLB_SHOOT_PAGES;
    req.kernel = kernel;
    req.n = req.all ? 0 : n;
    for (uint32_t i = 0; i < req.n; i++)
        req.va[i] = va[i];
    uint32_t k = (uint32_t)__builtin_popcount(targets);
    stats.ipis += k;
    stats.cpus_interrupted += k;
    stats.requests++;
    stats.pages += req.n;
    stats.full_flushes += req.all;
    shoot_and_wait(targets);
    spin_unlock(&shoot_lock, flags);
}

/* A request with no page (n 0, not all): the target's locked AND of its
 * pending bit is the barrier (Intel SDM Vol.3 9.2.3.4 and 9.2.5: a
 * locked instruction orders every earlier load and store with every
 * later one), after which the sender's own reads cannot pass the
 * target's earlier stores.  The targets are read with interrupts off
 * (the lock), so this CPU is not among them even if the caller moved. */
void cpu_barrier_others(void)
{
    if (cpus_online <= 1)
        return;
    uint32_t flags = spin_lock(&shoot_lock);
    uint32_t targets = cpus_online_mask & ~(1u << cpu_index());
    if (targets != 0) {
        req.all = false;
        req.kernel = false;
        req.n = 0;
        stats.barriers++;
        shoot_and_wait(targets);
    }
    spin_unlock(&shoot_lock, flags);
}

void tlb_shootdown_count_local_only(void)
{
    __atomic_fetch_add(&stats.skipped_local_only, 1, __ATOMIC_RELAXED);
}

void tlb_shootdown_get_stats(struct tlb_shootdown_stats *out)
{
    *out = stats;
}
