/* SPDX-License-Identifier: MIT */
/*
 * test_rdbss_nomem.c - RxCreateMidAtlas returns NULL when memory runs out,
 * at every allocation it makes, and leaks nothing on the way (the ASan build
 * checks the leaks).
 *
 * Linked with -Wl,--wrap=malloc,--wrap=aligned_alloc,--wrap=calloc
 * (CMakeLists.txt): every call from this program and from the static
 * library goes through the wrappers below, which can be told to fail the
 * n-th call from now.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "midatlas/midatlax.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_aligned_alloc(size_t alignment, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_aligned_alloc(size_t alignment, size_t size);

/* Allocations still to succeed before one fails; -1: none fails. */
static long fail_after = -1;
static long failed;

static int should_fail(void)
{
    if (fail_after < 0)
        return 0;
    if (fail_after-- > 0)
        return 0;
    failed++;
    return 1;
}

void *__wrap_malloc(size_t size)
{
    return should_fail() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_aligned_alloc(size_t alignment, size_t size)
{
    return should_fail() ? NULL : __real_aligned_alloc(alignment, size);
}

/* Fail the first, second, ... allocation of create until create makes fewer
 * allocations than that and succeeds: every failure must give NULL. */
static void test_create_out_of_memory_is_null(void **state)
{
    long points = 0;

    (void)state;
    for (long k = 0;; k++) {
        PRX_MID_ATLAS a;

        failed = 0;
        fail_after = k;
        a = RxCreateMidAtlas(50, 10);
        fail_after = -1;
        if (failed == 0) {
            /* Every allocation succeeded: the atlas works. */
            int ctx;
            USHORT mid;

            assert_non_null(a);
            assert_int_equal(RxAssociateContextWithMid(a, &ctx, &mid), STATUS_SUCCESS);
            assert_ptr_equal(RxMapMidToContext(a, mid), &ctx);
            RxDestroyMidAtlas(a, NULL);
            break;
        }
        assert_null(a);
        points++;
    }
    /* At least the atlas itself is allocated: one failure was injected. */
    assert_true(points >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_out_of_memory_is_null),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
