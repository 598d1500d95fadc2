/* <errno.h>: errno is per thread, as in the Microsoft C runtime, where it
 * is (*_errno()).  The values are the ones the Microsoft C runtime and
 * POSIX share. */
#ifndef _LIBC_ERRNO_H
#define _LIBC_ERRNO_H

int *_errno(void);
#define errno (*_errno())

#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EIO 5
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22
#define ENOSPC 28
#define EDOM 33
#define ERANGE 34
#define ENOSYS 40

#endif
