/* <stddef.h> for i686 (ILP32), shared by the kernel and the user SDK.
 * The types come from the compiler's own predefined macros, so they are
 * exactly the ones -Wformat and the ABI expect (size_t = unsigned int,
 * ptrdiff_t = int, wchar_t = long on i686-linux). */
#ifndef _LIBC_STDDEF_H
#define _LIBC_STDDEF_H

typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
typedef __WCHAR_TYPE__ wchar_t;

/* The most-aligned scalar type; 16 on i386 as in GCC's own header
 * (long double is 4-aligned, but _Float128 needs 16). */
typedef struct {
    long long max_align_ll;
    long double max_align_ld;
} __attribute__((aligned(__BIGGEST_ALIGNMENT__))) max_align_t;

#ifndef NULL
#define NULL ((void *)0)
#endif

#define offsetof(type, member) __builtin_offsetof(type, member)

#endif
