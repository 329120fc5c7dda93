/* SPDX-License-Identifier: MIT */
/*
 * hooks.h - test-only instrumentation of the core.
 *
 * Two compile-time switches exist only for the test and stress builds; the
 * installed library is built with neither.
 *
 * MIDATLAS_TEST_HOOKS: a hook function, settable at run time, is called at the
 *   named points inside operations, where a thread holds a slot that no other
 *   thread can see yet.  The lock-freedom test parks a thread there and counts
 *   what the other threads still complete.
 *
 * MIDATLAS_BROKEN=N: deliberately broken variants that the stress harness must
 *   catch (a harness that never caught a bug is not yet a harness):
 *     1  dissociate, dissociate_if and discard win the slot with a plain load
 *        and store instead of a compare-and-swap: two racers can both win;
 *     2  a free-list pop does not advance the head's ABA tag.
 */
#ifndef MIDATLAS_HOOKS_H
#define MIDATLAS_HOOKS_H

#include <stdint.h>

enum midatlas_hook_point {
    /* associate took a free index off a stripe; the slot is not yet live */
    MIDATLAS_HOOK_ASSOCIATE_POPPED = 1,
    /* dissociate won the slot; the index is not yet back on a stripe */
    MIDATLAS_HOOK_DISSOCIATE_WON = 2,
    /* a pop read the head and the first slot's link, before its CAS: the
     * window where a missing ABA tag lets a stale link through */
    MIDATLAS_HOOK_POP_LINK_READ = 3,
};

typedef void midatlas_hook_fn(enum midatlas_hook_point point, uint32_t index);

#ifdef MIDATLAS_TEST_HOOKS
/* Install (or, with NULL, remove) the hook; takes effect for later calls. */
void midatlas_set_test_hook(midatlas_hook_fn *fn);
void midatlas_run_test_hook(enum midatlas_hook_point point, uint32_t index);
#define MIDATLAS_HOOK(point, index) midatlas_run_test_hook((point), (index))
#else
#define MIDATLAS_HOOK(point, index) ((void)0)
#endif

#ifndef MIDATLAS_BROKEN
#define MIDATLAS_BROKEN 0
#endif

#endif /* MIDATLAS_HOOKS_H */
