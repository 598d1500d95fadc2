/* Issue 15: processes created by processes, process handles with access
 * rights, and the services that reach another process's memory
 * (NtReadVirtualMemory, NtWriteVirtualMemory; table 0's memory services
 * take any process handle through process_handle_space).
 *
 * As everywhere at the boundary: every pointer goes through the checked
 * user copies, every output is probed before anything changes, and a
 * failure changes nothing.  A process reaches another's memory only
 * through a handle that grants the access the call needs (the access
 * rights of Microsoft's "Process Security and Access Rights" page). */
#include "kernel/syscall_process.h"
#include "kernel/services.h"
#include "kernel/process.h"
#include "kernel/process_impl.h"
#include "kernel/process_memory.h"
#include "kernel/programs.h"
#include "kernel/object.h"
#include "kernel/thread.h"
#include "kernel/thread_impl.h"
#include "kernel/uthread.h"
#include "kernel/usercopy.h"
#include "mm/kheap.h"
#include "mm/vm.h"
#include "mm/mmu.h"
#include <ntstatus.h>
#include <ntsvc.h>
#include <winternl.h>
#include <string.h>

#define CURRENT_PROCESS 0xFFFFFFFFu     /* NtCurrentProcess() */
#define IMAGE_NAME_MAX 32               /* a module name, as kernel/programs.c keeps them */
#define COMMAND_LINE_MAX 32767          /* characters: CreateProcess's documented limit */
#define COPY_CHUNK 512                  /* bytes per step of a cross-process copy (on the kernel stack) */

/* What the generic rights mean for a process (GENERIC_MAPPING of NT's
 * process type, as winnt.h documents the rights). */
#define PROCESS_GENERIC_READ (STANDARD_RIGHTS_READ | PROCESS_VM_READ | PROCESS_QUERY_INFORMATION)
#define PROCESS_GENERIC_WRITE (STANDARD_RIGHTS_WRITE | PROCESS_CREATE_PROCESS | PROCESS_CREATE_THREAD | \
                               PROCESS_VM_OPERATION | PROCESS_VM_WRITE | PROCESS_DUP_HANDLE |          \
                               PROCESS_SET_INFORMATION | PROCESS_SET_QUOTA | PROCESS_SUSPEND_RESUME)
#define PROCESS_GENERIC_EXECUTE (STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION | \
                                 PROCESS_TERMINATE)

/* ---- handles ------------------------------------------------------------------- */

static struct handle_table *own_handles(void)
{
    return process_handles(process_current());
}

/* The process a handle names, referenced, if it grants `access`.  A
 * handle to something else is STATUS_INVALID_HANDLE, as the memory
 * services have always said. */
static NTSTATUS process_ref(uint32_t h, uint32_t access, struct process **out)
{
    struct object *o;

    if (h == CURRENT_PROCESS) {
        o = (struct object *)process_current();
        object_ref(o);
    } else {
        NTSTATUS st = handle_reference_access(own_handles(), h, &process_object_type, access, &o, NULL);
        if (st == STATUS_OBJECT_TYPE_MISMATCH)
            return STATUS_INVALID_HANDLE;
        if (!NT_SUCCESS(st))
            return st;
    }
    *out = (struct process *)o;
    return STATUS_SUCCESS;
}

NTSTATUS process_handle_space(uint32_t handle, uint32_t access, struct process **p, struct vm_space **as)
{
    if (handle == CURRENT_PROCESS) {
        /* The caller is a live thread of its own process: the process
         * ends only when its last thread has (uthread_exit), and its space
         * is torn down only after that (process_teardown), so neither
         * can go while this service runs.  No reference and no pin: they
         * cost two dispatcher-lock round trips on every VirtualAlloc. */
        *p = NULL;
        *as = thread_current()->process->as;        /* process_current(), in line */
        return STATUS_SUCCESS;
    }
    NTSTATUS st = process_ref(handle, access, p);
    if (!NT_SUCCESS(st))
        return st;
    *as = process_pin_space(*p);
    if (*as == NULL) {
        object_deref(&(*p)->obj);
        return STATUS_PROCESS_IS_TERMINATING;
    }
    return STATUS_SUCCESS;
}

void process_handle_space_done(struct process *p)
{
    if (p == NULL)
        return;                         /* the caller's own process: nothing was taken */
    process_unpin_space(p);
    object_deref(&p->obj);
}

/* DesiredAccess -> the rights a process handle grants: generic rights
 * mapped, MAXIMUM_ALLOWED is everything (no security descriptors here),
 * PROCESS_QUERY_INFORMATION brings PROCESS_QUERY_LIMITED_INFORMATION and
 * SET_INFORMATION brings SET_LIMITED_INFORMATION (as Windows grants them).
 * Anything else (ACCESS_SYSTEM_SECURITY, undefined bits) is refused. */
static NTSTATUS map_process_access(uint32_t desired, uint32_t *granted)
{
    uint32_t a = desired & ~(uint32_t)(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL |
                                       MAXIMUM_ALLOWED);
    if (desired & GENERIC_READ)
        a |= PROCESS_GENERIC_READ;
    if (desired & GENERIC_WRITE)
        a |= PROCESS_GENERIC_WRITE;
    if (desired & GENERIC_EXECUTE)
        a |= PROCESS_GENERIC_EXECUTE;
    if (desired & (GENERIC_ALL | MAXIMUM_ALLOWED))
        a |= PROCESS_ALL_ACCESS;
    if (a & ~(uint32_t)PROCESS_ALL_ACCESS)
        return STATUS_ACCESS_DENIED;
    if (a & PROCESS_QUERY_INFORMATION)
        a |= PROCESS_QUERY_LIMITED_INFORMATION;
    if (a & PROCESS_SET_INFORMATION)
        a |= PROCESS_SET_LIMITED_INFORMATION;
    *granted = a;
    return STATUS_SUCCESS;
}


/* ---- creating and opening -------------------------------------------------------- */

/* The image name (a[2], a[3] bytes) into name[IMAGE_NAME_MAX]. */
static NTSTATUS read_image_name(uint32_t user, uint32_t len, char *name)
{
    if (len == 0)
        return STATUS_OBJECT_NAME_INVALID;
    if (len >= IMAGE_NAME_MAX)
        return STATUS_OBJECT_NAME_NOT_FOUND;    /* no program of the image has so long a name */
    NTSTATUS st = copy_from_user(name, (const void *)user, len);
    name[len] = '\0';
    if (NT_SUCCESS(st) && strlen(name) != len)
        st = STATUS_OBJECT_NAME_INVALID;        /* an embedded NUL */
    return st;
}

/* NtCreateUserProcess(*process, *thread, name, name length, command line,
 * length, flags, *client id): see libc/include/ntdll.h. */
NTSTATUS svc_create_user_process(const uint32_t *a, struct trap_frame *tf)
{
    char name[IMAGE_NAME_MAX];
    uint32_t image, length, hp = 0, ht = 0;
    struct process *p;
    struct thread *t;
    NTSTATUS st;

    (void)tf;
    if (a[6] & ~(uint32_t)NT_CREATE_PROCESS_SUSPENDED)
        return STATUS_INVALID_PARAMETER_7;
    if (a[5] > COMMAND_LINE_MAX)
        return STATUS_NAME_TOO_LONG;
    if (!NT_SUCCESS(st = probe_user_u32(a[0])) || !NT_SUCCESS(st = probe_user_u32(a[1])) ||
        (a[7] != 0 && (!NT_SUCCESS(st = probe_user_u32(a[7])) || !NT_SUCCESS(st = probe_user_u32(a[7] + 4)))))
        return st;
    if (!NT_SUCCESS(st = read_image_name(a[2], a[3], name)))
        return st;
    if (!programs_find_image(name, &image, &length))
        return STATUS_OBJECT_NAME_NOT_FOUND;
    char *cmdline = kmalloc(a[5] + 1);
    if (cmdline == NULL)
        return STATUS_NO_MEMORY;
    st = copy_from_user(cmdline, (const void *)a[4], a[5]);
    if (NT_SUCCESS(st))
        st = process_spawn(name, image, length, cmdline, a[5], (a[6] & NT_CREATE_PROCESS_SUSPENDED) != 0,
                           &p, &t);
    kfree(cmdline);
    if (!NT_SUCCESS(st))
        return st;
    st = handle_insert_access(own_handles(), &p->obj, PROCESS_ALL_ACCESS, &hp);
    if (NT_SUCCESS(st))
        st = handle_insert_access(own_handles(), &t->obj, THREAD_ALL_ACCESS, &ht);
    if (!NT_SUCCESS(st)) {
        /* No handle for the caller: the child ends before it runs any of
         * its code, and the runner tears it down. */
        if (hp != 0)
            handle_close(own_handles(), hp);
        process_terminate(p, st);
    } else {
        put_user_u32((void *)a[0], hp);
        put_user_u32((void *)a[1], ht);
        put_user_optional(a[7], p->id);
        put_user_optional(a[7] == 0 ? 0 : a[7] + 4, t->id);
    }
    uthread_start(t);
    object_deref(&t->obj);              /* the handle and the scheduler keep it */
    object_deref(&p->obj);              /* the handle and the process list keep it */
    return st;
}

/* NtOpenProcess(*handle, access, attributes, *client id): the live process
 * whose id is ClientId->UniqueProcess.  STATUS_INVALID_CID when there is
 * none (OpenProcess: ERROR_INVALID_PARAMETER, also for id 0, as Windows). */
NTSTATUS svc_open_process(const uint32_t *a, struct trap_frame *tf)
{
    uint32_t access, pid, h;
    NTSTATUS st;

    (void)tf;
    if (a[2] != 0)
        return STATUS_INVALID_PARAMETER_3;      /* object attributes (names) are not supported */
    if (a[3] == 0)
        return STATUS_INVALID_PARAMETER_MIX;    /* neither a name nor a client id */
    if (!NT_SUCCESS(st = probe_user_u32(a[0])) || !NT_SUCCESS(st = get_user_u32((const void *)a[3], &pid)) ||
        !NT_SUCCESS(st = map_process_access(a[1], &access)))
        return st;
    struct process *p = pid != 0 ? process_lookup(pid) : NULL;
    if (p == NULL)
        return STATUS_INVALID_CID;
    st = handle_insert_access(own_handles(), &p->obj, access, &h);
    object_deref(&p->obj);
    if (NT_SUCCESS(st))
        put_user_u32((void *)a[0], h);
    return st;
}

NTSTATUS process_terminate_handle(uint32_t handle, NTSTATUS status)
{
    struct process *p;
    NTSTATUS st = process_ref(handle, PROCESS_TERMINATE, &p);

    if (!NT_SUCCESS(st))
        return st;
    if (p == process_current()) {
        object_deref(&p->obj);
        process_exit(status);
    }
    /* Windows: TerminateProcess of a process that is ending or has ended
     * fails with ERROR_ACCESS_DENIED (STATUS_PROCESS_IS_TERMINATING). */
    uint32_t flags = sched_lock();
    bool ending = p->terminating || p->obj.signal_state != 0;
    sched_unlock(flags);
    if (ending)
        st = STATUS_PROCESS_IS_TERMINATING;
    else
        process_terminate(p, status);   /* asynchronous, as TerminateProcess is */
    object_deref(&p->obj);
    return st;
}

/* ---- reading and writing another process's memory ---------------------------- */

/* Bytes from `at` to the end of its page. */
static uint32_t page_rest(uint32_t at)
{
    return PGSIZE - (at & (PGSIZE - 1));
}

/* Copies size bytes between the caller's buffer and base in the space
 * `other`, through a kernel buffer, in steps that never cross a page on
 * either side: a step that faults copied nothing, so *done is exact.
 * Loads `other` on this CPU only for its half of each step (system
 * services run with interrupts off, so no switch happens meanwhile; the
 * current space is per CPU). */
static NTSTATUS cross_copy(struct vm_space *other, uint32_t base, uint32_t buffer, uint32_t size,
                           bool to_other, uint32_t *done)
{
    char bounce[COPY_CHUNK];            /* per call: copies on other CPUs run at the same time */
    struct vm_space *own = vm_current();
    NTSTATUS st = STATUS_SUCCESS;

    *done = 0;
    while (*done < size && NT_SUCCESS(st)) {
        uint32_t o = base + *done, b = buffer + *done, n = size - *done;
        n = n < COPY_CHUNK ? n : COPY_CHUNK;
        n = n < page_rest(o) ? n : page_rest(o);
        n = n < page_rest(b) ? n : page_rest(b);
        if (to_other) {
            st = copy_from_user(bounce, (const void *)b, n);
            vm_switch(other);
            if (NT_SUCCESS(st))
                st = copy_to_user((void *)o, bounce, n);
        } else {
            vm_switch(other);
            st = copy_from_user(bounce, (const void *)o, n);
            vm_switch(own);
            if (NT_SUCCESS(st))
                st = copy_to_user((void *)b, bounce, n);
        }
        vm_switch(own);
        if (NT_SUCCESS(st))
            *done += n;
    }
    return st;
}

/* NtReadVirtualMemory / NtWriteVirtualMemory(process, base, buffer, size,
 * *bytes).  NT's order (ReactOS's NtReadVirtualMemory shows it): both
 * ranges must lie in user space (STATUS_ACCESS_VIOLATION), the count is
 * probed, a zero size copies nothing and succeeds without looking at the
 * handle, then the handle needs PROCESS_VM_READ (or _WRITE).  A page that
 * cannot be read or written on either side ends the copy with
 * STATUS_PARTIAL_COPY (ERROR_PARTIAL_COPY) and the bytes copied before it,
 * as MmCopyVirtualMemory reports it.  The target's protections hold: a
 * read-only page is not written (kernel32's WriteProcessMemory on Windows
 * first makes such a page writable; this SDK does not, see libc/user/process.c). */
static NTSTATUS rw_virtual(const uint32_t *a, bool write)
{
    struct process *p;
    struct vm_space *as;
    uint32_t done = 0;
    NTSTATUS st;

    if (!user_range_ok((const void *)a[1], a[3]) || !user_range_ok((const void *)a[2], a[3]))
        return STATUS_ACCESS_VIOLATION;
    if (!NT_SUCCESS(st = probe_user_optional(a[4])))
        return st;
    if (a[3] != 0) {
        st = process_handle_space(a[0], write ? PROCESS_VM_WRITE : PROCESS_VM_READ, &p, &as);
        if (NT_SUCCESS(st)) {
            if (!NT_SUCCESS(cross_copy(as, a[1], a[2], a[3], write, &done)))
                st = STATUS_PARTIAL_COPY;
            process_handle_space_done(p);
        }
    }
    put_user_optional(a[4], done);         /* 0 after a refused handle too, as NT writes it */
    return st;
}

NTSTATUS svc_read_virtual_memory(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return rw_virtual(a, false);
}

NTSTATUS svc_write_virtual_memory(const uint32_t *a, struct trap_frame *tf)
{
    (void)tf;
    return rw_virtual(a, true);
}

/* ---- NtQueryInformationProcess --------------------------------------------------- */

/* ProcessCommandLineInformation: a UNICODE_STRING whose Buffer points just
 * after it, in the caller's buffer, then the characters (this kernel keeps
 * the command line in 8-bit characters; each becomes one UTF-16 unit). */
static NTSTATUS query_command_line(struct process *p, uint32_t buffer, uint32_t length, uint32_t *size)
{
    uint16_t unit[64];
    uint32_t chars = p->cmdline_len;

    *size = 8 + chars * 2 + 2;
    if (length < *size)
        return STATUS_INFO_LENGTH_MISMATCH;
    uint32_t head[2] = { (chars * 2) | ((chars * 2 + 2) << 16), buffer + 8 };
    NTSTATUS st = copy_to_user((void *)buffer, head, sizeof(head));
    for (uint32_t at = 0; at <= chars && NT_SUCCESS(st); at += 64) {
        uint32_t n = chars + 1 - at < 64 ? chars + 1 - at : 64;
        for (uint32_t i = 0; i < n; i++)
            unit[i] = (uint8_t)p->cmdline[at + i];      /* cmdline[chars] is the NUL */
        st = copy_to_user((void *)(buffer + 8 + at * 2), unit, n * 2);
    }
    return st;
}

/* NtQueryInformationProcess(handle, class, buffer, length, *return length)
 * for ProcessBasicInformation, ProcessHandleCount, ProcessVmCounters and
 * ProcessCommandLineInformation, on any process handle that grants
 * PROCESS_QUERY_LIMITED_INFORMATION (PROCESS_QUERY_INFORMATION brings it);
 * ProcessVmCounters also needs PROCESS_VM_READ, as GetProcessMemoryInfo's
 * documentation says.  Table 0's service (kernel/syscall_info.c) answers
 * ProcessExecuteFlags and hands the rest here. */
NTSTATUS process_query_information(const uint32_t *a, struct trap_frame *tf)
{
    uint32_t info[12];
    VM_COUNTERS_EX vm;
    uint32_t size = 0, access = PROCESS_QUERY_LIMITED_INFORMATION;
    struct process *p;
    NTSTATUS st;

    (void)tf;
    if (a[1] == ProcessVmCounters)
        access |= PROCESS_VM_READ;
    else if (a[1] != ProcessBasicInformation && a[1] != ProcessHandleCount &&
             a[1] != ProcessCommandLineInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (!NT_SUCCESS(st = probe_user_optional(a[4])) || !NT_SUCCESS(st = process_ref(a[0], access, &p)))
        return st;
    uint32_t flags = sched_lock();
    bool ended = p->obj.signal_state != 0;
    uint32_t handles = p->handles != NULL ? handle_count(p->handles) : 0;
    sched_unlock(flags);
    if (a[1] == ProcessBasicInformation) {
        /* ExitStatus, PebBaseAddress, AffinityMask, BasePriority,
         * UniqueProcessId, InheritedFromUniqueProcessId */
        uint32_t basic[6] = { ended ? (uint32_t)p->exit_status : (uint32_t)STATUS_PENDING, 0, sched_cpus_mask(), 8, p->id,
                              p->parent_id };
        memcpy(info, basic, sizeof(basic));
        size = sizeof(basic);
    } else if (a[1] == ProcessHandleCount) {
        info[0] = handles;
        size = sizeof(uint32_t);
    } else if (a[1] == ProcessVmCounters) {
        process_memory_counters(p, &vm);
        memcpy(info, &vm, sizeof(vm));
        size = a[3] == VM_COUNTERS_SIZE ? VM_COUNTERS_SIZE : sizeof(vm);
    }
    if (a[1] == ProcessCommandLineInformation) {
        st = query_command_line(p, a[2], a[3], &size);
        if (st == STATUS_INFO_LENGTH_MISMATCH)
            put_user_optional(a[4], size);
    } else if (a[3] != size) {
        st = STATUS_INFO_LENGTH_MISMATCH;
    } else {
        st = copy_to_user((void *)a[2], info, size);
    }
    object_deref(&p->obj);
    if (NT_SUCCESS(st))
        put_user_optional(a[4], size);
    return st;
}
