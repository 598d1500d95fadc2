/* Internal interfaces between the parts of the user-mode SDK
 * (libc/user/); not for programs. */
#ifndef LIBC_USER_SDK_H
#define LIBC_USER_SDK_H

#include <windows.h>
#include <stdbool.h>
#include <setjmp.h>

/* crt0.asm calls this before main: registers the exception dispatcher,
 * runs the constructors. */
void sdk_init(void);

/* heapapi.c: creates the process default heap (before main). */
void sdk_heap_init(void);

/* stdio.c: writes out whatever stdout has buffered. */
void sdk_stdio_flush(void);
/* stdio.c: true when nothing or a whole line was written last. */
bool sdk_stdio_at_line_start(void);

/* context.asm: the entry the kernel resumes at on an exception; it calls
 * sdk_dispatch_exception (exception.c) on an aligned stack. */
void sdk_dispatcher_entry(void);
__attribute__((noreturn)) void sdk_dispatch_exception(EXCEPTION_RECORD *rec, CONTEXT *ctx);

/* exception.c: a guarded region, the SDK's __try/__except(EXCEPTION_
 * EXECUTE_HANDLER).  An exception no vectored handler continues, raised
 * while t is the innermost entered region, leaves t and makes setjmp(t->jb)
 * return 1 with t->code the exception code (the stack below is
 * abandoned, as by longjmp).  Use:
 *
 *     struct sdk_try t;
 *     sdk_try_enter(&t);
 *     if (setjmp(t.jb) == 0) {
 *         ...guarded code...
 *         sdk_try_leave(&t);
 *     } else {
 *         ...t.code happened; t has left already...
 *     }
 *
 * Locals written in the guarded code and read after the exception must be
 * volatile.  Regions nest; leave them innermost first. */
struct sdk_try {
    jmp_buf jb;
    struct sdk_try *outer;
    DWORD code;
};
void sdk_try_enter(struct sdk_try *t);
void sdk_try_leave(struct sdk_try *t);

/* exception.c, called by RaiseException (context.asm) with the caller's
 * captured context. */
__attribute__((noreturn)) void sdk_raise_exception(DWORD code, DWORD flags, DWORD nargs,
                                                   const ULONG_PTR *args, CONTEXT *ctx);

/* Ends the process with status after flushing stdout (kernel32.c). */
__attribute__((noreturn)) void sdk_terminate(NTSTATUS status);

#endif
