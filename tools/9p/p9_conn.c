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
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static void drain_visit(void *ctx, void *arg)
{
    struct p9_conn *c = arg;
    struct p9_call *call = ctx;
    if (call->is_flush) { /* ours alone; drain released its oldtag too */
        free(call);
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
    p9_tags_close(&c->tags);
    close(c->fd);
    pthread_mutex_destroy(&c->send_mu);
    pthread_mutex_destroy(&c->life_mu);
    free(c->rxbuf);
    free(c);
}

/* -------------------------------- sending -------------------------------- */

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* Write msg for call, associated to tag (passed apart: call may be freed by
 * the time we need the tag, see flush_send).  Returns 0 when the
 * call is in flight (a reply or a drain will complete it), -ECONNRESET when
 * the connection was closed and the caller has its tag back.  Once the last
 * byte is out the reply may come and the call be completed (a flush: freed)
 * before send() even returns, so msg must not live in a call that another
 * thread frees. */
static int conn_send(struct p9_conn *c, struct p9_call *call, uint16_t tag, const uint8_t *msg,
                     size_t len)
{
    pthread_mutex_lock(&c->send_mu);
    if (c->closed) {
        pthread_mutex_unlock(&c->send_mu);
        if (c->tags.ops->take(c->tags.t, tag, call) == 0)
            return -ECONNRESET;
        return 0; /* a drain took it and completes it */
    }
    bool ok = write_all(c->fd, msg, len);
    pthread_mutex_unlock(&c->send_mu);
    if (!ok)
        shutdown(c->fd, SHUT_RDWR); /* the receiver tears down and drains */
    else
        P9_COUNT(c, sent);
    return 0;
}

int p9_call_start(struct p9_conn *c, struct p9_call *call)
{
    if (call->tlen < P9_HDRSZ || call->tlen > sizeof call->tmsg)
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
    return conn_send(c, call, tag, call->tmsg, call->tlen); /* the caller's memory */
}

/* Send Tflush(oldtag) on tag ftag, without waiting for Rflush: the receiver
 * releases oldtag and frees f when Rflush comes; a drain does both if it
 * never does.  f is published (bound to ftag) only now, fully written: a
 * bogus Rflush from a misbehaving peer can take and free it at once, so from
 * here on only the locals are used, never f's fields. */
static void flush_send(struct p9_conn *c, uint16_t ftag, uint16_t oldtag)
{
    const struct p9_tags_ops *ops = c->tags.ops;
    uint8_t msg[16]; /* on our stack, not in f */
    size_t len = p9_build_flush(msg, sizeof msg, ftag, oldtag);
    struct p9_call *f = calloc(1, sizeof *f);
    if (!f) {
        /* ftag stays reserved and oldtag a tombstone until drain. */
        P9_COUNT(c, flush_failed);
        return;
    }
    f->is_flush = true;
    f->ttype = P9_TFLUSH;
    f->tag = ftag;
    f->oldtag = oldtag;
    f->waiter = NULL; /* nobody waits: the receiver's release is the end */
    if (ops->reassociate_if(c->tags.t, ftag, P9_RESERVED, f) != 0) {
        free(f); /* a drain took the reservation (and released oldtag) */
        return;
    }
    P9_COUNT(c, flushes);
    if (conn_send(c, f, ftag, msg, len) != 0)
        free(f); /* closed, and we took its tag back; drain frees oldtag */
}

/* Wait for a call whose tag a completer (receiver, drain) has taken. */
static int wait_completed(struct p9_call *call)
{
    struct p9_waiter *w = call->waiter;
    pthread_mutex_lock(&w->mu);
    while (!call->done)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    return call->status;
}

/* The wait ran out.  Win the tag away from the completers, as a tombstone
 * flushed with Tflush or, when no tag is left for a Tflush, as an orphan
 * that the (then certain) reply releases.  If a completer won, wait for it. */
static int cancel(struct p9_conn *c, struct p9_call *call)
{
    const struct p9_tags_ops *ops = c->tags.ops;
    uint16_t ftag;
    /* Reserve the Tflush's tag first (bound to a marker that no reply can
     * complete), so that a tombstone never exists without a Tflush that
     * will release it. */
    if (ops->associate(c->tags.t, P9_RESERVED, &ftag) != 0) {
        if (ops->orphan(c->tags.t, call->tag, call) != 0)
            return wait_completed(call);
        P9_COUNT(c, flush_failed);
    } else if (ops->tombstone(c->tags.t, call->tag, call) != 0) {
        (void)ops->take(c->tags.t, ftag, P9_RESERVED); /* fails if drained */
        return wait_completed(call);
    } else {
        flush_send(c, ftag, call->tag);
    }
    /* The receiver may have mapped this call just before we won and still be
     * reading it; let that read-side section end before the caller reuses
     * the memory. */
    p9_rcu_synchronize();
    struct p9_waiter *w = call->waiter;
    pthread_mutex_lock(&w->mu);
    call->status = -ETIMEDOUT;
    call->completions++;
    call->done = true;
    pthread_mutex_unlock(&w->mu);
    return -ETIMEDOUT;
}

int p9_call_wait(struct p9_conn *c, struct p9_call *call, int64_t timeout_ns)
{
    struct p9_waiter *w = call->waiter;
    struct timespec deadline;
    if (timeout_ns >= 0) { /* measured from the start of the call */
        uint64_t d = call->t_submit_ns + (uint64_t)timeout_ns;
        deadline.tv_sec = (time_t)(d / 1000000000u);
        deadline.tv_nsec = (long)(d % 1000000000u);
    }
    pthread_mutex_lock(&w->mu);
    while (!call->done) {
        if (timeout_ns < 0)
            pthread_cond_wait(&w->cv, &w->mu);
        else if (pthread_cond_timedwait(&w->cv, &w->mu, &deadline) == ETIMEDOUT)
            break;
    }
    bool done = call->done;
    pthread_mutex_unlock(&w->mu);
    return done ? call->status : cancel(c, call);
}

/* ------------------------------- connecting ------------------------------ */

static int tcp_connect(const char *host, uint16_t port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -EINVAL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    int one = 1; /* small requests: do not wait to coalesce them */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Tversion with NOTAG, before the receiver runs: the only exchange that is
 * synchronous on the socket and outside the tag table. */
static int negotiate(struct p9_conn *c)
{
    uint8_t msg[64];
    size_t n = p9_build_version(msg, sizeof msg, c->msize, "9P2000.L");
    if (!write_all(c->fd, msg, n))
        return -EIO;
    const uint8_t *r;
    uint32_t len, msize;
    char version[32];
    if (p9_read_message(c, &r, &len) != 0)
        return -EPROTO;
    if (r[4] != P9_RVERSION || p9_get_le16(r + 5) != P9_NOTAG ||
        !p9_parse_version(r + P9_HDRSZ, len - P9_HDRSZ, &msize, version, sizeof version) ||
        strcmp(version, "9P2000.L") != 0 || msize > c->msize || msize < P9_MIN_MSIZE)
        return -EPROTO;
    c->msize = msize;
    return 0;
}

int p9_connect(struct p9_conn **out, const char *host, uint16_t port,
               const struct p9_conn_opts *opts)
{
    struct p9_conn_opts o = {0};
    if (opts)
        o = *opts;
    struct p9_conn *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->msize = o.msize ? o.msize : P9_DEFAULT_MSIZE;
    if (c->msize < P9_MIN_MSIZE) {
        free(c);
        return -EINVAL;
    }
    int rc = p9_tags_open(&c->tags, o.atlas, o.tags ? o.tags : P9_DEFAULT_TAGS);
    if (rc != 0) {
        free(c);
        return rc;
    }
    pthread_mutex_init(&c->send_mu, NULL);
    pthread_mutex_init(&c->life_mu, NULL);
    atomic_init(&c->next_fid, 1);
    atomic_init(&c->stopping, false);
    c->rxcap = 2 * (size_t)c->msize;
    c->rxbuf = malloc(c->rxcap);
    c->fd = c->rxbuf ? tcp_connect(host, port) : -ENOMEM;
    if (c->fd < 0) {
        rc = c->fd;
        goto fail;
    }
    rc = negotiate(c);
    if (rc == 0)
        rc = -pthread_create(&c->rx, NULL, p9_receiver_main, c);
    if (rc != 0) {
        close(c->fd);
        goto fail;
    }
    c->rx_started = true;
    *out = c;
    return 0;
fail:
    p9_tags_close(&c->tags);
    pthread_mutex_destroy(&c->send_mu);
    pthread_mutex_destroy(&c->life_mu);
    free(c->rxbuf);
    free(c);
    return rc;
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
    o->flush_failed = LOAD(flush_failed);
}

uint32_t p9_conn_msize(const struct p9_conn *c) { return c->msize; }
struct p9_tags *p9_conn_tags(struct p9_conn *c) { return &c->tags; }

uint32_t p9_conn_new_fid(struct p9_conn *c)
{
    return atomic_fetch_add_explicit(&c->next_fid, 1, memory_order_relaxed);
}
