/* SPDX-License-Identifier: MIT */
/*
 * test_in_hand.c - what EFULL, lookup, stats and associate_wait say while a
 * call holds a slot between its two steps (the documented exception).
 *
 * Issue 9 item 3.  A dissociate wins its slot with one CAS and puts it back on
 * a free list with a second; an associate pops a slot and then publishes it.
 * In between the slot is "in hand": the association is over (or not yet
 * visible), so lookup answers EFREE, yet no other associate can take the
 * slot.  midatlas.h states the guarantee exactly: EFULL means that at one
 * instant during the call every usable slot was live, discarded or in the
 * hand of a call in progress, and stats count a slot in hand as in use.
 * The test parks a thread at each hook point (src/hooks.h) and checks each
 * statement, then that associate_wait with a timeout gets the MID the parked
 * freer puts back.  The old header promised "a free MID anywhere in the
 * atlas is always found", which this schedule contradicted.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include "hooks.h"
#include "wait_util.h"
#include "waiter_thread.h"

#define LIMIT (20 * W_SEC) /* hang guard only */

/* The hook parks the one thread that asked for it at the point it named. */
static _Thread_local int park_here;
static atomic_int parked;  /* 1 while a thread sits in the hook */
static atomic_int release_it;

static void park_hook(enum midatlas_hook_point point, uint32_t index)
{
    (void)index;
    if (park_here != (int)point)
        return;
    park_here = 0;
    /* release/acquire: the flags hand control back and forth between the
     * parked thread and the test; they guard nothing else. */
    atomic_store_explicit(&parked, 1, memory_order_release);
    while (!atomic_load_explicit(&release_it, memory_order_acquire))
        sched_yield();
    atomic_store_explicit(&parked, 0, memory_order_release);
}

static void await_parked(void)
{
    int64_t end = w_now_ns() + LIMIT;
    /* acquire: pairs with the release store in park_hook. */
    while (!atomic_load_explicit(&parked, memory_order_acquire))
        assert_true(w_now_ns() < end);
}

struct call {
    struct midatlas *atlas;
    int point;
    uint16_t mid;
    void *ctx;
    int rc;
    pthread_t thread;
};

static void *dissociate_main(void *p)
{
    struct call *c = p;
    park_here = c->point;
    c->rc = midatlas_dissociate(c->atlas, c->mid, &c->ctx);
    return NULL;
}

static void *associate_main(void *p)
{
    struct call *c = p;
    park_here = c->point;
    c->rc = midatlas_associate(c->atlas, c->ctx, &c->mid);
    return NULL;
}

static void start_parked(struct call *c, void *(*fn)(void *))
{
    atomic_store(&release_it, 0);
    assert_int_equal(pthread_create(&c->thread, NULL, fn, c), 0);
    await_parked();
}

static void unpark_and_join(struct call *c)
{
    atomic_store_explicit(&release_it, 1, memory_order_release); /* pairs with park_hook */
    pthread_join(c->thread, NULL);
}

static void assert_in_use_while_parked(struct midatlas *a, uint16_t old_mid)
{
    void *ctx = NULL;
    uint16_t mid = 0x4242;
    struct midatlas_stats st;
    /* lookup: the association is over (or not yet visible). */
    assert_int_equal(midatlas_lookup(a, old_mid, &ctx), MIDATLAS_EFREE);
    assert_null(midatlas_map(a, old_mid));
    /* associate: the only slot is in a call's hand - the stated exception. */
    assert_int_equal(midatlas_associate(a, w_ctx(7), &mid), MIDATLAS_EFULL);
    assert_int_equal(midatlas_associate_wait(a, w_ctx(7), &mid, 0), MIDATLAS_ETIMEDOUT);
    assert_int_equal(mid, 0x4242);
    /* stats agree with EFULL: the slot in hand counts as in use. */
    midatlas_stats(a, &st);
    assert_int_equal(st.free, 0);
    assert_int_equal(st.live + st.discarded, 1);
    assert_int_equal(st.high_water, 1);
}

static void test_freer_in_hand(void **state)
{
    (void)state;
    struct midatlas *a = NULL;
    struct call f = {.point = MIDATLAS_HOOK_DISSOCIATE_WON};
    assert_int_equal(midatlas_create(&a, 1, 0), MIDATLAS_OK);
    assert_int_equal(midatlas_associate(a, w_ctx(1), &f.mid), MIDATLAS_OK);
    f.atlas = a;
    start_parked(&f, dissociate_main);
    assert_in_use_while_parked(a, f.mid);

    /* A waiter with a timeout gets the MID the freer puts back. */
    struct waiter_thread w = {.atlas = a, .ctx = w_ctx(2), .timeout_ns = 60 * W_SEC};
    assert_true(waiter_start(&w));
    assert_true(w_await_queued(a, 1, LIMIT));
    unpark_and_join(&f);
    waiter_join(&w);
    assert_int_equal(f.rc, MIDATLAS_OK);
    assert_ptr_equal(f.ctx, w_ctx(1));
    assert_int_equal(w.rc, MIDATLAS_OK);
    assert_ptr_equal(midatlas_map(a, w.mid), w_ctx(2));
    assert_true(w_consistent(a, "after the handoff"));
    midatlas_destroy(a, NULL, NULL);
}

static void test_taker_in_hand(void **state)
{
    (void)state;
    struct midatlas *a = NULL;
    uint16_t first;
    assert_int_equal(midatlas_create(&a, 1, 0), MIDATLAS_OK);
    /* Hand the slot out once and back, so it has a MID to look up. */
    assert_int_equal(midatlas_associate(a, w_ctx(1), &first), MIDATLAS_OK);
    assert_int_equal(midatlas_dissociate(a, first, NULL), MIDATLAS_OK);

    struct call t = {.atlas = a, .ctx = w_ctx(3), .point = MIDATLAS_HOOK_ASSOCIATE_POPPED};
    start_parked(&t, associate_main);
    assert_in_use_while_parked(a, first);
    unpark_and_join(&t);
    assert_int_equal(t.rc, MIDATLAS_OK);
    assert_ptr_equal(midatlas_map(a, t.mid), w_ctx(3));
    assert_int_not_equal(t.mid, first);
    assert_true(w_consistent(a, "after the parked associate"));
    midatlas_destroy(a, NULL, NULL);
}

int main(void)
{
    alarm(110);
    midatlas_set_test_hook(park_hook);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_freer_in_hand),
        cmocka_unit_test(test_taker_in_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
