/* SPDX-License-Identifier: MIT */
/*
 * test_full.c - EFULL exactly when every usable slot is live or discarded,
 * never earlier: also after many threads touched the atlas and exited, so
 * that free MIDs sit in different chunks.  full_failures and high_water as
 * the header documents them.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep, barriers, getpid */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static struct midatlas_stats stats_of(struct midatlas *a)
{
    struct midatlas_stats st;
    memset(&st, 0, sizeof st);
    midatlas_stats(a, &st);
    return st;
}

/* Associate until EFULL; returns the number that succeeded. */
static uint32_t fill(struct midatlas *a, uint16_t *mids, uint32_t max)
{
    uint32_t n = 0;
    uint16_t mid;
    while (midatlas_associate(a, tctx(n), &mid) == MIDATLAS_OK) {
        if (mids && n < max)
            mids[n] = mid;
        n++;
    }
    return n;
}

static void full_at_exactly_capacity(void **state)
{
    (void)state;
    for (size_t c = 0; c < t_ncapacities; c++) {
        uint32_t cap = t_capacities[c];
        struct midatlas *a;
        uint16_t *mids = calloc(cap, sizeof *mids), mid = 0xBEEF;
        assert_status(midatlas_create(&a, cap, 0), MIDATLAS_OK);
        assert_int_equal(fill(a, mids, cap), cap);
        /* Each further try fails, is counted, and hands nothing out. */
        for (int i = 0; i < 3; i++) {
            assert_status(midatlas_associate(a, tctx(1), &mid), MIDATLAS_EFULL);
            assert_int_equal(mid, 0xBEEF);
        }
        struct midatlas_stats st = stats_of(a);
        assert_int_equal(st.live, cap);
        assert_int_equal(st.free, 0);
        assert_int_equal(st.associations, cap);
        assert_int_equal(st.full_failures, 4); /* the one that ended fill() too */
        assert_int_equal(st.high_water, cap);

        /* A tombstone still takes its slot. */
        uint32_t k = cap / 3;
        assert_status(midatlas_discard(a, mids[k], NULL), MIDATLAS_OK);
        assert_status(midatlas_associate(a, tctx(1), &mid), MIDATLAS_EFULL);
        /* Released, the slot is handed out again, and only it. */
        assert_status(midatlas_release(a, mids[k]), MIDATLAS_OK);
        assert_status(midatlas_associate(a, tctx(2), &mid), MIDATLAS_OK);
        uint32_t index_mask = (1u << t_index_bits(cap)) - 1;
        assert_int_equal(mid & index_mask, mids[k] & index_mask);
        mids[k] = mid;
        assert_status(midatlas_associate(a, tctx(1), &mid), MIDATLAS_EFULL);
        /* Dissociated, likewise. */
        assert_status(midatlas_dissociate(a, mids[cap - 1], NULL), MIDATLAS_OK);
        assert_status(midatlas_associate(a, tctx(3), &mid), MIDATLAS_OK);
        assert_status(midatlas_associate(a, tctx(1), &mid), MIDATLAS_EFULL);
        st = stats_of(a);
        assert_int_equal(st.full_failures, 7);
        assert_int_equal(st.associations, cap + 2);
        t_assert_valid(a);
        midatlas_destroy(a, NULL, NULL);
        free(mids);
    }
}

/* ---- free MIDs scattered over the atlas by exiting threads --------------- */

struct scatter_job {
    struct midatlas *atlas;
    uint32_t take;       /* associate this many                          */
    uint16_t *given;     /* MIDs to dissociate that another thread holds */
    uint32_t ngiven;
    uint16_t *kept;      /* out: MIDs this thread kept live               */
    uint32_t nkept;
    int failures;        /* calls that did not answer as expected         */
};

/* Associate `take` MIDs, dissociate every other one of them (so this
 * atlas gets some back where this thread swept) and every MID in `given` (which another
 * thread took, from another chunk); keep the rest live and exit. */
static void *scatter(void *arg)
{
    struct scatter_job *j = arg;
    uint16_t *mine = calloc(j->take + 1, sizeof *mine);
    for (uint32_t i = 0; i < j->take; i++)
        if (midatlas_associate(j->atlas, tctx(i), &mine[i]) != MIDATLAS_OK)
            j->failures++;
    for (uint32_t i = 0; i < j->take; i++) {
        if (i % 2 == 0) {
            if (midatlas_dissociate(j->atlas, mine[i], NULL) != MIDATLAS_OK)
                j->failures++;
        } else {
            j->kept[j->nkept++] = mine[i];
        }
    }
    for (uint32_t i = 0; i < j->ngiven; i++)
        if (midatlas_dissociate(j->atlas, j->given[i], NULL) != MIDATLAS_OK)
            j->failures++;
    free(mine);
    return NULL;
}

/* Several rounds of threads come and go, each leaving MIDs live, freed on
 * its own stripe, or freed on behalf of the previous round.  Afterwards, with
 * no call running, the main thread must be able to fill every usable slot,
 * and EFULL comes only then. */
static void no_false_full_after_threads(void **state)
{
    (void)state;
    enum { THREADS = 8 };
    static const uint32_t caps[] = {16, 64, 1000, 4096};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        uint32_t cap = caps[c], take = cap / (2 * THREADS);
        struct midatlas *a;
        assert_status(midatlas_create(&a, cap, MIDATLAS_F_SMB1), MIDATLAS_OK);
        /* Memory must not grow with the threads that touch the atlas. */
        size_t bytes = stats_of(a).bytes;
        struct scatter_job jobs[THREADS];
        uint16_t *pool[THREADS];
        for (int t = 0; t < THREADS; t++)
            pool[t] = calloc(take + 1, sizeof(uint16_t));
        uint32_t npool[THREADS] = {0};
        for (int round = 0; round < 6; round++) {
            pthread_t tid[THREADS];
            for (int t = 0; t < THREADS; t++) {
                /* Thread t frees what thread t+1 of the previous round kept. */
                int from = (t + 1) % THREADS;
                jobs[t] = (struct scatter_job){.atlas = a, .take = take,
                                               .kept = calloc(take + 1, sizeof(uint16_t))};
                jobs[t].given = pool[from];
                jobs[t].ngiven = npool[from];
            }
            for (int t = 0; t < THREADS; t++)
                assert_int_equal(pthread_create(&tid[t], NULL, scatter, &jobs[t]), 0);
            for (int t = 0; t < THREADS; t++)
                assert_int_equal(pthread_join(tid[t], NULL), 0);
            for (int t = 0; t < THREADS; t++) {
                assert_int_equal(jobs[t].failures, 0);
                free(pool[t]);
                pool[t] = jobs[t].kept;
                npool[t] = jobs[t].nkept;
            }
            t_assert_valid(a);

            /* Now, quiescent: live + free must add up, and every free MID
             * must be found by this thread, whatever stripe it is on. */
            struct midatlas_stats st = stats_of(a);
            assert_int_equal(st.bytes, bytes);
            uint32_t held = 0;
            for (int t = 0; t < THREADS; t++)
                held += npool[t];
            assert_int_equal(st.live, held);
            uint16_t *mine = calloc(st.usable, sizeof *mine);
            uint32_t got = fill(a, mine, st.usable);
            assert_int_equal(got, st.usable - held);
            /* Give them back so the next round starts from the same point. */
            for (uint32_t i = 0; i < got; i++)
                assert_status(midatlas_dissociate(a, mine[i], NULL), MIDATLAS_OK);
            free(mine);
        }
        for (int t = 0; t < THREADS; t++)
            free(pool[t]);
        t_assert_valid(a);
        midatlas_destroy(a, NULL, NULL);
    }
}

/* A free MID left by a thread that associated from an almost full atlas and
 * exited is still found by a thread that never touched that stripe. */
static void last_free_mid_found_anywhere(void **state)
{
    (void)state;
    enum { THREADS = 6 };
    struct midatlas *a;
    assert_status(midatlas_create(&a, 256, 0), MIDATLAS_OK);
    uint16_t mids[256];
    assert_int_equal(fill(a, mids, 256), 256);
    /* Free one MID per thread, each from a different thread. */
    for (int t = 0; t < THREADS; t++) {
        struct scatter_job j = {.atlas = a, .given = &mids[t * 40], .ngiven = 1,
                                .kept = calloc(1, sizeof(uint16_t))};
        pthread_t tid;
        assert_int_equal(pthread_create(&tid, NULL, scatter, &j), 0);
        assert_int_equal(pthread_join(tid, NULL), 0);
        assert_int_equal(j.failures, 0);
        free(j.kept);
    }
    uint16_t mid;
    for (int t = 0; t < THREADS; t++)
        assert_status(midatlas_associate(a, tctx(t), &mid), MIDATLAS_OK);
    assert_status(midatlas_associate(a, tctx(0), &mid), MIDATLAS_EFULL);
    midatlas_destroy(a, NULL, NULL);
}

/* ---- high_water ---------------------------------------------------------- */

static void high_water_sampled_by_stats(void **state)
{
    (void)state;
    struct midatlas *a;
    uint16_t mids[100];
    assert_status(midatlas_create(&a, 1024, 0), MIDATLAS_OK);
    for (int i = 0; i < 100; i++)
        assert_status(midatlas_associate(a, tctx(i), &mids[i]), MIDATLAS_OK);
    for (int i = 0; i < 10; i++)
        assert_status(midatlas_discard(a, mids[i], NULL), MIDATLAS_OK);
    /* A stats call before anything is freed makes it exact: live + discarded. */
    assert_int_equal(stats_of(a).high_water, 100);
    for (int i = 10; i < 100; i++)
        assert_status(midatlas_dissociate(a, mids[i], NULL), MIDATLAS_OK);
    /* It never goes down. */
    assert_int_equal(stats_of(a).high_water, 100);
    for (int i = 0; i < 10; i++)
        assert_status(midatlas_release(a, mids[i]), MIDATLAS_OK);
    for (int i = 0; i < 50; i++)
        assert_status(midatlas_associate(a, tctx(i), &mids[i]), MIDATLAS_OK);
    assert_int_equal(stats_of(a).high_water, 100);
    for (int i = 50; i < 100; i++)
        assert_status(midatlas_associate(a, tctx(i), &mids[i]), MIDATLAS_OK);
    for (int i = 0; i < 20; i++) {
        uint16_t m;
        assert_status(midatlas_associate(a, tctx(i), &m), MIDATLAS_OK);
    }
    assert_int_equal(stats_of(a).high_water, 120);
    midatlas_destroy(a, NULL, NULL);
}

static void high_water_sampled_on_full_and_drain(void **state)
{
    (void)state;
    struct midatlas *a;
    uint16_t mid;
    /* EFULL samples it: no stats call while full, still exact afterwards. */
    assert_status(midatlas_create(&a, 300, 0), MIDATLAS_OK);
    assert_int_equal(fill(a, NULL, 0), 300);
    assert_int_equal(midatlas_drain(a, NULL, NULL), 300);
    assert_int_equal(stats_of(a).high_water, 300);
    midatlas_destroy(a, NULL, NULL);

    /* EFULL alone samples it: filled, emptied by dissociate (which samples
     * nothing), then read. */
    static const uint32_t caps[] = {1, 64, 300, 4096};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        uint16_t *mids = calloc(caps[c], sizeof *mids);
        assert_status(midatlas_create(&a, caps[c], 0), MIDATLAS_OK);
        assert_int_equal(fill(a, mids, caps[c]), caps[c]);
        for (uint32_t i = 0; i < caps[c]; i++)
            assert_status(midatlas_dissociate(a, mids[i], NULL), MIDATLAS_OK);
        assert_int_equal(stats_of(a).high_water, caps[c]);
        midatlas_destroy(a, NULL, NULL);
        free(mids);
    }

    /* drain samples it before emptying the atlas. */
    assert_status(midatlas_create(&a, 300, 0), MIDATLAS_OK);
    for (int i = 0; i < 77; i++)
        assert_status(midatlas_associate(a, tctx(i), &mid), MIDATLAS_OK);
    assert_status(midatlas_discard(a, mid, NULL), MIDATLAS_OK);
    assert_int_equal(midatlas_drain(a, NULL, NULL), 76);
    struct midatlas_stats st = stats_of(a);
    assert_int_equal(st.live, 0);
    assert_int_equal(st.discarded, 0);
    assert_int_equal(st.high_water, 77);
    midatlas_destroy(a, NULL, NULL);
}

/* Never above the true peak: one MID at a time, thousands of times. */
static void high_water_never_above_peak(void **state)
{
    (void)state;
    struct midatlas *a;
    uint16_t mid, keep;
    assert_status(midatlas_create(&a, 64, 0), MIDATLAS_OK);
    assert_status(midatlas_associate(a, tctx(0), &keep), MIDATLAS_OK);
    for (int i = 0; i < 5000; i++) {
        assert_status(midatlas_associate(a, tctx(i), &mid), MIDATLAS_OK);
        if (i % 2)
            assert_status(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
        else {
            assert_status(midatlas_discard(a, mid, NULL), MIDATLAS_OK);
            assert_status(midatlas_release(a, mid), MIDATLAS_OK);
        }
        if (i % 97 == 0)
            assert_in_range(stats_of(a).high_water, 1, 2);
    }
    /* A stats call while two are in use makes the peak exact... */
    assert_status(midatlas_associate(a, tctx(1), &mid), MIDATLAS_OK);
    assert_int_equal(stats_of(a).high_water, 2);
    assert_status(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
    /* ...and it stays there. */
    assert_int_equal(stats_of(a).high_water, 2);
    midatlas_destroy(a, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_at_exactly_capacity),
        cmocka_unit_test(no_false_full_after_threads),
        cmocka_unit_test(last_free_mid_found_anywhere),
        cmocka_unit_test(high_water_sampled_by_stats),
        cmocka_unit_test(high_water_sampled_on_full_and_drain),
        cmocka_unit_test(high_water_never_above_peak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
