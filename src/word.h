/* SPDX-License-Identifier: MIT */
/*
 * word.h - the two tagged 64-bit words of midatlas, built and split in one place.
 *
 * Slot word (one per MID slot, the word map loads):
 *
 *    63            49 48 47                                        0
 *   +----------------+--+-------------------------------------------+
 *   |  generation    |D |  payload                                  |
 *   +----------------+--+-------------------------------------------+
 *
 *   LIVE       D = 0, payload = context (never 0: NULL is not a context)
 *   DISCARDED  D = 1, payload = 0                      (a tombstone)
 *   FREE       D = 1, payload = FREE_MARK | link       (link: next free index
 *                                                       on the slot's stripe)
 *   D = 0 with payload 0 is never stored.
 *
 *   The top 16 bits (generation << 1 | D) are the slot's "tag".  A live MID of
 *   generation g matches exactly when tag == g << 1, so map is one load and one
 *   compare.  The generation is the one of the slot's latest handout; it stays
 *   in the word while the slot is discarded or free, and associate advances it.
 *
 * Stripe head word (one per free-list stripe):
 *
 *    63                      33 32             16 15            0
 *   +--------------------------+-----------------+---------------+
 *   |  pop tag (31 bits)       |  length (17)    |  first index  |
 *   +--------------------------+-----------------+---------------+
 *
 *   length == 0 means empty (the index is then meaningless).  The tag grows by
 *   one on every pop and on nothing else; that is enough to make the pop CAS
 *   ABA-safe (see the theory of operation in midatlas.c) and, summed over the
 *   stripes, it counts associations for midatlas_stats at no extra cost.
 */
#ifndef MIDATLAS_WORD_H
#define MIDATLAS_WORD_H

#include <stdbool.h>
#include <stdint.h>

/* ---- slot word ---------------------------------------------------------- */

#define SLOT_GEN_SHIFT 49
#define SLOT_GEN_BITS 15
#define SLOT_D_BIT ((uint64_t)1 << 48)
#define SLOT_PAYLOAD_MASK (SLOT_D_BIT - 1)
#define SLOT_FREE_MARK ((uint64_t)1 << 16)
#define SLOT_LINK_MASK ((uint64_t)0xFFFF)
#define SLOT_TAG_SHIFT 48

_Static_assert(SLOT_GEN_SHIFT + SLOT_GEN_BITS == 64, "generation fills the top of the word");
_Static_assert(sizeof(void *) <= sizeof(uint64_t), "contexts are packed into 64-bit words");

static inline uint64_t slot_live(uint32_t gen, uint64_t ctx)
{
    return (uint64_t)gen << SLOT_GEN_SHIFT | ctx;
}

static inline uint64_t slot_discarded(uint32_t gen)
{
    return (uint64_t)gen << SLOT_GEN_SHIFT | SLOT_D_BIT;
}

static inline uint64_t slot_free(uint32_t gen, uint32_t link)
{
    return (uint64_t)gen << SLOT_GEN_SHIFT | SLOT_D_BIT | SLOT_FREE_MARK | link;
}

static inline uint32_t slot_gen(uint64_t w)
{
    return (uint32_t)(w >> SLOT_GEN_SHIFT);
}

static inline bool slot_is_live(uint64_t w)
{
    return (w & SLOT_D_BIT) == 0;
}

static inline bool slot_is_discarded(uint64_t w)
{
    return (w & (SLOT_D_BIT | SLOT_PAYLOAD_MASK)) == SLOT_D_BIT;
}

static inline bool slot_is_free(uint64_t w)
{
    return (w & SLOT_D_BIT) != 0 && (w & SLOT_PAYLOAD_MASK) != 0;
}

static inline uint64_t slot_ctx(uint64_t w)
{
    return w & SLOT_PAYLOAD_MASK;
}

static inline uint32_t slot_link(uint64_t w)
{
    return (uint32_t)(w & SLOT_LINK_MASK);
}

/* The tag a live slot of generation `gen` carries; wider than 16 bits when gen
 * does not fit the word, so it then matches no slot at all. */
static inline uint32_t slot_live_tag(uint32_t gen)
{
    return gen << 1;
}

static inline uint32_t slot_tag(uint64_t w)
{
    return (uint32_t)(w >> SLOT_TAG_SHIFT);
}

/* ---- stripe head word --------------------------------------------------- */

#define HEAD_LEN_SHIFT 16
#define HEAD_LEN_BITS 17
#define HEAD_TAG_SHIFT 33
#define HEAD_TAG_BITS 31
#define HEAD_IDX_MASK ((uint64_t)0xFFFF)
#define HEAD_LEN_MASK (((uint64_t)1 << HEAD_LEN_BITS) - 1)
#define HEAD_TAG_MASK (((uint64_t)1 << HEAD_TAG_BITS) - 1)

_Static_assert(HEAD_TAG_SHIFT + HEAD_TAG_BITS == 64, "head word is exactly 64 bits");
_Static_assert(HEAD_LEN_MASK >= 65536, "a stripe can hold every slot");

static inline uint64_t head_make(uint32_t idx, uint32_t len, uint64_t tag)
{
    return (tag & HEAD_TAG_MASK) << HEAD_TAG_SHIFT | (uint64_t)len << HEAD_LEN_SHIFT | idx;
}

static inline uint32_t head_idx(uint64_t h)
{
    return (uint32_t)(h & HEAD_IDX_MASK);
}

static inline uint32_t head_len(uint64_t h)
{
    return (uint32_t)(h >> HEAD_LEN_SHIFT & HEAD_LEN_MASK);
}

static inline uint64_t head_tag(uint64_t h)
{
    return h >> HEAD_TAG_SHIFT;
}

#endif /* MIDATLAS_WORD_H */
