/* <tchar.h>: the generic-text names, in their ANSI (char) form; this SDK
 * has no wide-character functions, so _UNICODE is not supported. */
#ifndef _LIBC_TCHAR_H
#define _LIBC_TCHAR_H

#ifdef _UNICODE
#error "this SDK has no wide-character C library: build without _UNICODE"
#endif

typedef char _TCHAR;
#define _T(x) x
#define _TEXT(x) x
#define _tmain main
#define _tprintf printf
#define _sntprintf snprintf
#define _tcslen strlen
#define _tcscpy strcpy
#define _tcscmp strcmp

#endif
