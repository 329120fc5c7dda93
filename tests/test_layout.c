/* SPDX-License-Identifier: MIT */
/*
 * test_layout.c - where the slot words lie: two to a cache line in a
 * spread atlas (capacity MIDATLAS_SPREAD_MAX_CAPACITY and below, or
 * MIDATLAS_F_SPREAD), eight in a packed one (larger, or
 * MIDATLAS_F_PACKED); and that both layouts keep the whole contract.
 *
 *   small_atlases_spread_by_default  32 bytes a slot up to 64 slots, 8 above;
 *                                    a pair of the sweep's order a line
 *   packed_flag_keeps_eight_a_line   MIDATLAS_F_PACKED at 64: the 0.1 memory
 *   spread_flag_at_any_capacity      MIDATLAS_F_SPREAD at 1000 and 4096
 *   both_flags_are_einval            SPREAD | PACKED: EINVAL, nothing written
 *   each_layout_keeps_the_contract   laps without an early repeat, EFULL
 *                                    exactly at usable, every map, validate
 *   stamps_lie_apart                 a visit stamp per chunk, inside the
 *                                    allocation past the stripes, each its
 *                                    own; neighbours' on different lines
 */
#include "testutil.h"

#include <stdlib.h>

#include "atlas.h"

#define SENTINEL ((struct midatlas *)(uintptr_t)0x5EE5EE50)

static struct midatlas *make(uint32_t cap, unsigned flags, struct midatlas_stats *st)
{
    struct midatlas *a = NULL;
    assert_status(midatlas_create(&a, cap, flags), MIDATLAS_OK);
    assert_int_equal(midatlas_stats_ex(a, st, sizeof *st), sizeof *st);
    return a;
}

/* Every slot word of a lies `bytes` after the one before. */
static void assert_stride(struct midatlas *a, uint32_t bytes)
{
    for (uint32_t i = 1; i < a->capacity; i++)
        assert_int_equal((uintptr_t)slot_word(a, i) - (uintptr_t)slot_word(a, i - 1), bytes);
}

/* A spread line holds a pair of the sweep's order (sweep.h, sweep_step:
 * an even slot and the odd one above it), and nothing else. */
static void assert_pairs_share_lines(struct midatlas *a)
{
    for (uint32_t i = 0; i + 1 < a->capacity; i += 2) {
        uintptr_t line = (uintptr_t)slot_word(a, i) / MIDATLAS_CACHE_LINE;
        assert_int_equal((uintptr_t)slot_word(a, i + 1) / MIDATLAS_CACHE_LINE, line);
        if (i + 2 < a->capacity)
            assert_int_not_equal((uintptr_t)slot_word(a, i + 2) / MIDATLAS_CACHE_LINE, line);
    }
}

static void small_atlases_spread_by_default(void **state)
{
    (void)state;
    static const uint32_t spread[] = {1, 2, 8, 63, 64};
    static const uint32_t packed[] = {65, 100, 4096, 65536};
    struct midatlas_stats st;
    for (size_t i = 0; i < sizeof spread / sizeof spread[0]; i++) {
        struct midatlas *a = make(spread[i], 0, &st);
        assert_int_equal(st.slot_bytes, 32);
        assert_true(st.bytes >= (size_t)spread[i] * 32);
        assert_stride(a, 32);
        assert_pairs_share_lines(a);
        midatlas_destroy(a, NULL, NULL);
    }
    for (size_t i = 0; i < sizeof packed / sizeof packed[0]; i++) {
        struct midatlas *a = make(packed[i], 0, &st);
        assert_int_equal(st.slot_bytes, 8);
        /* Less than 4 KiB, and the visit stamps (midatlas.h). */
        size_t stamps = packed[i] <= 16384 ? 1024 : packed[i] / 16;
        assert_true(st.bytes < (size_t)packed[i] * 8 + 4096 + stamps);
        assert_stride(a, 8);
        midatlas_destroy(a, NULL, NULL);
    }
}

static void packed_flag_keeps_eight_a_line(void **state)
{
    (void)state;
    struct midatlas_stats spread, packed;
    struct midatlas *a = make(64, 0, &spread);
    struct midatlas *b = make(64, MIDATLAS_F_PACKED, &packed);
    assert_int_equal(packed.slot_bytes, 8);
    assert_stride(b, 8);
    /* The same atlas but for the slots: 32 lines against 8. */
    assert_int_equal(spread.bytes - packed.bytes, (32 - 8) * 64);
    midatlas_destroy(a, NULL, NULL);
    midatlas_destroy(b, NULL, NULL);
}

static void spread_flag_at_any_capacity(void **state)
{
    (void)state;
    static const uint32_t caps[] = {1000, 4096};
    struct midatlas_stats st;
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        struct midatlas *a = make(caps[i], MIDATLAS_F_SPREAD | MIDATLAS_F_9P, &st);
        assert_int_equal(st.slot_bytes, 32);
        assert_true(st.bytes >= (size_t)caps[i] * 32);
        assert_stride(a, 32);
        assert_pairs_share_lines(a);
        midatlas_destroy(a, NULL, NULL);
    }
}

static void both_flags_are_einval(void **state)
{
    (void)state;
    const unsigned both = MIDATLAS_F_SPREAD | MIDATLAS_F_PACKED;
    assert_false(MIDATLAS_FLAGS_VALID(both));
    assert_true(MIDATLAS_FLAGS_VALID(MIDATLAS_F_SPREAD | MIDATLAS_F_SMB1));
    assert_true(MIDATLAS_FLAGS_VALID(MIDATLAS_F_PACKED | MIDATLAS_F_NO_RSEQ));
    static const uint32_t caps[] = {1, 64, 4096};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        struct midatlas *a = SENTINEL;
        assert_status(midatlas_create(&a, caps[i], both), MIDATLAS_EINVAL);
        assert_status(midatlas_create(&a, caps[i], both | MIDATLAS_F_9P), MIDATLAS_EINVAL);
        assert_ptr_equal(a, SENTINEL);
    }
}

/* Three laps of one MID at a time: no slot back within a lap (one thread:
 * the rotation is exact, but for the chunk a thread the scheduler moves
 * may leave behind on the rseq path, midatlas.h "Stale window"); then
 * fill up:
 * EFULL exactly at usable, every MID maps to its context; empty again;
 * validate after each. */
static void keeps_the_contract(uint32_t cap, unsigned flags)
{
    struct midatlas_stats st;
    struct midatlas *a = make(cap, flags, &st);
    uint32_t *last = calloc(cap, sizeof *last);
    uint16_t *mids = calloc(cap, sizeof *mids);
    assert_non_null(last);
    assert_non_null(mids);
    uint32_t lap = a->owners ? st.usable - a->chunk_slots : st.usable;
    uint16_t mid;
    for (uint32_t n = 1; n <= 3 * cap; n++) {
        assert_status(midatlas_associate(a, tctx(n), &mid), MIDATLAS_OK);
        assert_ptr_equal(midatlas_map(a, mid), tctx(n));
        assert_status(midatlas_dissociate(a, mid, NULL), MIDATLAS_OK);
        uint32_t i = mid_index(a, mid);
        if (last[i] != 0 && n - last[i] < lap)
            fail_msg("capacity %u, flags %#x: slot %u back after %u handouts, lap %u", cap, flags,
                     i, n - last[i], lap);
        last[i] = n;
    }
    t_assert_valid(a);
    for (uint32_t i = 0; i < st.usable; i++)
        assert_status(midatlas_associate(a, tctx(i + 1), &mids[i]), MIDATLAS_OK);
    assert_status(midatlas_associate(a, tctx(1), &mid), MIDATLAS_EFULL);
    for (uint32_t i = 0; i < st.usable; i++)
        assert_ptr_equal(midatlas_map(a, mids[i]), tctx(i + 1));
    t_assert_valid(a);
    for (uint32_t i = 0; i < st.usable; i++)
        assert_status(midatlas_dissociate(a, mids[i], NULL), MIDATLAS_OK);
    t_assert_valid(a);
    free(last);
    free(mids);
    midatlas_destroy(a, NULL, NULL);
}

/* The visit stamps (atlas.h, stamp_of): one per chunk, no two chunks
 * sharing one, all inside the allocation and past the stripes (and the
 * rseq path's lines), and chunk k's and k + 1's on different lines, so that
 * stripes sweeping chunks a rotor stride apart read different lines. */
static void stamps_lie_apart(void **state)
{
    (void)state;
    static const uint32_t caps[] = {1, 64, 100, 1000, 4096, 16384, 32768, 65536};
    static const unsigned flags[] = {0, MIDATLAS_F_NO_RSEQ};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++)
        for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) {
            struct midatlas *a = NULL;
            assert_status(midatlas_create(&a, caps[c], flags[f]), MIDATLAS_OK);
            const char *lo = (const char *)(a->stripes + a->stripe_mask + 1);
            const char *hi = (const char *)a + a->bytes;
            if (a->owners)
                lo = (const char *)a->owners + 1024; /* OWN_BYTES */
            size_t n = stamp_bytes(a->nchunks) / sizeof(uint32_t);
            unsigned char *seen = calloc(n, 1);
            assert_non_null(seen);
            for (uint32_t k = 0; k < a->nchunks; k++) {
                const char *p = (const char *)stamp_of(a, k);
                assert_true(p >= lo && p + sizeof(uint32_t) <= hi);
                size_t at = (size_t)(p - (const char *)stamp_of(a, 0)) / sizeof(uint32_t);
                assert_true(at < n);
                assert_int_equal(seen[at]++, 0);
                if (k > 0)
                    assert_int_not_equal((uintptr_t)p / 64, (uintptr_t)stamp_of(a, k - 1) / 64);
            }
            free(seen);
            midatlas_destroy(a, NULL, NULL);
        }
}

static void each_layout_keeps_the_contract(void **state)
{
    (void)state;
    static const struct {
        uint32_t cap;
        unsigned flags;
    } runs[] = {
        {1, 0},    {7, MIDATLAS_F_9P},     {64, 0},
        {64, MIDATLAS_F_PACKED | MIDATLAS_F_SMB1},      {100, MIDATLAS_F_SPREAD},
        {1000, MIDATLAS_F_SPREAD | MIDATLAS_F_NO_RSEQ}, {4096, MIDATLAS_F_SPREAD},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
        keeps_the_contract(runs[i].cap, runs[i].flags);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_atlases_spread_by_default),
        cmocka_unit_test(packed_flag_keeps_eight_a_line),
        cmocka_unit_test(spread_flag_at_any_capacity),
        cmocka_unit_test(both_flags_are_einval),
        cmocka_unit_test(each_layout_keeps_the_contract),
        cmocka_unit_test(stamps_lie_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
