// SPDX-License-Identifier: MIT
/*
 * p9_fake_policy.c - the fake server's policy script (see p9_fake_server.h):
 * it answers attach, walk, lopen, getattr, read, clunk and flush as a plain
 * 9P2000.L server would, adds the faults the policy names, and tallies what
 * it sent so that the tests can demand exact counts from the client.
 *
 * Sends here never abort the test: a hostile case often ends with the client
 * resetting the connection while the server is still writing.
 */
#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "p9_fake_server.h"
#include "p9_wire.h"

#define REPLY_MAX (FAKE_MSIZE + 64)
#define REORDER_WAIT_MS 20 /* how long a held-back reply waits for a next one */
#define BAD 666u           /* Rgetattr size in frames no call may receive */

struct held {
    uint16_t tag;
    uint8_t type;
    bool used;
};

struct pol {
    struct fake_server *s;
    const struct fake_policy *p;
    int fd;
    unsigned answered;             /* requests answered or held past setup */
    uint8_t later[REPLY_MAX];      /* reorder: the reply held back         */
    size_t later_len;
    struct held held[64];          /* hold: requests not answered yet      */
};

static bool put(struct pol *x, const uint8_t *b, size_t n)
{
    if (!x->p->byte_at_a_time) {
        return send(x->fd, b, n, MSG_NOSIGNAL) == (ssize_t)n;
    }
    for (size_t i = 0; i < n; i++)
        if (send(x->fd, b + i, 1, MSG_NOSIGNAL) != 1)
            return false;
    return true;
}

/* ------------------------------- replies ---------------------------------- */

static size_t qid_reply(uint8_t *b, uint8_t type, uint16_t tag, uint16_t nqid, bool iounit)
{
    struct p9_wbuf w;
    struct p9_qid q = {0x80, 0, 1};
    p9_w_init(&w, b, REPLY_MAX);
    p9_w_begin(&w, type, tag);
    if (type == P9_RWALK)
        p9_w_u16(&w, nqid);
    for (uint16_t i = 0; i < nqid; i++)
        p9_w_qid(&w, &q);
    if (iounit)
        p9_w_u32(&w, 0);
    return p9_w_finish(&w);
}

/* The plain answer to request (type, tag, body); counts the fids it opens
 * and closes so that a test can see every fid clunked. */
static size_t answer(struct pol *x, uint8_t type, uint16_t tag, const uint8_t *body,
                     uint32_t blen, uint8_t *b)
{
    static const uint8_t zeros[FAKE_MSIZE];
    switch (type) {
    case P9_TATTACH:
        x->s->tally.fids_open++;
        return qid_reply(b, P9_RATTACH, tag, 1, false);
    case P9_TWALK: {
        uint16_t n = blen >= 10 ? p9_get_le16(body + 8) : 0;
        if (blen >= 8 && p9_get_le32(body) != p9_get_le32(body + 4))
            x->s->tally.fids_open++; /* a new fid, not a walk in place */
        return qid_reply(b, P9_RWALK, tag, n, false);
    }
    case P9_TLOPEN: return qid_reply(b, P9_RLOPEN, tag, 1, true);
    case P9_TGETATTR: return fake_rgetattr(b, tag, 42);
    case P9_TREAD: {
        uint32_t n = blen >= 16 ? p9_get_le32(body + 12) : 0;
        return fake_rread(b, tag, zeros, n < 4096 ? n : 4096);
    }
    case P9_TCLUNK:
        x->s->tally.fids_open--;
        return fake_empty(b, P9_RCLUNK, tag);
    default: return fake_rlerror(b, tag, EOPNOTSUPP);
    }
}

/* The frames a faulty server slips in before a reply, each counted. */
static bool extras(struct pol *x, uint16_t tag)
{
    uint8_t b[256];
    bool ok = true;
    if (x->p->notag) {
        ok = ok && put(x, b, fake_rgetattr(b, P9_NOTAG, BAD));
        x->s->tally.notag++;
    }
    if (x->p->unknown) {
        ok = ok && put(x, b, fake_rgetattr(b, (uint16_t)(tag ^ 0x80), BAD));
        x->s->tally.unknown++;
    }
    if (x->p->wrong_type) { /* Rflush answers no request but Tflush */
        ok = ok && put(x, b, fake_empty(b, P9_RFLUSH, tag));
        x->s->tally.wrong_type++;
    }
    return ok;
}

/* ------------------------------- endings ---------------------------------- */

/* Meet the policy's ending with reply r; false when the script is over. */
static bool end_here(struct pol *x, const uint8_t *r, size_t n)
{
    uint8_t b[64];
    switch (x->p->end) {
    case FAKE_END_STALL: (void)put(x, r, n / 2); fake_drain_until_eof(x->fd); break;
    case FAKE_END_TRUNCATE:
        /* FIN after half a reply; keep reading, so that the close cannot
         * turn into an RST (unread data) that would hide the half. */
        (void)put(x, r, n / 2);
        shutdown(x->fd, SHUT_WR);
        fake_drain_until_eof(x->fd);
        break;
    case FAKE_END_RESET: {
        struct linger l = {1, 0}; /* close() then sends RST */
        setsockopt(x->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        break;
    }
    case FAKE_END_BAD_SIZE:
        memcpy(b, r, 7);
        p9_put_le32(b, 3);
        (void)put(x, b, 7);
        fake_drain_until_eof(x->fd);
        break;
    case FAKE_END_GARBAGE:
        memset(b, 0xA5, sizeof b); /* size 0xA5A5A5A5: beyond any msize */
        (void)put(x, b, sizeof b);
        fake_drain_until_eof(x->fd);
        break;
    case FAKE_END_NONE: break;
    }
    return false;
}

/* ------------------------------- flushes ---------------------------------- */

static struct held *find_held(struct pol *x, uint16_t tag)
{
    for (size_t i = 0; i < sizeof x->held / sizeof *x->held; i++)
        if (x->held[i].used && x->held[i].tag == tag)
            return &x->held[i];
    return NULL;
}

static bool send_late(struct pol *x, struct held *h)
{
    uint8_t r[REPLY_MAX];
    x->s->tally.late++;
    return put(x, r, answer(x, h->type, h->tag, NULL, 0, r));
}

static bool on_flush(struct pol *x, uint16_t ftag, const uint8_t *body, uint32_t blen)
{
    uint8_t b[64];
    struct held *h = blen == 2 ? find_held(x, p9_get_le16(body)) : NULL;
    bool ok = true;
    x->s->tally.flushes_seen++;
    if (h && x->p->late_first)
        ok = send_late(x, h);
    if (ok && !x->p->no_rflush) {
        ok = put(x, b, fake_empty(b, P9_RFLUSH, ftag));
        x->s->tally.rflush++;
    }
    if (ok && h && x->p->late_after)
        ok = send_late(x, h);
    if (h)
        h->used = false;
    return ok;
}

static bool hold(struct pol *x, uint8_t type, uint16_t tag)
{
    for (size_t i = 0; i < sizeof x->held / sizeof *x->held; i++)
        if (!x->held[i].used) {
            x->held[i] = (struct held){tag, type, true};
            return true;
        }
    return true; /* more held than a test makes: never answered */
}

/* ------------------------------- requests --------------------------------- */

/* Send reply r, or hold it back until the next one went out (reorder). */
static bool deliver(struct pol *x, uint8_t type, const uint8_t *r, size_t n)
{
    bool reorderable = x->p->reorder && (type == P9_TGETATTR || type == P9_TREAD);
    if (reorderable && x->later_len == 0) {
        memcpy(x->later, r, n);
        x->later_len = n;
        return true;
    }
    bool ok = put(x, r, n);
    if (ok && x->later_len) {
        ok = put(x, x->later, x->later_len);
        x->later_len = 0;
    }
    if (ok && x->p->dup && type != P9_TCLUNK) {
        ok = put(x, r, n);
        x->s->tally.dups++;
    }
    return ok;
}

static bool on_request(struct pol *x, uint8_t type, uint16_t tag, const uint8_t *body,
                       uint32_t blen)
{
    uint8_t r[REPLY_MAX];
    x->s->tally.requests++;
    if (type == P9_TFLUSH)
        return on_flush(x, tag, body, blen);
    if (x->s->tally.requests <= x->p->setup) { /* plain, whatever the policy */
        x->s->tally.replies++;
        return put(x, r, answer(x, type, tag, body, blen, r));
    }
    size_t n = x->p->lerror ? fake_rlerror(r, tag, EIO) : answer(x, type, tag, body, blen, r);
    if (x->p->end != FAKE_END_NONE && x->answered++ == x->p->end_after)
        return end_here(x, r, n);
    if (x->p->hold && type != P9_TCLUNK)
        return hold(x, type, tag);
    if (!extras(x, tag))
        return false;
    x->s->tally.replies++;
    return deliver(x, type, r, n);
}

/* A reply held back for reordering goes out when no request follows soon. */
static bool wait_request(struct pol *x)
{
    struct pollfd pfd = {.fd = x->fd, .events = POLLIN};
    while (x->later_len && poll(&pfd, 1, REORDER_WAIT_MS) == 0) {
        bool ok = put(x, x->later, x->later_len);
        x->later_len = 0;
        if (!ok)
            return false;
    }
    return true;
}

void fake_serve_policy(struct fake_server *s, int fd)
{
    static _Thread_local struct pol x; /* big: off the stack */
    uint8_t body[FAKE_MSIZE], type;
    uint16_t tag;
    uint32_t blen;
    int one = 1;
    memset(&x, 0, sizeof x);
    x = (struct pol){.s = s, .p = &s->policy, .fd = fd};
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    while (wait_request(&x) && fake_read_t(fd, &type, &tag, body, &blen) == 0)
        if (!on_request(&x, type, tag, body, blen))
            return;
}
