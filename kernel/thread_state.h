/* The states and wait reasons of a thread (NT's KTHREAD_STATE and
 * KWAIT_REASON, the names the console shows).  Data only: shared by the
 * thread subsystem's public header (kernel/thread.h) and its private one
 * (kernel/thread_impl.h). */
#ifndef KERNEL_THREAD_STATE_H
#define KERNEL_THREAD_STATE_H

/* NT's KTHREAD_STATE, the states the console shows. */
enum thread_state {
    THREAD_INITIALIZED,             /* created, never run */
    THREAD_READY,
    THREAD_RUNNING,
    THREAD_WAITING,
    THREAD_TERMINATED,
};
/* NT's KWAIT_REASON, for THREAD_WAITING. */
enum thread_wait_reason {
    WAIT_REASON_NONE,
    WAIT_REASON_EXECUTIVE,          /* the kernel waits (a process, a join) */
    WAIT_REASON_USER_REQUEST,       /* WaitForSingleObject & co. */
    WAIT_REASON_DELAY,              /* Sleep */
    WAIT_REASON_SUSPENDED,          /* SuspendThread */
};

#endif
