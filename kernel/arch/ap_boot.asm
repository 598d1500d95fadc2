; The application processors' start-up code (Intel SDM Vol.3 9.4.4, MP
; spec B.4).  kernel/smp.c copies the bytes between ap_boot_start and
; ap_boot_end to physical AP_BOOT_PHYS (a page below 1 MiB), fills in the
; data block at its end and sends the start-up IPI with vector
; AP_BOOT_PHYS >> 12: the AP starts here in real mode at CS:IP =
; (AP_BOOT_PHYS >> 4):0.  It goes to protected mode with a flat GDT kept
; in this page, turns paging on with the boot CPU's CR4, CR3 and EFER.NXE
; (smp.c maps this page at its own physical address for the moment, so
; the instruction after the CR0 write is still mapped), and jumps to the
; kernel's C entry on the stack it was given.  Everything here is
; position-dependent on AP_BOOT_PHYS.

AP_BOOT_PHYS equ 0x7000
%define A(x) (AP_BOOT_PHYS + (x) - ap_boot_start)

section .rodata
global ap_boot_start, ap_boot_end, ap_boot_data
align 16
[bits 16]
ap_boot_start:
    cli
    cld
    xor ax, ax
    mov ds, ax
    o32 lgdt [A(boot_gdtr)]
    mov eax, cr0
    or eax, 1                       ; PE
    mov cr0, eax
    jmp dword 0x08:A(pm32)

[bits 32]
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, [A(d_cr4)]
    mov cr4, eax
    mov eax, [A(d_cr3)]
    mov cr3, eax
    mov eax, [A(d_efer)]
    test eax, eax
    jz .no_efer
    mov ecx, 0xC0000080             ; IA32_EFER
    xor edx, edx
    wrmsr
.no_efer:
    mov eax, [A(d_cr0)]
    mov cr0, eax                    ; paging on: this page is identity-mapped
    mov esp, [A(d_stack)]
    xor ebp, ebp                    ; ends backtraces
    push dword [A(d_index)]
    push dword 0                    ; no return
    mov eax, [A(d_entry)]
    jmp eax

align 8
boot_gdt:
    dq 0
    dq 0x00CF9A000000FFFF           ; 0x08: flat 32-bit code
    dq 0x00CF92000000FFFF           ; 0x10: flat data
boot_gdtr:
    dw 23
    dd A(boot_gdt)

align 4
ap_boot_data:                        ; struct ap_boot_data (kernel/smp.c)
d_cr0:   dd 0
d_cr3:   dd 0
d_cr4:   dd 0
d_efer:  dd 0
d_stack: dd 0
d_entry: dd 0
d_index: dd 0
ap_boot_end:
