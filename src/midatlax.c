/* SPDX-License-Identifier: MIT */
/*
 * midatlax.c - the Windows RDBSS MID atlas routines on top of midatlas.
 *
 * An RDBSS atlas is a midatlas atlas (PRX_MID_ATLAS is struct midatlas *),
 * and each routine is one midatlas call plus a translation of its status
 * into the NTSTATUS the RDBSS documentation gives (midatlas/midatlax.h has
 * the table and the reasons).  Thread safety comes entirely from midatlas:
 * this file keeps no state of its own, so it needs no lock and adds no
 * atomic operation.
 */
#include "midatlas/midatlax.h"

#include "midatlas.h"

/* The library is compiled with these; a user who supplies the Windows types
 * must supply the same sizes (midatlax.h, "Types and Windows headers"). */
_Static_assert(sizeof(USHORT) == sizeof(uint16_t), "USHORT must be 16 bits");
_Static_assert(sizeof(NTSTATUS) == sizeof(int32_t), "NTSTATUS must be 32 bits");

/* RDBSS MIDs are slot positions below a USHORT maximum: 0x0000 is a valid
 * MID and 0xFFFF never is.  Reserving 0xFFFF keeps that without costing a
 * slot at any capacity up to 65535 (midatlax.h, "Flags"). */
#define MIDATLAX_FLAGS MIDATLAS_F_NO_FFFF

/* midatlas visitors take (ctx, mid, arg); the RDBSS callbacks take only the
 * context.  A function pointer cannot travel through `void *arg` in ISO C, so
 * it travels inside this struct. */
struct rdbss_callback {
    PCONTEXT_ITERATOR fn; /* PCONTEXT_DESTRUCTOR has the same shape */
};

static void call_rdbss_callback(void *ctx, uint16_t mid, void *arg)
{
    const struct rdbss_callback *cb = arg;

    (void)mid;
    cb->fn(ctx);
}

PRX_MID_ATLAS RxCreateMidAtlas(USHORT MaximumNumberOfEntries, USHORT InitialAllocation)
{
    struct midatlas *atlas;

    /* The original grew its table lazily from InitialAllocation (clamped to
     * the maximum) up to the maximum.  midatlas allocates every slot up front,
     * so the hint has nothing left to size: any value, 0 or above the
     * maximum included, gives the same atlas. */
    (void)InitialAllocation;

    /* EINVAL for Maximum 0, ENOMEM: both are NULL here. */
    if (midatlas_create(&atlas, MaximumNumberOfEntries, MIDATLAX_FLAGS) != MIDATLAS_OK)
        return NULL;
    return atlas;
}

VOID RxDestroyMidAtlas(PRX_MID_ATLAS MidAtlas, PCONTEXT_DESTRUCTOR ContextDestructor)
{
    struct rdbss_callback cb = { ContextDestructor };

    /* midatlas_destroy is a no-op for NULL. */
    midatlas_destroy(MidAtlas, ContextDestructor ? call_rdbss_callback : NULL, &cb);
}

VOID RxIterateMidAtlasAndRemove(PRX_MID_ATLAS MidAtlas, PCONTEXT_ITERATOR ContextIterator)
{
    struct rdbss_callback cb = { ContextIterator };

    /* drain dissociates each MID (one CAS it must win) before it calls the
     * visitor, which is the documented order: the iterator may free the
     * context.  It may also associate it again, but that new association
     * may be removed in the same walk and handed to the iterator once more
     * (midatlax.h).  0 and nothing done for NULL. */
    (void)midatlas_drain(MidAtlas, ContextIterator ? call_rdbss_callback : NULL, &cb);
}

PVOID RxMapMidToContext(PRX_MID_ATLAS MidAtlas, USHORT Mid)
{
    return midatlas_map(MidAtlas, Mid); /* NULL for a NULL atlas */
}

NTSTATUS RxAssociateContextWithMid(PRX_MID_ATLAS MidAtlas, PVOID Context, PUSHORT NewMid)
{
    switch (midatlas_associate(MidAtlas, Context, NewMid)) {
    case MIDATLAS_OK:
        return STATUS_SUCCESS;
    case MIDATLAS_EFULL:
    case MIDATLAS_ECLOSED: /* midatlas_close on an RDBSS atlas: no MID for anyone */
        return STATUS_UNSUCCESSFUL;
    default: /* EINVAL: NULL atlas, context or NewMid, or a context above 48 bits */
        return STATUS_INVALID_PARAMETER;
    }
}

NTSTATUS RxMapAndDissociateMidFromContext(PRX_MID_ATLAS MidAtlas, USHORT Mid,
                                          PVOID *ContextPointer)
{
    void *ctx = NULL;

    if (ContextPointer == NULL)
        return STATUS_INVALID_PARAMETER;
    /* Mapping and dissociating are one step (the winning CAS in
     * midatlas_dissociate), so two threads given the same MID cannot both get
     * the context.  Every failure, a NULL atlas's EINVAL included, means "no
     * context": success and NULL. */
    if (midatlas_dissociate(MidAtlas, Mid, &ctx) != MIDATLAS_OK)
        ctx = NULL;
    *ContextPointer = ctx;
    return STATUS_SUCCESS;
}

NTSTATUS RxReassociateMid(PRX_MID_ATLAS MidAtlas, USHORT Mid, PVOID NewContext)
{
    /* EINVAL (NULL atlas, NULL or unstorable NewContext), ERANGE, EFREE,
     * ESTALE, EDISCARDED: a bad argument or no context to replace; midatlas
     * changes nothing in each case. */
    if (midatlas_reassociate(MidAtlas, Mid, NewContext, NULL) != MIDATLAS_OK)
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

USHORT midatlax_maximum_mids(PRX_MID_ATLAS MidAtlas)
{
    /* Capacity as created (0 for NULL), which is <= 65535 for an RDBSS
     * atlas, so the narrowing is exact. */
    return (USHORT)midatlas_capacity(MidAtlas);
}

USHORT midatlax_mids_in_use(PRX_MID_ATLAS MidAtlas)
{
    struct midatlas_stats stats = { 0 };

    /* midatlas_stats leaves stats alone for a NULL atlas: 0. */
    midatlas_stats(MidAtlas, &stats);
    /* live <= capacity <= 65535, so the narrowing is exact. */
    return (USHORT)stats.live;
}
