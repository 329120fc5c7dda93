/* SPDX-License-Identifier: MIT */
/*
 * test_wait_fifo.c - waiters are served first in, first out, and nobody
 * barges past them.
 *
 * Waiters are started one at a time, each only once the previous one is
 * queued (internal waiter count), so the arrival order is known.  MIDs are
 * then freed one at a time, alternately by dissociate, dissociate_if and
 * discard + release, and after each free:
 *   - the freed MID is already LIVE again (handed over inside the freeing
 *     call, never visible as free), so a plain associate and a try-once
 *     associate_wait both answer "full" (no barging), and the plain
 *     associate's EFULL is counted in full_failures;
 *   - exactly the oldest waiter returns, OK, with a MID that maps to its own
 *     context; every younger waiter is still waiting.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "wait_util.h"
#include "waiter_thread.h"

#define QUEUE_LIMIT (5 * W_SEC)  /* how long a thread may take to queue/wake */
#define WAITER_TIMEOUT (30 * W_SEC)

/* Free `mid` (held with context ctx) in one of three ways. */
static int free_mid(struct midatlas *a, uint16_t mid, void *ctx, unsigned how)
{
    switch (how % 3) {
    case 0:
        return midatlas_dissociate(a, mid, NULL);
    case 1:
        return midatlas_dissociate_if(a, mid, ctx);
    default: {
        int rc = midatlas_discard(a, mid, NULL);
        return rc == MIDATLAS_OK ? midatlas_release(a, mid) : rc;
    }
    }
}

/* One round on an empty atlas; drains it again before returning. */
static bool fifo_round(struct midatlas *a, uint32_t capacity, uint32_t nwaiters)
{
    /* The MIDs in hand, oldest first: the filler's, then each served waiter's. */
    uint32_t nheld = capacity + nwaiters;
    uint16_t *held = calloc(nheld, sizeof *held);
    void **held_ctx = calloc(nheld, sizeof *held_ctx);
    struct waiter_thread *w = calloc(nwaiters, sizeof *w);
    _Atomic(uint32_t) sequence = 0;
    bool ok = true;
    uint32_t started = 0, next_free = 0;
    W_CHECK(held && held_ctx && w, "out of memory");

    uint32_t filled = w_fill(a, held, 0);
    W_CHECK(filled == capacity, "filled %u of %u", filled, capacity);
    for (uint32_t i = 0; i < capacity; i++)
        held_ctx[i] = w_ctx(i);

    for (; started < nwaiters; started++) {
        struct waiter_thread *t = &w[started];
        t->atlas = a;
        t->ctx = w_ctx(1000 + started);
        t->timeout_ns = WAITER_TIMEOUT;
        t->sequence = &sequence;
        W_CHECK(waiter_start(t), "pthread_create failed");
        W_CHECK(w_await_queued(a, started + 1, QUEUE_LIMIT),
                "waiter %u did not queue (%u queued)", started, w_queued(a));
    }

    for (uint32_t k = 0; k < nwaiters; k++) {
        /* Nobody was served before a MID was freed. */
        for (uint32_t j = k; j < nwaiters; j++)
            W_CHECK(!waiter_done(&w[j]), "waiter %u returned (%s) before its turn %u", j,
                    w_status_name(w[j].rc), k);

        int rc = free_mid(a, held[next_free], held_ctx[next_free], k);
        W_CHECK(rc == MIDATLAS_OK, "freeing MID %#x: %s", held[next_free], w_status_name(rc));
        next_free++;

        /* Handed over inside the freeing call: still full, one waiter fewer. */
        struct midatlas_stats s;
        midatlas_stats(a, &s);
        W_CHECK(s.free == 0, "after free %u: %u MIDs free while waiters queue", k, s.free);
        W_CHECK(w_queued(a) == nwaiters - k - 1, "after free %u: %u queued, want %u", k,
                w_queued(a), nwaiters - k - 1);
        uint16_t barged;
        rc = midatlas_associate(a, w_ctx(5000 + k), &barged);
        W_CHECK(rc == MIDATLAS_EFULL, "plain associate after free %u: %s (barged past waiters)", k,
                w_status_name(rc));
        /* That EFULL is counted like any other (the header: "associates
         * that returned MIDATLAS_EFULL"), though the waiters' gate gave it. */
        struct midatlas_stats after;
        midatlas_stats(a, &after);
        W_CHECK(after.full_failures == s.full_failures + 1,
                "plain associate's EFULL after free %u: full_failures %llu -> %llu", k,
                (unsigned long long)s.full_failures, (unsigned long long)after.full_failures);
        rc = midatlas_associate_wait(a, w_ctx(6000 + k), &barged, 0);
        W_CHECK(rc == MIDATLAS_ETIMEDOUT, "try-once associate_wait after free %u: %s", k,
                w_status_name(rc));

        /* Exactly the oldest waiter wakes, with its own context. */
        int64_t end = w_now_ns() + QUEUE_LIMIT;
        uint32_t first = nwaiters;
        while (first == nwaiters && w_now_ns() < end) {
            for (uint32_t j = k; j < nwaiters && first == nwaiters; j++)
                if (waiter_done(&w[j]))
                    first = j;
            if (first == nwaiters)
                w_sleep_ns(50 * 1000);
        }
        W_CHECK(first != nwaiters, "free %u woke no waiter", k);
        W_CHECK(first == k, "free %u woke waiter %u (%s), not the oldest, %u", k, first,
                w_status_name(w[first].rc), k);
        W_CHECK(w[k].rc == MIDATLAS_OK, "waiter %u: %s", k, w_status_name(w[k].rc));
        W_CHECK(w[k].returned_nth == k, "waiter %u returned %u-th", k, w[k].returned_nth);
        W_CHECK(midatlas_map(a, w[k].mid) == w[k].ctx, "waiter %u's MID %#x maps elsewhere", k,
                w[k].mid);
        for (uint32_t j = k + 1; j < nwaiters; j++)
            W_CHECK(!waiter_done(&w[j]), "waiter %u woke out of turn at free %u (%s)", j, k,
                    w_status_name(w[j].rc));
        held[capacity + k] = w[k].mid;
        held_ctx[capacity + k] = w[k].ctx;
    }

    /* Queue empty again: a freed MID now goes to a plain associate. */
    W_CHECK(midatlas_dissociate(a, held[next_free], NULL) == MIDATLAS_OK, "last free");
    {
        uint16_t m;
        int rc = midatlas_associate(a, w_ctx(9999), &m);
        W_CHECK(rc == MIDATLAS_OK, "associate with nobody waiting: %s", w_status_name(rc));
    }

out:
    /* Wake whoever still waits (ECLOSED), free every MID, join everyone. */
    midatlas_drain(a, NULL, NULL);
    for (uint32_t j = 0; j < started; j++)
        waiter_join(&w[j]);
    if (ok) {
        struct midatlas_stats s;
        midatlas_stats(a, &s);
        ok = w_consistent(a, "fifo round end");
        W_CHECK(s.live == 0 && s.free == s.usable && w_queued(a) == 0,
                "after drain: live %u free %u queued %u", s.live, s.free, w_queued(a));
    }
    free(held);
    free(held_ctx);
    free(w);
    return ok;
}

/* Several rounds on one atlas: the queue works again after it emptied. */
static void fifo_case(uint32_t capacity, uint32_t nwaiters, unsigned rounds)
{
    struct midatlas *a = NULL;
    assert_int_equal(midatlas_create(&a, capacity, 0), MIDATLAS_OK);
    bool ok = true;
    for (unsigned r = 0; r < rounds && ok; r++)
        ok = fifo_round(a, capacity, nwaiters);
    midatlas_destroy(a, NULL, NULL);
    assert_true(ok);
}

/* The window a barging associate would use: a MID pushed back on a free
 * list by a freer that has not yet taken the wait-queue lock to hand it over.
 * The test holds that lock itself (white-box) to keep the freer in the
 * window, then lets a plain associate run: it must not take the MID (it
 * waits for the lock, serves the queue, then answers EFULL), and the queued
 * waiter gets the MID once the lock is released. */
struct call {
    struct midatlas *atlas;
    uint16_t mid;
    int rc;
    bool associate; /* else dissociate `mid` */
    atomic_int done;
    pthread_t thread;
};

static void *call_main(void *p)
{
    struct call *c = p;
    c->rc = c->associate ? midatlas_associate(c->atlas, w_ctx(4242), &c->mid)
                         : midatlas_dissociate(c->atlas, c->mid, NULL);
    /* release: pairs with the acquire in call_done (rc, mid) */
    atomic_store_explicit(&c->done, 1, memory_order_release);
    return NULL;
}

static bool call_done(struct call *c)
{
    return atomic_load_explicit(&c->done, memory_order_acquire) != 0;
}

static void test_no_barging_window(void **state)
{
    (void)state;
    struct midatlas *a = NULL;
    uint16_t mid;
    _Atomic(uint32_t) sequence = 0;
    assert_int_equal(midatlas_create(&a, 1, 0), MIDATLAS_OK);
    assert_int_equal(w_fill(a, &mid, 0), 1);
    struct waiter_thread w = {.atlas = a, .ctx = w_ctx(7), .timeout_ns = WAITER_TIMEOUT,
                              .sequence = &sequence};
    assert_true(waiter_start(&w));
    bool ok = true;
    bool locked = false;
    struct call d = {.atlas = a, .mid = mid}, b = {.atlas = a, .associate = true};
    bool d_started = false, b_started = false;
    W_CHECK(w_await_queued(a, 1, QUEUE_LIMIT), "waiter did not queue");

    pthread_mutex_lock(w_queue_lock(a));
    locked = true;
    W_CHECK(pthread_create(&d.thread, NULL, call_main, &d) == 0, "pthread_create");
    d_started = true;
    /* The freer pushes the MID, then blocks on the lock we hold. */
    int64_t end = w_now_ns() + QUEUE_LIMIT;
    struct midatlas_stats s;
    do {
        w_sleep_ns(100 * 1000);
        midatlas_stats(a, &s);
    } while (s.free == 0 && w_now_ns() < end);
    W_CHECK(s.free == 1, "the dissociated MID never became free");
    W_CHECK(pthread_create(&b.thread, NULL, call_main, &b) == 0, "pthread_create");
    b_started = true;
    w_sleep_ns(50 * W_MS);
    W_CHECK(!call_done(&b) || b.rc != MIDATLAS_OK,
            "plain associate took the freed MID past a queued waiter (%s)", w_status_name(b.rc));
    pthread_mutex_unlock(w_queue_lock(a));
    locked = false;
    W_CHECK(waiter_await(&w, QUEUE_LIMIT), "waiter not served after the lock was released");
    W_CHECK(w.rc == MIDATLAS_OK && midatlas_map(a, w.mid) == w.ctx, "waiter: %s",
            w_status_name(w.rc));
out:
    if (locked)
        pthread_mutex_unlock(w_queue_lock(a));
    if (d_started)
        pthread_join(d.thread, NULL);
    if (b_started)
        pthread_join(b.thread, NULL);
    if (ok) {
        ok = d.rc == MIDATLAS_OK && b.rc == MIDATLAS_EFULL;
        if (!ok)
            fprintf(stderr, "dissociate %s, plain associate %s (want OK, EFULL)\n",
                    w_status_name(d.rc), w_status_name(b.rc));
    }
    midatlas_drain(a, NULL, NULL);
    waiter_join(&w);
    midatlas_destroy(a, NULL, NULL);
    assert_true(ok);
}

static void test_fifo_capacity_1(void **state)
{
    (void)state;
    fifo_case(1, 6, 2);
}

static void test_fifo_capacity_3(void **state)
{
    (void)state;
    fifo_case(3, 8, 2);
}

static void test_fifo_capacity_8(void **state)
{
    (void)state;
    fifo_case(8, 12, 2);
}

/* Capacities above 32768 have no generation bits: the handed-over MID is
 * the same value as the freed one. */
static void test_fifo_capacity_65536(void **state)
{
    (void)state;
    fifo_case(65536, 4, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_capacity_1),
        cmocka_unit_test(test_fifo_capacity_3),
        cmocka_unit_test(test_fifo_capacity_8),
        cmocka_unit_test(test_fifo_capacity_65536),
        cmocka_unit_test(test_no_barging_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
