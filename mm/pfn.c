/* NT's page lists (mm/pfn.h): free and zeroed frames waiting for user
 * pages, threaded through the per-frame records (mm/pfn_record.h).
 *
 * Each list is doubly linked by frame number (0 ends it: frame 0 is never
 * managed RAM) with a count; a frame's record says which list holds it, so
 * a frame on two lists, or freed to the buddy while listed, is caught.
 *
 * Poisoning: a frame released to the free list is poisoned like one
 * freed to the buddy allocator (test builds); whoever clears it checks the
 * poison first, so a write through a stale pointer is still caught.  In
 * test builds (PMM_POISON) every frame handed out from the zeroed list is
 * also read back word by word, so a frame that is not all zero, or that
 * was written while listed, panics at once.
 *
 * Locking: one spinlock around list changes.  Frames are cleared and
 * checked outside it (the zero thread with interrupts on), and pmm is
 * called outside it: pmm's reclaim hook (pfn_flush) takes it. */
#include "mm/pfn.h"
#include "mm/pfn_record.h"
#include "mm/paging.h"
#include "mm/pagefile.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/lock.h"
#include "kernel/base/panic.h"
#include "kernel/base/x86.h"

#ifndef PMM_POISON
#define PMM_POISON 1                    /* same default as mm/pmm.c */
#endif

#define LIST_END 0u

struct page_list {
    uint32_t head, tail, count;     /* pushed at the head; standby and modified are taken at the tail */
};

static struct spinlock pfn_lock = SPINLOCK_INIT("pfn");
static struct page_list lists[PFN_LIST_COUNT];
static struct pfn_stats stats;
static const char *const list_names[PFN_LIST_COUNT] = {
    [PFN_LIST_NONE] = "none", [PFN_LIST_FREE] = "free", [PFN_LIST_ZEROED] = "zeroed",
    [PFN_LIST_ZEROING] = "zeroing", [PFN_LIST_STANDBY] = "standby", [PFN_LIST_MODIFIED] = "modified",
};

static uint32_t frame_no(paddr_t p) { return (uint32_t)(p >> PAGE_SHIFT); }
static paddr_t frame_addr(uint32_t f) { return (paddr_t)f << PAGE_SHIFT; }

/* ---- lists (lock held) ---- */

static void list_push(enum pfn_list l, paddr_t frame)
{
    uint32_t f = frame_no(frame);
    struct frame *m = pfn_rec(f);

    ASSERTF(m->state == FRAME_USED && m->order == 0, "frame %08llx put on the %s list: not an "
            "allocated single frame (state %u, order %u)", frame, list_names[l], m->state, m->order);
    ASSERTF(m->list == PFN_LIST_NONE, "frame %08llx put on the %s list while on the %s list",
            frame, list_names[l], list_names[m->list]);
    m->list = (uint8_t)l;
    m->prev = LIST_END;
    m->next = lists[l].head;
    if (m->next != LIST_END)
        pfn_rec(m->next)->prev = f;
    else
        lists[l].tail = f;
    lists[l].head = f;
    lists[l].count++;
}

/* Takes frame number f off the list it is on, wherever it sits. */
static void list_unlink(uint32_t f)
{
    struct frame *m = pfn_rec(f);
    enum pfn_list l = (enum pfn_list)m->list;

    ASSERTF(l != PFN_LIST_NONE && lists[l].count > 0, "frame %08llx unlinked from no list",
            frame_addr(f));
    if (m->prev != LIST_END)
        pfn_rec(m->prev)->next = m->next;
    else
        lists[l].head = m->next;
    if (m->next != LIST_END)
        pfn_rec(m->next)->prev = m->prev;
    else
        lists[l].tail = m->prev;
    m->next = m->prev = LIST_END;
    m->list = PFN_LIST_NONE;
    lists[l].count--;
}

/* list_pop's report, out of line: its arguments would otherwise keep a
 * stack frame and spilled registers on the fault's fast path. */
static void __attribute__((noinline, cold, noreturn)) list_head_broken(enum pfn_list l, uint32_t f)
{
    const struct frame *m = &pmm_frame_table[f];
    panic("ASSERT failed: frame %08llx at the head of the %s list: tagged %u, prev %u",
          frame_addr(f), list_names[l], m->list, m->prev);
}

/* The head of a list (the fast path of a demand-zero fault): links were
 * checked when the frame was pushed. */
static inline paddr_t list_pop(enum pfn_list l)
{
    uint32_t f = lists[l].head;
    if (f == LIST_END)
        return PMM_NONE;
    struct frame *m = &pmm_frame_table[f];
    if (__builtin_expect(m->list != l || m->prev != LIST_END, 0))
        list_head_broken(l, f);
    lists[l].head = m->next;
    if (m->next != LIST_END)
        pmm_frame_table[m->next].prev = LIST_END;
    else
        lists[l].tail = LIST_END;
    m->next = LIST_END;
    m->list = PFN_LIST_NONE;
    lists[l].count--;
    return frame_addr(f);
}

/* ---- checks ---- */

/* Test builds: a frame about to be handed out as zeroed must be. */
static void verify_zero(paddr_t frame)
{
#if PMM_POISON
    const uint32_t *p = paging_temp_map(frame);
    uint32_t any = 0;
#pragma GCC unroll 16
    for (uint32_t i = 0; i < PAGE_SIZE / 4; i++)
        any |= p[i];
    for (uint32_t i = 0; any != 0 && i < PAGE_SIZE / 4; i++)
        ASSERTF(p[i] == 0, "zeroed-list frame %08llx: offset %03x holds %08x", frame, i * 4, p[i]);
    paging_temp_unmap((void *)p);
#else
    (void)frame;
#endif
}

/* ---- taking and giving ---- */

/* pfn_take_zeroed with the zeroed list empty (pfn_lock held, taken with
 * `flags`): a free-list or buddy frame, cleared here. */
static paddr_t __attribute__((noinline)) take_and_clear(uint32_t flags)
{
    paddr_t f = list_pop(PFN_LIST_FREE);
    stats.taken_cleared++;
    spin_unlock(&pfn_lock, flags);
    if (f == PMM_NONE)
        f = pmm_alloc();
#if PMM_POISON
    else
        pmm_frame_unpoison(f);          /* written while free? */
#endif
    if (f != PMM_NONE && !(read_eflags() & EFLAGS_IF))
        paging_zero_frame_irqoff(f);    /* the fault path: interrupts are off */
    else if (f != PMM_NONE)
        paging_zero_frame(f);
    return f;
}

paddr_t pfn_take_any(void)
{
    uint32_t flags = spin_lock(&pfn_lock);
    paddr_t f = list_pop(PFN_LIST_FREE);
    bool from_free = f != PMM_NONE;
    if (!from_free)
        f = list_pop(PFN_LIST_ZEROED);      /* the zero thread's work spent, but no I/O waits */
    spin_unlock(&pfn_lock, flags);
#if PMM_POISON
    if (from_free)
        pmm_frame_unpoison(f);              /* written while free? */
#endif
    return f != PMM_NONE ? f : pmm_alloc();
}

/* The zeroed list's head in a small function of its own (no registers to
 * save for the clearing path), else take_and_clear. */
paddr_t pfn_take_zeroed(void)
{
    uint32_t flags = spin_lock(&pfn_lock);
    paddr_t f = list_pop(PFN_LIST_ZEROED);
    if (__builtin_expect(f == PMM_NONE, 0))
        return take_and_clear(flags);
    stats.taken_zeroed++;
    spin_unlock(&pfn_lock, flags);
    verify_zero(f);
    return f;
}

void pfn_release(paddr_t frame)
{
    pfn_unlock_frame(frame);            /* a locked page decommitted: unlocked with it */
    pmm_frame_poison(frame);
    uint32_t flags = spin_lock(&pfn_lock);
    list_push(PFN_LIST_FREE, frame);
    stats.released++;
    spin_unlock(&pfn_lock, flags);
}

/* The zero thread's work.  The frame being cleared sits on no list (its
 * record says PFN_LIST_ZEROING), so nothing else takes it meanwhile. */
bool pfn_zero_step(void)
{
    /* Interrupts stay masked from taking the frame to counting it as
     * being zeroed, so a leak check never sees it on no list. */
    uint32_t irq = irq_save();
    uint32_t flags = spin_lock(&pfn_lock);
    paddr_t f = list_pop(PFN_LIST_FREE);
    bool fresh = false;
    if (f == PMM_NONE && lists[PFN_LIST_ZEROED].count < PFN_ZEROED_TARGET) {
        /* Top up from the buddy allocator, outside the lock (pmm may call
         * pfn_flush), but never take its last frames: an empty buddy would
         * make pmm reclaim the lists. */
        spin_unlock(&pfn_lock, flags);
        if (pmm_free_count() > 2 * PFN_ZEROED_TARGET)
            f = pmm_alloc();
        fresh = true;
        flags = spin_lock(&pfn_lock);
    }
    if (f != PMM_NONE) {
        pfn_rec(frame_no(f))->list = PFN_LIST_ZEROING;
        lists[PFN_LIST_ZEROING].count++;
    }
    spin_unlock(&pfn_lock, flags);
    irq_restore(irq);
    if (f == PMM_NONE)
        return false;

    if (!fresh)
        pmm_frame_unpoison(f);
    paging_zero_frame(f);               /* preemptible here when the caller is */

    flags = spin_lock(&pfn_lock);
    pfn_rec(frame_no(f))->list = PFN_LIST_NONE;
    lists[PFN_LIST_ZEROING].count--;
    list_push(PFN_LIST_ZEROED, f);
    stats.zeroed_by_thread++;
    spin_unlock(&pfn_lock, flags);
    return true;
}

void pfn_zero_until(uint32_t zeroed)
{
    while (lists[PFN_LIST_ZEROED].count < zeroed && pfn_zero_step())
        ;
}

/* Also pmm's reclaim hook: called without pmm's lock. */
uint32_t pfn_flush(void)
{
    uint32_t n = 0;
    for (;;) {
        uint32_t flags = spin_lock(&pfn_lock);
        paddr_t f = list_pop(PFN_LIST_FREE);
        bool stale = f != PMM_NONE;
        if (f == PMM_NONE)
            f = list_pop(PFN_LIST_ZEROED);
        if (f != PMM_NONE)
            stats.reclaimed++;
        spin_unlock(&pfn_lock, flags);
        if (f == PMM_NONE)
            return n;
        if (stale)
            pmm_frame_unpoison(f);      /* pmm_free poisons it again */
        pmm_free(f);
        n++;
    }
}

/* ---- standby and modified ---- */

static void put_owned(enum pfn_list l, paddr_t frame, uint32_t owner, uint32_t va, uint32_t slot)
{
    struct frame *m = pfn_rec(frame_no(frame));
    ASSERTF(owner != 0 && va % PAGE_SIZE == 0, "frame %08llx to the %s list: owner %08x, va %08x",
            frame, list_names[l], owner, va);
    uint32_t flags = spin_lock(&pfn_lock);
    list_push(l, frame);
    m->owner = owner;
    m->owner_va = va;
    m->slot = slot;
    spin_unlock(&pfn_lock, flags);
}

static paddr_t take_oldest(enum pfn_list l, uint32_t *owner, uint32_t *va, uint32_t *slot)
{
    uint32_t flags = spin_lock(&pfn_lock);
    uint32_t f = lists[l].tail;
    paddr_t frame = PMM_NONE;
    if (f != LIST_END) {
        struct frame *m = pfn_rec(f);
        ASSERTF(m->list == l && m->next == LIST_END, "frame %08llx at the tail of the %s list: "
                "tagged %u, next %u", frame_addr(f), list_names[l], m->list, m->next);
        list_unlink(f);
        *owner = m->owner;
        *va = m->owner_va;
        if (slot != NULL)
            *slot = m->slot;
        m->owner = m->owner_va = 0;
        m->slot = PAGEFILE_NO_SLOT;
        frame = frame_addr(f);
    }
    spin_unlock(&pfn_lock, flags);
    return frame;
}

void pfn_put_modified(paddr_t frame, uint32_t owner, uint32_t va)
{
    put_owned(PFN_LIST_MODIFIED, frame, owner, va, PAGEFILE_NO_SLOT);
}

void pfn_put_standby(paddr_t frame, uint32_t owner, uint32_t va, uint32_t slot)
{
    ASSERTF(slot != PAGEFILE_NO_SLOT, "frame %08llx to standby without a slot", frame);
    put_owned(PFN_LIST_STANDBY, frame, owner, va, slot);
}

paddr_t pfn_take_modified(uint32_t *owner, uint32_t *va)
{
    return take_oldest(PFN_LIST_MODIFIED, owner, va, NULL);
}

paddr_t pfn_take_standby(uint32_t *owner, uint32_t *va, uint32_t *slot)
{
    return take_oldest(PFN_LIST_STANDBY, owner, va, slot);
}

uint32_t pfn_unlist(paddr_t frame, uint32_t owner, uint32_t va)
{
    uint32_t f = frame_no(frame);
    struct frame *m = pfn_rec(f);
    uint32_t flags = spin_lock(&pfn_lock);
    ASSERTF((m->list == PFN_LIST_STANDBY || m->list == PFN_LIST_MODIFIED) &&
            m->owner == owner && m->owner_va == va, "transition frame %08llx of %08x:%08x is on "
            "the %s list, owned by %08x:%08x", frame, owner, va, list_names[m->list], m->owner,
            m->owner_va);
    uint32_t slot = m->list == PFN_LIST_STANDBY ? m->slot : PAGEFILE_NO_SLOT;
    list_unlink(f);
    m->owner = m->owner_va = 0;
    m->slot = PAGEFILE_NO_SLOT;
    spin_unlock(&pfn_lock, flags);
    return slot;
}

/* ---- locked pages ---- */

static uint32_t locked_frames;

bool pfn_lock_frame(paddr_t frame)
{
    struct frame *r = pfn_rec(frame_no(frame));
    ASSERTF(r->list == PFN_LIST_NONE, "locking frame %08llx, which is on list %u", frame, r->list);
    if (r->flags & FRAME_LOCKED)
        return false;
    r->flags |= FRAME_LOCKED;
    locked_frames++;
    return true;
}

bool pfn_unlock_frame(paddr_t frame)
{
    struct frame *r = pfn_rec(frame_no(frame));
    if (!(r->flags & FRAME_LOCKED))
        return false;
    ASSERTF(locked_frames > 0, "unlocking frame %08llx with no frame locked", frame);
    r->flags &= ~FRAME_LOCKED;
    locked_frames--;
    return true;
}

bool pfn_frame_locked(paddr_t frame)
{
    return (pfn_rec(frame_no(frame))->flags & FRAME_LOCKED) != 0;
}

uint32_t pfn_locked_frames(void)
{
    return locked_frames;
}

enum pfn_list pfn_list_of(paddr_t frame)
{
    return (enum pfn_list)pfn_rec(frame_no(frame))->list;
}

uint32_t pfn_free_zeroed(void)
{
    return lists[PFN_LIST_FREE].count + lists[PFN_LIST_ZEROED].count;
}

uint32_t pfn_count(enum pfn_list l)
{
    ASSERTF(l < PFN_LIST_COUNT, "pfn_count of list %d", l);
    return lists[l].count;
}

void pfn_init(void)
{
    pmm_set_reclaim(pfn_flush);
}

/* ---- queries ---- */

uint32_t pfn_list_frames(void)
{
    return lists[PFN_LIST_FREE].count + lists[PFN_LIST_ZEROED].count +
           lists[PFN_LIST_ZEROING].count + lists[PFN_LIST_STANDBY].count +
           lists[PFN_LIST_MODIFIED].count;
}

void pfn_get_stats(struct pfn_stats *out)
{
    uint32_t flags = spin_lock(&pfn_lock);
    *out = stats;
    out->free = lists[PFN_LIST_FREE].count;
    out->zeroed = lists[PFN_LIST_ZEROED].count;
    out->zeroing = lists[PFN_LIST_ZEROING].count;
    out->standby = lists[PFN_LIST_STANDBY].count;
    out->modified = lists[PFN_LIST_MODIFIED].count;
    spin_unlock(&pfn_lock, flags);
}

static uint32_t validate_list(enum pfn_list l)
{
    uint32_t bad = 0, n = 0, prev = LIST_END;
    for (uint32_t f = lists[l].head; f != LIST_END && n <= lists[l].count; n++) {
        const struct frame *m = pfn_rec(f);
        /* A listed frame holds no locked page: the trimmer never takes one. */
        bad += m->list != l || m->state != FRAME_USED || m->order != 0 || m->prev != prev ||
               (m->flags & FRAME_LOCKED);
        prev = f;
        f = m->next;
    }
    return bad + (n != lists[l].count) + (lists[l].count > 0 && prev != lists[l].tail);
}

uint32_t pfn_validate(void)
{
    uint32_t flags = spin_lock(&pfn_lock);
    uint32_t bad = validate_list(PFN_LIST_FREE) + validate_list(PFN_LIST_ZEROED) +
                   validate_list(PFN_LIST_STANDBY) + validate_list(PFN_LIST_MODIFIED);
    spin_unlock(&pfn_lock, flags);
    return bad;
}

void pfn_print_report(void)
{
    struct pfn_stats s;
    pfn_get_stats(&s);
    kprintf("page lists: free %u, zeroed %u (target %u), being zeroed %u, standby %u, "
            "modified %u\n", s.free, s.zeroed, PFN_ZEROED_TARGET, s.zeroing, s.standby, s.modified);
    kprintf("zero thread: %u pages cleared; demand-zero takes: %u zeroed, %u cleared in the "
            "fault; %u released, %u reclaimed by the buddy allocator\n", s.zeroed_by_thread,
            s.taken_zeroed, s.taken_cleared, s.released, s.reclaimed);
}
