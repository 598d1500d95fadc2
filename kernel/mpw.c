/* The modified-page writer thread (kernel/mpw.h).
 *
 * It sleeps on an auto-reset event.  A fault that wants it (mm/pager.c:
 * free frames running low, or a full cluster of modified pages) only sets
 * a flag, since it holds the VM lock and the dispatcher lock ranks above
 * it (the scheduler switches address spaces under the dispatcher lock);
 * CPU 0's timer tick, which holds neither, sees the flag and sets the
 * event.  Awake, the thread calls pager_work() until it reports nothing
 * left to do, MPW_ROUNDS rounds a turn, then yields: each round holds the
 * VM lock for one trim batch and one cluster write, so a user thread's
 * fault waits for at most that much.  NT runs its writer at a real-time
 * priority, above every user thread; this scheduler has one round-robin
 * queue, so the writer takes several rounds a turn instead: with one
 * round (16 pages) a turn, a thread writing fresh pages outran it, and
 * faults did half the writes themselves (make bench, pressure.*). */
#include "kernel/mpw.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
#include "kernel/sync.h"
#include "kernel/object.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/panic.h"
#include "mm/pager.h"
#include "mm/pagefile.h"
#include "mm/vm.h"

#define MPW_ROUNDS 16u              /* pager_work calls per turn: up to 256 pages written */

static struct object *wake_event;
static struct mpw_stats stats;

static void mpw_tick(void)
{
    if (wake_event != NULL && pager_writer_wanted())
        event_set(wake_event);
}

static void mpw_main(void *arg)
{
    (void)arg;
    for (;;) {
        wait_for_objects(&wake_event, 1, false, WAIT_FOREVER, WAIT_REASON_EXECUTIVE);
        stats.wakeups++;
        uint32_t n, rounds = 0;
        while ((n = pager_work()) > 0) {
            stats.rounds++;
            stats.pages += n;
            if (++rounds % MPW_ROUNDS == 0)
                thread_yield();
        }
    }
}

void mpw_init(void)
{
    struct pagefile_stats pf;
    pagefile_get_stats(&pf);
    if (pf.state != PAGEFILE_READY)
        return;
    NTSTATUS st = event_create(false, false, &wake_event);
    ASSERTF(NT_SUCCESS(st), "modified-page writer: no event (%08lx)", (unsigned long)st);
    struct thread *t = thread_create("mpw", mpw_main, NULL);
    if (t == NULL) {
        /* Without the writer, faults still write pages themselves; but the
         * limit stays RAM alone, as the page file's slots are not promised. */
        kprintf("pager: no memory for the modified-page writer: commit limit RAM alone\n");
        return;
    }
    thread_detach(t);
    stats.running = true;
    sched_set_tick_work(mpw_tick);
    st = vm_set_pagefile_commit(pager_commit_slots());
    ASSERTF(NT_SUCCESS(st), "commit limit: page file part refused (%08lx)", (unsigned long)st);
    struct vm_stats vs;
    vm_get_stats(&vs);
    kprintf("pager: modified-page writer running; commit limit %u pages = %u (RAM less the "
            "kernel's reserve) + %u (page file)\n", vs.commit_limit,
            vs.commit_limit - vs.commit_limit_pagefile, vs.commit_limit_pagefile);
}

void mpw_get_stats(struct mpw_stats *out)
{
    *out = stats;
}
