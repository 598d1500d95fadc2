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

section .text
global usercopy_load32, usercopy_store32

; int usercopy_load32(const uint32_t *user, uint32_t *out): 0 done, 1 faulted
; One 4-byte access instead of a general copy: the system services read
; and write their in/out parameters this way.
usercopy_load32:
    mov ecx, [esp + 4]
.load:
    mov eax, [ecx]
    mov edx, [esp + 8]
    mov [edx], eax
    xor eax, eax
    ret
.fault:
    mov eax, 1
    ret

; int usercopy_store32(uint32_t *user, uint32_t value): 0 done, 1 faulted
usercopy_store32:
    mov ecx, [esp + 4]
    mov eax, [esp + 8]
.store:
    mov [ecx], eax
    xor eax, eax
    ret
.fault:
    mov eax, 1
    ret

section .extable
    dd usercopy_load32.load, usercopy_load32.fault
    dd usercopy_store32.store, usercopy_store32.fault
