/* The console's line editor: a state machine fed one key byte at a time.
 * It edits a line buffer and writes what an ANSI (VT100) terminal needs
 * to show the prompt and the line with the cursor in the right place; it
 * does no I/O itself (the caller reads keys and supplies `write`).
 *
 * Keys: printable characters insert at the cursor; Backspace (0x7F or
 * 0x08) and Ctrl-H erase before it, Delete (ESC [ 3 ~) and Ctrl-D at it;
 * Left/Right (ESC [ D / C, ESC O D / C, Ctrl-B / Ctrl-F); Home/End
 * (ESC [ H / F, ESC O H / F, ESC [ 1 ~ / 4 ~, Ctrl-A / Ctrl-E); Ctrl-U
 * kills to the start of the line, Ctrl-K to its end, Ctrl-W the word
 * before the cursor; Up/Down (ESC [ A / B, ESC O A / B, Ctrl-P / Ctrl-N)
 * walk the history; Tab completes the first word from the candidates;
 * Enter (CR or LF: the caller folds a CR LF pair) ends the line; Ctrl-C
 * drops it.  Other escape sequences are read to their end and ignored
 * (a control character cuts one short and counts as a key).
 *
 * The terminal is assumed not to wrap the line: a prompt and line wider
 * than the terminal redraw wrong, as with most single-line editors. */
#ifndef KERNEL_CONSOLE_LINE_EDIT_H
#define KERNEL_CONSOLE_LINE_EDIT_H

#include <stdbool.h>
#include <stddef.h>

#define LINE_EDIT_MAX 160               /* longest line, with its NUL */
#define LINE_HISTORY_MAX 32             /* lines a history keeps */

/* The last LINE_HISTORY_MAX lines entered, oldest dropped first.  Zeroed
 * memory is an empty history. */
struct line_history {
    char lines[LINE_HISTORY_MAX][LINE_EDIT_MAX];
    int count;                          /* lines stored */
    int next;                           /* slot the next line goes to */
};

/* Adds a line unless it is empty or repeats the newest one. */
void line_history_add(struct line_history *h, const char *line);

/* What the editor needs from its user. */
struct line_edit_ops {
    /* Writes n bytes to the terminal ('\n' must reach it as a new line). */
    void (*write)(void *ctx, const char *s, size_t n);
    /* Candidate i (0, 1, ...) for Tab, NULL past the last; NULL: no Tab. */
    const char *(*candidate)(void *ctx, int i);
    void *ctx;
};

enum line_edit_state { LE_EDITING, LE_DONE, LE_CANCELLED };

/* One line being edited.  The fields are the editor's own. */
struct line_edit {
    const struct line_edit_ops *ops;
    const char *prompt;
    char *buf;                          /* the line, always NUL-terminated */
    size_t cap, len, cur;               /* capacity, length, cursor (0..len) */
    struct line_history *hist;          /* NULL: no history */
    int back;                           /* history position, 0 = the line being typed */
    char saved[LINE_EDIT_MAX];          /* the typed line while the history is shown */
    int esc;                            /* escape-sequence state */
    unsigned esc_arg;                   /* its first numeric parameter */
};

/* Starts a line: empties buf (cap bytes, 2..LINE_EDIT_MAX) and writes the
 * prompt.  hist may be NULL. */
void line_edit_begin(struct line_edit *e, const struct line_edit_ops *ops, const char *prompt,
                     char *buf, size_t cap, struct line_history *hist);
/* Feeds one key byte.  LE_DONE: Enter, buf holds the line; LE_CANCELLED:
 * Ctrl-C, buf is empty.  Either way the terminal is on a new line. */
enum line_edit_state line_edit_key(struct line_edit *e, char c);

#endif
