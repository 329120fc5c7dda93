/* SPDX-License-Identifier: MIT */
/*
 * midatlas_solo.pml - Promela model of the solo claim path (src/solo.h,
 * src/solo.c): an atlas too small for per-CPU chunks (midatlas_rseq.pml)
 * is owned whole by one CPU until a second CPU claims in it, then shared
 * by CAS for good.  Checked before the C was written.
 *
 * Why: the chunk protocol needs 4 chunks per stripe (capacity 512 and up on
 * 2 CPUs); below that two CPUs keep meeting each other's chunks, and every
 * meeting is a skipped chunk or a membarrier (bench/RESULTS.md, "The cost of
 * one MID cycle").  A small atlas still pays two locked instructions a cycle
 * at one thread, where the chunk path pays one.  But one thread is the one
 * case where nobody meets anybody: so the whole atlas starts owned by the
 * first claimer's CPU, and the first claim from another CPU (another thread,
 * or a thread without rseq) turns it shared, where claims are the CAS of the
 * atlas without the path, never to be owned again.  One thread that migrates
 * takes the ownership along (a move), so that the scheduler's migrations do
 * not turn a one-thread atlas shared.
 *
 * The protocol (one solo word per atlas: a state and an epoch; the state
 * is UNOWNED, CPU c + 1, REVOKING or SHARED; the epoch counts the moves
 * into REVOKING, so that a CAS on the word never mistakes one REVOKING for
 * a later one; rec, the thread that acquired or moved last, a hint):
 *   rseq claim  on CPU c, inside one CS: load the state, != c + 1 -> abort;
 *               load the slot word, not FREE -> leave; store it LIVE (the
 *               commit: the CS's last instruction).  As the chunk path's.
 *   acquire     (a claimer with rseq, on CPU c, that reads UNOWNED) CAS
 *               UNOWNED -> c + 1; then rec = itself.  No CAS claimer can
 *               be at work: CAS claims happen only under SHARED, and
 *               UNOWNED is never entered again.
 *   move        (the thread rec, on CPU d, that reads another CPU's c + 1;
 *               or, a handover, any other claimer with rseq, up to
 *               HANDOVERS times in a run: solo.c moves for a thread other
 *               than the owner once the owner made SOLO_HANDOVER_CLAIMS
 *               claims, which the model leaves to chance)
 *               CAS (c + 1, e) -> (REVOKING, e + 1); membarrier on CPU c
 *               (a CS in flight there aborts; later ones read REVOKING);
 *               CAS (REVOKING, e + 1) -> (d + 1, e + 1).
 *   share       (anyone else that reads another CPU's c + 1, or UNOWNED
 *               without rseq) as a move, but its last CAS stores SHARED;
 *               from UNOWNED one CAS -> SHARED (nobody stored under it).
 *   help        (a claimer that reads (REVOKING, e)) membarrier on every
 *               CPU (the CS of whichever CPU owned it before is over by its
 *               end), then CAS (REVOKING, e) -> (SHARED, e).  Nobody waits
 *               for a mover or a sharer, who may be preempted for good;
 *               the mover's last CAS then fails and it claims by CAS.
 *   CAS claim   under SHARED: the claim CAS FREE -> LIVE.
 *   ending      CAS LIVE -> FREE, as ever; ownership plays no part.
 * Every path loops until it claims or finds the slot used: a claimer
 * leaves the loop at SHARED (terminal) or with a commit, and between them
 * the word only moves forward (UNOWNED -> CPU -> REVOKING -> CPU or
 * SHARED), a move needing a migration.
 *
 * Modelled as midatlas_rseq.pml: one atomic step per machine access,
 * sequentially consistent (every access that orders anything is a locked
 * instruction, a CS on one CPU, or membarrier); NCPU CPUs; a migrator
 * moves any thread between any two of its steps; a CS aborts when another
 * thread ran on its CPU, when it migrated, or on a membarrier there.  Each
 * round a thread claims slot i, with rseq or (nondeterministically)
 * without, then ends what it holds.
 * Checked: an rseq claim's commit finds the slot still FREE (two handouts
 * of one slot otherwise), an ending finds its own LIVE word, ownership
 * changes hands at most EPOCH_MAX times, and at the end every slot is FREE
 * and the word is not REVOKING.
 *
 * MUTANT (each must be caught):
 *   1 move and share without their membarrier
 *   2 a helper ends REVOKING without its membarrier
 *   3 no epoch: CASes compare the state alone (a helper that saw one
 *     REVOKING ends a later one, before that one's membarrier)
 *   4 the rseq claim does not check the state
 *   5 the mover's last step a plain store (it overwrites a helper's
 *     SHARED: claims by store resume beside claims by CAS)
 *   6 acquire by a load and a plain store (two CPUs both acquire; the
 *     later store can overwrite a sharer's SHARED)
 *   7 a mover records itself (rec) after its last CAS, not before its
 *     membarrier: the thread it took the atlas from can meet the new owner,
 *     still read itself as rec, move back, and so on (EPOCH_MAX)
 */

#ifndef NSLOTS
#define NSLOTS 1
#endif
#ifndef NCPU
#define NCPU 2
#endif
#ifndef HANDOVERS
#define HANDOVERS 1
#endif
/* The most REVOKINGs a run may see (the bound the assertion checks; with 2
 * threads MIGRATIONS + HANDOVERS + 2 is the smallest that verifies).
 * Mutant 7 passes it: two threads that both read themselves as the
 * recorded one trade the atlas back and forth without end. */
#ifndef EPOCH_MAX
#define EPOCH_MAX (MIGRATIONS + HANDOVERS + NPROC)
#endif
#ifndef NPROC
#define NPROC 2
#endif
#ifndef ROUNDS
#define ROUNDS 2
#endif
#ifndef MIGRATIONS
#define MIGRATIONS 1
#endif
#ifndef MUTANT
#define MUTANT 0
#endif

#define FREE 0
#define SHARED 0
#define UNOWNED 254
#define REVOKING 255

byte slot[NSLOTS];    /* FREE, or the holder's pid + 1 (LIVE) */
byte st = UNOWNED;    /* the solo word's state */
byte ep = 0;          /* and its epoch */
byte rec = 0;         /* pid + 1 of the thread that acquired or moved last */
byte handovers = 0;   /* moves by a thread other than rec, so far */
byte running[NCPU];   /* pid + 1 of the thread that ran last on that CPU */
bit aborted[NPROC];   /* the thread's CS in progress, if any, will abort */
byte cpu[NPROC];      /* where each thread runs now */
byte migrations = 0;  /* migrations so far, all threads */

#define RAN(c) ((running[c] + NPROC - 1) % NPROC) /* pid; any when none */
#define ON_CPU(me)                                                          \
    aborted[RAN(cpu[me])] =                                                 \
        (running[cpu[me]] != 0 && running[cpu[me]] != me + 1 -> 1           \
                                                         : aborted[RAN(cpu[me])]); \
    running[cpu[me]] = me + 1
#define CS_START(me, c) ON_CPU(me); c = cpu[me]; aborted[me] = 0
#define CS_INTACT(me, c) (cpu[me] == c && !aborted[me])
#define MEMBARRIER(d) aborted[RAN(d)] = (running[d] != 0 -> 1 : aborted[RAN(d)])

/* CAS the word (s, e) -> (ns, ne); ok says whether it did.  Mutant 3
 * compares the state alone. */
#if MUTANT == 3
#define WORD_CAS(s, e, ns, ne, ok)                                          \
    if :: st == s -> st = ns; ep = ne; ok = 1 :: else -> ok = 0 fi
#else
#define WORD_CAS(s, e, ns, ne, ok)                                          \
    if :: st == s && ep == e -> st = ns; ep = ne; ok = 1 :: else -> ok = 0 fi
#endif

/* The mover's last step, (REVOKING, e + 1) -> (its CPU, e + 1); mutant 5 a
 * plain store. */
#if MUTANT == 5
#define MOVE_STEP(me) atomic { ON_CPU(me); st = mc + 1; ok = 1 }
#else
#define MOVE_STEP(me) atomic { ON_CPU(me); WORD_CAS(REVOKING, e + 1, mc + 1, e + 1, ok) }
#endif

proctype thread(byte me)
{
    byte round = 0;
    byte i;          /* the slot this round is about */
    byte held = 0;   /* slot index + 1 this thread holds LIVE */
    byte c, mc;      /* a CS's CPU; the CPU read before it (rseq_cpu) */
    byte s, e, w, r; /* the word's state and epoch as read, a slot word, rec */
    bit ok;
    bit norseq;      /* this claim runs without rseq */
    bit mv;          /* a claim that met another CPU's ownership moves it */

    do
    :: round < ROUNDS ->
        if
        :: NSLOTS > 1 -> select(i : 0 .. NSLOTS - 1)
        :: else -> i = 0
        fi;
        if
        :: norseq = 0
        :: norseq = 1
        fi;
        /* (the locals are reset at each try: fewer states to store) */
claim:  atomic { ON_CPU(me); mc = cpu[me]; c = 0; w = 0; r = 0; ok = 0 };
        atomic { ON_CPU(me); s = st; e = ep };
        if
        :: s == SHARED ->
            /* the claim CAS */
            atomic {
                ON_CPU(me);
                if
                :: slot[i] == FREE -> slot[i] = me + 1; held = i + 1
                :: else -> skip
                fi
            }
        :: !norseq && s == mc + 1 ->
            /* the CS: start (on the CPU read: else it aborts at once),
             * load the state, load the slot, commit the store */
            atomic { CS_START(me, c) };
            if
            :: c != mc -> goto claim
            :: else -> skip
            fi;
            atomic { ON_CPU(me); s = st };
#if MUTANT != 4
            if
            :: s != c + 1 -> goto claim /* abort: not ours any more */
            :: else -> skip
            fi;
#endif
            atomic { ON_CPU(me); w = slot[i] };
            if
            :: w == FREE ->
                atomic {
                    if
                    :: CS_INTACT(me, c) ->
                        assert(slot[i] == FREE); /* nobody claimed it since */
                        slot[i] = me + 1;
                        held = i + 1;
                        ok = 1
                    :: else -> ok = 0 /* aborted */
                    fi
                };
                if
                :: !ok -> goto claim
                :: else -> skip
                fi
            :: else -> skip /* used: lost to another claim */
            fi
        :: s == UNOWNED ->
            if
            :: !norseq ->
                /* acquire */
#if MUTANT == 6
                atomic { ON_CPU(me); s = st };
                if
                :: s == UNOWNED ->
                    atomic { ON_CPU(me); st = mc + 1 };
                    atomic { ON_CPU(me); rec = me + 1 }
                :: else -> skip
                fi
#else
                atomic { ON_CPU(me); WORD_CAS(UNOWNED, e, mc + 1, e, ok) };
                if
                :: ok -> atomic { ON_CPU(me); rec = me + 1 }
                :: else -> skip
                fi
#endif
            :: else ->
                atomic { ON_CPU(me); WORD_CAS(UNOWNED, e, SHARED, e, ok) }
            fi;
            goto claim
        :: s == REVOKING ->
            /* help: fence every CPU, then end this REVOKING */
#if MUTANT != 2
            atomic { ON_CPU(me); for (c : 0 .. NCPU - 1) { MEMBARRIER(c) } };
#endif
            atomic { ON_CPU(me); WORD_CAS(REVOKING, e, SHARED, e, ok) };
            goto claim
        :: else ->
            /* another CPU owns the atlas (or this claim runs without
             * rseq and the owner is any CPU): move or share */
            atomic { ON_CPU(me); r = rec };
            /* move or share: decided first, as solo.c does */
            if
            :: !norseq && r == me + 1 -> mv = 1
            :: !norseq && r != me + 1 && handovers < HANDOVERS ->
                handovers++; /* a handover: counted win or lose */
                mv = 1
            :: norseq || r != me + 1 -> mv = 0
            fi;
            atomic { ON_CPU(me); WORD_CAS(s, e, REVOKING, e + 1, ok) };
            if
            :: ok ->
                /* Ownership changes hands a bounded number of times: each
                 * REVOKING follows a migration, a handover or a share, or
                 * a move to a CPU its mover has already left */
                assert(ep <= EPOCH_MAX);
                /* a mover records itself before its last step: whoever
                 * meets the new ownership reads it (mutant 7) */
#if MUTANT != 7
                if :: mv -> atomic { ON_CPU(me); rec = me + 1 } :: else -> skip fi;
#endif
#if MUTANT != 1
                atomic { ON_CPU(me); MEMBARRIER(s - 1) };
#endif
                if
                :: mv -> MOVE_STEP(me)
#if MUTANT == 7
                    ; if :: ok -> atomic { ON_CPU(me); rec = me + 1 } :: else -> skip fi
#endif
                :: else ->
                    atomic { ON_CPU(me); WORD_CAS(REVOKING, e + 1, SHARED, e + 1, ok) }
                fi
            :: else -> skip
            fi;
            goto claim
        fi;
        /* end what this thread holds: the ending CAS LIVE -> FREE */
        if
        :: held != 0 ->
            atomic {
                ON_CPU(me);
                assert(slot[held - 1] == me + 1); /* nobody overwrote it */
                slot[held - 1] = FREE;
                held = 0
            }
        :: else -> skip
        fi;
        s = 0; e = 0; c = 0; mc = 0; w = 0; r = 0; ok = 0; norseq = 0; i = 0; mv = 0;
        round++
    :: round == ROUNDS -> break
    od
}

proctype migrator()
{
    byte p;
    do
    :: migrations < MIGRATIONS ->
        select(p : 0 .. NPROC - 1);
        atomic { migrations++; aborted[p] = 1; cpu[p] = (cpu[p] + 1) % NCPU }
    :: break
    od
}

init {
    byte p;
    atomic {
        for (p : 0 .. NPROC - 1) {
            cpu[p] = p % NCPU
        };
        for (p : 0 .. NPROC - 1) {
            run thread(p)
        };
        run migrator()
    };
    (_nr_pr == 1);
    for (p : 0 .. NSLOTS - 1) {
        assert(slot[p] == FREE)
    };
    assert(st != REVOKING)
}
