/* SPDX-License-Identifier: MIT */
/* hooks.c - storage for the test hook; empty unless MIDATLAS_TEST_HOOKS. */
#include "hooks.h"

#ifdef MIDATLAS_TEST_HOOKS
#include <stdatomic.h>

static _Atomic(midatlas_hook_fn *) test_hook;

void midatlas_set_test_hook(midatlas_hook_fn *fn)
{
    /* release: pairs with the acquire load in midatlas_run_test_hook, so the
     * hook sees whatever the test set up before installing it. */
    atomic_store_explicit(&test_hook, fn, memory_order_release);
}

void midatlas_run_test_hook(enum midatlas_hook_point point, uint32_t index)
{
    /* acquire: pairs with the release store in midatlas_set_test_hook. */
    midatlas_hook_fn *fn = atomic_load_explicit(&test_hook, memory_order_acquire);
    if (fn)
        fn(point, index);
}
#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int midatlas_hooks_unused;
#endif
