/* SPDX-License-Identifier: MIT */
/*
 * trip.h - how long a cache line takes to go from one CPU to another: one
 * line bounced between two threads pinned to two CPUs.
 *
 * Why the benchmark reports it.  On the 2-vCPU VMs this project is
 * measured on, that trip is sometimes about 50 ns and sometimes 200 to
 * 300 ns, for minutes at a time, wherever the host puts the two vCPUs; the
 * workloads whose threads hand lines to each other (the pipeline above
 * all) change by a factor of three or four with it, and every
 * implementation with them (bench/RESULTS.md, "Two kinds of phase").  A table
 * that says the trip it ran with can be read; one that does not is a lottery.
 */
#ifndef MIDATLAS_HARNESS_TRIP_H
#define MIDATLAS_HARNESS_TRIP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The first two CPUs this process may run on, in cpus; how many there
 * were (0 to 2: below 2 there is no trip to measure). */
int trip_cpus(int cpus[2]);

/* ns a line takes one way from CPU `from` to CPU `to` and back, halved:
 * `hops` round trips of one line between the calling thread (pinned to
 * `from` meanwhile; its affinity is put back after) and a thread pinned
 * to `to`.  -1 when a thread cannot be pinned or started. */
double trip_one_way_ns(int from, int to, uint64_t hops);

/* The median of `runs` (1 to 15) trip_one_way_ns between the first two
 * CPUs, which go in cpus; -1 with fewer than two CPUs or on failure. */
double trip_median_ns(unsigned runs, uint64_t hops, int cpus[2]);

#ifdef __cplusplus
}
#endif

#endif /* MIDATLAS_HARNESS_TRIP_H */
