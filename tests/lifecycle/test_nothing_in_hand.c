/* SPDX-License-Identifier: MIT */
/*
 * test_nothing_in_hand.c - no call holds a slot that other threads cannot
 * take: EFULL is strict ("at one instant every usable slot was live or
 * discarded"), with no exception for slots in a call's hand.
 *
 * Issue 9 item 3 found that a free-list design has such slots: a dissociate
 * won its slot with one CAS and pushed it with a second, an associate popped
 * a slot and published it with a store, and in between EFULL could be
 * reported with the slot free in all but name (the header then stated that
 * exception).  Since the sweep (src/sweep.h) a claim is one CAS from FREE to
 * LIVE and an ending one CAS to FREE.  The test parks a thread at each hook
 * point (src/hooks.h) on a one-slot atlas and checks that the slot is
 * available to everyone else meanwhile:
 *   - a freer parked right after its CAS: lookup says EFREE, stats count the
 *     slot free, and another associate gets it at once;
 *   - a taker parked between reading FREE and its claim CAS: another
 *     associate gets the slot, and the parked one, let go, loses its CAS and
 *     answers EFULL (at that instant the only slot was live), never a second
 *     owner.
 * On the free-list library both associates returned EFULL (that library's
 * documented exception).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <unistd.h>

#include "hooks.h"
#include "park.h"
#include "wait_util.h"
#include "waiter_thread.h"

#define LIMIT (20 * W_SEC) /* hang guard only */

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
    park_at(c->point);
    c->rc = midatlas_dissociate(c->atlas, c->mid, &c->ctx);
    return NULL;
}

static void *associate_main(void *p)
{
    struct call *c = p;
    park_at(c->point);
    c->rc = midatlas_associate(c->atlas, c->ctx, &c->mid);
    return NULL;
}

static void start_parked(struct call *c, void *(*fn)(void *))
{
    park_arm();
    assert_int_equal(pthread_create(&c->thread, NULL, fn, c), 0);
    assert_true(park_await(LIMIT));
}

static void unpark_and_join(struct call *c)
{
    park_release();
    pthread_join(c->thread, NULL);
}

/* The slot of old_mid is FREE for everyone while a call is parked: take it
 * (context 7), check, and give it back. */
static void assert_free_while_parked(struct midatlas *a, uint16_t old_mid)
{
    void *ctx = NULL;
    uint16_t mid = 0x4242;
    struct midatlas_stats st;
    assert_int_equal(midatlas_lookup(a, old_mid, &ctx), MIDATLAS_EFREE);
    assert_null(midatlas_map(a, old_mid));
    midatlas_stats(a, &st);
    assert_int_equal(st.free, 1);
    assert_int_equal(st.live + st.discarded, 0);
    assert_int_equal(midatlas_associate(a, w_ctx(7), &mid), MIDATLAS_OK);
    assert_ptr_equal(midatlas_map(a, mid), w_ctx(7));
    assert_int_not_equal(mid, old_mid);
    assert_int_equal(midatlas_dissociate(a, mid, &ctx), MIDATLAS_OK);
    assert_ptr_equal(ctx, w_ctx(7));
}

static void test_freer_parked(void **state)
{
    (void)state;
    struct midatlas *a = NULL;
    struct call f = {.point = MIDATLAS_HOOK_DISSOCIATE_WON};
    assert_int_equal(midatlas_create(&a, 1, 0), MIDATLAS_OK);
    assert_int_equal(midatlas_associate(a, w_ctx(1), &f.mid), MIDATLAS_OK);
    f.atlas = a;
    start_parked(&f, dissociate_main);
    assert_free_while_parked(a, f.mid);

    /* associate_wait does not wait either: the slot is there to take. */
    uint16_t mid = 0;
    assert_int_equal(midatlas_associate_wait(a, w_ctx(2), &mid, 0), MIDATLAS_OK);
    unpark_and_join(&f);
    assert_int_equal(f.rc, MIDATLAS_OK);
    assert_ptr_equal(f.ctx, w_ctx(1));
    assert_ptr_equal(midatlas_map(a, mid), w_ctx(2));
    assert_true(w_consistent(a, "after the parked dissociate"));
    midatlas_destroy(a, NULL, NULL);
}

static void test_taker_parked(void **state)
{
    (void)state;
    struct midatlas *a = NULL;
    uint16_t first;
    assert_int_equal(midatlas_create(&a, 1, 0), MIDATLAS_OK);
    /* Hand the slot out once and back, so it has a MID to look up. */
    assert_int_equal(midatlas_associate(a, w_ctx(1), &first), MIDATLAS_OK);
    assert_int_equal(midatlas_dissociate(a, first, NULL), MIDATLAS_OK);

    struct call t = {.atlas = a, .ctx = w_ctx(3), .point = MIDATLAS_HOOK_CLAIM_FOUND};
    start_parked(&t, associate_main);
    /* The parked taker has read FREE but claimed nothing: take the slot. */
    uint16_t mid = 0;
    assert_int_equal(midatlas_associate(a, w_ctx(4), &mid), MIDATLAS_OK);
    unpark_and_join(&t);
    /* Its CAS failed on the word we changed; the only slot is live. */
    assert_int_equal(t.rc, MIDATLAS_EFULL);
    assert_ptr_equal(midatlas_map(a, mid), w_ctx(4));
    assert_true(w_consistent(a, "after the parked associate"));

    /* And the same schedule with the slot given back meanwhile: the parked
     * taker then claims it (its CAS fails once, the retry finds it FREE). */
    t = (struct call){.atlas = a, .ctx = w_ctx(5), .point = MIDATLAS_HOOK_CLAIM_FOUND};
    assert_int_equal(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
    start_parked(&t, associate_main);
    assert_free_while_parked(a, mid);
    unpark_and_join(&t);
    assert_int_equal(t.rc, MIDATLAS_OK);
    assert_ptr_equal(midatlas_map(a, t.mid), w_ctx(5));
    assert_true(w_consistent(a, "after the second parked associate"));
    midatlas_destroy(a, NULL, NULL);
}

int main(void)
{
    alarm(110);
    midatlas_set_test_hook(park_hook);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_freer_parked),
        cmocka_unit_test(test_taker_parked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
