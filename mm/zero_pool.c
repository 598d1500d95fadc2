/* The pool of pre-zeroed frames (mm/zero_pool.h). */
#include "mm/zero_pool.h"
#include "mm/paging.h"
#include "kernel/base/lock.h"

#define ZERO_POOL_TARGET 32

static paddr_t zero_pool[ZERO_POOL_TARGET];
static uint32_t zero_pool_count;
static struct spinlock zero_pool_lock = SPINLOCK_INIT("zero pool");

void vm_zero_pool_refill(void)
{
    for (;;) {
        uint32_t flags = spin_lock(&zero_pool_lock);
        bool full = zero_pool_count >= ZERO_POOL_TARGET;
        spin_unlock(&zero_pool_lock, flags);
        if (full)
            return;
        paddr_t f = pmm_alloc();
        if (f == PMM_NONE)
            return;
        paging_zero_frame(f);
        flags = spin_lock(&zero_pool_lock);
        if (zero_pool_count < ZERO_POOL_TARGET) {
            zero_pool[zero_pool_count++] = f;
            f = PMM_NONE;
        }
        spin_unlock(&zero_pool_lock, flags);
        if (f != PMM_NONE)
            pmm_free(f);
    }
}

void vm_zero_pool_drain(void)
{
    for (;;) {
        uint32_t flags = spin_lock(&zero_pool_lock);
        paddr_t f = zero_pool_count > 0 ? zero_pool[--zero_pool_count] : PMM_NONE;
        spin_unlock(&zero_pool_lock, flags);
        if (f == PMM_NONE)
            return;
        pmm_free(f);
    }
}

uint32_t vm_pool_frames(void)
{
    return zero_pool_count;
}

paddr_t vm_zero_pool_take(void)
{
    uint32_t flags = spin_lock(&zero_pool_lock);
    paddr_t f = zero_pool_count > 0 ? zero_pool[--zero_pool_count] : PMM_NONE;
    spin_unlock(&zero_pool_lock, flags);
    if (f == PMM_NONE) {
        f = pmm_alloc();
        if (f != PMM_NONE)
            paging_zero_frame(f);
    }
    return f;
}
