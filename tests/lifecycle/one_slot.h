/* SPDX-License-Identifier: MIT */
/*
 * one_slot.h - the set-up several lifecycle tests share: a capacity-1 atlas
 * whose only MID is live, and one thread waiting for a MID on it.  Include
 * after <cmocka.h>: failures are cmocka assertions on the main thread.
 */
#ifndef MIDATLAS_TEST_ONE_SLOT_H
#define MIDATLAS_TEST_ONE_SLOT_H

#include "wait_util.h"
#include "waiter_thread.h"

/* Create the atlas with its one MID (*held) live under context w_ctx(1), and
 * start *w: associate_wait for context w_ctx(2) with timeout_ns.  With
 * `queued`, return only once w is queued. */
static inline struct midatlas *one_slot_with_waiter(uint16_t *held, struct waiter_thread *w,
                                                    int64_t timeout_ns, bool queued)
{
    struct midatlas *a = NULL;
    assert_int_equal(midatlas_create(&a, 1, 0), MIDATLAS_OK);
    assert_int_equal(midatlas_associate(a, w_ctx(1), held), MIDATLAS_OK);
    *w = (struct waiter_thread){.atlas = a, .ctx = w_ctx(2), .timeout_ns = timeout_ns};
    assert_true(waiter_start(w));
    if (queued)
        assert_true(w_await_queued(a, 1, 20 * W_SEC)); /* hang guard only */
    return a;
}

#endif /* MIDATLAS_TEST_ONE_SLOT_H */
