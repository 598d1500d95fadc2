/* The per-CPU table (kernel/base/percpu.h). */
#include "kernel/base/percpu.h"

struct cpu cpu_table[MAX_CPUS];
uint32_t cpu_count = 1;
volatile uint32_t cpus_online = 1;
volatile uint32_t cpus_online_mask = 1;
bool percpu_ready;
