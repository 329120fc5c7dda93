/* SPDX-License-Identifier: MIT */
/*
 * test_statuses.c - every function against every status of the contract,
 * the precedence order (EINVAL, ERANGE, EFREE, ESTALE, EDISCARDED,
 * EMISMATCH), NULL arguments, contexts too wide for 48 bits, double
 * dissociate, stale MIDs, tombstone misuse, and "on any failure nothing
 * changes and out-parameters are left untouched".
 */
#include "testutil.h"

#include <string.h>

/* Out-parameters are pre-filled with these and must come back unchanged from
 * a failing call. */
#define CTX_SENTINEL ((void *)(uintptr_t)0xDEAD0)
#define MID_SENTINEL ((uint16_t)0xBEEF)

/* Contexts the tests never associate. */
#define OTHER tctx(1000)
#define OTHER2 tctx(1001)

static struct midatlas *make(uint32_t cap, unsigned flags)
{
    struct midatlas *a = NULL;
    assert_status(midatlas_create(&a, cap, flags), MIDATLAS_OK);
    return a;
}

static void snap(struct midatlas *a, struct midatlas_stats *st)
{
    memset(st, 0, sizeof *st);
    midatlas_stats(a, st);
}

static void assert_unchanged(struct midatlas *a, const struct midatlas_stats *before)
{
    struct midatlas_stats now;
    snap(a, &now);
    t_assert_same_stats(before, &now);
}

/* Every MID-taking call on `mid` must fail with `want` (release with
 * `want_release`, or is skipped when that is MIDATLAS_OK because release
 * would then succeed), leave out-parameters alone and change nothing. */
static void expect_all_fail(struct midatlas *a, uint16_t mid, int want, int want_release)
{
    struct midatlas_stats before;
    snap(a, &before);
    void *out = CTX_SENTINEL;

    assert_null(midatlas_map(a, mid));
    assert_status(midatlas_lookup(a, mid, &out), want);
    assert_ptr_equal(out, CTX_SENTINEL);
    assert_status(midatlas_dissociate(a, mid, &out), want);
    assert_ptr_equal(out, CTX_SENTINEL);
    assert_status(midatlas_dissociate(a, mid, NULL), want);
    assert_status(midatlas_dissociate_if(a, mid, OTHER), want);
    assert_status(midatlas_reassociate(a, mid, OTHER, &out), want);
    assert_ptr_equal(out, CTX_SENTINEL);
    assert_status(midatlas_reassociate(a, mid, OTHER, NULL), want);
    assert_status(midatlas_reassociate_if(a, mid, OTHER, OTHER2), want);
    assert_status(midatlas_discard(a, mid, &out), want);
    assert_ptr_equal(out, CTX_SENTINEL);
    assert_status(midatlas_discard(a, mid, NULL), want);
    if (want_release != MIDATLAS_OK)
        assert_status(midatlas_release(a, mid), want_release);
    assert_unchanged(a, &before);
}

/* A live MID must still map to ctx. */
static void expect_live(struct midatlas *a, uint16_t mid, void *ctx)
{
    void *out = CTX_SENTINEL;
    assert_ptr_equal(midatlas_map(a, mid), ctx);
    assert_status(midatlas_lookup(a, mid, &out), MIDATLAS_OK);
    assert_ptr_equal(out, ctx);
}

/* ---- EINVAL ------------------------------------------------------------ */

static void null_atlas_einval(void **state)
{
    (void)state;
    void *out = CTX_SENTINEL;
    uint16_t mid = MID_SENTINEL;
    assert_status(midatlas_associate(NULL, tctx(1), &mid), MIDATLAS_EINVAL);
    assert_int_equal(mid, MID_SENTINEL);
    assert_null(midatlas_map(NULL, 1));
    assert_status(midatlas_lookup(NULL, 1, &out), MIDATLAS_EINVAL);
    assert_status(midatlas_dissociate(NULL, 1, &out), MIDATLAS_EINVAL);
    assert_status(midatlas_dissociate_if(NULL, 1, tctx(1)), MIDATLAS_EINVAL);
    assert_status(midatlas_reassociate(NULL, 1, tctx(1), &out), MIDATLAS_EINVAL);
    assert_status(midatlas_reassociate_if(NULL, 1, tctx(1), tctx(2)), MIDATLAS_EINVAL);
    assert_status(midatlas_discard(NULL, 1, &out), MIDATLAS_EINVAL);
    assert_status(midatlas_release(NULL, 1), MIDATLAS_EINVAL);
    assert_ptr_equal(out, CTX_SENTINEL);
}

/* NULL out-pointers and NULL or too-wide contexts: EINVAL, before any
 * question about the MID (EINVAL comes first), and nothing changes. */
static void bad_arguments_einval(void **state)
{
    (void)state;
    struct midatlas *a = make(4, 0);
    uint16_t live, tomb, mid = MID_SENTINEL;
    assert_status(midatlas_associate(a, tctx(1), &live), MIDATLAS_OK);
    assert_status(midatlas_associate(a, tctx(2), &tomb), MIDATLAS_OK);
    assert_status(midatlas_discard(a, tomb, NULL), MIDATLAS_OK);
    struct midatlas_stats before;
    snap(a, &before);

    void *wide = t_ctx_too_wide();
    void *bad[2] = {NULL, wide};
    size_t nbad = wide ? 2 : 1;
    /* live, tombstone, free, out of range, stale-looking */
    uint16_t mids[] = {live, tomb, 3, 0xFFFF, (uint16_t)(live + 4)};

    assert_status(midatlas_associate(a, tctx(3), NULL), MIDATLAS_EINVAL);
    for (size_t b = 0; b < nbad; b++) {
        assert_status(midatlas_associate(a, bad[b], &mid), MIDATLAS_EINVAL);
        assert_int_equal(mid, MID_SENTINEL);
    }
    for (size_t m = 0; m < sizeof mids / sizeof mids[0]; m++) {
        void *out = CTX_SENTINEL;
        assert_status(midatlas_lookup(a, mids[m], NULL), MIDATLAS_EINVAL);
        for (size_t b = 0; b < nbad; b++) {
            assert_status(midatlas_dissociate_if(a, mids[m], bad[b]), MIDATLAS_EINVAL);
            assert_status(midatlas_reassociate(a, mids[m], bad[b], &out), MIDATLAS_EINVAL);
            assert_ptr_equal(out, CTX_SENTINEL);
            assert_status(midatlas_reassociate_if(a, mids[m], bad[b], tctx(9)), MIDATLAS_EINVAL);
            assert_status(midatlas_reassociate_if(a, mids[m], tctx(1), bad[b]), MIDATLAS_EINVAL);
        }
    }
    assert_unchanged(a, &before);
    expect_live(a, live, tctx(1));
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

/* ---- ERANGE ------------------------------------------------------------ */

static void out_of_range_erange(void **state)
{
    (void)state;
    /* capacity 50: 6 index bits, indices 50..63 do not exist. */
    struct midatlas *a = make(50, 0);
    uint16_t mid;
    for (int i = 0; i < 10; i++)
        assert_status(midatlas_associate(a, tctx(i), &mid), MIDATLAS_OK);
    for (uint32_t idx = 50; idx < 64; idx++)
        for (uint32_t gen = 0; gen < 1024; gen += 97)
            expect_all_fail(a, (uint16_t)(gen << 6 | idx), MIDATLAS_ERANGE, MIDATLAS_ERANGE);
    expect_all_fail(a, 0xFFFF, MIDATLAS_ERANGE, MIDATLAS_ERANGE);
    midatlas_destroy(a, NULL, NULL);

    /* capacity 3: index 3 does not exist. */
    a = make(3, 0);
    expect_all_fail(a, 3, MIDATLAS_ERANGE, MIDATLAS_ERANGE);
    expect_all_fail(a, 0xFFFF, MIDATLAS_ERANGE, MIDATLAS_ERANGE);
    midatlas_destroy(a, NULL, NULL);
}

/* Reserved values answer ERANGE even where their slot is free (ERANGE before
 * EFREE) or live under another MID (ERANGE before ESTALE). */
static void reserved_erange(void **state)
{
    (void)state;
    struct midatlas *a = make(64, MIDATLAS_F_SMB1);
    expect_all_fail(a, 0x0000, MIDATLAS_ERANGE, MIDATLAS_ERANGE); /* slot 0 free */
    expect_all_fail(a, 0xFFFF, MIDATLAS_ERANGE, MIDATLAS_ERANGE); /* slot 63 free */
    uint16_t mid;
    for (int i = 0; i < 64; i++) {
        assert_status(midatlas_associate(a, tctx(i), &mid), MIDATLAS_OK);
        assert_int_not_equal(mid, 0x0000);
        assert_int_not_equal(mid, 0xFFFF);
    }
    expect_all_fail(a, 0x0000, MIDATLAS_ERANGE, MIDATLAS_ERANGE); /* slot 0 live */
    expect_all_fail(a, 0xFFFF, MIDATLAS_ERANGE, MIDATLAS_ERANGE); /* slot 63 live */
    midatlas_destroy(a, NULL, NULL);

    /* Only the flagged value is reserved. */
    a = make(1, MIDATLAS_F_NO_ZERO);
    expect_all_fail(a, 0x0000, MIDATLAS_ERANGE, MIDATLAS_ERANGE);
    expect_all_fail(a, 0xFFFF, MIDATLAS_EFREE, MIDATLAS_EFREE);
    midatlas_destroy(a, NULL, NULL);
    a = make(1, MIDATLAS_F_NO_FFFF);
    expect_all_fail(a, 0x0000, MIDATLAS_EFREE, MIDATLAS_EFREE);
    expect_all_fail(a, 0xFFFF, MIDATLAS_ERANGE, MIDATLAS_ERANGE);
    midatlas_destroy(a, NULL, NULL);
}

/* ---- EFREE, ESTALE: double dissociate, reuse ---------------------------- */

static void free_slot_efree(void **state)
{
    (void)state;
    struct midatlas *a = make(4, 0);
    /* Never handed out: every generation of every slot is EFREE. */
    for (uint32_t m = 0; m < 0x10000; m += 257)
        expect_all_fail(a, (uint16_t)m, MIDATLAS_EFREE, MIDATLAS_EFREE);
    midatlas_destroy(a, NULL, NULL);
}

static void double_dissociate(void **state)
{
    (void)state;
    struct midatlas *a = make(4, 0);
    uint16_t mid, keep;
    void *out = CTX_SENTINEL;
    assert_status(midatlas_associate(a, tctx(1), &keep), MIDATLAS_OK);
    assert_status(midatlas_associate(a, tctx(2), &mid), MIDATLAS_OK);
    assert_status(midatlas_dissociate(a, mid, &out), MIDATLAS_OK);
    assert_ptr_equal(out, tctx(2));
    out = CTX_SENTINEL;
    assert_status(midatlas_dissociate(a, mid, &out), MIDATLAS_EFREE);
    assert_ptr_equal(out, CTX_SENTINEL);
    expect_all_fail(a, mid, MIDATLAS_EFREE, MIDATLAS_EFREE);
    expect_live(a, keep, tctx(1));
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

/* Fill an atlas, then free one MID and associate again: the only free slot
 * must come back under the next generation, and the old MID is stale. */
static void stale_after_reuse(void **state)
{
    (void)state;
    static const uint32_t caps[] = {1, 2, 3, 50, 64};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        uint32_t cap = caps[c], ib = t_index_bits(cap);
        struct midatlas *a = make(cap, 0);
        uint16_t mids[64], old, fresh;
        for (uint32_t i = 0; i < cap; i++)
            assert_status(midatlas_associate(a, tctx(i), &mids[i]), MIDATLAS_OK);
        old = mids[cap / 2];
        assert_status(midatlas_dissociate(a, old, NULL), MIDATLAS_OK);
        assert_status(midatlas_associate(a, tctx(500), &fresh), MIDATLAS_OK);
        assert_int_equal(fresh & ((1u << ib) - 1), old & ((1u << ib) - 1));
        assert_int_equal(fresh >> ib, (old >> ib) + 1);
        expect_all_fail(a, old, MIDATLAS_ESTALE, MIDATLAS_ESTALE); /* slot live */
        expect_live(a, fresh, tctx(500));

        /* Stale MID on a tombstone: ESTALE before EDISCARDED. */
        assert_status(midatlas_discard(a, fresh, NULL), MIDATLAS_OK);
        expect_all_fail(a, old, MIDATLAS_ESTALE, MIDATLAS_ESTALE);
        /* Stale MID on a free slot: EFREE before ESTALE. */
        assert_status(midatlas_release(a, fresh), MIDATLAS_OK);
        expect_all_fail(a, old, MIDATLAS_EFREE, MIDATLAS_EFREE);
        expect_all_fail(a, fresh, MIDATLAS_EFREE, MIDATLAS_EFREE);
        /* A MID of a generation the slot has not reached yet is stale too. */
        assert_status(midatlas_associate(a, tctx(501), &fresh), MIDATLAS_OK);
        uint16_t future = (uint16_t)(fresh + (1u << ib) * 5);
        if (cap > 1 || future < 0x8000)
            expect_all_fail(a, future, MIDATLAS_ESTALE, MIDATLAS_ESTALE);
        for (uint32_t i = 0; i < cap; i++)
            if (i != cap / 2)
                expect_live(a, mids[i], tctx(i));
        t_assert_valid(a);
        midatlas_destroy(a, NULL, NULL);
    }
}

/* ---- EDISCARDED, EBUSY: tombstone misuse -------------------------------- */

static void tombstone_misuse(void **state)
{
    (void)state;
    struct midatlas *a = make(8, 0);
    uint16_t mid, keep;
    void *out = CTX_SENTINEL;
    assert_status(midatlas_associate(a, tctx(1), &keep), MIDATLAS_OK);
    assert_status(midatlas_associate(a, tctx(2), &mid), MIDATLAS_OK);

    /* release of a live MID: EBUSY, nothing changes. */
    struct midatlas_stats before;
    snap(a, &before);
    assert_status(midatlas_release(a, mid), MIDATLAS_EBUSY);
    assert_unchanged(a, &before);
    expect_live(a, mid, tctx(2));

    assert_status(midatlas_discard(a, mid, &out), MIDATLAS_OK);
    assert_ptr_equal(out, tctx(2));
    struct midatlas_stats st;
    snap(a, &st);
    assert_int_equal(st.live, 1);
    assert_int_equal(st.discarded, 1);

    /* Every call but release answers EDISCARDED for the tombstone; the
     * conditional ones too, whatever `expected` is (EDISCARDED before
     * EMISMATCH). */
    expect_all_fail(a, mid, MIDATLAS_EDISCARDED, MIDATLAS_OK);
    assert_status(midatlas_dissociate_if(a, mid, tctx(2)), MIDATLAS_EDISCARDED);
    assert_status(midatlas_reassociate_if(a, mid, tctx(2), tctx(3)), MIDATLAS_EDISCARDED);

    /* The tombstone keeps the MID out of circulation. */
    uint16_t others[6];
    for (int i = 0; i < 6; i++) {
        assert_status(midatlas_associate(a, tctx(10 + i), &others[i]), MIDATLAS_OK);
        assert_int_not_equal(others[i] & 7, mid & 7);
    }
    assert_status(midatlas_associate(a, tctx(20), &others[0]), MIDATLAS_EFULL);

    assert_status(midatlas_release(a, mid), MIDATLAS_OK);
    snap(a, &st);
    assert_int_equal(st.discarded, 0);
    /* release twice: EFREE, nothing changes. */
    snap(a, &before);
    assert_status(midatlas_release(a, mid), MIDATLAS_EFREE);
    assert_unchanged(a, &before);
    expect_all_fail(a, mid, MIDATLAS_EFREE, MIDATLAS_EFREE);
    expect_live(a, keep, tctx(1));
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

/* ---- EMISMATCH ---------------------------------------------------------- */

static void conditional_mismatch(void **state)
{
    (void)state;
    struct midatlas *a = make(8, 0);
    uint16_t mid;
    assert_status(midatlas_associate(a, tctx(1), &mid), MIDATLAS_OK);
    struct midatlas_stats before;
    snap(a, &before);
    assert_status(midatlas_dissociate_if(a, mid, tctx(2)), MIDATLAS_EMISMATCH);
    assert_status(midatlas_reassociate_if(a, mid, tctx(2), tctx(3)), MIDATLAS_EMISMATCH);
    assert_unchanged(a, &before);
    expect_live(a, mid, tctx(1));
    /* The right expectation wins. */
    assert_status(midatlas_reassociate_if(a, mid, tctx(1), tctx(3)), MIDATLAS_OK);
    expect_live(a, mid, tctx(3));
    assert_status(midatlas_dissociate_if(a, mid, tctx(1)), MIDATLAS_EMISMATCH);
    assert_status(midatlas_dissociate_if(a, mid, tctx(3)), MIDATLAS_OK);
    expect_all_fail(a, mid, MIDATLAS_EFREE, MIDATLAS_EFREE);
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

/* ---- success paths, out-parameters -------------------------------------- */

static void success_paths(void **state)
{
    (void)state;
    struct midatlas *a = make(16, 0);
    uint16_t mid = MID_SENTINEL;
    void *out = CTX_SENTINEL;
    struct midatlas_stats st;

    assert_status(midatlas_associate(a, tctx(1), &mid), MIDATLAS_OK);
    assert_int_not_equal(mid, MID_SENTINEL);
    expect_live(a, mid, tctx(1));
    snap(a, &st); /* a stats call samples the high water */
    assert_int_equal(st.high_water, 1);

    /* reassociate keeps the MID's value, returns the old context. */
    assert_status(midatlas_reassociate(a, mid, tctx(2), &out), MIDATLAS_OK);
    assert_ptr_equal(out, tctx(1));
    expect_live(a, mid, tctx(2));
    assert_status(midatlas_reassociate(a, mid, tctx(2), NULL), MIDATLAS_OK); /* same ctx */
    expect_live(a, mid, tctx(2));

    /* dissociate with and without an out-pointer. */
    out = CTX_SENTINEL;
    assert_status(midatlas_dissociate(a, mid, &out), MIDATLAS_OK);
    assert_ptr_equal(out, tctx(2));
    assert_status(midatlas_associate(a, tctx(3), &mid), MIDATLAS_OK);
    assert_status(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);

    /* discard with and without an out-pointer. */
    assert_status(midatlas_associate(a, tctx(4), &mid), MIDATLAS_OK);
    out = CTX_SENTINEL;
    assert_status(midatlas_discard(a, mid, &out), MIDATLAS_OK);
    assert_ptr_equal(out, tctx(4));
    assert_status(midatlas_release(a, mid), MIDATLAS_OK);
    assert_status(midatlas_associate(a, tctx(5), &mid), MIDATLAS_OK);
    assert_status(midatlas_discard(a, mid, NULL), MIDATLAS_OK);
    assert_status(midatlas_release(a, mid), MIDATLAS_OK);

    snap(a, &st);
    assert_int_equal(st.live, 0);
    assert_int_equal(st.discarded, 0);
    assert_int_equal(st.associations, 4);
    assert_int_equal(st.high_water, 1);
    t_assert_valid(a);
    midatlas_destroy(a, NULL, NULL);
}

/* A context may be associated with several MIDs at once (the atlas treats it
 * as an opaque value) and any value that fits 48 bits works. */
static void context_values(void **state)
{
    (void)state;
    struct midatlas *a = make(8, 0);
    uint16_t m1, m2, m3;
    void *top = (void *)(uintptr_t)(sizeof(void *) >= 8 ? MIDATLAS_CONTEXT_MAX : UINTPTR_MAX);
    void *one = (void *)(uintptr_t)1;
    assert_status(midatlas_associate(a, tctx(7), &m1), MIDATLAS_OK);
    assert_status(midatlas_associate(a, tctx(7), &m2), MIDATLAS_OK);
    assert_status(midatlas_associate(a, top, &m3), MIDATLAS_OK);
    assert_int_not_equal(m1, m2);
    expect_live(a, m1, tctx(7));
    expect_live(a, m2, tctx(7));
    expect_live(a, m3, top);
    void *out = NULL;
    assert_status(midatlas_reassociate(a, m3, one, &out), MIDATLAS_OK);
    assert_ptr_equal(out, top);
    expect_live(a, m3, one);
    assert_status(midatlas_reassociate_if(a, m3, one, top), MIDATLAS_OK);
    expect_live(a, m3, top);
    assert_status(midatlas_dissociate_if(a, m3, top), MIDATLAS_OK);
    assert_status(midatlas_dissociate(a, m1, &out), MIDATLAS_OK);
    expect_live(a, m2, tctx(7));
    midatlas_destroy(a, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(null_atlas_einval),
        cmocka_unit_test(bad_arguments_einval),
        cmocka_unit_test(out_of_range_erange),
        cmocka_unit_test(reserved_erange),
        cmocka_unit_test(free_slot_efree),
        cmocka_unit_test(double_dissociate),
        cmocka_unit_test(stale_after_reuse),
        cmocka_unit_test(tombstone_misuse),
        cmocka_unit_test(conditional_mismatch),
        cmocka_unit_test(success_paths),
        cmocka_unit_test(context_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
