/* SPDX-License-Identifier: MIT */
/*
 * test_stats_abi.c - struct midatlas_stats can grow without a caller built
 * against an older header ever being written past its struct:
 *   - midatlas_stats() writes the 0.1 layout and not one byte more, forever
 *     (struct stats_0_1 below is that layout, frozen here on purpose);
 *   - midatlas_stats_ex() writes at most the size it is given, fills what it
 *     knows, and zeroes what a newer caller's struct has beyond that.
 * Every call writes into a buffer guarded by canary bytes after the struct.
 */
#include "testutil.h"

#include <string.h>

/* The layout of struct midatlas_stats in midatlas 0.1: never edit. */
struct stats_0_1 {
    uint32_t capacity, live, discarded, high_water;
    uint64_t associations, full_failures;
    uint32_t usable, free, stripes, reserved_;
    uint64_t cas_failures;
    size_t bytes;
};

/* The six fields the API contract names: a caller that declared only those. */
struct stats_contract {
    uint32_t capacity, live, discarded, high_water;
    uint64_t associations, full_failures;
};

#define CANARY 0xA5
#define GUARD 64

/* A buffer with room for `size` bytes and GUARD canary bytes after them;
 * 8-byte aligned like any struct of these fields. */
union guarded {
    uint64_t align;
    unsigned char bytes[sizeof(struct midatlas_stats) + 2 * GUARD];
};

static void assert_untouched(const union guarded *g, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (g->bytes[i] != CANARY)
            fail_msg("byte %zu past the caller's %zu-byte struct was written", i, from);
}

static struct midatlas *busy_atlas_flags(unsigned flags)
{
    struct midatlas *a;
    uint16_t mid;
    assert_status(midatlas_create(&a, 100, MIDATLAS_F_SMB1 | flags), MIDATLAS_OK);
    for (uint32_t i = 0; i < 7; i++)
        assert_status(midatlas_associate(a, tctx(i), &mid), MIDATLAS_OK);
    assert_status(midatlas_discard(a, mid, NULL), MIDATLAS_OK);
    return a;
}

static struct midatlas *busy_atlas(void)
{
    return busy_atlas_flags(0);
}

/* The frozen layout is still a prefix of today's struct, field for field. */
static void layout_0_1_is_a_prefix(void **state)
{
    (void)state;
    assert_true(sizeof(struct midatlas_stats) >= sizeof(struct stats_0_1));
    assert_int_equal(offsetof(struct midatlas_stats, associations),
                     offsetof(struct stats_0_1, associations));
    assert_int_equal(offsetof(struct midatlas_stats, cas_failures),
                     offsetof(struct stats_0_1, cas_failures));
    assert_int_equal(offsetof(struct midatlas_stats, bytes), offsetof(struct stats_0_1, bytes));
}

/* midatlas_stats() writes sizeof(struct stats_0_1) bytes and no more. */
static void stats_writes_the_0_1_layout_only(void **state)
{
    (void)state;
    struct midatlas *a = busy_atlas();
    union guarded g;
    memset(&g, CANARY, sizeof g);
    midatlas_stats(a, (struct midatlas_stats *)(void *)g.bytes);
    assert_untouched(&g, sizeof(struct stats_0_1), sizeof g.bytes);
    struct stats_0_1 old;
    memcpy(&old, g.bytes, sizeof old);
    assert_int_equal(old.capacity, 100);
    assert_int_equal(old.live, 6);
    assert_int_equal(old.discarded, 1);
    assert_int_equal(old.associations, 7);
    midatlas_destroy(a, NULL, NULL);
}

/* An older, smaller struct: only its bytes are written, with the values
 * midatlas_stats gives for the same fields. */
static void stats_ex_respects_a_smaller_struct(void **state)
{
    (void)state;
    struct midatlas *a = busy_atlas();
    struct midatlas_stats full;
    midatlas_stats(a, &full);

    union guarded g;
    memset(&g, CANARY, sizeof g);
    size_t n = midatlas_stats_ex(a, (struct midatlas_stats *)(void *)g.bytes,
                                 sizeof(struct stats_contract));
    assert_int_equal(n, sizeof(struct stats_contract));
    assert_untouched(&g, sizeof(struct stats_contract), sizeof g.bytes);
    struct stats_contract small;
    memcpy(&small, g.bytes, sizeof small);
    assert_int_equal(small.capacity, full.capacity);
    assert_int_equal(small.live, full.live);
    assert_int_equal(small.discarded, full.discarded);
    assert_int_equal(small.high_water, full.high_water);
    assert_int_equal(small.associations, full.associations);
    assert_int_equal(small.full_failures, full.full_failures);

    memset(&g, CANARY, sizeof g);
    assert_int_equal(midatlas_stats_ex(a, (struct midatlas_stats *)(void *)g.bytes, 0), 0);
    assert_untouched(&g, 0, sizeof g.bytes);
    midatlas_destroy(a, NULL, NULL);
}

/* A newer, larger struct: everything this library knows is filled, the rest
 * of the caller's struct reads zero, nothing past it is touched. */
static void stats_ex_zeroes_what_it_does_not_know(void **state)
{
    (void)state;
    struct midatlas *a = busy_atlas();
    const size_t bigger = sizeof(struct midatlas_stats) + GUARD;
    union guarded g;
    memset(&g, CANARY, sizeof g);
    size_t n = midatlas_stats_ex(a, (struct midatlas_stats *)(void *)g.bytes, bigger);
    assert_int_equal(n, sizeof(struct midatlas_stats));
    for (size_t i = n; i < bigger; i++)
        assert_int_equal(g.bytes[i], 0);
    assert_untouched(&g, bigger, sizeof g.bytes);
    struct midatlas_stats got;
    memcpy(&got, g.bytes, sizeof got);
    assert_int_equal(got.live, 6);
    assert_int_equal(got.capacity, 100);
    midatlas_destroy(a, NULL, NULL);
}

/* The fields appended after 0.1 reach a caller of the current size, and an
 * atlas that claims by CAS only (MIDATLAS_F_NO_RSEQ; without it an atlas of
 * capacity 100 may be owned whole by one CPU, test_rseq.c) reports no
 * chunks served and none owned. */
static void stats_ex_fills_the_appended_fields(void **state)
{
    (void)state;
    struct midatlas *a = busy_atlas_flags(MIDATLAS_F_NO_RSEQ);
    struct midatlas_stats st;
    memset(&st, CANARY, sizeof st);
    assert_int_equal(midatlas_stats_ex(a, &st, sizeof st), sizeof st);
    assert_true(offsetof(struct midatlas_stats, rseq_chunks) >= sizeof(struct stats_0_1));
    assert_int_equal(st.rseq_chunks, 0);
    assert_int_equal(st.owned_chunks, 0);
    assert_int_equal(st.live, 6);
    midatlas_destroy(a, NULL, NULL);
}

static void stats_ex_null_arguments(void **state)
{
    (void)state;
    struct midatlas_stats st;
    struct midatlas *a = busy_atlas();
    assert_int_equal(midatlas_stats_ex(NULL, &st, sizeof st), 0);
    assert_int_equal(midatlas_stats_ex(a, NULL, sizeof st), 0);
    midatlas_destroy(a, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout_0_1_is_a_prefix),
        cmocka_unit_test(stats_writes_the_0_1_layout_only),
        cmocka_unit_test(stats_ex_respects_a_smaller_struct),
        cmocka_unit_test(stats_ex_zeroes_what_it_does_not_know),
        cmocka_unit_test(stats_ex_fills_the_appended_fields),
        cmocka_unit_test(stats_ex_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
