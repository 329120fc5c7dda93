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
        release_failed, no_tag, flush_failed;
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
};

/* p9_recv.c */
void *p9_receiver_main(void *arg);
/* Read one whole message into the receive buffer: 0 and the message (msg, len), or
 * -1 at a clean EOF between messages, or -2 after counting what was wrong
 * (bad size, truncated, I/O error). */
int p9_read_message(struct p9_conn *c, const uint8_t **msg, uint32_t *len);

/* p9_conn.c */
void p9_complete(struct p9_conn *c, struct p9_call *call, int status);
void p9_teardown(struct p9_conn *c);
struct p9_waiter *p9_thread_waiter(void);

#endif /* P9_CONN_INTERNAL_H */
