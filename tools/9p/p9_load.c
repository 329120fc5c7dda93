/* SPDX-License-Identifier: MIT */
/*
 * p9_load.c - midatlas-9p-load: many threads, one 9P connection, K calls in
 * flight per thread, against a running 9P2000.L server.
 *
 *   midatlas-9p-load --server 127.0.0.1:PORT --aname /export/dir
 *       [--threads N] [--seconds S] [--inflight K] [--op getattr|read]
 *       [--file NAME] [--read-size B] [--timeout-us T] [--tags CAP]
 *       [--atlas midatlas|mutex|both] [--rounds R] [--setup-timeout-ms M]
 *       [--flush-timeout-ms F] [--max-tombstones N]
 *
 * --atlas both runs the same load with midatlas and with the mutex baseline
 * tag table, alternating R rounds each, on fresh connections to the same
 * server, and prints one SUMMARY line per atlas (totals over its rounds).
 * --timeout-us makes calls that take longer be flushed (Tflush), to measure
 * the cancellation path under load.  Every other call (handshake, attach,
 * walk, lopen, clunk) has the setup deadline; Tflush and the tombstone bound
 * follow the client's policy (p9_conn.h), whose limits the last two set.
 *
 * The SUMMARY counts every frame the client dropped, by reason, and how the
 * connection ended; the exit status is 1 when a connection died before the
 * end of its round (the counts say why), 2 for a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "p9_conn.h"
#include "p9_ops.h"

struct opts {
    char host[64];
    uint16_t port;
    const char *aname, *file, *op, *atlas;
    unsigned threads, inflight, rounds;
    double seconds;
    uint32_t read_size, tags, max_tombstones;
    int64_t timeout_ns, setup_timeout_ns, flush_timeout_ns;
};

/* Latencies of successful calls, in ns, one growing array per thread. */
struct lat {
    uint64_t *v;
    size_t n, cap;
};

static void lat_add(struct lat *l, uint64_t ns)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4096;
        uint64_t *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return; /* drop the sample rather than the run */
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = ns;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

struct worker {
    pthread_t th;
    const struct opts *o;
    struct p9_conn *c;
    uint32_t fid;
    uint64_t start_ns, stop_ns;
    uint64_t ok, errors, timeouts, full;
    struct lat lat;
};

static int prep(struct worker *w, struct p9_call *call, uint8_t *buf, unsigned i)
{
    call->nwname = 0;
    if (strcmp(w->o->op, "read") == 0)
        return p9_prep_read(call, w->fid, (uint64_t)i * w->o->read_size, buf, w->o->read_size);
    return p9_prep_getattr(call, w->fid);
}

/* Start one call.  No free tag (flushed tags wait for their Rflush) is
 * counted apart and backed off briefly: spinning on it would take the CPU
 * the receiver and the server need to hand tags back. */
static void start_one(struct worker *w, struct p9_call *call, uint8_t *buf, unsigned i,
                      bool *busy)
{
    int rc = prep(w, call, buf, i);
    if (rc == 0)
        rc = p9_call_start(w->c, call);
    *busy = rc == 0;
    if (rc == -EAGAIN) {
        w->full++;
        nanosleep(&(struct timespec){0, 20000}, NULL);
    } else if (rc != 0 && w->errors++ == 0) {
        fprintf(stderr, "midatlas-9p-load: start failed: %d\n", rc);
    }
}

/* Keep `inflight` calls going until stop_ns; wait for them in start order. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    unsigned k = w->o->inflight;
    struct p9_call *calls = calloc(k, sizeof *calls);
    uint8_t *bufs = malloc((size_t)k * w->o->read_size);
    bool *busy = calloc(k, sizeof *busy);
    if (!calls || !bufs || !busy) {
        fprintf(stderr, "midatlas-9p-load: out of memory\n");
        exit(2);
    }
    for (unsigned i = 0; i < k; i++)
        start_one(w, &calls[i], bufs + (size_t)i * w->o->read_size, i, &busy[i]);
    for (unsigned i = 0;; i = (i + 1) % k) {
        if (busy[i]) {
            int rc = p9_call_wait(w->c, &calls[i], w->o->timeout_ns);
            if (rc == 0) {
                w->ok++;
                lat_add(&w->lat, calls[i].t_done_ns - calls[i].t_submit_ns);
            } else if (rc == -ETIMEDOUT) {
                w->timeouts++;
            } else {
                if (w->errors++ == 0)
                    fprintf(stderr, "midatlas-9p-load: first error: %d\n", rc);
            }
            busy[i] = false;
        }
        /* Time is up or the connection is gone: start nothing more, and
         * leave once what is in flight has ended (a dead connection has
         * completed it all already, so that is at once). */
        if (p9_now_ns() >= w->stop_ns || p9_conn_is_closed(w->c)) {
            bool any = false;
            for (unsigned j = 0; j < k; j++)
                any |= busy[j];
            if (!any)
                break;
            continue;
        }
        start_one(w, &calls[i], bufs + (size_t)i * w->o->read_size, i, &busy[i]);
    }
    free(calls);
    free(bufs);
    free(busy);
    return NULL;
}

struct result {
    uint64_t ok, errors, timeouts, full, died;
    unsigned connected; /* rounds that got a connection: only those report */
    double seconds;
    struct lat lat;
    struct p9_counters ctr;
};

/* Sum of counters: struct p9_counters is uint64_t fields only. */
static void add_counters(struct p9_counters *sum, const struct p9_counters *k)
{
    _Static_assert(sizeof *k % sizeof(uint64_t) == 0, "p9_counters holds uint64_t only");
    uint64_t *d = (uint64_t *)sum;
    const uint64_t *v = (const uint64_t *)k;
    for (size_t i = 0; i < sizeof *k / sizeof *v; i++)
        d[i] = &d[i] == &sum->tombstone_peak ? (d[i] > v[i] ? d[i] : v[i]) : d[i] + v[i];
}

static const char *errstr(int rc) { return strerror(rc > 0 ? rc : -rc); }

/* Clunk a fid the round opened; a failure is reported, never ignored. */
static void clunk(struct p9_conn *c, const struct opts *o, uint32_t fid, const char *what)
{
    int rc = p9_clunk(c, fid, o->setup_timeout_ns);
    if (rc != 0 && !p9_conn_is_closed(c))
        fprintf(stderr, "midatlas-9p-load: clunk %s: %s\n", what, errstr(rc));
}

/* Attach (root), walk to the file (fid), open it for reads.  On failure
 * whatever was opened is clunked again. */
static int open_target(struct p9_conn *c, const struct opts *o, uint32_t *root, uint32_t *fid)
{
    *root = p9_conn_new_fid(c);
    int rc = p9_attach(c, *root, "root", o->aname, 0, NULL, o->setup_timeout_ns);
    if (rc != 0) {
        fprintf(stderr, "midatlas-9p-load: attach %s: %s\n", o->aname, errstr(rc));
        return rc;
    }
    *fid = p9_conn_new_fid(c);
    rc = p9_walk(c, *root, *fid, o->file ? o->file : "", o->setup_timeout_ns);
    if (rc == 0 && strcmp(o->op, "read") == 0 &&
        (rc = p9_lopen(c, *fid, 0 /* O_RDONLY */, NULL, o->setup_timeout_ns)) != 0)
        clunk(c, o, *fid, "file");
    if (rc != 0) {
        fprintf(stderr, "midatlas-9p-load: open %s: %s\n", o->file ? o->file : "/", errstr(rc));
        clunk(c, o, *root, "root");
    }
    return rc;
}

static void run_workers(const struct opts *o, const char *atlas, struct p9_conn *c,
                        uint32_t fid, struct result *res)
{
    struct worker *w = calloc(o->threads, sizeof *w);
    if (!w) {
        fprintf(stderr, "midatlas-9p-load: out of memory\n");
        exit(2);
    }
    uint64_t start = p9_now_ns(), stop = start + (uint64_t)(o->seconds * 1e9);
    for (unsigned t = 0; t < o->threads; t++) {
        w[t] = (struct worker){.o = o, .c = c, .fid = fid, .start_ns = start, .stop_ns = stop};
        pthread_create(&w[t].th, NULL, worker_main, &w[t]);
    }
    for (unsigned t = 0; t < o->threads; t++)
        pthread_join(w[t].th, NULL);
    double secs = (double)(p9_now_ns() - start) / 1e9;
    uint64_t ok = 0;
    for (unsigned t = 0; t < o->threads; t++)
        ok += w[t].ok;
    /* One line per round: the spread between rounds is the noise floor. */
    printf("ROUND atlas=%s threads=%u rps=%.0f\n", atlas, o->threads,
           secs > 0 ? ok / secs : 0);
    res->seconds += secs;
    for (unsigned t = 0; t < o->threads; t++) {
        res->ok += w[t].ok;
        res->errors += w[t].errors;
        res->timeouts += w[t].timeouts;
        res->full += w[t].full;
        for (size_t i = 0; i < w[t].lat.n; i++)
            lat_add(&res->lat, w[t].lat.v[i]);
        free(w[t].lat.v);
    }
    free(w);
}

/* One round with one atlas; adds into *res.  0, or the error that kept the
 * round from running.  A connection that dies during the load is counted in
 * res->died (the round still reports what it did). */
static int run_round(const struct opts *o, const char *atlas, struct result *res)
{
    struct p9_conn *c;
    struct p9_conn_opts co = {.atlas = atlas, .tags = o->tags,
                              .call_timeout_ns = o->setup_timeout_ns,
                              .flush_timeout_ns = o->flush_timeout_ns,
                              .max_tombstones = o->max_tombstones};
    int rc = p9_connect(&c, o->host, o->port, &co);
    if (rc != 0) {
        fprintf(stderr, "midatlas-9p-load: connect %s:%u (%s): %s\n", o->host, o->port, atlas,
                errstr(rc));
        return rc;
    }
    uint32_t root, fid;
    res->connected++;
    if ((rc = open_target(c, o, &root, &fid)) == 0) {
        run_workers(o, atlas, c, fid, res);
        clunk(c, o, fid, "file");
        clunk(c, o, root, "root");
        if (p9_conn_is_closed(c)) { /* before our own close: it died */
            res->died++;
            fprintf(stderr, "midatlas-9p-load: %s connection lost during the run\n", atlas);
        }
    }
    struct p9_counters k;
    p9_conn_counters(c, &k);
    add_counters(&res->ctr, &k);
    p9_conn_close(c);
    return rc;
}

static double pct_us(struct lat *l, double p)
{
    if (l->n == 0)
        return 0;
    size_t i = (size_t)(p * (double)(l->n - 1));
    return (double)l->v[i] / 1e3;
}

static void report(const struct opts *o, const char *atlas, struct result *r)
{
    const struct p9_counters *k = &r->ctr;
    if (r->lat.n) /* qsort's array may not be NULL, even for 0 elements */
        qsort(r->lat.v, r->lat.n, sizeof *r->lat.v, cmp_u64);
    /* Every dropped or rejected frame, by reason; bad_input is their sum. */
    uint64_t bad = k->notag + k->unknown_tag + k->stale_tag + k->late_dropped + k->lost_race +
                   k->bad_reply + k->bad_size + k->truncated;
#define U(x) ((unsigned long long)(x))
    printf("SUMMARY atlas=%s op=%s threads=%u inflight=%u seconds=%.2f requests=%llu "
           "rps=%.0f p50_us=%.1f p99_us=%.1f timeouts=%llu errors=%llu no_tag=%llu "
           "flushes=%llu rflush=%llu tombstone_peak=%llu "
           "notag=%llu unknown_tag=%llu stale_tag=%llu tombstone=%llu lost_race=%llu "
           "bad_reply=%llu bad_size=%llu truncated=%llu bad_input=%llu "
           "peer_reset=%llu send_stalled=%llu reset_flush_timeout=%llu "
           "reset_no_flush_tag=%llu drained=%llu died=%llu\n",
           atlas, o->op, o->threads, o->inflight, r->seconds, U(r->ok),
           r->seconds > 0 ? (double)r->ok / r->seconds : 0.0, pct_us(&r->lat, 0.50),
           pct_us(&r->lat, 0.99), U(r->timeouts), U(r->errors), U(r->full), U(k->flushes),
           U(k->rflush), U(k->tombstone_peak), U(k->notag), U(k->unknown_tag), U(k->stale_tag),
           U(k->late_dropped), U(k->lost_race), U(k->bad_reply), U(k->bad_size),
           U(k->truncated), U(bad), U(k->peer_reset), U(k->send_stalled),
           U(k->reset_flush_timeout), U(k->flush_failed),
           U(k->drained), U(r->died));
#undef U
}

#ifndef MIDATLAS_VERSION_STRING
#define MIDATLAS_VERSION_STRING "unknown"
#endif

static const char usage_text[] =
    "usage: midatlas-9p-load --server HOST:PORT --aname DIR [options]\n"
    "  --threads N           client threads on the one connection (1)\n"
    "  --seconds S           load time per round (2)\n"
    "  --inflight K          calls in flight per thread (8)\n"
    "  --op getattr|read     the call the load makes (getattr)\n"
    "  --file NAME           file under DIR to walk to (needed by --op read)\n"
    "  --read-size B         bytes per Tread (4096)\n"
    "  --timeout-us T        flush load calls that take longer (none)\n"
    "  --tags CAP            tag table capacity (256)\n"
    "  --atlas midatlas|mutex|both   tag table; both alternates rounds (midatlas)\n"
    "  --rounds R            rounds per atlas (1)\n"
    "  --setup-timeout-ms M  deadline of handshake, attach, walk, lopen, clunk (10000)\n"
    "  --flush-timeout-ms F  Rflush deadline; past it the connection resets (5000)\n"
    "  --max-tombstones N    flushed tags awaiting Rflush at once; more wait (tags/4)\n"
    "  --help, --version\n"
    "Exit: 0 ok, 1 a connection failed or died during the run, 2 usage error.\n";

/* One error line and a hint, exit 2. */
static void usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "midatlas-9p-load: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\nTry 'midatlas-9p-load --help' for the options.\n");
    exit(2);
}

/* A number in [min, max], or a usage error naming the option. */
static double number(const char *arg, const char *opt, double min, double max)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v >= min && v <= max))
        usage_error("bad value for %s", opt);
    return v;
}

static void parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"server", 1, 0, 's'}, {"aname", 1, 0, 'a'}, {"threads", 1, 0, 't'},
        {"seconds", 1, 0, 'S'}, {"inflight", 1, 0, 'k'}, {"op", 1, 0, 'o'},
        {"file", 1, 0, 'f'}, {"read-size", 1, 0, 'r'}, {"timeout-us", 1, 0, 'T'},
        {"tags", 1, 0, 'g'}, {"atlas", 1, 0, 'A'}, {"rounds", 1, 0, 'R'},
        {"setup-timeout-ms", 1, 0, 'U'}, {"flush-timeout-ms", 1, 0, 'F'},
        {"max-tombstones", 1, 0, 'M'}, {"help", 0, 0, 'h'}, {"version", 0, 0, 'V'},
        {0, 0, 0, 0}};
    *o = (struct opts){.threads = 1, .inflight = 8, .rounds = 1, .seconds = 2, .op = "getattr",
                       .atlas = "midatlas", .read_size = 4096, .tags = 256, .timeout_ns = -1,
                       .setup_timeout_ns = 10000000000ll, .flush_timeout_ns = 5000000000ll};
    const char *server = NULL;
    int ch, li = -1;
    opterr = 0; /* our own message: one line and a hint */
    while ((ch = getopt_long(argc, argv, ":", lo, &li)) != -1) {
        char opt[40]; /* the option's name, for the messages */
        snprintf(opt, sizeof opt, "--%s", li >= 0 ? lo[li].name : argv[optind - 1] + 2);
        li = -1;
        switch (ch) {
        case 's': server = optarg; break;
        case 'a': o->aname = optarg; break;
        case 't': o->threads = (unsigned)number(optarg, opt, 1, 1024); break;
        case 'S': o->seconds = number(optarg, opt, 0, 1e6); break;
        case 'k': o->inflight = (unsigned)number(optarg, opt, 1, 65536); break;
        case 'o': o->op = optarg; break;
        case 'f': o->file = optarg; break;
        case 'r': o->read_size = (uint32_t)number(optarg, opt, 1, 1 << 24); break;
        case 'T': o->timeout_ns = (int64_t)(number(optarg, opt, 0, 1e12) * 1e3); break;
        case 'g': o->tags = (uint32_t)number(optarg, opt, 1, 65536); break;
        case 'A': o->atlas = optarg; break;
        case 'R': o->rounds = (unsigned)number(optarg, opt, 1, 1e6); break;
        case 'U': o->setup_timeout_ns = (int64_t)(number(optarg, opt, 1, 1e9) * 1e6); break;
        case 'F': o->flush_timeout_ns = (int64_t)(number(optarg, opt, 1, 1e9) * 1e6); break;
        case 'M': o->max_tombstones = (uint32_t)number(optarg, opt, 1, 65536); break;
        case 'h': fputs(usage_text, stdout); exit(0);
        case 'V': printf("midatlas-9p-load %s\n", MIDATLAS_VERSION_STRING); exit(0);
        case ':': usage_error("option %s needs a value", argv[optind - 1]); break;
        default: usage_error("unknown option %s", argv[optind - 1]); break;
        }
    }
    if (optind < argc)
        usage_error("unexpected argument %s", argv[optind]);
    const char *colon = server ? strrchr(server, ':') : NULL;
    if (!colon || colon == server || (size_t)(colon - server) >= sizeof o->host)
        usage_error("%s", "--server HOST:PORT is required");
    if (!o->aname)
        usage_error("%s", "--aname DIR is required");
    if (strcmp(o->op, "getattr") != 0 && strcmp(o->op, "read") != 0)
        usage_error("--op must be getattr or read, not %s", o->op);
    if (strcmp(o->op, "read") == 0 && !o->file)
        usage_error("%s", "--op read needs --file");
    memcpy(o->host, server, (size_t)(colon - server));
    o->host[colon - server] = '\0';
    o->port = (uint16_t)number(colon + 1, "--server port", 1, 65535);
}

int main(int argc, char **argv)
{
    struct opts o;
    parse(argc, argv, &o);
    bool both = strcmp(o.atlas, "both") == 0;
    const char *names[2] = {both ? "midatlas" : o.atlas, "mutex"};
    unsigned n = both ? 2 : 1;
    struct result res[2] = {0};
    /* Alternate the atlases round by round, and which goes first, so that
     * drift on a shared machine (and whatever the first connection of a
     * pair pays) hits both alike.  A failed round ends the run, but what
     * ran is still reported. */
    int failed = 0;
    for (unsigned r = 0; r < o.rounds && !failed; r++)
        for (unsigned i = 0; i < n && !failed; i++) {
            unsigned a = (i + r) % n;
            failed = run_round(&o, names[a], &res[a]) != 0 || res[a].died;
        }
    for (unsigned a = 0; a < n; a++) {
        if (res[a].connected)
            report(&o, names[a], &res[a]);
        free(res[a].lat.v);
    }
    if (both && res[1].seconds > 0 && res[0].seconds > 0 && res[1].ok > 0)
        printf("RATIO midatlas/mutex rps=%.3f\n",
               ((double)res[0].ok / res[0].seconds) / ((double)res[1].ok / res[1].seconds));
    return failed ? 1 : 0;
}
