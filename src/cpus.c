/* SPDX-License-Identifier: MIT */
/*
 * cpus.c - how many threads of this process can run at once: the stripe
 * count of a new atlas follows it (create.c).
 *
 * A stripe holds the sweep cursor of the threads running on its CPU
 * (sweep.h).  More stripes than CPUs only add cursors nobody uses and, in a
 * small atlas, cut the chunks smaller (at least two chunks per stripe,
 * create.c).  Fewer stripes than CPUs make threads that run at once share a
 * cursor.  The CPUs this process may run on
 * (sched_getaffinity, so a container's or taskset's limit counts) are the
 * measure; MIDATLAS_STRIPES in the environment overrides it (tests use it to
 * exercise 16 stripes on a 2-core machine).
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */

#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "atlas.h"

uint32_t midatlas__current_cpu(uint32_t fallback)
{
    /* sched_getcpu reads the kernel's rseq area or the vDSO: a few ns, so it
     * is only asked when a thread needs a stripe (first call, own stripe
     * dry), never on the fast path. */
    int cpu = sched_getcpu();
    return cpu >= 0 ? (uint32_t)cpu : fallback;
}

uint32_t midatlas__cpus_usable(void)
{
    const char *env = getenv("MIDATLAS_STRIPES");
    if (env && *env) {
        long n = strtol(env, NULL, 10);
        if (n >= 1)
            return n > (long)MIDATLAS_MAX_STRIPES ? MIDATLAS_MAX_STRIPES : (uint32_t)n;
    }
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (uint32_t)CPU_COUNT(&set);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1;
}
