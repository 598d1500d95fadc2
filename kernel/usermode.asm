; The first entry into ring 3 of a new process: an IRET frame with the
; user code and stack selectors (Intel SDM Vol.3 6.12.1: IRET to a lower
; privilege pops SS:ESP too).

section .text
global enter_user

; void enter_user(uint32_t eip, uint32_t esp) -- never returns
enter_user:
    mov ecx, [esp + 4]
    mov edx, [esp + 8]
    mov ax, 0x23                    ; user data selector, RPL 3
    mov ds, ax
    mov es, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    push dword 0x23                 ; SS
    push edx                        ; ESP
    push dword 0x202                ; EFLAGS: IF set
    push dword 0x1B                 ; CS: user code, RPL 3
    push ecx                        ; EIP
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp
    iret
