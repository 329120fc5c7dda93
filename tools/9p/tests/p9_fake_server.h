/* SPDX-License-Identifier: MIT */
/*
 * p9_fake_server.h - a misbehaving 9P server for tests: a thread with a
 * listening socket on 127.0.0.1, one connection, the Tversion handshake done
 * properly, then a script that sends whatever bytes the test wants.
 *
 * Two kinds of script: a function written for one case (fake_start), or a
 * policy (fake_start_policy, p9_fake_policy.c): the server answers every
 * request as a plain 9P2000.L server would, with the faults the policy
 * names, and tallies what it sent so that a test can demand exact counts
 * from the client.
 */
#ifndef P9_FAKE_SERVER_H
#define P9_FAKE_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fake_server;
typedef void fake_script_fn(struct fake_server *s, int fd);

/* How the connection ends once `end_after` requests past setup were
 * answered (the next one meets the ending). */
enum fake_end {
    FAKE_END_NONE,     /* serve until the client closes                      */
    FAKE_END_STALL,    /* half of the next reply, then silence (reads go on) */
    FAKE_END_RESET,    /* close with an RST (SO_LINGER 0)                    */
    FAKE_END_BAD_SIZE, /* a reply whose size field is 3                      */
    FAKE_END_GARBAGE,  /* bytes that frame as no message (size > msize)      */
    FAKE_END_TRUNCATE, /* half of the next reply, then a clean close (FIN)   */
};

/* Faults apply to requests after the first `setup` ones (attach, walk...),
 * which are answered plainly. */
struct fake_policy {
    unsigned setup;
    bool lerror;         /* Rlerror EIO to every request but Tflush          */
    bool hold;           /* answer no request until it is flushed            */
    bool late_first;     /* hold: on Tflush, the held reply, then Rflush     */
    bool late_after;     /* hold: on Tflush, Rflush, then the held reply     */
    bool no_rflush;      /* never answer Tflush                              */
    bool dup;            /* each reply twice (Rclunk once: the client may go)*/
    bool notag;          /* an Rgetattr tagged NOTAG before each reply       */
    bool unknown;        /* an Rgetattr for tag ^ 0x80 before each reply     */
    bool wrong_type;     /* an Rread for the request's tag before its reply  */
    bool byte_at_a_time; /* every byte in its own send()                    */
    bool reorder;        /* hold each reply until the next one has gone out  */
    enum fake_end end;
    unsigned end_after;
};

/* What a policy server did, for the client's counters to be checked against. */
struct fake_tally {
    unsigned requests, replies, flushes_seen, rflush, late, dups, notag, unknown,
        wrong_type, fids_open;
};

struct fake_server {
    int lfd;
    uint16_t port;
    pthread_t th;
    fake_script_fn *script;
    bool failed;     /* set by FAKE_EXPECT; read after fake_join         */
    char why[256];
    uint16_t tags[8]; /* tags the script saw, for the client side checks */
    struct fake_policy policy; /* fake_start_policy only                  */
    struct fake_tally tally;   /* written by the server thread; read after
                                  fake_join                              */
};

#define FAKE_MSIZE 8192u

/* Listen on a free loopback port and serve one connection with script. */
void fake_start(struct fake_server *s, fake_script_fn *script);
/* Serve one connection by policy (see struct fake_policy). */
void fake_start_policy(struct fake_server *s, const struct fake_policy *p);
/* The policy script (p9_fake_policy.c). */
fake_script_fn fake_serve_policy;
/* Wait for the script to end (it closes the connection). */
void fake_join(struct fake_server *s);

/* Read one T-message: 0, or -1 at end of stream. */
int fake_read_t(int fd, uint8_t *type, uint16_t *tag, uint8_t *body, uint32_t *blen);
/* Read until the client closes (keeps the connection open meanwhile). */
void fake_drain_until_eof(int fd);
void fake_send(int fd, const void *p, size_t n);

size_t fake_rgetattr(uint8_t *buf, uint16_t tag, uint64_t size);
size_t fake_rread(uint8_t *buf, uint16_t tag, const void *data, uint32_t n);
size_t fake_rlerror(uint8_t *buf, uint16_t tag, uint32_t ecode);
size_t fake_empty(uint8_t *buf, uint8_t type, uint16_t tag); /* Rflush, Rclunk */

#define FAKE_EXPECT(s, cond, ...)                                               \
    do {                                                                        \
        if (!(cond)) {                                                          \
            (s)->failed = true;                                                 \
            snprintf((s)->why, sizeof (s)->why, __VA_ARGS__);                   \
            return;                                                             \
        }                                                                       \
    } while (0)

#endif /* P9_FAKE_SERVER_H */
