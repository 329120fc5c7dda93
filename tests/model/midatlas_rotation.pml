/* SPDX-License-Identifier: MIT */
/*
 * midatlas_rotation.pml - Promela model of the rotating free lists (issue 11:
 * src/freelist.h, src/freelist.c, src/word.h; dissociate_to_free and
 * take_and_publish in src/midatlas.c).  midatlas_core.pml checks the slot
 * protocol (generations, stale MIDs, discard/release); this model checks the
 * two-sided stripes, the epoch flip and the double collect over both sides.
 *
 * Later changes to the choice of stack, which the protocol does not depend
 * on (commit 2bd207c): a slot is pushed to its own stripe's push side (not
 * the freer's), the slow path tries the home stack, then the fullest other
 * pop side, then any, and homes follow the CPU.  The model's pushes to the
 * free home and ordered sweeps are one of the schedules these allow.
 *
 * Not modelled: the all-but-full branch of take_slow added after this model
 * (commit fc05f55): with fewer than flip_min slots on the push sides a dry
 * taker pops one off a push side instead of flipping.  flip_min is
 * capacity / 16, at least 1, so for the 2-3 slots modelled here it is 1 and
 * every non-empty push side flips, exactly as modelled; the branch only
 * exists from 32 slots on, where it trades the rotation of the last few free
 * slots for not writing the epoch on every call.
 *
 * Modelled as the C code does it, one atomic step per shared access (every
 * load, store and CAS of the epoch, a head or a slot word is its own step):
 *   epoch       the atlas-wide epoch word; pop side = epoch & 1.  A counter
 *               here (it never wraps in a run; C wraps at 2^32, parity only).
 *   stacks      2 * NSTRIPES Treiber stacks: stack (side, k) is
 *               side * NSTRIPES + k, as stack_of().  Head = index | length |
 *               pop tag; the tag grows by POP_TAG_STEP (1) on every pop and
 *               on nothing else, as in word.h.  HEAD_NEVER (255) is a word no
 *               head holds.
 *   slot word   FREE(link) or LIVE (generations are midatlas_core.pml's
 *               business: here only the owner ends a MID).
 *   stripe_pop  load head; loop { empty -> seen = head, fail; load the top
 *               slot's word; not FREE -> reload head; load the epoch: it no
 *               longer names this stack's side -> seen = HEAD_NEVER, fail;
 *               CAS head to (link, len - 1, tag + 1); a failed CAS reloads }.
 *   associate   (freelist_take) load the epoch, pop the home stripe's stack
 *               on that side; else take_slow: loop { load the epoch; full
 *               batch: each other stripe's stack of that side holding BATCH
 *               or more (a relaxed load, then stripe_pop); sweep_pop: every
 *               stripe from home, adopting the first that pops (alloc and
 *               free home := it); collect_side: load every head of the other
 *               side -> one non-empty: CAS the epoch from the value loaded
 *               to that + 1 (relaxed; failure ignored) and loop again; else
 *               the double collect: load every head of the pop side, then of
 *               the other side (short-circuit, as side_unchanged); all equal
 *               to what the sweep and the collect saw -> EFULL; else loop }.
 *               Then one store publishes the slot LIVE.
 *   dissociate  (dissociate_to_free + freelist_put) load the epoch; load the
 *               head of the free home's stack on the other side; CAS the slot
 *               LIVE -> FREE(link = that head's index); load the epoch again:
 *               it now names that stack's side -> put_again; else CAS the
 *               head to (slot, len + 1, tag); success with len + 1 >= BATCH
 *               -> batch_done (free home := the next stripe); failure ->
 *               put_slow (free home + 1, then put_again).  put_again: loop {
 *               load the epoch; load the head of the free home's stack on
 *               the other side; store the slot's link; CAS the head; failure
 *               -> free home + 1 }.
 * Not modelled: generations, stale MIDs and discard/release (the same push),
 * the wait gate, counters and the high-water sample (stats only).  BATCH is
 * 2 (in C max(16, 2 * capacity / stripes)) so that the full-batch path and
 * batch_done happen here at all; with 2 stripes batch_done's "nearest stripe
 * whose push side is empty, else the next" is the next stripe either way.
 *
 * Processes: NPROC workers, worker p with home stripes p % NSTRIPES; each
 * does ROUNDS rounds (worker 1: ROUNDS1) of associate, then, if it got a
 * MID, dissociate.  NSLOTS < NPROC, so associates also meet EFULL.
 *
 * Ghost state (never read by the protocol), checked by assert:
 *   - exactly once: a successful pop takes a slot that is listed; the store
 *     that publishes it is by the popper; the slot CAS that frees it is by
 *     the holder of a LIVE slot; a push pushes a slot won and not listed;
 *     listed + live + in hand == NSLOTS after every step that moves a slot.
 *   - no slot lost, lists intact: once every worker is done, walking every
 *     stack (both sides of every stripe) from its head for its length visits
 *     each slot exactly once, each FREE and listed, and nothing is in hand.
 *   - EFULL (midatlas.h, "A slot in hand"): when associate answers EFULL,
 *     at some instant since that call began no slot was listed, i.e. every
 *     slot was live or in the hand of a call in progress (popped and not yet
 *     published, or won by a dissociate and not yet pushed).
 *   - rotation: a slot freed in epoch e (the epoch at the dissociate's slot
 *     CAS, the instant the MID stops being live) is handed out again (the
 *     pop CAS that takes it) only in a later epoch; so also at most once per
 *     epoch.  This strict form holds despite the stale windows: the freer
 *     pushes onto the push side of the epoch f >= e of its last check (the
 *     re-check, or put_again's load, after the slot CAS); a pop that wins
 *     read a head already holding the slot (the tag: the head did not change
 *     in between) and then re-checked the epoch and found it naming that
 *     stack's side, so in an epoch other than f and not before it, > e.
 *     What the windows do break is the same statement with "freed" read as
 *     "pushed": a freer stalled across a flip between its re-check and its
 *     push CAS pushes onto what is now the pop side, and the slot can be
 *     handed out in the epoch of its push (midatlas.h, "Stale window": a
 *     slot put back an epoch early).  The run with -DFREED_AT_PUSH=1 dates
 *     the free at the push CAS and must find exactly that, which shows the
 *     model reaches the window.
 *   - turns (midatlas.h: "a slot freed now is handed out again only after
 *     every slot that was free before it had its turn"): when the epoch
 *     flips from e, every slot still listed on side e & 1 (e's pop side,
 *     now the push side) was pushed there during e.  A push in e that is
 *     not stale goes to the other side, so these are exactly the slots of
 *     freers stalled across the flip into e (their epoch re-check, or
 *     put_again's epoch load, was in an earlier epoch): they wait one epoch
 *     longer, which is the header's window.  Everything else on e's pop side
 *     had its turn before the flip: a flip happens only after every pop-side
 *     stack was seen empty in e.  -DSTRICT_TURN=1 asserts that nothing at
 *     all is left behind and must fail through that window.
 *   Lock-freedom is not a ctest run (run_model.sh checks safety): compiled
 *   with -DNP (no progress labels, so every cycle is a non-progress cycle:
 *   with a bounded number of calls, any infinite run is a livelock), pan -l
 *   finds no cycle in the one_stripe and two_stripes configurations, and
 *   does find one when the flip CAS is removed.
 * Bounds: the tag counts modulo TAGMOD, asserted never to wrap in a run (in
 * C it is 31 bits; midatlas.c argues the wraparound).
 *
 * Mutants (-DMUTANT=n; the ctest runs expect a violation):
 *   1  EFULL from the pop side only: no collect of the push side (and so no
 *      flip); the double collect re-reads the pop side.  False EFULL while
 *      freed slots wait on the push side.
 *   2  the push side is collected (and flipped on) but the double collect
 *      re-reads only the pop side.  False EFULL with 2 stripes: the collect
 *      reads push stack 0 empty, a slot is pushed there, another thread flips
 *      and pops stack 1's slot, the collect reads stack 1 empty.
 *   3  stripe_pop without its epoch re-check: a popper that chose its side
 *      before a flip pops a slot freed after it, in the epoch it was freed.
 *   4  freelist_put without its epoch re-check: a freer that chose its
 *      stack before a flip pushes onto what is now the pop side a slot it
 *      freed after the flip; it is handed out in the same epoch.
 *   5  dissociate pushes to the pop side (epoch & 1) instead of the other:
 *      no rotation at all.
 *   6  the flip is a plain store of the loaded epoch + 1, not a CAS: a
 *      flipper stalled across other flips moves the epoch back.
 *   7  the pop does not advance the ABA tag: a popper reads the head and
 *      passes its epoch re-check; meanwhile the slot is taken, the epoch
 *      flips, and the slot is freed back onto the same stack, now a push
 *      side (same index, same length, same tag); the popper's CAS wins and
 *      hands the slot out in the epoch it was freed in.  The pop's epoch
 *      re-check is only as good as the tag.
 *   8  take_slow sweeps only the home stripe's pop-side stack before it
 *      collects the push side and flips: a slot on another stripe's pop
 *      side, pushed there in the previous epoch, is left behind at the flip
 *      (turns violated; with 2 stripes).
 */

#ifndef NSLOTS
#define NSLOTS 2 /* at most 3: a head packs index and length in 2 bits each */
#endif
#ifndef NSTRIPES
#define NSTRIPES 1 /* 1 or 2 */
#endif
#ifndef NPROC
#define NPROC 3 /* at most 3 (MARK_EMPTY) */
#endif
#ifndef ROUNDS
#define ROUNDS 1
#endif
#ifndef ROUNDS1
#define ROUNDS1 2 /* worker 1's rounds */
#endif
#ifndef FREED_AT_PUSH
#define FREED_AT_PUSH 0
#endif
#ifndef STRICT_TURN
#define STRICT_TURN 0
#endif
#ifndef MUTANT
#define MUTANT 0
#endif
#if MUTANT == 8
#define SWEEP_STRIPES 1
#else
#define SWEEP_STRIPES NSTRIPES
#endif
#if MUTANT == 7
#define POP_TAG_STEP 0
#else
#define POP_TAG_STEP 1
#endif

#define BATCH 2
#define TAGMOD 8
#define NSTACKS (2 * NSTRIPES)
#define STACK(side, k) ((side) * NSTRIPES + (k))
#define SIDE_OF(st) ((st) / NSTRIPES)

/* ---- slot word: LIVE 0, FREE(link) 4 + link ---- */
#define W_LIVE 0
#define FREE_WORD(link) (4 + (link))
#define W_FREE(w) ((w) >= 4)
#define W_LINK(w) ((w) - 4)

/* ---- head: tag * 16 + len * 4 + idx ---- */
#define HEAD(i, l, t) ((t) * 16 + (l) * 4 + (i))
#define H_IDX(h) ((h) % 4)
#define H_LEN(h) (((h) / 4) % 4)
#define H_TAG(h) ((h) / 16)
#define HEAD_NEVER 255

byte epoch;
byte head[NSTACKS];
byte word[NSLOTS];

/* ---- ghost state ---- */
#define G_LISTED 0
#define G_POPPED 1   /* in an associate's hand: popped, not yet published */
#define G_LIVE 2
#define G_UNLINKED 3 /* in a dissociate's hand: won, not yet pushed       */
#define NEVER 255
byte g_state[NSLOTS];
byte g_holder[NSLOTS];
byte g_freed[NSLOTS]; /* epoch of its last freeing slot CAS, NEVER at first */
byte g_pushed[NSLOTS]; /* epoch of its last push CAS, NEVER at first */
byte gi, gcur, gn;     /* scratch of TURN_CHECK, 0 between steps */
byte listed, g_live, g_hand;
bit in_assoc[NPROC];  /* worker p is inside an associate call */
bit efull_ok[NPROC];  /* ... and no slot was listed at some instant of it */
byte finished;
bit ready;

#define CONSERVED assert(listed + g_live + g_hand == NSLOTS)

/* No slot is listed now: every associate call in progress has seen an
 * instant at which EFULL is the truth. */
#if NPROC == 2
#define MARK_ALL efull_ok[0] = efull_ok[0] | in_assoc[0]; efull_ok[1] = efull_ok[1] | in_assoc[1]
#else
#define MARK_ALL efull_ok[0] = efull_ok[0] | in_assoc[0]; efull_ok[1] = efull_ok[1] | in_assoc[1]; \
                 efull_ok[2] = efull_ok[2] | in_assoc[2]
#endif
#define MARK_EMPTY \
    if \
    :: listed == 0 -> MARK_ALL \
    :: else -> skip \
    fi

/* Rotation: the slot is taken in epoch `epoch` */
#if FREED_AT_PUSH
#define ROTATION_OK(i) (g_pushed[i] == NEVER || epoch > g_pushed[i])
#else
#define ROTATION_OK(i) (g_freed[i] == NEVER || epoch > g_freed[i])
#endif

/* Turns: at the flip from epoch e, every slot still listed on side e & 1 was
 * pushed there during e, i.e. by a freer stalled across the flip into e (a
 * push in e that is not stale goes to the other side).  STRICT_TURN: none
 * is left at all. */
#if STRICT_TURN
#define TURN_OK(i) false
#else
#define TURN_OK(i) (g_pushed[i] == e)
#endif
#define TURN_CHECK \
    gi = 0; \
    do \
    :: gi < NSTRIPES -> \
        gcur = H_IDX(head[STACK(e % 2, gi)]); gn = H_LEN(head[STACK(e % 2, gi)]); \
        do \
        :: gn > 0 -> \
            printf("P%d flip: slot %d left on stack %d (pushed in %d)\n", _pid, gcur, STACK(e % 2, gi), g_pushed[gcur]); \
            assert(gcur < NSLOTS && TURN_OK(gcur)); \
            gcur = W_LINK(word[gcur]); gn-- \
        :: else -> break \
        od; \
        gi++ \
    :: else -> break \
    od; \
    gi = 0; gcur = 0

/* Pop stack st: res 1 with the slot in H_IDX(h) (and its FREE word in w),
 * or res 0 with seen[st] = the empty head seen, or HEAD_NEVER when the epoch
 * moved.  res 2 while looping. */
inline stripe_pop(st)
{
    atomic {                                                 /* load head */
        h = head[st];
        if
        :: H_LEN(h) == 0 -> seen[st] = h; res = 0; h = 0
        :: else -> res = 2
        fi
    };
    do
    :: res != 2 -> break
    :: else ->
        w = word[H_IDX(h)];                                  /* load the link */
        if
        :: !W_FREE(w) ->                                     /* popped meanwhile */
            atomic {
                h = head[st]; w = 0;                         /* reload head */
                if
                :: H_LEN(h) == 0 -> seen[st] = h; res = 0; h = 0
                :: else -> skip
                fi
            }
        :: else ->
#if MUTANT != 3
            atomic {                                         /* epoch re-check */
                if
                :: epoch % 2 != SIDE_OF(st) ->
                    printf("P%d pop: epoch %d no longer pops stack %d: gives up\n", _pid, epoch, st);
                    seen[st] = HEAD_NEVER; res = 0; h = 0; w = 0
                :: else -> skip
                fi
            };
#endif
            if
            :: res == 2 ->
                atomic {                                     /* CAS head */
                    if
                    :: head[st] == h ->
                        assert(H_TAG(h) + 1 < TAGMOD);        /* model bound */
                        head[st] = HEAD(W_LINK(w), H_LEN(h) - 1, H_TAG(h) + POP_TAG_STEP);
                        printf("P%d pop: CAS stack %d takes slot %d in epoch %d (freed in %d)\n",
                               _pid, st, H_IDX(h), epoch, g_freed[H_IDX(h)]);
                        assert(g_state[H_IDX(h)] == G_LISTED);    /* exactly once */
                        assert(ROTATION_OK(H_IDX(h)));            /* rotation */
                        g_state[H_IDX(h)] = G_POPPED; g_holder[H_IDX(h)] = _pid;
                        listed--; g_hand++; CONSERVED; MARK_EMPTY;
                        s = H_IDX(h); res = 1; h = 0; w = 0
                    :: else ->                               /* failed CAS: new head */
                        h = head[st]; w = 0;
                        if
                        :: H_LEN(h) == 0 -> seen[st] = h; res = 0; h = 0
                        :: else -> skip
                        fi
                    fi
                }
            :: else -> skip
            fi
        fi
    od
}

/* The alloc and free homes move to stripe k (adopt). */
#define ADOPT(k) ah = (k); fh = (k)

/* Zero the locals a finished take no longer needs (fewer states). */
#if NSTRIPES == 1
#define CLEAR_SEEN seen[0] = 0; seen[1] = 0
#else
#define CLEAR_SEEN seen[0] = 0; seen[1] = 0; seen[2] = 0; seen[3] = 0
#endif

/* associate: res 1 and slot s LIVE, or res 0 (EFULL). */
inline associate()
{
    atomic {                                                 /* pop_side: load epoch */
        e = epoch;
        in_assoc[_pid] = 1; efull_ok[_pid] = (listed == 0)
    };
    stripe_pop(STACK(e % 2, ah));
    do                                                       /* take_slow */
    :: res == 1 -> break
    :: else ->
        e = epoch;                                           /* load epoch */
#if NSTRIPES > 1
        k = 1;                                               /* take_full_batch */
        do
        :: k < NSTRIPES ->
            if
            :: H_LEN(head[STACK(e % 2, (ah + k) % NSTRIPES)]) >= BATCH ->
                stripe_pop(STACK(e % 2, (ah + k) % NSTRIPES));
                if
                :: res == 1 -> ADOPT((ah + k) % NSTRIPES); break
                :: else -> k++
                fi
            :: else -> k++
            fi
        :: else -> break
        od;
        if
        :: res == 1 -> break
        :: else -> skip
        fi;
#endif
        k = 0;                                               /* sweep_pop */
        do
        :: k < SWEEP_STRIPES ->
            stripe_pop(STACK(e % 2, (ah + k) % NSTRIPES));
            if
            :: res == 1 -> ADOPT((ah + k) % NSTRIPES); break
            :: else -> k++
            fi
        :: else -> break
        od;
        if
        :: res == 1 -> break
        :: else -> skip
        fi;
        any = 0;
#if MUTANT != 1
        k = 0;                                               /* collect_side */
        do
        :: k < NSTRIPES ->
            atomic {
                seen[STACK(1 - e % 2, k)] = head[STACK(1 - e % 2, k)];
                printf("P%d collect: stack %d len %d\n", _pid, STACK(1 - e % 2, k), H_LEN(seen[STACK(1 - e % 2, k)]));
                any = any | (H_LEN(seen[STACK(1 - e % 2, k)]) != 0);
                k++
            }
        :: else -> break
        od;
#endif
        if
        :: any ->                                            /* flip */
#if MUTANT == 6
            atomic { epoch = e + 1; printf("P%d flip: stores epoch %d\n", _pid, e + 1) };
#else
            atomic {
                if
                :: epoch == e -> epoch = e + 1; printf("P%d flip: epoch %d -> %d\n", _pid, e, e + 1); TURN_CHECK
                :: else -> skip
                fi
            };
#endif
            any = 0
        :: else ->                                           /* double collect */
            k = 0; same = 1;
            do
            :: k < NSTRIPES && same -> same = (head[STACK(e % 2, k)] == seen[STACK(e % 2, k)]); k++
            :: else -> break
            od;
#if MUTANT != 1 && MUTANT != 2
            k = 0;
            do
            :: k < NSTRIPES && same -> same = (head[STACK(1 - e % 2, k)] == seen[STACK(1 - e % 2, k)]); k++
            :: else -> break
            od;
#endif
            if
            :: same ->
                printf("P%d associate: EFULL (listed now %d)\n", _pid, listed);
                assert(efull_ok[_pid]);                      /* EFULL is the truth */
                break
            :: else -> skip
            fi
        fi
    od;
    if
    :: res == 1 ->
        atomic {                                             /* publish: store LIVE */
            word[s] = W_LIVE;
            printf("P%d associate: slot %d LIVE\n", _pid, s);
            assert(g_state[s] == G_POPPED && g_holder[s] == _pid);
            g_state[s] = G_LIVE; g_hand--; g_live++; CONSERVED;
            in_assoc[_pid] = 0; efull_ok[_pid] = 0;
            e = 0; k = 0; same = 0; CLEAR_SEEN
        }
    :: else ->
        atomic {
            in_assoc[_pid] = 0; efull_ok[_pid] = 0;
            e = 0; k = 0; same = 0; CLEAR_SEEN
        }
    fi
}

/* The push CAS of slot s onto stack st, expected head h: res 1 pushed, else
 * res 0. */
inline push_cas(st)
{
    atomic {
        if
        :: head[st] == h ->
            head[st] = HEAD(s, H_LEN(h) + 1, H_TAG(h));
            printf("P%d push: slot %d on stack %d in epoch %d\n", _pid, s, st, epoch);
            assert(g_state[s] == G_UNLINKED && g_holder[s] == _pid);
            g_state[s] = G_LISTED; g_hand--; listed++; CONSERVED;
            g_pushed[s] = epoch;
            res = 1
        :: else -> res = 0
        fi
    }
}

/* dissociate the live slot s this worker holds. */
inline dissociate()
{
    atomic {                                                 /* freelist_put_stripe: load epoch */
        e = epoch;
#if MUTANT == 5
        st = STACK(e % 2, fh)
#else
        st = STACK(1 - e % 2, fh)
#endif
    };
    h = head[st];                                            /* load head */
    atomic {                                                 /* CAS slot LIVE -> FREE(link) */
        assert(word[s] == W_LIVE && g_state[s] == G_LIVE && g_holder[s] == _pid);
        word[s] = FREE_WORD(H_IDX(h));
        printf("P%d dissociate: slot %d FREE in epoch %d, for stack %d\n", _pid, s, epoch, st);
        g_state[s] = G_UNLINKED; g_live--; g_hand++; CONSERVED;
        g_freed[s] = epoch;
        e = 0
    };
#if MUTANT != 4 && MUTANT != 5
    atomic {                                                 /* freelist_put: epoch re-check */
        if
        :: epoch % 2 == SIDE_OF(st) -> res = 2;              /* -> put_again */
            printf("P%d put: epoch %d pops stack %d: put_again\n", _pid, epoch, st)
        :: else -> res = 0
        fi
    };
#else
    res = 0;
#endif
    if
    :: res == 0 ->
        push_cas(st);
        if
        :: res == 1 ->
            if
            :: H_LEN(h) + 1 >= BATCH -> fh = (fh + 1) % NSTRIPES  /* batch_done */
            :: else -> skip
            fi
        :: else -> fh = (fh + 1) % NSTRIPES                  /* put_slow */
        fi
    :: else -> skip
    fi;
    do                                                       /* put_again */
    :: res == 1 -> break
    :: else ->
        atomic {                                             /* load epoch */
            e = epoch;
#if MUTANT == 5
            st = STACK(e % 2, fh)
#else
            st = STACK(1 - e % 2, fh)
#endif
        };
        h = head[st];                                        /* load head */
        word[s] = FREE_WORD(H_IDX(h));                       /* store link */
        push_cas(st);
        if
        :: res == 1 -> skip
        :: else -> fh = (fh + 1) % NSTRIPES
        fi
    od;
    atomic { h = 0; e = 0; st = 0; s = 0; res = 0 }
}

active [NPROC] proctype worker()
{
    byte h, w;              /* head and slot word last loaded */
    byte seen[NSTACKS];     /* heads as the sweep and the collect saw them */
    byte e;                 /* the epoch as loaded */
    byte res, s, st, k, r;
    bit any, same;
    byte ah = _pid % NSTRIPES; /* alloc and free home stripes */
    byte fh = _pid % NSTRIPES;

    ready;
    do
    :: r < (_pid == 1 -> ROUNDS1 : ROUNDS) ->
        associate();
        if
        :: res == 1 -> dissociate()
        :: else -> res = 0
        fi;
        r++
    :: else -> break
    od;
    finished++
}

/* Lays out the initial lists (midatlas__freelist_init: contiguous ranges,
 * lowest index first, all on side 0, epoch 0's pop side), then, once every
 * worker is done, checks that every slot is back on exactly one list. */
active proctype checker()
{
    byte i, k, n, cur, total;
    bit on_list[NSLOTS];

    d_step {
        k = 0;
        do
        :: k < NSTRIPES ->
            i = NSLOTS * k / NSTRIPES;
            n = NSLOTS * (k + 1) / NSTRIPES;
            head[STACK(0, k)] = HEAD((i < n -> i : 0), n - i, 0);
            head[STACK(1, k)] = HEAD(0, 0, 0);
            do
            :: i < n ->
                word[i] = FREE_WORD(i + 1 < n -> i + 1 : 0);
                g_state[i] = G_LISTED; g_freed[i] = NEVER; g_pushed[i] = NEVER;
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
    assert(g_hand == 0 && g_live == 0);
    k = 0; total = 0;
    do
    :: k < NSTACKS ->
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
