/* uheap_nolfh: the same cases as uheap (see ../uheap_nolfh.c). */
#include "../uheap/n_front_end.c"
