/* Host heap tests: seeded random operations against a shadow model, on
 * growable, unserialized, checking and fixed-size heaps (--seed N
 * repeats a run), and four threads on one serialized heap. */
#include "test_heap_host.h"

/* xorshift64, seeded by random_ops (the threads have their own). */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* ================= random operations against a shadow model ================= */

struct slot {
    unsigned char *p;
    SIZE_T n;
    uint32_t seed;
};

static unsigned char pat(uint32_t seed, SIZE_T i)
{
    return (unsigned char)((seed >> (i & 7)) ^ (i * 31) ^ (i >> 9));
}
/* Write / check the pattern on the first 64 bytes, every 512th byte and
 * the last 32 bytes (cheap enough for a million operations under ASan).
 * After a resize only the positions below the kept size that were
 * written before are checked (tails = 0). */
static void pat_fill(struct slot *s)
{
    for (SIZE_T i = 0; i < s->n && i < 64; i++)
        s->p[i] = pat(s->seed, i);
    for (SIZE_T i = 512; i < s->n; i += 512)
        s->p[i] = pat(s->seed, i);
    for (SIZE_T i = s->n > 32 ? s->n - 32 : 0; i < s->n; i++)
        s->p[i] = pat(s->seed, i);
}
static int pat_ok(const struct slot *s, SIZE_T upto, int tails)
{
    for (SIZE_T i = 0; i < upto && i < 64; i++)
        if (s->p[i] != pat(s->seed, i))
            return 0;
    for (SIZE_T i = 512; i < upto; i += 512)
        if (s->p[i] != pat(s->seed, i))
            return 0;
    for (SIZE_T i = s->n > 32 ? s->n - 32 : 0; tails && i < s->n; i++)
        if (s->p[i] != pat(s->seed, i))
            return 0;
    return 1;
}

static SIZE_T rand_size(void)
{
    uint64_t r = rnd();
    if (r % 1000 == 0)
        return 0x7F000 + (SIZE_T)(rnd() % 0x180000); /* large */
    if (r % 50 == 1)
        return (SIZE_T)(rnd() % 4); /* tiny, zero included */
    unsigned bits = 4 + (unsigned)(rnd() % 13); /* log-uniform 16 B .. 64 KiB */
    return (SIZE_T)(rnd() & ((1u << bits) - 1)) + ((SIZE_T)1 << (bits - 1));
}

static int random_ops(HANDLE h, long ops, int nslots, uint64_t seed, int check_every, int fixed)
{
    struct slot *s = calloc((size_t)nslots, sizeof *s);
    int bad = 0;
    rng_state = seed;
    for (long op = 0; op < ops && bad < 10; op++) {
        struct slot *x = &s[rnd() % (unsigned)nslots];
        unsigned what = (unsigned)(rnd() % 8);
        if (!x->p) {
            SIZE_T n = rand_size();
            DWORD fl = (rnd() % 16 == 0) ? HEAP_ZERO_MEMORY : 0;
            x->p = HeapAlloc(h, fl, n);
            if (!x->p) {
                if (!fixed) {
                    printf("    op %ld: HeapAlloc(%zu) failed\n", op, n);
                    bad++;
                }
                continue;
            }
            if (fl) {
                for (SIZE_T i = 0; i < n; i += (n > 4096 ? 61 : 1))
                    if (x->p[i]) {
                        printf("    op %ld: HEAP_ZERO_MEMORY block not zero\n", op);
                        bad++;
                        break;
                    }
            }
            x->n = n;
            x->seed = (uint32_t)rnd();
            pat_fill(x);
        } else if (what < 3) {
            SIZE_T n = rand_size();
            DWORD fl = (rnd() % 8 == 0) ? HEAP_REALLOC_IN_PLACE_ONLY : 0;
            unsigned char *q = HeapReAlloc(h, fl, x->p, n);
            if (!q) {
                if (!fl && !fixed) {
                    printf("    op %ld: HeapReAlloc(%zu) failed\n", op, n);
                    bad++;
                }
                if (!pat_ok(x, x->n, 1) || HeapSize(h, 0, x->p) != x->n) {
                    printf("    op %ld: failed realloc changed the block\n", op);
                    bad++;
                }
                continue;
            }
            if ((fl && q != x->p) || HeapSize(h, 0, q) != n) {
                printf("    op %ld: realloc result wrong\n", op);
                bad++;
            }
            x->p = q;
            if (!pat_ok(x, n < x->n ? n : x->n, n >= x->n)) {
                printf("    op %ld: realloc lost contents\n", op);
                bad++;
            }
            x->n = n;
            pat_fill(x);
        } else {
            if (!pat_ok(x, x->n, 1) || HeapSize(h, 0, x->p) != x->n) {
                printf("    op %ld: block %p (%zu) damaged\n", op, (void *)x->p, x->n);
                bad++;
            }
            if (!HeapFree(h, 0, x->p)) {
                printf("    op %ld: HeapFree failed\n", op);
                bad++;
            }
            x->p = NULL;
        }
        if (check_every && op % check_every == check_every - 1) {
            int c = heap_host_check(h);
            if (c || !HeapValidate(h, 0, NULL)) {
                printf("    op %ld: heap_check = %d\n", op, c);
                bad++;
            }
        }
    }
    /* the walk agrees with the model */
    int live = 0, busy = 0, matched = 0;
    for (int i = 0; i < nslots; i++) {
        if (!s[i].p)
            continue;
        live++;
        if (!pat_ok(&s[i], s[i].n, 1))
            bad++;
    }
    PROCESS_HEAP_ENTRY e;
    e.lpData = NULL;
    while (HeapWalk(h, &e)) {
        if (!(e.wFlags & PROCESS_HEAP_ENTRY_BUSY))
            continue;
        busy++;
        for (int i = 0; i < nslots; i++)
            if (s[i].p == e.lpData) {
                matched += s[i].n == e.cbData;
                break;
            }
    }
    if (busy != live || matched != live) {
        printf("    walk: %d busy, %d live, %d matched\n", busy, live, matched);
        bad++;
    }
    if (heap_host_check(h)) {
        printf("    final heap_check = %d\n", heap_host_check(h));
        bad++;
    }
    for (int i = 0; i < nslots; i++)
        if (s[i].p && !HeapFree(h, 0, s[i].p))
            bad++;
    free(s);
    return bad;
}

/* A million operations, front end and back end and large blocks mixed
 * (issue 14's property test): every block's contents checked when it is
 * freed or resized, the heap validated every 50,000, and once everything
 * is freed and compacted the heap commits what it did when new. */
void rnd_1m_ops_growable(void)
{
    SIZE_T c0 = heap_host_committed_bytes();
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    SIZE_T fresh = heap_host_committed_bytes() - c0;
    printf("    seed 0x%llx\n", (unsigned long long)test_seed);
    EXPECT_EQ(random_ops(h, 1000000, 4096, test_seed, 50000, 0), 0);
    EXPECT_HEAP_OK(h);
    HeapCompact(h, 0);
    EXPECT_EQ(heap_host_committed_bytes() - c0, fresh);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

void rnd_200k_ops_no_serialize_small_slots(void)
{
    HANDLE h = HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    ASSERT(h);
    EXPECT_EQ(random_ops(h, 200000, 64, test_seed + 1, 1000, 0), 0);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

void rnd_200k_ops_checking(void)
{
    HANDLE h = HeapCreate(HEAP_TAIL_CHECKING_ENABLED | HEAP_FREE_CHECKING_ENABLED, 0, 0);
    ASSERT(h);
    EXPECT_EQ(random_ops(h, 200000, 1024, test_seed + 2, 20000, 0), 0);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

void rnd_200k_ops_fixed(void)
{
    HANDLE h = HeapCreate(0, 0, 0x800000);
    ASSERT(h);
    EXPECT_EQ(random_ops(h, 200000, 512, test_seed + 3, 10000, 1), 0);
    EXPECT_HEAP_OK(h);
    HeapDestroy(h);
}

/* 4 threads x 100,000 random operations on one serialized heap. */
struct thr_arg {
    HANDLE h;
    uint64_t seed;
    int bad;
};
static void *thr_main(void *a)
{
    struct thr_arg *t = a;
    enum { S = 256 };
    void *p[S] = { 0 };
    SIZE_T n[S] = { 0 };
    uint64_t r = t->seed;
    for (int op = 0; op < 100000; op++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        int i = (int)(r % S);
        if (p[i]) {
            if (HeapSize(t->h, 0, p[i]) != n[i] || ((unsigned char *)p[i])[0] != (unsigned char)i)
                t->bad++;
            if (!HeapFree(t->h, 0, p[i]))
                t->bad++;
            p[i] = NULL;
        } else {
            n[i] = 1 + (SIZE_T)((r >> 20) % ((r >> 40) % 8 == 0 ? 20000 : 300));
            p[i] = HeapAlloc(t->h, 0, n[i]);
            if (!p[i])
                t->bad++;
            else
                ((unsigned char *)p[i])[0] = (unsigned char)i;
        }
    }
    for (int i = 0; i < S; i++)
        if (p[i])
            HeapFree(t->h, 0, p[i]);
    return NULL;
}

void thr_4x100k_serialized(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    ASSERT(h);
    pthread_t t[4];
    struct thr_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (struct thr_arg){ h, test_seed + 100 + (uint64_t)i, 0 };
        pthread_create(&t[i], NULL, thr_main, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        EXPECT_EQ(a[i].bad, 0);
    }
    EXPECT(HeapValidate(h, 0, NULL));
    int busy;
    walk_find(h, NULL, 0, &busy);
    EXPECT_EQ(busy, 0); /* every block accounted for */
    HeapDestroy(h);
}
