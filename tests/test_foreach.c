/* SPDX-License-Identifier: MIT */
/*
 * test_foreach.c - midatlas_foreach visits live MIDs without changing
 * anything, and under churn keeps its promise: every (MID, context) it
 * visits was live at some instant during the call, and a MID live for the
 * whole call is visited exactly once.
 */
#define _POSIX_C_SOURCE 200809L /* pthreads */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* ---- quiescent behaviour ---------------------------------------------- */

struct seen {
    uint32_t calls;
    uint16_t mids[64];
    void *ctxs[64];
};

static void record(void *ctx, uint16_t mid, void *arg)
{
    struct seen *s = arg;
    if (s->calls < 64) {
        s->mids[s->calls] = mid;
        s->ctxs[s->calls] = ctx;
    }
    s->calls++;
}

static void never_called(void *ctx, uint16_t mid, void *arg)
{
    (void)ctx;
    (void)mid;
    (void)arg;
    fail_msg("foreach visited a MID of an empty atlas");
}

static void null_and_empty(void **state)
{
    (void)state;
    assert_int_equal(midatlas_foreach(NULL, never_called, NULL), 0);
    struct midatlas *a;
    assert_status(midatlas_create(&a, 32, 0), MIDATLAS_OK);
    assert_int_equal(midatlas_foreach(a, never_called, NULL), 0);
    assert_int_equal(midatlas_foreach(a, NULL, NULL), 0);
    midatlas_destroy(a, NULL, NULL);
}

/* Live MIDs only (not tombstones, not freed ones), each once with its own
 * context, and the atlas is exactly as before. */
static void visits_live_only_and_changes_nothing(void **state)
{
    (void)state;
    struct midatlas *a;
    uint16_t mids[10];
    assert_status(midatlas_create(&a, 64, MIDATLAS_F_SMB1), MIDATLAS_OK);
    for (uint32_t i = 0; i < 10; i++)
        assert_status(midatlas_associate(a, tctx(i), &mids[i]), MIDATLAS_OK);
    assert_status(midatlas_discard(a, mids[0], NULL), MIDATLAS_OK);
    assert_status(midatlas_discard(a, mids[1], NULL), MIDATLAS_OK);
    assert_status(midatlas_dissociate(a, mids[2], NULL), MIDATLAS_OK);
    assert_status(midatlas_dissociate(a, mids[3], NULL), MIDATLAS_OK);

    struct midatlas_stats before, after;
    midatlas_stats(a, &before);
    struct seen s = {0};
    assert_int_equal(midatlas_foreach(a, record, &s), 6);
    assert_int_equal(s.calls, 6);
    for (uint32_t i = 4; i < 10; i++) {
        uint32_t hits = 0;
        for (uint32_t k = 0; k < s.calls; k++)
            if (s.mids[k] == mids[i]) {
                assert_ptr_equal(s.ctxs[k], tctx(i));
                hits++;
            }
        assert_int_equal(hits, 1);
    }
    assert_int_equal(midatlas_foreach(a, NULL, NULL), 6);
    midatlas_stats(a, &after);
    t_assert_same_stats(&before, &after);
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

/* The visitor may end the association it is shown: foreach has already
 * read the slot and holds nothing. */
static void end_visited(void *ctx, uint16_t mid, void *arg)
{
    void *got = NULL;
    assert_status(midatlas_dissociate(arg, mid, &got), MIDATLAS_OK);
    assert_ptr_equal(got, ctx);
}

static void visitor_may_dissociate(void **state)
{
    (void)state;
    struct midatlas *a;
    uint16_t mid;
    assert_status(midatlas_create(&a, 16, 0), MIDATLAS_OK);
    for (uint32_t i = 0; i < 16; i++)
        assert_status(midatlas_associate(a, tctx(i), &mid), MIDATLAS_OK);
    assert_int_equal(midatlas_foreach(a, end_visited, a), 16);
    assert_int_equal(midatlas_foreach(a, NULL, NULL), 0);
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

/* ---- racing churn ----------------------------------------------------- */

#define CAPACITY 64u
#define STABLE 16u  /* live for the whole test */
#define CHURNERS 2u
#define WINDOW 8u   /* MIDs a churner holds at once */
#define MAX_ROUNDS 100000u
#define MIN_SCANS 200u

/* Contexts: stable i is tctx(STABLE_TAG | i); churner t's k-th association
 * is tctx(t << CHURNER_SHIFT | k), never reused, so a context names one
 * association.  Small enough for a 32-bit pointer (T_CTX_BITS). */
#define CHURNER_SHIFT 20u /* MAX_ROUNDS < 2^20 */
#define STABLE_TAG ((uint64_t)1 << 24)
_Static_assert(MAX_ROUNDS <= (1u << CHURNER_SHIFT), "k fits below the churner's bits");
_Static_assert((uint64_t)CHURNERS << CHURNER_SHIFT <= STABLE_TAG, "t fits below STABLE_TAG");

struct race {
    struct midatlas *atlas;
    uint32_t rounds;
    uint16_t stable_mids[STABLE];
    /* mid + 1 once churner t's association k has returned its MID, 0 before */
    _Atomic uint32_t mid_of[CHURNERS][MAX_ROUNDS];
    atomic_uint running;
    pthread_barrier_t start; /* churners and scanner begin together */
};

struct churner {
    struct race *r;
    uint32_t t;
};

static void *churn(void *arg)
{
    struct churner *c = arg;
    struct race *r = c->r;
    uint16_t held[WINDOW];
    pthread_barrier_wait(&r->start);
    for (uint32_t k = 0; k < r->rounds; k++) {
        uint32_t slot = k % WINDOW;
        if (k >= WINDOW && midatlas_dissociate(r->atlas, held[slot], NULL) != MIDATLAS_OK)
            break; /* noticed below: the scanner's count of rounds falls short */
        if (midatlas_associate(r->atlas, tctx((uint64_t)c->t << CHURNER_SHIFT | k), &held[slot]) !=
            MIDATLAS_OK)
            break;
        /* relaxed: the scanner only needs "not yet" or the MID itself;
         * it never uses this value to reach other data. */
        atomic_store_explicit(&r->mid_of[c->t][k], (uint32_t)held[slot] + 1,
                              memory_order_relaxed);
    }
    /* release: pairs with the scanner's acquire load of running, so the
     * scanner's last checks see every mid_of this thread wrote. */
    atomic_fetch_sub_explicit(&r->running, 1, memory_order_release);
    return NULL;
}

struct scan {
    struct race *r;
    uint32_t stable_hits[STABLE];
    uint8_t index_seen[CAPACITY];
    uint32_t errors;
};

static void check_visit(void *ctx, uint16_t mid, void *arg)
{
    struct scan *s = arg;
    struct race *r = s->r;
    uint64_t n = ((uint64_t)(uintptr_t)ctx >> 4) - 1; /* inverse of tctx */
    uint32_t idx = mid % CAPACITY;

    if (s->index_seen[idx]++)
        s->errors++; /* one slot visited twice in one call */
    if (n & STABLE_TAG) {
        uint64_t i = n & ~STABLE_TAG;
        if (i >= STABLE || r->stable_mids[i] != mid)
            s->errors++;
        else
            s->stable_hits[i]++;
        return;
    }
    uint64_t t = n >> CHURNER_SHIFT, k = n & ((1u << CHURNER_SHIFT) - 1);
    if (t >= CHURNERS || k >= r->rounds) {
        s->errors++; /* a context nobody associated */
        return;
    }
    uint32_t got = atomic_load_explicit(&r->mid_of[t][k], memory_order_relaxed);
    if (got != 0 && got != (uint32_t)mid + 1)
        s->errors++; /* the context was live under another MID */
}

static void scan_once(struct race *r, uint32_t *errors)
{
    struct scan s;
    memset(&s, 0, sizeof s);
    s.r = r;
    size_t n = midatlas_foreach(r->atlas, check_visit, &s);
    uint32_t visits = 0;
    for (uint32_t i = 0; i < CAPACITY; i++)
        visits += s.index_seen[i];
    if (n != visits || n < STABLE || n > CAPACITY)
        s.errors++;
    for (uint32_t i = 0; i < STABLE; i++)
        if (s.stable_hits[i] != 1)
            s.errors++; /* live the whole call, so exactly once */
    *errors += s.errors;
}

static void races_churn(void **state)
{
    (void)state;
    static struct race r; /* large: the association log */
    memset(&r, 0, sizeof r);
    r.rounds = MAX_ROUNDS / t_slowdown();
    assert_status(midatlas_create(&r.atlas, CAPACITY, 0), MIDATLAS_OK);
    for (uint32_t i = 0; i < STABLE; i++)
        assert_status(midatlas_associate(r.atlas, tctx(STABLE_TAG | i), &r.stable_mids[i]),
                      MIDATLAS_OK);
    atomic_init(&r.running, CHURNERS);
    pthread_barrier_init(&r.start, NULL, CHURNERS + 1);

    pthread_t tid[CHURNERS];
    struct churner c[CHURNERS];
    for (uint32_t t = 0; t < CHURNERS; t++) {
        c[t] = (struct churner){&r, t};
        assert_int_equal(pthread_create(&tid[t], NULL, churn, &c[t]), 0);
    }
    /* Scan while the churners run, and a fixed number of times at least, so
     * the test does not depend on how fast either side is. */
    uint32_t errors = 0, scans = 0;
    pthread_barrier_wait(&r.start);
    while (scans < MIN_SCANS ||
           atomic_load_explicit(&r.running, memory_order_acquire) != 0) {
        scan_once(&r, &errors);
        scans++;
    }
    for (uint32_t t = 0; t < CHURNERS; t++)
        pthread_join(tid[t], NULL);
    pthread_barrier_destroy(&r.start);
    print_message("foreach_races_churn: %u scans, %u rounds per churner\n", scans, r.rounds);
    assert_int_equal(errors, 0);

    /* Every churner finished all its rounds: each holds WINDOW MIDs now. */
    for (uint32_t t = 0; t < CHURNERS; t++)
        assert_int_not_equal(atomic_load(&r.mid_of[t][r.rounds - 1]), 0);
    assert_int_equal(midatlas_foreach(r.atlas, NULL, NULL), STABLE + CHURNERS * WINDOW);
    t_assert_valid(r.atlas);
    midatlas_destroy(r.atlas, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(null_and_empty),
        cmocka_unit_test(visits_live_only_and_changes_nothing),
        cmocka_unit_test(visitor_may_dissociate),
        cmocka_unit_test(races_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
