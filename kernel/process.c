/* Processes: an address space (private user half, shared kernel half), a
 * handle table, and threads (kernel/uthread.c), and the delivery of a
 * thread's exceptions to the program's dispatcher on that thread's own
 * stack.
 *
 * process_run_image creates the process and its main thread, then the
 * calling kernel thread (the boot thread) waits on the process object,
 * which is signalled when its last thread has ended; it then tears the
 * process down: the dead threads' kernel stacks, every handle still open
 * (and with them the objects), the address space. */
#include "kernel/process.h"
#include "kernel/process_impl.h"
#include "kernel/uthread.h"
#include "kernel/thread.h"
#include "kernel/thread_impl.h"
#include "kernel/object.h"
#include "kernel/wait.h"
#include "kernel/sync.h"
#include "kernel/elf.h"
#include "kernel/arch/gdt.h"
#include "kernel/arch/trap.h"
#include "kernel/usercopy.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/panic.h"
#include "kernel/base/x86.h"
#include "mm/vm.h"
#include "mm/kheap.h"
#include "mm/mmu.h"
#include "mm/memlayout.h"
#include <ntstatus.h>
#include <string.h>

#define EFLAGS_USER_MASK 0x00000DD5u    /* CF PF AF ZF SF TF DF OF */
#define EFLAGS_TF 0x00000100u
#define EFLAGS_RESERVED1 0x00000002u

static void process_destroy(struct object *o);
const struct object_type process_object_type = { "Process", process_destroy };

static struct process *processes;       /* [D] live processes, newest first */
static void process_ended_locked(struct process *p);

struct process *process_current(void)
{
    return uthread_process();
}

void process_set_dispatcher(uint32_t dispatcher)
{
    process_current()->dispatcher = dispatcher;
}

void process_set_thread_start(uint32_t routine)
{
    process_current()->start_routine = routine;
}

uint32_t process_id(const struct process *p)
{
    return p->id;
}

const char *process_name(const struct process *p)
{
    return p->name;
}

struct handle_table *process_handles(struct process *p)
{
    return p->handles;
}

/* ---- contexts and exception delivery ---------------------------------------- */

void context_from_frame(const struct trap_frame *tf, CONTEXT *ctx)
{
    memset(ctx, 0, CONTEXT_REGISTERS_SIZE);
    ctx->ContextFlags = CONTEXT_FULL;
    ctx->SegGs = tf->gs;
    ctx->SegFs = tf->fs;
    ctx->SegEs = tf->es;
    ctx->SegDs = tf->ds;
    ctx->Edi = tf->edi;
    ctx->Esi = tf->esi;
    ctx->Ebx = tf->ebx;
    ctx->Edx = tf->edx;
    ctx->Ecx = tf->ecx;
    ctx->Eax = tf->eax;
    ctx->Ebp = tf->ebp;
    ctx->Eip = tf->eip;
    ctx->SegCs = tf->cs;
    ctx->EFlags = tf->eflags;
    ctx->Esp = tf->user_esp;
    ctx->SegSs = tf->user_ss;
}

void context_to_frame(const CONTEXT *ctx, struct trap_frame *tf)
{
    tf->edi = ctx->Edi;
    tf->esi = ctx->Esi;
    tf->ebx = ctx->Ebx;
    tf->edx = ctx->Edx;
    tf->ecx = ctx->Ecx;
    tf->eax = ctx->Eax;
    tf->ebp = ctx->Ebp;
    tf->eip = ctx->Eip;
    tf->user_esp = ctx->Esp;
    /* Only the arithmetic flags, TF and DF come from the program; IF stays
     * set and IOPL 0, and the selectors are always the ring-3 ones: fs is
     * the TEB's, as NT's KeContextToKframes forces it for user mode. */
    tf->eflags = (ctx->EFlags & EFLAGS_USER_MASK) | EFLAGS_IF | EFLAGS_RESERVED1;
    tf->cs = SEL_UCODE;
    tf->user_ss = SEL_UDATA;
    tf->ds = tf->es = SEL_UDATA;
    tf->fs = SEL_TEB;
    tf->gs = 0;
}

/* Reserves size bytes below *sp (aligned) and copies the first `copy` of
 * them from data. */
static NTSTATUS push_user(uint32_t *sp, const void *data, uint32_t size, uint32_t copy,
                          uint32_t align)
{
    uint32_t at = (*sp - size) & ~(align - 1);
    NTSTATUS st = copy_to_user((void *)at, data, copy);     /* grows the stack as needed */

    if (NT_SUCCESS(st))
        *sp = at;
    return st;
}

/* The record and context go on the stack of the thread that raised the
 * exception, below its ESP: each thread dispatches its own exceptions. */
void process_raise(struct trap_frame *tf, const EXCEPTION_RECORD *rec, const CONTEXT *ctx)
{
    struct process *p = process_current();
    uint32_t sp = ctx->Esp;
    uint32_t ctx_at, rec_at;

    if (p->dispatcher == 0)
        process_exit((NTSTATUS)rec->ExceptionCode);
    /* The whole CONTEXT's room, but only its registers are written: the
     * ExtendedRegisters area is not part of CONTEXT_FULL (and copying it
     * would cost 128 more dwords each way). */
    if (!NT_SUCCESS(push_user(&sp, ctx, sizeof(*ctx), CONTEXT_REGISTERS_SIZE, 16)) ||
        !NT_SUCCESS(put_user_u32((void *)(sp + sizeof(*ctx) - 4), 0)))
        process_exit((NTSTATUS)rec->ExceptionCode);
    ctx_at = sp;
    if (!NT_SUCCESS(push_user(&sp, rec, sizeof(*rec), sizeof(*rec), 16)))
        process_exit((NTSTATUS)rec->ExceptionCode);
    rec_at = sp;
    uint32_t frame[3] = { 0, rec_at, ctx_at };
    if (!NT_SUCCESS(push_user(&sp, frame, sizeof(frame), sizeof(frame), 4)))
        process_exit((NTSTATUS)rec->ExceptionCode);
    CONTEXT entry = *ctx;
    entry.Eip = p->dispatcher;
    entry.Esp = sp;
    context_to_frame(&entry, tf);
}

/* Fills the record for a CPU exception in ring 3 (NT's conventions:
 * #GP is an access violation at address 0xFFFFFFFF, #BP points at the
 * int3 itself). */
static void record_for_trap(struct trap_frame *tf, EXCEPTION_RECORD *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->ExceptionAddress = (PVOID)tf->eip;
    switch (tf->vector) {
    case T_PF: {
        const struct vm_exception *x = vm_last_exception();
        rec->ExceptionCode = (DWORD)x->code;
        rec->NumberParameters = 2;
        rec->ExceptionInformation[0] = x->access;
        rec->ExceptionInformation[1] = x->address;
        break;
    }
    case T_DE: rec->ExceptionCode = (DWORD)STATUS_INTEGER_DIVIDE_BY_ZERO; break;
    case T_DB:
        /* A single-step trap (the program set TF): one step per exception,
         * so TF is cleared in the CONTEXT the handler sees. */
        rec->ExceptionCode = (DWORD)STATUS_SINGLE_STEP;
        tf->eflags &= ~EFLAGS_TF;
        break;
    case T_UD: rec->ExceptionCode = (DWORD)STATUS_ILLEGAL_INSTRUCTION; break;
    case T_BP:
        rec->ExceptionCode = (DWORD)STATUS_BREAKPOINT;
        tf->eip--;
        rec->ExceptionAddress = (PVOID)tf->eip;
        break;
    default:
        rec->ExceptionCode = (DWORD)STATUS_ACCESS_VIOLATION;
        rec->NumberParameters = 2;
        rec->ExceptionInformation[0] = EXCEPTION_READ_FAULT;
        rec->ExceptionInformation[1] = 0xFFFFFFFFu;
        break;
    }
}

/* trap.c calls this for every ring-3 exception nobody resolved.  A guard
 * page of the thread's own stack moves down (spec item 61); the last one
 * is a stack overflow. */
static void user_exception(struct trap_frame *tf)
{
    EXCEPTION_RECORD rec;
    CONTEXT ctx;

    ASSERTF(process_current() != NULL, "ring-3 trap %u on a kernel thread", tf->vector);
    record_for_trap(tf, &rec);
    if (rec.ExceptionCode == (DWORD)STATUS_GUARD_PAGE_VIOLATION &&
        uthread_stack_grow(rec.ExceptionInformation[1]))
        return;                                     /* the stack grew: retry */
    if (rec.ExceptionCode == (DWORD)STATUS_GUARD_PAGE_VIOLATION &&
        uthread_in_stack(rec.ExceptionInformation[1]))
        rec.ExceptionCode = (DWORD)STATUS_STACK_OVERFLOW;
    context_from_frame(tf, &ctx);
    process_raise(tf, &rec, &ctx);
}

bool process_stack_guard_hit(uint32_t addr)
{
    /* Only in the caller's own space: a cross-process copy (issue 15) has
     * another space loaded, and a guard page there is not this stack's. */
    struct process *p = process_current();
    return p != NULL && vm_current() == p->as && uthread_stack_grow(addr);
}

void process_init(void)
{
    trap_set_user_exception_handler(user_exception);
    usercopy_set_stack_guard_hook(process_stack_guard_hit);
    uthread_init();
    uthread_set_process_end_hook(process_ended_locked);
}

/* ---- life cycle ------------------------------------------------------------- */

void process_exit(NTSTATUS status)
{
    struct process *p = process_current();
    ASSERT(p != NULL);
    uthread_terminate_process(p, status);
    uthread_exit(status);
}

static void process_destroy(struct object *o)
{
    struct process *p = (struct process *)o;
    if (p->as != NULL)
        vm_space_destroy(p->as);        /* the console held it past the teardown */
    p->as = NULL;
    ASSERTF(p->threads == NULL && p->thread_count == 0, "process %u destroyed with %u threads", p->id,
            p->thread_count);
    ASSERTF(p->handles == NULL, "process %u destroyed before its teardown", p->id);
    kfree(p->cmdline);
    if (p->run_event != NULL)
        object_deref(p->run_event);
    kfree(p);
}

static void list_unlink(struct process *p)
{
    uint32_t flags = sched_lock();
    for (struct process **at = &processes; *at != NULL; at = &(*at)->list_next) {
        if (*at == p) {
            *at = p->list_next;
            break;
        }
    }
    sched_unlock(flags);
}

/* After the last thread ended (or none ever started): every handle
 * closed, the address space destroyed, the creator's reference dropped. */
static void process_teardown(struct process *p)
{
    list_unlink(p);
    thread_reap();                      /* the threads' kernel stacks */
    if (vm_current() == p->as)
        vm_switch(vm_kernel_space());
    if (p->handles != NULL)
        handle_table_destroy(p->handles);
    p->handles = NULL;
    thread_reap();                      /* threads whose last reference was a handle */
    uint32_t flags = sched_lock();
    struct vm_space *as = p->space_users == 0 ? p->as : NULL;
    if (as != NULL)
        p->as = NULL;
    sched_unlock(flags);
    if (as != NULL)
        vm_space_destroy(as);           /* else the last pin's holder's deref does it */
    object_deref(&p->obj);
}

static void copy_name(char *dst, const char *src, size_t cap)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The process with its image loaded and the TEB area reserved; the
 * address space is left loaded. */
static NTSTATUS process_create(const char *name, uint32_t image, uint32_t length, struct process **out,
                               uint32_t *entry)
{
    struct process *p = kzalloc(sizeof(*p));
    if (p == NULL)
        return STATUS_NO_MEMORY;
    object_init(&p->obj, &process_object_type, OBJ_PROCESS, 0);
    p->id = thread_new_id();
    p->exit_status = STATUS_PENDING;
    copy_name(p->name, name, sizeof(p->name));
    p->as = vm_space_create();
    p->handles = handle_table_create();
    *out = p;
    if (p->as == NULL || p->handles == NULL)
        return STATUS_NO_MEMORY;
    NTSTATUS st = elf_load(p->as, image, length, entry);
    if (!NT_SUCCESS(st))
        return st;
    uint32_t base = PROCESS_TEB_AREA_BASE, size = PROCESS_TEB_AREA_SIZE;
    st = vm_allocate(p->as, &base, &size, MEM_RESERVE, PAGE_READWRITE);
    if (!NT_SUCCESS(st))
        return st;
    vm_switch(p->as);
    uint32_t flags = sched_lock();
    p->list_next = processes;
    processes = p;
    sched_unlock(flags);
    return STATUS_SUCCESS;
}

NTSTATUS process_run_image(const char *name, uint32_t image, uint32_t length, NTSTATUS *exit_status)
{
    struct process *p = NULL;
    struct thread *main_thread = NULL;
    uint32_t entry = 0;

    NTSTATUS st = process_create(name, image, length, &p, &entry);
    if (p != NULL)
        p->run = p->id;
    if (NT_SUCCESS(st))
        st = event_create(false, false, &p->run_event);
    if (NT_SUCCESS(st))
        st = process_set_cmdline(p, name, strlen(name));
    if (NT_SUCCESS(st)) {
        struct uthread_start s = { .start = entry };
        st = uthread_create(p, &s, &main_thread);
    }
    if (!NT_SUCCESS(st)) {
        if (p != NULL)
            process_teardown(p);
        return st;
    }
    pfn_zero_until(PFN_ZEROED_TARGET);  /* every program starts with a full zeroed list */
    uthread_start(main_thread);
    object_deref(&main_thread->obj);    /* the scheduler's reference keeps it until it ends */
    object_ref(&p->obj);                /* for its exit status, past the teardown */
    process_reap_run(p->run, p->run_event);
    *exit_status = p->exit_status;
    object_deref(&p->obj);
    return STATUS_SUCCESS;
}

/* ---- for the console ---------------------------------------------------------- */

int process_snapshot(struct process_info *out, int max)
{
    int n = 0, total = 0;
    uint32_t flags = sched_lock();
    for (struct process *p = processes; p != NULL; p = p->list_next, total++) {
        if (n >= max)
            continue;
        out[n].pid = p->id;
        memcpy(out[n].name, p->name, sizeof(out[n].name));
        out[n].threads = p->thread_count;
        out[n].handles = p->handles != NULL ? handle_count(p->handles) : 0;
        out[n].ending = p->terminating;
        n++;
    }
    sched_unlock(flags);
    return total;
}

struct process *process_find(uint32_t pid)
{
    struct process *found = NULL;
    uint32_t flags = sched_lock();
    for (struct process *p = processes; p != NULL && found == NULL; p = p->list_next)
        if (p->id == pid)
            found = p;
    if (found != NULL) {
        object_ref(&found->obj);
        found->space_users++;           /* its space stays for process_space */
    }
    sched_unlock(flags);
    return found;
}

void process_release(struct process *p)
{
    uint32_t flags = sched_lock();
    p->space_users--;
    sched_unlock(flags);
    object_deref(&p->obj);              /* the last reference destroys a space left behind */
}

struct vm_space *process_space(struct process *p)
{
    return p->as;
}

void process_suspend(struct process *p, bool suspend)
{
    uthread_suspend_all(p, suspend);
}

void process_terminate(struct process *p, NTSTATUS status)
{
    uthread_terminate_process(p, status);
}

/* ---- issue 15: processes created by processes --------------------------------
 *
 * Several processes live at once.  Each belongs to the run of the program
 * a runner (the boot thread, a console thread) started, and children
 * inherit their creator's run and its event.  The runner tears each
 * process of its run down as soon as its last thread has ended (the
 * run's auto-reset event says one did), and returns once nothing of its
 * run is left: a child that outlives its parent is waited for, as
 * Windows lets it live on.  Only a run's own runner tears its processes
 * down, so a kernel thread never finds the address space it last loaded
 * destroyed by another (the scheduler reloads it at each switch). */

/* The last thread of p has ended (dispatcher lock held). */
static void process_ended_locked(struct process *p)
{
    if (p->run_event == NULL)
        return;                         /* failed before it had one: torn down by its creator */
    p->run_event->signal_state = 1;
    wait_signal_locked(p->run_event);
}

/* An ended process not yet torn down, unlinked from the list (so only
 * one caller takes it), or NULL. */
static struct process *take_ended(uint32_t run)
{
    uint32_t flags = sched_lock();
    struct process **at = &processes;
    while (*at != NULL && ((*at)->run != run || (*at)->obj.signal_state == 0))
        at = &(*at)->list_next;
    struct process *p = *at;
    if (p != NULL)
        *at = p->list_next;
    sched_unlock(flags);
    return p;
}

static bool run_alive(uint32_t run)
{
    bool alive = false;
    uint32_t flags = sched_lock();
    for (struct process *p = processes; p != NULL && !alive; p = p->list_next)
        alive = p->run == run;
    sched_unlock(flags);
    return alive;
}

void process_reap_run(uint32_t run, struct object *event)
{
    for (;;) {
        struct process *dead;
        while ((dead = take_ended(run)) != NULL)
            process_teardown(dead);
        if (!run_alive(run))
            return;
        wait_for_objects(&event, 1, false, WAIT_FOREVER, WAIT_REASON_EXECUTIVE);
    }
}

NTSTATUS process_set_cmdline(struct process *p, const char *text, uint32_t len)
{
    char *copy = kmalloc(len + 1);
    if (copy == NULL)
        return STATUS_NO_MEMORY;
    memcpy(copy, text, len);
    copy[len] = '\0';
    kfree(p->cmdline);
    p->cmdline = copy;
    p->cmdline_len = len;
    return STATUS_SUCCESS;
}

NTSTATUS process_spawn(const char *name, uint32_t image, uint32_t length, const char *cmdline,
                       uint32_t cmdline_len, bool suspended, struct process **out_p,
                       struct thread **out_t)
{
    struct process *parent = process_current(), *p = NULL;
    struct vm_space *back = vm_current();
    struct thread *t = NULL;
    uint32_t entry = 0;

    NTSTATUS st = process_create(name, image, length, &p, &entry);
    if (p != NULL) {
        p->run = parent->run;
        p->parent_id = parent->id;
        p->run_event = parent->run_event;
        if (p->run_event != NULL)
            object_ref(p->run_event);
    }
    if (NT_SUCCESS(st))
        st = process_set_cmdline(p, cmdline, cmdline_len);
    if (NT_SUCCESS(st)) {
        struct uthread_start s = { .start = entry, .suspended = suspended };
        st = uthread_create(p, &s, &t);
    }
    vm_switch(back);
    if (!NT_SUCCESS(st)) {
        if (p != NULL)
            process_teardown(p);
        return st;
    }
    object_ref(&p->obj);                /* the caller's; the first is the process list's */
    *out_p = p;
    *out_t = t;
    return STATUS_SUCCESS;
}

struct process *process_lookup(uint32_t pid)
{
    struct process *found = NULL;
    uint32_t flags = sched_lock();
    for (struct process *p = processes; p != NULL && found == NULL; p = p->list_next)
        if (p->id == pid && p->obj.signal_state == 0)
            found = p;
    if (found != NULL)
        object_ref(&found->obj);
    sched_unlock(flags);
    return found;
}

struct vm_space *process_pin_space(struct process *p)
{
    struct vm_space *as = NULL;
    uint32_t flags = sched_lock();
    if (p->obj.signal_state == 0 && p->as != NULL) {
        as = p->as;
        p->space_users++;
    }
    sched_unlock(flags);
    return as;
}

void process_unpin_space(struct process *p)
{
    uint32_t flags = sched_lock();
    ASSERTF(p->space_users > 0, "process %u: space unpinned more than pinned", p->id);
    p->space_users--;
    sched_unlock(flags);
}
