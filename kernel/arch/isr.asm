; Interrupt and exception entry stubs.  Each pushes an error code (a dummy
; 0 where the CPU pushes none, Intel SDM Vol.3 6.13), then its vector, and
; joins trap_common, which builds a struct trap_frame (kernel/arch/trap.h; the names shared with C are in kernel/arch/entry.h).

section .text
extern trap_dispatch
extern syscall_dispatch

; Vectors with a CPU-pushed error code: 8, 10-14, 17, 21, 29, 30.
%assign v 0
%rep 64
stub_ %+ v:
%if !(v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30)
    push dword 0
%endif
    push dword v
%if v == 0x2E
    jmp syscall_common
%else
    jmp trap_common
%endif
%assign v v + 1
%endrep

trap_common:
    cld                             ; ring 3 may have left DF set: rep movs/stos must run forward
    pusha
    push ds
    push es
    push fs
    push gs
    mov ax, 0x10                    ; kernel data selector
    mov ds, ax
    mov es, ax
    mov ax, 0x40                    ; SEL_PERCPU: this CPU's struct cpu (kernel/base/percpu.h)
    mov gs, ax
    push esp                        ; struct trap_frame *
    call trap_dispatch
    add esp, 4
global trap_return
trap_return:
    pop gs
    pop fs
    pop es
    pop ds
    popa
    add esp, 8                      ; vector and error code
    iret

; The system-service entry (int 0x2E): the same frame, but straight to the
; service dispatcher, without the generic trap dispatch.
syscall_common:
    cld
    pusha
    push ds
    push es
    push fs
    push gs
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ax, 0x40                    ; SEL_PERCPU
    mov gs, ax
    push esp
    call syscall_dispatch
    add esp, 4
    pop gs                          ; trap_return's sequence, without the jump to it
    pop fs
    pop es
    pop ds
    popa
    add esp, 8
    iret

section .rodata
global trap_stub_table
trap_stub_table:
%assign v 0
%rep 64
    dd stub_ %+ v
%assign v v + 1
%endrep
