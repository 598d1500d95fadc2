/* The Global* and Local* memory functions (winbase.h) on the process heap,
 * as the source material draws them: a layer over the Heap API, built the
 * way NT's kernel32 builds it (ReactOS dll/win32/kernel32/client/
 * heapmem.c shows the design; Microsoft's pages for each function give
 * the contract, cited below as [doc]; where the documentation is silent
 * the behaviour Wine's conformance tests record on Windows is followed,
 * cited as [obs], dlls/kernel32/tests/heap.c).
 *
 * A fixed object is a plain heap block: its handle is its address.  A
 * moveable object is an entry of a handle table:
 *
 *     struct gentry { WORD flags; WORD locks; void *ptr; }     8 bytes
 *                                             ^ the handle points here
 *
 * so the handle is entry + 4, and handle & 7 == 4 tells it from a heap
 * block (8-aligned, spec item 67), as on NT.  ptr is the heap block, or
 * NULL for a discarded object (and one of 0 bytes).  The table is one
 * reservation of GTABLE_ENTRIES entries made on first use and committed a
 * page at a time, as RtlAllocateHandle does; it stays for the life of the
 * process (like NT's), and a full table is ERROR_NOT_ENOUGH_MEMORY [obs:
 * 0x10000 moveable handles, then failure].
 *
 * The Global and Local families share this code; they differ only where
 * Windows makes them differ (flag values, GlobalUnlock of a fixed block,
 * GMEM_MODIFY turning a fixed block moveable, GMEM_FIXED of 0 bytes).
 * One thread per process, but the table is still only touched under the
 * process heap's lock, so it stays consistent with the heap. */
#include <windows.h>
#include <string.h>

#define GTABLE_ENTRIES 0x10000u
#define GTABLE_PAGE 0x1000u

/* gentry.flags */
#define GE_INUSE 0x0001
#define GE_DISCARDABLE 0x0002
#define GE_DISCARDED 0x0004                     /* no memory: discarded, or 0 bytes */
#define GE_DDESHARE 0x0008

struct gentry {
    WORD flags;
    WORD locks;
    void *ptr;                                  /* heap block; next free entry when not in use */
};
_Static_assert(sizeof(struct gentry) == 8 && __builtin_offsetof(struct gentry, ptr) == 4,
               "the handle (&entry->ptr) is 4 mod 8");

enum gkind { KIND_GLOBAL, KIND_LOCAL };

static struct gentry *gtable;                   /* the reservation */
static UINT gcommitted;                         /* entries in committed pages */
static UINT gused_top;                          /* entries ever handed out: scans stop here */
static struct gentry *gfree;                    /* free entries, linked through ptr */

static HANDLE gheap(void)
{
    return GetProcessHeap();
}

static void glock(void)
{
    HeapLock(gheap());
}

static void gunlock(void)
{
    HeapUnlock(gheap());
}

static HANDLE entry_handle(struct gentry *e)
{
    return (HANDLE)&e->ptr;
}

static BOOL is_handle_form(HANDLE h)
{
    return ((uintptr_t)h & 7) == 4;
}

/* The in-use entry h names, or NULL: h must point at the ptr field of a
 * committed entry that is in use (a freed or made-up handle is not). */
static struct gentry *entry_of(HANDLE h)
{
    uintptr_t a = (uintptr_t)h - 4, base = (uintptr_t)gtable;

    if (gtable == NULL || !is_handle_form(h) || a < base || (a - base) / sizeof(struct gentry) >= gused_top)
        return NULL;
    struct gentry *e = (struct gentry *)a;
    return (e->flags & GE_INUSE) ? e : NULL;
}

/* The moveable object whose memory block is p, or NULL. */
static struct gentry *entry_of_block(const void *p)
{
    for (UINT i = 0; p != NULL && i < gused_top; i++)
        if ((gtable[i].flags & GE_INUSE) && gtable[i].ptr == p)
            return &gtable[i];
    return NULL;
}

/* A fixed object: a live block of the process heap that no moveable
 * handle owns (its memory pointer is not a handle of its own). */
static BOOL is_fixed(HANDLE h)
{
    return h != NULL && !is_handle_form(h) && HeapValidate(gheap(), 0, h) && entry_of_block(h) == NULL;
}

/* Commits one more page of the table (reserving it first), chaining its
 * entries onto the free list.  FALSE when full or out of commit. */
static BOOL table_grow(void)
{
    if (gtable == NULL) {
        /* Top-down, as the process heap: the low range stays the program's. */
        gtable = VirtualAlloc(NULL, GTABLE_ENTRIES * sizeof(struct gentry), MEM_RESERVE | MEM_TOP_DOWN,
                              PAGE_READWRITE);
        if (gtable == NULL)
            return FALSE;
    }
    if (gcommitted == GTABLE_ENTRIES)
        return FALSE;
    struct gentry *page = &gtable[gcommitted];
    if (VirtualAlloc(page, GTABLE_PAGE, MEM_COMMIT, PAGE_READWRITE) == NULL)
        return FALSE;
    UINT n = GTABLE_PAGE / sizeof(struct gentry);
    for (UINT i = n; i-- > 0;) {
        page[i].flags = 0;
        page[i].ptr = gfree;
        gfree = &page[i];
    }
    gcommitted += n;
    return TRUE;
}

/* A fresh in-use entry (flags GE_INUSE, no locks, no memory), or NULL. */
static struct gentry *entry_alloc(void)
{
    if (gfree == NULL && !table_grow())
        return NULL;
    struct gentry *e = gfree;
    gfree = e->ptr;
    e->flags = GE_INUSE;
    e->locks = 0;
    e->ptr = NULL;
    UINT index = (UINT)(e - gtable) + 1;
    if (index > gused_top)
        gused_top = index;
    return e;
}

static void entry_free(struct gentry *e)
{
    e->flags = 0;
    e->locks = 0;
    e->ptr = gfree;
    gfree = e;
}

static UINT discardable_flag(enum gkind k)
{
    return k == KIND_GLOBAL ? GMEM_DISCARDABLE : LMEM_DISCARDABLE;
}

static HANDLE fail_handle(DWORD error)
{
    SetLastError(error);
    return NULL;
}

/* ---- allocation ------------------------------------------------------------ */

/* [doc] GlobalAlloc/LocalAlloc: flags outside GMEM_VALID_FLAGS /
 * LMEM_VALID_FLAGS are ERROR_INVALID_PARAMETER; GMEM_ZEROINIT zeroes;
 * fixed memory returns a pointer; GMEM_MOVEABLE returns a handle, and
 * "if dwBytes is zero and uFlags specifies GMEM_MOVEABLE, the function
 * returns a handle to a memory object that is marked as discarded".
 * GMEM_DISCARDABLE is kept for GlobalFlags [doc GlobalFlags].  [obs]
 * GlobalAlloc(GMEM_FIXED, 0) is a 1-byte block, LocalAlloc(LMEM_FIXED,
 * 0) a 0-byte one. */
static HANDLE mem_alloc(enum gkind k, UINT flags, SIZE_T bytes)
{
    UINT valid = k == KIND_GLOBAL ? GMEM_VALID_FLAGS : LMEM_VALID_FLAGS;
    DWORD heap_flags = (flags & GMEM_ZEROINIT) ? HEAP_ZERO_MEMORY : 0;

    if (flags & ~valid)
        return fail_handle(ERROR_INVALID_PARAMETER);
    if (!(flags & GMEM_MOVEABLE))
        return HeapAlloc(gheap(), heap_flags, bytes == 0 && k == KIND_GLOBAL ? 1 : bytes);
    glock();
    struct gentry *e = entry_alloc();
    void *p = NULL;
    if (e != NULL && bytes != 0 && (p = HeapAlloc(gheap(), heap_flags, bytes)) == NULL) {
        entry_free(e);
        e = NULL;
    }
    if (e != NULL) {
        e->ptr = p;
        e->flags |= p == NULL ? GE_DISCARDED : 0;
        e->flags |= (flags & discardable_flag(k)) ? GE_DISCARDABLE : 0;
        e->flags |= k == KIND_GLOBAL && (flags & GMEM_DDESHARE) ? GE_DDESHARE : 0;
    }
    gunlock();
    return e != NULL ? entry_handle(e) : fail_handle(ERROR_NOT_ENOUGH_MEMORY);
}

/* [doc] GlobalFree/LocalFree: NULL is ignored and returns NULL; success
 * returns NULL, failure the handle itself with the last error set.  "The
 * GlobalFree function will free a locked memory object" (a locked
 * moveable handle is freed, not refused).  A bad handle, a block already
 * freed, or the memory pointer of a moveable object (not a handle) is
 * ERROR_INVALID_HANDLE and frees nothing. */
static HANDLE mem_free(HANDLE h)
{
    HANDLE result = NULL;

    if (h == NULL)
        return NULL;
    glock();
    struct gentry *e = entry_of(h);
    if (e != NULL) {
        if (e->ptr != NULL)
            HeapFree(gheap(), 0, e->ptr);
        entry_free(e);
    } else if (!is_fixed(h) || !HeapFree(gheap(), 0, h)) {
        result = h;
    }
    gunlock();
    if (result != NULL)
        SetLastError(ERROR_INVALID_HANDLE);
    return result;
}

/* ---- locks, size, flags, handle ------------------------------------------- */

/* [doc] GlobalLock: a moveable object's lock count goes up by one and its
 * block is returned; "if the specified memory block has been discarded or
 * if the memory block has a zero-byte size, this function returns NULL"
 * (ERROR_DISCARDED [obs]); a fixed object's address is returned as is.
 * The count stops at GMEM_LOCKCOUNT (255) [obs]. */
static LPVOID mem_lock(HANDLE h)
{
    void *p = NULL;
    DWORD error = ERROR_INVALID_HANDLE;

    glock();
    struct gentry *e = entry_of(h);
    if (e != NULL && e->ptr == NULL) {
        error = ERROR_DISCARDED;
    } else if (e != NULL) {
        if (e->locks < GMEM_LOCKCOUNT)
            e->locks++;
        p = e->ptr;
    } else if (is_fixed(h)) {
        p = h;
    }
    gunlock();
    if (p == NULL)
        SetLastError(error);
    return p;
}

/* [doc] GlobalUnlock: non-zero while the object stays locked; 0 with
 * NO_ERROR when this unlock brought the count to 0; 0 with
 * ERROR_NOT_LOCKED when it was not locked; "if the specified memory block
 * is fixed memory, this function returns TRUE".  [doc] LocalUnlock:
 * fixed objects "cause the ERROR_NOT_LOCKED error".  A bad handle is
 * ERROR_INVALID_HANDLE. */
static BOOL mem_unlock(enum gkind k, HANDLE h)
{
    BOOL still_locked = FALSE;
    DWORD error = ERROR_INVALID_HANDLE;

    glock();
    struct gentry *e = entry_of(h);
    if (e != NULL && e->locks == 0) {
        error = ERROR_NOT_LOCKED;
    } else if (e != NULL) {
        still_locked = --e->locks != 0;
        error = ERROR_SUCCESS;
    } else if (is_fixed(h)) {
        still_locked = k == KIND_GLOBAL;
        error = ERROR_NOT_LOCKED;
    }
    gunlock();
    if (!still_locked)
        SetLastError(error);
    return still_locked;
}

/* [doc] GlobalSize: the size in bytes, or 0 on failure; "if the
 * specified handle is not valid or if the object has been discarded,
 * the return value is zero". */
static SIZE_T mem_size(HANDLE h)
{
    SIZE_T n = 0;
    BOOL ok = TRUE;

    glock();
    struct gentry *e = entry_of(h);
    if (e != NULL && e->ptr != NULL)
        n = HeapSize(gheap(), 0, e->ptr);
    else if (e == NULL && is_fixed(h))
        n = HeapSize(gheap(), 0, h);
    else
        ok = e != NULL;                         /* a discarded object: 0, no error */
    gunlock();
    if (!ok)
        SetLastError(ERROR_INVALID_HANDLE);
    return n;
}

/* [doc] GlobalFlags: the lock count in GMEM_LOCKCOUNT, with
 * GMEM_DISCARDABLE and GMEM_DISCARDED (LMEM_* for LocalFlags); 0 for a
 * fixed object; GMEM_INVALID_HANDLE (with ERROR_INVALID_HANDLE) for a
 * bad handle. */
static UINT mem_flags(enum gkind k, HANDLE h)
{
    UINT flags = GMEM_INVALID_HANDLE;

    glock();
    struct gentry *e = entry_of(h);
    if (e != NULL) {
        flags = e->locks;
        flags |= (e->flags & GE_DISCARDABLE) ? discardable_flag(k) : 0;
        flags |= (e->flags & GE_DISCARDED) ? GMEM_DISCARDED : 0;
        flags |= (e->flags & GE_DDESHARE) ? GMEM_DDESHARE : 0;
    } else if (is_fixed(h)) {
        flags = 0;
    }
    gunlock();
    if (flags == GMEM_INVALID_HANDLE)
        SetLastError(ERROR_INVALID_HANDLE);
    return flags;
}

/* [doc] GlobalHandle: the handle of the object whose memory block starts
 * at pMem (for a fixed object, pMem itself); a handle given instead is
 * returned as it is [obs, ReactOS]; anything else is NULL with
 * ERROR_INVALID_HANDLE. */
static HANDLE mem_handle(LPCVOID p)
{
    HANDLE h = NULL;

    glock();
    struct gentry *e = entry_of_block(p);
    if (e != NULL)
        h = entry_handle(e);
    else if (entry_of((HANDLE)p) != NULL || is_fixed((HANDLE)p))
        h = (HANDLE)p;
    gunlock();
    return h != NULL ? h : fail_handle(ERROR_INVALID_HANDLE);
}

/* ---- reallocation ---------------------------------------------------------- */

/* GMEM_MODIFY: the attributes only, dwBytes ignored [doc].  On a moveable
 * object GMEM_DISCARDABLE sets or clears discardability.  GMEM_MOVEABLE
 * on a fixed object makes it moveable for GlobalReAlloc (the block is
 * kept, a handle made for it) [obs]; LocalReAlloc leaves a fixed object
 * fixed and returns it [obs; Windows CE's LocalReAlloc page says this
 * combination "returns an error"]. */
static HANDLE realloc_modify(enum gkind k, HANDLE h, UINT flags)
{
    struct gentry *e = entry_of(h);

    if (e != NULL) {
        e->flags = (WORD)((e->flags & ~GE_DISCARDABLE) | ((flags & discardable_flag(k)) ? GE_DISCARDABLE : 0));
        return h;
    }
    if (!is_fixed(h))
        return fail_handle(ERROR_INVALID_HANDLE);
    if (k == KIND_LOCAL || !(flags & GMEM_MOVEABLE))
        return h;
    if ((e = entry_alloc()) == NULL)
        return fail_handle(ERROR_NOT_ENOUGH_MEMORY);
    e->ptr = h;
    e->flags |= (flags & GMEM_DISCARDABLE) ? GE_DISCARDABLE : 0;
    return entry_handle(e);
}

/* A moveable object resized.  0 bytes with GMEM_MOVEABLE discards it
 * (GlobalDiscard), which needs a lock count of 0 [doc GlobalDiscard];
 * 0 bytes otherwise is ERROR_INVALID_PARAMETER [obs].  A discarded object
 * gets a new block.  Otherwise the block may move unless it is locked and
 * GMEM_MOVEABLE is not given [doc]; the handle stays. */
static HANDLE realloc_moveable(struct gentry *e, SIZE_T bytes, UINT flags, DWORD heap_flags)
{
    if (bytes == 0) {
        if (!(flags & GMEM_MOVEABLE) || e->locks != 0)
            return fail_handle(ERROR_INVALID_PARAMETER);
        if (e->ptr != NULL)
            HeapFree(gheap(), 0, e->ptr);
        e->ptr = NULL;
        e->flags |= GE_DISCARDED;
        return entry_handle(e);
    }
    if (e->locks != 0 && !(flags & GMEM_MOVEABLE))
        heap_flags |= HEAP_REALLOC_IN_PLACE_ONLY;
    void *p = e->ptr == NULL ? HeapAlloc(gheap(), heap_flags, bytes) : HeapReAlloc(gheap(), heap_flags, e->ptr, bytes);
    if (p == NULL)
        return fail_handle(ERROR_NOT_ENOUGH_MEMORY);
    e->ptr = p;
    e->flags &= ~GE_DISCARDED;
    return entry_handle(e);
}

/* [doc] GlobalReAlloc/LocalReAlloc: GMEM_MODIFY changes attributes only;
 * otherwise the object gets dwBytes bytes (GMEM_ZEROINIT zeroes what it
 * gains).  A fixed object's block moves only with GMEM_MOVEABLE (the new
 * address is returned); a moveable one keeps its handle.  On failure
 * (NULL, the last error set) the object is as it was.  A bad handle is
 * ERROR_INVALID_HANDLE. */
static HANDLE mem_realloc(enum gkind k, HANDLE h, SIZE_T bytes, UINT flags)
{
    DWORD heap_flags = (flags & GMEM_ZEROINIT) ? HEAP_ZERO_MEMORY : 0;
    HANDLE result;

    glock();
    struct gentry *e = entry_of(h);
    if (flags & GMEM_MODIFY)
        result = realloc_modify(k, h, flags);
    else if (e != NULL)
        result = realloc_moveable(e, bytes, flags, heap_flags);
    else if (!is_fixed(h))
        result = fail_handle(ERROR_INVALID_HANDLE);
    else if ((result = HeapReAlloc(gheap(), heap_flags | ((flags & GMEM_MOVEABLE) ? 0 : HEAP_REALLOC_IN_PLACE_ONLY),
                                   h, bytes)) == NULL)
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    gunlock();
    return result;
}

/* ---- the API ------------------------------------------------------------------ */

HGLOBAL WINAPI GlobalAlloc(UINT uFlags, SIZE_T dwBytes)
{
    return mem_alloc(KIND_GLOBAL, uFlags, dwBytes);
}

HGLOBAL WINAPI GlobalReAlloc(HGLOBAL hMem, SIZE_T dwBytes, UINT uFlags)
{
    return mem_realloc(KIND_GLOBAL, hMem, dwBytes, uFlags);
}

HGLOBAL WINAPI GlobalFree(HGLOBAL hMem)
{
    return mem_free(hMem);
}

LPVOID WINAPI GlobalLock(HGLOBAL hMem)
{
    return mem_lock(hMem);
}

BOOL WINAPI GlobalUnlock(HGLOBAL hMem)
{
    return mem_unlock(KIND_GLOBAL, hMem);
}

SIZE_T WINAPI GlobalSize(HGLOBAL hMem)
{
    return mem_size(hMem);
}

UINT WINAPI GlobalFlags(HGLOBAL hMem)
{
    return mem_flags(KIND_GLOBAL, hMem);
}

HGLOBAL WINAPI GlobalHandle(LPCVOID pMem)
{
    return mem_handle(pMem);
}

HLOCAL WINAPI LocalAlloc(UINT uFlags, SIZE_T uBytes)
{
    return mem_alloc(KIND_LOCAL, uFlags, uBytes);
}

HLOCAL WINAPI LocalReAlloc(HLOCAL hMem, SIZE_T uBytes, UINT uFlags)
{
    return mem_realloc(KIND_LOCAL, hMem, uBytes, uFlags);
}

HLOCAL WINAPI LocalFree(HLOCAL hMem)
{
    return mem_free(hMem);
}

LPVOID WINAPI LocalLock(HLOCAL hMem)
{
    return mem_lock(hMem);
}

BOOL WINAPI LocalUnlock(HLOCAL hMem)
{
    return mem_unlock(KIND_LOCAL, hMem);
}

SIZE_T WINAPI LocalSize(HLOCAL hMem)
{
    return mem_size(hMem);
}

UINT WINAPI LocalFlags(HLOCAL hMem)
{
    return mem_flags(KIND_LOCAL, hMem);
}

HLOCAL WINAPI LocalHandle(LPCVOID pMem)
{
    return mem_handle(pMem);
}
