/* An unhandled exception in a second thread ends the whole process with
 * its code (issue 13, point 6): the worker writes to NULL while the main
 * thread waits for it; no handler takes the access violation, so the
 * process ends with 0xC0000005 and the main thread's wait never returns
 * (the harness runs it as ucrash_thread:0xC0000005).  Other threads,
 * blocked or running, end with it; the kernel's leak check after the
 * program checks that they left nothing behind. */
#include <windows.h>
#include <stdio.h>

static volatile LONG spinning;

static DWORD WINAPI spin(LPVOID arg)
{
    (void)arg;
    while (spinning >= 0)
        InterlockedIncrement(&spinning);
    return 0;
}

static DWORD WINAPI crash(LPVOID arg)
{
    (void)arg;
    Sleep(10);
    *(volatile int *)0 = 1;
    return 0;
}

int main(void)
{
    HANDLE never = CreateEvent(NULL, TRUE, FALSE, NULL);
    CreateThread(NULL, 0, spin, NULL, 0, NULL);
    HANDLE h = CreateThread(NULL, 0, crash, NULL, 0, NULL);
    printf("# ucrash_thread: a worker writes to NULL; nobody handles it\n");
    WaitForSingleObject(never, INFINITE);
    WaitForSingleObject(h, INFINITE);
    printf("# ucrash_thread: still running after the worker's fault\n");
    return 1;
}
