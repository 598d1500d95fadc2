/* Address spaces with Windows reserve/commit semantics.
 *
 * Where the per-page state lives.  Reservations are VADs in an AVL tree
 * (mm/vad.c); the state of each page lives in its page-table entry, as NT
 * does, rather than in a per-allocation array:
 *
 *   PTE == 0                 not committed: reserved if inside a VAD, else free
 *   PTE present (P=1)        committed and resident; the hardware bits say
 *                            W, U, PCD (NOCACHE), PWT (WRITECOMBINE) and the
 *                            software bits 9-11 which of the six base
 *                            protections it is (READONLY and EXECUTE_READ
 *                            look the same to the hardware)
 *   PTE not present, != 0    committed but not accessible right now: the
 *                            soft format below (demand-zero, guard page,
 *                            NOACCESS, or a frame kept while inaccessible)
 *
 * Why in the PTE: the fault path needs only the PTE (one load through the
 * self-map, no tree walk), a reservation costs no memory until pages are
 * committed, and a 1 GiB reservation needs no 256 KiB state array.  The
 * price is that operations on another address space switch CR3 to it
 * first (vm_attach), which is cheap because the kernel half is shared and
 * global.
 *
 * Commit charge: committing takes a charge of one page per page; the
 * charge never exceeds the limit (frames free at boot less a kernel
 * reserve for page tables and pool pages), so a demand-zero fault always
 * finds a frame.
 *
 * Execute permission.  With PAE and NX a present entry of a page whose
 * protection is not PAGE_EXECUTE* carries PTE_NX, while DEP is on for its
 * address space (mm/vm_dep.c; always for the kernel's); an instruction
 * fetch there faults with I/D = 1 and becomes STATUS_ACCESS_VIOLATION with
 * ExceptionInformation[0] = EXCEPTION_EXECUTE_FAULT (8).  32-bit paging
 * has no NX bit: PAGE_EXECUTE_* are only recorded there.  EXECUTE grants
 * read access in both (spec item 41).
 */
#include "mm/vm.h"
#include "mm/vad.h"
#include "mm/vm_pte.h"
#include "mm/vm_private.h"
#include "mm/pfn.h"
#include "mm/kpool.h"
#include "mm/paging.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "kernel/base/lock.h"
#include "kernel/arch/trap.h"
#include "kernel/base/panic.h"
#include "kernel/base/kprintf.h"
#include <string.h>


static struct vm_space kernel_space_storage;
static struct vm_space *kernel_space;
/* The space loaded on this CPU: read in one %gs load, set through the
 * per-CPU structure. */
#define current_space ((struct vm_space *)this_cpu_read32(vm_space))
static inline void set_current_space(struct vm_space *as)
{
    this_cpu()->vm_space = as;
}
static struct kcache vad_cache = KCACHE_INIT("vad", sizeof(struct vad));
/* Address spaces come from the pool below the VM layer, as VADs do: the
 * kernel heap is built on this layer and cannot be its allocator. */
static struct kcache space_cache = KCACHE_INIT("address space", sizeof(struct vm_space));
static struct spinlock vm_lock = SPINLOCK_INIT("vm");
static struct vm_stats stats;
static struct vm_exception last_exception;
/* The commit limit's RAM part (RAM less the kernel's reserve); the page
 * file's part is stats.commit_limit_pagefile. */
static uint32_t commit_limit_ram;
/* The pager's hooks (mm/pager.c); NULL until it registers. */
static const struct vm_pager_ops *pager;

void vm_set_pager(const struct vm_pager_ops *ops)
{
    pager = ops;
}

/* ---- address spaces ---------------------------------------------------- */

void vm_init(void)
{
    pfn_init();
    uint32_t free_frames = pmm_free_count() + pfn_list_frames();
    /* The kernel reserve: page tables, pool pages, directories. */
    uint32_t reserve = 256 + free_frames / 16;

    commit_limit_ram = free_frames > reserve ? free_frames - reserve : 0;
    stats.commit_limit = commit_limit_ram;
    kernel_space = &kernel_space_storage;
    kernel_space->pgdir = paging_kernel_pgdir();
    kernel_space->user = false;
    /* The kernel's own data, heap and stacks are never executable. */
    vm_space_set_options(kernel_space, MEM_EXECUTE_OPTION_DISABLE | MEM_EXECUTE_OPTION_PERMANENT);
    vad_tree_init(&kernel_space->vads, KVM_BASE, KVM_END);
    set_current_space(kernel_space);
    vm_check_pte_format();
    paging_set_fault_hook(vm_page_fault);
    pfn_zero_until(PFN_ZEROED_TARGET);
}

struct vm_space *vm_kernel_space(void)
{
    return kernel_space;
}

struct vm_space *vm_current(void)
{
    return current_space;
}

struct vm_space *vm_space_create(void)
{
    struct vm_space *as = kcache_alloc(&space_cache);    /* zeroed */
    if (as == NULL)
        return NULL;
    if (!pgdir_init(&as->own_pgdir)) {
        kcache_free(&space_cache, as);
        return NULL;
    }
    as->pgdir = &as->own_pgdir;
    as->user = true;
    vm_space_set_options(as, vm_dep_initial_options());
    vad_tree_init(&as->vads, USER_MIN, USER_MAX + 1);
    uint32_t flags = spin_lock(&vm_lock);
    if (pager != NULL)
        pager->space_add(as);
    as->pager_ops = pager;
    spin_unlock(&vm_lock, flags);
    return as;
}

void vm_switch(struct vm_space *as)
{
    uint32_t flags = spin_lock(&vm_lock);
    if (as != current_space) {
        /* The kernel space has no user half of its own: keep whatever
         * user directory is loaded when switching "to the kernel". */
        paging_switch(as->pgdir);
        set_current_space(as);
    }
    spin_unlock(&vm_lock, flags);
}

/* Makes `as` the address space the self-map shows; returns the one to
 * restore.  The kernel space's pages are visible from every directory. */
struct vm_space *vm_attach(struct vm_space *as)
{
    struct vm_space *prev = current_space;
    if (as->user && as != current_space) {
        paging_switch(as->pgdir);
        set_current_space(as);
    }
    return prev;
}

void vm_detach(struct vm_space *prev)
{
    if (prev != current_space) {
        paging_switch(prev->pgdir);
        set_current_space(prev);
    }
}

uint32_t vm_enter(struct vm_space *as, struct vm_space **prev)
{
    uint32_t flags = spin_lock(&vm_lock);
    *prev = vm_attach(as);
    return flags;
}

void vm_leave(uint32_t flags, struct vm_space *prev)
{
    vm_detach(prev);
    spin_unlock(&vm_lock, flags);
}

/* ---- commit charge and frames -------------------------------------------- */

static bool charge(uint32_t pages)
{
    if (pages > stats.commit_limit - stats.commit_charge)
        return false;
    stats.commit_charge += pages;
    if (stats.commit_charge > stats.commit_peak)
        stats.commit_peak = stats.commit_charge;
    return true;
}

NTSTATUS vm_set_pagefile_commit(uint32_t pages)
{
    NTSTATUS st = STATUS_SUCCESS;
    uint32_t flags = spin_lock(&vm_lock);
    if (pages > UINT32_MAX - commit_limit_ram || commit_limit_ram + pages < stats.commit_charge) {
        st = STATUS_COMMITMENT_LIMIT;       /* the charge already taken must stay backed */
    } else {
        stats.commit_limit_pagefile = pages;
        stats.commit_limit = commit_limit_ram + pages;
    }
    spin_unlock(&vm_lock, flags);
    return st;
}

static void uncharge(uint32_t pages)
{
    ASSERTF(stats.commit_charge >= pages, "commit charge %u, giving back %u", stats.commit_charge, pages);
    stats.commit_charge -= pages;
}

void vm_resident_add(struct vm_space *as, int32_t delta)
{
    stats.resident_pages += (uint32_t)delta;
    as->resident += (uint32_t)delta;
    as->faults += delta > 0;
    if (as->resident > as->peak_resident)
        as->peak_resident = as->resident;
}

/* The space a page belongs to: user pages to the attached space. */
static struct vm_space *space_of(uint32_t va)
{
    return va < USER_END ? current_space : kernel_space;
}

/* Turns one committed page (whose entry is e) back into "not
 * committed", giving its frame back. */
/* Decommitted frames wait here until the batch's TLB invalidation reached
 * every CPU: freed earlier, one could be handed out again while another
 * CPU's stale entry still writes into it (Intel SDM Vol.3 4.10.5). */
#define DECOMMIT_BATCH 16

struct decommit_batch {
    paddr_t frames[DECOMMIT_BATCH];
    uint32_t count;
};

static void batch_release(struct decommit_batch *b)
{
    paging_batch_end();                 /* every CPU forgot the entries */
    for (uint32_t i = 0; i < b->count; i++)
        pfn_release(b->frames[i]);      /* to the free list: the zero thread clears it */
    b->count = 0;
    paging_batch_begin();
}

static void page_decommit(struct decommit_batch *b, uint32_t va, pte_t e)
{
    ASSERTF(entry_committed(e), "decommit of %08x, which is not committed", va);
    paddr_t frame = entry_frame(e);
    paging_set_pte(va, 0);
    if (entry_transition(e) || entry_in_pagefile(e))
        pager->discard(space_of(va), va, e);     /* not in any TLB: freed at once */
    if (frame != PMM_NONE) {
        if (b->count == DECOMMIT_BATCH)
            batch_release(b);
        b->frames[b->count++] = frame;
        stats.resident_pages--;
        space_of(va)->resident--;
    }
}

/* Decommits [start, end) of v; returns the pages that were committed.
 * Page tables that empty out are freed by mm/paging; their charge (taken
 * when range_commit created them) is given back here.  Not called inside
 * a caller's TLB batch: its frames are freed after the invalidations it
 * sends itself (batch_release). */
static uint32_t range_decommit(struct vad *v, uint32_t start, uint32_t end)
{
    uint32_t n = 0, tables = paging_user_tables();

    if (v->committed == 0)
        return 0;                       /* a reservation alone: no entry to look at */
    struct decommit_batch b = { .count = 0 };
    paging_batch_begin();
    /* Only the non-empty entries: a 1 MiB stack released with a few pages
     * committed at its top costs a tight scan, not 256 look-ups. */
    for (uint32_t va = paging_next_entry(start, end); va < end && v->committed > n;
         va = va + PGSIZE < end ? paging_next_entry(va + PGSIZE, end) : end) {
        pte_t e = paging_query(va);
        if (entry_committed(e)) {
            page_decommit(&b, va, e);
            n++;
        }
    }
    batch_release(&b);
    paging_batch_end();
    ASSERTF(v->committed >= n, "VAD %08x: %u committed, decommitted %u", v->start, v->committed, n);
    v->committed -= n;
    stats.committed_pages -= n;
    space_of(start)->committed -= n;
    uncharge(n + (tables - paging_user_tables()));
    return n;
}

/* ---- range arithmetic ---------------------------------------------------- */

/* [PGROUNDDOWN(addr), PGROUNDUP(addr + size)) inside the space; false when
 * the range wraps past 4 GiB or leaves the space (checked in 64 bits, so
 * a wrapped range is never mistaken for a small one). */
bool vm_page_range(const struct vm_space *as, uint32_t addr, uint32_t size,
                       uint32_t *start, uint32_t *end)
{
    uint64_t e = (uint64_t)addr + size;
    uint64_t up = (e + PGSIZE - 1) & ~(uint64_t)(PGSIZE - 1);

    if (addr < as->vads.min || up > as->vads.max)
        return false;
    *start = PGROUNDDOWN(addr);
    *end = (uint32_t)up;
    return true;
}

/* Page tables that committing [start, end) would have to create. */
static uint32_t tables_needed(uint32_t start, uint32_t end)
{
    uint32_t n = 0, span = paging_table_span();
    for (uint32_t va = start & ~(span - 1); va < end; va += span) {
        if (!paging_has_table(va))
            n++;
        if (va + span < va)
            break;
    }
    return n;
}

/* ---- allocate ---------------------------------------------------------- */

/* Commits the not-yet-committed pages of [start, end) in v as demand-zero
 * pages and gives already committed ones the new protection, keeping
 * their contents (spec item 14).  All or nothing. */
static NTSTATUS range_commit(struct vm_space *as, struct vad *v, uint32_t start, uint32_t end,
                             uint32_t protect)
{
    uint32_t fresh = 0, tables = tables_needed(start, end), had = paging_user_tables();
    /* A reservation with no committed page has only empty entries (an
     * entry is non-zero exactly when its page is committed), so a first
     * commit needs no look at them. */
    bool empty = v->committed == 0;

    if (empty)
        fresh = (end - start) / PGSIZE;
    else
        for (uint32_t va = start; va < end; va += PGSIZE)
            fresh += !entry_committed(paging_query(va));
    /* New page tables are charged too: otherwise sparse commits in many
     * address spaces could use up the frames promised to committed pages. */
    if (!charge(fresh + tables))
        return STATUS_COMMITMENT_LIMIT;
    /* Interrupts are off under vm_lock, so nothing else takes frames
     * between this check and the page-table allocations below.  Tables
     * come from below 4 GiB (mm/paging.c), committed pages from anywhere. */
    if (tables > 0 && pmm_free_low_count() < tables)
        pfn_flush();                    /* the page lists' frames back to the buddy */
    if (tables > 0 && pmm_free_low_count() < tables) {
        uncharge(fresh + tables);
        return STATUS_NO_MEMORY;
    }
    pte_t nx = vm_space_nx(as);
    if (empty) {
        bool ok = paging_fill_empty(start, end, soft_entry(protect));
        ASSERTF(ok, "commit %08x-%08x: page table allocation failed after the check", start, end);
    }
    for (uint32_t va = start; va < end && !empty; va += PGSIZE) {
        pte_t e = paging_query(va);
        pte_t n = entry_committed(e) ? entry_with_protect(e, protect, as->user, nx) : soft_entry(protect);
        bool ok = paging_set_pte(va, n);
        ASSERTF(ok, "commit %08x: page table allocation failed after the check", va);
    }
    ASSERTF(paging_user_tables() - had == tables || !as->user, "commit %08x-%08x: %u tables "
            "expected, %u created", start, end, tables, paging_user_tables() - had);
    v->committed += fresh;
    stats.committed_pages += fresh;
    as->committed += fresh;
    return STATUS_SUCCESS;
}

static NTSTATUS check_allocation_type(uint32_t type)
{
    uint32_t known = MEM_COMMIT | MEM_RESERVE | MEM_RESET | MEM_RESET_UNDO | MEM_TOP_DOWN |
                     MEM_WRITE_WATCH;

    if (type & ~known)
        return STATUS_INVALID_PARAMETER;       /* AT_ROUND_TO_PAGE, LARGE_PAGES, ... (item 19) */
    /* "If you specify this value, you must also specify MEM_RESERVE"
     * (VirtualAlloc, MEM_WRITE_WATCH). */
    if ((type & MEM_WRITE_WATCH) && !(type & MEM_RESERVE))
        return STATUS_INVALID_PARAMETER;
    if (type & (MEM_RESET | MEM_RESET_UNDO)) {
        /* Item 20: MEM_RESET / MEM_RESET_UNDO only alone. */
        uint32_t rest = type & ~MEM_TOP_DOWN;
        return (rest == MEM_RESET || rest == MEM_RESET_UNDO) ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
    }
    return (type & (MEM_COMMIT | MEM_RESERVE)) ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

static NTSTATUS do_reserve(struct vm_space *as, uint32_t *base, uint32_t *size, uint32_t type,
                           uint32_t protect)
{
    uint32_t start, end;
    struct vad *next = NULL;
    bool placed = *base == 0;           /* placed by vad_find_free: next is known */

    if (placed) {
        uint64_t want = ((uint64_t)*size + PGSIZE - 1) & ~(uint64_t)(PGSIZE - 1);
        if (want > as->vads.max - as->vads.min)
            return STATUS_INVALID_PARAMETER;    /* more than the space (item 17) */
        start = vad_find_free(&as->vads, (uint32_t)want, type & MEM_TOP_DOWN, &next);
        if (start == 0)
            return STATUS_NO_MEMORY;
        end = start + (uint32_t)want;
    } else {
        if (!vm_page_range(as, *base, *size, &start, &end))
            return STATUS_INVALID_PARAMETER;
        start &= ~(VM_GRANULARITY - 1);         /* item 9 */
        if (start < as->vads.min)
            return STATUS_INVALID_PARAMETER;
        if (vad_conflicts(&as->vads, start, end))
            return STATUS_CONFLICTING_ADDRESSES; /* item 10 */
    }
    struct vad *v = kcache_alloc_raw(&vad_cache);
    if (v == NULL)
        return STATUS_NO_MEMORY;
    /* Every field, one store each (a compound literal became a zeroing
     * loop and then the stores); vad.c sets the links, height and gaps
     * again when it links the node in. */
    v->left = v->right = v->parent = NULL;
    v->height = 0;
    v->start = start;
    v->end = end;
    v->alloc_protect = protect;
    v->flags = (type & MEM_WRITE_WATCH) ? VAD_WRITE_WATCH : 0;
    v->committed = 0;
    v->gap_before = v->max_gap = 0;
    _Static_assert(sizeof(struct vad) == 11 * 4, "every field of struct vad is set above");
    if (type & MEM_COMMIT) {
        NTSTATUS st = range_commit(as, v, start, end, protect);
        if (!NT_SUCCESS(st)) {
            kcache_free(&vad_cache, v);
            return st;
        }
    }
    if (placed)
        vad_insert_before(&as->vads, v, next);
    else
        vad_insert(&as->vads, v);
    stats.reserved_bytes += end - start;
    stats.allocations++;
    *base = start;
    *size = end - start;
    return STATUS_SUCCESS;
}

struct vad *vm_vad_holding(struct vm_space *as, uint32_t start, uint32_t end)
{
    struct vad *v = vad_find(&as->vads, start);
    return (v != NULL && end <= v->end) ? v : NULL;
}

static NTSTATUS do_commit(struct vm_space *as, uint32_t *base, uint32_t *size, uint32_t protect)
{
    uint32_t start, end;

    if (!vm_page_range(as, *base, *size, &start, &end))
        return STATUS_INVALID_PARAMETER;
    struct vad *v = vm_vad_holding(as, start, end);
    if (v == NULL)
        return STATUS_CONFLICTING_ADDRESSES;   /* not reserved, or past the end (item 12) */
    NTSTATUS st = range_commit(as, v, start, end, protect);
    if (NT_SUCCESS(st)) {
        *base = start;
        *size = end - start;
    }
    return st;
}

/* Items 21-24: the range must lie in one allocation; contents may be
 * discarded (kept here); protections and states stay. */
static NTSTATUS do_reset(struct vm_space *as, uint32_t *base, uint32_t *size)
{
    uint32_t start, end;

    if (!vm_page_range(as, *base, *size, &start, &end))
        return STATUS_INVALID_PARAMETER;
    if (vm_vad_holding(as, start, end) == NULL)
        return STATUS_CONFLICTING_ADDRESSES;
    *base = start;
    *size = end - start;
    return STATUS_SUCCESS;
}

NTSTATUS vm_allocate(struct vm_space *as, uint32_t *base, uint32_t *size, uint32_t type,
                     uint32_t protect)
{
    NTSTATUS st = check_allocation_type(type);

    if (!NT_SUCCESS(st))
        return st;
    if (*size == 0)
        return STATUS_INVALID_PARAMETER;        /* item 5 */
    if (!protect_valid(protect))
        return STATUS_INVALID_PAGE_PROTECTION;  /* items 7, 21 */

    uint32_t flags = spin_lock(&vm_lock);
    struct vm_space *prev = vm_attach(as);
    if (type & (MEM_RESET | MEM_RESET_UNDO))
        st = do_reset(as, base, size);
    else if ((type & MEM_RESERVE) || *base == 0)
        st = do_reserve(as, base, size, type, protect);
    else
        st = do_commit(as, base, size, protect);
    vm_detach(prev);
    spin_unlock(&vm_lock, flags);
    return st;
}

/* ---- free ------------------------------------------------------------------ */

static void release_vad(struct vm_space *as, struct vad *v)
{
    range_decommit(v, v->start, v->end);
    vad_remove(&as->vads, v);
    stats.reserved_bytes -= v->end - v->start;
    stats.allocations--;
    kcache_free(&vad_cache, v);
}

static NTSTATUS do_release(struct vm_space *as, uint32_t *base, uint32_t *size)
{
    if (*size != 0)
        return STATUS_INVALID_PARAMETER;        /* item 26 */
    uint32_t addr = PGROUNDDOWN(*base);
    struct vad *v = vad_find(&as->vads, addr);
    if (v == NULL)
        return STATUS_MEMORY_NOT_ALLOCATED;     /* item 28 */
    if (addr != v->start)
        return STATUS_FREE_VM_NOT_AT_BASE;      /* item 26 */
    *base = v->start;
    *size = v->end - v->start;
    release_vad(as, v);
    return STATUS_SUCCESS;
}

static NTSTATUS do_decommit(struct vm_space *as, uint32_t *base, uint32_t *size)
{
    uint32_t start, end;
    struct vad *v;

    if (*size == 0) {
        /* Item 30: the whole allocation, from its first page only. */
        v = vad_find(&as->vads, *base);
        if (v == NULL)
            return STATUS_MEMORY_NOT_ALLOCATED;
        if (PGROUNDDOWN(*base) != v->start)
            return STATUS_FREE_VM_NOT_AT_BASE;
        start = v->start;
        end = v->end;
    } else {
        if (!vm_page_range(as, *base, *size, &start, &end))
            return STATUS_INVALID_PARAMETER;
        v = vad_find(&as->vads, start);
        if (v == NULL)
            return STATUS_MEMORY_NOT_ALLOCATED; /* item 32 */
        if (end > v->end)
            return STATUS_UNABLE_TO_FREE_VM;    /* item 31 */
    }
    range_decommit(v, start, end);
    *base = start;
    *size = end - start;
    return STATUS_SUCCESS;
}

NTSTATUS vm_free(struct vm_space *as, uint32_t *base, uint32_t *size, uint32_t type)
{
    NTSTATUS st;

    if (type != MEM_DECOMMIT && type != MEM_RELEASE)
        return STATUS_INVALID_PARAMETER;        /* item 25 */
    if (*base >= as->vads.max || (!as->user && *base < as->vads.min))
        return STATUS_INVALID_PARAMETER;        /* outside the space, as NtFreeVirtualMemory checks first */
    uint32_t flags = spin_lock(&vm_lock);
    struct vm_space *prev = vm_attach(as);
    st = type == MEM_RELEASE ? do_release(as, base, size) : do_decommit(as, base, size);
    vm_detach(prev);
    spin_unlock(&vm_lock, flags);
    return st;
}

void vm_space_destroy(struct vm_space *as)
{
    ASSERTF(as != kernel_space && as != current_space, "destroying the %s address space",
            as == kernel_space ? "kernel" : "current");
    uint32_t flags = spin_lock(&vm_lock);
    struct vm_space *prev = vm_attach(as);
    /* Every reservation goes, so the tree is taken apart leaf by leaf
     * rather than rebalanced after each removal: linear in its size. */
    struct vad *v, *from = NULL;
    while ((v = vad_take_leaf(&as->vads, from)) != NULL) {
        from = v->parent;
        range_decommit(v, v->start, v->end);
        stats.reserved_bytes -= v->end - v->start;
        stats.allocations--;
        kcache_free(&vad_cache, v);
    }
    if (as->pager_ops != NULL)
        as->pager_ops->space_remove(as);
    vm_detach(prev);
    spin_unlock(&vm_lock, flags);
    pgdir_fini(as->pgdir);
    kcache_free(&space_cache, as);
}

/* ---- protect --------------------------------------------------------------- */

static NTSTATUS do_protect(struct vm_space *as, uint32_t *base, uint32_t *size,
                           uint32_t protect, uint32_t *old)
{
    uint32_t start, end;

    if (!vm_page_range(as, *base, *size, &start, &end) || start == end)
        return STATUS_INVALID_PARAMETER;
    struct vad *v = vm_vad_holding(as, start, end);
    if (v == NULL)
        return STATUS_CONFLICTING_ADDRESSES;    /* free, or two allocations (item 34) */
    for (uint32_t va = start; va < end; va += PGSIZE)
        if (!entry_committed(paging_query(va)))
            return STATUS_NOT_COMMITTED;        /* a reserved page: nothing changes */
    /* Item 40: NOCACHE given at allocation sticks to the allocation. */
    if ((v->alloc_protect & PAGE_NOCACHE) && !(protect & MODIFIERS))
        protect |= PAGE_NOCACHE;
    *old = entry_protect(paging_query(start));  /* item 35: the first page's */
    pte_t nx = vm_space_nx(as);
    paging_batch_begin();
    for (uint32_t va = start; va < end; va += PGSIZE)
        paging_set_pte(va, entry_with_protect(paging_query(va), protect, as->user, nx));
    paging_batch_end();
    *base = start;
    *size = end - start;
    return STATUS_SUCCESS;
}

NTSTATUS vm_protect(struct vm_space *as, uint32_t *base, uint32_t *size, uint32_t new_protect,
                    uint32_t *old)
{
    if (old == NULL)
        return STATUS_ACCESS_VIOLATION;         /* item 36 */
    if (!protect_valid(new_protect))
        return STATUS_INVALID_PAGE_PROTECTION;  /* item 37 */
    uint32_t flags = spin_lock(&vm_lock);
    struct vm_space *prev = vm_attach(as);
    NTSTATUS st = do_protect(as, base, size, new_protect, old);
    vm_detach(prev);
    spin_unlock(&vm_lock, flags);
    return st;
}

/* ---- page faults -------------------------------------------------------------- */

static bool refuse(NTSTATUS code, struct trap_frame *tf, uint32_t cr2)
{
    last_exception = (struct vm_exception){
        .code = code,
        .access = (tf->error & PF_I) ? EXCEPTION_EXECUTE_FAULT
                  : (tf->error & PF_W) ? EXCEPTION_WRITE_FAULT : EXCEPTION_READ_FAULT,
        .address = cr2,
        .eip = tf->eip,
    };
    if (code == STATUS_GUARD_PAGE_VIOLATION)
        stats.faults_guard++;
    else
        stats.faults_access_violation++;
    return false;
}

/* A committed page with no frame gets one (demand-zero, or the pager's
 * soft or hard fault).  The caller holds the VM lock (the pager changes
 * other spaces' entries) and read e under it. */
static NTSTATUS fault_in(uint32_t va, pte_t e, struct vm_space *space, bool user_page)
{
    NTSTATUS st = STATUS_SUCCESS;
    paddr_t frame = PMM_NONE;

    if (entry_transition(e) || entry_in_pagefile(e))
        st = pager->fault(va, e, &frame);       /* soft or hard fault */
    else if ((frame = pager && pfn_free_zeroed() + pmm_free_count() <= VM_FRAMES_PLENTY
                          ? pager->take_frame() : pfn_take_zeroed()) != PMM_NONE)
        stats.faults_demand_zero++;
    else
        st = STATUS_NO_MEMORY;
    if (NT_SUCCESS(st)) {
        vm_resident_add(space, 1);
        paging_replace_pte(va, e, present_from_soft(e, frame, user_page, vm_space_nx(space)) |
                                      (entry_dirty(e) ? PTE_D : 0));
    }
    return st;
}

/* The fault hook (mm/paging).  The entry is read and changed under the VM
 * lock, so two CPUs faulting on one page, or the pager, cannot both act
 * on one stale copy of it; the lock serializes every change of the entry,
 * so it is replaced without paging's own lock (paging_replace_pte).  No
 * code touches pageable memory while holding the VM lock (mm/ makes no
 * user copies, and nothing outside mm/ takes it), so the fault never
 * finds it held by its own CPU. */
bool vm_page_fault(struct trap_frame *tf, uint32_t cr2)
{
    bool user_page = cr2 < USER_END;
    struct vm_space *space = user_page ? current_space : kernel_space;

    if (!user_page && (cr2 < KVM_BASE || cr2 >= KVM_END))
        return refuse(STATUS_ACCESS_VIOLATION, tf, cr2);   /* kernel image, tables, pool */
    if (user_page && space == kernel_space)
        return refuse(STATUS_ACCESS_VIOLATION, tf, cr2);
    if (!user_page && (tf->error & PF_U))
        return refuse(STATUS_ACCESS_VIOLATION, tf, cr2);   /* ring 3 touching kernel VM */

    uint32_t va = PGROUNDDOWN(cr2);
    NTSTATUS st = STATUS_ACCESS_VIOLATION;
    uint32_t flags = spin_lock(&vm_lock);
    pte_t e = paging_query(va);
    uint32_t lo = (uint32_t)e;              /* a soft entry's fields are in the low word */
    /* The base protection's index (vm_pte.h) answers the access checks
     * directly.  An instruction fetch from a page that is not
     * PAGE_EXECUTE*, under DEP, is refused before a frame is spent on it. */
    uint32_t idx = (lo & (uint32_t)SOFT_PROT_MASK) >> SOFT_PROT_SHIFT;
    if (lo == 0 || (lo & PTE_P)) {
        /* free, reserved, or a protection fault on a present page */
    } else if (lo & (uint32_t)SOFT_GUARD) {
        /* Item 54: the guard goes before the exception is raised. */
        paging_replace_pte(va, e, e & ~SOFT_GUARD);
        st = STATUS_GUARD_PAGE_VIOLATION;
    } else if (idx == 1 || ((tf->error & PF_W) && !(INDEX_WRITABLE & (1u << idx))) ||
               ((tf->error & PF_I) && vm_space_nx(space) && !(INDEX_EXECUTABLE & (1u << idx)))) {
        /* NOACCESS (index 1), or an access the protection does not grant */
    } else if (!(lo & (uint32_t)SOFT_FRAME)) {
        st = fault_in(va, e, space, user_page);
    } else {
        /* a frame kept while the page was inaccessible */
        paging_replace_pte(va, e, present_entry(entry_frame(e), entry_protect(e), user_page,
                                                vm_space_nx(space)));
        st = STATUS_SUCCESS;
    }
    spin_unlock(&vm_lock, flags);
    return NT_SUCCESS(st) || refuse(st, tf, cr2);
}

const struct vm_exception *vm_last_exception(void)
{
    return &last_exception;
}

void vm_clear_last_exception(void)
{
    last_exception = (struct vm_exception){ 0 };
}

void vm_get_leak_counters(struct vm_leak_counters *out)
{
    struct paging_stats ps;

    paging_get_stats(&ps);
    out->available_frames = pmm_free_count() + pfn_list_frames() + kernel_space->resident;
    out->user_commit_charge = stats.commit_charge - kernel_space->committed;
    out->page_tables = ps.page_tables;
}

void vm_get_stats(struct vm_stats *out)
{
    *out = stats;
    struct pfn_stats ps;
    pfn_get_stats(&ps);
    out->zeroed_frames = ps.zeroed;
    out->free_list_frames = ps.free;
}
