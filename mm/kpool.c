/* Each pool page holds a header and as many objects as fit; free objects
 * are chained through their first word.  A page is found from an object
 * by masking the address. */
#include "mm/kpool.h"
#include "mm/paging.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "kernel/base/lock.h"
#include "kernel/base/panic.h"
#include <string.h>

#define POOL_SLOTS ((POOL_END - POOL_BASE) / PGSIZE)
#define KPOOL_MAGIC 0x4B504F4Cu             /* "KPOL" */

struct kpool_page {
    uint32_t magic;
    struct kcache *cache;
    struct kpool_page *next, *prev;         /* in cache->partial */
    void *free;                             /* chain of free objects */
    uint32_t in_use;
    uint32_t capacity;
};

static uint32_t slot_bitmap[POOL_SLOTS / 32];
static uint32_t slot_hint;
static uint32_t pages_total;
static struct spinlock kpool_lock = SPINLOCK_INIT("kpool");

static uint32_t slot_take(void)
{
    for (uint32_t n = 0; n < POOL_SLOTS; n++) {
        uint32_t s = (slot_hint + n) % POOL_SLOTS;
        if (!(slot_bitmap[s / 32] & (1u << (s % 32)))) {
            slot_bitmap[s / 32] |= 1u << (s % 32);
            slot_hint = s + 1;
            return s;
        }
    }
    return POOL_SLOTS;
}

static void slot_give(uint32_t s)
{
    slot_bitmap[s / 32] &= ~(1u << (s % 32));
    if (s < slot_hint)
        slot_hint = s;
}

static void partial_push(struct kcache *c, struct kpool_page *p)
{
    p->prev = NULL;
    p->next = c->partial;
    if (c->partial != NULL)
        c->partial->prev = p;
    c->partial = p;
}

static void partial_remove(struct kcache *c, struct kpool_page *p)
{
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        c->partial = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    p->next = p->prev = NULL;
}

static struct kpool_page *page_create(struct kcache *c)
{
    uint32_t slot = slot_take();
    if (slot == POOL_SLOTS)
        return NULL;
    paddr_t frame = pmm_alloc();
    uint32_t va = POOL_BASE + slot * PGSIZE;
    if (frame == PMM_NONE || !paging_map(va, frame, PTE_W | paging_nx_bit())) {
        if (frame != PMM_NONE)
            pmm_free(frame);
        slot_give(slot);
        return NULL;
    }
    struct kpool_page *p = (struct kpool_page *)va;
    size_t first = (sizeof(*p) + 7) & ~(size_t)7;
    *p = (struct kpool_page){ .magic = KPOOL_MAGIC, .cache = c };
    p->capacity = (uint32_t)((PGSIZE - first) / c->object_size);
    for (uint32_t i = p->capacity; i-- > 0;) {
        void **obj = (void **)(va + first + i * c->object_size);
        *obj = p->free;
        p->free = obj;
    }
    c->pages++;
    pages_total++;
    partial_push(c, p);
    return p;
}

static void page_destroy(struct kcache *c, struct kpool_page *p)
{
    uint32_t va = (uint32_t)p;
    partial_remove(c, p);
    p->magic = 0;
    pmm_free(paging_unmap(va));
    slot_give((va - POOL_BASE) / PGSIZE);
    c->pages--;
    pages_total--;
}

void *kcache_alloc_raw(struct kcache *c)
{
    /* At least one object a page after the header.  The largest is an
     * address space: with PAE its page-table bookkeeping (a use count for
     * each of 1024 user page tables) is 2 KiB, so it takes a page of its
     * own; address spaces are few, VADs (the many) are 40 bytes. */
    ASSERTF(c->object_size >= sizeof(void *) &&
            c->object_size <= PGSIZE - ((sizeof(struct kpool_page) + 7) & ~(size_t)7),
            "cache %s: object size %zu", c->name, c->object_size);
    uint32_t flags = spin_lock(&kpool_lock);
    struct kpool_page *p = c->partial ? c->partial : page_create(c);
    void *obj = NULL;
    if (p != NULL) {
        obj = p->free;
        p->free = *(void **)obj;
        p->in_use++;
        c->objects++;
        if (p->free == NULL)
            partial_remove(c, p);
    }
    spin_unlock(&kpool_lock, flags);
    return obj;
}

void *kcache_alloc(struct kcache *c)
{
    void *obj = kcache_alloc_raw(c);

    if (obj != NULL)
        memset(obj, 0, c->object_size);
    return obj;
}

void kcache_free(struct kcache *c, void *obj)
{
    struct kpool_page *p = (struct kpool_page *)PGROUNDDOWN(obj);

    ASSERTF((uint32_t)obj >= POOL_BASE && (uint32_t)obj < POOL_END && p->magic == KPOOL_MAGIC &&
            p->cache == c, "kcache_free(%s, %p): not an object of this cache", c->name, obj);
    uint32_t flags = spin_lock(&kpool_lock);
    ASSERTF(p->in_use > 0, "kcache_free(%s, %p): page has no object in use", c->name, obj);
    bool was_full = p->free == NULL;
    *(void **)obj = p->free;
    p->free = obj;
    p->in_use--;
    c->objects--;
    if (was_full)
        partial_push(c, p);
    if (p->in_use == 0)
        page_destroy(c, p);
    spin_unlock(&kpool_lock, flags);
}

uint32_t kpool_pages(void)
{
    return pages_total;
}
