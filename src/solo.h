/* SPDX-License-Identifier: MIT */
/*
 * solo.h - the rseq claim path for atlases too small for owned chunks: the
 * whole atlas is owned by one CPU until a second CPU claims in it, then
 * shared by CAS for good.
 *
 * Why: the chunk protocol (rseq.h) needs 4 chunks per stripe (capacity 512
 * and up on 2 CPUs); below that, two CPUs keep meeting each other's chunks
 * and every meeting is a skipped chunk or a membarrier.  So a small atlas
 * paid two locked instructions a cycle even at one thread, where nobody
 * meets anybody: churn at capacity 64 ran 2.4x to 2.6x the mutex table,
 * at 4096 (owned chunks) 3.1x (bench/RESULTS.md, "Floors for the 1-thread
 * cells").
 *
 * The protocol, checked by tests/model/midatlas_solo.pml (3 configurations,
 * 7 mutants caught).  One 64-bit solo word per atlas (struct midatlas.solo):
 * its low byte a state, the rest an epoch that counts the moves into
 * REVOKING, so that no CAS mistakes one REVOKING for a later one (mutant 3).
 * The states: UNOWNED (the atlas is new), CPU c + 1 (c owns every slot's
 * claim), REVOKING (its owner is being thrown out), SHARED (claims by CAS,
 * for good; also every atlas without this path: the word is then 0).
 *   rseq claim  on CPU c, one CS: the state != c + 1 -> abort; the slot word
 *               != the FREE word loaded -> leave; store it LIVE (the commit).
 *               rseq.h's rseq_claim_store, the state's byte as the owner.
 *   acquire     a claimer with rseq, on CPU c, reads UNOWNED: CAS UNOWNED ->
 *               c + 1, then record itself as the owning thread.  Nobody
 *               claims by CAS meanwhile: CAS claims happen only under
 *               SHARED, which is never left.
 *   move        the recorded thread, now on CPU d, meets c + 1: CAS to
 *               REVOKING (epoch + 1); record itself; membarrier on CPU c
 *               (a CS in flight there aborts; later ones read REVOKING);
 *               CAS REVOKING -> d + 1.  One thread that the scheduler
 *               migrates keeps the path.
 *   handover    another thread with rseq, on CPU d, meets c + 1 after the
 *               owner made SOLO_HANDOVER_CLAIMS claims since the ownership
 *               last changed hands (the rotor's tickets since, recorded
 *               with the thread): it moves the atlas as the recorded thread
 *               would, and is recorded in turn.  A pool's next worker, or a
 *               connection passed to another thread, keeps the path; two
 *               threads that keep claiming from two CPUs share it after one
 *               handover (the second meets a fresh ownership).  A mover
 *               records itself before its last CAS, so that the thread it
 *               took the atlas from reads the new record when it meets the
 *               new owner (model mutant 7: recorded after, two threads that
 *               each read themselves trade the atlas back and forth).
 *   share       anyone else who meets c + 1 (another thread on another CPU,
 *               a thread without rseq): as a move, but the last CAS stores
 *               SHARED.  From UNOWNED, one CAS to SHARED (nobody claimed by
 *               store under it).
 *   help        a claimer that reads (REVOKING, e): membarrier on every CPU
 *               (whichever CPU owned it, its CS is over by the end), then
 *               CAS (REVOKING, e) -> (SHARED, e).  Nobody waits for a mover
 *               or a sharer, who may be preempted for good; a mover whose
 *               last CAS then fails claims by CAS.
 * The state only moves forward (UNOWNED -> CPU -> REVOKING -> CPU or
 * SHARED; a move needs a migration or a handover's claims), so a claim's
 * loop ends.  Endings are the ending CAS, as ever.
 *
 * Its cost: one more load on every associate, of a word on a line it reads
 * anyway; for an atlas used by threads on two CPUs, one membarrier (its
 * first claim from the second CPU) in its life, or two after a handover;
 * one per handover to a thread that follows another.
 */
#ifndef MIDATLAS_SOLO_H
#define MIDATLAS_SOLO_H

#include <stdbool.h>
#include <stdint.h>

#include "atlas.h"
#include "rseq.h"

/* The solo word's states (its low byte); a CPU c owns it as c + 1, c up to
 * OWNER_MAX_CPU, as an owner byte (rseq.h). */
#define SOLO_SHARED 0u
#define SOLO_UNOWNED 254u
#define SOLO_REVOKING 255u
#define SOLO_EPOCH_ONE ((uint64_t)1 << 8)

/* Claims under an ownership after which a thread other than its owner, on
 * another CPU, moves it rather than share the atlas ("handover", above).
 * A move's membarrier costs what the store path saves over about that
 * many claims: 15 to 16 us when a thread of the process runs on the old
 * CPU (an IPI; 0.3 us when none does), against 3.5 to 8.5 ns a cycle that
 * the CAS path costs more at capacity 64 ("AMD EPYC" family 26 model 2,
 * 2 vCPUs; bench/RESULTS.md, "Handing a small atlas over"). */
#define SOLO_HANDOVER_CLAIMS 4096u

static inline uint8_t solo_state(uint64_t word)
{
    return (uint8_t)word;
}

/* The solo word, read on the associate path: relaxed, a hint; every claim
 * under a CPU's ownership checks the state again inside its CS, and every
 * transition is a seq_cst CAS (solo.c). */
static inline uint64_t solo_word(struct midatlas *a)
{
    return load_relaxed(&a->solo);
}

/* Does a claim in this atlas go through the solo protocol (its word is not
 * SHARED)?  Never where the rseq path is not built. */
static inline bool solo_on(struct midatlas *a)
{
#if MIDATLAS_HAVE_RSEQ
    return solo_state(solo_word(a)) != SOLO_SHARED;
#else
    (void)a;
    return false;
#endif
}

/* The state's byte, the owner a CS compares (x86-64 is little-endian: the
 * low byte of the word lies at its address).  Only the CS reads through it
 * (an asm memory operand), never C. */
static inline atomic_u8 *solo_owner_byte(struct midatlas *a)
{
    return (atomic_u8 *)(void *)&a->solo;
}

/* The claim under this protocol: own.h, midatlas__solo_claim (it needs
 * own.h's enum own_claim); solo.c holds it. */

/* midatlas_validate: on a quiescent atlas the solo word is not REVOKING;
 * NULL, or what is wrong (solo.c). */
const char *midatlas__solo_check(struct midatlas *a);

#endif /* MIDATLAS_SOLO_H */
