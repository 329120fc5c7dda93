/* SPDX-License-Identifier: MIT */
/*
 * p9_wire.c - 9P2000.L byte layout (see p9_wire.h).
 *
 * The writer and the reader carry a sticky error flag instead of returning a
 * status from every put/get: a builder or parser writes the message shape
 * once, linearly, and checks the flag at the end (the idea is the one
 * Plan 9's convM2S/convS2M use: compute, then check the bounds once).
 */
#include "p9_wire.h"

#include <string.h>

/* ----------------------------- little endian ----------------------------- */

uint16_t p9_get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

uint32_t p9_get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void p9_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

void p9_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* -------------------------------- writer --------------------------------- */

void p9_w_init(struct p9_wbuf *w, void *buf, size_t cap)
{
    w->p = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = false;
}

/* Reserve n bytes, or mark overflow and return NULL. */
static uint8_t *w_room(struct p9_wbuf *w, size_t n)
{
    if (w->overflow || w->cap - w->len < n) {
        w->overflow = true;
        return NULL;
    }
    uint8_t *at = w->p + w->len;
    w->len += n;
    return at;
}

/* The plain copy below only where the host is little-endian, and not when
 * P9_WIRE_BYTE_LOOP asks for the byte loops: the test 9p_wire.byte_loop
 * builds them on this little-endian host, because no big-endian machine or
 * emulator runs the tests (bookworm's qemu-s390x aborts every dynamically
 * linked binary).  The loops shift and never look at the host's byte order,
 * so passing here is passing there. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    !defined(P9_WIRE_BYTE_LOOP)
#define P9_WIRE_COPY_LE 1
#else
#define P9_WIRE_COPY_LE 0
#endif

/* n (1, 2, 4 or 8) bytes little-endian.  On a little-endian host that is a
 * plain copy, which the compiler turns into one store; the byte loop is the
 * portable fallback.  (The receiver decodes every reply with these, so the
 * atlas's share of the client's work is measured against a lean decoder.) */
static void store_le(uint8_t *at, uint64_t v, size_t n)
{
#if P9_WIRE_COPY_LE
    memcpy(at, &v, n);
#else
    for (size_t i = 0; i < n; i++)
        at[i] = (uint8_t)(v >> (8 * i));
#endif
}

static uint64_t load_le(const uint8_t *at, size_t n)
{
    uint64_t v = 0;
#if P9_WIRE_COPY_LE
    memcpy(&v, at, n);
#else
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)at[i] << (8 * i);
#endif
    return v;
}

static void w_le(struct p9_wbuf *w, uint64_t v, size_t n)
{
    uint8_t *at = w_room(w, n);
    if (at)
        store_le(at, v, n);
}

void p9_w_u8(struct p9_wbuf *w, uint8_t v) { w_le(w, v, 1); }
void p9_w_u16(struct p9_wbuf *w, uint16_t v) { w_le(w, v, 2); }
void p9_w_u32(struct p9_wbuf *w, uint32_t v) { w_le(w, v, 4); }
void p9_w_u64(struct p9_wbuf *w, uint64_t v) { w_le(w, v, 8); }

void p9_w_str(struct p9_wbuf *w, const char *s)
{
    size_t n = strlen(s);
    if (n > 0xFFFF) {
        w->overflow = true;
        return;
    }
    p9_w_u16(w, (uint16_t)n);
    uint8_t *at = w_room(w, n);
    if (at)
        memcpy(at, s, n);
}

void p9_w_qid(struct p9_wbuf *w, const struct p9_qid *q)
{
    p9_w_u8(w, q->type);
    p9_w_u32(w, q->version);
    p9_w_u64(w, q->path);
}

void p9_w_begin(struct p9_wbuf *w, uint8_t type, uint16_t tag)
{
    w->len = 0;
    p9_w_u32(w, 0); /* size, patched by p9_w_finish */
    p9_w_u8(w, type);
    p9_w_u16(w, tag);
}

size_t p9_w_finish(struct p9_wbuf *w)
{
    if (w->overflow || w->len > 0xFFFFFFFFu)
        return 0;
    p9_put_le32(w->p, (uint32_t)w->len);
    return w->len;
}

/* -------------------------------- reader --------------------------------- */

void p9_r_init(struct p9_rbuf *r, const void *buf, size_t len)
{
    r->p = buf;
    r->len = len;
    r->pos = 0;
    r->short_read = false;
}

/* The next n bytes, or NULL (and short_read) when fewer remain. */
static const uint8_t *r_take(struct p9_rbuf *r, size_t n)
{
    if (r->short_read || r->len - r->pos < n) {
        r->short_read = true;
        return NULL;
    }
    const uint8_t *at = r->p + r->pos;
    r->pos += n;
    return at;
}

static uint64_t r_le(struct p9_rbuf *r, size_t n)
{
    const uint8_t *at = r_take(r, n);
    return at ? load_le(at, n) : 0;
}

uint8_t p9_r_u8(struct p9_rbuf *r) { return (uint8_t)r_le(r, 1); }
uint16_t p9_r_u16(struct p9_rbuf *r) { return (uint16_t)r_le(r, 2); }
uint32_t p9_r_u32(struct p9_rbuf *r) { return (uint32_t)r_le(r, 4); }
uint64_t p9_r_u64(struct p9_rbuf *r) { return r_le(r, 8); }

void p9_r_qid(struct p9_rbuf *r, struct p9_qid *q)
{
    q->type = p9_r_u8(r);
    q->version = p9_r_u32(r);
    q->path = p9_r_u64(r);
}

const char *p9_r_str(struct p9_rbuf *r, uint16_t *len)
{
    uint16_t n = p9_r_u16(r);
    const uint8_t *at = r_take(r, n);
    *len = at ? n : 0;
    return (const char *)at;
}

bool p9_r_done(const struct p9_rbuf *r)
{
    return !r->short_read && r->pos == r->len;
}

/* ------------------------------- builders -------------------------------- */

size_t p9_build_version(void *buf, size_t cap, uint32_t msize, const char *version)
{
    struct p9_wbuf w;
    p9_w_init(&w, buf, cap);
    p9_w_begin(&w, P9_TVERSION, P9_NOTAG);
    p9_w_u32(&w, msize);
    p9_w_str(&w, version);
    return p9_w_finish(&w);
}

size_t p9_build_attach(void *buf, size_t cap, uint16_t tag, uint32_t fid, const char *uname,
                       const char *aname, uint32_t n_uname)
{
    struct p9_wbuf w;
    p9_w_init(&w, buf, cap);
    p9_w_begin(&w, P9_TATTACH, tag);
    p9_w_u32(&w, fid);
    p9_w_u32(&w, P9_NOFID); /* afid: no authentication */
    p9_w_str(&w, uname);
    p9_w_str(&w, aname);
    p9_w_u32(&w, n_uname);
    return p9_w_finish(&w);
}

size_t p9_build_walk(void *buf, size_t cap, uint16_t tag, uint32_t fid, uint32_t newfid,
                     uint16_t nwname, const char *const *wnames)
{
    struct p9_wbuf w;
    if (nwname > P9_MAXWELEM)
        return 0;
    p9_w_init(&w, buf, cap);
    p9_w_begin(&w, P9_TWALK, tag);
    p9_w_u32(&w, fid);
    p9_w_u32(&w, newfid);
    p9_w_u16(&w, nwname);
    for (uint16_t i = 0; i < nwname; i++)
        p9_w_str(&w, wnames[i]);
    return p9_w_finish(&w);
}

size_t p9_build_lopen(void *buf, size_t cap, uint16_t tag, uint32_t fid, uint32_t flags)
{
    struct p9_wbuf w;
    p9_w_init(&w, buf, cap);
    p9_w_begin(&w, P9_TLOPEN, tag);
    p9_w_u32(&w, fid);
    p9_w_u32(&w, flags);
    return p9_w_finish(&w);
}

size_t p9_build_read(void *buf, size_t cap, uint16_t tag, uint32_t fid, uint64_t offset,
                     uint32_t count)
{
    struct p9_wbuf w;
    p9_w_init(&w, buf, cap);
    p9_w_begin(&w, P9_TREAD, tag);
    p9_w_u32(&w, fid);
    p9_w_u64(&w, offset);
    p9_w_u32(&w, count);
    return p9_w_finish(&w);
}

size_t p9_build_getattr(void *buf, size_t cap, uint16_t tag, uint32_t fid, uint64_t mask)
{
    struct p9_wbuf w;
    p9_w_init(&w, buf, cap);
    p9_w_begin(&w, P9_TGETATTR, tag);
    p9_w_u32(&w, fid);
    p9_w_u64(&w, mask);
    return p9_w_finish(&w);
}

size_t p9_build_clunk(void *buf, size_t cap, uint16_t tag, uint32_t fid)
{
    struct p9_wbuf w;
    p9_w_init(&w, buf, cap);
    p9_w_begin(&w, P9_TCLUNK, tag);
    p9_w_u32(&w, fid);
    return p9_w_finish(&w);
}

size_t p9_build_flush(void *buf, size_t cap, uint16_t tag, uint16_t oldtag)
{
    struct p9_wbuf w;
    p9_w_init(&w, buf, cap);
    p9_w_begin(&w, P9_TFLUSH, tag);
    p9_w_u16(&w, oldtag);
    return p9_w_finish(&w);
}

/* ------------------------------- decoders -------------------------------- */

bool p9_parse_version(const uint8_t *body, size_t len, uint32_t *msize, char *version,
                      size_t version_cap)
{
    struct p9_rbuf r;
    uint16_t n;
    p9_r_init(&r, body, len);
    uint32_t m = p9_r_u32(&r);
    const char *s = p9_r_str(&r, &n);
    if (!p9_r_done(&r) || n >= version_cap)
        return false;
    memcpy(version, s, n);
    version[n] = '\0';
    *msize = m;
    return true;
}

bool p9_parse_lerror(const uint8_t *body, size_t len, uint32_t *ecode)
{
    struct p9_rbuf r;
    p9_r_init(&r, body, len);
    uint32_t e = p9_r_u32(&r);
    if (!p9_r_done(&r))
        return false;
    *ecode = e;
    return true;
}

bool p9_parse_qid_reply(const uint8_t *body, size_t len, struct p9_qid *qid)
{
    struct p9_rbuf r;
    struct p9_qid q;
    p9_r_init(&r, body, len);
    p9_r_qid(&r, &q);
    if (!p9_r_done(&r))
        return false;
    *qid = q;
    return true;
}

bool p9_parse_lopen(const uint8_t *body, size_t len, struct p9_qid *qid, uint32_t *iounit)
{
    struct p9_rbuf r;
    struct p9_qid q;
    p9_r_init(&r, body, len);
    p9_r_qid(&r, &q);
    uint32_t io = p9_r_u32(&r);
    if (!p9_r_done(&r))
        return false;
    *qid = q;
    *iounit = io;
    return true;
}

bool p9_parse_walk(const uint8_t *body, size_t len, uint16_t max_nwqid, uint16_t *nwqid,
                   struct p9_qid *qids)
{
    struct p9_rbuf r;
    p9_r_init(&r, body, len);
    uint16_t n = p9_r_u16(&r);
    if (r.short_read || n > max_nwqid || n > P9_MAXWELEM || (size_t)n * P9_QIDSZ != len - 2)
        return false;
    for (uint16_t i = 0; i < n; i++)
        p9_r_qid(&r, &qids[i]);
    if (!p9_r_done(&r))
        return false;
    *nwqid = n;
    return true;
}

bool p9_parse_read(const uint8_t *body, size_t len, uint32_t max_count, uint32_t *count,
                   const uint8_t **data)
{
    struct p9_rbuf r;
    p9_r_init(&r, body, len);
    uint32_t n = p9_r_u32(&r);
    if (r.short_read || n > max_count || (size_t)n != len - 4)
        return false;
    *count = n;
    *data = body + 4;
    return true;
}

bool p9_parse_getattr(const uint8_t *body, size_t len, struct p9_attr *a)
{
    struct p9_rbuf r;
    struct p9_attr t;
    if (len != P9_GETATTR_BODYSZ)
        return false;
    p9_r_init(&r, body, len);
    t.valid = p9_r_u64(&r);
    p9_r_qid(&r, &t.qid);
    t.mode = p9_r_u32(&r);
    t.uid = p9_r_u32(&r);
    t.gid = p9_r_u32(&r);
    t.nlink = p9_r_u64(&r);
    t.rdev = p9_r_u64(&r);
    t.size = p9_r_u64(&r);
    t.blksize = p9_r_u64(&r);
    t.blocks = p9_r_u64(&r);
    t.atime_sec = p9_r_u64(&r);
    t.atime_nsec = p9_r_u64(&r);
    t.mtime_sec = p9_r_u64(&r);
    t.mtime_nsec = p9_r_u64(&r);
    t.ctime_sec = p9_r_u64(&r);
    t.ctime_nsec = p9_r_u64(&r);
    t.btime_sec = p9_r_u64(&r);
    t.btime_nsec = p9_r_u64(&r);
    t.gen = p9_r_u64(&r);
    t.data_version = p9_r_u64(&r);
    if (!p9_r_done(&r))
        return false;
    *a = t;
    return true;
}

const char *p9_type_name(uint8_t type)
{
    switch (type) {
    case P9_RLERROR: return "Rlerror";
    case P9_TLOPEN: return "Tlopen";
    case P9_RLOPEN: return "Rlopen";
    case P9_TGETATTR: return "Tgetattr";
    case P9_RGETATTR: return "Rgetattr";
    case P9_TVERSION: return "Tversion";
    case P9_RVERSION: return "Rversion";
    case P9_TATTACH: return "Tattach";
    case P9_RATTACH: return "Rattach";
    case P9_TFLUSH: return "Tflush";
    case P9_RFLUSH: return "Rflush";
    case P9_TWALK: return "Twalk";
    case P9_RWALK: return "Rwalk";
    case P9_TREAD: return "Tread";
    case P9_RREAD: return "Rread";
    case P9_TCLUNK: return "Tclunk";
    case P9_RCLUNK: return "Rclunk";
    default: return "unknown";
    }
}
