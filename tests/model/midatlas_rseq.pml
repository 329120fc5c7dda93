/* SPDX-License-Identifier: MIT */
/*
 * midatlas_rseq.pml - Promela model of per-CPU chunk ownership with claims
 * in restartable sequences (src/rseq.h, src/own.h, src/own.c; the default
 * where it can run, off with MIDATLAS_RSEQ=0), checked before the C was
 * written.  bench/RESULTS.md, "The cost of one MID cycle", says what it saves.
 *
 * Why: a MID cycle costs two locked instructions, the claim CAS and the
 * ending CAS.  The ending CAS is the contract (exactly-once endings).  The
 * claim CAS is there because any thread may claim any FREE slot.  If only
 * the threads running on one CPU may claim in a chunk, the claim can be a
 * plain store inside an rseq critical section (CS) on that CPU: the kernel
 * restarts a CS that was preempted or migrated before its last instruction,
 * so threads of one CPU never interleave inside one, and no other CPU
 * writes a FREE word of the chunk.  The price is that everyone else must be
 * kept out of an owned chunk, or must throw the owner out first.
 *
 * The protocol (one owner word per chunk: 0, CPU c + 1, PENDING or
 * REVOKING; cas_active, one counter here; C keeps one per stripe, each
 * claimer counting itself on its own and an acquirer reading them all,
 * which is the same Dekker pair per counter):
 *   rseq claim  on CPU c, inside one CS: load the owner, != c + 1 -> abort;
 *               load the slot word, not FREE -> leave; store it LIVE (the
 *               commit: the CS's last instruction).
 *   acquire     (a sweeper that takes a chunk from the rotor) one CS on
 *               CPU c: CAS the owner 0 -> PENDING (locked: a full fence;
 *               neither a CS nor a CAS claimer claims under PENDING); load
 *               cas_active; and as the commit, CAS PENDING -> c + 1
 *               (confirmed) when it was zero, else PENDING -> 0 (backed
 *               off: a CAS claimer may be at work; claim by CAS this time).
 *               The commit CAS fails when a thief took the PENDING. A CS
 *               that aborts after its first CAS leaves PENDING; its abort
 *               handler steals it (below) and claims by CAS.
 *   steal       (a revoker that meets PENDING, and an aborted acquirer)
 *               CAS PENDING -> REVOKING; membarrier on every CPU (the
 *               acquirer's CS, wherever it runs, aborts); store 0.  Nobody
 *               waits for an acquirer.  Why so much: PENDING carries no
 *               CPU and no version, so an acquirer whose PENDING was
 *               stolen must never reach a commit again, or it would
 *               confirm the next acquirer's PENDING with a stale look at
 *               cas_active (mutants 11 and 12).  Before 2026-12-02 the
 *               acquire was a CAS, a load and a plain store outside any
 *               CS, PENDING could not be stolen, and an exact path that
 *               met it waited (this model found a double claim in a first
 *               attempt to steal it that way).  Found by
 *               this model too: acquiring
 *               0 -> c + 1 at once and releasing when cas_active is set
 *               fails when the release's CS is aborted (a migration): the
 *               ownership stays while the CAS claimer it saw goes on.
 *   release     (the sweep leaves the chunk) inside one CS on c, whose
 *               commit instruction is a CAS of the owner c + 1 -> 0: the CS
 *               keeps the other threads of c out of their claims meanwhile,
 *               the CAS keeps a revoker's REVOKING (a load, compare and
 *               store there lets a revoker's later store of 0 wipe out the
 *               next acquirer's ownership: found by this model).  A thread
 *               that migrated cannot release: the chunk stays owned until
 *               someone revokes it.
 *   CAS claim   (the slow paths: the scarce path, FULL mode's cells, the
 *               exact path's collect, a thread without rseq) increment
 *               cas_active (locked: a full fence); load the owner: 0 ->
 *               the claim CAS FREE -> LIVE; anything else -> no claim here;
 *               decrement cas_active.  The increment and the acquirer's CAS
 *               are the two halves of a Dekker pair: of a CAS claimer and
 *               an acquirer at least one sees the other.
 *   revoke      (a claimer that needs a chunk another CPU d owns: the exact
 *               path, or a CPU whose stripe's chunk d left owned) CAS the
 *               owner d + 1 -> REVOKING; membarrier(MEMBARRIER_CMD_PRIVATE_
 *               EXPEDITED_RSEQ, CPU d), which aborts a CS in progress on d
 *               and is a full fence there; store the owner 0.  Then claim
 *               by CAS.
 *   fenced claim (a claimer that must have a slot of a chunk another
 *               revoker holds REVOKING) increment cas_active; load the
 *               owner: not REVOKING -> back out; membarrier on every CPU
 *               (a CS of the old owner that passed its owner check before
 *               that REVOKING is over by its end); load the owner again:
 *               NONE, REVOKING or PENDING -> the claim CAS; decrement.
 *               Nobody waits for a revoker.  The membarrier must follow
 *               the load that saw REVOKING: a first version that fenced
 *               before looking claimed beside an owner's CS in flight
 *               (this model found it).
 *   ending      CAS LIVE -> FREE, as today; ownership plays no part.
 *
 * Modelled, one atomic step per machine access, sequentially consistent
 * (every access that orders anything is a locked instruction, a CS on one
 * CPU, or membarrier):
 *   CPUs        NCPU; cpu[p] is where thread p runs; the migrator moves
 *               any thread between any two of its steps (MIGRATIONS in
 *               all).
 *   a CS        records at its start its CPU and clears the thread's
 *               aborted bit.  A step of another thread on that CPU (it was
 *               preempted), a migration and a membarrier on that CPU set
 *               the bit, for good.  The commit is one step that stores only
 *               if the thread is still on that CPU and the bit is clear:
 *               the kernel's abort of a CS preempted, migrated or
 *               interrupted before its commit instruction.
 *   membarrier  on CPU d: the thread that runs there has its CS aborted.
 *   threads     NPROC, each ROUNDS times: pick a slot and a path (rseq
 *               claim with acquire, CAS claim, revoke or steal then CAS
 *               claim, release), then end what it holds.  A step inside a
 *               CS other than its loads (the acquire's first CAS) runs
 *               only while the CS is intact: an aborted CS has gone to its
 *               abort handler.
 * Checked: the commit of an rseq claim finds the slot still FREE (no
 * other claimer took it since the CS loaded it: two handouts of one slot
 * otherwise), an ending finds its own LIVE word (nobody overwrote it), and
 * at the end every slot is FREE, no owner is REVOKING and cas_active is 0.
 * Not modelled: counts and generations (midatlas_core.pml), the sweep's
 * order and the rotor (midatlas_rotation.pml), FULL mode (midatlas_full
 * .pml), EFULL (a claimer here just goes without), waiters.
 *
 * MUTANT (each must be caught):
 *   1 revoke without membarrier: the owner's CS in flight still commits
 *   2 the acquirer does not look at cas_active
 *   3 a CAS claimer does not announce itself in cas_active
 *   4 release by a plain store, without a CS (a thread that migrated
 *     releases while another thread of the old CPU is inside a CS)
 *   5 the rseq claim does not check the owner (any CPU claims by store)
 *   6 revoke stores 0 before its membarrier (no REVOKING)
 *   7 release inside a CS, but as a load, compare and plain store
 *   8 acquire 0 -> c + 1 at once, release by the CS if cas_active is set
 *   9 a revoker that lost the race to REVOKING still ends it after a fence
 *     of its own (src/own.c's revoke_all did, before review)
 *  10 the acquire's commit as a load, compare and plain store (a thief's
 *     REVOKING between them is overwritten)
 *  11 the acquire's CAS to PENDING before its CS starts (a thief's
 *     membarrier cannot stop the confirmation that follows it); needs
 *     3 threads
 *  12 a steal without the membarrier; needs 3 threads
 *  13 a fenced claim (under another revoker's REVOKING) without its
 *     membarrier
 *  14 a fenced claim that does not announce itself in cas_active
 *
 * Sequential consistency is what x86-64 gives these accesses: the Dekker
 * pairs are locked instructions on both sides (TSO orders a locked
 * instruction before any later load), a CS's loads and its commit store
 * run on one CPU in program order, and membarrier is a full fence on the
 * CPUs it reaches.  A weaker architecture needs fences this model does not
 * show.
 */

#ifndef NSLOTS
#define NSLOTS 1
#endif
#ifndef NCPU
#define NCPU 2
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
#define NONE 0
#define REVOKING 255
#define PENDING 254
#define ABORTED 253 /* o: the acquire's CS aborted (thread-local) */
#define DONE 252    /* o: the acquire's commit stored */

byte slot[NSLOTS];    /* FREE, or the holder's pid + 1 (LIVE) */
byte owner = NONE;    /* the one chunk's owner: NONE, CPU + 1, PENDING,
                         REVOKING */
byte cas_active = 0;  /* CAS claimers between their announce and retreat */
byte running[NCPU];   /* pid + 1 of the thread that ran last on that CPU */
bit aborted[NPROC];   /* the thread's CS in progress, if any, will abort */
byte cpu[NPROC];      /* where each thread runs now */
byte migrations = 0;  /* migrations so far, all threads */

/* One step of thread `me` on its CPU: if another thread ran there last, it
 * was preempted, and its CS (if one was in progress) aborts. */
#define RAN(c) ((running[c] + NPROC - 1) % NPROC) /* pid; any when none */
#define ON_CPU(me)                                                          \
    aborted[RAN(cpu[me])] =                                                 \
        (running[cpu[me]] != 0 && running[cpu[me]] != me + 1 -> 1           \
                                                         : aborted[RAN(cpu[me])]); \
    running[cpu[me]] = me + 1

/* A CS starts: on the CPU the thread runs on now, nothing aborted yet. */
#define CS_START(me, c) ON_CPU(me); c = cpu[me]; aborted[me] = 0

/* A CS's commit may store: still on its CPU, and not preempted, migrated
 * or hit by membarrier since its start. */
#define CS_INTACT(me, c) (cpu[me] == c && !aborted[me])

/* membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) on CPU d: the CS of the
 * thread there, if one is in progress, aborts. */
#define MEMBARRIER(d) aborted[RAN(d)] = (running[d] != 0 -> 1 : aborted[RAN(d)])

proctype thread(byte me)
{
    byte round = 0;
    byte i;          /* the slot this round is about */
    byte held = 0;   /* slot index + 1 this thread holds LIVE */
    byte c, o, w;    /* a CS's CPU, a loaded owner, a loaded word */

    do
    :: round < ROUNDS ->
        if
        :: NSLOTS > 1 -> select(i : 0 .. NSLOTS - 1)
        :: else -> i = 0
        fi;
        if
        :: /* rseq claim, acquiring the chunk first if nobody owns it */
            atomic { ON_CPU(me); o = owner };
            if
            :: o == NONE ->
#if MUTANT == 8
                /* the first design: CAS 0 -> c + 1, then look for CAS
                 * claimers and release (by the CS below) if there are */
                atomic {
                    ON_CPU(me);
                    if
                    :: owner == NONE -> owner = cpu[me] + 1; o = owner
                    :: else -> o = REVOKING
                    fi
                };
                if
                :: o != REVOKING ->
                    atomic { ON_CPU(me); w = cas_active };
                    if
                    :: w != 0 -> goto release
                    :: else -> skip
                    fi
                :: else -> skip
                fi;
#else
                /* acquire, in one CS: CAS 0 -> PENDING (no CS accepts
                 * it, no CAS claimer claims under it), look for CAS
                 * claimers, and as the commit CAS PENDING -> CPU + 1
                 * (confirmed) or -> 0 (backed off).  An abort after the
                 * first CAS leaves PENDING: the abort handler steals it. */
#if MUTANT == 11
                /* the first CAS before the CS: a thief's membarrier
                 * cannot stop what follows it */
                atomic {
                    ON_CPU(me);
                    if
                    :: owner == NONE -> owner = PENDING; o = PENDING
                    :: else -> o = REVOKING
                    fi
                };
                atomic { CS_START(me, c) };
#else
                atomic { CS_START(me, c) };
                atomic {
                    ON_CPU(me);
                    if
                    :: !CS_INTACT(me, c) -> o = ABORTED /* never ran */
                    :: CS_INTACT(me, c) && owner == NONE -> owner = PENDING; o = PENDING
                    :: CS_INTACT(me, c) && owner != NONE -> o = REVOKING /* lost */
                    fi
                };
#endif
                if
                :: o == PENDING ->
                    atomic { ON_CPU(me); w = cas_active };
#if MUTANT == 2
                    w = 0;
#endif
#if MUTANT == 10
                    /* the commit as a load, compare and plain store: a
                     * thief's REVOKING between them is overwritten */
                    atomic { ON_CPU(me); o = owner };
                    atomic {
                        if
                        :: CS_INTACT(me, c) && o == PENDING ->
                            owner = (w != 0 -> NONE : c + 1); o = DONE
                        :: else -> o = ABORTED
                        fi
                    };
#else
                    atomic {
                        if
                        :: CS_INTACT(me, c) && owner == PENDING ->
                            owner = (w != 0 -> NONE : c + 1); o = DONE
                        :: CS_INTACT(me, c) && owner != PENDING ->
                            o = REVOKING /* stolen: nothing stored */
                        :: !CS_INTACT(me, c) -> o = ABORTED
                        fi
                    };
#endif
                    if
                    :: o == ABORTED ->
                        /* the abort handler: this thread's PENDING may be
                         * left; steal whatever PENDING there is */
                        atomic { ON_CPU(me); o = owner };
                        if
                        :: o == PENDING -> goto steal
                        :: else -> goto next
                        fi
                    :: o == DONE && w != 0 -> goto next /* backed off */
                    :: else -> skip
                    fi
                :: o == ABORTED ->
                    atomic { ON_CPU(me); o = owner };
                    if
                    :: o == PENDING -> goto steal
                    :: else -> goto next
                    fi
                :: else -> skip
                fi;
#endif
                skip
            :: else -> skip
            fi;
            /* the CS: start, load owner, load slot, commit the store */
            atomic { CS_START(me, c) };
            atomic { ON_CPU(me); o = owner };
#if MUTANT != 5
            if
            :: o != c + 1 -> goto next /* abort: not ours */
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
                        held = i + 1
                    :: else -> skip /* aborted */
                    fi
                }
            :: else -> skip
            fi
        :: /* CAS claim (the slow paths) */
            skip;
casclaim: skip;
#if MUTANT != 3
            atomic { ON_CPU(me); cas_active++ };
#endif
            atomic { ON_CPU(me); o = owner };
            if
            :: o == NONE ->
                atomic {
                    ON_CPU(me);
                    if
                    :: slot[i] == FREE -> slot[i] = me + 1; held = i + 1
                    :: else -> skip
                    fi
                }
            :: else -> skip
            fi;
#if MUTANT != 3
            atomic { ON_CPU(me); cas_active-- };
#endif
            skip
        :: /* fenced claim (a claimer that must have the slot and meets
            * another revoker's REVOKING): announce; load the owner:
            * not REVOKING -> retreat (the other paths apply); membarrier
            * on every CPU (a CS of the old owner that passed its owner
            * check before that REVOKING aborts); load the owner again:
            * NONE, REVOKING or PENDING -> claim by CAS (no CPU can claim
            * by store then, and no acquirer confirms while we are
            * announced); retreat */
            skip;
fenced: skip;
#if MUTANT != 14
            atomic { ON_CPU(me); cas_active++ };
#endif
            atomic { ON_CPU(me); o = owner };
            if
            :: o == REVOKING ->
#if MUTANT != 13
                atomic { ON_CPU(me); for (c : 0 .. NCPU - 1) { MEMBARRIER(c) } };
#endif
                atomic { ON_CPU(me); o = owner };
                if
                :: o == NONE || o == REVOKING || o == PENDING ->
                    atomic {
                        ON_CPU(me);
                        if
                        :: slot[i] == FREE -> slot[i] = me + 1; held = i + 1
                        :: else -> skip
                        fi
                    }
                :: else -> skip
                fi
            :: else -> skip
            fi;
#if MUTANT != 14
            atomic { ON_CPU(me); cas_active-- };
#endif
            skip
        :: /* revoke another CPU's ownership, then claim by CAS */
            atomic { ON_CPU(me); o = owner };
            if
            :: o == REVOKING -> goto fenced /* another revoker's */
            :: o != NONE && o <= NCPU -> /* a CPU owns it */
                atomic {
                    ON_CPU(me);
                    if
#if MUTANT == 6
                    :: owner == o -> owner = NONE; w = 1
#else
                    :: owner == o -> owner = REVOKING; w = 1
#endif
                    :: else -> w = 0
                    fi
                };
                if
                :: w == 1 ->
#if MUTANT != 1
                    atomic { ON_CPU(me); MEMBARRIER(o - 1) };
#endif
                    atomic { ON_CPU(me); owner = NONE }
#if MUTANT == 9
                :: else ->
                    /* like a revoke_all that ends every REVOKING after its
                     * own fence, not only the ones it set */
                    atomic { ON_CPU(me); MEMBARRIER(o - 1) };
                    atomic {
                        ON_CPU(me);
                        if
                        :: owner == REVOKING -> owner = NONE
                        :: else -> skip
                        fi
                    }
#else
                :: else -> skip
#endif
                fi
            :: o == PENDING ->
                /* an acquirer's PENDING, maybe left by an abort: steal */
                goto steal
            :: else -> skip
            fi;
            goto casclaim
        :: /* steal a PENDING owner: CAS PENDING -> REVOKING, membarrier
            * on every CPU (the acquirer's CS, wherever it runs, aborts
            * before its commit CAS), store 0 */
            atomic { ON_CPU(me); o = owner };
            if
            :: o == PENDING ->
steal:          atomic {
                    ON_CPU(me);
                    if
                    :: owner == PENDING -> owner = REVOKING; w = 1
                    :: else -> w = 0
                    fi
                };
                if
                :: w == 1 ->
#if MUTANT != 12
                    atomic { ON_CPU(me); for (c : 0 .. NCPU - 1) { MEMBARRIER(c) } };
#endif
                    atomic { ON_CPU(me); owner = NONE }
                :: else -> skip
                fi
            :: else -> skip
            fi;
            goto casclaim
        :: /* release: the sweep leaves the chunk */
            skip;
release: skip;
#if MUTANT == 7
            atomic { CS_START(me, c) };
            atomic { ON_CPU(me); o = owner };
            if
            :: o == c + 1 ->
                atomic {
                    if
                    :: CS_INTACT(me, c) -> owner = NONE
                    :: else -> skip
                    fi
                }
            :: else -> skip
            fi
#elif MUTANT == 4
            atomic {
                ON_CPU(me);
                if
                :: owner != NONE && owner <= NCPU -> owner = NONE
                :: else -> skip
                fi
            }
#else
            /* the CS: start, then its commit is a CAS c + 1 -> 0 (a
             * plain store there would overwrite a revoker's REVOKING) */
            atomic { CS_START(me, c) };
            atomic {
                if
                :: CS_INTACT(me, c) && owner == c + 1 -> owner = NONE
                :: else -> skip /* aborted, or not ours: stays as it is */
                fi
            }
#endif
        fi;
next: skip;
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
        round++
    :: round == ROUNDS -> break
    od
}

/* The scheduler's migrations: any thread, between any two of its steps
 * (its CS, if one is in progress, will abort: CS_INTACT checks the CPU). */
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
    assert(owner != REVOKING && owner != PENDING);
    assert(cas_active == 0)
}
