/* The VM layer checked and shown: vm_validate (every invariant of an
 * address space against its page tables, including the NX rule) and the
 * decoding of its entries for the study console and the gdb helpers. */
#include "mm/vm.h"
#include "mm/vm_private.h"
#include "mm/vm_pte.h"
#include "mm/vad.h"
#include "mm/paging.h"
#include "mm/memlayout.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/panic.h"
#include <stddef.h>

/* ---- validation -------------------------------------------------------------- */

/* Boot self-check: the fault path's present_from_soft gives the entry
 * present_entry gives, for every valid protection, user or not, NX or not. */
void vm_check_pte_format(void)
{
    static const uint32_t mods[] = { 0, PAGE_NOCACHE, PAGE_WRITECOMBINE };
    const paddr_t frame = 0x12345000;

    for (uint32_t i = 1; i < 7; i++)
        for (uint32_t m = 0; m < 3; m++)
            for (uint32_t k = 0; k < 4; k++) {
                uint32_t protect = vm_base_by_index[i] | mods[m];
                bool user = k & 1;
                pte_t nx = (k & 2) ? PTE_NX : 0;
                pte_t want = present_entry(frame, protect, user, nx);
                pte_t got = present_from_soft(soft_entry(protect), frame, user, nx);
                ASSERTF(got == want, "protection %x: present_from_soft %016llx, present_entry %016llx",
                        protect, got, want);
            }
}

/* A present entry is a user entry exactly in a user space, has a
 * protection index, and carries NX exactly when the space's DEP setting
 * asks for it and the protection is not PAGE_EXECUTE*. */
static bool present_entry_ok(pte_t e, bool user, pte_t nx)
{
    uint32_t protect = entry_protect(e);

    return !!(e & PTE_U) == user && base_index(protect) != 0 &&
           (e & PTE_NX) == (protect_executable(protect) ? 0 : nx);
}

static int validate_vad_pages(struct vad *v, bool user, pte_t nx)
{
    uint32_t committed = 0, span = paging_table_span();
    int bad = 0;

    for (uint32_t va = v->start; va < v->end; va += PGSIZE) {
        if (!paging_has_table(va)) {
            va = (va & ~(span - 1)) + span - PGSIZE;
            continue;
        }
        pte_t e = paging_query(va);
        if (!entry_committed(e))
            continue;
        committed++;
        if ((e & PTE_P) && !present_entry_ok(e, user, nx)) {
            kprintf("vm: page %08x: present entry %016llx has bad bits\n", va, e);
            bad++;
        }
        if (!(e & PTE_P) && !(e & SOFT_COMMITTED)) {
            kprintf("vm: page %08x: soft entry %016llx lacks the committed bit\n", va, e);
            bad++;
        }
    }
    if (committed != v->committed) {
        kprintf("vm: VAD %08x-%08x counts %u committed pages, the tables hold %u\n",
                v->start, v->end, v->committed, committed);
        bad++;
    }
    return bad;
}

int vm_validate(struct vm_space *as)
{
    struct vm_space *prev;
    uint32_t flags = vm_enter(as, &prev);
    int bad = vad_validate(&as->vads);

    for (struct vad *v = vad_first(&as->vads); v != NULL; v = vad_successor(v))
        bad += validate_vad_pages(v, as->user, vm_space_nx(as));
    if (as->user) {
        /* No committed or mapped page outside every reservation. */
        uint32_t span = paging_table_span();
        for (uint32_t va = 0; va < USER_END; va += PGSIZE) {
            if (!paging_has_table(va)) {
                va += span - PGSIZE;
                continue;
            }
            if (paging_query(va) != 0 && vad_find(&as->vads, va) == NULL) {
                kprintf("vm: page %08x has entry %016llx outside every reservation\n", va,
                        paging_query(va));
                bad++;
            }
        }
    }
    vm_leave(flags, prev);
    return bad;
}

/* ---- inspection (the study console and the gdb helpers) ---------------------- */

/* The soft format (mm/vm_pte.h), one field per row, for printing an entry bit by
 * bit (tools/gdb/winmm.py reads this table from the kernel image too). */
const struct vm_soft_field vm_soft_format[] = {
    { SOFT_PROT_MASK, "protection index" },
    { SOFT_GUARD, "guard" },
    { SOFT_NOCACHE, "nocache" },
    { SOFT_WRITECOMBINE, "writecombine" },
    { SOFT_COMMITTED, "committed" },
    { SOFT_FRAME, "frame held" },
    { SOFT_DIRTY, "dirty" },
    { SOFT_PAGEFILE, "page file" },
    { SOFT_TRANSITION, "transition" },
    { PTE_FRAME, "frame" },
    { 0, NULL },
};

void vm_describe_entry(pte_t e, struct vm_entry_info *out)
{
    *out = (struct vm_entry_info){ .frame = PMM_NONE };
    if (!entry_committed(e))
        return;
    out->committed = true;
    out->present = (e & PTE_P) != 0;
    out->protect = entry_protect(e);
    out->prot_index = out->present ? (e >> HW_PROT_SHIFT) & 7 : (e & SOFT_PROT_MASK) >> SOFT_PROT_SHIFT;
    out->frame = entry_frame(e);
    out->frame_held = !out->present && (e & SOFT_FRAME) != 0;
    out->transition = entry_transition(e);
    out->in_pagefile = entry_in_pagefile(e);
    if (out->transition)
        out->frame = PTE_ADDR(e);
    if (out->in_pagefile)
        out->slot = entry_slot(e);
}
