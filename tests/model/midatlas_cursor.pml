/* SPDX-License-Identifier: MIT */
/*
 * midatlas_cursor.pml - Promela model of a stripe's cursor within one visit
 * of a chunk (src/sweep.h, "Cursor"): a claim first moves the cursor past
 * its slot, from the value it read, and claims only if that move
 * succeeded, so that no slot is claimed twice in one visit, whatever
 * stalls and whoever ends the MIDs.
 *
 * Why a model of its own: midatlas_rotation.pml models the shared cursor
 * with the plain stores the C code had until 2026-12-04 and says that it
 * does not cover their races; those races brought slots back within a
 * visit (tests/lifecycle/test_cursor_back.c: a claimer stopped between its
 * claim and its cursor store put the cursor back over what the other
 * threads of its stripe had claimed and freed meanwhile).  Here only that:
 * one visit of one chunk of NSLOTS slots, two workers homed on its stripe,
 * and an old holder that ends, at any time, the MIDs the previous lap
 * handed out (OLD of the slots start LIVE).
 *
 * One step per shared access, as the C code does them:
 *   cursor    the position of the next slot to look at, 0 .. NSLOTS (the
 *             end).  Within one visit positions only grow (C: the cursor
 *             also carries the visit's ticket, so a value of another visit
 *             never equals it; C's one move back, after a claim that met a
 *             chunk another CPU owns, was taken out on 2026-12-05: mutant
 *             7 models it).
 *   associate load the cursor as c; from i = c: load word[i] (acquire); not
 *             FREE -> i + 1; FREE -> the re-check: load the cursor; not c
 *             -> start again from the cursor; else move the cursor past
 *             the slot: CAS c -> i + 1 (fails -> start again from the
 *             cursor); then the claim: CAS word[i] from the word loaded to
 *             LIVE (count + 1); failure -> c = i + 1, go on from i + 1;
 *             success: done.  At the end (i == NSLOTS) the visit is over
 *             for this worker: it stops (C: the next chunk from the rotor,
 *             another visit).
 *             With CS 1 the common take (the first try of an associate, at
 *             the cursor it read) claims in the rseq paths' one CS (rseq.h,
 *             rseq_claim_store_at): the cursor is still c and the word still
 *             w -> cursor = i + 1 and word[i] = LIVE, one step; if not, the
 *             full take (as above) from the cursor.
 *   dissociate by the holder, at once (one request in flight), or with
 *             RECEIVER 1 by a receiver process that may end each claimed
 *             MID at any time from its claim on, even before its associate
 *             returns (HAND_OVER): CAS LIVE -> FREE, which always wins here.
 * Checked (assert): no slot is claimed twice in the visit (ghost g_claimed);
 * a claim is of a word loaded FREE; at the end every slot is FREE.
 *
 * Mutants (-DMUTANT=n; the ctest "model.cursor.mutant.*" runs expect a
 * violation):
 *   1  the cursor is moved on by a plain store after the claim (the C code
 *      before 2026-12-04): a worker stopped between its claim and its store
 *      sets the cursor back over slots the other claimed and freed.
 *   2  the first fix of 2026-12-04: past used slots a CAS onto the found
 *      slot, the claim, then a CAS past it: verified when each worker ends
 *      its own claims, but with RECEIVER 1 a slot ended by the receiver
 *      before its claimer's move is still at the cursor, and the other
 *      worker claims it again.
 *   3  the move after the claim is a store made only if the cursor still
 *      reads c (a load, then a store: the 2026-12-04 experiment that made
 *      reuse.distance worse): the other worker moves it between the two.
 *   4  (CS 1) the CS stores the cursor without comparing it with c: a
 *      worker stopped between its re-check and its CS sets the cursor back
 *      over what the other claimed and freed meanwhile.
 *   5  (CPUS 1) a sweep's claim does not check that the cursor is still
 *      where its move put it (the C code before 2026-12-05).
 *   6  (CPUS 1) it checks before a claim CAS but not inside a claim's CS:
 *      a thread moved back to the owning CPU claims by CS behind a cursor
 *      that the owner's CS put back (C: a chunk this CPU owns, rseq.h).
 *   7  (CPUS 1, FOREIGN 1) a sweep whose claim met another CPU's chunk
 *      moves the cursor back onto the slot it passed (the C code before
 *      2026-12-05, which met every such chunk that way, with no look
 *      before its move): the owner, which acquired the chunk after the
 *      look, has a CS that compared before the sweep's move, stored the
 *      same value and claimed that slot, so the CAS back succeeds and the
 *      cursor stands at a slot claimed in this visit.
 *   8  (CPUS 1) the check in the claim's CS but not before a claim CAS:
 *      a thread that took the ownership over, or found it SHARED, claims
 *      behind a cursor the old owner's CS put back.
 *
 * CPUS 1: the workers run on two CPUs, which CS 1 above cannot show: it
 * takes the common take's CS for one step, and a CS is atomic only
 * against the threads of its own CPU.  Worker k runs on CPU k; CPU k may
 * own the stripe's claims (C: the solo word of a small atlas, solo.h, or
 * a chunk's owner byte, rseq.h; `owner`: CPU k + 1, REVOKING, SHARED).
 *   common take  only on the owning CPU: the CS in its three steps, its
 *             checks (the owner is its CPU, the cursor still c, word[i]
 *             still w), the cursor's store, the commit.  A fence on that
 *             CPU, or another thread run there, aborts it between any two.
 *             Anywhere else the full take (the common take's CAS path when
 *             the worker read SHARED at the start of its associate).
 *   the claim after a sweep's move, on the worker's CPU or, migrated
 *             back, on the other's (the other's thread is preempted: its CS
 *             aborts): the owner is this CPU -> one CS whose checks also
 *             compare the cursor with the value the move stored; SHARED ->
 *             load the cursor, claim by CAS if it is at or past that value
 *             (another claimer may have moved it on; a CS's late store
 *             lands at or before the slot);
 *             REVOKING -> help (a fence on each CPU, then REVOKING of the
 *             same epoch -> SHARED); another CPU -> take over (REVOKING,
 *             epoch + 1, a fence on that CPU, then this CPU or SHARED).  A
 *             cursor that moved since its move: start again from the
 *             cursor (C: OWN_MOVED, SWEEP_MOVED), nothing claimed.
 *             FOREIGN 1: as a chunk's owner byte (rseq.h), not the solo
 *             word: SHARED is NONE (claims by the announced CAS, which is
 *             one step here: its announce keeps acquirers off), worker 0
 *             may acquire the chunk from NONE, or release it, at the start
 *             of any associate (C: a sweeper in its own stripe; own_leave,
 *             a CS on its CPU), the common take
 *             never claims by CAS (C: CLAIM_BY_CHUNK), and nobody takes
 *             over: a sweep looks at the owner before its move, on either
 *             CPU (C: own_by_another), and a sweep that meets another
 *             CPU's ownership (or REVOKING) there or in its claim claims
 *             nothing and leaves the stripe (C: OWN_FOREIGN,
 *             SWEEP_FOREIGN, a thread that moved goes on from its new
 *             CPU's cursor).  Knobs (a review's, 2026-12-05; the
 *             foreign.reclaim run sets them all):
 *               RECLAIM    once, a sweep that met another CPU's chunk
 *                          revokes it (REVOKING, a fence on its CPU,
 *                          NONE) and sweeps again from the cursor it had
 *                          read (C: take_slow's fresh and unshared
 *                          branches, own_reclaim, then sweep_chunk with
 *                          its old c)
 *               ACQCLAIM   the claim on CPU 0 may acquire the unowned
 *                          chunk (C: own_claim_slow's acquire), ANYACQ by
 *                          either worker (a thread moved to CPU 0 sweeps
 *                          CPU 0's stripe there: its home)
 *               LOOKABORT  a look made on the other worker's CPU preempts
 *                          that worker: its CS aborts
 * The flaw it shows (mutant 5): the owner's CS checks cursor == c; a
 * thread that moved to the other CPU in mid-chunk moves the cursor past a
 * later slot by CAS; the CS stores its own "past i" over it, back before
 * that slot; the mover takes the atlas over and claims the slot, which,
 * ended, comes again in the same visit.
 */

#ifndef NSLOTS
#define NSLOTS 4
#endif
#ifndef OLD
#define OLD 2 /* slots that start LIVE, held from the previous lap */
#endif
#ifndef ROUNDS
#define ROUNDS 3 /* associates per worker */
#endif
#ifndef CS
#define CS 0
#endif
#ifndef RECEIVER
#define RECEIVER 0
#endif
#ifndef MUTANT
#define MUTANT 0
#endif
#ifndef CPUS
#define CPUS 0
#endif
#ifndef FOREIGN
#define FOREIGN 0
#endif
#ifndef LOOKABORT /* FOREIGN knobs (see above) */
#define LOOKABORT 0
#endif
#ifndef RECLAIM
#define RECLAIM 0
#endif
#ifndef ANYACQ
#define ANYACQ 0
#endif
#ifndef ACQCLAIM
#define ACQCLAIM 0
#endif
#ifndef MOVES
#define MOVES 2 /* CPUS: take-overs that may move the ownership (C: a
                   migration or a handover; solo.h), then only shares */
#endif

#define CNTMOD 8
#define FREE_WORD(c) ((c) * 2 + 1)
#define LIVE_WORD(c) ((c) * 2)
#define W_FREE(w) ((w) % 2 == 1)
#define W_CNT(w) ((w) / 2)

byte word[NSLOTS];
byte cursor;
bit g_claimed[NSLOTS]; /* claimed in this visit */
bit g_handed[NSLOTS];  /* RECEIVER: claimed, not yet ended */
/* RECEIVER: the receiver may end a MID from the instant it is LIVE, before
 * its associate returns (C: midatlas_drain, an ending from a
 * midatlas_foreach scan, or a reply whose MID a peer guessed). */
#if RECEIVER
#define HAND_OVER g_handed[i] = 1
#else
#define HAND_OVER skip
#endif
byte g_workers_done;



/* The claim CAS of slot i with the word w loaded FREE: ok 1 on success. */
inline claim_cas()
{
    atomic {
        assert(W_FREE(w));
        if
        :: word[i] == w ->
            word[i] = LIVE_WORD((W_CNT(w) + 1) % CNTMOD);
            assert(!g_claimed[i]);                      /* once per visit */
            g_claimed[i] = 1;
            HAND_OVER;
            ok = 1
        :: else -> ok = 0
        fi
    }
}

#if CPUS
#define OWN_SHARED 0
#define OWN_REVOKING 3
#define CPU_OWNS(p) ((p) + 1)
#if FOREIGN
byte owner = OWN_SHARED;  /* the chunk starts unowned (NONE) */
#else
byte owner = CPU_OWNS(0); /* CPU 0 owns the claims at the start */
#endif
byte epoch;               /* moves into REVOKING (C: the solo word's epoch) */
bit in_cs[2];             /* worker k's common take is past its CS's checks */
bit cs_aborted[2];        /* ... and a fence or a preemption aborted it */

/* membarrier on CPU p (C: midatlas__rseq_fence_cpu): a CS in flight there
 * takes no further step. */
inline fence(p)
{
    atomic { cs_aborted[p] = in_cs[p] }
}

/* Is the cursor still where the move put it, c, or further on (before a
 * claim CAS: C's cursor_not_behind compares places in the sweep order,
 * here positions), or exactly c (inside a claim's CS, CURSOR_HELD_CS)?
 * Mutant 5: not asked; 6: not in the CS; 8: not before the claim CAS. */
#if MUTANT == 5 || MUTANT == 8
#define CURSOR_HELD true
#else
#define CURSOR_HELD (cursor >= c)
#endif
#if MUTANT == 5 || MUTANT == 6
#define CURSOR_HELD_CS true
#else
#define CURSOR_HELD_CS (cursor == c)
#endif

/* The claim of slot i (word w loaded FREE) after a sweep's move to c, on
 * CPU cpu (solo.c, midatlas__solo_claim, and own.h, own_claim, with the
 * cursor's check): ok 1 claimed; ok 0 and moved 0 lost; moved 1: the
 * cursor moved since, nothing claimed. */
inline claim_owned()
{
    moved = 0;
    foreign = 0;
    if
    :: cpu = id
    :: cpu = 1 - id /* migrated to the other CPU: its thread is preempted */
    fi;
    do
    :: atomic {
           owner == CPU_OWNS(cpu) ->
           if
           :: cpu != id -> cs_aborted[cpu] = in_cs[cpu]
           :: else -> skip
           fi;
           if
           :: word[i] == w && CURSOR_HELD_CS ->
               word[i] = LIVE_WORD((W_CNT(w) + 1) % CNTMOD);
               assert(!g_claimed[i]);
               g_claimed[i] = 1;
               HAND_OVER;
               ok = 1
           :: else -> ok = 0; moved = !CURSOR_HELD_CS
           fi
       };
       break
#if FOREIGN && ACQCLAIM
    :: atomic {
           owner == OWN_SHARED && (id == 0 || ANYACQ) && cpu == 0 ->
           if
           :: cpu != id -> cs_aborted[cpu] = in_cs[cpu]
           :: else -> skip
           fi;
           owner = CPU_OWNS(0)
       }
#endif
    :: atomic { owner == OWN_SHARED -> moved = !CURSOR_HELD };
       if
       :: moved -> ok = 0
       :: else -> claim_cas()
       fi;
       break
#if FOREIGN
    /* C, a chunk: OWN_SWEEP meets REVOKING in claim_announced: FOREIGN */
    :: atomic { owner == OWN_REVOKING -> foreign = 1; ok = 0 };
       break
#endif
    :: atomic { !FOREIGN && owner == OWN_REVOKING -> e = epoch };
       fence(0);
       fence(1);
       atomic {
           if
           :: owner == OWN_REVOKING && epoch == e -> owner = OWN_SHARED
           :: else -> skip
           fi
       }
#if FOREIGN
    :: atomic {
           owner != OWN_SHARED && owner != OWN_REVOKING && owner != CPU_OWNS(cpu) ->
           foreign = 1; ok = 0
       };
       break
#else
    :: atomic {
           owner != OWN_SHARED && owner != OWN_REVOKING && owner != CPU_OWNS(cpu) ->
           tmp = owner; owner = OWN_REVOKING; epoch++; e = epoch
       };
       fence(tmp - 1);
       atomic {
           if
           :: owner == OWN_REVOKING && epoch == e && e < MOVES -> owner = CPU_OWNS(cpu)
           :: owner == OWN_REVOKING && epoch == e -> owner = OWN_SHARED
           :: else -> skip
           fi
       }
#endif
    od
}
#endif

/* The mutants' move after a successful claim (MUTANT 1 to 3). */
inline move_after()
{
#if MUTANT == 1
    cursor = i + 1
#elif MUTANT == 2
    atomic {
        if
        :: cursor == c -> cursor = i + 1
        :: else -> skip
        fi
    }
#elif MUTANT == 3
    if
    :: cursor == c -> cursor = i + 1
    :: else -> skip
    fi
#else
    skip
#endif
}

proctype worker(byte id)
{
    byte r, c, i, w, tmp, cpu, e;
    bit ok, fast, moved, bycas, foreign, reclaimed;
    byte cstart;
    for (r : 1 .. ROUNDS) {
        fast = 1;
#if CPUS && FOREIGN
        bycas = 0;
        if
        :: id == 0 ->
            atomic {
                if
                :: owner == OWN_SHARED -> owner = CPU_OWNS(0) /* acquire */
                :: owner == CPU_OWNS(0) -> owner = OWN_SHARED /* release */
                :: true
                fi
            }
        :: else -> skip
        fi;
#elif CPUS
        bycas = (owner == OWN_SHARED); /* C: claim_by_of, once per associate */
#endif
again:
        c = cursor;
        i = c;
        cstart = c;
sweep:
        if
        :: i >= NSLOTS -> goto over
        :: else -> skip
        fi;
        w = word[i];
        if
        :: !W_FREE(w) -> w = 0; i++; fast = 0; goto sweep
        :: else -> skip
        fi;
        if
        :: cursor != c -> w = 0; fast = 0; goto again
        :: else -> skip
        fi;
#if CS
        if
        :: fast ->
            atomic {
                if
#if MUTANT == 4
                :: word[i] == w ->
#else
                :: cursor == c && word[i] == w ->
#endif
                    cursor = i + 1;
                    word[i] = LIVE_WORD((W_CNT(w) + 1) % CNTMOD);
                    assert(!g_claimed[i]);
                    g_claimed[i] = 1;
                    HAND_OVER;
                    ok = 1
                :: else -> ok = 0
                fi
            };
            if
            :: ok -> goto claimed
            :: else -> w = 0; fast = 0; goto again /* missed: the full take */
            fi
        :: else -> skip
        fi;
#endif
#if CPUS
        /* The common take on the owning CPU: the CS, step by step. */
        if
        :: fast && !bycas ->
            atomic {
                if
                :: owner == CPU_OWNS(id) && cursor == c && word[i] == w ->
                    in_cs[id] = 1; cs_aborted[id] = 0; ok = 1
                :: else -> ok = 0
                fi
            };
            if
            :: ok ->
                atomic {
                    if
                    :: !cs_aborted[id] -> cursor = i + 1
                    :: else -> ok = 0
                    fi
                };
                atomic {
                    if
                    :: ok && !cs_aborted[id] ->
                        word[i] = LIVE_WORD((W_CNT(w) + 1) % CNTMOD);
                        assert(!g_claimed[i]);
                        g_claimed[i] = 1;
                        HAND_OVER
                    :: else -> ok = 0
                    fi;
                    in_cs[id] = 0;
                    cs_aborted[id] = 0
                }
            :: else -> skip
            fi;
            if
            :: ok -> goto claimed
            :: else -> w = 0; fast = 0; goto again /* missed: the full take */
            fi
        :: else -> skip
        fi;
#endif
#if MUTANT == 2
        /* the first fix: past used slots, a move onto slot i first */
        if
        :: i != c ->
            atomic {
                if
                :: cursor == c -> cursor = i; c = i; tmp = 1
                :: else -> tmp = 0
                fi
            };
            if
            :: tmp == 0 -> w = 0; fast = 0; goto again
            :: else -> skip
            fi
        :: else -> skip
        fi;
#endif
#if CPUS && FOREIGN
        /* the look before the move (C: own_by_another), on either CPU */
        if
        :: tmp = id
        :: tmp = 1 - id
#if LOOKABORT
            ; cs_aborted[tmp] = in_cs[tmp]
#endif
        fi;
        if
        :: owner != OWN_SHARED && owner != CPU_OWNS(tmp) -> goto foreign_met
        :: else -> skip
        fi;
#endif
#if MUTANT == 0 || MUTANT >= 4
        /* the move past slot i, before the claim */
        atomic {
            if
            :: cursor == c -> cursor = i + 1; tmp = 1
            :: else -> tmp = 0
            fi
        };
        if
        :: tmp == 0 -> w = 0; fast = 0; goto again
        :: else -> c = i + 1
        fi;
#endif
#if CPUS
        if
        :: fast && bycas -> claim_cas() /* the common take's CAS path */
        :: else ->
            claim_owned();
            if
            :: moved -> w = 0; fast = 0; goto again
            :: foreign ->
#if MUTANT == 7
                atomic {
                    if
                    :: cursor == c -> cursor = i
                    :: else -> skip
                    fi
                };
#endif
                goto foreign_met /* C: SWEEP_FOREIGN, the thread's own CPU's cursor */
            :: else -> skip
            fi
        fi;
#else
        claim_cas();
#endif
        if
        :: !ok -> w = 0; i++; c = i; fast = 0; goto sweep
        :: else -> skip
        fi;
        move_after();
claimed:
#if RECEIVER
        w = 0 /* the receiver ends it (HAND_OVER) */
#else
        /* dissociate: the holder ends its one request */
        atomic { word[i] = FREE_WORD(W_CNT(word[i])); w = 0 }
#endif
    }
#if CPUS
foreign_met:
#if RECLAIM
        /* C take_slow: fresh / unshared: own_reclaim, then sweep_chunk again
         * from take_slow's c (the value at the start of the sweep_chunk);
         * once per worker here (C: once per call) */
        if
        :: !reclaimed ->
            reclaimed = 1;
            atomic {
                if
                :: owner == CPU_OWNS(0) || owner == CPU_OWNS(1) ->
                    tmp = owner; owner = OWN_REVOKING
                :: else -> tmp = 0
                fi
            };
            if
            :: tmp != 0 ->
                fence(tmp - 1);
                atomic { owner = OWN_SHARED }
            :: else -> skip
            fi;
            c = cstart; i = c; w = 0; fast = 0;
            goto sweep
        :: true -> skip
        fi;
#endif
        goto over;
#endif
over:
    atomic { g_workers_done++ }
}

proctype old_holder()
{
    byte k;
    for (k : 0 .. OLD - 1) {
        atomic { word[k] = FREE_WORD(W_CNT(word[k])) }
    }
}

#if RECEIVER
/* Ends any claimed MID at any time; stops when the workers have and
 * nothing is left to end. */
#if NSLOTS > 4
#define NONE_HANDED (!g_handed[0] && !g_handed[1] && !g_handed[2] && !g_handed[3] && !g_handed[4])
#else
#define NONE_HANDED (!g_handed[0] && !g_handed[1] && !g_handed[2] && !g_handed[3])
#endif
#define END_ONE(k) :: atomic { g_handed[k] -> word[k] = FREE_WORD(W_CNT(word[k])); g_handed[k] = 0 }
proctype receiver()
{
    do
    END_ONE(0)
    END_ONE(1)
    END_ONE(2)
    END_ONE(3)
#if NSLOTS > 4
    END_ONE(4)
#endif
    :: atomic { g_workers_done == 2 && NONE_HANDED -> break }
    od
}
#endif

init {
    byte k;
    atomic {
        for (k : 0 .. NSLOTS - 1) {
            if
            :: k < OLD -> word[k] = LIVE_WORD(0)
            :: else -> word[k] = FREE_WORD(0)
            fi
        }
        run worker(0);
        run worker(1);
        run old_holder();
#if RECEIVER
        run receiver()
#else
        skip
#endif
    }
    (_nr_pr == 1);
    for (k : 0 .. NSLOTS - 1) {
        assert(W_FREE(word[k]))
    }
}
