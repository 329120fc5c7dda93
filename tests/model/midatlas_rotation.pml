/* SPDX-License-Identifier: MIT */
/*
 * midatlas_rotation.pml - Promela model of where associate looks for a FREE
 * slot (src/sweep.h, src/sweep.c): the hint of scarce atlases, the cursor
 * over a chunk, the rotor that hands the chunks out, the lap bound, and the
 * exact path after a lap.  midatlas_core.pml checks the slot protocol itself
 * (counts, stale MIDs, endings, discard/release) with a fast path that may
 * look at any slot; this model checks that the real order (1) hands slots
 * out in rotation and (2) composes with the exact path: it claims only
 * slots it loaded FREE and never answers EFULL while a slot it passed over
 * is FREE.
 *
 * Modelled as the C code does it, one atomic step per shared access:
 *   slot word   count | FREE bit.  The context and DISCARDED do not matter
 *               to the order (a DISCARDED slot is passed over as a LIVE one
 *               is).  count advances by one on every claim.
 *   claim       (slot_claim) with w a word loaded FREE: CAS w ->
 *               LIVE(count(w) + 1).
 *   rotor       fetch_add(rotor, 1) = k gives chunk k mod NCHUNKS (kept
 *               modulo NCHUNKS here), slots k * CHUNK .. k * CHUNK + CHUNK - 1
 *               (next_chunk).
 *   cursor      one word per stripe, (pos, end): the next slot to look at
 *               and the end of its chunk; empty (0, 0) at the start
 *               (create.c).  Read and written with relaxed loads and stores,
 *               each its own step.  SHARED 1: the two workers share one
 *               stripe's cursor (threads homed on one CPU); SHARED 0: a
 *               stripe per worker (threads on different CPUs), and since no
 *               one else touches a private cursor its accesses are folded
 *               into the neighbouring step (the search is smaller; no other
 *               process can tell).
 *   associate   with HINT, first take_scarce, a nondeterministic choice: not
 *               scarce (skip); in a spell: claim_last_freed, load the slot
 *               this thread freed last and claim it if FREE; a spell's end
 *               (at most SPELL_END per worker; C: once per 64 .. 4096
 *               calls): still_scarce, a fetch_add on the rotor (the chunk it
 *               gets is lost to the sweeps for this lap), then, still scarce
 *               or not (chosen freely), claim_last_freed or nothing.  The
 *               loads still_scarce makes of that chunk's words are not
 *               modelled: they claim nothing and only feed that choice.
 *               Then the sweep (sweep_chunk and the slow path's loop): load
 *               the stripe's cursor as c, pos = its position; loop {
 *               pos < end: load word[pos]; not FREE -> pos + 1; FREE ->
 *               the re-check: load the cursor; it differs from c ->
 *               SWEEP_MOVED: load the cursor again as c and follow it (no
 *               chunk counted); else the claim CAS: success -> store the
 *               cursor (pos + 1, end), done; failure -> pos + 1.  pos ==
 *               end: take the next chunk from the rotor as c, store it in
 *               the cursor; if this call has now taken more than NCHUNKS
 *               chunks (a lap: the cursor's rest and NCHUNKS chunks were
 *               swept), go to the exact path }.  The exact path
 *               (take_exact) is midatlas_core.pml's: collect_claim in index
 *               order, claiming the first FREE slot and summing the counts;
 *               none seen FREE -> collect_unchanged: none FREE and the same
 *               sum -> EFULL; else again.
 *   dissociate  by the holder: CAS LIVE(c) -> FREE(c), which always wins here
 *               (races on endings are midatlas_core.pml's); the slot becomes
 *               the thread's hint (sweep_note_freed).
 * In C, sweep_take sweeps the cursor's rest, then midatlas__sweep_take_slow
 * loads the cursor again and sweeps on before taking chunks; here the
 * cursor is loaded and swept once.  A second sweep only adds claims of
 * slots freed meanwhile, which midatlas_core.pml's any-slot fast path
 * covers, and a MOVED in the fast path is the slow path's MOVED; the order
 * of the chunks does not change.  (A scarce thread skips the fast path in
 * C; here take_scarce comes first, as in the slow path.)
 *
 * Processes: NPROC workers (1 or 2), each doing ROUNDS operations: while it
 * holds fewer than INFLIGHT MIDs it may associate one, while it holds any
 * it may dissociate one (any of them: a nondeterministic choice); at the
 * end it dissociates what it still holds.  With INFLIGHT 1 it alternates.
 *
 * Ghost state, checked by assert:
 *   - claims: a claim CAS is made only with a word its caller loaded FREE,
 *     and a successful one takes a slot that is FREE (no double handout); a
 *     dissociate is by the holder of a LIVE slot; at the end every slot is
 *     FREE again (no lost slot);
 *   - EFULL is exact (as in midatlas_core.pml: g_free and TICK): when
 *     associate answers EFULL, every slot was LIVE at one instant of the
 *     call;
 *   - not behind the cursor (SHARED): g_behind[p] samples, at the instant of
 *     the re-check (the last cursor load before the claim CAS), whether the
 *     stripe's cursor had already passed p's position pos (it points into
 *     another chunk, or past pos).  A sweep's successful claim must not be
 *     made from such a position: a thread stalled mid-sweep while the other
 *     thread of its stripe swept on does not claim behind that sweep.  What
 *     this does not cover, and C accepts: a thread stalled between its
 *     re-check and its CAS (the window of a few instructions), and the
 *     races of the cursor stores.  This model keeps the plain store after
 *     a claim that C had until 2026-12-04 (it can set the cursor back);
 *     C now moves the cursor within a visit only from the value it read
 *     (a CAS, or inside the rseq CS), which midatlas_cursor.pml checks.
 *     A store of a chunk can still overwrite a chunk another thread just
 *     took, which that lap then skips;
 *   - rotation (ROTATION, default with one worker and no hint): g_seq counts
 *     handouts, g_last[i] is the number of slot i's last handout.  A slot
 *     handed out again has seen at least NSLOTS - INFLIGHT other handouts
 *     since its last one (every slot the worker did not hold had its turn);
 *     with INFLIGHT 1, every other slot exactly once.  The hint is off for
 *     this check, as in C: a thread turns scarce (and tries the hint) only
 *     after a claim passed over at least half the atlas in used slots
 *     (scarce_skip) or a lap found nothing; the check asserts that neither
 *     happens (one worker holding at most 2 of 4 slots passes over at most
 *     1 used slot per call).  With the hint the slot just freed comes back
 *     at once: the .hint run shows it.  Not checked with two workers on a
 *     shared cursor: the store races above (two workers that find the
 *     chunk dry both take one, one store overwrites the other) skip a
 *     chunk, which with this model's 2 chunks means handing out a chunk
 *     again at once; there the re-check is judged by "not behind the
 *     cursor" instead.
 * Bounds: counts modulo CNTMOD, above the handouts of any slot in a run
 * (asserted).
 *
 * Mutants (-DMUTANT=n; the ctest "model.rotation.mutant.*" runs expect a
 * violation):
 *   1  the cursor restarts at index 0 on every call: the slot just freed is
 *      handed out again at once (LIFO-like reuse; the rotation check).
 *   2  EFULL after a lap of the rotor, without the exact path: with two
 *      workers the chunks of one call's lap need not cover the atlas (the
 *      other worker took rotor values in between), and a slot passed over
 *      or freed meanwhile stays FREE throughout (false EFULL).
 *   3  no re-check before the claim CAS (SHARED): a worker that loaded the
 *      cursor, then stalled while the other worker claimed and moved the
 *      cursor on, claims from its old position, behind the cursor ("not
 *      behind the cursor" fails).
 */

#ifndef NCHUNKS
#define NCHUNKS 2
#endif
#ifndef CHUNK
#define CHUNK 2 /* slots per chunk */
#endif
#define NSLOTS (NCHUNKS * CHUNK) /* at most 4 (CLEAR_SEEN) */
#ifndef NPROC
#define NPROC 1 /* 1 or 2 */
#endif
#ifndef INFLIGHT
#define INFLIGHT 1 /* MIDs a worker holds at most: 1 or 2 */
#endif
#ifndef ROUNDS
#define ROUNDS 16
#endif
#ifndef HINT
#define HINT 0
#endif
#ifndef ROTATION
#define ROTATION (NPROC == 1 && !HINT)
#endif
#ifndef SPELL_END
#define SPELL_END HINT /* spell ends (still_scarce) per worker at most */
#endif
#ifndef SHARED
#define SHARED 0 /* 1: the workers share one stripe's cursor */
#endif
#ifndef MUTANT
#define MUTANT 0
#endif

#define CNTMOD 32
#define NONE 255

/* ---- slot word: count * 2 + FREE ---- */
#define FREE_WORD(c) ((c) * 2 + 1)
#define LIVE_WORD(c) ((c) * 2)
#define W_CNT(w) ((w) / 2)
#define W_FREE(w) ((w) % 2 == 1)

byte word[NSLOTS];
byte rotor; /* chunks handed out, modulo NCHUNKS */

/* ---- cursor word: pos * 8 + end (both 0 .. NSLOTS); 0 is empty ---- */
#define CUR(p, e) ((p) * 8 + (e))
#define C_POS(c) ((c) / 8)
#define C_END(c) ((c) % 8)
#if SHARED
#define NSTRIPES 1
#define STRIPE 0
#else
#define NSTRIPES NPROC
#define STRIPE _pid
#endif
byte cursor[NSTRIPES];

/* ---- ghost state ---- */
#define G_FREE 0
#define G_LIVE 1
byte g_state[NSLOTS];
byte g_holder[NSLOTS];
byte g_epoch[NSLOTS]; /* handouts of the slot so far */
byte g_last[NSLOTS];  /* g_seq of its last handout, NONE before the first */
byte g_seq;           /* handouts so far */
byte g_free;          /* slots in G_FREE */
bit in_assoc[NPROC];
bit g_behind[NPROC];  /* see PASSED */
bit efull_ok[NPROC];
byte gi;              /* scratch, always 0 between steps */
byte finished;
bit ready;

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

/* Rotation: slot i is handed out now, as handout number g_seq. */
#if ROTATION
#define ROTATION_CHECK(i) \
    if \
    :: g_last[i] != NONE -> \
        printf("P%d rotation: slot %d again after %d other handouts\n", _pid, i, g_seq - g_last[i] - 1); \
        assert(g_seq - g_last[i] - 1 >= NSLOTS - INFLIGHT); \
        gi = 0; \
        do \
        :: INFLIGHT == 1 && gi < NSLOTS -> \
            assert(gi == i || (g_last[gi] != NONE && g_last[gi] > g_last[i])); \
            gi++ \
        :: else -> break \
        od; \
        gi = 0 \
    :: else -> skip \
    fi
#else
#define ROTATION_CHECK(i) skip
#endif

#define CLEAR_COLLECT i = 0; same = 0; sum = 0; again = 0

/* The rotation check holds C to the regime it is for: the thread is not
 * scarce, i.e. no claim passed over NSLOTS / 2 (scarce_skip) used slots and
 * no lap ran dry. */
#if ROTATION
#define COUNT_SKIP skipped++
#define NOT_SCARCE assert(skipped < NSLOTS / 2)
#define NO_DRY_LAP assert(false)
#else
#define COUNT_SKIP skip
#define NOT_SCARCE skip
#define NO_DRY_LAP skip
#endif

/* The cursor stores after a claim (pos + 1) and after a chunk taken off the
 * rotor.  A private cursor (SHARED 0: a stripe per worker) is read and
 * written by its worker alone, so its store is folded into the step before
 * (the claim CAS, the fetch_add): no other process can tell the difference,
 * and the search is smaller. */
#if SHARED
#define CURSOR_STORE_CLAIMED atomic { cursor[STRIPE] = CUR(pos + 1, end) }
#define CURSOR_STORE_CHUNK atomic { cursor[STRIPE] = c }
#define CURSOR_STORE_PRIVATE skip
#define CURSOR_STORE_CHUNK_PRIVATE skip
#else
#define CURSOR_STORE_CLAIMED skip
#define CURSOR_STORE_CHUNK skip
#define CURSOR_STORE_PRIVATE \
    if \
    :: sweeping -> cursor[STRIPE] = CUR(pos + 1, end) \
    :: else -> skip \
    fi
#define CURSOR_STORE_CHUNK_PRIVATE cursor[STRIPE] = c
#endif

/* The claim CAS of slot i, whose word w this call loaded: res 1 and slot s
 * LIVE, or res 0 when the CAS failed. */
inline claim(i)
{
    atomic {
        assert(W_FREE(w));                                   /* only a slot seen FREE */
        if
        :: word[i] == w ->
            word[i] = LIVE_WORD((W_CNT(w) + 1) % CNTMOD);
            printf("P%d associate: claims slot %d (handout %d)\n", _pid, i, g_seq);
            assert(g_state[i] == G_FREE);                    /* no double handout */
            in_assoc[_pid] = 0; efull_ok[_pid] = 0;
            g_state[i] = G_LIVE; g_holder[i] = _pid; g_free--; TICK;
            g_epoch[i]++;
            assert(g_epoch[i] < CNTMOD);                     /* model bound */
            ROTATION_CHECK(i);
            assert(!sweeping || !g_behind[_pid]);            /* not behind the cursor */
            g_last[i] = g_seq; g_seq++;
            s = i; res = 1; w = 0;
            CURSOR_STORE_PRIVATE
        :: else -> res = 0; w = 0
        fi;
        sweeping = 0; g_behind[_pid] = 0
    }
}

/* Load slot i: res 3 if it is FREE (w holds the word), else res 2. */
#define LOAD(i) \
    w = word[i]; \
    if \
    :: W_FREE(w) -> res = 3 \
    :: else -> res = 2; w = 0 \
    fi

/* claim_last_freed: load the slot this worker freed last and claim it if
 * FREE (res 1), else res 2. */
#define CLAIM_LAST_FREED \
    if \
    :: hint != NONE -> \
        atomic { LOAD(hint) }; \
        if \
        :: res == 3 -> claim(hint); \
            if \
            :: res == 0 -> res = 2 \
            :: else -> skip \
            fi \
        :: else -> skip \
        fi \
    :: else -> skip \
    fi

/* Ghost (SHARED): g_behind[p] = the stripe's cursor has passed worker p's
 * position pos: it points into another chunk (another end), or past pos. */
#define PASSED (C_END(cursor[STRIPE]) != end || C_POS(cursor[STRIPE]) > pos)

/* The re-check of sweep_chunk, right before the claim CAS: the stripe's
 * cursor still reads c, or res 4 (SWEEP_MOVED).  The ghost g_behind is
 * sampled at this instant. */
#if !SHARED
#define RECHECK skip /* a private cursor: the check always holds */
#elif MUTANT == 3
#define RECHECK atomic { g_behind[_pid] = PASSED } /* mutant: no re-check (the ghost only) */
#else
#define RECHECK \
    atomic { \
        g_behind[_pid] = PASSED; \
        if \
        :: cursor[STRIPE] != c -> res = 4; w = 0; g_behind[_pid] = 0 \
        :: else -> skip \
        fi \
    }
#endif

/* Load the stripe's cursor: the value c the sweep follows.  (In its own
 * step only where another process can tell: a shared cursor and a hint
 * step before it; otherwise the first step of the call has no shared
 * access, or the cursor is private.) */
#define LOAD_CURSOR c = cursor[STRIPE]; pos = C_POS(c); end = C_END(c)

/* associate: res 1 and slot s LIVE, or res 0 (EFULL). */
inline associate()
{
    atomic {
        in_assoc[_pid] = 1; efull_ok[_pid] = (g_free == 0);
        res = 2; taken = 0;
#if MUTANT == 1
        cursor[STRIPE] = CUR(0, CHUNK);                      /* mutant: from 0 again */
#endif
#if !(SHARED && HINT)
        LOAD_CURSOR
#endif
    };
#if HINT
    if                                                       /* take_scarce */
    :: true -> skip                                          /* not scarce */
    :: true -> CLAIM_LAST_FREED                              /* in a spell */
    :: spells < SPELL_END ->                                 /* a spell ends */
        atomic { rotor = (rotor + 1) % NCHUNKS; spells++ };  /* still_scarce */
        if
        :: true -> CLAIM_LAST_FREED                          /* still scarce */
        :: true -> skip                                      /* back to rotation */
        fi
    fi;
#if SHARED
    atomic { LOAD_CURSOR };
#endif
#endif
    do                                                       /* the sweep */
    :: res != 2 -> break
    :: else ->
        if
        :: pos < end ->
            atomic { LOAD(pos) };
            if
            :: res == 3 ->
                RECHECK;
                if
                :: res == 4 ->                               /* SWEEP_MOVED: follow */
                    atomic { c = cursor[STRIPE]; pos = C_POS(c); end = C_END(c); res = 2 }
                :: else ->
                    sweeping = 1;
                    claim(pos);
                    if
                    :: res == 0 -> res = 2; pos++
                    :: else ->
                        NOT_SCARCE;
                        CURSOR_STORE_CLAIMED
                    fi
                fi
            :: else -> COUNT_SKIP; pos++                     /* a used slot */
            fi
        :: else ->
            atomic {                                         /* next_chunk: fetch_add */
                k = rotor; rotor = (rotor + 1) % NCHUNKS;
                c = CUR(k * CHUNK, k * CHUNK + CHUNK); pos = C_POS(c); end = C_END(c);
                taken++; k = 0; CURSOR_STORE_CHUNK_PRIVATE
            };
            CURSOR_STORE_CHUNK;                              /* for the stripe */
            if
            :: taken > NCHUNKS -> NO_DRY_LAP; break          /* a lap: exact path */
            :: else -> skip
            fi
        fi
    od;
#if MUTANT == 2
    if
    :: res == 2 ->
        atomic {
            printf("P%d associate: EFULL after a lap\n", _pid);
            assert(efull_ok[_pid]);                          /* EFULL is exact */
            in_assoc[_pid] = 0; efull_ok[_pid] = 0; res = 0
        }
    :: else -> skip
    fi;
#endif
    do                                                       /* the exact path */
    :: res != 2 -> break
    :: else ->
        do                                                   /* collect_claim */
        :: i < NSLOTS ->
            atomic {
                LOAD(i);
                if
                :: res == 2 -> sum = sum + W_CNT(word[i]); i++
                :: else -> skip
                fi
            };
            if
            :: res == 3 ->
                claim(i);
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
            do
            :: i < NSLOTS && same ->
                atomic {
                    w = word[i];
                    if
                    :: W_FREE(w) -> same = 0
                    :: else -> again = again + W_CNT(w)
                    fi;
                    w = 0; i++
                }
            :: else -> break
            od;
            if
            :: same && again == sum ->
                atomic {
                    printf("P%d associate: EFULL\n", _pid);
                    assert(efull_ok[_pid]);                  /* EFULL is exact */
                    in_assoc[_pid] = 0; efull_ok[_pid] = 0; res = 0;
                    CLEAR_COLLECT
                }
            :: else -> atomic { CLEAR_COLLECT }              /* changed: again */
            fi
        fi
    od;
    atomic { CLEAR_COLLECT; taken = 0; skipped = 0; c = 0; pos = 0; end = 0 }
}

/* dissociate slot s, which this worker holds. */
inline dissociate(s)
{
    atomic {
        assert(!W_FREE(word[s]) && g_state[s] == G_LIVE && g_holder[s] == _pid);
        word[s] = FREE_WORD(W_CNT(word[s]));
        printf("P%d dissociate: slot %d\n", _pid, s);
        g_state[s] = G_FREE; g_free++;
        hint = s
    }
}

active [NPROC] proctype worker()
{
    byte w;                  /* the slot word last loaded */
    byte sum, again;         /* the counts summed by the two collects */
    byte c, pos, end;        /* the cursor value followed, the position */
    byte spells;             /* spell ends so far */
    bit sweeping;            /* the claim is the sweep's (it moves the cursor) */
    byte hint = NONE;        /* the slot this worker freed last */
    byte held[INFLIGHT];     /* MIDs held (slots), nheld of them */
    byte nheld;
    byte res, s, i, k, taken, skipped, r;
    bit same;

    ready;
    do
    :: r < ROUNDS ->
        if
        :: nheld < INFLIGHT ->
            associate();
            if
            :: res == 1 -> held[nheld] = s; nheld++
            :: else -> skip
            fi;
            atomic { res = 0; s = 0 }
        :: nheld > 0 ->
            atomic {                                         /* which one */
                select(i : 0 .. nheld - 1);
                s = held[i]; held[i] = held[nheld - 1]; held[nheld - 1] = 0; nheld--; i = 0
            };
            dissociate(s);
            s = 0
        fi;
        r++
    :: else -> break
    od;
    do
    :: nheld > 0 -> nheld--; dissociate(held[nheld]); held[nheld] = 0
    :: else -> break
    od;
    finished++
}

/* Sets the atlas up (every slot FREE, count 0), then checks that every
 * slot is FREE once every worker is done. */
active proctype checker()
{
    byte i;

    d_step {
        i = 0;
        do
        :: i < NSLOTS ->
            word[i] = FREE_WORD(0); g_state[i] = G_FREE; g_last[i] = NONE; i++
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
