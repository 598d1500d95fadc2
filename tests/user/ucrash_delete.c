/* Ends by an unhandled mismatched delete: `delete` of a `new[]` array of a
 * type with a destructor.  The runtime catches it before any destructor
 * runs and raises STATUS_HEAP_CORRUPTION; with no handler the process
 * must end with that code (the harness runs it as
 * ucrash_delete:0xC0000374) and the kernel and the next program go on. */
#include <rtnew.h>
#include <stdio.h>

static int destroyed;

static void counted_dtor(void *obj)
{
    (void)obj;
    destroyed++;
}

static const rt_class Counted = { "Counted", 8, 0, NULL, counted_dtor };

int main(void)
{
    void *arr = rt_new_array(&Counted, 4);

    if (arr == NULL)
        return 1;
    printf("# ucrash_delete: delete (not delete[]) of a new[] array, no handler\n");
    rt_delete(&Counted, arr);                       /* does not return */
    printf("# ucrash_delete: still running after %d destructor calls\n", destroyed);
    return 2;
}
