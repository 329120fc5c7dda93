/* SPDX-License-Identifier: MIT */
/*
 * guard_cases.c - translation units that include midatlas/midatlax.h after
 * their own definitions of its types, compiled (never linked) by the ctest
 * cases in CMakeLists.txt with -std=c99 -pedantic-errors -Werror, where a
 * second typedef of a name is an error even when it names the same type.
 *
 *   GUARD_WINDOWS_LIKE      the types as the Windows SDK's ntdef.h, winnt.h
 *                           and minwindef.h give them (NTSTATUS is LONG),
 *                           with their include guards: must compile.
 *   GUARD_NO_WINDOWS_TYPES  the user's types, conflicting ones included,
 *                           and MIDATLAX_NO_WINDOWS_TYPES: must compile.
 *   GUARD_CONTROL           the same types and no switch: must NOT compile
 *                           (the ctest case has WILL_FAIL).  It shows that
 *                           the two cases above pass because of the guards,
 *                           not because the compiler lets redefinitions by.
 *
 * Each case includes the header twice.  Written for this test from the
 * documented shape of the Windows headers, not copied from them.
 */
#if defined(GUARD_WINDOWS_LIKE)
#define BASETYPES
typedef unsigned short USHORT;
typedef USHORT *PUSHORT;
#define _WINNT_
#define VOID void
typedef void *PVOID;
#define _NTDEF_
typedef long LONG;
typedef LONG NTSTATUS;
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#define STATUS_UNSUCCESSFUL ((NTSTATUS)0xC0000001L)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009AL)

#elif defined(GUARD_NO_WINDOWS_TYPES) || defined(GUARD_CONTROL)
typedef unsigned short USHORT;
typedef USHORT *PUSHORT;
typedef void *PVOID;
typedef long NTSTATUS; /* conflicts with midatlax.h's int32_t on LP64 */
#define STATUS_SUCCESS 0
#if defined(GUARD_NO_WINDOWS_TYPES)
#define MIDATLAX_NO_WINDOWS_TYPES
#endif

#else
#error "define one GUARD_* case"
#endif

#include "midatlas/midatlax.h"
#include "midatlas/midatlax.h"

/* Use every name, so a missing or misdeclared one is also an error. */
NTSTATUS guard_case_use(PRX_MID_ATLAS a, PCONTEXT_DESTRUCTOR d, PCONTEXT_ITERATOR it);

NTSTATUS guard_case_use(PRX_MID_ATLAS a, PCONTEXT_DESTRUCTOR d, PCONTEXT_ITERATOR it)
{
    USHORT mid = RxGetMaximumNumberOfMids(a);
    PUSHORT pmid = &mid;
    PVOID ctx = RxMapMidToContext(a, *pmid);

    RxIterateMidAtlasAndRemove(a, it);
    if (RxGetNumberOfMidsInUse(a) != 0)
        return STATUS_UNSUCCESSFUL;
    if (RxAssociateContextWithMid(a, ctx, pmid) == STATUS_INSUFFICIENT_RESOURCES)
        return STATUS_INVALID_PARAMETER;
    if (RxReassociateMid(a, mid, ctx) != STATUS_SUCCESS)
        return RxMapAndDissociateMidFromContext(a, mid, &ctx);
    RxDestroyMidAtlas(a, d);
    return RxCreateMidAtlas(1, 1) ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}
