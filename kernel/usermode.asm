; The first entry of a user thread into ring 3: the thread's first kernel
; code (kernel/uthread.c) builds a struct trap_frame with the ring-3
; selectors, EIP and ESP, and leaves through the common trap exit, whose
; IRET to a lower privilege pops SS:ESP too (Intel SDM Vol.3 6.12.1) and
; whose `pop fs` loads the TEB segment.

section .text
global uthread_enter
extern trap_return

; void uthread_enter(struct trap_frame *tf) -- never returns
uthread_enter:
    mov esp, [esp + 4]
    jmp trap_return
