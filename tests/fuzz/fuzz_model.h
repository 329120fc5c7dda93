/* SPDX-License-Identifier: MIT */
/*
 * fuzz_model.h - a sequential reference model of one midatlas atlas.
 *
 * The fuzz target drives the real library and this model side by side and
 * aborts on the first disagreement.  The model knows nothing about stripes,
 * tagged words or atomics: it is the contract of include/midatlas.h written
 * as plain arrays - per slot a state (free/live/discarded), the generation of
 * its current association, how many times it has been handed out, and its
 * context - so that a disagreement is a bug in one of the two, never in a
 * shared piece of code.
 */
#ifndef MIDATLAS_FUZZ_MODEL_H
#define MIDATLAS_FUZZ_MODEL_H

#include <stdbool.h>
#include <stdint.h>

enum model_state { MODEL_FREE = 0, MODEL_LIVE = 1, MODEL_DISCARDED = 2 };

struct model {
    uint32_t capacity;
    unsigned flags;
    unsigned index_bits; /* ceil(log2(capacity)), 0 at capacity 1           */
    unsigned gen_bits;   /* 16 - index_bits, 15 at capacity 1               */
    uint32_t usable;     /* capacity less slots whose every MID is reserved */
    uint8_t *state;      /* enum model_state per slot                       */
    uint32_t *gen;       /* generation of the slot's current association    */
    uint32_t *next_gen;  /* generation the next handout tries first         */
    uint64_t *ctx;       /* context of a live slot                          */
    uint32_t live, discarded;
    uint64_t associations, full_failures;
    uint32_t peak;       /* most live + discarded ever: high_water's ceiling */
    uint32_t hw_floor;   /* live + discarded at the last sampling point     */
};

/* The model of a fresh atlas; false when capacity/flags are invalid (the
 * library must then answer EINVAL) or memory ran out. */
bool model_init(struct model *m, uint32_t capacity, unsigned flags);
void model_free(struct model *m);

/* The MID a slot would carry under generation gen. */
uint16_t model_mid(const struct model *m, uint32_t index, uint32_t gen);
uint32_t model_index(const struct model *m, uint16_t mid);
uint32_t model_generation(const struct model *m, uint16_t mid);
bool model_reserved(const struct model *m, uint16_t mid);

/* What lookup must answer for mid, before any operation-specific status:
 * MIDATLAS_ERANGE, EFREE, ESTALE, EDISCARDED or OK (live, current). */
int model_classify(const struct model *m, uint16_t mid);

/* The MID the next handout of a free slot must carry (reserved values
 * skipped); the slot must be usable. */
uint16_t model_next_mid(const struct model *m, uint32_t index);

/* Whether a slot can ever be handed out (some generation is not reserved). */
bool model_slot_usable(const struct model *m, uint32_t index);

/* State changes, applied only after the library answered OK. */
void model_associate(struct model *m, uint16_t mid, uint64_t ctx);
void model_end(struct model *m, uint32_t index);     /* live -> free      */
void model_discard(struct model *m, uint32_t index); /* live -> discarded */
void model_release(struct model *m, uint32_t index); /* discarded -> free */

#endif
