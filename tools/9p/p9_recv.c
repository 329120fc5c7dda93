/* SPDX-License-Identifier: MIT */
/*
 * p9_recv.c - the receiver thread: frames replies off the stream, checks
 * each against the call its tag maps to, and completes that call.
 *
 * Rules for input from the wire (each counted, see struct p9_counters):
 *   - size < 7 or > msize: the stream can no longer be framed; stop reading,
 *     tear the connection down (every waiting call gets -ECONNRESET once);
 *   - the peer closes inside a message: the same (truncated); between
 *     messages, or resets the stream: the same (peer_reset);
 *   - a Tflush unanswered past its deadline: the same (reset_flush_timeout;
 *     recv wakes every tick to check, see p9_conn.c);
 *   - a tag with no call (free, out of range, stale generation, NOTAG): the
 *     reply is dropped;
 *   - a tag that is a tombstone (the call was flushed): dropped as late;
 *   - a reply whose type or body does not fit the call it maps to (wrong
 *     R-type, Rread longer than asked, wrong body length): dropped; the call
 *     keeps waiting and times out, so it is never completed with bytes that
 *     may belong to another request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "p9_conn_internal.h"
#include "p9_rcu.h"

/* ------------------------------- framing --------------------------------- */

/* The stream is over for `why` (counted unless we closed it first: our own
 * shutdown makes the stream end anywhere, that is not the peer's fault). */
static int stream_error(struct p9_conn *c, atomic_uint_fast64_t *why)
{
    p9_conn_fail(c, why);
    return -2;
}

/* Before every recv, so at least once a tick (SO_RCVTIMEO): is a deadline
 * past? */
static int check_deadlines(struct p9_conn *c)
{
    if (c->handshake_deadline_ns && p9_now_ns() >= c->handshake_deadline_ns)
        return -3;
    if (p9_flush_overdue(c))
        return stream_error(c, &c->ctr.reset_flush_timeout);
    return 0;
}

int p9_read_message(struct p9_conn *c, const uint8_t **msg, uint32_t *len)
{
    for (;;) {
        size_t avail = c->rxlen - c->rxpos;
        if (avail >= 4) {
            uint32_t size = p9_get_le32(c->rxbuf + c->rxpos);
            if (size < P9_HDRSZ || size > c->msize)
                return stream_error(c, &c->ctr.bad_size);
            if (avail >= size) {
                *msg = c->rxbuf + c->rxpos;
                *len = size;
                c->rxpos += size;
                return 0;
            }
        }
        if (c->rxpos > 0) { /* make room: move the partial message down */
            memmove(c->rxbuf, c->rxbuf + c->rxpos, avail);
            c->rxlen = avail;
            c->rxpos = 0;
        }
        /* A server that answers calls but never Tflush keeps recv busy, so
         * the flush deadline is checked on data too (free when none waits). */
        int late = check_deadlines(c);
        if (late)
            return late;
        ssize_t n = recv(c->fd, c->rxbuf + c->rxlen, c->rxcap - c->rxlen, 0);
        if (n > 0) {
            c->rxlen += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue; /* a tick: the deadlines are checked above */
        if (n == 0 && avail > 0)
            return stream_error(c, &c->ctr.truncated);
        if (n == 0 && p9_conn_is_closed(c))
            return -1; /* our own shutdown */
        return stream_error(c, &c->ctr.peer_reset); /* EOF or ECONNRESET from the peer */
    }
}

/* ------------------------------- dispatch -------------------------------- */

/* A reply checked against its call, decoded on the receiver's stack before
 * the call is taken (so nothing is written into a call we do not own). */
struct reply {
    uint32_t ecode; /* Rlerror; 0 otherwise */
    union {
        struct p9_qid qid;
        struct { struct p9_qid qid; uint32_t iounit; } lopen;
        struct { uint16_t n; struct p9_qid qid[P9_MAXWELEM]; } walk;
        struct { uint32_t count; const uint8_t *data; } read;
        struct p9_attr attr;
    } u;
};

/* Does (type, body) fit the call?  Reads only fields set before associate. */
static bool decode_reply(const struct p9_call *call, uint8_t type, const uint8_t *b, size_t n,
                         struct reply *r)
{
    r->ecode = 0;
    if (type == P9_RLERROR) /* any request but Tflush may fail */
        return !call->is_flush && p9_parse_lerror(b, n, &r->ecode) && r->ecode != 0 &&
               r->ecode < 4096; /* an errno, as status > 0 */
    if (type != (uint8_t)(call->ttype + 1))
        return false;
    switch (type) {
    case P9_RREAD:
        return p9_parse_read(b, n, call->rdata_cap, &r->u.read.count, &r->u.read.data);
    case P9_RGETATTR:
        return p9_parse_getattr(b, n, &r->u.attr);
    case P9_RWALK:
        return p9_parse_walk(b, n, call->nwname, &r->u.walk.n, r->u.walk.qid);
    case P9_RLOPEN:
        return p9_parse_lopen(b, n, &r->u.lopen.qid, &r->u.lopen.iounit);
    case P9_RATTACH:
        return p9_parse_qid_reply(b, n, &r->u.qid);
    case P9_RCLUNK:
    case P9_RFLUSH:
        return n == 0;
    default:
        return false;
    }
}

/* Copy a decoded reply into the call, which we now own. */
static void deliver(struct p9_call *call, uint8_t type, const struct reply *r)
{
    switch (type) {
    case P9_RREAD:
        memcpy(call->rdata, r->u.read.data, r->u.read.count);
        call->r.count = r->u.read.count;
        break;
    case P9_RGETATTR: call->r.attr = r->u.attr; break;
    case P9_RWALK:
        call->r.walk.n = r->u.walk.n;
        memcpy(call->r.walk.qid, r->u.walk.qid, sizeof(struct p9_qid) * r->u.walk.n);
        break;
    case P9_RLOPEN:
        call->r.lopen.qid = r->u.lopen.qid;
        call->r.lopen.iounit = r->u.lopen.iounit;
        break;
    case P9_RATTACH: call->r.qid = r->u.qid; break;
    default: break;
    }
}

static void count_unmatched(struct p9_conn *c, enum p9_tagkind kind)
{
    switch (kind) {
    case P9_TAG_FLUSHED: P9_COUNT(c, late_dropped); break;
    case P9_TAG_STALE: P9_COUNT(c, stale_tag); break;
    default: P9_COUNT(c, unknown_tag); break;
    }
}

static void dispatch(struct p9_conn *c, const uint8_t *msg, uint32_t len)
{
    const struct p9_tags_ops *ops = c->tags.ops;
    uint8_t type = msg[4];
    uint16_t tag = p9_get_le16(msg + 5);
    enum p9_tagkind kind;
    struct reply r;

    P9_COUNT(c, replies);
    if (tag == P9_NOTAG) {
        P9_COUNT(c, notag);
        return;
    }
    /* Read-side section: `call` may be won by a canceller at any moment and
     * handed back to its owner; the canceller's synchronize_rcu waits for
     * this section to end before it does (see p9_conn.c, Context lifetime). */
    p9_rcu_read_lock();
    struct p9_call *call = ops->map(c->tags.t, tag, &kind);
    if (!call) {
        p9_rcu_read_unlock();
        count_unmatched(c, kind);
        return;
    }
    if (!decode_reply(call, type, msg + P9_HDRSZ, len - P9_HDRSZ, &r)) {
        p9_rcu_read_unlock();
        P9_COUNT(c, bad_reply);
        return;
    }
    if (ops->take(c->tags.t, tag, call) != 0) {
        /* A canceller (tombstone) or a drain got there between map and take. */
        p9_rcu_read_unlock();
        P9_COUNT(c, lost_race);
        return;
    }
    p9_rcu_read_unlock(); /* the call is ours now: nobody else can end it */

    if (call->is_flush) {
        if (ops->release(c->tags.t, call->oldtag) != 0)
            P9_COUNT(c, release_failed);
        P9_COUNT(c, rflush);
        p9_flush_retire(c, call);
        return;
    }
    deliver(call, type, &r);
    P9_COUNT(c, completed);
    p9_complete(c, call, (int)r.ecode);
}

void *p9_receiver_main(void *arg)
{
    struct p9_conn *c = arg;
    const uint8_t *msg;
    uint32_t len;

    p9_rcu_register();
    while (!atomic_load_explicit(&c->stopping, memory_order_relaxed) &&
           p9_read_message(c, &msg, &len) == 0)
        dispatch(c, msg, len);
    p9_rcu_unregister();
    /* Out of every read-side section: draining here cannot race a map. */
    p9_teardown(c);
    return NULL;
}
