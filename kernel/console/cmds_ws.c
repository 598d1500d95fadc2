/* Working sets and the page lists (issue 19): ws, lock, unlock, trim,
 * pageout.
 *
 * `ws [PID]` shows a process's working set (the scratch process without
 * a PID): resident pages, peak, the faults that brought pages in, the
 * locked pages against their quota, the limits, the first resident pages
 * (L = locked), then the system's frame lists and the page file.  `lock`
 * and `unlock` are VirtualLock / VirtualUnlock on the scratch process,
 * `trim` empties a working set (SetProcessWorkingSetSize(-1, -1)), and
 * `pageout` pushes every user working set out to the page file (trim,
 * write, repurpose) so that `pte` shows page-file entries. */
#include "kernel/console/cmds.h"
#include "kernel/base/kprintf.h"
#include "kernel/process.h"
#include "mm/vm.h"
#include "mm/vm_ws.h"
#include "mm/pfn.h"
#include "mm/pager.h"
#include "mm/pagefile.h"
#include "libc/format.h"

#define WS_LISTED 16                /* resident pages listed by `ws` */

static void print_ws(struct vm_space *as, const char *who)
{
    struct vm_ws_info ws;
    uint32_t vas[WS_LISTED];
    bool locked[WS_LISTED];

    vm_ws_get(as, &ws);
    kprintf("working set of %s:\n", who);
    kprintf("  resident       %u pages (%u KiB), peak %u pages\n", ws.resident, ws.resident * 4,
            ws.peak_resident);
    kprintf("  faults         %u (each brought a page in: demand-zero, soft or hard)\n", ws.faults);
    kprintf("  locked         %u pages (VirtualLock; at most %u: the minimum less %u)\n", ws.locked,
            ws.min - VM_WS_LOCK_OVERHEAD, VM_WS_LOCK_OVERHEAD);
    kprintf("  limits         minimum %u pages (%u KiB), maximum %u pages (%u KiB), hard min %s, "
            "hard max %s\n", ws.min, ws.min * 4, ws.max, ws.max * 4,
            (ws.flags & VM_WS_HARD_MIN_ENABLE) ? "on" : "off",
            (ws.flags & VM_WS_HARD_MAX_ENABLE) ? "on" : "off");
    uint32_t n = vm_ws_list(as, 0, vas, locked, WS_LISTED);
    kprintf("  resident VPNs ");
    for (uint32_t i = 0; i < n; i++)
        kprintf(" %05x%s", vas[i] >> 12, locked[i] ? " L" : "");
    kprintf("%s\n", n == 0 ? " (none)" : n < ws.resident ? " ..." : "");
}

static void print_lists(void)
{
    struct pfn_stats ps;
    struct pagefile_stats pf;
    struct pager_stats pg;

    pfn_get_stats(&ps);
    pagefile_get_stats(&pf);
    pager_get_stats(&pg);
    kprintf("frame lists: free %u, zeroed %u, standby %u, modified %u; locked frames %u; buddy "
            "free %u\n", ps.free, ps.zeroed, ps.standby, ps.modified, pfn_locked_frames(),
            pmm_free_count());
    kprintf("page file: %u of %u slots in use, %u pages written, %u read\n", pf.in_use, pf.slots,
            pf.pages_written, pf.pages_read);
    kprintf("pager: %u trimmed, %u written, %u repurposed; %u soft faults, %u hard faults\n",
            pg.trimmed, pg.written, pg.repurposed, pg.soft_faults, pg.hard_faults);
}

static void cmd_ws(int argc, char **argv)
{
    uint32_t pid;
    char who[32];

    if (argc > 2 || (argc == 2 && !console_parse_uint(argv[1], &pid))) {
        kprintf("usage: ws [PID]\n");
        return;
    }
    if (argc == 1) {
        print_ws(console_scratch(), "the scratch process");
    } else {
        struct process *p = process_find(pid);
        struct vm_space *as = p != NULL ? process_space(p) : NULL;
        if (as == NULL) {
            kprintf("no live process %u\n", pid);
        } else {
            snprintf(who, sizeof(who), "process %u", pid);
            print_ws(as, who);
        }
        if (p != NULL)
            process_release(p);
    }
    print_lists();
}

static bool range_args(int argc, char **argv, const char *name, uint32_t *base, uint32_t *size)
{
    if (argc != 3 || !console_parse_addr(argv[1], base) || !console_parse_size(argv[2], size)) {
        kprintf("usage: %s ADDR SIZE\n", name);
        return false;
    }
    return true;
}

static void cmd_lock(int argc, char **argv)
{
    uint32_t base, size;
    if (!range_args(argc, argv, "lock", &base, &size))
        return;
    kprintf("VirtualLock(0x%08x, 0x%x)", base, size);
    NTSTATUS st = vm_lock_pages(console_scratch(), &base, &size);
    kprintf(" -> ");
    console_print_status(st);
    kprintf("\n");
    if (NT_SUCCESS(st))
        kprintf("  locked 0x%08x-0x%08x: resident now, and the trimmer passes them by\n", base,
                base + size - 1);
}

static void cmd_unlock(int argc, char **argv)
{
    uint32_t base, size;
    if (!range_args(argc, argv, "unlock", &base, &size))
        return;
    kprintf("VirtualUnlock(0x%08x, 0x%x)", base, size);
    NTSTATUS st = vm_unlock_pages(console_scratch(), &base, &size);
    kprintf(" -> ");
    console_print_status(st);
    kprintf("\n");
    if (st == STATUS_NOT_LOCKED)
        kprintf("  (not every page was locked: none unlocked, the unlocked ones left the working "
                "set)\n");
}

static void cmd_trim(int argc, char **argv)
{
    uint32_t pid = 0;
    if (argc > 2 || (argc == 2 && !console_parse_uint(argv[1], &pid))) {
        kprintf("usage: trim [PID]\n");
        return;
    }
    struct process *p = argc == 2 ? process_find(pid) : NULL;
    struct vm_space *as = argc == 1 ? console_scratch() : p != NULL ? process_space(p) : NULL;
    if (as == NULL)
        kprintf("no live process %u\n", pid);
    else
        kprintf("trimmed %u pages (transition entries; their frames on the modified list)\n",
                vm_ws_empty(as));
    if (p != NULL)
        process_release(p);
}

static void cmd_pageout(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct pager_stats a, b;
    pager_get_stats(&a);
    uint32_t n = pager_trim_all(true);
    pager_get_stats(&b);
    kprintf("every user working set out: %u trimmed, %u written to the page file, %u frames "
            "repurposed (locked pages stay)\n", n, b.written - a.written, b.repurposed - a.repurposed);
}

const struct console_cmd console_cmds_ws[] = {
    { "ws", "[PID]", "a working set (scratch process by default) and the page lists", cmd_ws },
    { "lock", "ADDR SIZE", "VirtualLock on the scratch process", cmd_lock },
    { "unlock", "ADDR SIZE", "VirtualUnlock on the scratch process", cmd_unlock },
    { "trim", "[PID]", "empty a working set (locked pages stay)", cmd_trim },
    { "pageout", "", "trim, write and repurpose every user page: page-file PTEs", cmd_pageout },
    { NULL, NULL, NULL, NULL },
};
