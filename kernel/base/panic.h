/* panic() and ASSERT(): report everything over serial, then leave QEMU
 * with the failure status (real hardware halts). */
#ifndef KERNEL_BASE_PANIC_H
#define KERNEL_BASE_PANIC_H

#include <stdbool.h>
#include <stdint.h>

void panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* ASSERT(cond): a broken invariant.  ASSERTF adds the values involved. */
#define ASSERT(cond)                                                      \
    do {                                                                  \
        if (__builtin_expect(!(cond), 0))                                 \
            panic_at(__FILE__, __LINE__, "ASSERT(%s) failed", #cond);     \
    } while (0)
#define ASSERTF(cond, fmt, ...)                                           \
    do {                                                                  \
        if (__builtin_expect(!(cond), 0))                                 \
            panic_at(__FILE__, __LINE__, "ASSERT(%s) failed: " fmt,       \
                     #cond, __VA_ARGS__);                                 \
    } while (0)

#endif

/* Building blocks for reports made outside panic_at (the #DF task, and
 * kernel/arch/trap.c's panic_trap):
 * panic_begin() stops recursion and other output, panic_backtrace()
 * prints a symbolised EBP-chain backtrace, panic_end() tells the test
 * runner and leaves QEMU with the failure status. */
void panic_begin(void);
void panic_backtrace(uint32_t eip, uint32_t ebp);
void panic_end(void) __attribute__((noreturn));
/* Called at the end of every panic report (the test runner uses it to
 * mark the running test as failed in KTAP). */
void panic_set_hook(void (*hook)(void));
/* Called once by the CPU that panics first, to stop every other CPU. */
void panic_set_stop_others_hook(void (*fn)(void));
/* True from the first panic_begin on (the other CPUs' NMI handler asks). */
bool panic_in_progress(void);
