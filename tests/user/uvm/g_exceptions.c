/* uvm, spec section G: access violations and vectored handlers (items 51-53). */
#include "uvm.h"

extern const char uvm_write_ip[];

__attribute__((noinline, noclone)) uint32_t load_at_label(uint32_t p)
{
    uint32_t v;
    __asm__ volatile(".globl uvm_read_ip\nuvm_read_ip:\n\tmovl (%1), %0" : "=r"(v) : "r"(p) : "memory");
    return v;
}

static __attribute__((noinline, noclone)) void store_at_label(uint32_t p)
{
    __asm__ volatile(".globl uvm_write_ip\nuvm_write_ip:\n\tmovl $7, (%0)" : : "r"(p) : "memory");
}

VM_TEST(g51_access_violation_record)
{
    struct utest_exception x;
    uint32_t p = COMMIT_NEW(t, 0x1000, PAGE_NOACCESS);
    uint32_t r = RESERVE(t, BASE, 0x2000);

    /* Exact byte addresses, not page-rounded; the address of the
     * faulting instruction in both the record and the context. */
    EXPECT_EXCEPTION(t, &x, load_at_label(p + 0x123));
    EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, x.flags, 0);
    EXPECT_EQ(t, x.nparams, 2);
    EXPECT_EQ(t, x.info[0], EXCEPTION_READ_FAULT);
    EXPECT_EQ(t, x.info[1], p + 0x123);
    EXPECT_EQ(t, x.address, U32(uvm_read_ip));
    EXPECT_EQ(t, x.eip, U32(uvm_read_ip));
    EXPECT_EXCEPTION(t, &x, store_at_label(p + 0xFFD));     /* 4 bytes: the last of the page */
    EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, x.info[0], EXCEPTION_WRITE_FAULT);
    EXPECT_EQ(t, x.info[1], p + 0xFFD);
    EXPECT_EQ(t, x.address, U32(uvm_write_ip));
    /* A 4-byte read straddling into a reserved page reports the first
     * byte that faults. */
    ALLOC(t, r, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    EXPECT_EXCEPTION(t, &x, load_at_label(r + 0xFFE));
    EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, x.info[0], EXCEPTION_READ_FAULT);
    EXPECT_EQ(t, x.info[1], r + 0x1000);
    EXPECT_EXCEPTION(t, &x, store_at_label(r + 0x1FFF));
    EXPECT_EQ(t, x.info[0], EXCEPTION_WRITE_FAULT);
    EXPECT_EQ(t, x.info[1], r + 0x1FFF);
    RELEASE(t, p);
    RELEASE(t, r);
}

/* The context a handler sees at a fault, and a fix-up of its registers. */
extern const char uvm_ctx_ip[];
static CONTEXT ctx_seen;
static EXCEPTION_RECORD rec_seen;
static int ctx_calls;
static volatile uint32_t good_word = 0x600D600D;

static LONG CALLBACK fix_ecx_handler(PEXCEPTION_POINTERS ep)
{
    if (ep->ContextRecord->Eip != U32(uvm_ctx_ip))
        return EXCEPTION_CONTINUE_SEARCH;
    ctx_calls++;
    ctx_seen = *ep->ContextRecord;
    rec_seen = *ep->ExceptionRecord;
    ep->ContextRecord->Ecx = U32(&good_word);  /* re-executed with a good pointer */
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* Loads known values into every register, then faults on (ECX). */
static __attribute__((noinline, noclone)) uint32_t fault_with_known_registers(uint32_t bad,
                                                                              uint32_t *esp_at,
                                                                              uint32_t *ecx_after)
{
    uint32_t eax, esp;
    __asm__ volatile("pushl %%ebx\n\t"
                     "pushl %%esi\n\t"
                     "pushl %%edi\n\t"
                     "pushl %%ebp\n\t"
                     "movl $0xB0B0B0B0, %%ebx\n\t"
                     "movl $0x51515151, %%esi\n\t"
                     "movl $0xD1D1D1D1, %%edi\n\t"
                     "movl $0xE0E0E0E0, %%ebp\n\t"
                     "movl %%esp, %%edx\n\t"
                     "movl $0xAAAA0001, %%eax\n\t"
                     ".globl uvm_ctx_ip\nuvm_ctx_ip:\n\t"
                     "movl (%%ecx), %%eax\n\t"
                     "popl %%ebp\n\t"
                     "popl %%edi\n\t"
                     "popl %%esi\n\t"
                     "popl %%ebx\n\t"
                     : "=a"(eax), "=d"(esp), "+c"(bad)
                     :
                     : "memory", "cc");
    *esp_at = esp;
    *ecx_after = bad;
    return eax;
}

VM_TEST(g52_context_registers_and_fixup)
{
    uint32_t bad = BASE2 + 0x44, esp_at = 0, ecx_after = 0;

    ctx_calls = 0;
    memset(&ctx_seen, 0, sizeof(ctx_seen));
    PVOID h = AddVectoredExceptionHandler(1, fix_ecx_handler);
    ASSERT_PTR_NE(t, h, NULL);
    uint32_t eax = fault_with_known_registers(bad, &esp_at, &ecx_after);
    RemoveVectoredExceptionHandler(h);

    EXPECT_EQ(t, ctx_calls, 1);
    EXPECT_EQ(t, eax, 0x600D600D);                  /* the load ran again, with the new ECX */
    EXPECT_EQ(t, ecx_after, U32(&good_word));
    EXPECT_EQ(t, rec_seen.ExceptionCode, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, U32(rec_seen.ExceptionAddress), U32(uvm_ctx_ip));
    EXPECT_EQ(t, rec_seen.ExceptionInformation[0], EXCEPTION_READ_FAULT);
    EXPECT_EQ(t, rec_seen.ExceptionInformation[1], bad);
    EXPECT_EQ(t, ctx_seen.ContextFlags & CONTEXT_FULL, CONTEXT_FULL);
    EXPECT_EQ(t, ctx_seen.Eax, 0xAAAA0001);
    EXPECT_EQ(t, ctx_seen.Ebx, 0xB0B0B0B0);
    EXPECT_EQ(t, ctx_seen.Ecx, bad);
    EXPECT_EQ(t, ctx_seen.Edx, esp_at);
    EXPECT_EQ(t, ctx_seen.Esi, 0x51515151);
    EXPECT_EQ(t, ctx_seen.Edi, 0xD1D1D1D1);
    EXPECT_EQ(t, ctx_seen.Ebp, 0xE0E0E0E0);
    EXPECT_EQ(t, ctx_seen.Esp, esp_at);
    EXPECT_EQ(t, ctx_seen.Eip, U32(uvm_ctx_ip));
    EXPECT_EQ(t, ctx_seen.SegCs & 3, 3);
    EXPECT_EQ(t, ctx_seen.SegSs & 3, 3);
    EXPECT_EQ(t, ctx_seen.EFlags & 0x200, 0x200);   /* IF */
    EXPECT_EQ(t, ctx_seen.EFlags & 0x3000, 0);      /* IOPL 0 */
}

/* A handler that moves Eip past the faulting code and Esp down, and sets EAX. */
extern const char uvm_skip_ip[], uvm_resume_ip[];

static LONG CALLBACK move_eip_esp_handler(PEXCEPTION_POINTERS ep)
{
    if (ep->ContextRecord->Eip != U32(uvm_skip_ip))
        return EXCEPTION_CONTINUE_SEARCH;
    ep->ContextRecord->Eip = U32(uvm_resume_ip);
    ep->ContextRecord->Esp -= 0x40;
    ep->ContextRecord->Eax = 0x5A5A5A5A;
    return EXCEPTION_CONTINUE_EXECUTION;
}

VM_TEST(g52_handler_moves_eip_and_esp)
{
    uint32_t eax, esp_seen, esp_orig;

    PVOID h = AddVectoredExceptionHandler(1, move_eip_esp_handler);
    ASSERT_PTR_NE(t, h, NULL);
    __asm__ volatile("movl %%esp, %%edi\n\t"
                     ".globl uvm_skip_ip\nuvm_skip_ip:\n\t"
                     "movl (%%ecx), %%eax\n\t"
                     "movl $1, %%eax\n\t"
                     ".globl uvm_resume_ip\nuvm_resume_ip:\n\t"
                     "movl %%esp, %%edx\n\t"
                     "movl %%edi, %%esp\n\t"
                     : "=a"(eax), "=d"(esp_seen), "=D"(esp_orig)
                     : "c"(BASE2 + 8)
                     : "memory", "cc");
    RemoveVectoredExceptionHandler(h);
    EXPECT_EQ(t, eax, 0x5A5A5A5A);
    EXPECT_EQ(t, esp_seen, esp_orig - 0x40);
}

/* Handlers run in order; CONTINUE_SEARCH passes the exception on. */
static int order_log[8], order_len;
static uint32_t demand_lo, demand_hi;
static int demand_commits;

static LONG CALLBACK search_handler(PEXCEPTION_POINTERS ep)
{
    (void)ep;
    if (order_len < 8)
        order_log[order_len++] = 'S';
    return EXCEPTION_CONTINUE_SEARCH;
}

static LONG CALLBACK commit_handler(PEXCEPTION_POINTERS ep)
{
    const EXCEPTION_RECORD *rec = ep->ExceptionRecord;
    uint32_t a = rec->ExceptionInformation[1];

    if (rec->ExceptionCode != EXCEPTION_ACCESS_VIOLATION || rec->NumberParameters != 2 ||
        a < demand_lo || a >= demand_hi)
        return EXCEPTION_CONTINUE_SEARCH;
    if (order_len < 8)
        order_log[order_len++] = 'C';
    if (VirtualAlloc(VA(a), 1, MEM_COMMIT, PAGE_READWRITE) == NULL)
        return EXCEPTION_CONTINUE_SEARCH;
    demand_commits++;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static LONG CALLBACK never_handler(PEXCEPTION_POINTERS ep)
{
    (void)ep;
    if (order_len < 8)
        order_log[order_len++] = 'N';
    return EXCEPTION_CONTINUE_SEARCH;
}

VM_TEST(g52_handler_commits_and_continues)
{
    uint32_t p = RESERVE(t, BASE, 16 * PAGE);

    demand_lo = p;
    demand_hi = p + 16 * PAGE;
    demand_commits = 0;
    order_len = 0;
    PVOID c = AddVectoredExceptionHandler(0, commit_handler);
    PVOID n = AddVectoredExceptionHandler(0, never_handler);   /* after C: never reached */
    PVOID s = AddVectoredExceptionHandler(1, search_handler);  /* before C */
    ASSERT_TRUE(t, c != NULL && n != NULL && s != NULL);
    poke(p + 0x5123, 0x77);                     /* S, then C commits, then the store again */
    EXPECT_EQ(t, order_len, 2);
    EXPECT_EQ(t, order_log[0], 'S');
    EXPECT_EQ(t, order_log[1], 'C');
    EXPECT_EQ(t, peek(p + 0x5123), 0x77);       /* no fault any more */
    EXPECT_EQ(t, order_len, 2);
    for (uint32_t off = 0; off < 16 * PAGE; off += 0x800)
        poke(p + off, (uint8_t)(off >> 11));
    EXPECT_EQ(t, demand_commits, 16);
    for (uint32_t off = 0; off < 16 * PAGE; off += 0x800)
        EXPECT_EQ(t, peek(p + off), (uint8_t)(off >> 11));
    EXPECT_EQ(t, peek(p + 0x5123), 0x77);
    RemoveVectoredExceptionHandler(s);
    RemoveVectoredExceptionHandler(n);
    RemoveVectoredExceptionHandler(c);
    EXPECT_REGION(t, p, 16 * PAGE, MEM_COMMIT, PAGE_READWRITE);
    RELEASE(t, p);
}

/* When every vectored handler says CONTINUE_SEARCH, the unhandled-exception
 * filter decides; it too can fix the page and continue. */
static LONG WINAPI commit_filter(PEXCEPTION_POINTERS ep)
{
    if (order_len < 8)
        order_log[order_len++] = 'F';
    return commit_handler(ep) == EXCEPTION_CONTINUE_EXECUTION ? EXCEPTION_CONTINUE_EXECUTION
                                                               : EXCEPTION_CONTINUE_SEARCH;
}

VM_TEST(g52_continue_search_reaches_filter)
{
    uint32_t p = RESERVE(t, BASE, 2 * PAGE);

    demand_lo = p;
    demand_hi = p + 2 * PAGE;
    demand_commits = 0;
    order_len = 0;
    PVOID s = AddVectoredExceptionHandler(1, search_handler);
    LPTOP_LEVEL_EXCEPTION_FILTER previous = SetUnhandledExceptionFilter(commit_filter);
    poke(p + 0x1004, 0x99);
    SetUnhandledExceptionFilter(previous);
    RemoveVectoredExceptionHandler(s);
    EXPECT_EQ(t, order_len, 3);
    EXPECT_EQ(t, order_log[0], 'S');
    EXPECT_EQ(t, order_log[1], 'F');
    EXPECT_EQ(t, order_log[2], 'C');
    EXPECT_EQ(t, demand_commits, 1);
    EXPECT_EQ(t, peek(p + 0x1004), 0x99);
    EXPECT_REGION(t, p, 0x1000, MEM_RESERVE, 0);
    EXPECT_REGION(t, p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    RELEASE(t, p);
}

/* A software exception's CONTEXT redirected by a handler. */
extern const char uvm_after_raise[], uvm_redirect_ip[];

static LONG CALLBACK redirect_handler(PEXCEPTION_POINTERS ep)
{
    if (ep->ExceptionRecord->ExceptionCode != 0xE0000053u)
        return EXCEPTION_CONTINUE_SEARCH;
    rec_seen = *ep->ExceptionRecord;
    ep->ContextRecord->Eip = U32(uvm_redirect_ip);
    return EXCEPTION_CONTINUE_EXECUTION;
}

VM_TEST(g53_software_exception_redirected)
{
    uint32_t r;

    memset(&rec_seen, 0, sizeof(rec_seen));
    PVOID h = AddVectoredExceptionHandler(1, redirect_handler);
    ASSERT_PTR_NE(t, h, NULL);
    __asm__ volatile("pushl $0\n\t"
                     "pushl $0\n\t"
                     "pushl $0\n\t"
                     "pushl $0xE0000053\n\t"
                     "call RaiseException\n\t"
                     ".globl uvm_after_raise\nuvm_after_raise:\n\t"
                     "movl $1, %%eax\n\t"
                     "jmp 1f\n\t"
                     ".globl uvm_redirect_ip\nuvm_redirect_ip:\n\t"
                     "movl $2, %%eax\n"
                     "1:\n\t"
                     : "=a"(r)
                     :
                     : "ecx", "edx", "memory", "cc");
    RemoveVectoredExceptionHandler(h);
    EXPECT_EQ(t, r, 2);
    EXPECT_EQ(t, rec_seen.ExceptionCode, 0xE0000053u);
    EXPECT_EQ(t, U32(rec_seen.ExceptionAddress), U32(uvm_after_raise));
    EXPECT_EQ(t, rec_seen.NumberParameters, 0);
}

VM_TEST(g53_noncontinuable_software_exception)
{
    struct utest_exception x;
    ULONG_PTR args[2] = { 0x53, 0x54 };

    EXPECT_EXCEPTION(t, &x, RaiseException(0xE0000054u, EXCEPTION_NONCONTINUABLE, 2, args));
    EXPECT_EQ(t, x.code, 0xE0000054u);
    EXPECT_EQ(t, x.flags, EXCEPTION_NONCONTINUABLE);
    EXPECT_EQ(t, x.nparams, 2);
    EXPECT_EQ(t, x.info[0], 0x53);
    EXPECT_EQ(t, x.info[1], 0x54);
}

static const struct utest_case g_cases[] = {
    UTEST_CASE(g51_access_violation_record),
    UTEST_CASE(g52_context_registers_and_fixup),
    UTEST_CASE(g52_handler_moves_eip_and_esp),
    UTEST_CASE(g52_handler_commits_and_continues),
    UTEST_CASE(g52_continue_search_reaches_filter),
    UTEST_CASE(g53_software_exception_redirected),
    UTEST_CASE(g53_noncontinuable_software_exception),
    UTEST_END,
};

const struct utest_suite uvm_g_suite = {
    .name = "uvm_g_exceptions", .cases = g_cases, .exit = suite_exit,
};
