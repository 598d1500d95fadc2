/* The kernel pool: caches of fixed-size kernel objects (VADs, address
 * spaces) on frames mapped in the pool window, outside mm/vm.  It sits
 * below the VM layer on purpose: the VM layer needs a node to record a
 * reservation, so its nodes cannot come from reserved memory (NT keeps
 * its VADs in nonpaged pool for the same reason). */
#ifndef MM_KPOOL_H
#define MM_KPOOL_H

#include <stddef.h>
#include <stdint.h>

struct kpool_page;

struct kcache {
    const char *name;
    size_t object_size;
    struct kpool_page *partial;     /* pages with a free object */
    uint32_t pages;                 /* pages held */
    uint32_t objects;               /* objects in use */
};

#define KCACHE_INIT(n, size) { n, size, NULL, 0, 0 }

/* A zeroed object, or NULL when no frame is left. */
void *kcache_alloc(struct kcache *c);
/* The same, not zeroed: for a caller that sets every field itself (a
 * compound-literal assignment does, and keeps doing so when a field is
 * added), which is cheaper than clearing first. */
void *kcache_alloc_raw(struct kcache *c);
/* Gives back an object; a page whose last object goes is unmapped and
 * its frame freed. */
void kcache_free(struct kcache *c, void *obj);
/* Frames held by every cache together. */
uint32_t kpool_pages(void);

#endif
