/* SPDX-License-Identifier: MIT */
/*
 * sweep.c - the slow paths of finding a free slot: taking chunks from the
 * rotor, the scarce path, and the double collects that prove EFULL and
 * measure the atlas at one instant.  The idea and the fast path are in
 * sweep.h.
 *
 * Why not free lists (the design before 0.3): a Treiber stack costs a
 * locked CAS to pop and another to push, on top of the slot CAS that makes
 * an ending exactly-once; its head is a line every taker and freer of the
 * stripe writes; a slot between pop and publish, or between win and push, is
 * in a call's hand where no other thread can find it; and rotation needed
 * two stacks per stripe and an epoch whose end made threads steal from each
 * other.  A claim CAS on the slot word itself needs none of that.
 *
 * Why a rotor and not per-stripe ranges: a lone thread must sweep the whole
 * atlas for its MIDs to come back late (a thread that swept only its
 * stripe's range would see a MID value again after 1/nstripes of the
 * distance), and threads running at once must not sweep the same lines.  A
 * global chunk counter gives both: the chunks come round in one order, and
 * two threads never get the same chunk in one lap.
 *
 * Orders.  Every write that makes a slot FREE is a seq_cst CAS (a release,
 * and the Dekker partner of a waiter's gate increment, wait.c); every claim
 * is a release CAS; every read of a slot word that can decide an answer
 * (the sweep, both collects) is an acquire load.  So a collector that reads
 * a word a claimer wrote has seen everything the claimer had seen, in
 * particular a free the claimer had read: it cannot find that slot still
 * used, which would make "nothing was free at one instant" false (the
 * analogue of issue 9 item 8 for free lists).
 */
#include "sweep.h"

#include "full.h"
#include "prefetch.h"

_Thread_local struct midatlas__sweep_tls midatlas__sweep_tls SWEEP_TLS_MODEL;

static atomic_u32 thread_seq;

void midatlas__sweep_tls_init(void)
{
    /* Numbering is only a fallback when the CPU cannot be read: relaxed. */
    uint32_t seq = add32_relaxed(&thread_seq, 1);
    /* The CPU, not a thread number: threads running at once are on
     * different CPUs, so they get different stripes (cpus.c). */
    midatlas__sweep_tls.own = midatlas__current_cpu(seq);
    midatlas__sweep_tls.set = 1;
}

/* ---- the rotor ---------------------------------------------------------- */

/* The chunk a cursor sweeps (the empty cursor of a new stripe: none, as
 * nchunks is past every chunk). */
static uint32_t cursor_chunk(const struct midatlas *a, uint64_t c)
{
    uint32_t end = cursor_end(c);
    return end == 0 ? a->nchunks : (end - 1) >> a->chunk_shift;
}

/* The chunk that ticket r hands out. */
static uint32_t ticket_chunk(const struct midatlas *a, uint32_t r)
{
    return (uint32_t)((uint64_t)r * a->chunk_stride % a->nchunks);
}

/* The next chunk off the rotor: its ticket (the rotor before the take),
 * and its number in *chunk. */
static uint32_t rotor_take(struct midatlas *a, uint32_t *chunk)
{
    /* seq_cst: pairs with the seq_cst rotor load in visit_begin, through
     * the seq_cst stamp store that follows this take there: a taker whose
     * stamp store comes after this one's in the stamp's order reads this
     * ticket or a later one (a relaxed fetch-add is outside the total
     * order that argument needs; on x86 both are one lock xadd).  When the
     * 32-bit rotor wraps (after 2^32 chunks) the order restarts once: one
     * chunk comes round a little early, nothing else. */
    uint32_t r = add32_seq_cst(&a->rotor, 1);
    *chunk = ticket_chunk(a, r);
    return r;
}

/*
 * Begin the visit that ticket r hands out, of chunk k (sweep.h, "Laps"):
 * stamp the chunk with r, so that an older visit of it still under way
 * claims no more, and end the visit handed out visit_tickets tickets
 * before, so that a visit never claims more than visit_tickets tickets
 * late.  False when this visit has already run out: the taker stalled
 * after its fetch-add while the rotor went on (its stamp may then have
 * overwritten a newer visit's, which that visit takes as its end: its
 * slots wait a lap more, nothing comes early).
 */
static bool visit_begin(struct midatlas *a, uint32_t r, uint32_t k)
{
    /* seq_cst: pairs with the seq_cst rotor load below as another taker
     * of this chunk runs it, and with that taker's seq_cst fetch-add
     * (rotor_take): of two takers of one chunk a lap apart, either the
     * later one's stamp is the last (the earlier visit's claims see it,
     * sweep.h, visit_on) or the earlier one's rotor load, after its own
     * stamp store in the total order, sees the later ticket, and this
     * visit ends here.  The claims' release CAS publishes the stamp to
     * whoever sees their frees (visit_on). */
    store32_seq_cst(stamp_of(a, k), stamp_make(r));
    if (a->visit_tickets < a->nchunks) {
        uint32_t old = r - a->visit_tickets;
        atomic_u32 *s = stamp_of(a, ticket_chunk(a, old));
        /* relaxed: an end the late visit sees a little later claims a
         * little late; a race with the next visit of that chunk (a taker
         * stalled here a lap) only ends that visit early. */
        if (load32_relaxed(s) == stamp_make(old))
            store32_relaxed(s, stamp_make(~old));
    }
    /* seq_cst: see the stamp store above. */
    return load32_seq_cst(&a->rotor) - r <= a->visit_tickets;
}

/* Chunk k's first slot and end (past its last slot). */
static void chunk_bounds(const struct midatlas *a, uint32_t k, uint32_t *base, uint32_t *end)
{
    *base = k << a->chunk_shift;
    *end = *base + a->chunk_slots < a->capacity ? *base + a->chunk_slots : a->capacity;
}

/* Take the next chunk off the rotor, as a cursor at the first slot of its
 * sweep (its last slot when it is swept descending, sweep.h, sweep_next). */
static uint64_t next_chunk(struct midatlas *a)
{
    uint32_t chunk, base, end, ticket;
    do
        ticket = rotor_take(a, &chunk);
    while (!visit_begin(a, ticket, chunk));
    chunk_bounds(a, chunk, &base, &end);
    if (end <= a->perm_end && sweep_descends(a, end))
        return cursor_make(end - 1, end, ticket);
    return cursor_make(base, end, ticket);
}

/* A chunk just taken from the rotor, at cursor c: ask for the lines of its
 * first claims (the claims' own prefetch, sweep_step, starts only when the
 * sweep first leaves a line; prefetch.h). */
static void prefetch_chunk_start(struct midatlas *a, uint64_t c)
{
    for (uint32_t k = 0; k <= PREFETCH_LINES_AHEAD; k++) {
        uint32_t at = sweep_line_entered(a, c, k);
        if (at == UINT32_MAX)
            break;
        slot_prefetch(a, at);
    }
}

/* Few slots are free: for a while, try the last freed slot first; and now
 * and then record the high-water mark (the atlas is near its peak). */
static void mark_scarce(struct midatlas *a)
{
    struct midatlas__sweep_tls *t = &midatlas__sweep_tls;
    t->scarce = SCARCE_CALLS;
    t->scarce_len = SCARCE_CALLS;
    t->scarce_serial = a->serial;
    if (t->spells++ % SCARCE_SAMPLE_EVERY == 0)
        midatlas__sweep_sample_high_water(a);
}

/*
 * A spell ended: is the atlas still scarce?  Takes the next chunk off the
 * rotor (so successive looks see different chunks; the chunk then waits a
 * lap longer, which only lengthens its slots' reuse distance) and looks at
 * it without claiming anything: scarce while fewer than half its slots are
 * FREE.  No sweep, so that a thread that keeps reusing its own freed slot
 * does not take another thread's just-freed one (which would make the two
 * threads' slots share cache lines from then on).
 */
static bool still_scarce(struct midatlas *a)
{
    uint32_t chunk, base, end;
    /* A visit of its own, with no claims: an older visit of the chunk
     * still under way ends (relaxed: its end may come a little late, as in
     * visit_begin). */
    uint32_t r = rotor_take(a, &chunk);
    store32_relaxed(stamp_of(a, chunk), stamp_make(r));
    chunk_bounds(a, chunk, &base, &end);
    uint32_t nfree = 0;
    for (uint32_t i = base; i < end; i++)
        nfree += slot_is_free(load_relaxed(slot_word(a, i))); /* a hint: relaxed */
    return 2 * nfree < end - base;
}

/* The scarce path's try: the slot this thread freed last. */
static bool claim_last_freed(struct midatlas *a, uint64_t ctx, uint32_t *idx, uint32_t *count)
{
    struct midatlas__sweep_tls *t = &midatlas__sweep_tls;
    if (t->freed_serial != a->serial)
        return false;
    /* acquire: as in sweep_chunk. */
    uint64_t w = load_acquire(slot_word(a, t->freed));
    if (!slot_is_free(w) || own_claim(a, t->freed, w, ctx, count, OWN_TAKE, NULL) != OWN_CLAIMED)
        return false;
    *idx = t->freed;
    return true;
}

/* A thread in a scarce spell: count the spell down; at its end, look whether
 * the atlas is still scarce (a longer spell: up to SCARCE_CALLS_MAX) or not
 * (back to the rotation); then try the last freed slot. */
static bool take_scarce(struct midatlas *a, uint64_t ctx, uint32_t *idx, uint32_t *count)
{
    struct midatlas__sweep_tls *t = &midatlas__sweep_tls;
    if (t->scarce == 0) {
        if (!still_scarce(a)) {
            t->scarce_serial = 0;
            return false;
        }
        if (t->scarce_len < SCARCE_CALLS_MAX)
            t->scarce_len *= 2;
        t->scarce = t->scarce_len;
    }
    t->scarce--;
    return claim_last_freed(a, ctx, idx, count);
}

/* ---- the exact path ----------------------------------------------------- */

/* One collect of every slot word: claims the first FREE slot it meets
 * (true), else sums the counts into *sum (false; *saw_free says whether a
 * FREE slot was seen and lost to another claimer). */
static bool collect_claim(struct midatlas *a, uint64_t ctx, uint32_t *idx, uint32_t *count,
                          uint64_t *sum, bool *saw_free)
{
    *sum = 0;
    *saw_free = false;
    for (uint32_t i = 0; i < a->capacity; i++) {
        /* acquire: see "Orders" above. */
        uint64_t w = load_acquire(slot_word(a, i));
        if (slot_is_free(w)) {
            /* OWN_REVOKE: a chunk another CPU owns is revoked, so that a
             * FREE word is claimed or lost to a claim, never skipped. */
            if (own_claim(a, i, w, ctx, count, OWN_REVOKE, NULL) == OWN_CLAIMED) {
                *idx = i;
                return true;
            }
            add_relaxed(&sweep_home(a)->cas_failures, 1);
            *saw_free = true;
        }
        *sum += slot_count(w);
    }
    return false;
}

/* The second collect: true when no word is FREE and the counts sum to sum. */
static bool collect_unchanged(struct midatlas *a, uint64_t sum)
{
    uint64_t again = 0;
    for (uint32_t i = 0; i < a->capacity; i++) {
        uint64_t w = load_acquire(slot_word(a, i)); /* as collect_claim */
        if (slot_is_free(w))
            return false;
        again += slot_count(w);
    }
    return again == sum;
}

/*
 * Claim any FREE slot, or prove that none was free at one instant.  If the
 * first collect met no FREE word and the second one meets none either, with
 * the same sum of counts, then no claim happened in between (a claim only
 * adds to a count, short of a count wrapping after 2^15 handouts of one
 * slot while the collector stalls), so no slot passed through FREE between
 * its two reads: every slot was used over its own interval between the two
 * reads, and all those intervals contain the instant between the collects.
 * Every retry follows another call's claim or free: lock-free.
 */
static bool take_exact(struct midatlas *a, uint64_t ctx, uint32_t *idx, uint32_t *count)
{
    /* The proof runs in a TRYING session: frees from here on are recorded
     * (full.h), so that a proof that holds can put the atlas in FULL mode. */
    uint32_t session = midatlas__full_begin_proof(a);
    for (;;) {
        uint64_t sum;
        bool saw_free;
        if (collect_claim(a, ctx, idx, count, &sum, &saw_free)) {
            midatlas__full_abandon(a, session);
            return true;
        }
        if (!saw_free && collect_unchanged(a, sum)) {
            max32_relaxed(&a->high_water, a->usable);
            midatlas__full_proven(a, session);
            /* FULL mode's takes claim whatever slot a free recorded: no
             * chunk may be owned then (acquire refuses in FULL mode). */
            midatlas__own_revoke_all(a);
            return false;
        }
    }
}

/* ---- slow path ---------------------------------------------------------- */

/* This thread's home stripe becomes CPU cpu's: *s, and its cursor. */
static uint64_t rehome(struct midatlas *a, struct midatlas__sweep_tls *t, uint32_t cpu,
                       struct stripe **s)
{
    t->own = cpu;
    *s = stripe_of(a, cpu);
    return load_relaxed(&(*s)->cursor); /* relaxed: a hint (sweep.h) */
}

/* Stripe s moves on to the next chunk off the rotor: the stripe's other
 * threads go on from there too.  The new cursor. */
static uint64_t stripe_next_chunk(struct midatlas *a, struct stripe *s)
{
    uint64_t c = next_chunk(a);
    store_relaxed(&s->cursor, c); /* relaxed: a hint (sweep.h) */
    prefetch_chunk_start(a, c);
    return c;
}

/*
 * The slot at the cursor was not free or not to be claimed by CAS (sweep.h,
 * sweep_take_fast).  In order: the last freed slot when the atlas is full
 * or scarce; the rest of the cursor's chunk; then chunk after chunk from the
 * rotor for one whole lap; then the exact path.  A claim that passed over
 * scarce_skip used slots marks the atlas scarce for this thread (sweep.h,
 * "Scarce atlases").
 */
static bool take_slow(struct midatlas *a, uint64_t ctx, uint32_t *idx, uint32_t *count)
{
    /* A full atlas: the slot this thread freed last (its line is ours: a
     * thread that frees and takes again touches no shared line), else a
     * recorded slot or EFULL, in a few loads (full.h). */
    if (midatlas__full_on(a) && claim_last_freed(a, ctx, idx, count))
        return true;
    switch (midatlas__full_take(a, ctx, idx, count)) {
    case FULL_TOOK:
        return true;
    case FULL_EMPTY:
        return false;
    case FULL_OFF:
        break;
    }
    struct midatlas__sweep_tls *t = sweep_hints();
    if (t->scarce_serial == a->serial && take_scarce(a, ctx, idx, count))
        return true;

    /* The home stripe follows the CPU the thread runs on now, but only once
     * its cursor's chunk is swept out.  A thread that moved in the middle of
     * a chunk (the common take leaves a reserved MID value, a used slot or
     * a count wrap to this path) would leave the rest of the chunk in the
     * old cursor, to be swept whenever a thread comes back to that stripe,
     * perhaps after the rotor handed the chunk out again: its slots would
     * come twice in a lap (reuse.lap.migrating). */
    struct stripe *s = stripe_of(a, t->own);
    uint64_t c = load_relaxed(&s->cursor); /* relaxed: a hint (sweep.h) */
    if (cursor_pos(c) >= cursor_end(c))
        c = rehome(a, t, midatlas__current_cpu(t->own), &s);
    uint32_t skipped = 0;
    bool rehomed = false;
    bool unshared = false; /* a shared stripe's foreign chunk was taken back */
    bool fresh = false; /* c is a chunk the rotor has just handed out */

    for (uint32_t chunks = 0; chunks <= a->nchunks;) {
        switch (sweep_chunk(a, s, c, ctx, idx, count, &skipped)) {
        case SWEEP_CLAIMED:
            if (__builtin_expect(skipped >= a->scarce_skip, 0) && t->scarce_serial != a->serial)
                mark_scarce(a);
            return true;
        case SWEEP_MOVED:
            /* Another thread of the stripe claimed or took a chunk: follow
             * its cursor (its progress bounds these retries). */
            c = load_relaxed(&s->cursor);
            fresh = false;
            break;
        case SWEEP_FOREIGN:
            /* Another CPU owns the cursor's chunk.  A thread that moved
             * CPUs meets its old CPU's chunk here: that chunk stays in the
             * old stripe's cursor, for the threads running there, and this
             * thread goes on from the cursor of the CPU it runs on now
             * (once per call: the loop stays bounded).  Taking a chunk from
             * the rotor instead, a thread moved at every associate took a
             * new chunk each time and met the first one again, still owned
             * and still at its start, a lap of the rotor later: capacity
             * 1000, slot 63 handed out again 16 handouts after the first
             * time (reuse.lap.migrating.rseq). */
            if (!rehomed) {
                uint32_t cpu = midatlas__current_cpu(t->own);
                rehomed = true;
                if (((cpu ^ t->own) & a->stripe_mask) != 0) {
                    c = rehome(a, t, cpu, &s);
                    fresh = false;
                    break;
                }
            }
            /* A chunk the rotor has just handed out that a CPU still owns
             * is nobody's sweep any more, a lap after its owner took it: a
             * thread that moves CPUs right at a chunk's end cannot release
             * it.  Passed by, it would be passed by every lap, and the
             * rotation would hand the other slots out a chunk early
             * (reuse.lap.strand.rseq: slot 192 back after 4032 handouts
             * at capacity 4096).  So it is taken back (once per call) and
             * swept. */
            if (fresh) {
                midatlas__own_reclaim(a, cursor_chunk(a, c));
                fresh = false;
                break;
            }
            /* Still another CPU's, and a chunk in a stripe's cursor is
             * acquired only by that stripe's CPUs (own.c, sweeps_home): if
             * this thread's CPU maps to this stripe too, several CPUs
             * share it (an atlas created by a thread pinned to one CPU,
             * CPUs that outnumber the stripes or whose numbers collide).
             * Moving on from the chunk half swept, each CPU at every move
             * of a thread between them, cut the rotation's lap to a few
             * slots a chunk (reuse.lap.migrating.rseq.1stripe: slot 63
             * back within 16 handouts at capacity 1000).  So the stripe is
             * marked shared (no CPU acquires there from now on; its claims
             * go by CAS), and the chunk is taken back (once per call) and
             * swept on from the cursor. */
            if (!unshared) {
                uint32_t cpu = midatlas__current_cpu(t->own);
                unshared = true;
                /* Only another CPU's chunk says so: a revoker's REVOKING
                 * or an acquirer's PENDING is met here as well (a prover,
                 * FULL mode), and marking the stripe for that ended this
                 * CPU's acquisitions for good (test_rseq,
                 * revoking_does_not_share). */
                if (((cpu ^ t->own) & a->stripe_mask) == 0 &&
                    midatlas__own_by_stripe_mate(a, cursor_chunk(a, c), cpu)) {
                    /* relaxed: a hint (atlas.h, struct stripe). */
                    store_relaxed(&s->shared, 1);
                    midatlas__own_reclaim(a, cursor_chunk(a, c));
                    break;
                }
            }
            /* Else a thread that moved CPUs again within this call: the
             * next chunk. */
            c = stripe_next_chunk(a, s);
            fresh = true;
            chunks++;
            break;
        case SWEEP_DRY: /* swept out, or its visit ended (sweep.h, "Laps") */
            midatlas__own_leave(a, cursor_chunk(a, c));
            c = stripe_next_chunk(a, s);
            fresh = true;
            chunks++;
            break;
        }
    }
    /* A whole lap without a claim: the atlas is full or nearly so. */
    if (t->scarce_serial != a->serial)
        mark_scarce(a);
    return take_exact(a, ctx, idx, count);
}

bool midatlas__sweep_take_swept(struct midatlas *a, uint64_t ctx, uint16_t *mid)
{
    uint32_t idx, count;
    if (!take_slow(a, ctx, &idx, &count))
        return false;
    *mid = mid_make(a, count & a->gen_mask, idx);
    return true;
}

/* ---- accounting --------------------------------------------------------- */

/* Collects kept changing this many times: give up (stats only). */
#define SNAPSHOT_TRIES 4

/*
 * The number of FREE slots at one instant, by the argument of take_exact: a
 * second collect that finds the same number of FREE slots and the same sum
 * of counts saw no claim (the count sum would have grown) and therefore no
 * free either (with no claim, FREE slots only become more).  *handouts is
 * the sum of each slot's handouts modulo 2^15 (atlas.h, associations).
 */
bool midatlas__sweep_snapshot(struct midatlas *a, uint32_t *free_slots, uint64_t *handouts)
{
    for (int attempt = 0; attempt < SNAPSHOT_TRIES; attempt++) {
        uint64_t sum[2] = {0, 0}, made = 0;
        uint32_t nfree[2] = {0, 0};
        for (int pass = 0; pass < 2; pass++) {
            for (uint32_t i = 0; i < a->capacity; i++) {
                uint64_t w = load_acquire(slot_word(a, i)); /* as collect_claim */
                nfree[pass] += slot_is_free(w);
                sum[pass] += slot_count(w);
                if (pass == 0)
                    made += count_handouts(slot_count(w));
            }
        }
        if (nfree[0] == nfree[1] && sum[0] == sum[1]) {
            *free_slots = nfree[0];
            *handouts = made;
            return true;
        }
    }
    return false;
}

void midatlas__sweep_sample_high_water(struct midatlas *a)
{
    uint32_t nfree;
    uint64_t handouts;
    /* Only an instant's figure may raise the mark, so that it never exceeds
     * the true peak of slots in use (live or discarded). */
    if (midatlas__sweep_snapshot(a, &nfree, &handouts) && nfree <= a->usable)
        max32_relaxed(&a->high_water, a->usable - nfree);
}
