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

/* heapapi.c: creates the process default heap (before main); at
 * ExitThread, gives back what the ending thread's heap caches hold. */
void sdk_heap_init(void);
void sdk_heap_thread_exit(void);

/* stdio.c: writes out whatever stdout has buffered (under its lock, or,
 * when ending the process, without it). */
void sdk_stdio_flush(void);
void sdk_stdio_flush_unlocked(void);
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

/* ---- threads (issue 13) ---- */
/* thread.c: the TLS lock, the start routine of new threads, errno's TLS
 * slot; first thing in sdk_init. */
void sdk_thread_init(void);
/* critsec.c: a runtime lock (a critical section whose event is made now). */
void sdk_lock_init(LPCRITICAL_SECTION cs);
void sdk_lock_prepare(LPCRITICAL_SECTION cs);
/* exception.c: makes the handler list's lock ready (sdk_init). */
void sdk_exception_init(void);
/* critsec.c: the slow paths of critsec_fast.asm's Enter and Leave. */
void sdk_cs_wait(LPCRITICAL_SECTION cs, HANDLE me);
void sdk_cs_wake(LPCRITICAL_SECTION cs);
/* errno lives in this TLS slot of every TEB (errno.c). */
#define SDK_ERRNO_TLS_SLOT 0
/* thread_start.asm: where every thread but the first begins, with EAX =
 * its start routine and EBX = its parameter (NT's RtlUserThreadStart). */
void RtlUserThreadStart(void);
/* thread.c: RtlUserThreadStart's C half. */
__attribute__((noreturn)) void sdk_thread_main(LPTHREAD_START_ROUTINE start, LPVOID parameter);
/* stdio.c: stdout's lock (before any output), taken when free; false
 * when another thread holds it. */
void sdk_stdio_init(void);
bool sdk_stdio_try_lock(void);
void sdk_stdio_unlock(void);

/* Ends the process with status after flushing stdout (kernel32.c). */
__attribute__((noreturn)) void sdk_terminate(NTSTATUS status);

#endif
