/* The VM layer's pool of pre-zeroed frames: filled when the CPU has
 * nothing better to do (the console's idle loop), taken by demand-zero
 * faults so that the fault does not clear the page itself. */
#ifndef MM_ZERO_POOL_H
#define MM_ZERO_POOL_H

#include <stdint.h>
#include "mm/pmm.h"

/* A zeroed frame: from the pool, else a fresh frame cleared now; PMM_NONE
 * when no frame is left. */
paddr_t vm_zero_pool_take(void);
/* Frames waiting in the pool (the frame allocator does not count them). */
uint32_t vm_pool_frames(void);
/* Fills the pool up to its target. */
void vm_zero_pool_refill(void);
/* Gives the pool's frames back to the frame allocator. */
void vm_zero_pool_drain(void);

#endif
