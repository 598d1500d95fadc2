/* What the parts of the usecurity program share (tests/user/usecurity.c
 * and the files of tests/user/usecurity/): the fixture's pages, the
 * "world" a failed call must leave alone (both in usecurity.c), and a
 * context to pass to NtContinue. */
#ifndef TESTS_USER_USECURITY_USECURITY_H
#define TESTS_USER_USECURITY_USECURITY_H

#include "utest.h"
#include "uspace.h"
#include <stdio.h>

#define FIX 0x30000000u                 /* the fixture's pages, see fixture_init */
#define PG_RW (FIX + 0 * PAGE)          /* scratch, readable and writable */
#define PG_RO (FIX + 1 * PAGE)          /* read-only, filled with RO_FILL */
#define PG_NOACCESS (FIX + 2 * PAGE)    /* committed PAGE_NOACCESS */
#define PG_RESERVED (FIX + 3 * PAGE)    /* reserved, not committed */
#define PG_EDGE (FIX + 4 * PAGE)        /* readable and writable ... */
#define PG_EDGE_END (FIX + 5 * PAGE)    /* ... followed by a reserved page */
#define FIX_PAGES 6
#define VICTIM 0x31000000u              /* one committed page the calls aim at */
#define FREE_ADDR 0x50000000u           /* nothing there */
#define WATCHED 0x32000000u             /* a MEM_WRITE_WATCH page, written once */
#define RO_FILL 0xA5u

/* RtlCaptureContext returns again when its context is continued. */
void NTAPI RtlCaptureContext(PCONTEXT ContextRecord) __attribute__((returns_twice));

/* ---- fixture (usecurity.c) --------------------------------------------------------- */

/* Everything a failed call must leave alone. */
struct world {
    struct space_map map;
    uint32_t charge, allocations;
};

/* A case takes world_before, makes its calls, then checks with
 * world_unchanged (and repairs with world_repair when it changed). */
extern struct world world_before;
void world_take(struct world *w);
bool world_unchanged(struct utest *t, int line, const char *what);
void world_repair(void);

/* A context that resumes nowhere useful: only ever passed with a bad
 * pointer in its place (or caught by UTEST_CATCH, which redirects it). */
static inline void setup_context(CONTEXT *c)
{
    RtlCaptureContext(c);
    c->Esp = current_esp() - 0x4000;    /* well below anything live */
}

/* ---- the suites -------------------------------------------------------------------------- */

extern const struct utest_suite usec_pointer_suite, usec_boundary_suite, usec_kernel_suite,
    usec_range_suite;

#endif
