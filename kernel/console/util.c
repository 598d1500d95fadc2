/* What the console's commands share: the scratch process, parsing of
 * addresses, sizes and protections, and names for the Windows constants. */
#include "kernel/console/cmds.h"
#include "kernel/base/kprintf.h"
#include "kernel/base/ksyms.h"
#include "kernel/base/panic.h"
#include "libc/format.h"
#include "mm/vm.h"
#include "mm/memlayout.h"
#include <string.h>

/* ---- the scratch process ---------------------------------------------------- */

#define LABELS_MAX 32
#define LABEL_LEN 40

static struct vm_space *scratch;
static struct {
    uint32_t base;
    char text[LABEL_LEN];
} labels[LABELS_MAX];

void console_scratch_init(void)
{
    scratch = vm_space_create();
    if (scratch == NULL)
        panic("console: no memory for the scratch process");
    vm_switch(scratch);
}

struct vm_space *console_scratch(void)
{
    return scratch;
}

void console_scratch_reset(void)
{
    struct vm_space *old = scratch;

    vm_switch(vm_kernel_space());
    vm_space_destroy(old);
    memset(labels, 0, sizeof(labels));
    console_scratch_init();
}

struct vm_space *console_space_of(uint32_t addr)
{
    return addr >= USER_END ? vm_kernel_space() : scratch;
}

const char *console_space_name(const struct vm_space *as)
{
    return as == vm_kernel_space() ? "kernel space" : as == console_scratch() ? "scratch process" : "user process";
}

void console_label_set(uint32_t base, const char *label)
{
    int slot = -1;

    for (int i = 0; i < LABELS_MAX; i++) {
        if (labels[i].base == base) {
            slot = i;
            break;
        }
        if (slot < 0 && labels[i].base == 0)
            slot = i;
    }
    if (slot < 0)
        return;                         /* full: the region just has no label */
    labels[slot].base = base;
    strncpy(labels[slot].text, label, LABEL_LEN - 1);
    labels[slot].text[LABEL_LEN - 1] = '\0';
}

const char *console_label(uint32_t base)
{
    for (int i = 0; i < LABELS_MAX; i++)
        if (labels[i].base == base && base != 0)
            return labels[i].text;
    return NULL;
}

void console_label_clear(uint32_t base)
{
    for (int i = 0; i < LABELS_MAX; i++)
        if (labels[i].base == base)
            labels[i].base = 0;
}

/* ---- parsing ------------------------------------------------------------------ */

static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = upper(c);
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses s[0..n) in base; false on an empty string, a bad digit or overflow. */
static bool parse_digits(const char *s, size_t n, unsigned base, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        int d = digit_value(s[i]);
        if (d < 0 || (unsigned)d >= base)
            return false;
        v = v * base + (unsigned)d;
        if (v > 0xFFFFFFFFull)
            return false;
    }
    *out = v;
    return true;
}

static bool has_hex_prefix(const char *s)
{
    return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

bool console_parse_uint(const char *s, uint32_t *out)
{
    uint64_t v;
    bool ok = has_hex_prefix(s) ? parse_digits(s + 2, strlen(s + 2), 16, &v)
                                : parse_digits(s, strlen(s), 10, &v);
    if (ok)
        *out = (uint32_t)v;
    return ok;
}

bool console_parse_addr(const char *s, uint32_t *out)
{
    uint64_t v;
    const char *digits = has_hex_prefix(s) ? s + 2 : s;

    /* Digits may be grouped with a backtick, as WinDbg prints 0x8010`0000. */
    char clean[16];
    size_t n = 0;
    for (const char *p = digits; *p != '\0'; p++) {
        if (*p == '`' || *p == '_')
            continue;
        if (n + 1 >= sizeof(clean))
            return false;
        clean[n++] = *p;
    }
    if (parse_digits(clean, n, 16, &v)) {
        *out = (uint32_t)v;
        return true;
    }
    uint32_t sym = ksyms_address(s);
    if (sym != 0) {
        *out = sym;
        return true;
    }
    return false;
}

bool console_parse_size(const char *s, uint32_t *out)
{
    size_t n = strlen(s);
    uint64_t v, unit = 1;

    if (has_hex_prefix(s)) {
        if (!parse_digits(s + 2, n - 2, 16, &v))
            return false;
    } else {
        char last = n > 0 ? upper(s[n - 1]) : 0;
        if (last == 'K' || last == 'M' || last == 'G') {
            unit = last == 'K' ? 1024u : last == 'M' ? 1024u * 1024 : 1024u * 1024 * 1024;
            n--;
        }
        if (!parse_digits(s, n, 10, &v))
            return false;
    }
    if (v * unit > 0xFFFFFFFFull)
        return false;
    *out = (uint32_t)(v * unit);
    return true;
}

static const struct {
    const char *name;
    uint32_t value;
} prot_names[] = {
    { "NOACCESS", PAGE_NOACCESS },
    { "READONLY", PAGE_READONLY },
    { "READWRITE", PAGE_READWRITE },
    { "WRITECOPY", PAGE_WRITECOPY },
    { "EXECUTE", PAGE_EXECUTE },
    { "EXECUTE_READ", PAGE_EXECUTE_READ },
    { "EXECUTE_READWRITE", PAGE_EXECUTE_READWRITE },
    { "EXECUTE_WRITECOPY", PAGE_EXECUTE_WRITECOPY },
    { "GUARD", PAGE_GUARD },
    { "NOCACHE", PAGE_NOCACHE },
    { "WRITECOMBINE", PAGE_WRITECOMBINE },
    /* short forms */
    { "NA", PAGE_NOACCESS },
    { "RO", PAGE_READONLY },
    { "R", PAGE_READONLY },
    { "RW", PAGE_READWRITE },
    { "X", PAGE_EXECUTE },
    { "RX", PAGE_EXECUTE_READ },
    { "RWX", PAGE_EXECUTE_READWRITE },
};
#define PROT_NAMES (sizeof(prot_names) / sizeof(prot_names[0]))
#define PROT_LONG_NAMES 11              /* the first 11 are the real names */

/* One word of a protection: a name (PAGE_ optional, any case) or a number. */
static bool parse_prot_word(const char *s, size_t n, uint32_t *out)
{
    char w[24];

    if (n >= sizeof(w))
        return false;
    for (size_t i = 0; i < n; i++)
        w[i] = upper(s[i]);
    w[n] = '\0';
    const char *name = strncmp(w, "PAGE_", 5) == 0 ? w + 5 : w;
    for (size_t i = 0; i < PROT_NAMES; i++) {
        if (strcmp(prot_names[i].name, name) == 0) {
            *out = prot_names[i].value;
            return true;
        }
    }
    uint64_t v;
    if (n > 2 && has_hex_prefix(w) && parse_digits(w + 2, n - 2, 16, &v)) {
        *out = (uint32_t)v;
        return true;
    }
    return false;
}

bool console_parse_prot(const char *s, uint32_t *out)
{
    uint32_t prot = 0;

    while (*s != '\0') {
        size_t n = 0;
        while (s[n] != '\0' && s[n] != '|' && s[n] != '+')
            n++;
        uint32_t v;
        if (!parse_prot_word(s, n, &v))
            return false;
        prot |= v;
        s += n;
        if (*s != '\0')
            s++;
    }
    *out = prot;
    return prot != 0;
}

/* ---- names --------------------------------------------------------------------- */

void console_prot_str(uint32_t prot, char *buf, size_t cap)
{
    size_t len = 0;

    buf[0] = '\0';
    if (prot == 0) {
        snprintf(buf, cap, "-");
        return;
    }
    for (size_t i = 0; i < PROT_LONG_NAMES; i++) {
        uint32_t v = prot_names[i].value;
        bool base = v <= 0xFF;
        if ((base && (prot & 0xFF) == v) || (!base && (prot & v))) {
            len += snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", len ? "|" : "",
                            prot_names[i].name);
            prot &= ~v;
        }
    }
    if (prot != 0 && len < cap)
        snprintf(buf + len, cap - len, "%s0x%x", len ? "|" : "", prot);
}

const char *console_state_name(uint32_t state)
{
    switch (state) {
    case MEM_COMMIT: return "Commit";
    case MEM_RESERVE: return "Reserve";
    case MEM_FREE: return "Free";
    default: return "?";
    }
}

const char *console_status_name(NTSTATUS st)
{
    switch (st) {
    case STATUS_SUCCESS: return "STATUS_SUCCESS";
    case STATUS_GUARD_PAGE_VIOLATION: return "STATUS_GUARD_PAGE_VIOLATION";
    case STATUS_ACCESS_VIOLATION: return "STATUS_ACCESS_VIOLATION";
    case STATUS_INVALID_PARAMETER: return "STATUS_INVALID_PARAMETER";
    case STATUS_NO_MEMORY: return "STATUS_NO_MEMORY";
    case STATUS_CONFLICTING_ADDRESSES: return "STATUS_CONFLICTING_ADDRESSES";
    case STATUS_UNABLE_TO_FREE_VM: return "STATUS_UNABLE_TO_FREE_VM";
    case STATUS_NOT_COMMITTED: return "STATUS_NOT_COMMITTED";
    case STATUS_INVALID_PAGE_PROTECTION: return "STATUS_INVALID_PAGE_PROTECTION";
    case STATUS_FREE_VM_NOT_AT_BASE: return "STATUS_FREE_VM_NOT_AT_BASE";
    case STATUS_MEMORY_NOT_ALLOCATED: return "STATUS_MEMORY_NOT_ALLOCATED";
    case STATUS_COMMITMENT_LIMIT: return "STATUS_COMMITMENT_LIMIT";
    case STATUS_STACK_OVERFLOW: return "STATUS_STACK_OVERFLOW";
    case STATUS_HEAP_CORRUPTION: return "STATUS_HEAP_CORRUPTION";
    case STATUS_NO_MORE_ENTRIES: return "STATUS_NO_MORE_ENTRIES";
    case STATUS_NOT_LOCKED: return "STATUS_NOT_LOCKED";
    case STATUS_WORKING_SET_QUOTA: return "STATUS_WORKING_SET_QUOTA";
    case STATUS_BAD_WORKING_SET_LIMIT: return "STATUS_BAD_WORKING_SET_LIMIT";
    case STATUS_IN_PAGE_ERROR: return "STATUS_IN_PAGE_ERROR";
    default: return "";
    }
}

void console_print_status(NTSTATUS st)
{
    kprintf("0x%08x %s", (uint32_t)st, console_status_name(st));
}

void console_num_str(uint64_t n, char *buf, size_t cap)
{
    char digits[24];
    int nd = 0;

    do {
        digits[nd++] = (char)('0' + n % 10);
        n /= 10;
    } while (n != 0);
    size_t len = 0;
    for (int i = nd - 1; i >= 0 && len + 1 < cap; i--) {
        buf[len++] = digits[i];
        if (i > 0 && i % 3 == 0 && len + 1 < cap)
            buf[len++] = ',';
    }
    buf[len] = '\0';
}

void console_size_str(uint32_t bytes, char *buf, size_t cap)
{
    char num[24];

    if (bytes % 1024 != 0) {
        console_num_str(bytes, num, sizeof(num));
        snprintf(buf, cap, "%s bytes", num);
        return;
    }
    console_num_str(bytes / 1024, num, sizeof(num));
    snprintf(buf, cap, "%sK", num);
}

void console_hexdump(uint32_t addr, const uint8_t *bytes, uint32_t len)
{
    for (uint32_t off = 0; off < len; off += 16) {
        char ascii[17];
        uint32_t n = len - off < 16 ? len - off : 16;
        kprintf("  %08x ", addr + off);
        for (uint32_t i = 0; i < 16; i++) {
            if (i < n)
                kprintf("%s%02x", i == 8 ? "-" : " ", bytes[off + i]);
            else
                kprintf("   ");
            uint8_t c = i < n ? bytes[off + i] : ' ';
            ascii[i] = (c >= 0x20 && c < 0x7F) ? (char)c : '.';
        }
        ascii[16] = '\0';
        kprintf("  %s\n", ascii);
    }
}
