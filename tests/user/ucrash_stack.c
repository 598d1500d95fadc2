/* Ends by running off its 1 MiB stack reservation: the guard page moves
 * down as the stack grows (each hit commits the next page), and when no
 * room is left the program gets STATUS_STACK_OVERFLOW; with no handler it
 * ends with that code (the harness runs it as ucrash_stack:0xC00000FD). */
#include <windows.h>
#include <stdio.h>

static int deeper(volatile char *prev, int depth)
{
    volatile char frame[1024];
    frame[0] = (char)depth;
    frame[1023] = prev != NULL ? prev[0] : 0;
    if (depth > 1 << 20)
        return 0;                   /* never reached: 1 GiB of frames */
    return deeper(frame, depth + 1) + frame[1];
}

int main(void)
{
    printf("# ucrash_stack: recursing until the stack reservation runs out\n");
    return deeper(NULL, 0);
}
