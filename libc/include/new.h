/* <new.h>: the Microsoft C runtime's new handler (libc/crt_malloc.c).
 *
 * When memory runs out, operator new (here: rt_new and rt_new_array,
 * <rtnew.h>) calls the new handler with the size it could not get and
 * tries again as long as the handler returns non-zero; a handler that
 * returns 0, or none, makes it fail.  malloc, calloc and realloc do the
 * same only in new mode 1 (_set_new_mode(1)); the default mode, 0, leaves
 * them returning NULL with ENOMEM. */
#ifndef _LIBC_NEW_H
#define _LIBC_NEW_H

#include <stddef.h>

/* A new handler: free some memory and return non-zero to have the
 * allocation tried again, or return 0 to let it fail. */
typedef int (*_PNH)(size_t);

/* Installs handler (NULL: none); returns the previous one. */
_PNH _set_new_handler(_PNH handler);
_PNH _query_new_handler(void);
/* 0 or 1; returns the previous mode.  Any other value: -1, errno EINVAL,
 * the mode unchanged. */
int _set_new_mode(int mode);
int _query_new_mode(void);
/* Calls the new handler with size: 1 when it returned non-zero, 0 when it
 * returned 0 or there is none (operator new's test). */
int _callnewh(size_t size);

#endif
