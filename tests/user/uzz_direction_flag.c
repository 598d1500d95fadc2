/* A program may enter the kernel with EFLAGS.DF set (std): the i386 ABI
 * only promises DF = 0 at function calls, and `int 0x2E` or a fault is
 * not one.  The kernel must clear DF on every entry before its own string
 * instructions (rep movs/stos in memcpy, memset and the user copy), and
 * give the program its DF back on return.
 *
 * Kept apart from usecurity and named to run last (the harness runs the
 * programs sorted by name): when the kernel forgets the cld, these cases
 * corrupt kernel memory and can bring the kernel down, and nothing after
 * them would run. */
#include "utest.h"
#include "uspace.h"
#include <stdio.h>

#define EFLAGS_DF 0x400u

/* NtQuerySystemCounters with DF set: the counters land in the buffer, not
 * in the bytes below it; DF comes back set. */
static void syscall_output_copied_forwards(struct utest *t)
{
    struct {
        uint32_t before[8];
        SYSTEM_MEMORY_COUNTERS c;
        uint32_t after[8];
    } buf;
    SYSTEM_MEMORY_COUNTERS ref = sys_counters();
    uint32_t block[2] = { U32(&buf.c), sizeof(buf.c) };
    uint32_t eax = SVC_NtQuerySystemCounters, edx = U32(block), flags;

    memset(&buf, 0x3C, sizeof(buf));
    __asm__ volatile("std\n\t"
                     "int $0x2E\n\t"
                     "pushfl\n\t"
                     "popl %2\n\t"
                     "cld\n\t"
                     : "+a"(eax), "+d"(edx), "=r"(flags)
                     :
                     : "ecx", "memory", "cc");
    EXPECT_EQ(t, eax, STATUS_SUCCESS);
    EXPECT_EQ(t, flags & EFLAGS_DF, EFLAGS_DF);
    EXPECT_EQ(t, buf.c.CommitLimit, ref.CommitLimit);
    EXPECT_EQ(t, buf.c.Allocations, ref.Allocations);
    for (int i = 0; i < 8; i++) {
        EXPECT_EQ(t, buf.before[i], 0x3C3C3C3C);
        EXPECT_EQ(t, buf.after[i], 0x3C3C3C3C);
    }
}

/* NtQueryVirtualMemory with DF set: its arguments are copied in and its
 * MEMORY_BASIC_INFORMATION out, both forwards. */
static void syscall_arguments_copied_forwards(struct utest *t)
{
    struct {
        uint32_t before[8];
        MEMORY_BASIC_INFORMATION m;
        uint32_t after[8];
    } buf;
    SIZE_T ret = 0;
    uint32_t args[6] = { U32(NtCurrentProcess()), U32(&buf), MemoryBasicInformation, U32(&buf.m),
                         sizeof(buf.m), U32(&ret) };
    uint32_t eax = SVC_NtQueryVirtualMemory, edx = U32(args);

    memset(&buf, 0x3C, sizeof(buf));
    __asm__ volatile("std\n\t"
                     "int $0x2E\n\t"
                     "cld\n\t"
                     : "+a"(eax), "+d"(edx)
                     :
                     : "ecx", "memory", "cc");
    EXPECT_EQ(t, eax, STATUS_SUCCESS);
    EXPECT_EQ(t, ret, sizeof(buf.m));
    EXPECT_EQ(t, U32(buf.m.BaseAddress), U32(&buf) & ~(PAGE - 1));
    EXPECT_EQ(t, buf.m.State, MEM_COMMIT);
    EXPECT_EQ(t, buf.m.Protect, PAGE_READWRITE);
    for (int i = 0; i < 8; i++) {
        EXPECT_EQ(t, buf.before[i], 0x3C3C3C3C);
        EXPECT_EQ(t, buf.after[i], 0x3C3C3C3C);
    }
}

/* A fault with DF set: the kernel builds the exception frame (a CONTEXT
 * and a record) on the user stack; the handler sees the program's DF in
 * the context. */
static void exception_with_df_set(struct utest *t)
{
    struct utest_exception x;

    EXPECT_EXCEPTION(t, &x, __asm__ volatile("std\n\tud2\n\tcld" ::: "memory", "cc"));
    __asm__ volatile("cld");
    EXPECT_EQ(t, x.code, EXCEPTION_ILLEGAL_INSTRUCTION);
    EXPECT_EQ(t, x.nparams, 0);
    EXPECT_NE(t, x.eip, 0);
    EXPECT_EQ(t, x.address, x.eip);
    EXPECT_EQ(t, *(const uint16_t *)x.eip, 0x0B0F);     /* ud2 */
}

static const struct utest_case df_cases[] = {
    UTEST_CASE(syscall_output_copied_forwards),
    UTEST_CASE(syscall_arguments_copied_forwards),
    UTEST_CASE(exception_with_df_set),
    UTEST_END,
};
static const struct utest_suite df_suite = { .name = "direction_flag", .cases = df_cases };
static const struct utest_suite *const suites[] = { &df_suite, NULL };

int main(void)
{
    stack_pregrow(32 * 1024);
    utest_register_counter("allocations", utest_counter_allocations);
    return utest_main(suites);
}
