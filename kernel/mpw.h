/* The modified-page writer (issue 19): a kernel thread that writes the
 * modified list to the page file ahead of need, so that faults find
 * standby frames to repurpose instead of writing pages themselves
 * (NT's MiModifiedPageWriter).  The policy is the pager's (mm/pager.h);
 * this is the thread and its wake-up. */
#ifndef KERNEL_MPW_H
#define KERNEL_MPW_H

#include <stdbool.h>
#include <stdint.h>

/* With a usable page file: starts the writer thread, then counts the page
 * file in the commit limit (RAM + page file: its pages can now leave
 * memory without a fault having to wait for a disk write).  Without one it
 * does nothing and the limit stays RAM alone.  Once, after thread_init. */
void mpw_init(void);

struct mpw_stats {
    bool running;
    uint32_t wakeups;               /* times the thread was woken */
    uint32_t rounds;                /* pager_work calls that did something */
    uint32_t pages;                 /* pages trimmed, written or repurposed by it */
};
void mpw_get_stats(struct mpw_stats *out);

#endif
