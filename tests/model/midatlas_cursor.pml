/* SPDX-License-Identifier: MIT */
/*
 * midatlas_cursor.pml - Promela model of a stripe's cursor within one visit
 * of a chunk (src/sweep.h, "Cursor"): claims happen at the cursor's slot
 * only, and every move of the cursor is from the value its mover read, so
 * that no slot is claimed twice in one visit, whatever stalls.
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
 *             end).  Within one visit positions only grow, so a cursor
 *             value never comes back (C: the cursor also carries the visit's
 *             ticket, so a value of another visit never equals it).
 *   associate load the cursor as c; from i = c: load word[i] (acquire); not
 *             FREE -> i + 1; FREE -> the re-check: load the cursor; not c
 *             -> start again from the cursor; else, if i != c (past used
 *             slots, the full sweep): CAS the cursor c -> i (fails -> start
 *             again), c = i; then the claim: CAS word[i] from the word
 *             loaded to LIVE (count + 1); failure -> i + 1; success -> move
 *             on: CAS the cursor c -> i + 1 (failure ignored).  At the end
 *             (i == NSLOTS) the visit is over for this worker: it stops (C:
 *             the next chunk from the rotor, another visit).
 *             With CS 1 the common take (the first try of an associate, at
 *             the cursor it read) claims in the rseq paths' one CS (rseq.h,
 *             rseq_claim_store_at): the cursor is still c and the word still
 *             w -> cursor = i + 1 and word[i] = LIVE, one step; if not, the
 *             full take (sweep_chunk: its claim and moves as above) from
 *             the cursor.
 *   dissociate by the holder, at once (one request in flight): CAS LIVE ->
 *             FREE, which always wins here.
 * Checked (assert): no slot is claimed twice in the visit (ghost g_claimed);
 * a claim is of a word loaded FREE; at the end every slot is FREE.
 *
 * Mutants (-DMUTANT=n; the ctest "model.cursor.mutant.*" runs expect a
 * violation):
 *   1  the cursor is moved on by a plain store after the claim (the C code
 *      before 2026-12-04): a worker stopped between its claim and its store
 *      sets the cursor back over slots the other claimed and freed.
 *   2  no move onto the found slot before a claim past used slots: the
 *      move after it, from the old c, fails when the other worker claimed
 *      a slot between (freed by the old holder meanwhile), and the cursor
 *      stays behind the claimed slot, to meet it again once it is freed.
 *   3  the move after the claim is a store made only if the cursor still
 *      reads c (a load, then a store: the 2026-12-04 experiment that made
 *      reuse.distance worse): the other worker moves it between the two.
 *   4  (CS 1) the CS stores the cursor without comparing it with c: a
 *      worker stopped between its re-check and its CS sets the cursor back
 *      over what the other claimed and freed meanwhile.
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
#ifndef MUTANT
#define MUTANT 0
#endif

#define CNTMOD 8
#define FREE_WORD(c) ((c) * 2 + 1)
#define LIVE_WORD(c) ((c) * 2)
#define W_FREE(w) ((w) % 2 == 1)
#define W_CNT(w) ((w) / 2)

byte word[NSLOTS];
byte cursor;
bit g_claimed[NSLOTS]; /* claimed in this visit */


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
            ok = 1
        :: else -> ok = 0
        fi
    }
}

/* Move the cursor on from c past slot i. */
inline move_on()
{
#if MUTANT == 1
    cursor = i + 1
#elif MUTANT == 3
    if
    :: cursor == c -> cursor = i + 1
    :: else -> skip
    fi
#else
    atomic {
        if
        :: cursor == c -> cursor = i + 1
        :: else -> skip
        fi
    }
#endif
}

proctype worker()
{
    byte r, c, i, w, tmp;
    bit ok, fast;
    for (r : 1 .. ROUNDS) {
        fast = 1;
again:
        c = cursor;
        i = c;
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
#if MUTANT != 2
        if
        :: i != c ->
            atomic {
                if
                :: cursor == c -> cursor = i; c = i; tmp = 1
                :: else -> tmp = 0
                fi
            };
            if
            :: tmp == 0 -> w = 0; goto again
            :: else -> skip
            fi
        :: else -> skip
        fi;
#endif
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
        claim_cas();
        if
        :: !ok -> w = 0; i++; fast = 0; goto sweep
        :: else -> skip
        fi;
        move_on();
claimed:
        /* dissociate: the holder ends its one request */
        atomic { word[i] = FREE_WORD(W_CNT(word[i])); w = 0 }
    }
over:
    skip
}

proctype old_holder()
{
    byte k;
    for (k : 0 .. OLD - 1) {
        atomic { word[k] = FREE_WORD(W_CNT(word[k])) }
    }
}

init {
    byte k;
    atomic {
        for (k : 0 .. NSLOTS - 1) {
            if
            :: k < OLD -> word[k] = LIVE_WORD(0)
            :: else -> word[k] = FREE_WORD(0)
            fi
        }
        run worker();
        run worker();
        run old_holder()
    }
    (_nr_pr == 1);
    for (k : 0 .. NSLOTS - 1) {
        assert(W_FREE(word[k]))
    }
}
