/* SPDX-License-Identifier: MIT */
/*
 * word.h - the tagged 64-bit slot word of midatlas, built and split in one
 * place.
 *
 *    63 62           48 47                                          0
 *   +--+---------------+---------------------------------------------+
 *   |D |  count        |  payload                                    |
 *   +--+---------------+---------------------------------------------+
 *
 *   LIVE       D = 0, payload = context (never 0: NULL is not a context)
 *   DISCARDED  D = 1, payload = 0                      (a tombstone)
 *   FREE       D = 1, payload = FREE_MARK
 *   EXCLUDED   D = 1, payload = EXCLUDED_MARK  (a slot whose only MID a flag
 *                                                reserves: never handed out)
 *   D = 0 with payload 0 is never stored.
 *
 *   count is the slot's handout counter, 15 bits, modulo 2^15: every
 *   associate that claims the slot advances it (by one, or by two to skip a
 *   reserved MID value), and nothing else does.  The MID's generation is its
 *   low bits (count & gen_mask, atlas.h).  Because a claim is the only way out
 *   of FREE and it always advances the count, a slot word never returns to a
 *   value it held while passing through FREE, short of 2^15 handouts of that
 *   one slot: that is what makes the double collects of sweep.c sound.
 *
 *   Why D is the top bit: LIVE is the sign bit clear, and map compares a
 *   MID with a word in one multiply, one XOR and one TEST (map.h,
 *   word_is_mid): the MID times a power of two has its generation where
 *   the count's low bits are, its index among the payload bits and nothing
 *   at bit 63 (a MID that would put its bit 15 there, at capacity 1, never
 *   reaches the compare: map.h), so one mask keeps the generation and D,
 *   and a LIVE word of that MID leaves zero.
 */
#ifndef MIDATLAS_WORD_H
#define MIDATLAS_WORD_H

#include <stdbool.h>
#include <stdint.h>

#define SLOT_COUNT_SHIFT 48
#define SLOT_COUNT_BITS 15
#define SLOT_COUNT_MASK ((uint32_t)(1u << SLOT_COUNT_BITS) - 1)
#define SLOT_D_SHIFT 63
#define SLOT_D_BIT ((uint64_t)1 << SLOT_D_SHIFT)
#define SLOT_PAYLOAD_MASK (((uint64_t)1 << SLOT_COUNT_SHIFT) - 1)
#define SLOT_FREE_MARK ((uint64_t)1 << 16)
#define SLOT_EXCLUDED_MARK ((uint64_t)1 << 17)
#define SLOT_STATE_MASK (SLOT_D_BIT | SLOT_PAYLOAD_MASK)

_Static_assert(SLOT_COUNT_SHIFT + SLOT_COUNT_BITS == SLOT_D_SHIFT, "the count fills bits 48..62");
_Static_assert(sizeof(void *) <= sizeof(uint64_t), "contexts are packed into 64-bit words");

static inline uint64_t slot_live(uint32_t count, uint64_t ctx)
{
    return (uint64_t)count << SLOT_COUNT_SHIFT | ctx;
}

static inline uint64_t slot_discarded(uint32_t count)
{
    return (uint64_t)count << SLOT_COUNT_SHIFT | SLOT_D_BIT;
}

static inline uint64_t slot_free(uint32_t count)
{
    return (uint64_t)count << SLOT_COUNT_SHIFT | SLOT_D_BIT | SLOT_FREE_MARK;
}

static inline uint64_t slot_excluded_word(uint32_t count)
{
    return (uint64_t)count << SLOT_COUNT_SHIFT | SLOT_D_BIT | SLOT_EXCLUDED_MARK;
}

static inline uint32_t slot_count(uint64_t w)
{
    return (uint32_t)(w >> SLOT_COUNT_SHIFT) & SLOT_COUNT_MASK;
}

static inline bool slot_is_live(uint64_t w)
{
    return (w & SLOT_D_BIT) == 0;
}

static inline bool slot_is_discarded(uint64_t w)
{
    return (w & SLOT_STATE_MASK) == SLOT_D_BIT;
}

static inline bool slot_is_free(uint64_t w)
{
    return (w & SLOT_STATE_MASK) == (SLOT_D_BIT | SLOT_FREE_MARK);
}

static inline uint64_t slot_ctx(uint64_t w)
{
    return w & SLOT_PAYLOAD_MASK;
}

#endif /* MIDATLAS_WORD_H */
