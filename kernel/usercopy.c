#include "kernel/usercopy.h"
#include "kernel/trap.h"
#include "mm/memlayout.h"
#include "mm/vm.h"
#include <ntstatus.h>

struct extable_entry {
    uint32_t insn, fixup;
};

extern const struct extable_entry __extable_start[], __extable_end[];
int usercopy_raw(void *dst, const void *src, size_t n);

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

static NTSTATUS copy_status(void)
{
    const struct vm_exception *x = vm_last_exception();
    return x->code == STATUS_GUARD_PAGE_VIOLATION ? STATUS_GUARD_PAGE_VIOLATION
                                                  : STATUS_ACCESS_VIOLATION;
}

NTSTATUS copy_from_user(void *dst, const void *user_src, size_t n)
{
    if (!user_range_ok(user_src, n))
        return STATUS_ACCESS_VIOLATION;
    vm_clear_last_exception();
    return usercopy_raw(dst, user_src, n) == 0 ? STATUS_SUCCESS : copy_status();
}

NTSTATUS copy_to_user(void *user_dst, const void *src, size_t n)
{
    if (!user_range_ok(user_dst, n))
        return STATUS_ACCESS_VIOLATION;
    vm_clear_last_exception();
    return usercopy_raw(user_dst, src, n) == 0 ? STATUS_SUCCESS : copy_status();
}
