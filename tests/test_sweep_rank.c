/* SPDX-License-Identifier: MIT */
/*
 * test_sweep_rank.c - claim.h's sweep_rank is the place of each slot in
 * the sweep order that sweep_step walks, and cursor_not_behind follows it.
 *
 * Why: a sweep's claim by CAS keeps its slot when another claimer has
 * moved the cursor on past its move, and gives it up only when a late
 * rseq CS of another CPU put the cursor back (own.h, struct own_at).  The
 * two are told apart by the rank; a rank that disagreed with the order
 * would either give slots up for nothing or claim behind a put-back
 * cursor.  Here every chunk of atlases packed and spread, whole and
 * partial, ascending and descending, is walked from its first slot with
 * sweep_next: the ranks must be 0, 1, 2... and the end after all of them.
 */
#include "testutil.h"

#include "sweep.h"

static struct midatlas *make(uint32_t cap, unsigned flags)
{
    struct midatlas *a = NULL;
    assert_status(midatlas_create(&a, cap, flags), MIDATLAS_OK);
    return a;
}

/* The first slot a visit of the chunk that ends at end sweeps (sweep.c,
 * next_chunk). */
static uint32_t first_slot(const struct midatlas *a, uint32_t end)
{
    uint32_t base = end > a->perm_end ? a->perm_end : end - a->chunk_slots;
    return end <= a->perm_end && sweep_descends(a, end) ? end - 1 : base;
}

static void walk_every_chunk(struct midatlas *a)
{
    for (uint32_t k = 0; k < a->nchunks; k++) {
        uint32_t end = (k + 1) * a->chunk_slots;
        if (end > a->capacity)
            end = a->capacity;
        uint32_t n = 0;
        for (uint32_t i = first_slot(a, end); i < end; i = sweep_next(a, i, end), n++) {
            if (sweep_rank(a, i, end) != n)
                fail_msg("capacity %u, chunk %u: slot %u is swept %u-th, rank %u", a->capacity,
                         k, i, n, sweep_rank(a, i, end));
            uint64_t held = cursor_make(i, end, 7);
            /* The cursor at the slot itself and at the one before it in
             * the order are behind a move past it; the end is not. */
            assert_true(cursor_not_behind(a, held, held));
            assert_true(cursor_not_behind(a, cursor_make(end, end, 7), held));
            if (n > 0)
                assert_false(cursor_not_behind(a, cursor_make(first_slot(a, end), end, 7), held));
            assert_true(cursor_not_behind(a, cursor_make(i, end, 8), held)); /* another visit */
        }
        assert_int_equal(n, end - (k * a->chunk_slots));
        assert_int_equal(sweep_rank(a, end, end), UINT32_MAX);
    }
}

static void ranks_follow_the_sweep(void **state)
{
    (void)state;
    static const uint32_t caps[] = {1, 2, 7, 8, 9, 63, 64, 65, 100, 512, 1000, 4096, 32768, 65536};
    static const unsigned flags[] = {0, MIDATLAS_F_PACKED, MIDATLAS_F_SPREAD};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) {
            struct midatlas *a = make(caps[c], flags[f]);
            walk_every_chunk(a);
            midatlas_destroy(a, NULL, NULL);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ranks_follow_the_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
