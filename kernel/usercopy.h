/* Reading and writing user memory from the kernel, safely: a kernel
 * address, an unmapped page or (for writes) a read-only page gives an
 * error instead of a kernel fault. */
#ifndef KERNEL_USERCOPY_H
#define KERNEL_USERCOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <windef.h>

/* STATUS_SUCCESS, STATUS_ACCESS_VIOLATION (bad pointer) or
 * STATUS_GUARD_PAGE_VIOLATION (the copy hit a guard page, which is now
 * cleared: spec item 60). */
NTSTATUS copy_from_user(void *dst, const void *user_src, size_t n);
NTSTATUS copy_to_user(void *user_dst, const void *src, size_t n);
/* One 32-bit value (the services' in/out parameters): same results, less work. */
NTSTATUS get_user_u32(const void *user, uint32_t *out);
NTSTATUS put_user_u32(void *user, uint32_t value);
/* True when [p, p + n) lies in user space (no wrap, below USER_END). */
bool user_range_ok(const void *p, size_t n);
/* Registers the fault fixup with the trap dispatcher: a copy that faults
 * returns an error instead.  Called once at boot, before any copy. */
void usercopy_init(void);
/* A copy that hits a guard page asks `hook` (the process layer: is it the
 * current thread's stack guard? then grow the stack) and retries when it
 * says true.  Without a hook the copy fails with the guard status. */
void usercopy_set_stack_guard_hook(bool (*hook)(uint32_t addr));

#endif
