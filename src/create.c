/* SPDX-License-Identifier: MIT */
/*
 * create.c - sizing, allocating, laying out and destroying an atlas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atlas.h"
#include "own.h"
#include "rseq.h"
#include "sweep.h"
#include "wait.h"

static uint32_t ceil_log2(uint32_t n)
{
    uint32_t bits = 0;
    while (((uint32_t)1 << bits) < n)
        bits++;
    return bits;
}

/* Stripes: a power of two, at most MIDATLAS_MAX_STRIPES, enough that no two
 * CPUs this process may run on share one (cpus.c: the highest CPU number
 * plus one) rounded up, and few enough that each starts with
 * MIDATLAS_MIN_SLOTS_PER_STRIPE free slots. */
static uint32_t stripe_count(uint32_t capacity)
{
    uint32_t span = midatlas__cpus_span(), n = 1;
    while (n < MIDATLAS_MAX_STRIPES && n < span &&
           (uint64_t)n * 2 * MIDATLAS_MIN_SLOTS_PER_STRIPE <= capacity)
        n *= 2;
    return n;
}

/* Chunks the rotor hands out: from 8 slots (one cache line of slot words)
 * to 64 (eight lines: one fetch-add on the rotor per 64 handouts at most),
 * and no more than capacity / stripes, so that there is at least one chunk
 * per stripe.  Few, large chunks keep threads that run at once on
 * slot lines of their own: with two threads and two chunks each thread
 * tends to get the same chunk every lap (capacity 64 at 2 threads: 0.80x
 * of the LIFO lists with 4 chunks of 16, 0.96x with 2 of 32). */
static uint32_t chunk_shift(uint32_t capacity, uint32_t nstripes)
{
    uint32_t shift = 3;
    while (shift < 6 && ((uint64_t)nstripes << (shift + 1)) <= capacity)
        shift++;
    return shift;
}

/* How long a chunk's visit may claim (sweep.h, "Laps"): until the rotor is
 * a quarter of a lap past the visit's ticket, so that a slot's two
 * handouts are at least three quarters of a lap of tickets apart however
 * long a sweeping thread stalls.  Never fewer than two tickets per stripe
 * (the stripes' visits run side by side, and a visit cut short only
 * delays its slots to the next lap), nor more than a lap (then another
 * visit of the chunk has begun). */
static uint32_t visit_tickets(uint32_t nchunks, uint32_t nstripes)
{
    uint32_t least = 2 * nstripes < nchunks ? 2 * nstripes : nchunks;
    return nchunks / 4 > least ? nchunks / 4 : least;
}

static uint32_t gcd(uint32_t x, uint32_t y)
{
    while (y) {
        uint32_t r = x % y;
        x = y;
        y = r;
    }
    return x;
}

/*
 * The order of the sweep (sweep.h, "Order"): inside every whole chunk two
 * slots per cache line in turn (up, or down in the even chunks), so that a
 * slot freed a few handouts after its claim is not on the line being
 * claimed in; and, in atlases of 8 chunks or more, the chunks in a stride
 * coprime to their number, so that the chunks two threads sweep at once
 * are never neighbours.  Smaller atlases hand their chunks out in index
 * order (their few chunks are always neighbours: the directions keep
 * their sweeps apart).
 */
static void sweep_order(struct midatlas *a)
{
    a->perm_end = (a->capacity >> a->chunk_shift) << a->chunk_shift;
    a->chunk_slots = (uint32_t)1 << a->chunk_shift;
    a->perm_back = a->chunk_slots - 1;
    a->chunk_stride = 1;
    if (a->nchunks < 8)
        return;
    a->chunk_stride = 3;
    while (gcd(a->chunk_stride, a->nchunks) != 1)
        a->chunk_stride += 2;
}

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* Two slot words to a cache line (MIDATLAS_F_SPREAD, midatlas.h says
 * why): asked for, or a small atlas not asked to stay packed. */
static bool spread(uint32_t capacity, unsigned flags)
{
    if (flags & MIDATLAS_F_SPREAD)
        return true;
    return !(flags & MIDATLAS_F_PACKED) && capacity <= MIDATLAS_SPREAD_MAX_CAPACITY;
}

/* Fill in sizes and masks; count slots the flags take out of use. */
static void layout(struct midatlas *a, uint32_t capacity, unsigned flags)
{
    a->capacity = capacity;
    a->flags = flags;
    /* Spread: a slot every 4 words, so that a pair of the sweep's order
     * (sweep.h, sweep_step: two neighbouring slots, an even one and the
     * odd one above it) is a line of its own. */
    a->slot_shift = spread(capacity, flags) ? 2 : 0;
    _Static_assert(MIDATLAS_CACHE_LINE == 2 * (sizeof(uint64_t) << 2), "two spread slots a line");
    a->idx_bits = ceil_log2(capacity);
    a->idx_mask = ((uint32_t)1 << a->idx_bits) - 1;
    uint32_t gen_bits = 16 - a->idx_bits;
    if (gen_bits > SLOT_COUNT_BITS)
        gen_bits = SLOT_COUNT_BITS; /* capacity 1: 15 of 16 bits (midatlas.h) */
    a->gen_mask = ((uint32_t)1 << gen_bits) - 1;
    a->slot_mul = (uint32_t)1 << a->slot_shift;
    /* word_is_mid: a MID times match_mul puts its generation on the
     * count's low bits; match_mask keeps those, and D. */
    a->match_mul = (uint64_t)1 << (SLOT_COUNT_SHIFT - a->idx_bits);
    a->match_mask = (uint64_t)a->gen_mask << SLOT_COUNT_SHIFT | SLOT_D_BIT;
    /* ... and a MID's bits above its index and its generation (bit 15 at
     * capacity 1, where the count holds 15 of the 16) go with the index,
     * so that such a MID's index is out of range and no word is compared
     * with it: its bit 15 would cancel D. */
    a->match_idx_mask = a->idx_mask | (0xFFFFu & ~(((uint32_t)1 << (a->idx_bits + gen_bits)) - 1));
    a->stripe_mask = stripe_count(capacity) - 1;
    a->chunk_shift = chunk_shift(capacity, a->stripe_mask + 1);
    a->nchunks = (capacity + ((uint32_t)1 << a->chunk_shift) - 1) >> a->chunk_shift;
    a->visit_tickets = visit_tickets(a->nchunks, a->stripe_mask + 1);
    sweep_order(a);
    /* A claim that passed over half the atlas in use: rotation can no
     * longer buy much reuse distance (sweep.h, "Scarce atlases"). */
    a->scarce_skip = capacity / 2 > 1 ? capacity / 2 : 1;

    a->usable = capacity;
    if (a->gen_mask == 0) {
        if ((flags & MIDATLAS_F_NO_ZERO))
            a->usable--;
        if ((flags & MIDATLAS_F_NO_FFFF) && capacity == MIDATLAS_MAX_CAPACITY)
            a->usable--;
    }
}

/* Chunks per stripe below which the rseq claim path is not used: with few
 * chunks, two CPUs keep meeting each other's chunks, and every meeting is
 * a skipped chunk or a revoke (a membarrier: microseconds).  Measured with
 * a prototype at capacity 64 on 2 CPUs (2 chunks): 2-thread churn fell to
 * 0.47x with revokes, 0.83x with skips (bench/RESULTS.md, "The cost of one MID
 * cycle"). */
#define RSEQ_MIN_CHUNKS_PER_STRIPE 4u

/* Does an atlas of this shape and these flags claim through owned chunks
 * (rseq.h)? */
static bool uses_owners(const struct midatlas *shape)
{
    return !(shape->flags & MIDATLAS_F_NO_RSEQ) &&
           shape->nchunks >= RSEQ_MIN_CHUNKS_PER_STRIPE * (shape->stripe_mask + 1) &&
           shape->nchunks <= OWN_MAX_CHUNKS && midatlas__rseq_on();
}

/* Does an atlas of this shape, which has no owner bytes (owned false), let
 * one CPU own it whole (solo.h)?  Wherever the rseq path runs. */
static bool uses_solo(const struct midatlas *shape, bool owned)
{
    return !owned && !(shape->flags & MIDATLAS_F_NO_RSEQ) && midatlas__rseq_on();
}

/* Serial numbers of the atlases created so far (struct midatlas.serial). */
static atomic_u64 serials;

int midatlas_create(struct midatlas **atlas, uint32_t capacity, unsigned flags)
{
    if (!atlas || capacity == 0 || capacity > MIDATLAS_MAX_CAPACITY || !MIDATLAS_FLAGS_VALID(flags))
        return MIDATLAS_EINVAL;

    struct midatlas shape;
    memset(&shape, 0, sizeof shape);
    layout(&shape, capacity, flags);

    size_t nstripes = (size_t)shape.stripe_mask + 1;
    size_t head_bytes = sizeof(struct midatlas); /* slot_word: no rounding */
    /* The slots, then the gap that keeps the stripes from the prefetchers
     * (atlas.h, MIDATLAS_STRIPE_GAP). */
    size_t slot_bytes = round_up(((size_t)capacity << shape.slot_shift) * sizeof(atomic_u64),
                                 MIDATLAS_CACHE_LINE) +
                        MIDATLAS_STRIPE_GAP;
    size_t stripe_bytes = nstripes * sizeof(struct stripe);
    bool owned = uses_owners(&shape);
    size_t announce_bytes = owned ? nstripes * sizeof(struct announce) : 0;
    size_t owner_bytes = owned ? OWN_BYTES : 0;
    size_t stamps = stamp_bytes(shape.nchunks);
    size_t bytes = head_bytes + slot_bytes + stripe_bytes + announce_bytes + owner_bytes + stamps;

    struct midatlas *a = aligned_alloc(MIDATLAS_CACHE_LINE, bytes);
    if (!a)
        return MIDATLAS_ENOMEM;
    memset(a, 0, bytes);
    *a = shape;
    a->bytes = bytes;
    /* relaxed: only unique, it orders nothing (2^64 creates do not wrap). */
    a->serial = fetch_add_relaxed(&serials, 1) + 1;
    a->prefetch = midatlas__cpus_prefetch();
    a->stripes = (struct stripe *)((char *)a + head_bytes + slot_bytes);
    /* Owner bytes start NONE (the memset): nobody owns a chunk yet. */
    char *after_stripes = (char *)a + head_bytes + slot_bytes + stripe_bytes;
    a->announce = owned ? (struct announce *)after_stripes : NULL;
    a->owners = owned ? (atomic_u8 *)(after_stripes + announce_bytes) : NULL;
    /* Stamps start 0 (the memset): no cursor holds a ticket yet. */
    a->stamps_off = (uint32_t)(bytes - stamps);
    /* Too few chunks for owner bytes: one CPU may own the atlas whole until
     * a second one claims in it (solo.h); SHARED (the memset's 0) where
     * the path is off.  create publishes the atlas: a plain store. */
    if (uses_solo(&shape, owned))
        store_relaxed(&a->solo, SOLO_UNOWNED);

    /* Every slot starts FREE with the count before 0, so its first handout
     * is count 0 (MID == index) unless that MID is reserved.  Plain
     * initialisation: create publishes the atlas as a whole.  The cursors
     * start empty (zero), so the first associate takes chunk 0. */
    for (uint32_t i = 0; i < capacity; i++) {
        uint64_t w = slot_excluded(a, i) ? slot_excluded_word(SLOT_COUNT_MASK)
                                         : slot_free(SLOT_COUNT_MASK);
        store_relaxed(slot_word(a, i), w);
    }
    if (midatlas__wait_init(a) != MIDATLAS_OK) {
        free(a);
        return MIDATLAS_ENOMEM;
    }

    *atlas = a;
    return MIDATLAS_OK;
}

/* A call still queued in associate_wait: the one breach of destroy's
 * contract destroy can see (the gate word counts it).  Freeing the atlas
 * under it let the waiter unlink itself from freed memory when it woke
 * (heap-use-after-free, silent without a sanitizer), so stop here instead,
 * naming the fix (tests/lifecycle/test_destroy_waiting.c). */
static void refuse_queued_waiters(struct midatlas *a)
{
    /* relaxed: the caller guarantees no call runs; a count left over
     * means one does (and waits), which is what this reports. */
    uint32_t waiting = load32_relaxed(&a->gate) & GATE_WAITERS;
    if (waiting == 0)
        return;
    fprintf(stderr,
            "midatlas_destroy: %u call%s still waiting in midatlas_associate_wait: close the "
            "atlas, join the threads that call it, then destroy it\n",
            waiting, waiting == 1 ? "" : "s");
    abort();
}

void midatlas_destroy(struct midatlas *a, midatlas_visit_fn *fn, void *arg)
{
    if (!a)
        return;
    /* The caller guarantees that every other call has returned and none
     * follows (midatlas_close, then join): nobody waits, nothing is in hand. */
    refuse_queued_waiters(a);
    if (fn) {
        for (uint32_t i = 0; i < a->capacity; i++) {
            /* The caller guarantees no call runs or follows: relaxed. */
            uint64_t w = load_relaxed(slot_word(a, i));
            if (slot_is_live(w))
                fn((void *)(uintptr_t)slot_ctx(w), mid_make(a, slot_mid_gen(a, w), i), arg);
        }
    }
    midatlas__wait_fini(a);
    free(a);
}

uint32_t midatlas_capacity(const struct midatlas *a)
{
    return a ? a->capacity : 0;
}
