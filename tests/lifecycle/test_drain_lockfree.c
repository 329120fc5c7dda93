/* SPDX-License-Identifier: MIT */
/*
 * test_drain_lockfree.c - with nobody waiting, midatlas_drain and
 * midatlas_close finish even while a thread stalls holding the atlas's
 * wait-queue lock.
 *
 * Issue 9 item 4.  drain used to take the wait-queue lock on every call to
 * wake waiters, even when there were none, so it was not lock-free: here the
 * test thread holds that lock (white-box, standing in for a waiter that was
 * preempted inside associate_wait) and drain never returned ("drain did not
 * finish while the queue lock was held").  The bound below is a hang guard:
 * a working drain of 64 slots takes microseconds, 20 s is for the failure.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "wait_util.h"

#define LIMIT (20 * W_SEC)

struct call {
    struct midatlas *atlas;
    int which; /* 0: drain, 1: close */
    size_t drained;
    atomic_int done;
    pthread_t thread;
};

static void *call_main(void *p)
{
    struct call *c = p;
    if (c->which == 0)
        c->drained = midatlas_drain(c->atlas, NULL, NULL);
    else
        midatlas_close(c->atlas);
    /* release: pairs with finished()'s acquire; publishes `drained`. */
    atomic_store_explicit(&c->done, 1, memory_order_release);
    return NULL;
}

static bool finished(struct call *c, int64_t limit_ns)
{
    int64_t end = w_now_ns() + limit_ns;
    /* acquire: pairs with the release store in call_main. */
    while (!atomic_load_explicit(&c->done, memory_order_acquire)) {
        if (w_now_ns() > end)
            return false;
        w_sleep_ns(100 * 1000);
    }
    return true;
}

/* Run drain (which 0) or close (1) on a thread while this thread holds the
 * queue lock; true when it finished before the lock was let go. */
static bool runs_past_held_lock(struct midatlas *a, int which, size_t *drained)
{
    struct call c = {.atlas = a, .which = which};
    atomic_init(&c.done, 0);
    pthread_mutex_t *lock = w_queue_lock(a);
    pthread_mutex_lock(lock);
    assert_int_equal(pthread_create(&c.thread, NULL, call_main, &c), 0);
    bool ok = finished(&c, LIMIT);
    pthread_mutex_unlock(lock);
    pthread_join(c.thread, NULL);
    *drained = c.drained;
    return ok;
}

static void test_drain_without_queue_lock(void **state)
{
    (void)state;
    struct midatlas *a = NULL;
    uint16_t mids[64];
    size_t drained = 0;
    assert_int_equal(midatlas_create(&a, 64, 0), MIDATLAS_OK);
    assert_int_equal(w_fill(a, mids, 0), 64);
    for (int i = 0; i < 16; i++)
        assert_int_equal(midatlas_discard(a, mids[i], NULL), MIDATLAS_OK);

    if (!runs_past_held_lock(a, 0, &drained))
        fail_msg("drain did not finish while the queue lock was held (nobody waits)");
    assert_int_equal(drained, 48);
    assert_true(w_consistent(a, "after drain"));
    struct midatlas_stats st;
    midatlas_stats(a, &st);
    assert_int_equal(st.free, 64);
    midatlas_destroy(a, NULL, NULL);
}

static void test_close_without_queue_lock(void **state)
{
    (void)state;
    struct midatlas *a = NULL;
    uint16_t mid;
    size_t unused;
    assert_int_equal(midatlas_create(&a, 4, 0), MIDATLAS_OK);
    if (!runs_past_held_lock(a, 1, &unused))
        fail_msg("close did not finish while the queue lock was held (nobody waits)");
    assert_int_equal(midatlas_associate(a, w_ctx(1), &mid), MIDATLAS_ECLOSED);
    midatlas_destroy(a, NULL, NULL);
}

int main(void)
{
    alarm(110);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drain_without_queue_lock),
        cmocka_unit_test(test_close_without_queue_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
