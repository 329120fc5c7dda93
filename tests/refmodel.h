/* SPDX-License-Identifier: MIT */
/*
 * refmodel.h - a small sequential reference model of one midatlas atlas.
 *
 * It follows the contract and the MID layout of include/midatlas.h and
 * nothing of the implementation: an array of slots, each free, live or
 * discarded, with the generation of its latest handout.  Tests run the same
 * calls on the model and on the library and compare every result.
 *
 * The only choice the contract leaves open is WHICH free slot associate hands
 * out, so the model does not pick: ref_check_associate() is told the MID the
 * library returned and says whether that was a legal answer (a usable free
 * slot, under the next generation of that slot that no flag reserves).
 *
 * Functions mirror the API: same arguments (minus the atlas pointer), same
 * statuses, same precedence (EINVAL, ERANGE, EFREE, ESTALE, EDISCARDED,
 * EMISMATCH), and out-parameters untouched on failure.
 */
#ifndef MIDATLAS_REFMODEL_H
#define MIDATLAS_REFMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "midatlas.h"

enum ref_state { REF_FREE, REF_LIVE, REF_DISCARDED };

struct ref_slot {
    uint8_t state;   /* enum ref_state */
    bool handed;     /* handed out at least once: gen is meaningful */
    uint32_t gen;    /* generation of the latest handout */
    void *ctx;       /* REF_LIVE only */
};

struct ref_atlas {
    uint32_t capacity;
    unsigned flags;
    uint32_t index_bits, gen_bits;
    uint32_t usable;          /* slots with at least one unreserved MID */
    uint32_t live, discarded;
    uint32_t peak;            /* the true high water of live + discarded */
    uint64_t associations, full_failures;
    struct ref_slot *slot;    /* capacity entries */
};

/* EINVAL for a capacity or flags the API rejects, else OK. */
int ref_create(struct ref_atlas *r, uint32_t capacity, unsigned flags);
void ref_destroy(struct ref_atlas *r);

/* Layout helpers. */
uint32_t ref_index(const struct ref_atlas *r, uint16_t mid);
uint32_t ref_gen(const struct ref_atlas *r, uint16_t mid);
uint16_t ref_mid(const struct ref_atlas *r, uint32_t index, uint32_t gen);
/* The MID slot `index` would be handed out as next; false when no
 * generation of the slot is usable (a reserved single-MID slot). */
bool ref_next_mid(const struct ref_atlas *r, uint32_t index, uint16_t *mid);
/* The current MID of a slot that was handed out at least once. */
uint16_t ref_current_mid(const struct ref_atlas *r, uint32_t index);

/* associate, split in two: ref_associate_status() is the status the library
 * must return (EINVAL, EFULL or OK), counting a full failure; when it is OK,
 * ref_check_associate() is given the MID the library returned, returns false
 * if that MID was not a legal answer, else applies the association. */
int ref_associate_status(struct ref_atlas *r, void *ctx);
bool ref_check_associate(struct ref_atlas *r, void *ctx, uint16_t mid);

void *ref_map(const struct ref_atlas *r, uint16_t mid);
int ref_lookup(const struct ref_atlas *r, uint16_t mid, void **ctx);
int ref_dissociate(struct ref_atlas *r, uint16_t mid, void **ctx);
int ref_dissociate_if(struct ref_atlas *r, uint16_t mid, void *expected);
int ref_reassociate(struct ref_atlas *r, uint16_t mid, void *desired, void **old);
int ref_reassociate_if(struct ref_atlas *r, uint16_t mid, void *expected, void *desired);
int ref_discard(struct ref_atlas *r, uint16_t mid, void **ctx);
int ref_release(struct ref_atlas *r, uint16_t mid);
/* Calls fn for every live slot in index order, frees everything; returns the
 * number of contexts that went to fn. */
size_t ref_drain(struct ref_atlas *r, midatlas_visit_fn *fn, void *arg);

#endif /* MIDATLAS_REFMODEL_H */
