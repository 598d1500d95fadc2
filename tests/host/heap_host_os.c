/* The heap engine's platform layer for the host (x86-64 Linux): the
 * VirtualAlloc family over mmap, a futex for the heap lock, per-thread
 * cache slots and membarrier for the front end, exceptions as a hook;
 * HEAP_HOST_CHECKING=1 / HEAP_HOST_NO_LFH=1 in the environment create
 * every heap with checking / without the low-fragmentation front end.
 * It counts committed bytes (now and at peak) exactly, using a registry
 * of reservations, and the time spent in the page calls. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "../../mm/heap/heap_os.h"
#include "heapapi.h"

/* ---- reservations ---- */
struct resv {
    uintptr_t base;
    size_t size, committed;
};
static pthread_mutex_t resv_lock = PTHREAD_MUTEX_INITIALIZER;
static struct resv *resv;           /* sorted by base */
static size_t nresv, cap_resv;
static size_t committed_now, committed_peak, reserved_now;
static size_t commit_limit;         /* tests: commits past this fail (0: none) */
static __thread uint64_t os_ns;     /* time spent in page calls, this thread */
static unsigned long long os_calls; /* page calls, all threads */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t call_begin(void)
{
    __atomic_fetch_add(&os_calls, 1, __ATOMIC_RELAXED);
    return now_ns();
}

/* Index of the reservation containing a (resv_lock held), or nresv. */
static size_t resv_find(uintptr_t a)
{
    size_t lo = 0, hi = nresv;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a < resv[mid].base)
            hi = mid;
        else if (a - resv[mid].base >= resv[mid].size)
            lo = mid + 1;
        else
            return mid;
    }
    return nresv;
}

static void resv_insert(uintptr_t base, size_t size)
{
    if (nresv == cap_resv) {
        cap_resv = cap_resv ? cap_resv * 2 : 256;
        resv = realloc(resv, cap_resv * sizeof *resv);
        if (!resv)
            abort();
    }
    size_t i = nresv;
    while (i > 0 && resv[i - 1].base > base) {
        resv[i] = resv[i - 1];
        i--;
    }
    resv[i] = (struct resv){ base, size, 0 };
    nresv++;
    reserved_now += size;
}

static void charge(size_t i, long delta)
{
    resv[i].committed += (size_t)delta;
    committed_now += (size_t)delta;
    if (committed_now > committed_peak)
        committed_peak = committed_now;
}

void *heap_os_reserve(size_t size, unsigned flags)
{
    (void)flags;
    uint64_t t0 = call_begin();
    size_t span = size + HEAP_OS_GRANULARITY;
    char *p = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        os_ns += now_ns() - t0;
        return NULL;
    }
    uintptr_t a = ((uintptr_t)p + HEAP_OS_GRANULARITY - 1) & ~(uintptr_t)(HEAP_OS_GRANULARITY - 1);
    if (a > (uintptr_t)p)
        munmap(p, a - (uintptr_t)p);
    size_t tail = (uintptr_t)p + span - (a + size);
    if (tail)
        munmap((char *)(a + size), tail);
    pthread_mutex_lock(&resv_lock);
    resv_insert(a, size);
    pthread_mutex_unlock(&resv_lock);
    os_ns += now_ns() - t0;
    return (void *)a;
}

int32_t heap_os_commit(void *addr, size_t size, unsigned flags)
{
    uint64_t t0 = call_begin();
    int prot = PROT_READ | PROT_WRITE | ((flags & HEAP_OS_EXECUTE) ? PROT_EXEC : 0);
    pthread_mutex_lock(&resv_lock);
    size_t i = resv_find((uintptr_t)addr);
    if (i == nresv || (uintptr_t)addr + size - resv[i].base > resv[i].size) {
        fprintf(stderr, "heap_os_commit: %p+%zu outside any reservation\n", addr, size);
        abort();
    }
    if (commit_limit && committed_now + size > commit_limit) { /* as VirtualAlloc past the limit */
        pthread_mutex_unlock(&resv_lock);
        os_ns += now_ns() - t0;
        return (int32_t)0xC000012D; /* STATUS_COMMITMENT_LIMIT */
    }
    int r = mprotect(addr, size, prot);
    if (r == 0)
        charge(i, (long)size);
    pthread_mutex_unlock(&resv_lock);
    os_ns += now_ns() - t0;
    return r == 0 ? 0 : (int32_t)0xC0000017; /* STATUS_NO_MEMORY */
}

void heap_os_decommit(void *addr, size_t size)
{
    uint64_t t0 = call_begin();
    pthread_mutex_lock(&resv_lock);
    size_t i = resv_find((uintptr_t)addr);
    if (i == nresv || resv[i].committed < size) {
        fprintf(stderr, "heap_os_decommit: %p+%zu not committed\n", addr, size);
        abort();
    }
    madvise(addr, size, MADV_DONTNEED);
    mprotect(addr, size, PROT_NONE);
    charge(i, -(long)size);
    pthread_mutex_unlock(&resv_lock);
    os_ns += now_ns() - t0;
}

void heap_os_release(void *base, size_t size)
{
    uint64_t t0 = call_begin();
    pthread_mutex_lock(&resv_lock);
    size_t i = resv_find((uintptr_t)base);
    if (i == nresv || resv[i].base != (uintptr_t)base || resv[i].size != size) {
        fprintf(stderr, "heap_os_release: %p+%zu is not a reservation\n", base, size);
        abort();
    }
    munmap(base, size);
    committed_now -= resv[i].committed;
    reserved_now -= size;
    memmove(&resv[i], &resv[i + 1], (nresv - i - 1) * sizeof *resv);
    nresv--;
    pthread_mutex_unlock(&resv_lock);
    os_ns += now_ns() - t0;
}

/* ---- lock: the engine's word, a futex to wait on it ---- */
uintptr_t heap_os_thread_id(void)
{
    return (uintptr_t)pthread_self();
}
void heap_os_lock_init(heap_os_lock *l) { memset(l, 0, sizeof *l); }
void heap_os_lock_wait(heap_os_lock *l, volatile uint32_t *word, uint32_t value)
{
    (void)l;
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
}
void heap_os_lock_wake(heap_os_lock *l, volatile uint32_t *word)
{
    (void)l;
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
void heap_os_lock_destroy(heap_os_lock *l) { (void)l; }

/* ---- per-thread caches: slots and a process-wide barrier ---- */
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t slots_used;                 /* bit i: slot i belongs to a live thread */
static pthread_key_t slot_key;
static int slot_state;                      /* 0 unknown, 1 caches on, -1 off */
static __thread int my_slot;                /* slot + 1; 0 none yet */
static int caches_off;                      /* heap_host_set_thread_caches(0) */

static void slot_release(void *v)
{
    int s = (int)(intptr_t)v - 1;
    pthread_mutex_lock(&slot_lock);
    slots_used &= ~(1ull << s);
    pthread_mutex_unlock(&slot_lock);
}

/* Caches need a barrier that reaches every thread (membarrier, private
 * expedited, registered once) and more than one CPU to be worth it. */
static void slot_setup(void)
{
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0 &&
        pthread_key_create(&slot_key, slot_release) == 0 && sysconf(_SC_NPROCESSORS_ONLN) > 1)
        slot_state = 1;
    else
        slot_state = -1;
}

__attribute__((noinline)) static int slot_take(void)
{
    int s = -1;
    pthread_mutex_lock(&slot_lock);
    if (!slot_state)
        slot_setup();
    if (slot_state > 0 && !caches_off) {
        for (int i = 0; i < HEAP_OS_THREAD_SLOTS; i++)
            if (!(slots_used & (1ull << i))) {
                slots_used |= 1ull << i;
                s = i;
                break;
            }
    }
    pthread_mutex_unlock(&slot_lock);
    if (s < 0)
        return my_slot = -1, -1;            /* (asked again by no one: -1 sticks) */
    my_slot = s + 1;
    pthread_setspecific(slot_key, (void *)(intptr_t)my_slot);
    return s;
}

int heap_os_thread_slot(void)
{
    int s = my_slot;
    return __builtin_expect(s > 0, 1) ? s - 1 : s < 0 ? -1 : slot_take();
}

void heap_os_barrier(void)
{
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) {
        fprintf(stderr, "heap_os_barrier: membarrier failed\n");
        abort();
    }
}

void heap_os_yield(void)
{
    sched_yield();
}

void heap_host_set_thread_caches(int on)
{
    caches_off = !on;
}

/* ---- exceptions ---- */
static void (*raise_hook)(DWORD code);

void heap_host_set_raise_hook(void (*hook)(DWORD code)) { raise_hook = hook; }

void heap_os_raise(int32_t status)
{
    if (raise_hook) { /* may longjmp; if it returns, the call fails normally */
        raise_hook((DWORD)status);
        return;
    }
    fprintf(stderr, "heap: unhandled exception 0x%08X\n", (unsigned)status);
    abort();
}

int heap_os_default_checking(void)
{
    static int v = -1;
    if (v < 0) {
        const char *c = getenv("HEAP_HOST_CHECKING"), *f = getenv("HEAP_HOST_NO_LFH");
        v = (c && *c == '1' ? HEAP_OS_OPT_CHECKING : 0) | (f && *f == '1' ? HEAP_OS_OPT_NO_LFH : 0);
    }
    return v;
}

/* ---- counters ---- */
SIZE_T heap_host_committed_bytes(void)
{
    pthread_mutex_lock(&resv_lock);
    size_t n = committed_now;
    pthread_mutex_unlock(&resv_lock);
    return n;
}
SIZE_T heap_host_committed_peak(void)
{
    pthread_mutex_lock(&resv_lock);
    size_t n = committed_peak;
    pthread_mutex_unlock(&resv_lock);
    return n;
}
SIZE_T heap_host_reserved_bytes(void)
{
    pthread_mutex_lock(&resv_lock);
    size_t n = reserved_now;
    pthread_mutex_unlock(&resv_lock);
    return n;
}
void heap_host_set_commit_limit(SIZE_T bytes)
{
    pthread_mutex_lock(&resv_lock);
    commit_limit = bytes;
    pthread_mutex_unlock(&resv_lock);
}
void heap_host_reset_peak(void)
{
    pthread_mutex_lock(&resv_lock);
    committed_peak = committed_now;
    pthread_mutex_unlock(&resv_lock);
}
unsigned long long heap_host_os_ns(void) { return os_ns; }
unsigned long long heap_host_os_calls(void) { return __atomic_load_n(&os_calls, __ATOMIC_RELAXED); }
