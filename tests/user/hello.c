/* The first user program: stdout, GetSystemInfo and one VirtualAlloc /
 * VirtualQuery / VirtualFree round trip through the system-service
 * boundary.  `make run-user PROG=tests/user/hello.c` runs it. */
#include <windows.h>
#include <stdio.h>
#include <string.h>

#define REGION_SIZE (64 * 1024)

static int check_region(unsigned char *p)
{
    for (int i = 0; i < REGION_SIZE; i++) {
        if (p[i] != 0) {
            printf("fresh page not zero at +0x%x\n", i);
            return 1;
        }
    }
    for (int i = 0; i < REGION_SIZE; i++)
        p[i] = (unsigned char)(i * 7);
    for (int i = 0; i < REGION_SIZE; i++) {
        if (p[i] != (unsigned char)(i * 7)) {
            printf("read back 0x%02x at +0x%x\n", p[i], i);
            return 1;
        }
    }
    return 0;
}

int main(void)
{
    SYSTEM_INFO si;
    MEMORY_BASIC_INFORMATION mbi;

    printf("hello from ring 3\n");
    GetSystemInfo(&si);
    printf("page size %lu, allocation granularity %lu, user space %p-%p\n", si.dwPageSize,
           si.dwAllocationGranularity, si.lpMinimumApplicationAddress, si.lpMaximumApplicationAddress);

    unsigned char *p = VirtualAlloc(NULL, REGION_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (p == NULL) {
        printf("VirtualAlloc failed: error %lu\n", GetLastError());
        return 1;
    }
    printf("VirtualAlloc: %u KiB at %p\n", REGION_SIZE / 1024, (void *)p);
    if (check_region(p) != 0)
        return 1;
    printf("wrote and read back %u bytes\n", REGION_SIZE);

    if (VirtualQuery(p, &mbi, sizeof(mbi)) != sizeof(mbi)) {
        printf("VirtualQuery failed: error %lu\n", GetLastError());
        return 1;
    }
    printf("VirtualQuery: base %p allocation base %p size 0x%lx state 0x%lx protect 0x%lx type 0x%lx\n",
           mbi.BaseAddress, mbi.AllocationBase, mbi.RegionSize, mbi.State, mbi.Protect, mbi.Type);

    if (!VirtualFree(p, 0, MEM_RELEASE)) {
        printf("VirtualFree failed: error %lu\n", GetLastError());
        return 1;
    }
    printf("VirtualFree: released\n");
    return 0;
}
