/* Console commands about processes and threads (issue 13): threads,
 * start, suspend, resume, kill, and the labels vmmap puts on a process's
 * thread stacks and TEBs.
 *
 * `start NAME` runs a loaded program in the background: a kernel thread
 * runs it (process_run_image, which waits for it to end and prints its
 * exit status), and once every thread of it waits (or after MS ms) the
 * console suspends them all, so `threads` and `vmmap PID` show it
 * standing still;
 * `resume PID` lets it go on, `kill PID` ends it. */
#include "kernel/console/cmds.h"
#include "kernel/base/kprintf.h"
#include "kernel/process.h"
#include "kernel/programs.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
#include "mm/vm.h"
#include "libc/format.h"
#include <ntstatus.h>
#include <string.h>

#define THREADS_SHOWN 64
#define PROCESSES_SHOWN 16
#define START_RUN_MS 1000               /* the longest `start` lets a program run before freezing it */

/* ---- threads ------------------------------------------------------------------ */

static void print_stack(const struct thread_info *x, char *buf, size_t cap)
{
    if (x->stack_end == 0) {
        snprintf(buf, cap, "-");
        return;
    }
    snprintf(buf, cap, "%08x-%08x (%uK, %uK committed)", x->stack_base, x->stack_end,
             (x->stack_end - x->stack_base) / 1024, (x->stack_end - x->stack_limit) / 1024);
}

static void cmd_threads(int argc, char **argv)
{
    static struct thread_info list[THREADS_SHOWN];
    struct process_info procs[PROCESSES_SHOWN];
    char stack[48], reason[24];

    (void)argc;
    (void)argv;
    thread_reap();                      /* threads that ended since: free them now */
    int np = process_snapshot(procs, PROCESSES_SHOWN);
    for (int i = 0; i < np && i < PROCESSES_SHOWN; i++)
        kprintf("process %u %s: %u thread%s, %u handle%s%s\n", procs[i].pid, procs[i].name, procs[i].threads,
                procs[i].threads == 1 ? "" : "s", procs[i].handles, procs[i].handles == 1 ? "" : "s",
                procs[i].ending ? ", ending" : "");
    int n = thread_snapshot(list, THREADS_SHOWN);
    kprintf("  TID   PID  Name             State        Wait reason     Susp  Kernel stack       "
            "User stack                             TEB\n");
    for (int i = 0; i < n && i < THREADS_SHOWN; i++) {
        const struct thread_info *x = &list[i];
        print_stack(x, stack, sizeof(stack));
        snprintf(reason, sizeof(reason), "%s",
                 x->state == THREAD_WAITING ? thread_wait_reason_name(x->wait_reason) : "-");
        char kstack[24] = "(static)";
        if (x->kstack_base != 0)
            snprintf(kstack, sizeof(kstack), "%08x-%08x", x->kstack_base, x->kstack_top);
        char teb[12] = "-";
        if (x->teb != 0)
            snprintf(teb, sizeof(teb), "%08x", x->teb);
        kprintf("%5u %5u  %-15s  %-11s  %-14s  %4u  %-17s  %-37s  %s\n", x->id, x->pid, x->name,
                thread_state_name(x->state), reason, x->suspend_count, kstack, stack, teb);
    }
    if (n > THREADS_SHOWN)
        kprintf("(%d more not shown)\n", n - THREADS_SHOWN);
}

/* ---- background programs -------------------------------------------------------- */

static char run_name[32];

/* The kernel thread a background program runs on: it waits for the
 * program like `run` does, then reports. */
static void runner(void *arg)
{
    char name[32];
    unsigned long status = 0;
    memcpy(name, arg, sizeof(name));
    if (!programs_run_one(name, &status))
        kprintf("\nno program named '%s'\n", name);
}

/* The live process named `name` (the newest), or 0. */
static uint32_t pid_of(const char *name)
{
    struct process_info procs[PROCESSES_SHOWN];
    int n = process_snapshot(procs, PROCESSES_SHOWN);
    for (int i = 0; i < n && i < PROCESSES_SHOWN; i++)
        if (strcmp(procs[i].name, name) == 0)
            return procs[i].pid;
    return 0;
}

static void sleep_ms(uint32_t ms)
{
    wait_for_objects(NULL, 0, false, ms, WAIT_REASON_DELAY);
}

/* True when process pid has threads and every one of them waits. */
static bool all_waiting(uint32_t pid)
{
    static struct thread_info list[THREADS_SHOWN];
    int n = thread_snapshot(list, THREADS_SHOWN), mine = 0;

    for (int i = 0; i < n && i < THREADS_SHOWN; i++) {
        if (list[i].pid != pid)
            continue;
        if (list[i].state != THREAD_WAITING)
            return false;
        mine++;
    }
    return mine > 0;
}

/* A suspend takes effect when a thread next returns to ring 3 or waits;
 * one still Ready or Running has not got there yet.  Gives them the CPU,
 * 1 ms at a time, for at most `ms` more, so that what `threads` shows next
 * is the suspension, not the moment before it (a loaded host may have
 * left a thread Ready when the suspend was asked for). */
static void settle_suspend(uint32_t pid, uint32_t ms)
{
    for (uint32_t waited = 0; waited < ms && !all_waiting(pid); waited++)
        sleep_ms(1);
}

static void cmd_start(int argc, char **argv)
{
    uint32_t ms = START_RUN_MS;

    if (argc < 2 || (argc > 2 && !console_parse_uint(argv[2], &ms))) {
        kprintf("usage: start NAME [MS]\n");
        return;
    }
    if (pid_of(argv[1]) != 0) {
        kprintf("%s is running already\n", argv[1]);
        return;
    }
    snprintf(run_name, sizeof(run_name), "%s", argv[1]);
    struct thread *t = thread_create("runner", runner, run_name);
    if (t == NULL) {
        kprintf("out of memory\n");
        return;
    }
    /* Not a fixed time: on a loaded host a program may not have started
     * its threads within any given number of milliseconds. */
    uint32_t waited = 0, pid = 0;
    bool seen = false;
    for (; waited < ms; waited++) {
        sleep_ms(1);
        pid = pid_of(argv[1]);
        if ((pid != 0 && all_waiting(pid)) || (pid == 0 && seen))
            break;                      /* frozen in place, or it ended */
        seen |= pid != 0;
    }
    struct process *p = pid != 0 ? process_find(pid) : NULL;
    if (p == NULL) {
        thread_join(t);                 /* its runner has printed the exit status */
        kprintf("%s ended within %u ms\n", argv[1], waited);
        return;
    }
    thread_detach(t);                   /* it ends on its own and is reaped */
    process_suspend(p, true);
    process_release(p);
    settle_suspend(pid, 1000);
    kprintf("%s runs as process %u; after %u ms every thread of it is suspended "
            "(threads, vmmap %u; resume %u, kill %u)\n", argv[1], pid, waited, pid, pid, pid);
}

/* The process a PID argument names, referenced, or NULL (reported). */
static struct process *process_arg(int argc, char **argv, const char *usage)
{
    uint32_t pid;
    if (argc < 2 || !console_parse_uint(argv[1], &pid)) {
        kprintf("usage: %s\n", usage);
        return NULL;
    }
    struct process *p = process_find(pid);
    if (p == NULL)
        kprintf("no process %u (threads lists them)\n", pid);
    return p;
}

static void cmd_suspend(int argc, char **argv)
{
    struct process *p = process_arg(argc, argv, "suspend PID");
    if (p != NULL) {
        process_suspend(p, true);
        process_release(p);
    }
}

static void cmd_resume(int argc, char **argv)
{
    struct process *p = process_arg(argc, argv, "resume PID");
    if (p != NULL) {
        process_suspend(p, false);
        process_release(p);
    }
}

static void cmd_kill(int argc, char **argv)
{
    struct process *p = process_arg(argc, argv, "kill PID");
    if (p != NULL) {
        process_terminate(p, (NTSTATUS)1);
        process_release(p);
    }
}

static void cmd_wait(int argc, char **argv)
{
    uint32_t ms = 5000;
    if (argc > 2 && !console_parse_uint(argv[2], &ms)) {
        kprintf("usage: wait PID [MS]\n");
        return;
    }
    struct process *p = process_arg(argc, argv, "wait PID [MS]");
    if (p == NULL)
        return;
    NTSTATUS st = process_wait_end(p, ms);
    uint32_t pid = process_id(p);
    process_release(p);
    if (st == STATUS_SUCCESS)
        kprintf("process %u ended\n", pid);
    else
        kprintf("process %u still runs after %u ms\n", pid, ms);
}

/* ---- vmmap of a process ----------------------------------------------------------- */

static uint32_t vmmap_pid;              /* the process vmmap is showing, 0: none */

/* vmmap PID [-a] [-m]: the process's address space, loaded for the
 * count of resident pages, then the scratch process again. */
bool console_vmmap_process(uint32_t pid, bool all, bool machine)
{
    struct process *p = process_find(pid);
    if (p == NULL)
        return false;
    struct vm_space *as = process_space(p);
    if (as != NULL) {
        vm_switch(as);
        vmmap_pid = pid;
        console_vmmap(as, all, machine);
        vmmap_pid = 0;
        vm_switch(console_scratch());
    }
    process_release(p);
    return true;
}

/* While vmmap shows a process: the label of a region its threads own:
 * a stack (the whole reservation: VMMap's type "Stack"), or TEB pages
 * (one page each, packed, so a committed run may hold several). */
bool console_thread_label(uint32_t alloc_base, uint32_t base, uint32_t size, char *buf, size_t cap,
                          bool *stack)
{
    static struct thread_info list[THREADS_SHOWN];
    size_t len = 0;
    if (vmmap_pid == 0)
        return false;
    int n = thread_snapshot(list, THREADS_SHOWN);
    *stack = false;
    for (int i = 0; i < n && i < THREADS_SHOWN; i++) {
        if (list[i].pid != vmmap_pid)
            continue;
        if (list[i].stack_end != 0 && list[i].stack_base == alloc_base) {
            snprintf(buf, cap, "Thread %u stack", list[i].id);
            *stack = true;
            return true;
        }
        if (list[i].teb != 0 && list[i].teb - base < size && len + 12 < cap)
            len += snprintf(buf + len, cap - len, "%s%u", len == 0 ? "TEB of thread " : ", ", list[i].id);
    }
    return len > 0;
}

/* The pid of a live process named `name`, or 0 (vmmap NAME). */
uint32_t console_process_pid(const char *name)
{
    return pid_of(name);
}

const struct console_cmd console_cmds_threads[] = {
    { "threads", "", "processes and threads: state, wait reason, stacks, TEB", cmd_threads },
    { "start", "NAME [MS]", "run a program in the background, suspended once all its threads wait (or after MS ms: 1000)", cmd_start },
    { "suspend", "PID", "suspend every thread of a process once", cmd_suspend },
    { "resume", "PID", "resume every thread of a process once", cmd_resume },
    { "kill", "PID", "end a process (exit status 1)", cmd_kill },
    { "wait", "PID [MS]", "wait until a process has ended (at most MS ms: 5000)", cmd_wait },
    { NULL, NULL, NULL, NULL },
};
