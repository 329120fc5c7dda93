/*
 * freelist.h - the striped lock-free free list of slot indices.
 *
 * Free slots sit on up to 16 stripes, each a Treiber stack whose links live in
 * the free slots' own words (word.h).  A thread pops from and pushes to its
 * home stripes (thread-local hints, not per-atlas state, so an atlas's memory
 * never grows with the number of threads).  See midatlas.c for the theory of
 * operation.
 */
#ifndef MIDATLAS_FREELIST_H
#define MIDATLAS_FREELIST_H

#include <stdbool.h>
#include <stdint.h>

#include "atlas.h"

/* Lay the usable slots out on the stripes, lowest index first in each. */
void freelist_init(struct midatlas *a);

/* Take a free index.  On success *idx is the slot and *word the FREE word it
 * held (its generation is the last one handed out).  False only when every
 * stripe was empty at one instant during the call (a double collect). */
bool freelist_take(struct midatlas *a, uint32_t *idx, uint64_t *word);

/* The stripe the calling thread frees to, and its head as read now: callers
 * that won a slot store the head's index as the slot's link in the same CAS
 * that frees the slot, then call freelist_put. */
struct stripe *freelist_put_stripe(struct midatlas *a, uint64_t *head);

/* Put slot idx (already FREE with generation gen, linked to head_idx(head))
 * on stripe s, retrying on a moved head. */
void freelist_put(struct midatlas *a, struct stripe *s, uint64_t head, uint32_t idx,
                  uint32_t gen);

/* The calling thread's home stripe, for its counters. */
struct stripe *freelist_home(struct midatlas *a);

/* Number of slots on the lists now (exact when no call runs). */
uint32_t freelist_count(struct midatlas *a);

/* Record usable - listed in the high-water mark (slow paths and stats). */
void freelist_sample_high_water(struct midatlas *a);

#endif /* MIDATLAS_FREELIST_H */
