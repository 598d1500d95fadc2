/* The console's line editor (line_edit.h).
 *
 * One invariant holds between keys: the terminal shows the prompt and
 * buf[0..len), nothing after it on that row, and its cursor is cur
 * characters past the prompt.  Every edit changes buf, then writes the
 * least that restores the invariant, using only what any ANSI terminal
 * does (ECMA-48): BS and CSI n D to move left, CSI n C to move right,
 * CSI K to erase to the end of the row.  A count of 0 is never sent
 * (terminals read CSI 0 D as CSI 1 D). */
#include "kernel/console/line_edit.h"
#include "libc/format.h"
#include <string.h>

#define CTRL(k) ((k) & 0x1F)

enum esc_state { ESC_NONE, ESC_SEEN, ESC_CSI, ESC_SS3 };

/* ---- history ---------------------------------------------------------------- */

void line_history_add(struct line_history *h, const char *line)
{
    int newest = (h->next + LINE_HISTORY_MAX - 1) % LINE_HISTORY_MAX;

    if (line[0] == '\0' || (h->count > 0 && strcmp(h->lines[newest], line) == 0))
        return;
    strncpy(h->lines[h->next], line, LINE_EDIT_MAX - 1);
    h->lines[h->next][LINE_EDIT_MAX - 1] = '\0';
    h->next = (h->next + 1) % LINE_HISTORY_MAX;
    if (h->count < LINE_HISTORY_MAX)
        h->count++;
}

/* The line `back` steps before the newest (1 = newest, count = oldest). */
static const char *history_get(const struct line_history *h, int back)
{
    return h->lines[(h->next - back + 2 * LINE_HISTORY_MAX) % LINE_HISTORY_MAX];
}

/* ---- terminal output ------------------------------------------------------------ */

static void out(struct line_edit *e, const char *s, size_t n)
{
    if (n > 0)
        e->ops->write(e->ops->ctx, s, n);
}

static void out_str(struct line_edit *e, const char *s)
{
    out(e, s, strlen(s));
}

/* Moves the terminal's cursor n columns: BS for one to the left (any
 * terminal), CSI n D / CSI n C otherwise. */
static void cursor_left(struct line_edit *e, size_t n)
{
    char seq[16];

    if (n == 1)
        out_str(e, "\b");
    else if (n > 1)
        out(e, seq, (size_t)snprintf(seq, sizeof(seq), "\x1b[%uD", (unsigned)n));
}

static void cursor_right(struct line_edit *e, size_t n)
{
    char seq[16];

    if (n > 0)
        out(e, seq, (size_t)snprintf(seq, sizeof(seq), "\x1b[%uC", (unsigned)n));
}

/* Redraws from the cursor to the end of the line (the row cleared past
 * it) and puts the terminal's cursor back at cur. */
static void redraw_tail(struct line_edit *e)
{
    out(e, e->buf + e->cur, e->len - e->cur);
    out_str(e, "\x1b[K");
    cursor_left(e, e->len - e->cur);
}

/* ---- edits ------------------------------------------------------------------------ */

/* Inserts n bytes at the cursor (as many as fit) and moves past them. */
static void insert(struct line_edit *e, const char *s, size_t n)
{
    if (n > e->cap - 1 - e->len)
        n = e->cap - 1 - e->len;
    if (n == 0)
        return;
    memmove(e->buf + e->cur + n, e->buf + e->cur, e->len - e->cur + 1);
    memcpy(e->buf + e->cur, s, n);
    e->len += n;
    out(e, e->buf + e->cur, e->len - e->cur);   /* the new text and the tail after it */
    e->cur += n;
    cursor_left(e, e->len - e->cur);
}

/* Deletes n characters before the cursor (n <= cur). */
static void erase_before(struct line_edit *e, size_t n)
{
    if (n == 0)
        return;
    memmove(e->buf + e->cur - n, e->buf + e->cur, e->len - e->cur + 1);
    e->cur -= n;
    e->len -= n;
    cursor_left(e, n);
    redraw_tail(e);
}

/* Deletes n characters from the cursor on (n <= len - cur). */
static void erase_at(struct line_edit *e, size_t n)
{
    if (n == 0)
        return;
    memmove(e->buf + e->cur, e->buf + e->cur + n, e->len - e->cur - n + 1);
    e->len -= n;
    redraw_tail(e);
}

/* Moves the cursor to position to (0..len). */
static void move_to(struct line_edit *e, size_t to)
{
    if (to < e->cur)
        cursor_left(e, e->cur - to);
    else
        cursor_right(e, to - e->cur);
    e->cur = to;
}

/* Replaces the whole line with text, the cursor at its end. */
static void set_line(struct line_edit *e, const char *text)
{
    move_to(e, 0);
    strncpy(e->buf, text, e->cap - 1);
    e->buf[e->cap - 1] = '\0';
    e->len = e->cur = strlen(e->buf);
    out(e, e->buf, e->len);
    out_str(e, "\x1b[K");
}

/* Ctrl-W: the word before the cursor and the spaces after it. */
static void erase_word(struct line_edit *e)
{
    size_t i = e->cur;

    while (i > 0 && e->buf[i - 1] == ' ')
        i--;
    while (i > 0 && e->buf[i - 1] != ' ')
        i--;
    erase_before(e, e->cur - i);
}

/* Up (dir 1) or Down (dir -1) in the history: the line being typed is
 * kept aside while older lines are shown, and comes back at the bottom. */
static void history_step(struct line_edit *e, int dir)
{
    int back = e->back + dir;

    if (e->hist == NULL || back < 0 || back > e->hist->count)
        return;
    if (e->back == 0) {
        strncpy(e->saved, e->buf, sizeof(e->saved) - 1);
        e->saved[sizeof(e->saved) - 1] = '\0';
    }
    e->back = back;
    set_line(e, back == 0 ? e->saved : history_get(e->hist, back));
}

/* ---- completion -------------------------------------------------------------------- */

/* Tab on the first word, with the cursor at its end: one candidate with
 * that prefix is completed (and a space added at the end of the line);
 * several are completed as far as they agree, and when they agree no
 * further they are listed and the line drawn again below them. */
static void complete(struct line_edit *e)
{
    const char *c, *first = NULL;
    size_t n = e->cur, common = 0;
    int count = 0;

    if (e->ops->candidate == NULL || memchr(e->buf, ' ', n) != NULL ||
        (e->cur < e->len && e->buf[e->cur] != ' '))
        return;
    for (int i = 0; (c = e->ops->candidate(e->ops->ctx, i)) != NULL; i++) {
        if (strncmp(c, e->buf, n) != 0)
            continue;
        if (count++ == 0) {
            first = c;
            common = strlen(c);
        } else {
            size_t k = n;
            while (k < common && c[k] == first[k])
                k++;
            common = k;
        }
    }
    if (count == 0)
        return;
    if (common > n) {
        insert(e, first + n, common - n);
    } else if (count > 1) {
        out_str(e, "\n");
        for (int i = 0; (c = e->ops->candidate(e->ops->ctx, i)) != NULL; i++)
            if (strncmp(c, e->buf, n) == 0) {
                out_str(e, c);
                out_str(e, "  ");
            }
        out_str(e, "\n");
        out_str(e, e->prompt);
        out(e, e->buf, e->len);
        cursor_left(e, e->len - e->cur);
        return;
    }
    if (count == 1 && e->cur == e->len)
        insert(e, " ", 1);
}

/* ---- keys --------------------------------------------------------------------------- */

void line_edit_begin(struct line_edit *e, const struct line_edit_ops *ops, const char *prompt,
                     char *buf, size_t cap, struct line_history *hist)
{
    e->ops = ops;
    e->prompt = prompt;
    e->buf = buf;
    e->cap = cap < LINE_EDIT_MAX ? cap : LINE_EDIT_MAX;
    e->len = e->cur = 0;
    e->hist = hist;
    e->back = 0;
    e->saved[0] = '\0';
    e->esc = ESC_NONE;
    e->esc_arg = 0;
    buf[0] = '\0';
    out_str(e, prompt);
}

/* The final byte of ESC [ ... or ESC O ...: the key it names. */
static void escape_key(struct line_edit *e, char k)
{
    switch (k) {
    case 'A': history_step(e, 1); break;
    case 'B': history_step(e, -1); break;
    case 'C': move_to(e, e->cur < e->len ? e->cur + 1 : e->len); break;
    case 'D': move_to(e, e->cur > 0 ? e->cur - 1 : 0); break;
    case 'H': move_to(e, 0); break;
    case 'F': move_to(e, e->len); break;
    case '~':                           /* ESC [ n ~: VT220 editing keys */
        if (e->esc_arg == 1 || e->esc_arg == 7)
            move_to(e, 0);
        else if (e->esc_arg == 4 || e->esc_arg == 8)
            move_to(e, e->len);
        else if (e->esc_arg == 3 && e->cur < e->len)
            erase_at(e, 1);
        break;
    }
}

/* Escape-sequence bytes: true when c was one (consumed).  A control
 * character ends a sequence unfinished and is then a key of its own, so
 * ESC followed by Enter still ends the line. */
static bool escape_byte(struct line_edit *e, char c)
{
    if (e->esc != ESC_NONE && (unsigned char)c < 0x20) {
        e->esc = ESC_NONE;
        return false;
    }
    switch (e->esc) {
    case ESC_SEEN:                      /* ESC [ (CSI), ESC O (SS3); any other pair is dropped */
        e->esc = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : ESC_NONE;
        e->esc_arg = 0;
        return true;
    case ESC_CSI:                       /* parameters until a final byte (ECMA-48 5.4) */
        if (c >= '0' && c <= '9') {
            if (e->esc_arg < 1000)
                e->esc_arg = e->esc_arg * 10 + (unsigned)(c - '0');
            return true;
        }
        if (c >= 0x20 && c <= 0x3F)     /* ';' and other parameter / intermediate bytes */
            return true;
        e->esc = ESC_NONE;
        escape_key(e, c);
        return true;
    case ESC_SS3:
        e->esc = ESC_NONE;
        escape_key(e, c);
        return true;
    default:
        return false;
    }
}

enum line_edit_state line_edit_key(struct line_edit *e, char c)
{
    if (escape_byte(e, c))
        return LE_EDITING;
    switch (c) {
    case '\r':
    case '\n':
        out_str(e, "\n");
        return LE_DONE;
    case CTRL('C'):
        out_str(e, "^C\n");
        e->buf[0] = '\0';
        e->len = e->cur = 0;
        return LE_CANCELLED;
    case 0x1B:
        e->esc = ESC_SEEN;
        break;
    case 0x7F:
    case CTRL('H'):
        if (e->cur > 0)
            erase_before(e, 1);
        break;
    case CTRL('D'):
        if (e->cur < e->len)
            erase_at(e, 1);
        break;
    case CTRL('A'): move_to(e, 0); break;
    case CTRL('E'): move_to(e, e->len); break;
    case CTRL('B'): escape_key(e, 'D'); break;
    case CTRL('F'): escape_key(e, 'C'); break;
    case CTRL('P'): history_step(e, 1); break;
    case CTRL('N'): history_step(e, -1); break;
    case CTRL('U'): erase_before(e, e->cur); break;
    case CTRL('K'): erase_at(e, e->len - e->cur); break;
    case CTRL('W'): erase_word(e); break;
    case '\t': complete(e); break;
    default:
        if (c >= ' ' && c < 0x7F)
            insert(e, &c, 1);
        break;
    }
    return LE_EDITING;
}
