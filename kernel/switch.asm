; void switch_context(uint32_t *save_esp, uint32_t new_esp)
; Saves the callee-saved registers and EFLAGS of the running thread on its
; stack, stores its ESP in *save_esp, and resumes the thread whose stack
; pointer is new_esp (which was saved the same way, or built by
; thread_create to look like it).
section .text
global switch_context

switch_context:
    mov eax, [esp + 4]
    mov edx, [esp + 8]
    push ebp
    push ebx
    push esi
    push edi
    pushfd
    mov [eax], esp
    mov esp, edx
    popfd
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret
