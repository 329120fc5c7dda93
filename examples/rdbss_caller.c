/* SPDX-License-Identifier: MIT */
/*
 * rdbss_caller.c - code written against the Windows RDBSS MID atlas
 * routines, as an SMB1 redirector uses them, running on midatlas through
 * <midatlas/midatlax.h>.  Unlike the originals, none of these calls needs
 * the caller's lock.
 *
 *   exchange  RxAssociateContextWithMid gives the request a MID
 *   response  RxMapMidToContext finds it; RxMapAndDissociateMidFromContext
 *             ends it
 *   hand-over RxReassociateMid gives a finishing request's MID to a waiting
 *             one, so the MID is never free in between
 *   teardown  RxIterateMidAtlasAndRemove fails what is still outstanding,
 *             RxDestroyMidAtlas frees the atlas
 *
 *   cc rdbss_caller.c $(pkg-config --cflags --libs midatlas) -o rdbss_caller
 */
#include <midatlas/midatlax.h>

#include <stdio.h>

struct exchange {
    const char *what;
    int finished;
    int cancelled;
};

static void cancel_outstanding(PVOID context)
{
    struct exchange *x = context;
    x->cancelled = 1;
    printf("teardown: cancelled %s\n", x->what);
}

static int check(int ok, const char *what)
{
    if (!ok)
        fprintf(stderr, "rdbss_caller: %s\n", what);
    return ok;
}

int main(void)
{
    PRX_MID_ATLAS atlas = RxCreateMidAtlas(64, 8);
    struct exchange x_open = {"open", 0, 0}, x_read = {"read", 0, 0}, x_lock = {"lock", 0, 0};
    USHORT mid_open, mid_read;
    PVOID ctx = NULL;
    int ok = 1;

    if (!check(atlas != NULL, "RxCreateMidAtlas"))
        return 1;
    ok &= check(RxAssociateContextWithMid(atlas, &x_open, &mid_open) == STATUS_SUCCESS, "open");
    ok &= check(RxAssociateContextWithMid(atlas, &x_read, &mid_read) == STATUS_SUCCESS, "read");
    ok &= check(RxGetNumberOfMidsInUse(atlas) == 2, "two MIDs in use");

    /* The open's response arrives. */
    struct exchange *x = RxMapMidToContext(atlas, mid_open);
    ok &= check(x == &x_open, "map the open's MID");
    ok &= check(RxMapAndDissociateMidFromContext(atlas, mid_open, &ctx) == STATUS_SUCCESS &&
                    ctx == &x_open,
                "dissociate the open");
    x_open.finished = 1;

    /* A late duplicate of that response: no context any more. */
    ok &= check(RxMapMidToContext(atlas, mid_open) == NULL, "stale MID maps to NULL");

    /* The read finishes and hands its MID to the waiting lock request. */
    x_read.finished = 1;
    ok &= check(RxReassociateMid(atlas, mid_read, &x_lock) == STATUS_SUCCESS, "hand-over");
    ok &= check(RxMapMidToContext(atlas, mid_read) == &x_lock, "the MID now maps to the lock");

    /* The connection drops with the lock outstanding. */
    RxIterateMidAtlasAndRemove(atlas, cancel_outstanding);
    ok &= check(x_lock.cancelled && !x_open.cancelled, "only the lock was outstanding");
    ok &= check(RxGetNumberOfMidsInUse(atlas) == 0, "nothing in use after teardown");
    printf("max %u MIDs; open %s, read %s, lock %s\n", (unsigned)RxGetMaximumNumberOfMids(atlas),
           x_open.finished ? "finished" : "?", x_read.finished ? "finished" : "?",
           x_lock.cancelled ? "cancelled" : "?");
    RxDestroyMidAtlas(atlas, NULL);
    return ok ? 0 : 1;
}
