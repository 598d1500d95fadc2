/* uheap_nolfh: the same cases as uheap (see ../uheap_nolfh.c). */
#include "../uheap/j_alloc.c"
