; The native system services: one stub per service, as ntdll's on NT x86.
;
;   mov eax, SERVICE       ; the service number (libc/include/ntsvc.h)
;   lea edx, [esp+4]       ; the arguments, as the caller pushed them
;   int 0x2E               ; NTSTATUS back in EAX; EDX and ECX clobbered
;   ret 4*argc             ; NTAPI is stdcall: the stub pops the arguments
;
; The service numbers come from ntsvc.h itself: the Makefile turns its
; #defines into build/user/sdk/ntsvc.inc, so C and assembly cannot drift.
; The argument counts must match the prototypes in libc/include/ntdll.h
; (a wrong count unbalances the caller's stack).

%include "ntsvc.inc"

bits 32
section .text

; SERVICE name, argc
%macro SERVICE 2
global %1:function (%1.end - %1)
align 16
%1:
    mov eax, SVC_%1
    lea edx, [esp + 4]
    int NTSVC_VECTOR
%if %2 == 0
    ret
%else
    ret 4 * %2
%endif
.end:
%endmacro

SERVICE NtAllocateVirtualMemory, 6     ; process, *base, zero_bits, *size, type, protect
SERVICE NtFreeVirtualMemory, 4         ; process, *base, *size, type
SERVICE NtProtectVirtualMemory, 5      ; process, *base, *size, new, *old
SERVICE NtQueryVirtualMemory, 6        ; process, address, class, buffer, length, *result_length
SERVICE NtTerminateProcess, 2          ; process, status
SERVICE NtContinue, 2                  ; context, test_alert
SERVICE NtDebugPrint, 2                ; text, length
SERVICE NtYieldExecution, 0
SERVICE NtSetExceptionDispatcher, 1    ; dispatcher
SERVICE NtRaiseException, 3            ; record, context, first_chance
SERVICE NtQuerySystemCounters, 2       ; counters, length
SERVICE NtGetWriteWatch, 7             ; process, flags, base, size, addresses, *count, *granularity
SERVICE NtResetWriteWatch, 3           ; process, base, size
; DEP (issue 18)
SERVICE NtQueryInformationProcess, 5   ; process, class, info, length, *return_length
SERVICE NtSetInformationProcess, 4     ; process, class, info, length
SERVICE NtQuerySystemInformation, 4    ; class, info, length, *return_length
; Locked pages (issue 19)
SERVICE NtLockVirtualMemory, 4         ; process, *base, *size, map type
SERVICE NtUnlockVirtualMemory, 4       ; process, *base, *size, map type

; Table 2: threads, waits and objects (issue 13).
SERVICE NtClose, 1                     ; handle
SERVICE NtDuplicateObject, 7           ; src process, src handle, dst process, *handle, access, attributes, options
SERVICE NtWaitForSingleObject, 3       ; handle, alertable, *timeout
SERVICE NtWaitForMultipleObjects, 5    ; count, handles, wait type, alertable, *timeout
SERVICE NtDelayExecution, 2            ; alertable, *interval
SERVICE NtSwitchToThread, 0
SERVICE NtCreateEvent, 5               ; *handle, access, attributes, type, initial state
SERVICE NtSetEvent, 2                  ; handle, *previous state
SERVICE NtResetEvent, 2                ; handle, *previous state
SERVICE NtPulseEvent, 2                ; handle, *previous state
SERVICE NtCreateMutant, 4              ; *handle, access, attributes, initial owner
SERVICE NtReleaseMutant, 2             ; handle, *previous count
SERVICE NtCreateSemaphore, 5           ; *handle, access, attributes, initial, maximum
SERVICE NtReleaseSemaphore, 3          ; handle, count, *previous count
SERVICE NtCreateThreadEx, 11           ; *handle, access, attributes, process, start, arg, flags, zero bits, commit, reserve, *client id
SERVICE NtTerminateThread, 2           ; handle, exit status
SERVICE NtSuspendThread, 2             ; handle, *previous count
SERVICE NtResumeThread, 2              ; handle, *previous count
SERVICE NtQueryInformationThread, 5    ; handle, class, buffer, length, *return length
SERVICE NtSetInformationThread, 4      ; handle, class, buffer, length
SERVICE NtSetThreadStartRoutine, 1     ; routine
SERVICE NtGetTickCount, 0
; issue 15: processes and the *Ex calls
SERVICE NtCreateUserProcess, 8         ; *process, *thread, name, name length, command line, length, flags, *client id
SERVICE NtOpenProcess, 4               ; *handle, access, attributes, *client id
SERVICE NtReadVirtualMemory, 5         ; process, base, buffer, size, *bytes read
SERVICE NtWriteVirtualMemory, 5        ; process, base, buffer, size, *bytes written
; issue 17: the heap's per-thread caches
SERVICE NtFlushProcessWriteBuffers, 0

section .note.GNU-stack noalloc noexec nowrite progbits
