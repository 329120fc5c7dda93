/* SPDX-License-Identifier: MIT */
/*
 * map.h - a MID to its context: the body of midatlas_map, inline.
 *
 * One definition with two callers: midatlas_map (midatlas.c), and the
 * benchmark's adapter (bench/impls/impl_midatlas.c).  The adapter exists
 * only because the plugin table passes the atlas as void *; calling
 * midatlas_map from it added a jump to every map that a peer's map (its
 * plugin's own function) does not pay: 4 ns in a lookup cycle of 16 maps,
 * 49 against 45 ns at one thread (AMD EPYC, Zen 5, medians of 9).  With
 * this body inline the adapter measures the library's map and nothing else.
 */
#ifndef MIDATLAS_MAP_H
#define MIDATLAS_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "atlas.h"

/* Does word w hold the LIVE association of exactly this MID?  The MID
 * times match_mul has its generation bits where the word has its count's
 * low bits; XOR with the word clears the bits that match, and match_mask
 * keeps those and D (bit 63): zero means D clear and the MID's generation.
 * A multiply, a XOR and a TEST, each with an operand read from the
 * header; the right shift this replaced needed its count in CL, two more
 * instructions (bench/RESULTS.md, "Where lookup at one thread loses").  A
 * reserved MID never matches (no slot is ever LIVE under it).  Callers first
 * take the index with mid_match_index and leave at an index at or above
 * capacity: at capacity 1 a MID's bit 15, which the count cannot hold, would
 * land on D and cancel a set D (test_wire's capacity 1 saw a FREE word map to
 * 0x10000 without that). */
static inline bool word_is_mid(const struct midatlas *a, uint64_t w, uint16_t mid)
{
    return ((w ^ (uint64_t)mid * a->match_mul) & a->match_mask) == 0;
}

/* The context a LIVE word holds. */
static inline void *ctx_ptr(uint64_t w)
{
    return (void *)(uintptr_t)slot_ctx(w);
}

/* The context of mid's LIVE association of its generation, else NULL
 * (midatlas_map's contract, for an atlas that is not NULL). */
static inline void *atlas_map(const struct midatlas *a, uint16_t mid)
{
    uint32_t idx = mid_match_index(a, mid);
    if (idx >= a->capacity)
        return NULL;
    /* acquire: pairs with the claim's release CAS (claim.h,
     * slot_claim_cas), the rseq claim's store, which publishes as that CAS
     * does (own.h, own_claim_fast), and reassociate's acq_rel CAS
     * (midatlas.c). */
    uint64_t w = load_acquire(slot_word(a, idx));
    if (!word_is_mid(a, w, mid))
        return NULL;
    return ctx_ptr(w);
}

#endif /* MIDATLAS_MAP_H */
