/* SPDX-License-Identifier: MIT */
/*
 * wait.h - waiting for a MID (midatlas_associate_wait), FIFO handoff, and
 * closing an atlas (midatlas_close).
 *
 * The hooks the lock-free paths call are inline and cost one load of the
 * read-mostly gate word while nobody waits and the atlas is open.
 */
#ifndef MIDATLAS_WAIT_H
#define MIDATLAS_WAIT_H

#include <stdbool.h>

#include "atlas.h"

/* midatlas.c: take a MID for ctx now if one is free and nobody queued
 * earlier is owed it: OK, EFULL or ECLOSED. */
int midatlas__associate_now(struct midatlas *a, void *ctx, uint16_t *mid);

int midatlas__wait_init(struct midatlas *a);
void midatlas__wait_fini(struct midatlas *a);

/* Hand free MIDs to queued waiters, oldest first (takes the queue lock). */
void midatlas__wait_serve(struct midatlas *a);

/* Plain associate found the gate non-zero: ECLOSED when the atlas is
 * closed; else serve queued waiters first and answer OK when none is left
 * (the caller may take a MID without barging past anyone), EFULL if some
 * are still owed one. */
int midatlas__wait_gate(struct midatlas *a);

/* Wake every queued waiter with MIDATLAS_ECLOSED (close, and drain). */
void midatlas__wait_wake_all(struct midatlas *a);

/* Associate's check: relaxed, because barging protection is only owed to
 * waiters whose enqueue happened before this call started, and a close is
 * seen by every call that happens after it (coherence of one word). */
static inline bool wait_gate_shut(struct midatlas *a)
{
    return load32_relaxed(&a->gate) != 0;
}

/* Every path that just freed a slot calls this.  seq_cst load: the other
 * half of the Dekker pairing with wait.c's increment + fence (the free was a
 * seq_cst CAS on the slot word): if this reads no waiter, the waiter's sweep
 * will see our slot.  A closed atlas with nobody queued costs nothing more. */
static inline void wait_after_free(struct midatlas *a)
{
    if (__builtin_expect((load32_seq_cst(&a->gate) & GATE_WAITERS) != 0, 0))
        midatlas__wait_serve(a);
}

#endif /* MIDATLAS_WAIT_H */
