/* SPDX-License-Identifier: MIT */
/*
 * prefetch.h - asking for a slot word's cache line in the state a claim
 * needs, exclusive, before the claim gets there.
 *
 * Why.  A claim on a line that another CPU wrote last (a receiver that
 * freed slots there, another thread that swept the chunk a lap ago) waits
 * for the line to come over, on the claimer's critical path: about 77 ns
 * a line on a 2-vCPU AMD EPYC with the other CPU idle, about 172 ns with
 * it reading those lines (bench/handoff.c, claims that each wait for the
 * one before).  The sweep knows which lines it will claim in next (sweep.h,
 * sweep_ahead, sweep_line_entered): it asks for them exclusive a few
 * claims early, so the trip overlaps the caller's own work.  The cursor's
 * line is also asked for right before the claim's load: in the pipeline
 * that paid on its own (bench/RESULTS.md, "Prefetching the claims"), although
 * an isolated claim in the probe pays one trip with or without it (load then
 * CAS costs what the CAS alone does there).  Measured on the same VM: pipeline
 * at capacity 4096 1.2x to 1.3x, churn and window at 2 and 4 threads 1.2x;
 * 0.97x at one thread, where the lines are already this CPU's.
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
