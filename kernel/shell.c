/* A small line-oriented console over COM1. */
#include "kernel/shell.h"
#include "kernel/serial.h"
#include "kernel/console.h"
#include "kernel/bootinfo.h"
#include "kernel/timer.h"
#include "kernel/qemu.h"
#include <string.h>

#define LINE_MAX 128

struct shell_command {
    const char *name;
    const char *help;
    void (*run)(const char *args);
};

static void cmd_help(const char *args);

static void cmd_mem(const char *args)
{
    (void)args;
    bootinfo_print();
}

static void cmd_ticks(const char *args)
{
    (void)args;
    kprintf("%llu timer ticks (%u Hz)\n", timer_ticks(), TIMER_HZ);
}

static void cmd_halt(const char *args)
{
    (void)args;
    kprintf("halting\n");
    qemu_exit(QEMU_EXIT_PASS);
}

static const struct shell_command commands[] = {
    { "help", "list the commands", cmd_help },
    { "mem", "the memory map the boot loader gave", cmd_mem },
    { "ticks", "timer ticks since boot", cmd_ticks },
    { "halt", "leave QEMU (exit status 33)", cmd_halt },
};
#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static void cmd_help(const char *args)
{
    (void)args;
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        kprintf("  %-8s %s\n", commands[i].name, commands[i].help);
}

static void read_line(char *line, size_t cap)
{
    size_t n = 0;

    for (;;) {
        char c = serial_getc();
        if (c == '\r' || c == '\n') {
            kprintf("\n");
            break;
        }
        if ((c == '\b' || c == 0x7F) && n > 0) {
            n--;
            kputs("\b \b");
        } else if (c >= ' ' && c < 0x7F && n + 1 < cap) {
            line[n++] = c;
            serial_putc(c);
        }
    }
    line[n] = '\0';
}

static void run_line(char *line)
{
    while (*line == ' ')
        line++;
    if (*line == '\0')
        return;
    char *args = strchr(line, ' ');
    if (args != NULL)
        *args++ = '\0';
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        if (strcmp(commands[i].name, line) == 0) {
            commands[i].run(args ? args : "");
            return;
        }
    }
    kprintf("unknown command '%s' (try 'help')\n", line);
}

void shell_run(void)
{
    char line[LINE_MAX];

    kprintf("console ready: type 'help'\n");
    for (;;) {
        kprintf("> ");
        read_line(line, sizeof(line));
        run_line(line);
    }
}
