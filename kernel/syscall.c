/* The system-service dispatcher behind `int 0x2E` (ABI: libc/include/ntsvc.h).
 *
 * Every pointer from user mode goes through copy_from_user/copy_to_user.
 * Output parameters are probed (written back with their current value)
 * before anything changes, so a read-only or bad output pointer fails the
 * call with STATUS_ACCESS_VIOLATION and no state changed. */
#include "kernel/syscall.h"
#include "kernel/syscall_info.h"
#include "kernel/syscall_ws.h"
#include "kernel/syscall_process.h"
#include "kernel/services.h"
#include "kernel/arch/entry.h"
#include "kernel/process.h"
#include "kernel/context.h"
#include "kernel/object.h"
#include "kernel/thread.h"
#include "kernel/thread_impl.h"
#include "kernel/process_impl.h"
#include "kernel/uthread.h"
#include "kernel/arch/trap.h"
#include "kernel/usercopy.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/serial.h"
#include "kernel/arch/gdt.h"
#include "mm/pagefile.h"
#include "mm/vm.h"
#include "mm/pmm.h"
#include "mm/paging.h"
#include "mm/memlayout.h"
#include <ntsvc.h>
#include <ntstatus.h>
#include <string.h>

#define TABLE_OBJECTS 0x2000u            /* table 2: NT chooses the table by bits 12-13 */
#define DEBUG_PRINT_MAX 65536
/* A service that loaded the whole trap frame itself (NtContinue, a raised
 * exception): EAX must not be overwritten with a status. */
#define STATUS_FRAME_SET ((NTSTATUS)0x7FFFFFFF)
/* The registers of a CONTEXT: SegGs up to SegSs, the end of CONTEXT_FULL. */
#define CONTEXT_REGS_FROM __builtin_offsetof(CONTEXT, SegGs)
_Static_assert(__builtin_offsetof(CONTEXT, SegSs) + 4 == CONTEXT_REGISTERS_SIZE,
               "SegSs is the last register before ExtendedRegisters");

static uint32_t service_calls;

/* NtCurrentProcess(), or a handle to the current process (DuplicateHandle
 * of the pseudo handle makes one). */
static bool is_current_process(uint32_t handle)
{
    struct object *o;
    struct process *p;

    if (handle == (uint32_t)NT_CURRENT_PROCESS)
        return true;
    p = process_current();
    if (!NT_SUCCESS(handle_reference(process_handles(p), handle, &process_object_type, &o)))
        return false;
    bool same = o == (struct object *)p;
    object_deref(o);
    return same;
}

/* Reads *user_ptr and proves it writable by writing the value back. */
static inline __attribute__((always_inline)) NTSTATUS probe_u32(uint32_t user_ptr, uint32_t *out)
{
    NTSTATUS st = get_user_u32((const void *)user_ptr, out);
    return NT_SUCCESS(st) ? put_user_u32((void *)user_ptr, *out) : st;
}

static NTSTATUS write_u32(uint32_t user_ptr, uint32_t value)
{
    return put_user_u32((void *)user_ptr, value);
}

/* Issue 15: the memory services work on any process a handle names with
 * the access the call needs (VirtualAllocEx & co.: PROCESS_VM_OPERATION;
 * VirtualQueryEx: PROCESS_QUERY_INFORMATION).  The handle is checked
 * first, as it always was; fn runs with the process's address space,
 * pinned. */
static NTSTATUS on_process(const uint32_t *a, uint32_t access,
                           NTSTATUS (*fn)(const uint32_t *a, struct vm_space *as))
{
    struct process *p;
    struct vm_space *as;
    /* The caller's own process: nothing to reference or pin (the reason
     * is at process_handle_space), and no call to find that out. */
    if (a[0] == (uint32_t)NT_CURRENT_PROCESS)
        return fn(a, thread_current()->process->as);
    NTSTATUS st = process_handle_space(a[0], access, &p, &as);
    if (!NT_SUCCESS(st))
        return st;
    st = fn(a, as);
    process_handle_space_done(p);
    return st;
}

/* NtAllocateVirtualMemory(process, *base, zero_bits, *size, type, protect) */
static NTSTATUS allocate_in(const uint32_t *a, struct vm_space *as)
{
    uint32_t base, size;
    NTSTATUS st;

    if (a[2] != 0)
        return STATUS_INVALID_PARAMETER_3;      /* ZeroBits is not supported */
    if (!NT_SUCCESS(st = probe_u32(a[1], &base)) || !NT_SUCCESS(st = probe_u32(a[3], &size)))
        return st;
    st = vm_allocate(as, &base, &size, a[4], a[5]);
    if (NT_SUCCESS(st)) {
        write_u32(a[1], base);
        write_u32(a[3], size);
    }
    return st;
}

/* NtFreeVirtualMemory(process, *base, *size, type) */
static NTSTATUS free_in(const uint32_t *a, struct vm_space *as)
{
    uint32_t base, size;
    NTSTATUS st;

    if (!NT_SUCCESS(st = probe_u32(a[1], &base)) || !NT_SUCCESS(st = probe_u32(a[2], &size)))
        return st;
    st = vm_free(as, &base, &size, a[3]);
    if (NT_SUCCESS(st)) {
        write_u32(a[1], base);
        write_u32(a[2], size);
    }
    return st;
}

/* NtProtectVirtualMemory(process, *base, *size, new, *old) */
static NTSTATUS protect_in(const uint32_t *a, struct vm_space *as)
{
    uint32_t base, size, old;
    NTSTATUS st;

    if (!NT_SUCCESS(st = probe_u32(a[1], &base)) || !NT_SUCCESS(st = probe_u32(a[2], &size)) ||
        !NT_SUCCESS(st = probe_u32(a[4], &old)))
        return st;
    st = vm_protect(as, &base, &size, a[3], &old);
    if (NT_SUCCESS(st)) {
        write_u32(a[1], base);
        write_u32(a[2], size);
        write_u32(a[4], old);
    }
    return st;
}

/* NtQueryVirtualMemory(process, address, class, buffer, length, *result_length) */
static NTSTATUS query_in(const uint32_t *a, struct vm_space *as)
{
    MEMORY_BASIC_INFORMATION info;
    uint32_t result;
    NTSTATUS st;

    if (a[2] != MemoryBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (a[4] < sizeof(info))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (a[5] != 0 && !NT_SUCCESS(st = probe_u32(a[5], &result)))
        return st;
    st = vm_query(as, a[1], &info);
    if (!NT_SUCCESS(st))
        return st;
    if (!NT_SUCCESS(st = copy_to_user((void *)a[3], &info, sizeof(info))))
        return st;
    if (a[5] != 0)
        write_u32(a[5], sizeof(info));
    return STATUS_SUCCESS;
}

static NTSTATUS svc_allocate(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return on_process(a, PROCESS_VM_OPERATION, allocate_in);
}

static NTSTATUS svc_free(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return on_process(a, PROCESS_VM_OPERATION, free_in);
}

static NTSTATUS svc_protect(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return on_process(a, PROCESS_VM_OPERATION, protect_in);
}

static NTSTATUS svc_query(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return on_process(a, PROCESS_QUERY_INFORMATION, query_in);
}

/* NtTerminateProcess(process, status) */
static NTSTATUS svc_terminate(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    if (a[0] != (uint32_t)NT_CURRENT_PROCESS)
        return process_terminate_handle(a[0], (NTSTATUS)a[1]);     /* issue 15 */
    process_exit((NTSTATUS)a[1]);
}

/* Reads the register part of a user CONTEXT, after checking that the
 * whole structure is readable (it spans at most two pages: its first
 * bytes and its last word cover both). */
static NTSTATUS read_context(uint32_t user_ctx, CONTEXT *ctx)
{
    uint32_t last;
    NTSTATUS st = get_user_u32((const void *)(user_ctx + sizeof(CONTEXT) - 4), &last);

    return NT_SUCCESS(st) ? copy_from_user(ctx, (const void *)user_ctx, CONTEXT_REGISTERS_SIZE) : st;
}

/* NtContinue(context, test_alert): the registers go straight into the
 * trap frame.  The structure must be readable (its first and last words
 * cover the at most two pages it spans, as in read_context), but only
 * SegGs..SegSs are copied: the debug and FPU areas are not restored.  A
 * context that context_restore refuses changes nothing. */
static NTSTATUS svc_continue(const uint32_t *a, struct trap_frame *tf)
{
    CONTEXT ctx;
    uint32_t last;
    NTSTATUS st = get_user_u32((const void *)(a[0] + sizeof(CONTEXT) - 4), &last);

    if (NT_SUCCESS(st))
        st = get_user_u32((const void *)a[0], (uint32_t *)&ctx.ContextFlags);
    if (NT_SUCCESS(st))
        st = copy_from_user(&ctx.SegGs, (const void *)(a[0] + CONTEXT_REGS_FROM),
                            CONTEXT_REGISTERS_SIZE - CONTEXT_REGS_FROM);
    if (NT_SUCCESS(st))
        st = context_restore(&ctx, tf);
    return NT_SUCCESS(st) ? STATUS_FRAME_SET : st;
}

/* NtDebugPrint(text, length): the program's stdout, on the serial console. */
static NTSTATUS svc_debug_print(const uint32_t *a, struct trap_frame *tf)
{
    char chunk[256];
    uint32_t at = a[0], left = a[1];

    (void)tf;
    if (left > DEBUG_PRINT_MAX)
        return STATUS_INVALID_PARAMETER_2;
    if (!user_range_ok((const void *)at, left))
        return STATUS_ACCESS_VIOLATION;
    while (left > 0) {
        uint32_t n = left < sizeof(chunk) ? left : sizeof(chunk);
        NTSTATUS st = copy_from_user(chunk, (const void *)at, n);
        if (!NT_SUCCESS(st))
            return st;
        for (uint32_t i = 0; i < n; i++)
            serial_putc(chunk[i]);
        at += n;
        left -= n;
    }
    return STATUS_SUCCESS;
}

/* NtYieldExecution: the other ready threads run first.  It stays this
 * ABI's null service and returns STATUS_SUCCESS whether or not another
 * thread ran (NT returns STATUS_NO_YIELD_PERFORMED when none was ready;
 * NtSwitchToThread in table 2 reports that difference). */
static NTSTATUS svc_yield(const uint32_t *a, struct trap_frame *tf)
{
    (void)a;
    (void)tf;
    if (thread_others_ready())
        thread_yield();
    return STATUS_SUCCESS;
}

static NTSTATUS svc_set_dispatcher(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    if (a[0] == 0 || a[0] >= USER_END)
        return STATUS_INVALID_PARAMETER_1;
    process_set_dispatcher(a[0]);
    return STATUS_SUCCESS;
}

/* NtRaiseException(record, context, first_chance): a software exception,
 * delivered like a fault with the caller's record and context. */
static NTSTATUS svc_raise(const uint32_t *a, struct trap_frame *tf)
{
    EXCEPTION_RECORD rec;
    CONTEXT ctx;
    NTSTATUS st;

    if (!NT_SUCCESS(st = copy_from_user(&rec, (const void *)a[0], sizeof(rec))) ||
        !NT_SUCCESS(st = read_context(a[1], &ctx)))
        return st;
    if (rec.NumberParameters > EXCEPTION_MAXIMUM_PARAMETERS)
        return STATUS_INVALID_PARAMETER;
    rec.ExceptionRecord = NULL;
    process_raise(tf, &rec, &ctx);
    return STATUS_FRAME_SET;
}

static NTSTATUS svc_counters(const uint32_t *a, struct trap_frame *tf)
{
    SYSTEM_MEMORY_COUNTERS c;
    struct vm_stats vs;
    struct paging_stats ps;
    struct pmm_stats fs;
    struct pagefile_stats pf;

    (void)tf;
    if (a[1] != sizeof(c))
        return STATUS_INFO_LENGTH_MISMATCH;
    vm_get_stats(&vs);
    paging_get_stats(&ps);
    pmm_get_stats(&fs);
    pagefile_get_stats(&pf);
    c = (SYSTEM_MEMORY_COUNTERS){
        .FreeFrames = pmm_free_count() + pfn_list_frames(),
        .CommitCharge = vs.commit_charge,
        .CommitPeak = vs.commit_peak,
        .CommitLimit = vs.commit_limit,
        .PageTablePages = ps.page_tables,
        .Allocations = vm_space_allocations(vm_current()),
        .PhysicalPages = fs.total,
        .TotalFramesAbove4G = fs.total_high,
        .FreeFramesAbove4G = fs.free_high,
        .PageFilePages = pf.slots,
        .PageFileInUse = pf.in_use,
        .CommitLimitPageFile = vs.commit_limit_pagefile,
    };
    return copy_to_user((void *)a[0], &c, sizeof(c));
}

/* NtGetWriteWatch(process, flags, base, size, *addresses, *count, *granularity).
 * Every output is probed before anything is read or reset, as
 * ProbeForWrite does in NT: a bad pointer changes nothing. */
#define WATCH_CHUNK 64

static NTSTATUS probe_array(uint32_t user, uint32_t entries)
{
    uint32_t bytes = entries * 4, word;
    NTSTATUS st;

    if (entries > (USER_END >> 2) || !user_range_ok((const void *)user, bytes))
        return STATUS_ACCESS_VIOLATION;
    /* One word of each page the array touches, read and written back. */
    for (uint32_t p = user; p < user + bytes; p = (p | (PGSIZE - 1)) + 1)
        if (!NT_SUCCESS(st = probe_u32(p & ~3u, &word)))
            return st;
    return entries ? probe_u32((user + bytes - 4) & ~3u, &word) : STATUS_SUCCESS;
}

static NTSTATUS svc_get_write_watch(const uint32_t *a, struct trap_frame *tf)
{
    uint32_t max, granularity, pages[WATCH_CHUNK], cursor = 0, total = 0, found;
    NTSTATUS st;

    (void)tf;
    if (!is_current_process(a[0]))
        return STATUS_INVALID_HANDLE;
    if (!NT_SUCCESS(st = probe_u32(a[5], &max)) || !NT_SUCCESS(st = probe_u32(a[6], &granularity)) ||
        !NT_SUCCESS(st = probe_array(a[4], max)))
        return st;
    do {
        uint32_t want = max - total < WATCH_CHUNK ? max - total : WATCH_CHUNK;
        st = vm_get_write_watch(vm_current(), a[1], a[2], a[3], &cursor, pages, want, &found);
        if (!NT_SUCCESS(st))
            return st;
        if (found > 0 && !NT_SUCCESS(st = copy_to_user((uint32_t *)a[4] + total, pages, found * 4)))
            return st;
        total += found;
        if (found < want)
            break;                          /* the scan reached the end */
    } while (total < max);
    write_u32(a[5], total);
    write_u32(a[6], PGSIZE);
    return STATUS_SUCCESS;
}

/* NtResetWriteWatch(process, base, size) */
static NTSTATUS svc_reset_write_watch(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    if (!is_current_process(a[0]))
        return STATUS_INVALID_HANDLE;
    return vm_reset_write_watch(vm_current(), a[1], a[2]);
}

static const struct service services[SVC_COUNT] = {
    [SVC_NtAllocateVirtualMemory] = { svc_allocate, 6 },
    [SVC_NtFreeVirtualMemory] = { svc_free, 4 },
    [SVC_NtProtectVirtualMemory] = { svc_protect, 5 },
    [SVC_NtQueryVirtualMemory] = { svc_query, 6 },
    [SVC_NtTerminateProcess] = { svc_terminate, 2 },
    [SVC_NtContinue] = { svc_continue, 2 },
    [SVC_NtDebugPrint] = { svc_debug_print, 2 },
    [SVC_NtYieldExecution] = { svc_yield, 0 },
    [SVC_NtSetExceptionDispatcher] = { svc_set_dispatcher, 1 },
    [SVC_NtRaiseException] = { svc_raise, 3 },
    [SVC_NtQuerySystemCounters] = { svc_counters, 2 },
    [SVC_NtGetWriteWatch] = { svc_get_write_watch, 7 },
    [SVC_NtResetWriteWatch] = { svc_reset_write_watch, 3 },
    [SVC_NtQueryInformationProcess] = { svc_query_information_process, 5 },
    [SVC_NtSetInformationProcess] = { svc_set_information_process, 4 },
    [SVC_NtQuerySystemInformation] = { svc_query_system_information, 4 },
    [SVC_NtLockVirtualMemory] = { svc_lock_virtual_memory, 4 },
    [SVC_NtUnlockVirtualMemory] = { svc_unlock_virtual_memory, 4 },
};

/* The service behind a number, or NULL. */
static const struct service *service_of(uint32_t n)
{
    if (n < SVC_COUNT)
        return services[n].fn != NULL ? &services[n] : NULL;
    if ((n & ~0xFFFu) == TABLE_OBJECTS && (n & 0xFFFu) < object_service_count)
        return &object_services[n & 0xFFFu];
    return NULL;
}

/* Called from kernel/arch/isr.asm for `int 0x2E` (kernel/arch/entry.h).
 * Threads that ended are reaped first (so a counter a program reads
 * right after a wait is exact), and the service's return to ring 3 is
 * where a suspend or terminate request takes effect. */
void syscall_dispatch(struct trap_frame *tf)
{
    uint32_t args[SERVICE_ARGS_MAX];
    const struct service *s = service_of(tf->eax);
    NTSTATUS st;

    service_calls++;
    thread_reap();
    if (s == NULL || (tf->cs & 3) != 3) {
        st = STATUS_INVALID_SYSTEM_SERVICE;     /* the kernel never calls itself this way */
    } else {
        st = s->argc == 0 ? STATUS_SUCCESS
                          : copy_from_user(args, (const void *)tf->edx, s->argc * sizeof(uint32_t));
        if (NT_SUCCESS(st))
            st = s->fn(args, tf);
        else
            st = STATUS_ACCESS_VIOLATION;
    }
    if (st != STATUS_FRAME_SET)
        tf->eax = (uint32_t)st;
    /* A suspend or terminate request waits at the return to ring 3: one
     * test of the thread's flag here, the call only when it is set. */
    if (__builtin_expect(thread_current()->attention, 0))
        uthread_user_return();
}

uint32_t syscall_count(void)
{
    return service_calls;
}

void syscall_init(void)
{
    trap_set_gate_dpl3(T_SYSCALL);     /* entry: syscall_common in kernel/isr.asm */
    trap_set_gate_dpl3(T_BP);       /* int3 in ring 3 is a breakpoint, not #GP */
}
