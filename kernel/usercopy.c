#include "kernel/usercopy.h"
#include "kernel/trap.h"
#include "mm/memlayout.h"
#include "mm/vm.h"
#include "kernel/process.h"
#include <ntstatus.h>

struct extable_entry {
    uint32_t insn, fixup;
};

extern const struct extable_entry __extable_start[], __extable_end[];
int usercopy_raw(void *dst, const void *src, size_t n);
int usercopy_load32(const uint32_t *user, uint32_t *out);
int usercopy_store32(uint32_t *user, uint32_t value);

bool user_range_ok(const void *p, size_t n)
{
    uint32_t a = (uint32_t)p;
    return a + n >= a && a + n <= USER_END;
}

bool usercopy_fixup(struct trap_frame *tf)
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

/* Why a copy of [user, user + n) failed: the VM layer's record of the
 * fault it refused, which lies in that range (a guard page it has just
 * disarmed gives STATUS_GUARD_PAGE_VIOLATION, spec item 60). */
static NTSTATUS copy_status(const void *user, size_t n)
{
    const struct vm_exception *x = vm_last_exception();
    bool ours = x->address >= (uint32_t)user && x->address - (uint32_t)user < n;
    return ours && x->code == STATUS_GUARD_PAGE_VIOLATION ? STATUS_GUARD_PAGE_VIOLATION
                                                          : STATUS_ACCESS_VIOLATION;
}

/* A guard page hit inside the current thread's stack grows the stack,
 * whoever touched it (NT's MmAccessFault does the same); the copy is then
 * retried.  Any other guard page fails the service (spec item 60). */
#define GUARD_RETRIES 8

static NTSTATUS copy_checked(void *dst, const void *src, size_t n, const void *user)
{
    for (int tries = 0;; tries++) {
        if (usercopy_raw(dst, src, n) == 0)
            return STATUS_SUCCESS;
        NTSTATUS st = copy_status(user, n);
        if (st != STATUS_GUARD_PAGE_VIOLATION || tries == GUARD_RETRIES ||
            !process_stack_guard_hit(vm_last_exception()->address))
            return st;
    }
}

NTSTATUS get_user_u32(const void *user, uint32_t *out)
{
    if (!user_range_ok(user, 4))
        return STATUS_ACCESS_VIOLATION;
    if (usercopy_load32(user, out) == 0)
        return STATUS_SUCCESS;
    return copy_checked(out, user, 4, user);     /* the slow path handles guard pages */
}

NTSTATUS put_user_u32(void *user, uint32_t value)
{
    if (!user_range_ok(user, 4))
        return STATUS_ACCESS_VIOLATION;
    if (usercopy_store32(user, value) == 0)
        return STATUS_SUCCESS;
    return copy_checked(user, &value, 4, user);
}

NTSTATUS copy_from_user(void *dst, const void *user_src, size_t n)
{
    if (!user_range_ok(user_src, n))
        return STATUS_ACCESS_VIOLATION;
    return copy_checked(dst, user_src, n, user_src);
}

NTSTATUS copy_to_user(void *user_dst, const void *src, size_t n)
{
    if (!user_range_ok(user_dst, n))
        return STATUS_ACCESS_VIOLATION;
    return copy_checked(user_dst, src, n, user_dst);
}
