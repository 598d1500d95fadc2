; Copies between kernel and user memory that survive a bad user pointer.
; Each instruction that touches user memory has an entry in the exception
; table (.extable: pairs of faulting EIP, fixup EIP); when it faults and the
; VM layer cannot resolve the fault, trap.c resumes at the fixup, which
; returns 1 instead of crashing.  The callers check that the range lies
; below USER_END first (kernel/usercopy.c).

section .text
global usercopy_raw

; int usercopy_raw(void *dst, const void *src, size_t n): 0 done, 1 faulted
; Whole dwords first: under -icount each rep iteration is one instruction,
; so a 716-byte CONTEXT costs 179 + 0 rather than 716.
usercopy_raw:
    push esi
    push edi
    mov edi, [esp + 12]
    mov esi, [esp + 16]
    mov ecx, [esp + 20]
    mov edx, ecx
    shr ecx, 2
.copy_dwords:
    rep movsd
    mov ecx, edx
    and ecx, 3
.copy_bytes:
    rep movsb
    xor eax, eax
.out:
    pop edi
    pop esi
    ret
.fault:
    mov eax, 1
    jmp .out

section .extable
    dd usercopy_raw.copy_dwords, usercopy_raw.fault
    dd usercopy_raw.copy_bytes, usercopy_raw.fault
