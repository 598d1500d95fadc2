/* The C runtime's heap inspection (<malloc.h>): _heapchk, _heapmin and
 * _heapwalk on the process heap, through the Win32 heap API as the UCRT's
 * heapchk.cpp, heapmin.cpp and heapwalk.cpp do.
 *
 * _heapwalk and HeapWalk.  The CRT hands back only _pentry and _useflag,
 * while HeapWalk continues from the whole PROCESS_HEAP_ENTRY of the step
 * before (this heap's walk needs the region index, and the run's place
 * for a free entry).  So the last entry returned is kept here: a walk
 * that goes on from it costs one HeapWalk; a _pentry from elsewhere (an
 * older entry, or a walk interleaved with another) is found by walking
 * from the start, and is _HEAPBADPTR when no entry of the heap has it. */
#include <malloc.h>
#include <errno.h>
#include <windows.h>

static PROCESS_HEAP_ENTRY walk_last;             /* what _heapwalk returned last */

/* HeapValidate of the whole heap (the UCRT's _heapchk). */
int _heapchk(void)
{
    return HeapValidate(GetProcessHeap(), 0, NULL) ? _HEAPOK : _HEAPBADNODE;
}

/* HeapCompact gives decommittable free pages back and returns the largest
 * committed free block.  0 with NO_ERROR only means that no committed
 * free block is left, which is success here; the UCRT's
 * `!HeapCompact(...)` test would call it a failure.  A real failure sets
 * errno to ENOSYS as the documentation says. */
int _heapmin(void)
{
    SetLastError(ERROR_SUCCESS);
    if (HeapCompact(GetProcessHeap(), 0) == 0 && GetLastError() != ERROR_SUCCESS) {
        errno = ENOSYS;
        return -1;
    }
    return 0;
}

/* One HeapWalk step: _HEAPOK, _HEAPEND at the end, _HEAPBADNODE when the
 * walk cannot go on (a damaged heap). */
static int walk_step(PROCESS_HEAP_ENTRY *e)
{
    if (HeapWalk(GetProcessHeap(), e))
        return _HEAPOK;
    return GetLastError() == ERROR_NO_MORE_ITEMS ? _HEAPEND : _HEAPBADNODE;
}

/* Entries the CRT shows: busy blocks and free runs, not the regions and
 * uncommitted ranges HeapWalk also lists. */
/* A block: not a region or an uncommitted range, and not the entry with no
 * data that starts a low-fragmentation subsegment (mm/heap/heap_walk.c):
 * _heapwalk reports blocks only. */
static int walk_is_block(const PROCESS_HEAP_ENTRY *e)
{
    if (e->wFlags & (PROCESS_HEAP_REGION | PROCESS_HEAP_UNCOMMITTED_RANGE))
        return 0;
    return !(e->wFlags == 0 && e->cbData == 0);
}

static int walk_used(const PROCESS_HEAP_ENTRY *e)
{
    return (e->wFlags & PROCESS_HEAP_ENTRY_BUSY) != 0;
}

/* Positions *e at the block entry whose data is data (and whose use is
 * used) by walking from the start: _HEAPOK, or _HEAPBADPTR when there is
 * none, or what a failing step said. */
static int walk_find(PROCESS_HEAP_ENTRY *e, const void *data, int used)
{
    int st;

    e->lpData = NULL;
    while ((st = walk_step(e)) == _HEAPOK)
        if (walk_is_block(e) && e->lpData == data && walk_used(e) == used)
            return _HEAPOK;
    return st == _HEAPEND ? _HEAPBADPTR : st;
}

int _heapwalk(_HEAPINFO *entry)
{
    PROCESS_HEAP_ENTRY e;
    int st;

    if (entry == NULL) {
        errno = EINVAL;
        return _HEAPBADPTR;
    }
    HeapLock(GetProcessHeap());
    if (entry->_pentry == NULL) {
        e.lpData = NULL;
        st = walk_step(&e) == _HEAPOK ? _HEAPOK : _HEAPBADBEGIN;
    } else if (entry->_useflag == _USEDENTRY && !HeapValidate(GetProcessHeap(), 0, entry->_pentry)) {
        st = _HEAPBADNODE;                       /* as the UCRT: a used entry must be live */
    } else if (walk_last.lpData == entry->_pentry && walk_is_block(&walk_last) &&
               walk_used(&walk_last) == (entry->_useflag == _USEDENTRY)) {
        e = walk_last;
        st = walk_step(&e);
    } else {
        st = walk_find(&e, entry->_pentry, entry->_useflag == _USEDENTRY);
        if (st == _HEAPOK)
            st = walk_step(&e);
    }
    while (st == _HEAPOK && !walk_is_block(&e))
        st = walk_step(&e);
    HeapUnlock(GetProcessHeap());
    if (st != _HEAPOK)
        return st;
    walk_last = e;
    entry->_pentry = (int *)e.lpData;
    entry->_size = e.cbData;
    entry->_useflag = walk_used(&e) ? _USEDENTRY : _FREEENTRY;
    return _HEAPOK;
}
