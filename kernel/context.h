/* A ring-3 CONTEXT loaded into a trap frame, in line: NtContinue does it
 * on the way back from every exception a program handles, and a call
 * into process.c for a dozen stores cost as much as the stores.  Used by
 * kernel/process.c (exception delivery, thread contexts) and
 * kernel/syscall.c (NtContinue). */
#ifndef KERNEL_CONTEXT_H
#define KERNEL_CONTEXT_H

#include <stdint.h>
#include <winnt.h>
#include <ntstatus.h>
#include "kernel/arch/trap.h"
#include "kernel/arch/gdt.h"
#include "kernel/base/x86.h"
#include "mm/memlayout.h"

#define EFLAGS_USER_MASK 0x00000DD5u    /* CF PF AF ZF SF TF DF OF */
#define EFLAGS_RESERVED1 0x00000002u
#define EFLAGS_IOPL 0x00003000u
#define EFLAGS_VM 0x00020000u

/* Only the arithmetic flags, TF and DF come from the program; IF stays
 * set and IOPL 0, and the selectors are always the ring-3 ones: fs is the
 * TEB's, as NT's KeContextToKframes forces it for user mode. */
static inline void frame_set_user_mode(struct trap_frame *tf, uint32_t eflags)
{
    tf->eflags = (eflags & EFLAGS_USER_MASK) | EFLAGS_IF | EFLAGS_RESERVED1;
    tf->cs = SEL_UCODE;
    tf->user_ss = SEL_UDATA;
    tf->ds = tf->es = SEL_UDATA;
    tf->fs = SEL_TEB;
    tf->gs = 0;
}

static inline __attribute__((always_inline)) void frame_load(const CONTEXT *ctx, struct trap_frame *tf)
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
    frame_set_user_mode(tf, ctx->EFlags);
}

/* Refuses a CONTEXT that asks for more than ring 3 may have: a CS or SS
 * that is not a 16-bit selector with RPL 3 (a kernel selector), an Eip or
 * Esp outside user space, IOPL above 0 or virtual-8086 mode.  What is
 * never loaded from the CONTEXT needs no check: frame_load forces the
 * data selectors (DS, ES, FS, GS) and masks the other EFLAGS bits (NT,
 * IF, AC...). */
static inline NTSTATUS context_check(const CONTEXT *ctx)
{
    uint32_t bad = ((ctx->SegCs | ctx->SegSs) >> 16) | (~(ctx->SegCs & ctx->SegSs) & 3) |
                   (ctx->EFlags & (EFLAGS_IOPL | EFLAGS_VM));

    if (bad != 0 || ctx->Eip >= USER_END || ctx->Esp > USER_END)
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

/* context_to_frame for NtContinue: STATUS_INVALID_PARAMETER, and tf
 * unchanged, for a CONTEXT context_check refuses. */
static inline NTSTATUS context_restore(const CONTEXT *ctx, struct trap_frame *tf)
{
    NTSTATUS st = context_check(ctx);

    if (NT_SUCCESS(st))
        frame_load(ctx, tf);
    return st;
}

#endif
