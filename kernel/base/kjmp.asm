; kjmp_set / kjmp_go: setjmp and longjmp for the kernel.
; struct kjmp { ebx, esi, edi, ebp, esp, eip, eflags } (kernel/trap.h).
; eflags is saved so that a jump out of an interrupt gate (IF = 0) restores
; the interrupt flag the catching code had.

section .text
global kjmp_set, kjmp_go

kjmp_set:
    mov eax, [esp + 4]
    mov [eax + 0], ebx
    mov [eax + 4], esi
    mov [eax + 8], edi
    mov [eax + 12], ebp
    lea ecx, [esp + 4]              ; esp as it will be after our ret
    mov [eax + 16], ecx
    mov ecx, [esp]                  ; return address
    mov [eax + 20], ecx
    pushfd
    pop ecx
    mov [eax + 24], ecx
    xor eax, eax
    ret

kjmp_go:
    mov edx, [esp + 4]
    mov eax, [esp + 8]
    mov ebx, [edx + 0]
    mov esi, [edx + 4]
    mov edi, [edx + 8]
    mov ebp, [edx + 12]
    mov esp, [edx + 16]
    push dword [edx + 24]
    popfd
    jmp [edx + 20]
