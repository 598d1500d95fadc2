// Compile test (issue 15, item 1): the Windows SDK's heap samples
// ("Getting Process Heaps", "Enumerating a Heap") written their way, and
// a HEAP_GENERATE_EXCEPTIONS check that tests STATUS_NO_MEMORY in a
// vectored handler, built with -Wall -Wextra -Werror by `make
// user-programs`.  This one includes <ntstatus.h> before <windows.h>:
// winnt.h then leaves its DWORD forms out and the NTSTATUS ones stand.
// It runs too, and exits with 0 when the results are right.

#include <ntstatus.h>
#include <windows.h>
#include <tchar.h>
#include <stdio.h>

_Static_assert(__builtin_types_compatible_p(__typeof__(STATUS_NO_MEMORY), NTSTATUS), "NTSTATUS form");

static DWORD dwNoMemory = 0;    // STATUS_NO_MEMORY exceptions seen

LONG CALLBACK NoMemoryHandler(PEXCEPTION_POINTERS pExceptionInfo)
{
    if (pExceptionInfo->ExceptionRecord->ExceptionCode == (DWORD)STATUS_NO_MEMORY)
    {
        dwNoMemory++;
        return EXCEPTION_CONTINUE_EXECUTION;   // HeapAlloc then returns NULL
    }
    return EXCEPTION_CONTINUE_SEARCH;
}

int _tmain(void)
{
    DWORD NumberOfHeaps;
    DWORD HeapsIndex;
    DWORD HeapsLength;
    HANDLE hDefaultProcessHeap;
    SIZE_T BytesToAllocate;
    PHANDLE aHeaps;
    int Failures = 0;

    //
    // Retrieve the number of active heaps for the current process
    // so we can calculate the buffer size needed for the heap handles.
    //
    NumberOfHeaps = GetProcessHeaps(0, NULL);
    if (NumberOfHeaps == 0) {
        _tprintf(TEXT("Failed to retrieve the number of heaps with LastError %lu.\n"),
                 GetLastError());
        return 1;
    }

    //
    // Calculate the buffer size.
    //
    BytesToAllocate = NumberOfHeaps * sizeof(*aHeaps);

    //
    // Get a handle to the default process heap.
    //
    hDefaultProcessHeap = GetProcessHeap();
    if (hDefaultProcessHeap == NULL) {
        _tprintf(TEXT("Failed to retrieve the default process heap with LastError %lu.\n"),
                 GetLastError());
        return 1;
    }

    //
    // Allocate the buffer from the default process heap.
    //
    aHeaps = (PHANDLE)HeapAlloc(hDefaultProcessHeap, 0, BytesToAllocate);
    if (aHeaps == NULL) {
        _tprintf(TEXT("HeapAlloc failed to allocate %lu bytes.\n"), (unsigned long)BytesToAllocate);
        return 1;
    }

    //
    // Save the original number of heaps because we are going to compare it
    // to the return value of the next GetProcessHeaps call.
    //
    HeapsLength = NumberOfHeaps;

    //
    // Retrieve handles to the process heaps and print them to stdout.
    // Note that heap functions should be called only on the default heap of the process
    // or on private heaps that your component creates by calling HeapCreate.
    //
    NumberOfHeaps = GetProcessHeaps(HeapsLength, aHeaps);
    if (NumberOfHeaps == 0 || NumberOfHeaps > HeapsLength) {
        _tprintf(TEXT("GetProcessHeaps failed or another component created a heap.\n"));
        return 1;
    }

    _tprintf(TEXT("Process has %lu heaps.\n"), HeapsLength);
    for (HeapsIndex = 0; HeapsIndex < HeapsLength; ++HeapsIndex) {
        _tprintf(TEXT("Heap %lu at address: %p.\n"), HeapsIndex, aHeaps[HeapsIndex]);
    }
    Failures += aHeaps[0] != hDefaultProcessHeap;

    //
    // Release memory allocated from default process heap.
    //
    if (HeapFree(hDefaultProcessHeap, 0, aHeaps) == FALSE) {
        _tprintf(TEXT("Failed to free allocation from default process heap.\n"));
        Failures++;
    }

    // Enumerating a Heap: create a private heap, lock it, walk it.

    DWORD LastError;
    HANDLE hHeap;
    PROCESS_HEAP_ENTRY Entry;
    DWORD dwBusy = 0;

    hHeap = HeapCreate(0, 0, 0);
    if (hHeap == NULL) {
        _tprintf(TEXT("Failed to create a new heap with LastError %lu.\n"),
                 GetLastError());
        return 1;
    }
    LPVOID lpBlocks[3] = {
        HeapAlloc(hHeap, 0, 24), HeapAlloc(hHeap, HEAP_ZERO_MEMORY, 300), HeapAlloc(hHeap, 0, 0x90000),
    };

    //
    // Lock the heap to prevent other threads from accessing the heap
    // during enumeration.
    //
    if (HeapLock(hHeap) == FALSE) {
        _tprintf(TEXT("Failed to lock heap with LastError %lu.\n"),
                 GetLastError());
        return 1;
    }

    _tprintf(TEXT("Walking heap %p...\n\n"), hHeap);

    Entry.lpData = NULL;
    while (HeapWalk(hHeap, &Entry) != FALSE) {
        if ((Entry.wFlags & PROCESS_HEAP_ENTRY_BUSY) != 0) {
            _tprintf(TEXT("Allocated block"));
            dwBusy++;

            if ((Entry.wFlags & PROCESS_HEAP_ENTRY_MOVEABLE) != 0) {
                _tprintf(TEXT(", movable with HANDLE %p"), Entry.Block.hMem);
            }

            if ((Entry.wFlags & PROCESS_HEAP_ENTRY_DDESHARE) != 0) {
                _tprintf(TEXT(", DDESHARE"));
            }

            _tprintf(TEXT("\n"));
        }
        else if ((Entry.wFlags & PROCESS_HEAP_REGION) != 0) {
            _tprintf(TEXT("Region\n  %lu bytes committed\n") \
                     TEXT("  %lu bytes uncommitted\n  First block address: %p\n") \
                     TEXT("  Last block address: %p\n"),
                     Entry.Region.dwCommittedSize,
                     Entry.Region.dwUnCommittedSize,
                     Entry.Region.lpFirstBlock,
                     Entry.Region.lpLastBlock);
        }
        else if ((Entry.wFlags & PROCESS_HEAP_UNCOMMITTED_RANGE) != 0) {
            _tprintf(TEXT("Uncommitted range\n"));
        }
        else {
            _tprintf(TEXT("Block\n"));
        }

        _tprintf(TEXT("  Data portion begins at: %p\n  Size: %lu bytes\n") \
                 TEXT("  Overhead: %u bytes\n  Region index: %u\n\n"),
                 Entry.lpData,
                 Entry.cbData,
                 Entry.cbOverhead,
                 Entry.iRegionIndex);
    }
    LastError = GetLastError();
    if (LastError != ERROR_NO_MORE_ITEMS) {
        _tprintf(TEXT("HeapWalk failed with LastError %lu.\n"), LastError);
        Failures++;
    }

    //
    // Unlock the heap to allow other threads to access the heap after
    // enumeration has completed.
    //
    if (HeapUnlock(hHeap) == FALSE) {
        _tprintf(TEXT("Failed to unlock heap with LastError %lu.\n"),
                 GetLastError());
    }
    Failures += dwBusy != 3 || lpBlocks[0] == NULL || lpBlocks[1] == NULL || lpBlocks[2] == NULL;

    // HEAP_GENERATE_EXCEPTIONS: a failure raises STATUS_NO_MEMORY.
    PVOID pHandler = AddVectoredExceptionHandler(1, NoMemoryHandler);
    LPVOID lpNone = HeapAlloc(hHeap, HEAP_GENERATE_EXCEPTIONS, 0x7FFF0000);
    RemoveVectoredExceptionHandler(pHandler);
    Failures += lpNone != NULL || dwNoMemory != 1;

    //
    // When a process terminates, allocated memory is reclaimed by the operating
    // system so it is not really necessary to call HeapDestroy in this example.
    // However, it may be advisable to call HeapDestroy in a longer running
    // application.
    //
    if (HeapDestroy(hHeap) == FALSE) {
        _tprintf(TEXT("Failed to destroy heap with LastError %lu.\n"),
                 GetLastError());
        Failures++;
    }

    return Failures == 0 ? 0 : 1;
}
