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
#include "kernel/context.h"
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

#define EFLAGS_TF 0x00000100u

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

/* ContextFlags and SegGs..SegSs from the frame; the debug and FPU areas
 * are left alone. */
static void context_regs_from_frame(const struct trap_frame *tf, CONTEXT *ctx)
{
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

void context_from_frame(const struct trap_frame *tf, CONTEXT *ctx)
{
    memset(ctx, 0, CONTEXT_REGISTERS_SIZE);
    context_regs_from_frame(tf, ctx);
}

void context_to_frame(const CONTEXT *ctx, struct trap_frame *tf)
{
    frame_load(ctx, tf);
}

/* What the dispatcher finds at its ESP (ntsvc.h): a null return address,
 * the record's and the context's addresses, then the record and the
 * CONTEXT themselves (the record's 80 bytes keep the CONTEXT 16-byte
 * aligned).  The kernel fills one in on its own stack and writes it once
 * onto the user stack; nothing is copied twice. */
struct dispatch_frame {
    uint32_t ret, rec_at, ctx_at;
    EXCEPTION_RECORD rec;
    CONTEXT ctx;
};
#define DISPATCH_REC __builtin_offsetof(struct dispatch_frame, rec)
#define DISPATCH_CTX __builtin_offsetof(struct dispatch_frame, ctx)
#define REC_HEADER __builtin_offsetof(EXCEPTION_RECORD, ExceptionInformation)
#define CTX_REGS __builtin_offsetof(CONTEXT, SegGs)
_Static_assert(sizeof(EXCEPTION_RECORD) % 16 == 0 && DISPATCH_CTX == 12 + sizeof(EXCEPTION_RECORD),
               "the record keeps the CONTEXT aligned, right after the 3 dwords");
_Static_assert(__builtin_offsetof(CONTEXT, SegSs) + 4 == CONTEXT_REGISTERS_SIZE, "SegSs ends the registers");

/* Writes f (record and context filled in) on the current thread's stack
 * below esp and points tf, whose registers are already those of the
 * context, at the process's dispatcher.  As NT's KiDispatchException, only
 * the record's NumberParameters arguments are written; of the CONTEXT,
 * ContextFlags and the CONTEXT_FULL registers, and with whole_context the
 * debug and FPU areas too (a raised exception's caller-built CONTEXT).
 * Highest address first, so that a stack guard page below is met in order
 * and the copy grows the stack through it.  The process ends when it has
 * no dispatcher or the stack cannot hold the frame. */
static void enter_dispatcher(struct trap_frame *tf, struct dispatch_frame *f, uint32_t esp, bool whole_context)
{
    struct process *p = process_current();
    uint32_t ctx_at = (esp - sizeof(CONTEXT)) & ~15u;
    uint32_t at = ctx_at - DISPATCH_CTX;
    uint32_t from = whole_context ? 0 : CTX_REGS;
    NTSTATUS st;

    if (p->dispatcher == 0)
        process_exit((NTSTATUS)f->rec.ExceptionCode);
    f->ret = 0;
    f->rec_at = at + DISPATCH_REC;
    f->ctx_at = ctx_at;
    /* The CONTEXT's last word: the whole CONTEXT must be writable, as
     * NtContinue checks that it is readable. */
    st = put_user_u32((void *)(ctx_at + sizeof(CONTEXT) - 4), 0);
    if (NT_SUCCESS(st))
        st = copy_to_user((void *)(ctx_at + from), (const uint8_t *)&f->ctx + from, CONTEXT_REGISTERS_SIZE - from);
    if (NT_SUCCESS(st) && !whole_context)
        st = put_user_u32((void *)ctx_at, f->ctx.ContextFlags);
    if (NT_SUCCESS(st))
        st = copy_to_user((void *)at, f, DISPATCH_REC + REC_HEADER + f->rec.NumberParameters * 4);
    if (!NT_SUCCESS(st))
        process_exit((NTSTATUS)f->rec.ExceptionCode);
    tf->eip = p->dispatcher;
    tf->user_esp = at;
}

/* The record and context go on the stack of the thread that raised the
 * exception, below its ESP: each thread dispatches its own exceptions.
 * rec->NumberParameters is at most EXCEPTION_MAXIMUM_PARAMETERS. */
void process_raise(struct trap_frame *tf, const EXCEPTION_RECORD *rec, const CONTEXT *ctx)
{
    struct dispatch_frame f;

    ASSERT(rec->NumberParameters <= EXCEPTION_MAXIMUM_PARAMETERS);
    f.rec = *rec;
    memcpy(&f.ctx, ctx, CONTEXT_REGISTERS_SIZE);
    context_to_frame(ctx, tf);
    enter_dispatcher(tf, &f, ctx->Esp, true);
}

/* Fills the record for a CPU exception in ring 3 (NT's conventions:
 * #GP is an access violation at address 0xFFFFFFFF, #BP points at the
 * int3 itself).  Only the NumberParameters first arguments are set. */
static void record_for_trap(struct trap_frame *tf, EXCEPTION_RECORD *rec)
{
    rec->ExceptionFlags = 0;
    rec->ExceptionRecord = NULL;
    rec->NumberParameters = 0;
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

/* Writes the dispatcher's frame for a CPU exception straight from the
 * trap frame onto the user stack at `at` (range-checked by the caller):
 * one store per field, each with an exception-table entry, the highest
 * address first so that a stack guard page below is met in order.  As in
 * enter_dispatcher, only the record's NumberParameters arguments and, of
 * the CONTEXT, ContextFlags, the CONTEXT_FULL registers and its last word
 * (which proves the whole CONTEXT writable) are written.  False when a
 * store faulted: nothing was retried, the fault is still to be handled.
 * rec is record_for_trap's: no flags, no nested record, at most two
 * arguments. */
static bool frame_store_direct(const struct trap_frame *tf, const EXCEPTION_RECORD *rec, uint32_t at)
{
    /* Every address as `at` plus a constant, so each store is one
     * instruction with the offset folded in. */
#define CTX(field) (DISPATCH_CTX + __builtin_offsetof(CONTEXT, field))
#define REC(field) (DISPATCH_REC + __builtin_offsetof(EXCEPTION_RECORD, field))
#define PUT(offset, value)                                                          \
    do {                                                                            \
        if (usercopy_try_store32((void *)(at + (offset)), (uint32_t)(value)) != 0)  \
            return false;                                                           \
    } while (0)
    uint32_t code = rec->ExceptionCode, address = (uint32_t)rec->ExceptionAddress;
    uint32_t params = rec->NumberParameters;

    PUT(DISPATCH_CTX + sizeof(CONTEXT) - 4, 0);
    PUT(CTX(SegSs), tf->user_ss);
    PUT(CTX(Esp), tf->user_esp);
    PUT(CTX(EFlags), tf->eflags);
    PUT(CTX(SegCs), tf->cs);
    PUT(CTX(Eip), tf->eip);
    PUT(CTX(Ebp), tf->ebp);
    PUT(CTX(Eax), tf->eax);
    PUT(CTX(Ecx), tf->ecx);
    PUT(CTX(Edx), tf->edx);
    PUT(CTX(Ebx), tf->ebx);
    PUT(CTX(Esi), tf->esi);
    PUT(CTX(Edi), tf->edi);
    PUT(CTX(SegDs), tf->ds);
    PUT(CTX(SegEs), tf->es);
    PUT(CTX(SegFs), tf->fs);
    PUT(CTX(SegGs), tf->gs);
    PUT(CTX(ContextFlags), CONTEXT_FULL);
    if (params > 1)
        PUT(REC(ExceptionInformation[1]), rec->ExceptionInformation[1]);
    if (params > 0)
        PUT(REC(ExceptionInformation[0]), rec->ExceptionInformation[0]);
    PUT(REC(NumberParameters), params);
    PUT(REC(ExceptionAddress), address);
    PUT(REC(ExceptionRecord), 0);
    PUT(REC(ExceptionFlags), 0);                    /* a CPU exception is continuable */
    PUT(REC(ExceptionCode), code);
    PUT(8, at + DISPATCH_CTX);
    PUT(4, at + DISPATCH_REC);
    PUT(0, 0);
#undef PUT
#undef REC
#undef CTX
    return true;
}

/* frame_store_direct could not write the frame (a range outside user
 * space, or a store faulted): the whole frame, built on the kernel stack
 * (zeroed, so nothing of the kernel's goes out), goes through the user
 * copy, whose fault path grows the stack through a guard page the direct
 * stores met and retries.  The process ends when that fails too. */
static void frame_store_slow(const struct trap_frame *tf, const EXCEPTION_RECORD *rec, uint32_t at, bool faulted)
{
    struct dispatch_frame f;
    NTSTATUS st;

    memset(&f, 0, sizeof(f));
    f.rec_at = at + DISPATCH_REC;
    f.ctx_at = at + DISPATCH_CTX;
    memcpy(&f.rec, rec, REC_HEADER + rec->NumberParameters * 4);
    context_regs_from_frame(tf, &f.ctx);
    st = faulted ? usercopy_copy_faulted((void *)at, &f, sizeof(f), (void *)at)
                 : copy_to_user((void *)at, &f, sizeof(f));
    if (!NT_SUCCESS(st))
        process_exit((NTSTATUS)rec->ExceptionCode);
}

/* trap.c calls this for every ring-3 exception nobody resolved.  A guard
 * page of the thread's own stack moves down (spec item 61); the last one
 * is a stack overflow.  Otherwise the frame goes once onto the thread's
 * stack and the trap frame, which keeps the registers, is pointed at the
 * dispatcher with its selectors and EFLAGS sanitised as NtContinue's. */
static void user_exception(struct trap_frame *tf)
{
    struct process *p = process_current();
    EXCEPTION_RECORD rec;

    ASSERTF(p != NULL, "ring-3 trap %u on a kernel thread", tf->vector);
    record_for_trap(tf, &rec);
    if (rec.ExceptionCode == (DWORD)STATUS_GUARD_PAGE_VIOLATION &&
        uthread_stack_grow(rec.ExceptionInformation[1]))
        return;                                     /* the stack grew: retry */
    if (rec.ExceptionCode == (DWORD)STATUS_GUARD_PAGE_VIOLATION &&
        uthread_in_stack(rec.ExceptionInformation[1]))
        rec.ExceptionCode = (DWORD)STATUS_STACK_OVERFLOW;
    if (p->dispatcher == 0)
        process_exit((NTSTATUS)rec.ExceptionCode);
    uint32_t at = ((tf->user_esp - sizeof(CONTEXT)) & ~15u) - DISPATCH_CTX;
    if (!user_range_ok((const void *)at, sizeof(struct dispatch_frame)))
        frame_store_slow(tf, &rec, at, false);
    else if (!frame_store_direct(tf, &rec, at))
        frame_store_slow(tf, &rec, at, true);
    frame_set_user_mode(tf, tf->eflags);
    tf->eip = p->dispatcher;
    tf->user_esp = at;
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

NTSTATUS process_wait_end(struct process *p, uint32_t ms)
{
    struct object *o = &p->obj;
    return wait_for_objects(&o, 1, false, ms, WAIT_REASON_EXECUTIVE);
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
