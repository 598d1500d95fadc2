/* Exception delivery: each fault arrives on its vector with the error code
 * and (for #PF) the CR2 the SDM specifies, and the kernel carries on. */
#include "tests/ktest.h"
#include "kernel/arch/trap.h"
#include "kernel/base/ksyms.h"
#include "kernel/base/x86.h"

static void exc_divide_error(struct ktest *t)
{
    struct fault_record rec;
    volatile uint32_t zero = 0, x = 7;

    EXPECT_FAULT(t, &rec, x = x / zero);
    EXPECT_EQ(t, rec.vector, T_DE);
    EXPECT_EQ(t, rec.error, 0);
}

static void exc_invalid_opcode(struct ktest *t)
{
    struct fault_record rec;

    EXPECT_FAULT(t, &rec, __asm__ volatile("ud2"));
    EXPECT_EQ(t, rec.vector, T_UD);
}

static volatile int breakpoints_seen;
static volatile uint32_t breakpoint_eip;
extern char exc_bp_resume_point[];

static bool count_breakpoint(struct trap_frame *tf)
{
    if (breakpoints_seen++ == 0)
        breakpoint_eip = tf->eip;
    return true;                    /* #BP is a trap: iret resumes after int3 */
}

static void exc_breakpoint_resumes(struct ktest *t)
{
    breakpoints_seen = 0;
    trap_set_handler(T_BP, count_breakpoint);
    __asm__ volatile("int3\n\t.globl exc_bp_resume_point\nexc_bp_resume_point:" ::: "memory");
    __asm__ volatile("int3" ::: "memory");
    trap_set_handler(T_BP, NULL);
    EXPECT_EQ(t, breakpoints_seen, 2);
    /* A trap saves the EIP of the next instruction (SDM Vol.3 6.5). */
    EXPECT_EQ(t, breakpoint_eip, (uint32_t)exc_bp_resume_point);
}

static void exc_general_protection(struct ktest *t)
{
    struct fault_record rec;

    /* Loading a selector beyond the GDT limit: #GP with the selector's
     * index as error code (SDM Vol.3 6.13: index in bits 15..3). */
    EXPECT_FAULT(t, &rec, __asm__ volatile("mov %0, %%ds" : : "r"(0x1230) : "memory"));
    __asm__ volatile("mov %0, %%ds" : : "r"(0x10));
    EXPECT_EQ(t, rec.vector, T_GP);
    EXPECT_EQ(t, rec.error, 0x1230);
}

static void exc_page_fault_unmapped_read(struct ktest *t)
{
    struct fault_record rec;
    volatile uint32_t *p = (volatile uint32_t *)0x00400123; /* low half: nothing mapped */
    uint32_t v = 0;

    EXPECT_FAULT(t, &rec, v = *p);
    (void)v;
    EXPECT_EQ(t, rec.vector, T_PF);
    EXPECT_EQ(t, rec.cr2, 0x00400123);
    EXPECT_EQ(t, rec.error, 0);     /* not present, read, supervisor */
}

static void exc_page_fault_unmapped_write(struct ktest *t)
{
    struct fault_record rec;
    volatile uint32_t *p = (volatile uint32_t *)0x10000ffc;

    EXPECT_FAULT(t, &rec, *p = 5);
    EXPECT_EQ(t, rec.vector, T_PF);
    EXPECT_EQ(t, rec.cr2, 0x10000ffc);
    EXPECT_EQ(t, rec.error, PF_W);
}

static void exc_null_dereference(struct ktest *t)
{
    struct fault_record rec;
    volatile uint8_t *null = (volatile uint8_t *)0;
    uint8_t v = 0;

    EXPECT_FAULT(t, &rec, v = *null);
    (void)v;
    EXPECT_EQ(t, rec.vector, T_PF);
    EXPECT_EQ(t, rec.cr2, 0);
    EXPECT_EQ(t, rec.error, 0);
}

static void exc_fault_eip_is_the_faulting_instruction(struct ktest *t)
{
    struct fault_record rec;
    const char *name;
    uint32_t off;

    EXPECT_FAULT(t, &rec, __asm__ volatile("ud2"));
    EXPECT_TRUE(t, ksyms_lookup(rec.eip, &name, &off));
    /* ud2 is inlined here, so the faulting EIP is inside this function. */
    EXPECT_EQ(t, ksyms_address(name), (uint32_t)exc_fault_eip_is_the_faulting_instruction);
}

static const struct ktest_case exception_cases[] = {
    KTEST_CASE(exc_divide_error),
    KTEST_CASE(exc_invalid_opcode),
    KTEST_CASE(exc_breakpoint_resumes),
    KTEST_CASE(exc_general_protection),
    KTEST_CASE(exc_page_fault_unmapped_read),
    KTEST_CASE(exc_page_fault_unmapped_write),
    KTEST_CASE(exc_null_dereference),
    KTEST_CASE(exc_fault_eip_is_the_faulting_instruction),
    KTEST_END,
};

static const struct ktest_suite exception_suite = { .name = "exceptions", .cases = exception_cases };
KTEST_SUITE(exception_suite);
