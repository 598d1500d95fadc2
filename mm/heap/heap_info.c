/* HeapQueryInformation / HeapSetInformation, the engine's side: the
 * front end a heap has (HeapCompatibilityInformation) and the
 * terminate-on-corruption option (HeapEnableTerminationOnCorruption).
 * The API layers (libc/user/heapapi.c, tests/host/heapapi_host.c) check
 * buffers, map results to last errors and apply the process-wide option
 * to every heap. */
#include "heap_private.h"

/* HeapCompatibilityInformation (heap.h): 2 when the heap has the
 * low-fragmentation front end (growable, serialized heaps: on from
 * HeapCreate, as on Windows Vista and later), 0 for a standard heap. */
uint32_t heap_front_end(struct heap *h)
{
    return h->lfh_mode;
}

/* HeapSetInformation(HeapCompatibilityInformation, mode) (heap.h).  The
 * front end cannot be turned on for a HEAP_NO_SERIALIZE or fixed-size
 * heap (nor when a platform turned it off for testing, as heap debugging
 * tools do on Windows): STATUS_UNSUCCESSFUL; once on it cannot be turned
 * off: asking for 0 there is STATUS_UNSUCCESSFUL too.  Another value is
 * STATUS_INVALID_PARAMETER. */
int32_t heap_set_front_end(struct heap *h, uint32_t mode)
{
    if (mode == h->lfh_mode)
        return HST_OK;
    return mode == 0 || mode == 2 ? HST_UNSUCCESSFUL : HST_INVALID_PARAMETER;
}

/* HeapEnableTerminationOnCorruption (heap.h) for h: from now on a bad
 * pointer or damage found raises STATUS_HEAP_CORRUPTION.  There is no
 * way back. */
void heap_set_terminate_on_corruption(struct heap *h)
{
    hlock_acquire(&h->lock);
    h->flags |= HEAP_X_TERMINATE_ON_CORRUPTION;
    hlock_release(&h->lock);
}
