/* SPDX-License-Identifier: MIT */
/*
 * t9p_diod.c - the client end to end against a real diod that the test
 * starts on a free loopback port and stops at the end (p9_diod.c).
 *
 *   t9p_diod reads       ATLAS  many threads, many concurrent Treads at
 *                               random offsets; every byte is verified
 *   t9p_diod flush_storm ATLAS  the same with tiny timeouts: thousands of
 *                               Tflush; every reply that is delivered must
 *                               carry exactly the bytes its call asked for;
 *                               every tombstone is released by its Rflush
 *   t9p_diod teardown    ATLAS  shutdown while calls are in flight: each
 *                               call completes exactly once, nothing hangs
 *
 * ATLAS: midatlas or mutex (the impl.h baseline behind the same client).
 * The file's bytes depend on their offset, so a reply delivered to the wrong
 * call (another offset or length) cannot pass the check.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "p9_check.h"
#include "p9_conn.h"
#include "p9_diod.h"
#include "p9_ops.h"

#define FILE_SIZE (1u << 20) + 4321u
#define MAX_READ 8192u

struct env {
    struct p9_diod d;
    struct p9_conn *c;
    uint32_t fid;
    uint8_t *content;
    const char *atlas;
};

static uint64_t rng_next(uint64_t *s) /* xorshift64 */
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void write_file(struct env *e)
{
    char path[160];
    uint64_t s = 0x9E3779B97F4A7C15ull;
    e->content = malloc(FILE_SIZE);
    CHECK(e->content, "oom");
    for (size_t i = 0; i < FILE_SIZE; i++)
        e->content[i] = (uint8_t)(rng_next(&s) >> 24);
    snprintf(path, sizeof path, "%s/data", e->d.export);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, e->content, FILE_SIZE) == (ssize_t)FILE_SIZE, "write %s", path);
    close(fd);
}

static void setup(struct env *e, const char *atlas)
{
    e->atlas = atlas;
    p9_diod_start(&e->d);
    write_file(e);
    struct p9_conn_opts o = {.atlas = atlas, .tags = 256};
    int rc = p9_connect(&e->c, "127.0.0.1", e->d.port, &o);
    CHECK(rc == 0, "connect to diod on port %u: %s", e->d.port, strerror(-rc));
    uint32_t root = p9_conn_new_fid(e->c);
    rc = p9_attach(e->c, root, "root", e->d.export, 0, NULL, 5000000000);
    CHECK(rc == 0, "attach %s: %d", e->d.export, rc);
    e->fid = p9_conn_new_fid(e->c);
    rc = p9_walk(e->c, root, e->fid, "data", 5000000000);
    CHECK(rc == 0, "walk data: %d", rc);
    rc = p9_lopen(e->c, e->fid, 0 /* O_RDONLY */, NULL, 5000000000);
    CHECK(rc == 0, "lopen: %d", rc);
    struct p9_attr a;
    rc = p9_getattr(e->c, e->fid, &a, 5000000000);
    CHECK(rc == 0 && a.size == FILE_SIZE, "getattr: %d size %llu", rc,
          (unsigned long long)a.size);
}

static void teardown(struct env *e)
{
    if (e->c)
        p9_conn_close(e->c);
    p9_diod_stop(&e->d);
    free(e->content);
}

/* ----------------------- a thread with K calls in flight ------------------ */

struct slot {
    struct p9_call call;
    uint8_t buf[MAX_READ];
    uint64_t off;
    uint32_t count;
    bool busy;
};

struct worker {
    pthread_t th;
    struct env *e;
    uint64_t seed;
    unsigned inflight;
    unsigned total;             /* calls to start                              */
    int timeout_mode;           /* 0: none, 1: random tiny timeouts,
                                   2: like 1 on odd threads, 0 on even ones   */
    volatile int *stop;         /* set by main (teardown test)                 */
    uint64_t ok, flushed, reset, misdelivered, bad_status, multi_completion, no_tag;
};

static int64_t pick_timeout(struct worker *w)
{
    static const int64_t us[] = {0, 10, 20, 50, 100, 200, 1000, -1};
    if (!w->timeout_mode)
        return -1;
    int64_t t = us[rng_next(&w->seed) % (sizeof us / sizeof *us)];
    return t < 0 ? -1 : t * 1000;
}

static bool start_slot(struct worker *w, struct slot *s)
{
    s->off = rng_next(&w->seed) % (FILE_SIZE + 1000); /* some past the end */
    s->count = 1 + (uint32_t)(rng_next(&w->seed) % MAX_READ);
    memset(&s->call, 0, sizeof s->call);
    CHECK(p9_prep_read(&s->call, w->e->fid, s->off, s->buf, s->count) == 0, "prep");
    int rc;
    /* No free tag: flushed tags wait for their Rflush.  Back off, retry. */
    while ((rc = p9_call_start(w->e->c, &s->call)) == -EAGAIN) {
        w->no_tag++;
        nanosleep(&(struct timespec){0, 50000}, NULL);
    }
    if (rc == -ECONNRESET)
        return false;
    CHECK(rc == 0, "start: %d", rc);
    return true;
}

static void check_slot(struct worker *w, struct slot *s, int rc)
{
    if (s->call.completions != 1)
        w->multi_completion++;
    if (rc == -ETIMEDOUT) {
        w->flushed++;
        return;
    }
    if (rc == -ECONNRESET) {
        w->reset++;
        return;
    }
    if (rc != 0) {
        w->bad_status++;
        fprintf(stderr, "call status %d\n", rc);
        return;
    }
    uint64_t want = s->off >= FILE_SIZE ? 0 : FILE_SIZE - s->off;
    if (want > s->count)
        want = s->count;
    if (s->call.r.count != want ||
        (want && memcmp(s->buf, w->e->content + s->off, (size_t)want) != 0)) {
        w->misdelivered++;
        fprintf(stderr, "MISDELIVERED: read off=%llu count=%u got %u bytes (want %llu)\n",
                (unsigned long long)s->off, s->count, s->call.r.count,
                (unsigned long long)want);
        return;
    }
    w->ok++;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct slot *slots = calloc(w->inflight, sizeof *slots);
    unsigned started = 0;
    bool open = true;
    CHECK(slots, "oom");
    for (unsigned i = 0;; i = (i + 1) % w->inflight) {
        struct slot *s = &slots[i];
        if (s->busy) {
            int rc = p9_call_wait(w->e->c, &s->call, pick_timeout(w));
            check_slot(w, s, rc);
            s->busy = false;
        }
        bool more = open && started < w->total && !(w->stop && *w->stop);
        if (more) {
            s->busy = start_slot(w, s);
            open = s->busy;
            started += s->busy;
        } else {
            bool any = false;
            for (unsigned j = 0; j < w->inflight; j++)
                any |= slots[j].busy;
            if (!any)
                break;
        }
    }
    free(slots);
    return NULL;
}

struct totals {
    uint64_t ok, flushed, reset, misdelivered, bad_status, multi_completion;
};

static struct totals run_workers(struct env *e, unsigned threads, unsigned inflight,
                                 unsigned total, int timeout_mode, volatile int *stop,
                                 void (*during)(struct env *))
{
    struct worker w[8];
    struct totals t = {0};
    for (unsigned i = 0; i < threads; i++) {
        w[i] = (struct worker){.e = e, .seed = 0x1234567u + 7919u * i, .inflight = inflight,
                               .total = total, .stop = stop,
                               .timeout_mode = timeout_mode == 2 ? (int)(i & 1) : timeout_mode};
        CHECK(pthread_create(&w[i].th, NULL, worker_main, &w[i]) == 0, "pthread_create");
    }
    if (during)
        during(e);
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(w[i].th, NULL);
        t.ok += w[i].ok;
        t.flushed += w[i].flushed;
        t.reset += w[i].reset;
        t.misdelivered += w[i].misdelivered;
        t.bad_status += w[i].bad_status;
        t.multi_completion += w[i].multi_completion;
    }
    return t;
}

static void print(const char *name, const struct env *e, const struct totals *t)
{
    struct p9_counters k;
    p9_conn_counters(e->c, &k);
    printf("%s atlas=%s ok=%llu flushed=%llu reset=%llu misdelivered=%llu | sent=%llu "
           "flushes=%llu rflush=%llu late_dropped=%llu lost_race=%llu flush_failed=%llu "
           "drained=%llu unknown=%llu stale=%llu bad_reply=%llu tombstone_peak=%llu\n",
           name, e->atlas, (unsigned long long)t->ok, (unsigned long long)t->flushed,
           (unsigned long long)t->reset, (unsigned long long)t->misdelivered,
           (unsigned long long)k.sent, (unsigned long long)k.flushes,
           (unsigned long long)k.rflush, (unsigned long long)k.late_dropped,
           (unsigned long long)k.lost_race, (unsigned long long)k.flush_failed,
           (unsigned long long)k.drained, (unsigned long long)k.unknown_tag,
           (unsigned long long)k.stale_tag, (unsigned long long)k.bad_reply,
           (unsigned long long)k.tombstone_peak);
}

/* Every tag back: no live call and no tombstone left (Rflush for every
 * Tflush).  Waits up to 10 s for stragglers. */
static void check_tags_quiet(struct env *e)
{
    struct p9_tags *tags = p9_conn_tags(e->c);
    uint32_t live = 1, tomb = 1;
    for (int i = 0; i < 1000 && (live || tomb); i++) {
        tags->ops->counts(tags->t, &live, &tomb);
        if (live || tomb)
            nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    CHECK(live == 0 && tomb == 0, "tags not all returned: live=%u tombstones=%u", live, tomb);
}

static void common_checks(const struct totals *t)
{
    CHECK(t->misdelivered == 0, "%llu replies delivered to the wrong call",
          (unsigned long long)t->misdelivered);
    CHECK(t->multi_completion == 0, "%llu calls completed more or less than once",
          (unsigned long long)t->multi_completion);
    CHECK(t->bad_status == 0, "%llu calls failed unexpectedly", (unsigned long long)t->bad_status);
}

/* ---------------------------------- tests --------------------------------- */

static void test_reads(const char *atlas)
{
    struct env e = {0};
    setup(&e, atlas);
    struct totals t = run_workers(&e, 4, 8, 1500, 0, NULL, NULL);
    print("reads", &e, &t);
    common_checks(&t);
    CHECK(t.ok == 4 * 1500, "expected 6000 verified reads, got %llu", (unsigned long long)t.ok);
    struct p9_counters k;
    p9_conn_counters(e.c, &k);
    CHECK(k.unknown_tag + k.stale_tag + k.bad_reply + k.late_dropped + k.notag == 0,
          "a good server produced rejected replies");
    check_tags_quiet(&e);
    teardown(&e);
}

static void test_flush_storm(const char *atlas)
{
    struct env e = {0};
    setup(&e, atlas);
    struct totals t = run_workers(&e, 4, 16, 2500, 1, NULL, NULL);
    print("flush_storm", &e, &t);
    common_checks(&t);
    struct p9_counters k;
    p9_conn_counters(e.c, &k);
    CHECK(t.flushed > 0 && k.flushes > 0, "no call was flushed: the storm tested nothing");
    CHECK(t.ok > 0, "no call completed");
    CHECK(k.flush_failed + k.reset_flush_timeout == 0,
          "diod tripped the tombstone policy: no tag %llu, deadline %llu (peak %llu)",
          (unsigned long long)k.flush_failed,
          (unsigned long long)k.reset_flush_timeout, (unsigned long long)k.tombstone_peak);
    CHECK(t.flushed == k.flushes + k.flush_failed, "flushed %llu != Tflush %llu + no tag %llu",
          (unsigned long long)t.flushed, (unsigned long long)k.flushes,
          (unsigned long long)k.flush_failed);
    check_tags_quiet(&e);
    p9_conn_counters(e.c, &k);
    CHECK(k.rflush == k.flushes && k.release_failed == 0,
          "Rflush %llu for %llu Tflush, %llu releases failed", (unsigned long long)k.rflush,
          (unsigned long long)k.flushes, (unsigned long long)k.release_failed);
    /* The connection still works after the storm. */
    struct totals after = run_workers(&e, 2, 4, 200, 0, NULL, NULL);
    common_checks(&after);
    CHECK(after.ok == 400, "reads after the storm: %llu", (unsigned long long)after.ok);
    teardown(&e);
}

/* Shut down once calls have run a while and many are in the tag table. */
static void shut_while_busy(struct env *e)
{
    struct p9_tags *tags = p9_conn_tags(e->c);
    uint32_t live = 0, tomb;
    nanosleep(&(struct timespec){0, 200000000}, NULL);
    for (int i = 0; i < 2000 && live < 64; i++) {
        tags->ops->counts(tags->t, &live, &tomb);
        if (live < 64)
            nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    p9_conn_shutdown(e->c);
}

static void test_teardown(const char *atlas)
{
    struct env e = {0};
    setup(&e, atlas);
    /* Unbounded totals: the workers run until the shutdown stops them.  Half
     * the threads also time out calls, so cancels race the drain too. */
    struct totals t = run_workers(&e, 4, 32, ~0u, 2, NULL, shut_while_busy);
    print("teardown", &e, &t);
    common_checks(&t);
    struct p9_counters k;
    p9_conn_counters(e.c, &k);
    CHECK(t.reset > 0 && k.drained > 0, "no call was in flight at shutdown (reset %llu)",
          (unsigned long long)t.reset);
    CHECK(p9_conn_is_closed(e.c), "not closed");
    check_tags_quiet(&e);
    /* After shutdown nothing starts. */
    struct p9_call call = {0};
    uint8_t b[16];
    p9_prep_read(&call, e.fid, 0, b, sizeof b);
    CHECK(p9_call_start(e.c, &call) == -ECONNRESET, "start after shutdown");
    teardown(&e);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[2], "midatlas") != 0 && strcmp(argv[2], "mutex") != 0)) {
        fprintf(stderr, "usage: t9p_diod reads|flush_storm|teardown midatlas|mutex\n");
        return 2;
    }
    alarm(100); /* a hang is a failure; diod dies with us (PDEATHSIG) */
    if (strcmp(argv[1], "reads") == 0)
        test_reads(argv[2]);
    else if (strcmp(argv[1], "flush_storm") == 0)
        test_flush_storm(argv[2]);
    else if (strcmp(argv[1], "teardown") == 0)
        test_teardown(argv[2]);
    else {
        fprintf(stderr, "unknown test %s\n", argv[1]);
        return 2;
    }
    printf("t9p_diod %s %s: ok\n", argv[1], argv[2]);
    return 0;
}
