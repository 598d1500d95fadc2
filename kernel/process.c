/* Processes, their entry into ring 3, user stacks that grow through a
 * guard page, and exception delivery to the program's dispatcher.
 *
 * There is no scheduler yet: the boot thread runs one process at a time.
 * process_run_image saves a jump buffer on the boot stack and enters
 * ring 3; system services and faults run on the process's own kernel
 * stack (TSS.ESP0); process_exit jumps back to the saved point. */
#include "kernel/process.h"
#include "kernel/elf.h"
#include "kernel/arch/gdt.h"
#include "kernel/arch/trap.h"
#include "kernel/usercopy.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/panic.h"
#include "kernel/base/layout.h"
#include "kernel/base/x86.h"
#include "mm/vm.h"
#include "mm/kheap.h"
#include "mm/mmu.h"
#include "mm/memlayout.h"
#include <ntstatus.h>
#include <string.h>

#define KERNEL_STACK_PAGES 4            /* plus one reserved guard page below */
#define EFLAGS_USER_MASK 0x00000DD5u    /* CF PF AF ZF SF TF DF OF */
#define EFLAGS_TF 0x00000100u
#define EFLAGS_RESERVED1 0x00000002u

struct process {
    char name[32];
    struct vm_space *as;
    uint32_t kstack_base, kstack_top;
    uint32_t stack_base, stack_end;     /* user stack reservation */
    uint32_t dispatcher;
    NTSTATUS exit_status;
    struct kjmp exit_jmp;
};

static struct process *current;

void enter_user(uint32_t eip, uint32_t esp) __attribute__((noreturn));

struct process *process_current(void)
{
    return current;
}

void process_set_dispatcher(uint32_t dispatcher)
{
    current->dispatcher = dispatcher;
}

/* ---- stacks ---------------------------------------------------------------- */

/* The kernel stack: committed and touched up front (a fault while the CPU
 * pushes a trap frame could not be served), with an uncommitted page
 * below it so an overflow faults into the double-fault report. */
static NTSTATUS kernel_stack_create(struct process *p)
{
    uint32_t base = 0, size = (KERNEL_STACK_PAGES + 1) * PGSIZE;
    NTSTATUS st = vm_allocate(vm_kernel_space(), &base, &size, MEM_RESERVE, PAGE_READWRITE);
    if (!NT_SUCCESS(st))
        return st;
    uint32_t commit = base + PGSIZE, csize = KERNEL_STACK_PAGES * PGSIZE;
    st = vm_allocate(vm_kernel_space(), &commit, &csize, MEM_COMMIT, PAGE_READWRITE);
    if (!NT_SUCCESS(st)) {
        uint32_t zero = 0;
        vm_free(vm_kernel_space(), &base, &zero, MEM_RELEASE);
        return st;
    }
    for (uint32_t va = commit; va < commit + csize; va += PGSIZE)
        *(volatile uint32_t *)va = 0;
    p->kstack_base = base;
    p->kstack_top = commit + csize;
    return STATUS_SUCCESS;
}

/* The user stack as Windows sets up a thread's: 1 MiB reserved, the top
 * page committed, a guard page below it that moves down as it is hit. */
static NTSTATUS user_stack_create(struct process *p)
{
    uint32_t base = 0, size = USER_STACK_RESERVE;
    NTSTATUS st = vm_allocate(p->as, &base, &size, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE);
    if (!NT_SUCCESS(st))
        return st;
    uint32_t top = base + size - PGSIZE, one = PGSIZE;
    st = vm_allocate(p->as, &top, &one, MEM_COMMIT, PAGE_READWRITE);
    if (NT_SUCCESS(st)) {
        uint32_t guard = base + size - 2 * PGSIZE;
        one = PGSIZE;
        st = vm_allocate(p->as, &guard, &one, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    }
    p->stack_base = base;
    p->stack_end = base + size;
    return st;
}

/* A guard page in the stack was hit (the VM layer already cleared it):
 * move the guard one page down, or report the overflow when the
 * reservation's last page is reached (spec item 61).  Returns true when
 * the access can simply be retried. */
static bool user_stack_grow(struct process *p, uint32_t addr)
{
    uint32_t page = PGROUNDDOWN(addr);

    if (addr < p->stack_base || addr >= p->stack_end)
        return false;
    if (page < p->stack_base + 2 * PGSIZE)
        return false;                   /* no room for another guard: overflow */
    uint32_t guard = page - PGSIZE, one = PGSIZE;
    return NT_SUCCESS(vm_allocate(p->as, &guard, &one, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD));
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
     * set and IOPL 0, and the selectors are always the ring-3 ones. */
    tf->eflags = (ctx->EFlags & EFLAGS_USER_MASK) | EFLAGS_IF | EFLAGS_RESERVED1;
    tf->cs = SEL_UCODE;
    tf->user_ss = SEL_UDATA;
    tf->ds = tf->es = SEL_UDATA;
    tf->fs = tf->gs = 0;
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

void process_raise(struct trap_frame *tf, const EXCEPTION_RECORD *rec, const CONTEXT *ctx)
{
    struct process *p = current;
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

/* trap.c calls this for every ring-3 exception nobody resolved. */
static void user_exception(struct trap_frame *tf)
{
    EXCEPTION_RECORD rec;
    CONTEXT ctx;

    ASSERTF(current != NULL, "ring-3 trap %u with no process", tf->vector);
    record_for_trap(tf, &rec);
    if (rec.ExceptionCode == (DWORD)STATUS_GUARD_PAGE_VIOLATION &&
        user_stack_grow(current, rec.ExceptionInformation[1]))
        return;                                     /* the stack grew: retry */
    if (rec.ExceptionCode == (DWORD)STATUS_GUARD_PAGE_VIOLATION &&
        rec.ExceptionInformation[1] >= current->stack_base &&
        rec.ExceptionInformation[1] < current->stack_end)
        rec.ExceptionCode = (DWORD)STATUS_STACK_OVERFLOW;
    context_from_frame(tf, &ctx);
    process_raise(tf, &rec, &ctx);
}

bool process_stack_guard_hit(uint32_t addr)
{
    return current != NULL && user_stack_grow(current, addr);
}

void process_init(void)
{
    trap_set_user_exception_handler(user_exception);
    usercopy_set_stack_guard_hook(process_stack_guard_hit);
}

/* ---- life cycle ------------------------------------------------------------- */

void process_exit(NTSTATUS status)
{
    struct process *p = current;
    ASSERT(p != NULL);
    p->exit_status = status;
    kjmp_go(&p->exit_jmp, 1);
}

static void process_teardown(struct process *p)
{
    uint32_t zero = 0;

    vm_switch(vm_kernel_space());
    if (p->kstack_base != 0)
        vm_free(vm_kernel_space(), &p->kstack_base, &zero, MEM_RELEASE);
    vm_space_destroy(p->as);
    current = NULL;
    kfree(p);
}

static void copy_name(char *dst, const char *src, size_t cap)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

NTSTATUS process_run_image(const char *name, uint32_t image, uint32_t length, NTSTATUS *exit_status)
{
    uint32_t entry;
    NTSTATUS st;

    ASSERTF(current == NULL, "process %s started while %s runs", name, current ? current->name : "");
    struct process *p = kzalloc(sizeof(*p));
    if (p == NULL)
        return STATUS_NO_MEMORY;
    copy_name(p->name, name, sizeof(p->name));
    p->as = vm_space_create();
    if (p->as == NULL) {
        kfree(p);
        return STATUS_NO_MEMORY;
    }
    current = p;
    st = elf_load(p->as, image, length, &entry);
    if (NT_SUCCESS(st))
        st = user_stack_create(p);
    if (NT_SUCCESS(st))
        st = kernel_stack_create(p);
    if (!NT_SUCCESS(st)) {
        process_teardown(p);
        return st;
    }
    vm_switch(p->as);
    tss_set_kernel_stack(p->kstack_top);
    if (kjmp_set(&p->exit_jmp) == 0)
        enter_user(entry, p->stack_end - 16);
    /* Back from process_exit, on the boot stack. */
    tss_set_kernel_stack((uint32_t)boot_stack_top);
    *exit_status = p->exit_status;
    process_teardown(p);
    return STATUS_SUCCESS;
}
