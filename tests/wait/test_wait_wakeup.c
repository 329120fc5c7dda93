/* SPDX-License-Identifier: MIT */
/*
 * test_wait_wakeup.c - the lost-wakeup window, held open on purpose.
 *
 * A caller whose associate found no free MID goes on to queue itself; a MID
 * freed in between, by a freer that saw nobody queued yet, must not be
 * missed: the new waiter looks for free MIDs again once it is queued (wait.c,
 * "No lost wakeup").  The stress test can hardly hit this window, because any
 * later associate serves the queue and hides the miss.  Here the test holds
 * the atlas's wait-queue lock (white-box) so that the caller, past its failed
 * try, stops in front of the queue; frees the only MID while nobody is queued
 * (the freer does not take the lock then); and lets go.  The waiter must
 * get the MID at once, not sleep until its deadline next to a free MID.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>

#include "wait_util.h"
#include "waiter_thread.h"

static void test_free_before_queueing(void **state)
{
    (void)state;
    unsigned rounds = 20, missed = 0;
    for (unsigned r = 0; r < rounds; r++) {
        struct midatlas *a = NULL;
        uint16_t mid;
        assert_int_equal(midatlas_create(&a, 1, 0), MIDATLAS_OK);
        assert_int_equal(w_fill(a, &mid, 0), 1);
        struct waiter_thread w = {.atlas = a, .ctx = w_ctx(5), .timeout_ns = 2 * W_SEC};

        pthread_mutex_lock(w_queue_lock(a));
        assert_true(waiter_start(&w));
        w_sleep_ns(20 * W_MS); /* it tries, fails and blocks on the lock */
        /* Nobody queued: the freer pushes the MID and takes no lock. */
        assert_int_equal(w_queued(a), 0);
        assert_int_equal(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
        pthread_mutex_unlock(w_queue_lock(a));

        waiter_join(&w);
        if (w.rc != MIDATLAS_OK || w.elapsed_ns > W_SEC) {
            missed++;
            fprintf(stderr, "round %u: waiter %s after %.1f ms with a MID free\n", r,
                    w_status_name(w.rc), (double)w.elapsed_ns / W_MS);
        } else {
            assert_ptr_equal(midatlas_map(a, w.mid), w_ctx(5));
        }
        assert_true(w_consistent(a, "after the window"));
        midatlas_destroy(a, NULL, NULL);
        if (missed)
            break;
    }
    assert_int_equal(missed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_before_queueing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
