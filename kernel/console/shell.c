/* The study console over COM1 (the default job of `make run`): reads
 * keys, hands them to the line editor (line_edit.c, which has the keys),
 * keeps the history, and dispatches each line to the command groups of
 * kernel/console/cmds.h. */
#include "kernel/console/shell.h"
#include "kernel/console/cmds.h"
#include "kernel/console/line_edit.h"
#include "kernel/base/serial.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/x86.h"
#include "mm/vm.h"
#include <string.h>

static struct line_history history;

/* ---- input --------------------------------------------------------------- */

/* Called once each time the console starts waiting for a key: a place for
 * a debugger to stop with the console idle (make debug DEBUG_BATCH=1). */
void __attribute__((noinline)) shell_wait_input(void)
{
    pfn_zero_until(PFN_ZEROED_TARGET);
}

/* Waits for a byte with the CPU halted between timer ticks (1 ms), so an
 * idle console costs the host nothing; the zeroed-frame pool is topped up
 * first, as an idle thread would. */
static char console_getc(void)
{
    if (!serial_can_read())
        shell_wait_input();
    while (!serial_can_read()) {
        uint32_t flags = read_eflags();
        if (flags & EFLAGS_IF)
            hlt();
        else
            __asm__ volatile("pause");
    }
    return serial_getc();
}

/* The next key: a line end is CR, LF or CR LF, so the LF of a CR LF pair
 * is dropped (even when the CR ended the previous line). */
static char console_key(void)
{
    static bool after_cr;

    for (;;) {
        char c = console_getc();
        bool drop = c == '\n' && after_cr;
        after_cr = c == '\r';
        if (!drop)
            return c;
    }
}

static void serial_write(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        serial_putc(s[i]);
}

/* Tab's candidates: every command name, group by group. */
static const char *command_candidate(void *ctx, int i)
{
    (void)ctx;
    for (const struct console_group *g = console_groups; g->title; g++)
        for (const struct console_cmd *c = g->cmds; c->name; c++)
            if (i-- == 0)
                return c->name;
    return NULL;
}

static const struct line_edit_ops command_line_ops = { serial_write, command_candidate, NULL };
static const struct line_edit_ops plain_line_ops = { serial_write, NULL, NULL };

/* One edited line; true on Enter, false on Ctrl-C (line empty). */
static bool read_line(const char *prompt, char *line, size_t cap, bool command)
{
    struct line_edit e;
    enum line_edit_state st;

    line_edit_begin(&e, command ? &command_line_ops : &plain_line_ops, prompt, line, cap,
                    command ? &history : NULL);
    while ((st = line_edit_key(&e, console_key())) == LE_EDITING)
        ;
    return st == LE_DONE;
}

bool console_read_line(const char *prompt, char *line, size_t cap)
{
    return read_line(prompt, line, cap, false);
}

bool console_pause(void)
{
    char line[16];

    if (!console_read_line("-- Enter: next step, q: stop -- ", line, sizeof(line)))
        return false;
    return line[0] != 'q' && line[0] != 'Q';
}

/* ---- dispatch ---------------------------------------------------------------- */

const struct console_group console_groups[] = {
    { "Memory and the machine", console_cmds_sys },
    { "The scratch process (VirtualAlloc family)", console_cmds_vm },
    { "Page tables and page faults", console_cmds_pte },
    { "Heaps", console_cmds_heap },
    { "Processes and threads", console_cmds_threads },
    { "Working sets and paging", console_cmds_ws },
    { "The story of the source material", console_cmds_demo },
    { NULL, NULL },
};

const struct console_cmd *console_find(const char *name)
{
    for (const struct console_group *g = console_groups; g->title; g++)
        for (const struct console_cmd *c = g->cmds; c->name; c++)
            if (strcmp(c->name, name) == 0)
                return c;
    return NULL;
}

static int split_args(char *line, char **argv)
{
    int argc = 0;
    char *p = line;

    while (*p != '\0') {
        while (*p == ' ')
            *p++ = '\0';
        if (*p == '\0')
            break;
        if (argc == CONSOLE_ARGS_MAX)
            return -1;
        argv[argc++] = p;
        while (*p != '\0' && *p != ' ')
            p++;
    }
    return argc;
}

static void run_line(char *line)
{
    char *argv[CONSOLE_ARGS_MAX];
    int argc = split_args(line, argv);

    if (argc < 0) {
        kprintf("too many arguments (at most %d words)\n", CONSOLE_ARGS_MAX);
        return;
    }
    if (argc == 0)
        return;
    const struct console_cmd *c = console_find(argv[0]);
    if (c == NULL) {
        kprintf("unknown command '%s' (type 'help' for the list)\n", argv[0]);
        return;
    }
    c->run(argc, argv);
}

void shell_run(void)
{
    char line[LINE_EDIT_MAX];

    console_scratch_init();
    kprintf("console ready: type 'help' for the commands, 'demo' for the guided tour\n");
    for (;;) {
        if (!read_line(CONSOLE_PROMPT, line, sizeof(line), true))
            continue;
        line_history_add(&history, line);
        run_line(line);
    }
}
