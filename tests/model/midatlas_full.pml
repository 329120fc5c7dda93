/* SPDX-License-Identifier: MIT */
/*
 * midatlas_full.pml - Promela model of FULL mode (src/full.h, src/full.c,
 * src/sweep.c take_exact, src/midatlas.c after_free): the state word
 * (mode, session, version), the cells that record frees while the atlas is
 * full, the prover that puts the atlas in FULL mode, the associates that
 * take recorded slots or answer EFULL in a few loads, and the freers that
 * record and bump.
 *
 * Modelled as the C code does it, one atomic step per atomic access:
 *   slot word   USED (live or discarded: the same here) or FREE, and a
 *               count that every claim advances (the double collect's
 *               sums).  A claim is a load that finds FREE, then the CAS
 *               FREE(c) -> USED(c + 1).
 *   state       mode (NORMAL, TRYING, FULL = C's FULL_PROVEN), session,
 *               version: one word, every change one CAS.
 *   cells       K of them (C: FULL_CELLS), 0 or a slot index + 1.
 *   ender       (after_free -> full_after_free -> midatlas__full_record) of
 *               a slot X its caller holds: CAS X USED -> FREE (seq_cst);
 *               load the state (seq_cst): NORMAL -> return; else record
 *               under that state (C passes the loaded word on); record
 *               (record_in_cell): first, for each cell in turn, the dedupe:
 *               a cell that holds the entry (X, the session loaded) is
 *               rewritten in place, a CAS from that entry to itself, and X
 *               is recorded (one step here: "the cell holds it -> done";
 *               C's relaxed pre-check, then the CAS, is that step at the
 *               CAS's instant, or at the load's when it finds another
 *               value); only when no cell holds it, for each cell in turn,
 *               a CAS 0 -> (X, session) (C: a relaxed pre-check, then the
 *               CAS: the same thing); then the bump loop, which is one
 *               step here: if the mode is not NORMAL, version + 1, and the
 *               mode NORMAL when no cell was empty (else kept).  A load
 *               and a CAS that retries on any change is, to everyone else,
 *               its successful CAS or its last load: one atomic step.
 *   prover      (take_exact with midatlas__full_begin_proof, _proven,
 *               _abandon) CAS the state to (TRYING, session + 1,
 *               version + 1) (one step, as the bump); empty every cell
 *               (one exchange each); the seq_cst fence (steps are
 *               sequentially consistent here); then loop { collect 1: load
 *               every slot in index order, claim the first FREE one
 *               (success: abandon, return OK), sum the counts; a FREE word
 *               seen -> again; collect 2: load every slot, a FREE one ->
 *               again; the same sum -> EFULL: proven, return }.  proven /
 *               abandon (end_proof): while the state is TRYING of my
 *               session, CAS it to FULL / NORMAL keeping session and
 *               version: one step.
 *   associate   (midatlas__full_take, the first thing of the slow path) s1 =
 *   (reader)    load the state; not FULL -> FULL_OFF (the sweep and take_exact
 *               follow: with READER_PROVES this process then runs the
 *               prover).  For each cell: load it; 0 -> next; else seen,
 *               and take it (take_cell): exchange it with 0; non-zero c ->
 *               load slot c - 1, FREE -> the claim CAS (success: return
 *               OK), else the entry was stale: next cell.  A cell seen
 *               non-empty -> again from s1.  Else s2 = load the state;
 *               s2 == s1 (the whole word) -> EFULL, else again.
 *   sweeper     a plain associate in NORMAL mode: load every slot in turn,
 *               claim the first FREE one.  It may claim a slot a cell
 *               records (the entry becomes stale).
 *   associate   (AGAIN: an associate call of a process that has freed a
 *   after a     slot X before; midatlas__sweep_take_slow) load the state
 *   free        (acquire, midatlas__full_on): FULL -> claim_last_freed: load
 *               slot X, FREE -> the claim CAS (success: return OK; the
 *               cells are not touched, so X's entry, if any, is stale now).
 *               Else the reader above; its FULL_OFF -> with AGAIN_SWEEP the
 *               sweeper above, else the call stops there (not checked).
 * Two details follow full.c where a first description of the protocol
 * differed: abandon keeps the version (no reader acts on a TRYING state, so
 * no one can tell), and a record that found no empty cell CASes the state
 * to NORMAL from whatever non-NORMAL state it meets (not: load the state
 * again and retry the cells; a run of full.c's loop is a run of that one
 * whose retries found the cells still taken).
 * Sessions and versions are not wrapped: a run makes at most a few dozen
 * changes (asserted below 250); C's 30 and 32 bits wrap only after 2^30
 * proofs or 2^32 recordings during one associate's two loads.
 * Not modelled: the memory orders (full.c argues the C11 orders of the
 * Dekker pairing), the wait gate and waiters (midatlas_wait.pml), the
 * sweep's order (midatlas_rotation.pml), stale MIDs and discard/release
 * (midatlas_core.pml: a discarded slot is USED here), count wraparound.
 *
 * Processes (all slots USED at the start, held by the enders; the state is
 * NORMAL, session 0, version 0; every cell empty):
 *   ender[i]       i < NENDERS: frees slot i (the ender protocol above).
 *   prover_reader  one associate call that runs the prover, then, if it
 *                  answered EFULL, a second call that runs the reader (its
 *                  FULL_OFF ends it).
 *   prover2        (PROVER2) a second prover: two sessions race.  With
 *                  STAGGER 1 its state CAS waits until prover_reader has
 *                  emptied its cells (a scheduling restriction: see FLAW).
 *   reader         (READER) one associate call: the reader; FULL_OFF ->
 *                  with READER_PROVES the prover, else return.
 *   sweeper        (SWEEPER) one plain sweep; with SWEEPER_REEND it frees
 *                  the slot it got again (REEND for it alone).
 * With REEND, every associate that got a slot frees it again (an ender).
 * With AGAIN n, enders 0 .. NAGAIN - 1 (default 1) go on after their free:
 * up to n times, an associate after a free (above), and if it got a slot,
 * the ender of that slot.  So one process frees slot X, takes X back by
 * claim_last_freed while a cell still records (X, session), and frees X
 * again: the dedupe finds its entry (model.full.dedupe; REACH_DEDUPE 1
 * asserts that no dedupe happens, so that a run that must fail shows one).
 *
 * Ghost state (never read by the protocol) and what is checked:
 *   - no double handout: a claim is a CAS from a FREE word, and every
 *     free asserts that its slot is USED (two holders of one slot would
 *     free it twice);
 *   - the prover's EFULL is exact (midatlas.h): at one instant of its call
 *     every slot was USED (g_free, in_call, efull_ok and TICK as in
 *     midatlas_core.pml; the call begins at the state CAS: a shorter call
 *     is a stricter check);
 *   - the reader's EFULL is full.h's: at the instant of s2, every slot is
 *     USED, or FREE and excused: its ender is in progress (ending[X]: from
 *     its free CAS to its return), or a taker took its entry out of a cell
 *     and has not yet claimed or dropped it (held[X]).  Checked in the
 *     step of the s2 load;
 *   - at the end (every process done; full.h's midatlas__full_check on a
 *     quiescent atlas): the state is not TRYING, and if it is FULL, every
 *     FREE slot is recorded in a cell (the next associate would answer
 *     EFULL otherwise); no ghost hold left;
 *   - termination: no invalid end state (a process blocked for good).
 *     Every retry follows another process's claim, recording, emptying or
 *     state change, and those are finite in a run: the state graph has no
 *     cycle (pan -DNP finds no non-progress cycle in one_prover, reend,
 *     two_provers and dedupe; not part of the ctest runs, which are
 *     -DSAFETY).
 * ENDCHECK 0 leaves the end check out, so that a run shows what the
 * readers' check alone catches (the mutant runs: every one is caught by a
 * reader's or the prover's EFULL).
 *
 * TAG (default 1, as full.c): an entry carries the session its ender
 * loaded, and the prover empties only entries of its own session or older
 * (those recorded frees preceded its collects, which see them; a later
 * session's entries are left alone).  TAG 0 is the first version of
 * full.c, which emptied every cell, and spin found it wrong with two
 * provers (model.full.mutant.7.untagged_clear, about 0.6 M states): P0
 * CASes NORMAL -> TRYING(1) and stalls; P1 CASes TRYING(1) -> TRYING(2),
 * empties the cells, proves EFULL and makes FULL(2); an ender frees slot X,
 * sees FULL(2), records X in a cell and bumps; now P0 wakes and empties the
 * cells, erasing X's entry; a reader loads s1 = FULL(2, v), finds every
 * cell empty, loads s2 == s1 and answers EFULL with X FREE, its ender
 * returned, and no taker holding it.
 *
 * The dedupe matches only an entry of the session the freer loaded: an
 * entry (X, s - 1) can sit in a cell in session s (its ender loaded
 * session s - 1's state, then X was claimed, and session s's prover emptied
 * the cells and proved before the ender recorded), and session s - 1's
 * prover, overtaken between its CAS and its emptying, may still empty it:
 * a free of X in session s must not count on it (MUTANT 8).
 *
 * Mutants (-DMUTANT=n; the ctest "model.full.mutant.*" runs expect a
 * violation):
 *   1  the ender does not bump after recording: a reader loads s1, scans
 *      the cell before the recording, the ender records and returns, the
 *      reader's s2 == s1: EFULL with X FREE and no one in progress.
 *   2  the ender loads the state before its free CAS: it sees NORMAL, a
 *      prover CASes TRYING, collects both slots USED and makes FULL, then
 *      the ender frees and returns: a FREE slot nobody recorded (a reader's
 *      EFULL, and the end check).
 *   3  proven CASes any TRYING state to FULL, not only its own session's
 *      (PROVER2 STAGGER: the flaw above excluded): a prover stalled after
 *      its proof turns the second prover's TRYING(2) FULL before that
 *      prover has emptied the cells; an ender records a free under FULL(2),
 *      the second prover's emptying erases it, and a reader of FULL(2)
 *      answers EFULL with that slot FREE.
 *   4  the prover empties the cells before its CAS to TRYING: it erases
 *      the entry a FULL session's reader relies on (PROVER2 STAGGER).
 *   5  the reader answers EFULL after one scan of empty cells, without
 *      comparing s2 with s1: a recording after its scan is missed.
 *   6  the prover answers EFULL after collect 1, without collect 2
 *      (SWEEPER): slot 1 is freed before the proof, slot 0 after collect 1
 *      read it, the sweeper claims slot 1 before collect 1 reads it: some
 *      slot was FREE at every instant (the prover's exact-EFULL check).
 *   8  the dedupe matches an entry of slot X of any session, not only the
 *      session the ender loaded (PROVER2, SWEEPER_REEND, 1 slot, 1 cell):
 *      P2 CASes NORMAL -> TRYING(1) and stalls before emptying the cells;
 *      the ender P0 frees slot 0, loads TRYING(1) and stalls before
 *      recording; the sweeper P3 claims slot 0; P1 CASes TRYING(2), empties
 *      nothing, and its two collects find slot 0 USED; P3 frees slot 0
 *      (REEND) and loads session 2's state; P1 makes FULL(2) and starts
 *      reading; P0 records (0, 1) and bumps; P3 dedupes on (0, 1):
 *      "recorded" (the correct dedupe finds no (0, 2), no empty cell, and
 *      ends FULL mode); P2 wakes and empties the cell, an entry of its
 *      session 1; P1's reader loads s1 = FULL(2), finds the cell empty,
 *      s2 == s1: EFULL with slot 0 FREE and no one in progress.  (About
 *      1 M states at the first error; with 2 cells, where the correct
 *      dedupe records (0, 2) in the other cell, the same at 1.7 M.)
 */

#ifndef NSLOTS
#define NSLOTS 2
#endif
#ifndef K
#define K 1 /* cells */
#endif
#ifndef NENDERS
#define NENDERS NSLOTS /* enders of slots 0 .. NENDERS - 1 */
#endif
#ifndef PROVER2
#define PROVER2 0
#endif
#ifndef STAGGER
#define STAGGER 0
#endif
#ifndef READER
#define READER 1
#endif
#ifndef READER_PROVES
#define READER_PROVES 0
#endif
#ifndef SWEEPER
#define SWEEPER 0
#endif
#ifndef REEND
#define REEND 0
#endif
#ifndef SWEEPER_REEND
#define SWEEPER_REEND 0 /* 1: the sweeper alone frees again (as REEND) */
#endif
#ifndef TAG
#define TAG 1
#endif
#ifndef ENDCHECK
#define ENDCHECK 1 /* 0: no end check (to see what the readers' check catches) */
#endif
#ifndef AGAIN
#define AGAIN 0 /* rounds of associate + free after an ender's free */
#endif
#ifndef NAGAIN
#define NAGAIN 1 /* with AGAIN: enders 0 .. NAGAIN - 1 do them */
#endif
#ifndef AGAIN_SWEEP
#define AGAIN_SWEEP 0 /* 1: such an associate sweeps after FULL_OFF */
#endif
#ifndef REACH_DEDUPE
#define REACH_DEDUPE 0 /* 1: assert that no dedupe happens (a reachability run) */
#endif
#ifndef MUTANT
#define MUTANT 0
#endif

#define NPROC (NENDERS + 1 + PROVER2 + READER + SWEEPER)
#define PROVER_READER_PID NENDERS
#define PROVER2_PID (NENDERS + 1) /* with PROVER2 */

#define NORMAL 0
#define TRYING 1
#define FULL 2

/* results of an associate call */
#define R_GO 0      /* still looking */
#define R_OK 1      /* claimed slot x */
#define R_EFULL 2
#define R_OFF 3     /* the reader: not in FULL mode */

byte mode, sess, ver;    /* the state word */
byte cell[K];            /* 0 or slot + 1 */
#if TAG
byte ctag[K];            /* the session of the entry (TAG: part of the cell word) */
#endif
bit used[NSLOTS] = 1;    /* the slot words: USED or FREE ... */
byte cnt[NSLOTS];        /* ... and the count */

/* ---- ghost state ---- */
byte ending[NSLOTS];     /* enders between their free CAS and their return */
byte held[NSLOTS];       /* takers holding an entry of the slot */
byte g_free;             /* FREE slots */
bit in_call[NPROC];      /* p is in a prover call ... */
bit efull_ok[NPROC];     /* ... and every slot was USED at an instant of it */
byte gi;                 /* scratch of TICK and CHECK, 0 between steps */
byte finished;
#if STAGGER
bit cleared;             /* prover_reader has emptied its cells */
#endif

/* After a claim that may leave no slot FREE: every prover call in progress
 * has seen an instant at which EFULL is the truth. */
#define TICK \
    if \
    :: g_free == 0 -> \
        gi = 0; \
        do \
        :: gi < NPROC -> efull_ok[gi] = efull_ok[gi] | in_call[gi]; gi++ \
        :: else -> break \
        od; \
        gi = 0 \
    :: else -> skip \
    fi

/* The reader's EFULL: every slot USED, or its ender in progress, or held
 * by a taker. */
#define CHECK_EXCUSED \
    gi = 0; \
    do \
    :: gi < NSLOTS -> \
        if \
        :: !used[gi] && ending[gi] == 0 && held[gi] == 0 -> \
            printf("P%d reader EFULL: slot %d FREE, no ender or taker in progress\n", _pid, gi) \
        :: else -> skip \
        fi; \
        assert(used[gi] || ending[gi] > 0 || held[gi] > 0); \
        gi++ \
    :: else -> break \
    od; \
    gi = 0

/* Every process's locals (inlines use them). */
#if AGAIN
#define LOCALS LOCALS0; \
    byte last, rounds /* the slot freed last; associates after a free so far */
#else
#define LOCALS LOCALS0
#endif
#define LOCALS0 \
    byte x;           /* the slot held / worked on */ \
    byte res;         /* R_* */ \
    byte i, k, c;     /* scratch */ \
    byte wc;          /* the count of a word loaded FREE */ \
    bit fr, seen, got, took; \
    byte sum, sum2;   /* the counts summed by the two collects */ \
    byte m1, s1, v1;  /* a state loaded */ \
    byte mine         /* the prover's session */

/* The claim CAS of slot x, loaded FREE with count wc: got 1 on success.
 * hold: the caller held the slot's entry (a taker): released either way. */
inline claim(hold)
{
    atomic {
        if
        :: !used[x] && cnt[x] == wc ->
            used[x] = 1; cnt[x]++; g_free--;
            assert(cnt[x] < 250);
            printf("P%d claims slot %d (count %d)\n", _pid, x, cnt[x]);
            in_call[_pid] = 0;                              /* a prover's call ends */
            efull_ok[_pid] = 0;
            TICK;
            got = 1
        :: else ->
            printf("P%d claim of slot %d fails\n", _pid, x);
            got = 0
        fi;
        if
        :: hold -> held[x]--
        :: else -> skip
        fi;
        fr = 0; wc = 0
    }
}

/* ---- the ender: slot x, held by the caller, becomes FREE ---- */
#if TAG
#define PUBLISH(k) cell[k] = x + 1; ctag[k] = s1
#else
#define PUBLISH(k) cell[k] = x + 1
#endif
/* The dedupe's match: the entry (x, the session the ender loaded).  Without
 * TAG a cell holds no session: the slot alone.  MUTANT 8: any session's
 * entry of slot x (its tag, older, is kept). */
#if TAG && MUTANT != 8
#define SAME_ENTRY(k) (cell[k] == x + 1 && ctag[k] == s1)
#else
#define SAME_ENTRY(k) (cell[k] == x + 1)
#endif

inline ender()
{
#if MUTANT == 2
    atomic {                                                 /* mutant: load first */
        m1 = mode; s1 = sess;
        printf("P%d ender: loads mode %d\n", _pid, m1)
    };
    atomic {
        assert(used[x]); used[x] = 0; g_free++; ending[x]++;
        printf("P%d ender: frees slot %d\n", _pid, x)
    };
    if
    :: m1 == NORMAL -> skip
    :: else -> atomic { m1 = mode; s1 = sess }               /* the record's load */
    fi;
#else
    atomic {                                                 /* the free CAS */
        assert(used[x]); used[x] = 0; g_free++; ending[x]++;
        printf("P%d ender: frees slot %d\n", _pid, x)
    };
    atomic {                                                 /* full_after_free's load, */
        m1 = mode; s1 = sess;                                /* passed to the record */
        printf("P%d ender: loads mode %d\n", _pid, m1)
    };
#endif
    if
    :: m1 == NORMAL -> skip
    :: else ->
        k = 0; got = 0;
        do                                                   /* record_in_cell: */
        :: k < K && !got ->                                  /* a cell that holds */
            atomic {                                         /* (x, s1) already */
                if
                :: SAME_ENTRY(k) -> got = 1;                 /* the CAS e -> e */
                   printf("P%d ender: slot %d already in cell %d: kept\n", _pid, x, k);
                   assert(!REACH_DEDUPE)
                :: else -> k++
                fi
            }
        :: else -> break
        od;
        if
        :: !got -> k = 0
        :: else -> skip
        fi;
        do                                                   /* else an empty cell */
        :: k < K && !got ->
            atomic {
                if
                :: cell[k] == 0 -> PUBLISH(k); got = 1;
                   printf("P%d ender: records slot %d in cell %d\n", _pid, x, k)
                :: else -> k++
                fi
            }
        :: else -> break
        od;
#if MUTANT == 1
        if
        :: got -> skip                                       /* mutant: no bump */
        :: else ->
#endif
        atomic {                                             /* the bump loop */
            if
            :: mode != NORMAL ->
                ver++; assert(ver < 250);
                if
                :: !got -> mode = NORMAL;
                   printf("P%d ender: no empty cell: NORMAL\n", _pid)
                :: else -> skip
                fi
            :: else -> skip
            fi
        }
#if MUTANT == 1
        fi
#endif
    fi;
    atomic {                                                 /* returns */
        ending[x]--;
        printf("P%d ender: returns (slot %d)\n", _pid, x);
#if AGAIN
        last = x;                                            /* sweep_note_freed */
#endif
        x = 0; k = 0; got = 0; m1 = 0; s1 = 0
    }
}

/* ---- the prover (take_exact): res R_OK (slot x) or R_EFULL ---- */
#if TAG
#define CLEARABLE(k, s) (ctag[k] <= (s))
#define CLEAR(k) cell[k] = 0; ctag[k] = 0
#else
#define CLEARABLE(k, s) true
#define CLEAR(k) cell[k] = 0
#endif

inline clear_cells(s)
{
    k = 0;
    do
    :: k < K ->
        atomic {
            if
            :: cell[k] != 0 && CLEARABLE(k, s) ->
                printf("P%d prover: empties cell %d (slot %d)\n", _pid, k, cell[k] - 1);
                CLEAR(k)
            :: else -> skip
            fi;
            k++
        }
    :: else -> break
    od;
    k = 0
}

inline prover()
{
#if MUTANT == 4
    clear_cells(sess);                                       /* mutant: before the CAS */
#endif
#if STAGGER
    (_pid != PROVER2_PID || cleared);
#endif
    atomic {                                                 /* begin_proof's CAS */
        in_call[_pid] = 1; efull_ok[_pid] = (g_free == 0);
        sess++; ver++; mode = TRYING; mine = sess;
        assert(ver < 250);
        printf("P%d prover: TRYING session %d\n", _pid, mine)
    };
#if MUTANT != 4
    clear_cells(mine);
#endif
#if STAGGER
    if
    :: _pid == PROVER_READER_PID -> cleared = 1
    :: else -> skip
    fi;
#endif
    res = R_GO;
    do
    :: res != R_GO -> break
    :: else ->
        i = 0; sum = 0; seen = 0;
        do                                                   /* collect_claim */
        :: i < NSLOTS ->
            atomic {
                if
                :: !used[i] -> fr = 1; wc = cnt[i]
                :: else -> sum = sum + cnt[i]; i++
                fi
            };
            if
            :: fr ->
                x = i; claim(0);
                if
                :: got -> break
                :: else -> seen = 1; x = 0; i++
                fi
            :: else -> skip
            fi
        :: else -> break
        od;
        if
        :: got ->
            atomic {                                         /* abandon */
                if
                :: mode == TRYING && sess == mine -> mode = NORMAL;
                   printf("P%d prover: abandons session %d\n", _pid, mine)
                :: else -> skip
                fi;
                res = R_OK; got = 0; i = 0; sum = 0; mine = 0
            }
        :: !got && seen -> atomic { i = 0; sum = 0; seen = 0 }      /* again */
        :: else ->
            i = 0; sum2 = 0;
#if MUTANT == 6
            sum2 = sum;                                      /* mutant: no collect 2 */
#endif
            do                                               /* collect_unchanged */
            :: i < NSLOTS && !seen && MUTANT != 6 ->
                atomic {
                    if
                    :: !used[i] -> seen = 1
                    :: else -> sum2 = sum2 + cnt[i]
                    fi;
                    i++
                }
            :: else -> break
            od;
            if
            :: !seen && sum2 == sum ->
                atomic {                                     /* EFULL; proven */
                    printf("P%d prover: EFULL\n", _pid);
                    assert(efull_ok[_pid]);                  /* EFULL is exact */
                    in_call[_pid] = 0; efull_ok[_pid] = 0;
#if MUTANT == 3
                    if
                    :: mode == TRYING ->                     /* mutant: any session */
#else
                    if
                    :: mode == TRYING && sess == mine ->
#endif
                        mode = FULL;
                        printf("P%d prover: FULL session %d\n", _pid, sess)
                    :: else -> skip
                    fi;
                    res = R_EFULL; i = 0; sum = 0; sum2 = 0; mine = 0
                }
            :: else -> atomic { i = 0; sum = 0; sum2 = 0; seen = 0 } /* again */
            fi
        fi
    od
}

/* ---- the reader (midatlas__full_take): R_OK (slot x), R_EFULL, R_OFF ---- */
inline reader()
{
    res = R_GO;
    do
    :: res != R_GO -> break
    :: else ->
        atomic {                                             /* s1 */
            m1 = mode; s1 = sess; v1 = ver;
            printf("P%d reader: s1 = mode %d session %d version %d\n", _pid, m1, s1, v1);
            if
            :: m1 != FULL -> res = R_OFF; m1 = 0; s1 = 0; v1 = 0
            :: else -> skip
            fi
        };
        if
        :: res == R_GO ->
            k = 0; seen = 0;
            do
            :: k < K ->
                atomic {
                    if
                    :: cell[k] == 0 -> k++
                    :: else -> seen = 1; took = 1
                    fi
                };
                if
                :: took ->                                   /* take_cell */
                    atomic {                                 /* exchange with 0 */
                        c = cell[k];
                        if
                        :: c != 0 -> x = c - 1; held[x]++;
                           printf("P%d reader: takes slot %d from cell %d\n", _pid, x, k)
                        :: else -> took = 0
                        fi;
                        CLEAR(k); c = 0
                    };
                    if
                    :: took ->
                        atomic {                             /* load the slot */
                            if
                            :: !used[x] -> fr = 1; wc = cnt[x]
                            :: else -> held[x]--; x = 0;     /* stale */
                               printf("P%d reader: stale entry\n", _pid)
                            fi;
                            took = 0
                        };
                        if
                        :: fr -> claim(1);
                            if
                            :: got -> break
                            :: else -> x = 0
                            fi
                        :: else -> skip
                        fi
                    :: else -> skip
                    fi;
                    k++
                :: else -> skip
                fi
            :: else -> break
            od;
            if
            :: got -> atomic { res = R_OK; got = 0; k = 0; seen = 0; m1 = 0; s1 = 0; v1 = 0 }
            :: !got && seen -> atomic { k = 0; seen = 0; m1 = 0; s1 = 0; v1 = 0 } /* again */
            :: else ->
                atomic {                                     /* s2 */
                    printf("P%d reader: every cell empty; s2 = mode %d session %d version %d\n",
                           _pid, mode, sess, ver);
#if MUTANT == 5
                    if
                    :: true ->                               /* mutant: no compare */
#else
                    if
                    :: mode == m1 && sess == s1 && ver == v1 ->
#endif
                        printf("P%d reader: EFULL (session %d version %d)\n", _pid, s1, v1);
                        CHECK_EXCUSED;
                        res = R_EFULL
                    :: else -> skip
                    fi;
                    k = 0; m1 = 0; s1 = 0; v1 = 0
                }
            fi
        :: else -> skip
        fi
    od
}

/* ---- the sweeper: R_OK (slot x) or R_EFULL (it found nothing) ---- */
inline sweep()
{
    i = 0; got = 0;
    do
    :: i < NSLOTS && !got ->
        atomic {
            if
            :: !used[i] -> fr = 1; wc = cnt[i]
            :: else -> i++
            fi
        };
        if
        :: fr -> x = i; claim(0);
            if
            :: !got -> x = 0; i++
            :: else -> skip
            fi
        :: else -> skip
        fi
    :: else -> break
    od;
    atomic {
        if
        :: got -> res = R_OK
        :: else -> res = R_EFULL
        fi;
        i = 0; got = 0
    }
}

/* ---- an associate after a free (AGAIN): midatlas__sweep_take_slow ----
 * In FULL mode, first the slot this process freed last (claim_last_freed:
 * load the slot, FREE -> the claim CAS; the cells are not touched, an entry
 * of the slot becomes stale); else midatlas__full_take; FULL_OFF -> with
 * AGAIN_SWEEP a plain sweep, else the call stops there (unchecked). */
inline associate_again()
{
    atomic {                                                 /* midatlas__full_on */
        m1 = mode;
        printf("P%d associate: mode %d, last freed slot %d\n", _pid, m1, last)
    };
    if
    :: m1 == FULL ->
        atomic {                                             /* claim_last_freed */
            m1 = 0; x = last;
            if
            :: !used[x] -> fr = 1; wc = cnt[x]
            :: else -> x = 0
            fi
        };
        if
        :: fr -> claim(0);
            if
            :: got -> printf("P%d associate: took back slot %d\n", _pid, x)
            :: else -> x = 0
            fi
        :: else -> skip
        fi
    :: else -> m1 = 0
    fi;
    if
    :: got -> atomic { res = R_OK; got = 0 }
    :: else ->
        reader();
        if
        :: AGAIN_SWEEP && res == R_OFF -> sweep()
        :: else -> skip
        fi
    fi
}

/* AGAIN: after its free, the caller associates and frees again. */
inline again()
{
    rounds = 0;
    do
    :: rounds < AGAIN ->
        rounds++;
        associate_again();
        if
        :: res == R_OK -> res = R_GO; ender()
        :: else -> break
        fi
    :: else -> break
    od;
    atomic { rounds = 0; res = R_GO; last = 0 }
}

/* An associate that got slot x frees it again with REEND. */
#define MAYBE_REEND \
    if \
    :: REEND && res == R_OK -> ender() \
    :: else -> skip \
    fi

active [NENDERS] proctype enders()
{
    LOCALS;
    x = _pid;
    ender();
#if AGAIN
    if
    :: _pid < NAGAIN -> again()
    :: else -> skip
    fi;
#endif
    finished++
}

active proctype prover_reader()
{
    LOCALS;
    prover();
    if
    :: res == R_EFULL -> reader()
    :: else -> skip
    fi;
    MAYBE_REEND;
    finished++
}

#if PROVER2
active proctype prover2()
{
    LOCALS;
    prover();
    MAYBE_REEND;
    finished++
}
#endif

#if READER
active proctype reader_p()
{
    LOCALS;
    reader();
    if
    :: READER_PROVES && res == R_OFF -> prover()
    :: else -> skip
    fi;
    MAYBE_REEND;
    finished++
}
#endif

#if SWEEPER
active proctype sweeper()
{
    LOCALS;
    sweep();
#if SWEEPER_REEND && !REEND
    if
    :: res == R_OK -> ender()
    :: else -> skip
    fi;
#else
    MAYBE_REEND;
#endif
    finished++
}
#endif

/* midatlas__full_check on the quiescent atlas, and the ghost state. */
active proctype checker()
{
    byte i, k;
    bit rec;

    finished == NPROC;
#if ENDCHECK
    assert(mode != TRYING);                                  /* a TRYING outlived its call */
    i = 0;
    do
    :: i < NSLOTS ->
        assert(ending[i] == 0 && held[i] == 0);
        if
        :: mode == FULL && !used[i] ->
            rec = 0; k = 0;
            do
            :: k < K -> rec = rec | (cell[k] == i + 1); k++
            :: else -> break
            od;
            if
            :: !rec -> printf("end: FULL with slot %d FREE and unrecorded\n", i)
            :: else -> skip
            fi;
            assert(rec)                                      /* FULL: every FREE slot recorded */
        :: else -> skip
        fi;
        i++
    :: else -> break
    od
#endif
}
