/* The user-program test runner (tests/user/utest.h): KTAP version 1 on
 * stdout, a leak check per suite, and exceptions caught through the
 * program's own vectored handler and unhandled-exception filter, resumed
 * with NtContinue at a setjmp point. */
#include "utest.h"
#include <ntdll.h>
#include <stdarg.h>
#include <stdio.h>

/* Where the document goes in the run's KTAP (utest.h): the program's
 * document two levels deep, its suites three. */
#define DOC "        "
#define SUITE DOC "    "

#define COUNTERS_MAX 8
#define JUMP_LEAVE 1
#define JUMP_SKIP 2
#define JUMP_FAULT 3
#define EFLAGS_DF 0x400u

struct leak_counter {
    const char *name;
    uint64_t (*read)(void);
};

static struct leak_counter counters[COUNTERS_MAX];
static int counter_count;
static int passed, failed, skipped;
static struct utest *current;
static uint32_t rng_seed = 0x2E2E1234u, rng_state;

jmp_buf utest_catch_jmp_;
static struct utest_exception *catch_record;
static PVOID catch_handle;

void utest_register_counter(const char *name, uint64_t (*read)(void))
{
    if (counter_count < COUNTERS_MAX)
        counters[counter_count++] = (struct leak_counter){ name, read };
}

static uint64_t read_counters(ULONG_PTR offset)
{
    SYSTEM_MEMORY_COUNTERS c;

    if (!NT_SUCCESS(NtQuerySystemCounters(&c, sizeof(c))))
        return (uint64_t)-1;
    return *(const unsigned long *)((const char *)&c + offset);
}

uint64_t utest_counter_allocations(void)
{
    return read_counters(offsetof(SYSTEM_MEMORY_COUNTERS, Allocations));
}

uint64_t utest_counter_commit_charge(void)
{
    return read_counters(offsetof(SYSTEM_MEMORY_COUNTERS, CommitCharge));
}

void utest_set_seed(uint32_t seed)
{
    rng_seed = seed;
}

uint32_t utest_seed(void)
{
    return rng_seed;
}

uint32_t utest_random(void)
{
    /* xorshift32 (Marsaglia 2003), as the kernel's ktest_random. */
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

void utest_log(const char *fmt, ...)
{
    va_list ap;
    printf(SUITE "# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

void utest_fail_cmp(struct utest *t, const char *file, int line, const char *what,
                    const char *a_text, const char *b_text, int64_t a, int64_t b)
{
    t->failures++;
    printf(SUITE "# %s:%d: %s(%s, %s) failed\n", file, line, what, a_text, b_text);
    printf(SUITE "#   %s == %lld (0x%llx)\n", a_text, a, (uint64_t)a);
    printf(SUITE "#   %s == %lld (0x%llx)\n", b_text, b, (uint64_t)b);
}

void utest_fail_msg(struct utest *t, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    t->failures++;
    printf(SUITE "# %s:%d: ", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

void utest_leave(struct utest *t)
{
    longjmp(t->leave, JUMP_LEAVE);
}

void utest_skip(struct utest *t, const char *reason)
{
    t->skip_reason = reason;
    longjmp(t->leave, JUMP_SKIP);
}

/* ---- exceptions ----------------------------------------------------------- */

/* Makes the context resume as longjmp(jb, value) would: setjmp returns
 * value in the frame that called it (which is above the exception frame
 * the kernel wrote, so still intact).  The handler then returns
 * EXCEPTION_CONTINUE_EXECUTION and the kernel's NtContinue does the jump.
 * A non-continuable exception cannot be continued (the dispatcher would
 * end the process with STATUS_NONCONTINUABLE_EXCEPTION), so for those it
 * is a plain longjmp out of the handler, as an __except block unwinds. */
static void context_resume_at(const EXCEPTION_RECORD *rec, CONTEXT *ctx, jmp_buf jb, int value)
{
    if (rec->ExceptionFlags & EXCEPTION_NONCONTINUABLE)
        longjmp(jb, value);
    ctx->Ebx = jb[0];
    ctx->Esi = jb[1];
    ctx->Edi = jb[2];
    ctx->Ebp = jb[3];
    ctx->Esp = jb[4];
    ctx->Eip = jb[5];
    ctx->Eax = (DWORD)value;
    ctx->EFlags &= ~EFLAGS_DF;
}

static LONG CALLBACK catch_handler(PEXCEPTION_POINTERS ep)
{
    const EXCEPTION_RECORD *rec = ep->ExceptionRecord;
    struct utest_exception *out = catch_record;

    if (out == NULL)
        return EXCEPTION_CONTINUE_SEARCH;
    catch_record = NULL;                /* one exception per UTEST_CATCH */
    out->caught = true;
    out->code = rec->ExceptionCode;
    out->flags = rec->ExceptionFlags;
    out->nparams = rec->NumberParameters;
    out->info[0] = rec->NumberParameters > 0 ? rec->ExceptionInformation[0] : 0;
    out->info[1] = rec->NumberParameters > 1 ? rec->ExceptionInformation[1] : 0;
    out->address = (ULONG_PTR)rec->ExceptionAddress;
    out->eip = ep->ContextRecord->Eip;
    context_resume_at(rec, ep->ContextRecord, utest_catch_jmp_, 1);
    return EXCEPTION_CONTINUE_EXECUTION;
}

void utest_catch_arm_(struct utest_exception *rec)
{
    memset(rec, 0, sizeof(*rec));
    catch_record = rec;
    catch_handle = AddVectoredExceptionHandler(1, catch_handler);
}

void utest_catch_disarm_(void)
{
    catch_record = NULL;
    if (catch_handle != NULL)
        RemoveVectoredExceptionHandler(catch_handle);
    catch_handle = NULL;
}

static const char *access_kind(ULONG_PTR kind)
{
    return kind == EXCEPTION_WRITE_FAULT ? "write to" : kind == EXCEPTION_EXECUTE_FAULT ? "execute at"
                                                                                      : "read from";
}

/* An exception no handler took: fails the running case and resumes at
 * its recovery point, so the program goes on with the next case. */
static LONG WINAPI unexpected_exception(PEXCEPTION_POINTERS ep)
{
    const EXCEPTION_RECORD *rec = ep->ExceptionRecord;

    if (current == NULL)
        return EXCEPTION_CONTINUE_SEARCH;
    utest_catch_disarm_();
    if (rec->NumberParameters >= 2 && rec->ExceptionCode == EXCEPTION_ACCESS_VIOLATION)
        utest_log("%s: unexpected exception 0x%08lx at eip 0x%08lx (%s 0x%08lx)", current->name,
                  rec->ExceptionCode, ep->ContextRecord->Eip, access_kind(rec->ExceptionInformation[0]),
                  rec->ExceptionInformation[1]);
    else
        utest_log("%s: unexpected exception 0x%08lx at eip 0x%08lx", current->name,
                  rec->ExceptionCode, ep->ContextRecord->Eip);
    current->failures++;
    context_resume_at(rec, ep->ContextRecord, current->leave, JUMP_FAULT);
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* ---- running -------------------------------------------------------------- */

static void report_case(int index, const char *name, int failures, const char *skip)
{
    if (skip != NULL) {
        printf(SUITE "ok %d %s # SKIP %s\n", index, name, skip);
        skipped++;
    } else if (failures == 0) {
        printf(SUITE "ok %d %s\n", index, name);
        passed++;
    } else {
        printf(SUITE "not ok %d %s\n", index, name);
        failed++;
    }
}

static void run_case(const struct utest_case *c, int index)
{
    struct utest t = { .name = c->name };

    current = &t;
    if (setjmp(t.leave) == 0)
        c->run(&t);
    utest_catch_disarm_();
    current = NULL;
    report_case(index, c->name, t.failures, t.skip_reason);
}

static int count_cases(const struct utest_suite *s)
{
    int n = 0;
    while (s->cases[n].name != NULL)
        n++;
    return n;
}

static void leak_check(int index, const uint64_t *before)
{
    int bad = 0;

    for (int i = 0; i < counter_count; i++) {
        uint64_t now = counters[i].read();
        if (now != before[i]) {
            printf(SUITE "# leak_check: %s was %llu before the suite, %llu after\n", counters[i].name,
                   before[i], now);
            bad++;
        }
    }
    report_case(index, "leak_check", bad, NULL);
}

static void run_suite(const struct utest_suite *s, int suite_index)
{
    int before_failed = failed;
    int cases = count_cases(s);
    uint64_t before[COUNTERS_MAX];

    printf(SUITE "KTAP version 1\n" SUITE "# Subtest: %s\n", s->name);
    if (s->init != NULL && s->init() != 0) {
        printf(SUITE "1..0\n" DOC "ok %d %s # SKIP init failed\n", suite_index, s->name);
        return;
    }
    printf(SUITE "1..%d\n", cases + (counter_count > 0 ? 1 : 0));
    for (int i = 0; i < counter_count; i++)
        before[i] = counters[i].read();
    for (int i = 0; i < cases; i++)
        run_case(&s->cases[i], i + 1);
    if (s->exit != NULL)
        s->exit();
    if (counter_count > 0)
        leak_check(cases + 1, before);
    printf(DOC "%s %d %s\n", failed == before_failed ? "ok" : "not ok", suite_index, s->name);
}

int utest_main(const struct utest_suite *const *suites)
{
    int n = 0;

    rng_state = rng_seed != 0 ? rng_seed : 1;
    SetUnhandledExceptionFilter(unexpected_exception);
    while (suites[n] != NULL)
        n++;
    printf(DOC "KTAP version 1\n" DOC "1..%d\n" DOC "# seed=%lu\n", n, (unsigned long)rng_seed);
    for (int i = 0; i < n; i++)
        run_suite(suites[i], i + 1);
    if (skipped > 0)
        printf(DOC "# %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else
        printf(DOC "# %d passed, %d failed\n", passed, failed);
    SetUnhandledExceptionFilter(NULL);
    return failed == 0 ? 0 : 1;
}
