/* errno, one per thread: the value of TLS slot SDK_ERRNO_TLS_SLOT of the
 * thread's TEB, which sdk_thread_init takes first (the Microsoft C
 * runtime keeps errno in its per-thread data, reached through TLS). */
#include <errno.h>
#include "sdk.h"
#include <winternl.h>

int *_errno(void)
{
    return (int *)&((PTEB)NtCurrentTeb())->TlsSlots[SDK_ERRNO_TLS_SLOT];
}
