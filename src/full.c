/* SPDX-License-Identifier: MIT */
/*
 * full.c - FULL mode: recording freed slots while an atlas is full, taking
 * them, and the state changes of a proof.  The idea, the states and what
 * EFULL then means are in full.h.
 *
 * Orders.
 *   - A freer's state load and a prover's CAS to TRYING + fence are seq_cst:
 *     the Dekker pairing of full.h.
 *   - A recording is a release CAS on an empty cell, then a seq_cst bump of
 *     the version.  A taker's exchange of the cell (acquire) reads the
 *     recording, so it sees the free (sequenced before it) and its acquire
 *     load of the slot finds FREE or a later claim.
 *   - The bump is seq_cst and comes before the freer's gate load (wait.h):
 *     a waiter that queued after that load has a seq_cst fence before its
 *     sweep, so its state load sees the bump, and its cell loads the
 *     recording (they read after an acquire load of the bumped state).
 *   - An associate's first state load and its cell loads are acquire: the
 *     second state load (relaxed) cannot move before the cell loads.
 *   - A prover empties a cell with an acquire CAS that reads the
 *     recording, so its collects see the free; it empties only entries of
 *     its session or older (empty_older_cells).
 */
#include "full.h"

#include "own.h"

#include "hooks.h"
#include "sweep.h"

/* ---- the state word ----------------------------------------------------- */

#define SESSION_SHIFT 2
#define SESSION_MASK 0x3FFFFFFFu
#define VERSION_SHIFT 32

static inline uint32_t session_of(uint64_t s)
{
    return (uint32_t)(s >> SESSION_SHIFT) & SESSION_MASK;
}

static inline uint64_t state_make(enum full_mode m, uint32_t session, uint32_t version)
{
    return (uint64_t)version << VERSION_SHIFT | (uint64_t)(session & SESSION_MASK)
                                                    << SESSION_SHIFT | (uint64_t)m;
}

/* The same state with mode m and the version bumped: every change a
 * recording makes is one an associate between its two loads must see. */
static inline uint64_t state_bumped(uint64_t s, enum full_mode m)
{
    return state_make(m, session_of(s), (uint32_t)(s >> VERSION_SHIFT) + 1);
}

/* ---- cell entries --------------------------------------------------------- */

/* A cell holds the slot index + 1 (low half; 0: empty) and the session the
 * recorder saw (high half), so that a prover empties only entries older
 * than its own session (full_begin_proof). */
static inline uint64_t entry_make(uint32_t idx, uint32_t session)
{
    return (uint64_t)session << 32 | (idx + 1u);
}

static inline uint32_t entry_slot_plus1(uint64_t e)
{
    return (uint32_t)e;
}

/* Was entry e recorded in `session` or before?  Sessions wrap at 2^30:
 * "before" is the half of the circle behind. */
static inline bool entry_not_newer(uint64_t e, uint32_t session)
{
    uint32_t ahead = ((uint32_t)(e >> 32) - session) & SESSION_MASK;
    return ahead == 0 || ahead > SESSION_MASK / 2;
}

/* ---- recording a free --------------------------------------------------- */

/*
 * Put idx into an empty cell (release: the taker's exchange sees the free
 * that came before); false when every cell is taken.  A cell that already
 * holds this very entry (idx, this session: only a later session's prover
 * may empty it) is rewritten in place instead, so that a thread that frees
 * and takes back the same slot over and over does not fill the cells with
 * it.  That rewrite is a CAS too, not a load: the taker's exchange must
 * read our release, or it could find the slot still LIVE and drop it.
 */
static bool record_in_cell(struct midatlas *a, uint32_t idx, uint32_t session)
{
    uint64_t e = entry_make(idx, session);
    for (uint32_t k = 0; k < FULL_CELLS; k++) {
        uint64_t c = e;
        if (load_relaxed(&a->full_cells[k]) == e && cas_release(&a->full_cells[k], &c, e))
            return true;
    }
    for (uint32_t k = 0; k < FULL_CELLS; k++) {
        uint64_t c = 0;
        /* relaxed pre-check: skip taken cells without a locked op. */
        if (load_relaxed(&a->full_cells[k]) == 0 &&
            cas_release(&a->full_cells[k], &c, e))
            return true;
    }
    return false;
}

/*
 * Slot idx was just freed, and full_after_free's load (after the free) saw
 * the state s, TRYING or FULL.  Record idx under s's session and bump the
 * version, or, with every cell taken, end FULL mode (the sweep will find
 * the free slots).  Either way the state changes after the recording, so
 * an associate that loaded the state before it looks again.  s may be
 * stale by now: an entry of an older session names a free that the newer
 * session's proof saw (its CAS to TRYING came after our load).
 */
void midatlas__full_record(struct midatlas *a, uint32_t idx, uint64_t s)
{
    enum full_mode m = full_mode_of(s);
#if MIDATLAS_BROKEN == 3
    /* Deliberately broken: the free goes unrecorded; a full atlas keeps
     * answering EFULL with this slot free. */
    (void)idx;
    return;
#endif
    if (!record_in_cell(a, idx, session_of(s)))
        m = FULL_NORMAL;
    /* seq_cst: an associate that loaded s before the recording must see a
     * different word in its second load; and it precedes our gate load
     * (wait.h), the waiters' Dekker pairing.  On failure s is the new
     * state: bump that, unless the mode ended meanwhile. */
    while (full_mode_of(s) != FULL_NORMAL && !cas_seq_cst(&a->full_state, &s, state_bumped(s, m)))
        if (m != FULL_NORMAL)
            m = full_mode_of(s);
}

/* ---- taking a recorded slot --------------------------------------------- */

/* Take what cell k holds and claim that slot if it is still FREE (a sweep
 * may have claimed it meanwhile: the entry was stale). */
static bool take_cell(struct midatlas *a, uint32_t k, uint64_t ctx, uint32_t *idx,
                      uint32_t *count)
{
    /* acquire: pairs with the recording's release CAS (the free is seen).
     * Nobody acquires the empty cell we leave. */
    uint32_t plus1 = entry_slot_plus1(xchg_acquire(&a->full_cells[k], 0));
    if (plus1 == 0 || plus1 > a->capacity)
        return false;
    uint32_t i = plus1 - 1;
    /* acquire: as the sweep's loads (sweep.c, "Orders"). */
    uint64_t w = load_acquire(slot_word(a, i));
    /* OWN_REVOKE: a recorded FREE slot is claimed or lost to a claim, never
     * skipped because a CPU owns its chunk (rseq.h). */
    if (!slot_is_free(w) || own_claim(a, i, w, ctx, count, OWN_REVOKE, NULL) != OWN_CLAIMED)
        return false;
    *idx = i;
    return true;
}

enum full_take midatlas__full_take(struct midatlas *a, uint64_t ctx, uint32_t *idx,
                                   uint32_t *count)
{
    for (;;) {
        /* acquire: pairs with the seq_cst CAS that made the state FULL or
         * bumped it (a recording: its cell is then visible). */
        uint64_t s1 = load_acquire(&a->full_state);
        if (full_mode_of(s1) != FULL_PROVEN)
            return FULL_OFF;
        bool seen = false;
        for (uint32_t k = 0; k < FULL_CELLS; k++) {
            /* acquire: keeps the second state load below after this one. */
            if (load_acquire(&a->full_cells[k]) == 0)
                continue;
            seen = true;
            if (take_cell(a, k, ctx, idx, count))
                return FULL_TOOK;
        }
        /* Entries we saw were taken by others or stale: look again.  Each
         * round follows another call's claim or recording: lock-free. */
        if (seen)
            continue;
        /* relaxed: the cell loads' acquire keeps it after them, and it
         * only compares. */
        if (load_relaxed(&a->full_state) == s1)
            return FULL_EMPTY;
    }
}

/* ---- the prover's state changes ----------------------------------------- */

/*
 * Empty the cells of entries recorded in `session` or before, so that stale
 * entries do not fill the cells of the sessions to come.  Their frees came
 * before this session's CAS to TRYING (the recorder loaded an older state),
 * so the collects that follow see them.  Entries of a newer session are
 * left alone: this prover may have been overtaken by another, whose FULL
 * session relies on them (spin found that: tests/model/midatlas_full.pml,
 * mutant 7).  acquire: pairs with the recording's release CAS, so the free
 * is visible to our collects; on failure the cell changed, and whatever it
 * holds now is someone else's.
 */
static void empty_older_cells(struct midatlas *a, uint32_t session)
{
    for (uint32_t k = 0; k < FULL_CELLS; k++) {
        uint64_t c = load_relaxed(&a->full_cells[k]);
        if (c != 0 && entry_not_newer(c, session))
            (void)cas_acquire(&a->full_cells[k], &c, 0);
    }
}

/* Out of line: gcc rejects (-Wtsan) a fence inlined into a caller under
 * -fsanitize=thread. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
uint32_t midatlas__full_begin_proof(struct midatlas *a)
{
    uint64_t s = load_relaxed(&a->full_state);
    uint64_t t;
    /* seq_cst: the prover's half of the Dekker pairing (full.h) with the
     * freers' seq_cst state loads.  Retried only when another call changed
     * the state. */
    do
        t = state_make(FULL_TRYING, session_of(s) + 1, (uint32_t)(s >> VERSION_SHIFT) + 1);
    while (!cas_seq_cst(&a->full_state, &s, t));
    MIDATLAS_HOOK(MIDATLAS_HOOK_PROOF, a->capacity);
    empty_older_cells(a, session_of(t));
    /* seq_cst fence: a free whose freer's state load came before our CAS
     * is seen by the collects that follow. */
    atomic_thread_fence(memory_order_seq_cst);
    return session_of(t);
}

/* Move session's TRYING state to mode m, keeping recordings made since
 * (their cells stay, and a bump is no reason to give up). */
static void end_proof(struct midatlas *a, uint32_t session, enum full_mode m)
{
    uint64_t s = load_relaxed(&a->full_state);
    /* release: pairs with full_take's acquire of the state (the collects
     * come before FULL); the Dekker pairing with the freers was the CAS to
     * TRYING.  On failure s is the new state, looked at again. */
    while (full_mode_of(s) == FULL_TRYING && session_of(s) == session &&
           !cas_release(&a->full_state, &s, state_make(m, session, (uint32_t)(s >> VERSION_SHIFT))))
        ;
}

void midatlas__full_proven(struct midatlas *a, uint32_t session)
{
    end_proof(a, session, FULL_PROVEN);
}

void midatlas__full_abandon(struct midatlas *a, uint32_t session)
{
    end_proof(a, session, FULL_NORMAL);
}

/* ---- validate ----------------------------------------------------------- */

const char *midatlas__full_check(struct midatlas *a)
{
    uint64_t s = load_relaxed(&a->full_state); /* quiescent: relaxed */
    if (full_mode_of(s) == FULL_TRYING)
        return "a proof's TRYING state outlived its call";
    if (full_mode_of(s) != FULL_PROVEN)
        return NULL;
    for (uint32_t i = 0; i < a->capacity; i++) {
        if (!slot_is_free(load_relaxed(slot_word(a, i))))
            continue;
        bool recorded = false;
        for (uint32_t k = 0; k < FULL_CELLS; k++)
            recorded |= entry_slot_plus1(load_relaxed(&a->full_cells[k])) == i + 1;
        if (!recorded)
            return "FULL mode with a FREE slot that no cell records";
    }
    return NULL;
}
