/* The in-kernel test runner: KTAP version 1 output, leak check after each
 * suite, and a panic hook so a dying test still gets its "not ok" line. */
#include "tests/ktest.h"
#include "kernel/base/kprintf.h"
#include "kernel/cmdline.h"
#include "kernel/base/panic.h"
#include <stdarg.h>
#include <string.h>

#define COUNTERS_MAX 8
#define JUMP_FAULT 1
#define JUMP_LEAVE 2
#define JUMP_SKIP 3

extern const struct ktest_suite *const __ktest_suites_start[];
extern const struct ktest_suite *const __ktest_suites_end[];

struct leak_counter {
    const char *name;
    uint64_t (*read)(void);
};

static struct leak_counter counters[COUNTERS_MAX];
static int counter_count;
static int passed, failed, skipped;
static struct ktest *current;
static int current_index;
static const struct ktest_suite *current_suite;
static int current_suite_index;
static uint32_t rng_state, rng_seed;

void ktest_register_counter(const char *name, uint64_t (*read)(void))
{
    ASSERTF(counter_count < COUNTERS_MAX, "counter %s: table full", name);
    counters[counter_count++] = (struct leak_counter){ name, read };
}

uint32_t ktest_seed(void)
{
    return rng_seed;
}

uint32_t ktest_random(void)
{
    /* xorshift32 (Marsaglia 2003): small, full period over non-zero states. */
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

void ktest_log(const char *fmt, ...)
{
    va_list ap;
    kprintf("    # ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
}

void ktest_fail_cmp(struct ktest *t, const char *file, int line, const char *what,
                    const char *a_text, const char *b_text, int64_t a, int64_t b)
{
    t->failures++;
    kprintf("    # %s:%d: %s(%s, %s) failed\n", file, line, what, a_text, b_text);
    kprintf("    #   %s == %lld (0x%llx)\n", a_text, a, (uint64_t)a);
    kprintf("    #   %s == %lld (0x%llx)\n", b_text, b, (uint64_t)b);
}

void ktest_fail_msg(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    t->failures++;
    kprintf("    # %s:%d: ", file, line);
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
}

void ktest_leave(struct ktest *t)
{
    kjmp_go(&t->catch.jmp, JUMP_LEAVE);
}

void ktest_skip(struct ktest *t, const char *reason)
{
    t->skip_reason = reason;
    kjmp_go(&t->catch.jmp, JUMP_SKIP);
}

static void report_case(int index, const char *name, int failures, const char *skip)
{
    if (skip != NULL) {
        kprintf("    ok %d %s # SKIP %s\n", index, name, skip);
        skipped++;
    } else if (failures == 0) {
        kprintf("    ok %d %s\n", index, name);
        passed++;
    } else {
        kprintf("    not ok %d %s\n", index, name);
        failed++;
    }
}

static void run_case(const struct ktest_case *c, int index)
{
    struct ktest t = { .name = c->name };

    t.catch.report = true;
    current = &t;
    current_index = index;
    int jumped = kjmp_set(&t.catch.jmp);
    if (jumped == 0) {
        fault_catch_push(&t.catch);
        c->run(&t);
        fault_catch_pop(&t.catch);
    } else {
        /* The catch was popped by the trap handler, or is still pushed
         * (ASSERT / skip): start clean either way. */
        fault_catch_reset();
        if (jumped == JUMP_FAULT) {
            ktest_log("%s: unexpected exception %u at eip %08x (cr2 %08x, error %x)", c->name,
                      t.catch.seen.vector, t.catch.seen.eip, t.catch.seen.cr2, t.catch.seen.error);
            t.failures++;
        }
    }
    current = NULL;
    report_case(index, c->name, t.failures, t.skip_reason);
}

/* The suite's p-th case table: its only one, or one of its parts. */
static const struct ktest_case *suite_table(const struct ktest_suite *s, int p)
{
    if (s->parts != NULL)
        return s->parts[p];
    return p == 0 ? s->cases : NULL;
}

static int count_cases(const struct ktest_suite *s)
{
    int n = 0;
    for (int p = 0; suite_table(s, p) != NULL; p++)
        for (const struct ktest_case *c = suite_table(s, p); c->name != NULL; c++)
            n++;
    return n;
}

/* The leak check: every registered counter back to its value before the suite. */
static void leak_check(int index, const uint64_t *before)
{
    int bad = 0;

    for (int i = 0; i < counter_count; i++) {
        uint64_t now = counters[i].read();
        if (now != before[i]) {
            kprintf("    # leak_check: %s was %llu before the suite, %llu after\n",
                    counters[i].name, before[i], now);
            bad++;
        }
    }
    report_case(index, "leak_check", bad, NULL);
}

static void run_suite(const struct ktest_suite *s, int suite_index)
{
    int before_failed = failed;
    int cases = count_cases(s);
    uint64_t before[COUNTERS_MAX];

    current_suite = s;
    current_suite_index = suite_index;
    kprintf("    KTAP version 1\n    # Subtest: %s\n", s->name);
    if (s->init != NULL && s->init() != 0) {
        kprintf("    1..0\nok %d %s # SKIP init failed\n", suite_index, s->name);
        return;
    }
    kprintf("    1..%d\n", cases + (counter_count > 0 ? 1 : 0));
    for (int i = 0; i < counter_count; i++)
        before[i] = counters[i].read();
    int index = 0;
    for (int p = 0; suite_table(s, p) != NULL; p++)
        for (const struct ktest_case *c = suite_table(s, p); c->name != NULL; c++)
            run_case(c, ++index);
    if (s->exit != NULL)
        s->exit();
    if (counter_count > 0)
        leak_check(cases + 1, before);
    kprintf("%s %d %s\n", failed == before_failed ? "ok" : "not ok", suite_index, s->name);
    current_suite = NULL;
}

static bool suite_selected(const struct ktest_suite *s, const char *list)
{
    if (cmdline_list_contains(list, s->name))
        return true;
    return !s->explicit_only && cmdline_list_contains(list, "all");
}

static void print_summary(void)
{
    if (skipped > 0)
        kprintf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else
        kprintf("%d passed, %d failed\n", passed, failed);
}

/* Panic inside a test: close the KTAP output so the log says which test died. */
static void ktest_panic_hook(void)
{
    if (current == NULL)
        return;
    kprintf("    # %s: kernel panic\n", current->name);
    kprintf("    not ok %d %s\n", current_index, current->name);
    failed++;
    kprintf("not ok %d %s\n", current_suite_index, current_suite->name);
    print_summary();
}

static int check_names(const char *list)
{
    int unknown = 0;

    for (const char *p = list; *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        bool found = len == 3 && strncmp(p, "all", 3) == 0;
        for (const struct ktest_suite *const *s = __ktest_suites_start; s < __ktest_suites_end; s++)
            if (strlen((*s)->name) == len && strncmp((*s)->name, p, len) == 0)
                found = true;
        if (!found) {
            char name[32];
            size_t n = len < sizeof(name) - 1 ? len : sizeof(name) - 1;
            memcpy(name, p, n);
            name[n] = '\0';
            kprintf("# unknown test suite '%s'\n", name);
            unknown++;
        }
        if (end == NULL)
            break;
        p = end + 1;
    }
    return unknown;
}

bool ktest_run(const char *list)
{
    int selected = 0, index = 0;

    rng_seed = cmdline_get_u32("seed", 0x2E2E1234u);
    rng_state = rng_seed != 0 ? rng_seed : 1;
    panic_set_hook(ktest_panic_hook);
    kprintf("KTAP version 1\n");
    for (const struct ktest_suite *const *s = __ktest_suites_start; s < __ktest_suites_end; s++)
        selected += suite_selected(*s, list);
    kprintf("1..%d\n", selected);
    kprintf("# seed=%u\n", rng_seed);
    for (const struct ktest_suite *const *s = __ktest_suites_start; s < __ktest_suites_end; s++)
        if (suite_selected(*s, list))
            run_suite(*s, ++index);
    if (check_names(list) > 0)
        failed++;
    print_summary();
    return failed == 0;
}
