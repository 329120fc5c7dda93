/* SPDX-License-Identifier: MIT */
/*
 * midatlas_core.pml - Promela model of midatlas's slot protocol (src/word.h,
 * src/sweep.h, src/sweep.c, src/midatlas.c): the claim CAS that finds and
 * publishes a MID in one step, the exactly-once endings, and the exact EFULL
 * path (the double collect over the slot words).  The order in which
 * associate looks at slots (rotor, cursor, hint) is midatlas_rotation.pml's
 * business; here the fast path may look at any slot.
 *
 * Modelled as the C code does it, one atomic step per 64-bit atomic access:
 *   slot word   count | D | payload.  LIVE: D=0, payload = context;
 *               DISCARDED: D=1, payload 0; FREE: D=1, payload FREE_MARK.
 *               count advances by one on every claim (and on nothing else);
 *               a MID is (slot, count), its generation.  EXCLUDED slots
 *               (reserved, never handed out) are not modelled.
 *   claim       (associate) with w = a word loaded FREE: CAS w ->
 *               LIVE(count(w) + 1, ctx).  Success is the handout: the MID is
 *               (slot, count(w) + 1), published by this same step; failure
 *               means someone else changed the slot: go on.
 *   associate   with SCARCE, first, optionally (a nondeterministic choice:
 *               in a scarce spell or not), claim_last_freed: load the word of
 *               the slot this worker last made FREE (by a dissociate or a
 *               release it won: sweep_note_freed), claim it if FREE.  Then
 *               the fast path: load one slot's word, any slot (the hint, or
 *               the cursor's next slot), claim it if FREE.  Then the exact path
 *               (take_exact): loop { collect_claim: load every word in index
 *               order, claim the first FREE one (return on success), sum the
 *               counts of the others; if a FREE word was seen, loop again;
 *               collect_unchanged: load every word again, a FREE one ->
 *               loop again; none FREE and the counts sum to the first
 *               collect's sum -> EFULL; else loop }.
 *   dissociate  load; LIVE(count g) -> CAS -> FREE(g); a failed CAS loads and
 *               classifies again: FREE -> EFREE, other count -> ESTALE,
 *               DISCARDED -> EDISCARDED, LIVE(g, other ctx) -> retry.
 *   discard     load, CAS LIVE(g, ctx) -> DISCARDED(g), the same retry.
 *   release     one CAS DISCARDED(g) -> FREE(g), no load first.
 *   reassociate load, CAS LIVE(g, ctx) -> LIVE(g, ctx'), the same retry.
 * Frees, discards, releases and reassociates keep the count, and a claim is
 * the only way out of FREE: so counts only grow, an unchanged sum means no
 * slot was claimed between its two reads, and a slot read used twice with
 * no claim in between was used all along: every slot was used at the
 * instant between the two collects.  (Discards and reassociates between the
 * reads change the word, not the count: the slot stays used.)
 *
 * Why one fast-path load stands for the whole fast path (cursor, rotor,
 * hint): a load and a failed CAS change nothing shared, so a fast path of
 * any length is, to everyone else, either one successful claim of some FREE
 * slot it loaded or nothing at all; the fast path never answers EFULL.  A
 * shorter call is also a stricter EFULL check (fewer instants to choose
 * from).  The fast path's own order is checked in midatlas_rotation.pml.
 * SCARCE makes the scarce path's try explicit all the same (a second claim
 * attempt before the exact path, of a slot chosen by the worker's own
 * frees).  A spell's end (still_scarce) is a fetch_add on the rotor and
 * loads that claim nothing: nothing this model has; midatlas_rotation.pml
 * has the rotor.
 * Not modelled: drain and dissociate_if (the dissociate CAS), EXCLUDED
 * slots and the count step of two past a reserved MID value (a larger
 * step, still a growth), the wait gate (midatlas_wait.pml), counters, and
 * count wraparound: the MID carries all of the count here (C: count &
 * gen_mask; a stale MID 2^15 handouts old is midatlas.h's documented limit).
 *
 * Processes: NPROC workers, each doing ROUNDS rounds (worker 1: ROUNDS1)
 * of: associate one MID (shown in a mailbox when RACE) and, for the first
 * WINDOW2 workers, a second; dissociate the second; end the first by
 * dissociate, reassociate + dissociate, or discard + release; then maybe
 * race the mailbox's MID (another worker's, live or already stale) with a
 * dissociate.  A checker sets the atlas up (every slot FREE, count 0) and
 * checks the end state.
 *
 * Ghost state (never read by the protocol): each slot's real state and its
 * handouts so far (epoch); a MID carries the epoch it was handed out in.
 * Checked (assert):
 *   - no double handout: every successful claim takes a slot that is FREE
 *     (so no two processes hold the same (slot, count) live);
 *   - exactly one winner per MID ending, and a stale MID never acts: every
 *     successful CAS on a slot word is made with the MID of the slot's
 *     current epoch, on the state the operation expects;
 *   - EFULL is exact (midatlas.h): when associate answers EFULL, at some
 *     instant during its call every slot was LIVE or DISCARDED.  The ghost
 *     count g_free of FREE slots moves with every ghost state change; a call
 *     is marked when it begins with g_free == 0, and every call in progress
 *     is marked by any claim that leaves g_free == 0 (TICK);
 *   - no lost slot: once every worker is done, every slot is FREE.
 * Bounds: counts modulo CNTMOD, above the handouts of a run (asserted).
 *
 * Mutants (-DMUTANT=n; the ctest "model.mutant.*" runs expect a violation):
 *   1  claim by a plain store after the load, not a CAS: two callers load
 *      the same FREE word and both store LIVE (double handout).
 *   2  EFULL after a single collect, no second read and compare: a slot read
 *      LIVE is freed, then a slot read later is claimed before its read:
 *      some slot was FREE at every instant (false EFULL).
 *   3  count not advanced on claim: FREE(c) -> LIVE(c, ctx) -> FREE(c) comes
 *      back to the old word.  A stale MID's count matches the next handout's
 *      (the stale MID acts); with RACE 0 (no stale MIDs), 2 workers and
 *      worker 1 cycling 4 rounds, the double collect is fooled instead: each
 *      slot is freed and claimed again between its two reads, the sum stays
 *      (false EFULL).
 *   4  ending a MID by load, compare, then a plain store, not a CAS (two
 *      winners).
 *   5  the ending CAS ignores the MID's generation: dissociate / discard /
 *      reassociate accept any count, release any DISCARDED word (a stale
 *      MID acts).
 *   6  the second collect compares the sums only, without its test for a
 *      FREE word: a slot read used by the first collect and freed before
 *      the second keeps its count (false EFULL).
 */

#ifndef NSLOTS
#define NSLOTS 2
#endif
#ifndef NPROC
#define NPROC 3
#endif
#ifndef ROUNDS
#define ROUNDS 1
#endif
#ifndef ROUNDS1
#define ROUNDS1 ROUNDS /* worker 1's rounds */
#endif
#ifndef WINDOW2
#define WINDOW2 1 /* how many workers hold two MIDs at once; the others one */
#endif
#ifndef RACE
#define RACE 1
#endif
#ifndef SCARCE
#define SCARCE 0 /* 1: associate may first try the slot its worker freed last */
#endif
#ifndef MUTANT
#define MUTANT 0
#endif

#define CNTMOD 8
#define NONE 255

/* ---- slot word: count * 16 + D * 8 + payload (payload 0..7) ---- */
#define FREE_MARK 7 /* contexts are 1 .. 6 */
#define WORD(c, d, p) ((c) * 16 + (d) * 8 + (p))
#define W_CNT(w) ((w) / 16)
#define W_D(w) (((w) / 8) % 2)
#define W_PAY(w) ((w) % 8)
#define FREE_WORD(c) WORD(c, 1, FREE_MARK)
#define DISC_WORD(c) WORD(c, 1, 0)
#define LIVE_WORD(c, ctx) WORD(c, 0, ctx)
#define W_FREE(w) (W_D(w) == 1 && W_PAY(w) == FREE_MARK)
#define W_DISC(w) (W_D(w) == 1 && W_PAY(w) == 0)
#define W_LIVE(w) (W_D(w) == 0)
#if MUTANT == 3
#define NEXT_CNT(c) (c) /* mutant: the claim keeps the count */
#else
#define NEXT_CNT(c) (((c) + 1) % CNTMOD)
#endif

byte word[NSLOTS];

/* ---- ghost state ---- */
#define G_FREE 0
#define G_LIVE 1
#define G_DISC 2
byte g_state[NSLOTS];
byte g_epoch[NSLOTS]; /* handouts so far */
byte g_free;          /* slots in G_FREE */
/* in_assoc[p]: p is inside an associate call; efull_ok[p]: every slot was
 * LIVE or DISCARDED at some instant since it began. */
bit in_assoc[NPROC];
bit efull_ok[NPROC];
byte gi;              /* scratch of TICK, always 0 between steps */
byte finished;        /* workers done */
bit ready;            /* the checker has set the atlas up */

/* the mailbox: a MID one worker shows the others (as a MID read off the
 * wire would be): slot, generation (count), epoch */
byte m_slot, m_gen, m_epoch;
bit m_ok;

/* After a step that may leave no slot FREE: every associate call in
 * progress has now seen an instant at which EFULL is the truth. */
#define TICK \
    if \
    :: g_free == 0 -> \
        gi = 0; \
        do \
        :: gi < NPROC -> efull_ok[gi] = efull_ok[gi] | in_assoc[gi]; gi++ \
        :: else -> break \
        od; \
        gi = 0 \
    :: else -> skip \
    fi

/* Slot s moves to ghost state `to`. */
#define GMOVE(s, to) \
    if \
    :: g_state[s] == G_FREE -> g_free-- \
    :: else -> skip \
    fi; \
    g_state[s] = to; \
    if \
    :: to == G_FREE -> g_free++ \
    :: else -> skip \
    fi; \
    TICK

/* Temporaries a finished step no longer needs are zeroed in its last atomic
 * step, so that states differing only in dead locals are stored once. */
#define CLEAR_COLLECT i = 0; same = 0; sum = 0; again = 0

/* The second collect found the atlas unchanged: no FREE word (same) and the
 * same sum of counts. */
#if MUTANT == 2
#define UNCHANGED same /* mutant: there was no second collect */
#else
#define UNCHANGED (same && again == sum)
#endif
#if MUTANT == 6
#define SECOND_SEES_FREE(w) false /* mutant: sums only */
#else
#define SECOND_SEES_FREE(w) W_FREE(w)
#endif

/* The claim CAS of slot i, whose word w this call loaded FREE: res 1 and
 * the MID (s, g) of epoch e, published (and shown in the mailbox if post);
 * res 0 when the CAS failed. */
inline claim(i, ctx, s, g, e, post)
{
    atomic {
#if MUTANT == 1
        if
        :: true ->                                           /* mutant: plain store */
#else
        if
        :: word[i] == w ->                                   /* CAS */
#endif
            word[i] = LIVE_WORD(NEXT_CNT(W_CNT(w)), ctx);
            printf("P%d associate: claims slot %d, count %d\n", _pid, i, NEXT_CNT(W_CNT(w)));
            assert(W_FREE(w) && g_state[i] == G_FREE);      /* no double handout */
            in_assoc[_pid] = 0; efull_ok[_pid] = 0;          /* the call ends */
            GMOVE(i, G_LIVE);
            g_epoch[i]++;
            assert(g_epoch[i] < CNTMOD);                     /* model bound */
            s = i; g = NEXT_CNT(W_CNT(w)); e = g_epoch[i];
            if
            :: post -> m_slot = s; m_gen = g; m_epoch = e; m_ok = 1
            :: else -> skip
            fi;
            res = 1; w = 0; CLEAR_COLLECT
        :: else ->
            printf("P%d associate: claim of slot %d fails\n", _pid, i);
            res = 0; w = 0
        fi
    }
}

/* A fast-path load of slot i: res 3 (w FREE), else res 2. */
#define FAST_LOAD \
    w = word[i]; \
    if \
    :: W_FREE(w) -> res = 3 \
    :: else -> res = 2; i = 0; w = 0 \
    fi

/* After a fast-path load: claim the slot if it was FREE. */
#define FAST_CLAIM \
    if \
    :: res == 3 -> \
        claim(i, ctx, s, g, e, post); \
        if \
        :: res == 0 -> res = 2; i = 0 \
        :: else -> skip \
        fi \
    :: else -> skip \
    fi

/* associate: res 1 and the MID (s, g) of epoch e, or res 0 (EFULL). */
inline associate(ctx, s, g, e, post)
{
#if SCARCE
    atomic {                                                 /* a scarce spell? */
        in_assoc[_pid] = 1; efull_ok[_pid] = (g_free == 0);
        res = 2;
        if
        :: freed != NONE -> i = freed; FAST_LOAD             /* claim_last_freed */
        :: true -> skip
        fi
    };
    FAST_CLAIM;
    if
    :: res == 2 ->
        atomic { select(i : 0 .. NSLOTS - 1); FAST_LOAD };   /* fast path: one load */
        FAST_CLAIM
    :: else -> skip
    fi;
#else
    atomic {                                                 /* fast path: one load */
        in_assoc[_pid] = 1; efull_ok[_pid] = (g_free == 0);
        select(i : 0 .. NSLOTS - 1);
        FAST_LOAD
    };
    FAST_CLAIM;
#endif
    do                                                       /* the exact path */
    :: res != 2 -> break
    :: else ->
        do                                                   /* collect_claim */
        :: i < NSLOTS ->
            atomic {
                w = word[i];
                if
                :: W_FREE(w) -> res = 3
                :: else -> sum = sum + W_CNT(w); w = 0; i++
                fi
            };
            if
            :: res == 3 ->
                claim(i, ctx, s, g, e, post);
                if
                :: res == 1 -> break
                :: else -> same = 1; res = 2; i++           /* same: saw_free */
                fi
            :: else -> skip
            fi
        :: else -> break
        od;
        if
        :: res == 1 -> skip
        :: res == 2 && same -> atomic { CLEAR_COLLECT }      /* saw_free: again */
        :: else ->
            atomic { i = 0; same = 1 };                      /* collect_unchanged */
#if MUTANT != 2
            do
            :: i < NSLOTS && same ->
                atomic {
                    w = word[i];
                    if
                    :: SECOND_SEES_FREE(w) -> same = 0
                    :: else -> again = again + W_CNT(w)
                    fi;
                    w = 0; i++
                }
            :: else -> break
            od;
#endif
            if
            :: UNCHANGED ->
                atomic {
                    printf("P%d associate: EFULL\n", _pid);
                    assert(efull_ok[_pid]);                  /* EFULL is exact */
                    in_assoc[_pid] = 0; efull_ok[_pid] = 0;
                    res = 0; CLEAR_COLLECT
                }
            :: else -> atomic { CLEAR_COLLECT }              /* changed: again */
            fi
        fi
    od
}

/* Classify word w for the MID (s, g) wanting state `want` (1 LIVE, 0
 * DISCARDED): res 2 = go on to the CAS, 0 = refused (EFREE, ESTALE,
 * EDISCARDED). */
#if MUTANT == 5
#define SAME_GEN(w, g) true
#else
#define SAME_GEN(w, g) (W_CNT(w) == g)
#endif
#define CLASSIFY(g, want) \
    if \
    :: want && W_LIVE(w) && SAME_GEN(w, g) -> res = 2 \
    :: !want && W_DISC(w) && SAME_GEN(w, g) -> res = 2 \
    :: else -> res = 0; w = 0 \
    fi

/* sweep_note_freed: a call that made slot s FREE remembers it (SCARCE). */
#if SCARCE
#define NOTE_FREED(s) freed = s
#else
#define NOTE_FREED(s) skip
#endif

/* The ending / reassociating CAS loop of the MID (s, g) of epoch e: from w
 * (loaded and classified), CAS the word to nw (an expression in w: the
 * count is kept); legal only when the slot is in ghost state `from` under
 * epoch e.  A failed CAS loads w again and classifies it.  res 1 = won. */
inline slot_cas_loop(s, g, e, from, to, nw)
{
    do
    :: res != 2 -> break
    :: else ->
#if MUTANT == 4
        ok = (word[s] == w);                                 /* load, compare ... */
        atomic {
            if
            :: ok ->
                ok = 0;                                      /* ... then store */
#else
        atomic {
            if
            :: word[s] == w ->                               /* CAS */
#endif
                word[s] = nw;
                printf("P%d CAS slot %d count %d wins\n", _pid, s, g);
                assert(g_state[s] == from && g_epoch[s] == e); /* one winner, never stale */
                GMOVE(s, to); res = 1; w = 0;
                if
                :: to == G_FREE -> NOTE_FREED(s)
                :: else -> skip
                fi
            :: else -> w = word[s]; CLASSIFY(g, 1)
            fi
        }
    od
}

/* dissociate (s, g, e): res 1 won, 0 refused. */
inline dissociate(s, g, e)
{
    atomic { w = word[s]; CLASSIFY(g, 1) };
    slot_cas_loop(s, g, e, G_LIVE, G_FREE, FREE_WORD(W_CNT(w)))
}

/* discard (s, g, e): LIVE -> DISCARDED. */
inline discard(s, g, e)
{
    atomic { w = word[s]; CLASSIFY(g, 1) };
    slot_cas_loop(s, g, e, G_LIVE, G_DISC, DISC_WORD(W_CNT(w)))
}

/* release (s, g, e): one CAS from DISCARDED(g).  res 1 won. */
inline release(s, g, e)
{
    atomic {
        if
        :: W_DISC(word[s]) && SAME_GEN(word[s], g) ->
            word[s] = FREE_WORD(W_CNT(word[s]));
            printf("P%d release: slot %d count %d\n", _pid, s, g);
            assert(g_state[s] == G_DISC && g_epoch[s] == e); /* one winner, never stale */
            GMOVE(s, G_FREE); res = 1; NOTE_FREED(s)
        :: else -> res = 0                                   /* EFREE / ESTALE / EBUSY */
        fi
    }
}

/* reassociate (s, g, e) to ctx. */
inline reassociate(s, g, e, ctx)
{
    atomic { w = word[s]; CLASSIFY(g, 1) };
    slot_cas_loop(s, g, e, G_LIVE, G_LIVE, LIVE_WORD(W_CNT(w), ctx))
}

active [NPROC] proctype worker()
{
    byte w;                      /* the slot word last loaded */
    byte sum, again;             /* the counts summed by the two collects */
    byte res, r, i;
    bit same, ok;
    byte s1, g1, e1, s2, g2, e2; /* MIDs held: slot, generation, epoch */
    byte freed = NONE;           /* the slot this worker freed last (SCARCE) */

    ready;
    do
    :: r < (_pid == 1 -> ROUNDS1 : ROUNDS) ->
        associate(_pid + 1, s1, g1, e1, RACE);
        if
        :: res == 1 && _pid < WINDOW2 -> associate(_pid + 1, s2, g2, e2, 0);
           if
           :: res == 1 -> res = 2
           :: else -> res = 1
           fi
        :: else -> skip
        fi;
        /* res: 0 none held, 1 the first, 2 both */
        if
        :: res >= 1 ->
            if
            :: res == 2 -> dissociate(s2, g2, e2)
            :: else -> skip
            fi;
            if
            :: true -> dissociate(s1, g1, e1)
            :: true -> reassociate(s1, g1, e1, _pid + 4);
                       dissociate(s1, g1, e1)
            :: true -> discard(s1, g1, e1);
                       if
                       :: res == 1 -> release(s1, g1, e1)
                       :: else -> skip
                       fi
            fi
        :: else -> skip
        fi;
        /* race the mailbox's MID, which may be live elsewhere or stale */
        if
        :: RACE && m_ok ->
            atomic { s1 = m_slot; g1 = m_gen; e1 = m_epoch };
            dissociate(s1, g1, e1)
        :: true -> skip
        fi;
        atomic {                                             /* dead: merge states */
            s1 = 0; g1 = 0; e1 = 0; s2 = 0; g2 = 0; e2 = 0; res = 0;
            r++
        }
    :: else -> break
    od;
    finished++
}

/* Sets the atlas up (every slot FREE, count 0: the first handout of a slot
 * is count 1), then, once every worker is done, checks that every slot is
 * FREE again. */
active proctype checker()
{
    byte i;

    d_step {
        i = 0;
        do
        :: i < NSLOTS -> word[i] = FREE_WORD(0); g_state[i] = G_FREE; i++
        :: else -> break
        od;
        g_free = NSLOTS;
        i = 0;
        ready = 1
    };
    finished == NPROC;
    i = 0;
    do
    :: i < NSLOTS ->
        assert(W_FREE(word[i]) && g_state[i] == G_FREE);     /* no lost slot */
        i++
    :: else -> break
    od;
    assert(g_free == NSLOTS)
}
