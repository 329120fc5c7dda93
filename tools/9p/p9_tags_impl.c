/* SPDX-License-Identifier: MIT */
/*
 * p9_tags_impl.c - the client's tag table on any bench/impls/impl.h table
 * (the "mutex" baseline), with take/tombstone/release/drain built from
 * associate, map, dissociate and reassociate_if as p9_tags.h describes.
 */
#include "p9_tags.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "impl.h"
#include "p9_wire.h"

static char claim_marker, tomb_marker, parked_marker;
#define CLAIM ((void *)&claim_marker)   /* being taken by the winner       */
#define TOMB ((void *)&tomb_marker)     /* flushed, waiting for Rflush     */
#define PARKED ((void *)&parked_marker) /* NOTAG, never to be used         */

struct impl_tags {
    const struct mid_impl *impl;
    void *table;
};

static bool is_marker(const void *ctx)
{
    return ctx == CLAIM || ctx == TOMB || ctx == PARKED || ctx == P9_RESERVED;
}

static int it_associate(void *t, void *ctx, uint16_t *tag)
{
    struct impl_tags *it = t;
    for (;;) {
        uint16_t v;
        int rc = it->impl->associate(it->table, ctx, &v);
        if (rc != MIDATLAS_OK)
            return rc == MIDATLAS_EFULL ? -EAGAIN : -EINVAL;
        if (v != P9_NOTAG) {
            *tag = v;
            return 0;
        }
        /* The table does not know 9P: keep NOTAG out of use for good.  We
         * just associated it, so nobody else can have changed it. */
        (void)it->impl->reassociate_if(it->table, v, ctx, PARKED);
    }
}

static void *it_map(void *t, uint16_t tag, enum p9_tagkind *kind)
{
    struct impl_tags *it = t;
    void *ctx = it->impl->map(it->table, tag);
    if (ctx && !is_marker(ctx)) {
        *kind = P9_TAG_LIVE;
        return ctx;
    }
    /* No generation to compare: a reply for an old holder of a tag that is
     * now live maps to the new holder.  Only the reply-shape check in the
     * receiver stands between it and a misdelivery. */
    *kind = ctx == TOMB ? P9_TAG_FLUSHED : P9_TAG_UNKNOWN;
    return NULL;
}

static int it_take(void *t, uint16_t tag, void *expected)
{
    struct impl_tags *it = t;
    if (it->impl->reassociate_if(it->table, tag, expected, CLAIM) != MIDATLAS_OK)
        return -1;
    /* Only the winner of the CLAIM swap gets here; nobody takes a CLAIM. */
    (void)it->impl->dissociate(it->table, tag, NULL);
    return 0;
}

static int it_tombstone(void *t, uint16_t tag, void *expected)
{
    struct impl_tags *it = t;
    return it->impl->reassociate_if(it->table, tag, expected, TOMB) == MIDATLAS_OK ? 0 : -1;
}

static int it_reassociate_if(void *t, uint16_t tag, void *expected, void *desired)
{
    struct impl_tags *it = t;
    return it->impl->reassociate_if(it->table, tag, expected, desired) == MIDATLAS_OK ? 0 : -1;
}

static int it_release(void *t, uint16_t tag)
{
    return it_take(t, tag, TOMB);
}

static size_t it_drain(void *t, p9_tags_visit_fn *fn, void *arg)
{
    struct impl_tags *it = t;
    size_t requests = 0;
    for (uint32_t v = 0; v <= 0xFFFF; v++) {
        void *ctx = it->impl->map(it->table, (uint16_t)v);
        if (!ctx || ctx == CLAIM || it_take(t, (uint16_t)v, ctx) != 0)
            continue;
        if (is_marker(ctx))
            continue; /* a released tombstone or parked NOTAG */
        requests++;
        if (fn)
            fn(ctx, arg);
    }
    return requests;
}

static void it_counts(void *t, uint32_t *live, uint32_t *tombstones)
{
    struct impl_tags *it = t;
    uint32_t l = 0, d = 0;
    for (uint32_t v = 0; v <= 0xFFFF; v++) {
        void *ctx = it->impl->map(it->table, (uint16_t)v);
        if (ctx == TOMB)
            d++;
        else if (ctx && ctx != PARKED)
            l++;
    }
    *live = l;
    *tombstones = d;
}

static void it_destroy(void *t)
{
    struct impl_tags *it = t;
    it->impl->destroy(it->table);
    free(it);
}

const struct p9_tags_ops p9_tags_impl_ops = {
    .name = "impl",
    .associate = it_associate,
    .map = it_map,
    .take = it_take,
    .tombstone = it_tombstone,
    .reassociate_if = it_reassociate_if,
    .release = it_release,
    .drain = it_drain,
    .counts = it_counts,
    .destroy = it_destroy,
};

int p9_tags_impl_create(const char *name, uint32_t capacity, void **t)
{
    const struct mid_impl *impl = mid_impl_find(name);
    /* An implementation that needs per-thread registration would need every
     * client thread to call it; the client does not, so refuse it. */
    if (!impl || impl->thread_init || impl->thread_fini)
        return -EINVAL;
    struct impl_tags *it = malloc(sizeof *it);
    if (!it)
        return -ENOMEM;
    it->impl = impl;
    it->table = impl->create(capacity);
    if (!it->table) {
        free(it);
        return -ENOMEM;
    }
    *t = it;
    return 0;
}
