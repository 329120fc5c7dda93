/*
 * p9_fake_server.h - a misbehaving 9P server for tests: a thread with a
 * listening socket on 127.0.0.1, one connection, the Tversion handshake done
 * properly, then a script that sends whatever bytes the test wants.
 */
#ifndef P9_FAKE_SERVER_H
#define P9_FAKE_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fake_server;
typedef void fake_script_fn(struct fake_server *s, int fd);

struct fake_server {
    int lfd;
    uint16_t port;
    pthread_t th;
    fake_script_fn *script;
    bool failed;     /* set by FAKE_EXPECT; read after fake_join         */
    char why[256];
    uint16_t tags[8]; /* tags the script saw, for the client side checks */
};

#define FAKE_MSIZE 8192u

/* Listen on a free loopback port and serve one connection with script. */
void fake_start(struct fake_server *s, fake_script_fn *script);
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
