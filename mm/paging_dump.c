/* The QEMU monitor's views of the current page tables (`info mem`,
 * `info tlb`), printed by the kernel for the harness's cross-check
 * (tests/harness.py, qmp_check on the command line). */
#include "mm/paging.h"
#include "mm/mmu.h"
#include "kernel/base/kprintf.h"


static void print_mem_range(uint32_t start, uint64_t end, pte_t prot)
{
    kprintf("qmpcheck mem %016llx-%016llx %016llx %c%c%c\n", (uint64_t)start, end,
            end - start, (prot & PTE_U) ? 'u' : '-', 'r', (prot & PTE_W) ? 'w' : '-');
}

/* Same walk as QEMU's `info mem` (target/i386/monitor.c, mem_info_32 and
 * mem_info_pae32): effective U/W of PDE & PTE, runs merged while the
 * protection is equal.  Through the self-map: the same entries. */
void paging_dump_info_mem(void)
{
    uint64_t start = 0;
    pte_t last = 0;
    uint32_t span = paging_table_span();

    for (uint64_t base = 0; base < (1ull << 32); base += span) {
        pte_t pde = paging_query_pde((uint32_t)base);
        for (uint64_t va = base; va < base + span; va += PGSIZE) {
            pte_t prot = 0;
            if (pde & PTE_P) {
                pte_t pte = paging_query((uint32_t)va);
                prot = (pte & PTE_P) ? (pte & pde & (PTE_P | PTE_W | PTE_U)) : 0;
            }
            if (prot != last) {
                if (last != 0)
                    print_mem_range((uint32_t)start, va, last);
                start = va;
                last = prot;
            }
            if (!(pde & PTE_P))
                break;          /* the whole table's span is one not-present step */
        }
    }
    if (last != 0)
        print_mem_range((uint32_t)start, 1ull << 32, last);
}

/* QEMU's `info tlb`: every present 4 KiB entry, its address bits as
 * QEMU masks them (PAE: all 64 bits but the low 12, so NX shows in the
 * address too) and the flags XGPDACTUW. */
void paging_dump_info_tlb(void)
{
    uint32_t span = paging_table_span();

    for (uint64_t base = 0; base < (1ull << 32); base += span) {
        if (!(paging_query_pde((uint32_t)base) & PTE_P))
            continue;
        for (uint64_t va = base; va < base + span; va += PGSIZE) {
            pte_t pte = paging_query((uint32_t)va);
            if (!(pte & PTE_P))
                continue;
            kprintf("qmpcheck tlb %016llx: %016llx %c%c%c%c%c%c%c%c%c\n", va, pte & ~0xFFFull,
                    (pte & PTE_NX) ? 'X' : '-', (pte & PTE_G) ? 'G' : '-', '-',
                    (pte & PTE_D) ? 'D' : '-', (pte & PTE_A) ? 'A' : '-',
                    (pte & PTE_PCD) ? 'C' : '-', (pte & PTE_PWT) ? 'T' : '-',
                    (pte & PTE_U) ? 'U' : '-', (pte & PTE_W) ? 'W' : '-');
        }
    }
}
