/* Reading and writing user memory from the kernel, safely: a kernel
 * address, an unmapped page or (for writes) a read-only page gives an
 * error instead of a kernel fault. */
#ifndef KERNEL_USERCOPY_H
#define KERNEL_USERCOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <windef.h>
#include <ntstatus.h>
#include "mm/memlayout.h"

/* STATUS_SUCCESS, STATUS_ACCESS_VIOLATION (bad pointer) or
 * STATUS_GUARD_PAGE_VIOLATION (the copy hit a guard page, which is now
 * cleared: spec item 60). */
static inline NTSTATUS copy_from_user(void *dst, const void *user_src, size_t n);
static inline NTSTATUS copy_to_user(void *user_dst, const void *src, size_t n);
/* One 32-bit value (the services' in/out parameters): same results, less
 * work.  Inline: the range check and one access with an exception-table
 * entry; a fault (bad pointer, or a stack guard page to grow) takes the
 * full path, which retries and says why. */
static inline NTSTATUS get_user_u32(const void *user, uint32_t *out);
static inline NTSTATUS put_user_u32(void *user, uint32_t value);
/* True when [p, p + n) lies in user space (no wrap, below USER_END). */
static inline bool user_range_ok(const void *p, size_t n)
{
    uint32_t a = (uint32_t)p;
    return a + n >= a && a + n <= USER_END;
}
/* Registers the fault fixup with the trap dispatcher: a copy that faults
 * returns an error instead.  Called once at boot, before any copy. */
void usercopy_init(void);
/* A copy that hits a guard page asks `hook` (the process layer: is it the
 * current thread's stack guard? then grow the stack) and retries when it
 * says true.  Without a hook the copy fails with the guard status. */
void usercopy_set_stack_guard_hook(bool (*hook)(uint32_t addr));

/* ---- the inline fast paths -------------------------------------------------
 * Each user access is one instruction with an .extable entry (the same
 * table kernel/usercopy_raw.asm uses): a fault there resumes at the fixup,
 * which reports it instead of the kernel dying. */
NTSTATUS usercopy_get32_slow(const void *user, uint32_t *out);
NTSTATUS usercopy_put32_slow(void *user, uint32_t value);
/* The copy of n bytes from src to dst (user is whichever of them is in
 * user space) has just faulted: says why, or retries after growing the
 * stack (kernel/usercopy.c). */
NTSTATUS usercopy_copy_faulted(void *dst, const void *src, size_t n, const void *user);
int usercopy_raw(void *dst, const void *src, size_t n);     /* kernel/usercopy_raw.asm */

/* asm goto: the exception-table entry's fixup is the C label itself, so
 * the fast path has no status to set and test. */
static inline __attribute__((always_inline)) int usercopy_try_load32(const void *user, uint32_t *out)
{
    uint32_t v;
    __asm__ goto("1:  movl (%1), %0\n"
                 "    .pushsection .extable, \"a\"\n"
                 "    .long 1b, %l[faulted]\n"
                 "    .popsection\n"
                 : "=r"(v) : "r"(user) : "memory" : faulted);
    *out = v;
    return 0;
faulted:
    return 1;
}

static inline __attribute__((always_inline)) int usercopy_try_store32(void *user, uint32_t value)
{
    /* The target as a memory operand, so that a constant offset folds
     * into the store; "memory" tells the compiler it is written. */
    __asm__ goto("1:  movl %0, %1\n"
                 "    .pushsection .extable, \"a\"\n"
                 "    .long 1b, %l[faulted]\n"
                 "    .popsection\n"
                 : : "ri"(value), "m"(*(volatile uint32_t *)user) : "memory" : faulted);
    return 0;
faulted:
    return 1;
}

/* Whole dwords (every structure the services copy): one rep movsl in
 * line, so a copy costs its dwords plus a handful; 0 done, 1 faulted. */
static inline __attribute__((always_inline)) int usercopy_try_copy(void *dst, const void *src, size_t n)
{
    int failed;
    size_t words = n / 4;

    if (__builtin_expect(n % 4 != 0, 0))
        return usercopy_raw(dst, src, n);
    __asm__ volatile("1:  rep movsl\n"
                     "    xorl %0, %0\n"
                     "2:\n"
                     "    .pushsection .text.usercopy_fixup, \"ax\"\n"
                     "3:  movl $1, %0\n"
                     "    jmp 2b\n"
                     "    .popsection\n"
                     "    .pushsection .extable, \"a\"\n"
                     "    .long 1b, 3b\n"
                     "    .popsection\n"
                     : "=&r"(failed), "+D"(dst), "+S"(src), "+c"(words) : : "memory");
    return failed;
}

/* The range check (no wrap, below USER_END) and the copy; a fault takes
 * the out-of-line path, which never retries blindly (a guard page it hit
 * is disarmed already). */
static inline __attribute__((always_inline)) NTSTATUS usercopy_copy(void *dst, const void *src, size_t n,
                                                                   const void *user)
{
    uint32_t a = (uint32_t)user;

    if (__builtin_expect(a + n < a || a + n > USER_END, 0))
        return STATUS_ACCESS_VIOLATION;
    if (__builtin_expect(usercopy_try_copy(dst, src, n) == 0, 1))
        return STATUS_SUCCESS;
    return usercopy_copy_faulted(dst, src, n, user);
}

static inline NTSTATUS copy_from_user(void *dst, const void *user_src, size_t n)
{
    return usercopy_copy(dst, user_src, n, user_src);
}

static inline NTSTATUS copy_to_user(void *user_dst, const void *src, size_t n)
{
    return usercopy_copy(user_dst, src, n, user_dst);
}

static inline NTSTATUS get_user_u32(const void *user, uint32_t *out)
{
    uint32_t v;
    if (__builtin_expect((uint32_t)user <= USER_END - 4 && usercopy_try_load32(user, &v) == 0, 1)) {
        *out = v;
        return STATUS_SUCCESS;
    }
    return usercopy_get32_slow(user, out);
}

static inline NTSTATUS put_user_u32(void *user, uint32_t value)
{
    if (__builtin_expect((uint32_t)user <= USER_END - 4 && usercopy_try_store32(user, value) == 0, 1))
        return STATUS_SUCCESS;
    return usercopy_put32_slow(user, value);
}

/* Reads *user_ptr and proves it writable by writing the value back (an
 * output probed before anything changes, as NT's ProbeForWrite). */
static inline NTSTATUS probe_user_u32(uint32_t user_ptr)
{
    uint32_t v;
    NTSTATUS st = get_user_u32((const void *)user_ptr, &v);
    return NT_SUCCESS(st) ? put_user_u32((void *)user_ptr, v) : st;
}

/* An optional output (NULL allowed), probed. */
static inline NTSTATUS probe_user_optional(uint32_t user_ptr)
{
    return user_ptr == 0 ? STATUS_SUCCESS : probe_user_u32(user_ptr);
}

/* Writes an optional output probed before: a failure now is the caller's
 * own race (it changed the page meanwhile), and the service still ran. */
static inline void put_user_optional(uint32_t user_ptr, uint32_t value)
{
    if (user_ptr != 0)
        (void)put_user_u32((void *)user_ptr, value);
}

#endif
