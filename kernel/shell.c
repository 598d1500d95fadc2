/* The study console over COM1 (the default job of `make run`): line
 * editing, history, and dispatch to the command groups of
 * kernel/console_cmds.h.
 *
 * Keys: printable characters, Backspace/Delete, Enter (CR, LF or CR LF),
 * Up/Down arrows (ESC [ A / ESC [ B, or ESC O A / B) to walk the history,
 * Tab to complete a command name, Ctrl-U to clear the line, Ctrl-C to
 * drop it.  Other escape sequences are read and ignored.  Redrawing uses
 * only backspaces, so any terminal (or a pipe) shows the line right. */
#include "kernel/shell.h"
#include "kernel/console_cmds.h"
#include "kernel/base/serial.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/x86.h"
#include "mm/vm.h"
#include <string.h>

#define LINE_MAX 160
#define HISTORY_MAX 32

static char history[HISTORY_MAX][LINE_MAX];
static int history_count;               /* lines stored, at most HISTORY_MAX */
static int history_next;                /* slot the next line goes to */

/* ---- input --------------------------------------------------------------- */

/* Called once each time the console starts waiting for a key: a place for
 * a debugger to stop with the console idle (make debug DEBUG_BATCH=1). */
void __attribute__((noinline)) shell_wait_input(void)
{
    vm_zero_pool_refill();
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

static void history_add(const char *line)
{
    int last = (history_next + HISTORY_MAX - 1) % HISTORY_MAX;

    if (line[0] == '\0' || (history_count > 0 && strcmp(history[last], line) == 0))
        return;
    strncpy(history[history_next], line, LINE_MAX - 1);
    history[history_next][LINE_MAX - 1] = '\0';
    history_next = (history_next + 1) % HISTORY_MAX;
    if (history_count < HISTORY_MAX)
        history_count++;
}

/* The history line `back` steps before the newest (1 = newest). */
static const char *history_get(int back)
{
    return history[(history_next - back + HISTORY_MAX * 2) % HISTORY_MAX];
}

static void erase_chars(size_t n)
{
    for (size_t i = 0; i < n; i++)
        kputs("\b \b");
}

/* Replaces the visible line (n characters) with text. */
static size_t replace_line(char *line, size_t n, size_t cap, const char *text)
{
    erase_chars(n);
    strncpy(line, text, cap - 1);
    line[cap - 1] = '\0';
    kputs(line);
    return strlen(line);
}

/* Completes the command name typed so far when it is the prefix of
 * exactly one command; lists the candidates otherwise. */
static size_t complete(char *line, size_t n, size_t cap, const char *prompt)
{
    const struct console_cmd *match = NULL;
    int count = 0;

    if (memchr(line, ' ', n) != NULL)
        return n;
    for (const struct console_group *g = console_groups; g->title; g++)
        for (const struct console_cmd *c = g->cmds; c->name; c++)
            if (strncmp(c->name, line, n) == 0) {
                match = c;
                count++;
            }
    if (count == 1) {
        n = replace_line(line, n, cap, match->name);
        if (n + 1 < cap) {
            line[n++] = ' ';
            line[n] = '\0';
            kputs(" ");
        }
    } else if (count > 1) {
        kputs("\n");
        for (const struct console_group *g = console_groups; g->title; g++)
            for (const struct console_cmd *c = g->cmds; c->name; c++)
                if (strncmp(c->name, line, n) == 0)
                    kprintf("%s  ", c->name);
        kprintf("\n%s%s", prompt, line);
    }
    return n;
}

/* Line editor.  with_history: arrows walk the history and Tab completes. */
static bool read_line(const char *prompt, char *line, size_t cap, bool with_history)
{
    size_t n = 0;
    int back = 0;                       /* history position, 0 = the line being typed */
    char saved[LINE_MAX] = "";
    static char last_end;               /* CR of a CR LF pair already handled */

    kputs(prompt);
    line[0] = '\0';
    for (;;) {
        char c = console_getc();
        if (c == '\n' && last_end == '\r') {
            last_end = 0;
            continue;
        }
        last_end = 0;
        if (c == '\r' || c == '\n') {
            last_end = c;
            kputs("\n");
            line[n] = '\0';
            return true;
        }
        if (c == 0x03) {                /* Ctrl-C */
            kputs("^C\n");
            line[0] = '\0';
            return false;
        }
        if (c == 0x15) {                /* Ctrl-U */
            erase_chars(n);
            n = 0;
            line[0] = '\0';
            continue;
        }
        if (c == '\b' || c == 0x7F) {
            if (n > 0) {
                line[--n] = '\0';
                kputs("\b \b");
            }
            continue;
        }
        if (c == '\t' && with_history) {
            line[n] = '\0';
            n = complete(line, n, cap, prompt);
            continue;
        }
        if (c == 0x1B) {                /* ESC [ X or ESC O X; longer ones end at a letter or ~ */
            char k = console_getc();
            if (k != '[' && k != 'O')
                continue;
            do
                k = console_getc();
            while ((k >= '0' && k <= '9') || k == ';');
            if (!with_history || (k != 'A' && k != 'B'))
                continue;
            line[n] = '\0';
            if (back == 0)
                strcpy(saved, line);
            if (k == 'A' && back < history_count)
                back++;
            else if (k == 'B' && back > 0)
                back--;
            else
                continue;
            n = replace_line(line, n, cap, back == 0 ? saved : history_get(back));
            continue;
        }
        if (c >= ' ' && c < 0x7F && n + 1 < cap) {
            line[n++] = c;
            line[n] = '\0';
            serial_putc(c);
        }
    }
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
    char line[LINE_MAX];

    console_scratch_init();
    kprintf("console ready: type 'help' for the commands, 'demo' for the guided tour\n");
    for (;;) {
        if (!read_line(CONSOLE_PROMPT, line, sizeof(line), true))
            continue;
        history_add(line);
        run_line(line);
    }
}
