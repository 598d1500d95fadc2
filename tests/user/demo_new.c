/* The source material's new[] / delete[] walk-through
 * (../shared/seed/windows-memory-management.ko.md, "new [] & delete []"),
 * in C on the array runtime (rtnew.h) and the CRT's _msize:
 *
 *   1. class A with a constructor and a destructor that print:
 *      new A[2]; delete[] -> 2 constructor and 2 destructor calls.
 *   2. _msize of new X[3] for class A {} (trivial), class B { ~B() =
 *      default; } and class C { ~C() {} }: the first two are plain
 *      blocks; C's array carries the element count in front of it, so
 *      _msize fails on the array pointer (MSVC's throws) and works on the
 *      real block start, 4 bytes before it.
 *   3. delete instead of delete[] on new A[2]: caught before any
 *      destructor runs, reported to a vectored handler as
 *      STATUS_HEAP_CORRUPTION.
 *
 * `make run-user PROG=tests/user/demo_new.c`; exits 0 when everything
 * came out as the walk-through says (it runs under `make test` too). */
#include <windows.h>
#include <ntstatus.h>
#include <rtnew.h>
#include <malloc.h>
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void check(int ok, const char *what)
{
    if (!ok) {
        printf("UNEXPECTED: %s\n", what);
        failures++;
    }
}

/* ---- 1. class A { A() { print } ~A() { print } } ------------------------------ */

struct A {
    char unused;                        /* an empty C++ class has size 1 */
};

static int a_ctors, a_dtors;

static int A_ctor(void *obj)
{
    (void)obj;
    a_ctors++;
    printf("constructor\n");
    return 0;
}

static void A_dtor(void *obj)
{
    (void)obj;
    a_dtors++;
    printf("destructor\n");
}

static const rt_class A = { "A", sizeof(struct A), 0, A_ctor, A_dtor };

static void new_and_delete_array(void)
{
    printf("== A* Aarr = new A[2]; delete [] Aarr; ==\n");
    struct A *arr = rt_new_array(&A, 2);
    check(arr != NULL, "new A[2]");
    printf("count in front of the array: %zu\n", ((size_t *)arr)[-1]);
    rt_delete_array(&A, arr);
    printf("%d constructor calls, %d destructor calls\n\n", a_ctors, a_dtors);
    check(a_ctors == 2 && a_dtors == 2, "2 constructor and 2 destructor calls");
}

/* ---- 2. _msize of arrays ------------------------------------------------------- */

static void C_dtor(void *obj)
{
    (void)obj;
}

/* class A {};  class B { ~B() = default; };  class C { ~C() {}; }; */
static const rt_class ClassA = { "A", 1, 0, NULL, NULL };
static const rt_class ClassB = { "B", 1, 0, NULL, NULL };    /* defaulted: nothing to run */
static const rt_class ClassC = { "C", 1, 0, NULL, C_dtor };  /* user-defined */
static const rt_class Int = { "int", sizeof(int), 0, NULL, NULL };

static void msize_of_arrays(void)
{
    printf("== _msize of new X[3] ==\n");
    int *ints = rt_new_array(&Int, 2);
    char *Aarr = rt_new_array(&ClassA, 3);
    char *Barr = rt_new_array(&ClassB, 3);
    char *Carr = rt_new_array(&ClassC, 3);
    check(ints && Aarr && Barr && Carr, "the arrays");

    size_t n_int = _msize(ints), na = _msize(Aarr), nb = _msize(Barr);
    printf("new int[2]            : _msize %zu (a plain malloc(2 * sizeof(int)))\n", n_int);
    printf("size of Aarr          : %zu   class A {}\n", na);
    printf("size of Barr          : %zu   class B { ~B() = default; }\n", nb);
    errno = 0;
    size_t nc = _msize(Carr);
    int err = errno;
    printf("size of Carr          : %s, errno %s   class C { ~C() {} }: "
           "Carr is not the start of a heap block (MSVC throws here)\n",
           nc == (size_t)-1 ? "(size_t)-1" : "?", err == EINVAL ? "EINVAL" : "?");
    unsigned char *block = (unsigned char *)Carr - sizeof(size_t);
    size_t nblock = _msize(block);
    printf("size of Carr - 4      : %zu = 3 objects + a %zu-byte cookie\n", nblock, sizeof(size_t));
    printf("block %p: cookie", (void *)block);
    for (size_t i = 0; i < sizeof(size_t); i++)
        printf(" %02x", block[i]);
    printf(" (= %zu, little-endian) | Carr %p: C[0] C[1] C[2]\n\n", ((size_t *)Carr)[-1], (void *)Carr);
    check(n_int == 8 && na == 3 && nb == 3, "_msize of the cookie-less arrays");
    check(nc == (size_t)-1 && err == EINVAL, "_msize(Carr) fails with EINVAL");
    check(nblock == 3 + sizeof(size_t) && ((size_t *)Carr)[-1] == 3, "the cookie");

    rt_delete_array(&Int, ints);
    rt_delete_array(&ClassA, Aarr);
    rt_delete_array(&ClassB, Barr);
    rt_delete_array(&ClassC, Carr);
}

/* ---- 3. delete instead of delete[] ----------------------------------------------- */

static jmp_buf recover;

/* STATUS_HEAP_CORRUPTION is not continuable: the handler leaves by
 * longjmp, as an __except block would unwind to its frame. */
static LONG CALLBACK on_corruption(PEXCEPTION_POINTERS ep)
{
    const EXCEPTION_RECORD *r = ep->ExceptionRecord;

    if (r->ExceptionCode != (DWORD)STATUS_HEAP_CORRUPTION)
        return EXCEPTION_CONTINUE_SEARCH;
    printf("vectored handler: exception 0x%08lx (STATUS_HEAP_CORRUPTION)%s, pointer 0x%08lx, "
           "%s, class %s\n",
           r->ExceptionCode, (r->ExceptionFlags & EXCEPTION_NONCONTINUABLE) ? ", non-continuable" : "",
           r->ExceptionInformation[0],
           r->ExceptionInformation[1] == RT_ERR_ARRAY_AS_SINGLE ? "RT_ERR_ARRAY_AS_SINGLE" : "another error",
           ((const rt_class *)r->ExceptionInformation[2])->name);
    longjmp(recover, 1);
}

static void delete_mismatch(void)
{
    printf("== A* Aarr = new A[2]; delete Aarr; (not delete []) ==\n");
    a_ctors = a_dtors = 0;
    struct A *arr = rt_new_array(&A, 2);
    check(arr != NULL, "new A[2]");

    PVOID h = AddVectoredExceptionHandler(1, on_corruption);
    volatile int caught = 0;
    if (setjmp(recover) == 0)
        rt_delete(&A, arr);
    else
        caught = 1;
    RemoveVectoredExceptionHandler(h);

    BOOL heap_ok = HeapValidate(GetProcessHeap(), 0, NULL);
    printf("destructor calls by the bad delete: %d; HeapValidate(process heap): %s\n", a_dtors,
           heap_ok ? "TRUE" : "FALSE");
    printf("delete [] Aarr, as it should be:\n");
    rt_delete_array(&A, arr);
    printf("%d constructor calls, %d destructor calls\n", a_ctors, a_dtors);
    check(caught && heap_ok && a_dtors == 2, "the mismatch caught, nothing disturbed");
}

int main(void)
{
    new_and_delete_array();
    msize_of_arrays();
    delete_mismatch();
    return failures == 0 ? 0 : 1;
}
