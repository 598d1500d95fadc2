/* System-service table 2 (0x2000-): threads, waits, events, mutexes,
 * semaphores and handles, with NT's native signatures and statuses
 * (libc/include/ntsvc.h lists them).
 *
 * As in table 0, every pointer goes through the checked user copies, and
 * every output is probed (read and written back) before anything
 * changes, so a bad pointer fails the call with STATUS_ACCESS_VIOLATION
 * and no state changed.  Handles name objects of the current process;
 * NtCurrentProcess() (-1) and NtCurrentThread() (-2) name the caller's own. */
#include "kernel/services.h"
#include "kernel/object.h"
#include "kernel/process.h"
#include "kernel/process_impl.h"
#include "kernel/thread.h"
#include "kernel/thread_impl.h"
#include "kernel/uthread.h"
#include "kernel/sync.h"
#include "kernel/wait.h"
#include "kernel/usercopy.h"
#include "kernel/syscall_process.h"
#include "kernel/base/x86.h"
#include "mm/memlayout.h"
#include "mm/tlb_shootdown.h"
#include <ntstatus.h>
#include <ntsvc.h>
#include <winternl.h>
#include <string.h>

#define CURRENT_PROCESS 0xFFFFFFFFu     /* NtCurrentProcess() */
#define CURRENT_THREAD 0xFFFFFFFEu      /* NtCurrentThread() */
#define CREATE_SUSPENDED_FLAG 0x1u      /* THREAD_CREATE_FLAGS_CREATE_SUSPENDED */
#define TICKS_PER_100NS_DIVISOR 10000   /* 100 ns units per 1 ms tick */
#define TIMEOUT_FOREVER_TICKS (1ull << 40)  /* 34 years of ticks: longer is forever */

static struct handle_table *handles(void)
{
    return process_handles(process_current());
}

/* The object a handle names, referenced, if the handle grants `access`
 * (issue 15; *granted optional).  Pseudo handles name the caller's thread
 * and process, with every right. */
static NTSTATUS reference_access(uint32_t h, const struct object_type *type, uint32_t access,
                                 struct object **out, uint32_t *granted)
{
    struct object *o;

    if (h == CURRENT_THREAD)
        o = &thread_current()->obj;
    else if (h == CURRENT_PROCESS)
        o = &process_current()->obj;
    else
        return handle_reference_access(handles(), h, type, access, out, granted);
    if (granted != NULL)
        *granted = HANDLE_ACCESS_ALL;
    if (type != NULL && o->type != type)
        return STATUS_OBJECT_TYPE_MISMATCH;
    object_ref(o);
    *out = o;
    return STATUS_SUCCESS;
}

static NTSTATUS reference(uint32_t h, const struct object_type *type, struct object **out)
{
    return reference_access(h, type, 0, out, NULL);
}

/* Issue 15: the access a duplicate of a handle granting `granted` gets.
 * Process handles carry real rights: DUPLICATE_SAME_ACCESS keeps them,
 * a specific request is cut to them (no security descriptor here to
 * re-check a wider one against, so a duplicate never grants more than
 * its source); a generic request keeps the source's.  Other objects'
 * handles grant everything, as before access rights existed. */
static uint32_t duplicate_access(const struct object *o, uint32_t granted, uint32_t desired,
                                 uint32_t options)
{
    if (o->type != &process_object_type)
        return HANDLE_ACCESS_ALL;
    if ((options & DUPLICATE_SAME_ACCESS) || (desired & 0xF3000000u))  /* GENERIC_*, MAXIMUM_ALLOWED */
        return granted;
    return desired & granted;
}


/* Makes a handle for a new object and writes it to *user_handle (probed
 * by the caller); the creator's reference goes either way. */
static NTSTATUS publish(struct object *o, uint32_t user_handle)
{
    uint32_t h;
    NTSTATUS st = handle_insert(handles(), o, &h);
    object_deref(o);
    if (NT_SUCCESS(st))
        put_user_u32((void *)user_handle, h);
    return st;
}

/* A timeout as NT's PLARGE_INTEGER, in timer ticks: NULL waits forever;
 * negative is relative, in 100 ns units (rounded up to whole ticks, plus
 * one so that at least that long passes); positive is an absolute time,
 * which this kernel counts from boot in the same units. */
static NTSTATUS read_timeout(uint32_t user_ptr, uint64_t *ticks)
{
    int64_t v;

    if (user_ptr == 0) {
        *ticks = WAIT_FOREVER;
        return STATUS_SUCCESS;
    }
    NTSTATUS st = copy_from_user(&v, (const void *)user_ptr, sizeof(v));
    if (!NT_SUCCESS(st))
        return st;
    uint64_t t;
    if (v < 0) {
        uint64_t units = v == INT64_MIN ? (uint64_t)INT64_MAX : (uint64_t)-v;
        t = (units + TICKS_PER_100NS_DIVISOR - 1) / TICKS_PER_100NS_DIVISOR + 1;
    } else {
        uint64_t at = (uint64_t)v / TICKS_PER_100NS_DIVISOR, now = sched_now();
        t = at > now ? at - now : 0;
    }
    *ticks = t > TIMEOUT_FOREVER_TICKS ? WAIT_FOREVER : t;     /* no deadline can overflow */
    return STATUS_SUCCESS;
}

/* ---- handles ------------------------------------------------------------------- */

/* NtClose(handle) */
static NTSTATUS svc_close(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return handle_close(handles(), a[0]);
}

static bool current_process_handle(uint32_t h)
{
    struct object *o;
    if (!NT_SUCCESS(reference(h, &process_object_type, &o)))
        return false;
    bool same = o == &process_current()->obj;
    object_deref(o);
    return same;
}

/* NtDuplicateObject(source process, source handle, target process,
 * *target handle, access, attributes, options).  Within the current
 * process only.  DUPLICATE_CLOSE_SOURCE closes the source handle whatever
 * else happens (DuplicateHandle's documentation). */
static NTSTATUS svc_duplicate(const uint32_t *a, struct trap_frame *tf)
{
    struct object *o;
    uint32_t h;
    NTSTATUS st;

    (void)tf;
    if (!current_process_handle(a[0]) || !current_process_handle(a[2]))
        return STATUS_INVALID_HANDLE;
    if (a[6] & ~(uint32_t)(DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS))
        return STATUS_INVALID_PARAMETER;
    st = a[3] != 0 ? probe_user_u32(a[3]) : STATUS_SUCCESS;
    uint32_t granted = 0;
    if (NT_SUCCESS(st))
        st = reference_access(a[1], NULL, 0, &o, &granted);
    if (NT_SUCCESS(st)) {
        st = handle_insert_access(handles(), o, duplicate_access(o, granted, a[4], a[6]), &h);
        object_deref(o);
        if (NT_SUCCESS(st))
            put_user_optional(a[3], h);
    }
    if ((a[6] & DUPLICATE_CLOSE_SOURCE) && a[1] != CURRENT_PROCESS && a[1] != CURRENT_THREAD)
        handle_close(handles(), a[1]);
    return st;
}

/* ---- waits --------------------------------------------------------------------- */

/* NtWaitForSingleObject(handle, alertable, *timeout).  Alertable waits
 * behave as plain ones: this kernel has no APCs to deliver. */
static NTSTATUS svc_wait_single(const uint32_t *a, struct trap_frame *tf)
{
    struct object *o;
    uint64_t ticks;
    NTSTATUS st;

    (void)tf;
    if (!NT_SUCCESS(st = read_timeout(a[2], &ticks)) ||
        !NT_SUCCESS(st = reference_access(a[0], NULL, SYNCHRONIZE, &o, NULL)))
        return st;
    st = wait_for_objects(&o, 1, false, ticks, WAIT_REASON_USER_REQUEST);
    object_deref(o);
    return st;
}

/* NtWaitForMultipleObjects(count, handles[], wait type, alertable, *timeout) */
static NTSTATUS svc_wait_multiple(const uint32_t *a, struct trap_frame *tf)
{
    uint32_t hs[WAIT_OBJECTS_MAX];
    struct object *objs[WAIT_OBJECTS_MAX];
    uint32_t n = a[0], got = 0;
    uint64_t ticks;
    NTSTATUS st;

    (void)tf;
    if (n == 0 || n > WAIT_OBJECTS_MAX)
        return STATUS_INVALID_PARAMETER_1;
    if (a[2] != WaitAll && a[2] != WaitAny)
        return STATUS_INVALID_PARAMETER_3;
    if (!NT_SUCCESS(st = copy_from_user(hs, (const void *)a[1], n * sizeof(uint32_t))) ||
        !NT_SUCCESS(st = read_timeout(a[4], &ticks)))
        return st;
    for (; got < n && NT_SUCCESS(st); got++)
        st = reference_access(hs[got], NULL, SYNCHRONIZE, &objs[got], NULL);
    if (NT_SUCCESS(st))
        st = wait_for_objects(objs, n, a[2] == WaitAll, ticks, WAIT_REASON_USER_REQUEST);
    else
        got--;                          /* the last one failed: nothing to drop for it */
    for (uint32_t i = 0; i < got; i++)
        object_deref(objs[i]);
    return st;
}

/* NtDelayExecution(alertable, *interval).  A zero interval gives the rest
 * of the time slice to the other ready threads (Sleep(0)). */
static NTSTATUS svc_delay(const uint32_t *a, struct trap_frame *tf)
{
    uint64_t ticks;
    int64_t v;
    NTSTATUS st;

    (void)tf;
    if (a[1] == 0)
        return STATUS_ACCESS_VIOLATION;
    if (!NT_SUCCESS(st = copy_from_user(&v, (const void *)a[1], sizeof(v))))
        return st;
    if (v == 0) {
        thread_yield();
        return STATUS_SUCCESS;
    }
    if (!NT_SUCCESS(st = read_timeout(a[1], &ticks)))
        return st;
    st = wait_for_objects(NULL, 0, false, ticks, WAIT_REASON_DELAY);
    return st == STATUS_TIMEOUT ? STATUS_SUCCESS : st;
}

/* NtSwitchToThread(): STATUS_SUCCESS when another thread ran,
 * STATUS_NO_YIELD_PERFORMED when none was ready (NT's NtYieldExecution,
 * which SwitchToThread calls). */
static NTSTATUS svc_switch(const uint32_t *a, struct trap_frame *tf)
{
    (void)a;
    (void)tf;
    uint32_t flags = sched_lock();
    bool ran = sched_yield_locked();
    sched_unlock(flags);
    return ran ? STATUS_SUCCESS : STATUS_NO_YIELD_PERFORMED;
}

/* NtFlushProcessWriteBuffers(): every other CPU passes a full barrier
 * (mm/tlb_shootdown.h cpu_barrier_others): all other online CPUs rather
 * than only those running this process's threads, since a CPU that ran
 * them last has passed a locked instruction when it switched away (the
 * dispatcher lock) anyway, and one request to all is as cheap as one to
 * some. */
static NTSTATUS svc_flush_write_buffers(const uint32_t *a, struct trap_frame *tf)
{
    (void)a;
    (void)tf;
    cpu_barrier_others();
    return STATUS_SUCCESS;
}

/* ---- events, mutexes, semaphores ----------------------------------------------- */

/* Object attributes (names, security) are not supported: NULL only. */
static NTSTATUS check_create_args(uint32_t out_handle, uint32_t attributes)
{
    if (attributes != 0)
        return STATUS_INVALID_PARAMETER_3;
    return probe_user_u32(out_handle);
}

/* NtCreateEvent(*handle, access, attributes, type, initial state) */
static NTSTATUS svc_create_event(const uint32_t *a, struct trap_frame *tf)
{
    struct object *o;
    NTSTATUS st;

    (void)tf;
    if (a[3] != NotificationEvent && a[3] != SynchronizationEvent)
        return STATUS_INVALID_PARAMETER_4;
    if (!NT_SUCCESS(st = check_create_args(a[0], a[2])) ||
        !NT_SUCCESS(st = event_create(a[3] == NotificationEvent, a[4] != 0, &o)))
        return st;
    return publish(o, a[0]);
}

/* NtSetEvent / NtResetEvent / NtPulseEvent(handle, *previous state) */
static NTSTATUS event_op(const uint32_t *a, int32_t (*op)(struct object *))
{
    struct object *o;
    NTSTATUS st;

    if (!NT_SUCCESS(st = probe_user_optional(a[1])) || !NT_SUCCESS(st = reference(a[0], &event_object_type, &o)))
        return st;
    int32_t previous = op(o);
    object_deref(o);
    put_user_optional(a[1], (uint32_t)previous);
    return STATUS_SUCCESS;
}

static NTSTATUS svc_set_event(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return event_op(a, event_set);
}

static NTSTATUS svc_reset_event(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return event_op(a, event_reset);
}

static NTSTATUS svc_pulse_event(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return event_op(a, event_pulse);
}

/* NtCreateMutant(*handle, access, attributes, initial owner) */
static NTSTATUS svc_create_mutant(const uint32_t *a, struct trap_frame *tf)
{
    struct object *o;
    NTSTATUS st;

    (void)tf;
    if (!NT_SUCCESS(st = check_create_args(a[0], a[2])) || !NT_SUCCESS(st = mutant_create(a[3] != 0, &o)))
        return st;
    return publish(o, a[0]);
}

/* NtReleaseMutant(handle, *previous count) */
static NTSTATUS svc_release_mutant(const uint32_t *a, struct trap_frame *tf)
{
    struct object *o;
    int32_t previous = 0;
    NTSTATUS st;

    (void)tf;
    if (!NT_SUCCESS(st = probe_user_optional(a[1])) || !NT_SUCCESS(st = reference(a[0], &mutant_object_type, &o)))
        return st;
    st = mutant_release(o, &previous);
    object_deref(o);
    if (NT_SUCCESS(st))
        put_user_optional(a[1], (uint32_t)previous);
    return st;
}

/* NtCreateSemaphore(*handle, access, attributes, initial count, maximum) */
static NTSTATUS svc_create_semaphore(const uint32_t *a, struct trap_frame *tf)
{
    struct object *o;
    NTSTATUS st;

    (void)tf;
    if (!NT_SUCCESS(st = check_create_args(a[0], a[2])) ||
        !NT_SUCCESS(st = semaphore_create((int32_t)a[3], (int32_t)a[4], &o)))
        return st;
    return publish(o, a[0]);
}

/* NtReleaseSemaphore(handle, count, *previous count) */
static NTSTATUS svc_release_semaphore(const uint32_t *a, struct trap_frame *tf)
{
    struct object *o;
    int32_t previous = 0;
    NTSTATUS st;

    (void)tf;
    if (!NT_SUCCESS(st = probe_user_optional(a[2])) ||
        !NT_SUCCESS(st = reference(a[0], &semaphore_object_type, &o)))
        return st;
    st = semaphore_release(o, (int32_t)a[1], &previous);
    object_deref(o);
    if (NT_SUCCESS(st))
        put_user_optional(a[2], (uint32_t)previous);
    return st;
}

/* ---- threads ------------------------------------------------------------------- */

/* NtCreateThreadEx(*handle, access, attributes, process, start, argument,
 * flags, zero bits, stack commit, stack reserve, *client id).  The last
 * argument is NT's PS_ATTRIBUTE_LIST; here it is simply where the new
 * thread's CLIENT_ID goes (NULL: nowhere). */
static NTSTATUS svc_create_thread(const uint32_t *a, struct trap_frame *tf)
{
    struct thread *t;
    uint32_t h;
    NTSTATUS st;

    (void)tf;
    if (!current_process_handle(a[3]))
        return STATUS_INVALID_HANDLE;
    if (a[6] & ~CREATE_SUSPENDED_FLAG)
        return STATUS_INVALID_PARAMETER_7;
    if (a[7] != 0)
        return STATUS_INVALID_PARAMETER;        /* ZeroBits is not supported */
    if (!NT_SUCCESS(st = check_create_args(a[0], a[2])))
        return st;
    if (a[10] != 0 && (!NT_SUCCESS(st = probe_user_u32(a[10])) || !NT_SUCCESS(st = probe_user_u32(a[10] + 4))))
        return st;
    struct uthread_start s = {
        .start = a[4], .arg = a[5], .stack_commit = a[8], .stack_reserve = a[9],
        .suspended = (a[6] & CREATE_SUSPENDED_FLAG) != 0,
    };
    if (!NT_SUCCESS(st = uthread_create(process_current(), &s, &t)))
        return st;
    st = handle_insert(handles(), &t->obj, &h);
    if (!NT_SUCCESS(st)) {
        uthread_discard(t);             /* never ran: nothing of it is left */
        return st;
    }
    put_user_u32((void *)a[0], h);
    put_user_optional(a[10], t->pid);
    put_user_optional(a[10] == 0 ? 0 : a[10] + 4, t->id);
    uthread_start(t);
    object_deref(&t->obj);              /* the handle and the scheduler keep it */
    return STATUS_SUCCESS;
}

/* NtTerminateThread(handle, exit status) */
static NTSTATUS svc_terminate_thread(const uint32_t *a, struct trap_frame *tf)
{
    struct object *o;
    NTSTATUS st;

    (void)tf;
    if (!NT_SUCCESS(st = reference(a[0], &thread_object_type, &o)))
        return st;
    struct thread *t = (struct thread *)o;
    if (!t->user || t->process != process_current()) {
        object_deref(o);
        return STATUS_INVALID_HANDLE;
    }
    if (t == thread_current())
        object_deref(o);                /* it does not come back */
    st = uthread_terminate(t, (NTSTATUS)a[1]);
    object_deref(o);
    return st;
}

/* NtSuspendThread / NtResumeThread(handle, *previous suspend count) */
static NTSTATUS suspend_op(const uint32_t *a, NTSTATUS (*op)(struct thread *, uint32_t *))
{
    struct object *o;
    uint32_t previous = 0;
    NTSTATUS st;

    if (!NT_SUCCESS(st = probe_user_optional(a[1])) || !NT_SUCCESS(st = reference(a[0], &thread_object_type, &o)))
        return st;
    st = op((struct thread *)o, &previous);
    object_deref(o);
    if (NT_SUCCESS(st))
        put_user_optional(a[1], previous);
    return st;
}

static NTSTATUS svc_suspend_thread(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return suspend_op(a, uthread_suspend);
}

static NTSTATUS svc_resume_thread(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return suspend_op(a, uthread_resume);
}

/* NtQueryInformationThread(handle, class, buffer, length, *return length):
 * ThreadBasicInformation, ThreadAmILastThread (of the caller) and
 * ThreadCycleTime (TSC cycles run, as QueryThreadCycleTime reads). */
static NTSTATUS svc_query_thread(const uint32_t *a, struct trap_frame *tf)
{
    THREAD_BASIC_INFORMATION info;
    THREAD_CYCLE_TIME_INFORMATION cycles;
    uint32_t last;
    struct object *o;
    const void *out = &info;
    uint32_t size = sizeof(info);
    NTSTATUS st;

    (void)tf;
    if (a[1] == ThreadAmILastThread)
        size = sizeof(last);
    else if (a[1] == ThreadCycleTime)
        size = sizeof(cycles);
    else if (a[1] != ThreadBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (a[3] != size)
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!NT_SUCCESS(st = probe_user_optional(a[4])) || !NT_SUCCESS(st = reference(a[0], &thread_object_type, &o)))
        return st;
    struct thread *t = (struct thread *)o;
    if (!t->user || t->process != process_current()) {
        object_deref(o);
        return STATUS_INVALID_HANDLE;
    }
    if (a[1] == ThreadAmILastThread) {
        last = uthread_is_last(t);
        out = &last;
    } else if (a[1] == ThreadCycleTime) {
        cycles.AccumulatedCycles = thread_cycles(t);
        cycles.CurrentCycleCount = rdtsc();
        out = &cycles;
    } else {
        uthread_query(t, &info);
    }
    object_deref(o);
    if (!NT_SUCCESS(st = copy_to_user((void *)a[2], out, size)))
        return st;
    put_user_optional(a[4], size);
    return STATUS_SUCCESS;
}

/* ThreadAffinityMask: a mask within the process's (the online CPUs);
 * ThreadIdealProcessor: an online CPU, the status is the previous one
 * (MAXIMUM_PROCESSORS only asks), as NT's. */
static NTSTATUS uthread_set_processors(const uint32_t *a)
{
    struct object *o;
    uint32_t v;
    NTSTATUS st;

    if (a[3] != sizeof(uint32_t))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!NT_SUCCESS(st = get_user_u32((const void *)a[2], &v)))
        return st;
    if (!NT_SUCCESS(st = reference(a[0], &thread_object_type, &o)))
        return st;
    struct thread *t = (struct thread *)o;
    if (!t->user || t->process != process_current()) {
        st = STATUS_INVALID_HANDLE;
    } else if (a[1] == ThreadAffinityMask) {
        bool ok = v != 0 && (v & ~sched_cpus_mask()) == 0;
        st = ok && thread_set_affinity(t, v) != 0 ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
    } else if (v == 32) {               /* MAXIMUM_PROCESSORS */
        st = (NTSTATUS)t->ideal_cpu;
    } else {
        int old = thread_set_ideal_cpu(t, v);
        st = old < 0 ? STATUS_INVALID_PARAMETER : (NTSTATUS)old;
    }
    object_deref(o);
    return st;
}

/* NtSetInformationThread(handle, class, buffer, length): ThreadZeroTlsCell
 * (TlsFree: one TLS slot of every thread of the process becomes 0),
 * ThreadAffinityMask, ThreadIdealProcessor. */
static NTSTATUS svc_set_thread(const uint32_t *a, struct trap_frame *tf)
{
    struct object *o;
    uint32_t index;
    NTSTATUS st;

    (void)tf;
    if (a[1] == ThreadAffinityMask || a[1] == ThreadIdealProcessor)
        return uthread_set_processors(a);
    if (a[1] != ThreadZeroTlsCell)
        return STATUS_INVALID_INFO_CLASS;
    if (a[3] != sizeof(uint32_t))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!NT_SUCCESS(st = get_user_u32((const void *)a[2], &index)))
        return st;
    if (index >= TLS_MINIMUM_AVAILABLE)
        return STATUS_INVALID_PARAMETER;
    if (!NT_SUCCESS(st = reference(a[0], &thread_object_type, &o)))
        return st;
    object_deref(o);
    uthread_zero_tls(index);
    return STATUS_SUCCESS;
}

/* NtSetThreadStartRoutine(routine): where this process's new threads
 * begin (the SDK's RtlUserThreadStart; NT's kernel finds ntdll's). */
static NTSTATUS svc_set_thread_start(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    if (a[0] >= USER_END)
        return STATUS_INVALID_PARAMETER_1;
    process_set_thread_start(a[0]);
    return STATUS_SUCCESS;
}

/* NtGetTickCount(): the timer tick, 1 ms, as a ULONG (not a status). */
static NTSTATUS svc_tick_count(const uint32_t *a, struct trap_frame *tf)
{
    (void)a;
    (void)tf;
    return (NTSTATUS)(uint32_t)sched_now();
}

#define SVC(name) (SVC_##name & 0xFFFu)

const struct service object_services[] = {
    [SVC(NtClose)] = { svc_close, 1 },
    [SVC(NtDuplicateObject)] = { svc_duplicate, 7 },
    [SVC(NtWaitForSingleObject)] = { svc_wait_single, 3 },
    [SVC(NtWaitForMultipleObjects)] = { svc_wait_multiple, 5 },
    [SVC(NtDelayExecution)] = { svc_delay, 2 },
    [SVC(NtSwitchToThread)] = { svc_switch, 0 },
    [SVC(NtCreateEvent)] = { svc_create_event, 5 },
    [SVC(NtSetEvent)] = { svc_set_event, 2 },
    [SVC(NtResetEvent)] = { svc_reset_event, 2 },
    [SVC(NtPulseEvent)] = { svc_pulse_event, 2 },
    [SVC(NtCreateMutant)] = { svc_create_mutant, 4 },
    [SVC(NtReleaseMutant)] = { svc_release_mutant, 2 },
    [SVC(NtCreateSemaphore)] = { svc_create_semaphore, 5 },
    [SVC(NtReleaseSemaphore)] = { svc_release_semaphore, 3 },
    [SVC(NtCreateThreadEx)] = { svc_create_thread, 11 },
    [SVC(NtTerminateThread)] = { svc_terminate_thread, 2 },
    [SVC(NtSuspendThread)] = { svc_suspend_thread, 2 },
    [SVC(NtResumeThread)] = { svc_resume_thread, 2 },
    [SVC(NtQueryInformationThread)] = { svc_query_thread, 5 },
    [SVC(NtSetInformationThread)] = { svc_set_thread, 4 },
    [SVC(NtSetThreadStartRoutine)] = { svc_set_thread_start, 1 },
    [SVC(NtGetTickCount)] = { svc_tick_count, 0 },
    /* issue 15 (kernel/syscall_process.c) */
    [SVC(NtCreateUserProcess)] = { svc_create_user_process, 8 },
    [SVC(NtOpenProcess)] = { svc_open_process, 4 },
    [SVC(NtReadVirtualMemory)] = { svc_read_virtual_memory, 5 },
    [SVC(NtWriteVirtualMemory)] = { svc_write_virtual_memory, 5 },
    /* issue 17 */
    [SVC(NtFlushProcessWriteBuffers)] = { svc_flush_write_buffers, 0 },
};
const uint32_t object_service_count = sizeof(object_services) / sizeof(object_services[0]);
_Static_assert(sizeof(object_services) / sizeof(object_services[0]) == (SVC_TABLE2_END & 0xFFFu),
               "every table-2 service number has a service");
