/* SPDX-License-Identifier: MIT */
/*
 * p9_wire.h - 9P2000.L message encoding and decoding.
 *
 * Every 9P message is size[4] type[1] tag[2] body, little-endian, where size
 * counts the whole message.  This file knows the byte layout of the messages
 * the client sends and the replies it accepts, nothing about sockets or tags.
 * Decoders never trust the peer: every read is bounds-checked and a short or
 * overlong body is an error, never an out-of-bounds access.
 */
#ifndef P9_WIRE_H
#define P9_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define P9_NOTAG 0xFFFFu
#define P9_NOFID 0xFFFFFFFFu
#define P9_HDRSZ 7u           /* size[4] type[1] tag[2]                     */
#define P9_IOHDRSZ 24u        /* room Rread needs beyond its data, as Linux  */
#define P9_QIDSZ 13u
#define P9_GETATTR_BODYSZ 153u /* valid qid mode uid gid nlink..data_version */
#define P9_MAXWELEM 16u

enum p9_type {
    P9_RLERROR = 7,
    P9_TLOPEN = 12, P9_RLOPEN = 13,
    P9_TGETATTR = 24, P9_RGETATTR = 25,
    P9_TVERSION = 100, P9_RVERSION = 101,
    P9_TATTACH = 104, P9_RATTACH = 105,
    P9_TFLUSH = 108, P9_RFLUSH = 109,
    P9_TWALK = 110, P9_RWALK = 111,
    P9_TREAD = 116, P9_RREAD = 117,
    P9_TCLUNK = 120, P9_RCLUNK = 121,
};

/* request_mask bit for Tgetattr: everything the basic stat has. */
#define P9_GETATTR_BASIC 0x000007ffull

struct p9_qid {
    uint8_t type;
    uint32_t version;
    uint64_t path;
};

struct p9_attr {
    uint64_t valid;
    struct p9_qid qid;
    uint32_t mode, uid, gid;
    uint64_t nlink, rdev, size, blksize, blocks;
    uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
    uint64_t ctime_sec, ctime_nsec, btime_sec, btime_nsec;
    uint64_t gen, data_version;
};

/* --- writer: appends to a fixed buffer, remembers overflow ------------- */

struct p9_wbuf {
    uint8_t *p;
    size_t cap, len;
    bool overflow; /* set by any put that did not fit; nothing after it lands */
};

void p9_w_init(struct p9_wbuf *w, void *buf, size_t cap);
void p9_w_u8(struct p9_wbuf *w, uint8_t v);
void p9_w_u16(struct p9_wbuf *w, uint16_t v);
void p9_w_u32(struct p9_wbuf *w, uint32_t v);
void p9_w_u64(struct p9_wbuf *w, uint64_t v);
void p9_w_str(struct p9_wbuf *w, const char *s); /* len[2] bytes; >65535: overflow */
void p9_w_qid(struct p9_wbuf *w, const struct p9_qid *q);

/* Start a message: size placeholder, type, tag.  p9_w_finish patches size and
 * returns the message length, or 0 if anything overflowed. */
void p9_w_begin(struct p9_wbuf *w, uint8_t type, uint16_t tag);
size_t p9_w_finish(struct p9_wbuf *w);

/* --- reader: consumes a bounded body, remembers underflow --------------- */

struct p9_rbuf {
    const uint8_t *p;
    size_t len, pos;
    bool short_read; /* set by any get past the end; values read are 0 */
};

void p9_r_init(struct p9_rbuf *r, const void *buf, size_t len);
uint8_t p9_r_u8(struct p9_rbuf *r);
uint16_t p9_r_u16(struct p9_rbuf *r);
uint32_t p9_r_u32(struct p9_rbuf *r);
uint64_t p9_r_u64(struct p9_rbuf *r);
void p9_r_qid(struct p9_rbuf *r, struct p9_qid *q);
/* A string: pointer into the buffer and its length (not NUL-terminated). */
const char *p9_r_str(struct p9_rbuf *r, uint16_t *len);
/* True when everything was read and nothing ran short. */
bool p9_r_done(const struct p9_rbuf *r);

/* Little-endian helpers for fixed offsets (header parsing, tag patching). */
uint16_t p9_get_le16(const uint8_t *p);
uint32_t p9_get_le32(const uint8_t *p);
void p9_put_le16(uint8_t *p, uint16_t v);
void p9_put_le32(uint8_t *p, uint32_t v);

/* --- T-message builders: return the length, 0 if buf is too small ------- */

size_t p9_build_version(void *buf, size_t cap, uint32_t msize, const char *version);
size_t p9_build_attach(void *buf, size_t cap, uint16_t tag, uint32_t fid, const char *uname,
                       const char *aname, uint32_t n_uname);
size_t p9_build_walk(void *buf, size_t cap, uint16_t tag, uint32_t fid, uint32_t newfid,
                     uint16_t nwname, const char *const *wnames);
size_t p9_build_lopen(void *buf, size_t cap, uint16_t tag, uint32_t fid, uint32_t flags);
size_t p9_build_read(void *buf, size_t cap, uint16_t tag, uint32_t fid, uint64_t offset,
                     uint32_t count);
size_t p9_build_getattr(void *buf, size_t cap, uint16_t tag, uint32_t fid, uint64_t mask);
size_t p9_build_clunk(void *buf, size_t cap, uint16_t tag, uint32_t fid);
size_t p9_build_flush(void *buf, size_t cap, uint16_t tag, uint16_t oldtag);

/* --- R-message body checks and decoders ---------------------------------
 * body/len: the bytes after the 7-byte header.  Each returns false when the
 * body does not have exactly the shape of that reply. */

bool p9_parse_version(const uint8_t *body, size_t len, uint32_t *msize, char *version,
                      size_t version_cap);
bool p9_parse_lerror(const uint8_t *body, size_t len, uint32_t *ecode);
bool p9_parse_qid_reply(const uint8_t *body, size_t len, struct p9_qid *qid); /* Rattach */
bool p9_parse_lopen(const uint8_t *body, size_t len, struct p9_qid *qid, uint32_t *iounit);
/* Rwalk: at most max_nwqid qids and never more than P9_MAXWELEM, the room
 * qids must have. */
bool p9_parse_walk(const uint8_t *body, size_t len, uint16_t max_nwqid, uint16_t *nwqid,
                   struct p9_qid *qids);
/* Rread: *data points into body; fails when count exceeds max_count. */
bool p9_parse_read(const uint8_t *body, size_t len, uint32_t max_count, uint32_t *count,
                   const uint8_t **data);
bool p9_parse_getattr(const uint8_t *body, size_t len, struct p9_attr *attr);

const char *p9_type_name(uint8_t type);

#endif /* P9_WIRE_H */
