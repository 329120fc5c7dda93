/* SPDX-License-Identifier: MIT */
/*
 * test_close_grant.c - once close has taken effect, no waiter is granted a
 * MID: "from then on associate and associate_wait answer ECLOSED and every
 * waiter wakes with ECLOSED" (the project's contract for close; the
 * header's midatlas_close says when close takes effect).
 *
 * Found in review (2026-12-05): close set GATE_CLOSED and only then took
 * the queue lock to wake the waiters, and a free in between still served
 * the queue under that lock, so a waiter queued before close could return
 * OK with a MID freed after another call had already been told ECLOSED (57
 * of 200 rounds of a racing reproducer).  Here the free is made at that
 * point, deterministically: a hook (src/hooks.h, MIDATLAS_HOOK_CLOSED)
 * fires in close right after the bit is set, lets a freer thread dissociate
 * the atlas's one MID, and waits for that dissociate to return (at most
 * FREER_WAIT: a close that holds the queue lock there keeps the freer out,
 * which is what it must do).  On the old close the freer served the queue
 * at once and the waiter returned OK.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "hooks.h"
#include "wait_util.h"
#include "waiter_thread.h"

#define LIMIT (20 * W_SEC)      /* hang guard only                          */
#define FREER_WAIT (200 * W_MS) /* how long the hook waits for the freer    */

static struct {
    struct midatlas *atlas;
    uint16_t mid;
    atomic_bool go;   /* close's hook says: free now                        */
    atomic_bool done; /* the freer's dissociate returned                    */
    int rc;
    void *ctx;
    atomic_int hook_calls;
} g;

static void *freer_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&g.go))
        w_sleep_ns(W_MS / 10);
    g.rc = midatlas_dissociate(g.atlas, g.mid, &g.ctx);
    atomic_store(&g.done, true);
    return NULL;
}

static void on_hook(enum midatlas_hook_point point, uint32_t index)
{
    (void)index;
    if (point != MIDATLAS_HOOK_CLOSED)
        return;
    atomic_fetch_add(&g.hook_calls, 1);
    atomic_store(&g.go, true);
    int64_t end = w_now_ns() + FREER_WAIT;
    while (!atomic_load(&g.done) && w_now_ns() < end)
        w_sleep_ns(W_MS / 10);
}

/* A one-MID atlas, its MID held, one waiter queued; close frees the MID
 * from its hook, right after the closed bit is set. */
static void test_free_during_close_grants_nobody(void **state)
{
    (void)state;
    assert_int_equal(midatlas_create(&g.atlas, 1, 0), MIDATLAS_OK);
    assert_int_equal(midatlas_associate(g.atlas, w_ctx(1), &g.mid), MIDATLAS_OK);

    struct waiter_thread w = {.atlas = g.atlas, .ctx = w_ctx(2), .timeout_ns = -1};
    assert_true(waiter_start(&w));
    assert_true(w_await_queued(g.atlas, 1, LIMIT));

    pthread_t freer;
    assert_int_equal(pthread_create(&freer, NULL, freer_main, NULL), 0);
    midatlas_set_test_hook(on_hook);
    assert_int_equal(midatlas_close(g.atlas), MIDATLAS_OK);
    midatlas_set_test_hook(NULL);

    assert_true(waiter_await(&w, LIMIT));
    waiter_join(&w);
    pthread_join(freer, NULL);
    assert_int_equal(atomic_load(&g.hook_calls), 1);
    assert_int_equal(g.rc, MIDATLAS_OK);
    assert_ptr_equal(g.ctx, w_ctx(1));
    if (w.rc != MIDATLAS_ECLOSED)
        fail_msg("the waiter queued before close returned %s (MID 0x%04x): close had "
                 "already taken effect", w_status_name(w.rc), w.mid);

    /* Nothing granted: the MID freed during close is free, nobody waits. */
    struct midatlas_stats st;
    midatlas_stats(g.atlas, &st);
    assert_int_equal(st.live, 0);
    assert_int_equal(w_queued(g.atlas), 0);
    assert_true(w_consistent(g.atlas, "after close"));
    uint16_t mid;
    assert_int_equal(midatlas_associate(g.atlas, w_ctx(3), &mid), MIDATLAS_ECLOSED);
    midatlas_destroy(g.atlas, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_during_close_grants_nobody),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
