; Program entry.  The kernel starts a program at the ELF entry point on
; its fresh stack with nothing on it that the program needs (no
; arguments, no environment).  _start ends the frame chain (EBP = 0),
; aligns the stack to 16 bytes as the i386 System V ABI expects at a
; call, initialises the SDK (the exception dispatcher, constructors),
; calls main(0, argv = { NULL }) and passes its result to exit(), which
; flushes stdout and calls ExitProcess.

bits 32

extern sdk_init
extern main
extern exit

section .text
global _start:function (_start.end - _start)
_start:
    xor ebp, ebp
    and esp, -16
    call sdk_init
    sub esp, 8
    push empty_argv                ; argv: argv[argc] == NULL
    push 0                         ; argc
    call main
    add esp, 16
    sub esp, 12
    push eax
    call exit
    ud2
.end:

section .rodata
align 4
empty_argv: dd 0

section .note.GNU-stack noalloc noexec nowrite progbits
