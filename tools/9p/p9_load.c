/*
 * p9_load.c - midatlas-9p-load: many threads, one 9P connection, K calls in
 * flight per thread, against a running 9P2000.L server.
 *
 *   midatlas-9p-load --server 127.0.0.1:PORT --aname /export/dir
 *       [--threads N] [--seconds S] [--inflight K] [--op getattr|read]
 *       [--file NAME] [--read-size B] [--timeout-us T] [--tags CAP]
 *       [--atlas midatlas|mutex|both] [--rounds R]
 *
 * --atlas both runs the same load with midatlas and with the mutex baseline
 * tag table, alternating R rounds each, on fresh connections to the same
 * server, and prints one SUMMARY line per atlas (totals over its rounds).
 * --timeout-us makes calls that take longer be flushed (Tflush), to measure
 * the cancellation path under load.
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
    uint32_t read_size, tags;
    int64_t timeout_ns;
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
        if (p9_now_ns() >= w->stop_ns) {
            bool any = false;
            for (unsigned j = 0; j < k; j++)
                any |= busy[j];
            if (!any)
                break;
            continue;
        }
        if (p9_conn_is_closed(w->c))
            continue; /* drain what is left, start nothing */
        start_one(w, &calls[i], bufs + (size_t)i * w->o->read_size, i, &busy[i]);
    }
    free(calls);
    free(bufs);
    free(busy);
    return NULL;
}

struct result {
    uint64_t ok, errors, timeouts, full;
    double seconds;
    struct lat lat;
    struct p9_counters ctr;
};

static int open_target(struct p9_conn *c, const struct opts *o, uint32_t *fid)
{
    uint32_t root = p9_conn_new_fid(c);
    int rc = p9_attach(c, root, "root", o->aname, 0, NULL, -1);
    if (rc != 0) {
        fprintf(stderr, "midatlas-9p-load: attach %s: %s\n", o->aname,
                rc > 0 ? strerror(rc) : strerror(-rc));
        return rc;
    }
    *fid = p9_conn_new_fid(c);
    rc = p9_walk(c, root, *fid, o->file ? o->file : "", -1);
    if (rc == 0 && strcmp(o->op, "read") == 0)
        rc = p9_lopen(c, *fid, 0 /* O_RDONLY */, NULL, -1);
    if (rc != 0)
        fprintf(stderr, "midatlas-9p-load: open %s: %s\n", o->file ? o->file : "/",
                rc > 0 ? strerror(rc) : strerror(-rc));
    return rc;
}

/* One round with one atlas; adds into *res. */
static int run_round(const struct opts *o, const char *atlas, struct result *res)
{
    struct p9_conn *c;
    struct p9_conn_opts co = {.atlas = atlas, .tags = o->tags};
    int rc = p9_connect(&c, o->host, o->port, &co);
    if (rc != 0) {
        fprintf(stderr, "midatlas-9p-load: connect %s:%u (%s): %s\n", o->host, o->port, atlas,
                strerror(-rc));
        return rc;
    }
    uint32_t fid;
    if ((rc = open_target(c, o, &fid)) != 0) {
        p9_conn_close(c);
        return rc;
    }
    struct worker *w = calloc(o->threads, sizeof *w);
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
    printf("ROUND atlas=%s threads=%u rps=%.0f\n", atlas, o->threads, secs > 0 ? ok / secs : 0);
    res->seconds += secs;
    struct p9_counters k;
    p9_conn_counters(c, &k);
    res->ctr.flushes += k.flushes;
    res->ctr.late_dropped += k.late_dropped;
    res->ctr.lost_race += k.lost_race;
    res->ctr.rflush += k.rflush;
    res->ctr.unknown_tag += k.unknown_tag + k.stale_tag + k.bad_reply;
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
    p9_clunk(c, fid, -1);
    p9_conn_close(c);
    return 0;
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
    qsort(r->lat.v, r->lat.n, sizeof *r->lat.v, cmp_u64);
    printf("SUMMARY atlas=%s op=%s threads=%u inflight=%u seconds=%.2f requests=%llu "
           "rps=%.0f p50_us=%.1f p99_us=%.1f flushes=%llu late_dropped=%llu lost_race=%llu "
           "rflush=%llu timeouts=%llu no_tag=%llu errors=%llu bad_input=%llu\n",
           atlas, o->op, o->threads, o->inflight, r->seconds, (unsigned long long)r->ok,
           r->seconds > 0 ? (double)r->ok / r->seconds : 0.0, pct_us(&r->lat, 0.50),
           pct_us(&r->lat, 0.99), (unsigned long long)r->ctr.flushes,
           (unsigned long long)r->ctr.late_dropped, (unsigned long long)r->ctr.lost_race,
           (unsigned long long)r->ctr.rflush, (unsigned long long)r->timeouts,
           (unsigned long long)r->full,
           (unsigned long long)r->errors, (unsigned long long)r->ctr.unknown_tag);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: midatlas-9p-load --server HOST:PORT --aname DIR [--threads N] "
               "[--seconds S] [--inflight K] [--op getattr|read] [--file NAME] "
               "[--read-size B] [--timeout-us T] [--tags CAP] "
               "[--atlas midatlas|mutex|both] [--rounds R]\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"server", 1, 0, 's'}, {"aname", 1, 0, 'a'}, {"threads", 1, 0, 't'},
        {"seconds", 1, 0, 'S'}, {"inflight", 1, 0, 'k'}, {"op", 1, 0, 'o'},
        {"file", 1, 0, 'f'}, {"read-size", 1, 0, 'r'}, {"timeout-us", 1, 0, 'T'},
        {"tags", 1, 0, 'g'}, {"atlas", 1, 0, 'A'}, {"rounds", 1, 0, 'R'},
        {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    *o = (struct opts){.threads = 1, .inflight = 8, .rounds = 1, .seconds = 2, .op = "getattr",
                       .atlas = "midatlas", .read_size = 4096, .tags = 256, .timeout_ns = -1};
    const char *server = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 's': server = optarg; break;
        case 'a': o->aname = optarg; break;
        case 't': o->threads = (unsigned)atoi(optarg); break;
        case 'S': o->seconds = atof(optarg); break;
        case 'k': o->inflight = (unsigned)atoi(optarg); break;
        case 'o': o->op = optarg; break;
        case 'f': o->file = optarg; break;
        case 'r': o->read_size = (uint32_t)atoi(optarg); break;
        case 'T': o->timeout_ns = (int64_t)(atof(optarg) * 1e3); break;
        case 'g': o->tags = (uint32_t)atoi(optarg); break;
        case 'A': o->atlas = optarg; break;
        case 'R': o->rounds = (unsigned)atoi(optarg); break;
        case 'h': usage(stdout); exit(0);
        default: return -1;
        }
    }
    const char *colon = server ? strrchr(server, ':') : NULL;
    if (!colon || (size_t)(colon - server) >= sizeof o->host || !o->aname || o->threads == 0 ||
        o->inflight == 0 || o->rounds == 0 || o->read_size == 0 ||
        (strcmp(o->op, "getattr") != 0 && strcmp(o->op, "read") != 0) ||
        (strcmp(o->op, "read") == 0 && !o->file))
        return -1;
    memcpy(o->host, server, (size_t)(colon - server));
    o->host[colon - server] = '\0';
    o->port = (uint16_t)atoi(colon + 1);
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    bool both = strcmp(o.atlas, "both") == 0;
    const char *names[2] = {both ? "midatlas" : o.atlas, "mutex"};
    unsigned n = both ? 2 : 1;
    struct result res[2] = {0};
    /* Alternate the atlases round by round, and which goes first, so that
     * drift on a shared machine (and whatever the first connection of a
     * pair pays) hits both alike. */
    for (unsigned r = 0; r < o.rounds; r++)
        for (unsigned i = 0; i < n; i++) {
            unsigned a = (i + r) % n;
            if (run_round(&o, names[a], &res[a]) != 0)
                return 1;
        }
    for (unsigned a = 0; a < n; a++) {
        report(&o, names[a], &res[a]);
        free(res[a].lat.v);
    }
    if (both && res[1].seconds > 0 && res[0].seconds > 0)
        printf("RATIO midatlas/mutex rps=%.3f\n",
               ((double)res[0].ok / res[0].seconds) / ((double)res[1].ok / res[1].seconds));
    return 0;
}
