/* SPDX-License-Identifier: MIT */
/*
 * rseq_unload.c - a shared object that used the rseq claim path can be
 * dlclose()d while threads that ran it live on.
 *
 * A CS leaves the thread's rseq_cs pointing at the CS's descriptor inside
 * the object (src/rseq.h, "After a CS"); the kernel reads it at the
 * thread's next preemption, and kills the thread if it is no longer
 * mapped.  src/rseq.c pins the object (RTLD_NODELETE) before the path
 * turns on.  Here: two threads run the module (rseq_unload_mod.c, its own
 * copy of the library), the module is closed, then both threads are
 * preempted again and again (sleeps, yields, a signal on the main
 * thread).  They must live, and the module's code must still be mapped.
 *
 * Skipped (77) where the path does not run (sanitizer builds, no rseq or
 * membarrier).
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#ifndef RSEQ_UNLOAD_MODULE
#error "RSEQ_UNLOAD_MODULE: the path of the module"
#endif

typedef uint32_t run_fn(void);

static run_fn *run;
static uint32_t second_chunks;
static pthread_barrier_t ran, closed;
static volatile sig_atomic_t signals;

static void on_signal(int sig)
{
    (void)sig;
    signals++;
}

/* Be preempted: each sleep and yield returns through the kernel's rseq
 * handling, which reads rseq_cs. */
static void preempt_often(void)
{
    struct timespec ts = {0, 200000};
    for (int i = 0; i < 200; i++) {
        nanosleep(&ts, NULL);
        sched_yield();
    }
}

static void *second(void *arg)
{
    (void)arg;
    second_chunks = run();
    pthread_barrier_wait(&ran);
    pthread_barrier_wait(&closed);
    preempt_often();
    return NULL;
}

int main(void)
{
    void *h = dlopen(RSEQ_UNLOAD_MODULE, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "rseq_unload: dlopen: %s\n", dlerror());
        return 1;
    }
    *(void **)&run = dlsym(h, "rseq_unload_run");
    if (!run) {
        fprintf(stderr, "rseq_unload: no rseq_unload_run in the module\n");
        return 1;
    }
    pthread_barrier_init(&ran, NULL, 2);
    pthread_barrier_init(&closed, NULL, 2);
    pthread_t t;
    if (pthread_create(&t, NULL, second, NULL) != 0)
        return 1;
    uint32_t chunks = run();
    pthread_barrier_wait(&ran);
    if (chunks == UINT32_MAX || second_chunks == UINT32_MAX) {
        fprintf(stderr, "rseq_unload: a call of the module failed\n");
        return 1;
    }
    bool skip = chunks == 0;
    Dl_info info;
    dlclose(h);
    pthread_barrier_wait(&closed);
    signal(SIGUSR1, on_signal);
    for (int i = 0; i < 50; i++) {
        raise(SIGUSR1);
        preempt_often();
    }
    pthread_join(t, NULL);
    if (skip) {
        printf("rseq claim path off here: skipped\n");
        return 77;
    }
    if (!dladdr(*(void **)&run, &info)) {
        fprintf(stderr, "rseq_unload: the module was unmapped while threads that ran its "
                        "rseq path live on\n");
        return 1;
    }
    printf("rseq_unload: %u chunks served by the rseq path; closed, still mapped; the main "
           "thread lived through %d signals and 10000 sleeps, the other through 200\n",
           chunks, (int)signals);
    return 0;
}
