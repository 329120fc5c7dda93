/* SPDX-License-Identifier: MIT */
/*
 * p9_fake_server.c - the misbehaving loopback server (see the header).
 */
#include "p9_fake_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "p9_check.h"
#include "p9_wire.h"

static bool read_full(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    while (n > 0) {
        ssize_t k = recv(fd, b, n, 0);
        if (k <= 0)
            return false;
        b += k;
        n -= (size_t)k;
    }
    return true;
}

int fake_read_t(int fd, uint8_t *type, uint16_t *tag, uint8_t *body, uint32_t *blen)
{
    uint8_t h[P9_HDRSZ];
    if (!read_full(fd, h, sizeof h))
        return -1;
    uint32_t size = p9_get_le32(h);
    if (size < P9_HDRSZ || size - P9_HDRSZ > FAKE_MSIZE)
        return -1;
    *type = h[4];
    *tag = p9_get_le16(h + 5);
    *blen = size - P9_HDRSZ;
    return read_full(fd, body, *blen) ? 0 : -1;
}

void fake_drain_until_eof(int fd)
{
    uint8_t b[512];
    while (recv(fd, b, sizeof b, 0) > 0)
        ;
}

void fake_send(int fd, const void *p, size_t n)
{
    CHECK(send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n, "fake server send");
}

size_t fake_rgetattr(uint8_t *buf, uint16_t tag, uint64_t size)
{
    struct p9_wbuf w;
    struct p9_qid q = {0, 0, 1};
    p9_w_init(&w, buf, 256);
    p9_w_begin(&w, P9_RGETATTR, tag);
    p9_w_u64(&w, P9_GETATTR_BASIC);
    p9_w_qid(&w, &q);
    for (int i = 0; i < 3; i++)
        p9_w_u32(&w, 0); /* mode uid gid */
    p9_w_u64(&w, 1);     /* nlink */
    p9_w_u64(&w, 0);     /* rdev */
    p9_w_u64(&w, size);  /* size: what the tests tell replies apart by */
    for (int i = 0; i < 12; i++)
        p9_w_u64(&w, 0); /* blksize blocks a/m/c/btime (sec, nsec) gen data_version */
    return p9_w_finish(&w);
}

size_t fake_rread(uint8_t *buf, uint16_t tag, const void *data, uint32_t n)
{
    struct p9_wbuf w;
    p9_w_init(&w, buf, FAKE_MSIZE);
    p9_w_begin(&w, P9_RREAD, tag);
    p9_w_u32(&w, n);
    for (uint32_t i = 0; i < n; i++)
        p9_w_u8(&w, ((const uint8_t *)data)[i]);
    return p9_w_finish(&w);
}

size_t fake_rlerror(uint8_t *buf, uint16_t tag, uint32_t ecode)
{
    struct p9_wbuf w;
    p9_w_init(&w, buf, 64);
    p9_w_begin(&w, P9_RLERROR, tag);
    p9_w_u32(&w, ecode);
    return p9_w_finish(&w);
}

size_t fake_empty(uint8_t *buf, uint8_t type, uint16_t tag)
{
    struct p9_wbuf w;
    p9_w_init(&w, buf, 64);
    p9_w_begin(&w, type, tag);
    return p9_w_finish(&w);
}

static void *serve(void *arg)
{
    struct fake_server *s = arg;
    int fd = accept(s->lfd, NULL, NULL);
    close(s->lfd);
    if (fd < 0) {
        s->failed = true;
        snprintf(s->why, sizeof s->why, "accept failed");
        return NULL;
    }
    uint8_t body[FAKE_MSIZE], out[64];
    uint8_t type;
    uint16_t tag;
    uint32_t blen;
    if (fake_read_t(fd, &type, &tag, body, &blen) != 0 || type != P9_TVERSION ||
        tag != P9_NOTAG) {
        s->failed = true;
        snprintf(s->why, sizeof s->why, "no Tversion with NOTAG first");
    } else {
        size_t n = p9_build_version(out, sizeof out, FAKE_MSIZE, "9P2000.L");
        out[4] = P9_RVERSION; /* same layout as Tversion */
        fake_send(fd, out, n);
        s->script(s, fd);
    }
    close(fd);
    return NULL;
}

/* Listen on a free loopback port, then serve from a thread: s is complete
 * before the thread starts, so the thread reads it without a lock. */
static void listen_and_serve(struct fake_server *s)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(s->lfd >= 0 && bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
              listen(s->lfd, 1) == 0 &&
              getsockname(s->lfd, (struct sockaddr *)&sa, &len) == 0,
          "fake server listen");
    s->port = ntohs(sa.sin_port);
    CHECK(pthread_create(&s->th, NULL, serve, s) == 0, "fake server thread");
}

void fake_start(struct fake_server *s, fake_script_fn *script)
{
    memset(s, 0, sizeof *s);
    s->script = script;
    listen_and_serve(s);
}

void fake_start_policy(struct fake_server *s, const struct fake_policy *p)
{
    memset(s, 0, sizeof *s);
    s->script = fake_serve_policy;
    s->policy = *p;
    listen_and_serve(s);
}

void fake_join(struct fake_server *s)
{
    pthread_join(s->th, NULL);
}
