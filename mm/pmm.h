/* Physical memory: page frames from the multiboot memory map.
 * Frames are named by their physical address (always page aligned), 64
 * bits wide: with PAE paging RAM above 4 GiB is used too.  Two zones:
 * frames below 4 GiB ("low": what 32-bit paging, CR3 and the boot window
 * can reach) and above ("high"). */
#ifndef MM_PMM_H
#define MM_PMM_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t paddr_t;

#define PAGE_SIZE 4096u
#define PAGE_SHIFT 12
#define PMM_MAX_ORDER 10            /* largest run: 2^10 frames = 4 MiB */
#define PMM_NONE ((paddr_t)0)       /* frame 0 is never handed out (below 1 MiB) */

/* A physical range [base, end) for pmm_init. */
struct pmm_range {
    uint64_t base, end;
    const char *what;
};

#define PMM_4G (1ull << 32)
#define PMM_LIMIT_MAX (1ull << 44)  /* frame numbers stay 32 bits */

struct pmm_stats {
    uint32_t total;                 /* frames of available RAM below the limit */
    uint32_t free;
    uint32_t reserved;              /* available frames never handed out (kernel, boot data, < 1 MiB, metadata) */
    uint32_t total_high;            /* ... of total: frames at or above 4 GiB */
    uint32_t free_high;             /* ... of free: frames at or above 4 GiB */
    uint64_t limit;                 /* physical address limit pmm_init was given */
    uint64_t clipped_bytes;         /* available RAM at or above the limit, ignored */
};

/* Takes ownership of the available ranges below `limit` (4 GiB for
 * 32-bit paging, 2^MAXPHYADDR for PAE; at most PMM_LIMIT_MAX) less the
 * busy ones (kernel image, multiboot data, modules).  Everything below
 * 1 MiB is reserved too.  Its own metadata (12 bytes a frame) is carved
 * from available RAM in the boot window (mm/memlayout.h BOOT_WINDOW_END)
 * and reported by pmm_metadata_range.  Panics if the map leaves no room
 * for the metadata. */
void pmm_init(const struct pmm_range *available, int available_count,
              const struct pmm_range *busy, int busy_count, uint64_t limit);

/* One frame, or PMM_NONE when memory is exhausted.  O(1).  Frames above
 * 4 GiB are handed out first: they suit everything reached through page
 * tables, and the low ones are kept for what needs them. */
paddr_t pmm_alloc(void);
/* 2^order contiguous frames aligned to their size, or PMM_NONE. */
paddr_t pmm_alloc_order(unsigned order);
/* One frame below 4 GiB (for what 32-bit addresses must reach: a table
 * written through the boot page tables, a PAE PDPT), or PMM_NONE. */
paddr_t pmm_alloc_low(void);
/* Gives back a frame / a run.  ASSERTs (panics with the address) on a
 * double free, a reserved or out-of-range frame, a misaligned address, or
 * an order different from the allocation's. */
void pmm_free(paddr_t frame);
void pmm_free_order(paddr_t frame, unsigned order);

void pmm_get_stats(struct pmm_stats *out);
uint32_t pmm_free_count(void);
/* Free frames below 4 GiB (what pmm_alloc_low can still hand out). */
uint32_t pmm_free_low_count(void);
/* True for a frame pmm_init kept back (or one outside managed RAM). */
bool pmm_is_reserved(paddr_t frame);
/* Physical range holding the allocator's own metadata (mapped by paging). */
void pmm_metadata_range(paddr_t *start, paddr_t *end);
void pmm_print_report(void);

/* Enables poisoning of freed frames (debug builds): map gives a temporary
 * kernel pointer to a frame, unmap drops it.  Set by mm/paging once the
 * temporary-mapping window exists; until then frees are not poisoned. */
void pmm_set_frame_access(void *(*map)(paddr_t frame), void (*unmap)(void *va));

#endif
