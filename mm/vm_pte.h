/* The VM layer's page-table entry format, private to mm/vm*.c: how a
 * committed page's protection and state are written into its PTE (the
 * comment at the top of mm/vm.c says why the state lives there).  One
 * encoding for both page-table formats: entries are pte_t (mm/mmu.h), the
 * PAE layout; a legacy entry is the same value's low 32 bits.
 *
 *   present (P=1)    hardware bits W, U, PCD (NOCACHE), PWT (WRITECOMBINE),
 *                    and NX (bit 63, PAE with NX only) unless the base
 *                    protection is PAGE_EXECUTE*; bits 9-11 (available to
 *                    software, Intel SDM Vol.3 tables 4-6, 4-11) hold the
 *                    base-protection index, since READONLY and EXECUTE_READ
 *                    look the same to the CPU without NX
 *   not present, !=0 the soft format below (the CPU ignores every other
 *                    bit of a not-present entry, SDM Vol.3 4.3, 4.4.2);
 *                    a kept frame in bits 12-51 (legacy: 12-31)
 *   0                not committed
 *
 *   soft:  63     52 51          12 11  10  9 8   7   6   5   4   3  1  0
 *         +--------+--------------+---+---+---+---+---+---+---+-----+---+
 *         |   0    | frame (kept) |FRM|COM| 0 |DRT|WC |NC |GRD| idx | 0 |
 *         +--------+--------------+---+---+---+---+---+---+---+-----+---+
 *
 *   The pager's two (issue 19, mm/pager.c), the same low bits (protection,
 *   dirty for write watches, COMMITTED) with one more flag each:
 *   transition  bit 9 (TRN): bits 12-51 hold the frame, which is on the
 *               standby or modified list: a fault takes it back, no I/O
 *   page file   bit 8 (PGF): bits 12-31 hold the page-file slot (at most
 *               2^20 slots, more than PAGEFILE_MAX_SLOTS): a fault reads it
 *   Both have FRM clear (entry_frame() says no frame): nothing that keeps
 *   or maps a frame mistakes them for a resident page.  Legacy entries
 *   hold the same value's low 32 bits, so both formats encode them alike
 *   (a legacy transition frame is below 4 GiB, as every legacy frame). */
#ifndef MM_VM_PTE_H
#define MM_VM_PTE_H

#include <stdbool.h>
#include <stdint.h>
#include <winnt.h>
#include "mm/mmu.h"
#include "mm/pmm.h"

/* Soft (not-present) PTE format.  64-bit constants: ~SOFT_GUARD must not
 * clear the frame bits above 31. */
#define SOFT_PROT_SHIFT 1           /* bits 1-3: base protection index 1..6 */
#define SOFT_PROT_MASK (7ull << SOFT_PROT_SHIFT)
#define SOFT_GUARD 0x010ull
#define SOFT_NOCACHE 0x020ull
#define SOFT_WRITECOMBINE 0x040ull
#define SOFT_COMMITTED 0x400ull     /* always set: makes the entry non-zero */
#define SOFT_FRAME 0x800ull         /* bits 12-51 hold a frame with data */
#define SOFT_DIRTY 0x080ull         /* written while present (PTE_D), kept while not
                                       accessible, for write watches */
#define SOFT_PAGEFILE 0x100ull     /* bits 12-31 hold a page-file slot */
#define SOFT_TRANSITION 0x200ull   /* bits 12-51 hold a frame on standby or modified */
#define SOFT_SLOT_SHIFT 12
#define SOFT_SLOT_MASK (0xFFFFFull << SOFT_SLOT_SHIFT)
#define HW_PROT_SHIFT 9             /* present PTE: base index in bits 9-11 */

#define BASE_PROTECTIONS (PAGE_NOACCESS | PAGE_READONLY | PAGE_READWRITE | PAGE_EXECUTE | \
                          PAGE_EXECUTE_READ | PAGE_EXECUTE_READWRITE)
#define MODIFIERS (PAGE_GUARD | PAGE_NOCACHE | PAGE_WRITECOMBINE)

/* ---- protections ----------------------------------------------------- */

static const uint32_t vm_base_by_index[7] = {
    0, PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE, PAGE_EXECUTE_READ,
    PAGE_EXECUTE_READWRITE,
};

static inline uint32_t base_index(uint32_t protect)
{
    for (uint32_t i = 1; i < 7; i++)
        if ((protect & 0xFF) == vm_base_by_index[i])
            return i;
    return 0;
}

/* Spec item 7: exactly one base protection, at most one modifier,
 * no WRITECOPY on private memory, no GUARD with NOACCESS. */
static inline bool protect_valid(uint32_t protect)
{
    uint32_t mods = protect & MODIFIERS;

    if (protect & ~(0xFFu | MODIFIERS))
        return false;
    if (base_index(protect) == 0)
        return false;
    if (mods & (mods - 1))
        return false;
    if ((mods & PAGE_GUARD) && (protect & 0xFF) == PAGE_NOACCESS)
        return false;
    return true;
}

static inline bool protect_writable(uint32_t protect)
{
    uint32_t b = protect & 0xFF;
    return b == PAGE_READWRITE || b == PAGE_EXECUTE_READWRITE;
}

static inline bool protect_executable(uint32_t protect)
{
    uint32_t b = protect & 0xFF;
    return b == PAGE_EXECUTE || b == PAGE_EXECUTE_READ || b == PAGE_EXECUTE_READWRITE;
}

/* Can the page be mapped present with this protection? */
static inline bool protect_accessible(uint32_t protect)
{
    return (protect & 0xFF) != PAGE_NOACCESS && !(protect & PAGE_GUARD);
}

static inline pte_t soft_entry(uint32_t protect)
{
    pte_t e = SOFT_COMMITTED | (base_index(protect) << SOFT_PROT_SHIFT);
    if (protect & PAGE_GUARD)
        e |= SOFT_GUARD;
    if (protect & PAGE_NOCACHE)
        e |= SOFT_NOCACHE;
    if (protect & PAGE_WRITECOMBINE)
        e |= SOFT_WRITECOMBINE;
    return e;
}

/* nx: PTE_NX when a page that is not PAGE_EXECUTE* must not be executed
 * (the address space's DEP setting and the CPU allow it), else 0. */
static inline pte_t present_entry(paddr_t frame, uint32_t protect, bool user, pte_t nx)
{
    pte_t e = frame | PTE_P | (base_index(protect) << HW_PROT_SHIFT);
    if (!protect_executable(protect))
        e |= nx;
    if (protect_writable(protect))
        e |= PTE_W;
    if (user)
        e |= PTE_U;
    /* Without PAT, PCD is the uncached type and PWT write-through, the
     * nearest to write-combining (SDM Vol.3 11.12.3). */
    if (protect & PAGE_NOCACHE)
        e |= PTE_PCD;
    if (protect & PAGE_WRITECOMBINE)
        e |= PTE_PWT;
    return e;
}

/* The PAGE_* protection of a committed page's entry. */
static inline uint32_t entry_protect(pte_t entry)
{
    uint32_t e = (uint32_t)entry;           /* every field read here is in the low word */

    if (e & PTE_P) {
        uint32_t p = vm_base_by_index[(e >> HW_PROT_SHIFT) & 7];
        if (e & PTE_PCD)
            p |= PAGE_NOCACHE;
        if (e & PTE_PWT)
            p |= PAGE_WRITECOMBINE;
        return p;
    }
    uint32_t p = vm_base_by_index[(e & SOFT_PROT_MASK) >> SOFT_PROT_SHIFT];
    if (e & SOFT_GUARD)
        p |= PAGE_GUARD;
    if (e & SOFT_NOCACHE)
        p |= PAGE_NOCACHE;
    if (e & SOFT_WRITECOMBINE)
        p |= PAGE_WRITECOMBINE;
    return p;
}

/* A committed entry is never 0 in its low word: P, or SOFT_COMMITTED. */
static inline bool entry_committed(pte_t e)
{
    return (uint32_t)e != 0;
}

/* The frame an entry holds (present, or kept while inaccessible). */
static inline paddr_t entry_frame(pte_t e)
{
    if ((uint32_t)e & (PTE_P | SOFT_FRAME))
        return PTE_ADDR(e);
    return PMM_NONE;
}

/* ---- the pager's entries ---- */

static inline bool entry_transition(pte_t e)
{
    return ((uint32_t)e & (PTE_P | SOFT_TRANSITION)) == SOFT_TRANSITION;
}

static inline bool entry_in_pagefile(pte_t e)
{
    return ((uint32_t)e & (PTE_P | SOFT_PAGEFILE)) == SOFT_PAGEFILE;
}

static inline uint32_t entry_slot(pte_t e)
{
    return (uint32_t)((e & SOFT_SLOT_MASK) >> SOFT_SLOT_SHIFT);
}

/* A present entry's page trimmed: its frame goes to a list. */
static inline pte_t transition_entry(pte_t present)
{
    pte_t e = soft_entry(entry_protect(present)) | SOFT_TRANSITION | PTE_ADDR(present);
    return e | ((present & PTE_D) ? SOFT_DIRTY : 0);
}

/* A transition entry whose frame was repurposed: the page is in `slot`. */
static inline pte_t pagefile_entry(pte_t transition, uint32_t slot)
{
    pte_t keep = transition & (SOFT_PROT_MASK | SOFT_GUARD | SOFT_NOCACHE | SOFT_WRITECOMBINE |
                               SOFT_DIRTY | SOFT_COMMITTED);
    return keep | SOFT_PAGEFILE | ((pte_t)slot << SOFT_SLOT_SHIFT);
}

/* A page read ahead of its fault (the pager's read cluster): the
 * page-file entry becomes a transition entry for `frame`, which goes to
 * the standby list holding the same slot. */
static inline pte_t prefetched_entry(pte_t pagefile, paddr_t frame)
{
    return (pagefile & ~(SOFT_PAGEFILE | SOFT_SLOT_MASK)) | SOFT_TRANSITION | frame;
}

/* The entry for a committed page with `protect`, keeping its frame and
 * whether it was written (the D bit, which write watches read: a page
 * made NOACCESS and back, or only reprotected, stays written). */
static inline pte_t entry_with_protect(pte_t old, uint32_t protect, bool user, pte_t nx)
{
    paddr_t frame = entry_frame(old);
    bool dirty = (old & PTE_P) ? (old & PTE_D) != 0 : (old & SOFT_DIRTY) != 0;
    /* A page on a list or in the page file stays there: the fault that
     * brings it back maps it with the protection it has then. */
    if (entry_transition(old) || entry_in_pagefile(old))
        return soft_entry(protect) | (old & (SOFT_TRANSITION | SOFT_PAGEFILE | SOFT_DIRTY | PTE_FRAME));
    if (frame != PMM_NONE && protect_accessible(protect))
        return present_entry(frame, protect, user, nx) | (dirty ? PTE_D : 0);
    pte_t e = soft_entry(protect);
    if (frame != PMM_NONE)
        e |= SOFT_FRAME | frame | (dirty ? SOFT_DIRTY : 0);
    return e;
}

/* Was the page written since its dirty state was last cleared? */
static inline bool entry_dirty(pte_t e)
{
    return (e & PTE_P) ? (e & PTE_D) != 0 : (e & SOFT_DIRTY) != 0;
}

/* The same entry with its dirty state cleared. */
static inline pte_t entry_clean(pte_t e)
{
    return e & ~((e & PTE_P) ? PTE_D : SOFT_DIRTY);
}

#endif
