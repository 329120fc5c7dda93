/* SPDX-License-Identifier: MIT */
/*
 * mid_layout.h - how the peers split a 16-bit MID into slot index and
 * generation, the same way midatlas does (see "MID layout" in midatlas.h):
 *
 *   index_bits = ceil(log2(capacity)),  mid = generation << index_bits | index
 *
 * so that every peer can tell a stale MID from a current one and the
 * conformance test can hold them all to the same rule: map returns NULL for
 * any value that is not a live MID of the current generation.  Peers keep
 * all 16 - index_bits generation bits (midatlas keeps 15 at capacity 1; the
 * difference does not matter for the benchmarks or the contract in impl.h).
 */
#ifndef MIDATLAS_BENCH_MID_LAYOUT_H
#define MIDATLAS_BENCH_MID_LAYOUT_H

#include <stdint.h>

struct mid_layout {
    uint32_t capacity;   /* 1..65536                                        */
    unsigned index_bits; /* 0..16                                           */
    uint32_t index_mask; /* (1 << index_bits) - 1                           */
    uint32_t gen_mask;   /* largest generation; 0 when there are no bits    */
};

static inline void mid_layout_init(struct mid_layout *l, uint32_t capacity)
{
    unsigned bits = 0;
    while ((UINT32_C(1) << bits) < capacity)
        bits++;
    l->capacity = capacity;
    l->index_bits = bits;
    l->index_mask = (UINT32_C(1) << bits) - 1u;
    l->gen_mask = bits >= 16 ? 0u : (UINT32_C(0xFFFF) >> bits);
}

static inline uint16_t mid_make(const struct mid_layout *l, uint32_t index, uint32_t gen)
{
    return (uint16_t)((gen << l->index_bits) | index);
}

static inline uint32_t mid_index(const struct mid_layout *l, uint16_t mid)
{
    return (uint32_t)mid & l->index_mask;
}

static inline uint32_t mid_gen(const struct mid_layout *l, uint16_t mid)
{
    return ((uint32_t)mid >> l->index_bits) & l->gen_mask;
}

/* The generation a slot gets when it is freed, so that its next MID differs
 * from the last one (until the generation wraps). */
static inline uint32_t mid_gen_next(const struct mid_layout *l, uint32_t gen)
{
    return (gen + 1u) & l->gen_mask;
}

#endif /* MIDATLAS_BENCH_MID_LAYOUT_H */
