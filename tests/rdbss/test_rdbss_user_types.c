/* SPDX-License-Identifier: MIT */
/*
 * test_rdbss_user_types.c - a program whose own headers already define the
 * Windows types and statuses includes midatlas/midatlax.h, twice, and uses it.
 *
 * Built as C99 with -pedantic-errors (CMakeLists.txt), where defining a
 * typedef a second time is an error even when the type is the same: so this
 * file compiles only if every type switch of midatlax.h works.  The STATUS_*
 * codes below are spelled differently from midatlax.h's, so redefining any of
 * them would be an error too.
 */

/* ---- what a user's own header (or a Windows header) already provides ---- */
typedef unsigned short USHORT;
typedef USHORT *PUSHORT;
typedef void *PVOID;
#define VOID void
typedef int NTSTATUS;
typedef VOID (*PCONTEXT_DESTRUCTOR)(PVOID);
typedef VOID (*PCONTEXT_ITERATOR)(PVOID);
struct midatlas;
typedef struct midatlas RX_MID_ATLAS, *PRX_MID_ATLAS;
#define STATUS_SUCCESS 0
#define STATUS_UNSUCCESSFUL ((NTSTATUS)0xC0000001)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000D)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009A)

/* ---- the switches midatlax.h documents ---- */
#define MIDATLAX_HAVE_USHORT
#define MIDATLAX_HAVE_PVOID
#define MIDATLAX_HAVE_NTSTATUS
#define MIDATLAX_HAVE_CONTEXT_FNS
#define MIDATLAX_HAVE_PRX_MID_ATLAS

#include "midatlas/midatlax.h"
#include "midatlas/midatlax.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static int destroyed;

static VOID count(PVOID ctx)
{
    (void)ctx;
    destroyed++;
}

/* The routines declared with the user's types link against the library and
 * give the documented results. */
static void test_routines_with_user_types(void **state)
{
    PRX_MID_ATLAS a = RxCreateMidAtlas(2, 0);
    int r1, r2, r3;
    USHORT m1, m2, m3 = 0x1111;
    PVOID ctx;

    (void)state;
    assert_non_null(a);
    assert_int_equal(RxAssociateContextWithMid(a, &r1, &m1), STATUS_SUCCESS);
    assert_int_equal(RxAssociateContextWithMid(a, &r2, &m2), STATUS_SUCCESS);
    assert_int_equal(RxAssociateContextWithMid(a, &r3, &m3), STATUS_UNSUCCESSFUL);
    assert_int_equal(m3, 0x1111);
    assert_int_equal(RxGetNumberOfMidsInUse(a), 2);
    assert_int_equal(RxGetMaximumNumberOfMids(a), 2);
    assert_ptr_equal(RxMapMidToContext(a, m1), &r1);
    assert_int_equal(RxReassociateMid(a, m1, &r3), STATUS_SUCCESS);
    assert_int_equal(RxReassociateMid(a, m1, NULL), STATUS_INVALID_PARAMETER);
    assert_int_equal(RxMapAndDissociateMidFromContext(a, m2, &ctx), STATUS_SUCCESS);
    assert_ptr_equal(ctx, &r2);
    assert_int_equal(RxMapAndDissociateMidFromContext(a, m2, &ctx), STATUS_SUCCESS);
    assert_null(ctx);
    RxDestroyMidAtlas(a, count);
    assert_int_equal(destroyed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routines_with_user_types),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
