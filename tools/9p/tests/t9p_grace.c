/* SPDX-License-Identifier: MIT */
/*
 * t9p_grace.c - a call whose tag its sender takes back on a closed
 * connection is not handed back while the receiver may still read it
 * (p9_conn.c, "Context lifetime").
 *
 * The receiver maps a tag and reads the call before it tries to take the
 * tag, inside its read-side section.  A server may answer a tag before the
 * request on it was sent (tags are easy to guess).  If the connection
 * closes in between, the sender takes its tag back and returns
 * -ECONNRESET, and the caller may free the call: only after a grace
 * period, or the receiver reads freed memory.  Both senders are checked:
 *
 *   t9p_grace start   p9_call_start on a heap call, freed on -ECONNRESET.
 *                     Checked in every build: when the start returns, the
 *                     receiver must be out of its map (ASan also sees the
 *                     read of the freed call).
 *   t9p_grace flush   p9_cancel's Tflush record, published on its tag, then
 *                     freed when its send finds the connection closed.
 *                     The record is the library's own, so only ASan sees
 *                     that read (the asan tree runs this test).
 *
 * The tag table is wrapped to force the interleaving: the receiver's map of
 * the chosen tag holds the receiver inside its section until the sender has
 * returned (or a second has passed: a sender that waits for the grace
 * period waits for exactly this), and meanwhile another thread shuts the
 * connection down, which p9_conn.h allows while calls run.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "p9_check.h"
#include "p9_conn.h"
#include "p9_fake_server.h"
#include "p9_ops.h"
#include "p9_tags.h"

static const struct p9_tags_ops *real;
static struct p9_tags_ops wrapped;
static struct p9_conn *conn;
static bool flush_mode;
static void *target_call;          /* start mode: the call to catch        */
static atomic_int target_tag = -1; /* the tag the server answers early     */
static atomic_bool reader_inside;  /* the receiver is held in its map      */
static atomic_bool sender_back;    /* the sender returned to its caller    */
static int to_server[2];           /* the tag to answer, test -> server    */
static pthread_t shutter;

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000}, NULL);
}

/* The receiver's map: hold it inside its read-side section while the
 * sender decides, then let it go on to read the call. */
static void *held_map(void *t, uint16_t tag, enum p9_tagkind *kind)
{
    void *ctx = real->map(t, tag, kind);
    if (ctx && tag == atomic_load(&target_tag)) {
        atomic_store(&reader_inside, true);
        for (int i = 0; i < 1000 && !atomic_load(&sender_back); i++)
            sleep_ms(1);
        atomic_store(&reader_inside, false);
    }
    return ctx;
}

static void *shut_down(void *arg)
{
    (void)arg;
    p9_conn_shutdown(conn);
    return NULL;
}

/* On the sender's thread, once tag is published and before its send: have
 * the server answer tag, wait until the receiver holds it, close. */
static void close_under_reader(uint16_t tag)
{
    atomic_store(&target_tag, tag);
    CHECK(write(to_server[1], &tag, sizeof tag) == sizeof tag, "pipe");
    while (!atomic_load(&reader_inside))
        sleep_ms(1);
    CHECK(pthread_create(&shutter, NULL, shut_down, NULL) == 0, "thread");
    while (!p9_conn_is_closed(conn))
        sleep_ms(1);
}

static int caught_associate(void *t, void *ctx, uint16_t *tag)
{
    int rc = real->associate(t, ctx, tag);
    if (rc == 0 && !flush_mode && ctx == target_call)
        close_under_reader(*tag);
    return rc;
}

static int caught_reassociate_if(void *t, uint16_t tag, void *expected, void *desired)
{
    int rc = real->reassociate_if(t, tag, expected, desired);
    if (rc == 0 && flush_mode && expected == P9_RESERVED && ((struct p9_call *)desired)->is_flush)
        close_under_reader(tag); /* the Tflush record, now on its tag */
    return rc;
}

static void script(struct fake_server *s, int fd)
{
    uint8_t ty, body[FAKE_MSIZE], m[256];
    uint16_t tag, t;
    uint32_t n;
    if (flush_mode) /* the call to be flushed, never answered */
        FAKE_EXPECT(s, fake_read_t(fd, &ty, &t, body, &n) == 0 && ty == P9_TGETATTR, "Tgetattr");
    FAKE_EXPECT(s, read(to_server[0], &tag, sizeof tag) == sizeof tag, "pipe");
    if (flush_mode)
        fake_send(fd, m, fake_empty(m, P9_RFLUSH, tag));
    else
        fake_send(fd, m, fake_rgetattr(m, tag, 7));
    fake_drain_until_eof(fd);
}

/* The sender is back: check the receiver is out, then let it go. */
static void sender_returned(const char *what)
{
    bool inside = atomic_load(&reader_inside);
    atomic_store(&sender_back, true);
    CHECK(!inside, "%s returned while the receiver still held the call it took back", what);
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "start") != 0 && strcmp(argv[1], "flush") != 0)) {
        fprintf(stderr, "usage: t9p_grace start|flush\n");
        return 2;
    }
    flush_mode = strcmp(argv[1], "flush") == 0;
    alarm(30);
    CHECK(pipe(to_server) == 0, "pipe");
    struct fake_server s;
    fake_start(&s, script);
    struct p9_conn_opts o = {.atlas = "midatlas", .tags = 8};
    CHECK(p9_connect(&conn, "127.0.0.1", s.port, &o) == 0, "connect");
    struct p9_tags *tags = p9_conn_tags(conn);
    real = tags->ops;
    wrapped = *real;
    wrapped.map = held_map;
    wrapped.associate = caught_associate;
    wrapped.reassociate_if = caught_reassociate_if;
    tags->ops = &wrapped; /* before any request: the receiver has mapped nothing */

    if (flush_mode) {
        struct p9_call a = {0};
        CHECK(p9_prep_getattr(&a, 1) == 0, "prep");
        CHECK(p9_call_start(conn, &a) == 0, "start");
        int rc = p9_call_wait(conn, &a, 50000000); /* 50 ms, then flushed */
        sender_returned("p9_call_wait");
        CHECK(rc == -ETIMEDOUT || rc == -ECONNRESET, "wait: %d", rc);
    } else {
        struct p9_call *call = calloc(1, sizeof *call);
        CHECK(call && p9_prep_getattr(call, 1) == 0, "prep");
        target_call = call;
        int rc = p9_call_start(conn, call);
        sender_returned("p9_call_start");
        CHECK(rc == -ECONNRESET, "start on a closed connection: %d", rc);
        free(call); /* -ECONNRESET: not in flight, the memory is ours */
    }
    CHECK(pthread_join(shutter, NULL) == 0, "join");
    p9_conn_close(conn);
    fake_join(&s);
    CHECK(!s.failed, "fake server: %s", s.why);
    printf("t9p_grace %s: ok\n", argv[1]);
    return 0;
}
