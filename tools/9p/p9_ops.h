/* SPDX-License-Identifier: MIT */
/*
 * p9_ops.h - one 9P2000.L operation per function, synchronous: build the
 * T-message, start the call, wait for it.  Each returns 0, an Rlerror errno
 * (> 0), or a negative errno from the client (-ETIMEDOUT when the call was
 * flushed, -ECONNRESET, -EAGAIN, -EINVAL).  timeout_ns < 0: the connection's
 * call_timeout.  The deadline covers the wait for a free tag too.
 */
#ifndef P9_OPS_H
#define P9_OPS_H

#include <stdint.h>

#include "p9_conn.h"

int p9_attach(struct p9_conn *c, uint32_t fid, const char *uname, const char *aname,
              uint32_t n_uname, struct p9_qid *qid, int64_t timeout_ns);
/* Walk `path` ("a/b/c", at most P9_MAXWELEM names; "" clones fid). */
int p9_walk(struct p9_conn *c, uint32_t fid, uint32_t newfid, const char *path,
            int64_t timeout_ns);
int p9_lopen(struct p9_conn *c, uint32_t fid, uint32_t flags, uint32_t *iounit,
             int64_t timeout_ns);
/* Read up to count bytes at offset into buf; *got says how many came. */
int p9_read(struct p9_conn *c, uint32_t fid, uint64_t offset, void *buf, uint32_t count,
            uint32_t *got, int64_t timeout_ns);
int p9_getattr(struct p9_conn *c, uint32_t fid, struct p9_attr *attr, int64_t timeout_ns);
int p9_clunk(struct p9_conn *c, uint32_t fid, int64_t timeout_ns);

/* Build a call without starting it, for callers that keep several calls in
 * flight (load mode, tests).  0, or -EINVAL when the message does not fit. */
int p9_prep_read(struct p9_call *call, uint32_t fid, uint64_t offset, void *buf, uint32_t count);
int p9_prep_getattr(struct p9_call *call, uint32_t fid);

#endif /* P9_OPS_H */
