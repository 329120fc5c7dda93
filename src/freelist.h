/* SPDX-License-Identifier: MIT */
/*
 * freelist.h - the striped, rotating lock-free free list of slot indices.
 *
 * Free slots sit on up to 16 stripes.  Each stripe has two sides, each a
 * Treiber stack whose links live in the free slots' own words (word.h) and
 * whose head has a cache line of its own.  An atlas-wide epoch says which
 * side is taken from: associate pops from side (epoch & 1), every free
 * pushes onto the other side, and once every stripe's pop side is empty the
 * epoch flips (freelist.c).  So a freed slot waits until every slot that was
 * free before it has had its turn: MIDs come back in rotation, and a slot's
 * generation needs 2^generation_bits epochs to wrap (midatlas.h, "Stale
 * window").  A thread pops from its home stripe and every slot goes back to
 * its own stripe (thread-local hints, not per-atlas state, so an atlas's
 * memory never grows with the number of threads).  See midatlas.c for the theory of operation and
 * freelist.c for the slow paths and the home-hint policy.
 *
 * The fast paths (pop from the home stripe, one push attempt) are inline here
 * so associate and dissociate compile to straight-line code; everything that
 * loops over stripes lives out of line in freelist.c.
 */
#ifndef MIDATLAS_FREELIST_H
#define MIDATLAS_FREELIST_H

#include <stdbool.h>
#include <stdint.h>

#include "atlas.h"
#include "hooks.h"

/* ---- thread-local home hints -------------------------------------------- */

struct midatlas__freelist_tls {
    uint32_t own;        /* this thread's stripe number (masked per atlas) */
    uint32_t alloc_home; /* stripe adopted for pops ...                    */
    uint32_t adopt_epoch; /* ... for the rest of this epoch ...            */
    const struct midatlas *adopt_atlas; /* ... of this atlas              */
    uint32_t set;        /* 0 until the first call of this thread         */
};

/* initial-exec: a library's TLS access is then one %fs-relative load instead
 * of a __tls_get_addr call (32 bytes of static TLS; mimalloc does the same). */
#if defined(__GNUC__)
#define FREELIST_TLS_MODEL __attribute__((tls_model("initial-exec")))
#else
#define FREELIST_TLS_MODEL
#endif
extern _Thread_local struct midatlas__freelist_tls midatlas__freelist_tls FREELIST_TLS_MODEL;

void midatlas__freelist_tls_init(void);

static inline struct midatlas__freelist_tls *freelist_hints(void)
{
    if (__builtin_expect(!midatlas__freelist_tls.set, 0))
        midatlas__freelist_tls_init();
    return &midatlas__freelist_tls;
}

/* The stack of stripe k on side `side` (both taken modulo their range). */
static inline struct stripe *stack_of(struct midatlas *a, uint32_t side, uint32_t k)
{
    return &a->stripes[(side & 1) * (a->stripe_mask + 1) + (k & a->stripe_mask)];
}

/* Stacks in all: two sides of every stripe, side 0's first. */
static inline uint32_t stack_count(const struct midatlas *a)
{
    return 2 * (a->stripe_mask + 1);
}

/* The side associate pops from now.  relaxed: the epoch only steers which
 * stack is tried first; every answer (a pop, EFULL) rests on the heads. */
static inline uint32_t pop_side(struct midatlas *a)
{
    return load32_relaxed(&a->epoch) & 1;
}

/* The side stack s belongs to. */
static inline uint32_t side_of(const struct midatlas *a, const struct stripe *s)
{
    return s >= a->stripes + (a->stripe_mask + 1);
}

/* A head word no stack ever holds (a length above any capacity): what a pop
 * reports as seen when it gave up because the epoch moved, so that no
 * double collect can take that stack for empty. */
#define HEAD_NEVER head_make(0, (uint32_t)HEAD_LEN_MASK, 0)

/* The stripe the calling thread pops from in `epoch`: one it adopted in that
 * epoch when its own ran dry, else its own.  An adoption serves only until
 * the epoch ends: the next epoch's supply on the own stripe is what this
 * thread freed there, and two threads that both adopted the last non-empty
 * stripe must not go on sharing it. */
static inline uint32_t freelist_alloc_home(struct midatlas *a, uint32_t epoch)
{
    struct midatlas__freelist_tls *t = freelist_hints();
    uint32_t home = t->adopt_atlas == a && t->adopt_epoch == epoch ? t->alloc_home : t->own;
    return home & a->stripe_mask;
}

/* The calling thread's home stack, for its counters. */
static inline struct stripe *freelist_home(struct midatlas *a)
{
    return stack_of(a, 0, freelist_hints()->own);
}

/* ---- out of line -------------------------------------------------------- */

/* Lay the usable slots out on the stripes, lowest index first in each. */
void midatlas__freelist_init(struct midatlas *a);

/* The home stack was empty: adopt another, flip the epoch, or prove every
 * stack empty. */
bool midatlas__freelist_take_slow(struct midatlas *a, uint32_t *idx, uint64_t *word);

/* The first push attempt lost its CAS: count it and push again. */
void midatlas__freelist_put_slow(struct midatlas *a, struct stripe *s, uint32_t idx,
                                 uint32_t gen);

/* Push slot idx (won, FREE with generation gen, on no list) onto its own
 * stripe's push side, relinking it to that stack's head. */
void midatlas__freelist_put_again(struct midatlas *a, uint32_t idx, uint32_t gen);

/* Number of slots on the lists, summed stripe by stripe (exact when no call
 * runs, a momentary approximation otherwise). */
uint32_t midatlas__freelist_count(struct midatlas *a);

/* The number of slots on the lists at one instant during the call (a double
 * collect of the heads); false when the heads kept moving. */
bool midatlas__freelist_snapshot(struct midatlas *a, uint32_t *listed);

/* Record usable - listed at one instant in the high-water mark (slow paths
 * and stats); records nothing when no instant's figure could be had. */
void midatlas__freelist_sample_high_water(struct midatlas *a);

/* ---- pop ---------------------------------------------------------------- */

/*
 * Pop one index off stack s, chosen while the epoch's parity was `parity`.
 * False when the stack is empty (*seen then holds the empty head word
 * observed, for the caller's double collect) or when the epoch moved on
 * (*seen is then HEAD_NEVER).
 */
static inline bool stripe_pop(struct midatlas *a, struct stripe *s, uint32_t parity,
                              uint32_t *idx, uint64_t *word, uint64_t *seen)
{
    /* acquire: pairs with the seq_cst push CAS (freelist_put,
     * midatlas__freelist_put_again) and the acq_rel pop CAS below, so the link
     * read from the slot word is the one written before the push that made
     * this head (create's relaxed initialisation is published with the
     * atlas). */
    uint64_t h = load_acquire(&s->head);

    while (head_len(h) != 0) {
        uint32_t i = head_idx(h);
        uint64_t w = load_relaxed(&a->slots[i]);

        if (__builtin_expect(!slot_is_free(w), 0)) {
            /* i was popped since we read h; the head has moved on. */
            h = load_acquire(&s->head); /* pairs as the load above */
            continue;
        }
#if MIDATLAS_BROKEN == 2
        uint64_t tag = head_tag(h); /* deliberately broken: no ABA tag */
#else
        uint64_t tag = head_tag(h) + 1;
#endif
        uint64_t next = head_make(slot_link(w), head_len(h) - 1, tag);
        MIDATLAS_HOOK(MIDATLAS_HOOK_POP_LINK_READ, i);
        /* The epoch flipped since the caller chose this stack: a pop side
         * now collects freed slots, and taking one would hand it out an
         * epoch early.  Checked right before the CAS, so only a thread
         * stalled in these few instructions can still do it (a shorter reuse
         * distance for one slot, never an error). */
        if (__builtin_expect(pop_side(a) != parity, 0)) {
            *seen = HEAD_NEVER;
            return false;
        }
        /* Success: acq_rel.  The release half makes every later reader of
         * this head (the double collect of midatlas__freelist_take_slow, a
         * sweep's acquire load) synchronize with us and so with every push
         * we read through, on any stripe: without it a relaxed pop lets a
         * sweeper see this stripe empty yet another stripe's head from
         * before a push that happened-before our pop - a false EFULL under
         * the C11 model (issue 9 item 8; x86's locked CAS hides it).
         * Failure: acquire, because h is reloaded and the link read next
         * round must be the pusher's (pairs with freelist_put). */
        if (__builtin_expect(cas_acq_rel_acquire(&s->head, &h, next), 1)) {
            /* The tag is unchanged since we read w, so i was not popped in
             * between and w is still its word. */
            if (__builtin_expect((tag & HEAD_TAG_MASK) == 0, 0))
                add_relaxed(&s->tag_wraps, 1);
            *idx = i;
            *word = w;
            return true;
        }
        add_relaxed(&s->cas_failures, 1);
    }
    *seen = h;
    return false;
}

/* Take a free index.  On success *idx is the slot and *word the FREE word it
 * held (its generation is the last one handed out).  False only when every
 * stack, both sides of every stripe, was empty at one instant during the
 * call (a double collect). */
static inline bool freelist_take(struct midatlas *a, uint32_t *idx, uint64_t *word)
{
    /* relaxed: as pop_side; the full value tells epochs apart. */
    uint32_t epoch = load32_relaxed(&a->epoch), side = epoch & 1;
    uint32_t home = freelist_alloc_home(a, epoch);
    uint64_t seen;

    if (__builtin_expect(stripe_pop(a, stack_of(a, side, home), side, idx, word, &seen), 1))
        return true;
    return midatlas__freelist_take_slow(a, idx, word);
}

/* ---- push --------------------------------------------------------------- */

/* The stack slot idx goes back to: its own stripe's push side (the side not
 * popped from this epoch), and that stack's head as read now: callers that
 * won the slot store the head's index as the slot's link in the same CAS
 * that frees the slot, then call freelist_put.  A slot always returns to its
 * own stripe, whoever frees it, so a thread that churns keeps to its own
 * range of slot words instead of sharing their cache lines with others.  A
 * flip in between only makes the slot available an epoch early. */
static inline struct stripe *freelist_put_stripe(struct midatlas *a, uint32_t idx,
                                                 uint64_t *head)
{
    struct stripe *s = stack_of(a, pop_side(a) ^ 1, idx >> a->stripe_shift);
    *head = load_relaxed(&s->head);
    return s;
}

/* Put slot idx (already FREE with generation gen, linked to head_idx(head))
 * on stripe s. */
static inline void freelist_put(struct midatlas *a, struct stripe *s, uint64_t head, uint32_t idx,
                                uint32_t gen)
{
    uint64_t next = head_make(idx, head_len(head) + 1, head_tag(head));
    /* The epoch flipped since freelist_put_stripe: this stack is now popped
     * from, and the slot would come back in the epoch it was freed in. */
    if (__builtin_expect(pop_side(a) == side_of(a, s), 0)) {
        midatlas__freelist_put_again(a, idx, gen);
        return;
    }
    /* seq_cst, which includes release: publishes the slot's FREE word (its
     * link) to the popper's acquire load of this head in stripe_pop; and it is
     * the Dekker partner of the waiter's gate-word increment (wait.c): either
     * the waiter's sweep sees this push or our wait_after_free sees the
     * waiter.  On x86 it is the same lock cmpxchg as a release CAS. */
    if (__builtin_expect(cas_seq_cst(&s->head, &head, next), 1))
        return;
    midatlas__freelist_put_slow(a, s, idx, gen);
}

#endif /* MIDATLAS_FREELIST_H */
