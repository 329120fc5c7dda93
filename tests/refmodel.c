/* SPDX-License-Identifier: MIT */
/*
 * refmodel.c - the sequential reference model of an atlas (see refmodel.h).
 *
 * Written from the contract only; kept deliberately naive (plain array,
 * linear scans) so that it is obviously right.
 */
#include "refmodel.h"

#include <stdlib.h>

static bool reserved(const struct ref_atlas *r, uint16_t mid)
{
    return ((r->flags & MIDATLAS_F_NO_ZERO) && mid == 0x0000) ||
           ((r->flags & MIDATLAS_F_NO_FFFF) && mid == 0xFFFF);
}

static bool bad_ctx(const void *ctx)
{
    return ctx == NULL || !MIDATLAS_CONTEXT_FITS(ctx);
}

uint32_t ref_index(const struct ref_atlas *r, uint16_t mid)
{
    return mid & (((uint32_t)1 << r->index_bits) - 1);
}

uint32_t ref_gen(const struct ref_atlas *r, uint16_t mid)
{
    /* At capacity 1 this can be 16 bits wide while slot generations have
     * 15: MIDs 0x8000..0xFFFF then never match a slot (EFREE or ESTALE). */
    return (uint32_t)mid >> r->index_bits;
}

uint16_t ref_mid(const struct ref_atlas *r, uint32_t index, uint32_t gen)
{
    return (uint16_t)(gen << r->index_bits | index);
}

bool ref_next_mid(const struct ref_atlas *r, uint32_t index, uint16_t *mid)
{
    const struct ref_slot *s = &r->slot[index];
    uint32_t ngen = (uint32_t)1 << r->gen_bits;
    uint32_t gen = s->handed ? (s->gen + 1) % ngen : 0;
    /* Skip generations whose MID a flag reserves; give up after a full turn. */
    for (uint32_t tries = 0; tries < ngen; tries++, gen = (gen + 1) % ngen) {
        uint16_t m = ref_mid(r, index, gen);
        if (!reserved(r, m)) {
            *mid = m;
            return true;
        }
    }
    return false;
}

uint16_t ref_current_mid(const struct ref_atlas *r, uint32_t index)
{
    return ref_mid(r, index, r->slot[index].gen);
}

int ref_create(struct ref_atlas *r, uint32_t capacity, unsigned flags)
{
    if (capacity == 0 || capacity > MIDATLAS_MAX_CAPACITY || !MIDATLAS_FLAGS_VALID(flags))
        return MIDATLAS_EINVAL;
    r->capacity = capacity;
    r->flags = flags;
    r->index_bits = 0;
    while (((uint32_t)1 << r->index_bits) < capacity)
        r->index_bits++;
    r->gen_bits = r->index_bits == 0 ? 15 : 16 - r->index_bits;
    r->live = r->discarded = r->peak = 0;
    r->associations = r->full_failures = 0;
    r->slot = calloc(capacity, sizeof *r->slot);
    if (!r->slot)
        return MIDATLAS_ENOMEM;
    r->usable = 0;
    for (uint32_t i = 0; i < capacity; i++) {
        uint16_t m;
        r->usable += ref_next_mid(r, i, &m);
    }
    return MIDATLAS_OK;
}

void ref_destroy(struct ref_atlas *r)
{
    free(r->slot);
    r->slot = NULL;
}

/* The status every MID-taking call shares: ERANGE, EFREE, ESTALE, or OK with
 * the slot (live or discarded, current generation). */
static int classify(const struct ref_atlas *r, uint16_t mid, struct ref_slot **out)
{
    uint32_t index = ref_index(r, mid);
    if (index >= r->capacity || reserved(r, mid))
        return MIDATLAS_ERANGE;
    struct ref_slot *s = &r->slot[index];
    if (s->state == REF_FREE)
        return MIDATLAS_EFREE;
    if (s->gen != ref_gen(r, mid))
        return MIDATLAS_ESTALE;
    *out = s;
    return MIDATLAS_OK;
}

/* classify() narrowed to a live slot: adds EDISCARDED. */
static int classify_live(const struct ref_atlas *r, uint16_t mid, struct ref_slot **out)
{
    int rc = classify(r, mid, out);
    if (rc == MIDATLAS_OK && (*out)->state == REF_DISCARDED)
        return MIDATLAS_EDISCARDED;
    return rc;
}

int ref_associate_status(struct ref_atlas *r, void *ctx)
{
    if (bad_ctx(ctx))
        return MIDATLAS_EINVAL;
    if (r->live + r->discarded >= r->usable) {
        r->full_failures++;
        return MIDATLAS_EFULL;
    }
    return MIDATLAS_OK;
}

bool ref_check_associate(struct ref_atlas *r, void *ctx, uint16_t mid)
{
    uint32_t index = ref_index(r, mid);
    uint16_t want;
    if (index >= r->capacity || r->slot[index].state != REF_FREE)
        return false;
    if (!ref_next_mid(r, index, &want) || want != mid)
        return false;
    struct ref_slot *s = &r->slot[index];
    s->state = REF_LIVE;
    s->handed = true;
    s->gen = ref_gen(r, mid);
    s->ctx = ctx;
    r->live++;
    r->associations++;
    if (r->live + r->discarded > r->peak)
        r->peak = r->live + r->discarded;
    return true;
}

void *ref_map(const struct ref_atlas *r, uint16_t mid)
{
    struct ref_slot *s;
    return classify_live(r, mid, &s) == MIDATLAS_OK ? s->ctx : NULL;
}

int ref_lookup(const struct ref_atlas *r, uint16_t mid, void **ctx)
{
    struct ref_slot *s;
    if (!ctx)
        return MIDATLAS_EINVAL;
    int rc = classify_live(r, mid, &s);
    if (rc == MIDATLAS_OK)
        *ctx = s->ctx;
    return rc;
}

static void end_live(struct ref_atlas *r, struct ref_slot *s, enum ref_state to)
{
    s->state = (uint8_t)to;
    s->ctx = NULL;
    r->live--;
    if (to == REF_DISCARDED)
        r->discarded++;
}

int ref_dissociate(struct ref_atlas *r, uint16_t mid, void **ctx)
{
    struct ref_slot *s;
    int rc = classify_live(r, mid, &s);
    if (rc != MIDATLAS_OK)
        return rc;
    if (ctx)
        *ctx = s->ctx;
    end_live(r, s, REF_FREE);
    return MIDATLAS_OK;
}

int ref_dissociate_if(struct ref_atlas *r, uint16_t mid, void *expected)
{
    struct ref_slot *s;
    if (bad_ctx(expected))
        return MIDATLAS_EINVAL;
    int rc = classify_live(r, mid, &s);
    if (rc != MIDATLAS_OK)
        return rc;
    if (s->ctx != expected)
        return MIDATLAS_EMISMATCH;
    end_live(r, s, REF_FREE);
    return MIDATLAS_OK;
}

int ref_reassociate(struct ref_atlas *r, uint16_t mid, void *desired, void **old)
{
    struct ref_slot *s;
    if (bad_ctx(desired))
        return MIDATLAS_EINVAL;
    int rc = classify_live(r, mid, &s);
    if (rc != MIDATLAS_OK)
        return rc;
    if (old)
        *old = s->ctx;
    s->ctx = desired;
    return MIDATLAS_OK;
}

int ref_reassociate_if(struct ref_atlas *r, uint16_t mid, void *expected, void *desired)
{
    struct ref_slot *s;
    if (bad_ctx(expected) || bad_ctx(desired))
        return MIDATLAS_EINVAL;
    int rc = classify_live(r, mid, &s);
    if (rc != MIDATLAS_OK)
        return rc;
    if (s->ctx != expected)
        return MIDATLAS_EMISMATCH;
    s->ctx = desired;
    return MIDATLAS_OK;
}

int ref_discard(struct ref_atlas *r, uint16_t mid, void **ctx)
{
    struct ref_slot *s;
    int rc = classify_live(r, mid, &s);
    if (rc != MIDATLAS_OK)
        return rc;
    if (ctx)
        *ctx = s->ctx;
    end_live(r, s, REF_DISCARDED);
    return MIDATLAS_OK;
}

int ref_release(struct ref_atlas *r, uint16_t mid)
{
    struct ref_slot *s;
    int rc = classify(r, mid, &s);
    if (rc != MIDATLAS_OK)
        return rc;
    if (s->state == REF_LIVE)
        return MIDATLAS_EBUSY;
    s->state = REF_FREE;
    r->discarded--;
    return MIDATLAS_OK;
}

size_t ref_drain(struct ref_atlas *r, midatlas_visit_fn *fn, void *arg)
{
    size_t n = 0;
    for (uint32_t i = 0; i < r->capacity; i++) {
        struct ref_slot *s = &r->slot[i];
        if (s->state == REF_LIVE) {
            void *ctx = s->ctx;
            end_live(r, s, REF_FREE);
            if (fn)
                fn(ctx, ref_current_mid(r, i), arg);
            n++;
        } else if (s->state == REF_DISCARDED) {
            s->state = REF_FREE;
            r->discarded--;
        }
    }
    return n;
}
