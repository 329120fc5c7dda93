/* SPDX-License-Identifier: MIT */
/*
 * p9_conn.h - one 9P2000.L connection shared by many application threads.
 *
 * Shape: any number of threads start calls (p9_call_start) and wait for them
 * (p9_call_wait); writes go out under one send lock; one receiver thread
 * reads every reply, maps its tag to the call through the tag table
 * (p9_tags.h: midatlas or the mutex baseline) and completes the waiting
 * thread.  diod answers out of order, so nothing assumes reply order.
 *
 * Why a send lock and not a single writer thread: a writer thread costs a
 * queue and a wakeup (a context switch on this 2-core machine) per request;
 * with the lock, the submitting thread writes its own message with one
 * send() and holds the lock only for that call.  The tag is allocated
 * outside the lock, so the tag table is exercised by all submitters at once
 * (that concurrency is what the load comparison measures).
 *
 * Deadlines: every call has one (p9_call_wait's timeout, or the connection's
 * call_timeout when it passes < 0; the Tversion handshake has call_timeout
 * too), and no path waits on the network without one: sends give up after
 * flush_timeout (SO_SNDTIMEO), the receiver wakes at least every tick to
 * check the flush deadlines (SO_RCVTIMEO), and every limit below ends in a
 * reset, never in a wait.
 *
 * Cancellation: p9_call_wait with a timeout that expires turns the call's tag
 * into a tombstone, sends Tflush(oldtag) (the flush is asynchronous: the
 * receiver frees it on Rflush and only then releases oldtag, as 9P requires)
 * and returns -ETIMEDOUT.  A reply that arrives for a tombstone is counted
 * (late_dropped) and dropped.
 *
 * Tombstone policy (p9_flush.c): a server that does not answer Tflush must
 * not be able to take the tag table away.  So
 *   - at most max_tombstones tags (default tags/4) may wait for an Rflush at
 *     once: a timed-out call that would make one more waits for room;
 *   - each Tflush has flush_timeout (default 5 s) to be answered: when the
 *     oldest one is overdue the connection is reset;
 *   - a timed-out call that finds no free tag for its Tflush waits for one,
 *     or for its own reply, at most flush_timeout, then resets.
 * A reset completes every call in flight with -ECONNRESET (drain) and fails
 * every later one; the counters say which limit fired.
 *
 * Teardown: p9_conn_shutdown (or a broken stream) makes every call in flight
 * complete exactly once with -ECONNRESET; see p9_conn.c for the argument.
 */
#ifndef P9_CONN_H
#define P9_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "p9_tags.h"
#include "p9_wire.h"

#define P9_TMSG_MAX 1024u /* largest T-message a call carries (walk, attach) */

struct p9_waiter;

/* One request.  The caller owns the memory (it may live on the stack); it
 * must stay valid from p9_call_start until p9_call_wait has returned. */
struct p9_call {
    /* --- set by the caller before p9_call_start ------------------------ */
    uint8_t tmsg[P9_TMSG_MAX]; /* built with tag 0; start writes the tag   */
    uint32_t tlen;
    void *rdata;        /* Tread: where the data goes                        */
    uint32_t rdata_cap; /* Tread: the count asked for (Rread may not exceed) */
    uint16_t nwname;    /* Twalk: names asked for, at most P9_MAXWELEM       */

    /* --- results, valid once p9_call_wait returned ---------------------- */
    int status;         /* 0; > 0: Rlerror's errno; < 0: -ETIMEDOUT (flushed),
                           -ECONNRESET (connection gone), -EAGAIN (no tag)  */
    union {
        struct p9_qid qid;                                  /* Rattach     */
        struct { struct p9_qid qid; uint32_t iounit; } lopen;
        struct { uint16_t n; struct p9_qid qid[P9_MAXWELEM]; } walk;
        uint32_t count;                                     /* Rread       */
        struct p9_attr attr;                                /* Rgetattr    */
    } r;
    uint64_t t_submit_ns, t_done_ns; /* CLOCK_MONOTONIC; done set by completer */
    unsigned completions; /* how many times it was completed: must be 1 */

    /* --- private ------------------------------------------------------- */
    uint8_t ttype;
    uint16_t tag;
    bool is_flush;      /* a Tflush the client sent on its own             */
    uint16_t oldtag;    /* Tflush: the tombstone to release on Rflush      */
    bool done;          /* under waiter->mu                                 */
    struct p9_waiter *waiter;
};

/* Counters, all since the connection was opened.  Each bad-input case has
 * its own counter so tests can show which rule rejected what. */
struct p9_counters {
    uint64_t replies;        /* whole messages the receiver dispatched; each
                                lands in exactly one of completed, rflush,
                                late_dropped, lost_race, unknown_tag,
                                stale_tag, notag, bad_reply              */
    uint64_t sent;           /* T-messages written (flushes included)       */
    uint64_t completed;      /* calls completed by a reply                  */
    uint64_t flushes;        /* Tflush sent for timed-out calls             */
    uint64_t rflush;         /* Rflush received; oldtag released            */
    uint64_t late_dropped;   /* replies for a flushed tag (a tombstone)     */
    uint64_t lost_race;      /* replies whose call a canceller won first    */
    uint64_t unknown_tag;    /* replies for a tag with no call              */
    uint64_t stale_tag;      /* replies for an old generation of a tag      */
    uint64_t notag;          /* replies with NOTAG after the handshake      */
    uint64_t bad_reply;      /* type or body does not fit the call: dropped */
    uint64_t bad_size;       /* size < 7 or > msize: stream dropped         */
    uint64_t truncated;      /* peer closed inside a message               */
    uint64_t drained;        /* calls completed with -ECONNRESET            */
    uint64_t release_failed; /* Rflush for a tag that was not a tombstone    */
    uint64_t no_tag;         /* starts refused: every tag in use             */
    /* Why the connection ended, when the client did not end it itself (at
     * most one of these, plus bad_size or truncated, is ever counted): */
    uint64_t peer_reset;          /* the server closed or reset the stream     */
    uint64_t send_stalled;        /* a send blocked past flush_timeout         */
    uint64_t reset_flush_timeout; /* a Tflush went unanswered past its deadline*/
    uint64_t flush_failed;        /* a timed-out call got no tag for its Tflush
                                     within flush_timeout (or no memory)     */
    uint64_t tombstone_peak;      /* the most Tflush awaiting Rflush at once   */
};

struct p9_conn_opts {
    const char *atlas;  /* "midatlas" (default) or an impl.h name ("mutex") */
    uint32_t tags;      /* tag table capacity, default 256                  */
    uint32_t msize;     /* asked for in Tversion, default 65536 + 24         */
    int64_t call_timeout_ns;  /* deadline of the handshake and of waits given
                                 timeout < 0; default 10 s                  */
    int64_t flush_timeout_ns; /* how long a Tflush may go unanswered, a send
                                 block, a cancel wait for a Tflush tag;
                                 default 5 s                                 */
    uint32_t max_tombstones;  /* Tflush awaiting Rflush at once (more wait
                                 for room); default tags/4, at least 1      */
};

struct p9_conn;

/* Connect to host:port (numeric IPv4), negotiate 9P2000.L, start the
 * receiver.  0 or -errno (-EPROTO: the server does not speak 9P2000.L). */
int p9_connect(struct p9_conn **conn, const char *host, uint16_t port,
               const struct p9_conn_opts *opts);

/* Stop the connection: every call in flight completes with -ECONNRESET,
 * every later start fails with -ECONNRESET.  May run while other threads
 * start and wait for calls.  Idempotent. */
void p9_conn_shutdown(struct p9_conn *conn);

/* Shutdown, then free.  No other call on conn may run or follow. */
void p9_conn_close(struct p9_conn *conn);

/* Start a call: tmsg/tlen built, rdata/rdata_cap/nwname set when needed.
 * 0: in flight, wait for it.  -EAGAIN (no free tag), -ECONNRESET: not in
 * flight, do not wait (the memory is the caller's again: a grace period has
 * passed).  -EINVAL: tlen out of bounds, or nwname above P9_MAXWELEM. */
int p9_call_start(struct p9_conn *conn, struct p9_call *call);

/* Wait for a started call, from the thread that started it (completions
 * signal that thread's waiter); the deadline is timeout_ns after the start,
 * or the connection's call_timeout when timeout_ns < 0.  Returns
 * call->status.  On expiry the call is flushed and -ETIMEDOUT returned; the
 * memory is then free to reuse (a grace period has passed). */
int p9_call_wait(struct p9_conn *conn, struct p9_call *call, int64_t timeout_ns);

void p9_conn_counters(struct p9_conn *conn, struct p9_counters *out);
uint32_t p9_conn_msize(const struct p9_conn *conn);
struct p9_tags *p9_conn_tags(struct p9_conn *conn);
/* A fresh fid for this connection (fids are the client's to choose). */
uint32_t p9_conn_new_fid(struct p9_conn *conn);
/* True once the connection is shut down or broken. */
bool p9_conn_is_closed(struct p9_conn *conn);
/* The deadline p9_call_wait uses for timeout < 0. */
int64_t p9_conn_call_timeout(const struct p9_conn *conn);

uint64_t p9_now_ns(void);

#endif /* P9_CONN_H */
