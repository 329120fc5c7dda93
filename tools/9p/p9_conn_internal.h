/* SPDX-License-Identifier: MIT */
/*
 * p9_conn_internal.h - what the connection, the receiver and the completion
 * code share.  Not for users of the client.
 */
#ifndef P9_CONN_INTERNAL_H
#define P9_CONN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p9_conn.h"

/* Per-thread completion point: a thread's calls all signal its waiter. */
struct p9_waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool ready;
};

/* Counters are statistics: relaxed increments, relaxed reads, no ordering
 * is implied by them (most are written by the receiver only). */
struct p9_atomic_counters {
    atomic_uint_fast64_t replies, sent, completed, flushes, rflush, late_dropped, lost_race,
        unknown_tag, stale_tag, notag, bad_reply, bad_size, truncated, drained,
        release_failed, no_tag, peer_reset, send_stalled, reset_flush_timeout,
        flush_failed, tombstone_peak;
};
#define P9_COUNT(c, field) atomic_fetch_add_explicit(&(c)->ctr.field, 1, memory_order_relaxed)

struct p9_conn {
    int fd;
    uint32_t msize;
    struct p9_tags tags;

    pthread_mutex_t send_mu; /* serializes writes; guards `closed`          */
    bool closed;             /* under send_mu: no call may go out any more  */

    pthread_mutex_t life_mu; /* serializes p9_conn_shutdown calls          */
    /* Set by p9_conn_shutdown so that the receiver stops dispatching replies
     * already buffered: a hint (relaxed), correctness never depends on it. */
    atomic_bool stopping;
    pthread_t rx;
    bool rx_started;         /* under life_mu once the connection is out  */

    /* Receiver-only reading state: a buffer of 2 * msize so that one recv
     * usually brings several replies. */
    uint8_t *rxbuf;
    size_t rxcap, rxlen, rxpos;

    atomic_uint next_fid; /* relaxed: uniqueness only                         */
    struct p9_atomic_counters ctr;

    /* Deadlines (fixed at connect). */
    int64_t call_timeout_ns, flush_timeout_ns;
    uint64_t handshake_deadline_ns; /* receive side of Tversion; 0 after it */

    /* Tflush awaiting Rflush, oldest first (the tombstone policy,
     * p9_flush.c).  The list and nflush change under flush_mu only;
     * nflush is also read without it, relaxed, as the receiver's cheap
     * "anything to check?" hint (a stale hint delays a check by one tick). */
    pthread_mutex_t flush_mu;
    struct p9_flush *fhead, *ftail;
    atomic_uint nflush;
    uint32_t max_tombstones;
};

/* A Tflush the client sent on its own: the tag table holds &call (first,
 * so the receiver and drain can hand it to p9_flush_retire). */
struct p9_flush {
    struct p9_call call;
    struct p9_flush *prev, *next;
    uint64_t deadline_ns; /* reset the connection if no Rflush by then */
};

/* p9_recv.c */
void *p9_receiver_main(void *arg);
/* Read one whole message into the receive buffer: 0 and the message (msg, len), or
 * -1 at a clean EOF between messages, or -2 after counting what was wrong
 * (bad size, truncated, peer reset, a Tflush past its deadline), or -3 when
 * the handshake deadline passed. */
int p9_read_message(struct p9_conn *c, const uint8_t **msg, uint32_t *len);

/* p9_conn.c */
void p9_complete(struct p9_conn *c, struct p9_call *call, int status);
void p9_teardown(struct p9_conn *c);
struct p9_waiter *p9_thread_waiter(void);
/* Write msg for call on tag: 0 in flight, -ECONNRESET closed (tag taken back). */
int p9_conn_send(struct p9_conn *c, struct p9_call *call, uint16_t tag, const uint8_t *msg,
                 size_t len);
/* Close the connection because of `why` (counted only if it was still open):
 * the receiver wakes, tears down and drains. */
void p9_conn_fail(struct p9_conn *c, atomic_uint_fast64_t *why);
/* Wait until the call is completed or `deadline_ns` passes: true if done. */
bool p9_wait_until(struct p9_call *call, uint64_t deadline_ns);

/* p9_flush.c: cancellation and the tombstone policy */
/* The wait for call ran out: flush it, or reset.  Returns its status. */
int p9_cancel(struct p9_conn *c, struct p9_call *call);
/* A Tflush ended (Rflush, drain, or never sent): unlink and free it. */
void p9_flush_retire(struct p9_conn *c, struct p9_call *flush);
/* True when the oldest Tflush is past its deadline. */
bool p9_flush_overdue(struct p9_conn *c);

#endif /* P9_CONN_INTERNAL_H */
