/* SPDX-License-Identifier: MIT */
/*
 * p9_tags_midatlas.c - the client's tag table on midatlas, used natively:
 * dissociate_if decides the receiver/canceller race in one compare-and-swap,
 * discard/release keep a flushed tag out of use until its Rflush, drain ends
 * every association at teardown, and the generation bits make a duplicated
 * or very late reply look stale instead of belonging to the tag's new owner.
 */
#include "p9_tags.h"

#include <errno.h>

#include "midatlas.h"

/* Context a tag holds for the instant between the canceller winning it and
 * midatlas_discard turning it into a real tombstone (see tombstone below). */
static char tomb_marker;
#define TOMB ((void *)&tomb_marker)

static int ma_associate(void *t, void *ctx, uint16_t *tag)
{
    int rc = midatlas_associate(t, ctx, tag);
    if (rc == MIDATLAS_OK)
        return 0;
    return rc == MIDATLAS_EFULL ? -EAGAIN : -EINVAL;
}

static void *ma_map(void *t, uint16_t tag, enum p9_tagkind *kind)
{
    void *ctx = midatlas_map(t, tag); /* the hot path: one acquire load */
    if (ctx && ctx != TOMB && ctx != P9_RESERVED) {
        *kind = P9_TAG_LIVE;
        return ctx;
    }
    if (ctx) {
        *kind = ctx == TOMB ? P9_TAG_FLUSHED : P9_TAG_UNKNOWN;
        return NULL;
    }
    /* Cold path: only for replies that match no request; say why. */
    switch (midatlas_lookup(t, tag, &ctx)) {
    case MIDATLAS_EDISCARDED: *kind = P9_TAG_FLUSHED; break;
    case MIDATLAS_ESTALE: *kind = P9_TAG_STALE; break;
    case MIDATLAS_OK: /* became live between the two calls: a reply for a
                         request sent after this reply arrived is still a
                         reply for no request we had at the time */
    default: *kind = P9_TAG_UNKNOWN; break;
    }
    return NULL;
}

static int ma_take(void *t, uint16_t tag, void *expected)
{
    return midatlas_dissociate_if(t, tag, expected) == MIDATLAS_OK ? 0 : -1;
}

/* Why not midatlas_discard alone: discard is unconditional.  A canceller
 * whose request the receiver completed a moment ago would, if its tag's slot
 * was handed out again 2^generation_bits times meanwhile (a preempted
 * canceller, a hot slot), discard somebody else's request.  reassociate_if
 * makes the win conditional on the context being ours; discard then turns the
 * marker into a tombstone.  If drain got in between, discard fails and the
 * tag is already free: the request is still ours. */
static int ma_tombstone(void *t, uint16_t tag, void *expected)
{
    if (midatlas_reassociate_if(t, tag, expected, TOMB) != MIDATLAS_OK)
        return -1;
    (void)midatlas_discard(t, tag, NULL);
    return 0;
}

static int ma_reassociate_if(void *t, uint16_t tag, void *expected, void *desired)
{
    return midatlas_reassociate_if(t, tag, expected, desired) == MIDATLAS_OK ? 0 : -1;
}

static int ma_release(void *t, uint16_t tag)
{
    return midatlas_release(t, tag) == MIDATLAS_OK ? 0 : -1;
}

struct ma_drain_arg {
    p9_tags_visit_fn *fn;
    void *arg;
    size_t requests;
};

static void ma_drain_visit(void *ctx, uint16_t mid, void *arg)
{
    struct ma_drain_arg *d = arg;
    (void)mid;
    if (ctx == TOMB || ctx == P9_RESERVED) /* markers, no request */
        return;
    d->requests++;
    if (d->fn)
        d->fn(ctx, d->arg);
}

static size_t ma_drain(void *t, p9_tags_visit_fn *fn, void *arg)
{
    struct ma_drain_arg d = {fn, arg, 0};
    (void)midatlas_drain(t, ma_drain_visit, &d);
    return d.requests;
}

static void ma_counts(void *t, uint32_t *live, uint32_t *tombstones)
{
    struct midatlas_stats s;
    midatlas_stats(t, &s);
    *live = s.live;
    *tombstones = s.discarded;
}

static void ma_destroy(void *t)
{
    midatlas_destroy(t, NULL, NULL);
}

const struct p9_tags_ops p9_tags_midatlas_ops = {
    .name = "midatlas",
    .associate = ma_associate,
    .map = ma_map,
    .take = ma_take,
    .tombstone = ma_tombstone,
    .reassociate_if = ma_reassociate_if,
    .release = ma_release,
    .drain = ma_drain,
    .counts = ma_counts,
    .destroy = ma_destroy,
};

int p9_tags_midatlas_create(uint32_t capacity, void **t)
{
    struct midatlas *a;
    int rc = midatlas_create(&a, capacity, MIDATLAS_F_9P);
    if (rc != MIDATLAS_OK)
        return rc == MIDATLAS_ENOMEM ? -ENOMEM : -EINVAL;
    *t = a;
    return 0;
}
