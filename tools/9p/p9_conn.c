/* SPDX-License-Identifier: MIT */
/*
 * p9_conn.c - connection setup, sending, waiting, cancellation, teardown.
 *
 * ========================= Context lifetime (RCU) ==========================
 * The receiver maps a tag to its call and then reads the call (its type, the
 * size of its buffer) to check the reply before it tries to take the tag.
 * Meanwhile the calling thread may time out, win the tag as a tombstone and
 * return; the call's memory is the caller's (often its stack) and is reused
 * at once.  So the receiver may be reading a call that is no longer there.
 *
 * Chosen fix: liburcu (memb flavour).  The receiver maps and checks inside
 * rcu_read_lock; a cancelling thread that won its call back waits
 * synchronize_rcu() before it returns the memory to its caller.  Why RCU and
 * not a reference count:
 *   - a count taken after map is too late (the call can be gone before the
 *     increment), so it would have to be taken before associate and dropped
 *     by two parties on every request: two atomic read-modify-writes on a
 *     line shared by the submitter and the receiver, on the hot path;
 *   - RCU's read side is a thread-local counter, and its cost lands on the
 *     cancel path only, which is rare (and already waits for a timeout).
 * A sender that finds the connection closed and takes its own tag back
 * (p9_conn_send) waits the same way: the server may have answered the tag
 * before the request went out, and the receiver be reading the call.
 * Every other way a call ends needs no grace period: when the receiver won
 * it, the receiver is done with it before it signals; drain runs only on the
 * receiver thread after its last read-side section, or after the receiver
 * has been joined (p9_conn_shutdown), so no map can be in progress.
 *
 * ===================== Teardown: exactly one completion ====================
 * Every call in flight is in the tag table.  Whoever takes its tag (receiver
 * with a reply, canceller with a tombstone, drain, or the starter itself)
 * owns it and completes it; the table lets exactly one of them win.  A start
 * that races shutdown: `closed` is set under send_mu before the drain, and a
 * starter checks it under send_mu after associating.  If it saw "open", its
 * associate happened before the drain (send_mu orders them), so the drain
 * sees the call; if it saw "closed", it tries to take its own tag back and,
 * if a drain beat it, that drain completes the call.
 */
#include "p9_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "p9_conn_internal.h"
#include "p9_rcu.h"

#if defined(MIDATLAS_SANITIZE_THREAD)
pthread_rwlock_t p9_rcu_tsan_lock = PTHREAD_RWLOCK_INITIALIZER;
#endif

#define P9_DEFAULT_TAGS 256u
#define P9_DEFAULT_MSIZE (65536u + P9_IOHDRSZ)
#define P9_MIN_MSIZE 4096u
#define P9_DEFAULT_CALL_TIMEOUT 10000000000ll  /* 10 s */
#define P9_DEFAULT_FLUSH_TIMEOUT 5000000000ll  /* 5 s  */

uint64_t p9_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------ completion ------------------------------- */

static _Thread_local struct p9_waiter tl_waiter;

struct p9_waiter *p9_thread_waiter(void)
{
    if (!tl_waiter.ready) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines are monotonic */
        pthread_cond_init(&tl_waiter.cv, &ca);
        pthread_condattr_destroy(&ca);
        pthread_mutex_init(&tl_waiter.mu, NULL);
        tl_waiter.ready = true;
    }
    return &tl_waiter;
}

/* Called only by the party that took the call's tag, so once per call.  The
 * caller may reuse the call as soon as the mutex is released: nothing here
 * touches it after that. */
void p9_complete(struct p9_conn *c, struct p9_call *call, int status)
{
    struct p9_waiter *w = call->waiter;
    uint64_t t = p9_now_ns();
    (void)c;
    pthread_mutex_lock(&w->mu);
    call->status = status;
    call->t_done_ns = t;
    call->completions++;
    call->done = true;
    pthread_cond_signal(&w->cv); /* one thread owns a waiter */
    pthread_mutex_unlock(&w->mu);
}

/* ------------------------------- teardown -------------------------------- */

static void conn_free(struct p9_conn *c);

static void drain_visit(void *ctx, void *arg)
{
    struct p9_conn *c = arg;
    struct p9_call *call = ctx;
    if (call->is_flush) { /* ours alone; drain released its oldtag too */
        p9_flush_retire(c, call);
        return;
    }
    P9_COUNT(c, drained);
    p9_complete(c, call, -ECONNRESET);
}

/* Close for new sends, wake the receiver, complete what is in flight.
 * Runs on the receiver thread as it exits, or after it was joined. */
void p9_teardown(struct p9_conn *c)
{
    pthread_mutex_lock(&c->send_mu);
    c->closed = true;
    pthread_mutex_unlock(&c->send_mu);
    shutdown(c->fd, SHUT_RDWR);
    (void)c->tags.ops->drain(c->tags.t, drain_visit, c);
}

void p9_conn_fail(struct p9_conn *c, atomic_uint_fast64_t *why)
{
    pthread_mutex_lock(&c->send_mu);
    bool first = !c->closed;
    c->closed = true;
    pthread_mutex_unlock(&c->send_mu);
    if (first) /* one reason per connection: the first limit that fired */
        atomic_fetch_add_explicit(why, 1, memory_order_relaxed);
    shutdown(c->fd, SHUT_RDWR); /* the receiver's recv returns: it drains */
}

bool p9_conn_is_closed(struct p9_conn *c)
{
    pthread_mutex_lock(&c->send_mu);
    bool closed = c->closed;
    pthread_mutex_unlock(&c->send_mu);
    return closed;
}

void p9_conn_shutdown(struct p9_conn *c)
{
    /* life_mu: a second shutdown must not drain while the first is still
     * joining the receiver (a drain racing the receiver's map would hand a
     * call back to its owner while the receiver may still read it). */
    pthread_mutex_lock(&c->life_mu);
    atomic_store_explicit(&c->stopping, true, memory_order_relaxed);
    pthread_mutex_lock(&c->send_mu);
    c->closed = true;
    pthread_mutex_unlock(&c->send_mu);
    shutdown(c->fd, SHUT_RDWR); /* the receiver's recv returns 0 */
    if (c->rx_started) {
        pthread_join(c->rx, NULL);
        c->rx_started = false;
    }
    /* The receiver drained on its way out; starts that associated after that
     * drain but before they saw `closed` are caught here or take their tag
     * back themselves. */
    p9_teardown(c);
    pthread_mutex_unlock(&c->life_mu);
}

void p9_conn_close(struct p9_conn *c)
{
    if (!c)
        return;
    p9_conn_shutdown(c);
    close(c->fd);
    conn_free(c);
}

/* -------------------------------- sending -------------------------------- */

/* 0, or the errno that stopped the write.  EAGAIN: SO_SNDTIMEO ran out in
 * one send(), or the whole message took longer than flush_timeout (a server
 * that reads a byte at a time must not hold the send lock for ever). */
static int write_all(const struct p9_conn *c, const uint8_t *p, size_t n)
{
    uint64_t give_up = 0; /* the clock is read only once a send falls short */
    while (n > 0) {
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k < 0 ? errno : EPIPE;
        p += k;
        n -= (size_t)k;
        if (n > 0 && give_up == 0)
            give_up = p9_now_ns() + (uint64_t)c->flush_timeout_ns;
        else if (n > 0 && p9_now_ns() >= give_up)
            return EAGAIN;
    }
    return 0;
}

/* Write msg for call, associated to tag (passed apart: call may be freed by
 * the time we need the tag, see flush_send).  Returns 0 when the
 * call is in flight (a reply or a drain will complete it), -ECONNRESET when
 * the connection was closed and the caller has its tag back.  Once the last
 * byte is out the reply may come and the call be completed (a flush: freed)
 * before send() even returns, so msg must not live in a call that another
 * thread frees. */
int p9_conn_send(struct p9_conn *c, struct p9_call *call, uint16_t tag, const uint8_t *msg,
                 size_t len)
{
    pthread_mutex_lock(&c->send_mu);
    if (c->closed) {
        pthread_mutex_unlock(&c->send_mu);
        if (c->tags.ops->take(c->tags.t, tag, call) != 0)
            return 0; /* a drain took it and completes it */
        /* The receiver may have mapped the tag (a server can answer a tag
         * before its request goes out) and be reading the call: wait out
         * its read-side section before the caller gets the memory back. */
        p9_rcu_synchronize();
        return -ECONNRESET;
    }
    int err = write_all(c, msg, len);
    pthread_mutex_unlock(&c->send_mu);
    if (err == 0)
        P9_COUNT(c, sent);
    else /* the receiver tears down and drains, this call included */
        p9_conn_fail(c, err == EAGAIN || err == EWOULDBLOCK ? &c->ctr.send_stalled
                                                            : &c->ctr.peer_reset);
    return 0;
}

int p9_call_start(struct p9_conn *c, struct p9_call *call)
{
    if (call->tlen < P9_HDRSZ || call->tlen > sizeof call->tmsg)
        return -EINVAL;
    if (call->nwname > P9_MAXWELEM) /* an Rwalk holds no more qids (call->r) */
        return -EINVAL;
    /* Everything the receiver reads is written before associate publishes
     * the call (associate/map order it, see midatlas.h "Memory ordering"). */
    call->ttype = call->tmsg[4];
    call->is_flush = false;
    call->done = false;
    call->completions = 0;
    call->status = 0;
    call->waiter = p9_thread_waiter();
    call->t_submit_ns = p9_now_ns();
    uint16_t tag;
    int rc = c->tags.ops->associate(c->tags.t, call, &tag);
    if (rc != 0) {
        P9_COUNT(c, no_tag);
        return rc;
    }
    call->tag = tag;
    p9_put_le16(call->tmsg + 5, tag);
    return p9_conn_send(c, call, tag, call->tmsg, call->tlen); /* the caller's memory */
}

static struct timespec to_timespec(uint64_t ns)
{
    return (struct timespec){.tv_sec = (time_t)(ns / 1000000000u),
                             .tv_nsec = (long)(ns % 1000000000u)};
}

bool p9_wait_until(struct p9_call *call, uint64_t deadline_ns)
{
    struct p9_waiter *w = call->waiter;
    struct timespec deadline = to_timespec(deadline_ns);
    pthread_mutex_lock(&w->mu);
    while (!call->done) {
        if (deadline_ns == UINT64_MAX) /* only when a completer is certain */
            pthread_cond_wait(&w->cv, &w->mu);
        else if (pthread_cond_timedwait(&w->cv, &w->mu, &deadline) == ETIMEDOUT)
            break;
    }
    bool done = call->done;
    pthread_mutex_unlock(&w->mu);
    return done;
}

int p9_call_wait(struct p9_conn *c, struct p9_call *call, int64_t timeout_ns)
{
    if (timeout_ns < 0)
        timeout_ns = c->call_timeout_ns;
    /* measured from the start of the call */
    if (p9_wait_until(call, call->t_submit_ns + (uint64_t)timeout_ns))
        return call->status;
    return p9_cancel(c, call);
}

/* ------------------------------- connecting ------------------------------ */

static void set_timeout(int fd, int opt, uint64_t ns)
{
    struct timeval tv = {.tv_sec = (time_t)(ns / 1000000000u),
                         .tv_usec = (suseconds_t)(ns % 1000000000u / 1000u)};
    setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

/* Connect within timeout_ns (a non-blocking connect and a poll). */
static int tcp_connect(const char *host, uint16_t port, int64_t timeout_ns)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -EINVAL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    int e = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : errno;
    if (e == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        socklen_t len = sizeof e;
        int n = poll(&p, 1, (int)(timeout_ns / 1000000));
        if (n == 0)
            e = ETIMEDOUT;
        else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
            e = errno;
    }
    if (e != 0 || fcntl(fd, F_SETFL, 0) != 0) { /* blocking from here on */
        close(fd);
        return -(e ? e : errno);
    }
    int one = 1; /* small requests: do not wait to coalesce them */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* How often a blocked receiver wakes to check the deadlines: often enough
 * that a deadline is late by at most a quarter, rarely enough to cost
 * nothing (at most 10 wake-ups a second on an idle connection). */
static uint64_t rx_tick_ns(const struct p9_conn *c)
{
    uint64_t t = (uint64_t)c->flush_timeout_ns / 4;
    if (t > 100000000u)
        t = 100000000u;
    if (t < 1000000u)
        t = 1000000u;
    return t;
}

/* Tversion with NOTAG, before the receiver runs: the only exchange that is
 * synchronous on the socket and outside the tag table. */
static int negotiate(struct p9_conn *c)
{
    uint8_t msg[64];
    size_t n = p9_build_version(msg, sizeof msg, c->msize, "9P2000.L");
    c->handshake_deadline_ns = p9_now_ns() + (uint64_t)c->call_timeout_ns;
    if (write_all(c, msg, n) != 0)
        return -EIO;
    const uint8_t *r;
    uint32_t len, msize;
    char version[32];
    int got = p9_read_message(c, &r, &len);
    c->handshake_deadline_ns = 0;
    if (got == -3)
        return -ETIMEDOUT;
    if (got != 0)
        return -EPROTO;
    if (r[4] != P9_RVERSION || p9_get_le16(r + 5) != P9_NOTAG ||
        !p9_parse_version(r + P9_HDRSZ, len - P9_HDRSZ, &msize, version, sizeof version) ||
        strcmp(version, "9P2000.L") != 0 || msize > c->msize || msize < P9_MIN_MSIZE)
        return -EPROTO;
    c->msize = msize;
    return 0;
}

/* The options, defaults filled in; -EINVAL when out of range. */
static int settle_opts(struct p9_conn_opts *o)
{
    o->tags = o->tags ? o->tags : P9_DEFAULT_TAGS;
    o->msize = o->msize ? o->msize : P9_DEFAULT_MSIZE;
    o->call_timeout_ns = o->call_timeout_ns > 0 ? o->call_timeout_ns : P9_DEFAULT_CALL_TIMEOUT;
    o->flush_timeout_ns = o->flush_timeout_ns > 0 ? o->flush_timeout_ns
                                                  : P9_DEFAULT_FLUSH_TIMEOUT;
    if (!o->max_tombstones)
        o->max_tombstones = o->tags / 4 ? o->tags / 4 : 1;
    return o->msize < P9_MIN_MSIZE ? -EINVAL : 0;
}

static void conn_free(struct p9_conn *c)
{
    p9_tags_close(&c->tags);
    pthread_mutex_destroy(&c->send_mu);
    pthread_mutex_destroy(&c->life_mu);
    pthread_mutex_destroy(&c->flush_mu);
    free(c->rxbuf);
    free(c);
}

int p9_connect(struct p9_conn **out, const char *host, uint16_t port,
               const struct p9_conn_opts *opts)
{
    struct p9_conn_opts o = {0};
    if (opts)
        o = *opts;
    if (settle_opts(&o) != 0)
        return -EINVAL;
    struct p9_conn *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->msize = o.msize;
    c->call_timeout_ns = o.call_timeout_ns;
    c->flush_timeout_ns = o.flush_timeout_ns;
    c->max_tombstones = o.max_tombstones;
    int rc = p9_tags_open(&c->tags, o.atlas, o.tags);
    if (rc != 0) {
        free(c);
        return rc;
    }
    pthread_mutex_init(&c->send_mu, NULL);
    pthread_mutex_init(&c->life_mu, NULL);
    pthread_mutex_init(&c->flush_mu, NULL);
    atomic_init(&c->next_fid, 1);
    atomic_init(&c->stopping, false);
    atomic_init(&c->nflush, 0);
    c->rxcap = 2 * (size_t)c->msize;
    c->rxbuf = malloc(c->rxcap);
    c->fd = c->rxbuf ? tcp_connect(host, port, c->call_timeout_ns) : -ENOMEM;
    if (c->fd < 0) {
        rc = c->fd;
        conn_free(c);
        return rc;
    }
    /* No wait on the socket without an end: a send that blocks this long
     * means the server stopped reading; a recv wakes every tick to check
     * the deadlines (p9_recv.c). */
    set_timeout(c->fd, SO_SNDTIMEO, (uint64_t)c->flush_timeout_ns);
    set_timeout(c->fd, SO_RCVTIMEO, rx_tick_ns(c));
    rc = negotiate(c);
    if (rc == 0)
        rc = -pthread_create(&c->rx, NULL, p9_receiver_main, c);
    if (rc != 0) {
        close(c->fd);
        conn_free(c);
        return rc;
    }
    c->rx_started = true;
    *out = c;
    return 0;
}

/* -------------------------------- queries -------------------------------- */

#define LOAD(f) atomic_load_explicit(&c->ctr.f, memory_order_relaxed)

void p9_conn_counters(struct p9_conn *c, struct p9_counters *o)
{
    o->replies = LOAD(replies);
    o->sent = LOAD(sent);
    o->completed = LOAD(completed);
    o->flushes = LOAD(flushes);
    o->rflush = LOAD(rflush);
    o->late_dropped = LOAD(late_dropped);
    o->lost_race = LOAD(lost_race);
    o->unknown_tag = LOAD(unknown_tag);
    o->stale_tag = LOAD(stale_tag);
    o->notag = LOAD(notag);
    o->bad_reply = LOAD(bad_reply);
    o->bad_size = LOAD(bad_size);
    o->truncated = LOAD(truncated);
    o->drained = LOAD(drained);
    o->release_failed = LOAD(release_failed);
    o->no_tag = LOAD(no_tag);
    o->peer_reset = LOAD(peer_reset);
    o->send_stalled = LOAD(send_stalled);
    o->reset_flush_timeout = LOAD(reset_flush_timeout);
    o->flush_failed = LOAD(flush_failed);
    o->tombstone_peak = LOAD(tombstone_peak);
}

int64_t p9_conn_call_timeout(const struct p9_conn *c) { return c->call_timeout_ns; }

uint32_t p9_conn_msize(const struct p9_conn *c) { return c->msize; }
struct p9_tags *p9_conn_tags(struct p9_conn *c) { return &c->tags; }

uint32_t p9_conn_new_fid(struct p9_conn *c)
{
    return atomic_fetch_add_explicit(&c->next_fid, 1, memory_order_relaxed);
}
