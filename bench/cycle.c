/* SPDX-License-Identifier: MIT */
/*
 * cycle.c - midatlas-cycle: what one MID cycle costs, per implementation,
 * in nanoseconds, measured so that a difference of a few percent survives a
 * noisy machine.
 *
 *   midatlas-cycle --impl X --impl Y [...] [--pattern P] [--capacity C]
 *                  [--threads T] [--runs R] [--cycles N]
 *
 * Why not midatlas-bench: on a VM whose speed changes for minutes at a time
 * (bench/RESULTS.md, "The cost of one MID cycle") two benchmark runs a minute
 * apart can differ by 30%.  Here every run measures every implementation once,
 * in a rotating order, on T threads started afresh; R runs later the best and
 * the median of each are printed with their ratio to the first --impl.  The
 * best of R is what the code can do; the median says how often it does.
 *
 * Patterns (one cycle, per thread):
 *   churn   associate, map, dissociate: one MID in flight
 *   window  dissociate the oldest of W MIDs in flight, associate a new one
 *           (W = min(16, capacity / T))
 *   lookup  window, then 16 maps of the thread's own MIDs (the harness's
 *           lookup workload)
 * Every map is checked against its context and every call's status: a
 * wrong answer stops the program (exit 1), an EFULL too.
 *
 * --handover N: before the runs a thread pinned to CPU 0 makes N churn
 * cycles in every table and stays alive until the end, and the runs'
 * threads keep off CPU 0: a connection that one thread served for a while
 * and then passed to others (for midatlas's small atlases,
 * bench/RESULTS.md, "Handing a small atlas over").
 *
 * The process starts and joins a thread first, for the reason
 * midatlas-bench does (glibc's single-threaded mutex shortcut).
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */

#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "impl_list.h"

#define PROG "midatlas-cycle"
#define MAX_THREADS 64
#define MAX_RUNS 1001
#define WINDOW 16u
#define MAPS 16u

extern const struct mid_impl mid_impl_midatlas, mid_impl_mutex;

/* Inlined into each worker (see WORKER), so that each has call sites of
 * its own. */
#define INLINE_COPY inline __attribute__((always_inline))

static const struct mid_impl *const builtins[] = {&mid_impl_midatlas, &mid_impl_mutex, NULL};
static struct impl_list impls = {.prog = PROG, .builtins = builtins};

enum pattern { CHURN, WINDOW_PATTERN, LOOKUP };

static struct {
    enum pattern pattern;
    uint32_t capacity, threads, runs, cycles;
    uint32_t handover; /* cycles the first owner makes on CPU 0; 0: none */
} opt = {CHURN, 4096, 1, 41, 200000, 0};

/* One thread's run: the table, its contexts, the start barrier, and when
 * the thread began and ended its cycles. */
struct job {
    const struct mid_impl *impl;
    void *table;
    pthread_barrier_t *start;
    double began, ended;
    char ctx[WINDOW][8]; /* distinct addresses, never dereferenced */
};

static void die(const struct mid_impl *impl, const char *what, int status)
{
    fprintf(stderr, PROG ": %s: %s (status %d)\n", impl->name, what, status);
    exit(1);
}

static INLINE_COPY uint16_t must_associate(const struct mid_impl *im, void *t, void *ctx)
{
    uint16_t mid;
    int st = im->associate(t, ctx, &mid);
    if (st != MIDATLAS_OK)
        die(im, "associate failed", st);
    return mid;
}

static INLINE_COPY void must_map(const struct mid_impl *im, void *t, uint16_t mid, void *ctx)
{
    if (im->map(t, mid) != ctx)
        die(im, "map answered another context", 0);
}

static INLINE_COPY void must_dissociate(const struct mid_impl *im, void *t, uint16_t mid)
{
    int st = im->dissociate(t, mid, NULL);
    if (st != MIDATLAS_OK)
        die(im, "dissociate failed", st);
}

static INLINE_COPY void churn(struct job *j, uint32_t cycles)
{
    for (uint32_t k = 0; k < cycles; k++) {
        void *ctx = j->ctx[k % WINDOW];
        uint16_t mid = must_associate(j->impl, j->table, ctx);
        must_map(j->impl, j->table, mid, ctx);
        must_dissociate(j->impl, j->table, mid);
    }
}

/* window and lookup: W MIDs in flight, the oldest replaced each cycle. */
static INLINE_COPY void window(struct job *j, uint32_t maps)
{
    uint32_t w = opt.capacity / opt.threads < WINDOW ? opt.capacity / opt.threads : WINDOW;
    uint16_t mid[WINDOW];
    for (uint32_t i = 0; i < w; i++)
        mid[i] = must_associate(j->impl, j->table, j->ctx[i]);
    uint32_t oldest = 0, next = 0;
    for (uint32_t k = 0; k < opt.cycles; k++) {
        must_dissociate(j->impl, j->table, mid[oldest]);
        mid[oldest] = must_associate(j->impl, j->table, j->ctx[oldest]);
        oldest = oldest + 1 == w ? 0 : oldest + 1;
        for (uint32_t m = 0; m < maps; m++) {
            must_map(j->impl, j->table, mid[next], j->ctx[next]);
            next = next + 1 == w ? 0 : next + 1;
        }
    }
    for (uint32_t i = 0; i < w; i++)
        must_dissociate(j->impl, j->table, mid[i]);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The CPUs this thread may run on less CPU 0 (--handover); false when
 * none is left. */
static bool keep_off_cpu0(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return false;
    CPU_CLR(0, &set);
    return CPU_COUNT(&set) > 0 && sched_setaffinity(0, sizeof set, &set) == 0;
}

static INLINE_COPY void *work(struct job *j)
{
    if (opt.handover && !keep_off_cpu0())
        die(j->impl, "--handover: cannot keep the runs off CPU 0", 0);
    if (j->impl->thread_init)
        j->impl->thread_init();
    pthread_barrier_wait(j->start);
    j->began = now_s();
    switch (opt.pattern) {
    case CHURN: churn(j, opt.cycles); break;
    case WINDOW_PATTERN: window(j, 0); break;
    case LOOKUP: window(j, MAPS); break;
    }
    j->ended = now_s();
    if (j->impl->thread_fini)
        j->impl->thread_fini();
    return NULL;
}

/*
 * One worker, and so one copy of the patterns' loops and their indirect
 * calls, per implementation (its index in impls; past WORKERS the last is
 * shared).  With one worker for all, a call site saw every implementation
 * in the rotation, and the implementations paid for each other: lookup at
 * capacity 64, one thread, pinned (AMD EPYC family 26 model 2), midatlas
 * ran a median of 35.5 ns a cycle alone and 48.6 ns with idr and the mutex
 * in the rotation (the likeliest reading: a call site that has seen several
 * targets is predicted worse from then on).  worker_runs gives each copy a
 * reference of its own, so that identical-code folding (GCC's -fipa-icf)
 * cannot merge them.
 */
#define WORKERS 16u
static atomic_ulong worker_runs[WORKERS];
#define WORKER(k)                                                                                  \
    static void *worker_##k(void *arg)                                                             \
    {                                                                                              \
        atomic_fetch_add_explicit(&worker_runs[k], 1, memory_order_relaxed);                       \
        return work(arg);                                                                          \
    }
WORKER(0) WORKER(1) WORKER(2) WORKER(3) WORKER(4) WORKER(5) WORKER(6) WORKER(7)
WORKER(8) WORKER(9) WORKER(10) WORKER(11) WORKER(12) WORKER(13) WORKER(14) WORKER(15)
static void *(*const workers[WORKERS])(void *) = {
    worker_0, worker_1, worker_2,  worker_3,  worker_4,  worker_5,  worker_6,  worker_7,
    worker_8, worker_9, worker_10, worker_11, worker_12, worker_13, worker_14, worker_15,
};

/* One run of implementation i (im), on its own worker: ns per cycle per
 * thread (wall time from the first thread's start until the last one's end,
 * over the cycles each did).  The threads read the clock themselves: a main thread that read it
 * after the barrier could be scheduled only once a worker had finished,
 * and a run then seemed to take no time at all (best 0.0 ns, once). */
static double run_once(size_t i, const struct mid_impl *im, void *table)
{
    void *(*worker)(void *) = workers[i < WORKERS ? i : WORKERS - 1];
    static struct job jobs[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, opt.threads + 1);
    for (uint32_t t = 0; t < opt.threads; t++) {
        jobs[t].impl = im;
        jobs[t].table = table;
        jobs[t].start = &start;
        if (pthread_create(&tid[t], NULL, worker, &jobs[t]) != 0)
            die(im, "pthread_create failed", 0);
    }
    pthread_barrier_wait(&start);
    double t0 = 0, t1 = 0;
    for (uint32_t t = 0; t < opt.threads; t++) {
        pthread_join(tid[t], NULL);
        if (t == 0 || jobs[t].began < t0)
            t0 = jobs[t].began;
        if (t == 0 || jobs[t].ended > t1)
            t1 = jobs[t].ended;
    }
    double ns = (t1 - t0) / opt.cycles * 1e9;
    pthread_barrier_destroy(&start);
    return ns;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* --handover: may this process run on CPU 0 and on some other CPU (the
 * first owner's and the runs')?  Not under taskset or a cpuset that
 * leaves one of them out. */
static bool handover_possible(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0 || !CPU_ISSET(0, &set))
        return false;
    return CPU_COUNT(&set) >= 2;
}

/* --handover: the first owner of every table.  Pinned to CPU 0, it makes
 * opt.handover churn cycles in each, then waits (alive: its thread-local
 * data stays its own, so the runs' threads are other threads) until
 * measure() is done. */
struct first_owner {
    void *const *tables;
    pthread_barrier_t done; /* 2: the owner finished its cycles; the end */
};

static void *first_owner(void *arg)
{
    struct first_owner *f = arg;
    cpu_set_t cpu0;
    CPU_ZERO(&cpu0);
    CPU_SET(0, &cpu0);
    if (sched_setaffinity(0, sizeof cpu0, &cpu0) != 0)
        die(impls.impls[0], "--handover: cannot run on CPU 0", 0);
    for (size_t i = 0; i < impls.n; i++) {
        const struct mid_impl *im = impls.impls[i];
        if (im->thread_init)
            im->thread_init();
        struct job j = {.impl = im, .table = f->tables[i]};
        churn(&j, opt.handover);
        if (im->thread_fini)
            im->thread_fini();
    }
    pthread_barrier_wait(&f->done);
    pthread_barrier_wait(&f->done);
    return NULL;
}

static void *noop(void *arg)
{
    return arg;
}

static int measure(void)
{
    static double ns[IMPL_LIST_MAX][MAX_RUNS];
    void *tables[IMPL_LIST_MAX];
    for (size_t i = 0; i < impls.n; i++)
        if (opt.capacity > impl_max_capacity(impls.impls[i]))
            return cli_usage_error(PROG, "%s takes at most %u MIDs", impls.impls[i]->name,
                                   impl_max_capacity(impls.impls[i]));
    for (size_t i = 0; i < impls.n; i++) {
        tables[i] = impls.impls[i]->create(opt.capacity);
        if (!tables[i])
            die(impls.impls[i], "create failed", 0);
    }
    /* A second thread, once: see the header. */
    pthread_t first;
    if (pthread_create(&first, NULL, noop, NULL) == 0)
        pthread_join(first, NULL);
    struct first_owner owner = {.tables = tables};
    pthread_t owner_tid;
    if (opt.handover) {
        if (pthread_barrier_init(&owner.done, NULL, 2) != 0 ||
            pthread_create(&owner_tid, NULL, first_owner, &owner) != 0)
            die(impls.impls[0], "--handover: cannot start the first owner", 0);
        pthread_barrier_wait(&owner.done); /* its cycles are made */
    }
    for (uint32_t r = 0; r < opt.runs; r++)
        for (size_t k = 0; k < impls.n; k++) {
            size_t i = (k + r) % impls.n; /* a rotating order */
            ns[i][r] = run_once(i, impls.impls[i], tables[i]);
        }
    if (opt.handover) {
        pthread_barrier_wait(&owner.done); /* the end: let the owner go */
        pthread_join(owner_tid, NULL);
        pthread_barrier_destroy(&owner.done);
    }
    static const char *const names[] = {"churn", "window", "lookup"};
    char cpu[192];
    printf("cpu: %s, %ld online\n", cli_cpu_model(cpu, sizeof cpu), sysconf(_SC_NPROCESSORS_ONLN));
    printf("%s, capacity %u, %u thread%s, best and median of %u runs of %u cycles each\n",
           names[opt.pattern], opt.capacity, opt.threads, opt.threads == 1 ? "" : "s", opt.runs,
           opt.cycles);
    if (opt.handover)
        printf("handover: a thread on CPU 0 made %u cycles in each table first and stays alive; "
               "the runs keep off CPU 0\n",
               opt.handover);
    printf("%-32s %10s %10s %12s %9s %9s\n", "implementation", "best ns", "median ns",
           "M cycles/s", "best/1st", "med/1st");
    double best0 = 0, med0 = 0;
    for (size_t i = 0; i < impls.n; i++) {
        qsort(ns[i], opt.runs, sizeof ns[i][0], cmp_double);
        double best = ns[i][0], med = ns[i][opt.runs / 2];
        if (i == 0) {
            best0 = best;
            med0 = med;
        }
        /* Ratios as speed against the first: above 1 is faster. */
        printf("%-32s %10.1f %10.1f %12.2f %9.2f %9.2f\n", impls.impls[i]->name, best, med,
               opt.threads * 1e3 / med, best0 / best, med0 / med);
        impls.impls[i]->destroy(tables[i]);
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: " PROG " --impl NAME|PATH.so [--impl ...] [options]\n"
            "The cost of one MID cycle per implementation, in ns, every run measuring\n"
            "every implementation once in a rotating order (a noisy machine's speed\n"
            "changes then fall on all of them alike).\n"
            "  --impl X         compiled-in name, 'all', or a plugin (repeatable); ratios\n"
            "                   are against the first\n"
            "  --pattern P      churn (associate, map, dissociate), window (replace the\n"
            "                   oldest of 16 in flight) or lookup (window + 16 maps)\n"
            "                   (default churn)\n"
            "  --capacity C     MIDs per table (default 4096)\n"
            "  --threads T      threads per run, 1..%d (default 1)\n"
            "  --runs R         runs per implementation, 1..%d (default 41)\n"
            "  --cycles N       cycles per thread and run (default 200000)\n"
            "  --handover N     first a thread on CPU 0 makes N churn cycles in every\n"
            "                   table and stays alive; the runs keep off CPU 0 (a\n"
            "                   connection passed on to other threads; 2 CPUs or more)\n"
            "  -h, --help       this text\n"
            "  --version        version and plugin ABI version\n"
            "Implementations:\n",
            MAX_THREADS, MAX_RUNS);
    impl_list_help(&impls, f);
}

static bool parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || end == s || v < lo || v > hi)
        return false;
    *out = (uint32_t)v;
    return true;
}

static int parse_args(int argc, char **argv)
{
    static const struct option opts[] = {
        {"impl", required_argument, NULL, 'i'},    {"pattern", required_argument, NULL, 'p'},
        {"capacity", required_argument, NULL, 'c'}, {"threads", required_argument, NULL, 't'},
        {"runs", required_argument, NULL, 'r'},    {"cycles", required_argument, NULL, 'n'},
        {"handover", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},          {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    int o;
    while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (o) {
        case 'i':
            if (!impl_list_add(&impls, optarg))
                return 2;
            break;
        case 'p':
            if (strcmp(optarg, "churn") == 0)
                opt.pattern = CHURN;
            else if (strcmp(optarg, "window") == 0)
                opt.pattern = WINDOW_PATTERN;
            else if (strcmp(optarg, "lookup") == 0)
                opt.pattern = LOOKUP;
            else
                return cli_usage_error(PROG, "unknown --pattern '%s'", optarg);
            break;
        case 'c':
            if (!parse_u32(optarg, 1, 65536, &opt.capacity))
                return cli_usage_error(PROG, "bad --capacity '%s' (1..65536)", optarg);
            break;
        case 't':
            if (!parse_u32(optarg, 1, MAX_THREADS, &opt.threads))
                return cli_usage_error(PROG, "bad --threads '%s'", optarg);
            break;
        case 'r':
            if (!parse_u32(optarg, 1, MAX_RUNS, &opt.runs))
                return cli_usage_error(PROG, "bad --runs '%s'", optarg);
            break;
        case 'n':
            if (!parse_u32(optarg, 1, 1000000000, &opt.cycles))
                return cli_usage_error(PROG, "bad --cycles '%s'", optarg);
            break;
        case 'o':
            if (!parse_u32(optarg, 1, 1000000000, &opt.handover))
                return cli_usage_error(PROG, "bad --handover '%s'", optarg);
            break;
        default: return cli_other_option(PROG, o, argv, usage);
        }
    }
    if (cli_no_operands(PROG, argc, argv) || !impl_list_given(&impls))
        return 2;
    if (opt.capacity < opt.threads)
        return cli_usage_error(PROG, "--capacity %u is less than a MID per thread", opt.capacity);
    if (opt.handover && !handover_possible())
        return cli_usage_error(PROG, "--handover needs CPU 0 and another CPU that this process "
                                     "may run on");
    return 0;
}

int main(int argc, char **argv)
{
    int rc = parse_args(argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    return measure();
}
