/* SPDX-License-Identifier: MIT */
/*
 * freelist.c - striped Treiber stacks of free slot indices.
 *
 * Why stripes: one shared free list collapses as soon as two cores churn it
 * (the head line and the just-freed slots bounce; BRIEF.md section 3 measured
 * ~22 M pairs/s for two threads).  With a home stripe per thread, a thread
 * that allocates and frees keeps its stripe's line in its own cache.
 *
 * Why not private per-thread caches: a MID parked in a private cache cannot be
 * found by another thread, so "full" would be reported while MIDs are free,
 * and per-thread state per atlas grows with threads x atlases.  Every free
 * slot here is always on some stripe, reachable by every thread; the only
 * per-thread state is a small thread-local record of hints shared by all
 * atlases.
 *
 * Homes: a thread pops from its own stripe (the CPU it runs on, so threads
 * running at once spread over the stripes), and every slot, whoever frees it, goes back to
 * the stripe that owns its range of indices.  A thread that takes and frees
 * (churn, windows) thus keeps to its own slot words and stack heads.  When
 * its own stripe runs dry it adopts another for the rest of the epoch.  A
 * thread that frees what others take (the receiver of a pipeline) pushes
 * onto push sides nobody pops this epoch: the flip hands its whole batch to
 * the takers at once, and takers and freers never touch the same head.
 *
 * Rotation: every stripe has two stacks (sides).  Pops take from side
 * (epoch & 1), pushes go to the other side, so a slot freed in an epoch is
 * not handed out again in it.  When a thread finds every pop side empty but
 * some push side not, it flips the epoch with one CAS and the freed slots
 * become the next epoch's supply.  A LIFO stack alone hands a lone request
 * the same slot back every time (its MID value then returns after
 * 2^generation_bits handouts: 16 at capacity 4096); in rotation each slot is
 * handed out once per epoch, an epoch hands out every slot free at its start,
 * and a MID value returns only after about 2^16 handouts.  The epoch word is
 * written once per epoch, on a cache line of its own.
 */
#include "freelist.h"

static atomic_u32 thread_seq;

_Thread_local struct midatlas__freelist_tls midatlas__freelist_tls FREELIST_TLS_MODEL;

void midatlas__freelist_tls_init(void)
{
    /* Numbering only spreads threads over stripes: relaxed is enough. */
    uint32_t seq = add32_relaxed(&thread_seq, 1);
    /* The CPU, not a thread number: threads running at once are on
     * different CPUs, so they get different stripes (stripes follow the
     * CPUs, cpus.c), whatever order they were created in. */
    midatlas__freelist_tls.own = midatlas__current_cpu(seq);
    midatlas__freelist_tls.alloc_home = seq;
    midatlas__freelist_tls.set = 1;
}

/* ---- init --------------------------------------------------------------- */

void midatlas__freelist_init(struct midatlas *a)
{
    uint32_t nstripes = a->stripe_mask + 1;
    uint32_t idx = 0;

    for (uint32_t k = 0; k < nstripes; k++) {
        /* Each stripe gets its own range of slots (atlas.h, stripe_shift). */
        uint64_t range_end = (uint64_t)(k + 1) << a->stripe_shift;
        uint32_t end = range_end < a->capacity ? (uint32_t)range_end : a->capacity;
        uint32_t first = 0, len = 0, prev = 0;

        for (; idx < end; idx++) {
            if (slot_excluded(a, idx))
                continue;
            if (len == 0)
                first = idx;
            else
                store_relaxed(&a->slots[prev], slot_free(slot_gen(load_relaxed(&a->slots[prev])), idx));
            prev = idx;
            len++;
        }
        /* Plain initialisation: create publishes the atlas as a whole.
         * Everything starts on side 0, epoch 0's pop side. */
        store_relaxed(&stack_of(a, 0, k)->head, head_make(first, len, 0));
        store_relaxed(&stack_of(a, 1, k)->head, head_make(0, 0, 0));
    }
}

/* ---- slow paths --------------------------------------------------------- */

/* Pop from stripe si for the rest of this epoch, and record the high-water
 * mark.  The free home stays: what this thread frees goes on the push side
 * of its own stripe, which becomes its supply in the next epoch. */
static void adopt(struct midatlas *a, uint32_t si, uint32_t epoch)
{
    midatlas__freelist_tls.alloc_home = si;
    midatlas__freelist_tls.adopt_epoch = epoch;
    midatlas__freelist_tls.adopt_atlas = a;
    midatlas__freelist_sample_high_water(a);
}

/* Pop from any stripe's `side` stack, home first, while the epoch is still
 * `epoch`; on failure seen[k] holds each stack's empty head as read.  The
 * stripe popped from is adopted for this epoch (and the high-water mark
 * sampled) when it is a pop side, not for a take off a push side. */
static bool sweep_pop(struct midatlas *a, uint32_t home, uint32_t side, uint32_t epoch,
                      uint32_t *idx, uint64_t *word, uint64_t *seen)
{
    uint32_t parity = epoch & 1;
    for (uint32_t k = 0; k <= a->stripe_mask; k++) {
        uint32_t si = (home + k) & a->stripe_mask;
        if (stripe_pop(a, stack_of(a, side, si), parity, idx, word, &seen[si])) {
            if (side == parity)
                adopt(a, si, epoch);
            return true;
        }
    }
    return false;
}

/* The own stripe ran dry: adopt the pop-side stack holding the most slots.
 * Another thread's own stripe is being emptied by it, so the fullest one is
 * likely nobody's: taking it keeps two threads off one head, where taking
 * the next stripe in line would chase the neighbour through the stripes. */
static bool take_fullest(struct midatlas *a, uint32_t home, uint32_t epoch, uint32_t *idx,
                         uint64_t *word)
{
    uint32_t side = epoch & 1, best = home, best_len = 0;
    uint64_t seen;
    for (uint32_t k = 1; k <= a->stripe_mask; k++) {
        uint32_t si = (home + k) & a->stripe_mask;
        uint32_t len = head_len(load_relaxed(&stack_of(a, side, si)->head));
        if (len > best_len) {
            best = si;
            best_len = len;
        }
    }
    if (best_len == 0 || !stripe_pop(a, stack_of(a, side, best), side, idx, word, &seen))
        return false;
    adopt(a, best, epoch);
    return true;
}

/* Read every stack of `side` into seen[]; the slots they hold in all. */
static uint32_t collect_side(struct midatlas *a, uint32_t side, uint64_t *seen)
{
    uint32_t listed = 0;
    for (uint32_t k = 0; k <= a->stripe_mask; k++) {
        /* acquire: pairs with the push and pop CASes (every head write is a
         * release, midatlas.c's memory-order table): the double collect. */
        seen[k] = load_acquire(&stack_of(a, side, k)->head);
        listed += head_len(seen[k]);
    }
    return listed;
}

/* True when no stack of `side` changed since collect/sweep read seen[]. */
static bool side_unchanged(struct midatlas *a, uint32_t side, const uint64_t *seen)
{
    for (uint32_t k = 0; k <= a->stripe_mask; k++)
        if (load_relaxed(&stack_of(a, side, k)->head) != seen[k])
            return false;
    return true;
}

/*
 * Slow path: the home stack was empty (or the epoch had just flipped).  In
 * order: the home stack again; the fullest pop-side stack of another stripe;
 * any pop-side stack; if every pop side was empty and the
 * push sides hold at least flip_min slots, flip the epoch and start over on
 * the new pop side.  Fewer than that (an atlas all but full): take one off a
 * push side without flipping.  Rotation cannot lengthen the reuse distance
 * beyond the few free slots there are, and a flip per handout would make
 * the epoch word bounce between cores on every call.  If
 * both sides of every stripe were empty, read every head again: if no head
 * word changed between its two reads, then at the instant between the two
 * collects every stack was empty at once (a head never returns to a word it
 * held: a push changes the length, a pop the tag), and EFULL is the truth.
 * Otherwise something was freed meanwhile: try again.  Every retry follows
 * another thread's progress (a push, a pop, or a flip that leaves a
 * non-empty pop side), so the loop is lock-free.
 */
bool midatlas__freelist_take_slow(struct midatlas *a, uint32_t *idx, uint64_t *word)
{
    uint64_t seen[2][MIDATLAS_MAX_STRIPES];

    /* The own stripe follows the CPU the thread runs on now: it may have
     * moved since the last slow path. */
    midatlas__freelist_tls.own = midatlas__current_cpu(midatlas__freelist_tls.own);
    for (;;) {
        uint32_t epoch = load32_relaxed(&a->epoch), side = epoch & 1;
        /* Every round: after a flip the sweep starts from the own stripe
         * again, not from one adopted in the epoch that ended. */
        uint32_t home = freelist_alloc_home(a, epoch);
        uint64_t home_seen;
        /* The fast path may have failed only because the epoch had just
         * flipped: the home stack first, then the fullest, then any. */
        if (stripe_pop(a, stack_of(a, side, home), side, idx, word, &home_seen) ||
            take_fullest(a, home, epoch, idx, word) ||
            sweep_pop(a, home, side, epoch, idx, word, seen[side]))
            return true;
        uint32_t waiting = collect_side(a, side ^ 1, seen[side ^ 1]);
        if (waiting >= a->flip_min) {
            /* relaxed: the flip publishes nothing (the heads carry their own
             * releases); failing means another thread flipped already. */
            cas32_relaxed(&a->epoch, &epoch, epoch + 1);
            continue;
        }
        if (waiting > 0) {
            if (sweep_pop(a, home, side ^ 1, epoch, idx, word, seen[side ^ 1]))
                return true;
            continue;
        }
        if (side_unchanged(a, side, seen[side]) && side_unchanged(a, side ^ 1, seen[side ^ 1])) {
            /* Nothing listed at that instant: every usable slot in use. */
            max32_relaxed(&a->high_water, a->usable);
            return false;
        }
    }
}

void midatlas__freelist_put_again(struct midatlas *a, uint32_t idx, uint32_t gen)
{
    for (;;) {
        struct stripe *s = stack_of(a, pop_side(a) ^ 1, idx >> a->stripe_shift);
        uint64_t head = load_relaxed(&s->head);
        /* Nobody else writes a FREE slot that is on no list (every other
         * writer CASes from LIVE or DISCARDED), so a plain store relinks it;
         * the seq_cst CAS below orders it before the push. */
        store_relaxed(&a->slots[idx], slot_free(gen, head_idx(head)));
        uint64_t next = head_make(idx, head_len(head) + 1, head_tag(head));
        /* seq_cst: as in freelist_put (publishes the relinked FREE word to
         * stripe_pop's acquire; Dekker partner of wait.c's increment).  A
         * failure means another call changed this head: progress. */
        if (cas_seq_cst(&s->head, &head, next))
            return;
        add_relaxed(&s->cas_failures, 1);
    }
}

void midatlas__freelist_put_slow(struct midatlas *a, struct stripe *s, uint32_t idx,
                                 uint32_t gen)
{
    add_relaxed(&s->cas_failures, 1);
    midatlas__freelist_put_again(a, idx, gen);
}

/* ---- accounting --------------------------------------------------------- */

/* Heads kept moving for this many double collects: give up (stats only). */
#define SNAPSHOT_TRIES 4

uint32_t midatlas__freelist_count(struct midatlas *a)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < stack_count(a); k++)
        n += head_len(load_relaxed(&a->stripes[k].head));
    return n;
}

/*
 * The number of listed slots at one instant, by the same double collect that
 * proves EFULL: a head word never returns to a value it had (a push changes
 * the length, a pop the tag), so a head read twice with the same value held
 * it all along, and all of them held their values together at the instant
 * between the two sweeps.  A plain sum of lengths read one by one is no such
 * figure: a slot moving from a stripe not yet read to one already read is
 * counted on neither.
 */
bool midatlas__freelist_snapshot(struct midatlas *a, uint32_t *listed)
{
    uint64_t seen[2 * MIDATLAS_MAX_STRIPES];
    uint32_t nstacks = stack_count(a);
    for (int attempt = 0; attempt < SNAPSHOT_TRIES; attempt++) {
        uint32_t n = 0;
        bool unchanged = true;
        for (uint32_t k = 0; k < nstacks; k++) {
            /* acquire: pairs with the push and pop CASes (seq_cst and
             * acq_rel), like the double collect in take_slow. */
            seen[k] = load_acquire(&a->stripes[k].head);
            n += head_len(seen[k]);
        }
        for (uint32_t k = 0; k < nstacks && unchanged; k++)
            unchanged = load_relaxed(&a->stripes[k].head) == seen[k];
        if (unchanged) {
            *listed = n;
            return true;
        }
    }
    return false;
}

void midatlas__freelist_sample_high_water(struct midatlas *a)
{
    uint32_t listed;
    /* Only an instant's figure may raise the mark, so that it never exceeds
     * the true peak of slots in use (live, discarded or in a call's hand). */
    if (midatlas__freelist_snapshot(a, &listed) && listed <= a->usable)
        max32_relaxed(&a->high_water, a->usable - listed);
}
