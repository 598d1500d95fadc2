/* Threads to look at in the study console (it is on the ISO): the main
 * thread starts three workers with different stacks (the default; 64 KiB
 * committed; 256 KiB reserved), each grows its stack by a different
 * amount, says so, and waits up to 300 ms on an event nobody sets; the
 * main thread waits for them.
 *
 *   winmm> start demo_threads      runs it until its threads wait, then suspends it
 *   winmm> threads                 the four threads, their stacks and TEBs
 *   winmm> vmmap PID               their stacks (type Stack) and TEB pages
 *   winmm> resume PID              it finishes (exit status 0)
 *
 * In `make test` it simply runs (about 300 ms) and checks itself. */
#include <windows.h>
#include <stdio.h>

#define WORKERS 3

struct worker {
    SIZE_T stack;
    DWORD flags;
    DWORD grow;                         /* bytes of stack to touch */
    volatile DWORD ready;
};

static struct worker workers[WORKERS] = {
    { 0, 0, 16 * 1024, 0 },
    { 64 * 1024, 0, 100 * 1024, 0 },
    { 256 * 1024, STACK_SIZE_PARAM_IS_A_RESERVATION, 180 * 1024, 0 },
};
static HANDLE never;

/* Touches `bytes` below the stack pointer, top down, as __chkstk would. */
static __attribute__((noinline)) void grow(DWORD bytes)
{
    volatile char *sp;
    __asm__ volatile("movl %%esp, %0" : "=r"(sp));
    for (DWORD off = 64; off < bytes; off += 2048)
        sp[-(LONG)off] = 1;
}

static DWORD WINAPI work(LPVOID arg)
{
    struct worker *w = arg;
    grow(w->grow);
    w->ready = 1;
    return WaitForSingleObject(never, 300) == WAIT_TIMEOUT ? 0 : 1;
}

int main(void)
{
    HANDLE h[WORKERS];
    never = CreateEvent(NULL, TRUE, FALSE, NULL);
    for (int i = 0; i < WORKERS; i++)
        h[i] = CreateThread(NULL, workers[i].stack, work, &workers[i], workers[i].flags, NULL);
    for (int i = 0; i < WORKERS; i++)
        while (!workers[i].ready)
            Sleep(1);
    printf("demo_threads: process %lu, main thread %lu, workers %lu %lu %lu waiting\n", GetCurrentProcessId(),
           GetCurrentThreadId(), GetThreadId(h[0]), GetThreadId(h[1]), GetThreadId(h[2]));
    DWORD r = WaitForMultipleObjects(WORKERS, h, TRUE, 10000);
    DWORD bad = 0;
    for (int i = 0; i < WORKERS; i++) {
        DWORD code = 1;
        GetExitCodeThread(h[i], &code);
        bad += code;
        CloseHandle(h[i]);
    }
    CloseHandle(never);
    printf("demo_threads: the workers ended (%s)\n", r == WAIT_OBJECT_0 && bad == 0 ? "ok" : "FAILED");
    return r == WAIT_OBJECT_0 && bad == 0 ? 0 : 1;
}
