/* Ends by an unhandled access violation: no vectored handler is installed,
 * so the process must end with STATUS_ACCESS_VIOLATION as its exit status
 * (the harness runs it as ucrash_av:0xC0000005) and the kernel and the
 * next program must go on. */
#include <windows.h>
#include <stdio.h>

int main(void)
{
    volatile int *p = (volatile int *)0x00005000;   /* below 64 KiB: never mapped */

    printf("# ucrash_av: about to read %p without a handler\n", (void *)p);
    return *p;                                      /* does not return */
}
