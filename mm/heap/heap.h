/* The heap engine: one source for the kernel heap, the user-mode Heap* API
 * and the host build (mm/heap/: layout and internals in heap_private.h,
 * platform in heap_os.h).  Flags are the Windows HEAP_* values.  Every call takes the
 * heap's lock unless HEAP_NO_SERIALIZE is given here or at creation.
 *
 * Failures return NULL / 0 and store an NTSTATUS in *status (only on
 * failure; status may be NULL), for the wrapper's last error:
 * STATUS_NO_MEMORY (alloc, realloc; also a realloc that cannot stay in
 * place; any shortage, the page provider's STATUS_COMMITMENT_LIMIT
 * included), STATUS_INVALID_PARAMETER (free/realloc of a pointer that is not
 * a live block of this heap: double free, foreign or interior pointer,
 * broken header -- nothing is changed), STATUS_HEAP_CORRUPTION (the
 * engine found its own structures damaged; with tail checking, free or
 * realloc of a block written past its end, which is left busy and
 * untouched), STATUS_NO_MORE_ENTRIES (end
 * of a walk).  heap_realloc(p = NULL) returns NULL with STATUS_SUCCESS.
 * Exceptions (heap_os_raise, after the lock is released): with
 * HEAP_GENERATE_EXCEPTIONS (per call or at creation) STATUS_NO_MEMORY for
 * a failed allocation and STATUS_ACCESS_VIOLATION for a bad pointer (spec
 * item 73); on heaps created with HEAP_X_TERMINATE_ON_CORRUPTION,
 * STATUS_HEAP_CORRUPTION for a bad pointer or damage.  Tail checking and
 * free fill: HEAP_TAIL_CHECKING_ENABLED / HEAP_FREE_CHECKING_ENABLED at
 * creation (or HEAP_DEFAULT_CHECKING, heap_os_default_checking()). */
#ifndef MM_HEAP_H
#define MM_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct heap;                                  /* handle = base of its first region */

struct heap_stats {
    size_t reserved, committed, peak_committed; /* bytes of address space / pages */
    size_t in_use;                            /* sum of requested sizes of live blocks */
    size_t busy_blocks, free_blocks, quick_blocks, large_blocks, segments;
    size_t free_bytes, quick_bytes;           /* free block bytes (headers incl.) */
    size_t lfh_blocks, lfh_free_blocks;       /* front-end blocks busy (in busy_blocks) / free */
    size_t subsegments;                       /* the front end's 64 KiB runs */
};

/* Layout of PROCESS_HEAP_ENTRY with native pointer sizes (HeapWalk). */
struct heap_walk_entry {
    void *data;
    uint32_t size;
    uint8_t overhead, region_index;
    uint16_t flags;                           /* PROCESS_HEAP_* */
    union {
        struct { void *mem; uint32_t reserved[3]; } block;
        struct { uint32_t committed, uncommitted; void *first, *last; } region;
    } u;
};

/* Creation options beyond the Windows ones (bits Windows leaves unused). */
#define HEAP_X_TERMINATE_ON_CORRUPTION 0x10000000u /* corruption raises STATUS_HEAP_CORRUPTION */
/* Build-time default for tail checking + free fill on every heap. */
#ifndef HEAP_DEFAULT_CHECKING
#define HEAP_DEFAULT_CHECKING 0
#endif

/* The two calls with fast paths take their first three arguments in
 * registers on i386 (as x86-64 passes them anyway): a cdecl call there
 * would store and load them again, a tenth of the path. */
#if defined(__i386__)
#define HEAP_FASTCALL __attribute__((regparm(3)))
#else
#define HEAP_FASTCALL
#endif

struct heap *heap_create(uint32_t options, size_t initial, size_t maximum, int32_t *status);
void heap_destroy(struct heap *h);            /* returns every page, large blocks included */
HEAP_FASTCALL void *heap_alloc(struct heap *h, uint32_t flags, size_t size, int32_t *status);
void *heap_realloc(struct heap *h, uint32_t flags, void *p, size_t size, int32_t *status);
HEAP_FASTCALL int heap_free(struct heap *h, uint32_t flags, void *p, int32_t *status); /* 1 ok, 0 bad */
size_t heap_size(struct heap *h, uint32_t flags, const void *p); /* (size_t)-1: not live */
int heap_validate(struct heap *h, uint32_t flags, const void *p); /* p NULL: whole heap */
int heap_walk(struct heap *h, struct heap_walk_entry *e, int32_t *status);
void heap_lock(struct heap *h);               /* recursive; also on NO_SERIALIZE heaps */
void heap_unlock(struct heap *h);
size_t heap_compact(struct heap *h, uint32_t flags); /* drains, trims; largest committed free run */
void heap_get_stats(struct heap *h, struct heap_stats *s); /* walks the heap: O(blocks) */
/* For the platform (heap_os.h): the thread of `slot` has ended; give the
 * blocks its cache of h holds back to the heap, so they neither wait for
 * the slot's next thread nor count as taken. */
void heap_flush_thread_cache(struct heap *h, int slot);

/* HeapQueryInformation / HeapSetInformation.  HeapCompatibilityInformation:
 * 0 a standard heap, 2 the low-fragmentation front end (growable,
 * serialized heaps have it from HeapCreate; HEAP_NO_SERIALIZE and
 * fixed-size heaps cannot).  heap_set_front_end: 0 when h has `mode`
 * already, STATUS_UNSUCCESSFUL when it cannot (turning the front end on
 * where it cannot be, or off), STATUS_INVALID_PARAMETER for another value.
 * heap_set_terminate_on_corruption: HeapEnableTerminationOnCorruption for
 * one heap (the API layer applies it to every heap, for good). */
uint32_t heap_front_end(struct heap *h);
int32_t heap_set_front_end(struct heap *h, uint32_t mode);
void heap_set_terminate_on_corruption(struct heap *h);
int heap_check(struct heap *h);               /* number of broken invariants (0: healthy) */

/* The 8-byte header in front of a live block, decoded (the console's demo
 * shows one).  Returns 1 and fills *out when p is a busy block of h's
 * segments or of its low-fragmentation front end; 0, *out untouched, for
 * anything else (large blocks too). */
struct heap_block_info {
    uintptr_t header;                         /* its address: p - 8 */
    uint32_t w0, w1;                          /* the two raw words */
    size_t block_bytes;                       /* the whole block, header included */
    size_t unused_bytes;                      /* payload past the requested size */
    size_t prev_bytes;                        /* back end: the block before it (0: first) */
    uint8_t check;                            /* back end: the header's check byte */
    uint8_t front_end;                        /* 1: a front-end block (w1 = w0 ^ key) */
    uint8_t size_class;                       /* front end: its class */
    uintptr_t subsegment;                     /* front end: its subsegment (64 KiB aligned) */
};
int heap_block_info(struct heap *h, uint32_t flags, const void *p, struct heap_block_info *out);

#endif
