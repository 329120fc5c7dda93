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
 * per-thread state is two small thread-local hints shared by all atlases.
 *
 * Home hints: a thread's alloc and free homes start at a per-thread number.
 * When its alloc stripe runs dry it adopts the next non-empty stripe and moves
 * its free home there too (churn stays local).  When a push loses a CAS, some
 * other thread is working that stripe, so the free home moves on: in a
 * sender/receiver pipeline the receiver drifts away from the stripe the
 * sender drains, and the two fill and drain different lines.
 */
#include "freelist.h"

#include "hooks.h"

static atomic_u32 thread_seq;

static _Thread_local uint32_t tls_alloc_home;
static _Thread_local uint32_t tls_free_home;
static _Thread_local int tls_homes_set;

static void homes_init(void)
{
    /* Statistics-grade numbering: any distinct-enough value will do. */
    uint32_t seq = atomic_fetch_add_explicit(&thread_seq, 1, memory_order_relaxed);
    tls_alloc_home = seq;
    tls_free_home = seq;
    tls_homes_set = 1;
}

static inline uint32_t alloc_home(const struct midatlas *a)
{
    if (!tls_homes_set)
        homes_init();
    return tls_alloc_home & a->stripe_mask;
}

static inline uint32_t free_home(const struct midatlas *a)
{
    if (!tls_homes_set)
        homes_init();
    return tls_free_home & a->stripe_mask;
}

struct stripe *freelist_home(struct midatlas *a)
{
    return &a->stripes[alloc_home(a)];
}

/* ---- init --------------------------------------------------------------- */

static int slot_excluded(const struct midatlas *a, uint32_t idx)
{
    /* Only slots with a single MID (no generation bits) can lose it all. */
    return a->gen_mask == 0 && mid_reserved(a->flags, idx);
}

void freelist_init(struct midatlas *a)
{
    uint32_t nstripes = a->stripe_mask + 1;
    uint32_t idx = 0;

    for (uint32_t k = 0; k < nstripes; k++) {
        /* Contiguous ranges: neighbouring slots share cache lines, so giving
         * them to one stripe keeps threads off each other's slot lines. */
        uint32_t end = (uint32_t)((uint64_t)a->capacity * (k + 1) / nstripes);
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
        /* Plain initialisation: create publishes the atlas as a whole. */
        store_relaxed(&a->stripes[k].head, head_make(first, len, 0));
    }
}

/* ---- pop ---------------------------------------------------------------- */

/*
 * Pop one index off stripe s.  False when the stripe is empty; *seen then
 * holds the empty head word observed, for the caller's double collect.
 */
static bool stripe_pop(struct midatlas *a, struct stripe *s, uint32_t *idx, uint64_t *word,
                       uint64_t *seen)
{
    /* acquire: pairs with the release CAS in freelist_put (and the relaxed
     * initialisation published by create), so the link in the slot word
     * loaded below is the one written before that push. */
    uint64_t h = load_acquire(&s->head);

    while (head_len(h) != 0) {
        uint32_t i = head_idx(h);
        uint64_t w = load_relaxed(&a->slots[i]);

        if (!slot_is_free(w)) {
            /* i was popped since we read h; the head has moved on. */
            h = load_acquire(&s->head); /* pairs with freelist_put's release CAS */
            continue;
        }
#if MIDATLAS_BROKEN == 2
        uint64_t tag = head_tag(h);
#else
        uint64_t tag = head_tag(h) + 1;
#endif
        uint64_t next = head_make(slot_link(w), head_len(h) - 1, tag);
        /* acquire on both outcomes: on failure h is reloaded and its link
         * read next round must be the pusher's (pairs with freelist_put). */
        if (atomic_compare_exchange_strong_explicit(&s->head, &h, next, memory_order_acquire,
                                                    memory_order_acquire)) {
            /* The tag is unchanged since we read w, so i was not popped in
             * between and w is still its word. */
            if ((tag & HEAD_TAG_MASK) == 0)
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

/*
 * Slow path: the home stripe is empty.  Sweep every stripe, adopting the first
 * non-empty one; if all were empty, sweep again and compare: if no head word
 * changed between its two reads, then at the instant between the sweeps every
 * stripe was empty at once (a head cannot return to the same word: a push
 * changes the length, a pop the tag), and EFULL is the truth.  Otherwise
 * something was freed meanwhile: try again.  A retry therefore always follows
 * another thread's progress (lock-free).
 */
static bool take_slow(struct midatlas *a, uint32_t home, uint32_t *idx, uint64_t *word)
{
    uint32_t nstripes = a->stripe_mask + 1;
    uint64_t seen[MIDATLAS_MAX_STRIPES];

    for (;;) {
        for (uint32_t k = 0; k < nstripes; k++) {
            uint32_t si = (home + k) & a->stripe_mask;
            if (stripe_pop(a, &a->stripes[si], idx, word, &seen[si])) {
                tls_alloc_home = si;
                tls_free_home = si;
                freelist_sample_high_water(a);
                return true;
            }
        }
        bool unchanged = true;
        for (uint32_t si = 0; si < nstripes && unchanged; si++)
            unchanged = load_relaxed(&a->stripes[si].head) == seen[si];
        if (unchanged) {
            freelist_sample_high_water(a);
            return false;
        }
    }
}

bool freelist_take(struct midatlas *a, uint32_t *idx, uint64_t *word)
{
    uint32_t home = alloc_home(a);
    uint64_t seen;

    if (stripe_pop(a, &a->stripes[home], idx, word, &seen))
        return true;
    return take_slow(a, home, idx, word);
}

/* ---- push --------------------------------------------------------------- */

struct stripe *freelist_put_stripe(struct midatlas *a, uint64_t *head)
{
    struct stripe *s = &a->stripes[free_home(a)];
    *head = load_relaxed(&s->head);
    return s;
}

void freelist_put(struct midatlas *a, struct stripe *s, uint64_t head, uint32_t idx, uint32_t gen)
{
    for (;;) {
        uint64_t next = head_make(idx, head_len(head) + 1, head_tag(head));
        /* release: publishes the slot's FREE word (its link) to the popper's
         * acquire load of this head in stripe_pop. */
        if (cas_release(&s->head, &head, next))
            return;
        add_relaxed(&s->cas_failures, 1);
        /* Someone else works this stripe: move the free home along. */
        tls_free_home++;
        s = &a->stripes[free_home(a)];
        head = load_relaxed(&s->head);
        /* Nobody else writes a FREE slot that is on no list (every other
         * writer CASes from LIVE or DISCARDED), so a plain store relinks it;
         * the release CAS above orders it before the push. */
        store_relaxed(&a->slots[idx], slot_free(gen, head_idx(head)));
    }
}

/* ---- accounting --------------------------------------------------------- */

uint32_t freelist_count(struct midatlas *a)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k <= a->stripe_mask; k++)
        n += head_len(load_relaxed(&a->stripes[k].head));
    return n;
}

void freelist_sample_high_water(struct midatlas *a)
{
    uint32_t listed = freelist_count(a);
    if (listed <= a->usable)
        max32_relaxed(&a->high_water, a->usable - listed);
}
