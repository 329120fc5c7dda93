/* SPDX-License-Identifier: MIT */
/*
 * test_full_mode.c - a full atlas answers EFULL without reading every slot
 * word each time, finds freed slots at once, and keeps EFULL's meaning
 * (src/full.h).
 *
 * The bug (CI, fuzz_libfuzzer under ASan): once the free lists were gone,
 * every EFULL was a lap over the atlas plus a double collect of every slot
 * word, about 0.4 ms at 65,536 slots in a release build; a fuzz input that
 * filled a large atlas and then associated in bursts ran past libFuzzer's
 * 10 s per input.  The library counted no proofs then; with the hook point
 * of this test added to it, efull_once_proven failed with "proofs 1001,
 * want 1".
 *
 * Nothing here is timed: the hook point MIDATLAS_HOOK_PROOF counts the
 * O(capacity) proofs, and the rest are statuses and slot indices.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hooks.h"
#include "park.h"
#include "wait_util.h"
#include "waiter_thread.h"

#define LIMIT (20 * W_SEC) /* hang guard only */

static atomic_uint proofs;

/* The hook: counts proofs, and parks the thread that asked for it. */
static void hook(enum midatlas_hook_point point, uint32_t index)
{
    if (point == MIDATLAS_HOOK_PROOF)
        atomic_fetch_add_explicit(&proofs, 1, memory_order_relaxed); /* a count */
    park_hook(point, index);
}

static unsigned proofs_now(void)
{
    return atomic_load_explicit(&proofs, memory_order_relaxed);
}

static const uint32_t capacities[] = {1, 2, 7, 64, 4096, 65536};

/* A full atlas of capacity cap, its MIDs in *mids (caller frees), proven
 * full by one EFULL. */
static struct midatlas *full_atlas(uint32_t cap, uint16_t **mids)
{
    struct midatlas *a = NULL;
    assert_int_equal(midatlas_create(&a, cap, 0), MIDATLAS_OK);
    *mids = calloc(cap, sizeof **mids);
    assert_non_null(*mids);
    assert_int_equal(w_fill(a, *mids, 1), cap); /* ends with one EFULL */
    return a;
}

static void efull_once_proven(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof capacities / sizeof capacities[0]; c++) {
        uint16_t *mids, mid = 0xBEEF;
        unsigned before = proofs_now();
        struct midatlas *a = full_atlas(capacities[c], &mids);
        for (int i = 0; i < 1000; i++)
            assert_int_equal(midatlas_associate(a, w_ctx(9), &mid), MIDATLAS_EFULL);
        assert_int_equal(mid, 0xBEEF);
        assert_int_equal(proofs_now() - before, 1);
        assert_true(w_consistent(a, "full, after 1000 EFULL"));
        struct midatlas_stats st;
        midatlas_stats(a, &st);
        assert_int_equal(st.full_failures, 1001);
        assert_int_equal(st.high_water, capacities[c]);
        midatlas_destroy(a, NULL, NULL);
        free(mids);
    }
}

/* Slot index of a MID of an atlas of capacity cap. */
static uint32_t index_of(uint32_t cap, uint16_t mid)
{
    uint32_t bits = 0;
    while ((1u << bits) < cap)
        bits++;
    return mid & ((1u << bits) - 1);
}

/* n MIDs freed in FULL mode (n no more than the cells) come back, exactly
 * those slots, and then EFULL again, all without another proof; the same
 * for a tombstone released. */
static void frees_recorded(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof capacities / sizeof capacities[0]; c++) {
        uint32_t cap = capacities[c], n = cap < 6 ? cap : 6; /* FULL_CELLS */
        uint16_t *mids, mid;
        struct midatlas *a = full_atlas(cap, &mids);
        unsigned before = proofs_now();
        uint8_t *freed = calloc(cap, 1);
        for (uint32_t k = 0; k < n; k++) {
            uint32_t j = (uint32_t)((uint64_t)k * cap / n);
            if (k % 2) {
                assert_int_equal(midatlas_discard(a, mids[j], NULL), MIDATLAS_OK);
                assert_int_equal(midatlas_release(a, mids[j]), MIDATLAS_OK);
            } else {
                assert_int_equal(midatlas_dissociate(a, mids[j], NULL), MIDATLAS_OK);
            }
            freed[index_of(cap, mids[j])] = 1;
        }
        assert_true(w_consistent(a, "FULL mode with recorded frees"));
        for (uint32_t k = 0; k < n; k++) {
            assert_int_equal(midatlas_associate(a, w_ctx(k), &mid), MIDATLAS_OK);
            uint32_t i = index_of(cap, mid);
            assert_int_equal(freed[i], 1); /* a freed slot, each once */
            freed[i] = 0;
        }
        assert_int_equal(midatlas_associate(a, w_ctx(1), &mid), MIDATLAS_EFULL);
        assert_int_equal(proofs_now() - before, 0);
        assert_true(w_consistent(a, "full again"));
        midatlas_destroy(a, NULL, NULL);
        free(mids);
        free(freed);
    }
}

/* More frees than cells end FULL mode: every freed slot is found by the
 * sweep, and the next EFULL is proven again. */
static void overflow_ends_full_mode(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof capacities / sizeof capacities[0]; c++) {
        uint32_t cap = capacities[c];
        if (cap < 20)
            continue;
        uint16_t *mids, mid;
        struct midatlas *a = full_atlas(cap, &mids);
        unsigned before = proofs_now();
        for (uint32_t k = 0; k < 20; k++)
            assert_int_equal(midatlas_dissociate(a, mids[k * 3], NULL), MIDATLAS_OK);
        assert_true(w_consistent(a, "after the cells overflowed"));
        for (uint32_t k = 0; k < 20; k++)
            assert_int_equal(midatlas_associate(a, w_ctx(k), &mid), MIDATLAS_OK);
        assert_int_equal(midatlas_associate(a, w_ctx(1), &mid), MIDATLAS_EFULL);
        assert_int_equal(proofs_now() - before, 1);
        midatlas_destroy(a, NULL, NULL);
        free(mids);
    }
}

/* drain in FULL mode frees everything, and all of it can be taken again. */
static void drain_in_full_mode(void **state)
{
    (void)state;
    uint32_t cap = 4096;
    uint16_t *mids;
    struct midatlas *a = full_atlas(cap, &mids);
    assert_int_equal(midatlas_drain(a, NULL, NULL), cap);
    assert_true(w_consistent(a, "drained in FULL mode"));
    assert_int_equal(w_fill(a, mids, 1), cap);
    midatlas_destroy(a, NULL, NULL);
    free(mids);
}

struct call {
    struct midatlas *atlas;
    uint16_t mid;
    int rc;
    pthread_t thread;
};

static void *dissociate_parked(void *p)
{
    struct call *c = p;
    park_at(MIDATLAS_HOOK_DISSOCIATE_WON);
    c->rc = midatlas_dissociate(c->atlas, c->mid, NULL);
    return NULL;
}

/*
 * The documented exception: a freer stopped between its free CAS and its
 * recording holds the slot out of FULL mode's cells, so associate may say
 * EFULL while lookup says EFREE; the moment the freer goes on, the slot is
 * recorded and the next associate gets it.
 */
static void freer_parked_in_full_mode(void **state)
{
    (void)state;
    uint16_t *mids, mid;
    struct midatlas *a = full_atlas(2, &mids);
    struct call f = {.atlas = a, .mid = mids[1]};
    park_arm();
    assert_int_equal(pthread_create(&f.thread, NULL, dissociate_parked, &f), 0);
    assert_true(park_await(LIMIT));

    void *ctx;
    assert_int_equal(midatlas_lookup(a, mids[1], &ctx), MIDATLAS_EFREE);
    assert_int_equal(midatlas_associate(a, w_ctx(5), &mid), MIDATLAS_EFULL);

    park_release();
    pthread_join(f.thread, NULL);
    assert_int_equal(f.rc, MIDATLAS_OK);
    assert_int_equal(midatlas_associate(a, w_ctx(6), &mid), MIDATLAS_OK);
    assert_int_equal(index_of(2, mid), index_of(2, mids[1]));
    assert_true(w_consistent(a, "after the parked freer"));
    midatlas_destroy(a, NULL, NULL);
    free(mids);
}

static void *associate_parked_in_proof(void *p)
{
    struct call *c = p;
    park_at(MIDATLAS_HOOK_PROOF);
    c->rc = midatlas_associate(c->atlas, w_ctx(8), &c->mid);
    return NULL;
}

/*
 * Two provers, the first overtaken (the schedule spin found in the first
 * version of full.c, tests/model/midatlas_full.pml mutant 7): prover A
 * starts its session and stops before emptying the cells; prover B starts a
 * later one, proves EFULL and makes the atlas FULL; two slots are freed
 * and recorded in B's session; A goes on.  The first full.c emptied every
 * cell here, then A's collect claimed one of them and returned, leaving the
 * other FREE, recorded nowhere, in FULL mode: the next associate answered EFULL
 * on an atlas with a free slot and no call running.  A prover now empties
 * only entries of its own session or older.
 */
static void overtaken_prover(void **state)
{
    (void)state;
    uint16_t *mids, mid;
    struct midatlas *a = full_atlas(16, &mids);
    /* Out of FULL mode (more frees than cells) and full again, so that A's
     * sweep finds nothing and A starts a proof. */
    for (uint32_t k = 0; k < 8; k++)
        assert_int_equal(midatlas_dissociate(a, mids[k], NULL), MIDATLAS_OK);
    for (uint32_t k = 0; k < 8; k++)
        assert_int_equal(midatlas_associate(a, w_ctx(k), &mids[k]), MIDATLAS_OK);
    struct call p = {.atlas = a};
    park_arm();
    assert_int_equal(pthread_create(&p.thread, NULL, associate_parked_in_proof, &p), 0);
    assert_true(park_await(LIMIT));

    assert_int_equal(midatlas_associate(a, w_ctx(4), &mid), MIDATLAS_EFULL); /* B */
    assert_int_equal(midatlas_dissociate(a, mids[3], NULL), MIDATLAS_OK);
    assert_int_equal(midatlas_dissociate(a, mids[9], NULL), MIDATLAS_OK);

    park_release();
    pthread_join(p.thread, NULL);
    assert_int_equal(p.rc, MIDATLAS_OK); /* A claimed one of them */
    assert_true(w_consistent(a, "after the overtaken prover"));
    assert_int_equal(midatlas_associate(a, w_ctx(5), &mid), MIDATLAS_OK); /* the other */
    assert_int_not_equal(index_of(16, mid), index_of(16, p.mid));
    assert_int_equal(midatlas_associate(a, w_ctx(6), &mid), MIDATLAS_EFULL);
    midatlas_destroy(a, NULL, NULL);
    free(mids);
}

/* A waiter asleep on a FULL-mode atlas gets the next freed MID. */
static void waiter_in_full_mode(void **state)
{
    (void)state;
    uint16_t *mids;
    struct midatlas *a = full_atlas(64, &mids);
    _Atomic(uint32_t) seq = 0;
    struct waiter_thread w = {.atlas = a, .ctx = w_ctx(77), .timeout_ns = -1, .sequence = &seq};
    assert_true(waiter_start(&w));
    assert_true(w_await_queued(a, 1, LIMIT));
    assert_int_equal(midatlas_dissociate(a, mids[10], NULL), MIDATLAS_OK);
    assert_true(waiter_await(&w, LIMIT));
    waiter_join(&w);
    assert_int_equal(w.rc, MIDATLAS_OK);
    assert_int_equal(index_of(64, w.mid), index_of(64, mids[10]));
    assert_ptr_equal(midatlas_map(a, w.mid), w_ctx(77));
    assert_true(w_consistent(a, "after the waiter"));
    midatlas_destroy(a, NULL, NULL);
    free(mids);
}

int main(void)
{
    alarm(110);
    midatlas_set_test_hook(hook);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(efull_once_proven),
        cmocka_unit_test(frees_recorded),
        cmocka_unit_test(overflow_ends_full_mode),
        cmocka_unit_test(drain_in_full_mode),
        cmocka_unit_test(freer_parked_in_full_mode),
        cmocka_unit_test(overtaken_prover),
        cmocka_unit_test(waiter_in_full_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
