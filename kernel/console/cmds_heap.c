/* Console commands on heaps: the list with committed / reserved / used
 * bytes, a HeapWalk with a fragmentation figure (`heap HANDLE`, as
 * WinDbg's !heap -a would summarise it), its machine-readable form for
 * tools/vmmap_svg.py, and the Heap* calls to make and break blocks.
 *
 * The console knows the kernel heap (what malloc and kmalloc use here)
 * and the private heaps it created.  The heap engine's kernel platform
 * layer takes its pages from the kernel address space, so these heaps
 * show up in `vmmap kernel` as Heap regions. */
#include "kernel/console/cmds.h"
#include "kernel/base/kprintf.h"
#include "libc/format.h"
#include "mm/heap/heap.h"
#include "mm/kheap.h"
#include "mm/vm.h"
#include <string.h>

#define HEAPS_MAX 8
#define HEAP_NAME 28
#define WALK_DEFAULT 40

static struct {
    struct heap *h;
    char name[HEAP_NAME];
} heaps[HEAPS_MAX];
static int private_serial;

/* ---- the registry -------------------------------------------------------------- */

static void heaps_init(void)
{
    if (heaps[0].h == NULL) {
        heaps[0].h = kheap();
        strcpy(heaps[0].name, "kernel heap (malloc)");
    }
}

int console_heap_count(void)
{
    int n = 0;

    heaps_init();
    for (int i = 0; i < HEAPS_MAX; i++)
        n += heaps[i].h != NULL;
    return n;
}

struct heap *console_heap_at(int i, const char **name)
{
    heaps_init();
    for (int k = 0; k < HEAPS_MAX; k++) {
        if (heaps[k].h == NULL)
            continue;
        if (i-- == 0) {
            if (name)
                *name = heaps[k].name;
            return heaps[k].h;
        }
    }
    return NULL;
}

bool console_heap_add(struct heap *h, const char *name)
{
    heaps_init();
    for (int i = 1; i < HEAPS_MAX; i++) {
        if (heaps[i].h == NULL) {
            heaps[i].h = h;
            strncpy(heaps[i].name, name, HEAP_NAME - 1);
            heaps[i].name[HEAP_NAME - 1] = '\0';
            return true;
        }
    }
    return false;
}

void console_heap_remove(struct heap *h)
{
    for (int i = 1; i < HEAPS_MAX; i++)
        if (heaps[i].h == h)
            heaps[i].h = NULL;
}

/* The registered heap named by s: "k"/"kernel", "#N" (the Nth in the
 * list, #0 the kernel heap), or its handle in hex. */
static struct heap *heap_arg(const char *s, const char **name)
{
    uint32_t addr;

    heaps_init();
    if (s[0] == '#') {
        uint32_t index;
        struct heap *h = console_parse_uint(s + 1, &index) ? console_heap_at((int)index, name) : NULL;
        if (h == NULL)
            kprintf("no heap %s: 'heap' lists them, #0 first\n", s);
        return h;
    }
    if (strcmp(s, "k") == 0 || strcmp(s, "kernel") == 0)
        addr = (uint32_t)kheap();
    else if (!console_parse_addr(s, &addr))
        return NULL;
    for (int i = 0; i < HEAPS_MAX; i++) {
        if (heaps[i].h != NULL && (uint32_t)heaps[i].h == addr) {
            if (name)
                *name = heaps[i].name;
            return heaps[i].h;
        }
    }
    kprintf("0x%08x is not a heap the console knows (see 'heap')\n", addr);
    return NULL;
}

/* ---- walking ------------------------------------------------------------------ */

static bool is_large(const struct heap_walk_entry *e, uint32_t seg_lo, uint32_t seg_hi)
{
    uint32_t d = (uint32_t)e->data;
    return (e->flags & PROCESS_HEAP_ENTRY_BUSY) && (d < seg_lo || d >= seg_hi);
}

const char *console_heap_owner(uint32_t base, char *buf, size_t cap)
{
    for (int i = 0; i < console_heap_count(); i++) {
        const char *name;
        struct heap *h = console_heap_at(i, &name);
        struct heap_walk_entry e = { 0 };
        uint32_t lo = 0, hi = 0;
        int seg = -1;
        while (heap_walk(h, &e, NULL)) {
            if (e.flags & PROCESS_HEAP_REGION) {
                seg++;
                lo = (uint32_t)e.data;
                hi = (uint32_t)e.u.region.last;
                if (lo == base) {
                    snprintf(buf, cap, "%s, segment %d", name, seg);
                    return buf;
                }
            } else if (is_large(&e, lo, hi) && ((uint32_t)e.data & ~(VM_GRANULARITY - 1)) == base) {
                snprintf(buf, cap, "%s, large block", name);
                return buf;
            }
        }
    }
    return NULL;
}

struct walk_totals {
    uint32_t regions, busy, busy_bytes, overhead, free_runs, free_bytes, largest_free;
    uint32_t uncommitted, uncommitted_bytes, large, large_bytes, entries;
};

static void walk_count(struct walk_totals *t, const struct heap_walk_entry *e, bool large)
{
    t->entries++;
    if (e->flags & PROCESS_HEAP_REGION) {
        t->regions++;
    } else if (large) {
        t->large++;
        t->large_bytes += e->size;
    } else if (e->flags & PROCESS_HEAP_ENTRY_BUSY) {
        t->busy++;
        t->busy_bytes += e->size;
        t->overhead += e->overhead;
    } else if (e->flags & PROCESS_HEAP_UNCOMMITTED_RANGE) {
        t->uncommitted++;
        t->uncommitted_bytes += e->size;
    } else {
        t->free_runs++;
        t->free_bytes += e->size;
        if (e->size > t->largest_free)
            t->largest_free = e->size;
    }
}

static const char *entry_kind(const struct heap_walk_entry *e, bool large)
{
    if (e->flags & PROCESS_HEAP_REGION)
        return "region";
    if (large)
        return "large";
    if (e->flags & PROCESS_HEAP_ENTRY_BUSY)
        return "busy";
    if (e->flags & PROCESS_HEAP_UNCOMMITTED_RANGE)
        return "uncommitted";
    return "free";
}

static void print_entry(int index, const struct heap_walk_entry *e, bool large)
{
    char size[24];

    console_num_str(e->size, size, sizeof(size));
    kprintf("  %4d  0x%08x  %11s  %3u  %-11s", index, (uint32_t)e->data, size, e->overhead,
            entry_kind(e, large));
    if (e->flags & PROCESS_HEAP_REGION) {
        char c[20], u[20];
        console_size_str(e->u.region.committed, c, sizeof(c));
        console_size_str(e->u.region.uncommitted, u, sizeof(u));
        kprintf("  committed %s, uncommitted %s, blocks 0x%08x-0x%08x", c, u,
                (uint32_t)e->u.region.first, (uint32_t)e->u.region.last);
    }
    kprintf("\n");
}

static void print_machine_entry(const struct heap_walk_entry *e, bool large)
{
    kprintf("entry kind=%s addr=0x%08x size=0x%x overhead=%u", entry_kind(e, large),
            (uint32_t)e->data, e->size, e->overhead);
    if (e->flags & PROCESS_HEAP_REGION)
        kprintf(" committed=0x%x uncommitted=0x%x first=0x%08x last=0x%08x",
                e->u.region.committed, e->u.region.uncommitted, (uint32_t)e->u.region.first,
                (uint32_t)e->u.region.last);
    kprintf("\n");
}

/* Walks h; prints up to max entries (0: all; -1: the machine form). */
static void walk(struct heap *h, const char *name, int max)
{
    struct heap_walk_entry e = { 0 };
    struct walk_totals t = { 0 };
    struct heap_stats s;
    uint32_t lo = 0, hi = 0;
    int32_t st = 0;

    heap_get_stats(h, &s);
    if (max < 0)
        kprintf("heapmap-begin handle=0x%08x reserved=0x%x committed=0x%x inuse=0x%x name=%s\n",
                (uint32_t)h, (uint32_t)s.reserved, (uint32_t)s.committed, (uint32_t)s.in_use, name);
    else
        kprintf("HeapWalk(0x%08x) %s:\n     #  Address            Size  Ovh  Kind\n", (uint32_t)h,
                name);
    while (heap_walk(h, &e, &st)) {
        if (e.flags & PROCESS_HEAP_REGION) {
            lo = (uint32_t)e.data;
            hi = (uint32_t)e.u.region.last;
        }
        bool large = is_large(&e, lo, hi);
        if (max < 0)
            print_machine_entry(&e, large);
        else if (max == 0 || (int)t.entries < max)
            print_entry((int)t.entries, &e, large);
        walk_count(&t, &e, large);
    }
    if (max < 0) {
        kprintf("heapmap-end entries=%u\n", t.entries);
        return;
    }
    if (max > 0 && (int)t.entries > max)
        kprintf("  ... %u more entries ('heap HANDLE -a' prints them all)\n", t.entries - max);
    if (st != (int32_t)STATUS_NO_MORE_ENTRIES)
        kprintf("  the walk stopped early: status 0x%08x\n", (uint32_t)st);
    char a[24], b[24], c[24], d[24];
    console_num_str(t.busy_bytes, a, sizeof(a));
    console_num_str(t.free_bytes, b, sizeof(b));
    console_num_str(t.largest_free, c, sizeof(c));
    console_size_str(t.uncommitted_bytes, d, sizeof(d));
    kprintf("summary: %u region%s; %u busy block%s holding %s bytes (+%u overhead); %u large "
            "block%s (%u bytes);\n         %u free run%s, %s bytes committed (largest %s); "
            "%u uncommitted range%s (%s)\n",
            t.regions, t.regions == 1 ? "" : "s", t.busy, t.busy == 1 ? "" : "s", a, t.overhead,
            t.large, t.large == 1 ? "" : "s", t.large_bytes, t.free_runs,
            t.free_runs == 1 ? "" : "s", b, c, t.uncommitted, t.uncommitted == 1 ? "" : "s", d);
    if (t.free_bytes > 0) {
        uint32_t permille = (uint32_t)(1000 - (uint64_t)t.largest_free * 1000 / t.free_bytes);
        kprintf("fragmentation: %u.%u%% (1 - largest free run / free committed bytes: how much "
                "free memory a single big request cannot use)\n", permille / 10, permille % 10);
    } else {
        kprintf("fragmentation: 0%% (no free committed bytes)\n");
    }
    kprintf("heap_check: %d broken invariant%s\n", heap_check(h), heap_check(h) == 1 ? "" : "s");
}

void console_heap_walk(struct heap *h, const char *name, int max_entries)
{
    walk(h, name, max_entries);
}

/* ---- commands ------------------------------------------------------------------ */

static void list_heaps(void)
{
    kprintf("#  Handle      Name                          Reserved     Committed  In use (bytes)"
            "   Busy   Free  Segs  Large\n");
    for (int i = 0; i < console_heap_count(); i++) {
        const char *name;
        struct heap *h = console_heap_at(i, &name);
        struct heap_stats s;
        char r[20], c[20], u[20];
        heap_get_stats(h, &s);
        console_size_str((uint32_t)s.reserved, r, sizeof(r));
        console_size_str((uint32_t)s.committed, c, sizeof(c));
        console_num_str(s.in_use, u, sizeof(u));
        kprintf("%d  0x%08x  %-28s %9s  %12s  %14s  %5u  %5u  %4u  %5u\n", i, (uint32_t)h, name, r, c, u,
                (unsigned)s.busy_blocks, (unsigned)(s.free_blocks + s.quick_blocks),
                (unsigned)s.segments, (unsigned)s.large_blocks);
    }
}

static void cmd_heap(int argc, char **argv)
{
    const char *name;
    bool machine = false, all = false;
    const char *handle = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-m") == 0)
            machine = true;
        else if (strcmp(argv[i], "-a") == 0)
            all = true;
        else
            handle = argv[i];
    }
    if (handle == NULL) {
        if (machine)
            kprintf("usage: heap -m HANDLE\n");
        else
            list_heaps();
        return;
    }
    struct heap *h = heap_arg(handle, &name);
    if (h != NULL)
        walk(h, name, machine ? -1 : all ? 0 : WALK_DEFAULT);
}

static void cmd_heapcreate(int argc, char **argv)
{
    uint32_t initial = 0, maximum = 0;
    int32_t st = 0;
    char name[HEAP_NAME];

    if (argc > 3 || (argc > 1 && !console_parse_size(argv[1], &initial)) ||
        (argc > 2 && !console_parse_size(argv[2], &maximum))) {
        kprintf("usage: heapcreate [INITIAL [MAXIMUM]]   (MAXIMUM 0: growable)\n");
        return;
    }
    if (console_heap_count() >= HEAPS_MAX) {
        kprintf("the console keeps at most %d heaps: heapdestroy one first\n", HEAPS_MAX - 1);
        return;
    }
    struct heap *h = heap_create(0, initial, maximum, &st);
    kprintf("HeapCreate(0, 0x%x, 0x%x) -> ", initial, maximum);
    if (h == NULL) {
        kprintf("NULL, ");
        console_print_status(st);
        kprintf("\n");
        return;
    }
    snprintf(name, sizeof(name), "private #%d", ++private_serial);
    console_heap_add(h, name);
    kprintf("0x%08x (%s): the handle is the base of the heap's first reservation\n", (uint32_t)h,
            name);
}

static void cmd_heapalloc(int argc, char **argv)
{
    const char *name;
    uint32_t size, count = 1;
    int32_t st = 0;

    if (argc < 3 || argc > 4 || !console_parse_size(argv[2], &size) ||
        (argc == 4 && (!console_parse_uint(argv[3], &count) || count == 0 || count > 64))) {
        kprintf("usage: heapalloc HANDLE SIZE [COUNT]   (COUNT up to 64)\n");
        return;
    }
    struct heap *h = heap_arg(argv[1], &name);
    if (h == NULL)
        return;
    for (uint32_t i = 0; i < count; i++) {
        void *p = heap_alloc(h, 0, size, &st);
        kprintf("HeapAlloc(0x%08x, 0, %u) -> ", (uint32_t)h, size);
        if (p == NULL) {
            kprintf("NULL, ");
            console_print_status(st);
            kprintf("\n");
            return;
        }
        kprintf("0x%08x\n", (uint32_t)p);
    }
}

static void cmd_heapfree(int argc, char **argv)
{
    const char *name;
    uint32_t addr;
    int32_t st = 0;

    if (argc != 3 || !console_parse_addr(argv[2], &addr)) {
        kprintf("usage: heapfree HANDLE ADDR\n");
        return;
    }
    struct heap *h = heap_arg(argv[1], &name);
    if (h == NULL)
        return;
    if (h == kheap() && !heap_validate(h, 0, (void *)addr)) {
        kprintf("0x%08x is not a live block of the kernel heap; the kernel heap stops the kernel "
                "on a bad free, so the console does not pass it on\n", addr);
        return;
    }
    int ok = heap_free(h, 0, (void *)addr, &st);
    kprintf("HeapFree(0x%08x, 0, 0x%08x) -> %s", (uint32_t)h, addr, ok ? "TRUE\n" : "FALSE, ");
    if (!ok) {
        console_print_status(st);
        kprintf("\n");
    }
}

static void cmd_heapdestroy(int argc, char **argv)
{
    const char *name;

    if (argc != 2) {
        kprintf("usage: heapdestroy HANDLE\n");
        return;
    }
    struct heap *h = heap_arg(argv[1], &name);
    if (h == NULL)
        return;
    if (h == kheap()) {
        kprintf("the kernel heap stays\n");
        return;
    }
    console_heap_remove(h);
    heap_destroy(h);
    kprintf("HeapDestroy(0x%08x): every page of it released\n", (uint32_t)h);
}

const struct console_cmd console_cmds_heap[] = {
    { "heap", "[HANDLE] [-a] [-m]", "list heaps; with a handle: HeapWalk, summary, fragmentation",
      cmd_heap },
    { "heapcreate", "[INITIAL [MAXIMUM]]", "HeapCreate a private heap", cmd_heapcreate },
    { "heapalloc", "HANDLE SIZE [COUNT]", "HeapAlloc (HANDLE: hex, #N from the list, k)", cmd_heapalloc },
    { "heapfree", "HANDLE ADDR", "HeapFree", cmd_heapfree },
    { "heapdestroy", "HANDLE", "HeapDestroy a private heap", cmd_heapdestroy },
    { NULL, NULL, NULL, NULL },
};
