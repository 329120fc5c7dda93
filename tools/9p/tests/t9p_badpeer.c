/* SPDX-License-Identifier: MIT */
/*
 * t9p_badpeer.c - bad input from the wire, one case per misbehaviour, each
 * against the misbehaving loopback server (p9_fake_server.c) and the real
 * client on midatlas.  Every case checks three things: the client counted
 * the bad input under the right counter, it completed no call with bytes
 * that were not that call's reply, and it did not crash or hang.
 *
 * Replies are told apart by the size field of Rgetattr: each reply a script
 * sends carries a different size, so a misdelivery shows as a wrong size.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "p9_check.h"
#include "p9_conn.h"
#include "p9_fake_server.h"
#include "p9_ops.h"

#define SEC 1000000000ll
#define GOOD 42u /* size in the reply the call should get */
#define BAD 666u /* size in replies it must never get     */

/* --------------------------------- helpers -------------------------------- */

static struct p9_conn *connect_fake_tags(struct fake_server *s, uint32_t tags)
{
    struct p9_conn *c;
    struct p9_conn_opts o = {.atlas = "midatlas", .tags = tags};
    int rc = p9_connect(&c, "127.0.0.1", s->port, &o);
    CHECK(rc == 0, "connect to fake server: %d", rc);
    return c;
}

static struct p9_conn *connect_fake(struct fake_server *s)
{
    return connect_fake_tags(s, 256);
}

static void finish(struct fake_server *s, struct p9_conn *c)
{
    p9_conn_close(c);
    fake_join(s);
    CHECK(!s->failed, "fake server: %s", s->why);
}

static struct p9_counters counters(struct p9_conn *c)
{
    struct p9_counters k;
    p9_conn_counters(c, &k);
    return k;
}

/* Wait until pred holds on the counters (replies are processed async). */
#define WAIT_FOR(c, expr)                                                       \
    do {                                                                        \
        for (int i_ = 0; i_ < 500; i_++) {                                      \
            struct p9_counters k = counters(c);                                 \
            if (expr)                                                           \
                break;                                                          \
            nanosleep(&(struct timespec){0, 10000000}, NULL);                   \
        }                                                                       \
    } while (0)

/* Server side: expect one T-message of `type`, return its tag. */
#define EXPECT_T(s, fd, want, tagp)                                             \
    do {                                                                        \
        uint8_t ty_, b_[FAKE_MSIZE];                                            \
        uint32_t n_;                                                            \
        FAKE_EXPECT(s, fake_read_t(fd, &ty_, (tagp), b_, &n_) == 0 && ty_ == (want), \
                    "expected %s", p9_type_name(want));                         \
    } while (0)

static void send_getattr(int fd, uint16_t tag, uint64_t size)
{
    uint8_t m[256];
    fake_send(fd, m, fake_rgetattr(m, tag, size));
}

/* ------------------------------ unknown tag ------------------------------- */

static void script_unknown(struct fake_server *s, int fd)
{
    uint16_t t;
    EXPECT_T(s, fd, P9_TGETATTR, &t);
    send_getattr(fd, (uint16_t)(t ^ 0x80), BAD); /* another slot: free */
    send_getattr(fd, t, GOOD);
    fake_drain_until_eof(fd);
}

static void test_unknown_tag(void)
{
    struct fake_server s;
    fake_start(&s, script_unknown);
    struct p9_conn *c = connect_fake(&s);
    struct p9_attr a;
    int rc = p9_getattr(c, 1, &a, 5 * SEC);
    CHECK(rc == 0 && a.size == GOOD, "call got rc=%d size=%llu", rc, (unsigned long long)a.size);
    struct p9_counters k = counters(c);
    CHECK(k.unknown_tag == 1 && k.completed == 1, "unknown_tag=%llu completed=%llu",
          (unsigned long long)k.unknown_tag, (unsigned long long)k.completed);
    finish(&s, c);
}

/* ---------------------------- duplicated reply ---------------------------- */

static void script_duplicate(struct fake_server *s, int fd)
{
    uint16_t a, b;
    EXPECT_T(s, fd, P9_TGETATTR, &a);
    send_getattr(fd, a, 1);
    EXPECT_T(s, fd, P9_TGETATTR, &b);
    s->tags[0] = a;
    s->tags[1] = b;
    send_getattr(fd, a, BAD); /* the duplicate, while b is live */
    send_getattr(fd, b, 2);
    fake_drain_until_eof(fd);
}

static void test_duplicate(void)
{
    struct fake_server s;
    fake_start(&s, script_duplicate);
    /* One tag: the second call must reuse the first call's slot, so the
     * duplicate carries an old generation of a live tag - the case a table
     * without generations would deliver to the second call. */
    struct p9_conn *c = connect_fake_tags(&s, 1);
    struct p9_attr a;
    CHECK(p9_getattr(c, 1, &a, 5 * SEC) == 0 && a.size == 1, "first call");
    CHECK(p9_getattr(c, 1, &a, 5 * SEC) == 0 && a.size == 2, "second call got size %llu",
          (unsigned long long)a.size);
    struct p9_counters k = counters(c);
    CHECK(k.stale_tag == 1 && k.unknown_tag == 0 && k.completed == 2,
          "stale=%llu unknown=%llu", (unsigned long long)k.stale_tag,
          (unsigned long long)k.unknown_tag);
    printf("duplicate: tags 0x%04x then 0x%04x, stale=%llu unknown=%llu\n", s.tags[0], s.tags[1],
           (unsigned long long)k.stale_tag, (unsigned long long)k.unknown_tag);
    finish(&s, c);
}

/* --------------------------- reply for a flushed tag ----------------------- */

static void script_flushed(struct fake_server *s, int fd)
{
    uint16_t a, f, c2;
    uint8_t ty, b[FAKE_MSIZE], m[64];
    uint32_t n;
    EXPECT_T(s, fd, P9_TGETATTR, &a);
    FAKE_EXPECT(s, fake_read_t(fd, &ty, &f, b, &n) == 0 && ty == P9_TFLUSH && n == 2,
                "expected Tflush");
    FAKE_EXPECT(s, p9_get_le16(b) == a, "Tflush oldtag 0x%04x, call had 0x%04x",
                p9_get_le16(b), a);
    send_getattr(fd, a, BAD);             /* the late reply: must be dropped  */
    fake_send(fd, m, fake_empty(m, P9_RFLUSH, f));
    EXPECT_T(s, fd, P9_TGETATTR, &c2);    /* next call                        */
    send_getattr(fd, a, BAD);             /* a reply after Rflush: stale/unknown */
    send_getattr(fd, c2, GOOD);
    fake_drain_until_eof(fd);
}

static void test_flushed(void)
{
    struct fake_server s;
    fake_start(&s, script_flushed);
    struct p9_conn *c = connect_fake(&s);
    struct p9_attr a = {0};
    int rc = p9_getattr(c, 1, &a, SEC / 10);
    CHECK(rc == -ETIMEDOUT, "unanswered call: rc=%d", rc);
    WAIT_FOR(c, k.rflush == 1);
    struct p9_counters k = counters(c);
    CHECK(k.flushes == 1 && k.rflush == 1 && k.late_dropped == 1 && k.release_failed == 0,
          "flushes=%llu rflush=%llu late_dropped=%llu", (unsigned long long)k.flushes,
          (unsigned long long)k.rflush, (unsigned long long)k.late_dropped);
    uint32_t live, tomb;
    p9_conn_tags(c)->ops->counts(p9_conn_tags(c)->t, &live, &tomb);
    CHECK(live == 0 && tomb == 0, "after Rflush live=%u tombstones=%u", live, tomb);
    rc = p9_getattr(c, 1, &a, 5 * SEC);
    CHECK(rc == 0 && a.size == GOOD, "next call got rc=%d size=%llu", rc,
          (unsigned long long)a.size);
    k = counters(c);
    CHECK(k.stale_tag + k.unknown_tag == 1, "reply after Rflush not rejected");
    finish(&s, c);
}

/* ------------------------ reply that does not fit -------------------------- */

static void script_wrong_shape(struct fake_server *s, int fd)
{
    uint16_t a, r;
    uint8_t m[FAKE_MSIZE], data[32];
    memset(data, 'x', sizeof data);
    EXPECT_T(s, fd, P9_TGETATTR, &a);
    fake_send(fd, m, fake_rread(m, a, data, 0)); /* wrong type for Tgetattr  */
    m[0] = 0; /* an Rgetattr one byte short: */
    size_t n = fake_rgetattr(m, a, BAD);
    p9_put_le32(m, (uint32_t)n - 1);
    fake_send(fd, m, n - 1);
    send_getattr(fd, a, GOOD);
    EXPECT_T(s, fd, P9_TREAD, &r);               /* asks for 16 bytes         */
    fake_send(fd, m, fake_rread(m, r, data, 32)); /* more than asked          */
    memcpy(data, "0123456789abcdef", 16);
    fake_send(fd, m, fake_rread(m, r, data, 16));
    fake_drain_until_eof(fd);
}

static void test_wrong_shape(void)
{
    struct fake_server s;
    fake_start(&s, script_wrong_shape);
    struct p9_conn *c = connect_fake(&s);
    struct p9_attr a;
    int rc = p9_getattr(c, 1, &a, 5 * SEC);
    CHECK(rc == 0 && a.size == GOOD, "getattr rc=%d size=%llu", rc, (unsigned long long)a.size);
    uint8_t buf[16];
    uint32_t got = 0;
    rc = p9_read(c, 1, 0, buf, sizeof buf, &got, 5 * SEC);
    CHECK(rc == 0 && got == 16 && memcmp(buf, "0123456789abcdef", 16) == 0, "read rc=%d got=%u",
          rc, got);
    struct p9_counters k = counters(c);
    CHECK(k.bad_reply == 3 && k.completed == 2, "bad_reply=%llu completed=%llu",
          (unsigned long long)k.bad_reply, (unsigned long long)k.completed);
    finish(&s, c);
}

/* ------------------------- NOTAG and Rlerror ------------------------------ */

static void script_notag_lerror(struct fake_server *s, int fd)
{
    uint16_t a;
    uint8_t m[64];
    EXPECT_T(s, fd, P9_TGETATTR, &a);
    send_getattr(fd, P9_NOTAG, BAD);
    fake_send(fd, m, fake_rlerror(m, a, 0)); /* Rlerror 0 is no error: bad */
    fake_send(fd, m, fake_rlerror(m, a, ENOENT));
    fake_drain_until_eof(fd);
}

static void test_notag_lerror(void)
{
    struct fake_server s;
    fake_start(&s, script_notag_lerror);
    struct p9_conn *c = connect_fake(&s);
    int rc = p9_getattr(c, 1, NULL, 5 * SEC);
    CHECK(rc == ENOENT, "Rlerror ENOENT gave %d", rc);
    struct p9_counters k = counters(c);
    CHECK(k.notag == 1 && k.bad_reply == 1, "notag=%llu bad_reply=%llu",
          (unsigned long long)k.notag, (unsigned long long)k.bad_reply);
    finish(&s, c);
}

/* ------------------- stream-level damage: teardown ------------------------ */

enum damage { SIZE_TOO_SMALL, SIZE_TOO_BIG, CLOSE_MID_MESSAGE };
static enum damage damage;

static void script_damage(struct fake_server *s, int fd)
{
    uint16_t a, b;
    uint8_t m[256];
    EXPECT_T(s, fd, P9_TGETATTR, &a);
    EXPECT_T(s, fd, P9_TGETATTR, &b);
    send_getattr(fd, a, 1); /* one good reply first: only b is left waiting */
    size_t n = fake_rgetattr(m, b, BAD);
    switch (damage) {
    case SIZE_TOO_SMALL: p9_put_le32(m, 3); break;
    case SIZE_TOO_BIG: p9_put_le32(m, 0x7FFFFFFF); break;
    case CLOSE_MID_MESSAGE: fake_send(fd, m, n / 2); return; /* serve() closes */
    }
    fake_send(fd, m, n);
    fake_drain_until_eof(fd);
}

static void test_damage(enum damage d, const char *name)
{
    struct fake_server s;
    damage = d;
    fake_start(&s, script_damage);
    struct p9_conn *c = connect_fake(&s);
    struct p9_call a = {0}, b = {0};
    p9_prep_getattr(&a, 1);
    p9_prep_getattr(&b, 1);
    CHECK(p9_call_start(c, &a) == 0 && p9_call_start(c, &b) == 0, "%s: start", name);
    int ra = p9_call_wait(c, &a, 5 * SEC), rb = p9_call_wait(c, &b, 5 * SEC);
    CHECK(ra == 0 && a.r.attr.size == 1, "%s: good call rc=%d", name, ra);
    CHECK(rb == -ECONNRESET && b.completions == 1, "%s: damaged call rc=%d completions=%u", name,
          rb, b.completions);
    struct p9_counters k = counters(c);
    uint64_t want_size = d == CLOSE_MID_MESSAGE ? 0 : 1, want_trunc = d == CLOSE_MID_MESSAGE;
    CHECK(k.bad_size == want_size && k.truncated == want_trunc && k.drained == 1,
          "%s: bad_size=%llu truncated=%llu drained=%llu", name, (unsigned long long)k.bad_size,
          (unsigned long long)k.truncated, (unsigned long long)k.drained);
    CHECK(p9_conn_is_closed(c), "%s: connection not closed", name);
    CHECK(p9_getattr(c, 1, NULL, SEC) == -ECONNRESET, "%s: call after teardown", name);
    finish(&s, c);
}

/* ------------------ Tflush never answered: the deadline -------------------- */

static void script_silent(struct fake_server *s, int fd)
{
    uint16_t t;
    for (int i = 0; i < 3; i++)
        EXPECT_T(s, fd, P9_TGETATTR, &t);
    EXPECT_T(s, fd, P9_TFLUSH, &t);
    fake_drain_until_eof(fd); /* answers nothing, ever */
}

/* Three calls; the first times out and is flushed, the server never
 * answers the Tflush: past the flush deadline the connection is reset and
 * the other two complete exactly once with -ECONNRESET, however long their
 * own deadlines.  (The 100 ms deadline only decides when, not what.) */
static void test_no_rflush(void)
{
    struct fake_server s;
    fake_start(&s, script_silent);
    struct p9_conn *c;
    struct p9_conn_opts o = {.atlas = "midatlas", .flush_timeout_ns = SEC / 10};
    CHECK(p9_connect(&c, "127.0.0.1", s.port, &o) == 0, "connect");
    struct p9_call a = {0}, b = {0}, d = {0};
    p9_prep_getattr(&a, 1);
    p9_prep_getattr(&b, 1);
    p9_prep_getattr(&d, 1);
    CHECK(p9_call_start(c, &a) == 0 && p9_call_start(c, &b) == 0 && p9_call_start(c, &d) == 0,
          "start");
    CHECK(p9_call_wait(c, &a, SEC / 100) == -ETIMEDOUT, "first call not flushed");
    int rb = p9_call_wait(c, &b, 50 * SEC), rd = p9_call_wait(c, &d, 50 * SEC);
    CHECK(rb == -ECONNRESET && rd == -ECONNRESET && b.completions == 1 && d.completions == 1,
          "after the flush deadline: rc %d %d, completions %u %u", rb, rd, b.completions,
          d.completions);
    struct p9_counters k = counters(c);
    CHECK(k.flushes == 1 && k.rflush == 0 && k.reset_flush_timeout == 1 && k.drained == 2 &&
              k.peer_reset == 0 && k.truncated == 0,
          "flushes=%llu reset_flush_timeout=%llu drained=%llu peer_reset=%llu",
          (unsigned long long)k.flushes, (unsigned long long)k.reset_flush_timeout,
          (unsigned long long)k.drained, (unsigned long long)k.peer_reset);
    CHECK(p9_getattr(c, 1, NULL, SEC) == -ECONNRESET, "call after the reset");
    finish(&s, c);
}

/* ------------------- a walk the reply struct cannot hold ------------------ */

static void script_walk(struct fake_server *s, int fd)
{
    uint16_t t;
    uint8_t m[64];
    struct p9_wbuf w;
    struct p9_qid q = {.type = 0x80, .version = 0, .path = 7};
    EXPECT_T(s, fd, P9_TWALK, &t); /* the second walk: the first was refused */
    p9_w_init(&w, m, sizeof m);
    p9_w_begin(&w, P9_RWALK, t);
    p9_w_u16(&w, 2);
    p9_w_qid(&w, &q);
    p9_w_qid(&w, &q);
    fake_send(fd, m, p9_w_finish(&w));
    fake_drain_until_eof(fd);
}

/* A call asking for more names than a Twalk may carry is refused before it
 * is sent: the receiver decodes Rwalk into P9_MAXWELEM qids, and a limit
 * above that let the server's qids run past them (an Rwalk of 40 qids wrote
 * past the receiver's stack frame, ASan: stack-buffer-overflow). */
static void test_walk_too_many_names(void)
{
    struct fake_server s;
    fake_start(&s, script_walk);
    struct p9_conn *c = connect_fake(&s);
    const char *names[] = {"a", "b"};
    struct p9_call call = {0};
    call.tlen = (uint32_t)p9_build_walk(call.tmsg, sizeof call.tmsg, 0, 1, 2, 2, names);
    call.nwname = P9_MAXWELEM + 1;
    int rc = p9_call_start(c, &call);
    CHECK(rc == -EINVAL, "start of a walk for %u names: %d", P9_MAXWELEM + 1, rc);
    call.nwname = 2;
    CHECK(p9_call_start(c, &call) == 0, "the same walk for 2 names");
    rc = p9_call_wait(c, &call, 5 * SEC);
    CHECK(rc == 0 && call.r.walk.n == 2 && call.r.walk.qid[1].path == 7, "walk rc=%d n=%u", rc,
          call.r.walk.n);
    finish(&s, c);
}

int main(void)
{
    alarm(60);
    test_unknown_tag();
    test_duplicate();
    test_flushed();
    test_wrong_shape();
    test_notag_lerror();
    test_damage(SIZE_TOO_SMALL, "size < 7");
    test_damage(SIZE_TOO_BIG, "size > msize");
    test_damage(CLOSE_MID_MESSAGE, "close mid-message");
    test_no_rflush();
    test_walk_too_many_names();
    printf("t9p_badpeer: ok\n");
    return 0;
}
