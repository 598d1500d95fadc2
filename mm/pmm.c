/* Physical frame allocator: a binary buddy allocator over the frames the
 * multiboot memory map lists as available, below the physical address
 * limit of the page-table format in use (4 GiB for 32-bit paging; with
 * PAE, 2^MAXPHYADDR).
 *
 * Why buddy.  Free memory is kept as blocks of 2^k frames (k = 0 ..
 * PMM_MAX_ORDER), each aligned to its own size, one free list per order.
 * - A single frame costs at most PMM_MAX_ORDER list lookups and splits to
 *   allocate and PMM_MAX_ORDER merges to free: bounded, independent of RAM.
 * - Runs of 2^k contiguous frames aligned to 2^k come for free, which is
 *   what a 4 MiB PSE page or a DMA buffer needs.
 * - A block's buddy is found by arithmetic (frame ^ 2^k), so freeing
 *   merges neighbours back at once and fragmentation does not pile up.
 *
 * Where the bookkeeping lives.  Frames are not mapped in general, so the
 * free lists cannot be threaded through the free frames themselves.  A
 * per-frame array (struct frame, 12 bytes; 12 MiB for 4 GiB, 18 MiB for
 * 6 GiB) holds the links, the block order and the state.  It is carved
 * out of available RAM between 1 MiB and BOOT_WINDOW_END (1 GiB), the
 * boot window that boot/entry.asm maps at KERNEL_VBASE + physical and
 * that mm/paging keeps mapping for [metadata start, end)
 * (pmm_metadata_range): the kernel reaches it without page tables of its
 * own, and a direct mapping needs a low physical address.
 *
 * Zones.  The free lists are kept twice: frames below 4 GiB and frames
 * above.  No block crosses 4 GiB (blocks are aligned to their size, at
 * most 4 MiB).  pmm_alloc takes from the high zone first, so the low one
 * is left for what must be below 4 GiB (pmm_alloc_low: tables written
 * through the 32-bit boot tables, PAE page-directory-pointer tables).
 *
 * Frame states.  Only the first frame of a block (its head) says what the
 * block is; the other frames are FRAME_TAIL, so splitting and merging
 * touch one entry per step.  Zeroed metadata reads as FRAME_ABSENT (not
 * RAM) and as empty list links: frame 0 lies below 1 MiB, is never free,
 * and serves as the list terminator (like PMM_NONE).
 *
 * Accounting: total = reserved + free + allocated, in frames of available
 * RAM below the limit; pmm_print_report shows all four, and the part above
 * 4 GiB.
 *
 * Poisoning (PMM_POISON): once mm/paging provides a way to reach any
 * frame (pmm_set_frame_access), every freed frame is filled with a
 * per-frame pattern and flagged; the allocator checks the pattern before
 * handing a flagged frame out again, which catches writes through stale
 * pointers to freed memory.
 *
 * Locking: one spinlock (which also masks interrupts) around every
 * operation.  The frame-access callbacks run under it and must not call
 * back into the allocator. */
#include "mm/pmm.h"
#include "mm/memlayout.h"
#include "mm/pfn_record.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/layout.h"
#include "kernel/base/lock.h"
#include "kernel/base/panic.h"
#include <string.h>

#ifndef PMM_POISON
#define PMM_POISON 1
#endif

#define LOW_MEMORY_END 0x00100000u      /* IVT, BIOS data, EBDA, VGA, ROMs: never handed out */
#define LIST_END 0u                     /* frame 0 is never free (below 1 MiB) */
#define POISON_BASE 0xDEADF4EEu         /* ^ frame number: the top 12 bits stay 0xDEA */

/* struct frame, the per-frame record, is in mm/pfn_record.h: mm/pfn.c
 * threads its page lists through the same record. */
/* The ranges pmm_init was given, passed around while it runs. */
struct init_map {
    const struct pmm_range *avail, *busy;
    int avail_count, busy_count;
};

static struct spinlock pmm_lock = SPINLOCK_INIT("pmm");
/* frames[0 .. frame_count), at KERNEL_VBASE + meta_start; frame_count is
 * one past the highest available frame below the limit.  Not static:
 * mm/pfn_record.h reads them (pfn_rec). */
#define frames pmm_frame_table
#define frame_count pmm_frame_table_count
struct frame *pmm_frame_table;
uint32_t pmm_frame_table_count;
static uint64_t ram_limit;              /* physical address limit (pmm_init) */
/* free_lists[zone][order]: zone 0 below 4 GiB, zone 1 above. */
#define ZONE_LOW 0
#define ZONE_HIGH 1
#define ZONE_HIGH_FIRST ((uint32_t)(PMM_4G >> PAGE_SHIFT))
static uint32_t free_lists[2][PMM_MAX_ORDER + 1];
static struct pmm_stats stats;
static paddr_t meta_start, meta_end;
static void *(*access_map)(paddr_t frame);
static void (*access_unmap)(void *va);
static uint32_t (*reclaim_hook)(void);     /* mm/pfn: give listed frames back */

static uint64_t round_up(uint64_t v) { return (v + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1); }
static paddr_t frame_addr(uint32_t f) { return (paddr_t)f << PAGE_SHIFT; }
static unsigned zone_of(uint32_t f) { return f >= ZONE_HIGH_FIRST; }

/* ---- free lists ---- */

static void list_push(uint32_t f, unsigned order)
{
    struct frame *m = &frames[f];

    m->state = FRAME_FREE;
    m->order = (uint8_t)order;
    m->prev = LIST_END;
    m->next = free_lists[zone_of(f)][order];
    if (m->next != LIST_END)
        frames[m->next].prev = f;
    free_lists[zone_of(f)][order] = f;
}

/* Unlinks a FRAME_FREE head; the caller gives it its next state. */
static void list_remove(uint32_t f)
{
    struct frame *m = &frames[f];

    if (m->prev == LIST_END)
        free_lists[zone_of(f)][m->order] = m->next;
    else
        frames[m->prev].next = m->next;
    if (m->next != LIST_END)
        frames[m->next].prev = m->prev;
}

/* Largest order for a block starting at frame f with n frames available:
 * a block must be aligned to its own size. */
static unsigned largest_order(uint32_t f, uint32_t n)
{
    unsigned k = f == 0 ? PMM_MAX_ORDER : (unsigned)__builtin_ctz(f);

    if (k > PMM_MAX_ORDER)
        k = PMM_MAX_ORDER;
    while ((1u << k) > n)
        k--;
    return k;
}

/* Puts the block [f, f + 2^order) back, merging it with its buddy (the
 * other half of the next larger aligned block) for as long as the buddy
 * is a whole free block of the same order. */
static void buddy_release(uint32_t f, unsigned order)
{
    while (order < PMM_MAX_ORDER) {
        uint32_t b = f ^ (1u << order);
        if (b >= frame_count || frames[b].state != FRAME_FREE || frames[b].order != order)
            break;
        list_remove(b);
        frames[b].state = FRAME_TAIL;
        frames[f].state = FRAME_TAIL;
        f &= b;
        order++;
    }
    list_push(f, order);
}

/* Takes a free block of at least 2^order frames from zone, splits off the
 * upper halves back onto the smaller lists, and returns the head, or
 * LIST_END. */
static uint32_t buddy_take(unsigned order, unsigned zone)
{
    unsigned k = order;

    while (k <= PMM_MAX_ORDER && free_lists[zone][k] == LIST_END)
        k++;
    if (k > PMM_MAX_ORDER)
        return LIST_END;
    uint32_t f = free_lists[zone][k];
    ASSERTF(frames[f].state == FRAME_FREE && frames[f].order == k, "pmm: free list %u holds "
            "%08llx, which is not a free block of that order (state %u, order %u)", k,
            frame_addr(f), frames[f].state, frames[f].order);
    list_remove(f);
    while (k > order) {
        k--;
        list_push(f + (1u << k), k);
    }
    frames[f].state = FRAME_USED;
    frames[f].order = (uint8_t)order;
    return f;
}

/* ---- poisoning ---- */

#if PMM_POISON
static uint32_t poison_word(uint32_t f)
{
    return POISON_BASE ^ f;
}

/* The loops below are unrolled: under TCG every guest store or load
 * costs a software TLB lookup, and loop overhead would double that. */
static void poison_fill(uint32_t f)
{
    uint32_t *p = access_map(frame_addr(f));
    uint32_t w = poison_word(f);

#pragma GCC unroll 16
    for (uint32_t i = 0; i < PAGE_SIZE / 4; i++)
        p[i] = w;
    access_unmap(p);
}

/* A poisoned frame must still hold its pattern when it leaves the free
 * lists; anything else means someone wrote to memory they had freed.  The
 * fast pass only ORs the differences; the slow one finds the first. */
static void poison_check(uint32_t f)
{
    const uint32_t *p = access_map(frame_addr(f));
    uint32_t w = poison_word(f), diff = 0;

#pragma GCC unroll 16
    for (uint32_t i = 0; i < PAGE_SIZE / 4; i++)
        diff |= p[i] ^ w;
    for (uint32_t i = 0; diff != 0 && i < PAGE_SIZE / 4; i++)
        ASSERTF(p[i] == w, "free frame %08llx was written while free: offset %03x holds %08x "
                "(poison %08x)", frame_addr(f), i * 4, p[i], w);
    access_unmap((void *)p);
}
#endif

/* Poisons the run [f, f + 2^order) being freed, when frames can be reached. */
static void poison_run(uint32_t f, unsigned order)
{
#if PMM_POISON
    if (access_map == NULL)
        return;
    for (uint32_t i = f; i < f + (1u << order); i++) {
        poison_fill(i);
        frames[i].flags |= FRAME_POISONED;
    }
#else
    (void)f;
    (void)order;
#endif
}

/* Checks the poisoned frames of a run being handed out and clears their
 * flag.  Frames never freed since boot carry no flag and are not read. */
static void poison_verify_run(uint32_t f, unsigned order)
{
#if PMM_POISON
    for (uint32_t i = f; i < f + (1u << order); i++) {
        if (!(frames[i].flags & FRAME_POISONED))
            continue;
        if (access_map != NULL)
            poison_check(i);
        frames[i].flags &= (uint8_t)~FRAME_POISONED;
    }
#else
    (void)f;
    (void)order;
#endif
}

/* ---- pmm_init ---- */

/* Bytes of an available range at or above the limit, which the page-table
 * format cannot reach (32-bit paging: 4 GiB). */
static uint64_t init_above_limit(const struct pmm_range *r)
{
    uint64_t from = r->base > ram_limit ? r->base : ram_limit;

    return r->end > from ? r->end - from : 0;
}

/* True when every byte of [a, b) lies in some available range (ranges
 * may touch or overlap; their union counts). */
static bool init_available(const struct init_map *m, uint64_t a, uint64_t b)
{
    bool moved = true;

    while (a < b && moved) {
        moved = false;
        for (int i = 0; i < m->avail_count; i++) {
            if (m->avail[i].base <= a && a < m->avail[i].end) {
                a = m->avail[i].end;
                moved = true;
            }
        }
    }
    return a >= b;
}

/* The frames [first, last) below the limit that available range r covers;
 * false when none.  A frame r covers only in part still counts when the
 * other ranges cover the rest (a map may split RAM mid-frame). */
static bool init_clip(const struct init_map *m, const struct pmm_range *r, uint32_t *first,
                      uint32_t *last)
{
    uint64_t base = r->base, end = r->end > ram_limit ? ram_limit : r->end;

    if (base >= end)
        return false;
    uint64_t lo = base & ~(uint64_t)(PAGE_SIZE - 1), hi = round_up(end);
    if (lo != base && !init_available(m, lo, lo + PAGE_SIZE))
        lo += PAGE_SIZE;
    if (hi != end && !init_available(m, hi - PAGE_SIZE, hi))
        hi -= PAGE_SIZE;
    *first = (uint32_t)(lo >> PAGE_SHIFT);
    *last = (uint32_t)(hi >> PAGE_SHIFT);
    return lo < hi;
}

static bool init_busy(const struct init_map *m, uint64_t a, uint64_t b)
{
    for (int i = 0; i < m->busy_count; i++)
        if (m->busy[i].base < b && a < m->busy[i].end)
            return true;
    return false;
}

static bool init_meta_fits(const struct init_map *m, uint64_t start, uint64_t size)
{
    return start >= LOW_MEMORY_END && start + size <= BOOT_WINDOW_END &&
           init_available(m, start, start + size) && !init_busy(m, start, start + size);
}

/* Lowest place for size bytes of metadata in the boot window: it can only
 * start where an available range starts or a busy range ends. */
static paddr_t init_place_metadata(const struct init_map *m, uint64_t size)
{
    uint64_t best = BOOT_WINDOW_END;

    for (int i = 0; i < m->avail_count + m->busy_count; i++) {
        uint64_t c = i < m->avail_count ? m->avail[i].base : m->busy[i - m->avail_count].end;
        c = round_up(c < LOW_MEMORY_END ? LOW_MEMORY_END : c);
        if (c < best && init_meta_fits(m, c, size))
            best = c;
    }
    if (best == BOOT_WINDOW_END)
        panic("pmm: no room for %llu KiB of frame metadata in available RAM between 1 MiB and "
              "the boot window end %x (outside the kernel and boot data)", size / 1024,
              BOOT_WINDOW_END);
    return (paddr_t)best;
}

/* Marks the RAM frames overlapping [base, end) reserved. */
static void init_reserve(uint64_t base, uint64_t end)
{
    uint64_t first = base >> PAGE_SHIFT, last = round_up(end) >> PAGE_SHIFT;

    if (last > frame_count)
        last = frame_count;
    for (uint64_t f = first; f < last; f++)
        if (frames[f].state != FRAME_ABSENT)
            frames[f].state = FRAME_RESERVED;
}

/* Frees the run [f, end) of usable frames as maximal aligned blocks. */
static void init_free_run(uint32_t f, uint32_t end)
{
    while (f < end) {
        unsigned k = largest_order(f, end - f);
        list_push(f, k);
        stats.free += 1u << k;
        f += 1u << k;
    }
}

/* Counts the RAM and reserved frames and frees every run of usable ones
 * (still FRAME_TAIL from init_mark_ram). */
static void init_build_lists(void)
{
    uint32_t f = 0;

    while (f < frame_count) {
        if (frames[f].state != FRAME_TAIL) {
            stats.total += frames[f].state != FRAME_ABSENT;
            stats.total_high += frames[f].state != FRAME_ABSENT && zone_of(f) == ZONE_HIGH;
            stats.reserved += frames[f].state == FRAME_RESERVED;
            f++;
            continue;
        }
        /* A run of usable frames, cut at 4 GiB so no block spans zones. */
        uint32_t end = f;
        while (end < frame_count && frames[end].state == FRAME_TAIL &&
               (end != ZONE_HIGH_FIRST || end == f))
            end++;
        stats.total += end - f;
        if (zone_of(f) == ZONE_HIGH) {
            stats.total_high += end - f;
            stats.free_high += end - f;
        }
        init_free_run(f, end);
        f = end;
    }
}

static void init_mark_ram(const struct init_map *m)
{
    uint32_t first, last;

    for (int i = 0; i < m->avail_count; i++)
        if (init_clip(m, &m->avail[i], &first, &last))
            for (uint32_t f = first; f < last; f++)
                frames[f].state = FRAME_TAIL;
}

/* frame_count from the available ranges; sums stats.clipped_bytes. */
static void init_count_frames(const struct init_map *m)
{
    uint32_t first, last;

    for (int i = 0; i < m->avail_count; i++) {
        stats.clipped_bytes += init_above_limit(&m->avail[i]);
        if (init_clip(m, &m->avail[i], &first, &last) && last > frame_count)
            frame_count = last;
    }
    if (frame_count == 0)
        panic("pmm: the memory map lists no available RAM below %llx", ram_limit);
}

/* Runs once, single-threaded, before anything else allocates frames. */
void pmm_init(const struct pmm_range *available, int available_count,
              const struct pmm_range *busy, int busy_count, uint64_t limit)
{
    const struct init_map m = { available, busy, available_count, busy_count };

    ASSERTF(frames == NULL, "pmm_init called twice (metadata already at %08llx)", meta_start);
    ASSERTF(limit >= PMM_4G && limit <= PMM_LIMIT_MAX && (limit & (limit - 1)) == 0,
            "pmm_init: physical limit %llx is not a power of two in [4 GiB, 16 TiB]", limit);
    ram_limit = limit;
    stats.limit = limit;
    uint32_t flags = spin_lock(&pmm_lock);
    init_count_frames(&m);
    uint64_t size = round_up((uint64_t)frame_count * sizeof(struct frame));
    meta_start = init_place_metadata(&m, size);
    meta_end = meta_start + (paddr_t)size;
    frames = (struct frame *)(uintptr_t)(meta_start + KERNEL_VBASE);
    memset(frames, 0, (size_t)size);
    init_mark_ram(&m);
    init_reserve(0, LOW_MEMORY_END);
    for (int i = 0; i < busy_count; i++)
        init_reserve(busy[i].base, busy[i].end);
    init_reserve(meta_start, meta_end);
    init_build_lists();
    spin_unlock(&pmm_lock, flags);
    if (stats.clipped_bytes != 0)
        kprintf("pmm: ignoring %llu bytes (%llu MiB) of RAM above %llu GiB (%s)\n",
                stats.clipped_bytes, stats.clipped_bytes >> 20, ram_limit >> 30,
                ram_limit == PMM_4G ? "32-bit paging reaches 4 GiB" : "beyond MAXPHYADDR");
}

/* ---- allocation ---- */

/* From the high zone first unless low_only. */
static uint32_t alloc_locked(unsigned order, bool low_only)
{
    uint32_t f = low_only ? LIST_END : buddy_take(order, ZONE_HIGH);
    if (f == LIST_END)
        f = buddy_take(order, ZONE_LOW);
    if (f != LIST_END) {
        stats.free -= 1u << order;
        if (zone_of(f) == ZONE_HIGH)
            stats.free_high -= 1u << order;
        poison_verify_run(f, order);
    }
    return f;
}

/* When the buddy lists cannot serve a request, the page lists of mm/pfn
 * (free and zeroed frames waiting for user pages) give their frames back
 * through the reclaim hook, outside the lock (it frees through
 * pmm_free), and the request is tried once more. */
static paddr_t alloc_from(unsigned order, bool low_only)
{
    if (order > PMM_MAX_ORDER)
        return PMM_NONE;
    uint32_t flags = spin_lock(&pmm_lock);
    uint32_t f = alloc_locked(order, low_only);
    spin_unlock(&pmm_lock, flags);
    if (f == LIST_END && reclaim_hook != NULL && reclaim_hook() > 0) {
        flags = spin_lock(&pmm_lock);
        f = alloc_locked(order, low_only);
        spin_unlock(&pmm_lock, flags);
    }
    return f == LIST_END ? PMM_NONE : frame_addr(f);
}

paddr_t pmm_alloc_order(unsigned order)
{
    return alloc_from(order, false);
}

paddr_t pmm_alloc(void)
{
    return alloc_from(0, false);
}

paddr_t pmm_alloc_low(void)
{
    return alloc_from(0, true);
}

/* A frame that is neither a free nor an allocated head lies inside a
 * block: name the block's head and what it is. */
static void __attribute__((noreturn)) free_inside_block(paddr_t frame)
{
    uint32_t f = frame >> PAGE_SHIFT;

    for (unsigned k = 1; k <= PMM_MAX_ORDER; k++) {
        uint32_t h = f & ~((1u << k) - 1);
        bool head = frames[h].state == FRAME_FREE || frames[h].state == FRAME_USED;
        if (head && frames[h].order >= k)
            panic("pmm_free of %08llx: %s (inside the %s block at %08llx of order %u)", frame,
                  frames[h].state == FRAME_FREE ? "double free" : "not the start of its run",
                  frames[h].state == FRAME_FREE ? "free" : "allocated", frame_addr(h),
                  frames[h].order);
    }
    panic("pmm_free of %08llx: frame inside no block (metadata corrupted?)", frame);
}

/* Every way a free can be wrong panics with the address, before anything
 * is changed.  Returns the frame number. */
static uint32_t free_validate(paddr_t frame, unsigned order)
{
    ASSERTF(order <= PMM_MAX_ORDER, "pmm_free of %08llx: order %u, the largest is %d", frame,
            order, PMM_MAX_ORDER);
    ASSERTF((frame & (PAGE_SIZE - 1)) == 0, "pmm_free of %08llx: not 4 KiB aligned", frame);
    ASSERTF((frame >> PAGE_SHIFT) < frame_count, "pmm_free of %08llx: beyond managed RAM (ends "
            "at %llx)", frame, (uint64_t)frame_count << PAGE_SHIFT);
    uint32_t f = (uint32_t)(frame >> PAGE_SHIFT);
    ASSERTF((f & ((1u << order) - 1)) == 0, "pmm_free of %08llx: not aligned for order %u "
            "(%u KiB)", frame, order, (PAGE_SIZE << order) / 1024);
    const struct frame *m = &frames[f];
    ASSERTF(m->state != FRAME_ABSENT && m->state != FRAME_RESERVED,
            "pmm_free of %08llx: reserved frame, never handed out", frame);
    ASSERTF(m->state != FRAME_FREE, "pmm_free of %08llx: double free (free block of order %u)",
            frame, m->order);
    if (m->state == FRAME_TAIL)
        free_inside_block(frame);
    ASSERTF(m->order == order, "pmm_free of %08llx: allocated as order %u, freed as order %u",
            frame, m->order, order);
    ASSERTF(m->list == 0, "pmm_free of %08llx: the frame is on page list %u (mm/pfn.c)", frame,
            m->list);
    return f;
}

void pmm_free_order(paddr_t frame, unsigned order)
{
    uint32_t flags = spin_lock(&pmm_lock);
    uint32_t f = free_validate(frame, order);
    frames[f].state = FRAME_TAIL;
    stats.free += 1u << order;
    if (zone_of(f) == ZONE_HIGH)
        stats.free_high += 1u << order;
    poison_run(f, order);
    buddy_release(f, order);
    spin_unlock(&pmm_lock, flags);
}

void pmm_free(paddr_t frame)
{
    pmm_free_order(frame, 0);
}

/* ---- the per-frame record, for mm/pfn.c ---- */

void pmm_set_reclaim(uint32_t (*fn)(void))
{
    reclaim_hook = fn;
}

void pmm_frame_poison(paddr_t frame)
{
    if (!PMM_POISON)
        return;
    uint32_t flags = spin_lock(&pmm_lock);
    poison_run((uint32_t)(frame >> PAGE_SHIFT), 0);
    spin_unlock(&pmm_lock, flags);
}

void pmm_frame_unpoison(paddr_t frame)
{
    if (!PMM_POISON)
        return;
    uint32_t flags = spin_lock(&pmm_lock);
    poison_verify_run((uint32_t)(frame >> PAGE_SHIFT), 0);
    spin_unlock(&pmm_lock, flags);
}

/* ---- queries ---- */

void pmm_get_stats(struct pmm_stats *out)
{
    uint32_t flags = spin_lock(&pmm_lock);
    *out = stats;
    spin_unlock(&pmm_lock, flags);
}

uint32_t pmm_free_count(void)
{
    /* One aligned 32-bit load is atomic (Intel SDM Vol.3 9.1.1), and the
     * count may change the moment the lock is dropped anyway: the lock
     * bought nothing but a round trip on every fault's pressure check. */
    return __atomic_load_n(&stats.free, __ATOMIC_RELAXED);
}

uint32_t pmm_free_low_count(void)
{
    uint32_t flags = spin_lock(&pmm_lock);
    uint32_t n = stats.free - stats.free_high;
    spin_unlock(&pmm_lock, flags);
    return n;
}

bool pmm_is_reserved(paddr_t frame)
{
    uint64_t f = frame >> PAGE_SHIFT;
    uint32_t flags = spin_lock(&pmm_lock);
    bool r = f >= frame_count || frames[f].state == FRAME_ABSENT ||
             frames[f].state == FRAME_RESERVED;
    spin_unlock(&pmm_lock, flags);
    return r;
}

void pmm_metadata_range(paddr_t *start, paddr_t *end)
{
    *start = meta_start;
    *end = meta_end;
}

/* map/unmap run under the allocator's lock with interrupts off: they must
 * not allocate or free frames. */
void pmm_set_frame_access(void *(*map)(paddr_t frame), void (*unmap)(void *va))
{
    ASSERTF((map == NULL) == (unmap == NULL), "pmm_set_frame_access: map %p without unmap %p",
            (void *)map, (void *)unmap);
    uint32_t flags = spin_lock(&pmm_lock);
    access_map = map;
    access_unmap = unmap;
    spin_unlock(&pmm_lock, flags);
}

static void report_line(const char *what, uint32_t n)
{
    uint32_t tenths = (uint32_t)(((uint64_t)n * 10 + 128) >> 8);      /* 256 frames a MiB */

    kprintf("  %-9s %8u frames %10u KiB %6u.%u MiB\n", what, n, n * (PAGE_SIZE / 1024),
            tenths / 10, tenths % 10);
}

void pmm_print_report(void)
{
    struct pmm_stats s;

    pmm_get_stats(&s);
    kprintf("physical memory (buddy allocator, orders 0-%d):\n", PMM_MAX_ORDER);
    report_line("total", s.total);
    report_line("free", s.free);
    report_line("reserved", s.reserved);
    report_line("allocated", s.total - s.free - s.reserved);
    report_line("above 4G", s.total_high);
    report_line("  free", s.free_high);
    kprintf("  physical limit %llu GiB (%s); RAM beyond it, ignored: %llu bytes\n",
            s.limit >> 30, s.limit == PMM_4G ? "32-bit paging" : "PAE: MAXPHYADDR",
            s.clipped_bytes);
    kprintf("  metadata: %08llx-%08llx (%llu KiB, %u bytes for each of %u frames)\n", meta_start,
            meta_end, (meta_end - meta_start) / 1024, (unsigned)sizeof(struct frame), frame_count);
    kprintf("  frame poisoning: %s\n", !PMM_POISON ? "compiled out"
            : access_map != NULL ? "on" : "off until frame access is set");
}
