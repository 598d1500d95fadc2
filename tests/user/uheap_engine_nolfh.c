/* uheap_engine's cases (robustness, checking, random operations) again
 * with every heap created standard, the process heap included: the path
 * without the low-fragmentation front end stays tested from ring 3. */
#include "mm/heap/heap_os.h"

const int sdk_heap_options = HEAP_OS_OPT_NO_LFH;

#include "uheap_engine.c"
