/* Basic Windows types for 32-bit x86, with the sizes and names of the
 * Windows SDK (windef.h / basetsd.h / winnt.h), so that code written
 * against the Windows memory API compiles unchanged. */
#ifndef _WINDEF_H
#define _WINDEF_H

#include <stddef.h>
#include <stdint.h>

#define WINAPI __attribute__((stdcall))
#define CALLBACK __attribute__((stdcall))
#define NTAPI __attribute__((stdcall))

typedef unsigned char BYTE, UCHAR, BOOLEAN;
typedef unsigned short WORD, USHORT;
typedef unsigned long DWORD, ULONG;
typedef long LONG;
typedef int BOOL, INT;
typedef unsigned int UINT;
typedef char CHAR;
typedef unsigned long ULONG_PTR, DWORD_PTR, SIZE_T;
typedef DWORD_PTR *PDWORD_PTR;
typedef long LONG_PTR, SSIZE_T;
typedef void VOID, *PVOID, *LPVOID, *HANDLE;
typedef const void *LPCVOID;
typedef DWORD *PDWORD, *LPDWORD;
typedef HANDLE *PHANDLE;
typedef ULONG *PULONG;
typedef ULONG_PTR *PULONG_PTR;
typedef SIZE_T *PSIZE_T;
typedef BYTE *PBYTE, *LPBYTE;
typedef LONG NTSTATUS;
typedef const char *LPCSTR, *PCSTR;
typedef char *LPSTR, *PSTR, *PCHAR;
typedef unsigned long long ULONGLONG, DWORD64, DWORDLONG, ULONG64;
typedef ULONG64 *PULONG64;
typedef long long LONGLONG;
typedef int INT_PTR;                    /* basetsd.h, x86 */
typedef unsigned int UINT_PTR;
typedef HANDLE HGLOBAL, HLOCAL;         /* minwindef.h */
typedef INT_PTR (WINAPI *FARPROC)();
typedef HANDLE *LPHANDLE;               /* threads and handles (issue 13) */
typedef LONG *PLONG, *LPLONG;
typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    };
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

#ifndef TRUE
#define TRUE 1
#define FALSE 0
#endif

_Static_assert(sizeof(SIZE_T) == 4 && sizeof(DWORD) == 4 && sizeof(PVOID) == 4,
               "32-bit Windows data model (ILP32)");

#endif
