/* SPDX-License-Identifier: MIT */
/*
 * modelcheck.h - drive the library and the reference model side by side.
 *
 * Each mc_* call runs one API call on the atlas and the same call on the
 * model and fails the current cmocka test if status, out-parameters or the
 * visible state differ.  Used by the wire sweep, the generation tests and
 * the randomized model test.
 */
#ifndef MIDATLAS_MODELCHECK_H
#define MIDATLAS_MODELCHECK_H

#include "refmodel.h"
#include "testutil.h"

struct mc {
    struct midatlas *atlas;
    struct ref_atlas ref;
};

/* Create both with the same capacity and flags. */
void mc_create(struct mc *m, uint32_t capacity, unsigned flags);
/* Destroy both; the destroy visitor must see exactly the model's live set. */
void mc_destroy(struct mc *m);

/* Associate ctx on both; returns the status, the MID through *mid on OK. */
int mc_associate(struct mc *m, void *ctx, uint16_t *mid);
/* The others: run on both, compare, return the status. */
void mc_map(struct mc *m, uint16_t mid);
int mc_lookup(struct mc *m, uint16_t mid);
int mc_dissociate(struct mc *m, uint16_t mid, bool want_ctx);
int mc_dissociate_if(struct mc *m, uint16_t mid, void *expected);
int mc_reassociate(struct mc *m, uint16_t mid, void *desired, bool want_old);
int mc_reassociate_if(struct mc *m, uint16_t mid, void *expected, void *desired);
int mc_discard(struct mc *m, uint16_t mid, bool want_ctx);
int mc_release(struct mc *m, uint16_t mid);
size_t mc_drain(struct mc *m);

/* Stats equal to the model's (exact fields) and a high water within the
 * header's bounds. */
void mc_check_stats(struct mc *m);
/* Everything: stats, midatlas_validate, and the current MID of every slot
 * ever handed out answers as the model says.  O(capacity). */
void mc_check_all(struct mc *m);

/* The current context of a live slot in the model, for conditional calls. */
void *mc_ctx_of(const struct mc *m, uint16_t mid);

#endif /* MIDATLAS_MODELCHECK_H */
