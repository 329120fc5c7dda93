/* SPDX-License-Identifier: MIT */
/*
 * test_cancel.c - a thread cancelled (pthread_cancel) while it waits in
 * midatlas_associate_wait leaves the atlas fully working.
 *
 * Issue 9 item 7.  Before the fix the condition wait was a cancellation point
 * without a cleanup handler: the cancelled thread exited holding the
 * wait-queue lock with its waiter record still queued, and the next
 * dissociate blocked forever on that lock (here: the alarm fired, "hang").
 * Now the record is unlinked, the lock released, and a MID granted to the
 * waiter just before it was cancelled is freed again, so none is lost.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <unistd.h>

#include "one_slot.h"

#define LIMIT (20 * W_SEC) /* hang guard only */

/* Every usable MID can be taken again and nobody is queued: nothing lost. */
static void assert_nothing_lost(struct midatlas *a, uint32_t live_expected)
{
    struct midatlas_stats st;
    uint16_t mids[8];
    assert_true(w_consistent(a, "after cancel"));
    assert_int_equal(w_queued(a), 0);
    midatlas_stats(a, &st);
    assert_int_equal(st.live, live_expected);
    assert_int_equal(w_fill(a, mids, 500), st.usable - live_expected);
    for (uint32_t i = 0; i < st.usable - live_expected; i++)
        assert_int_equal(midatlas_dissociate(a, mids[i], NULL), MIDATLAS_OK);
}

static void cancel_queued_waiter(int64_t timeout_ns)
{
    uint16_t held;
    struct waiter_thread w;
    struct midatlas *a = one_slot_with_waiter(&held, &w, timeout_ns, true);
    assert_int_equal(pthread_cancel(w.thread), 0);
    void *ret = NULL;
    assert_int_equal(pthread_join(w.thread, &ret), 0);
    assert_ptr_equal(ret, PTHREAD_CANCELED);

    /* The next free must not block on a lock the dead thread held, and the
     * MID must not go to the dead waiter. */
    assert_int_equal(midatlas_dissociate(a, held, NULL), MIDATLAS_OK);
    assert_nothing_lost(a, 0);

    /* Waiting still works. */
    assert_int_equal(midatlas_associate(a, w_ctx(3), &held), MIDATLAS_OK);
    struct waiter_thread next = {.atlas = a, .ctx = w_ctx(4), .timeout_ns = -1};
    assert_true(waiter_start(&next));
    assert_true(w_await_queued(a, 1, LIMIT));
    assert_int_equal(midatlas_dissociate(a, held, NULL), MIDATLAS_OK);
    waiter_join(&next);
    assert_int_equal(next.rc, MIDATLAS_OK);
    assert_ptr_equal(midatlas_map(a, next.mid), w_ctx(4));
    midatlas_destroy(a, NULL, NULL);
}

static void test_cancel_untimed_waiter(void **state)
{
    (void)state;
    cancel_queued_waiter(-1);
}

static void test_cancel_timed_waiter(void **state)
{
    (void)state;
    cancel_queued_waiter(60 * W_SEC);
}

/* Cancel racing a grant: the dissociate hands the MID to the waiter while the
 * cancellation request arrives.  Either the waiter returned OK (it owns the
 * MID) or it was cancelled and the MID is free again; never lost. */
static void test_cancel_races_grant(void **state)
{
    (void)state;
    unsigned rounds = 500 / w_slowdown(), returned = 0, cancelled = 0;
    for (unsigned r = 0; r < rounds; r++) {
        uint16_t held;
        struct waiter_thread w;
        struct midatlas *a = one_slot_with_waiter(&held, &w, -1, true);
        if (r & 1) {
            assert_int_equal(midatlas_dissociate(a, held, NULL), MIDATLAS_OK);
            pthread_cancel(w.thread);
        } else {
            pthread_cancel(w.thread);
            assert_int_equal(midatlas_dissociate(a, held, NULL), MIDATLAS_OK);
        }
        void *ret = NULL;
        assert_int_equal(pthread_join(w.thread, &ret), 0);
        if (ret != PTHREAD_CANCELED && waiter_done(&w) && w.rc == MIDATLAS_OK) {
            returned++;
            assert_ptr_equal(midatlas_map(a, w.mid), w_ctx(2));
            assert_nothing_lost(a, 1);
        } else {
            assert_ptr_equal(ret, PTHREAD_CANCELED);
            cancelled++;
            assert_nothing_lost(a, 0);
        }
        midatlas_destroy(a, NULL, NULL);
    }
    printf("[ RACE     ] %u rounds: waiter returned OK %u, cancelled %u\n", rounds, returned,
           cancelled);
    assert_int_equal(returned + cancelled, rounds);
}

int main(void)
{
    alarm(110); /* a dissociate blocked on a dead thread's lock fails, not hangs */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_untimed_waiter),
        cmocka_unit_test(test_cancel_timed_waiter),
        cmocka_unit_test(test_cancel_races_grant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
