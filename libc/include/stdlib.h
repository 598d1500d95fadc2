/* <stdlib.h> for user programs.  The allocators are the C runtime's
 * (libc/crt_malloc.c; the Microsoft extensions are in <malloc.h>). */
#ifndef _LIBC_STDLIB_H
#define _LIBC_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
/* As the Microsoft C runtime: rand() returns 0..32767. */
#define RAND_MAX 0x7FFF

/* Runs the atexit functions (last registered first), flushes stdout and
 * ends the process with status. */
__attribute__((noreturn)) void exit(int status);
/* Ends the process at once with exit status 3, as the Microsoft C
 * runtime's abort does (stdout is flushed first). */
__attribute__((noreturn)) void abort(void);
/* Up to 32 functions; returns 0, or non-zero when the table is full. */
int atexit(void (*fn)(void));

int atoi(const char *s);
long atol(const char *s);
long long atoll(const char *s);
/* C11 7.22.1.4: base 0 or 2..36, optional sign and 0x prefix; on
 * overflow the result saturates and errno is ERANGE; an invalid base
 * sets EINVAL. */
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);

/* On the process default heap, as the MS CRT (see <malloc.h>). */
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *p, size_t size);
void free(void *p);

int rand(void);
void srand(unsigned int seed);

int abs(int v);
long labs(long v);
long long llabs(long long v);

#endif
