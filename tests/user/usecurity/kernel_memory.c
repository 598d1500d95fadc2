/* usecurity: ring 3 against kernel memory and privileged state - reads,
 * writes and calls of kernel addresses, privileged instructions, kernel
 * gates and selectors, single-stepping, and what NtContinue and
 * NtSetExceptionDispatcher must refuse. */
#include "usecurity.h"

#ifndef STATUS_SINGLE_STEP
#define STATUS_SINGLE_STEP ((NTSTATUS)0x80000004L)
#endif

/* The SDK's dispatcher (libc/user/sdk.h), to put it back after a test
 * registered its own. */
void sdk_dispatcher_entry(void);
__attribute__((noreturn)) void sdk_dispatch_exception(EXCEPTION_RECORD *rec, CONTEXT *ctx);

static const uint32_t kernel_addrs[] = {
    0x80000000, 0x80100000, 0x80100FFF, 0x80200000, 0xC0000000, 0xC0300000, 0xC0300800,
    0xC0400000, 0xC0800000, 0xE0000000, 0xFFC00000, 0xFFFFF000, 0xFFFFFFFF,
};

#define EXPECT_AV(t, stmt, kind, addr)                                        \
    do {                                                                      \
        struct utest_exception x_;                                            \
        EXPECT_EXCEPTION(t, &x_, stmt);                                       \
        if (x_.caught) {                                                      \
            EXPECT_EQ(t, x_.code, EXCEPTION_ACCESS_VIOLATION);                \
            EXPECT_EQ(t, x_.nparams, 2);                                      \
            EXPECT_EQ(t, x_.info[0], kind);                                   \
            EXPECT_EQ(t, x_.info[1], (uintptr_t)(addr));                      \
        }                                                                     \
    } while (0)

static void user_reads_and_writes_of_kernel_fault(struct utest *t)
{
    volatile uint8_t sink = 0;

    for (volatile unsigned i = 0; i < ARRAY_SIZE(kernel_addrs); i++) {
        uint32_t a = kernel_addrs[i];
        EXPECT_AV(t, sink = *(volatile uint8_t *)a, EXCEPTION_READ_FAULT, a);
        EXPECT_AV(t, *(volatile uint8_t *)a = 0x5A, EXCEPTION_WRITE_FAULT, a);
    }
    /* A 4-byte read that starts in the guard area below 2 GiB. */
    EXPECT_AV(t, sink = (uint8_t) * (volatile uint32_t *)0x7FFFFFFE, EXCEPTION_READ_FAULT, 0x7FFFFFFE);
    (void)sink;
}

typedef void (*void_fn)(void);

static void user_calls_into_kernel_fault(struct utest *t)
{
    static const uint32_t targets[] = { 0x80100000, 0xC0000000, 0xFFFFFFF0 };

    for (volatile unsigned i = 0; i < ARRAY_SIZE(targets); i++) {
        struct utest_exception x;
        EXPECT_EXCEPTION(t, &x, ((void_fn)targets[i])());
        if (!x.caught)
            continue;
        EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
        EXPECT_TRUE(t, x.info[0] == EXCEPTION_READ_FAULT || x.info[0] == EXCEPTION_EXECUTE_FAULT);
        EXPECT_EQ(t, x.info[1], targets[i]);
        EXPECT_EQ(t, x.eip, targets[i]);
    }
}

/* A privileged instruction, a kernel-only gate or selector: Windows
 * reports EXCEPTION_PRIV_INSTRUCTION or (for #GP) an access violation. */
#define EXPECT_PRIVILEGED(t, insn, ...)                                       \
    do {                                                                      \
        struct utest_exception x_;                                            \
        EXPECT_EXCEPTION(t, &x_, __asm__ volatile(insn ::: "memory", ##__VA_ARGS__)); \
        if (x_.caught && x_.code != EXCEPTION_PRIV_INSTRUCTION &&             \
            x_.code != EXCEPTION_ACCESS_VIOLATION)                            \
            utest_fail_msg(t, __FILE__, __LINE__, "`%s` raised 0x%08lx", insn, x_.code); \
    } while (0)

static void privileged_instructions_fault(struct utest *t)
{
    EXPECT_PRIVILEGED(t, "cli");
    EXPECT_PRIVILEGED(t, "sti");
    EXPECT_PRIVILEGED(t, "hlt");
    EXPECT_PRIVILEGED(t, "inb $0x80, %%al", "eax");
    EXPECT_PRIVILEGED(t, "outb %%al, $0x80");
    EXPECT_PRIVILEGED(t, "movl %%cr0, %%eax", "eax");
    EXPECT_PRIVILEGED(t, "movl %%cr3, %%eax\n\tmovl %%eax, %%cr3", "eax");
    EXPECT_PRIVILEGED(t, "lgdt (%%esp)");
    EXPECT_PRIVILEGED(t, "lidt (%%esp)");
    EXPECT_PRIVILEGED(t, "xorl %%eax, %%eax\n\tltr %%ax", "eax");
    EXPECT_PRIVILEGED(t, "invlpg (%%esp)");
    EXPECT_PRIVILEGED(t, "wbinvd");
    EXPECT_PRIVILEGED(t, "clts");
    EXPECT_PRIVILEGED(t, "xorl %%ecx, %%ecx\n\trdmsr", "eax", "ecx", "edx");
    EXPECT_PRIVILEGED(t, "movl $0x1B, %%ecx\n\txorl %%eax, %%eax\n\txorl %%edx, %%edx\n\twrmsr",
                      "eax", "ecx", "edx");
}

static void kernel_gates_and_selectors_fault(struct utest *t)
{
    /* Interrupt gates that are not for ring 3: the page-fault and
     * double-fault vectors, the timer and keyboard IRQs, an empty one. */
    EXPECT_PRIVILEGED(t, "int $0x0E");
    EXPECT_PRIVILEGED(t, "int $0x08");
    EXPECT_PRIVILEGED(t, "int $0x0D");
    EXPECT_PRIVILEGED(t, "int $0x20");
    EXPECT_PRIVILEGED(t, "int $0x21");
    EXPECT_PRIVILEGED(t, "int $0x80");
    EXPECT_PRIVILEGED(t, "int $0xFF");
    /* Kernel data, the TSS and the double-fault task as data selectors. */
    EXPECT_PRIVILEGED(t, "movl $0x10, %%eax\n\tmovl %%eax, %%ds", "eax");
    EXPECT_PRIVILEGED(t, "movl $0x10, %%eax\n\tmovl %%eax, %%ss", "eax");
    EXPECT_PRIVILEGED(t, "movl $0x28, %%eax\n\tmovl %%eax, %%es", "eax");
    /* Far transfers to the kernel code segment and into the kernel's tasks. */
    EXPECT_PRIVILEGED(t, "lcall $0x08, $0");
    EXPECT_PRIVILEGED(t, "ljmp $0x08, $0");
    EXPECT_PRIVILEGED(t, "ljmp $0x28, $0");
    EXPECT_PRIVILEGED(t, "ljmp $0x30, $0");
    /* An iret to ring 0 built by hand. */
    EXPECT_PRIVILEGED(t, "pushfl\n\tpushl $0x08\n\tpushl $0x80100000\n\tiret");
    /* The data segments still work afterwards. */
    volatile uint32_t probe = 0x600D;
    EXPECT_EQ(t, probe, 0x600D);
}

/* Single-stepping (EFLAGS.TF set by the program itself): the trap goes to
 * the program as EXCEPTION_SINGLE_STEP; the handler clears TF. */
extern const char usec_after_popf[];
static DWORD step_code;
static uint32_t step_eip;
static int step_calls;

static LONG CALLBACK single_step_handler(PEXCEPTION_POINTERS ep)
{
    if (ep->ContextRecord->Eip < U32(usec_after_popf) || ep->ContextRecord->Eip > U32(usec_after_popf) + 8)
        return EXCEPTION_CONTINUE_SEARCH;
    step_calls++;
    step_code = ep->ExceptionRecord->ExceptionCode;
    step_eip = ep->ContextRecord->Eip;
    ep->ContextRecord->EFlags &= ~0x100u;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static void user_single_step_is_delivered(struct utest *t)
{
    step_calls = 0;
    PVOID h = AddVectoredExceptionHandler(1, single_step_handler);
    __asm__ volatile("pushfl\n\t"
                     "orl $0x100, (%%esp)\n\t"
                     "popfl\n\t"
                     ".globl usec_after_popf\nusec_after_popf:\n\t"
                     "nop\n\t"
                     "nop\n\t"
                     "nop\n\t"
                     "pushfl\n\t"
                     "andl $0xFFFFFEFF, (%%esp)\n\t"
                     "popfl\n\t"
                     ::: "memory", "cc");
    RemoveVectoredExceptionHandler(h);
    EXPECT_EQ(t, step_calls, 1);
    EXPECT_EQ(t, step_code, (DWORD)STATUS_SINGLE_STEP);
    EXPECT_EQ(t, step_eip, U32(usec_after_popf) + 1);   /* after the first nop */
}

/* NtContinue with a CONTEXT that asks for kernel data selectors, a nested
 * task and interrupts off (what the kernel forces rather than refuses):
 * the program resumes with NT clear, interrupts on, IOPL 0 and the ring-3
 * selectors. */
static CONTEXT evil;

static void continue_masks_nt_and_if(struct utest *t)
{
    volatile int pass = 0;
    uint32_t cs, ss, ds, fl;

    RtlCaptureContext(&evil);
    if (pass++ == 0) {
        evil.SegDs = evil.SegEs = evil.SegFs = evil.SegGs = 0x10;
        evil.EFlags |= 0x4000;                      /* NT */
        evil.EFlags &= ~0x200u;                     /* IF off */
        NTSTATUS st = NtContinue(&evil, FALSE);
        utest_fail_msg(t, __FILE__, __LINE__, "NtContinue returned 0x%08lx", (unsigned long)st);
        return;
    }
    __asm__ volatile("movl %%cs, %0\n\t"
                     "movl %%ss, %1\n\t"
                     "movl %%ds, %2\n\t"
                     "pushfl\n\t"
                     "popl %3"
                     : "=r"(cs), "=r"(ss), "=r"(ds), "=r"(fl));
    EXPECT_EQ(t, pass, 2);
    EXPECT_EQ(t, cs & 3, 3);
    EXPECT_EQ(t, ss & 3, 3);
    EXPECT_EQ(t, ds & 3, 3);
    EXPECT_EQ(t, fl & 0x3000, 0);
    EXPECT_EQ(t, fl & 0x4000, 0);
    EXPECT_EQ(t, fl & 0x20000, 0);
    EXPECT_EQ(t, fl & 0x200, 0x200);
    EXPECT_PRIVILEGED(t, "cli");                    /* still not allowed */
}

/* NtContinue refuses a CONTEXT that asks for more than ring 3 has (issue
 * 16): a kernel code or stack selector, a kernel Eip or Esp, IOPL 3 or
 * virtual-8086 mode.  Each is STATUS_INVALID_PARAMETER; the call returns
 * to its caller (the context is never resumed), the CONTEXT is as it was,
 * and so is the rest of the world. */
enum { BAD_CS, BAD_CS_RPL0, BAD_SS, BAD_SS_WIDE, BAD_EIP, BAD_ESP, BAD_IOPL, BAD_VM, BAD_COUNT };
static CONTEXT refused, refused_before;

static void continue_refuses_privilege(struct utest *t)
{
    static const char *const what[BAD_COUNT] = {
        "kernel CS 0x08", "CS 0x18 (RPL 0)", "kernel SS 0x10", "SS 0x10023 (not 16 bits)",
        "kernel Eip", "kernel Esp", "IOPL 3", "VM",
    };
    volatile int resumed = 0;

    RtlCaptureContext(&evil);
    if (resumed++ != 0) {
        utest_fail_msg(t, __FILE__, __LINE__, "NtContinue resumed a context it must refuse");
        return;
    }
    for (volatile int i = 0; i < BAD_COUNT; i++) {
        refused = evil;
        switch (i) {
        case BAD_CS: refused.SegCs = 0x08; break;
        case BAD_CS_RPL0: refused.SegCs = 0x18; break;
        case BAD_SS: refused.SegSs = 0x10; break;
        case BAD_SS_WIDE: refused.SegSs = 0x10023; break;
        case BAD_EIP: refused.Eip = 0x80100000; break;
        case BAD_ESP: refused.Esp = 0x80200000; break;
        case BAD_IOPL: refused.EFlags |= 0x3000; break;
        case BAD_VM: refused.EFlags |= 0x20000; break;
        }
        refused_before = refused;
        world_take(&world_before);
        NTSTATUS st = NtContinue(&refused, FALSE);
        if (st != STATUS_INVALID_PARAMETER)
            utest_fail_msg(t, __FILE__, __LINE__, "NtContinue with %s: 0x%08lx, not STATUS_INVALID_PARAMETER",
                           what[i], (unsigned long)st);
        EXPECT_TRUE(t, memcmp(&refused, &refused_before, sizeof(refused)) == 0);
        world_unchanged(t, __LINE__, what[i]);
    }
    EXPECT_EQ(t, resumed, 1);
}

/* NtSetExceptionDispatcher: bad values are refused and the registered
 * dispatcher stays; a good one gets the documented frame. */
static void set_dispatcher_refuses_bad_values(struct utest *t)
{
    static const uint32_t bad[] = { 0, 0x80000000, 0x80100000, 0xC0000000, 0xFFFFFFFF };
    uint32_t args[1];
    struct utest_exception x;

    for (volatile unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        args[0] = bad[i];
        world_take(&world_before);
        NTSTATUS st = raw_syscall(SVC_NtSetExceptionDispatcher, args);
        if (NT_SUCCESS(st)) {
            utest_fail_msg(t, __FILE__, __LINE__, "NtSetExceptionDispatcher(%08lx) succeeded",
                           (unsigned long)bad[i]);
            NtSetExceptionDispatcher((PVOID)sdk_dispatcher_entry);
        } else {
            utest_log("NtSetExceptionDispatcher(%08lx) -> 0x%08lx", (unsigned long)bad[i], (unsigned long)st);
        }
        world_unchanged(t, __LINE__, "NtSetExceptionDispatcher");
        /* Exceptions still reach the program through the SDK. */
        EXPECT_EXCEPTION(t, &x, __asm__ volatile("ud2"));
        EXPECT_EQ(t, x.code, EXCEPTION_ILLEGAL_INSTRUCTION);
    }
}

/* A dispatcher of our own: records the frame the kernel built, skips the
 * ud2 and continues.  Anything else goes to the SDK's. */
uint32_t usec_frame[4];
static EXCEPTION_RECORD frame_rec;
static CONTEXT frame_ctx;
static int frame_calls;
extern const char usec_ud2_ip[];

void usec_dispatch_c(EXCEPTION_RECORD *rec, CONTEXT *ctx);
void usec_dispatch_c(EXCEPTION_RECORD *rec, CONTEXT *ctx)
{
    if (ctx->Eip != U32(usec_ud2_ip)) {
        NtSetExceptionDispatcher((PVOID)sdk_dispatcher_entry);
        sdk_dispatch_exception(rec, ctx);
    }
    frame_calls++;
    frame_rec = *rec;
    frame_ctx = *ctx;
    ctx->Eip += 2;
    NtContinue(ctx, FALSE);
    NtTerminateProcess(NtCurrentProcess(), 0xDEAD0001);     /* NtContinue failed: give up */
}

void usec_dispatcher(void);
__asm__(".text\n"
        ".globl usec_dispatcher\n"
        "usec_dispatcher:\n\t"
        "movl (%esp), %eax\n\t"
        "movl %eax, usec_frame\n\t"
        "movl 4(%esp), %eax\n\t"
        "movl %eax, usec_frame+4\n\t"
        "movl 8(%esp), %ecx\n\t"
        "movl %ecx, usec_frame+8\n\t"
        "movl %esp, usec_frame+12\n\t"
        "cld\n\t"
        "andl $-16, %esp\n\t"
        "subl $8, %esp\n\t"
        "pushl %ecx\n\t"
        "pushl %eax\n\t"
        "call usec_dispatch_c\n\t"
        "ud2\n");

static void set_dispatcher_frame_layout(struct utest *t)
{
    uint32_t esp_at;

    frame_calls = 0;
    memset(usec_frame, 0xFF, sizeof(usec_frame));
    ASSERT_EQ(t, NtSetExceptionDispatcher((PVOID)usec_dispatcher), STATUS_SUCCESS);
    __asm__ volatile("movl %%esp, %0\n\t"
                     ".globl usec_ud2_ip\nusec_ud2_ip:\n\t"
                     "ud2\n\t"
                     : "=r"(esp_at)
                     :
                     : "memory");
    EXPECT_EQ(t, NtSetExceptionDispatcher((PVOID)sdk_dispatcher_entry), STATUS_SUCCESS);

    EXPECT_EQ(t, frame_calls, 1);
    EXPECT_EQ(t, usec_frame[0], 0);                        /* no return address */
    uint32_t rec = usec_frame[1], ctx = usec_frame[2];
    EXPECT_EQ(t, rec % 16, 0);
    EXPECT_EQ(t, ctx % 16, 0);
    EXPECT_GE(t, ctx, rec + sizeof(EXCEPTION_RECORD));
    EXPECT_LE(t, ctx + sizeof(CONTEXT), esp_at);          /* below the interrupted ESP */
    EXPECT_LE(t, usec_frame[3] + 12, rec);
    EXPECT_EQ(t, frame_rec.ExceptionCode, EXCEPTION_ILLEGAL_INSTRUCTION);
    EXPECT_EQ(t, U32(frame_rec.ExceptionAddress), U32(usec_ud2_ip));
    EXPECT_EQ(t, frame_ctx.Eip, U32(usec_ud2_ip));
    EXPECT_EQ(t, frame_ctx.Esp, esp_at);
    /* And the SDK's dispatcher is back. */
    struct utest_exception x;
    EXPECT_EXCEPTION(t, &x, __asm__ volatile("ud2"));
    EXPECT_EQ(t, frame_calls, 1);
}

static const struct utest_case kernel_cases[] = {
    UTEST_CASE(user_reads_and_writes_of_kernel_fault),
    UTEST_CASE(user_calls_into_kernel_fault),
    UTEST_CASE(privileged_instructions_fault),
    UTEST_CASE(kernel_gates_and_selectors_fault),
    UTEST_CASE(user_single_step_is_delivered),
    UTEST_CASE(continue_masks_nt_and_if),
    UTEST_CASE(continue_refuses_privilege),
    UTEST_CASE(set_dispatcher_refuses_bad_values),
    UTEST_CASE(set_dispatcher_frame_layout),
    UTEST_END,
};

const struct utest_suite usec_kernel_suite = {
    .name = "usec_kernel_memory", .cases = kernel_cases,
};
