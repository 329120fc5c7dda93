/* SPDX-License-Identifier: MIT */
/*
 * t9p_fuzzwire.c - random reply streams against the real client.
 *
 * Each round, the fake server (p9_fake_server.c) answers the handshake and
 * then sends a seeded random stream: replies of every type the client knows
 * (and others) with tags near the live ones (old generations, NOTAG,
 * tombstones), bodies of the right shape or one byte off, occasionally raw
 * garbage or a size field out of range, and ends cleanly or in the middle of
 * a message.  Meanwhile the client keeps calls going on a 4-tag atlas with
 * short timeouts, so that replies race flushes, the tombstone policy's
 * resets and teardown.
 *
 * Checked, for every round: no crash (ASan/UBSan in the asan tree), every
 * call completes exactly once, a successful Tread never reports more bytes
 * than it asked for, and every message the receiver dispatched is counted
 * under exactly one outcome.
 *
 *   t9p_fuzzwire [ROUNDS [SEED]]      (default 300 rounds, fixed seed; ctest runs 1000)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "p9_check.h"
#include "p9_conn.h"
#include "p9_fake_server.h"
#include "p9_ops.h"

static uint64_t round_seed;
static struct p9_counters total; /* summed over rounds, printed at the end */

static uint64_t rnd(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A tag the client may hold: 4 slots (2 index bits), low generations. */
static uint16_t pick_tag(uint64_t *s)
{
    switch (rnd(s) % 8) {
    case 0: return P9_NOTAG;
    case 1: return (uint16_t)rnd(s);
    default: return (uint16_t)(rnd(s) % 64);
    }
}

/* What the server has seen the client send, so that half of its replies go
 * to tags the client really used (live, flushed, or already answered). */
struct seen {
    uint8_t in[1 << 16];
    size_t len;
    uint16_t tag[64];
    uint8_t type[64];
    unsigned n;
};

static void read_requests(struct seen *v, int fd)
{
    ssize_t k = recv(fd, v->in + v->len, sizeof v->in - v->len, MSG_DONTWAIT);
    if (k > 0)
        v->len += (size_t)k;
    size_t pos = 0;
    while (v->len - pos >= P9_HDRSZ) {
        uint32_t size = p9_get_le32(v->in + pos);
        if (size < P9_HDRSZ || size > v->len - pos)
            break;
        v->tag[v->n % 64] = p9_get_le16(v->in + pos + 5);
        v->type[v->n % 64] = v->in[pos + 4];
        v->n++;
        pos += size;
    }
    memmove(v->in, v->in + pos, v->len - pos);
    v->len -= pos;
}

/* One well-formed-or-nearly reply into m; returns its length. */
static size_t one_reply(uint64_t *s, uint8_t *m, const struct seen *v)
{
    static const uint8_t types[] = {P9_RGETATTR, P9_RREAD, P9_RWALK, P9_RLERROR, P9_RFLUSH,
                                    P9_RCLUNK, P9_RLOPEN, P9_RATTACH, 0, 255};
    uint8_t type = types[rnd(s) % sizeof types];
    uint16_t tag = pick_tag(s);
    if (v->n && rnd(s) % 2) { /* answer something the client sent */
        unsigned i = (unsigned)(v->n - 1 - rnd(s) % (v->n < 8 ? v->n : 8)) % 64;
        tag = v->tag[i];
        type = rnd(s) % 8 ? (uint8_t)(v->type[i] + 1) : P9_RLERROR;
    }
    size_t body;
    switch (type) {
    case P9_RGETATTR: body = P9_GETATTR_BODYSZ; break;
    case P9_RREAD: body = 4 + rnd(s) % 80; break;
    case P9_RWALK: body = 2 + P9_QIDSZ * (rnd(s) % 4); break;
    case P9_RLERROR: body = 4; break;
    case P9_RLOPEN: body = 17; break;
    case P9_RATTACH: body = 13; break;
    default: body = rnd(s) % 24; break;
    }
    if (rnd(s) % 6 == 0) /* one byte off either way */
        body = rnd(s) % 2 ? body + 1 : (body ? body - 1 : 0);
    m[4] = type;
    p9_put_le16(m + 5, tag);
    for (size_t i = 0; i < body; i++)
        m[P9_HDRSZ + i] = (uint8_t)rnd(s);
    /* Make the embedded counts mostly consistent, so deep paths are hit. */
    if (type == P9_RREAD && body >= 4)
        p9_put_le32(m + P9_HDRSZ, rnd(s) % 4 ? (uint32_t)(body - 4) : (uint32_t)rnd(s));
    if (type == P9_RWALK && body >= 2)
        p9_put_le16(m + P9_HDRSZ, rnd(s) % 4 ? (uint16_t)((body - 2) / P9_QIDSZ)
                                              : (uint16_t)rnd(s));
    if (type == P9_RLERROR && body == 4)
        p9_put_le32(m + P9_HDRSZ, (uint32_t)(rnd(s) % 3 ? 1 + rnd(s) % 200 : rnd(s)));
    p9_put_le32(m, (uint32_t)(P9_HDRSZ + body));
    return P9_HDRSZ + body;
}

static void script_random(struct fake_server *srv, int fd)
{
    uint64_t s = round_seed;
    uint8_t m[FAKE_MSIZE + 64];
    static struct seen v; /* one server at a time */
    unsigned n = 20 + (unsigned)(rnd(&s) % 200);
    (void)srv;
    v.len = 0;
    v.n = 0;
    for (unsigned i = 0; i < n; i++) {
        read_requests(&v, fd);
        size_t len = one_reply(&s, m, &v);
        unsigned r = (unsigned)(rnd(&s) % 200);
        if (r == 0) { /* garbage: the stream ends here for the client */
            for (size_t k = 0; k < 32; k++)
                m[k] = (uint8_t)rnd(&s);
            len = 32;
        } else if (r == 1) {
            p9_put_le32(m, (uint32_t)(rnd(&s) % 7)); /* size < 7 */
        } else if (r == 2) {
            p9_put_le32(m, FAKE_MSIZE + 1 + (uint32_t)(rnd(&s) % 1000)); /* > msize */
        }
        if (i == n - 1 && rnd(&s) % 2)
            len = 1 + rnd(&s) % len; /* close in the middle of a message */
        if (send(fd, m, len, MSG_NOSIGNAL) != (ssize_t)len)
            return;
        if (rnd(&s) % 8 == 0)
            nanosleep(&(struct timespec){0, (long)(rnd(&s) % 300000)}, NULL);
    }
    shutdown(fd, SHUT_WR);
    fake_drain_until_eof(fd); /* until the client tears down and closes */
}

struct slot {
    struct p9_call call;
    uint8_t buf[64];
    bool busy;
};

static void start(struct p9_conn *c, struct slot *sl, uint64_t *s)
{
    const char *names[] = {"a", "b"};
    memset(&sl->call, 0, sizeof sl->call);
    switch (rnd(s) % 3) {
    case 0: p9_prep_getattr(&sl->call, 1); break;
    case 1: p9_prep_read(&sl->call, 1, 0, sl->buf, (uint32_t)(rnd(s) % sizeof sl->buf)); break;
    default:
        sl->call.nwname = 2;
        sl->call.tlen = (uint32_t)p9_build_walk(sl->call.tmsg, sizeof sl->call.tmsg, 0, 1, 2, 2,
                                                names);
        break;
    }
    int rc = p9_call_start(c, &sl->call);
    CHECK(rc == 0 || rc == -EAGAIN || rc == -ECONNRESET, "start: %d", rc);
    sl->busy = rc == 0;
}

static void one_round(unsigned round)
{
    struct fake_server srv;
    struct slot slots[4];
    uint64_t s = round_seed ^ 0xABCDEF;
    memset(slots, 0, sizeof slots);
    fake_start(&srv, script_random);
    struct p9_conn *c;
    /* Two tombstones at most and short flush deadlines: the policy's resets
     * race replies too, and a cancel waits for a Tflush tag only briefly. */
    struct p9_conn_opts o = {.atlas = "midatlas", .tags = 4, .max_tombstones = 2,
                             .flush_timeout_ns = 20000000};
    CHECK(p9_connect(&c, "127.0.0.1", srv.port, &o) == 0, "connect");
    for (unsigned it = 0; it < 400 && !p9_conn_is_closed(c); it++) {
        struct slot *sl = &slots[it % 4];
        if (sl->busy) {
            int rc = p9_call_wait(c, &sl->call, (int64_t)(rnd(&s) % 3000000));
            CHECK(sl->call.completions == 1, "round %u: call completed %u times", round,
                  sl->call.completions);
            if (rc == 0 && sl->call.ttype == P9_TREAD)
                CHECK(sl->call.r.count <= sl->call.rdata_cap, "Rread longer than asked");
            sl->busy = false;
        }
        start(c, sl, &s);
    }
    p9_conn_shutdown(c);
    for (unsigned i = 0; i < 4; i++) {
        if (!slots[i].busy)
            continue;
        p9_call_wait(c, &slots[i].call, -1); /* drained: must not hang */
        CHECK(slots[i].call.completions == 1, "round %u: drained call completed %u times",
              round, slots[i].call.completions);
    }
    struct p9_counters k;
    p9_conn_counters(c, &k);
    uint64_t sum = k.completed + k.rflush + k.late_dropped + k.lost_race + k.unknown_tag +
                   k.stale_tag + k.notag + k.bad_reply;
    CHECK(sum == k.replies, "round %u: %llu messages dispatched, %llu accounted", round,
          (unsigned long long)k.replies, (unsigned long long)sum);
    total.replies += k.replies;
    total.completed += k.completed;
    total.bad_reply += k.bad_reply;
    total.stale_tag += k.stale_tag;
    total.unknown_tag += k.unknown_tag;
    total.late_dropped += k.late_dropped;
    total.flushes += k.flushes;
    total.flush_failed += k.flush_failed;
    total.drained += k.drained;
    total.bad_size += k.bad_size;
    total.truncated += k.truncated;
    total.notag += k.notag;
    p9_conn_close(c);
    fake_join(&srv);
}

int main(int argc, char **argv)
{
    unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 300;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x5EED9F00ull;
    alarm(120);
    printf("t9p_fuzzwire: %u rounds, seed 0x%llx\n", rounds, (unsigned long long)seed);
    fflush(stdout);
    for (unsigned r = 0; r < rounds; r++) {
        round_seed = seed + r;
        one_round(r);
    }
    printf("t9p_fuzzwire: replies=%llu completed=%llu bad_reply=%llu stale=%llu unknown=%llu "
           "notag=%llu late=%llu flushes=%llu no_flush_tag=%llu drained=%llu bad_size=%llu "
           "truncated=%llu\n",
           (unsigned long long)total.replies, (unsigned long long)total.completed,
           (unsigned long long)total.bad_reply, (unsigned long long)total.stale_tag,
           (unsigned long long)total.unknown_tag, (unsigned long long)total.notag,
           (unsigned long long)total.late_dropped, (unsigned long long)total.flushes,
           (unsigned long long)total.flush_failed, (unsigned long long)total.drained,
           (unsigned long long)total.bad_size, (unsigned long long)total.truncated);
    CHECK(total.completed > 0 && total.bad_reply > 0 && total.stale_tag + total.unknown_tag > 0,
          "the random streams did not reach the client's paths");
    printf("t9p_fuzzwire: ok\n");
    return 0;
}
