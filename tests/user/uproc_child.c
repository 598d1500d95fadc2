/* The child of tests/user/uprocess.c (issue 15).  Its command line says
 * what to do; run alone (as every program of tests/user is, with just
 * its name as the command line) it does nothing and exits with 0.  It
 * prints nothing: its output would land inside the parent's KTAP.
 *
 *   uproc_child exit N     exit with N
 *   uproc_child sum ...    exit with the sum of the bytes of the whole command line
 *   uproc_child crash      write to address 0 (no handler: STATUS_ACCESS_VIOLATION)
 *   uproc_child wait       sleep until terminated
 *   uproc_child spawn      run "uproc_child exit 7", exit with its code + 1 */
#include <windows.h>
#include <string.h>
#include <stdlib.h>

static const char *arg(const char *line)
{
    const char *sp = strchr(line, ' ');
    return sp != NULL ? sp + 1 : "";
}

int main(void)
{
    const char *line = GetCommandLineA();
    const char *a = arg(line);

    if (strncmp(a, "exit ", 5) == 0)
        return atoi(a + 5);
    if (strncmp(a, "sum", 3) == 0) {
        unsigned sum = 0;
        for (const char *p = line; *p != '\0'; p++)
            sum += (unsigned char)*p;
        return (int)sum;
    }
    if (strcmp(a, "crash") == 0) {
        *(volatile int *)0 = 1;
        return 1;
    }
    if (strcmp(a, "wait") == 0) {
        for (;;)
            Sleep(INFINITE);
    }
    if (strcmp(a, "spawn") == 0) {
        STARTUPINFOA si = { .cb = sizeof(si) };
        PROCESS_INFORMATION pi;
        char cmd[] = "uproc_child exit 7";
        DWORD code = 0;
        if (!CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
            return 100;
        WaitForSingleObject(pi.hProcess, INFINITE);
        GetExitCodeProcess(pi.hProcess, &code);
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
        return (int)code + 1;
    }
    return 0;
}
