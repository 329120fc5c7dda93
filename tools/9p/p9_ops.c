/* SPDX-License-Identifier: MIT */
/*
 * p9_ops.c - synchronous 9P2000.L operations over a shared connection.
 */
#include "p9_ops.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define TAG_RETRY_NS 1000000 /* 1 ms between tries for a free tag */

/* Start and wait; the common tail of every operation.  The deadline covers
 * the whole operation: when every tag is taken (tombstones awaiting their
 * Rflush, other threads' calls) the start is retried until it runs out. */
static int run(struct p9_conn *c, struct p9_call *call, int64_t timeout_ns)
{
    if (call->tlen == 0)
        return -EINVAL; /* the builder ran out of room */
    if (timeout_ns < 0)
        timeout_ns = p9_conn_call_timeout(c);
    uint64_t give_up = p9_now_ns() + (uint64_t)timeout_ns;
    int rc;
    while ((rc = p9_call_start(c, call)) == -EAGAIN && p9_now_ns() < give_up)
        nanosleep(&(struct timespec){0, TAG_RETRY_NS}, NULL);
    if (rc != 0)
        return rc;
    int64_t left = give_up > call->t_submit_ns ? (int64_t)(give_up - call->t_submit_ns) : 0;
    return p9_call_wait(c, call, left);
}

int p9_attach(struct p9_conn *c, uint32_t fid, const char *uname, const char *aname,
              uint32_t n_uname, struct p9_qid *qid, int64_t timeout_ns)
{
    struct p9_call call = {0};
    call.tlen = (uint32_t)p9_build_attach(call.tmsg, sizeof call.tmsg, 0, fid, uname, aname,
                                          n_uname);
    int rc = run(c, &call, timeout_ns);
    if (rc == 0 && qid)
        *qid = call.r.qid;
    return rc;
}

int p9_walk(struct p9_conn *c, uint32_t fid, uint32_t newfid, const char *path,
            int64_t timeout_ns)
{
    char copy[P9_TMSG_MAX];
    const char *names[P9_MAXWELEM];
    uint16_t n = 0;
    if (strlen(path) >= sizeof copy)
        return -EINVAL;
    strcpy(copy, path);
    for (char *save = NULL, *s = strtok_r(copy, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (n == P9_MAXWELEM)
            return -EINVAL;
        names[n++] = s;
    }
    struct p9_call call = {0};
    call.nwname = n;
    call.tlen = (uint32_t)p9_build_walk(call.tmsg, sizeof call.tmsg, 0, fid, newfid, n, names);
    int rc = run(c, &call, timeout_ns);
    /* A walk that stops early answers Rwalk with fewer qids: not found. */
    if (rc == 0 && call.r.walk.n != n)
        return ENOENT;
    return rc;
}

int p9_lopen(struct p9_conn *c, uint32_t fid, uint32_t flags, uint32_t *iounit,
             int64_t timeout_ns)
{
    struct p9_call call = {0};
    call.tlen = (uint32_t)p9_build_lopen(call.tmsg, sizeof call.tmsg, 0, fid, flags);
    int rc = run(c, &call, timeout_ns);
    if (rc == 0 && iounit)
        *iounit = call.r.lopen.iounit;
    return rc;
}

int p9_prep_read(struct p9_call *call, uint32_t fid, uint64_t offset, void *buf, uint32_t count)
{
    call->rdata = buf;
    call->rdata_cap = count;
    call->tlen = (uint32_t)p9_build_read(call->tmsg, sizeof call->tmsg, 0, fid, offset, count);
    return call->tlen ? 0 : -EINVAL;
}

int p9_prep_getattr(struct p9_call *call, uint32_t fid)
{
    call->tlen = (uint32_t)p9_build_getattr(call->tmsg, sizeof call->tmsg, 0, fid,
                                            P9_GETATTR_BASIC);
    return call->tlen ? 0 : -EINVAL;
}

int p9_read(struct p9_conn *c, uint32_t fid, uint64_t offset, void *buf, uint32_t count,
            uint32_t *got, int64_t timeout_ns)
{
    struct p9_call call = {0};
    if (count > p9_conn_msize(c) - P9_IOHDRSZ)
        return -EINVAL;
    p9_prep_read(&call, fid, offset, buf, count);
    int rc = run(c, &call, timeout_ns);
    if (rc == 0 && got)
        *got = call.r.count;
    return rc;
}

int p9_getattr(struct p9_conn *c, uint32_t fid, struct p9_attr *attr, int64_t timeout_ns)
{
    struct p9_call call = {0};
    p9_prep_getattr(&call, fid);
    int rc = run(c, &call, timeout_ns);
    if (rc == 0 && attr)
        *attr = call.r.attr;
    return rc;
}

int p9_clunk(struct p9_conn *c, uint32_t fid, int64_t timeout_ns)
{
    struct p9_call call = {0};
    call.tlen = (uint32_t)p9_build_clunk(call.tmsg, sizeof call.tmsg, 0, fid);
    return run(c, &call, timeout_ns);
}
