/* Fault catching: a recovery point that turns a CPU exception into a
 * return value (the panic backtrace reads stack words through it; tests
 * expect faults with it).  The trap dispatcher (kernel/arch/trap.c) hands
 * an exception nobody handled to the innermost catch through
 * fault_catch_deliver(); the catches know nothing about traps beyond the
 * four numbers they record.  Implemented in kernel/base/panic.c. */
#ifndef KERNEL_BASE_FAULT_CATCH_H
#define KERNEL_BASE_FAULT_CATCH_H

#include <stdbool.h>
#include <stdint.h>

/* Non-local jump inside the kernel (setjmp/longjmp); kernel/base/kjmp.asm. */
struct kjmp {
    uint32_t ebx, esi, edi, ebp, esp, eip, eflags;
};
int kjmp_set(struct kjmp *j) __attribute__((returns_twice));
void kjmp_go(struct kjmp *j, int value) __attribute__((noreturn));

/* What the trap handler saw. */
struct fault_record {
    uint32_t vector;
    uint32_t error;
    uint32_t cr2;
    uint32_t eip;
};
#define FAULT_NONE 0xFFFFFFFFu

/* A fault catch: while pushed, an unhandled exception records itself in
 * `seen`, pops the catch and jumps to `jmp` with value 1.  With `report`
 * set the full fault report is printed first (an unexpected fault).
 * Catches nest (a stack, at most CATCH_DEPTH); pop in reverse order of
 * push.  The stack is the pushing thread's: a fault is delivered to the
 * innermost catch of the thread it happened in, on whatever CPU, and a
 * thread may block, be preempted or move to another CPU while it holds
 * catches (kernel/thread.c carries the stack along).  A thread must pop
 * its catches before it ends (asserted).  `outer` and `depth` are the
 * list's, set by the push. */
struct fault_catch {
    struct kjmp jmp;
    struct fault_record seen;
    bool report;
    struct fault_catch *outer;
    int depth;
};
void fault_catch_push(struct fault_catch *c);
void fault_catch_pop(struct fault_catch *c);
/* Drops every catch of the running thread (panic: nothing may jump back
 * into the dying code; the test runner after a case left by ASSERT). */
void fault_catch_reset(void);
/* The running thread's innermost catch, or NULL. */
struct fault_catch *fault_catch_top(void);
/* Pops the innermost catch `c` (from fault_catch_top), records `seen` in
 * it and jumps back into the code that pushed it. */
void fault_catch_deliver(struct fault_catch *c, const struct fault_record *seen)
    __attribute__((noreturn));

/* Runs `stmt` expecting a fault; *rec gets what the handler saw, or
 * rec->vector == FAULT_NONE when nothing faulted. */
#define CATCH_FAULT(rec, stmt)                                           \
    do {                                                                 \
        struct fault_catch catch_ = { .report = false };                 \
        if (kjmp_set(&catch_.jmp) == 0) {                                \
            fault_catch_push(&catch_);                                   \
            stmt;                                                        \
            fault_catch_pop(&catch_);                                    \
            (rec)->vector = FAULT_NONE;                                  \
        } else {                                                         \
            *(rec) = catch_.seen;                                        \
        }                                                                \
    } while (0)

#endif
