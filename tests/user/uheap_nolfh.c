/* uheap's suites again with every heap created standard, the process
 * heap included (the SDK reads sdk_heap_options, as Windows reads an
 * image's heap options): the path without the low-fragmentation front
 * end stays tested from ring 3.  The cases are uheap's own
 * (tests/user/uheap_nolfh/ includes tests/user/uheap/). */
#include "mm/heap/heap_os.h"

const int sdk_heap_options = HEAP_OS_OPT_NO_LFH;

#include "uheap.c"
