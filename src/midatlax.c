/*
 * midatlax.c - the Windows RDBSS MID atlas routines on top of midatlas.
 *
 * Each routine is one midatlas call plus a translation of its status into
 * the NTSTATUS the RDBSS documentation gives (see midatlas/midatlax.h for the
 * table and the reasons).  Thread safety comes entirely from midatlas: this
 * file keeps no shared mutable state of its own, so it needs no lock and adds
 * no atomic operation.  The one field it adds, `maximum`, is written once
 * before the atlas is published and only read after.
 */
#include "midatlas/midatlax.h"

#include <stdlib.h>

#include "midatlas.h"

/* The library is compiled with these; a user who supplies the Windows types
 * must supply the same sizes (midatlax.h, "Types and Windows headers"). */
_Static_assert(sizeof(USHORT) == sizeof(uint16_t), "USHORT must be 16 bits");
_Static_assert(sizeof(NTSTATUS) == sizeof(int32_t), "NTSTATUS must be 32 bits");

/* RDBSS MIDs are SMB1-style slot positions below a USHORT maximum: 0x0000 is
 * a valid MID and 0xFFFF never is.  Reserving 0xFFFF keeps that without
 * costing a slot at any capacity up to 65535 (midatlax.h, "Flags"). */
#define MIDATLAX_FLAGS MIDATLAS_F_NO_FFFF

struct rx_mid_atlas {
    struct midatlas *atlas;
    USHORT maximum; /* MaximumNumberOfEntries as passed to create */
};

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
    struct rx_mid_atlas *rx;

    /* The original grew its table lazily from InitialAllocation (clamped to
     * the maximum) up to the maximum.  midatlas allocates every slot up front,
     * so the hint has nothing left to size: any value, 0 or above the
     * maximum included, gives the same atlas. */
    (void)InitialAllocation;

    rx = malloc(sizeof(*rx));
    if (rx == NULL)
        return NULL;
    /* EINVAL for Maximum 0, ENOMEM: both are NULL here. */
    if (midatlas_create(&rx->atlas, MaximumNumberOfEntries, MIDATLAX_FLAGS) != MIDATLAS_OK) {
        free(rx);
        return NULL;
    }
    rx->maximum = MaximumNumberOfEntries;
    return rx;
}

VOID RxDestroyMidAtlas(PRX_MID_ATLAS MidAtlas, PCONTEXT_DESTRUCTOR ContextDestructor)
{
    struct rdbss_callback cb = { ContextDestructor };

    if (MidAtlas == NULL)
        return;
    midatlas_destroy(MidAtlas->atlas, ContextDestructor ? call_rdbss_callback : NULL, &cb);
    free(MidAtlas);
}

VOID RxIterateMidAtlasAndRemove(PRX_MID_ATLAS MidAtlas, PCONTEXT_ITERATOR ContextIterator)
{
    struct rdbss_callback cb = { ContextIterator };

    if (MidAtlas == NULL)
        return;
    /* drain dissociates each MID (one CAS it must win) before it calls the
     * visitor, which is the documented order: the iterator may free the
     * context or associate it again. */
    (void)midatlas_drain(MidAtlas->atlas, ContextIterator ? call_rdbss_callback : NULL, &cb);
}

PVOID RxMapMidToContext(PRX_MID_ATLAS MidAtlas, USHORT Mid)
{
    if (MidAtlas == NULL)
        return NULL;
    return midatlas_map(MidAtlas->atlas, Mid);
}

NTSTATUS RxAssociateContextWithMid(PRX_MID_ATLAS MidAtlas, PVOID Context, PUSHORT NewMid)
{
    uint16_t mid;
    int rc;

    if (MidAtlas == NULL || NewMid == NULL)
        return STATUS_INVALID_PARAMETER;
    rc = midatlas_associate(MidAtlas->atlas, Context, &mid);
    if (rc == MIDATLAS_EFULL)
        return STATUS_UNSUCCESSFUL;
    if (rc != MIDATLAS_OK) /* EINVAL: NULL context, or one above 48 bits */
        return STATUS_INVALID_PARAMETER;
    *NewMid = mid;
    return STATUS_SUCCESS;
}

NTSTATUS RxMapAndDissociateMidFromContext(PRX_MID_ATLAS MidAtlas, USHORT Mid,
                                          PVOID *ContextPointer)
{
    void *ctx = NULL;

    if (ContextPointer == NULL)
        return STATUS_INVALID_PARAMETER;
    /* Mapping and dissociating are one step (the winning CAS in
     * midatlas_dissociate), so two threads given the same MID cannot both get
     * the context.  Every failure means "no context": success and NULL. */
    if (MidAtlas == NULL || midatlas_dissociate(MidAtlas->atlas, Mid, &ctx) != MIDATLAS_OK)
        ctx = NULL;
    *ContextPointer = ctx;
    return STATUS_SUCCESS;
}

NTSTATUS RxReassociateMid(PRX_MID_ATLAS MidAtlas, USHORT Mid, PVOID NewContext)
{
    if (MidAtlas == NULL)
        return STATUS_INVALID_PARAMETER;
    /* EINVAL (NULL or unstorable NewContext), ERANGE, EFREE, ESTALE: all are
     * "no context to replace" or a bad argument, and change nothing. */
    if (midatlas_reassociate(MidAtlas->atlas, Mid, NewContext, NULL) != MIDATLAS_OK)
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

USHORT midatlax_maximum_mids(PRX_MID_ATLAS MidAtlas)
{
    return MidAtlas ? MidAtlas->maximum : 0;
}

USHORT midatlax_mids_in_use(PRX_MID_ATLAS MidAtlas)
{
    struct midatlas_stats stats;

    if (MidAtlas == NULL)
        return 0;
    midatlas_stats(MidAtlas->atlas, &stats);
    /* live <= capacity <= 65535, so the narrowing is exact. */
    return (USHORT)stats.live;
}
