/* SPDX-License-Identifier: MIT */
/*
 * full.h - FULL mode: once an atlas is proven full, EFULL costs a few loads
 * instead of two reads of every slot word, and a freed slot is found in one
 * step instead of a sweep.
 *
 * Why.  Without free lists (sweep.h) an atlas keeps no count of its free
 * slots, so the strict EFULL answer is a double collect over every slot
 * word: about 0.4 ms at 65,536 slots (Xeon, 2 vCPUs).  A transport that
 * keeps its atlas full (requests queued behind the credits, a caller that
 * polls) would pay that on every associate, and a sender whose replies are
 * freed by another thread would sweep the whole atlas for each freed slot.
 *
 * How.  A prover that has just shown, by the double collect, that no slot
 * was free puts the atlas in FULL mode.  From then on every call that frees
 * a slot records it in one of FULL_CELLS cells and bumps the state's
 * version, and an associate that finds nothing in its chunk first tries
 * the slot its own thread freed last (sweep.c: its line is the thread's
 * own), then takes a recorded slot from a cell, or answers EFULL when every
 * cell is empty and the state did not change while it looked.  Too many
 * frees at once (no empty cell) end FULL mode: the sweep finds them again.
 * The state and the cells share one line (atlas.h), so a free in FULL mode
 * writes one line besides its slot's.
 *
 * The price: a caller that retries EFULL in a tight loop now polls that
 * line, and each free writes it.  Two threads passing the last free slot
 * of a 64-slot atlas back and forth (bench exhaust99, 2 threads) ran at
 * about 4.5 M cycles/s, where the double collect, slow enough to catch the
 * slot coming back, let them run at 10 M/s (Xeon, 2 vCPUs).
 *
 * The state word: mode (NORMAL, TRYING, FULL), a session number that each
 * proof attempt takes, and a version every recording bumps.
 *
 *   NORMAL --(a prover starts: CAS, new session)--> TRYING
 *   TRYING --(its double collect found nothing free)--> FULL
 *   TRYING --(its collect claimed a slot)--> NORMAL
 *   TRYING / FULL --(a free found no empty cell)--> NORMAL
 *
 * No lost free (the Dekker pairing, as wait.c's): a freer frees its slot
 * with a seq_cst CAS and then loads the state (seq_cst); a prover CASes the
 * state to TRYING and issues a seq_cst fence before its collects.  Either
 * the freer's load sees TRYING (or later, FULL) and records the slot, or
 * the free precedes the fence and the prover's collect sees it.
 *
 * What EFULL means in FULL mode.  At the instant of the second state load,
 * every usable slot was live, discarded, or freed by a call that had not
 * yet returned (between its free CAS and the end of its recording), or
 * taken out of a cell by an associate that had not yet returned.  Slots
 * recorded before the first load were seen in the cells; a recording
 * between the two loads bumped the version, so the loads differ and the
 * associate looks again.  That is the "in hand of a call in progress"
 * exception of midatlas.h ("MIDATLAS_EFULL means"); with no call in
 * progress EFULL is exact.
 */
#ifndef MIDATLAS_FULL_H
#define MIDATLAS_FULL_H

#include <stdbool.h>
#include <stdint.h>

#include "atlas.h"

enum full_mode { FULL_NORMAL = 0, FULL_TRYING = 1, FULL_PROVEN = 2 };

static inline enum full_mode full_mode_of(uint64_t s)
{
    return (enum full_mode)(s & 3u);
}

/* Every path that has just freed slot idx (with its seq_cst CAS) calls this
 * (or reads full_state_after_free and records what it says itself)
 * before it looks at the waiters: a waiter must find the slot in a cell if
 * the freer's gate load misses the waiter (wait.h).  seq_cst load: the
 * freer's half of the Dekker pairing with a prover's CAS to TRYING and its
 * fence (full.c, full_begin_proof).  NORMAL (the rule) costs one load of a
 * line nobody writes. */
void midatlas__full_record(struct midatlas *a, uint32_t idx, uint64_t s);

static inline uint64_t full_state_after_free(struct midatlas *a)
{
    return load_seq_cst(&a->full_state);
}

static inline void full_after_free(struct midatlas *a, uint32_t idx)
{
    uint64_t s = full_state_after_free(a);
    if (__builtin_expect(full_mode_of(s) != FULL_NORMAL, 0))
        midatlas__full_record(a, idx, s);
}

/* Is the atlas in FULL mode?  A hint, relaxed: what follows it (a claim,
 * full_take) reads the words that decide with orders of its own. */
static inline bool midatlas__full_on(struct midatlas *a)
{
    return full_mode_of(load_relaxed(&a->full_state)) == FULL_PROVEN;
}

/* An associate's slow path when the atlas may be in FULL mode. */
enum full_take { FULL_TOOK, FULL_EMPTY, FULL_OFF };

/* Not in FULL mode: FULL_OFF (sweep as usual).  Else claim a recorded slot
 * (FULL_TOOK, *idx and *count as sweep_take's) or FULL_EMPTY: EFULL, as
 * defined above. */
enum full_take midatlas__full_take(struct midatlas *a, uint64_t ctx, uint32_t *idx,
                                   uint32_t *count);

/* The prover (sweep.c, take_exact): begin returns the session it owns;
 * proven puts that session in FULL mode, abandon returns it to NORMAL;
 * both do nothing once another call has moved the state on. */
uint32_t midatlas__full_begin_proof(struct midatlas *a);
void midatlas__full_proven(struct midatlas *a, uint32_t session);
void midatlas__full_abandon(struct midatlas *a, uint32_t session);

/* midatlas_validate, on a quiescent atlas: in FULL mode every FREE slot is
 * recorded in a cell.  NULL when it holds, else the reason. */
const char *midatlas__full_check(struct midatlas *a);

#endif /* MIDATLAS_FULL_H */
