/* The heap suite's cases for the low-fragmentation front end inside the
 * kernel (issue 14): the kernel heap serves small kmallocs from it, the
 * size classes keep their waste bound with x86's 8-byte granules, and
 * corruption of front-end blocks is found as on back-end blocks.  Booted
 * with heap=nolfh (a harness run) every heap is standard and these cases
 * check that instead, while the rest of the suite runs on the back end. */
#include "tests/ktest.h"
#include "mm/heap/heap.h"
#include "mm/kheap.h"
#include "kernel/cmdline.h"
#include <winnt.h>
#include <string.h>

#define STATUS_INVALID_PARAMETER_ 0xC000000Du
#define STATUS_HEAP_CORRUPTION_ 0xC0000374u

static bool front_end_off(void)
{
    const char *v = cmdline_get("heap");
    return v != NULL && cmdline_list_contains(v, "nolfh");
}

static int block_kind(struct heap *h, const void *p, uint32_t *bytes)
{
    struct heap_block_info bi;
    if (!heap_block_info(h, 0, p, &bi))
        return -1;
    if (bytes)
        *bytes = bi.block_bytes;
    return bi.front_end;
}

static void warm(struct heap *h, size_t n)
{
    void *p[40];
    for (int i = 0; i < 40; i++)
        p[i] = heap_alloc(h, 0, n, NULL);
    for (int i = 0; i < 40; i++)
        heap_free(h, 0, p[i], NULL);
}

/* The kernel heap has the front end (HeapCompatibilityInformation 2) and
 * a run of kmallocs of one size is served from it. */
static void kheap_front_end_serves_kmalloc(struct ktest *t)
{
    void *p[48];
    int lfh = 0;
    EXPECT_EQ(t, heap_front_end(kheap()), front_end_off() ? 0 : 2);
    for (int i = 0; i < 48; i++)
        p[i] = kmalloc(32);
    for (int i = 0; i < 48; i++)
        lfh += block_kind(kheap(), p[i], NULL) == 1;
    for (int i = 0; i < 48; i++)
        kfree(p[i]);
    if (front_end_off())
        EXPECT_EQ(t, lfh, 0);
    else
        EXPECT_GE(t, lfh, 16);
    EXPECT_EQ(t, heap_check(kheap()), 0);
}

/* Every request up to 16 KiB: a block that holds it; up to 128-byte
 * blocks the request and its header rounded to 8 bytes (16 at least),
 * above that less than 12.5% of a request above 64 bytes wasted. */
static void heap_classes_waste_bound(struct ktest *t)
{
    struct heap *h = heap_create(0, 0, 0, NULL);
    ASSERT_TRUE(t, h != NULL);
    for (size_t n = 1; n <= 16384; n += 8)
        warm(h, n);
    uint32_t bad = 0, lfh = 0;
    for (size_t n = 0; n <= 16384; n++) {
        void *p = heap_alloc(h, 0, n, NULL);
        uint32_t block = 0;
        if (block_kind(h, p, &block) == 1) {
            uint32_t waste = block - 8 - n, lin = (n + 8 + 7) / 8 * 8 < 16 ? 16 : (n + 8 + 7) / 8 * 8;
            lfh++;
            if (block < n + 8 || (n + 8 <= 128 ? block != lin : n > 64 && waste * 8 >= n)) {
                if (bad++ < 4)
                    ktest_log("request %u: block %u", (unsigned)n, block);
            }
        }
        heap_free(h, 0, p, NULL);
    }
    EXPECT_EQ(t, bad, 0);
    EXPECT_EQ(t, lfh, front_end_off() ? 0 : 16385);
    EXPECT_EQ(t, heap_check(h), 0);
    heap_destroy(h);
}

/* Front-end blocks of a private kernel heap: a double free, an interior
 * pointer and a smashed header are refused with STATUS_INVALID_PARAMETER
 * and leave the heap intact; with tail checking a byte past the end is
 * STATUS_HEAP_CORRUPTION and the block stays busy. */
static void heap_front_end_corruption_found(struct ktest *t)
{
    struct heap *h = heap_create(0, 0, 0, NULL), *c = heap_create(HEAP_TAIL_CHECKING_ENABLED, 0, 0, NULL);
    int32_t st = 0;
    ASSERT_TRUE(t, h != NULL && c != NULL);
    warm(h, 100);
    warm(c, 100);
    uint8_t *p = heap_alloc(h, 0, 100, NULL), *q = heap_alloc(c, 0, 100, NULL);
    ASSERT_TRUE(t, p != NULL && q != NULL);
    if (!front_end_off())
        EXPECT_TRUE(t, block_kind(h, p, NULL) == 1 && block_kind(c, q, NULL) == 1);
    EXPECT_FALSE(t, heap_free(h, 0, p + 8, &st));
    EXPECT_EQ(t, (uint32_t)st, STATUS_INVALID_PARAMETER_);
    for (int k = 1; k <= 8; k++) {
        p[-k] ^= 0x20;
        st = 0;
        EXPECT_FALSE(t, heap_free(h, 0, p, &st));
        EXPECT_EQ(t, (uint32_t)st, STATUS_INVALID_PARAMETER_);
        EXPECT_FALSE(t, heap_validate(h, 0, NULL));
        p[-k] ^= 0x20;
    }
    EXPECT_TRUE(t, heap_free(h, 0, p, NULL));
    st = 0;
    EXPECT_FALSE(t, heap_free(h, 0, p, &st));
    EXPECT_EQ(t, (uint32_t)st, STATUS_INVALID_PARAMETER_);
    q[100] ^= 0xFF;
    st = 0;
    EXPECT_FALSE(t, heap_validate(c, 0, q));
    EXPECT_FALSE(t, heap_free(c, 0, q, &st));
    EXPECT_EQ(t, (uint32_t)st, STATUS_HEAP_CORRUPTION_);
    EXPECT_EQ(t, heap_size(c, 0, q), 100);
    q[100] ^= 0xFF;
    EXPECT_TRUE(t, heap_free(c, 0, q, NULL));
    EXPECT_EQ(t, heap_check(h), 0);
    EXPECT_EQ(t, heap_check(c), 0);
    heap_destroy(h);
    heap_destroy(c);
}

const struct ktest_case test_heap_lfh_cases[] = {
    KTEST_CASE(kheap_front_end_serves_kmalloc),
    KTEST_CASE(heap_classes_waste_bound),
    KTEST_CASE(heap_front_end_corruption_found),
    KTEST_END,
};
