/* Issue 15: per-process memory figures (kernel/process_memory.h). */
#include "kernel/process_memory.h"
#include "kernel/process.h"
#include "kernel/process_impl.h"
#include "mm/vm.h"
#include "mm/vm_ws.h"
#include "mm/mmu.h"
#include <string.h>

static uint32_t private_pages(struct vm_space *as)
{
    uint32_t committed, resident;
    vm_space_pages(as, &committed, &resident);
    return committed;
}

void process_memory_counters(struct process *p, VM_COUNTERS_EX *out)
{
    uint32_t ws = 0, commit = 0;
    struct vm_space *as = process_pin_space(p);
    struct vm_ws_info info;

    memset(out, 0, sizeof(*out));
    if (as != NULL) {
        vm_ws_get(as, &info);
        ws = info.resident;
        commit = private_pages(as);
        process_unpin_space(p);
        if (info.peak_resident > p->peak_resident)
            p->peak_resident = info.peak_resident;
        p->page_faults = info.faults;
    }
    if (commit > p->peak_committed)
        p->peak_committed = commit;
    out->PageFaultCount = p->page_faults;
    out->WorkingSetSize = ws * PGSIZE;
    out->PeakWorkingSetSize = p->peak_resident * PGSIZE;
    out->PagefileUsage = out->PrivateUsage = commit * PGSIZE;
    out->PeakPagefileUsage = p->peak_committed * PGSIZE;
}
