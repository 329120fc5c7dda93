/* SPDX-License-Identifier: MIT */
/*
 * p9_tags.h - the client's tag table, behind a small table of functions so
 * that the same client runs on midatlas or on the mutex baseline of
 * bench/impls (impl.h, "mutex") for the load comparison.
 *
 * What the client needs from a tag table is more than impl.h offers:
 * conditional take (the receiver and a cancelling thread race for a request),
 * tombstones (a flushed tag stays out of use until Rflush) and drain
 * (teardown).  midatlas has all of them natively (dissociate_if, discard,
 * release, drain).  For an impl.h table they are built from what impl.h has:
 *   - take(tag, expected)   = reassociate_if(tag, expected, CLAIM) then
 *                             dissociate(tag): the compare-and-swap to the
 *                             CLAIM marker decides the winner, the plain
 *                             dissociate that follows is only ever called by
 *                             that winner.  Two calls (two lock round trips
 *                             for the mutex table) where midatlas needs one.
 *   - tombstone(tag, exp)   = reassociate_if(tag, expected, TOMB): the tag
 *                             stays associated to the TOMB marker, so it is
 *                             never handed out again until release.
 *   - release(tag)          = take(tag, TOMB).
 *   - drain                 = map every 16-bit value, take what is there.
 *   - a NOTAG (0xFFFF) handed out by a table that does not know 9P is parked
 *     on a PARKED marker forever (released by drain) and associate retries.
 * The markers are addresses of private statics: never a request.
 */
#ifndef P9_TAGS_H
#define P9_TAGS_H

#include <stddef.h>
#include <stdint.h>

struct mid_impl;

/* What map found when it found no live request. */
enum p9_tagkind {
    P9_TAG_LIVE = 0,    /* a request is associated: returned              */
    P9_TAG_FLUSHED,     /* tombstone: a late reply for a flushed request  */
    P9_TAG_STALE,       /* older generation of a slot now in use (midatlas) */
    P9_TAG_UNKNOWN,     /* free, out of range, reserved, or being taken    */
};

typedef void p9_tags_visit_fn(void *ctx, void *arg);

struct p9_tags_ops {
    const char *name;
    /* 0 and the tag, or -EAGAIN when no tag is free. */
    int (*associate)(void *t, void *ctx, uint16_t *tag);
    /* The live request of tag, else NULL with *kind saying why. */
    void *(*map)(void *t, uint16_t tag, enum p9_tagkind *kind);
    /* End the association if it still holds `expected`: 0 when this caller
     * won (and now owns expected), -1 when someone else did. */
    int (*take)(void *t, uint16_t tag, void *expected);
    /* Turn tag into a tombstone if it still holds `expected`: 0 when this
     * caller won (owns expected, tag stays reserved until release). */
    int (*tombstone)(void *t, uint16_t tag, void *expected);
    /* Bind a live tag to `desired` if it holds `expected` (publishing a
     * reserved tag's Tflush).  0 when done. */
    int (*reassociate_if)(void *t, uint16_t tag, void *expected, void *desired);
    /* Tombstone -> free.  0, or -1 when the tag was no tombstone (drained). */
    int (*release)(void *t, uint16_t tag);
    /* End every live association (fn once per request won) and release every
     * tombstone.  Returns the number of requests that went to fn. */
    size_t (*drain)(void *t, p9_tags_visit_fn *fn, void *arg);
    /* Live and tombstoned tags right now (approximate under concurrency). */
    void (*counts)(void *t, uint32_t *live, uint32_t *tombstones);
    void (*destroy)(void *t);
};

/* The context of a tag reserved for a Tflush not yet sent: map reports it
 * P9_TAG_UNKNOWN (no reply can be for it yet), drain releases it. */
extern char p9_reserved_marker;
#define P9_RESERVED ((void *)&p9_reserved_marker)

struct p9_tags {
    const struct p9_tags_ops *ops;
    void *t;
};

/* A table of `capacity` tags that never hands out NOTAG.
 * atlas: "midatlas" (midatlas_create with MIDATLAS_F_9P) or the name of an
 * impl.h implementation ("mutex").  0, -EINVAL (unknown name), -ENOMEM. */
int p9_tags_open(struct p9_tags *tags, const char *atlas, uint32_t capacity);
void p9_tags_close(struct p9_tags *tags);

/* Exposed for tests: the raw midatlas when the table is midatlas, else NULL. */
struct midatlas *p9_tags_midatlas(const struct p9_tags *tags);

#endif /* P9_TAGS_H */
