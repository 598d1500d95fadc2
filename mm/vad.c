/* AVL tree of reservations, augmented with free gaps (see mm/vad.h). */
#include "mm/vad.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/panic.h"
#include <stddef.h>

#define GRANULE 0x10000u

static uint32_t granule_up(uint32_t a)
{
    return (a + GRANULE - 1) & ~(GRANULE - 1);
}

static uint32_t granule_down(uint32_t a)
{
    return a & ~(GRANULE - 1);
}

/* Free bytes between a reservation ending at prev_end (or the tree's
 * minimum) and one starting at start. */
static uint32_t gap_between(uint32_t prev_end, uint32_t start)
{
    uint32_t from = granule_up(prev_end);
    return start > from ? start - from : 0;
}

static int height(const struct vad *v)
{
    return v ? v->height : 0;
}

static uint32_t max_gap(const struct vad *v)
{
    return v ? v->max_gap : 0;
}

static uint32_t max3(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t m = a > b ? a : b;
    return m > c ? m : c;
}

/* In line: the rotations refresh two or three nodes each, and a call cost
 * more than the body. */
static inline __attribute__((always_inline)) void update(struct vad *v)
{
    int hl = height(v->left), hr = height(v->right);
    v->height = 1 + (hl > hr ? hl : hr);
    v->max_gap = max3(v->gap_before, max_gap(v->left), max_gap(v->right));
}

void vad_tree_init(struct vad_tree *t, uint32_t min, uint32_t max)
{
    t->root = NULL;
    t->last = NULL;
    t->count = 0;
    t->min = min;
    t->max = max;
}

struct vad *vad_find(const struct vad_tree *t, uint32_t addr)
{
    struct vad *v = t->root;

    while (v != NULL) {
        if (addr < v->start)
            v = v->left;
        else if (addr >= v->end)
            v = v->right;
        else
            return v;
    }
    return NULL;
}

struct vad *vad_next_at_or_above(const struct vad_tree *t, uint32_t addr)
{
    struct vad *v = t->root, *best = NULL;

    while (v != NULL) {
        if (v->start >= addr) {
            best = v;
            v = v->left;
        } else {
            v = v->right;
        }
    }
    return best;
}

/* The last reservation starting below addr, or NULL. */
static struct vad *last_below(const struct vad_tree *t, uint32_t addr)
{
    struct vad *v = t->root, *best = NULL;

    while (v != NULL) {
        if (v->start < addr) {
            best = v;
            v = v->right;
        } else {
            v = v->left;
        }
    }
    return best;
}

bool vad_conflicts(const struct vad_tree *t, uint32_t start, uint32_t end)
{
    /* Reservations don't overlap, so only the last one starting below
     * `end` can reach into [start, end). */
    struct vad *v = last_below(t, end);
    return v != NULL && granule_up(v->end) > start;
}

struct vad *vad_first(const struct vad_tree *t)
{
    struct vad *v = t->root;
    while (v != NULL && v->left != NULL)
        v = v->left;
    return v;
}

struct vad *vad_successor(const struct vad *v)
{
    if (v->right != NULL) {
        v = v->right;
        while (v->left != NULL)
            v = v->left;
        return (struct vad *)v;
    }
    while (v->parent != NULL && v == v->parent->right)
        v = v->parent;
    return v->parent;
}

static struct vad *predecessor(const struct vad *v)
{
    if (v->left != NULL) {
        v = v->left;
        while (v->right != NULL)
            v = v->right;
        return (struct vad *)v;
    }
    while (v->parent != NULL && v == v->parent->left)
        v = v->parent;
    return v->parent;
}


/* ---- free range search ------------------------------------------------- */

static struct vad *lowest_fit(struct vad *v, uint32_t size)
{
    if (v == NULL || v->max_gap < size)
        return NULL;
    /* Invariant: v's subtree holds a gap of size. */
    for (;;) {
        struct vad *l = v->left;
        if (l != NULL && l->max_gap >= size)
            v = l;
        else if (v->gap_before >= size)
            return v;
        else
            v = v->right;       /* the gap is there: right->max_gap >= size */
    }
}

static struct vad *highest_fit(struct vad *v, uint32_t size)
{
    if (v == NULL || v->max_gap < size)
        return NULL;
    for (;;) {
        struct vad *r = v->right;
        if (r != NULL && r->max_gap >= size)
            v = r;
        else if (v->gap_before >= size)
            return v;
        else
            v = v->left;        /* the gap is there: left->max_gap >= size */
    }
}

uint32_t vad_find_free(const struct vad_tree *t, uint32_t size, bool top_down, struct vad **next)
{
    struct vad *tail = t->last;
    uint32_t tail_gap = gap_between(tail ? tail->end : t->min, t->max);

    *next = NULL;
    if (size == 0)
        return 0;
    if (top_down) {
        if (tail_gap >= size)
            return granule_down(t->max - size);
        struct vad *v = highest_fit(t->root, size);
        *next = v;
        return v ? granule_down(v->start - size) : 0;
    }
    struct vad *v = lowest_fit(t->root, size);
    if (v != NULL) {
        *next = v;
        return v->start - v->gap_before;
    }
    return tail_gap >= size ? granule_up(tail ? tail->end : t->min) : 0;
}

/* ---- AVL insert / remove ----------------------------------------------- */

static void replace_child(struct vad_tree *t, struct vad *parent, struct vad *old, struct vad *new)
{
    if (parent == NULL)
        t->root = new;
    else if (parent->left == old)
        parent->left = new;
    else
        parent->right = new;
    if (new != NULL)
        new->parent = parent;
}

static struct vad *rotate_left(struct vad_tree *t, struct vad *x)
{
    struct vad *y = x->right;
    replace_child(t, x->parent, x, y);
    x->right = y->left;
    if (x->right != NULL)
        x->right->parent = x;
    y->left = x;
    x->parent = y;
    update(x);
    update(y);
    return y;
}

static struct vad *rotate_right(struct vad_tree *t, struct vad *x)
{
    struct vad *y = x->left;
    replace_child(t, x->parent, x, y);
    x->left = y->right;
    if (x->left != NULL)
        x->left->parent = x;
    y->right = x;
    x->parent = y;
    update(x);
    update(y);
    return y;
}

/* The double rotations in one step: the inner grandchild y rises over
 * its parent and v, three links each way, each node refreshed once
 * (two single rotations refresh y twice and relink v's parent twice). */
static struct vad *rotate_left_right(struct vad_tree *t, struct vad *v)
{
    struct vad *l = v->left, *y = l->right;
    replace_child(t, v->parent, v, y);
    l->right = y->left;
    if (l->right != NULL)
        l->right->parent = l;
    v->left = y->right;
    if (v->left != NULL)
        v->left->parent = v;
    y->left = l;
    l->parent = y;
    y->right = v;
    v->parent = y;
    update(l);
    update(v);
    update(y);
    return y;
}

static struct vad *rotate_right_left(struct vad_tree *t, struct vad *v)
{
    struct vad *r = v->right, *y = r->left;
    replace_child(t, v->parent, v, y);
    r->left = y->right;
    if (r->left != NULL)
        r->left->parent = r;
    v->right = y->left;
    if (v->right != NULL)
        v->right->parent = v;
    y->right = r;
    r->parent = y;
    y->left = v;
    v->parent = y;
    update(r);
    update(v);
    update(y);
    return y;
}

static struct vad *rebalance(struct vad_tree *t, struct vad *v)
{
    int hl = height(v->left), hr = height(v->right);
    v->height = 1 + (hl > hr ? hl : hr);
    v->max_gap = max3(v->gap_before, max_gap(v->left), max_gap(v->right));
    if (hl - hr > 1) {
        if (height(v->left->left) < height(v->left->right))
            return rotate_left_right(t, v);
        return rotate_right(t, v);
    }
    if (hr - hl > 1) {
        if (height(v->right->right) < height(v->right->left))
            return rotate_right_left(t, v);
        return rotate_left(t, v);
    }
    return v;
}

/* Restores balance and the augmented fields from v up to the root.  Above
 * `settled_below` (or at once when it is NULL), the walk stops at the
 * first node that keeps its place, height and max_gap: nothing above it
 * can change, so the cost is O(1) amortised for most changes instead of
 * the tree's height (this is what keeps a reservation as cheap with
 * 30,000 live ones as with 10).  Nodes up to settled_below are always
 * refreshed: a removal that moved a node there leaves its fields stale
 * whatever its subtree did. */
static void fix_upwards(struct vad_tree *t, struct vad *v, const struct vad *settled_below)
{
    bool may_stop = settled_below == NULL;

    while (v != NULL) {
        int hl = height(v->left), hr = height(v->right);
        if (hl - hr > 1 || hr - hl > 1) {
            struct vad *top = rebalance(t, v);      /* rotates: top took v's place */
            if (top == settled_below)
                may_stop = true;
            v = top->parent;
            continue;
        }
        /* Balanced (the common case): rebalance's field refresh, in place,
         * compared with the old values before they are overwritten. */
        int h = 1 + (hl > hr ? hl : hr);
        uint32_t g = max3(v->gap_before, max_gap(v->left), max_gap(v->right));
        if (may_stop && h == v->height && g == v->max_gap)
            return;
        v->height = h;
        v->max_gap = g;
        if (v == settled_below)
            may_stop = true;
        v = v->parent;
    }
}

/* A node's gap changed but the tree's shape did not: only the max_gap
 * fields on its path to the root can change, and the walk stops at the
 * first one that does not. */
static void set_gap(struct vad *v, uint32_t gap)
{
    v->gap_before = gap;
    for (; v != NULL; v = v->parent) {
        uint32_t m = v->gap_before, l = max_gap(v->left), r = max_gap(v->right);
        if (l > m)
            m = l;
        if (r > m)
            m = r;
        if (m == v->max_gap)
            break;
        v->max_gap = m;
    }
}

/* Links v in at `link` under `parent`, then restores balance, the gaps
 * and the tree's last node.  gap_before is v's own gap, next the node after
 * it (NULL: v is the new last). */
static void link_in(struct vad_tree *t, struct vad *v, struct vad *parent, struct vad **link,
                    uint32_t gap_before, struct vad *next)
{
    v->left = v->right = NULL;
    v->parent = parent;
    v->height = 1;
    v->gap_before = v->max_gap = gap_before;
    *link = v;
    t->count++;
    if (next == NULL)
        t->last = v;
    fix_upwards(t, v->parent, NULL);
    if (next != NULL)
        set_gap(next, gap_between(v->end, next->start));
}

static void check_new(const struct vad_tree *t, const struct vad *v)
{
    ASSERTF(v->start % GRANULE == 0 && v->start < v->end && v->start >= t->min && v->end <= t->max,
            "VAD %08x-%08x outside [%08x, %08x) or misaligned", v->start, v->end, t->min, t->max);
}

void vad_insert_before(struct vad_tree *t, struct vad *v, struct vad *next)
{
    check_new(t, v);
    if (next == NULL) {
        struct vad *prev = t->last;
        ASSERTF(prev == NULL || granule_up(prev->end) <= v->start,
                "VAD %08x-%08x placed over the last one, %08x-%08x", v->start, v->end,
                prev ? prev->start : 0, prev ? prev->end : 0);
        link_in(t, v, prev, prev ? &prev->right : &t->root,
                gap_between(prev ? prev->end : t->min, v->start), NULL);
        return;
    }
    /* The hole before `next` starts at next->start - next->gap_before. */
    uint32_t hole = next->start - next->gap_before;
    ASSERTF(v->start >= hole && v->end <= next->start, "VAD %08x-%08x outside the hole %08x-%08x",
            v->start, v->end, hole, next->start);
    struct vad *parent = next, **link = &next->left;
    if (next->left != NULL) {
        parent = next->left;            /* v follows next's predecessor there */
        while (parent->right != NULL)
            parent = parent->right;
        link = &parent->right;
    }
    link_in(t, v, parent, link, v->start - hole, next);
}

void vad_insert(struct vad_tree *t, struct vad *v)
{
    struct vad *parent = NULL, **link = &t->root;

    check_new(t, v);
    while (*link != NULL) {
        parent = *link;
        link = v->start < parent->start ? &parent->left : &parent->right;
    }
    /* Linked as a leaf, its in-order neighbours are found from there. */
    *link = v;
    v->parent = parent;
    v->left = v->right = NULL;
    struct vad *prev = predecessor(v), *next = vad_successor(v);
    link_in(t, v, parent, link, gap_between(prev ? prev->end : t->min, v->start), next);
}

void vad_remove(struct vad_tree *t, struct vad *v)
{
    struct vad *prev = predecessor(v), *next = vad_successor(v);
    struct vad *fix;

    if (v->left != NULL && v->right != NULL) {
        /* Swap in the successor (leftmost of the right subtree). */
        struct vad *s = next;
        fix = s->parent == v ? s : s->parent;
        replace_child(t, s->parent, s, s->right);
        replace_child(t, v->parent, v, s);
        s->left = v->left;
        s->left->parent = s;
        s->right = v->right;
        if (s->right != NULL)
            s->right->parent = s;
    } else {
        struct vad *child = v->left ? v->left : v->right;
        fix = v->parent;
        replace_child(t, v->parent, v, child);
    }
    t->count--;
    if (t->last == v)
        t->last = prev;
    /* With two children, the successor s took v's place: refresh every
     * node from its old parent up to s itself before stopping early. */
    fix_upwards(t, fix, v->left != NULL && v->right != NULL ? next : NULL);
    if (next != NULL)
        set_gap(next, gap_between(prev ? prev->end : t->min, next->start));
    v->left = v->right = v->parent = NULL;
}

struct vad *vad_take_leaf(struct vad_tree *t, struct vad *from)
{
    struct vad *v = from != NULL ? from : t->root;
    if (v == NULL)
        return NULL;
    for (;;) {
        if (v->left != NULL)
            v = v->left;
        else if (v->right != NULL)
            v = v->right;
        else
            break;
    }
    struct vad *p = v->parent;
    if (p == NULL)
        t->root = NULL;
    else if (p->left == v)
        p->left = NULL;
    else
        p->right = NULL;
    t->count--;
    t->last = NULL;                 /* the tree is being taken apart */
    return v;
}

/* ---- validation ---------------------------------------------------------- */

static int validate_node(const struct vad_tree *t, const struct vad *v, const struct vad *parent)
{
    int bad = 0;

    if (v == NULL)
        return 0;
    if (v->parent != parent) {
        kprintf("vad %08x: parent link broken\n", v->start);
        bad++;
    }
    int hl = height(v->left), hr = height(v->right);
    if (v->height != 1 + (hl > hr ? hl : hr) || hl - hr > 1 || hr - hl > 1) {
        kprintf("vad %08x: height %d, children %d/%d\n", v->start, v->height, hl, hr);
        bad++;
    }
    if ((v->left && v->left->start >= v->start) || (v->right && v->right->start <= v->start)) {
        kprintf("vad %08x: out of order\n", v->start);
        bad++;
    }
    const struct vad *prev = predecessor(v);
    if (v->gap_before != gap_between(prev ? prev->end : t->min, v->start) ||
        v->max_gap != max3(v->gap_before, max_gap(v->left), max_gap(v->right))) {
        kprintf("vad %08x: gap %x / max %x stale\n", v->start, v->gap_before, v->max_gap);
        bad++;
    }
    if (prev != NULL && granule_up(prev->end) > v->start) {
        kprintf("vad %08x overlaps the granule of %08x-%08x\n", v->start, prev->start, prev->end);
        bad++;
    }
    return bad + validate_node(t, v->left, v) + validate_node(t, v->right, v);
}

int vad_validate(const struct vad_tree *t)
{
    uint32_t n = 0;

    for (const struct vad *v = vad_first(t); v != NULL; v = vad_successor(v))
        n++;
    int bad = validate_node(t, t->root, NULL);
    const struct vad *tail = t->root;
    while (tail != NULL && tail->right != NULL)
        tail = tail->right;
    if (tail != t->last) {
        kprintf("vad tree: last is %08x, the rightmost node %08x\n",
                t->last ? t->last->start : 0, tail ? tail->start : 0);
        bad++;
    }
    if (n != t->count) {
        kprintf("vad tree: count %u, %u nodes reachable\n", t->count, n);
        bad++;
    }
    return bad;
}
