/* uheap_nolfh: the same cases as uheap (see ../uheap_nolfh.c). */
#include "../uheap/m_lock_walk_compact.c"
