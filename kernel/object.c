/* Object references and per-process handle tables (kernel/object.h).
 *
 * A handle table is an array of object pointers indexed by handle / 4;
 * slot 0 is never used, so 0 is never a handle.  Free slots are chained
 * through the array itself (the entry holds the next free index, tagged
 * with bit 0, which no object pointer has), so insert and close are O(1)
 * and a closed handle value is reused first, as in NT.  The array doubles
 * when full; the new array is allocated with the table unlocked. */
#include "kernel/object.h"
#include "kernel/base/lock.h"
#include "kernel/base/panic.h"
#include "mm/kheap.h"
#include <string.h>

#define HANDLE_INITIAL 32           /* slots in a new table */
#define HANDLE_MAX 0x10000          /* slots at most: 65535 handles */
#define FREE_TAG 1u                 /* entry = (next free index << 1) | FREE_TAG */
#define HANDLE_TAG_BITS 3u          /* the application's bits (OBJ_HANDLE_TAGBITS) */

struct handle_table {
    struct spinlock lock;
    uintptr_t *slots;               /* object pointer, or a free-chain link */
    uint32_t *access;               /* the access each open handle grants (issue 15) */
    uint32_t capacity;
    uint32_t free_head;             /* first free index, 0 = none */
    uint32_t open;
};

static uint32_t objects_live;

void object_init(struct object *o, const struct object_type *type, enum object_kind kind,
                 int32_t signal_state)
{
    ASSERT(type != NULL && type->destroy != NULL);
    o->type = type;
    o->kind = kind;
    o->refs = 1;
    o->signal_state = signal_state;
    o->waiters = NULL;
    __atomic_add_fetch(&objects_live, 1, __ATOMIC_RELAXED);
}

void object_ref(struct object *o)
{
    uint32_t was = __atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED);
    ASSERTF(was > 0 && was < 0x7FFFFFFF, "object %p (%s) referenced with %u references",
            (void *)o, o->type->name, was);
}

void object_deref(struct object *o)
{
    uint32_t was = __atomic_fetch_sub(&o->refs, 1, __ATOMIC_ACQ_REL);
    ASSERTF(was > 0, "object %p (%s) dereferenced below zero", (void *)o, o->type->name);
    if (was != 1)
        return;
    ASSERTF(o->waiters == NULL, "object %p (%s) destroyed with waiters", (void *)o, o->type->name);
    __atomic_sub_fetch(&objects_live, 1, __ATOMIC_RELAXED);
    o->type->destroy(o);
}

uint32_t object_live_count(void)
{
    return objects_live;
}

/* ---- handle tables ---------------------------------------------------------- */

static bool slot_free(uintptr_t e)
{
    return (e & FREE_TAG) != 0;
}

/* Chains slots [from, to) onto the free list, lowest index first. */
static void chain_free(struct handle_table *t, uint32_t from, uint32_t to)
{
    for (uint32_t i = to; i-- > from;) {
        t->slots[i] = ((uintptr_t)t->free_head << 1) | FREE_TAG;
        t->free_head = i;
    }
}

struct handle_table *handle_table_create(void)
{
    struct handle_table *t = kzalloc(sizeof(*t));
    if (t == NULL)
        return NULL;
    t->slots = kmalloc(HANDLE_INITIAL * sizeof(uintptr_t));
    t->access = kmalloc(HANDLE_INITIAL * sizeof(uint32_t));
    if (t->slots == NULL || t->access == NULL) {
        kfree(t->slots);
        kfree(t->access);
        kfree(t);
        return NULL;
    }
    t->lock = (struct spinlock)SPINLOCK_INIT("handle table");
    t->capacity = HANDLE_INITIAL;
    t->slots[0] = 0;                /* index 0 is never handed out */
    chain_free(t, 1, HANDLE_INITIAL);
    return t;
}

void handle_table_destroy(struct handle_table *t)
{
    for (uint32_t i = 1; i < t->capacity; i++) {
        uintptr_t e = t->slots[i];
        if (e != 0 && !slot_free(e)) {
            t->slots[i] = FREE_TAG;
            t->open--;
            object_deref((struct object *)e);
        }
    }
    ASSERTF(t->open == 0, "handle table %p: %u handles left after closing all", (void *)t, t->open);
    kfree(t->slots);
    kfree(t->access);
    kfree(t);
}

/* Doubles the table; false when it is at its maximum or memory is out. */
static bool table_grow(struct handle_table *t)
{
    uint32_t old = t->capacity;
    if (old >= HANDLE_MAX)
        return false;
    uintptr_t *bigger = kmalloc(2 * old * sizeof(uintptr_t));
    uint32_t *bigger_access = kmalloc(2 * old * sizeof(uint32_t));
    if (bigger == NULL || bigger_access == NULL) {
        kfree(bigger);
        kfree(bigger_access);
        return false;
    }
    uint32_t flags = spin_lock(&t->lock);
    if (t->capacity != old || t->free_head != 0) {
        spin_unlock(&t->lock, flags);       /* someone else made room meanwhile */
        kfree(bigger);
        kfree(bigger_access);
        return true;
    }
    memcpy(bigger, t->slots, old * sizeof(uintptr_t));
    memcpy(bigger_access, t->access, old * sizeof(uint32_t));
    uintptr_t *was = t->slots;
    uint32_t *was_access = t->access;
    t->slots = bigger;
    t->access = bigger_access;
    t->capacity = 2 * old;
    chain_free(t, old, 2 * old);
    spin_unlock(&t->lock, flags);
    kfree(was);
    kfree(was_access);
    return true;
}

NTSTATUS handle_insert(struct handle_table *t, struct object *o, uint32_t *handle)
{
    return handle_insert_access(t, o, HANDLE_ACCESS_ALL, handle);
}

NTSTATUS handle_insert_access(struct handle_table *t, struct object *o, uint32_t access,
                              uint32_t *handle)
{
    for (;;) {
        uint32_t flags = spin_lock(&t->lock);
        uint32_t i = t->free_head;
        if (i != 0) {
            ASSERTF(i < t->capacity && slot_free(t->slots[i]), "handle table %p: bad free slot %u",
                    (void *)t, i);
            t->free_head = (uint32_t)(t->slots[i] >> 1);
            object_ref(o);
            t->slots[i] = (uintptr_t)o;
            t->access[i] = access;
            t->open++;
            spin_unlock(&t->lock, flags);
            *handle = i * 4;
            return STATUS_SUCCESS;
        }
        spin_unlock(&t->lock, flags);
        if (!table_grow(t))
            return STATUS_INSUFFICIENT_RESOURCES;
    }
}

/* The slot of a handle value, or 0 when it cannot be one. */
static uint32_t handle_index(const struct handle_table *t, uint32_t handle)
{
    uint32_t i = (handle & ~HANDLE_TAG_BITS) / 4;
    return i < t->capacity ? i : 0;
}

NTSTATUS handle_reference(struct handle_table *t, uint32_t handle, const struct object_type *type,
                          struct object **out)
{
    return handle_reference_access(t, handle, type, 0, out, NULL);
}

NTSTATUS handle_reference_access(struct handle_table *t, uint32_t handle,
                                 const struct object_type *type, uint32_t desired,
                                 struct object **out, uint32_t *granted)
{
    uint32_t flags = spin_lock(&t->lock);
    uint32_t i = handle_index(t, handle);
    uintptr_t e = i != 0 ? t->slots[i] : 0;

    if (e == 0 || slot_free(e)) {
        spin_unlock(&t->lock, flags);
        return STATUS_INVALID_HANDLE;
    }
    struct object *o = (struct object *)e;
    if (type != NULL && o->type != type) {
        spin_unlock(&t->lock, flags);
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    if ((t->access[i] & desired) != desired) {
        spin_unlock(&t->lock, flags);
        return STATUS_ACCESS_DENIED;
    }
    if (granted != NULL)
        *granted = t->access[i];
    object_ref(o);
    spin_unlock(&t->lock, flags);
    *out = o;
    return STATUS_SUCCESS;
}

NTSTATUS handle_close(struct handle_table *t, uint32_t handle)
{
    uint32_t flags = spin_lock(&t->lock);
    uint32_t i = handle_index(t, handle);
    uintptr_t e = i != 0 ? t->slots[i] : 0;

    if (e == 0 || slot_free(e)) {
        spin_unlock(&t->lock, flags);
        return STATUS_INVALID_HANDLE;
    }
    t->slots[i] = ((uintptr_t)t->free_head << 1) | FREE_TAG;
    t->free_head = i;
    t->open--;
    spin_unlock(&t->lock, flags);
    object_deref((struct object *)e);       /* outside the lock: it may free */
    return STATUS_SUCCESS;
}

uint32_t handle_count(const struct handle_table *t)
{
    return t->open;
}
