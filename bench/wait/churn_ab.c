/* SPDX-License-Identifier: MIT */
/*
 * churn_ab.c - the churn workload (associate -> map -> dissociate, nobody
 * waiting) against two builds of libmidatlas.so in one binary, alternating
 * runs A B A B ..., so that both see the same machine state as nearly as a
 * noisy machine allows.  Used to check that adding midatlas_associate_wait
 * left the fast path alone (fastpath_ab.sh builds the two libraries).
 *
 *   churn_ab [--seconds S] [--runs R] [--capacity C] [--threads "1 2"] LIB_A LIB_B
 *
 * Both libraries are called through function pointers from dlsym, so each
 * pays the same indirect call; the result is ops/s (one op = associate + map
 * + dissociate) per thread count: median and spread over R runs, and B/A.
 */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "midatlas.h"

struct lib {
    const char *path;
    int (*create)(struct midatlas **, uint32_t, unsigned);
    void (*destroy)(struct midatlas *, midatlas_visit_fn *, void *);
    int (*associate)(struct midatlas *, void *, uint16_t *);
    void *(*map)(struct midatlas *, uint16_t);
    int (*dissociate)(struct midatlas *, uint16_t, void **);
};

static void *sym(void *h, const char *path, const char *name)
{
    void *p = dlsym(h, name);
    if (!p) {
        fprintf(stderr, "churn_ab: %s: no %s\n", path, name);
        exit(1);
    }
    return p;
}

static void load(struct lib *l, const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "churn_ab: %s\n", dlerror());
        exit(1);
    }
    l->path = path;
    /* POSIX: dlsym's object pointer converts to a function pointer. */
    *(void **)&l->create = sym(h, path, "midatlas_create");
    *(void **)&l->destroy = sym(h, path, "midatlas_destroy");
    *(void **)&l->associate = sym(h, path, "midatlas_associate");
    *(void **)&l->map = sym(h, path, "midatlas_map");
    *(void **)&l->dissociate = sym(h, path, "midatlas_dissociate");
}

struct run {
    const struct lib *lib;
    struct midatlas *atlas;
    atomic_int go, stop;
};

struct worker {
    struct run *run;
    unsigned id;
    uint64_t ops;
};

/* The loop, inlined into a copy per library (worker_main_a, _b): with one
 * loop for both, its indirect calls would have seen both libraries'
 * functions, and a call site with several targets can be predicted worse
 * for the rest of the process than one with a single target (bench/RESULTS.md,
 * "One driver loop per implementation"). */
static inline __attribute__((always_inline)) void *worker_loop(struct worker *w)
{
    struct run *r = w->run;
    const struct lib *l = r->lib;
    void *ctx = (void *)(uintptr_t)((w->id + 1) << 4);
    uint64_t ops = 0;
    /* relaxed: start/stop requests only */
    while (!atomic_load_explicit(&r->go, memory_order_relaxed))
        ;
    while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
        for (int k = 0; k < 64; k++) {
            uint16_t mid;
            if (l->associate(r->atlas, ctx, &mid) != MIDATLAS_OK || l->map(r->atlas, mid) != ctx ||
                l->dissociate(r->atlas, mid, NULL) != MIDATLAS_OK) {
                fprintf(stderr, "churn_ab: %s: churn failed\n", l->path);
                exit(1);
            }
        }
        ops += 64;
    }
    w->ops = ops;
    return NULL;
}

static void *worker_main_a(void *p)
{
    return worker_loop(p);
}

/* A store of its own, so that identical-code folding cannot merge this
 * copy into worker_main_a.  Relaxed: nothing reads it. */
static atomic_int worker_b_runs;

static void *worker_main_b(void *p)
{
    atomic_store_explicit(&worker_b_runs, 1, memory_order_relaxed);
    return worker_loop(p);
}

/* The loop copy of library 0 (A) and 1 (B). */
static void *(*const worker_mains[2])(void *) = {worker_main_a, worker_main_b};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double churn(const struct lib *lib, int k, uint32_t capacity, unsigned threads,
                    double seconds)
{
    const struct lib *l = &lib[k];
    struct run r = {.lib = l};
    struct worker w[64];
    pthread_t th[64];
    if (l->create(&r.atlas, capacity, 0) != MIDATLAS_OK) {
        fprintf(stderr, "churn_ab: create failed\n");
        exit(1);
    }
    for (unsigned i = 0; i < threads; i++) {
        w[i] = (struct worker){.run = &r, .id = i};
        if (pthread_create(&th[i], NULL, worker_mains[k], &w[i])) {
            fprintf(stderr, "churn_ab: pthread_create failed\n");
            exit(1);
        }
    }
    double t0 = now_s();
    atomic_store_explicit(&r.go, 1, memory_order_relaxed);
    struct timespec d = {.tv_sec = (time_t)seconds,
                         .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&d, NULL);
    atomic_store_explicit(&r.stop, 1, memory_order_relaxed);
    uint64_t total = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += w[i].ops;
    }
    double el = now_s() - t0;
    l->destroy(r.atlas, NULL, NULL);
    return (double)total / el;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
    double seconds = 0.5;
    unsigned runs = 10;
    uint32_t capacity = 64;
    const char *thread_list = "1 2";
    const char *paths[2] = {NULL, NULL};
    int npaths = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--capacity") && i + 1 < argc)
            capacity = (uint32_t)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            thread_list = argv[++i];
        else if (argv[i][0] != '-' && npaths < 2)
            paths[npaths++] = argv[i];
        else
            npaths = 99;
    }
    if (npaths != 2 || seconds <= 0 || runs < 1 || runs > 1000) {
        fprintf(stderr, "usage: %s [--seconds S] [--runs R] [--capacity C] [--threads \"1 2\"] "
                        "LIB_A LIB_B\n", argv[0]);
        return 2;
    }
    struct lib lib[2];
    load(&lib[0], paths[0]);
    load(&lib[1], paths[1]);
    printf("churn (associate, map, dissociate), capacity %u, %.2f s per run, %u runs each, "
           "alternating A B\n  A = %s\n  B = %s\n",
           capacity, seconds, runs, paths[0], paths[1]);
    printf("%8s %14s %14s %14s %14s %8s\n", "threads", "A median", "A min..max", "B median",
           "B min..max", "B/A");
    char *list = strdup(thread_list), *save = NULL;
    for (char *tok = strtok_r(list, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
        unsigned threads = (unsigned)strtoul(tok, NULL, 0);
        if (threads < 1 || threads > 64)
            continue;
        double *v[2] = {calloc(runs, sizeof(double)), calloc(runs, sizeof(double))};
        for (unsigned r = 0; r < runs; r++)
            for (int k = 0; k < 2; k++) /* alternate, and swap who goes first */
                v[(k + r) % 2][r] = churn(lib, (k + r) % 2, capacity, threads, seconds);
        for (int k = 0; k < 2; k++)
            qsort(v[k], runs, sizeof(double), cmp_double);
        double ma = v[0][runs / 2], mb = v[1][runs / 2];
        printf("%8u %13.1fM %6.1f..%-6.1f %13.1fM %6.1f..%-6.1f %7.3f\n", threads, ma / 1e6,
               v[0][0] / 1e6, v[0][runs - 1] / 1e6, mb / 1e6, v[1][0] / 1e6,
               v[1][runs - 1] / 1e6, mb / ma);
        free(v[0]);
        free(v[1]);
    }
    free(list);
    return 0;
}
