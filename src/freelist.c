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
 * A thread that both takes and frees (churn, windows) keeps its stripe near
 * its starting share.  A thread that frees more than it takes (the receiver of
 * a sender/receiver pipeline) fills its stripe; once the stripe holds a full
 * batch (twice the starting share) it moves its free home to an empty stripe
 * and leaves the batch behind.  A thread whose alloc stripe runs dry first
 * looks for such a full batch, which nobody is filling any more, and adopts it
 * (moving its free home there too, so churn stays local); only if there is
 * none does it take from any non-empty stripe.  So sender and receiver work on
 * different cache lines and hand free MIDs over a batch at a time, without a
 * MID ever being invisible to other threads.  A push that loses its CAS also
 * moves the free home on: someone else is working that stripe.
 */
#include "freelist.h"

static atomic_u32 thread_seq;

_Thread_local struct midatlas__freelist_tls midatlas__freelist_tls FREELIST_TLS_MODEL;

void midatlas__freelist_tls_init(void)
{
    /* Numbering only spreads threads over stripes: relaxed is enough. */
    uint32_t seq = add32_relaxed(&thread_seq, 1);
    midatlas__freelist_tls.alloc_home = seq;
    midatlas__freelist_tls.free_home = seq;
    midatlas__freelist_tls.set = 1;
}

/* ---- init --------------------------------------------------------------- */

void midatlas__freelist_init(struct midatlas *a)
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

/* ---- slow paths --------------------------------------------------------- */

/*
 * Slow path: the home stripe is empty.  Sweep every stripe, adopting the first
 * non-empty one; if all were empty, sweep again and compare: if no head word
 * changed between its two reads, then at the instant between the sweeps every
 * stripe was empty at once (a head cannot return to the same word: a push
 * changes the length, a pop the tag), and EFULL is the truth.  Otherwise
 * something was freed meanwhile: try again.  A retry therefore always follows
 * another thread's progress (lock-free).
 */
/* Adopt stripe si as both homes and record the high-water mark. */
static void adopt(struct midatlas *a, uint32_t si)
{
    midatlas__freelist_tls.alloc_home = si;
    midatlas__freelist_tls.free_home = si;
    midatlas__freelist_sample_high_water(a);
}

/* First choice when the home stripe is dry: a full batch left by a freer. */
static bool take_full_batch(struct midatlas *a, uint32_t home, uint32_t *idx, uint64_t *word)
{
    uint64_t seen;
    for (uint32_t k = 1; k <= a->stripe_mask; k++) {
        uint32_t si = (home + k) & a->stripe_mask;
        if (head_len(load_relaxed(&a->stripes[si].head)) >= a->batch &&
            stripe_pop(a, &a->stripes[si], idx, word, &seen)) {
            adopt(a, si);
            return true;
        }
    }
    return false;
}

bool midatlas__freelist_take_slow(struct midatlas *a, uint32_t home, uint32_t *idx, uint64_t *word)
{
    uint32_t nstripes = a->stripe_mask + 1;
    uint64_t seen[MIDATLAS_MAX_STRIPES];

    if (take_full_batch(a, home, idx, word))
        return true;
    for (;;) {
        for (uint32_t k = 0; k < nstripes; k++) {
            uint32_t si = (home + k) & a->stripe_mask;
            if (stripe_pop(a, &a->stripes[si], idx, word, &seen[si])) {
                adopt(a, si);
                return true;
            }
        }
        bool unchanged = true;
        for (uint32_t si = 0; si < nstripes && unchanged; si++)
            unchanged = load_relaxed(&a->stripes[si].head) == seen[si];
        if (unchanged) {
            /* Nothing listed at that instant: every usable slot in use. */
            max32_relaxed(&a->high_water, a->usable);
            return false;
        }
    }
}

void midatlas__freelist_batch_done(struct midatlas *a)
{
    uint32_t from = midatlas__freelist_tls.free_home;
    /* The nearest empty stripe; if none is empty, simply the next one. */
    for (uint32_t k = 1; k <= a->stripe_mask; k++) {
        if (head_len(load_relaxed(&a->stripes[(from + k) & a->stripe_mask].head)) == 0) {
            midatlas__freelist_tls.free_home = from + k;
            return;
        }
    }
    midatlas__freelist_tls.free_home = from + 1;
}

void midatlas__freelist_put_slow(struct midatlas *a, struct stripe *s, uint64_t head, uint32_t idx,
                       uint32_t gen)
{
    for (;;) {
        add_relaxed(&s->cas_failures, 1);
        /* Someone else works this stripe: move the free home along. */
        midatlas__freelist_tls.free_home++;
        s = &a->stripes[midatlas__freelist_tls.free_home & a->stripe_mask];
        head = load_relaxed(&s->head);
        /* Nobody else writes a FREE slot that is on no list (every other
         * writer CASes from LIVE or DISCARDED), so a plain store relinks it;
         * the release CAS below orders it before the push. */
        store_relaxed(&a->slots[idx], slot_free(gen, head_idx(head)));
        uint64_t next = head_make(idx, head_len(head) + 1, head_tag(head));
        /* seq_cst: as in freelist_put (publishes the relinked FREE word to
         * stripe_pop's acquire; Dekker partner of wait.c's increment). */
        if (cas_seq_cst(&s->head, &head, next))
            return;
    }
}

/* ---- accounting --------------------------------------------------------- */

/* Heads kept moving for this many double collects: give up (stats only). */
#define SNAPSHOT_TRIES 4

uint32_t midatlas__freelist_count(struct midatlas *a)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k <= a->stripe_mask; k++)
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
    uint64_t seen[MIDATLAS_MAX_STRIPES];
    for (int attempt = 0; attempt < SNAPSHOT_TRIES; attempt++) {
        uint32_t n = 0;
        bool unchanged = true;
        for (uint32_t k = 0; k <= a->stripe_mask; k++) {
            /* acquire: pairs with the push and pop CASes (seq_cst and
             * acq_rel), like the double collect in take_slow. */
            seen[k] = load_acquire(&a->stripes[k].head);
            n += head_len(seen[k]);
        }
        for (uint32_t k = 0; k <= a->stripe_mask && unchanged; k++)
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
