/* The user-mode SDK from ring 3: the C library pieces, the kernel32
 * wrappers' error mapping, and exception delivery through the kernel
 * (vectored handlers, RaiseException, faults with exact records,
 * EXCEPTION_CONTINUE_EXECUTION with a changed CONTEXT). */
#include "utest.h"
#include <ntdll.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#define PAGE 4096u

/* ---- C library ------------------------------------------------------------ */

static void format_works(struct utest *t)
{
    char buf[64];

    EXPECT_EQ(t, snprintf(buf, sizeof(buf), "%d %u %x %08X %s %c%%", -5, 7u, 255u, 0xBEEFu, "ok", 'z'), 22);
    EXPECT_STREQ(t, buf, "-5 7 ff 0000BEEF ok z%");
    EXPECT_EQ(t, snprintf(buf, 4, "%lld", -1234567890123ll), 14);
    EXPECT_STREQ(t, buf, "-12");
    EXPECT_EQ(t, sprintf(buf, "%p|%-4d|%4s", (void *)0x1234, 12, "ab"), 20);
    EXPECT_STREQ(t, buf, "0x00001234|12  |  ab");
}

static void strto_works(struct utest *t)
{
    char *end;

    EXPECT_EQ(t, strtoul("  0x7FFEFFFF rest", &end, 0), 0x7FFEFFFFul);
    EXPECT_STREQ(t, end, " rest");
    EXPECT_EQ(t, strtol("-0777", NULL, 0), -511);
    EXPECT_EQ(t, strtol("zz", &end, 36), 35 * 36 + 35);
    EXPECT_EQ(t, atoi("  -42x"), -42);
    errno = 0;
    EXPECT_EQ(t, strtol("99999999999", NULL, 10), LONG_MAX);
    EXPECT_EQ(t, errno, ERANGE);
    errno = 0;
    EXPECT_EQ(t, strtoul("-1", NULL, 10), ULONG_MAX);
    EXPECT_EQ(t, errno, 0);
    EXPECT_EQ(t, strtoull("18446744073709551615", NULL, 10), ULLONG_MAX);
    EXPECT_EQ(t, strtol("x", &end, 10), 0);
    EXPECT_STREQ(t, end, "x");
    errno = 0;
    EXPECT_EQ(t, strtol("1", NULL, 1), 0);
    EXPECT_EQ(t, errno, EINVAL);
}

static void rand_matches_msvcrt(struct utest *t)
{
    srand(1);
    EXPECT_EQ(t, rand(), 41);
    EXPECT_EQ(t, rand(), 18467);
    EXPECT_EQ(t, rand(), 6334);
    EXPECT_EQ(t, abs(INT_MIN + 1), INT_MAX);
}

static void strings_work(struct utest *t)
{
    char buf[16];
    const char *s = "a/b/c";

    EXPECT_PTR_EQ(t, strrchr(s, '/'), s + 3);
    EXPECT_PTR_EQ(t, memchr(s, 'c', 5), s + 4);
    EXPECT_PTR_EQ(t, memchr(s, 'c', 4), NULL);
    EXPECT_PTR_EQ(t, strstr(s, "b/"), s + 2);
    EXPECT_PTR_EQ(t, strstr(s, "x"), NULL);
    EXPECT_STREQ(t, strstr("hello world", "wor"), "world");
    memset(buf, 'x', sizeof(buf));
    strncpy(buf, "abc", 6);
    EXPECT_EQ(t, memcmp(buf, "abc\0\0\0x", 7), 0);
    strcpy(buf, "ab");
    strcat(buf, "cd");
    EXPECT_STREQ(t, buf, "abcd");
    EXPECT_EQ(t, strnlen("abcdef", 3), 3);
}

static int jump_depth(jmp_buf jb, int n)
{
    if (n < 0)
        return 0;
    if (n == 0)
        longjmp(jb, 0);                 /* setjmp must then return 1 */
    return jump_depth(jb, n - 1) + 1;
}

static void setjmp_longjmp(struct utest *t)
{
    jmp_buf jb;
    volatile int visits = 0;

    int r = setjmp(jb);
    visits++;
    if (r == 0)
        jump_depth(jb, 10);
    EXPECT_EQ(t, r, 1);
    EXPECT_EQ(t, visits, 2);
}

static const struct utest_case libc_cases[] = {
    UTEST_CASE(format_works),
    UTEST_CASE(strto_works),
    UTEST_CASE(rand_matches_msvcrt),
    UTEST_CASE(strings_work),
    UTEST_CASE(setjmp_longjmp),
    UTEST_END,
};
static const struct utest_suite libc_suite = { .name = "sdk_libc", .cases = libc_cases };

/* ---- kernel32 wrappers ----------------------------------------------------- */

static void wrapper_errors(struct utest *t)
{
    MEMORY_BASIC_INFORMATION mbi;
    DWORD old = 0;

    char *p = VirtualAlloc(NULL, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ASSERT_PTR_NE(t, p, NULL);

    SetLastError(0);
    EXPECT_FALSE(t, VirtualProtect(p, PAGE, PAGE_READONLY, NULL));
    EXPECT_LAST_ERROR(t, ERROR_NOACCESS);
    EXPECT_TRUE(t, VirtualProtect(p, PAGE, PAGE_READONLY, &old));
    EXPECT_EQ(t, old, PAGE_READWRITE);              /* the NULL call changed nothing */

    SetLastError(0);
    EXPECT_EQ(t, VirtualQuery(p, &mbi, sizeof(mbi) - 1), 0);
    EXPECT_LAST_ERROR(t, ERROR_BAD_LENGTH);
    EXPECT_EQ(t, VirtualQuery(p, &mbi, sizeof(mbi) + 8), sizeof(mbi));
    EXPECT_EQ(t, mbi.Protect, PAGE_READONLY);

    SetLastError(0);                                /* an output buffer in the kernel */
    EXPECT_EQ(t, VirtualQuery(p, (PMEMORY_BASIC_INFORMATION)0x80100000, sizeof(mbi)), 0);
    EXPECT_LAST_ERROR(t, ERROR_NOACCESS);
    SetLastError(0);                                /* a read-only lpflOldProtect */
    EXPECT_FALSE(t, VirtualProtect(p, PAGE, PAGE_READWRITE, (PDWORD)p));
    EXPECT_LAST_ERROR(t, ERROR_NOACCESS);

    SetLastError(0);
    EXPECT_PTR_EQ(t, VirtualAlloc((LPVOID)0x7FFF0000, PAGE, MEM_RESERVE, PAGE_READWRITE), NULL);
    EXPECT_NE(t, GetLastError(), ERROR_SUCCESS);
    SetLastError(0);
    EXPECT_FALSE(t, VirtualFree(p + PAGE * 16, 0, MEM_RELEASE));
    EXPECT_LAST_ERROR(t, ERROR_INVALID_ADDRESS);
    EXPECT_TRUE(t, VirtualFree(p, 0, MEM_RELEASE));
}

static void system_info(struct utest *t)
{
    SYSTEM_INFO si;

    GetSystemInfo(&si);
    EXPECT_EQ(t, si.dwPageSize, 4096);
    EXPECT_EQ(t, si.dwAllocationGranularity, 65536);
    EXPECT_PTR_EQ(t, si.lpMinimumApplicationAddress, 0x00010000);
    EXPECT_PTR_EQ(t, si.lpMaximumApplicationAddress, 0x7FFEFFFF);
    EXPECT_PTR_EQ(t, GetCurrentProcess(), NtCurrentProcess());
}

static const int read_only_word = 0x1234;
static int writable_word = 1;

static DWORD protect_of(const void *p)
{
    MEMORY_BASIC_INFORMATION mbi;
    return VirtualQuery(p, &mbi, sizeof(mbi)) == sizeof(mbi) ? mbi.Protect : 0;
}

/* libc/user/user.ld puts text, rodata and data on their own pages; the
 * loader gives each its segment's protection. */
static void image_protections(struct utest *t)
{
    EXPECT_EQ(t, protect_of((const void *)image_protections), PAGE_EXECUTE_READ);
    EXPECT_EQ(t, protect_of(&read_only_word), PAGE_READONLY);
    EXPECT_EQ(t, protect_of(&writable_word), PAGE_READWRITE);
    EXPECT_ACCESS_VIOLATION(t, *(volatile int *)&read_only_word = 2, EXCEPTION_WRITE_FAULT,
                            &read_only_word);
    EXPECT_ACCESS_VIOLATION(t, *(volatile unsigned char *)image_protections = 0xC3,
                            EXCEPTION_WRITE_FAULT, image_protections);
    writable_word++;
    EXPECT_EQ(t, writable_word, 2);
}

static const struct utest_case kernel32_cases[] = {
    UTEST_CASE(wrapper_errors),
    UTEST_CASE(system_info),
    UTEST_CASE(image_protections),
    UTEST_END,
};
static const struct utest_suite kernel32_suite = { .name = "sdk_kernel32", .cases = kernel32_cases };

/* ---- exceptions ------------------------------------------------------------ */

static int order[4], order_len;

static LONG CALLBACK handler_a(PEXCEPTION_POINTERS ep)
{
    (void)ep;
    order[order_len++] = 'A';
    return EXCEPTION_CONTINUE_SEARCH;
}

static LONG CALLBACK handler_b(PEXCEPTION_POINTERS ep)
{
    (void)ep;
    order[order_len++] = 'B';
    return EXCEPTION_CONTINUE_SEARCH;
}

/* Continues a software exception unchanged: RaiseException returns. */
static LONG CALLBACK handler_continue(PEXCEPTION_POINTERS ep)
{
    if (ep->ExceptionRecord->ExceptionCode != 0xE0000001u)
        return EXCEPTION_CONTINUE_SEARCH;
    order[order_len++] = 'C';
    return EXCEPTION_CONTINUE_EXECUTION;
}

static void vectored_order_and_removal(struct utest *t)
{
    order_len = 0;
    PVOID c = AddVectoredExceptionHandler(0, handler_continue);
    PVOID a = AddVectoredExceptionHandler(0, handler_a);   /* after C: never reached */
    PVOID b = AddVectoredExceptionHandler(1, handler_b);   /* before C */
    ASSERT_PTR_NE(t, a, NULL);
    ASSERT_PTR_NE(t, b, NULL);
    ASSERT_PTR_NE(t, c, NULL);
    RaiseException(0xE0000001u, 0, 0, NULL);
    EXPECT_EQ(t, order_len, 2);
    EXPECT_EQ(t, order[0], 'B');
    EXPECT_EQ(t, order[1], 'C');
    EXPECT_EQ(t, RemoveVectoredExceptionHandler(a), 1);
    EXPECT_EQ(t, RemoveVectoredExceptionHandler(a), 0);
    EXPECT_EQ(t, RemoveVectoredExceptionHandler((PVOID)order), 0);
    EXPECT_EQ(t, RemoveVectoredExceptionHandler(b), 1);
    EXPECT_EQ(t, RemoveVectoredExceptionHandler(c), 1);
}

/* Callee-saved registers and the stack survive a continued RaiseException. */
static __attribute__((noinline)) int raise_and_continue(int x)
{
    volatile int local = x * 3;
    RaiseException(0xE0000001u, 0, 0, NULL);
    return local + x;
}

static void raise_continue_returns(struct utest *t)
{
    order_len = 0;
    PVOID h = AddVectoredExceptionHandler(1, handler_continue);
    int sum = 0;
    for (int i = 1; i <= 5; i++)
        sum += raise_and_continue(i);
    RemoveVectoredExceptionHandler(h);
    EXPECT_EQ(t, order_len, 5);
    EXPECT_EQ(t, sum, 4 * (1 + 2 + 3 + 4 + 5));
}

static void raise_exception_record(struct utest *t)
{
    struct utest_exception x;
    ULONG_PTR args[EXCEPTION_MAXIMUM_PARAMETERS + 3];

    for (unsigned i = 0; i < sizeof(args) / sizeof(args[0]); i++)
        args[i] = 0x1000 + i;
    EXPECT_EXCEPTION(t, &x, RaiseException(0xE0424242u, EXCEPTION_NONCONTINUABLE | 0x10, 2, args));
    EXPECT_EQ(t, x.code, 0xE0424242u);
    EXPECT_EQ(t, x.flags, EXCEPTION_NONCONTINUABLE);
    EXPECT_EQ(t, x.nparams, 2);
    EXPECT_EQ(t, x.info[0], 0x1000);
    EXPECT_EQ(t, x.info[1], 0x1001);
    EXPECT_EQ(t, x.address, x.eip);                 /* the return address of RaiseException */
    EXPECT_NE(t, x.address, 0);
    EXPECT_EXCEPTION(t, &x, RaiseException(0xE0000002u, 0, sizeof(args) / sizeof(args[0]), args));
    EXPECT_EQ(t, x.nparams, EXCEPTION_MAXIMUM_PARAMETERS);
    EXPECT_EXCEPTION(t, &x, RaiseException(0xE0000003u, 0, 3, NULL));
    EXPECT_EQ(t, x.nparams, 0);
}

extern const char sdk_fault_ip[];

/* The store at sdk_fault_ip faults; its address is known exactly. */
static __attribute__((noinline, noclone)) void store_at_label(volatile int *p)
{
    __asm__ volatile(".globl sdk_fault_ip\nsdk_fault_ip:\n\tmovl $1, (%0)" : : "r"(p) : "memory");
}

static void access_violation_records(struct utest *t)
{
    struct utest_exception x;

    EXPECT_ACCESS_VIOLATION(t, *(volatile int *)0 = 1, EXCEPTION_WRITE_FAULT, 0);
    EXPECT_ACCESS_VIOLATION(t, (void)*(volatile int *)0x1234, EXCEPTION_READ_FAULT, 0x1234);
    EXPECT_ACCESS_VIOLATION(t, (void)*(volatile int *)0x80100000, EXCEPTION_READ_FAULT, 0x80100000);
    EXPECT_ACCESS_VIOLATION(t, *(volatile int *)0xC0300000 = 5, EXCEPTION_WRITE_FAULT, 0xC0300000);

    int *ro = VirtualAlloc(NULL, 2 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READONLY);
    ASSERT_PTR_NE(t, ro, NULL);
    EXPECT_EQ(t, ro[1000], 0);                      /* readable, reads zero */
    EXPECT_EXCEPTION(t, &x, store_at_label(ro + 1025));
    EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
    EXPECT_EQ(t, x.info[0], EXCEPTION_WRITE_FAULT);
    EXPECT_EQ(t, x.info[1], (uintptr_t)(ro + 1025));
    EXPECT_EQ(t, x.address, (uintptr_t)sdk_fault_ip);
    EXPECT_EQ(t, x.eip, (uintptr_t)sdk_fault_ip);
    EXPECT_TRUE(t, VirtualFree(ro, 0, MEM_RELEASE));
}

static void cpu_exceptions(struct utest *t)
{
    struct utest_exception x;
    volatile int zero = 0, quotient = 0;

    EXPECT_EXCEPTION(t, &x, DebugBreak());
    EXPECT_EQ(t, x.code, EXCEPTION_BREAKPOINT);
    EXPECT_EQ(t, *(const unsigned char *)x.address, 0xCC);      /* at the int3 itself */
    EXPECT_EXCEPTION(t, &x, __asm__ volatile("ud2"));
    EXPECT_EQ(t, x.code, EXCEPTION_ILLEGAL_INSTRUCTION);
    EXPECT_EXCEPTION(t, &x, quotient = 100 / zero);
    EXPECT_EQ(t, quotient, 0);
    EXPECT_EQ(t, x.code, EXCEPTION_INT_DIVIDE_BY_ZERO);
    /* Windows reports a privileged instruction as EXCEPTION_PRIV_INSTRUCTION;
     * a kernel that reports every #GP as an access violation is accepted. */
    EXPECT_EXCEPTION(t, &x, __asm__ volatile("cli"));
    if (x.code != EXCEPTION_PRIV_INSTRUCTION)
        EXPECT_EQ(t, x.code, EXCEPTION_ACCESS_VIOLATION);
}

/* Skips the 2-byte ud2 and hands back a value in EAX. */
static LONG CALLBACK skip_ud2(PEXCEPTION_POINTERS ep)
{
    if (ep->ExceptionRecord->ExceptionCode != EXCEPTION_ILLEGAL_INSTRUCTION)
        return EXCEPTION_CONTINUE_SEARCH;
    ep->ContextRecord->Eip += 2;
    ep->ContextRecord->Eax = 42;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static void continue_with_changed_context(struct utest *t)
{
    unsigned result;

    PVOID h = AddVectoredExceptionHandler(1, skip_ud2);
    __asm__ volatile("xorl %%eax, %%eax\n\tud2" : "=a"(result));
    RemoveVectoredExceptionHandler(h);
    EXPECT_EQ(t, result, 42);
}

/* Commits the page of a fault inside the reservation and retries. */
static char *demand_base;
static int demand_faults;

static LONG CALLBACK commit_on_demand(PEXCEPTION_POINTERS ep)
{
    const EXCEPTION_RECORD *rec = ep->ExceptionRecord;
    ULONG_PTR addr = rec->ExceptionInformation[1];

    if (rec->ExceptionCode != EXCEPTION_ACCESS_VIOLATION || rec->NumberParameters < 2 ||
        addr < (ULONG_PTR)demand_base || addr >= (ULONG_PTR)demand_base + 64 * 1024)
        return EXCEPTION_CONTINUE_SEARCH;
    if (VirtualAlloc((LPVOID)addr, 1, MEM_COMMIT, PAGE_READWRITE) == NULL)
        return EXCEPTION_CONTINUE_SEARCH;
    demand_faults++;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static void commit_from_handler(struct utest *t)
{
    demand_base = VirtualAlloc(NULL, 64 * 1024, MEM_RESERVE, PAGE_READWRITE);
    ASSERT_PTR_NE(t, demand_base, NULL);
    demand_faults = 0;
    PVOID h = AddVectoredExceptionHandler(1, commit_on_demand);
    for (unsigned off = 0; off < 64 * 1024; off += PAGE / 2)
        demand_base[off] = (char)(off / PAGE + 1);
    RemoveVectoredExceptionHandler(h);
    EXPECT_EQ(t, demand_faults, 16);
    for (unsigned off = 0; off < 64 * 1024; off += PAGE / 2)
        EXPECT_EQ(t, demand_base[off], (char)(off / PAGE + 1));
    EXPECT_TRUE(t, VirtualFree(demand_base, 0, MEM_RELEASE));
}

static void guard_page_one_shot(struct utest *t)
{
    struct utest_exception x;
    volatile int *g = VirtualAlloc(NULL, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);

    ASSERT_PTR_NE(t, g, NULL);
    EXPECT_EXCEPTION(t, &x, (void)g[3]);
    EXPECT_EQ(t, x.code, EXCEPTION_GUARD_PAGE);
    EXPECT_EQ(t, x.info[0], EXCEPTION_READ_FAULT);
    EXPECT_EQ(t, x.info[1], (uintptr_t)&g[3]);
    UTEST_CATCH(&x, g[3] = 7);                      /* the guard is gone */
    EXPECT_FALSE(t, x.caught);
    EXPECT_EQ(t, g[3], 7);
    EXPECT_TRUE(t, VirtualFree((LPVOID)g, 0, MEM_RELEASE));
}

/* NtContinue to a captured context resumes after RtlCaptureContext. */
static void capture_and_continue(struct utest *t)
{
    CONTEXT ctx;
    volatile int passes = 0;

    RtlCaptureContext(&ctx);
    passes++;
    if (passes == 1) {
        EXPECT_EQ(t, ctx.ContextFlags, CONTEXT_FULL);
        EXPECT_EQ(t, ctx.SegCs & 3, 3);
        NtContinue(&ctx, FALSE);
        utest_fail_msg(t, __FILE__, __LINE__, "NtContinue returned");
    }
    EXPECT_EQ(t, passes, 2);
}

static const struct utest_case exception_cases[] = {
    UTEST_CASE(capture_and_continue),
    UTEST_CASE(vectored_order_and_removal),
    UTEST_CASE(raise_continue_returns),
    UTEST_CASE(raise_exception_record),
    UTEST_CASE(access_violation_records),
    UTEST_CASE(cpu_exceptions),
    UTEST_CASE(continue_with_changed_context),
    UTEST_CASE(commit_from_handler),
    UTEST_CASE(guard_page_one_shot),
    UTEST_END,
};
static const struct utest_suite exception_suite = { .name = "sdk_exceptions", .cases = exception_cases };

static const struct utest_suite *const suites[] = { &libc_suite, &kernel32_suite, &exception_suite, NULL };

int main(void)
{
    utest_register_counter("allocations", utest_counter_allocations);
    return utest_main(suites);
}
