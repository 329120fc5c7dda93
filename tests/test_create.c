/* SPDX-License-Identifier: MIT */
/*
 * test_create.c - create, destroy, capacity, stats of a fresh atlas,
 * strerror, validate.
 */
#include "refmodel.h"
#include "testutil.h"

#include <limits.h>
#include <string.h>

#define SENTINEL ((struct midatlas *)(uintptr_t)0x5EE5EE50)

static const unsigned all_flags[] = {0, MIDATLAS_F_NO_ZERO, MIDATLAS_F_NO_FFFF, MIDATLAS_F_SMB1};

static void create_rejects_bad_capacity(void **state)
{
    (void)state;
    static const uint32_t bad[] = {0, 65537, 65538, 1u << 20, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct midatlas *a = SENTINEL;
        assert_status(midatlas_create(&a, bad[i], 0), MIDATLAS_EINVAL);
        assert_ptr_equal(a, SENTINEL); /* out-parameter untouched on failure */
    }
}

static void create_rejects_unknown_flags(void **state)
{
    (void)state;
    for (unsigned bit = 0; bit < sizeof(unsigned) * CHAR_BIT; bit++) {
        unsigned f = 1u << bit;
        if (f & MIDATLAS_F_ALL)
            continue;
        struct midatlas *a = SENTINEL;
        assert_status(midatlas_create(&a, 64, f), MIDATLAS_EINVAL);
        assert_ptr_equal(a, SENTINEL);
        assert_status(midatlas_create(&a, 64, f | MIDATLAS_F_ALL), MIDATLAS_EINVAL);
        assert_ptr_equal(a, SENTINEL);
    }
    struct midatlas *a = SENTINEL;
    assert_status(midatlas_create(&a, 64, ~0u), MIDATLAS_EINVAL);
    assert_ptr_equal(a, SENTINEL);
}

static void create_rejects_null_out_pointer(void **state)
{
    (void)state;
    assert_status(midatlas_create(NULL, 64, 0), MIDATLAS_EINVAL);
    assert_status(midatlas_create(NULL, 0, 0), MIDATLAS_EINVAL);
}

/* Every capacity of the contract, with every flag combination: the fresh
 * atlas reports what it was created with and nothing in use. */
static void create_every_capacity_fresh_stats(void **state)
{
    (void)state;
    for (size_t c = 0; c < t_ncapacities; c++) {
        for (size_t f = 0; f < sizeof all_flags / sizeof all_flags[0]; f++) {
            uint32_t cap = t_capacities[c];
            struct ref_atlas ref;
            assert_status(ref_create(&ref, cap, all_flags[f]), MIDATLAS_OK);
            struct midatlas *a = NULL;
            assert_status(midatlas_create(&a, cap, all_flags[f]), MIDATLAS_OK);
            assert_non_null(a);
            assert_int_equal(midatlas_capacity(a), cap);

            struct midatlas_stats st;
            memset(&st, 0xA5, sizeof st);
            midatlas_stats(a, &st);
            assert_int_equal(st.capacity, cap);
            assert_int_equal(st.live, 0);
            assert_int_equal(st.discarded, 0);
            assert_int_equal(st.high_water, 0);
            assert_int_equal(st.associations, 0);
            assert_int_equal(st.full_failures, 0);
            assert_int_equal(st.usable, ref.usable);
            assert_int_equal(st.free, ref.usable);
            assert_in_range(st.stripes, 1, 16);
            /* 8 bytes a slot (32 in a spread atlas) plus at
             * most 4 KiB and the visit stamps (the header says 1.9 KiB,
             * 3.9 KiB with the rseq path's owner bytes, and stamps of
             * 1 KiB up to capacity 16384, capacity / 16 above). */
            size_t per_slot = cap <= MIDATLAS_SPREAD_MAX_CAPACITY ? 32 : 8;
            size_t stamps = cap <= 16384 ? 1024 : cap / 16;
            assert_true(st.bytes >= (size_t)cap * per_slot);
            assert_true(st.bytes <= (size_t)cap * per_slot + 4096 + stamps);
            t_assert_valid(a);
            midatlas_destroy(a, NULL, NULL);
            ref_destroy(&ref);
        }
    }
}

/* usable: reserving 0x0000 or 0xFFFF costs a slot only where a slot has one
 * MID (capacities above 32768). */
static void create_usable_counts(void **state)
{
    (void)state;
    static const struct {
        uint32_t cap;
        unsigned flags;
        uint32_t usable;
    } want[] = {
        {65536, 0, 65536},
        {65536, MIDATLAS_F_NO_ZERO, 65535},
        {65536, MIDATLAS_F_NO_FFFF, 65535},
        {65536, MIDATLAS_F_SMB1, 65534},
        {65535, MIDATLAS_F_NO_FFFF, 65535}, /* index 0xFFFF is out of range anyway */
        {65535, MIDATLAS_F_SMB1, 65534},
        {32768, MIDATLAS_F_SMB1, 32768},    /* one generation bit: two MIDs a slot */
        {1, MIDATLAS_F_SMB1, 1},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct midatlas *a = NULL;
        struct midatlas_stats st;
        assert_status(midatlas_create(&a, want[i].cap, want[i].flags), MIDATLAS_OK);
        midatlas_stats(a, &st);
        assert_int_equal(st.usable, want[i].usable);
        midatlas_destroy(a, NULL, NULL);
    }
}

struct visit_log {
    size_t calls;
    void *arg_seen;
    uint16_t mids[64];
    void *ctxs[64];
};

static void record_visit(void *ctx, uint16_t mid, void *arg)
{
    struct visit_log *log = arg;
    log->arg_seen = arg;
    if (log->calls < 64) {
        log->mids[log->calls] = mid;
        log->ctxs[log->calls] = ctx;
    }
    log->calls++;
}

static void destroy_without_visitor(void **state)
{
    (void)state;
    struct midatlas *a;
    uint16_t mid;
    assert_status(midatlas_create(&a, 8, 0), MIDATLAS_OK);
    for (int i = 0; i < 5; i++)
        assert_status(midatlas_associate(a, tctx(i), &mid), MIDATLAS_OK);
    assert_status(midatlas_discard(a, mid, NULL), MIDATLAS_OK);
    midatlas_destroy(a, NULL, NULL); /* ASan/valgrind check it frees all */
    midatlas_destroy(NULL, record_visit, NULL); /* no-op */
}

/* destroy visits every live context exactly once, with its MID, and no
 * tombstone or dissociated context. */
static void destroy_visits_each_live_once(void **state)
{
    (void)state;
    struct midatlas *a;
    uint16_t mids[20];
    assert_status(midatlas_create(&a, 32, 0), MIDATLAS_OK);
    for (int i = 0; i < 20; i++)
        assert_status(midatlas_associate(a, tctx(i), &mids[i]), MIDATLAS_OK);
    for (int i = 0; i < 20; i += 4)
        assert_status(midatlas_dissociate(a, mids[i], NULL), MIDATLAS_OK); /* 0,4,..16 */
    for (int i = 1; i < 20; i += 4)
        assert_status(midatlas_discard(a, mids[i], NULL), MIDATLAS_OK); /* 1,5,..17 */
    assert_status(midatlas_reassociate(a, mids[2], tctx(100), NULL), MIDATLAS_OK);

    struct visit_log log = {0};
    midatlas_destroy(a, record_visit, &log);
    assert_int_equal(log.calls, 10);
    assert_ptr_equal(log.arg_seen, &log);
    bool seen[20] = {false};
    for (size_t k = 0; k < log.calls; k++) {
        int i = -1;
        for (int j = 0; j < 20; j++)
            if (mids[j] == log.mids[k])
                i = j;
        assert_true(i >= 0);
        assert_true(i % 4 == 2 || i % 4 == 3);
        assert_false(seen[i]);
        seen[i] = true;
        assert_ptr_equal(log.ctxs[k], i == 2 ? tctx(100) : tctx(i));
    }
}

static void capacity_of_null_is_zero(void **state)
{
    (void)state;
    assert_int_equal(midatlas_capacity(NULL), 0);
}

static void null_atlas_is_harmless(void **state)
{
    (void)state;
    struct midatlas_stats st;
    memset(&st, 0x5A, sizeof st);
    struct midatlas_stats before = st;
    midatlas_stats(NULL, &st);
    assert_memory_equal(&st, &before, sizeof st);
    assert_null(midatlas_map(NULL, 0));
    assert_null(midatlas_map(NULL, 0xFFFF));
    assert_int_equal(midatlas_drain(NULL, record_visit, NULL), 0);

    struct midatlas *a;
    assert_status(midatlas_create(&a, 4, 0), MIDATLAS_OK);
    midatlas_stats(a, NULL); /* no-op, no fault */
    midatlas_destroy(a, NULL, NULL);
}

static void strerror_every_status(void **state)
{
    (void)state;
    static const int known[] = {
        MIDATLAS_OK,     MIDATLAS_EINVAL,     MIDATLAS_EFULL,     MIDATLAS_ERANGE,
        MIDATLAS_EFREE,  MIDATLAS_ESTALE,     MIDATLAS_EDISCARDED, MIDATLAS_EMISMATCH,
        MIDATLAS_EBUSY,  MIDATLAS_ENOMEM,     MIDATLAS_ETIMEDOUT, MIDATLAS_ECLOSED,
    };
    static const int unknown[] = {1, 2, -12, -100, 100, INT_MIN, INT_MAX};
    const size_t nk = sizeof known / sizeof known[0];
    for (size_t i = 0; i < nk; i++) {
        const char *m = midatlas_strerror(known[i]);
        assert_non_null(m);
        assert_true(strlen(m) > 0);
        /* Fixed: the same pointer or at least the same text every time. */
        assert_string_equal(m, midatlas_strerror(known[i]));
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(m, midatlas_strerror(known[j]));
    }
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *m = midatlas_strerror(unknown[i]);
        assert_non_null(m);
        assert_true(strlen(m) > 0);
        for (size_t j = 0; j < nk; j++)
            assert_string_not_equal(m, midatlas_strerror(known[j]));
    }
}

static void validate_fresh_and_used(void **state)
{
    (void)state;
    assert_status(midatlas_validate(NULL, NULL), MIDATLAS_EINVAL);
    for (size_t c = 0; c < t_ncapacities; c++) {
        uint32_t cap = t_capacities[c];
        struct midatlas *a;
        assert_status(midatlas_create(&a, cap, MIDATLAS_F_SMB1), MIDATLAS_OK);
        t_assert_valid(a);
        assert_status(midatlas_validate(a, NULL), MIDATLAS_OK);
        /* Use it: fill, empty half, discard some, release some. */
        uint32_t n = cap < 300 ? cap : 300;
        uint16_t mids[300];
        uint32_t got = 0;
        for (uint32_t i = 0; i < n; i++)
            if (midatlas_associate(a, tctx(i), &mids[got]) == MIDATLAS_OK)
                got++;
        t_assert_valid(a);
        for (uint32_t i = 0; i < got; i += 2)
            assert_status(midatlas_dissociate(a, mids[i], NULL), MIDATLAS_OK);
        for (uint32_t i = 1; i < got; i += 4)
            assert_status(midatlas_discard(a, mids[i], NULL), MIDATLAS_OK);
        t_assert_valid(a);
        for (uint32_t i = 1; i < got; i += 8)
            assert_status(midatlas_release(a, mids[i]), MIDATLAS_OK);
        t_assert_valid(a);
        midatlas_drain(a, NULL, NULL);
        t_assert_valid(a);
        midatlas_destroy(a, NULL, NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_rejects_bad_capacity),
        cmocka_unit_test(create_rejects_unknown_flags),
        cmocka_unit_test(create_rejects_null_out_pointer),
        cmocka_unit_test(create_every_capacity_fresh_stats),
        cmocka_unit_test(create_usable_counts),
        cmocka_unit_test(destroy_without_visitor),
        cmocka_unit_test(destroy_visits_each_live_once),
        cmocka_unit_test(capacity_of_null_is_zero),
        cmocka_unit_test(null_atlas_is_harmless),
        cmocka_unit_test(strerror_every_status),
        cmocka_unit_test(validate_fresh_and_used),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
