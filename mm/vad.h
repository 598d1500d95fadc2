/* The VAD tree (NT's virtual address descriptors): the reservations of
 * one address space in an AVL tree keyed by base address.  Each node also
 * knows the free gap below it and the largest gap in its subtree, so that
 * a free range of a given size is found in O(log n), bottom-up or
 * top-down.  Gaps are measured from the 64 KiB boundary above the
 * previous reservation's end: the rest of its last granule can never be
 * reserved (spec item 4). */
#ifndef MM_VAD_H
#define MM_VAD_H

#include <stdbool.h>
#include <stdint.h>

struct vad {
    struct vad *left, *right, *parent;
    int height;
    uint32_t start, end;            /* [start, end): start 64 KiB aligned, end page aligned */
    uint32_t alloc_protect;         /* flProtect of the reserving call */
    uint32_t flags;                 /* VAD_WRITE_WATCH */
    uint32_t committed;             /* committed pages (commit charge held) */
    uint32_t gap_before;            /* free bytes from the previous granule boundary to start */
    uint32_t max_gap;               /* largest gap_before in this subtree */
};

#define VAD_WRITE_WATCH 0x1u         /* reserved with MEM_WRITE_WATCH */

struct vad_tree {
    struct vad *root;
    struct vad *last;               /* the highest reservation (the tail gap is above it) */
    uint32_t count;
    uint32_t min, max;              /* reservations live in [min, max) */
};

void vad_tree_init(struct vad_tree *t, uint32_t min, uint32_t max);
/* The reservation containing addr, or NULL. */
struct vad *vad_find(const struct vad_tree *t, uint32_t addr);
/* The first reservation starting at or above addr, or NULL. */
struct vad *vad_next_at_or_above(const struct vad_tree *t, uint32_t addr);
/* True if [start, end) overlaps a reservation or the unusable tail of
 * one's last granule. */
bool vad_conflicts(const struct vad_tree *t, uint32_t start, uint32_t end);
/* Finds a 64 KiB aligned free range of size bytes; returns its start or 0,
 * and in *next the reservation that will follow it (NULL: none), for
 * vad_insert_before. */
uint32_t vad_find_free(const struct vad_tree *t, uint32_t size, bool top_down, struct vad **next);
/* Inserts v (start/end set, not overlapping anything). */
void vad_insert(struct vad_tree *t, struct vad *v);
/* The same, where the caller knows the reservation that follows v (from
 * vad_find_free, with no change in between): no search from the root. */
void vad_insert_before(struct vad_tree *t, struct vad *v, struct vad *next);
void vad_remove(struct vad_tree *t, struct vad *v);
/* Taking the whole tree apart (an address space's teardown): returns a
 * leaf and unlinks it, searching from `from` (the previous leaf's parent,
 * or NULL at first), so n nodes come out in O(n) with no rebalancing.
 * The tree is no search tree until it is empty; NULL when it is. */
struct vad *vad_take_leaf(struct vad_tree *t, struct vad *from);
/* In-order neighbours. */
struct vad *vad_first(const struct vad_tree *t);
struct vad *vad_successor(const struct vad *v);
/* Counts broken invariants (order, balance, heights, parents, gaps), printing each. */
int vad_validate(const struct vad_tree *t);

#endif
