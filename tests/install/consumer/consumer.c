/* SPDX-License-Identifier: MIT */
/*
 * consumer.c - a user program built only from what `cmake --install` put in a
 * prefix: the two public headers and libmidatlas.  The install tests compile
 * it twice, once with nothing but `pkg-config --cflags --libs midatlas` and
 * once through find_package(midatlas); each run checks every result and
 * exits non-zero on the first mismatch.
 */
#include <midatlas.h>
#include <midatlas/midatlax.h>

#include <stdio.h>

static int failed(const char *what)
{
    fprintf(stderr, "consumer: %s\n", what);
    return 1;
}

static void count_visit(void *ctx, uint16_t mid, void *arg)
{
    (void)ctx;
    (void)mid;
    ++*(int *)arg;
}

/* The core API: a MID round trip, then destroy hands back what is live. */
static int check_midatlas(void)
{
    struct midatlas *atlas = NULL;
    int request = 1, other = 2, visited = 0;
    uint16_t mid, spare;
    void *ctx = NULL;

    if (midatlas_create(&atlas, 64, MIDATLAS_F_SMB1) != MIDATLAS_OK || atlas == NULL)
        return failed("midatlas_create");
    if (midatlas_associate(atlas, &request, &mid) != MIDATLAS_OK)
        return failed("midatlas_associate");
    if (midatlas_map(atlas, mid) != &request)
        return failed("midatlas_map of a live MID");
    if (midatlas_dissociate(atlas, mid, &ctx) != MIDATLAS_OK || ctx != &request)
        return failed("midatlas_dissociate of a live MID");
    if (midatlas_map(atlas, mid) != NULL)
        return failed("midatlas_map after dissociate");
    if (midatlas_dissociate(atlas, mid, NULL) != MIDATLAS_EFREE)
        return failed("second midatlas_dissociate");
    if (midatlas_associate(atlas, &other, &spare) != MIDATLAS_OK)
        return failed("midatlas_associate after a free");
    midatlas_destroy(atlas, count_visit, &visited);
    if (visited != 1)
        return failed("midatlas_destroy visited the wrong number of contexts");
    return 0;
}

/* The RDBSS layer from <midatlas/midatlax.h>, installed beside it. */
static int check_rdbss(void)
{
    PRX_MID_ATLAS atlas = RxCreateMidAtlas(16, 4);
    int request = 3;
    USHORT mid;
    PVOID ctx = NULL;

    if (atlas == NULL)
        return failed("RxCreateMidAtlas");
    if (RxAssociateContextWithMid(atlas, &request, &mid) != STATUS_SUCCESS)
        return failed("RxAssociateContextWithMid");
    if (RxMapMidToContext(atlas, mid) != &request)
        return failed("RxMapMidToContext");
    if (RxMapAndDissociateMidFromContext(atlas, mid, &ctx) != STATUS_SUCCESS || ctx != &request)
        return failed("RxMapAndDissociateMidFromContext");
    RxDestroyMidAtlas(atlas, NULL);
    return 0;
}

int main(void)
{
    if (check_midatlas() != 0 || check_rdbss() != 0)
        return 1;
    puts("consumer: ok");
    return 0;
}
