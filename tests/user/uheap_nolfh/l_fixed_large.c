/* uheap_nolfh: the same cases as uheap (see ../uheap_nolfh.c). */
#include "../uheap/l_fixed_large.c"
