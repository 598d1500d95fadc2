/* Vectored exception handling, RaiseException and the SDK's guarded
 * regions.
 *
 * The kernel delivers every exception of the program (faults and
 * NtRaiseException) to sdk_dispatcher_entry (context.asm), registered by
 * sdk_init, which calls sdk_dispatch_exception below with the record and
 * context the kernel wrote on the stack (ntsvc.h).  The order is NT's
 * (RtlDispatchException, then the thread's top-level filter):
 *
 *   1. the vectored handlers, in list order: the first that returns
 *      EXCEPTION_CONTINUE_EXECUTION resumes the program with the (possibly
 *      changed) context through NtContinue, whatever the exception's
 *      flags.  NT does so too: a vectored handler may redirect even a
 *      non-continuable exception (crash reporters, test harnesses).
 *   2. the frame-based stage: the innermost SDK guarded region
 *      (sdk_try_enter, the stand-in for __try/__except(EXCEPTION_EXECUTE_
 *      HANDLER) that IsBadReadPtr and friends use) takes the exception and
 *      resumes at its setjmp point, as an __except block unwinds to it.
 *   3. the unhandled-exception filter, if any.  Asking to continue a
 *      non-continuable exception here is the case NT refuses (a frame
 *      asking to continue the raise itself): the process ends with
 *      STATUS_NONCONTINUABLE_EXCEPTION.
 *   4. otherwise the process ends with the exception code. */
#include "sdk.h"
#include <ntdll.h>
#include <stdio.h>

#define VEH_MAX 32

/* context.asm addresses these fields by number. */
_Static_assert(__builtin_offsetof(CONTEXT, SegGs) == 140 && __builtin_offsetof(CONTEXT, Edi) == 156 &&
                   __builtin_offsetof(CONTEXT, Eax) == 176 && __builtin_offsetof(CONTEXT, Ebp) == 180 &&
                   __builtin_offsetof(CONTEXT, Eip) == 184 && __builtin_offsetof(CONTEXT, EFlags) == 192 &&
                   __builtin_offsetof(CONTEXT, Esp) == 196 && __builtin_offsetof(CONTEXT, SegSs) == 200 &&
                   sizeof(CONTEXT) == 716,
               "CONTEXT offsets in context.asm");

/* A registered handler; its address is the handle. */
struct veh_entry {
    PVECTORED_EXCEPTION_HANDLER handler;
    BOOL in_use;
};

static struct veh_entry veh_pool[VEH_MAX];
static struct sdk_try *try_top;                    /* innermost guarded region */
static struct veh_entry *veh_order[VEH_MAX];       /* call order */
static int veh_count;
/* The handler list is the process's: threads add, remove and dispatch
 * under this lock (a section initialized statically: free, no event). */
static CRITICAL_SECTION veh_lock = { (PRTL_CRITICAL_SECTION_DEBUG)(LONG_PTR)-1, -1, 0, NULL, NULL, 0 };
static LPTOP_LEVEL_EXCEPTION_FILTER unhandled_filter;

void sdk_exception_init(void)
{
    sdk_lock_prepare(&veh_lock);
}

/* Returns the handle (non-NULL), or NULL when VEH_MAX handlers are
 * registered already (or Handler is NULL). */
PVOID WINAPI AddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler)
{
    struct veh_entry *e = NULL;

    if (Handler == NULL)
        return NULL;
    EnterCriticalSection(&veh_lock);
    for (int i = 0; i < VEH_MAX && e == NULL; i++)
        if (!veh_pool[i].in_use)
            e = &veh_pool[i];
    if (e != NULL) {
        e->handler = Handler;
        e->in_use = TRUE;
        if (First != 0) {
            for (int i = veh_count; i > 0; i--)
                veh_order[i] = veh_order[i - 1];
            veh_order[0] = e;
        } else {
            veh_order[veh_count] = e;
        }
        veh_count++;
    }
    LeaveCriticalSection(&veh_lock);
    return e;
}

/* Returns non-zero when Handle was registered (and now is not), 0 for an
 * unknown or already removed handle. */
ULONG WINAPI RemoveVectoredExceptionHandler(PVOID Handle)
{
    ULONG removed = 0;

    EnterCriticalSection(&veh_lock);
    for (int i = 0; i < veh_count && !removed; i++) {
        if (veh_order[i] != Handle)
            continue;
        veh_order[i]->in_use = FALSE;
        veh_order[i]->handler = NULL;
        for (int j = i; j + 1 < veh_count; j++)
            veh_order[j] = veh_order[j + 1];
        veh_count--;
        removed = 1;
    }
    LeaveCriticalSection(&veh_lock);
    return removed;
}

LPTOP_LEVEL_EXCEPTION_FILTER WINAPI SetUnhandledExceptionFilter(LPTOP_LEVEL_EXCEPTION_FILTER filter)
{
    LPTOP_LEVEL_EXCEPTION_FILTER previous = unhandled_filter;

    unhandled_filter = filter;
    return previous;
}

/* Resumes at *ctx. */
static __attribute__((noreturn)) void resume(CONTEXT *ctx)
{
    NTSTATUS st = NtContinue(ctx, FALSE);
    sdk_terminate(st);                  /* NtContinue returns only when the context is unreadable */
}

/* The unhandled-exception filter asked to continue: allowed unless the
 * exception is non-continuable, which ends the process with
 * STATUS_NONCONTINUABLE_EXCEPTION. */
static __attribute__((noreturn)) void continue_execution(EXCEPTION_RECORD *rec, CONTEXT *ctx)
{
    if (rec->ExceptionFlags & EXCEPTION_NONCONTINUABLE)
        sdk_terminate(STATUS_NONCONTINUABLE_EXCEPTION);
    resume(ctx);
}

void sdk_try_enter(struct sdk_try *t)
{
    t->code = 0;
    t->outer = try_top;
    try_top = t;
}

void sdk_try_leave(struct sdk_try *t)
{
    if (try_top == t)
        try_top = t->outer;
}

/* Stage 2: hands the exception to the innermost guarded region, which
 * leaves the list (its code records what happened).  Returns only when
 * there is none. */
static void dispatch_to_try(const EXCEPTION_RECORD *rec)
{
    struct sdk_try *t = try_top;

    if (t == NULL)
        return;
    try_top = t->outer;
    t->code = rec->ExceptionCode;
    longjmp(t->jb, 1);
}

/* Runs the handlers registered when the exception arrived, on the
 * faulting thread (the kernel put the record and context on its stack).
 * A handler may
 * add or remove handlers (or raise a nested exception, which dispatches
 * afresh on the stack below); one removed meanwhile is skipped. */
static BOOL call_handlers(EXCEPTION_POINTERS *ep)
{
    struct veh_entry *snapshot[VEH_MAX];
    PVECTORED_EXCEPTION_HANDLER handlers[VEH_MAX];

    EnterCriticalSection(&veh_lock);
    int n = veh_count;
    for (int i = 0; i < n; i++) {
        snapshot[i] = veh_order[i];
        handlers[i] = veh_order[i]->handler;
    }
    LeaveCriticalSection(&veh_lock);
    for (int i = 0; i < n; i++) {
        if (!snapshot[i]->in_use || snapshot[i]->handler != handlers[i])
            continue;
        if (handlers[i](ep) == EXCEPTION_CONTINUE_EXECUTION)
            return TRUE;
    }
    return FALSE;
}

/* One line on stdout (after any partial line the program left). */
static void report_unhandled(const EXCEPTION_RECORD *rec, const CONTEXT *ctx)
{
    if (!sdk_stdio_at_line_start())
        printf("\n");
    printf("# unhandled exception 0x%08lx at 0x%08lx", rec->ExceptionCode, ctx->Eip);
    if (rec->NumberParameters >= 2 &&
        (rec->ExceptionCode == EXCEPTION_ACCESS_VIOLATION || rec->ExceptionCode == EXCEPTION_GUARD_PAGE))
        printf(" (%s 0x%08lx)",
               rec->ExceptionInformation[0] == EXCEPTION_WRITE_FAULT ? "write to"
               : rec->ExceptionInformation[0] == EXCEPTION_EXECUTE_FAULT ? "execute at" : "read from",
               rec->ExceptionInformation[1]);
    printf("\n");
}

void sdk_dispatch_exception(EXCEPTION_RECORD *rec, CONTEXT *ctx)
{
    EXCEPTION_POINTERS ep = { rec, ctx };

    if (call_handlers(&ep))
        resume(ctx);
    dispatch_to_try(rec);
    if (unhandled_filter != NULL && unhandled_filter(&ep) == EXCEPTION_CONTINUE_EXECUTION)
        continue_execution(rec, ctx);
    report_unhandled(rec, ctx);
    sdk_terminate((NTSTATUS)rec->ExceptionCode);
}

void sdk_raise_exception(DWORD code, DWORD flags, DWORD nargs, const ULONG_PTR *args, CONTEXT *ctx)
{
    EXCEPTION_RECORD rec = {
        .ExceptionCode = code,
        .ExceptionFlags = flags & EXCEPTION_NONCONTINUABLE,
        .ExceptionRecord = NULL,
        .ExceptionAddress = (PVOID)ctx->Eip,
        .NumberParameters = 0,
    };

    if (args != NULL) {
        rec.NumberParameters = nargs > EXCEPTION_MAXIMUM_PARAMETERS ? EXCEPTION_MAXIMUM_PARAMETERS : nargs;
        for (DWORD i = 0; i < rec.NumberParameters; i++)
            rec.ExceptionInformation[i] = args[i];
    }
    NTSTATUS st = NtRaiseException(&rec, ctx, TRUE);
    sdk_terminate(st);                  /* returns only when the kernel could not read rec/ctx */
}
