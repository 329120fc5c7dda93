/* SPDX-License-Identifier: MIT */
/*
 * cpus.c - how many stripes a new atlas wants so that no two CPUs this
 * process may run on share one: the stripe count follows it (create.c).
 *
 * A stripe holds the sweep cursor of the threads running on its CPU
 * (sweep.h); a CPU's stripe is its number modulo the count.  More stripes
 * than CPUs only add cursors nobody uses and, in a small atlas, cut the
 * chunks smaller (at least two chunks per stripe, create.c).  Two CPUs on
 * one stripe make threads that run at once share a cursor: slow on every
 * path (two threads: churn at 15 M/s against 118 M/s with a stripe each),
 * and on the rseq path such a stripe is swept by CAS (sweep.c, take_slow).
 * So the measure is the highest number among the CPUs the process may run
 * on, plus one (sched_getaffinity, so a container's or taskset's limit
 * counts; CPUs 0 and 2 want 4 stripes), over the calling thread's CPUs and
 * the main thread's: an atlas created by a thread pinned to one CPU serves
 * the whole process (it once got one stripe; tests/test_stripes.c).
 * MIDATLAS_STRIPES in the environment overrides it (tests use it to
 * exercise 16 stripes on a 2-core machine).
 *
 * And whether claims may prefetch slot lines for writing (prefetch.h).
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atlas.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#endif

uint32_t midatlas__current_cpu(uint32_t fallback)
{
    /* sched_getcpu reads the kernel's rseq area or the vDSO: a few ns, so it
     * is only asked when a thread needs a stripe (first call, own stripe
     * dry), never on the fast path. */
    int cpu = sched_getcpu();
    return cpu >= 0 ? (uint32_t)cpu : fallback;
}

#ifdef CPU_COUNT
/* The highest CPU number in set, plus one (0 for an empty set). */
static uint32_t cpu_span(const cpu_set_t *set)
{
    for (int c = CPU_SETSIZE - 1; c >= 0; c--)
        if (CPU_ISSET(c, set))
            return (uint32_t)c + 1;
    return 0;
}
#endif

uint32_t midatlas__cpus_span(void)
{
    const char *env = getenv("MIDATLAS_STRIPES");
    if (env && *env) {
        long n = strtol(env, NULL, 10);
        if (n >= 1)
            return n > (long)MIDATLAS_MAX_STRIPES ? MIDATLAS_MAX_STRIPES : (uint32_t)n;
    }
#ifdef CPU_COUNT
    cpu_set_t set, main_thread;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) {
        if (sched_getaffinity(getpid(), sizeof main_thread, &main_thread) == 0)
            CPU_OR(&set, &set, &main_thread);
        return cpu_span(&set);
    }
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1;
}

/* Does the CPU have PREFETCHW?  Before Broadwell, Intel CPUs did not say
 * so in CPUID, and an instruction the CPU does not have is not to be run:
 * those CPUs do without the prefetch. */
static bool cpu_has_prefetchw(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    unsigned eax, ebx, ecx, edx;
    return __get_cpuid(0x80000001u, &eax, &ebx, &ecx, &edx) && (ecx & bit_PRFCHW) != 0;
#elif defined(__GNUC__)
    return true; /* __builtin_prefetch: the compiler knows the target's */
#else
    return false;
#endif
}

bool midatlas__cpus_prefetch(void)
{
    const char *env = getenv("MIDATLAS_PREFETCH");
    if (env && strcmp(env, "0") == 0)
        return false;
    /* CPUID can cost a VM exit: asked once.  Relaxed: every thread that
     * races here computes the same answer. */
    static atomic_u32 known; /* 0 unknown, 1 no, 2 yes */
    uint32_t k = load32_relaxed(&known);
    if (k == 0) {
        k = cpu_has_prefetchw() ? 2 : 1;
        store32_relaxed(&known, k);
    }
    return k == 2;
}
