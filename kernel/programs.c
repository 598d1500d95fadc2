#include "kernel/programs.h"
#include "kernel/process.h"
#include "kernel/bootinfo.h"
#include "kernel/base/kprintf.h"
#include "kernel/cmdline.h"
#include "kernel/object.h"
#include "mm/kheap.h"
#include "mm/heap/heap.h"
#include "mm/vm.h"
#include "mm/pmm.h"
#include "mm/paging.h"
#include <ntstatus.h>
#include <string.h>

#define NAME_MAX 32

/* "build/user/hello.elf" -> "hello" */
static void module_basename(const char *path, char *out, size_t cap)
{
    const char *slash = path;
    for (const char *p = path; *p != '\0'; p++)
        if (*p == '/')
            slash = p + 1;
    size_t n = strlen(slash);
    if (n > 4 && strcmp(slash + n - 4, ".elf") == 0)
        n -= 4;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, slash, n);
    out[n] = '\0';
}

static const struct boot_module *find_module(const char *name)
{
    const struct boot_info *bi = bootinfo();
    char base[NAME_MAX];

    for (int i = 0; i < bi->module_count; i++) {
        module_basename(bi->modules[i].name, base, sizeof(base));
        if (strcmp(base, name) == 0)
            return &bi->modules[i];
    }
    return NULL;
}

bool programs_find_image(const char *name, uint32_t *start, uint32_t *length)
{
    const struct boot_module *m = find_module(name);
    if (m == NULL)
        return false;
    *start = m->start;
    *length = m->end - m->start;
    return true;
}

void programs_list(void)
{
    const struct boot_info *bi = bootinfo();
    char base[NAME_MAX];

    for (int i = 0; i < bi->module_count; i++) {
        module_basename(bi->modules[i].name, base, sizeof(base));
        kprintf("  %s (%u bytes)\n", base, bi->modules[i].end - bi->modules[i].start);
    }
}

struct counters {
    uint32_t free_frames, commit_charge, page_tables;
    /* What a process's threads, handles and objects hold in the kernel
     * (issue 13): kernel-heap bytes (thread and object structures, handle
     * tables), kernel VM reservations other than the heap's (kernel
     * stacks), and live objects. */
    uint32_t kheap_bytes, kernel_vm, objects;
    /* Issue 19: frames locked by VirtualLock, system-wide: a process's
     * end must unlock every page it left locked. */
    uint32_t locked_frames;
};

static void read_counters(struct counters *c)
{
    struct vm_leak_counters lc;
    struct heap_stats hs;

    vm_get_leak_counters(&lc);
    c->free_frames = lc.available_frames;
    c->commit_charge = lc.user_commit_charge;
    c->page_tables = lc.page_tables;
    heap_get_stats(kheap(), &hs);
    c->kheap_bytes = kheap_in_use();
    c->kernel_vm = vm_space_allocations(vm_kernel_space()) - hs.segments - hs.large_blocks;
    c->objects = object_live_count();
    c->locked_frames = pfn_locked_frames();
}

bool programs_run_one(const char *name, unsigned long *exit_status)
{
    const struct boot_module *m = find_module(name);
    NTSTATUS status = 0;

    if (m == NULL)
        return false;
    NTSTATUS st = process_run_image(name, m->start, m->end - m->start, &status);
    if (!NT_SUCCESS(st)) {
        kprintf("process %s: could not start (status 0x%08x)\n", name, (uint32_t)st);
        status = st;
    }
    kprintf("process %s: exit status 0x%08x\n", name, (uint32_t)status);
    *exit_status = (uint32_t)status;
    return true;
}

/* One program as a KTAP subtest of the run's document (see programs_run),
 * with two cases of the kernel's:
 *
 *         KTAP version 1
 *         # Subtest: NAME
 *         1..2
 *     <what the program prints>
 *     process NAME: exit status 0x00000000
 *         ok 1 exit_status
 *         ok 2 leak_check
 *     ok INDEX NAME
 *
 * expected is the exit status it must end with (0 unless the command line
 * says name:STATUS, e.g. a program that must die of an access violation).
 * A test program's own KTAP document (tests/user/utest.h) is printed by
 * the program two levels deep, as the subtest of exit_status: the exit
 * status is the program's verdict on its suites.  So the plan is known
 * before the program runs (the kernel cannot know how many suites a
 * program has) and the numbers of the kernel's cases do not depend on
 * what the program printed. */
static bool run_checked(const char *name, unsigned long expected, int index)
{
    struct counters before, after;
    unsigned long status = 0;

    kprintf("    KTAP version 1\n    # Subtest: %s\n", name);
    if (find_module(name) == NULL) {
        kprintf("    1..1\n    # no module named '%s'\n    not ok 1 exit_status\nnot ok %d %s\n",
                name, index, name);
        return false;
    }
    kprintf("    1..2\n");
    read_counters(&before);
    programs_run_one(name, &status);
    read_counters(&after);
    bool leak_ok = before.free_frames == after.free_frames &&
                   before.commit_charge == after.commit_charge &&
                   before.page_tables == after.page_tables && before.kheap_bytes == after.kheap_bytes &&
                   before.kernel_vm == after.kernel_vm && before.objects == after.objects &&
                   before.locked_frames == after.locked_frames;
    bool status_ok = status == expected;
    if (!status_ok)
        kprintf("    # %s: exit status 0x%08lx, expected 0x%08lx\n", name, status, expected);
    kprintf("    %s 1 exit_status\n", status_ok ? "ok" : "not ok");
    if (!leak_ok)
        kprintf("    # %s: free frames %u -> %u, commit charge %u -> %u, page tables %u -> %u, "
                "kernel heap bytes %u -> %u, kernel VM reservations %u -> %u, objects %u -> %u, "
                "locked frames %u -> %u\n",
                name, before.free_frames, after.free_frames, before.commit_charge,
                after.commit_charge, before.page_tables, after.page_tables, before.kheap_bytes,
                after.kheap_bytes, before.kernel_vm, after.kernel_vm, before.objects, after.objects,
                before.locked_frames, after.locked_frames);
    kprintf("    %s 2 leak_check\n", leak_ok ? "ok" : "not ok");
    kprintf("%s %d %s\n", status_ok && leak_ok ? "ok" : "not ok", index, name);
    return status_ok && leak_ok;
}

/* "0xC0000005" or decimal. */
static unsigned long parse_status(const char *s)
{
    unsigned long v = 0, base = 10;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (; *s != '\0'; s++) {
        unsigned d = (*s >= '0' && *s <= '9') ? (unsigned)(*s - '0')
                     : (*s >= 'a' && *s <= 'f') ? (unsigned)(*s - 'a' + 10)
                     : (*s >= 'A' && *s <= 'F') ? (unsigned)(*s - 'A' + 10) : 99;
        if (d >= base)
            break;
        v = v * base + d;
    }
    return v;
}

/* The entry of the comma-separated list at p, "name" or "name:STATUS":
 * the name into name[NAME_MAX], the expected exit status into *expected.
 * Returns the next entry, or NULL after the last ("a,b," has two). */
static const char *next_entry(const char *p, char *name, unsigned long *expected)
{
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);

    if (len >= NAME_MAX)
        len = NAME_MAX - 1;
    memcpy(name, p, len);
    name[len] = '\0';
    *expected = 0;
    char *colon = strchr(name, ':');
    if (colon != NULL) {
        *colon = '\0';
        *expected = parse_status(colon + 1);
    }
    return end != NULL && end[1] != '\0' ? end + 1 : NULL;
}

/* One KTAP document for the whole run, as KUnit nests suites: the plan
 * counts the programs on the command line, each program is a subtest. */
bool programs_run(const char *list)
{
    char name[NAME_MAX];
    unsigned long expected;
    const char *first = *list != '\0' ? list : NULL;
    int count = 0, index = 0;
    bool ok = true;

    for (const char *p = first; p != NULL; p = next_entry(p, name, &expected))
        count++;
    kprintf("KTAP version 1\n1..%d\n", count);
    for (const char *p = first; p != NULL;) {
        p = next_entry(p, name, &expected);
        ok &= run_checked(name, expected, ++index);
    }
    return ok;
}
