/* The C++ object-allocation runtime in C (spec section O): new, delete,
 * new[] and delete[] with the MSVC ABI's array cookie, on the CRT's
 * malloc (the process default heap).  A type is described by an rt_class.
 *
 * new[] stores the element count in a cookie in front of the first
 * element only when the type has a destructor (items 102-104):
 *
 *   dtor == NULL:  [e0][e1]...            new[] returns the block start
 *   dtor != NULL:  [n][e0][e1]...         returns block start + cookie
 *
 * The cookie is sizeof(size_t) bytes; for a type aligned beyond that it
 * is `align` bytes with the count in its last size_t, so the elements keep
 * their alignment (align 0 is the default: what malloc gives, 8, and a
 * 4-byte cookie, as MSVC on x86).  Types aligned beyond 8 are allocated
 * with _aligned_malloc.
 *
 * When memory runs out the new functions call the new handler (<new.h>)
 * and try again while it returns non-zero, as operator new does.
 * Failures of the new functions return NULL with errno: ENOMEM (out of
 * memory and no handler made room, or n * size overflows), EINVAL (a bad descriptor), or the
 * constructor's own non-zero return value when a constructor failed
 * (then the objects already built are destroyed in reverse and the
 * memory freed).
 *
 * The deletes accept NULL.  A delete that does not match its new (delete
 * of a new[] pointer, delete[] of a new pointer, either on a pointer that
 * no new returned, a second delete, another class's descriptor, or an
 * overwritten cookie) is caught before any destructor runs: the runtime
 * prints what was wrong and raises STATUS_HEAP_CORRUPTION (0xC0000374),
 * non-continuable, with ExceptionInformation[0] = the pointer, [1] = one
 * of RT_ERR_*, [2] = the class descriptor passed in.  Unhandled, the
 * program ends with that code.  Nothing was changed when it is raised. */
#ifndef _LIBC_RTNEW_H
#define _LIBC_RTNEW_H

#include <stddef.h>

typedef struct rt_class {
    const char *name;
    size_t size;                 /* sizeof one object */
    size_t align;                /* 0 = default (8); else a power of two */
    int  (*ctor)(void *obj);     /* NULL = trivial; non-zero return = the constructor failed */
    void (*dtor)(void *obj);     /* NULL = trivially destructible: new[] stores no count */
} rt_class;

void *rt_new(const rt_class *c);                      /* new T       */
void  rt_delete(const rt_class *c, void *obj);        /* delete p    */
void *rt_new_array(const rt_class *c, size_t n);      /* new T[n]    */
void  rt_delete_array(const rt_class *c, void *arr);  /* delete[] p  */

/* What a mismatched delete did wrong (ExceptionInformation[1]). */
#define RT_ERR_NOT_ALLOCATED 1   /* no new returned this pointer (or it points inside an object) */
#define RT_ERR_DOUBLE_DELETE 2   /* deleted already */
#define RT_ERR_ARRAY_AS_SINGLE 3 /* delete of a new[] pointer */
#define RT_ERR_SINGLE_AS_ARRAY 4 /* delete[] of a new pointer */
#define RT_ERR_WRONG_CLASS 5     /* deleted as another class than it was made as */
#define RT_ERR_CORRUPT 6         /* the cookie or the heap block was overwritten */

#endif
