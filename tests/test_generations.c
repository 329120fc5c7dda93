/* SPDX-License-Identifier: MIT */
/*
 * test_generations.c - the MID layout of the header: index bits, generation
 * bits, first MID of slot i is i, the generation advancing on every handout
 * and wrapping after 2^generation_bits handouts, and the values reserved by
 * MIDATLAS_F_NO_ZERO / MIDATLAS_F_NO_FFFF never handed out across full wraps,
 * and the associations statistic exact across a wrap of the slots' 15-bit
 * handout counts.
 *
 * Expected values are computed here from the header's layout, independently
 * of the reference model (which checks every call on top).
 */
#include "modelcheck.h"

#include <stdlib.h>
#include <string.h>

static uint64_t next_ctx;

/* Associate until EFULL; returns how many succeeded. */
static uint32_t fill_up(struct mc *m)
{
    uint32_t n = 0;
    while (mc_associate(m, tctx(next_ctx++), NULL) == MIDATLAS_OK)
        n++;
    return n;
}

/* The generations of one slot a correct atlas hands out, in order. */
static uint32_t first_gen(uint32_t cap, unsigned flags, uint32_t slot)
{
    uint32_t ib = t_index_bits(cap), ng = 1u << t_gen_bits(cap);
    for (uint32_t g = 0; g < ng; g++)
        if (!t_reserved(flags, (uint16_t)(g << ib | slot)))
            return g;
    return UINT32_MAX; /* no usable MID in this slot */
}

static uint32_t next_gen(uint32_t cap, unsigned flags, uint32_t slot, uint32_t g)
{
    uint32_t ib = t_index_bits(cap), ng = 1u << t_gen_bits(cap);
    do
        g = (g + 1) % ng;
    while (t_reserved(flags, (uint16_t)(g << ib | slot)));
    return g;
}

/* ---- layout -------------------------------------------------------------- */

static void layout_bits(void **state)
{
    (void)state;
    static const struct {
        uint32_t cap, ib, gb;
    } want[] = {
        {1, 0, 15},     {2, 1, 15},      {3, 2, 14},     {4, 2, 14},
        {50, 6, 10},    {64, 6, 10},     {65, 7, 9},     {32768, 15, 1},
        {32769, 16, 0}, {65535, 16, 0},  {65536, 16, 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(t_index_bits(want[i].cap), want[i].ib);
        assert_int_equal(t_gen_bits(want[i].cap), want[i].gb);
    }
}

/* A fresh atlas filled up hands out exactly MIDs 0..capacity-1 (generation
 * 0 of each slot), except that a reserved value is replaced by the slot's
 * next generation or, where a slot has a single MID, left out. */
static void first_mid_of_slot_is_index(void **state)
{
    (void)state;
    static const unsigned flagsets[] = {0, MIDATLAS_F_NO_ZERO, MIDATLAS_F_NO_FFFF, MIDATLAS_F_SMB1};
    for (size_t c = 0; c < t_ncapacities; c++) {
        for (size_t f = 0; f < sizeof flagsets / sizeof flagsets[0]; f++) {
            uint32_t cap = t_capacities[c], ib = t_index_bits(cap);
            unsigned flags = flagsets[f];
            uint8_t *seen = calloc(0x10000, 1);
            struct midatlas *a;
            uint16_t mid;
            uint32_t n = 0;
            assert_status(midatlas_create(&a, cap, flags), MIDATLAS_OK);
            while (midatlas_associate(a, tctx(n), &mid) == MIDATLAS_OK) {
                assert_false(seen[mid]);
                seen[mid] = 1;
                n++;
            }
            uint32_t want_n = 0;
            for (uint32_t i = 0; i < cap; i++) {
                uint32_t g = first_gen(cap, flags, i);
                if (g == UINT32_MAX)
                    continue;
                want_n++;
                assert_true(seen[g << ib | i]);
            }
            assert_int_equal(n, want_n);
            free(seen);
            midatlas_destroy(a, NULL, NULL);
        }
    }
}

/* ---- one slot cycled through its generations ----------------------------- */

/* Fill the atlas, then hand `slot` out again and again (it is the only free
 * slot, so associate must pick it): every handout moves to the next
 * generation, the previous MID turns EFREE then ESTALE, no reserved value
 * ever appears, and after one full turn of the generations the first MID
 * comes back. */
static void cycle_slot(uint32_t cap, unsigned flags, uint32_t slot)
{
    struct mc m;
    uint32_t ib = t_index_bits(cap), gb = t_gen_bits(cap);
    uint32_t g = first_gen(cap, flags, slot);
    if (g == UINT32_MAX)
        return;
    mc_create(&m, cap, flags);
    fill_up(&m);
    uint16_t cur = (uint16_t)(g << ib | slot), start = cur;
    assert_status(mc_lookup(&m, cur), MIDATLAS_OK);

    /* One turn of the generations, and a bit more to see it start over. */
    uint32_t turn = 0, rounds = (1u << gb) + 5;
    for (uint32_t r = 1; r <= rounds; r++) {
        uint16_t old = cur;
        assert_status(mc_dissociate(&m, cur, true), MIDATLAS_OK);
        assert_status(midatlas_lookup(m.atlas, old, &(void *){NULL}), MIDATLAS_EFREE);
        assert_status(mc_associate(&m, tctx(next_ctx++), &cur), MIDATLAS_OK);
        g = next_gen(cap, flags, slot, g);
        assert_int_equal(cur, g << ib | slot);
        assert_false(t_reserved(flags, cur));
        if (cur != old) {
            assert_null(midatlas_map(m.atlas, old));
            assert_status(midatlas_lookup(m.atlas, old, &(void *){NULL}), MIDATLAS_ESTALE);
        }
        if (cur == start && turn == 0)
            turn = r;
        if ((r & 1023) == 0)
            mc_check_stats(&m);
    }
    /* The period: every generation of the slot that no flag reserves. */
    uint32_t usable_gens = 0;
    for (uint32_t k = 0; k < (1u << gb); k++)
        usable_gens += !t_reserved(flags, (uint16_t)(k << ib | slot));
    assert_int_equal(turn, usable_gens);
    mc_check_all(&m);
    mc_destroy(&m);
}

static void generations_capacity_1(void **state)
{
    (void)state;
    /* 15 generation bits: 0, 1, ..., 0x7FFF, 0, ... */
    cycle_slot(1, 0, 0);
    cycle_slot(1, MIDATLAS_F_NO_ZERO, 0); /* 1 .. 0x7FFF, 1, ... */
    cycle_slot(1, MIDATLAS_F_SMB1, 0);
}

static void generations_capacity_1_never_high(void **state)
{
    (void)state;
    /* MIDs 0x8000..0xFFFF never handed out at capacity 1, and answer like
     * an old generation: EFREE while the slot is free, ESTALE while live. */
    struct midatlas *a;
    uint16_t mid;
    assert_status(midatlas_create(&a, 1, 0), MIDATLAS_OK);
    for (uint32_t w = 0x8000; w < 0x10000; w += 0x111)
        assert_status(midatlas_lookup(a, (uint16_t)w, &(void *){NULL}), MIDATLAS_EFREE);
    for (uint32_t i = 0; i < 0x8000 + 10; i++) {
        assert_status(midatlas_associate(a, tctx(i), &mid), MIDATLAS_OK);
        assert_int_equal(mid, i & 0x7FFF);
        assert_status(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
    }
    assert_status(midatlas_associate(a, tctx(0), &mid), MIDATLAS_OK);
    for (uint32_t w = 0x8000; w < 0x10000; w++) {
        assert_null(midatlas_map(a, (uint16_t)w));
        assert_status(midatlas_lookup(a, (uint16_t)w, &(void *){NULL}), MIDATLAS_ESTALE);
    }
    /* mid + 0x8000 has the same low 15 bits: it must not act on mid, even
     * given the right context (a 16-bit generation must not be cut to 15). */
    uint16_t alias = (uint16_t)(mid | 0x8000);
    assert_status(midatlas_reassociate_if(a, alias, tctx(0), tctx(1)), MIDATLAS_ESTALE);
    assert_status(midatlas_dissociate_if(a, alias, tctx(0)), MIDATLAS_ESTALE);
    assert_status(midatlas_reassociate(a, alias, tctx(1), NULL), MIDATLAS_ESTALE);
    assert_status(midatlas_dissociate(a, alias, NULL), MIDATLAS_ESTALE);
    assert_status(midatlas_discard(a, alias, NULL), MIDATLAS_ESTALE);
    assert_status(midatlas_release(a, alias), MIDATLAS_ESTALE);
    assert_ptr_equal(midatlas_map(a, mid), tctx(0));
    assert_status(midatlas_discard(a, mid, NULL), MIDATLAS_OK);
    assert_status(midatlas_release(a, alias), MIDATLAS_ESTALE);
    assert_status(midatlas_lookup(a, mid, &(void *){NULL}), MIDATLAS_EDISCARDED);
    midatlas_destroy(a, NULL, NULL);
}

static void generations_capacity_2(void **state)
{
    (void)state;
    static const unsigned flagsets[] = {0, MIDATLAS_F_NO_ZERO, MIDATLAS_F_NO_FFFF, MIDATLAS_F_SMB1};
    for (size_t f = 0; f < 4; f++) {
        cycle_slot(2, flagsets[f], 0); /* 0, 2, 4, ..., 0xFFFE */
        cycle_slot(2, flagsets[f], 1); /* 1, 3, ..., 0xFFFF   */
    }
}

static void generations_capacity_64(void **state)
{
    (void)state;
    static const unsigned flagsets[] = {0, MIDATLAS_F_SMB1};
    static const uint32_t slots[] = {0, 1, 31, 62, 63};
    for (size_t f = 0; f < 2; f++)
        for (size_t s = 0; s < sizeof slots / sizeof slots[0]; s++)
            cycle_slot(64, flagsets[f], slots[s]);
}

static void generations_odd_capacities(void **state)
{
    (void)state;
    cycle_slot(3, MIDATLAS_F_SMB1, 0);
    cycle_slot(3, MIDATLAS_F_SMB1, 2);
    cycle_slot(50, MIDATLAS_F_SMB1, 0);
    cycle_slot(50, MIDATLAS_F_SMB1, 49);
    /* No generation bits: a slot's MID never changes. */
    cycle_slot(65535, MIDATLAS_F_SMB1, 1);
    cycle_slot(65535, MIDATLAS_F_SMB1, 65534);
    cycle_slot(65536, 0, 0);
    cycle_slot(65536, 0, 65535);
}

/* ---- capacity 65536: a reserved value costs a slot ------------------------ */

static void capacity_65536_reserved(void **state)
{
    (void)state;
    static const struct {
        unsigned flags;
        uint32_t usable;
    } cases[] = {
        {0, 65536},
        {MIDATLAS_F_NO_ZERO, 65535},
        {MIDATLAS_F_NO_FFFF, 65535},
        {MIDATLAS_F_SMB1, 65534},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct midatlas *a;
        struct midatlas_stats st;
        uint16_t mid;
        unsigned flags = cases[i].flags;
        assert_status(midatlas_create(&a, 65536, flags), MIDATLAS_OK);
        midatlas_stats(a, &st);
        assert_int_equal(st.usable, cases[i].usable);
        for (uint32_t n = 0; n < cases[i].usable; n++) {
            assert_status(midatlas_associate(a, tctx(n), &mid), MIDATLAS_OK);
            assert_false(t_reserved(flags, mid));
        }
        assert_status(midatlas_associate(a, tctx(0), &mid), MIDATLAS_EFULL);
        midatlas_stats(a, &st);
        assert_int_equal(st.live, cases[i].usable);
        assert_int_equal(st.free, 0);
        assert_int_equal(st.full_failures, 1);
        assert_int_equal(st.high_water, cases[i].usable);
        if (flags & MIDATLAS_F_NO_ZERO)
            assert_status(midatlas_lookup(a, 0, &(void *){NULL}), MIDATLAS_ERANGE);
        if (flags & MIDATLAS_F_NO_FFFF)
            assert_status(midatlas_lookup(a, 0xFFFF, &(void *){NULL}), MIDATLAS_ERANGE);
        t_assert_valid(a);
        /* Emptied and filled again: still never a reserved value. */
        assert_int_equal(midatlas_drain(a, NULL, NULL), cases[i].usable);
        for (uint32_t n = 0; n < cases[i].usable; n++) {
            assert_status(midatlas_associate(a, tctx(n), &mid), MIDATLAS_OK);
            assert_false(t_reserved(flags, mid));
        }
        assert_status(midatlas_associate(a, tctx(0), &mid), MIDATLAS_EFULL);
        midatlas_destroy(a, NULL, NULL);
    }
}

/* ---- reserved values across full wraps of every slot ---------------------- */

/* At capacity 64 every slot wraps its 10-bit generation several times while
 * the atlas churns; neither reserved value may ever show up. */
static void reserved_never_across_wraps(void **state)
{
    (void)state;
    static const uint32_t caps[] = {1, 2, 3, 64};
    uint64_t rng = 42;
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        struct mc m;
        uint32_t cap = caps[c];
        uint32_t handouts = cap * (1u << t_gen_bits(cap)) * 3;
        mc_create(&m, cap, MIDATLAS_F_SMB1);
        uint16_t *live = calloc(cap, sizeof *live);
        uint32_t nlive = 0;
        for (uint32_t h = 0; h < handouts;) {
            if (nlive < cap && (nlive == 0 || t_below(&rng, 3) != 0)) {
                assert_status(mc_associate(&m, tctx(h), &live[nlive]), MIDATLAS_OK);
                assert_int_not_equal(live[nlive], 0x0000);
                assert_int_not_equal(live[nlive], 0xFFFF);
                nlive++;
                h++;
            } else {
                uint32_t k = t_below(&rng, nlive);
                assert_status(mc_dissociate(&m, live[k], false), MIDATLAS_OK);
                live[k] = live[--nlive];
            }
        }
        mc_check_all(&m);
        free(live);
        mc_destroy(&m);
    }
}

/* The same at 1 thread with one MID in flight, where associate's common
 * half makes nearly every claim: it must leave the claims that could make
 * 0x0000 or 0xFFFF to the full claim, which skips them.  (The test above
 * keeps its atlas mostly full, where the scarce path claims instead; taking
 * the two values in the common half went unseen by it.) */
static void reserved_never_in_churn(void **state)
{
    (void)state;
    static const uint32_t caps[] = {64, 100, 4096};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        struct mc m;
        uint32_t cap = caps[c];
        uint32_t handouts = cap * (1u << t_gen_bits(cap)) * 2;
        mc_create(&m, cap, MIDATLAS_F_SMB1);
        for (uint32_t h = 0; h < handouts; h++) {
            uint16_t mid;
            assert_status(mc_associate(&m, tctx(h), &mid), MIDATLAS_OK);
            assert_int_not_equal(mid, 0x0000);
            assert_int_not_equal(mid, 0xFFFF);
            assert_status(mc_dissociate(&m, mid, false), MIDATLAS_OK);
        }
        mc_check_all(&m);
        mc_destroy(&m);
    }
}

/* ---- associations across a wrap of the handout counts -------------------- */

/* The statistic is summed from the slots' 15-bit handout counts plus 2^15
 * per recorded wrap (src/atlas.h).  Churn at 1 thread claims most slots in
 * associate's common half, which must leave a wrapping claim to the full
 * claim that records it: past 2^15 handouts of every slot, the statistic
 * must still equal the reference model's count.  (Taking the wrap in the
 * common half without the record went unseen by every other test.) */
static void associations_across_count_wraps(void **state)
{
    (void)state;
    static const uint32_t caps[] = {8, 16};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        struct mc m;
        uint32_t cap = caps[c];
        uint32_t handouts = cap * ((1u << 15) + 4);
        mc_create(&m, cap, 0);
        for (uint32_t h = 0; h < handouts; h++) {
            uint16_t mid;
            assert_status(mc_associate(&m, tctx(h), &mid), MIDATLAS_OK);
            assert_status(mc_dissociate(&m, mid, false), MIDATLAS_OK);
        }
        mc_check_all(&m);
        mc_destroy(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout_bits),
        cmocka_unit_test(first_mid_of_slot_is_index),
        cmocka_unit_test(generations_capacity_1),
        cmocka_unit_test(generations_capacity_1_never_high),
        cmocka_unit_test(generations_capacity_2),
        cmocka_unit_test(generations_capacity_64),
        cmocka_unit_test(generations_odd_capacities),
        cmocka_unit_test(capacity_65536_reserved),
        cmocka_unit_test(reserved_never_across_wraps),
        cmocka_unit_test(reserved_never_in_churn),
        cmocka_unit_test(associations_across_count_wraps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
