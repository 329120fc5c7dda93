/* SPDX-License-Identifier: MIT */
/*
 * hooks.h - test-only instrumentation of the core.
 *
 * Two compile-time switches exist only for the test and stress builds; the
 * installed library is built with neither.
 *
 * MIDATLAS_TEST_HOOKS: a hook function, settable at run time, is called at the
 *   named points inside operations.  The lock-freedom test parks a thread
 *   there and counts what the other threads still complete; the chaos mode of
 *   the stress harness sleeps there to widen races.
 *
 * MIDATLAS_BROKEN=N: deliberately broken variants that the stress harness must
 *   catch (a harness that never caught a bug is not yet a harness):
 *     1  dissociate, dissociate_if and discard win the slot with a plain load
 *        and store instead of a compare-and-swap: two racers can both win;
 *     2  associate claims a slot by checking that its word is FREE and then
 *        storing LIVE, instead of one compare-and-swap: two takers can both
 *        win one slot;
 *     3  a slot freed while the atlas is in FULL mode is not recorded
 *        (full.c): associate answers EFULL with that slot free;
 *     4  on the rseq claim path, the rseq claim ignores chunk ownership
 *        (own.h, rseq.h): a plain store in any chunk, so two CPUs can both
 *        take one slot;
 *     5  a visit of a chunk never ends (sweep.h, visit_on): a thread that
 *        comes back to a cursor left behind hands out slots the sweep has
 *        just handed out (tests/reuse/stale.c must catch it);
 *     6  dissociate, discard and the other endings ignore the MID's
 *        generation: a stale MID ends whatever association its slot holds
 *        now, another request's (the stress harness's cancel workload must
 *        catch it).
 */
#ifndef MIDATLAS_HOOKS_H
#define MIDATLAS_HOOKS_H

#include <stdint.h>

enum midatlas_hook_point {
    /* associate read a FREE slot word and is about to claim it: the window
     * in which a claim without a CAS (MIDATLAS_BROKEN=2) lets two win */
    MIDATLAS_HOOK_CLAIM_FOUND = 1,
    /* an ending (dissociate, release) made the slot FREE and has not yet
     * looked at the waiters */
    MIDATLAS_HOOK_DISSOCIATE_WON = 2,
    /* associate begins the double collect over every slot word that proves
     * EFULL (sweep.c, take_exact): its session's CAS to TRYING is done, the
     * cells are not yet emptied (full.c); index: the atlas's capacity.
     * Tests count proofs here (a full atlas must not need one per call) and
     * park a prover here to be overtaken by another. */
    MIDATLAS_HOOK_PROOF = 3,
    /* associate claimed slot `index` through its stripe's cursor and has
     * not yet returned (sweep.h, "Cursor"): a claimer stopped here must
     * not let that slot, or the ones others claim meanwhile, come twice
     * in one visit of their chunk */
    MIDATLAS_HOOK_CLAIMED = 4,
    /* midatlas_close has set GATE_CLOSED and has not yet woken the queued
     * waiters (wait.c, "Closing"); index 0.  A free made here must not
     * grant a waiter: close has taken effect. */
    MIDATLAS_HOOK_CLOSED = 5,
    /* a sweep moved its stripe's cursor past slot `index` by CAS and has
     * not yet claimed the slot (sweep.h, sweep_chunk): an rseq CS of
     * another CPU that compared the cursor before that move may still
     * store its own value over it (sweep.h, "Cursor"; a test makes that
     * late store here) */
    MIDATLAS_HOOK_CURSOR_MOVED = 6,
};

typedef void midatlas_hook_fn(enum midatlas_hook_point point, uint32_t index);

#ifdef MIDATLAS_TEST_HOOKS
/* Install (or, with NULL, remove) the hook; takes effect for later calls. */
void midatlas_set_test_hook(midatlas_hook_fn *fn);
void midatlas_run_test_hook(enum midatlas_hook_point point, uint32_t index);
#define MIDATLAS_HOOK(point, index) midatlas_run_test_hook((point), (index))
#else
#define MIDATLAS_HOOK(point, index) ((void)0)
#endif

#ifndef MIDATLAS_BROKEN
#define MIDATLAS_BROKEN 0
#endif

#endif /* MIDATLAS_HOOKS_H */
