/* SPDX-License-Identifier: MIT */
/*
 * prefetch.h - asking for a slot word's cache line in the state a claim
 * needs: exclusive, before the claim's load and CAS get there.
 *
 * Why.  A claim loads a FREE slot word and then CASes it.  When another
 * CPU wrote the line last (a receiver that freed the slot, another thread
 * that swept the chunk a lap ago), the load brings the line shared and the
 * CAS must then ask for it again, exclusive: two trips between CPUs where
 * one would do, and both on the claimer's critical path.  PREFETCHW asks
 * for the line exclusive at once.  The sweep also knows which lines it
 * will claim in next (sweep.h, sweep_step): it asks for them a few claims
 * early, so the trip overlaps the caller's own work.  Measured on a 2-vCPU
 * AMD EPYC (README, "Prefetching the claims"): pipeline at capacity 4096
 * 1.3x to 1.5x, churn at 2 and 4 threads 1.15x; within the noise at one
 * thread, where the lines are already this CPU's.
 *
 * A prefetch is a hint: it changes no value and orders nothing, so it
 * needs no memory order and is invisible to the sanitizers.  On x86-64 the
 * instruction is PREFETCHW, used only where CPUID says the CPU has it
 * (create.c sets a->prefetch: gcc emits a read prefetch for
 * __builtin_prefetch(p, 1) unless told the CPU has it); elsewhere the
 * compiler's write prefetch (PRFM PSTL1KEEP on arm64).  MIDATLAS_PREFETCH=0
 * in the environment turns it off for atlases created afterwards (to
 * measure it, cpus.c).
 */
#ifndef MIDATLAS_PREFETCH_H
#define MIDATLAS_PREFETCH_H

#include "atlas.h"

/* Lines ahead of the one a claim was in that the sweep prefetches when it
 * moves to the next line (sweep.h, sweep_step): two lines are four claims
 * away in the pair order, time for a line to come from another CPU. */
#define PREFETCH_LINES_AHEAD 2u

/* Ask for slot idx's line exclusive (a hint: nothing else happens). */
static inline void slot_prefetch(const struct midatlas *a, uint32_t idx)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_expect(a->prefetch != 0, 1))
        __asm__("prefetchw %0" : : "m"(*(const char *)slot_word(a, idx)));
#elif defined(__GNUC__)
    if (__builtin_expect(a->prefetch != 0, 1))
        __builtin_prefetch(slot_word(a, idx), 1, 3);
#else
    (void)a;
    (void)idx;
#endif
}

#endif /* MIDATLAS_PREFETCH_H */
