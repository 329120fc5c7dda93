/* SPDX-License-Identifier: MIT */
/*
 * test_wait_timeout.c - argument checks and the deadline of
 * midatlas_associate_wait.
 *
 * Timeout accuracy is a correctness check of the deadline, not a performance
 * claim: on a full atlas a call with timeout T must not return before T has
 * passed (CLOCK_MONOTONIC) and must not return grossly later.  The machines
 * this runs on are small and shared, so the upper bound is checked on the
 * median of several tries with a generous slack (larger under sanitizers),
 * and every single try only against a gross bound.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>

#include "wait_util.h"
#include "waiter_thread.h"

#define TRIES 7

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static struct midatlas *full_atlas(uint32_t capacity, uint16_t *mids)
{
    struct midatlas *a = NULL;
    assert_int_equal(midatlas_create(&a, capacity, 0), MIDATLAS_OK);
    assert_int_equal(w_fill(a, mids, 0), capacity);
    return a;
}

static void test_einval(void **state)
{
    (void)state;
    struct midatlas *a = NULL;
    uint16_t mid;
    assert_int_equal(midatlas_create(&a, 4, 0), MIDATLAS_OK);
    assert_int_equal(midatlas_associate_wait(NULL, w_ctx(1), &mid, 0), MIDATLAS_EINVAL);
    assert_int_equal(midatlas_associate_wait(a, NULL, &mid, 0), MIDATLAS_EINVAL);
    assert_int_equal(midatlas_associate_wait(a, w_ctx(1), NULL, 0), MIDATLAS_EINVAL);
    assert_int_equal(midatlas_associate_wait(a, w_ctx(1), NULL, -1), MIDATLAS_EINVAL);
    if (sizeof(void *) >= 8) {
        uint64_t wide = (uint64_t)1 << 24;
        wide <<= 24; /* bit 48: does not fit in a slot word */
        assert_int_equal(midatlas_associate_wait(a, (void *)(uintptr_t)(wide | 0x10), &mid, -1),
                         MIDATLAS_EINVAL);
    }
    struct midatlas_stats s;
    midatlas_stats(a, &s);
    assert_int_equal(s.live, 0);
    midatlas_destroy(a, NULL, NULL);
}

/* Timeout 0 tries once: OK while a MID is free, ETIMEDOUT at once when full. */
static void test_timeout_zero(void **state)
{
    (void)state;
    struct midatlas *a = NULL;
    uint16_t mids[2], mid;
    assert_int_equal(midatlas_create(&a, 2, 0), MIDATLAS_OK);
    assert_int_equal(midatlas_associate_wait(a, w_ctx(1), &mids[0], 0), MIDATLAS_OK);
    assert_int_equal(midatlas_associate_wait(a, w_ctx(2), &mids[1], 0), MIDATLAS_OK);
    assert_ptr_equal(midatlas_map(a, mids[0]), w_ctx(1));
    assert_ptr_equal(midatlas_map(a, mids[1]), w_ctx(2));

    int64_t worst = 0;
    for (int i = 0; i < TRIES; i++) {
        int64_t t0 = w_now_ns();
        assert_int_equal(midatlas_associate_wait(a, w_ctx(3), &mid, 0), MIDATLAS_ETIMEDOUT);
        int64_t el = w_now_ns() - t0;
        worst = el > worst ? el : worst;
    }
    printf("[ TIMING   ] timeout 0 on a full atlas: worst of %d tries %.3f ms\n", TRIES,
           (double)worst / W_MS);
    /* No sleeping at all: a try is microseconds; a second means it waited. */
    assert_true(worst < W_SEC);
    assert_int_equal(w_queued(a), 0); /* it did not stay queued */

    assert_int_equal(midatlas_dissociate(a, mids[0], NULL), MIDATLAS_OK);
    assert_int_equal(midatlas_associate_wait(a, w_ctx(4), &mid, 0), MIDATLAS_OK);
    assert_ptr_equal(midatlas_map(a, mid), w_ctx(4));
    assert_true(w_consistent(a, "timeout 0"));
    midatlas_destroy(a, NULL, NULL);
}

/* On a full atlas nobody frees: each try returns ETIMEDOUT no earlier than
 * the timeout and, in the median, not much later. */
static void deadline_case(int64_t timeout_ns, int tries)
{
    uint16_t mids[3], mid;
    struct midatlas *a = full_atlas(3, mids);
    int64_t el[TRIES];
    /* Generous (a loaded 2-core machine, or a sanitizer build), yet well
     * under the second a wrong deadline carry would add to the long case. */
    int64_t slack = 50 * W_MS * (int64_t)w_slowdown() + timeout_ns / 2;
    int64_t gross = W_SEC * (int64_t)w_slowdown();

    assert_true(tries > 0 && tries <= TRIES);
    for (int i = 0; i < tries; i++) {
        int64_t t0 = w_now_ns();
        int rc = midatlas_associate_wait(a, w_ctx(100 + (uint64_t)i), &mid, timeout_ns);
        el[i] = w_now_ns() - t0;
        assert_int_equal(rc, MIDATLAS_ETIMEDOUT);
        if (el[i] < timeout_ns)
            fail_msg("timeout %" PRId64 " ns returned after only %" PRId64 " ns", timeout_ns,
                     el[i]);
        if (el[i] > timeout_ns + gross)
            fail_msg("timeout %" PRId64 " ns took %" PRId64 " ns", timeout_ns, el[i]);
    }
    qsort(el, (size_t)tries, sizeof el[0], cmp_i64);
    int64_t median = el[tries / 2];
    printf("[ TIMING   ] timeout %6.3f ms: elapsed min %.3f median %.3f max %.3f ms "
           "(overshoot median %.3f ms)\n",
           (double)timeout_ns / W_MS, (double)el[0] / W_MS, (double)median / W_MS,
           (double)el[tries - 1] / W_MS, (double)(median - timeout_ns) / W_MS);
    assert_true(median <= timeout_ns + slack);
    assert_int_equal(w_queued(a), 0);
    assert_true(w_consistent(a, "deadline"));
    midatlas_destroy(a, NULL, NULL);
}

static void test_timeout_1ms(void **state)
{
    (void)state;
    deadline_case(1 * W_MS, TRIES);
}

static void test_timeout_10ms(void **state)
{
    (void)state;
    deadline_case(10 * W_MS, TRIES);
}

static void test_timeout_50ms(void **state)
{
    (void)state;
    deadline_case(50 * W_MS, TRIES);
}

/* A timeout that does not fall on a whole second, more than a second long:
 * the deadline's nanosecond carry is right (a wrong carry returns early or
 * about a second late). */
static void test_timeout_carry(void **state)
{
    (void)state;
    deadline_case(W_SEC + 999 * W_MS, 1);
}

/* A waiter with a long (or huge) timeout is woken by the free, not by its
 * deadline: it returns OK soon after the MID is freed.  The huge timeout
 * also checks the deadline arithmetic does not overflow into the past. */
static void wake_before_deadline(int64_t timeout_ns)
{
    uint16_t mids[1];
    struct midatlas *a = full_atlas(1, mids);
    struct waiter_thread t = {.atlas = a, .ctx = w_ctx(77), .timeout_ns = timeout_ns};
    assert_true(waiter_start(&t));
    bool queued = w_await_queued(a, 1, 5 * W_SEC);
    w_sleep_ns(20 * W_MS);
    bool early = waiter_done(&t); /* must still be asleep */
    assert_int_equal(midatlas_dissociate(a, mids[0], NULL), MIDATLAS_OK);
    bool woke = waiter_await(&t, 5 * W_SEC);
    if (!woke)
        midatlas_drain(a, NULL, NULL);
    waiter_join(&t);
    assert_true(queued);
    assert_false(early);
    assert_true(woke);
    assert_int_equal(t.rc, MIDATLAS_OK);
    assert_ptr_equal(midatlas_map(a, t.mid), w_ctx(77));
    if (timeout_ns < 0)
        printf("[ TIMING   ] no timeout, ");
    else
        printf("[ TIMING   ] timeout %.3g s, ", (double)timeout_ns / W_SEC);
    printf("MID freed after ~20 ms: returned after %.3f ms\n", (double)t.elapsed_ns / W_MS);
    assert_true(t.elapsed_ns < 5 * W_SEC);
    midatlas_destroy(a, NULL, NULL);
}

static void test_wake_before_deadline(void **state)
{
    (void)state;
    wake_before_deadline(10 * W_SEC);
    wake_before_deadline(INT64_MAX);
    wake_before_deadline(-1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_einval),
        cmocka_unit_test(test_timeout_zero),
        cmocka_unit_test(test_timeout_1ms),
        cmocka_unit_test(test_timeout_10ms),
        cmocka_unit_test(test_timeout_50ms),
        cmocka_unit_test(test_timeout_carry),
        cmocka_unit_test(test_wake_before_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
