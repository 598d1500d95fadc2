/* DEP (data execution prevention): which pages of an address space the
 * CPU may execute.  Part of the VM layer (mm/vm_private.h).
 *
 * The rule lives in the entries: a present page whose protection is not
 * PAGE_EXECUTE* carries PTE_NX while the address space's execute options
 * say MEM_EXECUTE_OPTION_DISABLE (DEP on) and the CPU honours NX (PAE with
 * IA32_EFER.NXE).  With MEM_EXECUTE_OPTION_ENABLE (DEP off) no entry has
 * NX, as on x86 without NX.  The kernel's own space always has DEP on.
 *
 * The system policy (nx= on the command line, like boot.ini's /noexecute=)
 * decides what a new address space starts with, as NT's process creation
 * does (Windows Internals, "Data Execution Prevention"):
 *
 *   AlwaysOff  ENABLE | PERMANENT     (forced when there is no NX)
 *   AlwaysOn   DISABLE | PERMANENT
 *   OptIn      ENABLE                 a process may turn DEP on
 *   OptOut     DISABLE                a process may turn DEP off (default here)
 *
 * Once PERMANENT is set nothing changes it (STATUS_ACCESS_DENIED), which
 * is how SetProcessDEPPolicy(PROCESS_DEP_ENABLE) sticks for the life of
 * the process. */
#include "mm/vm.h"
#include "mm/vm_private.h"
#include "mm/vm_pte.h"
#include "mm/vad.h"
#include "mm/paging.h"
#include "kernel/base/kprintf.h"
#include <string.h>

static vm_nx_policy_t policy = VM_DEP_OPT_OUT;

static const char *const policy_names[] = { "AlwaysOff", "AlwaysOn", "OptIn", "OptOut" };

void vm_dep_init(const char *word)
{
    vm_nx_policy_t p = VM_DEP_OPT_OUT;

    if (word != NULL) {
        bool known = false;
        for (int i = 0; i < 4; i++) {
            if (strcmp(word, policy_names[i]) == 0) {
                p = (vm_nx_policy_t)i;
                known = true;
            }
        }
        if (!known)
            kprintf("dep: nx=%s is not a policy (AlwaysOff, AlwaysOn, OptIn, OptOut); "
                    "keeping OptOut\n", word);
    }
    if (paging_nx_bit() == 0 && p != VM_DEP_ALWAYS_OFF) {
        kprintf("dep: %s asked for, but %s has no NX: AlwaysOff\n", policy_names[p],
                paging_format_name());
        p = VM_DEP_ALWAYS_OFF;
    }
    policy = p;
    kprintf("dep: system policy %s\n", policy_names[p]);
}

vm_nx_policy_t vm_dep_policy(void)
{
    return policy;
}

uint32_t vm_dep_initial_options(void)
{
    switch (policy) {
    case VM_DEP_ALWAYS_OFF: return MEM_EXECUTE_OPTION_ENABLE | MEM_EXECUTE_OPTION_PERMANENT;
    case VM_DEP_ALWAYS_ON: return MEM_EXECUTE_OPTION_DISABLE | MEM_EXECUTE_OPTION_PERMANENT;
    case VM_DEP_OPT_IN: return MEM_EXECUTE_OPTION_ENABLE;
    default: return MEM_EXECUTE_OPTION_DISABLE;
    }
}

/* One aligned word, written under the lock: read as it is. */
uint32_t vm_execute_options(struct vm_space *as)
{
    return as->exec_options;
}

/* Rewrites every present entry of the attached space with its
 * protection's NX rule under the space's current options. */
static void reapply_nx(struct vm_space *as)
{
    pte_t nx = vm_space_nx(as);
    uint32_t span = paging_table_span();

    paging_batch_begin();
    for (struct vad *v = vad_first(&as->vads); v != NULL; v = vad_successor(v)) {
        for (uint32_t va = v->start; va < v->end; va += PGSIZE) {
            if (!paging_has_table(va)) {
                va = (va & ~(span - 1)) + span - PGSIZE;
                continue;
            }
            pte_t e = paging_entry(va);
            if (e & PTE_P)
                paging_set_pte(va, entry_with_protect(e, entry_protect(e), as->user, nx));
        }
    }
    paging_batch_end();
}

NTSTATUS vm_set_execute_options(struct vm_space *as, uint32_t options)
{
    uint32_t onoff = options & (MEM_EXECUTE_OPTION_ENABLE | MEM_EXECUTE_OPTION_DISABLE);

    if ((options & ~MEM_EXECUTE_OPTION_VALID_FLAGS) != 0 ||
        (onoff != MEM_EXECUTE_OPTION_ENABLE && onoff != MEM_EXECUTE_OPTION_DISABLE))
        return STATUS_INVALID_PARAMETER;
    struct vm_space *prev;
    uint32_t flags = vm_enter(as, &prev);
    NTSTATUS st = STATUS_SUCCESS;
    if (!as->user || (as->exec_options & MEM_EXECUTE_OPTION_PERMANENT)) {
        st = STATUS_ACCESS_DENIED;
    } else {
        pte_t before = vm_space_nx(as);
        vm_space_set_options(as, options);
        if (vm_space_nx(as) != before)
            reapply_nx(as);
    }
    vm_leave(flags, prev);
    return st;
}
