#include "kernel/usercopy.h"
#include "kernel/arch/trap.h"
#include "mm/memlayout.h"
#include "mm/vm.h"
#include <ntstatus.h>

struct extable_entry {
    uint32_t insn, fixup;
};

extern const struct extable_entry __extable_start[], __extable_end[];
int usercopy_load32(const uint32_t *user, uint32_t *out);
int usercopy_store32(uint32_t *user, uint32_t value);


static bool (*stack_guard_hook)(uint32_t addr);

/* A fault in a usercopy instruction: move to its fixup (registered with
 * the trap dispatcher by usercopy_init). */
static bool usercopy_fixup(struct trap_frame *tf)
{
    if ((tf->cs & 3) != 0)
        return false;
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++) {
        if (e->insn == tf->eip) {
            tf->eip = e->fixup;
            return true;
        }
    }
    return false;
}

void usercopy_init(void)
{
    trap_set_kernel_fixup(usercopy_fixup);
}

void usercopy_set_stack_guard_hook(bool (*hook)(uint32_t addr))
{
    stack_guard_hook = hook;
}

/* Why a copy of [user, user + n) failed: the VM layer's record of the
 * fault it refused, which lies in that range (a guard page it has just
 * disarmed gives STATUS_GUARD_PAGE_VIOLATION, spec item 60). */
static NTSTATUS copy_status(const void *user, size_t n)
{
    const struct vm_exception *x = vm_last_exception();
    bool ours = x->address >= (uint32_t)user && x->address - (uint32_t)user < n;
    /* A page the pager could not read back (issue 19) says so too. */
    if (ours && (x->code == STATUS_GUARD_PAGE_VIOLATION || x->code == STATUS_IN_PAGE_ERROR))
        return x->code;
    return STATUS_ACCESS_VIOLATION;
}

/* One attempt at a user access; 0 done, 1 faulted. */
typedef int (*user_access_fn)(void *dst, const void *src, size_t n);

static inline int access_copy(void *dst, const void *src, size_t n)
{
    return usercopy_raw(dst, src, n);
}

static inline int access_load32(void *dst, const void *src, size_t n)
{
    (void)n;
    return usercopy_load32(src, dst);
}

static inline int access_store32(void *dst, const void *src, size_t n)
{
    (void)n;
    return usercopy_store32(dst, *(const uint32_t *)src);
}

/* Runs the access; when it faults, a guard page hit inside the current
 * thread's stack grows the stack, whoever touched it (NT's MmAccessFault
 * does the same), and the access is retried; any other fault fails the
 * service (a guard page elsewhere with STATUS_GUARD_PAGE_VIOLATION, spec
 * item 60). */
#define GUARD_RETRIES 8

/* The access has just faulted: say why, or (a stack guard page, grown by
 * the hook) try again. */
static inline __attribute__((always_inline)) NTSTATUS after_fault(user_access_fn op, void *dst, const void *src,
                                                                 size_t n, const void *user)
{
    for (int tries = 0;; tries++) {
        NTSTATUS st = copy_status(user, n);
        if (st != STATUS_GUARD_PAGE_VIOLATION || tries == GUARD_RETRIES ||
            stack_guard_hook == NULL || !stack_guard_hook(vm_last_exception()->address))
            return st;
        if (op(dst, src, n) == 0)
            return STATUS_SUCCESS;
    }
}


/* The inline get_user_u32's range check failed or its access faulted
 * (usercopy.h): never a second first try, which would find a guard page
 * already disarmed and lose its exception. */
NTSTATUS usercopy_get32_slow(const void *user, uint32_t *out)
{
    if (!user_range_ok(user, 4))
        return STATUS_ACCESS_VIOLATION;
    return after_fault(access_load32, out, user, 4, user);
}

NTSTATUS usercopy_put32_slow(void *user, uint32_t value)
{
    if (!user_range_ok(user, 4))
        return STATUS_ACCESS_VIOLATION;
    return after_fault(access_store32, user, &value, 4, user);
}

NTSTATUS usercopy_copy_faulted(void *dst, const void *src, size_t n, const void *user)
{
    return after_fault(access_copy, dst, src, n, user);
}
