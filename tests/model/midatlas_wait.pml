/* SPDX-License-Identifier: MIT */
/*
 * midatlas_wait.pml - Promela model of midatlas's lifecycle edges: the gate
 * word, midatlas_associate_wait's FIFO handoff, midatlas_close against
 * waiters, and midatlas_destroy after close + join (src/wait.c, src/wait.h,
 * src/midatlas.c take_and_publish / dissociate_to_free, src/create.c).
 *
 * Modelled as the C code does it, one atomic step per atomic access or per
 * stretch of code under the wait-queue lock that nobody else can observe:
 *   gate word      waiter count | CLOSED (two fields, always written together
 *                  by one step: the C word is one atomic_u32).
 *   free slots     one linearizable "take" (a free slot, or EFULL only when
 *                  none is free) and one "push" (the slot is free again);
 *                  "listed" below means free.  In C there are no lists: the
 *                  claim CAS takes and publishes in one step, and the
 *                  freeing CAS is the push; midatlas_core.pml checks that
 *                  the claim CAS and the double collect implement exactly
 *                  that.  This model keeps take and publish, and the freeing
 *                  CAS and the push, as two steps each, the slot "in hand"
 *                  in between: C's runs are the runs here in which nothing
 *                  happens in between, so what verifies here holds for C.
 *   associate      (take_and_publish) one relaxed load of the gate; non-zero
 *                  -> wait_gate: load again, CLOSED -> ECLOSED; else lock,
 *                  serve, EFULL if waiters are still queued, unlock; then
 *                  take (pop) and publish (store LIVE(gen + 1, ctx)).
 *   associate_wait (no timeout unless TIMEOUT) associate; on EFULL: lock;
 *                  append the record; fetch_add(gate, 1): CLOSED in the old
 *                  value -> unlink, ECLOSED; else serve_locked, then sleep
 *                  (condition wait: unlock, sleep until signalled, relock)
 *                  while the record says WAITING; answer from the record.
 *                  With TIMEOUT a sleeping waiter may also time out: then,
 *                  still WAITING, it unlinks itself (ETIMEDOUT).
 *   serve_locked   while the queue is not empty: take a slot (EFULL: stop),
 *                  publish it LIVE with the oldest waiter's context, then
 *                  record the MID, mark it GRANTED, unlink it (count - 1)
 *                  and signal it.
 *   dissociate     (the freer) CAS LIVE(gen, ctx) -> FREE (the slot is in
 *                  hand; a drained slot answers EFREE/ESTALE), push
 *                  (seq_cst), then load the gate (seq_cst): count != 0 ->
 *                  lock, serve, unlock.
 *   drain          (DRAIN) load the gate (seq_cst): count != 0 -> lock,
 *                  wake every queued waiter with ECLOSED, unlock; then for
 *                  every slot: CAS LIVE -> FREE (its context to the
 *                  visitor), push, load the gate, serve if anyone waits.
 *   close          nobody counted in the gate: CAS it to CLOSED (a CAS that
 *                  fails, or a load that finds waiters counted, goes on as
 *                  below); waiters counted: lock, fetch_or(gate, CLOSED),
 *                  mark every queued waiter CLOSED, unlink it, signal it,
 *                  unlock.
 *   destroy        after every other process finished (close, join,
 *                  destroy): visit every live slot's context once.
 * Not modelled: discard/release (a tombstone is simply not free here),
 * cancellation, spurious condition-variable wakeups, generations beyond a
 * per-slot counter, the order of the search for a free slot (see
 * midatlas_core.pml and midatlas_rotation.pml), and memory
 * orders: spin interleaves sequentially consistent steps, so the model
 * checks the protocol's logic; the seq_cst Dekker pairing it assumes is
 * what wait.c's comments argue for the C11 orders.
 *
 * Processes: NWAITERS waiters (context w + 1), each one associate_wait that
 * keeps its MID; a freer that dissociates the first NFREE of the NSLOTS
 * slots, all live at the start (contexts NWAITERS + 1 + slot: the atlas is
 * full); with CLOSE a closer; with DRAIN a drainer; and init, which sets
 * the atlas up, joins everyone and destroys it.
 *
 * Checked:
 *   - nobody blocks forever: pan's invalid end states (a waiter asleep, or a
 *     process stuck on the lock, when everything else has finished);
 *   - no MID lost or granted twice: a pop takes a listed slot, a publish is
 *     by the popper, a grant goes to a WAITING record, and at destroy every
 *     slot is LIVE or listed, nothing in hand;
 *   - ECLOSED only after close (or drain, which wakes the queue) started,
 *     and no grant once close has taken effect (its bit set): the
 *     contract's "every waiter wakes with ECLOSED" (midatlas.h, close);
 *   - without CLOSE every waiter gets a MID (there are as many frees as
 *     waiters): no lost wakeup between a freer and a waiter;
 *   - ownership at destroy: every context has exactly one owner.  A waiter
 *     that returned OK owns a live slot with its context and MID, which the
 *     visitor sees exactly once, and it returned before destroy (else the
 *     waiter and the visitor would both own it); a waiter that returned
 *     ECLOSED or ETIMEDOUT owns nothing and its context was never live; a
 *     context the freer dissociated is the freer's and never visited; every
 *     other initial context is visited once.  With DRAIN, a context drain
 *     took (a waiter's, granted before drain reached its slot, or an
 *     initial one) is the drain visitor's alone.
 *
 * Mutants (the ctest "model.wait.mutant.*" runs expect a violation):
 *   1  close sets CLOSED but does not wake the queued waiters
 *                                  (a waiter sleeps forever: invalid end state)
 *   2  a waiter ignores the CLOSED bit its increment returned
 *                                  (it queues on a closed atlas and sleeps
 *                                   forever, or is granted after close)
 *   3  the freer reads the gate before its push (the Dekker pair broken)
 *                                  (a lost wakeup: a waiter sleeps forever)
 *   4  destroy as the old contract allowed it, with waiters outstanding:
 *      once close and the freer have returned and every waiter has returned
 *      or is queued (a granted waiter that has not returned yet returns OK
 *      with a context the visitor already owns: issue 9 item 1)
 *   5  drain frees slots without serving the queue afterwards (a waiter
 *      that queued after drain read the gate sleeps for ever)
 *   6  the old close: the bit set first, the lock taken after to wake the
 *      queue (a free in between serves the queue: a waiter is granted a
 *      MID after close took effect; tests/lifecycle/test_close_grant.c)
 */

#ifndef NSLOTS
#define NSLOTS 2 /* at most 8 (freemask is a byte) */
#endif
#ifndef NWAITERS
#define NWAITERS 2 /* 3 verifies too (CLOSE: 3.5 M states, 10 s) */
#endif
#ifndef NFREE
#define NFREE 1 /* MIDs the freer dissociates, at most NSLOTS */
#endif
#ifndef CLOSE
#define CLOSE 1
#endif
#ifndef TIMEOUT
#define TIMEOUT 0
#endif
#ifndef DRAIN
#define DRAIN 0
#endif
#ifndef MUTANT
#define MUTANT 0
#endif

#define NPROC (NWAITERS + 1 + CLOSE + DRAIN) /* waiters, freer, closer, drainer */
#define NCTX (NWAITERS + 1 + NSLOTS) /* context 0 is unused (NULL) */
#define GENMOD 8

/* results */
#define R_NONE 0
#define R_OK 1
#define R_EFULL 2
#define R_ECLOSED 3
#define R_ETIMEDOUT 4

/* waiter record states (enum waiter_state) */
#define WAITING 0
#define GRANTED 1
#define WCLOSED 2

/* ghost slot states */
#define G_LISTED 0
#define G_HAND 1 /* popped, not yet published; or won, not yet pushed */
#define G_LIVE 2

/* ---- shared state ---- */
bit live[NSLOTS];          /* slot word: LIVE (else FREE)           */
byte sctx[NSLOTS];         /* its context when LIVE                 */
byte gen[NSLOTS];          /* its generation                        */
byte freemask;             /* listed slots                          */

byte gcount;               /* gate word: waiter count ...           */
bit gclosed;               /* ... | GATE_CLOSED                     */

bit lock;                  /* wq.lock                               */
byte q[NWAITERS];          /* wq: FIFO of waiter ids, oldest first  */
byte qlen;
byte wstate[NWAITERS];     /* each waiter's record                  */
byte wslot[NWAITERS];      /* the MID granted: slot and generation  */
byte wgen[NWAITERS];
bit sig[NWAITERS];         /* its condition variable was signalled  */

/* ---- ghost state ---- */
byte g_state[NSLOTS];
byte g_holder[NSLOTS];
bit ever_live[NCTX];       /* the context was published LIVE once   */
bit freer_owns[NCTX];      /* the freer dissociated it              */
bit drained[NCTX];         /* drain's visitor got it                */
byte visited[NCTX];        /* destroy's visitor saw it              */
byte rc[NWAITERS];         /* what each waiter's call returned      */
bit close_started, close_done, freer_done, drain_started, destroyed, ready;
bit settled[NWAITERS];     /* returned, or queued (counted in the gate) */
byte nsettled;
byte finished;             /* processes that returned (joined)      */

inline lock_acquire()
{
    atomic { lock == 0 -> lock = 1 }
}

inline lock_release()
{
    lock = 0
}

/* Remove waiter w from the queue (under the lock) and drop the count. */
inline unlink(w)
{
    k = 0;
    do
    :: k < qlen && q[k] != w -> k++
    :: else -> break
    od;
    assert(k < qlen);                                        /* it was queued */
    do
    :: k + 1 < qlen -> q[k] = q[k + 1]; k++
    :: else -> break
    od;
    qlen--; q[qlen] = 0; k = 0;
    gcount--
}

/* freelist_take: ok 1 and slot s in hand, or ok 0 (EFULL: none listed). */
inline take(s, ok)
{
    d_step {
        if
        :: freemask == 0 -> ok = 0
        :: else ->
            s = 0;
            do
            :: (freemask >> s) & 1 -> break
            :: else -> s++
            od;
            freemask = freemask & ~(1 << s);
            assert(g_state[s] == G_LISTED);                  /* no double handout */
            g_state[s] = G_HAND; g_holder[s] = _pid;
            ok = 1
        fi
    }
}

/* store_release LIVE(gen + 1, c) into slot s, which we popped. */
inline publish(s, c)
{
    d_step {
        assert(g_state[s] == G_HAND && g_holder[s] == _pid);
        gen[s] = (gen[s] + 1) % GENMOD; sctx[s] = c; live[s] = 1;
        g_state[s] = G_LIVE; ever_live[c] = 1
    }
}

/* midatlas__wait_wake_all's body (lock held): every queued waiter leaves
 * with ECLOSED. */
inline wake_all()
{
    d_step {
        do
        :: qlen > 0 ->
            w = q[0];
            assert(wstate[w] == WAITING);
            wstate[w] = WCLOSED;
            unlink(w);
            sig[w] = 1
        :: else -> break
        od;
        w = 0
    }
}

/* serve_locked: grant free MIDs to the oldest waiters (lock held). */
inline serve()
{
    do
    :: qlen == 0 -> break
    :: else ->
        take(s, ok);
        if
        :: !ok -> break
        :: else ->
            w = q[0];
            printf("P%d serve: grants slot %d to waiter %d\n", _pid, s, w);
            publish(s, w + 1);
            d_step {
                assert(wstate[w] == WAITING);                /* granted once */
                assert(!gclosed);                            /* no grant once close took effect */
                wslot[w] = s; wgen[w] = gen[s]; wstate[w] = GRANTED;
                unlink(w);
                sig[w] = 1;
                s = 0; w = 0; ok = 0
            }
        fi
    od
}

proctype waiter(byte me)
{
    byte s, w, k, r, myslot, mygen;
    bit ok, old_closed;

    ready;
    /* ---- midatlas__associate_now (take_and_publish) ---- */
    if
    :: gcount != 0 || gclosed ->                             /* wait_gate_shut: relaxed load */
        if
        :: gclosed -> r = R_ECLOSED; assert(close_started)   /* wait_gate: load again */
        :: else ->
            lock_acquire();
            serve();
            atomic { r = (qlen == 0 -> R_NONE : R_EFULL); lock_release() }
        fi
    :: else -> r = R_NONE
    fi;
    if
    :: r == R_NONE ->
        take(s, ok);
        if
        :: ok ->
            publish(s, me + 1);
            atomic { myslot = s; mygen = gen[s]; r = R_OK; s = 0; ok = 0 };
            printf("P%d waiter %d: associate takes slot %d at once\n", _pid, me, myslot)
        :: else -> r = R_EFULL
        fi
    :: else -> skip
    fi;
    /* ---- wait_slow ---- */
    if
    :: r == R_EFULL ->
        lock_acquire();
        d_step { q[qlen] = me; qlen++; wstate[me] = WAITING };   /* queue_append */
        atomic {                                             /* add32_seq_cst(&gate, 1) */
            old_closed = gclosed; gcount++;
            settled[me] = 1; nsettled++;
            printf("P%d waiter %d: queued, count %d, closed %d\n", _pid, me, gcount, old_closed)
        };
#if MUTANT == 2
        old_closed = 0;                                      /* mutant: ignores CLOSED */
#endif
        if
        :: old_closed ->
            d_step { assert(close_started); wstate[me] = WCLOSED; unlink(me) }
        :: else ->
            serve();
            do                                               /* sleep_on */
            :: wstate[me] != WAITING -> break
            :: else ->
                atomic { sig[me] = 0; lock_release() };      /* cond_wait: unlock, sleep */
                if
                :: atomic { sig[me] && lock == 0 -> lock = 1; sig[me] = 0 }
#if TIMEOUT
                :: atomic { lock == 0 -> lock = 1 } ->       /* timed out: relock */
                    if
                    :: wstate[me] == WAITING ->
                        d_step { unlink(me) };
                        break
                    :: else -> skip
                    fi
#endif
                fi
            od
        fi;
        atomic {                                             /* answer, unlock */
            if
            :: wstate[me] == GRANTED -> r = R_OK; myslot = wslot[me]; mygen = wgen[me]
            :: wstate[me] == WCLOSED -> r = R_ECLOSED; assert(close_started || drain_started)
            :: else -> r = R_ETIMEDOUT
            fi;
            lock_release()
        }
    :: else -> skip
    fi;
    atomic {                                                 /* return */
        printf("P%d waiter %d returns %d (slot %d gen %d)\n", _pid, me, r, myslot, mygen);
        assert(r == R_OK || r == R_ECLOSED || (TIMEOUT && r == R_ETIMEDOUT));
        /* OK after destroy visited our context: the waiter and the visitor
         * would both own it (and the MID is of a freed atlas) */
        assert(r != R_OK || (visited[me + 1] == 0 && !destroyed));
        rc[me] = r; wslot[me] = myslot; wgen[me] = mygen;
        if
        :: !settled[me] -> settled[me] = 1; nsettled++
        :: else -> skip
        fi;
        finished++
    }
}

/* Dissociates slots 0 .. NFREE-1 one after the other. */
proctype freer()
{
    byte s, w, k, i, c, cnt;
    bit ok;

    ready;
    do
    :: i < NFREE ->
        d_step {                                             /* end_live: CAS LIVE -> FREE */
            if
            :: live[i] && gen[i] == 0 && sctx[i] == NWAITERS + 1 + i ->
                assert(g_state[i] == G_LIVE);
                c = sctx[i]; live[i] = 0; sctx[i] = 0;
                g_state[i] = G_HAND; g_holder[i] = _pid;
                freer_owns[c] = 1; c = 0; ok = 1
            :: else -> ok = 0                                /* drained: EFREE / ESTALE */
            fi
        };
        if
        :: !ok -> goto next
        :: else -> skip
        fi;
#if MUTANT == 3
        cnt = gcount;                                        /* mutant: gate before push */
#endif
        d_step {                                             /* freelist_put: CAS seq_cst */
            assert(g_state[i] == G_HAND && g_holder[i] == _pid);
            g_state[i] = G_LISTED; freemask = freemask | (1 << i)
        };
        printf("P%d freer: slot %d pushed\n", _pid, i);
#if MUTANT != 3
        cnt = gcount;                                        /* wait_after_free: load seq_cst */
#endif
        if
        :: cnt != 0 ->
            lock_acquire(); serve(); lock_release()
        :: else -> skip
        fi;
next:   atomic { i++; cnt = 0; ok = 0 }
    :: else -> break
    od;
    atomic { freer_done = 1; finished++ }
}

proctype closer()
{
    byte w, k, old;

    ready;
#if MUTANT == 6
    /* mutant: the old close, the bit set before the lock is taken */
    atomic {                                                 /* or32_seq_cst(&gate, CLOSED) */
        old = gcount; gclosed = 1; close_started = 1;
        printf("P%d close: CLOSED set, count was %d\n", _pid, old)
    };
    if
    :: old != 0 ->                                           /* midatlas__wait_wake_all */
        lock_acquire(); wake_all(); lock_release()
    :: else -> skip
    fi;
#else
    /* The gate word as close finds it: nobody counted, and the CAS sets
     * the bit; or waiters counted (a load, or a failed CAS), and the bit
     * is set under the lock, the queue woken in the same hold. */
    if
    :: atomic { gcount == 0 ->                               /* cas32_seq_cst(&gate, 0, CLOSED) */
            gclosed = 1; close_started = 1;
            printf("P%d close: CLOSED set by CAS, nobody counted\n", _pid)
        }
    :: atomic { gcount != 0 -> skip } ->                     /* close_queued */
        lock_acquire();
        atomic {                                             /* or32_seq_cst, lock held */
            gclosed = 1; close_started = 1;
            printf("P%d close: CLOSED set under the lock, count %d\n", _pid, gcount)
        };
#if MUTANT != 1
        wake_all();                                          /* mutant 1: nobody is woken */
#endif
        lock_release()
    fi;
#endif
    atomic { close_done = 1; finished++ }
}

/* midatlas_drain: wake the queue if anyone waits, then win and free every
 * live slot (visiting its context), serving waiters after each free. */
proctype drainer()
{
    byte s, w, k, i, cnt;
    bit ok;

    ready;
    atomic { cnt = gcount; drain_started = 1 };             /* load32_seq_cst(&gate) */
    if
    :: cnt != 0 -> lock_acquire(); wake_all(); lock_release()
    :: else -> skip
    fi;
    do
    :: i < NSLOTS ->
        d_step {                                             /* drain_slot: CAS LIVE -> FREE */
            if
            :: live[i] ->
                assert(g_state[i] == G_LIVE && !drained[sctx[i]]);
                drained[sctx[i]] = 1; live[i] = 0; sctx[i] = 0;
                g_state[i] = G_HAND; g_holder[i] = _pid; ok = 1
            :: else -> ok = 0
            fi
        };
        if
        :: ok ->
            d_step {                                         /* freelist_put */
                assert(g_state[i] == G_HAND && g_holder[i] == _pid);
                g_state[i] = G_LISTED; freemask = freemask | (1 << i)
            };
            printf("P%d drain: slot %d freed\n", _pid, i);
#if MUTANT != 5
            cnt = gcount;                                    /* wait_after_free */
#endif
            if
            :: cnt != 0 -> lock_acquire(); serve(); lock_release()
            :: else -> skip
            fi
        :: else -> skip
        fi;
        atomic { i++; cnt = 0; ok = 0 }
    :: else -> break
    od;
    finished++
}

/* Sets the atlas up full, starts everyone, then close + join + destroy. */
init {
    byte i, c;

    d_step {
        i = 0;
        do
        :: i < NSLOTS ->
            live[i] = 1; sctx[i] = NWAITERS + 1 + i; gen[i] = 0;
            g_state[i] = G_LIVE; ever_live[NWAITERS + 1 + i] = 1;
            i++
        :: else -> break
        od;
        i = 0
    };
    atomic {
        i = 0;
        do
        :: i < NWAITERS -> run waiter(i); i++
        :: else -> break
        od;
        run freer();
#if CLOSE
        run closer();
#endif
#if DRAIN
        run drainer();
#endif
        i = 0;
        ready = 1
    };
#if MUTANT == 4
    /* mutant: the old contract, destroy with waiters outstanding: every
     * other call returned and every waiter returned or queued */
    close_done && freer_done && nsettled == NWAITERS;
#else
    finished == NPROC;                                       /* join everyone */
#endif
    d_step {                                                 /* destroy: visit the live */
        i = 0;
        do
        :: i < NSLOTS ->
            if
            :: live[i] ->
                assert(visited[sctx[i]] == 0);               /* each context once */
                visited[sctx[i]]++
            :: else -> skip
            fi;
            i++
        :: else -> break
        od;
        destroyed = 1;
        printf("P%d destroy: visited the live contexts\n", _pid)
    };
    finished == NPROC;
    d_step {                                                 /* ownership */
        i = 0;
        do
        :: i < NWAITERS ->
            c = i + 1;
            if
            :: rc[i] == R_OK && !drained[c] ->
                assert(live[wslot[i]] && sctx[wslot[i]] == c && gen[wslot[i]] == wgen[i]);
                assert(visited[c] == 1)
            :: rc[i] == R_OK && drained[c] ->                 /* drained after the grant */
                assert(visited[c] == 0)
            :: else ->
                assert(visited[c] == 0 && !ever_live[c] && !drained[c]);
                assert(CLOSE || TIMEOUT || DRAIN)            /* else: a lost wakeup */
            fi;
            i++
        :: else -> break
        od;
        i = 0;
        do
        :: i < NSLOTS ->
            c = NWAITERS + 1 + i;
            assert(freer_owns[c] + drained[c] + visited[c] == 1); /* exactly one owner */
            assert(g_state[i] == G_LIVE && live[i] ||        /* no slot lost or in hand */
                   g_state[i] == G_LISTED && !live[i] && (freemask >> i) & 1);
            i++
        :: else -> break
        od;
        assert(qlen == 0 && gcount == 0 && lock == 0)
    }
}
