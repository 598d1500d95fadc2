/* `demo`: the source material's story (../shared/seed, "Virtual Memory
 * Management in Windows": VirtualAlloc at the bottom, the heap manager on
 * top of it, the CRT's malloc on the heap, new/new[] on malloc), told on
 * this machine one step at a time, pausing for Enter.
 *
 * Everything it shows is the real thing: the scratch process's page
 * tables, the VM layer's fault handler, the heap engine's blocks.  The one
 * stand-in is C++: the kernel has no C++ runtime, so new[] and delete are
 * laid out by hand here exactly as the MSVC ABI lays them out (a 4-byte
 * element count, the "cookie", in front of the first element when the
 * class has a destructor).  A user program with the same story is run by
 * the last step when a module named demo_new is loaded. */
#include "kernel/console/cmds.h"
#include "kernel/base/kprintf.h"
#include "kernel/programs.h"
#include "kernel/bootinfo.h"
#include "libc/format.h"
#include "mm/heap/heap.h"
#include "mm/kheap.h"
#include "mm/vm.h"
#include "mm/vm_ws.h"
#include "mm/pager.h"
#include "mm/pagefile.h"
#include "mm/paging.h"
#include "mm/mmu.h"
#include "mm/memlayout.h"
#include <malloc.h>                 /* libc/crt_malloc.c, over the kernel heap */
#include <string.h>

#define STEPS 11
#define DEMO_RESERVE 0x10000u

static struct {
    uint32_t base;                  /* the 64 KiB reservation */
    struct heap *heap;              /* the private heap */
    uint32_t charge0;               /* commit charge before the demo */
} demo;

static uint32_t charge_now(void)
{
    struct vm_stats vs;

    vm_get_stats(&vs);
    return vs.commit_charge;
}

static void step(int n, const char *title, const char *source)
{
    kprintf("\n== Step %d/%d: %s ==\n", n, STEPS, title);
    kprintf("%s\n\n", source);
}

static void show_status(const char *call, NTSTATUS st)
{
    kprintf("%s -> ", call);
    console_print_status(st);
    kprintf("\n");
}

/* The region at addr in one line, VirtualQuery style; returns the
 * address just past it. */
static uint32_t show_region(uint32_t addr)
{
    MEMORY_BASIC_INFORMATION m;
    char prot[40], size[20];

    if (!NT_SUCCESS(vm_query(console_space_of(addr), addr, &m)))
        return addr + PGSIZE;
    console_prot_str(m.State == MEM_COMMIT ? m.Protect : 0, prot, sizeof(prot));
    console_size_str(m.RegionSize, size, sizeof(size));
    kprintf("  VirtualQuery(0x%08x): base 0x%08x, %s, %s, protection %s, allocation 0x%08x\n",
            addr, (uint32_t)m.BaseAddress, size, console_state_name(m.State), prot,
            (uint32_t)m.AllocationBase);
    return (uint32_t)m.BaseAddress + m.RegionSize;
}

/* ---- the steps ------------------------------------------------------------ */

static bool step_reserve(void)
{
    uint32_t base = 0, size = DEMO_RESERVE, before = charge_now();

    step(1, "VirtualAlloc(MEM_RESERVE): address space, nothing else",
         "The article: the virtual memory API works in pages; reserving claims a range of\n"
         "addresses (64 KiB granularity) without any physical memory behind it.");
    NTSTATUS st = vm_allocate(console_scratch(), &base, &size, MEM_RESERVE, PAGE_READWRITE);
    show_status("VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_READWRITE)", st);
    if (!NT_SUCCESS(st))
        return false;
    demo.base = base;
    console_label_set(base, "demo: 64 KiB reservation");
    kprintf("  -> 0x%08x-0x%08x in the scratch process\n", base, base + size - 1);
    show_region(base);
    struct page_walk w;
    paging_walk(base, &w);
    int d = w.levels - 2;               /* the PDE's level */
    kprintf("  page directory entry %u for it: 0x%0*llx (%s)\n", w.level[d].index,
            (int)paging_entry_size() * 2, w.found > d ? w.level[d].value : 0,
            paging_has_table(base) ? "a page table exists" : "no page table yet");
    kprintf("  commit charge %u -> %u pages: a reservation costs neither a frame nor charge\n",
            before, charge_now());
    return console_pause();
}

static bool step_commit(void)
{
    uint32_t base = demo.base, size = PGSIZE, before = charge_now();

    step(2, "VirtualAlloc(MEM_COMMIT) of one page: a promise, not yet a frame",
         "The article: committing backs pages with storage; each page still costs a\n"
         "page-table entry, and the page table (4 KiB) itself.");
    NTSTATUS st = vm_allocate(console_scratch(), &base, &size, MEM_COMMIT, PAGE_READWRITE);
    show_status("VirtualAlloc(base, 0x1000, MEM_COMMIT, PAGE_READWRITE)", st);
    if (!NT_SUCCESS(st))
        return false;
    kprintf("  commit charge %u -> %u pages (the page, and the page table made to hold its "
            "entry)\n", before, charge_now());
    show_region(base);
    show_region(base + PGSIZE);
    kprintf("\n");
    console_pte(base);
    return console_pause();
}

static bool step_touch(void)
{
    struct console_access acc;
    uint8_t buf[32];
    static const char text[] = "Hello from the demo";

    step(3, "The first touch: a page fault hands out the frame",
         "Committed memory gets its physical page when it is first used: the CPU faults\n"
         "on the not-present entry, the VM layer maps a zeroed frame and retries.");
    console_touch(demo.base, true);
    kprintf("\n  writing \"%s\" there and reading it back (no fault now):\n", text);
    for (uint32_t i = 0; i < sizeof(text); i++)
        console_write(demo.base + i, (uint8_t)text[i], 1, &acc);
    console_read(demo.base, buf, sizeof(buf), &acc);
    console_hexdump(demo.base, buf, acc.done);
    return console_pause();
}

static bool step_guard(void)
{
    uint32_t base = demo.base + PGSIZE, size = PGSIZE;

    step(4, "A guard page: a one-shot alarm",
         "PAGE_GUARD makes the first access raise STATUS_GUARD_PAGE_VIOLATION and then\n"
         "disarms itself; thread stacks grow this way (kernel/process.c, user_stack_grow).");
    NTSTATUS st = vm_allocate(console_scratch(), &base, &size, MEM_COMMIT,
                              PAGE_READWRITE | PAGE_GUARD);
    show_status("VirtualAlloc(base + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD)", st);
    show_region(base);
    kprintf("\n");
    console_touch(base, false);
    kprintf("\n  the second touch finds an ordinary committed page:\n");
    console_touch(base, false);
    return console_pause();
}

static bool step_violation(void)
{
    uint32_t base = demo.base, size = PGSIZE, old = 0;

    step(5, "Access violations: reserved-only memory, and a read-only page",
         "Reserved pages have no storage: touching one is STATUS_ACCESS_VIOLATION.  So is\n"
         "writing a page whose protection forbids it; VirtualProtect changes that.");
    console_touch(demo.base + 2 * PGSIZE, false);
    kprintf("\n");
    NTSTATUS st = vm_protect(console_scratch(), &base, &size, PAGE_READONLY, &old);
    show_status("VirtualProtect(base, 0x1000, PAGE_READONLY, &old)", st);
    char o[40];
    console_prot_str(old, o, sizeof(o));
    kprintf("  old protection: %s; the PTE loses RW:\n", o);
    console_touch(demo.base, true);
    return console_pause();
}

/* Issue 19: the page leaves the working set and comes back. */
static bool step_paging(void)
{
    struct pagefile_stats pf;
    struct console_access acc;
    uint8_t buf[20];

    step(6, "Paging: the page leaves the working set and comes back",
         "When frames run short the trimmer takes pages out of working sets: the PTE\n"
         "becomes a transition entry and the frame waits on the modified list (standby\n"
         "once written to the page file).  A fault there is soft: the frame comes back\n"
         "with no I/O.  A page whose frame was given away is in its page-file slot, and\n"
         "its fault is hard: the page is read back.  EmptyWorkingSet trims it on purpose.");
    kprintf("SetProcessWorkingSetSize(scratch, -1, -1): %u pages trimmed\n",
            vm_ws_empty(console_scratch()));
    console_pte(demo.base);
    kprintf("\n");
    console_touch(demo.base, false);
    pagefile_get_stats(&pf);
    if (pf.state != PAGEFILE_READY) {
        kprintf("\n  (no page file on this machine: the page cannot go further than the lists)\n");
        return console_pause();
    }
    kprintf("\nNow all the way out: trimmed, written, and its frame repurposed (pageout):\n");
    pager_trim_all(true);
    console_pte(demo.base);
    kprintf("\n");
    console_touch(demo.base, false);
    console_read(demo.base, buf, sizeof(buf), &acc);
    kprintf("\n  the bytes came back from the disk:\n");
    console_hexdump(demo.base, buf, acc.done);
    return console_pause();
}

static bool step_heap(void)
{
    int32_t st = 0;
    void *p[3];
    static const uint32_t sizes[3] = { 24, 100, 4000 };

    step(7, "HeapCreate: a private heap on top of VirtualAlloc",
         "The article: the heap manager reserves virtual memory in advance, commits pages\n"
         "as it needs them and cuts them into blocks; HeapCreate makes a private heap.");
    demo.heap = heap_create(0, 0, 0, &st);
    if (demo.heap == NULL) {
        kprintf("HeapCreate failed: 0x%08x\n", (uint32_t)st);
        return false;
    }
    console_heap_add(demo.heap, "demo private heap");
    kprintf("HeapCreate(0, 0, 0) -> 0x%08x (growable)\n", (uint32_t)demo.heap);
    kprintf("  the handle is the base of its reservation (this kernel's heaps live in the kernel\n"
            "  address space: `vmmap kernel` lists it as Heap):\n");
    show_region(show_region((uint32_t)demo.heap));
    for (int i = 0; i < 3; i++) {
        p[i] = heap_alloc(demo.heap, 0, sizes[i], &st);
        kprintf("HeapAlloc(heap, 0, %u) -> 0x%08x\n", sizes[i], (uint32_t)p[i]);
    }
    int ok = heap_free(demo.heap, 0, p[1], &st);
    kprintf("HeapFree(heap, 0, 0x%08x) -> %s\n\n", (uint32_t)p[1], ok ? "TRUE" : "FALSE");
    console_heap_walk(demo.heap, "demo private heap", 12);
    heap_free(demo.heap, 0, p[0], NULL);
    heap_free(demo.heap, 0, p[2], NULL);
    return console_pause();
}

/* Dumps block p of heap h from its header on (the header and len payload
 * bytes) and decodes the header (mm/heap/heap.h, heap_block_info). */
static void show_block(struct heap *h, const void *p, uint32_t len)
{
    struct heap_block_info bi;
    struct console_access acc;
    uint8_t buf[64];

    if (!heap_block_info(h, 0, p, &bi)) {
        kprintf("  0x%08x is not a busy block of heap 0x%08x\n", (uint32_t)p, (uint32_t)h);
        return;
    }
    uint32_t header_len = (uint32_t)p - bi.header;
    if (header_len + len > sizeof(buf))
        len = sizeof(buf) - header_len;
    console_read(bi.header, buf, header_len + len, &acc);
    console_hexdump(bi.header, buf, acc.done);
    kprintf("  header at 0x%08x: w0 0x%08x w1 0x%08x\n", bi.header, bi.w0, bi.w1);
    kprintf("    %u bytes with the header, busy, %u unused bytes at the end,\n"
            "    previous block %u bytes, check byte 0x%02x\n", bi.block_bytes,
            bi.unused_bytes, bi.prev_bytes, bi.check);
}

static bool step_malloc(void)
{
    step(8, "malloc on the default heap",
         "The article: the CRT's malloc/free call HeapAlloc/HeapFree on the process default\n"
         "heap; free needs no size because the heap manager recorded it with the block.");
    kprintf("  In this kernel the default heap is the kernel heap (0x%08x); malloc is\n"
            "  libc/crt_malloc.c over it.\n", (uint32_t)kheap());
    char *p = malloc(24);
    if (p == NULL)
        return false;
    memcpy(p, "24 bytes from malloc!!!", 24);
    kprintf("malloc(24) -> 0x%08x\n", (uint32_t)p);
    show_block(kheap(), p, 32);
    kprintf("_msize(p) = %u: exact, from the header's size less its unused bytes\n",
            (uint32_t)_msize(p));
    free(p);
    kprintf("free(p): the block goes back to the heap's free lists (pages stay committed)\n");
    return console_pause();
}

/* A class with a destructor, 8 bytes: what new[] needs a cookie for. */
struct widget {
    uint32_t id;
    uint32_t alive;
};
#define WIDGET_ALIVE 0x57494447u    /* "GDIW" in memory */

static void widget_ctor(struct widget *w, uint32_t id)
{
    w->id = id;
    w->alive = WIDGET_ALIVE;
}

static void widget_dtor(struct widget *w)
{
    kprintf("    ~Widget() #%u at 0x%08x\n", w->id, (uint32_t)w);
    w->alive = 0;
}

/* new Widget[n], as MSVC compiles it: operator new[](4 + n * 8), the
 * count stored first, the constructors, and the address past the count. */
static struct widget *new_widgets(uint32_t n)
{
    uint32_t *block = heap_alloc(demo.heap, 0, sizeof(uint32_t) + n * sizeof(struct widget), NULL);

    if (block == NULL)
        return NULL;
    block[0] = n;
    struct widget *arr = (struct widget *)(block + 1);
    for (uint32_t i = 0; i < n; i++)
        widget_ctor(&arr[i], i);
    return arr;
}

/* delete[] arr: the count from the cookie, destructors last to first,
 * then operator delete[] on the block start. */
static bool delete_widgets(struct widget *arr)
{
    uint32_t *block = (uint32_t *)arr - 1;
    int32_t st = 0;

    kprintf("  delete[] reads the cookie at 0x%08x: %u objects\n", (uint32_t)block, block[0]);
    for (uint32_t i = block[0]; i-- > 0;)
        widget_dtor(&arr[i]);
    int ok = heap_free(demo.heap, 0, block, &st);
    kprintf("  HeapFree(heap, 0, 0x%08x) (the block start) -> %s\n", (uint32_t)block,
            ok ? "TRUE" : "FALSE");
    return ok;
}

/* Is a module (user program) of that name loaded?  "build/user/x.elf" is "x". */
static bool module_loaded(const char *name)
{
    const struct boot_info *bi = bootinfo();
    size_t n = strlen(name);

    for (int i = 0; i < bi->module_count; i++) {
        const char *m = bi->modules[i].name, *slash = strrchr(m, '/');
        const char *base = slash ? slash + 1 : m;
        if (strncmp(base, name, n) == 0 && (base[n] == '\0' || strcmp(base + n, ".elf") == 0))
            return true;
    }
    return false;
}

static bool step_new_array(void)
{
    step(9, "new[] of a class with a destructor: the cookie",
         "The article: new[] asks malloc for extra room and stores the element count there,\n"
         "so delete[] knows how many destructors to run; the pointer it returns is past it.");
    struct widget *arr = new_widgets(3);
    if (arr == NULL)
        return false;
    uint32_t *block = (uint32_t *)arr - 1;
    kprintf("Widget *arr = new Widget[3];   (sizeof(Widget) = 8, ~Widget() is user-defined)\n");
    kprintf("  operator new[](4 + 3 * 8 = 28) -> block 0x%08x; arr = block + 4 = 0x%08x\n",
            (uint32_t)block, (uint32_t)arr);
    show_block(demo.heap, block, 28);
    kprintf("  [8-byte heap header][03 00 00 00 = the cookie][3 x {id, \"GDIW\"}]\n");
    kprintf("  HeapSize(block) = %u;  HeapValidate(arr) = %s: arr is not the start of a block,\n"
            "  which is why _msize(arr) throws in the article's MSVC example\n",
            (uint32_t)heap_size(demo.heap, 0, block),
            heap_validate(demo.heap, 0, arr) ? "TRUE" : "FALSE");
    kprintf("delete[] arr;\n");
    delete_widgets(arr);
    if (module_loaded("demo_new")) {
        unsigned long status;
        kprintf("\nThe same story in ring 3 with the user-mode runtime (libc/include/rtnew.h):\n");
        vm_switch(vm_kernel_space());
        programs_run_one("demo_new", &status);
        vm_switch(console_scratch());
    }
    return console_pause();
}

static bool step_mismatch(void)
{
    int32_t st = 0;

    step(10, "delete vs delete[]: the mismatch, caught",
         "The article: `delete` on a new[] pointer runs one destructor and hands free() a\n"
         "pointer the heap never returned: heap corruption, often found much later.");
    struct widget *arr = new_widgets(3);
    if (arr == NULL)
        return false;
    kprintf("Widget *arr = new Widget[3];  -> 0x%08x (block 0x%08x)\n", (uint32_t)arr,
            (uint32_t)arr - 4);
    kprintf("delete arr;   (wrong: scalar delete)\n");
    widget_dtor(&arr[0]);
    int ok = heap_free(demo.heap, 0, arr, &st);
    kprintf("  HeapFree(heap, 0, 0x%08x) -> %s", (uint32_t)arr, ok ? "TRUE" : "FALSE, ");
    if (!ok) {
        console_print_status(st);
        kprintf("\n  caught: the heap checks the header in front of every pointer it is given;\n"
                "  0x%08x is 4 bytes into a block.  Nothing was freed: the block leaks and\n"
                "  objects #1 and #2 were never destroyed.  (The kernel heap itself stops the\n"
                "  kernel on this: it is created with HEAP_X_TERMINATE_ON_CORRUPTION.)\n",
                (uint32_t)arr);
    }
    kprintf("  HeapValidate(heap, 0, NULL) = %s: the heap is intact\n",
            heap_validate(demo.heap, 0, NULL) ? "TRUE" : "FALSE");
    void *one = heap_alloc(demo.heap, 0, sizeof(struct widget), NULL);
    if (one != NULL) {
        widget_ctor(one, 7);
        kprintf("\nWidget *w = new Widget;  -> 0x%08x (no cookie: a single object)\n", (uint32_t)one);
        kprintf("delete[] w;  (wrong the other way) would read the word before w as a count:\n"
                "  0x%08x, the heap header's second word -> %u destructor calls on garbage.\n"
                "  The demo does not run that; it deletes w properly.\n",
                ((uint32_t *)one)[-1], ((uint32_t *)one)[-1]);
        widget_dtor(one);
        heap_free(demo.heap, 0, one, NULL);
    }
    kprintf("\nCleaning up the leaked array the right way (delete[]):\n");
    delete_widgets(arr);
    return console_pause();
}

static void cleanup(void)
{
    uint32_t zero = 0;

    if (demo.heap != NULL) {
        console_heap_remove(demo.heap);
        heap_destroy(demo.heap);
        kprintf("HeapDestroy(heap): its reservation goes back to the kernel address space\n");
        demo.heap = NULL;
    }
    if (demo.base != 0) {
        uint32_t base = demo.base;
        NTSTATUS st = vm_free(console_scratch(), &base, &zero, MEM_RELEASE);
        show_status("VirtualFree(base, 0, MEM_RELEASE)", st);
        console_label_clear(demo.base);
        demo.base = 0;
    }
    kprintf("commit charge %u pages (%u before the demo)\n", charge_now(), demo.charge0);
}

static void step_end(void)
{
    step(11, "Giving it all back",
         "HeapDestroy releases the heap's reservations; VirtualFree(MEM_RELEASE) the 64 KiB.");
    cleanup();
    kprintf("\ndemo complete.  Try it by hand: reserve 64K, commit ADDR 4K, pte ADDR, touch ADDR w,\n"
            "vmmap, heapcreate, heap HANDLE (see 'help').\n");
}

static void cmd_demo(int argc, char **argv)
{
    bool (*const steps[])(void) = { step_reserve, step_commit, step_touch, step_guard,
                                    step_violation, step_paging, step_heap, step_malloc, step_new_array,
                                    step_mismatch };

    (void)argc;
    (void)argv;
    memset(&demo, 0, sizeof(demo));
    demo.charge0 = charge_now();
    kprintf("The story of the source material (Windows memory management), on this machine:\n"
            "VirtualAlloc at the bottom, the heap on top of it, malloc on the heap, new[] on\n"
            "malloc.  Each step is real: the scratch process's page tables, the VM layer's\n"
            "fault handler, the heap engine's blocks.\n");
    if (!console_pause())
        goto stop;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (!steps[i]())
            goto stop;
    step_end();
    return;
stop:
    kprintf("demo stopped; cleaning up\n");
    cleanup();
}

const struct console_cmd console_cmds_demo[] = {
    { "demo", "", "reserve, commit, fault, guard, paging, heap, malloc, new[] cookie: step by step", cmd_demo },
    { NULL, NULL, NULL, NULL },
};
