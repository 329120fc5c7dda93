/* SPDX-License-Identifier: MIT */
/*
 * stress_main.c - midatlas-stress: options, threads, the progress line, and
 * the SUMMARY line.  What is checked lives in stress_check.c and the
 * workload_*.c files (stress.h gives the overview).
 */
#define _GNU_SOURCE /* pthread_setaffinity_np, CPU_SET */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "impl_list.h"
#include "stress.h"

#define PROG "midatlas-stress"

/* Compiled in: midatlas and the mutex baseline; everything else is a plugin. */
extern const struct mid_impl mid_impl_midatlas, mid_impl_mutex;
static const struct mid_impl *const builtins[] = {&mid_impl_midatlas, &mid_impl_mutex, NULL};
static struct impl_list impls = {.prog = PROG, .builtins = builtins};

#define NEEDS_CANCEL (MID_IMPL_HAS_DISCARD | MID_IMPL_HAS_LOOKUP)

const struct stress_workload stress_workloads[] = {
    {"churn", "each thread associates, checks and dissociates one MID at a time", workload_churn,
     0, 1, NULL},
    {"window", "each thread keeps a window of outstanding MIDs, ended in random order",
     workload_window, 0, 1, NULL},
    {"pipeline", "senders associate, one receiver maps and dissociates", workload_pipeline, 0, 2,
     NULL},
    {"reassoc", "reassociate storms on a few shared MIDs, replaced now and then", workload_reassoc,
     MID_IMPL_HAS_REASSOCIATE_IF, 1, reassoc_finish},
    {"cancel", "pipeline + senders discard half their requests racing the reply; late reply "
               "releases",
     workload_cancel, NEEDS_CANCEL, 2, NULL},
    {"teardown", "cancel + a thread draining the table in a loop", workload_teardown,
     NEEDS_CANCEL | MID_IMPL_HAS_DRAIN, 3, NULL},
    {"attack", "half the threads feed random MIDs to map/lookup/reassociate_if/dissociate_if "
               "while the rest run window",
     workload_attack, 0, 2, NULL},
    {"saturated", "quota threads keep the table full, a prober's EFULLs find it full; a thread "
                  "that freed a MID must not get EFULL while the prober holds none",
     workload_saturated, 0, 2, saturated_finish},
    {NULL, NULL, NULL, 0, 0, NULL},
};

const struct stress_workload *stress_workload_find(const char *name)
{
    for (const struct stress_workload *w = stress_workloads; w->name; w++)
        if (strcmp(w->name, name) == 0)
            return w;
    return NULL;
}

/* ---- options --------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: midatlas-stress [options]\n"
            "Races every workload against MID allocators, checking every operation.\n"
            "  --impl NAME|PATH.so  implementation to drive: compiled-in, 'all' (every\n"
            "                   compiled-in one) or a plugin; repeat for several\n"
            "                   (default midatlas)\n"
            "  --skip LIST      leave out these (comma-separated) implementations\n"
            "  --workload W     workload, or 'all' (default churn)\n"
            "  --threads N      threads (default 4, at most %u)\n"
            "  --seconds S      run time per workload and implementation (default 5)\n"
            "  --ops N          ...or until the threads completed N operations, whichever\n"
            "                   comes first: a bound that does not depend on machine load\n"
            "  --capacity C     MIDs per table, 1..65536 (default 256)\n"
            "  --seed X         seed of the threads' random streams (default: from the clock)\n"
            "  --window W       outstanding MIDs per thread in window/attack (default: as many\n"
            "                   as fit, so an EFULL would be a false one and is a violation)\n"
            "  --cpus LIST      pin thread i to the i-th cpu of LIST (e.g. 0,1 or 0-3)\n"
            "  --preempt HZ     HZ times a second, stop a random worker at whatever instruction\n"
            "                   it is on for ~100 us (a signal whose handler sleeps), as a\n"
            "                   preempted thread is: races that need a thread delayed inside a\n"
            "                   few instructions show up far sooner (default 0: off)\n"
            "  --migrate HZ     HZ times a second, pin a random worker to a random CPU this\n"
            "                   process may run on (overrides --cpus for it; default 0: off)\n"
            "  --chaos N        plugins with the chaos call (hooked midatlas builds): sleep\n"
            "                   ~50 us in 1 of N passes of their race windows (default 0)\n"
            "  --no-stats-check skip the per-second stats cross-check (to see which\n"
            "                   other check catches a fault)\n"
            "  --quiet          no progress lines\n"
            "  -h, --help       this text\n"
            "  --version        version and plugin ABI version\n"
            "Workloads (and the optional calls they need):\n",
            STRESS_MAX_THREADS);
    char feats[160];
    for (const struct stress_workload *w = stress_workloads; w->name; w++)
        fprintf(f, "  %-9s %s (threads >= %u%s%s)\n", w->name, w->help, w->min_threads,
                w->needs ? "; needs " : "", impl_feature_names(w->needs, feats, sizeof feats));
    fprintf(f, "Tables that offer lookup, dissociate_if, stats... get those checks too.\n"
               "Implementations:\n");
    impl_list_help(&impls, f);
    fprintf(f,
            "Output: a progress line each second on stderr; one SUMMARY line per run on stdout;\n"
            "a broken invariant prints 'VIOLATION after T s, N ops impl=... workload=...: what'\n"
            "naming the MID, the operation and the threads (requests are THREAD/SEQUENCE),\n"
            "then a 'VIOLATION replay:' command line with the seed.\n"
            "Exit status: 0 no violation, 1 a violation, 2 usage or a plugin refused.\n");
}

static int parse_cpus(struct stress_cfg *c, const char *s)
{
    c->ncpus = 0;
    while (*s) {
        char *end;
        long a = strtol(s, &end, 10), b;
        if (end == s || a < 0)
            return -1;
        b = a;
        if (*end == '-') {
            s = end + 1;
            b = strtol(s, &end, 10);
            if (end == s || b < a)
                return -1;
        }
        for (long i = a; i <= b; i++) {
            if (c->ncpus == STRESS_MAX_THREADS)
                return -1;
            c->cpus[c->ncpus++] = (int)i;
        }
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return c->ncpus ? 0 : -1;
}

/* A 32-bit option value: strtoul's, but a value above 32 bits is an error
 * (it was cut to its low bits: --capacity 4294967297 ran at capacity 1).
 * *end as strtoul sets it; UINT32_MAX + 1 ends the parse as junk does. */
static uint32_t parse_u32(const char *s, char **end)
{
    unsigned long long v = strtoull(s, end, 10);
    if (v > UINT32_MAX || *s == '-') {
        *end = (char *)s; /* reported as a bad number */
        return 0;
    }
    return (uint32_t)v;
}

static int parse_args(int argc, char **argv, struct stress_cfg *c)
{
    static const struct option opts[] = {
        {"impl", required_argument, NULL, 'i'},     {"threads", required_argument, NULL, 't'},
        {"seconds", required_argument, NULL, 's'},  {"capacity", required_argument, NULL, 'c'},
        {"seed", required_argument, NULL, 'S'},     {"workload", required_argument, NULL, 'w'},
        {"window", required_argument, NULL, 'W'},   {"cpus", required_argument, NULL, 'C'},
        {"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
        {"preempt", required_argument, NULL, 'P'},  {"skip", required_argument, NULL, 'K'},
        {"migrate", required_argument, NULL, 'M'},
        {"chaos", required_argument, NULL, 'X'},    {"no-stats-check", no_argument, NULL, 'N'},
        {"ops", required_argument, NULL, 'O'},      {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    *c = (struct stress_cfg){.workload = "churn", .threads = 4,
                             .seconds = 5, .capacity = 256,
                             .seed = (uint64_t)now.tv_sec * 1000003u ^ (uint64_t)now.tv_nsec};
    int o;
    opterr = 0; /* our own one-line errors */
    while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        char *end = NULL;
        switch (o) {
        case 'i':
            if (!impl_list_add(&impls, optarg))
                return 2;
            break;
        case 'w': c->workload = optarg; break;
        case 't': c->threads = parse_u32(optarg, &end); break;
        case 's': c->seconds = strtod(optarg, &end); break;
        case 'c': c->capacity = parse_u32(optarg, &end); break;
        case 'S': c->seed = strtoull(optarg, &end, 0); break;
        case 'W': c->window = parse_u32(optarg, &end); break;
        case 'C':
            if (parse_cpus(c, optarg) != 0)
                return cli_usage_error(PROG, "bad --cpus list '%s'", optarg);
            break;
        case 'q': c->quiet = true; break;
        case 'K': c->skip = optarg; break;
        case 'N': c->no_stats_check = true; break;
        case 'X': c->chaos = parse_u32(optarg, &end); break;
        case 'O': c->ops = strtoull(optarg, &end, 10); break;
        case 'P': c->preempt = parse_u32(optarg, &end); break;
        case 'M': c->migrate = parse_u32(optarg, &end); break;
        default: return cli_other_option(PROG, o, argv, usage);
        }
        if (end && (*end || end == optarg))
            return cli_usage_error(PROG, "bad number '%s'", optarg);
    }
    if (cli_no_operands(PROG, argc, argv))
        return 2;
    if (c->threads < 1 || c->threads > STRESS_MAX_THREADS)
        return cli_usage_error(PROG, "--threads must be 1..%u", STRESS_MAX_THREADS);
    if (c->capacity < 1 || c->capacity > MIDATLAS_MAX_CAPACITY)
        return cli_usage_error(PROG, "--capacity must be 1..%u", MIDATLAS_MAX_CAPACITY);
    /* No thread can hold more than a table's MIDs; larger, the request
     * records' size overflowed (--window 536870912 hung in pow2_ceil). */
    if (c->window > MIDATLAS_MAX_CAPACITY)
        return cli_usage_error(PROG, "--window must be 0..%u", MIDATLAS_MAX_CAPACITY);
    if (!(c->seconds > 0))
        return cli_usage_error(PROG, "--seconds must be above 0");
    if (impls.n == 0 && !impl_list_add(&impls, "midatlas"))
        return 2;
    return 0;
}

/* ---- one run --------------------------------------------------------------------- */

/* name is one of the comma-separated names of list. */
static bool in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint32_t pow2_floor(uint32_t n)
{
    uint32_t p = 1;
    while (p * 2 <= n)
        p *= 2;
    return p;
}

static uint32_t pow2_ceil(uint32_t n)
{
    uint32_t p = 1;
    while (p < n)
        p *= 2;
    return p;
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Windows, ring sizes and the largest number of MIDs the workload can hold,
 * which says whether an EFULL can be true. */
static void size_workload(struct stress_run *run, uint32_t *ring)
{
    const char *w = run->wl->name;
    uint32_t cap = run->cfg->capacity, n = run->nthreads;
    *ring = 1;
    if (strcmp(w, "pipeline") == 0 || strcmp(w, "cancel") == 0 || strcmp(w, "teardown") == 0) {
        uint32_t senders = n - pipeline_first_sender(run);
        uint32_t per = cap > 1 ? (cap - 1) / senders : 1;
        *ring = pow2_floor(per < 1 ? 1 : per > 64 ? 64 : per);
        run->max_live = senders * *ring + 1; /* + the one in the receiver's hand */
    } else if (strcmp(w, "saturated") == 0) {
        run->window = saturated_share(run, 1); /* thread 1's share is the largest */
        run->max_live = cap + 1;                /* the shares and the prober's one */
    } else if (strcmp(w, "reassoc") == 0) {
        run->nshared = cap < 8 ? cap : 8;
        run->max_live = run->nshared;
    } else {
        uint32_t workers = strcmp(w, "attack") == 0 ? n - attack_attackers(run) : n;
        uint32_t per = cap / workers;
        if (strcmp(w, "churn") == 0)
            run->window = 1;
        else
            run->window = run->cfg->window ? run->cfg->window : per < 1 ? 1 : per > 64 ? 64 : per;
        run->max_live = workers * run->window;
    }
    run->efull_is_violation = run->max_live <= cap;
}

static void *thread_body(void *arg)
{
    struct stress_thread *th = arg;
    const struct stress_cfg *c = th->run->cfg;
    if (c->ncpus) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(c->cpus[th->tid % c->ncpus], &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    if (th->run->impl->thread_init)
        th->run->impl->thread_init();
    th->run->wl->fn(th);
    /* release: pairs with the receiver's acquire load: its posts are seen. */
    atomic_store_explicit(&th->finished, 1, memory_order_release);
    if (th->run->impl->thread_fini)
        th->run->impl->thread_fini();
    return NULL;
}

static bool threads_init(struct stress_run *run, uint32_t ring)
{
    run->threads = calloc(run->nthreads, sizeof *run->threads);
    if (!run->threads)
        return false;
    uint32_t nreq = pow2_ceil(4 * (run->window + ring + run->nshared) + 256);
    /* A record per sequence a context can carry at the most (stress.h: 21
     * bits on 32-bit targets), and more records than outstanding requests,
     * so that those carry distinct sequences. */
    uint32_t outstanding = run->window + ring + run->nshared;
    if (nreq - 1 > CTX_SEQ_MASK) /* never where CTX_SEQ_MASK is 2^32 - 1 */
        nreq = CTX_SEQ_MASK + 1;
    if (outstanding >= nreq) {
        fprintf(stderr, PROG ": %u outstanding requests per thread need more than %u-bit "
                        "sequences\n", outstanding, CTX_SEQ_BITS);
        return false;
    }
    for (unsigned t = 0; t < run->nthreads; t++) {
        struct stress_thread *th = &run->threads[t];
        th->run = run;
        th->tid = t;
        th->rng = splitmix64(run->cfg->seed + t) | 1;
        th->next_seq = 1;
        th->req_mask = nreq - 1;
        th->reqs = calloc(nreq, sizeof *th->reqs);
        th->held_mid = calloc(run->window + 1, sizeof *th->held_mid);
        th->held_ctx = calloc(run->window + 1, sizeof *th->held_ctx);
        th->ring.mask = ring - 1;
        th->ring.mids = calloc(ring, sizeof *th->ring.mids);
        th->ring.ctxs = calloc(ring, sizeof *th->ring.ctxs);
        if (!th->reqs || !th->held_mid || !th->held_ctx || !th->ring.mids || !th->ring.ctxs)
            return false;
    }
    return true;
}

static void threads_free(struct stress_run *run)
{
    if (!run->threads)
        return;
    for (unsigned t = 0; t < run->nthreads; t++) {
        struct stress_thread *th = &run->threads[t];
        free(th->reqs);
        free(th->held_mid);
        free(th->held_ctx);
        free(th->ring.mids);
        free(th->ring.ctxs);
    }
    free(run->threads);
}

uint64_t stress_total_ops(struct stress_run *run)
{
    uint64_t sum = 0;
    for (unsigned t = 0; t < run->nthreads; t++)
        sum += atomic_load_explicit(&run->threads[t].ops, memory_order_relaxed);
    return sum;
}

static void progress(struct stress_run *run, double elapsed, double rate)
{
    uint32_t live = 0, discarded = 0;
    if (stress_has(run->impl, MID_IMPL_HAS_STATS)) {
        struct mid_impl_stats st;
        run->impl->stats(run->table, &st);
        live = st.live;
        discarded = st.discarded;
    } else {
        for (unsigned t = 0; t < run->nthreads; t++)
            live += atomic_load_explicit(&run->threads[t].live, memory_order_relaxed);
    }
    fprintf(stderr, "[%5.1fs] %s/%s ops/s=%.0f live=%u discarded=%u violations=%llu\n", elapsed,
            run->impl->name, run->wl->name, rate, live, discarded,
            (unsigned long long)atomic_load_explicit(&run->violations, memory_order_relaxed));
}

/* ---- preemption injection --------------------------------------------------------- */

#define PREEMPT_STALL_NS (100 * 1000)

/* The stalled thread sleeps inside the handler: it is stopped between two
 * instructions of whatever it was doing, as if the kernel had preempted it,
 * while the others run on. */
static void preempt_handler(int sig)
{
    int saved = errno;
    struct timespec ts = {0, PREEMPT_STALL_NS};
    (void)sig;
    nanosleep(&ts, NULL);
    errno = saved;
}

static void *preempter(void *arg)
{
    struct stress_run *run = arg;
    uint64_t rng = splitmix64(run->cfg->seed ^ 0x5EED);
    long gap_ns = 1000000000L / (long)run->cfg->preempt;
    struct timespec gap = {gap_ns / 1000000000L, gap_ns % 1000000000L};

    while (!stress_stopped(run)) {
        rng = splitmix64(rng);
        /* Threads are joined only after this thread is: handles are valid. */
        pthread_kill(run->threads[rng % run->nthreads].handle, SIGUSR1);
        nanosleep(&gap, NULL);
    }
    return NULL;
}

/* ---- migration injection ---------------------------------------------------------- */

/* --migrate: HZ times a second, pin a random worker to a random CPU of the
 * process's set (another than its own, on 2 CPUs, half the time), as the
 * scheduler's load balancing moves threads, far more often. */
static void *migrator(void *arg)
{
    struct stress_run *run = arg;
    uint64_t rng = splitmix64(run->cfg->seed ^ 0x313C);
    long gap_ns = 1000000000L / (long)run->cfg->migrate;
    struct timespec gap = {gap_ns / 1000000000L, gap_ns % 1000000000L};
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2)
        return NULL; /* nowhere to move a thread to */
    int n = CPU_COUNT(&allowed);
    while (!stress_stopped(run)) {
        rng = splitmix64(rng);
        int k = (int)(rng % (uint64_t)n), cpu = -1;
        for (int c = 0; c < CPU_SETSIZE && cpu < 0; c++)
            if (CPU_ISSET(c, &allowed) && k-- == 0)
                cpu = c;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        /* Threads are joined only after this thread is: handles are valid. */
        pthread_setaffinity_np(run->threads[(rng >> 32) % run->nthreads].handle, sizeof one,
                               &one);
        nanosleep(&gap, NULL);
    }
    return NULL;
}

static void preempt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = preempt_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
}

/* Run until the deadline or a violation; a run where nothing at all happens
 * for STALL_S seconds is stuck (deadlock or livelock in the implementation). */
#define STALL_S 10.0
#define STOP_GRACE_S 10.0

/* A thread whose counter has not moved for THREAD_STALL_S while the others
 * run is stuck inside the implementation (a corrupted list it spins on). */
#define THREAD_STALL_S 3.0

static void check_threads_move(struct stress_run *run, uint64_t *seen, double *moved, double t)
{
    for (unsigned i = 0; i < run->nthreads; i++) {
        uint64_t o = atomic_load_explicit(&run->threads[i].ops, memory_order_relaxed);
        if (o != seen[i]) {
            seen[i] = o;
            moved[i] = t;
        } else if (t - moved[i] >= THREAD_STALL_S) {
            stress_violation(run, "thread %u completed no operation for %.0f s while others ran",
                             i, THREAD_STALL_S);
            return;
        }
    }
}

/* The table's stats while the run goes on: associations counted by the table
 * can run ahead of those the threads have counted only by the associates
 * still returning, one per thread at most. */
static void check_stats_running(struct stress_run *run)
{
    struct mid_impl_stats st;
    run->impl->stats(run->table, &st);
    uint64_t made = 0;
    for (unsigned i = 0; i < run->nthreads; i++)
        made += atomic_load_explicit(&run->threads[i].associations, memory_order_relaxed);
    if (st.associations > made + run->nthreads)
        stress_violation(run, "stats count %llu associations; the threads made %llu",
                         (unsigned long long)st.associations, (unsigned long long)made);
}

/* The end-of-run checks run after the monitor has stopped: a table whose
 * call never returns there (an associate that spins on a full table instead
 * of answering EFULL) hung the program with no word.  They get this long,
 * then the alarm ends the run as a violation. */
#define FINAL_LIMIT_S 120
#define FINAL_STR(x) #x
#define FINAL_LIMIT_STR(x) FINAL_STR(x)

static void final_checks_hung(int sig)
{
    (void)sig;
    static const char msg[] = "VIOLATION: the end-of-run checks did not finish within "
                              FINAL_LIMIT_STR(FINAL_LIMIT_S) " s "
                              "(a call of the table never returned)\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1); /* async-signal-safe */
    (void)w;
    _exit(1);
}

static void monitor(struct stress_run *run)
{
    double start = now_s(), last = start, last_change = start;
    uint64_t last_ops = 0;
    const struct timespec tick = {0, 10 * 1000 * 1000};
    uint64_t *seen = calloc(run->nthreads, sizeof *seen);
    double *moved = calloc(run->nthreads, sizeof *moved);

    for (unsigned i = 0; seen && moved && i < run->nthreads; i++)
        moved[i] = start;
    while (!stress_stopped(run)) {
        nanosleep(&tick, NULL);
        double t = now_s();
        if (t - start >= run->cfg->seconds)
            break;
        if (run->cfg->ops && stress_total_ops(run) >= run->cfg->ops)
            break;
        if (t - last < 1.0)
            continue;
        uint64_t ops = stress_total_ops(run);
        if (!run->cfg->quiet)
            progress(run, t - start, (double)(ops - last_ops) / (t - last));
        if (ops != last_ops)
            last_change = t;
        else if (t - last_change >= STALL_S)
            stress_violation(run, "no thread completed an operation for %.0f s", STALL_S);
        if (seen && moved)
            check_threads_move(run, seen, moved, t);
        if (stress_has(run->impl, MID_IMPL_HAS_STATS) && !run->cfg->no_stats_check)
            check_stats_running(run);
        last_ops = ops;
        last = t;
    }
    atomic_store_explicit(&run->stop, 1, memory_order_relaxed);
    free(seen);
    free(moved);
}

/* Wait for every thread to return; threads stuck inside the implementation
 * after a violation cannot be joined, and the process gives up. */
static void join_all(struct stress_run *run)
{
    double start = now_s();
    const struct timespec tick = {0, 1000 * 1000};
    for (unsigned t = 0; t < run->nthreads; t++) {
        /* acquire: pairs with thread_body's release store of finished. */
        while (!atomic_load_explicit(&run->threads[t].finished, memory_order_acquire)) {
            if (now_s() - start > STOP_GRACE_S) {
                stress_violation(run, "thread %u did not stop within %.0f s of the stop request",
                                 t, STOP_GRACE_S);
                printf("SUMMARY impl=%s workload=%s threads=%u ops=%llu violations=%llu "
                       "min_thread_ops=0 max_thread_ops=0 seed=%llu stuck=1\n",
                       run->impl->name, run->wl->name, run->nthreads,
                       (unsigned long long)stress_total_ops(run),
                       (unsigned long long)atomic_load_explicit(&run->violations,
                                                                memory_order_relaxed),
                       (unsigned long long)run->cfg->seed);
                fflush(NULL);
                _exit(1);
            }
            nanosleep(&tick, NULL);
        }
        pthread_join(run->threads[t].handle, NULL);
    }
}

static uint64_t run_one(const struct stress_cfg *cfg, const struct mid_impl *impl,
                        const char *impl_arg, const struct stress_workload *wl,
                        uint64_t *ops_out)
{
    struct stress_run *run = calloc(1, sizeof *run);
    uint32_t ring = 1;
    if (!run) {
        fprintf(stderr, "midatlas-stress: out of memory\n");
        exit(2);
    }
    run->cfg = cfg;
    run->impl = impl;
    run->impl_arg = impl_arg;
    run->wl = wl;
    run->nthreads = cfg->threads;
    for (unsigned k = 0; k < 64; k++)
        atomic_init(&run->shared[k], SHARED_EMPTY);
    size_workload(run, &ring);
    run->table = impl->create(cfg->capacity);
    if (!run->table || !threads_init(run, ring)) {
        fprintf(stderr, "midatlas-stress: cannot create %s of capacity %u\n", impl->name,
                cfg->capacity);
        exit(2);
    }

    double start = now_s();
    run->t0 = start;
    for (unsigned t = 0; t < run->nthreads; t++) {
        int err = pthread_create(&run->threads[t].handle, NULL, thread_body, &run->threads[t]);
        if (err) {
            fprintf(stderr, "midatlas-stress: pthread_create: %s\n", strerror(err));
            exit(2);
        }
    }
    if (cfg->chaos)
        impl->chaos(cfg->chaos); /* main checked the feature */
    pthread_t preempt_thread;
    bool preempting = cfg->preempt > 0;
    if (preempting) {
        preempt_install();
        preempting = pthread_create(&preempt_thread, NULL, preempter, run) == 0;
    }
    pthread_t migrate_thread;
    bool migrating = cfg->migrate > 0 &&
                     pthread_create(&migrate_thread, NULL, migrator, run) == 0;
    monitor(run);
    if (preempting)
        pthread_join(preempt_thread, NULL);
    if (migrating)
        pthread_join(migrate_thread, NULL);
    join_all(run);
    double elapsed = now_s() - start;
    if (cfg->chaos)
        impl->chaos(0); /* the final checks run without stalls */

    /* This thread calls the implementation from here on (final checks,
     * destroy): it registers like a worker (liburcu needs it). */
    if (impl->thread_init)
        impl->thread_init();
    if (atomic_load_explicit(&run->violations, memory_order_relaxed) == 0) {
        signal(SIGALRM, final_checks_hung);
        alarm(FINAL_LIMIT_S);
        stress_final_checks(run);
        alarm(0);
    }

    uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
    unsigned lo_t = 0;
    for (unsigned t = 0; t < run->nthreads; t++) {
        uint64_t o = atomic_load_explicit(&run->threads[t].ops, memory_order_relaxed);
        sum += o;
        if (o < lo) {
            lo = o;
            lo_t = t;
        }
        if (o > hi)
            hi = o;
    }
    if (lo == 0)
        stress_violation(run, "thread %u made no progress in %.1f s", lo_t, elapsed);
    uint64_t v = atomic_load_explicit(&run->violations, memory_order_relaxed);
    printf("SUMMARY impl=%s workload=%s threads=%u seconds=%.1f capacity=%u ops=%llu "
           "ops_per_s=%.0f violations=%llu min_thread_ops=%llu max_thread_ops=%llu seed=%llu\n",
           impl->name, wl->name, run->nthreads, elapsed, cfg->capacity,
           (unsigned long long)sum, (double)sum / elapsed, (unsigned long long)v,
           (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)cfg->seed);
    fflush(stdout);

    impl->destroy(run->table);
    if (impl->thread_fini)
        impl->thread_fini();
    threads_free(run);
    free(run);
    *ops_out += sum;
    return v;
}

/* Why impl cannot run w under cfg, or NULL when it can. */
static const char *cannot_run(const struct stress_cfg *cfg, const struct mid_impl *impl,
                              const struct stress_workload *w)
{
    static char why[200];
    char needs[160], lacks[160];
    if (!stress_has(impl, w->needs)) {
        snprintf(why, sizeof why, "needs %s; the table lacks %s",
                 impl_feature_names(w->needs, needs, sizeof needs),
                 impl_feature_names(w->needs & ~impl->features, lacks, sizeof lacks));
        return why;
    }
    if (cfg->capacity > impl_max_capacity(impl)) {
        snprintf(why, sizeof why, "--capacity %u is above the table's max_capacity %u",
                 cfg->capacity, impl_max_capacity(impl));
        return why;
    }
    if (cfg->threads < w->min_threads) {
        snprintf(why, sizeof why, "needs %u threads at least", w->min_threads);
        return why;
    }
    if (cfg->chaos && !stress_has(impl, MID_IMPL_HAS_CHAOS))
        return "--chaos needs a table with the chaos call (a hooked midatlas plugin)";
#ifdef MIDATLAS_SANITIZE_THREAD
    /* CK's and liburcu's inline-assembly atomics are invisible to TSan,
     * which then reports races that are not there. */
    if (impl->traits & MID_IMPL_TSAN_BLIND)
        return "TSan cannot see its atomics";
#endif
    return NULL;
}

int main(int argc, char **argv)
{
    struct stress_cfg cfg;
    int rc = parse_args(argc, argv, &cfg);
    if (rc)
        return rc == 1 ? 0 : rc;

    bool all_wl = strcmp(cfg.workload, "all") == 0;
    if (!all_wl && !stress_workload_find(cfg.workload))
        return cli_usage_error(PROG, "unknown workload '%s'", cfg.workload);

    /* One implementation and one workload asked for: not running it is an
     * error; otherwise a skipped pair is one line and the rest runs. */
    bool one = impls.n == 1 && !all_wl;
    uint64_t violations = 0, ops = 0;
    unsigned runs = 0;
    for (size_t i = 0; i < impls.n && violations == 0; i++) {
        const struct mid_impl *impl = impls.impls[i];
        if (in_list(cfg.skip, impl->name)) {
            fprintf(stderr, "skip %s: --skip\n", impl->name);
            continue;
        }
        for (const struct stress_workload *w = stress_workloads; w->name && violations == 0; w++) {
            if (!all_wl && strcmp(w->name, cfg.workload) != 0)
                continue;
            const char *why = cannot_run(&cfg, impl, w);
            if (why && one) {
                fprintf(stderr, PROG ": %s/%s: %s\n", impl->name, w->name, why);
                return 2;
            }
            if (why) {
                fprintf(stderr, "skip %s/%s: %s\n", impl->name, w->name, why);
                continue;
            }
            violations += run_one(&cfg, impl, impls.args[i], w, &ops);
            runs++;
        }
    }
    if (runs == 0) {
        fprintf(stderr, PROG ": nothing ran (every implementation/workload pair was skipped)\n");
        return 2;
    }
    if (runs > 1)
        printf("TOTAL runs=%u ops=%llu violations=%llu seed=%llu\n", runs,
               (unsigned long long)ops, (unsigned long long)violations,
               (unsigned long long)cfg.seed);
    return violations ? 1 : 0;
}
