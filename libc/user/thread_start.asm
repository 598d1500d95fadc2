; RtlUserThreadStart: where the kernel starts every thread but the first
; (registered by sdk_thread_init with NtSetThreadStartRoutine), with
; EAX = the thread's start routine and EBX = its parameter, as NT x86
; starts threads at ntdll's RtlUserThreadStart.  Ends the frame chain,
; aligns the stack to 16 bytes for the call (i386 System V) and calls
; sdk_thread_main(start, parameter), which never returns.

bits 32

extern sdk_thread_main

section .text
global RtlUserThreadStart:function (RtlUserThreadStart.end - RtlUserThreadStart)
RtlUserThreadStart:
    xor ebp, ebp
    and esp, -16
    sub esp, 8
    push ebx                       ; parameter
    push eax                       ; start routine
    call sdk_thread_main
    ud2
.end:

section .note.GNU-stack noalloc noexec nowrite progbits
