/* SPDX-License-Identifier: MIT */
/*
 * test_rdbss_threads.c - the RDBSS routines used from several threads at once
 * with no lock around them, which the originals required.
 *
 * Each worker associates its own requests, keeping a few in flight, and
 * finishes them with RxMapAndDissociateMidFromContext.  It also posts every
 * MID it gets on a shared board, and "helps" by map-and-dissociating MIDs it
 * reads off the board, as a second receiver seeing duplicate replies would:
 * so the owner and helpers race to finish the same MIDs.  Whoever obtains a
 * context completes it.  The atlas is no larger than one thread's requests
 * in flight, so associate also runs into a full atlas.  At the end of each
 * round RxIterateMidAtlasAndRemove completes anything left, and every request
 * must have been completed exactly once.
 */
#define _POSIX_C_SOURCE 200809L /* pthread barriers, sched_yield */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "midatlas/midatlax.h"

enum {
    THREADS = 4,
    ROUNDS = 20,
    REQUESTS = 4000,  /* per thread and round */
    ATLAS_MAX = 16,
    /* Per thread: more than the atlas holds, so that a thread running
     * alone fills it too (with 16, one thread kept 15 in flight, and where
     * the four ran one at a time, as on one CPU or a loaded machine, no
     * round saw a full atlas: "full answers: 0", 3 runs of 5 under
     * taskset -c 0). */
    IN_FLIGHT = ATLAS_MAX + 1,
    BOARD = 32,
};

struct request {
    atomic_int completed;
};

static struct request requests[THREADS][REQUESTS];
static PRX_MID_ATLAS atlas;
/* Posted MIDs (bit 16 set = an entry).  Only MID values travel here, never
 * pointers to data, so relaxed loads and stores suffice. */
static _Atomic uint32_t board[BOARD];
static atomic_int failures;  /* unexpected results seen by any thread */
static atomic_long fulls;    /* STATUS_UNSUCCESSFUL answers            */
static atomic_long helped;   /* contexts a helper, not the owner, took  */
static pthread_barrier_t start; /* so that the workers overlap            */

struct worker {
    int id;
    uint32_t rng;
};

static uint32_t next_random(struct worker *w)
{
    /* xorshift32 (Marsaglia 2003) */
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 17;
    w->rng ^= w->rng << 5;
    return w->rng;
}

static int is_request(const void *ctx)
{
    const struct request *r = ctx;

    return r >= &requests[0][0] && r < &requests[0][0] + THREADS * REQUESTS;
}

/* Whoever obtains a context completes it; the counts are read after join. */
static void complete(void *ctx)
{
    if (!is_request(ctx)) {
        atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&((struct request *)ctx)->completed, 1, memory_order_relaxed);
}

/* Map-and-dissociate mid; 1 if this call obtained a context. */
static int finish(USHORT mid)
{
    PVOID ctx = &ctx;

    if (RxMapAndDissociateMidFromContext(atlas, mid, &ctx) != STATUS_SUCCESS || ctx == &ctx) {
        atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
        return 0;
    }
    if (ctx == NULL)
        return 0;
    complete(ctx);
    return 1;
}

/* Finish a MID someone posted, after mapping it as a receiver would. */
static void help(struct worker *w)
{
    uint32_t v = atomic_load_explicit(&board[next_random(w) % BOARD], memory_order_relaxed);
    PVOID seen;

    if (v == 0)
        return;
    seen = RxMapMidToContext(atlas, (USHORT)v);
    if (seen != NULL && !is_request(seen))
        atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
    if (finish((USHORT)v))
        atomic_fetch_add_explicit(&helped, 1, memory_order_relaxed);
}

static void *work(void *arg)
{
    struct worker *w = arg;
    USHORT window[IN_FLIGHT];
    int head = 0, count = 0;

    pthread_barrier_wait(&start);
    for (int i = 0; i < REQUESTS; i++) {
        USHORT mid;
        NTSTATUS st;

        while ((st = RxAssociateContextWithMid(atlas, &requests[w->id][i], &mid)) != STATUS_SUCCESS) {
            if (st != STATUS_UNSUCCESSFUL) {
                atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
                return NULL;
            }
            atomic_fetch_add_explicit(&fulls, 1, memory_order_relaxed);
            if (count > 0) {
                finish(window[head]);
                head = (head + 1) % IN_FLIGHT;
                count--;
            } else {
                sched_yield();
            }
        }
        atomic_store_explicit(&board[next_random(w) % BOARD], 0x10000u | mid, memory_order_relaxed);
        window[(head + count) % IN_FLIGHT] = mid;
        if (++count == IN_FLIGHT) {
            finish(window[head]);
            head = (head + 1) % IN_FLIGHT;
            count--;
        }
        help(w);
    }
    for (; count > 0; count--, head = (head + 1) % IN_FLIGHT)
        finish(window[head]);
    return NULL;
}

/* One round on a fresh atlas: run the workers, collect what is left, and
 * check that every request was completed exactly once. */
static void run_round(int round)
{
    pthread_t threads[THREADS];
    struct worker workers[THREADS];

    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < REQUESTS; i++)
            atomic_store_explicit(&requests[t][i].completed, 0, memory_order_relaxed);
    for (int b = 0; b < BOARD; b++)
        atomic_store_explicit(&board[b], 0, memory_order_relaxed);
    atlas = RxCreateMidAtlas(ATLAS_MAX, 0);
    assert_non_null(atlas);
    assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (struct worker){ .id = t, .rng = 0x9E3779B9u * (uint32_t)(round * THREADS + t + 1) };
        assert_int_equal(pthread_create(&threads[t], NULL, work, &workers[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_join(threads[t], NULL), 0);
    pthread_barrier_destroy(&start);

    /* A MID whose value came round again (generation wrap) may have been
     * finished by the wrong owner, leaving another live: collect those. */
    RxIterateMidAtlasAndRemove(atlas, complete);
    assert_int_equal(RxGetNumberOfMidsInUse(atlas), 0);
    RxDestroyMidAtlas(atlas, NULL);

    /* Relaxed loads: pthread_join ordered every worker's writes before. */
    assert_int_equal(atomic_load_explicit(&failures, memory_order_relaxed), 0);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < REQUESTS; i++) {
            int c = atomic_load_explicit(&requests[t][i].completed, memory_order_relaxed);

            if (c != 1)
                fail_msg("round %d: request %d/%d completed %d times", round, t, i, c);
        }
}

static void test_concurrent_associate_and_map_and_dissociate(void **state)
{
    (void)state;
    for (int round = 0; round < ROUNDS; round++)
        run_round(round);

    /* The workload did what it is for: full atlases and contended MIDs.
     * (A single round may by chance see no full atlas; all of them not.) */
    long full = atomic_load_explicit(&fulls, memory_order_relaxed);
    long taken = atomic_load_explicit(&helped, memory_order_relaxed);
    print_message("%d rounds: full answers: %ld, taken by helpers: %ld\n", ROUNDS, full, taken);
    assert_true(full > 0);
    assert_true(taken > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_associate_and_map_and_dissociate),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
