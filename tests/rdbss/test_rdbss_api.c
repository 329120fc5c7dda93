/* SPDX-License-Identifier: MIT */
/*
 * test_rdbss_api.c - every RDBSS routine and macro of midatlas/midatlax.h,
 * single-threaded: each documented result, the documented oddities, NULL
 * arguments, full atlases, and Maximum 1 and 65535.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "midatlas.h"
#include "midatlas/midatlax.h"

/* A request context that records what the atlas did with it. */
struct req {
    USHORT mid;
    int destroyed; /* times the destructor saw it */
    int iterated;  /* times the iterator saw it  */
};

/* The atlas the iterator checks against (callbacks get only the context). */
static PRX_MID_ATLAS iterating_atlas;
static int iterator_saw_mapped;

static VOID count_destroy(PVOID ctx)
{
    ((struct req *)ctx)->destroyed++;
}

static VOID count_iterate(PVOID ctx)
{
    struct req *r = ctx;

    r->iterated++;
    /* Documented order: the MID is dissociated before the iterator runs. */
    if (RxMapMidToContext(iterating_atlas, r->mid) != NULL)
        iterator_saw_mapped++;
}

/* Associate reqs[0..n) and check each succeeds with a distinct MID. */
static void associate_all(PRX_MID_ATLAS a, struct req *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        USHORT mid = 0x1234;

        assert_int_equal(RxAssociateContextWithMid(a, &reqs[i], &mid), STATUS_SUCCESS);
        reqs[i].mid = mid;
    }
}

/* ------------------------------- statuses -------------------------------- */

static void test_status_values(void **state)
{
    (void)state;
    assert_int_equal(STATUS_SUCCESS, 0);
    assert_true((uint32_t)STATUS_UNSUCCESSFUL == 0xC0000001u);
    assert_true((uint32_t)STATUS_INVALID_PARAMETER == 0xC000000Du);
    assert_true((uint32_t)STATUS_INSUFFICIENT_RESOURCES == 0xC000009Au);
    /* NT_SUCCESS(s) is s >= 0: the errors must be negative NTSTATUS values. */
    assert_true(STATUS_UNSUCCESSFUL < 0 && STATUS_INVALID_PARAMETER < 0);
    assert_int_equal(sizeof(NTSTATUS), 4);
    assert_int_equal(sizeof(USHORT), 2);
}

/* -------------------------------- create --------------------------------- */

static void test_create_zero_maximum_is_null(void **state)
{
    (void)state;
    assert_null(RxCreateMidAtlas(0, 0));
    assert_null(RxCreateMidAtlas(0, 10));
}

/* InitialAllocation is only a hint: 0 and values above Maximum give an atlas
 * that still holds exactly Maximum MIDs. */
static void test_create_initial_allocation_is_a_hint(void **state)
{
    const USHORT initials[] = { 0, 1, 4, 5, 1000, 65535 };

    (void)state;
    for (size_t k = 0; k < sizeof(initials) / sizeof(initials[0]); k++) {
        struct req reqs[5];
        PRX_MID_ATLAS a = RxCreateMidAtlas(5, initials[k]);
        USHORT mid = 0x4242;

        assert_non_null(a);
        assert_int_equal(RxGetMaximumNumberOfMids(a), 5);
        associate_all(a, reqs, 5);
        assert_int_equal(RxAssociateContextWithMid(a, &mid, &mid), STATUS_UNSUCCESSFUL);
        assert_int_equal(mid, 0x4242);
        RxDestroyMidAtlas(a, NULL);
    }
}

/* ------------------------- associate / full atlas ------------------------ */

/* Fill an atlas of `max`: every associate succeeds with a distinct MID that
 * maps back to its context, the next one fails at once with
 * STATUS_UNSUCCESSFUL leaving *NewMid alone, and freeing one MID makes room
 * for exactly one more. */
static void check_full_atlas(USHORT max)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(max, max);
    struct req *reqs = calloc(max, sizeof(*reqs));
    unsigned char *seen = calloc(65536, 1);
    struct req extra;
    USHORT mid = 0x5A5A;
    PVOID ctx = NULL;

    assert_non_null(a);
    assert_non_null(reqs);
    assert_non_null(seen);
    associate_all(a, reqs, max);
    for (size_t i = 0; i < max; i++) {
        assert_int_equal(seen[reqs[i].mid], 0);
        seen[reqs[i].mid] = 1;
        assert_int_not_equal(reqs[i].mid, 0xFFFF);
        assert_ptr_equal(RxMapMidToContext(a, reqs[i].mid), &reqs[i]);
    }
    assert_int_equal(RxGetNumberOfMidsInUse(a), max);
    assert_int_equal(RxGetMaximumNumberOfMids(a), max);

    assert_int_equal(RxAssociateContextWithMid(a, &extra, &mid), STATUS_UNSUCCESSFUL);
    assert_int_equal(mid, 0x5A5A);
    assert_int_equal(RxGetNumberOfMidsInUse(a), max);

    assert_int_equal(RxMapAndDissociateMidFromContext(a, reqs[max / 2].mid, &ctx), STATUS_SUCCESS);
    assert_ptr_equal(ctx, &reqs[max / 2]);
    assert_int_equal(RxAssociateContextWithMid(a, &extra, &mid), STATUS_SUCCESS);
    assert_ptr_equal(RxMapMidToContext(a, mid), &extra);
    assert_int_equal(RxAssociateContextWithMid(a, &extra, &mid), STATUS_UNSUCCESSFUL);

    RxDestroyMidAtlas(a, NULL);
    free(seen);
    free(reqs);
}

static void test_full_atlas_small(void **state)
{
    (void)state;
    check_full_atlas(1);
    check_full_atlas(2);
    check_full_atlas(3);
    check_full_atlas(50);
    check_full_atlas(64);
    check_full_atlas(32768);
}

static void test_full_atlas_max_1(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(1, 1);
    struct req r1, r2;
    USHORT m1, m2 = 0x7777;
    PVOID ctx;

    (void)state;
    assert_non_null(a);
    assert_int_equal(RxAssociateContextWithMid(a, &r1, &m1), STATUS_SUCCESS);
    assert_int_equal(RxAssociateContextWithMid(a, &r2, &m2), STATUS_UNSUCCESSFUL);
    assert_int_equal(m2, 0x7777);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 1);
    assert_int_equal(RxMapAndDissociateMidFromContext(a, m1, &ctx), STATUS_SUCCESS);
    assert_ptr_equal(ctx, &r1);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 0);
    assert_int_equal(RxAssociateContextWithMid(a, &r2, &m2), STATUS_SUCCESS);
    assert_ptr_equal(RxMapMidToContext(a, m2), &r2);
    RxDestroyMidAtlas(a, NULL);
}

/* Maximum 65535, the largest a USHORT allows: all 65535 MIDs can be live at
 * once, and (no generation bits left) they are exactly 0x0000..0xFFFE, as
 * in the original: 0x0000 is handed out, 0xFFFF never. */
static void test_full_atlas_max_65535(void **state)
{
    (void)state;
    check_full_atlas(65535);

    PRX_MID_ATLAS a = RxCreateMidAtlas(65535, 0);
    struct req *reqs = calloc(65535, sizeof(*reqs));
    int have_zero = 0;

    assert_non_null(a);
    assert_non_null(reqs);
    associate_all(a, reqs, 65535);
    for (size_t i = 0; i < 65535; i++)
        have_zero |= reqs[i].mid == 0;
    assert_true(have_zero);
    assert_null(RxMapMidToContext(a, 0xFFFF));
    RxDestroyMidAtlas(a, NULL);
    free(reqs);
}

/* 0xFFFF (SMB1's oplock-break MID) is never handed out, even at a
 * power-of-two Maximum where it is a valid slot and generation: run both
 * slots of a 2-MID atlas through every generation. */
static void test_ffff_never_handed_out(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(2, 2);
    struct req r[2];
    PVOID ctx;

    (void)state;
    assert_non_null(a);
    for (int round = 0; round < 2 * 32768 + 16; round++) {
        associate_all(a, r, 2);
        for (int i = 0; i < 2; i++) {
            assert_int_not_equal(r[i].mid, 0xFFFF);
            assert_int_equal(RxMapAndDissociateMidFromContext(a, r[i].mid, &ctx), STATUS_SUCCESS);
            assert_ptr_equal(ctx, &r[i]);
        }
    }
    RxDestroyMidAtlas(a, NULL);
}

static void test_associate_bad_arguments(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(4, 0);
    struct req r;
    USHORT mid = 0x3333;

    (void)state;
    assert_non_null(a);
    assert_int_equal(RxAssociateContextWithMid(a, NULL, &mid), STATUS_INVALID_PARAMETER);
    assert_int_equal(mid, 0x3333);
    assert_int_equal(RxAssociateContextWithMid(a, &r, NULL), STATUS_INVALID_PARAMETER);
    assert_int_equal(RxAssociateContextWithMid(NULL, &r, &mid), STATUS_INVALID_PARAMETER);
    assert_int_equal(mid, 0x3333);
#if UINTPTR_MAX > 0xFFFFFFFFFFFFu
    /* midatlas stores 48-bit contexts; a wider one is refused, not cut. */
    assert_int_equal(RxAssociateContextWithMid(a, (PVOID)(uintptr_t)(UINT64_C(1) << 48), &mid),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(mid, 0x3333);
#endif
    /* Nothing was associated by any of the failures. */
    assert_int_equal(RxGetNumberOfMidsInUse(a), 0);
    for (uint32_t m = 0; m < 65536; m++)
        assert_null(RxMapMidToContext(a, (USHORT)m));
    RxDestroyMidAtlas(a, NULL);
}

/* ---------------------------------- map ---------------------------------- */

/* Every 16-bit value maps to NULL except the live MIDs, which map to their
 * own contexts. */
static void test_map_every_value(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(50, 8);
    struct req reqs[20];
    unsigned char *owner = calloc(65536, 1);

    (void)state;
    assert_non_null(a);
    assert_non_null(owner);
    for (uint32_t m = 0; m < 65536; m++)
        assert_null(RxMapMidToContext(a, (USHORT)m));
    associate_all(a, reqs, 20);
    for (int i = 0; i < 20; i++)
        owner[reqs[i].mid] = (unsigned char)(i + 1);
    for (uint32_t m = 0; m < 65536; m++) {
        if (owner[m])
            assert_ptr_equal(RxMapMidToContext(a, (USHORT)m), &reqs[owner[m] - 1]);
        else
            assert_null(RxMapMidToContext(a, (USHORT)m));
    }
    assert_null(RxMapMidToContext(NULL, reqs[0].mid));
    RxDestroyMidAtlas(a, NULL);
    free(owner);
}

/* A late reply carrying the MID of a finished request maps to NULL, not to
 * the request that now holds the same slot (midatlas's generation bits). */
static void test_map_stale_mid_is_null(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(1, 1);
    struct req old, cur;
    USHORT old_mid, cur_mid;
    PVOID ctx;

    (void)state;
    assert_non_null(a);
    assert_int_equal(RxAssociateContextWithMid(a, &old, &old_mid), STATUS_SUCCESS);
    assert_int_equal(RxMapAndDissociateMidFromContext(a, old_mid, &ctx), STATUS_SUCCESS);
    assert_int_equal(RxAssociateContextWithMid(a, &cur, &cur_mid), STATUS_SUCCESS);
    assert_int_not_equal(old_mid, cur_mid);
    assert_null(RxMapMidToContext(a, old_mid));
    assert_ptr_equal(RxMapMidToContext(a, cur_mid), &cur);
    /* The stale MID can neither take nor replace the current context. */
    assert_int_equal(RxMapAndDissociateMidFromContext(a, old_mid, &ctx), STATUS_SUCCESS);
    assert_null(ctx);
    assert_int_equal(RxReassociateMid(a, old_mid, &old), STATUS_INVALID_PARAMETER);
    assert_ptr_equal(RxMapMidToContext(a, cur_mid), &cur);
    RxDestroyMidAtlas(a, NULL);
}

/* --------------------------- map and dissociate --------------------------- */

static void test_map_and_dissociate_live(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(8, 8);
    struct req reqs[3];
    PVOID ctx = NULL;

    (void)state;
    assert_non_null(a);
    associate_all(a, reqs, 3);
    assert_int_equal(RxMapAndDissociateMidFromContext(a, reqs[1].mid, &ctx), STATUS_SUCCESS);
    assert_ptr_equal(ctx, &reqs[1]);
    assert_null(RxMapMidToContext(a, reqs[1].mid));
    assert_ptr_equal(RxMapMidToContext(a, reqs[0].mid), &reqs[0]);
    assert_ptr_equal(RxMapMidToContext(a, reqs[2].mid), &reqs[2]);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 2);
    RxDestroyMidAtlas(a, NULL);
}

/* The documented oddity: a MID without a context (never handed out, already
 * dissociated, any other wire value) gives STATUS_SUCCESS and NULL, and
 * nothing changes. */
static void test_map_and_dissociate_unknown_is_success_and_null(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(50, 0);
    struct req reqs[10];
    unsigned char *live = calloc(65536, 1);
    PVOID ctx;

    (void)state;
    assert_non_null(a);
    assert_non_null(live);
    associate_all(a, reqs, 10);
    for (int i = 0; i < 10; i++)
        live[reqs[i].mid] = 1;

    for (uint32_t m = 0; m < 65536; m++) {
        if (live[m])
            continue;
        ctx = &ctx; /* must be overwritten with NULL */
        assert_int_equal(RxMapAndDissociateMidFromContext(a, (USHORT)m, &ctx), STATUS_SUCCESS);
        assert_null(ctx);
    }
    assert_int_equal(RxGetNumberOfMidsInUse(a), 10);
    for (int i = 0; i < 10; i++)
        assert_ptr_equal(RxMapMidToContext(a, reqs[i].mid), &reqs[i]);

    /* Twice on the same MID: the second finds nothing. */
    assert_int_equal(RxMapAndDissociateMidFromContext(a, reqs[3].mid, &ctx), STATUS_SUCCESS);
    assert_ptr_equal(ctx, &reqs[3]);
    ctx = &ctx;
    assert_int_equal(RxMapAndDissociateMidFromContext(a, reqs[3].mid, &ctx), STATUS_SUCCESS);
    assert_null(ctx);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 9);
    RxDestroyMidAtlas(a, NULL);
    free(live);
}

static void test_map_and_dissociate_null_arguments(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(4, 0);
    struct req r;
    USHORT mid;
    PVOID ctx = &ctx;

    (void)state;
    assert_non_null(a);
    assert_int_equal(RxAssociateContextWithMid(a, &r, &mid), STATUS_SUCCESS);
    /* NULL ContextPointer: refused, and the MID keeps its context. */
    assert_int_equal(RxMapAndDissociateMidFromContext(a, mid, NULL), STATUS_INVALID_PARAMETER);
    assert_ptr_equal(RxMapMidToContext(a, mid), &r);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 1);
    /* NULL atlas: an atlas with nothing in it. */
    assert_int_equal(RxMapAndDissociateMidFromContext(NULL, mid, &ctx), STATUS_SUCCESS);
    assert_null(ctx);
    RxDestroyMidAtlas(a, NULL);
}

/* ------------------------------- reassociate ------------------------------ */

static void test_reassociate_live(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(3, 3);
    struct req reqs[3], waiter;
    USHORT mid = 0;
    PVOID ctx;

    (void)state;
    assert_non_null(a);
    associate_all(a, reqs, 3);
    /* The hand-over: a finishing request's MID goes to a waiter and is never
     * free in between, so a full atlas stays full. */
    assert_int_equal(RxReassociateMid(a, reqs[0].mid, &waiter), STATUS_SUCCESS);
    assert_ptr_equal(RxMapMidToContext(a, reqs[0].mid), &waiter);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 3);
    assert_int_equal(RxAssociateContextWithMid(a, &reqs[0], &mid), STATUS_UNSUCCESSFUL);
    assert_ptr_equal(RxMapMidToContext(a, reqs[1].mid), &reqs[1]);
    assert_int_equal(RxMapAndDissociateMidFromContext(a, reqs[0].mid, &ctx), STATUS_SUCCESS);
    assert_ptr_equal(ctx, &waiter);
    RxDestroyMidAtlas(a, NULL);
}

static void test_reassociate_without_context_changes_nothing(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(8, 8);
    struct req r, other;
    USHORT mid;
    PVOID ctx;

    (void)state;
    assert_non_null(a);
    /* Every MID of an empty atlas has no context, and stays without one. */
    for (uint32_t m = 0; m < 65536; m++)
        assert_int_equal(RxReassociateMid(a, (USHORT)m, &other), STATUS_INVALID_PARAMETER);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 0);

    assert_int_equal(RxAssociateContextWithMid(a, &r, &mid), STATUS_SUCCESS);
    /* NULL NewContext: refused, the old context stays. */
    assert_int_equal(RxReassociateMid(a, mid, NULL), STATUS_INVALID_PARAMETER);
    assert_ptr_equal(RxMapMidToContext(a, mid), &r);
#if UINTPTR_MAX > 0xFFFFFFFFFFFFu
    assert_int_equal(RxReassociateMid(a, mid, (PVOID)(uintptr_t)(UINT64_C(1) << 48)),
                     STATUS_INVALID_PARAMETER);
    assert_ptr_equal(RxMapMidToContext(a, mid), &r);
#endif
    /* After dissociation the MID has no context: refused, not revived. */
    assert_int_equal(RxMapAndDissociateMidFromContext(a, mid, &ctx), STATUS_SUCCESS);
    assert_int_equal(RxReassociateMid(a, mid, &other), STATUS_INVALID_PARAMETER);
    assert_null(RxMapMidToContext(a, mid));
    assert_int_equal(RxGetNumberOfMidsInUse(a), 0);
    assert_int_equal(RxReassociateMid(NULL, mid, &other), STATUS_INVALID_PARAMETER);
    RxDestroyMidAtlas(a, NULL);
}

/* ---------------------------- iterate and remove --------------------------- */

static void test_iterate_and_remove(void **state)
{
    enum { MAX = 16 };
    PRX_MID_ATLAS a = RxCreateMidAtlas(MAX, 4);
    struct req reqs[MAX], again[MAX];
    PVOID ctx;

    (void)state;
    assert_non_null(a);
    memset(reqs, 0, sizeof(reqs));
    associate_all(a, reqs, MAX);
    /* Finish some requests first: they must not reach the iterator. */
    for (int i = 0; i < MAX; i += 3)
        assert_int_equal(RxMapAndDissociateMidFromContext(a, reqs[i].mid, &ctx), STATUS_SUCCESS);

    iterating_atlas = a;
    iterator_saw_mapped = 0;
    RxIterateMidAtlasAndRemove(a, count_iterate);
    for (int i = 0; i < MAX; i++) {
        assert_int_equal(reqs[i].iterated, i % 3 == 0 ? 0 : 1);
        assert_null(RxMapMidToContext(a, reqs[i].mid));
    }
    assert_int_equal(iterator_saw_mapped, 0);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 0);

    /* Still usable, to its full size; a second pass finds nothing left. */
    RxIterateMidAtlasAndRemove(a, count_iterate);
    for (int i = 0; i < MAX; i++)
        assert_int_equal(reqs[i].iterated, i % 3 == 0 ? 0 : 1);
    memset(again, 0, sizeof(again));
    associate_all(a, again, MAX);
    for (int i = 0; i < MAX; i++)
        assert_ptr_equal(RxMapMidToContext(a, again[i].mid), &again[i]);
    assert_int_equal(RxGetNumberOfMidsInUse(a), MAX);

    /* A NULL iterator drops the contexts and still empties the atlas. */
    RxIterateMidAtlasAndRemove(a, NULL);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 0);
    for (int i = 0; i < MAX; i++)
        assert_int_equal(again[i].iterated, 0);
    RxIterateMidAtlasAndRemove(NULL, count_iterate);
    RxDestroyMidAtlas(a, count_destroy);
    for (int i = 0; i < MAX; i++)
        assert_int_equal(again[i].destroyed, 0);
}

/* --------------------------------- destroy -------------------------------- */

static void test_destroy_calls_destructor_once_per_live_context(void **state)
{
    enum { MAX = 40 };
    PRX_MID_ATLAS a = RxCreateMidAtlas(MAX, MAX);
    struct req reqs[MAX + 1];
    PVOID ctx;

    (void)state;
    assert_non_null(a);
    memset(reqs, 0, sizeof(reqs));
    associate_all(a, reqs, MAX);
    for (int i = 0; i < MAX; i += 4)
        assert_int_equal(RxMapAndDissociateMidFromContext(a, reqs[i].mid, &ctx), STATUS_SUCCESS);
    /* A reassociated MID's destructor call goes to its new context only. */
    assert_int_equal(RxReassociateMid(a, reqs[1].mid, &reqs[MAX]), STATUS_SUCCESS);
    RxDestroyMidAtlas(a, count_destroy);
    for (int i = 0; i < MAX; i++)
        assert_int_equal(reqs[i].destroyed, (i % 4 == 0 || i == 1) ? 0 : 1);
    assert_int_equal(reqs[MAX].destroyed, 1);
}

static void test_destroy_null_destructor_and_null_atlas(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(4, 1);
    struct req reqs[4];

    (void)state;
    assert_non_null(a);
    associate_all(a, reqs, 4);
    RxDestroyMidAtlas(a, NULL); /* leaks nothing under ASan */
    RxDestroyMidAtlas(NULL, count_destroy);
    RxDestroyMidAtlas(NULL, NULL);
}

/* ------------------------- midatlas calls on it -------------------------- */

/* An RDBSS atlas is a midatlas atlas: a request abandoned with
 * midatlas_discard is a tombstone, not in use, mapping to NULL, holding its
 * MID until iterate-and-remove (midatlas_drain) releases it. */
static void test_midatlas_tombstone_on_rdbss_atlas(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(2, 2);
    struct req reqs[2], more[2];
    void *ctx = NULL;
    USHORT mid = 0x2222;

    (void)state;
    assert_non_null(a);
    memset(reqs, 0, sizeof(reqs));
    associate_all(a, reqs, 2);
    assert_int_equal(midatlas_discard(a, reqs[0].mid, &ctx), MIDATLAS_OK);
    assert_ptr_equal(ctx, &reqs[0]);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 1);
    assert_null(RxMapMidToContext(a, reqs[0].mid));
    assert_int_equal(RxReassociateMid(a, reqs[0].mid, &more[0]), STATUS_INVALID_PARAMETER);
    assert_int_equal(RxAssociateContextWithMid(a, &more[0], &mid), STATUS_UNSUCCESSFUL);
    assert_int_equal(mid, 0x2222);

    iterating_atlas = a;
    RxIterateMidAtlasAndRemove(a, count_iterate);
    assert_int_equal(reqs[0].iterated, 0);
    assert_int_equal(reqs[1].iterated, 1);
    associate_all(a, more, 2); /* the tombstone's MID is free again */
    RxDestroyMidAtlas(a, NULL);
}

/* A closed atlas has no MID for anyone: STATUS_UNSUCCESSFUL, as for a full
 * one, not STATUS_INVALID_PARAMETER (the arguments are fine; midatlas_close
 * on an RDBSS atlas once made them look wrong).  *NewMid stays untouched,
 * and the MIDs in flight still complete. */
static void test_closed_atlas_is_unsuccessful(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(4, 4);
    struct req reqs[1], more;
    USHORT mid = 0x3333;
    void *ctx = NULL;

    (void)state;
    assert_non_null(a);
    memset(reqs, 0, sizeof(reqs));
    associate_all(a, reqs, 1);
    assert_int_equal(midatlas_close(a), MIDATLAS_OK);
    assert_int_equal(RxAssociateContextWithMid(a, &more, &mid), STATUS_UNSUCCESSFUL);
    assert_int_equal(mid, 0x3333);
    assert_int_equal(RxMapAndDissociateMidFromContext(a, reqs[0].mid, &ctx), STATUS_SUCCESS);
    assert_ptr_equal(ctx, &reqs[0]);
    RxDestroyMidAtlas(a, NULL);
}

/* --------------------------------- macros --------------------------------- */

static void test_macros(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(7, 2);
    struct req reqs[7];
    PVOID ctx;

    (void)state;
    assert_non_null(a);
    assert_int_equal(RxGetMaximumNumberOfMids(a), 7);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 0);
    for (int i = 0; i < 7; i++) {
        associate_all(a, &reqs[i], 1);
        assert_int_equal(RxGetNumberOfMidsInUse(a), i + 1);
    }
    assert_int_equal(RxReassociateMid(a, reqs[0].mid, &reqs[1]), STATUS_SUCCESS);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 7);
    assert_int_equal(RxMapAndDissociateMidFromContext(a, reqs[6].mid, &ctx), STATUS_SUCCESS);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 6);
    RxIterateMidAtlasAndRemove(a, NULL);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 0);
    assert_int_equal(RxGetMaximumNumberOfMids(a), 7);
    RxDestroyMidAtlas(a, NULL);

    a = RxCreateMidAtlas(65535, 0);
    assert_non_null(a);
    assert_int_equal(RxGetMaximumNumberOfMids(a), 65535);
    RxDestroyMidAtlas(a, NULL);

    assert_int_equal(RxGetMaximumNumberOfMids(NULL), 0);
    assert_int_equal(RxGetNumberOfMidsInUse(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_values),
        cmocka_unit_test(test_create_zero_maximum_is_null),
        cmocka_unit_test(test_create_initial_allocation_is_a_hint),
        cmocka_unit_test(test_full_atlas_small),
        cmocka_unit_test(test_full_atlas_max_1),
        cmocka_unit_test(test_full_atlas_max_65535),
        cmocka_unit_test(test_ffff_never_handed_out),
        cmocka_unit_test(test_associate_bad_arguments),
        cmocka_unit_test(test_map_every_value),
        cmocka_unit_test(test_map_stale_mid_is_null),
        cmocka_unit_test(test_map_and_dissociate_live),
        cmocka_unit_test(test_map_and_dissociate_unknown_is_success_and_null),
        cmocka_unit_test(test_map_and_dissociate_null_arguments),
        cmocka_unit_test(test_reassociate_live),
        cmocka_unit_test(test_reassociate_without_context_changes_nothing),
        cmocka_unit_test(test_iterate_and_remove),
        cmocka_unit_test(test_destroy_calls_destructor_once_per_live_context),
        cmocka_unit_test(test_destroy_null_destructor_and_null_atlas),
        cmocka_unit_test(test_midatlas_tombstone_on_rdbss_atlas),
        cmocka_unit_test(test_closed_atlas_is_unsuccessful),
        cmocka_unit_test(test_macros),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
