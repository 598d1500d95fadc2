/* In-kernel benchmarks, measured in guest instructions: under QEMU's
 * `-icount shift=0` the TSC advances by exactly one per retired
 * instruction (qemu-method.md section 4), so every figure repeats exactly
 * from run to run.  Each benchmark prints `bench NAME VALUE instructions`. */
#ifndef TESTS_BENCH_KBENCH_H
#define TESTS_BENCH_KBENCH_H

#include <stdint.h>

struct kbench {
    const char *name;
    void (*run)(void);
};

#define KBENCH(var, n, fn)                                                    \
    static const struct kbench var = { n, fn };                               \
    static const struct kbench *const kbench_ptr_##var                         \
        __attribute__((used, section(".kbenches"))) = &var

/* Runs the benchmarks whose names start with one of the comma-separated
 * prefixes ("all" for every one). */
void kbench_run(const char *list);

/* Measurement: the TSC delta of the code between begin and end, less the
 * cost of the measurement itself, with interrupts off. */
uint32_t kbench_begin(void);
uint32_t kbench_end(uint32_t begin);
void kbench_report(const char *name, uint32_t instructions);

#endif
