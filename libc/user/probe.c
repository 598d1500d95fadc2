/* IsBadReadPtr, IsBadWritePtr, IsBadCodePtr, IsBadStringPtrA (winbase.h).
 *
 * Windows implements them as a loop of real accesses inside
 * __try/__except(EXCEPTION_EXECUTE_HANDLER): the first byte, one byte in
 * each following page, the last byte (ReactOS's kernel32 and Wine do the
 * same), the write probe writing back the value it read.  So do these,
 * inside an SDK guarded region (exception.c), which plays the __except
 * part after the vectored handlers, where NT runs frame-based handlers.
 *
 * Why real accesses and not a kernel query of the page tables: every
 * outcome then comes from the VM layer's own fault handling, exactly as
 * a plain access would see it.  Demand-zero pages get their frame; a
 * guard page raises STATUS_GUARD_PAGE_VIOLATION and the kernel clears the
 * guard before delivering it, so the probe reports the page as bad and
 * the guard is consumed, which is the documented hazard of these
 * functions ("dereferencing potentially invalid pointers can disable
 * stack expansion in other threads", IsBadReadPtr's remarks); and
 * reserved, free, no-access, read-only (for writes) and kernel pages
 * raise STATUS_ACCESS_VIOLATION.  A vectored handler the program
 * installed sees those exceptions first, as it would on Windows. */
#include "sdk.h"

#define PROBE_PAGE 0x1000u

/* Touches one byte of every page of [p, p + n), n > 0, first byte first,
 * then the first byte of each following page, up to the last page; a
 * write probe writes each byte back.  Any exception ends the region. */
static BOOL probe_range(const volatile char *p, UINT_PTR n, BOOL write)
{
    struct sdk_try t;
    uintptr_t first = (uintptr_t)p, last = first + n - 1;

    if (last < first)
        return TRUE;                    /* wraps around the address space */
    sdk_try_enter(&t);
    if (setjmp(t.jb) != 0)
        return TRUE;                    /* t has left the list */
    volatile char *c = (volatile char *)p;
    char v = *c;
    if (write)
        *c = v;
    for (uintptr_t page = first & ~(uintptr_t)(PROBE_PAGE - 1); page != (last & ~(uintptr_t)(PROBE_PAGE - 1));) {
        page += PROBE_PAGE;
        c = (volatile char *)page;
        v = *c;
        if (write)
            *c = v;
    }
    sdk_try_leave(&t);
    return FALSE;
}

/* Documented: non-zero when any byte of [lp, lp + ucb) cannot be read;
 * ucb 0 is always 0 (nothing touched), NULL with ucb > 0 is non-zero. */
BOOL WINAPI IsBadReadPtr(const VOID *lp, UINT_PTR ucb)
{
    if (ucb == 0)
        return FALSE;
    if (lp == NULL)
        return TRUE;
    return probe_range(lp, ucb, FALSE);
}

/* As IsBadReadPtr, for writing: each probed byte is read and written back
 * (not atomic: another thread's write to it in between would be lost, as
 * on Windows). */
BOOL WINAPI IsBadWritePtr(LPVOID lp, UINT_PTR ucb)
{
    if (ucb == 0)
        return FALSE;
    if (lp == NULL)
        return TRUE;
    return probe_range(lp, ucb, TRUE);
}

/* The Huge forms are the same functions on Win32. */
BOOL WINAPI IsBadHugeReadPtr(const VOID *lp, UINT_PTR ucb)
{
    return IsBadReadPtr(lp, ucb);
}

BOOL WINAPI IsBadHugeWritePtr(LPVOID lp, UINT_PTR ucb)
{
    return IsBadWritePtr(lp, ucb);
}

/* Read access to the byte at lpfn (x86 without NX cannot tell execute
 * from read). */
BOOL WINAPI IsBadCodePtr(FARPROC lpfn)
{
    return IsBadReadPtr((const VOID *)lpfn, 1);
}

/* Reads up to and including the terminating NUL, or ucchMax bytes if
 * there is none before; ucchMax 0 is always 0, NULL otherwise non-zero. */
BOOL WINAPI IsBadStringPtrA(LPCSTR lpsz, UINT_PTR ucchMax)
{
    struct sdk_try t;

    if (ucchMax == 0)
        return FALSE;
    if (lpsz == NULL)
        return TRUE;
    if ((uintptr_t)lpsz + ucchMax - 1 < (uintptr_t)lpsz)
        return TRUE;
    sdk_try_enter(&t);
    if (setjmp(t.jb) != 0)
        return TRUE;
    const volatile char *c = lpsz;
    for (UINT_PTR i = 0; i < ucchMax && c[i] != '\0'; i++)
        ;
    sdk_try_leave(&t);
    return FALSE;
}
