/* SPDX-License-Identifier: MIT */
/*
 * test_wait_cancel.c - waiters that give up (time out) while MIDs are being
 * handed to them never lose a MID.
 *
 * Many "impatient" threads call associate_wait with tiny timeouts (0 to
 * 100 us) while more "holder" threads than there are MIDs take MIDs, keep
 * them some microseconds (a short sleep) and dissociate them: the atlas is
 * full most of the time, impatient threads queue, and grants and deadlines
 * race all the time.  Every call that
 * returns OK must hold a MID that maps to its own context, which it then
 * dissociates (getting that context back).  When every thread has finished, no
 * MID may be missing: the atlas validates, nothing is live or discarded, every
 * usable MID is free, nobody is queued, and associate can take all of them.
 * A granted MID that a timed-out waiter dropped would stay live forever.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "wait_util.h"

#define IMPATIENT 6
#define MAX_HOLDERS 9 /* capacity + 1 holders keep the atlas full most of the time */

struct shared {
    struct midatlas *atlas;
    unsigned iterations, holders;
    atomic_uint errors;
    atomic_uint impatient_running; /* holders keep going while this is > 0 */
    /* relaxed counters, read after join */
    atomic_ulong granted, timed_out, granted_late, holder_ok, holder_timeouts;
};

struct worker {
    struct shared *sh;
    unsigned id;
    pthread_t thread;
};

static void error(struct shared *sh, const char *what, unsigned id, int rc, uint16_t mid)
{
    /* relaxed: a count read after join */
    if (atomic_fetch_add_explicit(&sh->errors, 1, memory_order_relaxed) < 10)
        fprintf(stderr, "thread %u: %s (status %s, MID %#x)\n", id, what, w_status_name(rc), mid);
}

static uint64_t rnd(uint64_t *s)
{
    /* xorshift64: enough to pick timeouts */
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Own the MID just granted for ctx, then give it back. */
static void check_and_dissociate(struct shared *sh, unsigned id, uint16_t mid, void *ctx)
{
    if (midatlas_map(sh->atlas, mid) != ctx)
        error(sh, "granted MID does not map to the waiter's context", id, MIDATLAS_OK, mid);
    void *got = NULL;
    int rc = midatlas_dissociate(sh->atlas, mid, &got);
    if (rc != MIDATLAS_OK || got != ctx)
        error(sh, "dissociate of a granted MID", id, rc, mid);
}

static void *impatient_main(void *p)
{
    struct worker *w = p;
    struct shared *sh = w->sh;
    static const int64_t timeouts[] = {0, 1000, 2000, 5000, 10000, 20000, 50000, 100000};
    uint64_t r = 0x9E3779B97F4A7C15ull * (w->id + 1);

    for (unsigned i = 0; i < sh->iterations; i++) {
        void *ctx = w_ctx_of(w->id, i);
        int64_t timeout = timeouts[rnd(&r) % 8];
        uint16_t mid = 0;
        int64_t t0 = w_now_ns();
        int rc = midatlas_associate_wait(sh->atlas, ctx, &mid, timeout);
        int64_t el = w_now_ns() - t0;
        if (rc == MIDATLAS_OK) {
            atomic_fetch_add_explicit(&sh->granted, 1, memory_order_relaxed);
            if (timeout > 0 && el >= timeout) /* granted around its deadline */
                atomic_fetch_add_explicit(&sh->granted_late, 1, memory_order_relaxed);
            check_and_dissociate(sh, w->id, mid, ctx);
        } else if (rc == MIDATLAS_ETIMEDOUT) {
            atomic_fetch_add_explicit(&sh->timed_out, 1, memory_order_relaxed);
        } else {
            error(sh, "associate_wait", w->id, rc, mid);
        }
    }
    /* relaxed: only tells the holders when to stop */
    atomic_fetch_sub_explicit(&sh->impatient_running, 1, memory_order_relaxed);
    return NULL;
}

static void *holder_main(void *p)
{
    struct worker *w = p;
    struct shared *sh = w->sh;
    for (unsigned i = 0; atomic_load_explicit(&sh->impatient_running, memory_order_relaxed); i++) {
        void *ctx = w_ctx_of(w->id, i);
        uint16_t mid = 0;
        int rc = midatlas_associate_wait(sh->atlas, ctx, &mid, 2 * W_SEC);
        if (rc == MIDATLAS_ETIMEDOUT) {
            atomic_fetch_add_explicit(&sh->holder_timeouts, 1, memory_order_relaxed);
            continue;
        }
        if (rc != MIDATLAS_OK) {
            error(sh, "holder associate_wait", w->id, rc, mid);
            continue;
        }
        atomic_fetch_add_explicit(&sh->holder_ok, 1, memory_order_relaxed);
        if (i % 8 == 0)
            sched_yield();
        else
            w_sleep_ns(2000); /* hold a little: impatient waiters queue up */
        check_and_dissociate(sh, w->id, mid, ctx);
    }
    return NULL;
}

static bool cancel_round(struct midatlas *a, unsigned iterations, struct shared *sh)
{
    struct worker w[IMPATIENT + MAX_HOLDERS];
    unsigned n = 0;
    bool ok = true;
    sh->atlas = a;
    sh->iterations = iterations;
    uint32_t capacity = midatlas_capacity(a);
    sh->holders = capacity + 1 < MAX_HOLDERS ? capacity + 1 : MAX_HOLDERS;
    atomic_store(&sh->impatient_running, IMPATIENT);
    /* Holders first (ids IMPATIENT...), and impatient threads only once the
     * holders have filled the atlas, so that they really meet a full one. */
    for (unsigned k = 0; k < sh->holders; k++, n++) {
        w[n].sh = sh;
        w[n].id = IMPATIENT + k;
        W_CHECK(pthread_create(&w[n].thread, NULL, holder_main, &w[n]) == 0, "pthread_create");
    }
    struct midatlas_stats s;
    int64_t end = w_now_ns() + 5 * W_SEC;
    do {
        w_sleep_ns(100 * 1000);
        midatlas_stats(a, &s);
    } while (s.free != 0 && w_now_ns() < end);
    for (unsigned k = 0; k < IMPATIENT; k++, n++) {
        w[n].sh = sh;
        w[n].id = k;
        W_CHECK(pthread_create(&w[n].thread, NULL, impatient_main, &w[n]) == 0, "pthread_create");
    }
out:
    { /* impatient threads never started: let the holders stop anyway */
        unsigned impatient_started = n > sh->holders ? n - sh->holders : 0;
        atomic_fetch_sub(&sh->impatient_running, IMPATIENT - impatient_started);
    }
    for (unsigned i = 0; i < n; i++)
        pthread_join(w[i].thread, NULL);
    return ok;
}

/* Quiescent atlas after a round: nothing held, nothing lost. */
static bool nothing_lost(struct midatlas *a)
{
    bool ok = w_consistent(a, "after cancel round");
    struct midatlas_stats s;
    midatlas_stats(a, &s);
    uint16_t *mids = NULL;
    W_CHECK(s.live == 0 && s.discarded == 0 && s.free == s.usable,
            "live %u discarded %u free %u usable %u: a MID was lost", s.live, s.discarded, s.free,
            s.usable);
    W_CHECK(w_queued(a) == 0, "%u waiters still queued", w_queued(a));
    mids = calloc(s.usable + 1, sizeof *mids);
    W_CHECK(mids != NULL, "calloc");
    uint32_t n = w_fill(a, mids, 0);
    W_CHECK(n == s.usable, "associate took %u of %u usable MIDs", n, s.usable);
    for (uint32_t i = 0; i < n; i++)
        W_CHECK(midatlas_dissociate(a, mids[i], NULL) == MIDATLAS_OK, "dissociate");
out:
    free(mids);
    return ok;
}

static void cancel_case(uint32_t capacity)
{
    unsigned rounds = 4, iterations = 1500 / w_slowdown();
    struct shared sh = {0};
    struct midatlas *a = NULL;
    assert_int_equal(midatlas_create(&a, capacity, 0), MIDATLAS_OK);
    bool ok = true;
    for (unsigned r = 0; r < rounds && ok; r++)
        ok = cancel_round(a, iterations, &sh) && nothing_lost(a);
    printf("[ CANCEL   ] capacity %u: %lu granted (%lu at or past their deadline), %lu timed "
           "out; holders %lu granted, %lu timed out; %u errors\n",
           capacity, atomic_load(&sh.granted), atomic_load(&sh.granted_late),
           atomic_load(&sh.timed_out), atomic_load(&sh.holder_ok),
           atomic_load(&sh.holder_timeouts), atomic_load(&sh.errors));
    midatlas_destroy(a, NULL, NULL);
    assert_true(ok);
    assert_int_equal(atomic_load(&sh.errors), 0);
    /* The race was really run: some calls timed out and some were granted. */
    assert_true(atomic_load(&sh.timed_out) > 0);
    assert_true(atomic_load(&sh.granted) > 0);
}

static void test_cancel_capacity_1(void **state)
{
    (void)state;
    cancel_case(1);
}

static void test_cancel_capacity_2(void **state)
{
    (void)state;
    cancel_case(2);
}

static void test_cancel_capacity_5(void **state)
{
    (void)state;
    cancel_case(5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_capacity_1),
        cmocka_unit_test(test_cancel_capacity_2),
        cmocka_unit_test(test_cancel_capacity_5),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
