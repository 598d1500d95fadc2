/* errno: one thread per process, so a plain variable. */
#include <errno.h>

int errno;
