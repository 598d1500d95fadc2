; Register capture for exceptions, and setjmp/longjmp.
;
; CONTEXT offsets are the documented x86 layout (winnt.h); exception.c
; checks the ones used here with _Static_assert.

bits 32

%define CTX_ContextFlags 0
%define CTX_SegGs 140
%define CTX_SegFs 144
%define CTX_SegEs 148
%define CTX_SegDs 152
%define CTX_Edi 156
%define CTX_Esi 160
%define CTX_Ebx 164
%define CTX_Edx 168
%define CTX_Ecx 172
%define CTX_Eax 176
%define CTX_Ebp 180
%define CTX_Eip 184
%define CTX_SegCs 188
%define CTX_EFlags 192
%define CTX_Esp 196
%define CTX_SegSs 200
%define CTX_SIZE 716
%define CONTEXT_FULL 0x00010007

extern sdk_raise_exception
extern sdk_dispatch_exception

section .text

; store_context: fills the CONTEXT at [edi] (already zeroed) with the
; current registers except Edi, Eip, Esp and Ebp, which the caller sets.
; Clobbers eax.
%macro STORE_REGISTERS 0
    mov dword [edi + CTX_ContextFlags], CONTEXT_FULL
    mov [edi + CTX_Esi], esi
    mov [edi + CTX_Ebx], ebx
    mov [edi + CTX_Edx], edx
    mov [edi + CTX_Ecx], ecx
    pushfd
    pop eax
    mov [edi + CTX_EFlags], eax
    xor eax, eax
    mov ax, cs
    mov [edi + CTX_SegCs], eax
    mov ax, ss
    mov [edi + CTX_SegSs], eax
    mov ax, ds
    mov [edi + CTX_SegDs], eax
    mov ax, es
    mov [edi + CTX_SegEs], eax
    mov ax, fs
    mov [edi + CTX_SegFs], eax
    mov ax, gs
    mov [edi + CTX_SegGs], eax
%endmacro

; void NTAPI RtlCaptureContext(PCONTEXT ctx)
; The caller's registers as they are after this call returns: Eip is the
; return address, Esp the stack pointer after the stdcall pop, Eax 0.
global RtlCaptureContext:function (RtlCaptureContext.end - RtlCaptureContext)
RtlCaptureContext:
    push edi
    push ecx
    push eax
    mov edi, [esp + 16]            ; ctx
    push edi
    mov ecx, CTX_SIZE / 4
    xor eax, eax
    cld
    rep stosd                      ; zero the whole CONTEXT
    pop edi
    mov ecx, [esp + 4]             ; the caller's ecx again
    STORE_REGISTERS
    mov eax, [esp + 8]             ; the caller's edi
    mov [edi + CTX_Edi], eax
    mov [edi + CTX_Ebp], ebp
    mov eax, [esp + 12]            ; return address
    mov [edi + CTX_Eip], eax
    lea eax, [esp + 20]            ; esp after `ret 4`
    mov [edi + CTX_Esp], eax
    pop eax
    pop ecx
    pop edi
    ret 4
.end:

; void WINAPI RaiseException(DWORD code, DWORD flags, DWORD nargs, const ULONG_PTR *args)
; Captures the caller's context as it will be after RaiseException
; returns (Eip = return address, Esp past the 16 bytes of arguments,
; callee-saved registers as the caller has them), then hands it to
; sdk_raise_exception (exception.c), which raises it through the kernel.
; When a handler continues execution the kernel resumes at that context:
; RaiseException appears to return normally.
global RaiseException:function (RaiseException.end - RaiseException)
RaiseException:
    push ebp
    mov ebp, esp                   ; [ebp+4] return address, [ebp+8..20] arguments
    push edi
    sub esp, CTX_SIZE + 16
    and esp, -16
    mov edi, esp
    push ecx
    mov ecx, CTX_SIZE / 4
    xor eax, eax
    cld
    rep stosd
    pop ecx
    mov edi, esp
    STORE_REGISTERS
    mov eax, [ebp - 4]             ; the caller's edi
    mov [edi + CTX_Edi], eax
    mov eax, [ebp]                 ; the caller's ebp
    mov [edi + CTX_Ebp], eax
    mov eax, [ebp + 4]
    mov [edi + CTX_Eip], eax
    lea eax, [ebp + 8 + 16]
    mov [edi + CTX_Esp], eax
    sub esp, 12                    ; 12 + 5 pushes = 32: the call is 16-byte aligned
    push edi                       ; ctx
    push dword [ebp + 20]          ; args
    push dword [ebp + 16]          ; nargs
    push dword [ebp + 12]          ; flags
    push dword [ebp + 8]           ; code
    call sdk_raise_exception       ; does not return
    ud2
.end:

; The dispatcher the kernel resumes at on an exception (ntsvc.h):
;     [esp] = 0, [esp+4] = EXCEPTION_RECORD *, [esp+8] = CONTEXT *
; with the interrupted program's registers otherwise, so nothing about
; the stack alignment or the direction flag can be assumed.  Clears DF,
; ends the frame chain, realigns the stack and calls the C dispatcher.
global sdk_dispatcher_entry:function (sdk_dispatcher_entry.end - sdk_dispatcher_entry)
sdk_dispatcher_entry:
    cld
    xor ebp, ebp
    mov eax, [esp + 4]
    mov ecx, [esp + 8]
    and esp, -16
    sub esp, 8
    push ecx                       ; ctx
    push eax                       ; record
    call sdk_dispatch_exception    ; does not return
    ud2
.end:

; int setjmp(jmp_buf env): ebx, esi, edi, ebp, esp after return, eip.
global setjmp:function (setjmp.end - setjmp)
setjmp:
    mov eax, [esp + 4]
    mov [eax], ebx
    mov [eax + 4], esi
    mov [eax + 8], edi
    mov [eax + 12], ebp
    lea ecx, [esp + 4]
    mov [eax + 16], ecx
    mov ecx, [esp]
    mov [eax + 20], ecx
    xor eax, eax
    ret
.end:

; void longjmp(jmp_buf env, int value): setjmp returns value (1 if 0).
global longjmp:function (longjmp.end - longjmp)
longjmp:
    mov edx, [esp + 4]
    mov eax, [esp + 8]
    test eax, eax
    jnz .nonzero
    inc eax
.nonzero:
    mov ebx, [edx]
    mov esi, [edx + 4]
    mov edi, [edx + 8]
    mov ebp, [edx + 12]
    mov esp, [edx + 16]
    jmp [edx + 20]
.end:

section .note.GNU-stack noalloc noexec nowrite progbits
