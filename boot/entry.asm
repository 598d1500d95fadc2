; Multiboot v1 entry: build a temporary page directory, turn paging on,
; jump to the higher half, drop the low identity map and call kmain.
;
; Runs at the physical load address (1 MiB) with paging off, so every
; absolute reference to a linked (virtual) symbol subtracts KERNEL_VBASE
; until the jump to .high.

KERNEL_VBASE  equ 0x80000000
MB_MAGIC      equ 0x1BADB002
MB_FLAGS      equ 0x00000003        ; ALIGN (bit 0) | MEMINFO (bit 1) only
BOOT_ID_PDES  equ 4                 ; identity map: 4 x 4 MiB = the low 16 MiB
BOOT_HIGH_PDES equ 256              ; at KERNEL_VBASE: 256 x 4 MiB = the low 1 GiB
                                    ; (mm/memlayout.h BOOT_WINDOW_END), where the
                                    ; frame allocator puts its metadata

PDE_P   equ 0x001
PDE_RW  equ 0x002
PDE_PS  equ 0x080                   ; 4 MiB page (needs CR4.PSE)
CR0_PG  equ 0x80000000
CR0_WP  equ 0x00010000              ; ring 0 honours read-only pages (SDM 4.6.1)
CR4_PSE equ 0x00000010

section .multiboot
align 4
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)

section .text.boot progbits alloc exec nowrite align=16
global _start
extern kmain
_start:
    cli
    cld
    mov esi, eax                    ; multiboot magic
    ; ebx = physical address of the multiboot info, kept until kmain

    ; boot_pd: identity map of the low 16 MiB and higher-half map of the
    ; low 1 GiB with 4 MiB pages; every other entry is cleared explicitly.
    ; (Mapping RAM that does not exist is harmless: nothing touches it.)
    mov edi, boot_pd - KERNEL_VBASE
    xor ecx, ecx
.clear:
    mov dword [edi + ecx * 4], 0
    inc ecx
    cmp ecx, 1024
    jb .clear
    xor ecx, ecx
.fill:
    mov edx, ecx
    shl edx, 22
    or edx, PDE_P | PDE_RW | PDE_PS
    cmp ecx, BOOT_ID_PDES
    jae .high_only
    mov [edi + ecx * 4], edx                              ; identity
.high_only:
    mov [edi + (KERNEL_VBASE >> 22) * 4 + ecx * 4], edx   ; higher half
    inc ecx
    cmp ecx, BOOT_HIGH_PDES
    jb .fill

    mov edx, cr4
    or edx, CR4_PSE
    mov cr4, edx
    mov cr3, edi
    mov edx, cr0
    or edx, CR0_PG | CR0_WP
    mov cr0, edx
    mov edx, .high                  ; absolute (virtual) address
    jmp edx

section .text
.high:
    ; From here on only the higher half is used: remove the identity map.
    mov edi, boot_pd
    xor ecx, ecx
.drop:
    mov dword [edi + ecx * 4], 0
    inc ecx
    cmp ecx, BOOT_ID_PDES
    jb .drop
    mov edx, cr3
    mov cr3, edx                    ; flush the dropped translations

    mov esp, boot_stack_top
    xor ebp, ebp                    ; terminates backtraces
    push ebx                        ; multiboot info (physical)
    push esi                        ; multiboot magic
    call kmain
.hang:
    cli
    hlt
    jmp .hang

section .bss
align 4096
global boot_pd
boot_pd:
    resb 4096
; The page below the boot stack is left unmapped by mm/paging, so a kernel
; stack overflow faults (and #DF reports it) instead of corrupting .bss.
global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
    resb 4096
boot_stack_bottom:
    resb 16384
boot_stack_top:
