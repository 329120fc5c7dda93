/*
 * wait.h - waiting for a MID (midatlas_associate_wait) and FIFO handoff.
 *
 * The hooks the lock-free paths call are inline and cost one load of the
 * read-mostly nwaiters word while nobody waits.
 */
#ifndef MIDATLAS_WAIT_H
#define MIDATLAS_WAIT_H

#include <stdbool.h>

#include "atlas.h"

/* midatlas.c: take a MID for ctx now if one is free and nobody queued
 * earlier is owed it. */
bool midatlas__associate_now(struct midatlas *a, void *ctx, uint16_t *mid);

int midatlas__wait_init(struct midatlas *a);
void midatlas__wait_fini(struct midatlas *a);

/* Hand free MIDs to queued waiters, oldest first (takes the queue lock). */
void midatlas__wait_serve(struct midatlas *a);

/* Plain associate found waiters queued: serve them first; true when none is
 * left, so the caller may take a MID without barging past anyone. */
bool midatlas__wait_gate(struct midatlas *a);

/* Wake every waiter with MIDATLAS_ECLOSED (drain).  With `destroying`, also
 * refuse new waiters and return only once every waiter has left the atlas. */
void midatlas__wait_close_all(struct midatlas *a, bool destroying);

/* Associate's check: relaxed, because barging protection is only owed to
 * waiters whose enqueue happened before this call started. */
static inline bool wait_anyone(struct midatlas *a)
{
    return load32_relaxed(&a->nwaiters) != 0;
}

/* Every path that just pushed a slot calls this.  seq_cst load: the other
 * half of the Dekker pairing with wait.c's increment + fence (the push was a
 * seq_cst CAS): if this reads 0, the waiter's sweep will see our slot. */
static inline void wait_after_free(struct midatlas *a)
{
    if (__builtin_expect(load32_seq_cst(&a->nwaiters) != 0, 0))
        midatlas__wait_serve(a);
}

#endif /* MIDATLAS_WAIT_H */
