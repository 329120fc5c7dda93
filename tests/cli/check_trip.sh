#!/bin/sh
# SPDX-License-Identifier: MIT
# check_trip.sh MIDATLAS_BENCH
# midatlas-bench names the cross-CPU trip it ran with (bench/harness/trip.h):
# in the JSON's context as the run starts, and on stderr with the one it
# ended with.  Only that each is there and a number of ns: the trip's size
# is the machine's, never a pass or a fail.  Exit 77 (skip) with fewer
# than two CPUs, where there is no trip.
set -u
bench=$1
[ "$(nproc)" -ge 2 ] || exit 77
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
status=0
bad() { echo "check_trip: $*" >&2; status=1; }
"$bench" --benchmark_min_time=0.001 \
    '--benchmark_filter=^churn/midatlas/cap:64/real_time/threads:1$' \
    --benchmark_out="$dir/run.json" --benchmark_out_format=json >"$dir/out" 2>"$dir/err" ||
    bad "midatlas-bench exits $?: $(cat "$dir/err")"
grep -Eq '"cross_cpu_trip_ns": "[0-9]+"' "$dir/run.json" ||
    bad "no cross_cpu_trip_ns in the JSON's context: $(grep -A12 '"context"' "$dir/run.json")"
grep -Eq '"cross_cpu_trip_cpus": "[0-9]+,[0-9]+"' "$dir/run.json" ||
    bad "no cross_cpu_trip_cpus in the JSON's context"
grep -Eq '^midatlas-bench: cross-CPU trip \(one way, CPUs [0-9]+ and [0-9]+\): [0-9]+ ns at the start, [0-9]+ ns at the end$' "$dir/err" ||
    bad "no start and end trip on stderr: $(cat "$dir/err")"
exit "$status"
