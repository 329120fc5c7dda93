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
 *     associate_wait both answer "full" (no barging);
 *   - exactly the oldest waiter returns, OK, with a MID that maps to its own
 *     context; every younger waiter is still waiting.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

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
        rc = midatlas_associate_wait(a, w_ctx(6000 + k), &barged, 0);
        W_CHECK(rc == MIDATLAS_ETIMEDOUT, "try-once associate_wait after free %u: %s", k,
                w_status_name(rc));

        /* Exactly the oldest waiter wakes, with its own context. */
        W_CHECK(waiter_await(&w[k], QUEUE_LIMIT), "waiter %u (oldest) not woken by free %u", k, k);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
