/* SPDX-License-Identifier: MIT */
/*
 * midatlas_visits.pml - Promela model of the visit stamps that end a late
 * visit of a chunk (src/sweep.h "Laps", src/sweep.c rotor_take and
 * visit_begin, visit_on).  midatlas_rotation.pml checks the order of the
 * sweep with visits that never end; this model checks what the stamps add:
 * a visit that stalled, or whose taker stalled, hands out no slot after a
 * newer visit of its chunk has handed that slot out, and (with takes that
 * do not stall) a slot's two handouts lie at least NCHUNKS - VT + 1 rotor
 * tickets apart.
 *
 * Modelled as the C code does it, one atomic step per shared access (Spin
 * interleaves: every step is sequentially consistent.  The C orders that
 * make the same argument hold on real hardware are in the comments of
 * visit_begin and visit_on; here they are the program order):
 *   slot word  count | FREE bit.  A claim CASes the FREE word the caller
 *              loaded to LIVE(count + 1); a dissociate (by the holder, which
 *              always wins here; races on endings are midatlas_core.pml's)
 *              CASes it back to FREE with the same count.
 *   rotor      fetch_add(rotor, 1) = t, the ticket of a visit of chunk
 *              t mod NCHUNKS (rotor_take).  Kept exact, not modulo: the run
 *              stops taking at TMAX tickets (a bound of the model; C keeps
 *              30 bits of a ticket in a stamp and says what a wrap does).
 *   stamp      one word per chunk: the ticket of the visit that may claim
 *              there, or ENDED.  visit_begin, each its own step: store
 *              stamp[k] = t; end the visit VT tickets older: load
 *              stamp[(t - VT) mod NCHUNKS], and if it is t - VT store ENDED
 *              (two steps, a racy load and store as in C: the race only ends
 *              a newer visit early); load the rotor: more than VT on from t
 *              and the visit has run out before it began (the taker
 *              stalled): take again.  ATOMIC_TAKE 1 makes the take one
 *              step (no taker stalls inside it): the distance check needs
 *              that.
 *   cursor     each worker sweeps with its own cursor (a stripe per worker,
 *              as threads on different CPUs): pos, end and the visit's
 *              ticket, local.  Sweep: load word[pos]; not FREE -> pos + 1;
 *              FREE -> visit_on: load stamp[chunk]; not the ticket -> the
 *              visit is over (SWEEP_DRY: take the next chunk); else the
 *              claim CAS, then pos + 1 either way.
 *
 * Processes: 2 workers, each ROUNDS times an associate then a dissociate
 * of its MID (1 in flight each), until the rotor reaches TMAX.
 *
 * Ghost state, checked by assert:
 *   - no double handout: a claim CAS takes a slot that is FREE;
 *   - ORDER: g_visit[i] is the ticket of the visit that last handed slot i
 *     out.  A claim by visit t must have t >= g_visit[i]: no visit hands a
 *     slot out after a newer visit of its chunk handed it out (a late
 *     visit would hand out a slot that the newer visit just freed: the
 *     reuse.distance failure).  Holds whatever stalls: a word loaded
 *     before the newer visit's claim fails the CAS (the count moved), a
 *     word loaded after it comes after the newer visit's stamp store, so
 *     visit_on sees the newer stamp; and a taker that stalls between its
 *     fetch_add and its stamp store (so that its store covers a newer
 *     visit's) finds the rotor on by a lap and does not begin;
 *   - DISTANCE (ATOMIC_TAKE 1): g_chk[p] samples the rotor at the visit_on
 *     load before each claim; g_at[i] is that sample for slot i's last
 *     handout.  A handout must come at least NCHUNKS - VT + 1 tickets
 *     after the one before (visit t claims while the rotor is at most
 *     t + VT; the next visit of its chunk, t + NCHUNKS or later, from
 *     t + NCHUNKS + 1).  With takes that may stall (ATOMIC_TAKE 0) it does
 *     not hold, and C says so ("give or take"): a taker stalled between its
 *     fetch_add and the end of the visit VT older lets that visit claim on
 *     until the next visit of its chunk stamps it (the .stalled_ender run
 *     finds it).  The sample is the check's, not the CAS's: a thread
 *     stalled between its check and its CAS claims later (C accepts those
 *     few instructions, as the re-check of the cursor does).
 *
 * Mutants (-DMUTANT=n; the ctest "model.visits.mutant.*" runs expect a
 * violation):
 *   1  visit_on before the load of the slot word: a visit that checked
 *      its stamp, stalled while the next visit of its chunk claimed and
 *      freed the slot, then loads the new FREE word and claims it (ORDER).
 *   2  visit_begin does not load the rotor: a taker that stalled before
 *      its stamp store overwrites the newer visit's stamp and claims after
 *      it (ORDER).
 *   3  no visit_on at all (MIDATLAS_BROKEN=5's library): a late visit
 *      claims after the newer one (ORDER).
 *   4  no end of the visit VT tickets older (ATOMIC_TAKE 1): a visit
 *      claims on until a lap, one ticket before the next visit of its chunk
 *      (DISTANCE).
 */

#ifndef NCHUNKS
#define NCHUNKS 5 /* of one slot each */
#endif
#define NSLOTS NCHUNKS
#ifndef VT
#define VT 2 /* visit_tickets; C: below NCHUNKS, or no visit is ended */
#endif
#ifndef ROUNDS
#define ROUNDS 6
#endif
#ifndef TMAX
#define TMAX 14
#endif
#ifndef ATOMIC_TAKE
#define ATOMIC_TAKE 0
#endif
#ifndef DISTANCE
#define DISTANCE ATOMIC_TAKE
#endif
#ifndef MUTANT
#define MUTANT 0
#endif

#define NPROC 2
#define CNTMOD 32
#define NONE 255
#define ENDED 254

/* ---- slot word: count * 2 + FREE ---- */
#define FREE_WORD(c) ((c) * 2 + 1)
#define LIVE_WORD(c) ((c) * 2)
#define W_CNT(w) ((w) / 2)
#define W_FREE(w) ((w) % 2 == 1)

byte word[NSLOTS];
byte rotor;            /* tickets handed out; exact (TMAX bounds it) */
byte stamp[NCHUNKS];   /* the ticket of the chunk's visit, NONE or ENDED */

/* ---- ghost state ---- */
bit g_live[NSLOTS];
byte g_visit[NSLOTS];  /* ticket of the visit that last handed the slot out */
byte g_at[NSLOTS];     /* rotor at that handout's visit_on check */
byte g_chk[NPROC];     /* rotor at this worker's last visit_on check */
byte g_epoch[NSLOTS];  /* handouts of the slot so far */

init {
    byte i = 0;
    atomic {
        do
        :: i < NSLOTS ->
            word[i] = FREE_WORD(0); g_visit[i] = NONE; g_at[i] = NONE; stamp[i] = NONE; i++
        :: else -> break
        od;
        run worker(); run worker()
    }
}

/* visit_on: is stamp[k] still this visit's ticket t?  ok = 1 or 0; the
 * ghost samples the rotor. */
#if DISTANCE
#define VISIT_ON atomic { ok = (stamp[k] == t); g_chk[_pid - 1] = rotor }
#define SAMPLE g_chk[_pid - 1] = rotor
#else
#define VISIT_ON atomic { ok = (stamp[k] == t) }
#define SAMPLE skip
#endif

proctype worker()
{
    byte round = 0, pos = 0, end = 0, t = 0, k = 0, w = 0, mid = NONE, old = 0;
    bit ok = 0, stopped = 0;

    do
    :: round == ROUNDS || stopped -> break
    :: else ->
        /* ---- associate: sweep on from the cursor, taking chunks ---- */
        mid = NONE;
        do
        :: mid != NONE || stopped -> break
        :: else ->
            if
            :: pos < end ->
#if MUTANT == 1
                VISIT_ON;                               /* mutant: check first */
#endif
                atomic { w = word[pos] };
                if
                :: !W_FREE(w) -> pos++; w = 0; ok = 0
                :: else ->
#if MUTANT == 0 || MUTANT == 2 || MUTANT == 4
                    VISIT_ON;
#elif MUTANT == 3
                    atomic { ok = 1; SAMPLE }           /* mutant: no check */
#endif
                    if
                    :: !ok -> pos = end; w = 0          /* the visit is over */
                    :: else ->
                        ok = 0;
                        atomic {                        /* the claim CAS */
                            if
                            :: word[pos] == w ->
                                word[pos] = LIVE_WORD((W_CNT(w) + 1) % CNTMOD);
                                assert(!g_live[pos]);   /* no double handout */
                                g_live[pos] = 1;
                                g_epoch[pos]++;
                                assert(g_epoch[pos] < CNTMOD); /* model bound */
#if DISTANCE
                                printf("P%d claims slot %d in visit %d (rotor %d at the check)\n",
                                       _pid, pos, t, g_chk[_pid - 1]);
#else
                                printf("P%d claims slot %d in visit %d\n", _pid, pos, t);
#endif
                                /* ORDER */
                                assert(g_visit[pos] == NONE || t >= g_visit[pos]);
#if DISTANCE
                                assert(g_at[pos] == NONE ||
                                       g_chk[_pid - 1] - g_at[pos] >= NCHUNKS - VT + 1);
#endif
                                g_visit[pos] = t;
#if DISTANCE
                                g_at[pos] = g_chk[_pid - 1];
#endif
                                mid = pos
                            :: else -> skip
                            fi;
                            w = 0
                        };
                        pos++
                    fi
                fi
            :: else ->
                /* ---- next_chunk: rotor_take, visit_begin ---- */
#if ATOMIC_TAKE
                atomic {
#endif
                atomic {
                    if
                    :: rotor >= TMAX -> stopped = 1     /* the model's bound */
                    :: else -> t = rotor; rotor++; k = t % NCHUNKS
                    fi
                };
                if
                :: stopped -> skip
                :: else ->
                    atomic { stamp[k] = t };
#if MUTANT != 4
                    if
                    :: t >= VT ->
                        old = t - VT;
                        atomic { ok = (stamp[old % NCHUNKS] == old) };
                        if
                        :: ok -> atomic { stamp[old % NCHUNKS] = ENDED; ok = 0; old = 0 }
                        :: else -> old = 0
                        fi
                    :: else -> skip
                    fi;
#endif
#if MUTANT == 2
                    ok = 1;                             /* mutant: no rotor load */
#else
                    atomic { ok = (rotor - t <= VT) };
#endif
                    if
                    :: ok -> pos = k; end = k + 1; ok = 0 /* the visit begins */
                    :: else -> printf("P%d visit %d ran out before it began\n", _pid, t)
                    fi
                fi
#if ATOMIC_TAKE
                }
#endif
            fi
        od;
        /* ---- dissociate: the holder's CAS, which always wins here ---- */
        if
        :: mid != NONE ->
            atomic {
                assert(g_live[mid]);
                word[mid] = FREE_WORD(W_CNT(word[mid]));
                g_live[mid] = 0;
                mid = NONE
            }
        :: else -> skip
        fi;
        round++
    od
}
