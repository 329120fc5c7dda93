/* SPDX-License-Identifier: MIT */
/*
 * midatlas_core.pml - Promela model of midatlas's slot protocol and striped
 * free lists (src/midatlas.c, src/freelist.h, src/freelist.c, src/word.h).
 *
 * Modelled as the C code does it, one atomic step per 64-bit atomic access:
 *   slot word   generation | D | payload:  LIVE D=0, payload = context;
 *               DISCARDED D=1, payload 0; FREE D=1, payload FREE_MARK|link.
 *               The generation is the latest handout's; associate advances it.
 *   stripe head index | length | pop tag, one word; empty = length 0.  The tag
 *               grows by POP_TAG_STEP (1) on every pop and nothing else; the
 *               mutated model compiles with POP_TAG_STEP 0 and must fail.
 *   stripe_pop      load head; loop { load the top slot's word; not FREE ->
 *                   reload head; else CAS head to (link, len-1, tag+1), a
 *                   failed CAS reloads head }.
 *   freelist_take   pop the home stripe; else sweep every stripe from home
 *                   (adopting the first non-empty one as home), and if all
 *                   were empty, load every head again: all unchanged -> EFULL,
 *                   else sweep again (the double collect).
 *   associate       take, then one store: LIVE(generation + 1, ctx).
 *   dissociate      load the free-home head; load the slot; CAS LIVE(g, ctx)
 *                   -> FREE(g, link = that head's index), retried while the
 *                   word changes under the same generation; then push: CAS
 *                   head to (slot, len+1, tag); if that fails, move the free
 *                   home to the next stripe and loop { load head; store the
 *                   slot's link; CAS }.
 *   discard         load, CAS LIVE(g, ctx) -> DISCARDED(g).
 *   release         load the free-home head; CAS DISCARDED(g) -> FREE(g,
 *                   link) (no load first, as in C); then push as above.
 *   reassociate     load, CAS LIVE(g, ctx) -> LIVE(g, ctx'), retried.
 * Not modelled: reserved MIDs (a generation skip), drain (the same CAS as
 * dissociate/release), the gate word and the waiters of
 * midatlas_associate_wait (midatlas_wait.pml), take_full_batch (an extra
 * pop attempt before the sweep), counters.
 *
 * Processes: NPROC workers, each with a home stripe (its pid), doing ROUNDS
 * rounds of: associate one MID (shown in a mailbox when RACE) and, for the
 * first WINDOW2 workers, a second; dissociate the second; end the first by
 * dissociate, reassociate + dissociate, or discard + release; then maybe
 * race the mailbox's MID (another worker's, live or already stale) with a
 * dissociate.
 *
 * Ghost state (never read by the protocol) says what each slot really is and
 * counts its handouts (epoch); a MID carries the epoch it was handed out in.
 * Checked (assert):
 *   - no double handout: a successful pop takes a slot that is on a list, and
 *     a publish is by the process that popped it;
 *   - exactly one winner per MID, and a stale MID never acts: every
 *     successful CAS on a slot word is made with the MID of the slot's
 *     current epoch, on the state the operation expects;
 *   - EFULL as midatlas.h defines it ("A slot in hand"): when associate
 *     reports EFULL, at some instant during its call every slot was live,
 *     discarded or in hand (popped and not yet published, or won by a
 *     dissociate / release and not yet pushed).  Ghost counts g_live,
 *     g_disc, g_hand move with every ghost state change (GMOVE), which also
 *     asserts listed + live + discarded + in hand == slots and marks every
 *     take in progress that sees the equation hold (TICK); a take also
 *     checks it at its first step;
 *   - EFULL hides nothing (stronger, EF_INSTANT): no slot was on any list
 *     at the instant its first sweep ended;
 *   - no lost slot: once every worker is done, walking every stripe from its
 *     head for its length visits each slot exactly once, each FREE.
 * Bounds: generations count modulo GENMOD and tags modulo TAGMOD, both above
 * the number of handouts and pops in a run, so neither wraps here (in C they
 * are 15 and 31 bits; midatlas.c argues the wraparound).
 */

#ifndef NSLOTS
#define NSLOTS 3 /* at most 3: the head packs index and length in 2 bits each */
#endif
#ifndef NSTRIPES
#define NSTRIPES 1
#endif
#ifndef NPROC
#define NPROC 3
#endif
#ifndef ROUNDS
#define ROUNDS 1
#endif
#ifndef WINDOW2
#define WINDOW2 1 /* how many workers hold two MIDs at once; the others one */
#endif
#ifndef RACE
#define RACE 1
#endif
/* Mutants: each breaks one thing the C code relies on, and verification
 * must then fail (the ctest "model.mutant.*" tests expect an error):
 *   1  the pop does not advance the ABA tag          (lost / doubled slots)
 *   2  ending a slot is a load, compare, then a plain store (two winners)
 *   3  operations ignore the MID's generation        (a stale MID acts)
 *   4  EFULL after one sweep, no double collect      (EFULL hides a slot;
 *      with EF_INSTANT 0 the definition check alone catches it: a slot
 *      moves from the stripe not yet read to the one already read while
 *      another stays listed)
 *   5  EFULL when the home stripe is empty, no sweep (EFULL while another
 *      stripe holds a slot the whole call)
 *   6  not a code mutant: the stricter definition "every slot live or
 *      discarded", without slots in hand.  The real protocol breaks it
 *      (EFULL while a dissociate holds its slot between its CAS and its
 *      push), which is why midatlas.h counts slots in hand. */
#ifndef MUTANT
#define MUTANT 0
#endif
#if MUTANT == 1
#define POP_TAG_STEP 0
#else
#define POP_TAG_STEP 1
#endif

#define GENMOD 16
#define TAGMOD 32

/* ---- slot word: gen * 32 + D * 16 + payload (payload 0..15) ---- */
#define W_GEN(w) ((w) / 32)
#define W_D(w) (((w) / 16) % 2)
#define W_PAY(w) ((w) % 16)
#define WORD(g, d, p) ((g) * 32 + (d) * 16 + (p))
#define FREE_WORD(g, link) WORD(g, 1, 8 + (link))
#define DISC_WORD(g) WORD(g, 1, 0)
#define LIVE_WORD(g, ctx) WORD(g, 0, ctx)
#define W_FREE(w) (W_D(w) == 1 && W_PAY(w) >= 8)
#define W_DISC(w) (W_D(w) == 1 && W_PAY(w) == 0)
#define W_LIVE(w) (W_D(w) == 0)
#define W_LINK(w) (W_PAY(w) - 8)
#define NEXT_GEN(g) (((g) + 1) % GENMOD)

/* ---- stripe head: tag * 16 + len * 4 + idx ---- */
#define HEAD(i, l, t) ((t) * 16 + (l) * 4 + (i))
#define H_IDX(h) ((h) % 4)
#define H_LEN(h) (((h) / 4) % 4)
#define H_TAG(h) ((h) / 16)

short word[NSLOTS];
short head[NSTRIPES];

/* ---- ghost state ---- */
#define G_LISTED 0   /* free, on a list                                  */
#define G_POPPED 1   /* taken off a list by g_holder, not yet published  */
#define G_LIVE 2
#define G_DISC 3
#define G_UNLINKED 4 /* FREE word written by the winner, not yet pushed   */
byte g_state[NSLOTS];
byte g_holder[NSLOTS];
byte g_epoch[NSLOTS]; /* handouts so far */
byte listed;          /* slots in G_LISTED */
byte g_live, g_disc;  /* slots in G_LIVE, G_DISC */
byte g_hand;          /* slots in a call's hand: G_POPPED or G_UNLINKED */
/* EFULL's definition (midatlas.h, "A slot in hand"): at one instant during
 * the associate call every usable slot was live, discarded or in hand.
 * in_assoc[p]: p is inside a take; efull_ok[p]: the equation held at some
 * instant since p's take began (at its first step, or after any later step
 * of anyone that changed the counts). */
bit in_assoc[NPROC];
bit efull_ok[NPROC];
byte gi;              /* scratch of TICK, always 0 between steps */
byte finished;        /* workers done */
bit ready;            /* the checker has laid out the initial lists */

/* the mailbox: a MID one worker shows the others (as a MID read off the wire
 * would be): slot, generation, epoch */
byte m_slot, m_gen, m_epoch;
bit m_ok;

/* Temporaries a finished operation no longer needs are zeroed in its last
 * atomic step, so states that differ only in dead locals are stored once. */
#define DEAD h = 0; w = 0

/* Empty head h seen on stripe k: remember it for the double collect, and
 * (ghost) whether any slot was on any list at this instant. */
#define SAW_EMPTY(k) seen[k] = h; ef = (listed == 0); res = 0

/* ---- the EFULL definition, in ghost counts ---- */
#if MUTANT == 6
/* a stricter definition, without the slots in hand: the C code breaks it */
#define EFULL_EQ (g_live + g_disc == NSLOTS)
#else
#define EFULL_EQ (g_live + g_disc + g_hand == NSLOTS)
#endif

/* After every step that moves a slot between ghost states: every take in
 * progress has now seen an instant at which the equation held, if it holds. */
#define TICK \
    assert(listed + g_live + g_disc + g_hand == NSLOTS); \
    if \
    :: EFULL_EQ -> \
        gi = 0; \
        do \
        :: gi < NPROC -> efull_ok[gi] = efull_ok[gi] | in_assoc[gi]; gi++ \
        :: else -> break \
        od; \
        gi = 0 \
    :: else -> skip \
    fi

/* Slot s moves to ghost state `to` (counts, then TICK). */
#define GCOUNT(st, d) \
    if \
    :: st == G_LISTED -> listed = listed + d \
    :: st == G_LIVE -> g_live = g_live + d \
    :: st == G_DISC -> g_disc = g_disc + d \
    :: else -> g_hand = g_hand + d \
    fi
#define GMOVE(s, to) GCOUNT(g_state[s], -1); g_state[s] = to; GCOUNT(to, 1); TICK

/* associate answers EFULL: the definition held at some instant of the call,
 * and (EF_INSTANT) nothing was listed when the first collect ended. */
#ifndef EF_INSTANT
#define EF_INSTANT 1
#endif
#if EF_INSTANT
#define EF_INSTANT_CHECK assert(ef)
#else
#define EF_INSTANT_CHECK skip
#endif
#define EFULL_RETURN \
    atomic { \
        printf("P%d associate: EFULL\n", _pid); \
        assert(efull_ok[_pid]);                 /* EFULL as midatlas.h defines it */ \
        EF_INSTANT_CHECK;                       /* EFULL hides nothing */ \
        in_assoc[_pid] = 0; efull_ok[_pid] = 0; res = 0 \
    }

/* Pop stripe k: res 1 and (H_IDX(h), w) = the slot and the FREE word it
 * held, or res 0 when the stripe was empty. */
inline stripe_pop(k)
{
    atomic {                                                 /* load head */
        h = head[k];
        if                                                   /* ghost: the take begins */
        :: !in_assoc[_pid] -> in_assoc[_pid] = 1; efull_ok[_pid] = EFULL_EQ
        :: else -> skip
        fi;
        printf("P%d pop: reads stripe %d head (slot %d, len %d, tag %d)\n",
               _pid, k, H_IDX(h), H_LEN(h), H_TAG(h));
        if
        :: H_LEN(h) == 0 -> SAW_EMPTY(k)
        :: else -> res = 2
        fi
    };
    do
    :: res != 2 -> break
    :: else ->
        atomic {                                             /* load the link */
            w = word[H_IDX(h)];
            printf("P%d pop: reads slot %d's word: link %d\n", _pid, H_IDX(h), W_LINK(w))
        };
        atomic {
            if
            :: !W_FREE(w) ->                                 /* popped meanwhile */
                h = head[k]; w = 0;                          /* reload head */
                if
                :: H_LEN(h) == 0 -> SAW_EMPTY(k)
                :: else -> skip
                fi
            :: else ->                                       /* CAS head */
                if
                :: head[k] == h ->
                    head[k] = HEAD(W_LINK(w), H_LEN(h) - 1, (H_TAG(h) + POP_TAG_STEP) % TAGMOD);
                    printf("P%d pop: CAS head -> (slot %d, len %d) takes slot %d\n",
                           _pid, W_LINK(w), H_LEN(h) - 1, H_IDX(h));
                    assert(g_state[H_IDX(h)] == G_LISTED);   /* no double handout */
                    g_holder[H_IDX(h)] = _pid;
                    GMOVE(H_IDX(h), G_POPPED);                /* in hand */
                    in_assoc[_pid] = 0; efull_ok[_pid] = 0;  /* the take ends */
                    res = 1
                :: else ->
                    h = head[k]; w = 0;                      /* failed CAS: new head */
                    if
                    :: H_LEN(h) == 0 -> SAW_EMPTY(k)
                    :: else -> skip
                    fi
                fi
            fi
        }
    od
}

/* freelist_take: res 1 with the slot in (H_IDX(h), w), or res 0 = EFULL. */
inline take()
{
    stripe_pop(ah);
    if
    :: res == 1 -> skip
#if MUTANT == 5
    :: else -> EFULL_RETURN                                   /* mutant: no sweep */
    fi
#else
    :: else ->
        do                                                   /* take_slow */
        :: kk = 0;
           do
           :: kk < NSTRIPES ->
               stripe_pop((ah + kk) % NSTRIPES);
               if
               :: res == 1 -> ah = (ah + kk) % NSTRIPES; fh = ah; break
               :: else -> kk++
               fi
           :: else -> break
           od;
           if
           :: res == 1 -> break
           :: else -> skip
           fi;
           kk = 0; same = 1;                                 /* second collect */
#if MUTANT != 4
           do
           :: kk < NSTRIPES && same -> same = (head[kk] == seen[kk]); kk++
           :: else -> break
           od;
#endif
           if
           :: same -> EFULL_RETURN; break
           :: else -> skip
           fi
        od;
        atomic {                                             /* dead: merge states */
            kk = 0; same = 0; ef = 0;
            seen[0] = 0;
#if NSTRIPES > 1
            seen[1] = 0;
#endif
            if
            :: res == 0 -> DEAD
            :: else -> skip
            fi
        }
    fi
#endif
}

/* associate: res 1 and the MID (s, g) of epoch e, or res 0 (EFULL).  post:
 * also show it in the mailbox, in the publishing step (nobody can use a MID
 * before it is published). */
inline associate(ctx, s, g, e, post)
{
    take();
    if
    :: res == 1 ->
        atomic {                                             /* publish: store */
            s = H_IDX(h); g = NEXT_GEN(W_GEN(w));
            word[s] = LIVE_WORD(g, ctx);
            printf("P%d associate: MID slot %d gen %d is LIVE\n", _pid, s, g);
            assert(g_state[s] == G_POPPED && g_holder[s] == _pid);
            GMOVE(s, G_LIVE); g_epoch[s]++; e = g_epoch[s];
            if
            :: post -> m_slot = s; m_gen = g; m_epoch = e; m_ok = 1
            :: else -> skip
            fi;
            DEAD
        }
    :: else -> skip
    fi
}

/* Push slot s (FREE, generation g, linked to H_IDX(h)) on stripe fh, whose
 * head was h when the link was written. */
inline push(s, g)
{
    atomic {                                                 /* CAS head */
        if
        :: head[fh] == h ->
            head[fh] = HEAD(s, H_LEN(h) + 1, H_TAG(h));
            printf("P%d push: slot %d on stripe %d, link %d, len %d\n", _pid, s, fh, H_IDX(h), H_LEN(h) + 1);
            assert(g_state[s] == G_UNLINKED);
            GMOVE(s, G_LISTED); res = 1; DEAD
        :: else -> res = 2
        fi
    };
    do                                                       /* midatlas__freelist_put_slow */
    :: res != 2 -> break
    :: else ->
        atomic { fh = (fh + 1) % NSTRIPES; h = head[fh] };   /* load head */
        word[s] = FREE_WORD(g, H_IDX(h));                    /* store link */
        atomic {                                             /* CAS head */
            if
            :: head[fh] == h ->
                head[fh] = HEAD(s, H_LEN(h) + 1, H_TAG(h));
                printf("P%d push (slow): slot %d on stripe %d, link %d, len %d\n", _pid, s, fh, H_IDX(h), H_LEN(h) + 1);
                assert(g_state[s] == G_UNLINKED);
                GMOVE(s, G_LISTED); res = 1; DEAD
            :: else -> skip
            fi
        }
    od
}

/* Classify word w for the MID (s, g) wanting state `want` (1 LIVE, 0
 * DISCARDED): res 2 = go on to the CAS, 0 = refused (EFREE, ESTALE,
 * EDISCARDED, EBUSY). */
#if MUTANT == 3
#define SAME_GEN(w, g) true
#else
#define SAME_GEN(w, g) (W_GEN(w) == g)
#endif
#define CLASSIFY(g, want) \
    if \
    :: want && W_LIVE(w) && SAME_GEN(w, g) -> res = 2 \
    :: !want && W_DISC(w) && SAME_GEN(w, g) -> res = 2 \
    :: else -> res = 0; DEAD \
    fi

/* end_live and reassociate's loop: from w (already loaded and classified),
 * CAS the word of (s, g) to nw; legal only when the slot is in ghost state
 * `from` under epoch e.  A failed CAS reloads w and classifies it again.
 * res 1 = won. */
inline slot_cas_loop(s, g, e, from, to, nw)
{
    do
    :: res != 2 -> break
    :: else ->
#if MUTANT == 2
        ok = (word[s] == w);                                 /* load, compare ... */
        atomic {
            if
            :: ok ->
                ok = 0;
                word[s] = nw;                                /* ... then store */
#else
        atomic {
            if
            :: word[s] == w ->
                word[s] = nw;
#endif
                printf("P%d CAS slot %d gen %d wins\n", _pid, s, g);
                assert(g_state[s] == from && g_epoch[s] == e); /* one winner, never stale */
                GMOVE(s, to); res = 1; w = 0
            :: else -> w = word[s]; CLASSIFY(g, 1)
            fi
        }
    od
}

/* dissociate (s, g, e): res 1 won (and pushed), 0 refused. */
inline dissociate(s, g, e)
{
    h = head[fh];                                            /* load free-home head */
    atomic { w = word[s]; CLASSIFY(g, 1) };                  /* load */
    slot_cas_loop(s, g, e, G_LIVE, G_UNLINKED, FREE_WORD(g, H_IDX(h)));
    if
    :: res == 1 -> push(s, g)
    :: else -> DEAD
    fi
}

/* discard (s, g, e): LIVE -> DISCARDED. */
inline discard(s, g, e)
{
    atomic { w = word[s]; CLASSIFY(g, 1) };
    slot_cas_loop(s, g, e, G_LIVE, G_DISC, DISC_WORD(g))
}

/* release (s, g, e): one CAS from DISCARDED(g), then push.  res 1 won. */
inline release(s, g, e)
{
    h = head[fh];                                            /* load free-home head */
    atomic {                                                 /* CAS slot */
        if
        :: word[s] == DISC_WORD(g) ->
            word[s] = FREE_WORD(g, H_IDX(h));
            printf("P%d release: slot %d gen %d\n", _pid, s, g);
            assert(g_state[s] == G_DISC && g_epoch[s] == e); /* one winner, never stale */
            GMOVE(s, G_UNLINKED); res = 1
        :: else -> res = 0; DEAD                             /* EFREE/ESTALE/EBUSY */
        fi
    };
    if
    :: res == 1 -> push(s, g)
    :: else -> skip
    fi
}

/* reassociate (s, g, e) to ctx. */
inline reassociate(s, g, e, ctx)
{
    atomic { w = word[s]; CLASSIFY(g, 1) };
    slot_cas_loop(s, g, e, G_LIVE, G_LIVE, LIVE_WORD(g, ctx))
}

active [NPROC] proctype worker()
{
    short h, w;                  /* head and slot word last loaded */
    short seen[NSTRIPES];        /* heads seen empty by the first collect */
    byte res, r, kk;
    bit same, ef, ok;
    byte ah = _pid % NSTRIPES;   /* alloc and free home stripes */
    byte fh = _pid % NSTRIPES;
    byte s1, g1, e1, s2, g2, e2; /* MIDs held: slot, generation, epoch */

    ready;
    do
    :: r < ROUNDS ->
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

/* Lays out the initial lists, then, once every worker is done, checks that
 * every slot is back on exactly one list. */
active proctype checker()
{
    byte i, k, n, cur, total;
    bit on_list[NSLOTS];

    d_step {
        /* midatlas__freelist_init: contiguous ranges, lowest index first in each
         * stripe; every word FREE with generation "-1" so the first handout
         * of a slot is generation 0 */
        k = 0;
        do
        :: k < NSTRIPES ->
            i = NSLOTS * k / NSTRIPES;
            n = NSLOTS * (k + 1) / NSTRIPES;
            head[k] = HEAD((i < n -> i : 0), n - i, 0);
            do
            :: i < n ->
                word[i] = FREE_WORD(GENMOD - 1, (i + 1 < n -> i + 1 : 0));
                g_state[i] = G_LISTED;
                i++
            :: else -> break
            od;
            k++
        :: else -> break
        od;
        listed = NSLOTS;
        i = 0; k = 0; n = 0;
        ready = 1
    };
    finished == NPROC;
    k = 0; total = 0;
    do
    :: k < NSTRIPES ->
        cur = H_IDX(head[k]); n = 0;
        do
        :: n < H_LEN(head[k]) ->
            assert(cur < NSLOTS && !on_list[cur]);           /* each slot once */
            assert(W_FREE(word[cur]) && g_state[cur] == G_LISTED);
            on_list[cur] = 1;
            n++; total++;
            cur = W_LINK(word[cur])
        :: else -> break
        od;
        k++
    :: else -> break
    od;
    assert(total == NSLOTS && listed == NSLOTS)              /* no lost slot */
}
