; EnterCriticalSection and LeaveCriticalSection: the fast paths in
; assembly, as NT x86's RtlEnterCriticalSection is hand-written: one
; locked instruction each way and no system call when nobody else wants
; the section.  The fields (winnt.h, RTL_CRITICAL_SECTION, x86):
;   +4 LockCount (-1 free)  +8 RecursionCount  +12 OwningThread (thread id)
; and the caller's thread id is TEB.ClientId.UniqueThread, fs:[0x24].
; The slow paths are C (critsec.c): sdk_cs_wait blocks on the section's
; event until the owner hands the section over; sdk_cs_wake sets it.

bits 32

%define CS_LockCount 4
%define CS_RecursionCount 8
%define CS_OwningThread 12
%define TEB_UniqueThread 0x24

extern sdk_cs_wait
extern sdk_cs_wake

section .text

; void WINAPI EnterCriticalSection(LPCRITICAL_SECTION cs)
global EnterCriticalSection:function (EnterCriticalSection.end - EnterCriticalSection)
EnterCriticalSection:
    mov ecx, [esp + 4]
    mov edx, [fs:TEB_UniqueThread]
    lock inc dword [ecx + CS_LockCount]
    jnz .taken                          ; -1 -> 0: it is ours
    mov [ecx + CS_OwningThread], edx
    mov dword [ecx + CS_RecursionCount], 1
    ret 4
.taken:
    cmp [ecx + CS_OwningThread], edx
    jne .wait
    inc dword [ecx + CS_RecursionCount] ; ours already: one level deeper
    ret 4
.wait:                                  ; counted in LockCount: wait for the hand-over
    push ebp
    mov ebp, esp
    and esp, -16
    sub esp, 8
    push edx
    push ecx
    call sdk_cs_wait                    ; void sdk_cs_wait(cs, me)
    leave
    ret 4
.end:

; void WINAPI LeaveCriticalSection(LPCRITICAL_SECTION cs)
global LeaveCriticalSection:function (LeaveCriticalSection.end - LeaveCriticalSection)
LeaveCriticalSection:
    mov ecx, [esp + 4]
    dec dword [ecx + CS_RecursionCount]
    jnz .still_ours
    mov dword [ecx + CS_OwningThread], 0
    lock dec dword [ecx + CS_LockCount]
    jge .wake                           ; still >= 0: a thread waits
    ret 4
.still_ours:
    lock dec dword [ecx + CS_LockCount]
    ret 4
.wake:
    push ebp
    mov ebp, esp
    and esp, -16
    sub esp, 12
    push ecx
    call sdk_cs_wake                    ; void sdk_cs_wake(cs)
    leave
    ret 4
.end:

section .note.GNU-stack noalloc noexec nowrite progbits
