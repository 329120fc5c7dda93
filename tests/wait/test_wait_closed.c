/* SPDX-License-Identifier: MIT */
/*
 * test_wait_closed.c - midatlas_drain and midatlas_close wake every waiter
 * with MIDATLAS_ECLOSED.
 *
 * Shutdown is close, join, destroy (midatlas.h): a waiter still touching the
 * atlas after destroy freed it would be a use-after-free that the ASan and
 * TSan trees report (this test carries label `sanitize`).  In a normal build
 * an alarm catches a close or a waiter that never returns.
 * tests/lifecycle/test_close.c checks close's statuses and ownership.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdlib.h>
#include <sched.h>
#include <unistd.h>

#include "wait_util.h"
#include "waiter_thread.h"

#define LIMIT (5 * W_SEC)

static void count_visit(void *ctx, uint16_t mid, void *arg)
{
    (void)ctx;
    (void)mid;
    ++*(unsigned *)arg;
}

/* Start n waiters one after the other, each queued before the next starts. */
static uint32_t start_queued(struct midatlas *a, struct waiter_thread *w, uint32_t n,
                             int64_t timeout_ns)
{
    for (uint32_t i = 0; i < n; i++) {
        w[i] = (struct waiter_thread){.atlas = a, .ctx = w_ctx(100 + i), .timeout_ns = timeout_ns};
        if (!waiter_start(&w[i]))
            return i;
        if (!w_await_queued(a, i + 1, LIMIT))
            return i + 1;
    }
    return n;
}

static void test_drain_wakes_waiters(void **state)
{
    (void)state;
    enum { N = 5 };
    struct midatlas *a = NULL;
    struct waiter_thread w[N];
    uint16_t mids[2], mid;
    unsigned visited = 0;
    assert_int_equal(midatlas_create(&a, 2, 0), MIDATLAS_OK);
    assert_int_equal(w_fill(a, mids, 0), 2);

    /* A finite timeout, so that waiters a broken drain leaves asleep still
     * return (ETIMEDOUT, failing the checks below) and can be joined. */
    uint32_t started = start_queued(a, w, N, 3 * LIMIT);
    bool queued = w_queued(a) == N;
    size_t drained = midatlas_drain(a, count_visit, &visited);
    bool all_woke = true;
    for (uint32_t i = 0; i < started; i++)
        all_woke = waiter_await(&w[i], LIMIT) && all_woke;
    for (uint32_t i = 0; i < started; i++)
        waiter_join(&w[i]);

    assert_int_equal(started, N);
    assert_true(queued);
    assert_true(all_woke);
    assert_int_equal(drained, 2);
    assert_int_equal(visited, 2);
    for (uint32_t i = 0; i < N; i++)
        if (w[i].rc != MIDATLAS_ECLOSED)
            fail_msg("waiter %u present during drain: %s, want ECLOSED", i, w_status_name(w[i].rc));
    assert_int_equal(w_queued(a), 0);
    assert_true(w_consistent(a, "after drain"));

    /* Drain closed nothing for good: waiting works again afterwards. */
    uint16_t again[2];
    assert_int_equal(midatlas_associate_wait(a, w_ctx(1), &again[0], 0), MIDATLAS_OK);
    assert_int_equal(midatlas_associate_wait(a, w_ctx(2), &again[1], -1), MIDATLAS_OK);
    assert_int_equal(midatlas_associate_wait(a, w_ctx(3), &mid, 2 * W_MS), MIDATLAS_ETIMEDOUT);
    struct waiter_thread late = {.atlas = a, .ctx = w_ctx(4), .timeout_ns = -1};
    assert_true(waiter_start(&late));
    assert_true(w_await_queued(a, 1, LIMIT));
    assert_int_equal(midatlas_dissociate(a, again[0], NULL), MIDATLAS_OK);
    assert_true(waiter_await(&late, LIMIT));
    waiter_join(&late);
    assert_int_equal(late.rc, MIDATLAS_OK);
    assert_ptr_equal(midatlas_map(a, late.mid), w_ctx(4));
    midatlas_destroy(a, NULL, NULL);
}

/* close racing waiters whose deadlines fall around it: each waiter either
 * timed out or was closed; destroy after the join (sanitizers watch). */
static void test_close_races_deadlines(void **state)
{
    (void)state;
    enum { N = 4 };
    unsigned rounds = 200 / w_slowdown(), closed = 0, timed_out = 0;
    uint64_t r = 88172645463325252ull;
    for (unsigned round = 0; round < rounds; round++) {
        struct midatlas *a = NULL;
        struct waiter_thread w[N];
        uint16_t mid;
        assert_int_equal(midatlas_create(&a, 1, 0), MIDATLAS_OK);
        assert_int_equal(w_fill(a, &mid, 0), 1);
        for (uint32_t i = 0; i < N; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            int64_t timeout = (int64_t)(r % 400) * 1000; /* 0 .. 400 us */
            w[i] = (struct waiter_thread){.atlas = a, .ctx = w_ctx(i), .timeout_ns = timeout};
            assert_true(waiter_start(&w[i]));
        }
        /* Let some waiters queue and some time out first. */
        while (w_queued(a) == 0 && !waiter_done(&w[0]))
            sched_yield();
        assert_int_equal(midatlas_close(a), MIDATLAS_OK);
        for (uint32_t i = 0; i < N; i++) {
            waiter_join(&w[i]);
            if (w[i].rc == MIDATLAS_ECLOSED)
                closed++;
            else if (w[i].rc == MIDATLAS_ETIMEDOUT)
                timed_out++;
            else
                fail_msg("waiter %u: %s", i, w_status_name(w[i].rc));
        }
        midatlas_destroy(a, NULL, NULL);
    }
    printf("[ CLOSE    ] %u rounds: %u waiters closed, %u timed out\n", rounds, closed, timed_out);
    assert_true(closed > 0);
}

int main(void)
{
    /* A destroy or waiter that never returns fails the run. */
    alarm(100);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drain_wakes_waiters),
        cmocka_unit_test(test_close_races_deadlines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
