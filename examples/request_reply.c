/* SPDX-License-Identifier: MIT */
/*
 * request_reply.c - a request/reply transport on one connection, reduced to
 * what midatlas does in it:
 *
 *   send     associate a request with a MID, put the MID on the wire
 *   receive  map the reply's MID back to its request and complete it, once
 *   timeout  a periodic scan (midatlas_foreach) finds requests past their
 *            deadline; each is discarded: its MID becomes a tombstone, so a
 *            late reply is recognised (EDISCARDED) instead of completing
 *            whichever new request reused the MID; the late reply releases
 *            the tombstone.
 *
 * The "server" answers most requests after 2 ticks, answers every 7th only
 * after 9 ticks (after its 5-tick timeout: a late reply) and never answers
 * every 11th.  Time is a tick counter, so the run is the same on every
 * machine.  In a real transport the receiver is its own thread; every call
 * used here may run concurrently with the others.
 *
 *   cc request_reply.c $(pkg-config --cflags --libs midatlas) -o request_reply
 */
#include <midatlas.h>

#include <stdio.h>
#include <stdlib.h>

#define REQUESTS 200u
#define TIMEOUT_TICKS 5u

struct request {
    unsigned id;
    unsigned deadline; /* tick after which the reply is given up */
    int done;          /* completed by its reply */
    int timed_out;     /* given up by the timeout scan */
};

/* One reply in flight on the simulated wire. */
struct reply {
    uint16_t mid;
    unsigned due; /* tick it arrives */
};

struct conn {
    struct midatlas *atlas;
    unsigned now;
    struct reply wire[REQUESTS];
    unsigned nwire;
    unsigned completed, timed_out, late;
};

static void send_request(struct conn *c, struct request *rq)
{
    uint16_t mid;
    rq->deadline = c->now + TIMEOUT_TICKS;
    if (midatlas_associate(c->atlas, rq, &mid) != MIDATLAS_OK) {
        fprintf(stderr, "request_reply: no MID for request %u\n", rq->id);
        exit(1);
    }
    if (rq->id % 11 == 10)
        return; /* the server never answers this one */
    unsigned delay = rq->id % 7 == 6 ? TIMEOUT_TICKS + 4 : 2;
    c->wire[c->nwire++] = (struct reply){mid, c->now + delay};
}

/* A reply arrived: complete its request, or recognise it as late. */
static void receive(struct conn *c, uint16_t mid)
{
    void *ctx;
    int rc = midatlas_dissociate(c->atlas, mid, &ctx);
    if (rc == MIDATLAS_OK) {
        ((struct request *)ctx)->done = 1;
        c->completed++;
    } else if (rc == MIDATLAS_EDISCARDED) {
        /* The request timed out and its MID was kept out of circulation
         * for exactly this reply: now the MID can be reused. */
        midatlas_release(c->atlas, mid);
        c->late++;
    } else {
        printf("reply for MID 0x%04x ignored: %s\n", (unsigned)mid, midatlas_strerror(rc));
    }
}

/* midatlas_foreach's visitor: remember the MIDs past their deadline.  It
 * only reads; the discards happen after the scan. */
struct expired {
    unsigned now, n;
    uint16_t mids[REQUESTS];
};

static void find_expired(void *ctx, uint16_t mid, void *arg)
{
    struct expired *e = arg;
    if (((struct request *)ctx)->deadline < e->now)
        e->mids[e->n++] = mid;
}

static void timeout_scan(struct conn *c)
{
    struct expired e = {.now = c->now, .n = 0};
    midatlas_foreach(c->atlas, find_expired, &e);
    for (unsigned i = 0; i < e.n; i++) {
        void *ctx;
        /* The reply may have won meanwhile (another thread, in a real
         * transport): then discard answers EFREE or ESTALE and the request
         * is already complete. */
        if (midatlas_discard(c->atlas, e.mids[i], &ctx) == MIDATLAS_OK) {
            ((struct request *)ctx)->timed_out = 1;
            c->timed_out++;
        }
    }
}

static void deliver_due_replies(struct conn *c)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < c->nwire; i++) {
        if (c->wire[i].due <= c->now)
            receive(c, c->wire[i].mid);
        else
            c->wire[kept++] = c->wire[i];
    }
    c->nwire = kept;
}

int main(void)
{
    static struct request rq[REQUESTS];
    struct conn c = {0};
    if (midatlas_create(&c.atlas, 64, MIDATLAS_F_9P) != MIDATLAS_OK)
        return 1;

    unsigned sent = 0;
    while (sent < REQUESTS || c.nwire > 0 || c.completed + c.timed_out < REQUESTS) {
        for (unsigned k = 0; k < 4 && sent < REQUESTS; k++, sent++) {
            rq[sent].id = sent;
            send_request(&c, &rq[sent]);
        }
        deliver_due_replies(&c);
        timeout_scan(&c);
        c.now++;
    }

    struct midatlas_stats st;
    midatlas_stats(c.atlas, &st);
    printf("%u requests: %u completed, %u timed out (%u late replies released), "
           "%u MIDs live, %u tombstones after %u ticks\n",
           REQUESTS, c.completed, c.timed_out, c.late, st.live, st.discarded, c.now);
    midatlas_destroy(c.atlas, NULL, NULL);

    /* Every request ended exactly one way, every late reply found its
     * tombstone, and the tombstones left are the requests never answered
     * (a real transport releases those when it drops the connection). */
    unsigned both = 0;
    for (unsigned i = 0; i < REQUESTS; i++)
        both += rq[i].done && rq[i].timed_out;
    int ok = c.completed + c.timed_out == REQUESTS && both == 0 && c.late > 0 &&
             st.live == 0 && c.timed_out == c.late + st.discarded;
    return ok ? 0 : 1;
}
